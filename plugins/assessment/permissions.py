"""Who may do what with assessments; the plugin's answer to `incubator_permission`.

- admin: the core allows everything;
- manager: everything in their own parks;
- expert: sees organizations they assess (also the core's organization page) and scores the
  assessments they are named assessor of;
- an organization's own contact (组织联系人, a user whose `organization_id` is the organization):
  reads its finished (locked) assessments, never drafts, never another organization's, never edits;
- other trainees and the public: nothing.
"""
from incubator.organizations.models import Organization
from incubator.permissions import park_id_of

from . import services
from .models import Assessment

ACTIONS = [
    ("assessment.view", "查看组织的能力评估"),
    ("assessment.create", "发起能力评估、指定评估人"),
    ("assessment.score", "评分、保存草稿、完成评估"),
    ("assessment.report", "查看并导出评估结果报表"),
    ("assessment.settings", "设置园区的评估体系与出壳分数线"),
]


def decide(user, action, resource):
    if not (action.startswith("assessment.") or action == "org.view"):
        return None
    if not getattr(user, "is_authenticated", False) or user.role == "admin":
        return None
    if action == "assessment.view" and _own_organization(user, resource):
        return True
    if user.role == "manager":
        if not action.startswith("assessment."):
            return None
        if resource is None:  # list pages: scoped to the manager's parks by the query
            return True
        park_id = park_id_of(resource)
        return True if park_id in user.park_ids else None
    if user.role != "expert":
        return None
    if resource is None:
        return True if action == "assessment.view" else None
    if isinstance(resource, Assessment):
        if action == "assessment.score":
            return True if resource.assessor_id == user.id else None
        if action == "assessment.view":
            return True if services.is_assessor_of(user, resource.organization_id) else None
        return None
    if isinstance(resource, Organization) and action in ("org.view", "assessment.view"):
        return True if services.is_assessor_of(user, resource.id) else None
    return None


def _own_organization(user, resource) -> bool:
    """Is `resource` the contact's own organization, or one of its finished assessments?"""
    org_id = getattr(user, "organization_id", None)
    if org_id is None:
        return False
    if isinstance(resource, Organization):
        return resource.id == org_id
    if isinstance(resource, Assessment):
        return resource.organization_id == org_id and resource.is_finished
    return False


def readable(assessments, user=None) -> list:
    """The assessments `user` (default: the current user) may read: all of them for the park's
    managers and the assessors, only the finished (locked) ones for the organization's contact."""
    from incubator.permissions import can
    return [a for a in assessments if can("assessment.view", a, user=user)]
