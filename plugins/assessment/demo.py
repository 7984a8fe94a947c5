"""Demo data: entry and exit assessments for a sample of organizations, and one draft in progress.

The organization `contact-wu` speaks for (组织联系人) gets a finished entry and mid-term assessment,
so its portal shows the radar chart and the change since entry. (`contact-zhang`'s organization has
none: the graduation journey records them through the forms.) Only a sample is seeded so `incubator demo --orgs 10000` stays fast. Idempotent: nothing is added
when assessments already exist.
"""
import random
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, insert, select

from incubator.dates import today
from incubator.db_types import utcnow
from incubator.organizations.models import Organization
from incubator.users.models import User

from . import rubrics
from .models import Assessment, IndicatorScore

SAMPLE = 16
CONTACT_SHOWN = "contact-wu"  # whose organization's portal shows assessments in the demo


def _grade(rubric, total):
    return rubric.grade(float(total))


def seed(session, size):
    if session.scalar(select(func.count()).select_from(Assessment)):
        return
    rubric = current_app.extensions["assessment_rubrics"].get(rubrics.DEFAULT_CODE)
    experts = {u.username: u for u in session.scalars(select(User).where(User.username.in_(["expert-li", "expert-zhou"])))}
    if rubric is None or not experts:
        return
    orgs = session.execute(select(Organization.id, Organization.stage, Organization.incubation_start)
                           .where(Organization.stage.in_(["incubating", "virtual", "graduated"]))
                           .order_by(Organization.id.desc()).limit(SAMPLE)).all()
    rng = random.Random(11)
    snapshot = rubric.to_dict()
    now = utcnow()
    day = today()
    plans = []  # (org_id, kind, status, level, assessor, assessed on)
    for n, (org_id, stage, start) in enumerate(orgs):
        start = start or day - timedelta(days=400)
        expert = experts.get("expert-zhou" if n % 2 else "expert-li") or next(iter(experts.values()))
        plans.append((org_id, "entry", "finished", rng.uniform(0.45, 0.65), expert, start))
        if stage == "graduated" or n % 3 == 0:
            level = rng.uniform(0.72, 0.92) if stage == "graduated" else rng.uniform(0.6, 0.85)
            plans.append((org_id, "exit", "finished", level, expert, min(day, start + timedelta(days=700))))
        elif n % 3 == 1:
            plans.append((org_id, "midterm", "draft", rng.uniform(0.55, 0.75), expert,
                          min(day, start + timedelta(days=365))))
    # Last, so the sample's scores stay as they were (one random sequence).
    contact = session.execute(select(Organization.id, Organization.incubation_start).join(
        User, User.organization_id == Organization.id).where(
        User.username == CONTACT_SHOWN, Organization.stage.in_(["incubating", "virtual"]))).first()
    if contact is not None and contact.id not in {o.id for o in orgs}:
        start = contact.incubation_start or day - timedelta(days=365)
        expert = experts.get("expert-zhou") or next(iter(experts.values()))
        plans.append((contact.id, "entry", "finished", 0.52, expert, start))
        plans.append((contact.id, "midterm", "finished", 0.68, expert, min(day, start + timedelta(days=300))))
    for org_id, kind, status, level, expert, on in plans:
        points = {i.code: Decimal(str(round(i.points * min(1.0, max(0.0, rng.gauss(level, 0.1))) * 2) / 2))
                  for i in rubric.indicators}
        if status == "draft":  # half scored so far
            points = dict(list(points.items())[: len(points) // 2])
        total = sum(points.values(), Decimal(0))
        finished = status == "finished"
        assessment_id = session.execute(insert(Assessment).values(
            organization_id=org_id, kind=kind, status=status, rubric_code=rubric.code, rubric=snapshot,
            assessor_id=expert.id, assessed_on=on, summary="演示数据：总体运行平稳，需加强财务与项目管理。",
            total=total if finished else None, grade=_grade(rubric, total) if finished else "",
            created_at=now, updated_at=now, finished_at=now if finished else None,
            finished_by_id=expert.id if finished else None).returning(Assessment.id)).scalar_one()
        session.execute(insert(IndicatorScore), [{"assessment_id": assessment_id, "indicator_code": code, "score": value,
                                         "evidence": "查阅台账与现场访谈"} for code, value in points.items()])
    session.flush()
