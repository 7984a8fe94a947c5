"""Pages: my supervision (per role), an organization's supervision, log entries, reports, settings."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from incubator.dates import show_date, today
from incubator.errors import DomainError
from incubator.exports import xlsx_response
from incubator.extensions import db
from incubator.forms import attempt, flash_errors, show_domain_error
from incubator.organizations.models import Organization
from incubator.permissions import can, require
from incubator.plugins import enabled_park_ids, park_for, record_for, require_enabled, visible_parks
from incubator.users.models import User

from . import PLUGIN, assigning, reporting, services, todo_counts
from .forms import AssignForm, AttachForm, DisputeForm, EndAssignmentForm, LogForm, SettingsForm
from .models import STATUSES, FollowUpAction, MentorAssignment, SupervisionLog, expert_profiles

bp = Blueprint("mentoring", __name__, url_prefix="/mentoring", template_folder="templates")


def _org(org_id: int, action: str = "mentoring.view") -> Organization:
    return record_for(PLUGIN, Organization, org_id, action)


def _log(log_id: int, action: str = "mentoring.view") -> SupervisionLog:
    return record_for(PLUGIN, SupervisionLog, log_id, action)


def _safe_next(target) -> bool:
    return bool(target) and target.startswith("/") and not target.startswith("//") and "\\" not in target


def _back(default: str) -> str:
    """Where a form posted from another page (the organization page's panel) returns to."""
    target = request.form.get("next")
    return target if _safe_next(target) else default


@bp.route("")
@login_required
def index():
    """我的督导: the manager's, the expert's (their landing page) or the contact's view."""
    require("mentoring.view")
    user = current_user._get_current_object()
    page_no = request.args.get("page", 1, type=int)
    status = request.args.get("status", "")
    status = status if status in STATUSES else ""
    if user.role in ("admin", "manager"):
        parks = visible_parks(current_user, PLUGIN)
        park_ids = [p.id for p in parks]
        stmt = services.logs_query(status=status).join(
            Organization, Organization.id == SupervisionLog.organization_id).where(
            Organization.park_id.in_(park_ids or [-1]))
        return render_template("mentoring/index_manager.html", parks=parks, status=status,
                               page=db.paginate(stmt, page=page_no, per_page=20, error_out=False),
                               overdue=services.open_actions(park_ids=park_ids, overdue_only=True, limit=20),
                               overdue_total=services.count_overdue(park_ids), today=today())
    if user.role == "expert":
        enabled = enabled_park_ids(PLUGIN)
        mine = db.session.scalars(select(MentorAssignment).where(MentorAssignment.expert_id == user.id)
                                  .join(Organization).where(Organization.park_id.in_(enabled or [-1]))
                                  .options(joinedload(MentorAssignment.organization))
                                  .order_by(MentorAssignment.starts_on.desc())).all()
        org_ids = [a.organization_id for a in mine]
        stmt = services.logs_query(expert_id=user.id, status=status).join(
            Organization, Organization.id == SupervisionLog.organization_id).where(
            Organization.park_id.in_(enabled or [-1]))
        report = reporting.hours_report(park_ids=None, year=today().year, expert_id=user.id)
        return render_template("mentoring/index_expert.html", assignments=mine, today=today(), status=status,
                               page=db.paginate(stmt, page=page_no, per_page=20, error_out=False),
                               actions=services.open_actions(org_ids), report=report)
    # The organization's contact person.
    org = db.session.get(Organization, user.organization_id) or abort(404)
    require_enabled(PLUGIN, org.park_id)
    require("mentoring.view", org)
    stmt = services.logs_query(org.id)
    return render_template("mentoring/index_contact.html", org=org, today=today(),
                           pending=services.pending_for_contact(org.id),
                           page=db.paginate(stmt, page=page_no, per_page=20, error_out=False),
                           actions=services.open_actions([org.id]))


@bp.route("/orgs/<int:org_id>")
@login_required
def org_page(org_id):
    org = _org(org_id)
    stmt = services.logs_query(org.id)
    assign_form = AssignForm(prefix="assign")
    assign_form.expert.choices = expert_choices()
    assignments = assigning.assignments(org.id)
    return render_template("mentoring/org.html", org=org, s=services.summary(org), today=today(),
                           page=db.paginate(stmt, per_page=20, error_out=False),
                           assignments=assignments, contacts=services.contacts(org.id),
                           profiles=expert_profiles(a.expert_id for a in assignments),
                           assign_form=assign_form, end_form=EndAssignmentForm(),
                           may_assign=can("mentoring.assign", org),
                           may_assign_new=can("mentoring.assign", org) and org.stage not in assigning.FINAL_STAGES,
                           may_log=current_user.role == "expert" and can("mentoring.log", org))


def expert_choices():
    """The expert accounts a manager may assign (a district has a few dozen at most), each with their
    field, institution and title where the profile has them; none chosen at first."""
    experts = db.session.scalars(
        select(User).where(User.role == "expert", User.active.is_(True)).order_by(User.username).limit(500)).all()
    profiles = expert_profiles(u.id for u in experts)

    def label(u):
        about = profiles[u.id].summary if u.id in profiles else ""
        return f"{u.display_name}（{u.username}）" + (f" · {about}" if about else "")
    return [("", _("请选择……"))] + [(u.username, label(u)) for u in experts]


@bp.route("/orgs/<int:org_id>/assignments", methods=["POST"])
@login_required
def assign(org_id):
    org = _org(org_id, "mentoring.assign")
    form = AssignForm(prefix="assign")
    if form.validate_on_submit():
        try:
            expert = assigning.find_expert(form.expert.data)
            assigning.assign(org, expert, form.starts_on.data, form.ends_on.data, note=form.note.data,
                            user=current_user)
            flash(_("已指派 %(name)s，自 %(day)s 起", name=expert.display_name, day=show_date(form.starts_on.data)),
                  "success")
        except DomainError as exc:
            flash(exc.message, "danger")
    else:
        flash_errors(form)
    return redirect(_back(url_for(".org_page", org_id=org.id)))


@bp.route("/assignments/<int:assignment_id>/end", methods=["POST"])
@login_required
def end_assignment(assignment_id):
    assignment = record_for(PLUGIN, MentorAssignment, assignment_id)
    org = _org(assignment.organization_id, "mentoring.assign")
    form = EndAssignmentForm()
    if form.validate_on_submit():
        attempt(lambda: assigning.end_assignment(assignment, form.ends_on.data, user=current_user),
                _("已结束 %(name)s 的指派", name=assignment.expert.display_name))
    else:
        flash_errors(form)
    return redirect(_back(url_for(".org_page", org_id=org.id)))


def _log_form(org, log=None) -> LogForm:
    form = LogForm(obj=log) if log is not None and request.method == "GET" else LogForm()
    form.topics.choices = [(t, t) for t in services.settings_for(org.park_id).topics]
    if log is not None and request.method == "GET":
        open_actions = [a for a in log.actions if a.done_at is None]
        while len(form.actions) > 0:
            form.actions.pop_entry()
        for action in open_actions + [None] * max(0, 3 - len(open_actions)):
            form.actions.append_entry(action)
    return form


@bp.route("/orgs/<int:org_id>/logs/new", methods=["GET", "POST"])
@login_required
def new_log(org_id):
    org = _org(org_id, "mentoring.log")
    amends = None
    if request.args.get("amends"):
        amends = db.session.get(SupervisionLog, request.args.get("amends", type=int) or 0)
        if amends is None or amends.organization_id != org.id:
            abort(404)
    form = _log_form(org, amends) if amends is not None and request.method == "GET" else _log_form(org)
    if amends is not None and request.method == "GET":
        form.findings.data = amends.findings
        form.advice.data = amends.advice
    if form.validate_on_submit():
        try:
            log = services.create_log(org, form.data_for_service(), user=current_user, amends=amends,
                                      attachments=form.file.data)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            flash(_("督导记录已保存，等待组织联系人签字确认"), "success")
            return redirect(url_for(".log_page", log_id=log.id))
    return render_template("mentoring/log_form.html", form=form, org=org, log=None, amends=amends)


@bp.route("/logs/<int:log_id>")
@login_required
def log_page(log_id):
    log = _log(log_id)
    return render_template("mentoring/log.html", log=log, org=log.organization, today=today(),
                           files=services.files_of_log(log.id), attach_form=AttachForm(),
                           may_attach=log.expert_id == current_user.id and can("mentoring.log", log),
                           dispute_form=DisputeForm(), amendments=db.session.scalars(
                               select(SupervisionLog).where(SupervisionLog.amends_id == log.id)
                               .order_by(SupervisionLog.id)).all(),
                           may_confirm=can("mentoring.confirm", log) and log.status != "confirmed",
                           may_edit=log.expert_id == current_user.id and log.status != "confirmed",
                           may_amend=(log.expert_id == current_user.id or can("mentoring.log", log))
                           and current_user.role == "expert" and log.status == "confirmed"
                           and services.open_amendment(log.id) is None,
                           may_act=can("mentoring.act", log))


@bp.route("/logs/<int:log_id>/edit", methods=["GET", "POST"])
@login_required
def edit_log(log_id):
    log = _log(log_id, "mentoring.log")
    if log.expert_id != current_user.id:
        abort(403)
    if log.status == "confirmed":
        flash(_("已签字确认的记录不能修改，请提交补充更正"), "warning")
        return redirect(url_for(".log_page", log_id=log.id))
    form = _log_form(log.organization, log)
    if form.validate_on_submit():
        try:
            services.update_log(log, form.data_for_service(), user=current_user, attachments=form.file.data)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            flash(_("已保存修改"), "success")
            return redirect(url_for(".log_page", log_id=log.id))
    return render_template("mentoring/log_form.html", form=form, org=log.organization, log=log, amends=None)


@bp.route("/logs/<int:log_id>/files", methods=["POST"])
@login_required
def attach(log_id):
    """The author adds photos or sign-in sheets from the log's page."""
    log = _log(log_id, "mentoring.log")
    form = AttachForm()
    if form.validate_on_submit():
        attempt(lambda: services.attach_files(log, form.file.data, user=current_user), _("已上传附件"))
    else:
        flash_errors(form)
    return redirect(url_for(".log_page", log_id=log.id))


@bp.route("/logs/<int:log_id>/withdraw", methods=["POST"])
@login_required
def withdraw(log_id):
    log = _log(log_id, "mentoring.log")
    org_id = log.organization_id
    try:  # CSRF is checked app-wide by CSRFProtect
        services.withdraw(log, user=current_user)
    except DomainError as exc:
        flash(exc.message, "danger")
        return redirect(url_for(".log_page", log_id=log.id))
    flash(_("已撤回该督导记录"), "success")
    return redirect(url_for(".org_page", org_id=org_id))


@bp.route("/logs/<int:log_id>/confirm", methods=["POST"])
@login_required
def confirm(log_id):
    log = _log(log_id, "mentoring.confirm")
    attempt(lambda: services.confirm(log, user=current_user), _("已签字确认"))  # CSRF: checked app-wide
    return redirect(url_for(".log_page", log_id=log.id))


@bp.route("/logs/<int:log_id>/dispute", methods=["POST"])
@login_required
def dispute(log_id):
    log = _log(log_id, "mentoring.confirm")
    form = DisputeForm()
    if form.validate_on_submit():
        attempt(lambda: services.dispute(log, form.comment.data, user=current_user),
                _("已提出异议，专家修改后会再请您确认"))
    else:
        flash_errors(form)
    return redirect(url_for(".log_page", log_id=log.id))


@bp.route("/actions/<int:action_id>/done", methods=["POST"])
@login_required
def action_done(action_id):
    action = record_for(PLUGIN, FollowUpAction, action_id)
    _log(action.log_id, "mentoring.act")
    attempt(lambda: services.mark_done(action, user=current_user), _("已标记完成"))
    return redirect(_back(url_for(".log_page", log_id=action.log_id)))


@bp.route("/reports")
@login_required
def report():
    require("mentoring.report")
    parks = visible_parks(current_user, PLUGIN)
    code = request.args.get("park", "")
    chosen = [p for p in parks if p.code == code] if code else parks
    if code and not chosen:
        abort(404)
    year = request.args.get("year", today().year, type=int)
    month = request.args.get("month", 0, type=int) or None
    if not 2000 <= year <= 2100 or (month is not None and not 1 <= month <= 12):
        abort(400)
    data = reporting.hours_report(park_ids=[p.id for p in chosen], year=year, month=month)
    if request.args.get("format") == "xlsx":
        sheets = reporting.report_sheets(data)
        first = next(iter(sheets))
        header, rows = sheets.pop(first)
        period = f"{year}" + (f"-{month:02d}" if month else "")
        return xlsx_response(f"督导时长_{code or '全部园区'}_{period}.xlsx", header, rows, sheet=first,
                             extra_sheets=sheets)
    return render_template("mentoring/report.html", data=data, parks=parks, code=code, year=year, month=month)


@bp.route("/settings/<code>", methods=["GET", "POST"])
@login_required
def settings(code):
    park = park_for(PLUGIN, code, "mentoring.settings")
    current = services.settings_for(park.id)
    form = SettingsForm()
    if request.method == "GET":
        form.graduation_veto.data = current.graduation_veto
        form.min_confirmed_sessions.data = current.min_confirmed_sessions
        form.min_gap_days.data = current.min_gap_days
        form.topics.data = "\n".join(current.topics)
    if form.validate_on_submit():
        try:
            services.save_settings(park, graduation_veto=form.graduation_veto.data,
                                   min_confirmed_sessions=form.min_confirmed_sessions.data,
                                   min_gap_days=form.min_gap_days.data or services.DEFAULT_MIN_GAP_DAYS,
                                   topics=services.parse_topics(form.topics.data), user=current_user)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            flash(_("已保存督导设置"), "success")
            return redirect(url_for(".settings", code=park.code))
    return render_template("mentoring/settings.html", park=park, form=form, current=current)


# -- fragments for the core's pages: the organization panel, the to-dos ----------------------

def org_panel(org, user) -> str | None:
    """The 督导记录 panel of the organization page (and of the organization's portal).

    Everyone who may see the organization's supervision sees its figures, its experts and latest
    entries; managers (and the administrator) also assign an expert and end an assignment there;
    the organization's contact sees the entries waiting for their signature with a link to each.
    """
    if not can("mentoring.view", org, user=user):
        return None
    may_assign = can("mentoring.assign", org, user=user)
    assign_form = None
    if may_assign and org.stage not in assigning.FINAL_STAGES:
        assign_form = AssignForm(prefix="assign", formdata=None)
        assign_form.expert.choices = expert_choices()
    is_contact = services.is_contact(user, org.id)
    assignments = assigning.assignments(org.id)
    day = today()
    # An assignment ending today has ended for the page; a session held today may still be written up
    # from the expert's own pages (the service accepts dates up to and including the last day).
    running = [a for a in assignments if a.starts_on <= day and (a.ends_on is None or a.ends_on > day)]
    return render_template("mentoring/panel.html", org=org, s=services.summary(org), today=day,
                           assignments=assignments[:10], may_assign=may_assign,
                           profiles=expert_profiles(a.expert_id for a in assignments[:10]),
                           assign_form=assign_form, is_contact=is_contact,
                           pending=services.pending_for_contact(org.id, limit=10) if is_contact else [],
                           may_log=user.role == "expert" and any(a.expert_id == user.id for a in running))


def todos_for(user) -> list:
    """The user's mentoring to-dos: an expert's entries awaiting signature or disputed and follow-ups
    due; a contact's entries to sign and the organization's follow-ups due; disputed entries in a
    manager's parks. Two queries at most."""
    from incubator.ui import Todo
    if not getattr(user, "is_authenticated", False):
        return []
    items = []
    if user.role == "expert":
        counts = todo_counts.expert_todo_counts(user)
        if counts["pending"]:
            items.append(Todo(_("督导记录待组织确认"), url_for("mentoring.index", status="pending"),
                              count=counts["pending"], order=30))
        if counts["disputed"]:
            url = (url_for("mentoring.log_page", log_id=counts["first_disputed"]) if counts["disputed"] == 1
                   else url_for("mentoring.index", status="disputed"))
            items.append(Todo(_("有异议的督导记录待修改"), url, count=counts["disputed"], order=31))
        if counts["actions_due"]:
            items.append(Todo(_("督导跟进事项即将到期或已逾期"), url_for("mentoring.index") + "#actions",
                              due=counts["first_due"], count=counts["actions_due"], order=32))
    elif user.role in ("admin", "manager"):
        park_ids = None if user.role == "admin" else user.park_ids
        disputed = todo_counts.disputed_in_parks(park_ids)
        if disputed:
            items.append(Todo(_("有异议的督导记录"), url_for("mentoring.index", status="disputed"),
                              count=disputed, order=40))
    elif services.is_contact(user, user.organization_id):
        counts = todo_counts.contact_todo_counts(user)
        if counts["pending"]:
            url = (url_for("mentoring.log_page", log_id=counts["first_pending"]) if counts["pending"] == 1
                   else url_for("mentoring.index"))
            items.append(Todo(_("督导记录待确认"), url, count=counts["pending"], order=20))
        if counts["actions_due"]:
            items.append(Todo(_("督导跟进事项待完成"), url_for("mentoring.index") + "#actions",
                              due=counts["first_due"], count=counts["actions_due"], order=21))
    return items
