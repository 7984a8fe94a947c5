"""Pages: assessments list (per role), an organization's assessments with the radar chart, scoring,
reports, rubrics and per-park settings."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from incubator.dates import show_date, today
from incubator.errors import DomainError
from incubator.exports import xlsx_response
from incubator.extensions import db
from incubator.forms import show_domain_error
from incubator.organizations.models import Organization
from incubator.permissions import can, require
from incubator.plugins import enabled_park_ids, park_for, record_for, visible_parks
from incubator.users.models import User

from . import PLUGIN, rubrics, services
from .forms import ScoreForm, SettingsForm, StartForm
from .models import Assessment
from .permissions import readable

bp = Blueprint("assessment", __name__, url_prefix="/assessment", template_folder="templates")


def _org(org_id: int, action: str = "assessment.view") -> Organization:
    return record_for(PLUGIN, Organization, org_id, action)


def _assessment(assessment_id: int, action: str = "assessment.view") -> Assessment:
    return record_for(PLUGIN, Assessment, assessment_id, action)


def chart_and_progress(assessments):
    finished = [a for a in assessments if a.is_finished]
    chart = None
    if finished:
        dims = services.dimension_scores(finished[-1])
        # One line per kind (the latest of each: an exit assessment done again replaces the first).
        latest = {a.kind: a for a in finished}
        drawn = [a for a in finished if latest[a.kind] is a]
        series = [(f"{a.kind_label} {show_date(a.assessed_on)}",
                   [d["percent"] for d in services.dimension_scores(a)]) for a in drawn]
        from . import charts  # pygal: 0.1 s to import, only once a chart is drawn
        chart = charts.radar([d["name"] for d in dims], series)
    return chart, services.progress(assessments)


def render_panel(org, user) -> str:
    assessments = readable(services.for_org(org.id), user)
    chart, progress = chart_and_progress(assessments)
    return render_template("assessment/panel.html", org=org, assessments=assessments, chart=chart,
                           progress=progress)


@bp.route("")
@login_required
def index():
    require("assessment.view")
    user = current_user._get_current_object()
    status, kind = request.args.get("status", ""), request.args.get("kind", "")
    if user.role in ("admin", "manager"):
        parks = visible_parks(current_user, PLUGIN)
        stmt = services.list_query(park_ids=[p.id for p in parks], status=status, kind=kind)
    else:  # an expert: the assessments they are named assessor of, in parks where the plugin is on
        parks = []
        enabled = enabled_park_ids(PLUGIN)
        stmt = services.list_query(park_ids=enabled, assessor_id=user.id, status=status, kind=kind)
    page = db.paginate(stmt, per_page=20, error_out=False)
    return render_template("assessment/index.html", page=page, items=page.items, parks=parks, status=status,
                           kind=kind)


@bp.route("/orgs/<int:org_id>")
@login_required
def org_page(org_id):
    org = _org(org_id)
    assessments = readable(services.for_org(org.id))
    chart, progress = chart_and_progress(assessments)
    form = StartForm()
    form.assessor.choices = _assessor_choices(org)
    if not form.assessed_on.data:
        form.assessed_on.data = today()
    return render_template("assessment/org.html", org=org, assessments=assessments, chart=chart, progress=progress,
                           form=form, may_start=can("assessment.create", org),
                           settings=services.settings_for(org.park_id))


def _assessor_choices(org):
    users = db.session.scalars(select(User).where(User.role.in_(["expert", "manager"]), User.active.is_(True))
                               .order_by(User.role, User.username)).all()
    return [(u.username, f"{u.display_name}（{u.role_label}）") for u in users if services.may_assess(u, org)]


@bp.route("/orgs/<int:org_id>/new", methods=["POST"])
@login_required
def start(org_id):
    org = _org(org_id, "assessment.create")
    form = StartForm()
    form.assessor.choices = _assessor_choices(org)
    if form.validate_on_submit():
        try:
            assessor = services.find_assessor(form.assessor.data, org)
            assessment = services.start(org, form.kind.data, assessor, form.assessed_on.data, user=current_user)
        except DomainError as exc:
            flash(exc.message, "danger")
        else:
            flash(_("已发起%(kind)s，评估人：%(name)s", kind=assessment.kind_label, name=assessor.display_name), "success")
            return redirect(url_for(".detail", assessment_id=assessment.id))
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "danger")
    return redirect(url_for(".org_page", org_id=org.id))


def _posted_scores(assessment) -> dict:
    result = {}
    for dim in assessment.rubric["dimensions"]:
        for ind in dim["indicators"]:
            code = ind["code"]
            if f"score-{code}" in request.form or f"evidence-{code}" in request.form:
                result[code] = {"score": request.form.get(f"score-{code}", ""),
                                "evidence": request.form.get(f"evidence-{code}", "")}
    return result


@bp.route("/<int:assessment_id>", methods=["GET", "POST"])
@login_required
def detail(assessment_id):
    assessment = _assessment(assessment_id)
    may_score = not assessment.is_finished and can("assessment.score", assessment)
    form = ScoreForm(obj=assessment) if request.method == "GET" else ScoreForm()
    errors, posted = {}, {}
    if request.method == "POST":
        if not can("assessment.score", assessment):
            abort(403)  # a finished assessment is refused by the service (409, shown on the page)
        posted = _posted_scores(assessment)
        if form.validate_on_submit():
            try:
                services.save_scores(assessment, posted, summary=form.summary.data,
                                     assessed_on=form.assessed_on.data, user=current_user)
                if request.form.get("finish"):
                    services.finish(assessment, user=current_user)
                    flash(_("评估已完成：%(total)s 分，%(grade)s", total=f"{float(assessment.total):g}", grade=assessment.grade), "success")
                else:
                    flash(_("草稿已保存"), "success")
                return redirect(url_for(".detail", assessment_id=assessment.id))
            except DomainError as exc:
                db.session.refresh(assessment)
                show_domain_error(form, exc)
                if exc.field:
                    errors[exc.field] = exc.message
                status = exc.status
                return render_template("assessment/detail.html", **_detail_context(
                    assessment, form, may_score, errors, posted)), status
    return render_template("assessment/detail.html", **_detail_context(assessment, form, may_score, errors, posted))


@bp.route("/<int:assessment_id>/discard", methods=["POST"])
@login_required
def discard(assessment_id):
    assessment = _assessment(assessment_id, "assessment.create")
    require("assessment.create", assessment.organization)
    org_id = assessment.organization_id
    try:  # CSRF is checked app-wide by CSRFProtect
        services.discard(assessment, user=current_user)
    except DomainError as exc:
        flash(exc.message, "danger")
        return redirect(url_for(".detail", assessment_id=assessment_id))
    flash(_("已删除评估草稿"), "success")
    return redirect(url_for(".org_page", org_id=org_id))


def _detail_context(assessment, form, may_score, errors, posted):
    given = {s.indicator_code: s for s in assessment.scores}
    return {"a": assessment, "org": assessment.organization, "form": form, "may_score": may_score,
            "errors": errors, "posted": posted, "given": given, "dims": services.dimension_scores(assessment),
            "running": services.running_total(assessment), "missing": services.missing(assessment),
            "may_discard": not assessment.is_finished and can("assessment.create", assessment.organization)}


@bp.route("/reports")
@login_required
def report():
    require("assessment.report")
    parks = visible_parks(current_user, PLUGIN)
    code = request.args.get("park", "")
    chosen = [p for p in parks if p.code == code] if code else parks
    if code and not chosen:
        abort(404)
    cohort = request.args.get("cohort", 0, type=int) or None
    rows = services.report(park_ids=[p.id for p in chosen], cohort=cohort)
    if request.args.get("format") == "xlsx":
        header, data = services.report_sheet(rows)
        return xlsx_response(f"能力评估结果_{code or '全部园区'}_{cohort or '全部批次'}.xlsx", header, data,
                             sheet="评估结果")
    return render_template("assessment/report.html", rows=rows, parks=parks, code=code, cohort=cohort,
                           cohorts=range(today().year, today().year - 8, -1))


@bp.route("/rubrics")
@login_required
def rubric_list():
    require("assessment.view")
    if current_user.role not in ("admin", "manager", "expert"):
        abort(403)
    loaded = rubrics.current()
    return render_template("assessment/rubrics.html", rubrics=loaded.rubrics.values(),
                           errors=loaded.errors if current_user.role in ("admin", "manager") else [])


@bp.route("/settings/<code>", methods=["GET", "POST"])
@login_required
def settings(code):
    park = park_for(PLUGIN, code, "assessment.settings")
    current = services.settings_for(park.id)
    form = SettingsForm()
    form.rubric_code.choices = [(r.code, r.name) for r in services.rubrics_for_park(park)]
    if request.method == "GET":
        form.rubric_code.data = current.rubric_code
        form.graduation_veto.data = current.graduation_veto
        form.exit_threshold.data = current.exit_threshold
    if form.validate_on_submit():
        try:
            services.save_settings(park, rubric_code=form.rubric_code.data, graduation_veto=form.graduation_veto.data,
                                   exit_threshold=form.exit_threshold.data, user=current_user)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            flash(_("已保存能力评估设置"), "success")
            return redirect(url_for(".settings", code=park.code))
    return render_template("assessment/settings.html", park=park, form=form, current=current)
