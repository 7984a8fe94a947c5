"""Pages: rounds, applying, an application (scores, decision, tranches, mid-term review), reports."""
from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from incubator.dates import today
from incubator.errors import DomainError
from incubator.exports import xlsx_response
from incubator.extensions import db
from incubator.forms import attempt, flash_errors
from incubator.organizations.models import Organization
from incubator.permissions import can
from incubator.plugins import enabled_park_ids, is_enabled, record_for, visible_parks
from incubator.ui import Todo
from incubator.users.models import User

from . import PLUGIN, services
from .forms import ApplicationForm, DecisionForm, ExpertsForm, FilesForm, ReviewForm, RoundForm, ScoreForm
from .models import Application, Round

bp = Blueprint("microgrant", __name__, url_prefix="/microgrant", template_folder="templates")


def _round(round_id, action="microgrant.view"):
    return record_for(PLUGIN, Round, round_id, action)


def _application(application_id, action="microgrant.view"):
    return record_for(PLUGIN, Application, application_id, action)


def _manageable_parks():
    return [p for p in visible_parks(current_user, PLUGIN) if can("microgrant.manage", p)]


@bp.route("/")
@login_required
def index():
    enabled = enabled_park_ids(PLUGIN)
    may_open = bool(_manageable_parks())
    # A manager none of whose parks has the plugin finds nothing here, as in the menu.
    if not enabled or (current_user.role == "manager" and not may_open):
        abort(404)
    page = db.paginate(services.visible_rounds_query(current_user, enabled), per_page=20, error_out=False)
    org = _own_organization()
    mine = services.applications_of(org.id, enabled) if org is not None else []
    return render_template("microgrant/index.html", page=page, may_open=may_open, today=today(), org=org, mine=mine)


def _own_organization():
    """The organization the current user is the contact of (组织联系人), if any."""
    if not current_user.organization_id:
        return None
    return db.session.get(Organization, current_user.organization_id)


def _expert_choices():
    experts = db.session.scalars(select(User).where(User.role == "expert").order_by(User.username)).all()
    return [(u.username, _("%(name)s（%(username)s）", name=u.display_name, username=u.username)) for u in experts]


@bp.route("/rounds/new", methods=["GET", "POST"])
@login_required
def new_round():
    parks = _manageable_parks()
    if not parks:
        abort(403)
    form = RoundForm()
    form.park.choices = [(p.code, p.name) for p in parks]
    form.experts.choices = _expert_choices()
    if request.method == "GET":
        form.year.data = today().year
    if form.validate_on_submit():
        park = next(p for p in parks if p.code == form.park.data)
        try:
            data = _round_data(form)
            rnd = services.create_round(park, data, user=current_user)
            if form.experts.data:
                services.set_experts(rnd, form.experts.data, user=current_user)
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
    experts_form = None
    if manage:
        experts_form = ExpertsForm(experts=[u.username for u in rnd.experts])
        experts_form.experts.choices = _expert_choices()
    org = _own_organization()
    own_application = None
    if org is not None:
        own_application = db.session.scalar(select(Application).where(Application.round_id == rnd.id,
                                                                       Application.organization_id == org.id))
    return render_template("microgrant/round.html", rnd=rnd, page=page, manage=manage, experts_form=experts_form,
                           may_apply=can("microgrant.apply", rnd), own_application=own_application,
                           today=today(), status=status, category=category)


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@login_required
def edit_round(round_id):
    rnd = _round(round_id, "microgrant.manage")
    form = RoundForm(obj=rnd)
    form.park.choices = [(rnd.park.code, rnd.park.name)]
    form.experts.choices = _expert_choices()
    if request.method == "GET":
        form.experts.data = [u.username for u in rnd.experts]
        form.park.data = rnd.park.code
        form.budget.data, form.max_grant.data = rnd.budget_fen / 100, rnd.max_grant_fen / 100
        form.categories.data = "\n".join(rnd.categories)
        form.criteria.data = "\n".join(f"{c['name']} {c['max']}" for c in rnd.criteria)
        form.tranche_percents.data = ",".join(str(p) for p in rnd.tranche_percents)
    if form.validate_on_submit():
        try:
            services.edit_round(rnd, _round_data(form), user=current_user)
            if set(form.experts.data or []) != {u.username for u in rnd.experts}:
                services.set_experts(rnd, form.experts.data or [], user=current_user)
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
    form.experts.choices = _expert_choices()
    if form.validate_on_submit():
        attempt(lambda: services.set_experts(rnd, form.experts.data or [], user=current_user), _("已更新评审专家"))
    else:
        flash_errors(form)
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
    on_behalf = can("microgrant.manage", rnd)
    if on_behalf:
        form.organization_id.choices = [(o.id, o.name) for o in orgs]
    else:
        # An organization's contact applies for their own organization, never another.
        del form.organization_id
        if not orgs:
            abort(403)
        applied = db.session.scalar(select(Application).where(Application.round_id == rnd.id,
                                                              Application.organization_id == orgs[0].id))
        if applied is not None:
            flash(_("%(name)s 已在本轮申报过项目：%(title)s", name=orgs[0].name, title=applied.title), "info")
            return redirect(url_for("microgrant.application_detail", application_id=applied.id))
    form.category.choices = [(c, c) for c in rnd.categories]
    if form.validate_on_submit():
        chosen = form.organization_id.data if on_behalf else orgs[0].id
        org = next((o for o in orgs if o.id == chosen), None) or abort(403)
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
    return render_template("microgrant/apply.html", rnd=rnd, form=form, today=today(),
                           applicant=None if on_behalf else orgs[0]), \
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
                           decision_form=DecisionForm(amount=Decimal(application.requested_fen) / 100),
                           review_form=ReviewForm(), today=today(),
                           files=services.files_of(application.id), file_kinds=services.FILE_KINDS,
                           files_form=FilesForm(), may_upload=application.status in services.FILES_OPEN
                           and can("microgrant.report", application))


