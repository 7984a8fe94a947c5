"""The annual report (年度报告): the figures of a year with their five-year trend, for one park or
the district, and the targets' progress (目标管理)."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from ..dates import today
from ..extensions import db
from ..parks.models import Park
from . import AREAS, Figure, Scope, collect
from .models import Target

TREND_YEARS = 5


@dataclass
class Progress:
    target: Target
    figure: Figure | None
    done: float

    @property
    def ratio(self) -> float:
        return self.done / self.target.value if self.target.value else 0

    @property
    def percent(self) -> int:
        return int(round(self.ratio * 100))


@dataclass
class Report:
    scope: Scope
    parks: list[Park]                 # the parks counted (all of them for the district)
    district: bool                    # the whole district, not chosen parks
    figures: list[Figure]
    progress: list[Progress] = field(default_factory=list)

    @property
    def year(self) -> int:
        return self.scope.year

    def areas(self) -> list[tuple[str, list[Figure]]]:
        grouped = [(area, [f for f in self.figures if f.area == area]) for area in AREAS]
        others = [f for f in self.figures if f.area not in AREAS]
        return [(a, fs) for a, fs in grouped if fs] + ([("其他", others)] if others else [])

    def figure(self, key: str) -> Figure | None:
        return next((f for f in self.figures if f.key == key), None)


def years_ending(year: int, span: int = TREND_YEARS) -> tuple[int, ...]:
    return tuple(range(year - span + 1, year + 1))


def first_year() -> int:
    """The first year anything was recorded (the year selector starts there)."""
    from sqlalchemy import func

    from ..organizations.models import Transition
    first = db.session.scalar(select(func.min(Transition.happened_on)))
    return first.year if first else today().year


def build(year: int, parks: list[Park], *, district: bool) -> Report:
    """The report of `year` for `parks` (`district`: the whole district, every park)."""
    scope = Scope(years_ending(year), None if district else tuple(p.id for p in parks))
    report = Report(scope=scope, parks=parks, district=district, figures=collect(scope))
    report.progress = progress(report)
    return report


def for_user(user, year: int | None, park_code: str = "") -> Report:
    """The report `user` asks for — the page's and the API's one rule: `year` (this year when None,
    between 2000 and this year), `park_code` one of the parks they may see, else all of them (the
    district, for the administrator). NotFound otherwise."""
    from ..errors import NotFound
    from ..plugins import visible_parks
    this_year = today().year
    year = year or this_year
    if not 2000 <= year <= this_year:
        raise NotFound(f"没有 {year} 年度的统计")
    parks = visible_parks(user)
    if park_code:
        chosen = [p for p in parks if p.code == park_code]
        if not chosen:
            raise NotFound(f"没有代码为 {park_code} 的园区，或你无权查看")
        return build(year, chosen, district=False)
    return build(year, parks, district=user.role == "admin")


def progress(report: Report) -> list[Progress]:
    """Each target of the report's year in its parks, with what has been done (the figure's value
    for that park)."""
    ids = [p.id for p in report.parks]
    targets = db.session.scalars(select(Target).where(Target.year == report.year, Target.park_id.in_(ids or [-1]))
                                 .order_by(Target.park_id, Target.figure_key)).all()
    found = []
    for target in targets:
        figure = report.figure(target.figure_key)
        found.append(Progress(target, figure, figure.by_park.get(target.park_id, 0) if figure else 0))
    return found


def park_progress(report: Report) -> dict[int, float]:
    """Each park's progress (0–1, the mean over its targets, each capped at 1) for the 1+N tree."""
    by_park: dict[int, list[float]] = {}
    for p in report.progress:
        by_park.setdefault(p.target.park_id, []).append(min(p.ratio, 1))
    return {park_id: sum(r) / len(r) for park_id, r in by_park.items()}
