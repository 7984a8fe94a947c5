"""Who may see, issue and revoke certificates (answered through `incubator_permission`).

- certificate.view — a certificate: its park's managers; its holder; the contact of the
  organization it was issued to. The list (resource None) and an offering's certificates (its page,
  its ZIP): its park's managers only — a holder is refused even if another rule would allow it.
- certificate.issue, certificate.revoke — a certificate, an offering or a park: its park's managers.
Administrators are allowed everything by the core.
"""
from incubator.permissions import park_id_of

from .offerings import OfferingRef

ACTIONS = [("certificate.view", "查看、下载证书"), ("certificate.issue", "颁发、重新颁发证书"),
           ("certificate.revoke", "撤销证书")]


def decide(user, action, resource):
    if not action.startswith("certificate.") or not getattr(user, "is_authenticated", False):
        return None
    if user.role == "admin":
        return None  # the core allows
    if user.role == "manager":
        if resource is None:
            return action == "certificate.view"  # lists are scoped to the manager's parks by the query
        return True if park_id_of(resource) in user.park_ids else None
    if resource is None or isinstance(resource, OfferingRef):
        return False  # many people's certificates at once: the managers' alone
    if action == "certificate.view":
        if getattr(resource, "user_id", None) == user.id:
            return True
        org_id = getattr(resource, "organization_id", None)
        if org_id is not None and org_id == user.organization_id:
            return True
    return None
