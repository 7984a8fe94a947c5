"""Pages: rounds, applying, an application (scores, decision, tranches, mid-term review), reports."""
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from incubator.errors import DomainError
from incubator.exports import xlsx_response
from incubator.extensions import db
from incubator.forms import attempt, flash_errors
from incubator.organizations.models import Organization
from incubator.permissions import can, require
from incubator.plugins import enabled_parks, is_enabled, require_enabled, visible_parks

from . import services
from .forms import ApplicationForm, DecisionForm, ExpertsForm, ReviewForm, RoundForm, ScoreForm
from .models import Application, Round

PLUGIN = "microgrant"
bp = Blueprint("microgrant", __name__, url_prefix="/microgrant", template_folder="templates")


def _round(round_id, action="microgrant.view"):
    rnd = db.session.get(Round, round_id) or abort(404)
    require_enabled(PLUGIN, rnd.park_id)
    require(action, rnd)
    return rnd


def _application(application_id, action="microgrant.view"):
    application = db.session.get(Application, application_id) or abort(404)
    require_enabled(PLUGIN, application.park_id)
    require(action, application)
    return application


def _enabled_park_ids():
    return [p.id for p in enabled_parks(PLUGIN)]




def _manageable_parks():
    return [p for p in visible_parks(current_user, PLUGIN) if can("microgrant.manage", p)]


@bp.route("/")
@login_required
def index():
    enabled = _enabled_park_ids()
    may_open = bool(_manageable_parks())
    # A manager none of whose parks has the plugin finds nothing here, as in the menu.
    if not enabled or (current_user.role == "manager" and not may_open):
        abort(404)
    page = db.paginate(services.visible_rounds_query(current_user, enabled), per_page=20, error_out=False)
    return render_template("microgrant/index.html", page=page, may_open=may_open, today=date.today())


@bp.route("/rounds/new", methods=["GET", "POST"])
@login_required
def new_round():
    parks = _manageable_parks()
    if not parks:
        abort(403)
    form = RoundForm()
    form.park.choices = [(p.code, p.name) for p in parks]
    if request.method == "GET":
        form.year.data = date.today().year
    if form.validate_on_submit():
        park = next(p for p in parks if p.code == form.park.data)
        try:
            data = _round_data(form)
            rnd = services.create_round(park, data, user=current_user)
            flash(_("已开设 %(title)s", title=rnd.title), "success")
            return redirect(url_for("microgrant.round_detail", round_id=rnd.id))
        except DomainError as exc:
            flash(exc.message, "danger")
    else:
        flash_errors(form)
    return render_template("microgrant/round_form.html", form=form), 422 if request.method == "POST" else 200


def _round_data(form) -> dict:
    criteria = []
    for line in form.criteria.data.splitlines():
        if line.strip():
            name, _sep, points = line.strip().rpartition(" ")
            if not name or not points.isdigit():
                raise DomainError(_("评分标准“%(strip)s”应写作：名称 满分", strip=line.strip()))
            criteria.append({"name": name.strip(), "max": int(points)})
    try:
        percents = [int(p) for p in form.tranche_percents.data.replace("\uff0c", ",").split(",") if p.strip()]
    except ValueError:
        raise DomainError(_("分期拨付比例应为以逗号分隔的整数，如 60,40")) from None
    return {"title": form.title.data, "year": form.year.data, "description": form.description.data,
            "budget_fen": services.to_fen(form.budget.data), "max_grant_fen": services.to_fen(form.max_grant.data),
            "categories": form.categories.data.splitlines(), "criteria": criteria, "tranche_percents": percents,
            **{name: getattr(form, name).data for name in services.DATE_FIELDS}}


