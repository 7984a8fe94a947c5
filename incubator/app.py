"""The application factory: config, extensions, plugins, blueprints, API, error pages."""
import json
import logging
import os
import re
from pathlib import Path

from flask import Flask, g, jsonify, make_response, render_template, request, session, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import DataError, DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import BadRequest, HTTPException, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

from .config import MB, load_config
from .errors import DomainError
from .extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate
from .plugins import PluginRegistry, collect, hooks_for, watch_enablement
from .schema_versions import CORE_MIGRATIONS
from .stamps import watch_writes
log = logging.getLogger(__name__)


def create_app(overrides: dict | None = None) -> Flask:
    from . import instance_path
    app = Flask(__name__, instance_path=instance_path(), instance_relative_config=True)
    # Ids in URLs fit the database's integer: /orgs/99999999999999999999 is a 404, not a 500.
    app.url_map.converters["int"] = BoundedIntConverter
    load_config(app, overrides)
    _init_extensions(app)

    registry = PluginRegistry(app)
    app.extensions["incubator_plugins"] = registry
    registry.load_all()
    watch_enablement()
    watch_writes()

    _register_blueprints(app)
    from .api import init_api
    init_api(app, registry)
    registry.call_each("incubator_load", app=app)
    _add_plugin_translations(app, registry)
    registry.call_each("incubator_cli", cli=app.cli)
    from .cli import register_core_commands
    register_core_commands(app)

    _register_template_helpers(app)
    _register_error_handlers(app)
    app.before_request(_reset_request_caches)
    app.before_request(_refuse_lone_surrogates)
    app.after_request(_security_headers)
    return app


def _security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _add_plugin_translations(app: Flask, registry) -> None:
    """A plugin's `translations/` folder (beside its module) joins the core's catalog.

    Plugin folders go first: catalogs are merged in order, so where a plugin and the core translate
    the same Chinese text, the core's wording wins and the menu stays consistent.
    """
    directories = app.extensions["babel"].translation_directories
    for info in registry.loaded():
        folder = Path(info.module.__file__).resolve().parent / "translations"
        if folder.is_dir() and str(folder) not in directories:
            directories.insert(0, str(folder))


def _reset_request_caches() -> None:
    """Per-request caches kept in `g` start empty for every request.

    `g` belongs to the application context, which a test (or a CLI command) may keep across several
    requests; the language, the menu and plugin enablement must still be decided per request.
    """
    from flask_babel import refresh
    refresh()
    g.pop("plugin_enablement", None)
    g.pop("nav_items", None)
    g.pop("todos", None)


class BoundedIntConverter(IntegerConverter):
    """`<int:id>` limited to what a 32-bit INTEGER column holds."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(CORE_MIGRATIONS), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    bootstrap.init_app(app)
    limiter.init_app(app)

    @login_manager.user_loader
    def load_user(session_id):
        """The session's (or remember-me cookie's) user while its session generation is current."""
        from .users.models import User
        return User.for_session_id(session_id)


@migrate.configure
def _version_locations(config):
    """Every loaded tree's revisions (the core's and each plugin's): the map `db revision` works on.
    Upgrades and downgrades go tree by tree (incubator.schema_versions)."""
    from .schema_versions import trees
    dirs = [d for tree in trees() for d in tree.dirs]
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(dirs))
    return config


def _select_locale():
    """The user's choice in a request; the default (Chinese) in the CLI and background workers."""
    from flask import current_app, has_request_context
    lang = session.get("lang") if has_request_context() else None
    return lang if lang in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def _register_blueprints(app: Flask) -> None:
    from .admin.views import bp as admin_bp
    from .dashboard.views import bp as dashboard_bp
    from .files.views import bp as files_bp
    from .figures.views import bp as reports_bp, public_bp as showcase_bp
    from .imports.views import bp as imports_bp
    from .organizations.views import bp as org_bp
    from .portal.views import bp as portal_bp
    from .public.views import bp as public_bp
    from .notifications.views import bp as notifications_bp
    from .users.views import bp as auth_bp
    for bp in (public_bp, auth_bp, dashboard_bp, org_bp, portal_bp, admin_bp, notifications_bp, files_bp,
               imports_bp, reports_bp, showcase_bp):
        app.register_blueprint(bp)


