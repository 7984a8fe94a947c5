"""Stamps: how the processes serving one instance folder tell each other that something changed.

A stamp is a small file in the instance folder holding a random token. Changing it replaces the
file atomically (`os.replace`), and a process that cached something under the token it read sees a
different token at its next look: one open and read, microseconds, where the thing cached cost
queries. The token is compared, not the file's inode or modification time (a freed inode is reused
at once, and a file's time moves in ticks of milliseconds, so two changes in a row could look the
same). Processes on other machines, with an instance folder of their own, see nothing: what they
cache expires after a time of its own (`TimedCache.max_age`).

Two stamps exist: `plugin-settings.stamp` (the plugins' enablement, see incubator.plugins) and
`data.stamp`, replaced after every commit that wrote to the database (`watch_writes`), under which
per-user answers such as the menu's to-do count are kept (`TimedCache`).
"""
from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections import OrderedDict
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)


class Stamp:
    def __init__(self, path: Path):
        self.path = path

    def read(self) -> str | None:
        try:
            return self.path.read_text()
        except FileNotFoundError:
            return None

    def change(self) -> None:
        fresh = self.path.with_name(f"{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            fresh.write_text(secrets.token_hex(8))
            os.replace(fresh, self.path)
        except OSError as error:  # a read-only instance folder: the others see it after their max age
            log.warning("could not replace %s: %s", self.path, error)


def stamp(name: str) -> Stamp:
    """The app's stamp `name` (a file `<name>.stamp` in the instance folder)."""
    stamps = current_app.extensions.setdefault("stamps", {})
    if name not in stamps:
        stamps[name] = Stamp(Path(current_app.instance_path) / f"{name}.stamp")
    return stamps[name]


class TimedCache:
    """Values computed under a stamp's token: one is good while the token is the same and it is
    younger than `max_age` seconds. Keeps the `size` most recently used keys. A session that wrote
    and has not committed yet reads past the cache (what it wrote is not in there) and keeps nothing.
    The token is read before computing, so a change committed meanwhile is not hidden: the value is
    kept under the old token and computed again at the next look."""

    def __init__(self, stamp_name: str, max_age: float = 30.0, size: int = 2000):
        self.stamp_name, self.max_age, self.size = stamp_name, max_age, size
        self.values: OrderedDict = OrderedDict()
        self.lock = threading.Lock()  # gunicorn's threaded workers share a process

    def get(self, key, compute):
        from .extensions import db
        if db.session.info.get("wrote"):
            return compute()
        token, now = stamp(self.stamp_name).read(), time.monotonic()
        with self.lock:
            found = self.values.get(key)
            if found is not None and found[0] == token and now - found[1] <= self.max_age:
                self.values.move_to_end(key)
                return found[2]
        value = compute()
        with self.lock:
            self.values[key] = (token, now, value)
            self.values.move_to_end(key)
            while len(self.values) > self.size:
                self.values.popitem(last=False)
        return value


def timed_cache(name: str, stamp_name: str = "data", **options) -> TimedCache:
    """The app's cache `name`, made on first use."""
    caches = current_app.extensions.setdefault("timed_caches", {})
    if name not in caches:
        caches[name] = TimedCache(stamp_name, **options)
    return caches[name]


# -- the data stamp -----------------------------------------------------------------------------

def data_changed() -> None:
    """Every process forgets what it cached from the data (after a commit that wrote; also when a
    test empties the tables or writes past the session)."""
    stamp("data").change()


def watch_writes() -> None:
    """Replace the data stamp after every commit of a session that flushed objects or executed a
    statement other than a SELECT (bulk UPDATE, DELETE, INSERT, text SQL)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session
    if event.contains(Session, "after_commit", _after_commit):
        return
    event.listen(Session, "after_flush", _wrote)
    event.listen(Session, "do_orm_execute", _executed)
    event.listen(Session, "after_commit", _after_commit)


def _wrote(session, _context) -> None:
    session.info["wrote"] = True


def _executed(state) -> None:
    if state.is_select:
        return
    sql = getattr(state.statement, "text", None)  # text SQL: a SELECT is a read
    if sql is not None and sql.lstrip()[:6].upper() == "SELECT":
        return
    state.session.info["wrote"] = True


def _after_commit(session) -> None:
    # A rollback keeps the mark: the next commit's extra change is harmless, a lost one is not.
    if session.info.pop("wrote", False) and current_app:
        data_changed()
