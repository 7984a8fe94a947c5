"""POST /api/v1/auth/token, and the bearer-token check every other resource uses."""
from functools import wraps

import marshmallow as ma
from flask import abort, current_app, request
from flask_login import current_user
from flask_smorest import Blueprint

from ..extensions import limiter
from ..users import services as users
from ..users.throttle import account_limit, note_failed_login

blp = Blueprint("api_auth", __name__, url_prefix="/auth", description="Authentication")


class TokenRequestSchema(ma.Schema):
    username = ma.fields.String(required=True)
    password = ma.fields.String(required=True, load_only=True)


class TokenSchema(ma.Schema):
    token = ma.fields.String(required=True)
    username = ma.fields.String()
    role = ma.fields.String()


def user_from_header():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return users.user_for_token(token.strip())


def token_required(view):
    """401 unless the request carried a valid bearer token."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            abort(401, description="需要有效的令牌：Authorization: Bearer <token>")
        return view(*args, **kwargs)
    return wrapper


@blp.before_request
def _small_body():
    """The token request is a username and a password: a body over API_TOKEN_MAX_BODY bytes is
    refused (413) on its Content-Length, before anything reads it; a body without one (chunked) is
    read one byte past the limit at most, to tell a body at the limit from one over it."""
    limit = current_app.config["API_TOKEN_MAX_BODY"]
    too_large = f"请求内容过大：申请令牌的请求不能超过 {limit} 字节"
    if request.content_length is not None:
        request.max_content_length = limit
        if request.content_length > limit:
            abort(413, description=too_large)
    else:
        request.max_content_length = limit + 1
        if len(request.get_data(cache=True)) > limit:  # kept for the JSON parser
            abort(413, description=too_large)


@blp.route("/token", methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
@account_limit
@blp.arguments(TokenRequestSchema)
@blp.response(201, TokenSchema)
@blp.alt_response(401, description="Wrong username or password")
@blp.alt_response(413, description="Request body over API_TOKEN_MAX_BODY bytes")
def create_token(data):
    """Exchange a username and password for a bearer token."""
    user = users.authenticate(data["username"], data["password"])
    if user is None:
        note_failed_login()
        abort(401, description="用户名或密码错误")
    return {"token": users.issue_token(user), "username": user.username, "role": user.role}