def _register_template_helpers(app: Flask) -> None:
    from .organizations import stages
    from .permissions import can

    def nav_items():
        if "nav_items" not in g:
            parks = None
            if current_user.is_authenticated and current_user.role == "manager":
                parks = current_user.parks
            items = collect(hooks_for(parks).incubator_nav_items(user=current_user._get_current_object()))
            g.nav_items = sorted(items, key=lambda item: item.order)
        return g.nav_items

    from .dates import today
    from .home import home_url, todo_badge, todos
    from .notifications.services import unread_notifications
    app.jinja_env.globals.update(
        todos=lambda: todos(current_user), todo_badge=lambda: todo_badge(current_user),
        unread_notifications=lambda: unread_notifications(current_user),
        home_url=lambda: home_url(current_user), today=today,
        can=can, nav_items=nav_items, stage_label=stages.label, STAGES=stages.STAGES,
        format_decimal=format_decimal, languages=lambda: app.config["LANGUAGES"],
    )
    from .markdown import register as register_markdown
    register_markdown(app)
    from .dates import show_date, show_datetime
    app.jinja_env.filters["date"] = show_date
    app.jinja_env.filters["datetime"] = show_datetime
    from . import numbers
    numbers.init_app(app)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, errors: list[dict]):
    response = jsonify({"errors": errors})
    response.status_code = status
    return response


def database_unreachable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached now (refused, down, connection lost, pool
    exhausted, locked), as opposed to a statement the database refused (a bug: 500)."""
    if isinstance(exc, (DisconnectionError, PoolTimeout)):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError):
        text = str(exc.orig).lower()
        return not any(sign in text for sign in ("no such table", "no such column", "syntax error"))
    return False


# A sentence with Chinese in it: the only kind of custom error description shown in Chinese mode
# (Werkzeug's and the libraries' own descriptions are English).
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _shown_description(exc: HTTPException) -> str | None:
    """A description given with abort(…, description=…), never Werkzeug's default English one."""
    from flask_babel import get_locale
    from flask_wtf.csrf import CSRFError
    description = exc.description
    # A 429's own description is Flask-Limiter's "3 per 1 minute"; one of ours (the account lock) is Chinese.
    own_429 = exc.code == 429 and _HAN.search(str(description))
    if not description or description == type(exc).description or (exc.code == 429 and not own_429) \
            or isinstance(exc, CSRFError):
        return None
    locale = get_locale()
    if _HAN.search(str(description)) or (locale is not None and locale.language == "en"):
        return str(description)
    return None


def _too_large() -> RequestEntityTooLarge:
    """A 413 that names the limit, in the request's language (Werkzeug's own is English and names none)."""
    limit = request.max_content_length
    if not limit:  # no limit of ours: a 413 raised by hand
        return RequestEntityTooLarge(_("提交的内容超出了允许的大小。"))
    size = f"{round(limit / MB, 2):g} MB" if limit >= MB else _("%(n)s 字节", n=limit)
    return RequestEntityTooLarge(_("上传的文件和填写的内容合计不能超过 %(size)s。", size=size))


def _back_url() -> str | None:
    """The page the visitor came from, when it is on this site and is not this page."""
    target = request.referrer
    if not target or not target.startswith(request.host_url) or target == request.url:
        return None
    return target


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # the connection is gone: nothing to roll back, the session is reset anyway
        log.debug("rollback failed", exc_info=True)


def _anonymous() -> bool:
    try:
        return not current_user.is_authenticated
    except Exception:  # loading the user needs the database
        return True


