"""Flask extensions, created unbound here and bound in the app factory."""
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints let Alembic alter and drop them on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class LazyMigrate:
    """Flask-Migrate, imported on first use: it imports Alembic (0.3 s), which only the `db` commands
    and migrations need, not `incubator --help` nor a server's start.

    `init_app` leaves a stand-in in `app.extensions["migrate"]`; the first attribute read from it
    initialises Flask-Migrate for that app, which puts its own `_MigrateConfig` there.
    """

    def __init__(self):
        self.configure_callbacks = []
        self._migrate = None

    def configure(self, callback):
        self.configure_callbacks.append(callback)
        return callback

    def init_app(self, app, db, **options):
        app.extensions["migrate"] = _PendingMigrateConfig(self, app, db, options)

    def flask_migrate(self):
        if self._migrate is None:
            from flask_migrate import Migrate
            self._migrate = Migrate()
            self._migrate.configure_callbacks = self.configure_callbacks
        return self._migrate


class _PendingMigrateConfig:
    def __init__(self, lazy: LazyMigrate, app, db, options: dict):
        self._lazy, self._app, self._db, self._options = lazy, app, db, options
        self._config = None

    def __getattr__(self, name):
        if self._config is None:
            self._lazy.flask_migrate().init_app(self._app, self._db, **self._options)
            self._config = self._app.extensions["migrate"]
        return getattr(self._config, name)


db = SQLAlchemy(model_class=Base)
migrate = LazyMigrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
bootstrap = Bootstrap5()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
