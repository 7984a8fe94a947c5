"""The district administrator's pages: parks, users, plugins, audit log."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit
from ..audit.models import AuditEntry
from ..database import transaction
from ..errors import DomainError, ValidationError
from ..extensions import db
from ..forms import show_domain_error
from ..parks import services as parks
from ..parks.models import Park
from ..permissions import require
from ..plugins import enablement, registry, set_enablement
from ..users import services as users
from ..users.forms import UserForm
from ..users.models import User
from .forms import ParkForm, PluginEnablementForm

bp = Blueprint("admin", __name__, url_prefix="/admin")


# -- parks ---------------------------------------------------------------------------------

@bp.route("/parks")
@login_required
def park_list():
    require("park.manage")
    return render_template("admin/parks.html", tree=parks.tree())


@bp.route("/parks/new", methods=["GET", "POST"], defaults={"park_id": None})
@bp.route("/parks/<int:park_id>", methods=["GET", "POST"])
@login_required
def park_form(park_id):
    require("park.manage")
    park = db.session.get(Park, park_id) if park_id else None
    if park_id and park is None:
        abort(404)
    form = ParkForm(obj=park)
    form.parent_id.choices = [(0, "—")] + [(p.id, f"{'—' * d} {p.name}") for p, d in parks.tree()
                                           if park is None or p.id != park.id]
    if request.method == "GET" and park is not None:
        form.parent_id.data = park.parent_id or 0
    if form.validate_on_submit():
        data = {k: v for k, v in form.data.items() if k not in ("submit", "csrf_token")}
        data["area_m2"] = data["area_m2"] or 0
        try:
            saved = parks.edit(park, data, user=current_user) if park else parks.create(data, user=current_user)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            flash(_("已保存园区：%(name)s", name=saved.name), "success")
            return redirect(url_for(".park_list"))
    return render_template("admin/park_form.html", form=form, park=park)


# -- users ---------------------------------------------------------------------------------

@bp.route("/users")
@login_required
def user_list():
    require("user.manage")
    stmt = select(User).options(selectinload(User.parks)).order_by(User.id)
    role = request.args.get("role")
    if role:
        stmt = stmt.where(User.role == role)
    q = request.args.get("q", "").strip()
    if q:
        stmt = stmt.where(User.username.contains(q) | User.name.contains(q))
    page = db.paginate(stmt, per_page=50, error_out=False)
    return render_template("admin/users.html", page=page)


@bp.route("/users/new", methods=["GET", "POST"], defaults={"user_id": None})
@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user_form(user_id):
    require("user.manage")
    target = db.session.get(User, user_id) if user_id else None
    if user_id and target is None:
        abort(404)
    form = UserForm(obj=target)
    form.parks.choices = [(p.id, p.name) for p in parks.all_parks()]
    if request.method == "GET" and target is not None:
        form.parks.data = [p.id for p in target.parks]
    if form.validate_on_submit():
        data = {k: v for k, v in form.data.items() if k not in ("submit", "csrf_token")}
        data["parks"] = [db.session.get(Park, pid) for pid in data["parks"]] if data["role"] == "manager" else []
        try:
            if target is not None and target.id == current_user.id and (not data["active"] or data["role"] != "admin"):
                raise ValidationError(_("不能停用自己或取消自己的管理员角色"), field="role")
            saved = users.edit(target, data, user=current_user) if target else users.create(data, user=current_user)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            flash(_("已保存用户：%(name)s", name=saved.username), "success")
            return redirect(url_for(".user_list"))
    return render_template("admin/user_form.html", form=form, target=target)


# -- plugins -------------------------------------------------------------------------------

@bp.route("/plugins")
@login_required
def plugin_list():
    require("plugin.manage")
    reg = registry()
    park_names = {p.id: p.name for p in parks.all_parks()}
    return render_template("admin/plugins.html", infos=list(reg.infos.values()), state=enablement(),
                           park_names=park_names)


@bp.route("/plugins/<name>", methods=["GET", "POST"])
@login_required
def plugin_form(name):
    require("plugin.manage")
    info = registry().infos.get(name)
    if info is None or not info.loaded:
        abort(404)
    state = enablement()[name]
    form = PluginEnablementForm(scope=state.scope)
    form.parks.choices = [(p.id, f"{'—' * d} {p.name}") for p, d in parks.tree()]
    if request.method == "GET":
        form.parks.data = sorted(state.park_ids)
    if form.validate_on_submit():
        chosen = [db.session.get(Park, pid) for pid in form.parks.data or []]  # none ticked: None
        if form.scope.data == "parks" and not chosen:
            form.parks.errors.append(_("请至少选择一个园区"))
        else:
            with transaction():
                set_enablement(name, form.scope.data, chosen)
                audit.record("plugin.enablement", object_type="Plugin", object_id=name,
                             summary=f"{name}: {form.scope.data}", parks=[p.code for p in chosen])
            flash(_("已更新插件 %(name)s 的启用范围", name=name), "success")
            return redirect(url_for(".plugin_list"))
    return render_template("admin/plugin_form.html", form=form, info=info)


# -- audit log -----------------------------------------------------------------------------

@bp.route("/audit")
@login_required
def audit_log():
    require("audit.view")
    stmt = select(AuditEntry).options(selectinload(AuditEntry.user)).order_by(AuditEntry.id.desc())
    if request.args.get("action"):
        stmt = stmt.where(AuditEntry.action.startswith(request.args["action"]))
    if request.args.get("user"):
        stmt = stmt.join(User, AuditEntry.user_id == User.id).where(User.username == request.args["user"])
    if request.args.get("object_type"):
        stmt = stmt.where(AuditEntry.object_type == request.args["object_type"])
    page = db.paginate(stmt, per_page=50, error_out=False)
    return render_template("admin/audit.html", page=page)
