"""Demo data for the academy: the catalogue, offerings in several parks, trainees, attendance, completions.

Runs through the real services (each write commits, as the rules require), so capacity, the
waitlist and completion behave exactly as in use, and `incubator_enrolment_completed` fires for the
completed enrolments (the certificates plugin issues their certificates). Idempotent: it does nothing
when offerings already exist.
"""
import random
from datetime import timedelta

from sqlalchemy import func, insert, select

from incubator.dates import to_local, to_utc
from incubator.db_types import utcnow
from incubator.extensions import db
from incubator.organizations.models import Organization
from incubator.parks.models import Park
from incubator.users.models import User

from . import catalogue, completion, services
from .models import Offering, TraineeProfile

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["芳", "伟", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "晨旭", "海燕"]
FREE_ORGS = ["滨湖世纪社区居委会", "方兴社区党群服务中心", "常青街道社工站", "", ""]


def seed(session, size: int = 60) -> None:
    if session.scalar(select(func.count()).select_from(Offering)):
        return
    admin = session.scalar(select(User).where(User.role == "admin"))
    catalogue.sync(user=admin)
    users = {u.username: u for u in session.scalars(select(User))}
    parks = {p.code: p for p in session.scalars(select(Park))}
    trainees = [users["trainee-wang"], users["trainee-chen"]] + _generated_trainees(session, 40)
    manager = {code: next((u for u in users.values() if u.role == "manager" and code in {p.code for p in u.parks}),
                          admin) for code in parks}
    rng = random.Random(7)
    # Sessions at 09:00 Beijing time; "now" for windows and dates is that time today.
    now = to_utc(to_local(utcnow()).replace(hour=9, minute=0, second=0, microsecond=0))
    day = timedelta(days=1)

    def offering(code, park, title, venue, instructor, capacity, first, weeks, approval=False, opens=None):
        sessions = [(first + i * 7 * day, first + i * 7 * day + timedelta(hours=3), f"第{i + 1}讲") for i in range(weeks)]
        return services.create_offering({
            "course": services.course_by_code(code), "park": parks[park], "title": title, "venue": venue,
            "instructor": users.get(instructor), "capacity": capacity, "requires_approval": approval,
            "enrol_opens_at": opens or (first - 30 * day), "enrol_closes_at": first - day,
            "description": "", "sessions": sessions}, user=manager[park])

    # A finished offering in the district park: everyone's attendance, most complete (the hook fires).
    done = offering("CG101", "district", "2026年第1期", "创新园二楼培训室", "expert-li", 30, now - 35 * day, 4)
    for person in trainees[:24]:
        services.enrol(done, person, by=manager["district"], as_manager=True)
    seated = services.seated_roster(done)
    for n, session in enumerate(done.sessions):
        marks = {}
        for e in seated:
            good = e.user.username in ("trainee-wang", "trainee-chen") or rng.random() < 0.88
            marks[e.id] = rng.choice(["present", "present", "present", "late"]) if good else \
                rng.choice(["absent", "excused"])
        completion.record_attendance(session, marks, by=users.get("expert-li") or admin)
    completion.close_offering(done, by=manager["district"])

    # Under way in 万年埠: two of four sessions held.
    running = offering("CG201", "wannianbu", "2026年冬季班", "万年埠街道孵化园多功能厅", "expert-zhou", 20, now - 10 * day, 4)
    for person in trainees[10:28]:
        services.enrol(running, person, by=manager["wannianbu"], as_manager=True)
    for session in running.sessions[:2]:
        completion.record_attendance(session, {e.id: rng.choice(["present", "present", "late", "excused"])
                                             for e in services.seated_roster(running)}, by=users.get("expert-zhou") or admin)

    # Open for enrolment and full in 方兴: trainee-chen waits on the waitlist.
    full = offering("CG102", "fangxing", "2026年第2期", "方兴社区党群服务中心三楼", "expert-li", 12, now + 10 * day, 2,
                    opens=now - 5 * day)
    for person in [trainees[0]] + trainees[20:31] + [trainees[1]] + trainees[31:33]:
        services.enrol(full, person, by=person)

    # Needs approval in 常青: some pending, some approved.
    approval = offering("PM101", "changqing", "2026年第3期", "常青街道社会组织孵化基地", "expert-zhou", 25, now + 20 * day, 4,
                        approval=True, opens=now - 3 * day)
    for person in trainees[2:12]:
        services.enrol(approval, person, by=person)
    for enrolment in services.roster(approval)[:6]:
        services.approve(enrolment, by=manager["changqing"])

    # Enrolment opens next week in 滨湖世纪; one more upcoming in 方兴.
    offering("PM102", "binhu-shiji", "2026年第1期", "滨湖世纪社区服务中心", None, 20, now + 30 * day, 2,
             opens=now + 5 * day)
    offering("PM103", "fangxing", "志愿者骨干班", "方兴社区志愿服务站", "expert-li", 30, now + 14 * day, 2,
             opens=now - 2 * day)
    db.session.commit()


def _generated_trainees(session, count: int) -> list[User]:
    """`trainee-001`… with names, phones and the organizations they named (free text: naming an
    organization never makes anyone its contact); one password hash shared (fast)."""
    existing = session.scalars(select(User).where(User.username.like("trainee-0%")).order_by(User.username)).all()
    if existing:
        return list(existing)
    rng = random.Random(11)
    probe = User(username="probe", role="trainee")
    from incubator.demo import DEMO_PASSWORD
    probe.set_password(DEMO_PASSWORD)
    org_names = session.scalars(select(Organization.name).order_by(Organization.id).limit(12)).all()
    rows, named = [], []
    for n in range(1, count + 1):
        named.append(rng.choice(org_names) if org_names and rng.random() < 0.6 else rng.choice(FREE_ORGS))
        rows.append({"username": f"trainee-{n:03d}", "role": "trainee", "password_hash": probe.password_hash,
                     "name": rng.choice(SURNAMES) + rng.choice(GIVEN), "phone": f"1380000{n:04d}",
                     "active": True, "created_at": utcnow()})
    session.execute(insert(User), rows)
    created = session.scalars(select(User).where(User.username.like("trainee-0%")).order_by(User.username)).all()
    session.execute(insert(TraineeProfile), [
        {"user_id": u.id, "organization_name": name, "created_at": utcnow()} for u, name in zip(created, named)])
    session.flush()
    return list(created)
