"""Small value types plugins return from UI hooks."""
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup


@dataclass
class NavItem:
    label: str
    url: str
    order: int = 100


@dataclass
class Panel:
    """A fragment on the organization page or the user's own page; `html` is Markup."""

    title: str
    html: Markup
    order: int = 100


Widget = Panel  # dashboard widgets have the same shape


@dataclass
class Todo:
    """An open to-do (待办) on a user's landing page: `count` things wait at `url`, perhaps by `due`."""

    label: str
    url: str
    due: date | None = None
    count: int = 1
    order: int = 100