def _refuse_lone_surrogates() -> None:
    """A JSON body may spell half of a UTF-16 pair ("\\ud800"): valid JSON, but not text — no
    database can store it, so the endpoint would fail later. 400 here instead, with a clear message.

    Only bodies that announce their length are read here (Werkzeug has already refused those over
    MAX_CONTENT_LENGTH); a chunked body is left to its endpoint's own limits, and should it carry a
    lone surrogate, the UnicodeEncodeError handler answers 400 where it meets the database.
    """
    if not request.is_json or request.content_length is None:
        return
    body = request.get_data(cache=True)
    # Only an escape (\\udXXX) or the raw bytes ED A0–BF can make one; most bodies skip the parse.
    if b"\\ud" not in body.lower() and b"\xed" not in body:
        return
    try:
        value = json.loads(body)
    except ValueError:  # malformed JSON: the API's own parser answers 400
        return
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadRequest(LONE_SURROGATE) from exc


LONE_SURROGATE = _l("请求的 JSON 中含有无效的 Unicode 字符（孤立的代理项，如 \\ud800）")


def _register_error_handlers(app: Flask) -> None:
    """Errors as Chinese (or English) pages in the site's layout, and as JSON under /api/.

    errors/error.html uses the full layout (menu, to-dos); errors/plain.html the same look without
    anything read from the database, for the database-down page (503) and for the case where the
    full layout itself fails while showing an error.
    """
    def error_page(status: int, **context):
        from flask_wtf.csrf import CSRFError
        error = context.get("error")
        context.update(code=status, back_url=_back_url(), login_url=None,
                       csrf=isinstance(error, CSRFError))
        if status in (401, 403) and _anonymous():
            context["login_url"] = url_for("auth.login", next=request.full_path.rstrip("?"))
        body = None
        if status != 503:
            try:
                body = render_template("errors/error.html", **context)
            except Exception as exc:  # the layout itself failed (e.g. the database went away)
                _rollback()
                if database_unreachable(exc):
                    status = context["code"] = 503
                    log.error("database unreachable on %s: %s", request.path, exc)
                else:
                    log.exception("the error page failed on %s", request.path)
        if body is None:
            body = render_template("errors/plain.html", **context)
        response = make_response(body, status)
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        if status == 503:
            response.headers["Retry-After"] = "30"
        return response


    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code == 413 and exc.description == RequestEntityTooLarge.description:
            exc = _too_large()
        if wants_json():
            from .api.errors import http_exception_errors
            response = json_error(exc.code or 500, http_exception_errors(exc))
            if exc.code == 401:
                response.headers["WWW-Authenticate"] = 'Bearer realm="incubator"'
            if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
                response.headers["Allow"] = ", ".join(exc.valid_methods)
            return response
        return error_page(exc.code or 500, error=exc, detail=_shown_description(exc))

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    @app.errorhandler(UnicodeEncodeError)
    def out_of_range(exc):
        """Input the database cannot hold (a number too large, a NUL character, half of a surrogate
        pair) is bad input: 400."""
        _rollback()
        return http_error(BadRequest(_("请求中的数值或字符超出允许范围")))

    @app.errorhandler(DBAPIError)
    @app.errorhandler(DisconnectionError)
    @app.errorhandler(PoolTimeout)
    def database_error(exc):
        """The database is down or the connection was lost: 503, the session rolled back."""
        if not database_unreachable(exc):
            return unexpected(exc)
        _rollback()
        log.error("database unreachable on %s: %s", request.path, exc)
        if wants_json():
            response = json_error(503, [{"message": "系统暂时无法访问数据库，请稍后再试", "code": "DatabaseUnavailable"}])
            response.headers["Retry-After"] = "30"
            return response
        return error_page(503)

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        _rollback()
        if wants_json():
            return json_error(exc.status, exc.to_errors())
        return error_page(exc.status, error=exc, message=exc.message, reasons=exc.reasons)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        _rollback()
        log.exception("unhandled error on %s", request.path)
        if wants_json():
            return json_error(500, [{"message": "Internal server error", "code": "InternalError"}])
        return error_page(500)

