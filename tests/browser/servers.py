"""Real servers on fresh demo databases for the browser journeys.

A demo database is built once per test process (the real `incubator db upgrade` and `incubator
demo`, as a newcomer's `make run` does) and copied for each journey: a SQLite file and its instance
folder are copied; on PostgreSQL a database is created from it as a template. Each journey then gets
its own `incubator run` process on a free port, so what the browser sees is what a person sees.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from incubator import live

ROOT = Path(__file__).resolve().parents[2]
# The console script beside this Python (the venv's), as a person runs it.
INCUBATOR = [str(Path(sys.executable).with_name("incubator"))]


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_url() -> str | None:
    return os.environ.get("INCUBATOR_TEST_DATABASE_URL") or None


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def _admin_sql(statements: list[str]) -> None:
    """Run CREATE/DROP DATABASE on the test server (outside a transaction)."""
    import psycopg
    url = _postgres_url().replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


class DemoTemplate:
    """The demo database and instance folder every journey starts from."""

    def __init__(self, base: Path):
        self.base = base
        self.instance = base / "template-instance"
        self.pg_name = f"incubator_browser_tpl_{_worker()}" if _postgres_url() else None
        self.counter = 0

    def database_url(self, instance: Path, pg_name: str | None) -> str:
        if pg_name:
            return _with_database(_postgres_url(), pg_name)
        return f"sqlite:///{instance / 'incubator.db'}"

    def build(self) -> None:
        self.instance.mkdir(parents=True)
        if self.pg_name:
            _admin_sql([f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)', f'CREATE DATABASE "{self.pg_name}"'])
        env = self.env(self.instance, self.pg_name)
        for args in (["db", "upgrade"], ["demo"]):
            done = subprocess.run(INCUBATOR + args, env=env, cwd=ROOT, capture_output=True, text=True)
            if done.returncode:
                raise RuntimeError(f"incubator {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")

    def env(self, instance: Path, pg_name: str | None) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("INCUBATOR_TEST")}
        env.update(INCUBATOR_INSTANCE_PATH=str(instance), INCUBATOR_DATABASE_URL=self.database_url(instance, pg_name),
                   INCUBATOR_SECRET_KEY="browser-journeys", TZ=os.environ.get("TZ", "Asia/Shanghai"),
                   PYTHONUNBUFFERED="1")
        return env

    def copy(self) -> tuple[Path, str | None]:
        """A fresh instance folder (and PostgreSQL database) with the demo data."""
        self.counter += 1
        instance = self.base / f"instance-{self.counter}"
        shutil.copytree(self.instance, instance)
        pg_name = None
        if self.pg_name:
            pg_name = f"incubator_browser_{_worker()}_{self.counter}"
            _admin_sql([f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)',
                        f'CREATE DATABASE "{pg_name}" TEMPLATE "{self.pg_name}"'])
        return instance, pg_name

    def drop(self, pg_name: str | None) -> None:
        if pg_name:
            _admin_sql([f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'])

    def close(self) -> None:
        if self.pg_name:
            self.drop(self.pg_name)
        shutil.rmtree(self.base, ignore_errors=True)


class LiveServer:
    """`incubator run` on a copy of the demo; `url("/parks")` gives an address on it."""

    def __init__(self, template: DemoTemplate):
        self.template = template
        self.instance, self.pg_name = template.copy()
        self.env = template.env(self.instance, self.pg_name)
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env["INCUBATOR_BASE_URL"] = self.base_url + "/"  # printed on certificates (not run in debug)
        self.process = live.start(INCUBATOR + ["run", "--host", "127.0.0.1", "--port", str(self.port)],
                                  env=self.env, cwd=ROOT, log_path=self.instance / "server.log")
        try:
            live.wait_healthy(self.base_url, [self.process])
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}:\n{self.server_log()}") from exc

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def cli(self, *args: str) -> str:
        """Run an `incubator` command against this server's database (e.g. the certificate worker)."""
        done = subprocess.run(INCUBATOR + list(args), env=self.env, cwd=ROOT, capture_output=True, text=True,
                              timeout=300)
        if done.returncode:
            raise RuntimeError(f"incubator {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def sql(self, query: str, *params):
        """Read the server's database directly (to check what a journey left behind)."""
        if self.pg_name:
            import psycopg
            with psycopg.connect(_with_database(_postgres_url(), self.pg_name).replace(
                    "postgresql+psycopg://", "postgresql://")) as conn:
                cursor = conn.execute(query.replace("?", "%s"), params)
                return cursor.fetchall() if cursor.description else []  # (an UPDATE returns no rows)
        import sqlite3
        with closing(sqlite3.connect(self.instance / "incubator.db")) as conn:
            rows = conn.execute(query, params).fetchall()
            conn.commit()  # (a journey may set the scene: an UPDATE before the person acts)
            return rows

    def server_log(self) -> str:
        return (self.instance / "server.log").read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        live.stop(self.process, timeout=10)
        self.template.drop(self.pg_name)
        shutil.rmtree(self.instance, ignore_errors=True)


def new_template() -> DemoTemplate:
    template = DemoTemplate(Path(tempfile.mkdtemp(prefix="incubator-browser-")))
    template.build()
    return template
