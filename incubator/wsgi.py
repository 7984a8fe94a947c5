"""WSGI entry point for other servers, e.g. `gunicorn --preload -w 4 -b 0.0.0.0:8000 incubator.wsgi:app`.

With --preload the app is built once, in gunicorn's master, and forked (as `incubator serve` does);
without it every worker builds its own, each taking the whole start-up time on the shared cores.
"""
from . import create_app

app = create_app()
