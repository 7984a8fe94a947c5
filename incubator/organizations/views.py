"""Pages for organizations: list with search and filters, detail with timeline, moves, and who
speaks for the organization (组织联系人: added by the park, or by an invitation code)."""
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..core_hooks import scope_parks
from ..dates import show_date, today
from ..errors import DomainError
from ..exports import xlsx_response
from ..extensions import db
from ..forms import attempt, flash_errors, show_domain_error
from ..parks.models import Park
from ..permissions import can, require
from ..plugins import collect, hooks_for, record_for, visible_parks
from . import contacts, merging, services, sheet, stages
from .forms import (ContactForm, InvitationForm, MoveForm, OrganizationForm, RemoveContactForm, RenewForm,
                    RevokeInvitationForm, TransferForm)
from .models import CATEGORIES, Organization

bp = Blueprint("organizations", __name__, url_prefix="/orgs")


def load(org_id: int, action: str = "org.view") -> Organization:
    return record_for(None, Organization, org_id, action)


@bp.route("")
@login_required
def index():
    require("org.view")
    args = request.args
    parks = visible_parks(current_user)
    park_id = args.get("park", type=int)
    page = services.list_page(page=args.get("page", 1, type=int), per_page=args.get("per_page", 20, type=int),
                              park_ids=scope_parks(current_user), q=args.get("q", ""), park_id=park_id,
                              stage=args.get("stage", ""), category=args.get("category", ""),
                              overdue=args.get("overdue") == "1")
    return render_template("organizations/index.html", page=page, parks=parks, categories=CATEGORIES)


@bp.route("/export.xlsx")
@login_required
def export():
    """The list with the page's filters as an Excel file, in the columns the import reads."""
    require("org.view")
    args = request.args
    stmt = services.list_query(park_ids=scope_parks(current_user), q=args.get("q", ""),
                               park_id=args.get("park", type=int), stage=args.get("stage", ""),
                               category=args.get("category", ""), overdue=args.get("overdue") == "1")
    return xlsx_response(f"社会组织-{today().isoformat()}.xlsx", sheet.EXPORT_HEADER,
                         sheet.export_rows(stmt), sheet="社会组织")


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require("org.create")
    form = OrganizationForm()
    form.park.choices = [(p.id, p.name) for p in visible_parks(current_user)]
    # A park the user may not create in is refused as such (403), not as an invalid choice.
    posted = db.session.get(Park, request.form.get("park", type=int) or 0) if request.method == "POST" else None
    if posted is not None and not can("org.create", posted):
        abort(403)
    if form.validate_on_submit():
        park = db.session.get(Park, form.park.data)
        if park is None or not can("org.create", park):
            abort(403)
        try:
            org = services.create(form.data_for_service(), park=park, user=current_user, note=_("由园区登记"))
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            flash(_("已登记：%(name)s", name=org.name), "success")
            return redirect(url_for(".detail", org_id=org.id))
    return render_template("organizations/form.html", form=form, org=None)


@bp.route("/<int:org_id>")
@login_required
def detail(org_id):
    org = load(org_id)
    if contacts.is_contact(current_user, org) and not can("org.edit", org):
        return redirect(url_for("portal.index"))  # the contact's own view of their organization
    return _render_detail(org, status=200)


def move_confirmation(org, to_stage: str) -> str | None:
    """What the manager is asked before a move that cannot be undone (None: nothing to ask)."""
    name = org.name
    if to_stage == "incubating" and org.incubation_start is None:
        due = services.add_years(today(), services.incubation_years())
        return _("确定让“%(name)s”入园孵化吗？孵化期从今天开始，至 %(due)s 到期；入园后不能退回评审。",
                 name=name, due=show_date(due))
    return {
        "graduated": _("确定让“%(name)s”出壳吗？出壳即孵化结束，之后不能再变更阶段、续驻或转园。", name=name),
        "exited": _("确定让“%(name)s”退出孵化吗？退出后孵化结束，不能再变更阶段、续驻或转园。", name=name),
        "rejected": _("确定不通过“%(name)s”的入园申请吗？申请将就此结束，不能恢复。", name=name),
        "withdrawn": _("确定撤回“%(name)s”的入园申请吗？申请将就此结束，不能恢复。", name=name),
    }.get(to_stage)


def transfer_confirmation(org, park: Park) -> str:
    message = _("确定将“%(name)s”从%(old)s转入%(new)s吗？转园后由%(new)s负责管理。",
                name=org.name, old=org.park.name, new=park.name)
    if not can("org.view", park):
        message += _("你将不能再查看或管理该组织。")
    return message


