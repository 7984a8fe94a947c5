"""Demo data for 万年埠街道: this year's ¥1,500,000 round with experts, applications, scores, a grant.

Idempotent: does nothing once the park has a round.
"""
from datetime import timedelta

from sqlalchemy import select

from incubator.dates import today as district_today
from incubator.organizations.models import Organization
from incubator.parks.models import Park
from incubator.parks.services import descendant_ids
from incubator.users.models import User

from . import services
from .models import Round

PROJECTS = [
    ("“小区议事厅”社区公约共建", "社区公约", [("议事会场地与物料", 800000), ("居民骨干工作补贴", 1200000), ("公约印制", 300000)]),
    ("文明养犬宣传与犬只登记服务", "文明养犬", [("宣传活动", 500000), ("犬只登记协助", 900000)]),
    ("楼栋长能力提升计划", "居民骨干培育", [("培训课程", 1500000), ("外出交流", 600000)]),
    ("“家门口”便民维修服务站", "便民服务", [("工具与耗材", 1100000), ("志愿者保险", 200000), ("运营补贴", 1400000)]),
    ("银龄互助睦邻行动", "为老服务", [("上门探访", 900000), ("活动物料", 400000)]),
]


def seed(session):
    park = session.scalar(select(Park).where(Park.code == "wannianbu"))
    if park is None or session.scalar(select(Round.id).where(Round.park_id == park.id).limit(1)):
        return
    manager = session.scalar(select(User).where(User.username == "wannianbu-mgr")) or \
        session.scalar(select(User).where(User.role == "admin"))
    today = district_today()
    # Application has closed; review is on, so the demo shows scores, a decision and a payment.
    rnd = services.create_round(park, {
        "title": f"{today.year}年万年埠街道公益微创投", "year": today.year, "budget_fen": 150_000_000,
        "max_grant_fen": 5_000_000, "categories": services.DEFAULT_CATEGORIES,
        "criteria": services.DEFAULT_CRITERIA, "tranche_percents": [60, 40],
        "apply_from": today - timedelta(days=30), "apply_until": today - timedelta(days=1),
        "review_from": today - timedelta(days=1), "review_until": today + timedelta(days=14),
        "execute_from": today + timedelta(days=15), "execute_until": today + timedelta(days=200),
        "description": "围绕**便民服务、文明养犬、社区公约、居民骨干培育**等方向，支持辖区社会组织开展小微公益项目。"},
        user=manager)
    experts = [u.username for u in session.scalars(select(User).where(User.role == "expert").order_by(User.id))]
    if experts:
        services.set_experts(rnd, experts[:2], user=manager)
    orgs = session.scalars(select(Organization).where(Organization.park_id.in_(descendant_ids(park)))
                           .order_by(Organization.id).limit(len(PROJECTS))).all()
    applications = []
    for org, (title, category, lines) in zip(orgs, PROJECTS):
        applications.append(services.submit(rnd, org, {
            "title": title, "category": category, "goals": f"{title}:以居民需求为导向，形成可持续的服务机制。",
            "beneficiaries": "辖区居民", "beneficiary_count": 300, "lines": lines},
            user=manager, day=rnd.apply_until))
    expert_users = list(rnd.experts)
    for i, application in enumerate(applications[:3]):
        for k, expert in enumerate(expert_users):
            marks = {c["name"]: max(0, c["max"] - 2 - (i + k) % 4) for c in rnd.criteria}
            services.score(application, expert, marks, "方案清晰，建议细化预算。")
    if applications:
        first = applications[0]
        services.decide(first, True, first.requested_fen, "评审通过", user=manager)
        services.pay(first, 1, user=manager)
