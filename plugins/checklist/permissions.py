"""Who may see and record an organization's documents (answered through `incubator_permission`).

- checklist.view — an organization (or None: the overview page): its park's managers.
- checklist.record — an organization: its park's managers.
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
