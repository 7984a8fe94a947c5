#!/usr/bin/env python3
"""Start-up: how long `incubator --help` takes, and how long `incubator serve` takes to answer its
first /healthz with 200, with one and with two gunicorn workers (median of --runs runs each).

`--help` and one worker run on SQLite in a temporary instance folder (migrated once beforehand). Two
workers cannot share SQLite (`incubator serve` refuses them), so they run on the scratch PostgreSQL
database given (created when missing; its name must contain "bench"; migrated, nothing dropped)
with rate limits in the Redis database given; one worker is measured there too, for comparison.
Each server gets a free port; the clock starts when the process is started and stops at the first
200 (polled every 10 ms). Targets: both under 1.5 s.

    .venv/bin/python benchmarks/startup.py [--runs 5]
        [--database-url postgresql://postgres@127.0.0.1:5432/startup_bench] [--redis-url redis://127.0.0.1:6379/13]

Python compiles a module it has no cached bytecode for on every start; with PYTHONDONTWRITEBYTECODE
set (and so no __pycache__ for the checkout) that is part of every figure. The header says which.
"""
import argparse
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from incubator import live  # noqa: E402  (the checkout, run as a script)

CONSOLE_SCRIPT = Path(sys.executable).with_name("incubator")
INCUBATOR = [str(CONSOLE_SCRIPT)] if CONSOLE_SCRIPT.exists() else [
    sys.executable, "-c", "from incubator.cli import main; main()"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/startup_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def help_seconds(env) -> float:
    started = time.perf_counter()
    subprocess.run(INCUBATOR + ["--help"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def first_healthy(port: int, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("incubator serve exited early")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"no 200 from /healthz within {seconds:g} s")


def serve_seconds(env, workers: int, log_path: Path) -> float:
    port = free_port()
    started = time.perf_counter()
    server = live.start(INCUBATOR + ["serve", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
                                     "--no-access-log"], env=env, cwd=ROOT, log_path=log_path)
    try:
        first_healthy(port, server)
        return time.perf_counter() - started
    except RuntimeError as exc:
        raise SystemExit(f"{exc}; see {log_path}") from exc
    finally:
        live.stop(server)


def postgres_env(args, base_env):
    """The environment for PostgreSQL + Redis, migrated; None (and why) when either is not there."""
    try:
        import psycopg
        import redis
        plain = args.database_url.replace("postgresql+psycopg://", "postgresql://")
        server, name = plain.rsplit("/", 1)
        with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=3) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
        redis.Redis.from_url(args.redis_url, socket_connect_timeout=3).ping()
    except Exception as exc:  # noqa: BLE001  (any reason PostgreSQL or Redis is not usable: skip those rows)
        return None, f"{type(exc).__name__}: {exc}"
    env = dict(base_env, INCUBATOR_DATABASE_URL=args.database_url, INCUBATOR_RATELIMIT_STORAGE_URL=args.redis_url)
    subprocess.run(INCUBATOR + ["db", "upgrade"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return env, None


def median_line(label: str, seconds: list[float]) -> str:
    runs = " ".join(f"{s:.2f}" for s in seconds)
    return f"{label:<44} {statistics.median(seconds):>5.2f} s   (runs: {runs})"


def main():
    args = parse_args()
    if "bench" not in args.database_url.rsplit("/", 1)[-1]:
        raise SystemExit("refusing a database whose name does not contain 'bench'")
    instance = Path(tempfile.mkdtemp(prefix="startup-bench-"))
    sqlite = dict(os.environ, INCUBATOR_INSTANCE_PATH=str(instance), INCUBATOR_SECRET_KEY=secrets.token_hex(32),
                  INCUBATOR_DATABASE_URL=f"sqlite:///{instance}/incubator.db", INCUBATOR_RATELIMIT_STORAGE_URL="",
                  INCUBATOR_BASE_URL="http://127.0.0.1", FLASK_DEBUG="0", PYTHONPATH=str(ROOT))
    subprocess.run(INCUBATOR + ["db", "upgrade"], env=sqlite, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    bytecode = "not cached (PYTHONDONTWRITEBYTECODE)" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "cached"
    print(f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; bytecode {bytecode}; median of {args.runs} runs")
    print(median_line("incubator --help", [help_seconds(sqlite) for _ in range(args.runs)]))
    print(median_line("serve → /healthz 200, 1 worker, SQLite",
                      [serve_seconds(sqlite, 1, instance / "serve.log") for _ in range(args.runs)]))
    postgres, why_not = postgres_env(args, sqlite)
    if postgres is None:
        print(f"PostgreSQL/Redis rows skipped: {why_not}")
        return 0
    for workers in (1, 2):
        print(median_line(f"serve → /healthz 200, {workers} worker{'s' if workers > 1 else ''}, PostgreSQL",
                          [serve_seconds(postgres, workers, instance / "serve.log") for _ in range(args.runs)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
