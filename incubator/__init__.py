"""社区治理学院 · the incubator platform core.

Plugins import from here: `from incubator import hookimpl`.
"""
import os

from .hookspecs import hookimpl

# The core's first migration; a plugin's first revision names it in `depends_on`.
CORE_BASE_REVISION = "0001_core"


def instance_path() -> str:
    """The instance folder (configuration, secret key, SQLite file, uploads): $INCUBATOR_INSTANCE_PATH,
    else ./instance."""
    return os.path.abspath(os.environ.get("INCUBATOR_INSTANCE_PATH", "instance"))


def create_app(overrides: dict | None = None):
    """Build the Flask application (see incubator.app)."""
    from .app import create_app as _create_app
    return _create_app(overrides)


__all__ = ["hookimpl", "create_app", "instance_path", "CORE_BASE_REVISION"]
