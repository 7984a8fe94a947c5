"""Who may do what in a micro-grant round (answered through `incubator_permission`).

- microgrant.manage — the round's park managers (admins: the core allows): open rounds, assign
  experts, decide, pay tranches, mid-term reviews, reports.
- microgrant.view   — a round or an application: managers; the round's experts; users of the
  applying organization (their own application, and the rounds open to their organization).
- microgrant.apply  — a round: managers (on behalf of an organization), and users linked to an
  organization of the round's park or the parks under it (`User.organization_id`).
- microgrant.score  — an application: the experts assigned to its round.
- microgrant.report — an application: managers, and users of the applying organization: upload the
  project's reports and receipts (项目报告、票据; the service checks that it is granted).
A report's or receipt's file (`incubator_file_access`) is read by whoever may `microgrant.view` its
application.
"""
from incubator.extensions import db
from incubator.permissions import park_id_of

ACTIONS = [
    ("microgrant.manage", "公益微创投：开设轮次、分配专家、立项决定、拨付与中期评估"),
    ("microgrant.view", "公益微创投：查看轮次与申报项目"),
    ("microgrant.apply", "公益微创投：申报项目"),
    ("microgrant.score", "公益微创投：专家评分"),
    ("microgrant.report", "公益微创投：上传项目报告与票据"),
]


def _org_covered(user, rnd) -> bool:
    from incubator.organizations.models import Organization

    from .services import covered_park_ids
    if not user.organization_id:
        return False
    org = db.session.get(Organization, user.organization_id)
    return org is not None and org.park_id in covered_park_ids(rnd)


def decide(user, action, resource):
    if not action.startswith("microgrant.") or not getattr(user, "is_authenticated", False):
        return None
    if user.role == "admin":
        return None  # the core allows
    if user.role == "manager" and (resource is None or park_id_of(resource) in user.park_ids):
        return True
    if resource is None:
        return None
    from .models import Application, Round
    from .services import is_expert
    if isinstance(resource, Round):
        if action == "microgrant.view":
            return True if (user.role == "expert" and is_expert(resource.id, user)) or _org_covered(user, resource) else None
        if action == "microgrant.apply":
            return True if _org_covered(user, resource) else None
    if isinstance(resource, Application):
        if action == "microgrant.score":
            return True if user.role == "expert" and is_expert(resource.round_id, user) else None
        if action in ("microgrant.view", "microgrant.report"):
            if user.organization_id and user.organization_id == resource.organization_id:
                return True
            if action == "microgrant.report":
                return None
            return True if user.role == "expert" and is_expert(resource.round_id, user) else None
    return None


def has_anything(user) -> bool:
    """Is there a micro-grant page for `user`? (the menu entry)"""
    from incubator.plugins import enabled_park_ids

    from .services import visible_rounds_query
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role in ("admin", "manager"):
        return True
    enabled = enabled_park_ids("microgrant")
    return db.session.scalar(visible_rounds_query(user, enabled).limit(1)) is not None


def may_read_file(user, stored_file):
    """A project's report or receipt: True if `user` may view its application; None for anything else."""
    from incubator.permissions import can

    from .services import application_of_file
    if not getattr(user, "is_authenticated", False):
        return None
    application = application_of_file(stored_file)
    return True if application is not None and can("microgrant.view", application, user=user) else None
