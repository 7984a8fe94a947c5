"""The certificates queue in /healthz (`incubator_health_checks`): Redis, when the queue is on Redis
(CERTIFICATES_REDIS_URL); the default SQLite queue is a file beside the instance, nothing to ping."""
import redis
from flask import current_app


def checks() -> dict:
    url = current_app.config.get("CERTIFICATES_REDIS_URL")
    return {"certificates_queue": lambda: _ping(url)} if url else {}


def _ping(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        return bool(client.ping())
    finally:
        client.close()
