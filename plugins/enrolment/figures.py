"""The academy's figures for the district's report (培训): trainees enrolled (人次) and distinct (人),
classes held (期), completions (人次) and the hours earned (学时) — each in the year its class was held.

A class (班次) counts in the district's year of its first session (`Offering.starts_at`, stored in
UTC: a class that starts at 07:00 on 1 January in the district is that year's), once it has begun
(one still to come has trained nobody yet), and in the park that runs it. Its trainees are the
seated enrolments (已报名 and 已结业: those who took a seat — waiting, pending, cancelled, removed and
refused people are not); it is held when at least one took a seat; the hours are what the academy
credits a trainee who completes (`Enrolment.hours`, the course's 学时, as 我的学习 totals them), so
学时 are person-hours (人·学时). A trainee in classes of two parks counts once in the district's 人
and once in each park's.

Five grouped queries (and one for the parks' names), whatever the number of classes and trainees.
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import and_, case, func, select

from incubator.db_types import utcnow
from incubator.extensions import db
from incubator.figures import Figure, Scope

from .models import SEATED, Course, Enrolment, Offering

AREA = "培训"
OUTSIDE = 0  # the "year" of a class held before the scope's years (or between them): cumulative only
UNSORTED = "（未分类）"

# (key, label, unit, order, targetable, note), each counted from its column of `_classes`'s values.
COUNTED = (
    ("academy.offerings", "开班", "期", 30, False, "当年开课且至少有一名学员入班的班次"),
    ("academy.enrolments", "培训人次", "人次", 10, True, "当年开班的班次中报名入班（已报名或已结业）的人次"),
    ("academy.completions", "结业", "人次", 40, False, "当年开班的班次中结业的人次"),
    ("academy.hours", "培训学时", "学时", 50, False, "当年开班的班次中结业学员获得的学时合计（人·学时）"),
)


def figures(scope: Scope) -> list[Figure]:
    parks = scope.park_names
    held = _held(scope)
    rows = _classes(held)
    found = [_counted(scope, parks, rows, column, *spec) for column, spec in enumerate(COUNTED)]
    return [*found, _trainees(scope, parks, held)]


def _held(scope: Scope):
    """The classes begun by now and by the end of the report's year, with their year, park and
    course, as a subquery (the year is worked out here and grouped on outside: PostgreSQL may not
    match a CASE with bound values between SELECT and GROUP BY)."""
    stmt = (select(Offering.id, Offering.park_id, Offering.course_id,
                   scope.local_year(Offering.starts_at, OUTSIDE).label("year"))
            .where(Offering.starts_at.is_not(None), Offering.starts_at <= utcnow(),
                   Offering.starts_at < Scope.utc_start(scope.year + 1)))
    if scope.park_ids is not None:
        stmt = stmt.where(Offering.park_id.in_(scope.park_ids or (-1,)))
    return stmt.subquery("held")


def _seated(held):
    return (select().select_from(held)
            .join(Enrolment, and_(Enrolment.offering_id == held.c.id, Enrolment.status.in_(SEATED)))
            .join(Course, Course.id == held.c.course_id))


def _classes(held) -> list[tuple]:
    """[(year, park id, course title, category, (classes, enrolments, completions, hours))]."""
    completed = Enrolment.status == "completed"
    rows = db.session.execute(_seated(held).add_columns(
        held.c.year, held.c.park_id, Course.id, Course.title, Course.category,
        func.count(func.distinct(held.c.id)), func.count(Enrolment.id),
        func.coalesce(func.sum(case((completed, 1), else_=0)), 0),
        func.coalesce(func.sum(case((completed, Enrolment.hours), else_=0)), 0))
        .group_by(held.c.year, held.c.park_id, Course.id, Course.title, Course.category)).all()
    return [(int(year), park_id, title, category or UNSORTED, (int(classes), int(enrolments), int(completions),
                                                               float(hours or 0)))
            for year, park_id, _course_id, title, category, classes, enrolments, completions, hours in rows]


def _counted(scope, parks, rows, column, key, label, unit, order, targetable, note) -> Figure:
    figure = Figure(key, label, unit, AREA, by_year=dict.fromkeys(scope.years, 0), order=order, note=note,
                    targetable=targetable, cumulative=0)
    by_park, by_category, by_course = defaultdict(int), defaultdict(int), defaultdict(int)
    for year, park_id, title, category, values in rows:
        value = values[column]
        figure.cumulative += value
        if year in figure.by_year:
            figure.by_year[year] += value
        if year == scope.year:
            by_park[park_id] += value
            by_category[category] += value
            by_course[title] += value
    if unit == "学时":
        figure.by_year = {y: round(v, 1) for y, v in figure.by_year.items()}
        figure.cumulative = round(figure.cumulative, 1)
        by_park, by_category, by_course = ({k: round(v, 1) for k, v in d.items()}
                                           for d in (by_park, by_category, by_course))
    figure.by_park = {p: v for p, v in by_park.items() if v}
    figure.breakdowns = {"园区": _by_park_name(parks, figure.by_park), "课程类别": _largest_first(by_category),
                         "课程": _largest_first(by_course)}
    return figure


def _trainees(scope: Scope, parks, held) -> Figure:
    """培训人数: distinct people seated, in each year, park and category, and since the first class —
    counted in SQL (a person is one however many classes they took)."""
    figure = Figure("academy.trainees", "培训人数", "人", AREA, by_year=dict.fromkeys(scope.years, 0), order=20,
                    note="当年开班的班次中入班的学员人数（同一人参加多个班次只计一次）")
    people = func.count(func.distinct(Enrolment.user_id))
    seated = _seated(held).where(held.c.year != OUTSIDE)
    for year, n in db.session.execute(seated.add_columns(held.c.year, people).group_by(held.c.year)):
        figure.by_year[int(year)] = n
    this_year = seated.where(held.c.year == scope.year)
    figure.by_park = dict(db.session.execute(this_year.add_columns(held.c.park_id, people)
                                             .group_by(held.c.park_id)).all())
    by_category = defaultdict(int)
    for category, n in db.session.execute(this_year.add_columns(Course.category, people).group_by(Course.category)):
        by_category[category or UNSORTED] += n
    figure.breakdowns = {"园区": _by_park_name(parks, figure.by_park), "课程类别": _largest_first(by_category)}
    figure.cumulative = db.session.scalar(_seated(held).add_columns(people))
    return figure


def _by_park_name(parks: dict[int, str], by_park: dict[int, float]) -> dict[str, float]:
    return {parks[p]: v for p, v in sorted(by_park.items())}


def _largest_first(values: dict[str, float]) -> dict[str, float]:
    return dict(sorted(((k, v) for k, v in values.items() if v), key=lambda kv: (-kv[1], kv[0])))
