"""Logging in and out, and the user's own page (/me)."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from .. import audit
from ..errors import DomainError
from ..extensions import db, limiter
from ..forms import show_domain_error
from ..home import home_url
from ..plugins import collect, hooks_for
from . import services
from .forms import ChangePasswordForm, LoginForm

bp = Blueprint("auth", __name__)


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is None:
            form.password.errors.append(_("用户名或密码错误"))
        else:
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


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    logout_user()
    flash(_("已退出登录"), "info")
    return redirect(url_for("public.home"))


@bp.route("/me")
@login_required
def me():
    user = current_user._get_current_object()
    parks = user.parks if user.role == "manager" else None
    panels = sorted(collect(hooks_for(parks).incubator_profile_panels(user=user)), key=lambda p: p.order)
    return render_template("users/me.html", user=user, panels=panels)


@bp.route("/me/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_limit, methods=["POST"])  # the current password must not be guessable here either
def change_password():
    """修改密码: the current password, the new one twice."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user._get_current_object(), form.current_password.data,
                                     form.new_password.data)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            flash(_("密码已修改，下次登录请使用新密码。"), "success")
            return redirect(url_for(".me"))
    return render_template("users/password.html", form=form)
