"""Pages: my supervision (per role), an organization's supervision, log entries, reports, settings."""
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from incubator.errors import DomainError
from incubator.exports import xlsx_response
from incubator.extensions import db
from incubator.forms import attempt, flash_errors, show_domain_error
from incubator.organizations.models import Organization
from incubator.permissions import can, require
from incubator.plugins import enabled_parks, park_for, record_for, require_enabled, visible_parks
from incubator.users.models import User

from . import services
from .forms import AssignForm, ContactForm, DisputeForm, EndAssignmentForm, LogForm, SettingsForm
from .models import FollowUpAction, MentorAssignment, SupervisionLog

PLUGIN = "mentoring"
bp = Blueprint("mentoring", __name__, url_prefix="/mentoring", template_folder="templates")


def _org(org_id: int, action: str = "mentoring.view") -> Organization:
    return record_for(PLUGIN, Organization, org_id, action)


def _log(log_id: int, action: str = "mentoring.view") -> SupervisionLog:
    return record_for(PLUGIN, SupervisionLog, log_id, action, park_id=lambda record: record.organization.park_id)




@bp.route("")
@login_required
def index():
    require("mentoring.view")
    user = current_user._get_current_object()
    page_no = request.args.get("page", 1, type=int)
    if user.role in ("admin", "manager"):
        parks = visible_parks(current_user, PLUGIN)
        park_ids = [p.id for p in parks]
        stmt = services.logs_query().join(Organization, Organization.id == SupervisionLog.organization_id) \
            .where(Organization.park_id.in_(park_ids or [-1]))
        return render_template("mentoring/index_manager.html", parks=parks,
                               page=db.paginate(stmt, page=page_no, per_page=20, error_out=False),
                               overdue=services.open_actions(park_ids=park_ids, overdue_only=True, limit=20),
                               overdue_total=services.count_overdue(park_ids), today=date.today())
    if user.role == "expert":
        enabled = [p.id for p in enabled_parks(PLUGIN)]
        mine = db.session.scalars(select(MentorAssignment).where(MentorAssignment.expert_id == user.id)
                                  .join(Organization).where(Organization.park_id.in_(enabled or [-1]))
                                  .options(joinedload(MentorAssignment.organization))
                                  .order_by(MentorAssignment.starts_on.desc())).all()
        org_ids = [a.organization_id for a in mine]
        stmt = services.logs_query(expert_id=user.id).join(
            Organization, Organization.id == SupervisionLog.organization_id).where(
            Organization.park_id.in_(enabled or [-1]))
        report = services.hours_report(park_ids=None, year=date.today().year, expert_id=user.id)
        return render_template("mentoring/index_expert.html", assignments=mine, today=date.today(),
                               page=db.paginate(stmt, page=page_no, per_page=20, error_out=False),
                               actions=services.open_actions(org_ids), report=report)
    # The organization's contact person.
    org = db.session.get(Organization, user.organization_id) or abort(404)
    require_enabled(PLUGIN, org.park_id)
    require("mentoring.view", org)
    stmt = services.logs_query(org.id)
    return render_template("mentoring/index_contact.html", org=org, today=date.today(),
                           page=db.paginate(stmt, page=page_no, per_page=20, error_out=False),
                           actions=services.open_actions([org.id]), dispute_form=DisputeForm())


@bp.route("/orgs/<int:org_id>")
@login_required
def org_page(org_id):
    org = _org(org_id)
    stmt = services.logs_query(org.id)
    assign_form = AssignForm()
    assign_form.expert.choices = _expert_choices()
    return render_template("mentoring/org.html", org=org, s=services.summary(org), today=date.today(),
                           page=db.paginate(stmt, per_page=20, error_out=False),
                           assignments=services.assignments(org.id), contacts=services.contacts(org.id),
                           assign_form=assign_form, contact_form=ContactForm(), end_form=EndAssignmentForm(),
                           may_assign=can("mentoring.assign", org),
                           may_log=current_user.role == "expert" and can("mentoring.log", org))


def _expert_choices():
    return [(u.username, f"{u.display_name}({u.username})") for u in db.session.scalars(
        select(User).where(User.role == "expert", User.active.is_(True)).order_by(User.username))]


