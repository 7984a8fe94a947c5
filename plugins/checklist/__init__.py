"""材料清单 · Document checklist: graduation waits until the registration certificate is on file.

The platform's example plugin: it uses every kind of hook a plugin needs (pages, API, menu,
organization panel, dashboard widget, stage veto and follow-up, permissions, CLI, demo data,
its own table and migration branch). Each hook hands on to the modules beside it.
"""
from pathlib import Path

from flask import render_template, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from incubator import audit, hookimpl
from incubator.extensions import db
from incubator.ui import NavItem, Panel, Widget

PLUGIN = "checklist"


@hookimpl
def incubator_load(app):
    from .views import bp
    app.register_blueprint(bp)


@hookimpl
def incubator_api_blueprints():
    from .api import blp
    return [blp]


@hookimpl
def incubator_migration_dirs():
    return [str(Path(__file__).parent / "migrations")]


@hookimpl
def incubator_permissions():
    return [("checklist.view", "查看材料清单"), ("checklist.record", "登记收到的材料")]


@hookimpl
def incubator_permission(user, action, resource):
    """Managers see and record documents of their own parks' organizations (admins: the core allows)."""
    if not action.startswith("checklist.") or not getattr(user, "is_authenticated", False):
        return None
    if user.role != "manager":
        return None
    if resource is None:
        return action == "checklist.view"
    return True if resource.park_id in user.park_ids else None


@hookimpl
def incubator_nav_items(user):
    from incubator.permissions import can
    if getattr(user, "is_authenticated", False) and can("checklist.view", user=user):
        return [NavItem(_("材料清单"), url_for("checklist.overview"), order=50)]


@hookimpl
def incubator_org_panels(org, user):
    from incubator.permissions import can

    from . import services
    from .forms import RecordForm
    if not can("org.view", org, user=user):
        return None
    html = render_template("checklist/panel.html", org=org, documents=services.DOCUMENTS,
                           on_file=services.on_file(org.id), required=services.REQUIRED_FOR_GRADUATION,
                           form=RecordForm(), may_record=can("checklist.record", org, user=user))
    return [Panel(_("材料清单"), Markup(html), order=20)]


@hookimpl
def incubator_dashboard_widgets(parks, user):
    from incubator.plugins import is_enabled

    from . import services
    park_ids = [p.id for p in parks if is_enabled(PLUGIN, p)]
    html = render_template("checklist/widget.html", rows=services.missing_by_org(park_ids, limit=8),
                           total=services.count_missing(park_ids), documents=services.DOCUMENTS)
    return [Widget(_("缺少出壳材料"), Markup(html), order=40)]


@hookimpl
def incubator_transition_check(org, from_stage, to_stage, user):
    from . import services
    if to_stage == "graduated":
        return [_("出壳前须提交：%(document)s", document=services.DOCUMENTS[kind]) for kind in services.missing(org.id)]


@hookimpl
def incubator_transition_done(org, transition):
    """On admission, note in the audit log which documents are still to come."""
    from . import services
    if transition.to_stage == "incubating" and transition.from_stage == "reviewing":
        lacking = services.missing(org.id, kinds=tuple(services.DOCUMENTS)[:3])
        if lacking:
            audit.record("checklist.pending", org, summary="入园时待交材料：" +
                         "、".join(str(services.DOCUMENTS[k]) for k in lacking))
            db.session.commit()


@hookimpl
def incubator_cli(cli):
    from .cli import checklist_group
    cli.add_command(checklist_group)


@hookimpl
def incubator_seed_demo(session, size):
    """Registered demo organizations have their certificate on file."""
    from datetime import date

    from sqlalchemy import func, insert, select

    from incubator.organizations.models import Organization

    from .models import ChecklistDocument
    if session.scalar(select(func.count()).select_from(ChecklistDocument)):
        return
    rows = [{"organization_id": org_id, "kind": "registration_certificate", "received_on": date.today(), "note": "演示数据"}
            for org_id in session.scalars(select(Organization.id).where(Organization.registration_status == "registered"))]
    if rows:
        session.execute(insert(ChecklistDocument), rows)
