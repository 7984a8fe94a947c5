"""`incubator serve`: the production server — gunicorn (pinned in requirements.txt) running the app
in several worker processes, and, with --with-worker, the platform's queue worker (`incubator
worker`) beside it.

Several processes share nothing but the database, Redis and the instance folder, so the command
refuses to start (exit 1) on a configuration that only holds in one process:

- rate limits in process memory (`memory://`, the default) with more than one worker: each worker
  counts on its own, so a 10-per-minute login limit lets 10 × workers through;
- SQLite with more than one worker: see `problems()`;
- a weak secret key (e.g. "dev" in instance/config.py): sessions are signed with it.

The app is built once in the master and forked into the workers (gunicorn's preload), so every
worker has the very same configuration and secret key, and the key file in instance/ is generated
once instead of by several workers racing at first start. A worker is ready a few hundredths of a
second after its fork: the time to the first answer is the master's (Python, Flask and building the
app), see benchmarks/startup.py.
"""
import gc
import os
import subprocess
import sys

import click

MAX_WORKERS = 8  # each worker holds its own database pool (5 + 10 overflow connections)
MIN_SECRET_LENGTH = 16


def default_workers(cpus: int | None = None) -> int:
    """gunicorn's rule of thumb, 2 × cores + 1, capped."""
    return min(2 * (cpus or os.cpu_count() or 1) + 1, MAX_WORKERS)


def default_bind(env=os.environ) -> str:
    return f"{env.get('HOST') or '127.0.0.1'}:{env.get('PORT') or '8000'}"


def problems(app, workers: int) -> list[str]:
    """Why this configuration cannot be served by `workers` processes (empty when it can)."""
    config = app.config
    found = []
    storage = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if workers > 1 and config.get("RATELIMIT_ENABLED", True) and storage.startswith("memory://"):
        found.append(f"rate limits are kept in each process's memory ({storage}): with {workers} workers a client "
                     f"gets {workers} times every limit. Set INCUBATOR_RATELIMIT_STORAGE_URL=redis://host:6379/0 "
                     "(shared by all workers), or serve with --workers 1.")
    # SQLite (no WAL here) takes one lock for the whole file: a commit waits for every reader, and a
    # writer that loses the race fails with "database is locked" instead of waiting. Capacity,
    # budget and stock rules are tested under real concurrency on PostgreSQL only.
    if workers > 1 and config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        found.append("SQLite serves one worker process at a time: set INCUBATOR_DATABASE_URL=postgresql://… "
                     "for several workers, or serve with --workers 1.")
    if len(str(config.get("SECRET_KEY") or "")) < MIN_SECRET_LENGTH:
        found.append(f"the secret key is shorter than {MIN_SECRET_LENGTH} characters: set INCUBATOR_SECRET_KEY "
                     "(or remove SECRET_KEY from instance/config.py to use the generated instance/secret_key).")
    return found


def reachability(app) -> list[str]:
    """Every dependency /healthz checks (the database, the rate-limit and the task queue's Redis,
    plugins' own) answers now: a clear refusal at start rather than 500s later."""
    from . import health
    from .extensions import db
    from .plugins import registry
    with app.app_context():
        try:
            results = health.run_checks(registry())
        finally:
            db.session.remove()
            db.engine.dispose()  # the workers open their own connections
    return [f"cannot reach {name}: {outcome}" for name, outcome in sorted(results.items()) if outcome != "ok"]


def _post_fork(server, worker):
    """Connections inherited from the master are not the worker's: open new ones."""
    from .extensions import db
    with server.app.wsgi_app.app_context():
        db.engine.dispose(close=False)


def run_gunicorn(app, options: dict, post_fork=_post_fork) -> None:
    """Serve `app` (built once, here) with gunicorn and `options`; `post_fork(server, worker)` gives
    each worker its own connections (benchmarks/floor_app.py serves its floor with its own)."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            return self.wsgi_app

    server = Server()
    server.wsgi_app = app
    server.cfg.set("post_fork", post_fork)
    # Python's advice for preforking servers (see gc.freeze): the cycle collector is off while the app
    # is built (serve_command), and the app's objects, some 250,000 that all live on, then move where
    # it never looks, right before the fork. Nobody scans them: not the master now (0.1 s before the
    # first answer), not a worker later (its full collections take 1 ms instead of 0.3 s), and a
    # worker's collections copy none of the memory it shares with the master.
    gc.freeze()
    gc.enable()
    server.run()


def start_queue_worker() -> subprocess.Popen:
    """`incubator worker` in a process of its own, with this one's environment."""
    command = [sys.executable, "-c", "from incubator.cli import main; main()", "worker"]
    return subprocess.Popen(command)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@click.command("serve")
@click.option("--bind", "-b", multiple=True, help="address to listen on (default: $HOST:$PORT, 127.0.0.1:8000)")
@click.option("--workers", "-w", type=click.IntRange(1), default=None,
              help=f"worker processes (default: 2 × cores + 1, at most {MAX_WORKERS})")
@click.option("--threads", type=click.IntRange(1), default=1, show_default=True, help="threads per worker")
@click.option("--timeout", type=click.IntRange(1), default=60, show_default=True,
              help="seconds before a silent worker is restarted")
@click.option("--proxies", type=click.IntRange(0), default=0, show_default=True,
              help="reverse proxies in front (nginx: 1): trust that many X-Forwarded-For/-Proto hops, so "
                   "rate limits count the client's address, not the proxy's")
@click.option("--access-log/--no-access-log", default=True, show_default=True, help="log each request to stdout")
@click.option("--with-worker", is_flag=True,
              help="also run the platform's queue worker (incubator worker: notices, certificate batches)")
def serve_command(bind, workers, threads, timeout, proxies, access_log, with_worker):
    """Serve the platform in production: gunicorn with several workers (PostgreSQL, Redis)."""
    from . import create_app
    workers = workers or default_workers()
    gc.disable()  # until the fork: see run_gunicorn
    try:
        app = create_app()
        found = problems(app, workers) or reachability(app)
        if found:
            raise click.ClickException("refusing to serve:\n  - " + "\n  - ".join(found))
    except BaseException:
        gc.enable()
        raise
    if not app.config.get("BASE_URL"):
        click.echo("warning: INCUBATOR_BASE_URL is not set: certificates cannot be issued outside debug.", err=True)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    options = {"bind": list(bind) or [default_bind()], "workers": workers, "threads": threads,
               "worker_class": "gthread" if threads > 1 else "sync", "timeout": timeout,
               "accesslog": "-" if access_log else None, "proc_name": "incubator",
               "preload_app": True, "control_socket_disable": True}
    worker = start_queue_worker() if with_worker else None
    try:
        run_gunicorn(app, options)
    finally:
        if worker is not None:
            stop(worker)
