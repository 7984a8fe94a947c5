"""The hook specification: the public API between the core and its plugins.

Every hook is called with keyword arguments; an implementation names only the ones it needs
(pluggy passes just those), so adding an argument later breaks no plugin. Each hook's docstring is
its documentation: docs/hooks.md is generated from these (and the plugins' hookspecs) by
`incubator hooks docs`, and tests/test_hook_contract.py fails when that file is stale or a hook has
no test named for it.

Hooks that take a `park` or `org` are called only on plugins enabled for that park
(see `incubator.plugins.hooks_for`).
"""
import pluggy

PROJECT = "incubator"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def incubator_load(app):
    """Called once per application at start-up, after the core is set up. Register template filters
    and globals, config defaults. A plugin package's `views.bp` is registered for it by convention
    (incubator/plugins/conventions.py): write this hook only for what is the plugin's own. If it
    raises, the plugin is unregistered and reported; the platform still starts.

    ```python
    @hookimpl
    def incubator_load(app):
        from .services import points_label
        app.jinja_env.filters["passport_points"] = points_label
        app.config.setdefault("PASSPORT_POINTS_PER_HALF_HOUR", 1)
    ```
    """


@hookspec
def incubator_api_blueprints():
    """Return a list of `flask_smorest.Blueprint` objects; each is mounted under `/api/v1` + its
    `url_prefix`, appears in the OpenAPI document at `/api/openapi.json`, is exempt from CSRF (it uses
    bearer tokens only) and answers errors as `{"errors": [...]}`. A plugin package's
    `api.blueprints` list is returned for it by convention; write the hook only to decide at start-up.

    ```python
    # plugins/passport/api.py — no hook code needed
    blp = Blueprint("api_passport", __name__, url_prefix="/passport")
    blueprints = [blp]
    ```
    """


@hookspec
def incubator_nav_items(user):
    """Return menu entries (`incubator.ui.NavItem(label, url, order=100)`) for `user` (authenticated or
    anonymous). Called only on plugins enabled for at least one park the user sees.

    ```python
    @hookimpl
    def incubator_nav_items(user):
        if user.is_authenticated and can("checklist.view", user=user):
            return [NavItem("材料清单", url_for("checklist.overview"), order=50)]
    ```
    """


@hookspec
def incubator_org_panels(org, user):
    """Return `incubator.ui.Panel(title, html, order=100)` fragments for the organization page of `org`
    as seen by `user`. Called only on plugins enabled for the organization's park. Check your own
    permissions: return nothing the user may not see. `html` must be `Markup` you rendered.

    ```python
    @hookimpl
    def incubator_org_panels(org, user):
        if can("org.view", org, user=user):
            html = render_template("checklist/panel.html", org=org)
            return [Panel("材料清单", Markup(html), order=20)]
    ```
    """


@hookspec
def incubator_dashboard_widgets(parks, user):
    """Return `incubator.ui.Widget(title, html, order=100)` fragments for the dashboard showing `parks`
    (a list of `Park`; DESIGN.md named one park — a manager of several parks, and the administrator,
    see several at once, so the hook takes the list). Called only on plugins enabled for at least one
    of them; filter your figures with `is_enabled(name, park)`.

    ```python
    @hookimpl
    def incubator_dashboard_widgets(parks, user):
        rows = services.missing_by_org([p.id for p in parks if is_enabled("checklist", p)])
        return [Widget("缺少出壳材料", Markup(render_template("checklist/widget.html", rows=rows)))]
    ```
    """


@hookspec
def incubator_profile_panels(user):
    """Return `Panel`s for the user's own page `/me`: a trainee's courses and hours, certificates,
    volunteer points.

    ```python
    @hookimpl
    def incubator_profile_panels(user):
        certs = services.certificates_of(user)
        if certs:
            return [Panel("我的证书", Markup(render_template("certificates/mine.html", certs=certs)))]
    ```
    """


@hookspec
def incubator_todos(user):
    """Return the user's open to-dos (待办) as `incubator.ui.Todo(label, url, due=None, count=1,
    order=100, more=False)`: supervision logs waiting for an organization's signature, follow-up
    actions due, a class tomorrow. The core lists them on the user's landing page (the `todo_list`
    macro in `macros.html`, fed by the template global `todos()`) and counts them in the menu
    (`todo_badge()`), so keep it to one or two bounded queries. What grows with the district (the
    organizations due soon) is counted up to a cap and shown as "99+": count with
    `incubator.database.count_at_most(stmt, TODO_COUNT_CAP)` and pass `**Todo.capped(n)`. The
    answers are kept per user until the next commit that writes anything (incubator/home.py).
    Called on every plugin for experts, trainees and contacts, and on plugins enabled for a
    manager's parks for a manager. A plugin failing here loses its to-dos, not the page.

    ```python
    @hookimpl
    def incubator_todos(user):
        if user.role == "expert":
            counts = todo_counts.expert_todo_counts(user)  # one grouped query
            if counts["pending"]:
                return [Todo("督导记录待组织确认", url_for("mentoring.index", status="pending"),
                             count=counts["pending"])]
    ```
    """


