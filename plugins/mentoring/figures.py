"""督导's figures for the district's report: supervision sessions (次), supervision hours (小时) and
organizations supervised (家), each in the year the session was held (`held_on`, the district's
date the expert gave), in the park the organization is in now (as the core counts organizations).

What counts is what the plugin counts elsewhere: entries signed off by the organization
(已签字确认) and not replaced by a confirmed amendment (补充更正) — the hours the bureau pays experts
by (reporting.py) and the sessions graduation counts (services.py), where an organization's
entries on one day are one session (several experts, or several entries, on one visit). A park's
minimum gap between sessions (`min_gap_days`) paces graduation; it does not make a session held
less of one, so it does not apply here. Pending and disputed entries are not counted.

Seven queries (one of them for the parks' names), each grouped in SQL, whatever the number of entries.
"""
from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import extract, func, select

from incubator.extensions import db
from incubator.figures import Figure, Scope
from incubator.organizations.models import Organization
from incubator.users.models import User

from .models import SupervisionLog
from .services import superseded_ids

AREA = "督导"


def figures(scope: Scope) -> list[Figure]:
    parks = scope.park_names
    counted = _counted(scope)
    logged, names = _hours(scope, counted)
    sessions = _figure(scope, parks, "mentoring.sessions", "开展督导", "次", 10, _sessions(counted),
                       _per_expert(scope, counted, sessions=True), names, targetable=True,
                       note="组织签字确认的督导（同一组织同一天的记录计为一次；补充更正替代原记录）")
    hours = _figure(scope, parks, "mentoring.hours", "督导时长", "小时", 20,
                    [(y, p, h) for y, p, _e, h in logged],
                    _expert_hours(scope, logged), names, targetable=True,
                    note="组织签字确认的督导记录的时长合计（专家劳务按此结算）")
    organizations = _figure(scope, parks, "mentoring.organizations", "受督导组织", "家", 30,
                            _organizations(counted), _per_expert(scope, counted, sessions=False), names,
                            note="当年有经签字确认的督导的组织（同一组织只计一次）")
    organizations.cumulative = db.session.scalar(select(func.count(func.distinct(counted.c.organization_id))))
    return [sessions, hours, organizations]


def _counted(scope: Scope):
    """The entries that count, held by the end of the report's year, in the scope's parks, with the
    year each was held and the organization's park — a subquery (grouped on outside)."""
    superseded = superseded_ids()
    stmt = (select(SupervisionLog.organization_id, SupervisionLog.expert_id, SupervisionLog.held_on,
                   SupervisionLog.hours, Organization.park_id, extract("year", SupervisionLog.held_on).label("year"))
            .join(Organization, Organization.id == SupervisionLog.organization_id)
            .outerjoin(superseded, superseded.c.log_id == SupervisionLog.id)
            .where(SupervisionLog.status == "confirmed", superseded.c.log_id.is_(None),
                   SupervisionLog.held_on <= scope.last_day))
    if scope.park_ids is not None:
        stmt = stmt.where(Organization.park_id.in_(scope.park_ids or (-1,)))
    return stmt.subquery("counted")


def _hours(scope: Scope, counted) -> tuple[list[tuple], dict[int, str]]:
    """[(year, park id, expert id, hours)] from the first entry, and the experts' names."""
    rows = db.session.execute(
        select(counted.c.year, counted.c.park_id, counted.c.expert_id, User.name, User.username,
               func.sum(counted.c.hours))
        .join(User, User.id == counted.c.expert_id)
        .group_by(counted.c.year, counted.c.park_id, counted.c.expert_id, User.name, User.username)).all()
    return ([(int(y), p, e, round(float(h or 0), 1)) for y, p, e, _n, _u, h in rows],
            _expert_names({e: (n, u) for _y, _p, e, n, u, _h in rows}))


def _expert_names(people: dict[int, tuple[str, str]]) -> dict[int, str]:
    """{expert id: the name shown} — their display name, with the username where two share one."""
    shown = {e: name or username for e, (name, username) in people.items()}
    twice = {name for name, n in Counter(shown.values()).items() if n > 1}
    return {e: f"{name}（{people[e][1]}）" if name in twice else name for e, name in shown.items()}


def _sessions(counted) -> list[tuple]:
    """[(year, park id, sessions)]: an organization's entries on one day are one session."""
    visits = select(counted.c.year, counted.c.park_id, counted.c.organization_id, counted.c.held_on) \
        .distinct().subquery("visits")
    rows = db.session.execute(select(visits.c.year, visits.c.park_id, func.count())
                              .group_by(visits.c.year, visits.c.park_id)).all()
    return [(int(y), p, n) for y, p, n in rows]


def _organizations(counted) -> list[tuple]:
    """[(year, park id, organizations)] (an organization is in one park: the parks' add up)."""
    rows = db.session.execute(select(counted.c.year, counted.c.park_id, func.count(func.distinct(counted.c.organization_id)))
                              .group_by(counted.c.year, counted.c.park_id)).all()
    return [(int(y), p, n) for y, p, n in rows]


def _per_expert(scope: Scope, counted, *, sessions: bool) -> dict[int, float]:
    """{expert id: their sessions (an organization's day once) or organizations} in the report's year."""
    this_year = counted.c.year == scope.year
    if sessions:
        visits = select(counted.c.expert_id, counted.c.organization_id, counted.c.held_on).where(this_year) \
            .distinct().subquery("expert_visits")
        stmt = select(visits.c.expert_id, func.count()).group_by(visits.c.expert_id)
    else:
        stmt = (select(counted.c.expert_id, func.count(func.distinct(counted.c.organization_id)))
                .where(this_year).group_by(counted.c.expert_id))
    return dict(db.session.execute(stmt).all())


def _expert_hours(scope: Scope, hours) -> dict[int, float]:
    per_expert: dict[int, float] = defaultdict(float)
    for year, _park, expert, h in hours:
        if year == scope.year:
            per_expert[expert] += h
    return per_expert


def _figure(scope, parks, key, label, unit, order, rows, per_expert, names, *, note, targetable=False) -> Figure:
    """A figure from [(year, park id, value)] since the first entry, with the report year's experts."""
    figure = Figure(key, label, unit, AREA, by_year=dict.fromkeys(scope.years, 0), order=order, note=note,
                    targetable=targetable, cumulative=0)
    by_park: dict[int, float] = defaultdict(int)
    for year, park_id, value in rows:
        figure.cumulative += value
        if year in figure.by_year:
            figure.by_year[year] += value
        if year == scope.year:
            by_park[park_id] += value
    tidy = (lambda v: round(v, 1)) if unit == "小时" else (lambda v: v)
    figure.by_year = {y: tidy(v) for y, v in figure.by_year.items()}
    figure.cumulative = tidy(figure.cumulative)
    figure.by_park = {p: tidy(v) for p, v in sorted(by_park.items()) if v}
    figure.breakdowns = {
        "园区": {parks[p]: v for p, v in figure.by_park.items()},
        "专家": dict(sorted(((names[e], tidy(v)) for e, v in per_expert.items() if v), key=lambda kv: (-kv[1], kv[0]))),
    }
    return figure
