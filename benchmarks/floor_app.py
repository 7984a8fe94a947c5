#!/usr/bin/env python3
"""The floor of benchmarks/core_pages.py (`make_floor_app`: a bare Flask app on psycopg, one
connection, one query, one small template listing the first 20 rows of floor_organizations) served
by gunicorn with `incubator serve`'s settings, for benchmarks/serving.py.

Fills floor_organizations with --rows rows (`fill_floor_table`, dropping the table first), builds
the app once in the master and forks it into --workers sync workers (preload, gc.freeze before the
fork, no access log, 60 s timeout, no control socket: as incubator/serve.py). A psycopg connection
cannot be shared by processes, so the master closes the app's connection before the fork and each
worker opens its own (as `incubator serve`'s post_fork hook does with its pool). Adds /healthz
(200, empty) so incubator.live.wait_healthy can wait for it.

    .venv/bin/python benchmarks/floor_app.py --database-url postgresql://… --rows 10000
        [--workers 1] [--bind 127.0.0.1:5182]
"""
import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from core_pages import make_floor_app  # noqa: E402  (run as a script, beside core_pages.py)

DATABASE_URL = None  # for the workers' post_fork, set by main()


def connection_cell(app):
    """The cell holding make_floor_app's connection, which its view reads on every request."""
    view = app.view_functions["organizations"]
    return view.__closure__[view.__code__.co_freevars.index("connection")]


def post_fork(server, worker):
    import psycopg
    connection_cell(server.app.wsgi_app).cell_contents = psycopg.connect(DATABASE_URL, autocommit=True)


def main():
    global DATABASE_URL
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--bind", default="127.0.0.1:5182")
    args = parser.parse_args()
    DATABASE_URL = args.database_url.replace("postgresql+psycopg://", "postgresql://")
    app = make_floor_app(DATABASE_URL, tempfile.gettempdir(), args.rows)  # fills the table
    app.add_url_rule("/healthz", "healthz", lambda: "")
    connection_cell(app).cell_contents.close()

    from incubator.serve import run_gunicorn  # its fork and gc.freeze, its post_fork hook slot
    run_gunicorn(app, {"bind": [args.bind], "workers": args.workers, "threads": 1, "worker_class": "sync",
                       "timeout": 60, "accesslog": None, "proc_name": "floor", "preload_app": True,
                       "control_socket_disable": True}, post_fork=post_fork)


if __name__ == "__main__":
    main()