@hookspec(firstresult=True)
def incubator_home_url(user):
    """`firstresult`: the address `user` lands on after logging in, or `None`. The core answers first
    for managers and administrators (the dashboard) and for organization contacts (their portal); a
    plugin answers for the people it serves and returns `None` for everyone else. A landing page
    shows `{{ todo_list(todos()) }}`.

    ```python
    @hookimpl
    def incubator_home_url(user):
        if user.role == "expert":
            return url_for("mentoring.index")
    ```
    """


@hookspec
def incubator_transition_check(org, from_stage, to_stage, user):
    """Before `org` moves from `from_stage` to `to_stage`. Return a list of reasons to refuse (empty or
    `None`: no objection). Any non-empty list from any plugin blocks the move; every reason is shown on
    the page and returned by the API with status 409. Called only on plugins enabled for the
    organization's park.

    ```python
    @hookimpl
    def incubator_transition_check(org, from_stage, to_stage, user):
        if to_stage == "graduated" and services.missing(org.id):
            return ["出壳前须提交：登记证书或备案证明"]
    ```
    """


@hookspec
def incubator_transition_done(org, transition):
    """After a stage change of `org` has been committed; `transition` is the stored `Transition` (with
    `from_stage`, `to_stage`, `user_id`, `note`, `created_at`). For follow-ups: issue a certificate,
    note something in the audit log. Commit what you write. An exception is logged and does not undo
    the move.

    ```python
    @hookimpl
    def incubator_transition_done(org, transition):
        if transition.to_stage == "graduated":
            services.issue_graduation_certificate(org)
    ```
    """


@hookspec
def incubator_organizations_merging(kept, gone, user):
    """While `user` (an administrator) merges the duplicate `gone` into `kept` (合并重复组织), inside
    the merge's transaction, before the core points every row with a foreign key to `gone` at `kept`.
    Settle here what would break one of your unique rules once both organizations' rows belong to
    `kept` (one row per organization and kind, per round …): drop or fold `gone`'s duplicate row.
    Rows you leave are moved by the core; a rule still broken refuses the merge, and raising a
    `DomainError` refuses it with your message. Called on every loaded plugin (records exist whatever
    the plugin's enablement). Do not commit. Return `{label: rows folded}` for the merge's record
    (e.g. `{"材料": 2}`), or None.

    ```python
    @hookimpl
    def incubator_organizations_merging(kept, gone, user):
        kinds = select(Badge.kind).where(Badge.organization_id == kept.id)
        folded = db.session.execute(delete(Badge).where(Badge.organization_id == gone.id,
                                                        Badge.kind.in_(kinds))).rowcount
        return {"徽章": folded} if folded else None
    ```
    """


@hookspec
def incubator_permissions():
    """Return the actions the plugin adds, as `(action, description)` pairs (`incubator.permissions.
    all_actions()` lists them). Deciding them is `incubator_permission`'s job. A plugin package's
    `permissions.ACTIONS` is returned for it by convention.

    ```python
    # plugins/checklist/permissions.py — no hook code needed
    ACTIONS = [("checklist.view", "查看材料清单"), ("checklist.record", "登记收到的材料")]
    ```
    """


@hookspec
def incubator_permission(user, action, resource):
    """Decide whether `user` may do `action` on `resource` (a record, a `Park`, or `None` for "in
    general"). Return `True` (allow), `False` (deny) or `None` (no opinion). Any `False` denies;
    otherwise any `True` allows; with no `True` the action is denied. The core's own rules answer
    through this same hook (admins may do everything; managers act on organizations of their own
    parks), so a plugin can both grant its own actions and veto core ones. A plugin package's
    `permissions.decide(user, action, resource)` answers for it by convention. The park of any
    resource is `incubator.permissions.park_id_of(resource)` (a `Park` is its own).

    ```python
    # plugins/checklist/permissions.py
    def decide(user, action, resource):
        if action == "checklist.record" and user.is_authenticated and user.role == "manager":
            return True if park_id_of(resource) in user.park_ids else None
    ```
    """


@hookspec
def incubator_cli(cli):
    """Add click commands or groups to the `incubator` console script; `cli` is the application's click
    group (`app.cli`). Use `flask.cli.with_appcontext` for commands that touch the database.

    ```python
    @hookimpl
    def incubator_cli(cli):
        from .cli import checklist_group        # incubator checklist missing --park fangxing
        cli.add_command(checklist_group)
    ```
    """


