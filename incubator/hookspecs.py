"""The hook specification: the public API between the core and its plugins.

Every hook is called with keyword arguments; an implementation names only the ones it needs
(pluggy passes just those), so adding an argument later breaks no plugin. `docs/plugins.md`
documents each hook with its signature and an example; tests/test_hook_contract.py fails when a
hook here is undocumented or untested.

Hooks that take a `park` or `org` are called only on plugins enabled for that park
(see `incubator.plugins.hooks_for`).
"""
import pluggy

PROJECT = "incubator"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def incubator_load(app):
    """Called once per application at start-up, after the core is set up.

    Register blueprints (page routes), template filters and globals, static folders, config
    defaults. Returns nothing. A plugin whose `incubator_load` raises is unregistered and reported.
    """


@hookspec
def incubator_api_blueprints():
    """Return a list of `flask_smorest.Blueprint` objects to mount under /api/v1.

    Their routes and schemas appear in the generated OpenAPI document at /api/openapi.json and use
    the core's JSON error format and bearer-token authentication (`incubator.api.auth.token_required`).
    """


@hookspec
def incubator_nav_items(user):
    """Return menu entries for `user` (an authenticated `User` or an anonymous user).

    Each entry is an `incubator.ui.NavItem(label, url, order=100)`. Called only on plugins enabled
    for at least one park the user can see (every park for admins and the public).
    """


@hookspec
def incubator_org_panels(org, user):
    """Return panels for the organization page of `org`, as seen by `user`.

    Each is an `incubator.ui.Panel(title, html, order=100)`; `html` must be Markup that the plugin
    rendered (with `render_template`, so that output is escaped). Called only on plugins enabled for
    the organization's park. Check your own permissions: return nothing the user may not see.
    """


@hookspec
def incubator_dashboard_widgets(parks, user):
    """Return dashboard widgets for the `parks` (list of `Park`) the dashboard shows to `user`.

    Each is an `incubator.ui.Widget(title, html, order=100)`. Called only on plugins enabled for at
    least one of those parks.
    """


@hookspec
def incubator_profile_panels(user):
    """Return panels for `user`'s own page (/me): a trainee's courses, hours, certificates, points.

    Each is an `incubator.ui.Panel(title, html, order=100)`.
    """


@hookspec
def incubator_todos(user):
    """Return the open to-dos (待办) of `user`: what waits for them, where to do it, when it is due.

    Each is an `incubator.ui.Todo(label, url, due=None, count=1, order=100)`. They are listed on the
    user's landing page and counted in the menu. Called on every plugin for experts, trainees and
    organization contacts, and on plugins enabled for a manager's parks for a manager; keep it to a
    few bounded queries (it runs on every page the user opens).
    """


@hookspec(firstresult=True)
def incubator_home_url(user):
    """Return the address of `user`'s landing page after login, or None to leave it to others.

    The core sends managers and administrators to the dashboard and organization contacts to
    their organization's portal before asking plugins; a plugin answers for the roles it serves
    (the academy for trainees: 我的学习; mentoring for experts: 我的督导). The first answer wins.
    """


@hookspec
def incubator_transition_check(org, from_stage, to_stage, user):
    """Before `org` moves from `from_stage` to `to_stage` on behalf of `user`.

    Return a list of human-readable reasons to refuse the move (empty or None: no objection). Any
    non-empty list from any plugin blocks the move; all reasons are shown and returned by the API.
    Called only on plugins enabled for the organization's park.
    """


@hookspec
def incubator_transition_done(org, transition):
    """After a stage change of `org` has been committed; `transition` is the stored `Transition`.

    For follow-ups (issue a certificate, send a notice). Runs in a fresh transaction of its own:
    commit what you write. An exception here is logged and does not undo the committed move.
    """


@hookspec
def incubator_permissions():
    """Return the actions a plugin adds, as a list of `(action, description)` pairs.

    They are listed for the administrator; deciding them is `incubator_permission`'s job.
    """


@hookspec
def incubator_permission(user, action, resource):
    """Decide whether `user` may do `action` (e.g. "org.view") on `resource` (a record or None).

    Return True (allow), False (deny) or None (no opinion). Any False denies; otherwise any True
    allows; with no True the action is denied. The core's own rules answer through this same hook.
    """


@hookspec
def incubator_cli(cli):
    """Add click commands or groups to the `incubator` console script; `cli` is its click group."""


@hookspec
def incubator_seed_demo(session, size):
    """Add demo data with the SQLAlchemy `session` after the core's demo network exists.

    `size` is the number of organizations asked for (`incubator demo --orgs N`); scale to it or
    ignore it. Look up parks and users by code and username. Be idempotent (skip what exists). The
    caller commits afterwards; seeding through your own services, which commit, is fine too.
    """


@hookspec
def incubator_migration_dirs():
    """Return a list of directories with this plugin's Alembic revisions (its own branch).

    The first revision of a branch sets `branch_labels = ("<plugin>",)` and
    `depends_on = "core"` so it runs after the core tables exist.
    """