@bp.route("/rounds/<int:round_id>")
@login_required
def round_detail(round_id):
    rnd = _round(round_id)
    manage = can("microgrant.manage", rnd)
    status, category = request.args.get("status", ""), request.args.get("category", "")
    stmt = services.applications_query(rnd.id, status, category)
    if not manage and not services.is_expert(rnd.id, current_user):
        stmt = stmt.where(Application.organization_id == (current_user.organization_id or -1))
    page = db.paginate(stmt, per_page=20, error_out=False)
    experts_form = ExpertsForm(experts=", ".join(u.username for u in rnd.experts)) if manage else None
    return render_template("microgrant/round.html", rnd=rnd, page=page, manage=manage, experts_form=experts_form,
                           may_apply=can("microgrant.apply", rnd), today=date.today(), status=status, category=category)


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@login_required
def edit_round(round_id):
    rnd = _round(round_id, "microgrant.manage")
    form = RoundForm(obj=rnd)
    form.park.choices = [(rnd.park.code, rnd.park.name)]
    if request.method == "GET":
        form.park.data = rnd.park.code
        form.budget.data, form.max_grant.data = rnd.budget_fen / 100, rnd.max_grant_fen / 100
        form.categories.data = "\n".join(rnd.categories)
        form.criteria.data = "\n".join(f"{c['name']} {c['max']}" for c in rnd.criteria)
        form.tranche_percents.data = ",".join(str(p) for p in rnd.tranche_percents)
    if form.validate_on_submit():
        try:
            services.edit_round(rnd, _round_data(form), user=current_user)
            flash(_("已保存"), "success")
            return redirect(url_for("microgrant.round_detail", round_id=rnd.id))
        except DomainError as exc:
            flash(exc.message, "danger")
    else:
        flash_errors(form)
    return render_template("microgrant/round_form.html", form=form, rnd=rnd), 422 if request.method == "POST" else 200


@bp.route("/rounds/<int:round_id>/experts", methods=["POST"])
@login_required
def set_experts(round_id):
    rnd = _round(round_id, "microgrant.manage")
    form = ExpertsForm()
    if form.validate_on_submit():
        names = [n.strip() for n in (form.experts.data or "").replace("\uff0c", ",").split(",") if n.strip()]
        attempt(lambda: services.set_experts(rnd, names, user=current_user), _("已更新评审专家"))
    return redirect(url_for("microgrant.round_detail", round_id=rnd.id))


def _applicant_orgs(rnd):
    """Organizations the current user may apply for: the park's (managers) or their own."""
    covered = services.covered_park_ids(rnd)
    if can("microgrant.manage", rnd):
        return db.session.scalars(select(Organization).where(Organization.park_id.in_(covered))
                                  .order_by(Organization.name)).all()
    org = db.session.get(Organization, current_user.organization_id) if current_user.organization_id else None
    return [org] if org is not None and org.park_id in covered else []


@bp.route("/rounds/<int:round_id>/apply", methods=["GET", "POST"])
@login_required
def apply(round_id):
    rnd = _round(round_id, "microgrant.apply")
    orgs = _applicant_orgs(rnd)
    form = ApplicationForm()
    form.organization_id.choices = [(o.id, o.name) for o in orgs]
    form.category.choices = [(c, c) for c in rnd.categories]
    if form.validate_on_submit():
        org = next((o for o in orgs if o.id == form.organization_id.data), None) or abort(403)
        data = {"title": form.title.data, "category": form.category.data, "goals": form.goals.data,
                "beneficiaries": form.beneficiaries.data, "beneficiary_count": form.beneficiary_count.data,
                "lines": [(entry.item.data or "", services.to_fen(entry.amount.data) if entry.amount.data else 0)
                          for entry in form.lines]}
        try:
            application = services.submit(rnd, org, data, user=current_user)
            flash(_("已申报：%(title)s", title=application.title), "success")
            return redirect(url_for("microgrant.application_detail", application_id=application.id))
        except DomainError as exc:
            flash(exc.message, "danger")
    else:
        flash_errors(form)
    return render_template("microgrant/apply.html", rnd=rnd, form=form, today=date.today()), \
        422 if request.method == "POST" else 200


@bp.route("/applications/<int:application_id>")
@login_required
def application_detail(application_id):
    application = _application(application_id)
    rnd = application.round
    manage = can("microgrant.manage", application)
    may_score = can("microgrant.score", application)
    mine = next((s for s in application.scores if s.expert_id == current_user.id), None)
    scores = application.scores if manage else ([mine] if mine else [])
    return render_template("microgrant/application.html", application=application, rnd=rnd, manage=manage,
                           may_score=may_score, mine=mine, scores=scores, score_form=ScoreForm(),
                           decision_form=DecisionForm(amount=(application.requested_fen / 100)),
                           review_form=ReviewForm(), today=date.today())