@bp.route("/orgs/<int:org_id>/assignments", methods=["POST"])
@login_required
def assign(org_id):
    org = _org(org_id, "mentoring.assign")
    form = AssignForm()
    form.expert.choices = _expert_choices()
    if form.validate_on_submit():
        try:
            expert = services.find_expert(form.expert.data)
            services.assign(org, expert, form.starts_on.data, form.ends_on.data, note=form.note.data,
                            user=current_user)
            flash(_("已指派 %(name)s", name=expert.display_name), "success")
        except DomainError as exc:
            flash(exc.message, "danger")
    else:
        flash_errors(form)
    return redirect(url_for(".org_page", org_id=org.id))


@bp.route("/assignments/<int:assignment_id>/end", methods=["POST"])
@login_required
def end_assignment(assignment_id):
    assignment = db.session.get(MentorAssignment, assignment_id) or abort(404)
    org = _org(assignment.organization_id, "mentoring.assign")
    form = EndAssignmentForm()
    if form.validate_on_submit():
        attempt(lambda: services.end_assignment(assignment, form.ends_on.data, user=current_user), _("已结束指派"))
    else:
        flash_errors(form)
    return redirect(url_for(".org_page", org_id=org.id))


@bp.route("/orgs/<int:org_id>/contacts", methods=["POST"])
@login_required
def link_contact(org_id):
    org = _org(org_id, "mentoring.assign")
    form = ContactForm()
    if form.validate_on_submit():
        try:
            person = services.link_contact(org, form.username.data, user=current_user)
            flash(_("已将 %(name)s 关联为组织联系人", name=person.display_name), "success")
        except DomainError as exc:
            flash(exc.message, "danger")
    else:
        flash_errors(form)
    return redirect(url_for(".org_page", org_id=org.id))


@bp.route("/orgs/<int:org_id>/contacts/<int:user_id>/unlink", methods=["POST"])
@login_required
def unlink_contact(org_id, user_id):
    org = _org(org_id, "mentoring.assign")
    person = db.session.get(User, user_id) or abort(404)
    attempt(lambda: services.unlink_contact(org, person, user=current_user),  # CSRF: checked app-wide
            _("已解除 %(name)s 的联系人关联", name=person.display_name))
    return redirect(url_for(".org_page", org_id=org.id))


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
            log = services.create_log(org, form.data_for_service(), user=current_user, amends=amends)
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
    return render_template("mentoring/log.html", log=log, org=log.organization, today=date.today(),
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
            services.update_log(log, form.data_for_service(), user=current_user)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            flash(_("已保存修改"), "success")
            return redirect(url_for(".log_page", log_id=log.id))
    return render_template("mentoring/log_form.html", form=form, org=log.organization, log=log, amends=None)


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
    action = db.session.get(FollowUpAction, action_id) or abort(404)
    _log(action.log_id, "mentoring.act")
    attempt(lambda: services.mark_done(action, user=current_user), _("已标记完成"))
    return redirect(request.form.get("next") if _safe_next(request.form.get("next"))
                    else url_for(".log_page", log_id=action.log_id))


def _safe_next(target) -> bool:
    return bool(target) and target.startswith("/") and not target.startswith("//")


@bp.route("/reports")
@login_required
def report():
    require("mentoring.report")
    parks = visible_parks(current_user, PLUGIN)
    code = request.args.get("park", "")
    chosen = [p for p in parks if p.code == code] if code else parks
    if code and not chosen:
        abort(404)
    year = request.args.get("year", date.today().year, type=int)
    month = request.args.get("month", 0, type=int) or None
    if not 2000 <= year <= 2100 or (month is not None and not 1 <= month <= 12):
        abort(400)
    data = services.hours_report(park_ids=[p.id for p in chosen], year=year, month=month)
    if request.args.get("format") == "xlsx":
        sheets = services.report_sheets(data)
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
        form.topics.data = "\n".join(current.topics)
    if form.validate_on_submit():
        try:
            services.save_settings(park, graduation_veto=form.graduation_veto.data,
                                   min_confirmed_sessions=form.min_confirmed_sessions.data,
                                   topics=services.parse_topics(form.topics.data), user=current_user)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            flash(_("已保存督导设置"), "success")
            return redirect(url_for(".settings", code=park.code))
    return render_template("mentoring/settings.html", park=park, form=form, current=current)
