"""公益微创投 · A street micro-grant round: applications, expert scoring, grants in tranches.

Enabled for 万年埠街道 until the administrator decides otherwise; usable by any park.
Each hook hands on to the modules beside it.
"""
from pathlib import Path

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup

from incubator import hookimpl
from incubator.ui import NavItem, Panel, Widget

INCUBATOR_DEFAULT_PARKS = ["wannianbu"]
PLUGIN = "microgrant"


@hookimpl
def incubator_load(app):
    from .services import yuan
    from .views import bp
    app.register_blueprint(bp)
    app.jinja_env.filters["microgrant_yuan"] = yuan


@hookimpl
def incubator_api_blueprints():
    from .api import blp
    return [blp]


@hookimpl
def incubator_migration_dirs():
    return [str(Path(__file__).parent / "migrations")]


@hookimpl
def incubator_permissions():
    from .permissions import ACTIONS
    return ACTIONS


@hookimpl
def incubator_permission(user, action, resource):
    from .permissions import decide
    return decide(user, action, resource)


@hookimpl
def incubator_nav_items(user):
    from .permissions import has_anything
    if has_anything(user):
        return [NavItem(_("公益微创投"), url_for("microgrant.index"), order=65)]


@hookimpl
def incubator_dashboard_widgets(parks, user):
    from .views import dashboard_widget
    html = dashboard_widget(parks, user)
    if html:
        return [Widget(_("公益微创投"), Markup(html), order=65)]


@hookimpl
def incubator_org_panels(org, user):
    """The organization's micro-grant projects, for those who may see them."""
    from .views import org_panel
    html = org_panel(org, user)
    if html:
        return [Panel(_("公益微创投项目"), Markup(html), order=65)]


@hookimpl
def incubator_cli(cli):
    from .cli import microgrant_group
    cli.add_command(microgrant_group)


@hookimpl
def incubator_seed_demo(session, size):
    from .demo import seed
    seed(session)
