"""A plugin that implements every core hook and records each call (tests/test_hooks.py)."""
import click
from markupsafe import Markup

from incubator import hookimpl
from incubator.ui import NavItem, Panel, Widget

CALLS: list[tuple[str, dict]] = []


def _seen(name, **kwargs):
    CALLS.append((name, kwargs))


@hookimpl
def incubator_load(app):
    _seen("incubator_load", app=app)

    @app.route("/probe")
    def probe_page():
        return "probe page"


@hookimpl
def incubator_api_blueprints():
    from flask_smorest import Blueprint
    blp = Blueprint("api_probe", __name__, url_prefix="/probe")

    @blp.route("/ping")
    @blp.response(200)
    def ping():
        """Probe ping."""
        return {"pong": True}
    return [blp]


@hookimpl
def incubator_nav_items(user):
    _seen("incubator_nav_items", user=user)
    return [NavItem("探针菜单", "/probe", order=999)]


@hookimpl
def incubator_org_panels(org, user):
    _seen("incubator_org_panels", org=org, user=user)
    return [Panel("探针面板", Markup("<b>probe panel for {}</b>").format(org.name))]


@hookimpl
def incubator_dashboard_widgets(parks, user):
    _seen("incubator_dashboard_widgets", parks=parks, user=user)
    return [Widget("探针挂件", Markup("<i>{} parks</i>").format(len(parks)))]


@hookimpl
def incubator_profile_panels(user):
    _seen("incubator_profile_panels", user=user)
    return [Panel("探针个人面板", Markup("hello {}").format(user.username))]


@hookimpl
def incubator_transition_check(org, from_stage, to_stage, user):
    _seen("incubator_transition_check", org=org, from_stage=from_stage, to_stage=to_stage)
    if org.name.startswith("VETO"):
        return ["探针否决"]


@hookimpl
def incubator_transition_done(org, transition):
    _seen("incubator_transition_done", org_id=org.id, transition_id=transition.id,
          to_stage=transition.to_stage)
    if org.name.startswith("BOOM"):
        raise RuntimeError("follow-up failed")


@hookimpl
def incubator_permissions():
    return [("probe.poke", "探针操作")]


@hookimpl
def incubator_permission(user, action, resource):
    if action == "probe.poke":
        return getattr(user, "is_authenticated", False) and user.role == "expert" or None
    if action == "org.edit" and getattr(resource, "name", "").startswith("LOCKED"):
        return False  # a plugin can veto a core action


@hookimpl
def incubator_cli(cli):
    @cli.command("probe-hello")
    def probe_hello():
        click.echo("hello from the probe")


@hookimpl
def incubator_seed_demo(session, size):
    _seen("incubator_seed_demo", session=session, size=size)


@hookimpl
def incubator_migration_dirs():
    return []
