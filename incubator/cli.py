"""The `incubator` console script: a Flask CLI group with the core's commands.

Plugins add theirs through the `incubator_cli` hook (called with `app.cli`).

Running a command builds the app (Flask's `FlaskGroup`). Listing them (`incubator --help`, shell
completion) does not: building it imports every view, model and API module of the core and the
plugins (seconds), where the list needs only the commands themselves (see `command_catalog`).
"""
import logging
import os
import traceback

import click
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from .serve import serve_command

log = logging.getLogger(__name__)


class IncubatorGroup(FlaskGroup):
    def __init__(self, **kwargs):
        super().__init__(create_app=_create_app, **kwargs)
        # Our own `db` group replaces Flask-Migrate's: plugins keep Alembic branches, so the
        # default target is "heads", not "head".
        self._loaded_plugin_commands = True
        self.add_command(db_group)
        self.add_command(serve_command)  # builds its own app, once, in gunicorn's master

    def list_commands(self, ctx):
        return sorted(command_catalog(self).commands)

    def format_commands(self, ctx, formatter):
        command_catalog(self).format_commands(ctx, formatter)


def _create_app():
    from . import create_app
    return create_app()


def command_catalog(group: click.Group) -> click.Group:
    """Every command `incubator` runs, as the app would hold them, without building it: Flask-Smorest's
    `openapi`, the plugins' (`incubator_cli`), the core's, then the group's own (`db`, `serve`,
    Flask's `run`, `shell`, `routes`), each later one winning a name as it does when the app is built."""
    catalog = AppGroup()
    try:
        from flask_smorest.spec import openapi_cli
        catalog.add_command(openapi_cli)
        call_plugin_cli_hooks(catalog)
        add_core_commands(catalog)
    except Exception:  # e.g. a bad setting: say why and list the rest, as FlaskGroup does when the app fails
        click.secho(f"{traceback.format_exc()}\n", err=True, fg="red")
    for name, command in group.commands.items():
        catalog.add_command(command, name)
    return catalog


def call_plugin_cli_hooks(cli: click.Group) -> None:
    """Each plugin's `incubator_cli(cli)`, with the plugins `create_app` would load (entry points and
    INCUBATOR_PLUGINS_DIR, less INCUBATOR_DISABLED_PLUGINS), importing only the plugins' own modules:
    not their views, API, tasks or migrations, and no database. A plugin that fails to import, or whose
    hook raises, is left out, as `create_app` leaves it out (and logs why)."""
    from flask import Flask

    from . import instance_path
    from .config import load_config
    from .plugins import PluginRegistry
    app = Flask(__name__, instance_path=instance_path(), instance_relative_config=True)
    load_config(app)
    registry = PluginRegistry(app)
    disabled = set(app.config["DISABLED_PLUGINS"])
    found = registry._from_entry_points() + registry._from_directory(app.config.get("PLUGINS_DIR"))
    for info, load in found:
        if info.name in disabled or registry.pm.has_plugin(info.name):
            continue
        try:
            registry.pm.register(load(), name=info.name)
        except Exception:  # broken: create_app says why
            log.debug("plugin %s left out of the command list", info.name, exc_info=True)
    for impl in reversed(registry.pm.hook.incubator_cli.get_hookimpls()):  # in create_app's order
        try:
            impl.function(cli=cli)
        except Exception:
            log.debug("incubator_cli of %s failed", impl.plugin_name, exc_info=True)


@click.group("db", help="Database migrations (Alembic): the core's tree and each plugin's, each with its own "
                        "version table.")
def db_group():
    pass


@db_group.command("upgrade")
@click.argument("revision", default="heads")
@with_appcontext
def db_upgrade(revision):
    """Upgrade to REVISION (default: every tree's head, the core first; else the tree holding REVISION)."""
    from . import schema_versions
    schema_versions.upgrade(revision)


@db_group.command("downgrade")
@click.argument("revision", default="base")
@with_appcontext
def db_downgrade(revision):
    """Downgrade to REVISION (default: base, i.e. drop every table), e.g. checklist@base or 0002_enrolment."""
    from . import schema_versions
    schema_versions.downgrade(revision)


@db_group.command("current")
@with_appcontext
def db_current():
    """Show each tree's current revision, and what plugins that are not loaded left behind."""
    from . import schema_versions
    click.echo("\n".join(schema_versions.current()))


@db_group.command("heads")
@with_appcontext
def db_heads():
    """Show the head of each tree."""
    from . import schema_versions
    click.echo("\n".join(schema_versions.heads()))


@db_group.command("history")
@with_appcontext
def db_history():
    from . import schema_versions
    click.echo("\n".join(schema_versions.history()))


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate", is_flag=True)
@click.option("--head", default="core@head", show_default=True, help="branch to add the revision to")
@click.option("--version-path", default=None, help="directory for the new file (a plugin's migrations dir)")
@click.option("--branch-label", default=None, help="label of a new branch (a plugin's first revision)")
@click.option("--depends-on", default=None, help="revision this one needs, e.g. 0001_core")
@click.option("--rev-id", default=None)
@with_appcontext
def db_revision(message, autogenerate, head, version_path, branch_label, depends_on, rev_id):
    """Create a new revision (for developers).

    A plugin's first revision: --head base --branch-label NAME --depends-on 0001_core
    --version-path plugins/NAME/migrations. Later ones: --head NAME@head --version-path ….
    Autogenerate compares against the whole metadata: run it on a database upgraded to
    `heads` and keep only your plugin's tables in the file.
    """
    from . import schema_versions
    schema_versions.revision(message, autogenerate, head, version_path, branch_label, depends_on, rev_id)


