"""Where a person lands after logging in, and what waits for them there (待办).

Managers and administrators land on the dashboard, an organization's contact on the portal of
their organization; for other roles the plugins answer through `incubator_home_url` (the academy's
我的学习 for trainees, mentoring's 我的督导 for experts). Every landing page lists the user's
to-dos (`incubator_todos`), and the menu shows how many there are.

The menu shows the count on every page, so a user's to-dos are kept (incubator.stamps): until the
next commit that writes anything, the district's day changing, or 30 seconds, whichever comes first.
A page after a write asks the plugins again; pages that only read (most of them) do not.
"""
from flask import g, url_for
from flask_babel import get_locale

from .dates import today
from .plugins import collect, hook, hooks_for
from .stamps import timed_cache
from .ui import TODO_COUNT_CAP


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
        key = (user.id, str(get_locale()), today())  # labels are translated, dues are relative
        g.todos = timed_cache("todos").get(key, lambda: _ask_plugins(user))
    return g.todos


def _ask_plugins(user) -> list:
    relay = hooks_for(user.parks) if user.role == "manager" else hook()
    items = collect(relay.incubator_todos(user=user))
    return sorted(items, key=lambda t: (t.due is None, t.due or 0, t.order))


def todo_badge(user) -> str:
    """The menu's number: "" for none, "3", or "99+" past the cap (or when a to-do stopped counting)."""
    items = todos(user)
    total = sum(t.count for t in items)
    if total > TODO_COUNT_CAP or any(t.more for t in items):
        return f"{TODO_COUNT_CAP}+"
    return str(total) if total else ""