def _action_forms(org, **given):
    move_form = given.get("move_form") or MoveForm(prefix="move")
    move_form.to_stage.data = None  # never preselect a stage, not even after a refused move
    if move_form.happened_on.data is None and not move_form.happened_on.errors:
        move_form.happened_on.data = today()
    move_options = [(s, stages.label(s), move_confirmation(org, s)) for s in services.allowed_moves(org)]
    transfer_form = given.get("transfer_form") or TransferForm(prefix="transfer")
    transfer_form.park.data = None
    transfer_options = [(p.id, p.name, transfer_confirmation(org, p))
                        for p in db.session.scalars(select(Park).order_by(Park.id)) if p.id != org.park_id]
    forms = {"move_form": move_form, "move_options": move_options, "move_latest": today().isoformat(),
             "renew_form": given.get("renew_form") or RenewForm(prefix="renew"),
             "transfer_form": transfer_form, "transfer_options": transfer_options}
    if can("org.contacts", org):
        forms.update(contacts=contacts.contacts(org), invitations=contacts.open_invitations(org),
                     contact_form=given.get("contact_form") or ContactForm(prefix="contact"),
                     invitation_form=InvitationForm(prefix="invite"), remove_form=RemoveContactForm(),
                     revoke_form=RevokeInvitationForm(), new_code=given.get("new_code"))
    return forms


@bp.route("/<int:org_id>/edit", methods=["GET", "POST"])
@login_required
def edit(org_id):
    org = load(org_id, "org.edit")
    form = OrganizationForm(obj=org)
    form.park.choices = [(org.park_id, org.park.name)]
    form.park.data = org.park_id
    if form.validate_on_submit():
        try:
            services.edit(org, form.data_for_service(), user=current_user)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            flash(_("已保存"), "success")
            return redirect(url_for(".detail", org_id=org.id))
    return render_template("organizations/form.html", form=form, org=org)


def _render_detail(org, status=422, **forms):
    """The organization page; after a refused action, with that form's errors."""
    user = current_user._get_current_object()
    panels = sorted(collect(hooks_for([org.park_id]).incubator_org_panels(org=org, user=user)),
                    key=lambda panel: panel.order)
    return render_template("organizations/detail.html", org=org, timeline=services.timeline(org),
                           panels=panels, **_action_forms(org, **forms)), status


@bp.route("/<int:org_id>/move", methods=["POST"])
@login_required
def move(org_id):
    org = load(org_id, "org.transition")
    form = MoveForm(prefix="move")
    # Accept any stage key here: the service explains illegal moves better than "not a valid choice".
    form.to_stage.choices = [("", "")] + [(s, s) for s in stages.STAGES]
    if not form.validate_on_submit():
        return _render_detail(org, move_form=form)
    try:
        services.move(org, form.to_stage.data, user=current_user, note=form.note.data,
                      happened_on=form.happened_on.data)
    except DomainError as exc:
        show_domain_error(form, exc)
        return _render_detail(org, status=exc.status, move_form=form)
    flash(_("阶段已变更为：%(stage)s", stage=stages.label(org.stage)), "success")
    return redirect(url_for(".detail", org_id=org.id))


@bp.route("/<int:org_id>/renew", methods=["POST"])
@login_required
def renew(org_id):
    org = load(org_id, "org.renew")
    form = RenewForm(prefix="renew")
    if not form.validate_on_submit():
        return _render_detail(org, renew_form=form)
    try:
        services.renew(org, form.new_due.data, form.reason.data, user=current_user)
    except DomainError as exc:
        show_domain_error(form, exc)
        return _render_detail(org, status=exc.status, renew_form=form)
    flash(_("已续驻至 %(due)s", due=show_date(org.incubation_due)), "success")
    return redirect(url_for(".detail", org_id=org.id))


@bp.route("/<int:org_id>/transfer", methods=["POST"])
@login_required
def transfer(org_id):
    org = load(org_id, "org.transfer")
    form = TransferForm(prefix="transfer")
    form.park.choices = [("", "")] + [(p.id, p.name) for p in db.session.scalars(select(Park))]
    if not form.validate_on_submit():
        return _render_detail(org, transfer_form=form)
    try:
        services.transfer(org, db.session.get(Park, form.park.data), form.note.data, user=current_user)
    except DomainError as exc:
        show_domain_error(form, exc)
        return _render_detail(org, status=exc.status, transfer_form=form)
    if can("org.view", org):
        flash(_("已将“%(name)s”转入%(park)s。", name=org.name, park=org.park.name), "success")
        return redirect(url_for(".detail", org_id=org.id))
    # The organization now belongs to a park this manager does not manage: back to their own list.
    flash(_("已将“%(name)s”转入%(park)s，今后由该园区管理。", name=org.name, park=org.park.name), "success")
    return redirect(url_for(".index"))


