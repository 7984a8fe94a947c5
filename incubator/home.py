"""Where a person lands after logging in, and what waits for them there (待办).

Managers and administrators land on the dashboard, an organization's contact on the portal of
their organization; for other roles the plugins answer through `incubator_home_url` (the academy's
我的学习 for trainees, mentoring's 我的督导 for experts). Every landing page lists the user's
to-dos (`incubator_todos`), and the menu shows how many there are.
"""
from flask import g, url_for

from .plugins import collect, hook, hooks_for


def home_url(user) -> str:
    if user.role in ("admin", "manager"):
        return url_for("dashboard.index")
    if user.organization_id:
        return url_for("portal.index")
    return hook().incubator_home_url(user=user) or url_for("auth.me")


def todos(user) -> list:
    """The user's open to-dos, soonest due first; computed once per request."""
    if not getattr(user, "is_authenticated", False):
        return []
    if "todos" not in g:
        relay = hooks_for(user.parks) if user.role == "manager" else hook()
        items = collect(relay.incubator_todos(user=user))
        g.todos = sorted(items, key=lambda t: (t.due is None, t.due or 0, t.order))
    return g.todos


def todo_count(user) -> int:
    return sum(t.count for t in todos(user))
