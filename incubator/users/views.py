"""Logging in and out, and the user's own page (/me)."""
from urllib.parse import urlsplit

from flask import (Blueprint, abort, current_app, flash, g, make_response, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from .. import audit
from ..errors import DomainError
from ..extensions import db, limiter
from ..forms import show_domain_error
from ..home import home_url
from ..plugins import collect, hooks_for
from . import services
from . import setup as setup_accounts
from .forms import ChangePasswordForm, LoginForm, SetupForm
from .models import ApiToken
from .throttle import account_limit, note_failed_login

bp = Blueprint("auth", __name__)


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])  # per address
@account_limit  # per account, whatever the address
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is None:
            note_failed_login()
            form.password.errors.append(_("用户名或密码错误"))
        else:
            renew_csrf_token()
            login_user(user, remember=form.remember.data)
            audit.record("user.login", user, user=user, summary=user.username)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")) or home_url(user))
    return render_template("users/login.html", form=form)


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: no open redirect through ?next=."""
    if not target:
        return None
    parts = urlsplit(target)
    # Browsers read a backslash as a slash ("/\host" is "//host"): refuse backslashes too.
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def renew_csrf_token() -> None:
    """A CSRF token seen before logging in (on the login page) is no good after it: Flask-WTF keeps
    the token in the session (and this request's copy in g); the next form gets a new one."""
    session.pop("csrf_token", None)
    g.pop("csrf_token", None)


def stay_signed_in(user) -> None:
    """After the user's own sessions were ended (a new password, 退出所有登录 on oneself), this
    browser stays logged in under the new session generation; every other one is logged out."""
    remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    login_user(user, remember=remember)


@bp.route("/welcome/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def setup(token):
    """开通账号: the owner of an account opened without a password sets one, from their link."""
    try:
        account = setup_accounts.account_for(token)
    except DomainError as exc:
        return render_template("users/setup.html", problem=exc.message), 410
    form = SetupForm()
    if form.validate_on_submit():
        try:
            setup_accounts.set_first_password(account, form.new_password.data)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            renew_csrf_token()
            login_user(account)
            flash(_("密码已设置，账号已开通。欢迎使用！"), "success")
            return redirect(home_url(account))
    response = make_response(render_template("users/setup.html", form=form, account=account))
    response.headers["Referrer-Policy"] = "no-referrer"  # the token stays out of other sites' logs
    return response


@bp.route("/logout", methods=["POST"])
def logout():
    """退出登录 (a POST from the menu's form): this session, every other session of the user and their
    API tokens end."""
    if current_user.is_authenticated:
        services.log_out(current_user._get_current_object())
    logout_user()
    renew_csrf_token()
    flash(_("已退出登录"), "info")
    return redirect(url_for("public.home"))


@bp.route("/me")
@login_required
def me():
    user = current_user._get_current_object()
    parks = user.parks if user.role == "manager" else None
    panels = sorted(collect(hooks_for(parks).incubator_profile_panels(user=user)), key=lambda p: p.order)
    return render_template("users/me.html", user=user, panels=panels, tokens=services.tokens_of(user))


@bp.route("/me/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id):
    """作废 one of the user's own API tokens; someone else's is a 404, like one that does not exist."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    services.revoke_token(token, user=current_user._get_current_object())
    flash(_("已作废该接口令牌，使用它的程序将无法再访问接口。"), "success")
    return redirect(url_for(".me"))


@bp.route("/me/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_limit, methods=["POST"])  # the current password must not be guessable here either
def change_password():
    """修改密码: the current password, the new one twice."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(user, form.current_password.data, form.new_password.data)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            stay_signed_in(user)
            flash(_("密码已修改，下次登录请使用新密码。其他设备上的登录和接口令牌均已失效。"), "success")
            return redirect(url_for(".me"))
    return render_template("users/password.html", form=form)
