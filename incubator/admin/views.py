"""The district administrator's pages: parks, users, plugins, audit log."""
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit
from ..audit import labels as audit_labels
from ..audit.search import AuditFilter, statement as audit_statement
from ..database import transaction
from ..errors import DomainError, ValidationError
from ..exports import xlsx_response
from ..extensions import db
from ..forms import show_domain_error
from ..parks import services as parks
from ..parks.models import Park
from ..permissions import require
from ..plugins import enablement, registry, set_enablement
from ..users import services as users
from ..users import setup as setup_accounts
from ..search import matches
from ..users.forms import ResetPasswordForm, UserForm
from ..users.models import ROLES, User
from ..users.views import stay_signed_in
from .forms import AuditFilterForm, ParkForm, PluginEnablementForm

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
        stmt = stmt.where(matches(q, User.username, User.name))
    page = db.paginate(stmt, per_page=50, error_out=False)
    return render_template("admin/users.html", page=page, roles=ROLES)


@bp.route("/users/new", methods=["GET", "POST"], defaults={"user_id": None})
@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user_form(user_id):
    require("user.manage")
    target = _user_or_404(user_id) if user_id else None
    form = UserForm(obj=target)
    if target is not None:
        del form.password  # an existing user's password changes only through 重置密码 below
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
            return redirect(url_for(".user_list", q=saved.username))  # the saved row, whatever page it is on
    return _user_page(form, target)


def _user_or_404(user_id) -> User:
    target = db.session.get(User, user_id)
    if target is None:
        abort(404)
    return target


def _user_page(form, target, reset_form=None, generated=None):
    if target is not None and reset_form is None:
        reset_form = ResetPasswordForm(formdata=None)
    setup_link = None
    if target is not None and not setup_accounts.has_password(target):
        setup_link = request.url_root.rstrip("/") + setup_accounts.link_for(target)
    return render_template("admin/user_form.html", form=form, target=target, reset_form=reset_form,
                           generated=generated, setup_link=setup_link,
                           setup_days=setup_accounts.SETUP_DAYS)


def _saved_user_form(target) -> UserForm:
    """The edit form as stored (for pages that answer another form's POST)."""
    form = UserForm(obj=target, formdata=None)
    del form.password
    form.parks.choices = [(p.id, p.name) for p in parks.all_parks()]
    form.parks.data = [p.id for p in target.parks]
    return form


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@login_required
def reset_password(user_id):
    """重置密码: the administrator sets a new password they type, or a generated one shown once."""
    require("user.manage")
    target = _user_or_404(user_id)
    reset_form = ResetPasswordForm()
    if reset_form.validate_on_submit():
        typed = reset_form.new_password.data
        try:
            new = users.reset_password(target, typed, user=current_user)
        except DomainError as exc:
            show_domain_error(reset_form, exc)
        else:
            if target.id == current_user.id:  # one's own: this browser stays logged in
                stay_signed_in(target)
            if typed:
                flash(_("已重置 %(name)s 的密码。", name=target.username), "success")
                return redirect(url_for(".user_form", user_id=target.id))
            # A generated password is shown on this answer only: never kept in the session, the log
            # or a cache.
            response = make_response(_user_page(_saved_user_form(target), target, generated=new))
            response.headers["Cache-Control"] = "no-store"
            return response
    return _user_page(_saved_user_form(target), target, reset_form)


@bp.route("/users/<int:user_id>/setup-notice", methods=["POST"])
@login_required
def send_setup_notice(user_id):
    """发送开通通知: an account without a password is sent (again) its link to set one."""
    require("user.manage")
    target = _user_or_404(user_id)
    with transaction():
        told = setup_accounts.invite([target])
    flash(_("已向 %(name)s 发送开通通知。", name=target.username) if told else
          _("%(name)s 已设置密码，无需开通。", name=target.username), "success" if told else "info")
    return redirect(url_for(".user_form", user_id=target.id))


