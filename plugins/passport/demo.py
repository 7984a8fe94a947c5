"""Demo data for 方兴社区: a dozen volunteers, a few activities with service records, a window, gifts.

Idempotent: does nothing once the park has volunteers. Goes through the services so the ledger
and balances are consistent from the start.
"""
from datetime import timedelta

from sqlalchemy import select

from incubator.dates import today as district_today
from incubator.organizations.models import Organization
from incubator.parks.models import Park
from incubator.users.models import User

from . import idcard, services
from .models import Gift, Volunteer

NAMES = ["王秀英", "李建国", "张桂兰", "刘志强", "陈晓燕", "杨德明", "黄丽华", "赵春梅", "周海涛", "吴淑珍", "徐国庆", "孙玉兰"]
ACTIVITIES = [("楼道清洁日", 120), ("敬老院探访", 150), ("垃圾分类督导", 90), ("社区义诊引导", 200)]
GIFTS = [("环保购物袋", 4, 60), ("定制保温杯", 20, 30), ("粮油礼包", 40, 20), ("理发券", 8, 100)]


def seed(session):
    park = session.scalar(select(Park).where(Park.code == "fangxing"))
    if park is None or session.scalar(select(Volunteer.id).where(Volunteer.park_id == park.id).limit(1)):
        return
    manager = session.scalar(select(User).where(User.username == "fangxing-mgr")) or \
        session.scalar(select(User).where(User.role == "admin"))
    trainee = session.scalar(select(User).where(User.username == "trainee-wang"))
    volunteers = []
    for i, name in enumerate(NAMES):
        id_number = idcard.make(f"340111{1950 + i}{i % 9 + 1:02d}{10 + i:02d}{100 + i:03d}")
        volunteers.append(services.register(park, {
            "name": name, "phone": f"139{5510000 + i * 37:08d}", "id_number": id_number,
            "user_id": trainee.id if (trainee and i == 0) else None}, user=manager))
    org_id = session.scalar(select(Organization.id).where(Organization.park_id == park.id).limit(1))
    today = district_today()
    for n, (title, minutes) in enumerate(ACTIVITIES):
        activity = services.create_activity(park, {
            "title": title, "held_on": today - timedelta(days=40 - n * 9), "place": "方兴社区党群服务中心",
            "organization_id": org_id if n % 2 else None, "points_cap": 6 if n == 3 else None}, user=manager)
        for k, volunteer in enumerate(volunteers):
            if (k + n) % 3:
                services.record_service(activity, volunteer, minutes - (k % 3) * 30, user=manager)
    services.create_window(park, "本期兑换", today - timedelta(days=3), today + timedelta(days=12), user=manager)
    for name, cost, stock in GIFTS:
        services.save_gift(park, {"name": name, "points_cost": cost, "stock": stock}, user=manager)
    gift = session.scalar(select(Gift).where(Gift.park_id == park.id, Gift.name == "环保购物袋"))
    services.redeem(volunteers[1], gift, 1, user=manager)