@hookspec
def incubator_figures(scope):
    """Return your figures (`incubator.figures.Figure`) for `scope` (`incubator.figures.Scope`:
    `years`, ascending, the last being the report's year; `park_ids`, None for the whole district)
    — what the district reports upward (the annual report `/reports`, its Excel and PDF, the targets'
    progress, the public showcase, `GET /api/v1/reports/figures`). Count by the day things happened
    (`Scope.start(year)`, `Scope.end(year)`), only in `scope.park_ids`; give `by_year` for every
    year of the scope, and for the report's year `by_park` ({park id: value}, which targets are
    measured against) and `breakdowns` ({"园区": {name: value}, "类别": …}) where you have them.
    Keep the number of queries independent of the number of records (group in SQL). Called for
    plugins enabled in at least one of the parks counted. What you return is kept until the next
    commit that writes anything (or 5 minutes; `incubator.figures.collect`), so count only what
    the database holds; with `scope.progress_only` (the dashboard's targets card) only the report's
    year is read, and figures no target can be set on may be left out.

    ```python
    @hookimpl
    def incubator_figures(scope):
        year = extract("year", Session.held_on)
        rows = db.session.execute(select(year, Session.park_id, func.count())
                                  .where(Session.held_on.between(scope.first_day, scope.last_day))
                                  .group_by(year, Session.park_id)).all()
        figure = Figure("mentoring.sessions", "督导", "次", "督导", by_year=dict.fromkeys(scope.years, 0))
        for y, park_id, n in rows:
            figure.by_year[int(y)] += n
            if int(y) == scope.year:
                figure.by_park[park_id] = n
        return [figure]
    ```
    """


@hookspec
def incubator_importers():
    """Return importers (`incubator.imports.base.Importer` instances) for the records you keep, so a
    district can bring its spreadsheets in: the page `/imports/<kind>` and the command
    `incubator import <kind> FILE` drive each the same way — read the `.xlsx` / `.csv` (UTF-8 or GBK),
    `check` every row without writing (row-level problems naming the row and the column's Chinese
    header; matches with existing records), show the plan, then `write` it in one transaction. Name
    the columns with `incubator.imports.columns.Column` (header, key, parser); say who may import
    into which parks with `may_import(user)` and `parks_for(user)` (user None: the command line).

    ```python
    @hookimpl
    def incubator_importers():
        from .importing import TraineeImporter
        return [TraineeImporter()]
    ```
    """


@hookspec
def incubator_seed_demo(session, size):
    """Add demo data with the SQLAlchemy `session` after the core's demo network, accounts and
    organizations exist (`incubator demo --orgs N`; `size` is N). Look up parks and users by code and
    username. Be idempotent (skip when your data is there) and quick at `size=10000`. The caller
    commits afterwards; going through your own services (which commit) is fine too.

    ```python
    @hookimpl
    def incubator_seed_demo(session, size):
        if session.scalar(select(func.count()).select_from(ChecklistDocument)):
            return
        session.execute(insert(ChecklistDocument), rows)
    ```
    """


@hookspec
def incubator_migration_dirs():
    """Return a list of directories holding the plugin's Alembic revisions (its own branch; the first
    revision has `branch_labels = ("<name>",)` and `depends_on = "0001_core"`). A plugin package's
    `migrations/` folder is returned for it by convention; write the hook only for revisions kept
    elsewhere. The revisions are recorded in the plugin's own version table,
    `alembic_version_<plugin>` (incubator/schema_versions.py).

    ```python
    @hookimpl
    def incubator_migration_dirs():
        return [str(Path(__file__).parent / "schema")]
    ```
    """


@hookspec
def incubator_health_checks():
    """Return the dependencies the plugin needs, as `{name: check}`: `check` takes no arguments and is
    called in the request's application context by `GET /healthz`; it returns when the dependency
    answers and raises (or returns `False`) when it does not. `/healthz` answers 200 with
    `{"status": "ok", name: "ok", …}` when every check passes, and 503 with `"down": [names]` (and the
    exception's type for each) otherwise. The core answers through this same hook (`database`;
    `ratelimit` and `queue` when the rate-limit storage or the task queue is on Redis). Keep checks
    quick: one ping with a timeout of a second or two. Return `None` or `{}` when there is nothing to
    check. A plugin whose hook raises is reported down under its own name.

    ```python
    @hookimpl
    def incubator_health_checks():
        url = current_app.config.get("SEARCH_REDIS_URL")
        return {"search_index": lambda: redis.Redis.from_url(url, socket_timeout=2).ping()} if url else {}
    ```
    """