@bp.route("/users/<int:user_id>/sign-out", methods=["POST"])
@login_required
def sign_out_everywhere(user_id):
    """退出所有登录: every session of the user (on any device) and their API tokens end."""
    require("user.manage")
    target = _user_or_404(user_id)
    users.sign_out_everywhere(target, user=current_user)
    if target.id == current_user.id:  # one's own: this browser stays logged in, every other one is out
        stay_signed_in(target)
    flash(_("已退出 %(name)s 的所有登录，其接口令牌已全部作废。", name=target.username), "success")
    return redirect(url_for(".user_form", user_id=target.id))


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
    tree = parks.tree()
    form.parks.choices = [(p.id, p.name) for p, _depth in tree]
    if request.method == "GET":
        form.parks.data = sorted(state.park_ids)
    if form.validate_on_submit():
        chosen = [db.session.get(Park, pid) for pid in form.parks.data or []]  # none ticked: None
        if form.scope.data == "parks" and not chosen:
            form.parks.errors.append(_("请至少选择一个园区"))
        else:
            scope_text = {"all": "所有园区", "none": "停用"}.get(form.scope.data) or "、".join(p.name for p in chosen)
            with transaction():
                set_enablement(name, form.scope.data, chosen)
                audit.record("plugin.enablement", object_type="Plugin", object_id=name,
                             summary=f"{info.title or name}：{scope_text}", scope=form.scope.data,
                             parks=[p.code for p in chosen])
            flash(_("已更新插件“%(name)s”的启用范围", name=info.display_title), "success")
            return redirect(url_for(".plugin_list"))
    return render_template("admin/plugin_form.html", form=form, info=info, depths={p.id: d for p, d in tree})


# -- audit log -----------------------------------------------------------------------------

def _audit_filter() -> tuple[AuditFilterForm, AuditFilter]:
    form = AuditFilterForm(formdata=request.args)
    form.validate()
    if not request.args.get("filtered"):
        form.hide_logins.data = True  # a first visit: logins are most of the log, leave them out

    def valid(field):  # a bad value in one filter leaves that filter out, with its message shown
        return None if field.errors else field.data
    chosen = AuditFilter(q=(valid(form.q) or "").strip(), date_from=valid(form.date_from),
                         date_to=valid(form.date_to), action=(valid(form.action) or "").strip(),
                         hide_logins=bool(form.hide_logins.data))
    return form, chosen


@bp.route("/audit")
@login_required
def audit_log():
    require("audit.view")
    form, chosen = _audit_filter()
    page = db.paginate(audit_statement(chosen), per_page=50, error_out=False)
    return render_template("admin/audit.html", page=page, form=form, groups=audit_labels.action_groups(),
                           labels=audit_labels.action_labels(), targets=audit_labels.targets(page.items),
                           who=audit_labels.who, export_args=_link_args())


def _link_args() -> dict:
    """The query's filters for a link, without url_for's own options (_method, _scheme …)."""
    return {k: v for k, v in request.args.items() if not k.startswith("_") and k != "endpoint"}


@bp.route("/audit/export")
@login_required
def audit_export():
    """The filtered log as an Excel file (the same filters as the page, every matching entry)."""
    require("audit.view")
    from flask_babel import to_user_timezone

    from ..dates import today
    chosen = _audit_filter()[1]
    entries = db.session.scalars(audit_statement(chosen)).all()
    labels = audit_labels.action_labels()
    targets = audit_labels.targets(entries)
    header = [_("时间"), _("操作人"), _("操作"), _("对象"), _("摘要"), _("操作键"), "IP"]
    rows = [[to_user_timezone(e.created_at).replace(tzinfo=None), audit_labels.who(e.user),
             labels.get(e.action, e.action), targets[e.id].name if e.id in targets else "", e.summary, e.action, e.ip]
            for e in entries]
    return xlsx_response(f"{_('审计日志')}-{today().isoformat()}.xlsx", header, rows, sheet=_("审计日志"))
