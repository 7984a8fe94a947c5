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


# A to-do counting things that grow with the district (organizations due, say) stops counting here
# and says "99+": the menu counts on every page, and an exact 3,412 is no more use to anyone.
TODO_COUNT_CAP = 99


@dataclass
class Todo:
    """An open to-do (待办) on a user's landing page: `count` things wait at `url`, perhaps by `due`;
    `more` when there are more than `count` (counting stopped at `TODO_COUNT_CAP`: see
    `Todo.capped`)."""

    label: str
    url: str
    due: date | None = None
    count: int = 1
    order: int = 100
    more: bool = False

    @property
    def shown(self) -> str:
        """"99+" past the cap, whether counting stopped there or not: one style in one list."""
        return f"{TODO_COUNT_CAP}+" if self.more or self.count > TODO_COUNT_CAP else str(self.count)

    @staticmethod
    def capped(found: int) -> dict:
        """`Todo(..., **Todo.capped(n))` for an `n` counted with `count_at_most(stmt, TODO_COUNT_CAP)`."""
        return {"count": min(found, TODO_COUNT_CAP), "more": found > TODO_COUNT_CAP}
