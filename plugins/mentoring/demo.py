"""Demo data: assignments for the two demo experts, a few months of logs, follow-up actions.

The first organization (包河社工服务中心, whose contact is the demo account contact-zhang) gets
expert-li and two entries awaiting its contact's signature. Only a sample of organizations gets logs,
so `incubator demo --orgs 10000` stays fast. Idempotent: nothing is added when assignments exist.
"""
import random
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select

from incubator.dates import today as district_today
from incubator.db_types import utcnow
from incubator.organizations.models import Organization
from incubator.users.models import User

from .models import FollowUpAction, MentorAssignment, SupervisionLog
from .services import DEFAULT_TOPICS

SAMPLE = 24  # organizations that get an expert and logs
FINDINGS = ["理事会会议记录不完整，决策程序不清晰。", "项目预算与执行偏差较大，缺少过程记录。",
            "志愿者招募渠道单一，流失率高。", "财务制度未落实**双人签字**。", "品牌传播缺少统一形象。"]
ADVICE = ["建议每季度召开理事会并形成纪要。", "建议按月编制项目执行报告，对照预算。",
          "建议与社区学校、企业建立志愿者合作。", "建议制定财务报销流程并公示。", "建议梳理机构使命，统一宣传材料。"]


def seed(session, size):
    if session.scalar(select(func.count()).select_from(MentorAssignment)):
        return
    experts = list(session.scalars(select(User).where(User.username.in_(["expert-li", "expert-zhou"]))
                                   .order_by(User.username)))
    if not experts:
        return
    orgs = session.execute(select(Organization.id, Organization.incubation_start, Organization.stage)
                           .where(Organization.stage.in_(["incubating", "virtual", "graduated"]))
                           .order_by(Organization.id).limit(SAMPLE)).all()
    if not orgs:
        return
    rng = random.Random(7)
    today = district_today()
    first_org = orgs[0].id
    assignments, logs = [], []
    for n, (org_id, start, stage) in enumerate(orgs):
        expert = experts[n % len(experts)]
        # Recent sessions, so this year's hours report has figures to show.
        starts_on = min(max(start or today, today - timedelta(days=150)), today - timedelta(days=60))
        # A graduated organization's assignment ended with its graduation.
        assignments.append({"organization_id": org_id, "expert_id": expert.id, "starts_on": starts_on,
                            "ends_on": today - timedelta(days=2) if stage == "graduated" else None,
                            "note": "演示数据", "created_at": utcnow()})
        sessions = 8 if org_id == first_org else rng.randint(1, 7)
        pending = 2 if org_id == first_org else 1  # the first organization's contact has two to sign
        step = max(1, (today - timedelta(days=3) - starts_on).days // sessions)  # one session a day at most
        for k in range(sessions):
            held_on = starts_on + timedelta(days=step * (k + 1))
            confirmed = k < sessions - pending or stage == "graduated"
            logs.append({"organization_id": org_id, "expert_id": expert.id, "held_on": held_on,
                         "hours": Decimal(rng.choice(["1.5", "2.0", "2.5", "3.0"])),
                         "mode": rng.choice(["onsite", "onsite", "online", "phone"]),
                         "topics": rng.sample(DEFAULT_TOPICS[:6], 2),
                         "findings": rng.choice(FINDINGS), "advice": rng.choice(ADVICE),
                         "status": "confirmed" if confirmed else "pending",
                         "confirmed_at": datetime.combine(held_on, datetime.min.time()) if confirmed else None,
                         "dispute_comment": "", "created_at": utcnow(), "updated_at": utcnow()})
    session.execute(insert(MentorAssignment), assignments)
    session.execute(insert(SupervisionLog), logs)
    # A few follow-ups on the newest log of each sampled organization, some overdue.
    newest = session.execute(select(SupervisionLog.organization_id, func.max(SupervisionLog.id))
                             .group_by(SupervisionLog.organization_id)).all()
    actions = [{"log_id": log_id, "organization_id": org_id, "description": rng.choice(
                   ["完善理事会议事规则", "提交季度项目执行报告", "建立志愿者台账", "整理财务凭证"]),
                "owner": rng.choice(["张芳", "李伟", "王静"]),
                "due_on": today + timedelta(days=rng.randint(-20, 30))} for org_id, log_id in newest]
    session.execute(insert(FollowUpAction), actions)
    session.flush()
