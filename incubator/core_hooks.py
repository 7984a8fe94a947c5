"""The core's own hook implementations: its permission rules and declared actions, the managers'
and the organization contacts' to-dos, the contacts' menu entry, its health checks, who may read an
organization's own materials (files uploaded on the portal).

Registered first under the name "core"; it cannot be disabled.
"""
from .hookspecs import hookimpl
from .organizations.models import Organization
from .permissions import CORE_ACTIONS, park_id_of

PUBLIC_ACTIONS = {"park.view"}
# Managing who speaks for an organization (组织联系人): its park's managers and the administrator.
CONTACT_ACTIONS = [("org.contacts", "管理组织联系人")]


@hookimpl
def incubator_permissions():
    return [*CORE_ACTIONS, *CONTACT_ACTIONS]


@hookimpl
def incubator_permission(user, action, resource):
    """Core rules: admins may do everything; managers act within their own parks; an organization's
    contact may view their own organization (nothing else of it: no edits, no moves)."""
    if action in PUBLIC_ACTIONS:
        return True
    if not getattr(user, "is_authenticated", False):
        return None
    if user.role == "admin":
        return True
    if action == "org.view" and is_own_organization(user, resource):
        return True
    if user.role != "manager":
        return None
    if action == "dashboard.view":
        return True
    if action == "report.view":  # the district's figures for their own parks
        return True if resource is None or park_id_of(resource) in user.park_ids else None
    if action.startswith("org."):
        if resource is None:  # list or create: scoped later by the query / the chosen park
            return action in ("org.view", "org.create")
        park_id = park_id_of(resource)
        return True if park_id in user.park_ids else None
    return None


def is_own_organization(user, resource) -> bool:
    """Is `resource` the organization `user` is the contact of (granted by its park)?"""
    return (isinstance(resource, Organization) and getattr(user, "organization_id", None) is not None
            and user.organization_id == resource.id)


def scope_parks(user):
    """Park ids whose organizations `user` may list; None means every park."""
    if user.role == "admin":
        return None
    if user.role == "manager":
        return user.park_ids
    return set()


@hookimpl
def incubator_health_checks():
    """What the core needs to work: its database, the rate-limit storage when it is not this
    process's memory, and the task queue's Redis when it is on Redis (incubator.health)."""
    from . import health
    return health.core_checks()


@hookimpl
def incubator_nav_items(user):
    """我的组织: the portal, for an organization's contact."""
    if getattr(user, "is_authenticated", False) and user.organization_id and user.role not in ("admin", "manager"):
        from flask import url_for
        from flask_babel import gettext as _

        from .ui import NavItem
        return [NavItem(_("我的组织"), url_for("portal.index"), order=5)]
    return None


@hookimpl
def incubator_todos(user):
    """A manager's (and the administrator's) work on organizations: applications to review,
    incubations past their due date or due within 30 days. A contact's: their organization's
    incubation due within 60 days, or past due."""
    if user.role not in ("admin", "manager"):
        return contact_todos(user) if user.organization_id else None
    from datetime import timedelta

    from flask import url_for
    from flask_babel import gettext as _
    from sqlalchemy import select

    from .dashboard.counts import in_incubation, stage_counts
    from .database import count_at_most
    from .dates import today
    from .extensions import db
    from .organizations.models import Organization
    from .parks.models import Park
    from .ui import TODO_COUNT_CAP, Todo
    # On every page (the menu's count): the counts the database keeps per park and stage, and two
    # ranges of the (park, stage, due date) index, read up to the cap ("99+") — nothing here reads
    # the organizations themselves.
    allowed = scope_parks(user)
    parks = allowed if allowed is not None else db.session.scalars(select(Park.id)).all()
    counts = stage_counts(allowed)
    applied, reviewing = counts.get("applied", 0), counts.get("reviewing", 0)
    day, soon = today(), today() + timedelta(days=30)
    in_scope = in_incubation(parks)
    overdue, due_soon = db.session.execute(select(
        count_at_most(select(Organization.id).where(*in_scope, Organization.incubation_due < day), TODO_COUNT_CAP),
        count_at_most(select(Organization.id).where(*in_scope, Organization.incubation_due.between(day, soon)),
                      TODO_COUNT_CAP),
    )).one()
    items = []
    if applied:
        items.append(Todo(_("新的入园申请待受理"), url_for("organizations.index", stage="applied"), count=applied, order=10))
    if reviewing:
        items.append(Todo(_("评审中的申请待决定"), url_for("organizations.index", stage="reviewing"), count=reviewing, order=11))
    if overdue:
        items.append(Todo(_("孵化已到期，请续驻、出壳或退出"), url_for("organizations.index", overdue=1), order=12,
                          **Todo.capped(overdue)))
    if due_soon:
        items.append(Todo(_("30 天内孵化到期"), url_for("organizations.index", stage="incubating"), order=13,
                          **Todo.capped(due_soon)))
    if user.role == "admin" and (failed := failed_deliveries()):
        items.append(Todo(_("通知发送失败，请检查邮件、短信或企业微信的配置"),
                          url_for("notifications.deliveries", status="failed"), count=failed, order=90))
    return items


def failed_deliveries() -> int:
    from sqlalchemy import func, select

    from .extensions import db
    from .notifications.models import Delivery
    return db.session.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "failed"))


CONTACT_DUE_DAYS = 60


def contact_todos(user) -> list:
    from datetime import timedelta

    from flask import url_for
    from flask_babel import gettext as _

    from .dates import show_date, today
    from .extensions import db
    from .organizations.stages import ACTIVE_STAGES
    from .ui import Todo
    org = db.session.get(Organization, user.organization_id)
    if org is None or org.stage not in ACTIVE_STAGES or org.incubation_due is None:
        return []
    day = today()
    if org.incubation_due < day:
        label = _("孵化期已于 %(due)s 到期，请与园区商定续驻或出壳", due=show_date(org.incubation_due))
    elif org.incubation_due <= day + timedelta(days=CONTACT_DUE_DAYS):
        label = _("孵化期将于 %(due)s 到期，请与园区商定续驻或出壳", due=show_date(org.incubation_due))
    else:
        return []
    return [Todo(label, url_for("portal.index"), due=org.incubation_due, order=10)]


# The core's notices (incubator/notifications/triggers.py) and its queue tasks answer through the
# core's hooks like everything above.
from .notifications.triggers import (  # noqa: E402,F401
    incubator_notification_channels, incubator_notification_kinds, incubator_reminders)


@hookimpl
def incubator_figures(scope):
    from .figures import core
    return core.figures(scope)


@hookimpl
def incubator_importers():
    from .organizations.importing import OrganizationImporter
    from .users.importing import ContactImporter
    return [OrganizationImporter(), ContactImporter()]


@hookimpl
def incubator_file_access(user, stored_file):
    """The organization's own materials (portal/materials.py): its contacts, its park's managers, admins."""
    from .portal.materials import may_read_file
    return may_read_file(user, stored_file)


@hookimpl
def incubator_tasks():
    from .files.services import SWEEP
    from .notifications.tasks import TASKS
    return [*TASKS, SWEEP]
