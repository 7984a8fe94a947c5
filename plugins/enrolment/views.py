"""Pages: the public catalogue, offerings, signing up and enrolling, the trainee's page, and the
managers' and instructors' pages (scheduling, rosters, attendance, sign-in sheets, reports, exports)."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from sqlalchemy import select

from incubator.dates import show_datetime, to_local, to_utc
from incubator.db_types import utcnow
from incubator.errors import DomainError
from incubator.exports import xlsx_response
from incubator.extensions import db, limiter
from incubator.forms import show_domain_error
from incubator.numbers import show_hours
from incubator.parks.models import Park
from incubator.permissions import can, require
from incubator.plugins import enabled_park_ids, is_enabled, record_for, visible_park_ids
from incubator.users.models import User

from . import PLUGIN, completion, reporting, services
from .forms import DecisionForm, EnrolOneForm, ImportForm, OfferingForm, SignupForm, format_sessions
from .imports import find_enrollable
from .models import ATTENDANCE, ATTENDED, SEATED, Course, Enrolment, Offering, Session

bp = Blueprint("enrolment", __name__, url_prefix="/academy", template_folder="templates")


@bp.app_template_filter("local_time")
def local_time(value, fmt="%Y-%m-%d %H:%M"):
    """Stored UTC → Beijing time text (sessions are planned in local time)."""
    return to_local(value).strftime(fmt) if value else ""


@bp.app_template_filter("percent")
def percent(value):
    return f"{value * 100:.0f}%"


def managed_park_ids() -> list[int]:
    """Parks whose offerings the current user manages (and where the academy is enabled)."""
    return visible_park_ids(current_user, PLUGIN)


def load_offering(offering_id: int, action: str | None = None) -> Offering:
    return record_for(PLUGIN, Offering, offering_id, action)


def load_enrolment(enrolment_id: int) -> Enrolment:
    return record_for(PLUGIN, Enrolment, enrolment_id)


def _back(offering):
    return redirect(request.form.get("next") if (request.form.get("next") or "").startswith("/academy/")
                    else url_for(".offering", offering_id=offering.id))


# -- public ----------------------------------------------------------------------------------

@bp.route("/courses")
def catalogue():
    q, category = request.args.get("q", "").strip(), request.args.get("category", "")
    page = db.paginate(services.catalogue_query(q, category), per_page=current_app.config["PER_PAGE"],
                       error_out=False)
    return render_template("enrolment/catalogue.html", page=page, q=q, category=category,
                           categories=services.categories())


@bp.route("/courses/<code>")
def course(code):
    found = services.course_by_code(code)
    if found is None or not found.active:
        abort(404)
    offerings = db.session.scalars(services.offerings_query(enabled_park_ids(PLUGIN), course_id=found.id, upcoming=True)
                                   .limit(20)).all()
    counts = services.counts([o.id for o in offerings])
    prerequisites = db.session.scalars(select(Course).where(Course.code.in_(found.prerequisite_codes or ["-"]))).all()
    return render_template("enrolment/course.html", course=found, offerings=offerings, counts=counts,
                           prerequisites=prerequisites, seats_taken=services.seats_taken)


@bp.route("/offerings/<int:offering_id>")
def offering(offering_id):
    offering = load_offering(offering_id)
    counts = services.counts([offering.id]).get(offering.id, {})
    mine, position = None, None
    if current_user.is_authenticated:
        mine = db.session.scalar(select(Enrolment).where(Enrolment.offering_id == offering.id,
                                                         Enrolment.user_id == current_user.id))
        if mine is not None:
            position = services.waitlist_positions([mine]).get(mine.id)
    html = render_template("enrolment/offering.html", offering=offering, counts=counts, mine=mine, position=position,
                           seats_taken=services.seats_taken(counts), window_open=services.window_open(offering),
                           started=services.has_started(offering), form=DecisionForm(),
                           may_manage=current_user.is_authenticated and can("academy.manage", offering),
                           may_teach=current_user.is_authenticated and can("academy.teach", offering),
                           certificates_at=certificates_at)
    if mine is not None:
        services.mark_promotions_seen([mine])  # after rendering: the page still lists it once
    return html


def _signup_limit():
    return current_app.config.get("ACADEMY_SIGNUP_RATE_LIMIT", "10 per hour")


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_signup_limit, methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for(".my"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = services.signup({"username": form.username.data, "name": form.name.data, "phone": form.phone.data,
                                    "organization": form.organization.data, "password": form.password.data})
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            login_user(user)
            flash(_("注册成功，欢迎加入社区治理学院！"), "success")
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/academy/") else url_for(".catalogue"))
    return render_template("enrolment/signup.html", form=form)


# -- the trainee -----------------------------------------------------------------------------

@bp.route("/offerings/<int:offering_id>/enrol", methods=["POST"])
@login_required
def enrol(offering_id):
    offering = load_offering(offering_id)
    if not DecisionForm().validate_on_submit():
        abort(400)
    try:
        enrolment, position = services.enrol_placed(offering, current_user._get_current_object(), by=current_user)
    except DomainError as exc:
        flash(exc.message, "danger")
    else:
        if enrolment.status == "waitlisted":
            flash(_("班次已满，您已进入候补名单，当前候补第 %(n)s 位。有人取消时将按顺序自动递补。", n=position), "warning")
        elif enrolment.status == "pending":
            flash(_("报名已提交，等待园区管理员审核。"), "info")
        else:
            flash(_("报名成功！"), "success")
    return redirect(url_for(".offering", offering_id=offering.id))


@bp.route("/enrolments/<int:enrolment_id>/cancel", methods=["POST"])
@login_required
def cancel(enrolment_id):
    enrolment = load_enrolment(enrolment_id)
    if enrolment.user_id != current_user.id:
        abort(403)
    if not DecisionForm().validate_on_submit():
        abort(400)
    try:
        services.cancel(enrolment, by=current_user)
        flash(_("已取消报名。"), "info")
    except DomainError as exc:
        flash(exc.message, "danger")
    return _back(enrolment.offering)


@bp.route("/my")
@login_required
def my():
    enrolments = [e for e in services.my_enrolments(current_user) if is_enabled(PLUGIN, e.offering.park_id)]
    positions = services.waitlist_positions(enrolments)
    total, per_year = services.hours_by_year(current_user)
    html = render_template("enrolment/my.html", enrolments=enrolments, positions=positions, total=total,
                           per_year=per_year, attended=ATTENDED, attendance_labels=ATTENDANCE,
                           form=DecisionForm(), now=utcnow(), certificates_at=certificates_at,
                           with_certificates=any(e.status == "completed" and certificates_at(e.offering.park_id)
                                                 for e in enrolments))
    services.mark_promotions_seen(enrolments)  # after rendering: this page's to-dos still name them once
    return html


def certificates_at(park_id) -> bool:
    """Does a completion in this park come with a certificate on /me (the certificates plugin's panel)?

    Only the plugin's name is known here, never its code: its 我的证书 panel on /me is the documented
    place where a trainee's certificates are listed and downloaded.
    """
    return is_enabled("certificates", park_id)


# -- managers: offerings ---------------------------------------------------------------------

def _teaching_scope():
    """(park ids, instructor id): managers and admins see their parks; experts the offerings they teach."""
    if current_user.role in ("admin", "manager"):
        return managed_park_ids(), None
    if current_user.role == "expert":
        return enabled_park_ids(PLUGIN), current_user.id
    abort(403)


@bp.route("/manage")
@login_required
def manage():
    park_ids, instructor_id = _teaching_scope()
    stmt = services.offerings_query(park_ids)
    if instructor_id:
        stmt = stmt.where(Offering.instructor_id == instructor_id)
    page = db.paginate(stmt, per_page=current_app.config["PER_PAGE"], error_out=False)
    counts = services.counts([o.id for o in page.items])
    return render_template("enrolment/manage.html", page=page, counts=counts, seats_taken=services.seats_taken,
                           may_create=can("academy.manage") and bool(park_ids) and instructor_id is None)


def _offering_form(form: OfferingForm, park_ids):
    form.course.choices = [(c.id, _("%(code)s %(title)s（%(hours)s学时）", code=c.code, title=c.title, hours=show_hours(c.hours))) for c in db.session.scalars(
        select(Course).where(Course.active.is_(True)).order_by(Course.code))]
    form.park.choices = [(p.id, p.name) for p in db.session.scalars(
        select(Park).where(Park.id.in_(park_ids or [-1])).order_by(Park.id))]
    form.instructor.choices = [(0, _("（待定）"))] + [(u.id, u.display_name) for u in db.session.scalars(
        select(User).where(User.role == "expert", User.active.is_(True)).order_by(User.name))]


def _offering_data(form: OfferingForm) -> dict:
    return {
        "course": db.session.get(Course, form.course.data), "park": db.session.get(Park, form.park.data),
        "title": form.title.data or "", "venue": form.venue.data, "capacity": form.capacity.data,
        "instructor": db.session.get(User, form.instructor.data) if form.instructor.data else None,
        "enrol_opens_at": to_utc(form.enrol_opens_at.data),
        "enrol_closes_at": to_utc(form.enrol_closes_at.data),
        "requires_approval": form.requires_approval.data, "description": form.description.data or "",
        "sessions": [(to_utc(s), to_utc(e), t) for s, e, t in form.parsed_sessions],
    }


@bp.route("/manage/new", methods=["GET", "POST"])
@login_required
def new_offering():
    require("academy.manage")
    park_ids = managed_park_ids()
    form = OfferingForm()
    _offering_form(form, park_ids)
    if request.method == "GET" and request.args.get("course"):
        found = services.course_by_code(request.args["course"])
        form.course.data = found.id if found else None
    if form.validate_on_submit():
        data = _offering_data(form)
        if not can("academy.manage", data["park"]):
            abort(403)
        try:
            offering = services.create_offering(data, user=current_user)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            flash(_("班次已创建。"), "success")
            return redirect(url_for(".roster", offering_id=offering.id))
    return render_template("enrolment/offering_form.html", form=form, offering=None)


@bp.route("/manage/<int:offering_id>/edit", methods=["GET", "POST"])
@login_required
def edit_offering(offering_id):
    offering = load_offering(offering_id, "academy.manage")
    form = OfferingForm(obj=offering) if request.method == "GET" else OfferingForm()
    _offering_form(form, [offering.park_id])
    if request.method == "GET":
        form.course.data, form.park.data = offering.course_id, offering.park_id
        form.instructor.data = offering.instructor_id or 0
        form.enrol_opens_at.data = to_local(offering.enrol_opens_at)
        form.enrol_closes_at.data = to_local(offering.enrol_closes_at)
        form.sessions.data = format_sessions(offering.sessions)
    form.course.choices = [(offering.course_id, offering.course.title)]  # the course of an offering stays
    if form.validate_on_submit():
        data = _offering_data(form)
        data.pop("course"), data.pop("park")
        try:
            _offering, promoted = services.update_offering(offering, data, user=current_user)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            flash(_("班次已保存。") + (_("已从候补名单递补 %(n)s 人。", n=len(promoted)) if promoted else ""), "success")
            return redirect(url_for(".roster", offering_id=offering.id))
    return render_template("enrolment/offering_form.html", form=form, offering=offering)


@bp.route("/manage/<int:offering_id>")
@login_required
def roster(offering_id):
    offering = load_offering(offering_id, "academy.teach")
    enrolments = services.roster(offering)
    profiles = reporting.profiles_for(e.user_id for e in enrolments)
    return render_template(
        "enrolment/roster.html", offering=offering, enrolments=enrolments,
        positions=services.waitlist_positions(enrolments), tally=completion.attendance_tally(offering),
        counts=services.counts([offering.id]).get(offering.id, {}), seats_taken=services.seats_taken,
        needed=completion.required_sessions(offering.course, len(offering.sessions)) if offering.sessions else 0,
        may_manage=can("academy.manage", offering), form=DecisionForm(), enrol_form=EnrolOneForm(),
        import_form=ImportForm(), attended=ATTENDED, seated=SEATED, now=utcnow(), attendance_open=completion.attendance_open,
        organization=lambda user: reporting.trainee_organization(user, profiles))


@bp.route("/manage/<int:offering_id>/enrol", methods=["POST"])
@login_required
def enrol_one(offering_id):
    offering = load_offering(offering_id, "academy.manage")
    form = EnrolOneForm()
    if form.validate_on_submit():
        person = find_enrollable(form.person.data, current_user)
        if person is None:
            flash(_("找不到账号：%(account)s（请学员先注册）", account=form.person.data), "danger")
        else:
            try:
                enrolment = services.enrol(offering, person, by=current_user, as_manager=True)
                flash(_("已为 %(name)s 报名：%(status)s", name=person.display_name, status=_(enrolment.status_label)), "success")
            except DomainError as exc:
                flash(exc.message, "danger")
    else:
        flash(_("请填写学员的用户名或手机号"), "danger")
    return redirect(url_for(".roster", offering_id=offering.id))


@bp.route("/manage/<int:offering_id>/import", methods=["POST"])
@login_required
def import_roster(offering_id):
    offering = load_offering(offering_id, "academy.manage")
    form = ImportForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "danger")
        return redirect(url_for(".roster", offering_id=offering.id))
    upload = form.file.data
    try:
        enrolments = services.import_roster(offering, upload.filename or "", upload.stream, by=current_user)
    except DomainError as exc:
        return render_template("enrolment/import_errors.html", offering=offering, error=exc), exc.status
    waiting = sum(1 for e in enrolments if e.status == "waitlisted")
    flash(_("已导入 %(n)s 人，其中 %(waiting)s 人进入候补名单。", n=len(enrolments), waiting=waiting) if waiting
          else _("已导入 %(n)s 人。", n=len(enrolments)), "success")
    return redirect(url_for(".roster", offering_id=offering.id))


def _decide(enrolment_id, action):
    enrolment = load_enrolment(enrolment_id)
    require("academy.manage", enrolment.offering)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        if action == "approve":
            services.approve(enrolment, by=current_user)
            flash(_("已通过 %(name)s 的报名：%(status)s", name=enrolment.user.display_name, status=_(enrolment.status_label)), "success")
        elif action == "reject":
            services.reject(enrolment, by=current_user, note=form.note.data or "")
            flash(_("已拒绝 %(name)s 的报名", name=enrolment.user.display_name), "info")
        else:
            _e, promoted = services.remove(enrolment, by=current_user, note=form.note.data or "")
            flash(_("已将 %(name)s 移出班次；%(names)s 由候补转为正式学员", name=enrolment.user.display_name, names=_('、').join(p.user.display_name for p in promoted)) if promoted
                  else _("已将 %(name)s 移出班次", name=enrolment.user.display_name), "info")
    except DomainError as exc:
        flash(exc.message, "danger")
    return redirect(url_for(".roster", offering_id=enrolment.offering_id))


@bp.route("/enrolments/<int:enrolment_id>/approve", methods=["POST"])
@login_required
def approve(enrolment_id):
    return _decide(enrolment_id, "approve")


@bp.route("/enrolments/<int:enrolment_id>/reject", methods=["POST"])
@login_required
def reject(enrolment_id):
    return _decide(enrolment_id, "reject")


@bp.route("/enrolments/<int:enrolment_id>/remove", methods=["POST"])
@login_required
def remove(enrolment_id):
    return _decide(enrolment_id, "remove")


@bp.route("/manage/<int:offering_id>/close", methods=["POST"])
@login_required
def close(offering_id):
    offering = load_offering(offering_id, "academy.manage")
    if not DecisionForm().validate_on_submit():
        abort(400)
    try:
        completed = completion.close_offering(offering, by=current_user)
        flash(_("结业评定完成：新增结业 %(n)s 人。", n=len(completed)), "success")
    except DomainError as exc:
        flash(exc.message, "danger")
    return redirect(url_for(".roster", offering_id=offering.id))


# -- attendance and sign-in sheets -----------------------------------------------------------

@bp.route("/sessions/<int:session_id>/attendance", methods=["GET", "POST"])
@login_required
def attendance(session_id):
    session = record_for(PLUGIN, Session, session_id)
    offering = load_offering(session.offering_id, "academy.teach")
    if request.method == "POST":
        if not DecisionForm().validate_on_submit():
            abort(400)
        marks = {}
        for key, value in request.form.items():
            if key.startswith("mark-") and value:
                try:
                    marks[int(key[5:])] = value
                except ValueError:
                    abort(400)
        if request.form.get("fill") in ("present", "absent"):  # "mark the rest as …" in one click
            for enrolment in services.seated_roster(offering):
                marks.setdefault(enrolment.id, request.form["fill"])
        try:
            completed = completion.record_attendance(session, marks, by=current_user)
        except DomainError as exc:
            flash(exc.message, "danger")
        else:
            flash(_("已保存 %(n)s 人的考勤。", n=len(marks)) +
                  (_("%(names)s 达到结业要求，已结业。", names=_('、').join(e.user.display_name for e in completed)) if completed else ""),
                  "success")
            return redirect(url_for(".attendance", session_id=session.id))
    enrolments = services.seated_roster(offering)
    marks = {a.enrolment_id: a.status for e in enrolments for a in e.attendance if a.session_id == session.id}
    return render_template("enrolment/attendance.html", offering=offering, course_session=session, enrolments=enrolments,
                           marks=marks, labels=ATTENDANCE, form=DecisionForm())


@bp.route("/manage/<int:offering_id>/signin")
@login_required
def signin_sheet(offering_id):
    offering = load_offering(offering_id, "academy.teach")
    sessions = offering.sessions
    chosen = request.args.get("session", type=int)
    if chosen:
        sessions = [s for s in sessions if s.id == chosen] or abort(404)
    enrolments = services.seated_roster(offering)
    profiles = reporting.profiles_for(e.user_id for e in enrolments)
    return render_template("enrolment/signin.html", offering=offering, sessions=sessions, enrolments=enrolments,
                           organization=lambda user: reporting.trainee_organization(user, profiles))


# -- exports and reports ---------------------------------------------------------------------

@bp.route("/manage/<int:offering_id>/export.xlsx")
@login_required
def export_roster(offering_id):
    offering = load_offering(offering_id, "academy.teach")
    enrolments = services.roster(offering)
    positions = services.waitlist_positions(enrolments)
    tally = completion.attendance_tally(offering)
    profiles = reporting.profiles_for(e.user_id for e in enrolments)
    sessions = offering.sessions
    header = ["序号", "姓名", "用户名", "手机号", "单位", "状态", "候补位次", "报名时间"] + \
        [f"第{n}次 {local_time(s.starts_at, '%m-%d')}" for n, s in enumerate(sessions, 1)] + ["到课次数", "结业时间", "学时"]
    rows = []
    for n, e in enumerate(enrolments, 1):
        marks = {a.session_id: ATTENDANCE[a.status] for a in e.attendance}
        rows.append([n, e.user.name, e.user.username, e.user.phone, reporting.trainee_organization(e.user, profiles),
                     e.status_label, positions.get(e.id, ""), show_datetime(e.created_at)] +
                    [marks.get(s.id, "") for s in sessions] +
                    [sum(tally[e.id].get(s, 0) for s in ATTENDED), show_datetime(e.completed_at), float(e.hours or 0)])
    return xlsx_response(f"{offering.display_title}-名单与结业.xlsx", header, rows, sheet="名单与结业")


def _report_scope():
    require("academy.report")
    return managed_park_ids()


@bp.route("/reports")
@login_required
def reports():
    park_ids = _report_scope()
    year = request.args.get("year", type=int)
    return render_template("enrolment/reports.html", year=year,
                           offerings=reporting.offering_report(park_ids, year), parks=reporting.park_report(park_ids, year),
                           organizations=reporting.organization_report(park_ids, year))


@bp.route("/reports/export.xlsx")
@login_required
def export_reports():
    park_ids = _report_scope()
    year = request.args.get("year", type=int)
    offering_rows = [[r["offering"].course.code, r["offering"].display_title, r["offering"].park.name,
                      show_datetime(r["offering"].starts_at), r["capacity"], r["seated"], r["waitlisted"], r["pending"],
                      r["completed"], round(r["fill"], 3), round(r["completion"], 3)]
                     for r in reporting.offering_report(park_ids, year)]
    park_rows = [[r["park"].name, r["offerings"], r["capacity"], r["seated"], r["waitlisted"], r["completed"],
                  float(r["hours"]), round(r["completion"], 3)] for r in reporting.park_report(park_ids, year)]
    org_rows = [[r["organization"], r["trainees"], r["enrolments"], r["completed"], float(r["hours"]),
                 round(r["completion"], 3)] for r in reporting.organization_report(park_ids, year)]
    return xlsx_response(
        f"学院报名与结业统计{year or ''}.xlsx",
        ["课程代码", "班次", "园区", "开课时间", "容量", "已报名", "候补", "待审核", "已结业", "满员率", "结业率"],
        offering_rows, sheet="按班次", extra_sheets={
            "按园区": (["园区", "班次数", "容量", "已报名", "候补", "已结业", "结业学时", "结业率"], park_rows),
            "按组织": (["单位/组织", "学员数", "报名人次", "结业人次", "结业学时", "结业率"], org_rows)})
