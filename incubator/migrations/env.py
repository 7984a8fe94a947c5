"""Alembic environment for Flask-Migrate: one metadata (core and plugins), one connection, and the version
table of the tree being run (incubator.schema_versions: the core's, or one plugin's)."""
import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from incubator.schema_versions import CORE_TABLE, include_name

config = context.config
if config.config_file_name is not None and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

db = current_app.extensions["migrate"].db
version_table = config.attributes.get("version_table", CORE_TABLE)


def run_migrations_offline():
    context.configure(url=str(db.engine.url).replace("%", "%%"), target_metadata=db.metadata,
                      literal_binds=True, render_as_batch=True, version_table=version_table,
                      include_name=include_name)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    conf_args = current_app.extensions["migrate"].configure_args

    def process_revision_directives(context_, revision, directives):
        # Don't write an empty revision when autogenerate finds nothing.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []

    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("include_name", include_name)
    with db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=db.metadata, version_table=version_table,
                          **conf_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