@bp.route("/applications/<int:application_id>/files", methods=["POST"])
@login_required
def upload_files(application_id):
    """The project's reports and receipts, uploaded by the organization or the park's manager."""
    application = _application(application_id, "microgrant.report")
    form = FilesForm()
    if form.validate_on_submit():
        attempt(lambda: services.attach_files(application, form.kind.data, form.file.data, user=current_user),
                _("已上传%(kind)s", kind=services.FILE_KINDS[form.kind.data]))
    else:
        flash_errors(form)
    return redirect(url_for("microgrant.application_detail", application_id=application.id) + "#project-files")


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
    if not form.validate_on_submit():
        flash_errors(form)
    elif form.approve.data not in ("0", "1"):  # nothing is preselected: the manager must choose
        flash(_("请选择立项资助或不予立项"), "danger")
    else:
        approve = form.approve.data == "1"
        amount = services.to_fen(form.amount.data) if (approve and form.amount.data) else None
        attempt(lambda: services.decide(application, approve, amount, form.note.data, user=current_user),
                _("已立项") if approve else _("已记录不予立项"))
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
    return render_template("microgrant/widget.html", rounds=rounds, today=today())


def org_panel(org, user):
    """The organization's projects, for those who may see the organization — its managers, and
    its own contact (on the organization's portal)."""
    own = bool(getattr(user, "organization_id", None)) and user.organization_id == org.id
    if not (own or can("org.view", org, user=user)):
        return None
    applications = services.applications_of(org.id, enabled_park_ids(PLUGIN))
    if not applications:
        return None
    rows = [(a, can("microgrant.view", a, user=user)) for a in applications]
    return render_template("microgrant/org_panel.html", rows=rows)


def todos(user):
    """What waits for `user` in the micro-grant rounds: one bounded query per kind (the menu counts
    these on every page), in parks where the plugin is enabled."""
    items = []

    def link(rnd, count, first_id, **filters):
        if count == 1:
            return url_for("microgrant.application_detail", application_id=first_id)
        return url_for("microgrant.round_detail", round_id=rnd.id, **filters)

    if user.role == "expert":
        for rnd, count, first in services.scoring_waiting(user):
            if not is_enabled(PLUGIN, rnd.park_id):
                continue
            items.append(Todo(_("%(title)s：项目待您评分", title=rnd.title), link(rnd, count, first, status="submitted"),
                              due=rnd.review_until, count=count, order=40))
    if user.role in ("admin", "manager"):
        parks = enabled_park_ids(PLUGIN) if user.role == "admin" else [p for p in user.park_ids if is_enabled(PLUGIN, p)]
        for rnd, count, first in services.decisions_waiting(parks):
            items.append(Todo(_("%(title)s：申报项目待立项决定", title=rnd.title), link(rnd, count, first, status="submitted"),
                              due=rnd.review_until, count=count, order=41))
        for rnd, count, first in services.tranches_payable(parks):
            items.append(Todo(_("%(title)s：资助款项待拨付", title=rnd.title), link(rnd, count, first, status="approved"),
                              count=count, order=42))
    org = db.session.get(Organization, user.organization_id) if user.organization_id else None
    if org is not None:
        for rnd in services.rounds_open_to(org, lambda park_id: is_enabled(PLUGIN, park_id)):
            items.append(Todo(_("%(title)s 正在申报，可为%(name)s申报项目", title=rnd.title, name=org.name),
                              url_for("microgrant.round_detail", round_id=rnd.id), due=rnd.apply_until, order=43))
    return items