# -- contacts (组织联系人) -----------------------------------------------------------------------

@bp.route("/<int:org_id>/contacts", methods=["POST"])
@login_required
def add_contact(org_id):
    org = load(org_id, "org.contacts")
    form = ContactForm(prefix="contact")
    if not form.validate_on_submit():
        return _render_detail(org, contact_form=form)
    try:
        contact = contacts.add_contact(org, form.account.data, user=current_user)
    except DomainError as exc:
        show_domain_error(form, exc)
        return _render_detail(org, status=exc.status, contact_form=form)
    flash(_("已将 %(person)s（%(username)s）添加为联系人。", person=contact.display_name, username=contact.username),
          "success")
    return redirect(url_for(".detail", org_id=org.id, _anchor="contacts"))


@bp.route("/<int:org_id>/contacts/remove", methods=["POST"])
@login_required
def remove_contact(org_id):
    org = load(org_id, "org.contacts")
    form = RemoveContactForm()
    if form.validate_on_submit():
        attempt(lambda: contacts.remove_contact(org, form.contact.data, user=current_user), _("已移除联系人。"))
    else:
        flash_errors(form)
    return redirect(url_for(".detail", org_id=org.id, _anchor="contacts"))


@bp.route("/<int:org_id>/invitations", methods=["POST"])
@login_required
def invite(org_id):
    """A new invitation code, shown on this one response only (its hash is all that is stored)."""
    org = load(org_id, "org.contacts")
    form = InvitationForm(prefix="invite")
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(url_for(".detail", org_id=org.id, _anchor="contacts"))
    _invitation, code = contacts.create_invitation(org, user=current_user)
    response = make_response(_render_detail(org, status=200, new_code=code))
    response.headers["Cache-Control"] = "no-store"  # the code must not linger in a cache
    return response


@bp.route("/<int:org_id>/invitations/revoke", methods=["POST"])
@login_required
def revoke_invitation(org_id):
    org = load(org_id, "org.contacts")
    form = RevokeInvitationForm()
    if form.validate_on_submit() and form.invitation.data.isdigit():
        attempt(lambda: contacts.revoke_invitation(org, int(form.invitation.data), user=current_user),
                _("邀请码已作废。"))
    else:
        flash(_("请选择要作废的邀请码。"), "danger")
    return redirect(url_for(".detail", org_id=org.id, _anchor="contacts"))


# -- merging duplicates (合并重复组织) ------------------------------------------------------------

class MergeForm(FlaskForm):
    duplicate_id = HiddenField(validators=[DataRequired()])
    note = TextAreaField(_l("说明"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("确认合并"))


@bp.route("/<int:org_id>/merge", methods=["GET", "POST"])
@login_required
def merge(org_id):
    """Pick the duplicate (suggested by matching, or searched by name or USCC), see what will move,
    confirm; the duplicate's records join this organization and the duplicate is deleted."""
    org = load(org_id)
    require("org.merge")
    form = MergeForm()
    picked_id = request.values.get("duplicate_id", type=int)
    duplicate = db.session.get(Organization, picked_id) if picked_id else None
    if picked_id and duplicate is None:
        flash(_("要合并的组织不存在，可能已被合并。"), "danger")
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        try:
            result = merging.merge(org, duplicate, user=current_user, note=form.note.data or "")
        except DomainError as exc:
            flash(exc.message, "danger")
            status = exc.status
        else:
            moved = "，".join(f"{kind} {n} 条" for kind, n in result.moved.items()) or _("没有其他记录")
            flash(_("已将“%(gone)s”合并到本组织：%(moved)s。", gone=result.gone_name, moved=moved), "success")
            return redirect(url_for(".detail", org_id=org.id))
    elif request.method == "POST":
        flash(_("请选择要合并的重复组织。"), "danger")
        status = 422
    q = request.args.get("q", "").strip()
    plan = None
    if duplicate is not None and duplicate.id != org.id:
        plan = {"moved": merging.preview(org, duplicate), "filled": merging.filled_fields(org, duplicate),
                "collisions": merging.collisions_left(org, duplicate, user=current_user), "labels": merging.FIELD_LABELS}
        form.duplicate_id.data = str(duplicate.id)
    reasons = {"uscc": _("统一社会信用代码相同"), "name_phone": _("名称和联系电话相同"), "name": _("名称相同"),
               "search": _("搜索结果")}
    return render_template("organizations/merge.html", org=org, form=form, q=q, duplicate=duplicate, plan=plan,
                           candidates=merging.candidates(org, q), reasons=reasons), status

