"""Configuration from INCUBATOR_* environment variables, an instance config file, and defaults."""
import math
import os
import secrets
from pathlib import Path

ENV_PREFIX = "INCUBATOR_"
MB = 1024 * 1024


def normalize_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given in their common short forms."""
    for short in ("postgres://", "postgresql://"):
        if url.startswith(short):
            return "postgresql+psycopg://" + url[len(short):]
    return url


def _secret_key(instance_path: Path) -> str:
    """The key from the environment, or one generated once and kept in instance/."""
    if os.environ.get(ENV_PREFIX + "SECRET_KEY"):
        return os.environ[ENV_PREFIX + "SECRET_KEY"]
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def upload_limit(megabytes: str, name: str = "MAX_UPLOAD_MB") -> int:
    """INCUBATOR_MAX_UPLOAD_MB (or `name`: e.g. "10" or "2.5") in bytes; a clear error for anything else."""
    try:
        value = float(megabytes)
    except ValueError:
        value = 0
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{ENV_PREFIX}{name} must be a positive number of megabytes, not {megabytes!r}")
    return int(value * MB)


def load_config(app, overrides: dict | None = None) -> None:
    instance_path = Path(app.instance_path)
    instance_path.mkdir(parents=True, exist_ok=True)
    env = os.environ
    app.config.from_mapping(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance_path / 'incubator.db'}",
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        PLUGINS_DIR=None,
        DISABLED_PLUGINS=[],
        INCUBATION_YEARS=2,
        PER_PAGE=20,
        MAIL_URL=None,  # smtp://user:password@host:587?starttls=1 (notifications by e-mail)
        MAIL_FROM=None,
        QUEUE_URL=None,  # redis://… for the task queue; an SQLite file in the instance folder otherwise
        # Notices on a channel that fails are tried again after these delays (seconds), then failed.
        NOTIFY_RETRY_DELAYS=(60, 300, 1800, 7200),
        NOTIFY_LEASE_SECONDS=120,
        # The public address printed on certificates and in mail (https://xueyuan.example.gov.cn/);
        # issuing outside debug refuses to guess it from a request's Host header.
        BASE_URL=None,
        BABEL_DEFAULT_LOCALE="zh",
        BABEL_DEFAULT_TIMEZONE="Asia/Shanghai",
        LANGUAGES={"zh": "中文", "en": "English"},
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_HEADERS_ENABLED=True,
        # Storage (Redis) unreachable: count in this process's memory meanwhile (Flask-Limiter logs a
        # warning, and goes back to Redis when it answers), and never fail a request over a limit.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_SWALLOW_ERRORS=True,
        LOGIN_RATE_LIMIT="10 per minute",  # per address
        LOGIN_ACCOUNT_RATE_LIMIT="10 per 15 minutes",  # failed logins per account, from any address
        APPLY_RATE_LIMIT="5 per hour",
        STATUS_RATE_LIMIT="10 per hour",  # 申请进度查询, per address
        API_TOKEN_DAYS=30,
        API_TOKEN_USE_PRECISION=300,  # seconds: a token's "last used" is written at most this often
        # Request sizes: any request body (uploads included), and the token endpoint's small JSON.
        MAX_CONTENT_LENGTH=10 * MB,
        API_TOKEN_MAX_BODY=4 * 1024,
        # Evidence files (incubator.files): where their content is kept, and the largest one accepted.
        FILES_DIR=str(instance_path / "files"),
        FILES_MAX_MB=10,
        BOOTSTRAP_SERVE_LOCAL=True,  # government networks: no CDN
        WTF_CSRF_TIME_LIMIT=None,
        # flask-smorest: the OpenAPI document is generated from the API code.
        API_TITLE="社区治理学院 Incubator API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
    )
    app.config.from_pyfile("config.py", silent=True)
    if env.get(ENV_PREFIX + "DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = env[ENV_PREFIX + "DATABASE_URL"]
    if env.get(ENV_PREFIX + "PLUGINS_DIR"):
        app.config["PLUGINS_DIR"] = env[ENV_PREFIX + "PLUGINS_DIR"]
    if env.get(ENV_PREFIX + "DISABLED_PLUGINS"):
        app.config["DISABLED_PLUGINS"] = _split(env[ENV_PREFIX + "DISABLED_PLUGINS"])
    if env.get(ENV_PREFIX + "RATELIMIT_STORAGE_URL"):
        app.config["RATELIMIT_STORAGE_URI"] = env[ENV_PREFIX + "RATELIMIT_STORAGE_URL"]
    if env.get(ENV_PREFIX + "TRACE_PLUGINS") in ("1", "true", "yes"):  # log every hook call (debugging)
        app.config["TRACE_PLUGINS"] = True
    if env.get(ENV_PREFIX + "BASE_URL"):
        app.config["BASE_URL"] = env[ENV_PREFIX + "BASE_URL"]
    for key in ("MAIL_URL", "MAIL_FROM", "QUEUE_URL"):  # notifications' SMTP; the task queue's Redis
        if env.get(ENV_PREFIX + key):
            app.config[key] = env[ENV_PREFIX + key]
    if not app.config.get("QUEUE_URL") and env.get(ENV_PREFIX + "REDIS_URL"):
        app.config["QUEUE_URL"] = env[ENV_PREFIX + "REDIS_URL"]
    if env.get(ENV_PREFIX + "MAX_UPLOAD_MB"):
        app.config["MAX_CONTENT_LENGTH"] = upload_limit(env[ENV_PREFIX + "MAX_UPLOAD_MB"])
    if env.get(ENV_PREFIX + "FILES_DIR"):
        app.config["FILES_DIR"] = env[ENV_PREFIX + "FILES_DIR"]
    if env.get(ENV_PREFIX + "FILES_MAX_MB"):
        app.config["FILES_MAX_MB"] = upload_limit(env[ENV_PREFIX + "FILES_MAX_MB"], "FILES_MAX_MB") / MB
    if env.get(ENV_PREFIX + "SECURE_COOKIES") in ("1", "true", "yes"):  # behind HTTPS
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    app.config.update(overrides or {})
    app.config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if str(app.config["RATELIMIT_STORAGE_URI"]).startswith(("redis://", "rediss://")):
        # A Redis that does not answer must not hold up a login (or /healthz) for the OS's TCP timeout.
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 2, "socket_timeout": 2})
    if isinstance(app.config["DISABLED_PLUGINS"], str):
        app.config["DISABLED_PLUGINS"] = _split(app.config["DISABLED_PLUGINS"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(instance_path)
