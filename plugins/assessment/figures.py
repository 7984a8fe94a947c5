"""能力评估's figures for the district's report (评估): assessments finished, by kind and by grade,
and how much the organizations that took their exit assessment in a year gained since entering.

A finished assessment counts in the year of its assessment day (`assessed_on`, the day it took
place, which may be back-dated; not the moment it was locked), in the park its organization is in
now (as the core counts organizations). Two grouped queries and one for the parks' names, whatever
the number of assessments.
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import extract, func, select
from sqlalchemy.orm import aliased

from incubator.extensions import db
from incubator.figures import Figure, Scope
from incubator.organizations.models import Organization

from .models import KINDS, Assessment

AREA = "评估"


def figures(scope: Scope) -> list[Figure]:
    parks = scope.park_names
    return [_finished(scope, parks), _exit_change(scope, parks)]


def _in_parks(stmt, scope: Scope):
    if scope.park_ids is not None:
        stmt = stmt.where(Organization.park_id.in_(scope.park_ids or (-1,)))
    return stmt


def _finished(scope: Scope, parks: dict[int, str]) -> Figure:
    year = extract("year", Assessment.assessed_on)
    rows = db.session.execute(_in_parks(
        select(year, Organization.park_id, Assessment.kind, Assessment.grade, func.count())
        .join(Organization, Organization.id == Assessment.organization_id)
        .where(Assessment.status == "finished", Assessment.assessed_on.between(scope.first_day, scope.last_day))
        .group_by(year, Organization.park_id, Assessment.kind, Assessment.grade), scope)).all()
    figure = Figure("assessment.finished", "完成能力评估", "次", AREA, by_year=dict.fromkeys(scope.years, 0),
                    order=10, targetable=True, note="当年完成的入园、中期、出壳评估（按评估日期）")
    by_park, by_kind, by_grade = defaultdict(int), defaultdict(int), defaultdict(int)
    for row_year, park_id, kind, grade, n in rows:
        figure.by_year[int(row_year)] += n
        if int(row_year) == scope.year:
            by_park[park_id] += n
            by_kind[kind] += n
            by_grade[grade or "未定等级"] += n
    figure.by_park = dict(by_park)
    figure.breakdowns = {"园区": {parks[p]: n for p, n in sorted(by_park.items())},
                         "类别": {KINDS[k]: by_kind[k] for k in KINDS if by_kind.get(k)},
                         "等级": {g: by_grade[g] for g in _grade_order(by_grade)}}
    return figure


def _grade_order(grades) -> list[str]:
    """5A, 4A, … 1A, then the rest (未达等级): the bands' names start with their rank."""
    ranked = sorted(grades, reverse=True)
    return [g for g in ranked if g[:1].isdigit()] + sorted(g for g in ranked if not g[:1].isdigit())


def _exit_change(scope: Scope, parks: dict[int, str]) -> Figure:
    """出壳评估较入园评估平均提升: for each organization whose exit assessment took place in a year, its
    last exit of that year minus its entry assessment, averaged."""
    year = extract("year", Assessment.assessed_on)
    last_exits = (select(func.max(Assessment.id).label("id"))
                  .where(Assessment.kind == "exit", Assessment.status == "finished",
                         Assessment.assessed_on.between(scope.first_day, scope.last_day))
                  .group_by(Assessment.organization_id, year).subquery())
    entry = aliased(Assessment)
    rows = db.session.execute(_in_parks(
        select(year, Organization.park_id, func.count(), func.sum(Assessment.total - entry.total))
        .select_from(last_exits).join(Assessment, Assessment.id == last_exits.c.id)
        .join(entry, (entry.organization_id == Assessment.organization_id) & (entry.kind == "entry")
              & (entry.status == "finished"))
        .join(Organization, Organization.id == Assessment.organization_id)
        .group_by(year, Organization.park_id), scope)).all()
    counts, sums = defaultdict(int), defaultdict(float)
    by_park = {}
    for row_year, park_id, n, change in rows:
        counts[int(row_year)] += n
        sums[int(row_year)] += float(change)
        if int(row_year) == scope.year:
            by_park[park_id] = round(float(change) / n, 1)
    return Figure("assessment.exit_change", "出壳评估较入园评估平均提升", "分", AREA,
                  by_year={y: round(sums[y] / counts[y], 1) if counts[y] else 0 for y in scope.years},
                  by_park=by_park, breakdowns={"园区": {parks[p]: v for p, v in sorted(by_park.items())}},
                  order=20, note="当年做出壳评估的组织，出壳评估总分减入园评估总分的平均值")
