"""A plugin package's pages, API, permissions and migrations are found by name (plugins/conventions.py):
its `__init__.py` keeps only what is its own."""
import ast
import textwrap

from incubator.permissions import all_actions, can, park_id_of
from incubator.plugins import registry

from .helpers import logged_in

# A street's plugin as a package, with no hook code for its pages, API or permission rules.
STREET_PACKAGE = {
    "__init__": textwrap.dedent('''
        """社区议事厅 · a street's plugin as a package."""
        INCUBATOR_DEFAULT_PARKS = ["fangxing"]
        PLUGIN = "yishi"
    '''),
    "views": textwrap.dedent('''
        from flask import Blueprint
        from incubator.plugins import park_for

        from . import PLUGIN

        bp = Blueprint("yishi", __name__, url_prefix="/yishi")


        @bp.route("/<code>")
        def hall(code):
            park_for(PLUGIN, code, "yishi.view")
            return "议事厅：" + code
    '''),
    "api": textwrap.dedent('''
        from flask_smorest import Blueprint

        blp = Blueprint("api_yishi", __name__, url_prefix="/yishi", description="议事厅")


        @blp.route("/ping")
        def ping():
            return {"ok": True}


        blueprints = [blp]
    '''),
    "permissions": textwrap.dedent('''
        from incubator.permissions import park_id_of

        ACTIONS = [("yishi.view", "查看社区议事厅")]


        def decide(user, action, resource):
            if action == "yishi.view" and getattr(user, "role", None) == "manager":
                return True if park_id_of(resource) in user.park_ids else None
            return None
    '''),
}


def test_a_package_plugin_gets_pages_api_and_permissions_by_convention(build_app, parks):
    street = build_app({"yishi": STREET_PACKAGE})
    info = street.extensions["incubator_plugins"].infos["yishi"]
    assert info.loaded and info.error is None and info.source.startswith("package ")
    assert {"incubator_load", "incubator_api_blueprints", "incubator_permissions",
            "incubator_permission"} <= set(info.hooks)

    manager = logged_in(street, "fangxing-mgr")
    assert manager.get("/yishi/fangxing").get_data(as_text=True) == "议事厅：fangxing"
    assert manager.get("/yishi/changqing").status_code == 404  # the plugin is off there
    assert logged_in(street, "changqing-mgr").get("/yishi/fangxing").status_code == 403
    assert "/api/v1/yishi/ping" in manager.get("/api/openapi.json").get_json()["paths"]
    with street.app_context():
        assert ("yishi.view", "查看社区议事厅") in all_actions()


NOTICES_AND_TASKS = {
    "notices": textwrap.dedent('''
        from incubator.notifications import Kind, Reminder

        KINDS = [Kind("yishi.meeting", "议事会提醒", channels=())]


        def reminders(on):
            from incubator.extensions import db
            from incubator.users.models import User
            admin = db.session.scalar(db.select(User).where(User.username == "admin"))
            return [Reminder([admin], "yishi.meeting", "明天议事会", key=f"yishi:{on.isoformat()}")]
    '''),
    "tasks": textwrap.dedent('''
        from incubator.queue import Task

        TASKS = [Task("yishi.tally", lambda: None)]
    '''),
}


def test_a_package_plugins_notices_and_tasks_are_found_by_name(build_app):
    street = build_app({"yishi": dict(STREET_PACKAGE, **NOTICES_AND_TASKS)})
    info = street.extensions["incubator_plugins"].infos["yishi"]
    assert {"incubator_notification_kinds", "incubator_reminders", "incubator_tasks"} <= set(info.hooks)
    with street.test_request_context():
        from incubator import queue
        from incubator.dates import today
        from incubator.notifications.registry import kinds
        from incubator.notifications.reminders import send_reminders
        assert kinds()["yishi.meeting"].label == "议事会提醒"
        assert send_reminders(today()) == 1 and send_reminders(today()) == 0
        assert "yishi.tally" in queue.build(street, immediate=True).incubator_tasks


def test_a_plugins_own_hook_wins_over_the_convention(build_app):
    own = dict(STREET_PACKAGE, __init__=STREET_PACKAGE["__init__"] + textwrap.dedent('''
        from incubator import hookimpl


        @hookimpl
        def incubator_permissions():
            return [("yishi.view", "查看议事厅（自己声明）")]
    '''))
    street = build_app({"yishi": own})
    with street.app_context():
        listed = dict(a for result in registry().hook.incubator_permissions() for a in result or [])
    assert listed["yishi.view"] == "查看议事厅（自己声明）"


def test_a_broken_conventional_module_leaves_out_the_plugin_not_the_platform(build_app):
    broken = dict(STREET_PACKAGE, permissions="ACTIONS = [\n")
    platform = build_app({"yishi": broken})
    info = platform.extensions["incubator_plugins"].infos["yishi"]
    assert not info.loaded and "SyntaxError" in info.error
    assert logged_in(platform).get("/parks").status_code == 200
    assert logged_in(platform).get("/yishi/fangxing").status_code == 404


def test_park_id_of_gives_a_parks_own_id_and_a_records_park(parks, make_org):
    org = make_org(park="changqing")
    assert park_id_of(parks["fangxing"]) == parks["fangxing"].id
    assert park_id_of(org) == parks["changqing"].id
    assert park_id_of(None) is None


def test_every_first_party_rule_takes_a_park_as_its_resource(app, ctx, parks, users):
    """Each plugin's permission rule answers for a Park (two crashed on one before the shared rule)."""
    actions = [action for result in registry().hook.incubator_permissions() for action, _label in result or []]
    answers = {(action, username): can(action, parks["fangxing"], user=users[username])
               for action in actions for username in ("fangxing-mgr", "changqing-mgr", "expert-li")}
    allowed = {action for (action, username), yes in answers.items() if yes and username == "fangxing-mgr"}
    assert {"org.view", "checklist.view", "academy.manage"} <= allowed
    scoped = {"org.view", "org.edit", "checklist.record", "academy.manage", "assessment.settings",
              "certificate.issue", "mentoring.assign", "microgrant.manage", "passport.manage"}
    assert scoped & set(actions) == scoped
    assert not any(answers[(action, "changqing-mgr")] for action in scoped)


def _modules(pattern: str):
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    return [(path, ast.parse(path.read_text(encoding="utf-8")))
            for path in sorted(root.glob(pattern)) if "tests" not in path.parts]


def test_api_modules_never_import_views():
    """An API handler shares services with the pages, never the pages' module."""
    offenders = [str(path) for path, tree in _modules("plugins/*/api.py") + _modules("incubator/api/*.py")
                 for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                 and (node.module or "").split(".")[-1] == "views"]
    assert offenders == []


def test_services_never_abort():
    """Services raise domain errors (incubator.errors: ValidationError, Conflict, NotFound); the page
    or the API answers them."""
    offenders = [f"{path}:{node.lineno}" for path, tree in _modules("plugins/*/services.py")
                 + _modules("incubator/*/services.py") for node in ast.walk(tree)
                 if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "abort"]
    assert offenders == []
