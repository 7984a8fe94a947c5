"""公益微创投's figures for the district's report (资金): rounds held, applications, grants approved,
money granted and money paid — each in the year it happened, in the park of its round (the park
whose budget it is; a street's round funds its communities' organizations too).

A round and its applications count in the round's year (本年度微创投); a grant and the money granted
in the year it was decided (the district's day of `decided_at`, stored in UTC), the money paid in
the year each tranche was paid (`paid_on`). Money is kept in fen and reported in yuan. Five grouped
queries and one for the parks' names, whatever the number of rounds and projects.
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import extract, func, select

from incubator.extensions import db
from incubator.figures import Figure, Scope

from .models import Application, Round, Tranche

AREA = "资金"
GRANTED = ("approved", "terminated")  # a terminated project was granted; its unpaid part returned


def figures(scope: Scope) -> list[Figure]:
    # Applications and grants first: an area's trend chart draws the figures in its first one's unit.
    parks = scope.park_names
    rounds = _figure("microgrant.rounds", "举办微创投", "次", 50, scope, parks, _rounds(scope),
                     note="当年度开设的公益微创投（按轮次年度）", categories=False)
    applications = _figure("microgrant.applications", "申报项目", "个", 10, scope, parks, _applications(scope),
                           note="当年度微创投收到的项目申报（按轮次年度）")
    decided, totals = _grants(scope)
    grants = _figure("microgrant.grants", "立项资助项目", "个", 20, scope, parks,
                     [(y, p, c, n) for y, p, c, n, _fen in decided], targetable=True,
                     note="当年决定立项的项目（含后来终止的）")
    granted = _figure("microgrant.granted", "立项资助金额", "元", 30, scope, parks,
                      [(y, p, c, fen) for y, p, c, _n, fen in decided], in_fen=True,
                      note="当年立项项目核定的资助金额")
    grants.cumulative, granted.cumulative = totals[0], _yuan(totals[1])
    paid = _figure("microgrant.paid", "拨付资金", "元", 40, scope, parks,
                   _paid(scope), in_fen=True, note="当年实际拨付的各期资金")
    return [rounds, applications, grants, granted, paid]


def _yuan(fen) -> float:
    return int(fen or 0) / 100


def _figure(key, label, unit, order, scope: Scope, parks: dict[int, str], rows, *, note="", categories=True,
            targetable=False, in_fen=False) -> Figure:
    """A figure from rows of (year, park id, category, value): by year, and for the report's year by
    park and by category. `in_fen`: the values are fen, summed as such and given in yuan."""
    figure = Figure(key, label, unit, AREA, by_year=dict.fromkeys(scope.years, 0), order=order, note=note,
                    targetable=targetable)
    by_park, by_category = defaultdict(int), defaultdict(int)
    for year, park_id, category, value in rows:
        if year not in figure.by_year:
            continue
        figure.by_year[year] += value
        if year == scope.year:
            by_park[park_id] += value
            by_category[category] += value
    if in_fen:
        figure.by_year = {y: _yuan(v) for y, v in figure.by_year.items()}
        by_park = {p: _yuan(v) for p, v in by_park.items()}
        by_category = {c: _yuan(v) for c, v in by_category.items()}
    figure.by_park = dict(by_park)
    figure.breakdowns = {"园区": {parks[p]: v for p, v in sorted(by_park.items())}}
    if categories:
        figure.breakdowns["类别"] = dict(sorted(by_category.items(), key=lambda kv: -kv[1]))
    return figure


def _in_parks(stmt, scope: Scope):
    if scope.park_ids is not None:
        stmt = stmt.where(Round.park_id.in_(scope.park_ids or (-1,)))
    return stmt


def _rounds(scope: Scope):
    rows = db.session.execute(_in_parks(
        select(Round.year, Round.park_id, func.count()).where(Round.year.in_(scope.years))
        .group_by(Round.year, Round.park_id), scope))
    return [(year, park_id, None, n) for year, park_id, n in rows]


def _applications(scope: Scope):
    return db.session.execute(_in_parks(
        select(Round.year, Round.park_id, Application.category, func.count())
        .join(Round, Round.id == Application.round_id).where(Round.year.in_(scope.years))
        .group_by(Round.year, Round.park_id, Application.category), scope)).all()


def _grants(scope: Scope):
    """[(year, park id, category, grants, fen)] decided in the scope's years, and (grants, fen)
    decided up to the end of the report's year."""
    granted = (select(Application.decided_at, Application.category, Application.granted_fen, Round.park_id)
               .join(Round, Round.id == Application.round_id)
               .where(Application.status.in_(GRANTED), Application.granted_fen.is_not(None),
                      Application.decided_at < Scope.utc_start(scope.year + 1)))
    granted = _in_parks(granted, scope).subquery()
    # The year is worked out in a subquery and grouped on outside (a CASE with bound values may
    # not be matched between SELECT and GROUP BY by PostgreSQL).
    dated = (select(scope.local_year(granted.c.decided_at).label("year"), granted.c.park_id,
                    granted.c.category, granted.c.granted_fen)
             .where(granted.c.decided_at >= Scope.utc_start(scope.years[0]))).subquery()
    decided = db.session.execute(
        select(dated.c.year, dated.c.park_id, dated.c.category, func.count(), func.sum(dated.c.granted_fen))
        .group_by(dated.c.year, dated.c.park_id, dated.c.category)).all()
    totals = db.session.execute(select(func.count(), func.coalesce(func.sum(granted.c.granted_fen), 0))).one()
    return [(int(y), p, c, n, fen) for y, p, c, n, fen in decided], (totals[0], totals[1])


def _paid(scope: Scope):
    year = extract("year", Tranche.paid_on)
    rows = db.session.execute(_in_parks(
        select(year, Round.park_id, Application.category, func.sum(Tranche.amount_fen))
        .join(Application, Application.id == Tranche.application_id).join(Round, Round.id == Application.round_id)
        .where(Tranche.status == "paid", Tranche.paid_on.between(scope.first_day, scope.last_day))
        .group_by(year, Round.park_id, Application.category), scope)).all()
    return [(int(y), p, c, fen) for y, p, c, fen in rows]
