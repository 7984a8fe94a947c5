"""The JSON API under /api/v1 (flask-smorest: the OpenAPI document is generated from this code)."""
from flask import g, request
from flask_login import AnonymousUserMixin
from flask_smorest import Api

from ..extensions import csrf
from .errors import ErrorSchema

BEARER = {"bearerAuth": []}


class IncubatorApi(Api):
    """flask-smorest's Api, with the core's error format and error handlers (see app.py)."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        """The app's own handlers answer every /api error as {"errors": [...]}."""


def init_api(app, registry) -> IncubatorApi:
    api = IncubatorApi(spec_kwargs={
        "info": {"description": "社区治理学院孵化平台 JSON API. Errors: `{\"errors\": [{message, code, field}]}`."},
    })
    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    app.extensions["incubator_api"] = api

    from ..notifications import api as notifications
    from . import auth, organizations, parks, reports
    blueprints = [auth.blp, parks.blp, organizations.blp, notifications.blp, reports.blp]
    for result in registry.call_each("incubator_api_blueprints"):
        blueprints.extend(result or [])
    for blp in blueprints:
        csrf.exempt(blp)
        api.register_blueprint(blp, url_prefix=f"/api/v1{blp.url_prefix or ''}")

    @app.before_request
    def api_user_from_token():
        """Under /api only a bearer token identifies the user; session cookies are ignored (no CSRF)."""
        if request.path.startswith("/api/"):
            g._login_user = auth.user_from_header() or AnonymousUserMixin()

    return api
