"""The core's own hook implementations: its permission rules and its declared actions.

Registered first under the name "core"; it cannot be disabled.
"""
from .hookspecs import hookimpl
from .parks.models import Park
from .permissions import CORE_ACTIONS

PUBLIC_ACTIONS = {"park.view"}


@hookimpl
def incubator_permissions():
    return CORE_ACTIONS


@hookimpl
def incubator_permission(user, action, resource):
    """Core rules: admins may do everything; managers act within their own parks."""
    if action in PUBLIC_ACTIONS:
        return True
    if not getattr(user, "is_authenticated", False):
        return None
    if user.role == "admin":
        return True
    if user.role != "manager":
        return None
    if action == "dashboard.view":
        return True
    if action.startswith("org."):
        if resource is None:  # list or create: scoped later by the query / the chosen park
            return action in ("org.view", "org.create")
        park_id = resource.id if isinstance(resource, Park) else getattr(resource, "park_id", None)
        return True if park_id in user.park_ids else None
    return None


def scope_parks(user):
    """Park ids whose organizations `user` may list; None means every park."""
    if user.role == "admin":
        return None
    if user.role == "manager":
        return user.park_ids
    return set()