@hookspec
def incubator_tasks():
    """Return the plugin's background work for the platform's queue (`incubator.queue`): a list of
    `Task(name, function, retries=0, retry_delay=30)` (run when someone calls
    `incubator.queue.enqueue(name, *args)`, or `enqueue_after_commit` inside a `transaction()`) and
    `Periodic(name, function, schedule)` (run by `incubator worker` on a `huey.crontab` schedule, in
    UTC). Functions run inside an application context; arguments are JSON-like (ids, not records).
    Names are global: prefix them with the plugin's name.

    ```python
    from huey import crontab
    from incubator.queue import Periodic, Task

    @hookimpl
    def incubator_tasks():
        return [Task("certificates.batch", jobs.run_batch, retries=3),
                Periodic("certificates.recover", recover, crontab(minute="*"))]
    ```
    """


@hookspec
def incubator_worker_started():
    """Called once in `incubator worker`, in its application context, before it takes tasks: the place
    to resume what a killed worker left (re-queue leased jobs, settle half-written files). Commit what
    you write; an exception leaves this plugin out of the worker, not the worker."""


@hookspec
def incubator_notification_kinds():
    """Return the kinds of notice the plugin sends, as `incubator.notifications.Kind(key, label,
    channels=("email",), optional=True, roles=(), park_group=False)`: `channels` are the channels a
    recipient gets it on until they choose (the inbox always), `optional=False` means it cannot be
    turned off, `roles` the roles whose /me page offers the choice (empty: everyone),
    `park_group=True` also posts it to the park's group channels (企业微信). Keys are global:
    prefix them with the plugin's name.

    ```python
    @hookimpl
    def incubator_notification_kinds():
        return [Kind("baogong.notice", _l("包公街道通知"), channels=("email", "sms"))]
    ```
    """


@hookspec
def incubator_notification_channels():
    """Return the channels the plugin delivers notices through: objects with `key`, `label`,
    `audience` (`"user"`: sent to each recipient at `address(user)`; `"park"`: posted once per notice to
    the park's group at `address(park)`), `address(target) -> str | None` (None: this recipient or park
    cannot be reached this way, nothing is queued) and `send(message)`, which raises to report a
    failure (the notice is retried with back-off, then shown as failed to the administrator).
    `message` is an `incubator.notifications.Outgoing`: `subject`, `text`, `html`, `url` (absolute),
    `address`, `kind`, `locale`. `send` runs in the queue worker, never in the request.

    ```python
    class Pager:
        key, label, audience = "pager", "寻呼机", "user"
        def address(self, user):
            return user.phone or None
        def send(self, message):
            requests.post(PAGER_URL, json={"to": message.address, "text": message.subject}, timeout=10).raise_for_status()

    @hookimpl
    def incubator_notification_channels():
        return [Pager()]
    ```
    """


@hookspec
def incubator_reminders(on):
    """Return the reminders due on `on` (the district's date): a list of
    `incubator.notifications.Reminder(recipients, kind, subject, body, link, key, park=None)`.
    The worker asks every hour; `key` names the occasion (e.g. `f"due30:{org.id}:{org.incubation_due}"`)
    and each recipient gets each occasion once, however often it is asked, by however many workers.
    Called for every loaded plugin, whatever its enablement: return reminders only for the parks the
    plugin is enabled for (`incubator.plugins.enabled_park_ids`, or `is_enabled(NAME, park)`).

    ```python
    @hookimpl
    def incubator_reminders(on):
        due = on + timedelta(days=1)
        return [Reminder(seated(s), "enrolment.class_tomorrow", msg("明天上课：%(title)s", title=s.title),
                         "", url_for("enrolment.offering", offering_id=s.offering_id), f"class:{s.id}")
                for s in sessions_on(due)]
    ```
    """


@hookspec
def incubator_file_access(user, stored_file):
    """Decide whether `user` may read `stored_file` (an `incubator.files.models.StoredFile`, served at
    `/files/<id>`). Return `True` (allow), `False` (deny) or `None` (not yours: look at
    `stored_file.owner_type` and answer only for your own records). As with `incubator_permission`,
    any `False` denies and otherwise any `True` allows; with no `True` the file is a 404 for everyone,
    administrators included, so that nobody learns it exists. Only plugins enabled for the file's park
    (`stored_file.park_id`) are asked. Attach a file with `incubator.files.services.store(upload,
    owner_type=..., owner_id=..., park_id=..., user=...)` inside the write that records its owner.

    ```python
    @hookimpl
    def incubator_file_access(user, stored_file):
        if stored_file.owner_type != "checklist_document":
            return None
        doc = db.session.get(ChecklistDocument, stored_file.owner_id)
        org = doc and db.session.get(Organization, doc.organization_id)
        return True if org and can("checklist.view", org, user=user) else None
    ```
    """
