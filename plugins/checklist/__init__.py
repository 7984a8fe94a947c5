"""材料清单 · Document checklist: graduation waits until the registration certificate is on file.

The platform's example plugin: it uses every kind of hook a plugin needs (menu, organization panel,
dashboard widget, to-dos, stage veto and follow-up, CLI, demo data). Its pages (`views.bp`), API
(`api.blueprints`), permission rules (`permissions.py`), table and migration branch (`migrations/`)
are found by name. Each hook hands on to the modules beside it.
"""
from flask import render_template, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from incubator import audit, hookimpl
from incubator.extensions import db
from incubator.ui import NavItem, Panel, Todo, Widget

INCUBATOR_TITLE = "材料清单"
INCUBATOR_DESCRIPTION = "出壳前须提交的材料：登记证书或备案证明收到后才能出壳。"
INCUBATOR_AUDIT_ACTIONS = {
    "checklist.pending": "入园时待交材料",
    "checklist.record": "登记收到的材料",
}
PLUGIN = "checklist"
# The dashboard counts the organizations lacking documents up to this many ("more than" past it):
# the page behind "查看全部" has the exact number.
WIDGET_COUNT_UP_TO = 500


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
    on_file = services.on_file(org.id)
    html = render_template("checklist/panel.html", org=org, documents=services.DOCUMENTS, on_file=on_file,
                           scans=services.scans(on_file.values()) if can("checklist.view", org, user=user) else {},
                           required=services.REQUIRED_FOR_GRADUATION, form=RecordForm(),
                           lacking="、".join(str(label) for kind, label in services.DOCUMENTS.items() if kind not in on_file),
                           lacking_required="、".join(str(services.DOCUMENTS[kind]) for kind in services.REQUIRED_FOR_GRADUATION
                                                     if kind not in on_file),
                           may_record=can("checklist.record", org, user=user))
    return [Panel(_("材料清单"), Markup(html), order=20)]


@hookimpl
def incubator_file_access(user, stored_file):
    """A document's scan: readable by whoever may view the organization's checklist."""
    from .permissions import may_read_file
    return may_read_file(user, stored_file)


@hookimpl
def incubator_organizations_merging(kept, gone, user):
    """Two duplicates with the same document kind on file: fold them into kept's."""
    from .services import fold_duplicates
    folded = fold_duplicates(kept, gone)
    return {_("材料"): folded} if folded else None


@hookimpl
def incubator_todos(user):
    """A contact: the documents their organization still owes for graduation. A manager: organizations
    due within 60 days (or overdue) that still lack them."""
    from incubator.plugins import is_enabled

    from . import services
    if user.role in ("admin", "manager"):
        from incubator.core_hooks import scope_parks
        from incubator.plugins import enabled_park_ids
        from incubator.ui import TODO_COUNT_CAP
        allowed = scope_parks(user)
        parks = [p for p in enabled_park_ids(PLUGIN) if allowed is None or p in allowed]
        count = services.count_missing_due_soon(parks, up_to=TODO_COUNT_CAP)
        if count:
            return [Todo(_("即将到期的在孵组织缺少出壳材料"), url_for("checklist.overview"), order=30,
                         **Todo.capped(count))]
        return None
    if user.organization_id:
        from incubator.organizations.models import Organization
        org = db.session.get(Organization, user.organization_id)
        if org is None or not is_enabled(PLUGIN, org.park_id) or org.stage not in services.ACTIVE_STAGES:
            return None
        lacking = services.missing(org.id)
        if lacking:
            return [Todo(_("出壳前须向园区提交：%(documents)s", documents="、".join(str(services.DOCUMENTS[k]) for k in lacking)),
                         url_for("portal.index"), due=org.incubation_due, order=20)]
    return None


@hookimpl
def incubator_dashboard_widgets(parks, user):
    from incubator.plugins import is_enabled

    from . import services
    park_ids = [p.id for p in parks if is_enabled(PLUGIN, p)]
    html = render_template("checklist/widget.html", rows=services.missing_by_org(park_ids, limit=8),
                           total=services.count_missing(park_ids, up_to=WIDGET_COUNT_UP_TO), up_to=WIDGET_COUNT_UP_TO,
                           documents=services.DOCUMENTS)
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
    from sqlalchemy import func, insert, select

    from incubator.dates import today
    from incubator.organizations.models import Organization

    from .models import ChecklistDocument
    if session.scalar(select(func.count()).select_from(ChecklistDocument)):
        return
    rows = [{"organization_id": org_id, "kind": "registration_certificate", "received_on": today(), "note": "演示数据"}
            for org_id in session.scalars(select(Organization.id).where(Organization.registration_status == "registered"))]
    if rows:
        session.execute(insert(ChecklistDocument), rows)