def register_core_commands(app) -> None:
    add_core_commands(app.cli)


def add_core_commands(cli: click.Group) -> None:
    from .imports.cli import import_command
    for command in (demo_command, users_group, plugins_group, worker_command, notifications_group, import_command):
        cli.add_command(command)


@click.command("worker")
@click.option("--threads", default=2, show_default=True, help="tasks run at once")
@with_appcontext
def worker_command(threads):
    """The platform's queue worker: notices, reminders, certificate batches (Ctrl-C stops it)."""
    from flask import current_app

    from .queue import run_worker
    url = current_app.config.get("QUEUE_URL")
    click.echo(f"incubator worker: queue {'on Redis ' + url.rpartition('@')[2] if url else 'in instance/queue.db'}, "
               f"{threads} threads")
    run_worker(current_app._get_current_object(), workers=threads)


@click.group("notifications", help="Notices: reminders and deliveries (normally the worker's job).")
def notifications_group():
    pass


@notifications_group.command("remind")
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="the district's date to remind for (default: today)")
@with_appcontext
def notifications_remind(on):
    """Send the reminders due today (or --on DATE): each occasion once, however often it is run."""
    from .notifications.reminders import send_reminders
    click.echo(f"{send_reminders(on.date() if on else None)} reminder(s) sent.")


@notifications_group.command("send-due")
@with_appcontext
def notifications_send_due():
    """Send the deliveries that are due (new, or retries whose delay has passed)."""
    from .notifications.sending import send_due
    click.echo(f"{send_due()} delivered.")


@click.command("demo")
@click.option("--orgs", "size", default=60, show_default=True, help="number of organizations")
@click.option("--transitions", default=None, type=int, help="total transitions (default: about 10 per org)")
@click.option("--password", default=None, help="password for the demo accounts (default: demo12345)")
@with_appcontext
def demo_command(size, transitions, password):
    """Load the demo network, accounts and data (idempotent for the network and accounts)."""
    from .demo import seed
    accounts = seed(size=size, transitions=transitions, password=password)
    click.echo(f"Demo data ready: {size} organizations.")
    click.echo("Demo accounts (username / password / role):")
    for username, pw, role, parks in accounts:
        click.echo(f"  {username:<16} {pw:<12} {role:<8} {parks}")


@click.group("users", help="Manage user accounts.")
def users_group():
    pass


@users_group.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["admin", "manager", "expert", "trainee"]))
@click.option("--park", "park_codes", multiple=True, help="park code (managers; repeatable)")
@click.option("--password", default=None, help="prompted for when not given")
@click.option("--name", default="")
@click.option("--email", default="", help="for notices by e-mail")
@click.option("--phone", default="", help="mobile number (notices by SMS; sign-in by phone)")
@with_appcontext
def users_create(username, role, park_codes, password, name, email, phone):
    """Create USERNAME with ROLE (a manager needs --park)."""
    from .errors import DomainError
    from .parks.services import by_code
    from .users import services
    parks = []
    for code in park_codes:
        park = by_code(code)
        if park is None:
            raise click.BadParameter(f"no park with code {code!r}", param_hint="--park")
        parks.append(park)
    if role == "manager" and not parks:
        raise click.BadParameter("a manager needs at least one --park", param_hint="--park")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create({"username": username, "password": password, "role": role,
                                "name": name, "parks": parks, "email": email, "phone": phone})
    except DomainError as exc:
        raise click.ClickException(exc.message)
    click.echo(f"Created {user.username} ({user.role}{', ' + ', '.join(park_codes) if park_codes else ''}).")


@click.group("plugins", help="Inspect plugins.")
def plugins_group():
    pass


@plugins_group.command("hook-docs")
@with_appcontext
def plugins_hook_docs():
    """Print the hook reference written from the hookspecs' docstrings (> docs/hooks.md)."""
    from .hookdocs import render
    from .plugins import registry
    click.echo(render(registry().pm), nl=False)


@plugins_group.command("list")
@with_appcontext
def plugins_list():
    """Each plugin: where it came from, where it is enabled, or the error that kept it out."""
    from .extensions import db
    from .parks.models import Park
    from .plugins import enablement, registry
    reg = registry()
    state = enablement()
    codes = {p.id: p.code for p in db.session.query(Park)}
    for info in reg.infos.values():
        if info.error:
            status = click.style(f"BROKEN  {info.error}", fg="red")
        elif info.disabled:
            status = click.style("DISABLED by INCUBATOR_DISABLED_PLUGINS", fg="yellow")
        else:
            s = state[info.name]
            where = {"all": "all parks", "none": "no park"}.get(
                s.scope, ", ".join(sorted(codes[i] for i in s.park_ids)) or "no park")
            status = click.style(f"enabled: {where}", fg="green")
        click.echo(f"{info.name:<20} {info.source}\n{'':<20} {status}")


def main():
    os.environ.setdefault("FLASK_APP", "incubator")  # only for Flask's own messages
    IncubatorGroup(help="社区治理学院 · incubator platform").main()
