"""Who may see and record an organization's documents (answered through `incubator_permission`).

- checklist.view — an organization (or None: the overview page): its park's managers.
- checklist.record — an organization: its park's managers.
A document's scan (`incubator_file_access`) is read by whoever may `checklist.view` its organization.
Administrators are allowed everything by the core.
"""
from incubator.permissions import park_id_of

ACTIONS = [("checklist.view", "查看材料清单"), ("checklist.record", "登记收到的材料")]


def decide(user, action, resource):
    if not action.startswith("checklist.") or not getattr(user, "is_authenticated", False):
        return None
    if user.role != "manager":
        return None
    if resource is None:
        return action == "checklist.view"
    return True if park_id_of(resource) in user.park_ids else None


def may_read_file(user, stored_file):
    """A scan attached to a document: True if `user` may view its organization's checklist; None for
    anything else (other plugins' files, or a document gone)."""
    from incubator.extensions import db
    from incubator.organizations.models import Organization
    from incubator.permissions import can

    from .services import document_of_file
    doc = document_of_file(stored_file)
    org = doc and db.session.get(Organization, doc.organization_id)
    if org is None or not getattr(user, "is_authenticated", False):
        return None
    return True if can("checklist.view", org, user=user) else None
