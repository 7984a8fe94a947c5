"""Small value types plugins return from UI hooks."""
from dataclasses import dataclass

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
