"""WSGI entry point for production servers, e.g. `gunicorn -w 4 -b 0.0.0.0:8000 incubator.wsgi:app`."""
from . import create_app

app = create_app()
