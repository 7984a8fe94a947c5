"""Who may do what with supervision logs; the plugin's answer to `incubator_permission`.

- admin: the core allows everything;
- manager: everything mentoring in their own parks (confirming excepted: that is the organization's);
- expert: sees organizations they have an assignment for (also the core's organization page),
  writes logs for dates an assignment covers (checked by the service), marks follow-ups done;
- the organization's contact person (a trainee whose `organization_id` is the organization): sees its
  logs, confirms or disputes them, marks follow-ups done. Other trainees: nothing.
A log's photos and sign-in sheets (`incubator_file_access`) are read by whoever may `mentoring.view`
the log, and by the expert who wrote it.
"""
from incubator.organizations.models import Organization
from incubator.parks.models import Park

from . import assigning, services

ACTIONS = [
    ("mentoring.view", "查看组织的督导记录"),
    ("mentoring.assign", "指派督导专家、关联组织联系人"),
    ("mentoring.log", "撰写督导记录"),
    ("mentoring.confirm", "签字确认或对督导记录提出异议"),
    ("mentoring.act", "标记跟进事项完成"),
    ("mentoring.report", "查看并导出督导时长报表"),
    ("mentoring.settings", "设置园区的督导参数"),
]
MANAGER_ACTIONS = {"mentoring.view", "mentoring.assign", "mentoring.act", "mentoring.report", "mentoring.settings"}
CONTACT_ACTIONS = {"mentoring.view", "mentoring.confirm", "mentoring.act"}


def _org_id(resource):
    if isinstance(resource, Organization):
        return resource.id
    return getattr(resource, "organization_id", None)


def decide(user, action, resource):
    if not (action.startswith("mentoring.") or action == "org.view"):
        return None
    if not getattr(user, "is_authenticated", False) or user.role == "admin":
        return None  # anonymous: nothing; admin: the core already says yes
    if user.role == "manager":
        if action not in MANAGER_ACTIONS:
            return None
        if resource is None:  # list pages: scoped to the manager's parks by the query
            return True
        park_id = resource.id if isinstance(resource, Park) else getattr(resource, "park_id", None)
        return True if park_id in user.park_ids else None
    if resource is None:
        return True if action == "mentoring.view" and (
            user.role == "expert" or services.is_contact(user, user.organization_id)) else None
    org_id = _org_id(resource)
    if org_id is None:
        return None
    if user.role == "expert":
        if action in ("org.view", "mentoring.view", "mentoring.act", "mentoring.log"):
            # The service then checks that an assignment covers the session's date.
            return True if assigning.is_assigned(user, org_id) else None
        return None
    if user.role == "trainee" and action in CONTACT_ACTIONS:
        return True if services.is_contact(user, org_id) else None
    return None


def may_read_file(user, stored_file):
    """A log's attachment: True for its author and whoever may view the log; None for anything else
    (other plugins' files, a log withdrawn) — which the core serves as a 404."""
    from incubator.permissions import can

    from .services import log_of_file
    if not getattr(user, "is_authenticated", False):
        return None
    log = log_of_file(stored_file)
    if log is None:
        return None
    return True if log.expert_id == user.id or can("mentoring.view", log, user=user) else None
