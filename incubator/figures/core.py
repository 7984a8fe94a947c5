"""The core's figures: organizations through incubation, counted from their transitions by the day
each happened (so imported and back-dated history counts in its own year), in the park each
organization is in now.

Two queries whatever the number of organizations or years: one sum of the counts of moves the
database keeps by year, move, park and category (kept by triggers, see
incubator/dashboard/models.py; the rule of what is counted is in migration 0010 and MOVES below),
from the first record to the end of the report's year, from which every yearly figure, breakdown
and total follows — the organizations in incubation at a year's end too: the stage machine lets an organization into incubation only from review
(评审 → 入园孵化, once) and out of it only by hatching or leaving (出壳, 退出, for good), so those in
incubation on 31 December are those admitted by then less those who hatched or left by then — and
one for the time to graduation.
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import extract, func, select

from ..dashboard.counts import counts_by_park, in_incubation, move_counts
from ..dates import today
from ..extensions import db
from ..organizations.models import Organization, Transition
from ..organizations.stages import ACTIVE_STAGES
from . import Figure, Scope

# (key, label, the move counted: from → to (None: any from), order, note); the triggers of
# migration 0010_core_move_counts count the same moves.
MOVES = (
    ("orgs.entered", "申请入园", (None, "applied"), 10, "当年提交入园申请的组织（含导入的历史申请）"),
    ("orgs.admitted", "入园孵化", ("reviewing", "incubating"), 20, "当年经评审入园孵化的组织"),
    ("orgs.graduated", "出壳", ("", "graduated"), 40, "当年出壳的组织"),
    ("orgs.exited", "退出", ("", "exited"), 50, "当年退出孵化的组织"),
)
LEAVING = ("orgs.graduated", "orgs.exited")


def figures(scope: Scope) -> list[Figure]:
    parks = scope.park_names
    counts = _counted_moves(scope)
    found = [_move_figure(scope, parks, counts, *move) for move in MOVES]
    found.append(_incubating_now(scope, parks) if scope.progress_only and scope.year == today().year
                 else _incubating_at_year_end(scope, parks, counts))
    if not scope.progress_only:  # no target is set on these two
        found.append(_time_to_graduation(scope))
        if scope.year == today().year:
            found.append(_overdue_now(scope, parks))
    return found


def _in_scope(stmt, scope: Scope):
    if scope.park_ids is not None:
        stmt = stmt.where(Organization.park_id.in_(scope.park_ids or (-1,)))
    return stmt


def _counted_moves(scope: Scope) -> dict[str, list[tuple[int, int, str, int]]]:
    """{figure key: [(year, park id, category, count)]} from the first record to the report's end
    (the year's own for the targets' progress), from the counts the database keeps per year, move,
    park and category (incubator/dashboard/models.py): no transition is read."""
    rows = move_counts(scope.park_ids, scope.year if scope.progress_only else None, scope.year)
    by_stage = {move[1]: key for key, _label, move, _order, _note in MOVES}
    counts: dict[str, list] = defaultdict(list)
    for row_year, to_stage, park_id, category, n in rows:
        counts[by_stage[to_stage]].append((row_year, park_id, category, n))
    return counts


def _move_figure(scope, parks, counts, key, label, _move, order, note) -> Figure:
    figure = Figure(key, label, "家", "孵化", by_year=dict.fromkeys(scope.years, 0), order=order, note=note,
                    targetable=key != "orgs.exited", cumulative=None if scope.progress_only else 0)
    by_park, by_category = defaultdict(int), defaultdict(int)
    for year, park_id, category, n in counts.get(key, ()):
        if figure.cumulative is not None:
            figure.cumulative += n
        if year in figure.by_year:
            figure.by_year[year] += n
        if year == scope.year:
            by_park[park_id] += n
            by_category[category] += n
    figure.by_park = dict(by_park)
    figure.breakdowns = {"园区": {parks[p]: n for p, n in sorted(by_park.items())},
                         "类别": dict(sorted(by_category.items(), key=lambda kv: -kv[1]))}
    return figure


def _incubating_at_year_end(scope, parks, counts) -> Figure:
    """在孵 on 31 December: admitted by then, less hatched or left by then (see the module's note)."""
    figure = _incubating_figure()
    for year in scope.years:
        by_park: dict[int, int] = defaultdict(int)
        for key, sign in (("orgs.admitted", 1), *((k, -1) for k in LEAVING)):
            for row_year, park_id, _category, n in counts.get(key, ()):
                if row_year <= year:
                    by_park[park_id] += sign * n
        by_park = {p: n for p, n in by_park.items() if n}
        figure.by_year[year] = sum(by_park.values())
        if year == scope.year:
            figure.by_park = by_park
            figure.breakdowns = {"园区": {parks[p]: n for p, n in sorted(by_park.items())}}
    return figure


def _incubating_now(scope, parks) -> Figure:
    """在孵 this year for the targets' progress: those in incubation today (the counts per park and
    stage the database keeps), which is what the history gives for 31 December of a year not over."""
    by_park = counts_by_park(scope.park_ids, ACTIVE_STAGES)
    figure = _incubating_figure()
    figure.by_year, figure.by_park = {scope.year: sum(by_park.values())}, by_park
    figure.breakdowns = {"园区": {parks[p]: n for p, n in sorted(by_park.items())}}
    return figure


def _incubating_figure() -> Figure:
    return Figure("orgs.incubating", "年末在孵", "家", "孵化", order=30, note="12 月 31 日处于入园孵化或壳外孵化阶段的组织")


def _time_to_graduation(scope: Scope) -> Figure:
    """平均孵化时长: from entering incubation to hatching, for those that hatched in each year."""
    figure = Figure("orgs.months_to_graduate", "平均孵化时长", "个月", "孵化", order=45,
                    note="当年出壳的组织从入园到出壳的平均月数")
    year = extract("year", Transition.happened_on)
    rows = db.session.execute(_in_scope(
        select(year, Transition.happened_on, Organization.incubation_start)
        .join(Organization, Organization.id == Transition.organization_id)
        .where(Transition.to_stage == "graduated", Organization.incubation_start.is_not(None),
               Transition.happened_on.between(scope.first_day, scope.last_day)), scope)).all()
    spans = defaultdict(list)
    for row_year, hatched, started in rows:
        spans[int(row_year)].append((hatched - started).days)
    figure.by_year = {y: round(sum(spans[y]) / len(spans[y]) / 30.44, 1) if spans[y] else 0 for y in scope.years}
    return figure


def _overdue_now(scope: Scope, parks: dict[int, str]) -> Figure:
    # Every park named (the district's too): ranges of the (park, stage, due date) index, where no
    # park condition read the whole table (65 ms at 100,000 organizations).
    counts = dict(db.session.execute(
        select(Organization.park_id, func.count())
        .where(*in_incubation(parks if scope.park_ids is None else scope.park_ids),
               Organization.incubation_due < today())
        .group_by(Organization.park_id)).all())
    return Figure("orgs.overdue", "孵化逾期（当前）", "家", "孵化", by_year={scope.year: sum(counts.values())},
                  by_park=counts, breakdowns={"园区": {parks[p]: n for p, n in sorted(counts.items())}},
                  order=60, note="今天已过孵化到期日仍在孵的组织（只计当年）")
