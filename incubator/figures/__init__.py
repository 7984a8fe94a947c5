"""The district's figures (数据统计): what the bureau reports upward each year — organizations that
entered and hatched, trainees and hours, supervision, assessments, grants, volunteers — each
counted by the module that keeps its records, for a range of years and a set of parks.

The core counts organizations (core.py); every plugin adds its own through `incubator_figures`
(see hookspecs.py). `collect(scope)` asks them all; the report page, its Excel and PDF, the targets'
progress, the public showcase and the API read what it returns.
"""
from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from datetime import date, datetime, time

AREAS = ("孵化", "培训", "督导", "评估", "资金", "志愿服务")  # the report's sections, in this order


@dataclass(frozen=True)
class Scope:
    """What to count: `years` ascending (the last is the report's year; the others give the trend)
    and the parks (`park_ids` None: the whole district)."""

    years: tuple[int, ...]
    park_ids: tuple[int, ...] | None = None
    # This year's values only, for the dashboard's targets card: no trend and no totals since the
    # first record, so a figure may count from the scope's first day (the core's moves do).
    progress_only: bool = False

    @property
    def year(self) -> int:
        return self.years[-1]

    @functools.cached_property
    def park_names(self) -> dict[int, str]:
        """{park id: name} of every park, for the breakdowns by 园区: read once per scope, whichever
        figures ask."""
        from sqlalchemy import select

        from ..extensions import db
        from ..parks.models import Park
        return dict(db.session.execute(select(Park.id, Park.name)).all())

    @staticmethod
    def start(year: int) -> date:
        return date(year, 1, 1)

    @staticmethod
    def end(year: int) -> date:
        return date(year, 12, 31)

    @staticmethod
    def utc_start(year: int) -> datetime:
        """The first moment of `year` in the district, as times are stored (naive UTC)."""
        from ..dates import to_utc
        return to_utc(datetime.combine(date(year, 1, 1), time()))

    def local_year(self, column, outside: int | None = None):
        """The district's year of a stored (UTC) time, as SQL: a CASE over the scope's years
        (`outside`, NULL by default, for a time outside them). Group on it from an outer query
        (select from a subquery): PostgreSQL may not match a CASE holding bound values between
        SELECT and GROUP BY."""
        from sqlalchemy import and_, case
        return case(*[(and_(column >= self.utc_start(y), column < self.utc_start(y + 1)), y) for y in self.years],
                    else_=outside)

    @property
    def first_day(self) -> date:
        return self.start(self.years[0])

    @property
    def last_day(self) -> date:
        return self.end(self.years[-1])


@dataclass
class Figure:
    """One figure: its key (`orgs.graduated`), Chinese label and unit, its report area, its value in
    each year of the scope (`by_year`), and for the report's year its breakdowns ({"园区": {name:
    value}, "类别": …, "月份": …}) and its value per park id (`by_park`: the targets' progress).
    `cumulative` is the total from the first record to the end of the report's year, where it
    means something (出壳 110余家 since 2012). `note` says how it is counted; `targetable` offers
    it on the targets page (目标管理)."""

    key: str
    label: str
    unit: str
    area: str
    by_year: dict[int, float] = field(default_factory=dict)
    breakdowns: dict[str, dict[str, float]] = field(default_factory=dict)
    by_park: dict[int, float] = field(default_factory=dict)
    cumulative: float | None = None
    note: str = ""
    order: int = 100
    targetable: bool = False  # a yearly target per park may be set for it (its by_park is complete)

    def value(self, year: int | None = None) -> float:
        """The value in `year` (the last year counted when None)."""
        if year is None:
            year = max(self.by_year) if self.by_year else None
        return self.by_year.get(year, 0)


def collect(scope: Scope) -> list[Figure]:
    """Every figure for `scope`, the core's and the plugins' (those enabled in the parks counted),
    in report order: by area, then each figure's order.

    Kept until the next commit that writes anything, or 5 minutes (incubator.stamps): the
    dashboard's targets card and the report ask every plugin, which is most of their time. Each
    caller gets its own copy to annotate."""
    from flask_babel import get_locale

    from ..dates import today
    from ..stamps import timed_cache
    key = (scope, today(), str(get_locale()))
    return copy.deepcopy(timed_cache("figures", max_age=300.0, size=200).get(key, lambda: _ask_plugins(scope)))


def _ask_plugins(scope: Scope) -> list[Figure]:
    from ..plugins import collect as flatten, hooks_for
    figures = flatten(hooks_for(scope.park_ids).incubator_figures(scope=scope))
    area = {name: i for i, name in enumerate(AREAS)}
    return sorted(figures, key=lambda f: (area.get(f.area, len(AREAS)), f.order, f.key))
