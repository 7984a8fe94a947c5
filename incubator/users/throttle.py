"""Throttling login attempts per account (besides per address): someone trying passwords for one
account from many addresses is stopped too.

One Flask-Limiter limit, LOGIN_ACCOUNT_RATE_LIMIT ("10 per 15 minutes"), keyed by the normalised
username and shared by the login page and the API's token endpoint. Only failed attempts count
(`note_failed_login`), so the account's owner who types the password right is never the one who
uses it up; once it is used up, every attempt on that account is refused (429) until the window
ends, whatever the address and whatever the password.
"""
from flask import current_app, g, request
from flask_babel import gettext as _
from limits import parse

from ..extensions import limiter

SCOPE = "login-account"


def normalised_username(username) -> str:
    """The account a login attempt is for: the same however it is spaced or capitalised."""
    return str(username or "").strip().casefold()[:80]


def _account_key() -> str:
    data = request.form if request.form else request.get_json(silent=True)
    username = data.get("username") if hasattr(data, "get") else None
    # Never empty: Flask-Limiter skips a limit whose key is empty.
    return "account:" + normalised_username(username)


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _message() -> str:
    minutes = max(1, round(parse(_account_limit()).get_expiry() / 60))
    return _("该账号登录失败次数过多，已暂时锁定，请 %(minutes)s 分钟后再试。如忘记密码，请联系管理员重置。",
             minutes=minutes)


def note_failed_login() -> None:
    """This request's attempt had a wrong username or password: it counts against the account."""
    g.login_failed = True


def _failed(_response) -> bool:
    return bool(g.get("login_failed"))


# Applied to /login (POST) and POST /api/v1/auth/token; one shared count per account.
account_limit = limiter.shared_limit(_account_limit, scope=SCOPE, key_func=_account_key, methods=["POST"],
                                     error_message=_message, deduct_when=_failed)
