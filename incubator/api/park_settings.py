"""A plugin's per-park settings in the API: `GET` and `PUT /api/v1/<plugin>/parks/<code>/settings`,
written once for every plugin that keeps settings per park (assessment, mentoring, …).

The settings stay in the plugin's own typed table, with its database constraints; the plugin gives
its schema, the action that guards them, and the two service functions:

    park_settings_routes(blp, PLUGIN, "mentoring.settings", MentoringSettingsSchema,
                         load=services.settings_for, save=services.save_settings)
"""
from flask_login import current_user

from ..plugins import park_for
from . import BEARER
from .auth import token_required


def park_settings_routes(blp, plugin: str, action: str, schema, *, load, save) -> None:
    """`load(park_id)` answers the settings (defaults when never saved); `save(park, user=…, **data)`
    validates, stores and answers them. 404 for an unknown park or one where the plugin is off, 403
    without `action` on the park."""

    def park(code):
        return park_for(plugin, code, action)

    @blp.route("/parks/<code>/settings", endpoint="get_settings")
    @token_required
    @blp.doc(security=[BEARER], summary="The park's settings (defaults when never saved)")
    @blp.response(200, schema)
    def get_settings(code):
        return load(park(code).id)

    @blp.route("/parks/<code>/settings", methods=["PUT"], endpoint="put_settings")
    @token_required
    @blp.doc(security=[BEARER], summary="Save the park's settings")
    @blp.arguments(schema)
    @blp.response(200, schema)
    def put_settings(data, code):
        return save(park(code), user=current_user, **data)
