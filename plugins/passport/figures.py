"""义粉护照's figures for the district's report (志愿服务): volunteers registered, volunteers who
served, hours served, points earned and points redeemed — in the volunteer's park (a volunteer
serves only at their own community's activities).

Service counts in the year of the activity it was given at (`held_on`), with the corrections made
to it since (a correction points at the entry it corrects; a recursive query follows the chain back
to the service), so the hours and points of a year are what was served in it. A registration and a
redemption count in the district's year of the moment they were recorded (stored in UTC; imported
volunteers count when they were imported). Four grouped queries and one for the parks' names,
whatever the number of volunteers and records.
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import extract, func, literal, select
from sqlalchemy.orm import aliased

from incubator.extensions import db
from incubator.figures import Figure, Scope

from .models import Activity, LedgerEntry, Redemption, Service, Volunteer

AREA = "志愿服务"


def figures(scope: Scope) -> list[Figure]:
    parks = scope.park_names
    registered, total = _registered(scope)
    volunteers = _figure("passport.volunteers", "登记志愿者", "人", 10, scope, parks, registered,
                         note="当年新登记的义粉；累计为截至年末登记的全部义粉")
    volunteers.cumulative = total
    served = _served(scope)
    found = [
        volunteers,
        _figure("passport.served", "参与服务志愿者", "人", 20, scope, parks,
                [(y, p, people) for y, p, people, _minutes, _points in served],
                note="当年在志愿活动中登记过服务的义粉（每人计一次）"),
        _figure("passport.hours", "志愿服务时长", "小时", 30, scope, parks,
                [(y, p, minutes) for y, p, _people, minutes, _points in served], divide=60, targetable=True,
                note="当年举办的志愿活动登记的服务时长（含此后的更正）"),
        _figure("passport.points_earned", "获得积分", "分", 40, scope, parks,
                [(y, p, points) for y, p, _people, _minutes, points in served],
                note="当年服务所得的积分（含此后的更正）"),
        _figure("passport.points_redeemed", "兑换积分", "分", 50, scope, parks, _redeemed(scope),
                note="当年兑换礼品所用的积分"),
    ]
    return found


def _figure(key, label, unit, order, scope: Scope, parks: dict[int, str], rows, *, note="", divide=1,
            targetable=False) -> Figure:
    """A figure from rows of (year, park id, value): by year, and by park for the report's year;
    `divide`: the values are summed first, then divided (minutes → hours, to one decimal)."""
    by_year, by_park = dict.fromkeys(scope.years, 0), defaultdict(int)
    for year, park_id, value in rows:
        if year in by_year:
            by_year[year] += int(value or 0)
            if year == scope.year:
                by_park[park_id] += int(value or 0)
    if divide != 1:
        by_year = {y: round(v / divide, 1) for y, v in by_year.items()}
        by_park = {p: round(v / divide, 1) for p, v in by_park.items()}
    return Figure(key, label, unit, AREA, by_year=by_year, by_park=dict(by_park),
                  breakdowns={"园区": {parks[p]: v for p, v in sorted(by_park.items())}}, order=order, note=note,
                  targetable=targetable)


def _in_parks(stmt, scope: Scope, column=Volunteer.park_id):
    if scope.park_ids is not None:
        stmt = stmt.where(column.in_(scope.park_ids or (-1,)))
    return stmt


def _by_local_year(stmt, at, scope: Scope):
    """[(year, park id, sum of value)] for the rows of `stmt` (which selects them as `at`, `park_id`
    and `value`) recorded in the scope's years (`at`: the stored time filtered on). The year is worked out in a subquery and grouped on
    outside: PostgreSQL may not match a CASE with bound values between SELECT and GROUP BY."""
    inner = stmt.where(at >= Scope.utc_start(scope.years[0]), at < Scope.utc_start(scope.year + 1)).subquery()
    dated = select(scope.local_year(inner.c.at).label("year"), inner.c.park_id, inner.c.value).subquery()
    rows = db.session.execute(select(dated.c.year, dated.c.park_id, func.sum(dated.c.value))
                              .group_by(dated.c.year, dated.c.park_id)).all()
    return [(int(y), p, v) for y, p, v in rows]


def _registered(scope: Scope):
    rows = _by_local_year(_in_parks(select(Volunteer.created_at.label("at"), Volunteer.park_id.label("park_id"),
                                           literal(1).label("value")), scope), Volunteer.created_at, scope)
    total = db.session.scalar(_in_parks(select(func.count(Volunteer.id))
                                        .where(Volunteer.created_at < Scope.utc_start(scope.year + 1)), scope))
    return rows, total


def _served(scope: Scope):
    """[(year, park id, volunteers, minutes, points)] by the year of the activity served at."""
    chain = (select(LedgerEntry.id.label("id"), LedgerEntry.service_id.label("service_id"))
             .where(LedgerEntry.kind == "earn").cte("served_entries", recursive=True))
    correction = aliased(LedgerEntry)
    chain = chain.union_all(select(correction.id, chain.c.service_id).where(correction.corrects_id == chain.c.id))
    year = extract("year", Activity.held_on)
    rows = db.session.execute(_in_parks(
        select(year, Volunteer.park_id, func.count(Service.volunteer_id.distinct()),
               func.sum(LedgerEntry.minutes), func.sum(LedgerEntry.points))
        .select_from(chain).join(LedgerEntry, LedgerEntry.id == chain.c.id)
        .join(Service, Service.id == chain.c.service_id).join(Activity, Activity.id == Service.activity_id)
        .join(Volunteer, Volunteer.id == Service.volunteer_id)
        .where(Activity.held_on.between(scope.first_day, scope.last_day))
        .group_by(year, Volunteer.park_id), scope)).all()
    return [(int(y), p, people, minutes, points) for y, p, people, minutes, points in rows]


def _redeemed(scope: Scope):
    return _by_local_year(_in_parks(
        select(Redemption.created_at.label("at"), Volunteer.park_id.label("park_id"),
               Redemption.points.label("value")).join(Volunteer, Volunteer.id == Redemption.volunteer_id), scope),
        Redemption.created_at, scope)