@bp.route("/applications/<int:application_id>/score", methods=["POST"])
@login_required
def score(application_id):
    application = _application(application_id, "microgrant.score")
    form = ScoreForm()
    if form.validate_on_submit():
        marks = {c["name"]: request.form.get(f"mark_{i}") for i, c in enumerate(application.round.criteria)}
        attempt(lambda: services.score(application, current_user, marks, form.comment.data), _("已保存评分"))
    else:
        flash_errors(form)
    return redirect(url_for("microgrant.application_detail", application_id=application.id))


@bp.route("/applications/<int:application_id>/decision", methods=["POST"])
@login_required
def decision(application_id):
    application = _application(application_id, "microgrant.manage")
    form = DecisionForm()
    if form.validate_on_submit():
        approve = form.approve.data == "1"
        amount = services.to_fen(form.amount.data) if (approve and form.amount.data) else None
        attempt(lambda: services.decide(application, approve, amount, form.note.data, user=current_user),
                 _("已立项") if approve else _("已记录不予立项"))
    else:
        flash_errors(form)
    return redirect(url_for("microgrant.application_detail", application_id=application.id))


@bp.route("/applications/<int:application_id>/tranches/<int:seq>/pay", methods=["POST"])
@login_required
def pay(application_id, seq):
    application = _application(application_id, "microgrant.manage")
    if ScoreForm().validate_on_submit():  # CSRF only
        attempt(lambda: services.pay(application, seq, user=current_user), _("已拨付第%(seq)s期", seq=seq))
    else:
        flash(_("页面已过期，请刷新后重试"), "danger")
    return redirect(url_for("microgrant.application_detail", application_id=application.id))


@bp.route("/applications/<int:application_id>/review", methods=["POST"])
@login_required
def review(application_id):
    application = _application(application_id, "microgrant.manage")
    form = ReviewForm()
    if form.validate_on_submit():
        attempt(lambda: services.review(application, form.passed.data, form.note.data, user=current_user),
                 _("已记录中期评估"))
    else:
        flash_errors(form)
    return redirect(url_for("microgrant.application_detail", application_id=application.id))


@bp.route("/rounds/<int:round_id>/report")
@login_required
def report(round_id):
    rnd = _round(round_id, "microgrant.manage")
    return render_template("microgrant/report.html", rnd=rnd, report=services.report(rnd))


@bp.route("/rounds/<int:round_id>/report.xlsx")
@login_required
def report_xlsx(round_id):
    rnd = _round(round_id, "microgrant.manage")
    data = services.report(rnd)
    header = ["类别", "申报数", "申请金额（元）", "立项数", "资助金额（元）", "已拨付（元）"]
    rows = [[r["category"], r["applications"], r["requested_fen"] / 100, r["approved"], r["granted_fen"] / 100,
             r["paid_fen"] / 100] for r in data["rows"]]
    t = data["totals"]
    rows.append(["合计", t["applications"], t["requested_fen"] / 100, t["approved"], t["granted_fen"] / 100, t["paid_fen"] / 100])
    apps = db.session.scalars(services.applications_query(rnd.id)).all()
    app_rows = [[a.id, a.organization.name, a.title, a.category, a.requested_fen / 100, a.average_score,
                 a.status_label, (a.granted_fen or 0) / 100, a.paid_fen / 100] for a in apps]
    return xlsx_response(f"公益微创投-{rnd.title}-报表.xlsx", header, rows, sheet="按类别汇总", extra_sheets={
        "项目明细": (["编号", "组织", "项目", "类别", "申请金额（元）", "平均分", "状态", "资助金额（元）", "已拨付（元）"], app_rows)})


# -- fragments for the core's pages ---------------------------------------------------------------

def dashboard_widget(parks, user):
    park_ids = [p.id for p in parks if is_enabled(PLUGIN, p) and can("microgrant.manage", p, user=user)]
    if not park_ids:
        return None
    rounds = db.session.scalars(select(Round).where(Round.park_id.in_(park_ids))
                                .order_by(Round.apply_from.desc()).limit(5)).all()
    return render_template("microgrant/widget.html", rounds=rounds, today=date.today())


def org_panel(org, user):
    if not can("org.view", org, user=user):
        return None
    applications = db.session.scalars(select(Application).where(Application.organization_id == org.id)
                                      .options(selectinload(Application.round), selectinload(Application.tranches))
                                      .order_by(Application.id.desc())).all()
    applications = [a for a in applications if is_enabled(PLUGIN, a.round.park_id)]
    if not applications:
        return None
    return render_template("microgrant/org_panel.html", applications=applications)
