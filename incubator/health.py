"""/healthz: every dependency the platform needs, as the core and the plugins declare them
(`incubator_health_checks`)."""
import logging

import redis
from flask import current_app
from sqlalchemy import text

from .extensions import db, limiter

log = logging.getLogger(__name__)


def database() -> None:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()  # the session must not stay in a failed transaction
        raise


def rate_limit_storage() -> bool:
    """Redis (or whatever RATELIMIT_STORAGE_URI names) answers a ping."""
    return limiter.storage.check()


def queue_storage() -> bool:
    """The task queue's Redis (QUEUE_URL) answers a ping. (The default queue, an SQLite file in the
    instance folder, has nothing to ping.)"""
    client = redis.Redis.from_url(current_app.config["QUEUE_URL"], socket_connect_timeout=2, socket_timeout=2)
    try:
        return bool(client.ping())
    finally:
        client.close()


def core_checks() -> dict:
    """What the core needs to work: its database; the rate-limit storage when it is not this
    process's memory (Redis, shared by the workers); the task queue's Redis when the queue is there."""
    checks = {"database": database}
    config = current_app.config
    if config.get("RATELIMIT_ENABLED", True) and not str(config["RATELIMIT_STORAGE_URI"]).startswith("memory://"):
        checks["ratelimit"] = rate_limit_storage
    if str(config.get("QUEUE_URL") or "").startswith(("redis://", "rediss://", "unix://")):
        checks["queue"] = queue_storage
    return checks


def run_checks(registry) -> dict[str, str]:
    """{name: "ok" or what went wrong (an exception's type)} for every declared check.

    Each plugin's hook is called on its own, so a plugin whose hook raises is reported under its
    name instead of hiding everyone else's checks.
    """
    results: dict[str, str] = {}
    for impl in registry.pm.hook.incubator_health_checks.get_hookimpls():
        try:
            checks = impl.function() or {}
        except Exception as exc:
            log.exception("incubator_health_checks of %s failed", impl.plugin_name)
            results[impl.plugin_name] = type(exc).__name__
            continue
        for name, check in checks.items():
            results[name] = _outcome(name, check)
    return results


def _outcome(name: str, check) -> str:
    try:
        answer = check()
    except Exception as exc:  # any failure to reach the dependency means it is down
        log.warning("health check %s failed: %r", name, exc)
        return type(exc).__name__
    if answer is False:
        log.warning("health check %s failed", name)
        return "unavailable"
    return "ok"
