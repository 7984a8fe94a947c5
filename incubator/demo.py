"""Demo data: the Baohe 1+N network, demo accounts, and organizations with their histories.

Bulk inserts keep `incubator demo --orgs 10000` (100,000 transitions) to seconds.
"""
import random
from datetime import date, datetime, timedelta

from sqlalchemy import func, insert, select

from .dates import to_local, today as district_today
from .extensions import db
from .organizations import search_index
from .organizations.models import CATEGORIES, Organization, Transition
from .organizations.services import add_years
from .parks.models import Park
from .plugins import hook
from .search import initials
from .users.models import User
from .validators import make_uscc

DEMO_PASSWORD = "demo12345"

# code, name, level, parent code, address, area m²
NETWORK = [
    ("district", "包河区社会组织创新园", "district", None, "合肥市包河区徽州大道与南二环交口", 3000),
    ("changqing", "常青街道社会组织孵化基地", "street", "district", "包河区常青街道", 700),
    ("baogong", "包公街道社会组织孵化基地", "street", "district", "包河区包公街道", 600),
    ("wannianbu", "万年埠街道社会组织孵化园", "street", "district", "包河区万年埠街道", 800),
    ("binhu-shiji", "滨湖世纪社区社会组织孵化基地", "community", "district", "包河区滨湖世纪社区", 900),
    ("fangxing", "方兴社区社会组织孵化基地", "community", "district", "包河区方兴社区", 700),
    ("binhu-mingzhu", "滨湖明珠社区社会组织孵化基地", "community", "district", "包河区滨湖明珠社区", 500),
    ("yunhua", "云华社区睦邻中心孵化点", "community", "wannianbu", "万年埠街道云华社区", 450),
    ("wanci", "万慈社区孵化点", "community", "wannianbu", "万年埠街道万慈社区", 350),
]

# username, role, name, park codes
ACCOUNTS = [
    ("admin", "admin", "区民政局管理员", []),
    ("district-mgr", "manager", "创新园管理员", ["district"]),
    ("fangxing-mgr", "manager", "方兴社区管理员", ["fangxing"]),
    ("changqing-mgr", "manager", "常青街道管理员", ["changqing"]),
    ("wannianbu-mgr", "manager", "万年埠街道管理员", ["wannianbu", "yunhua", "wanci"]),
    ("expert-li", "expert", "李督导", []),
    ("expert-zhou", "expert", "周督导", []),
    ("trainee-wang", "trainee", "王学员", []),
    ("trainee-chen", "trainee", "陈学员", []),
    ("contact-zhang", "trainee", "张芳", []),  # 包河社工服务中心's contact (DEMO_CONTACTS)
    ("contact-wu", "trainee", "吴敏", []),  # contact of an organization in 万年埠街道
]
# Organizations whose contact (组织联系人) the demo accounts are: (username, park code). The first
# organizations of the demo are made to incubate in these parks, so every journey has one.
DEMO_CONTACTS = [("contact-zhang", "district"), ("contact-wu", "wannianbu")]

PLACES = ["包河", "滨湖", "常青", "方兴", "云华", "万慈", "明珠", "包公", "万年埠", "惠民", "徽州", "巢湖", "芜湖路", "望湖"]
THEMES = ["社工", "公益", "志愿者", "邻里", "为老", "青少年", "亲子", "文化", "环保", "助残", "睦邻", "健康", "法律援助", "书香", "乐龄"]
SUFFIXES = ["服务中心", "服务社", "协会", "促进会", "发展中心", "互助会", "工作室", "志愿服务队"]
PATHS = [["applied"], ["applied", "reviewing"], ["applied", "withdrawn"], ["applied", "reviewing", "rejected"],
         ["applied", "reviewing", "incubating"], ["applied", "reviewing", "incubating", "virtual"],
         ["applied", "reviewing", "incubating", "graduated"], ["applied", "reviewing", "incubating", "exited"]]
PATH_WEIGHTS = [8, 8, 3, 4, 40, 12, 20, 5]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["芳", "伟", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "晨旭", "海燕"]


def seed(size: int = 60, transitions: int | None = None, password: str | None = None):
    """Create what is missing; returns the demo accounts for printing."""
    password = password or DEMO_PASSWORD
    parks = ensure_network()
    accounts = ensure_accounts(parks, password)
    if db.session.scalar(select(func.count()).select_from(Organization)) == 0:
        seed_organizations(parks, size, transitions or size * 10)
        link_demo_contacts(parks)
    db.session.commit()
    hook().incubator_seed_demo(session=db.session, size=size)
    db.session.commit()
    seed_figures(parks)
    db.session.commit()
    return accounts


# This year's targets (目标管理) of the demo: {park code: {figure key: target}}, for the figures
# that are there (a plugin switched off has none).
DEMO_TARGETS = {
    "district": {"orgs.admitted": 10, "orgs.graduated": 5, "academy.enrolments": 500, "mentoring.sessions": 200},
    "changqing": {"orgs.admitted": 4, "orgs.graduated": 2, "academy.enrolments": 120},
    "wannianbu": {"orgs.admitted": 4, "orgs.graduated": 2, "microgrant.grants": 20},
    "fangxing": {"orgs.admitted": 3, "passport.hours": 300},
}
# The public showcase (成果展示): (figure key, caption, the total since the first record)
DEMO_SHOWCASE = [
    ("orgs.graduated", "累计孵化出壳社会组织", True),
    ("orgs.entered", "累计申请入园社会组织", True),
    ("microgrant.grants", "累计资助公益项目", True),
    ("microgrant.granted", "累计公益创投资助金额", True),
    ("academy.enrolments", "今年培训人次", False),
    ("mentoring.sessions", "今年专家督导", False),
    ("passport.hours", "今年志愿服务时长", False),
]


def seed_figures(parks: dict[str, Park]) -> None:
    """This year's targets and the showcase's headlines, unless some are set already."""
    from .figures import Scope, collect
    from .figures.models import ShowcaseFigure, Target
    year = district_today().year
    if db.session.scalar(select(Target.id).limit(1)) is not None and \
            db.session.scalar(select(ShowcaseFigure.id).limit(1)) is not None:
        return
    figures = {f.key: f for f in collect(Scope((year,), None))}
    if db.session.scalar(select(Target.id).limit(1)) is None:
        for code, targets in DEMO_TARGETS.items():
            for key, value in targets.items():
                if code in parks and key in figures and figures[key].targetable:
                    db.session.add(Target(year=year, park_id=parks[code].id, figure_key=key, value=value))
    if db.session.scalar(select(ShowcaseFigure.id).limit(1)) is None:
        shown = [item for item in DEMO_SHOWCASE if item[0] in figures]
        for position, (key, caption, cumulative) in enumerate(shown):
            db.session.add(ShowcaseFigure(figure_key=key, caption=caption, cumulative=cumulative, position=position))


def ensure_network() -> dict[str, Park]:
    parks = {p.code: p for p in db.session.scalars(select(Park))}
    for code, name, level, parent, address, area in NETWORK:
        if code not in parks:
            parks[code] = Park(code=code, name=name, level=level, address=address, area_m2=area,
                               parent=parks.get(parent))
            db.session.add(parks[code])
    db.session.flush()
    return parks


def ensure_accounts(parks, password):
    shown = []
    for username, role, name, codes in ACCOUNTS:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(username=username, role=role, name=name)
            user.set_password(password)
            user.parks = [parks[c] for c in codes]
            db.session.add(user)
            shown.append((username, password, role, ",".join(codes)))
        else:
            shown.append((username, "(unchanged)", role, ",".join(codes)))
    db.session.flush()
    return shown


def _name(rng: random.Random, index: int) -> str:
    if index == 0:
        return "包河社工服务中心"
    return f"{rng.choice(PLACES)}{rng.choice(THEMES)}{rng.choice(SUFFIXES)}"


def seed_organizations(parks: dict[str, Park], size: int, total_transitions: int) -> None:
    rng = random.Random(42)
    park_list = list(parks.values())
    admin = db.session.scalar(select(User).where(User.role == "admin"))
    today = district_today()
    org_rows, histories = [], []
    paths = [rng.choices(PATHS, weights=PATH_WEIGHTS)[0] for _ in range(size)]
    # Spend the rest of the transition budget on incubating ↔ virtual moves, as long incubations have.
    eligible = [i for i, path in enumerate(paths) if "incubating" in path]
    extra = max(0, total_transitions - sum(len(p) for p in paths)) // 2
    for n, i in enumerate(eligible):  # empty for tiny demos
        pairs = extra // len(eligible) + (1 if n < extra % len(eligible) else 0)
        paths[i] = paths[i][:3] + ["virtual", "incubating"] * pairs + paths[i][3:]
    for i in range(size):
        name = _name(rng, i)
        created = datetime.combine(today - timedelta(days=rng.randint(30, 1400)), datetime.min.time())
        if i < len(DEMO_CONTACTS):  # the contacts' organizations: incubating for about a year
            paths[i] = ["applied", "reviewing", "incubating"]
            created = datetime.combine(today - timedelta(days=400 + 30 * i), datetime.min.time())
        path = paths[i]
        registered = rng.random() < 0.6
        start = due = None
        if "incubating" in path:
            start = (created + timedelta(days=30)).date()
            due = add_years(start, 2)
        org_rows.append({
            "name": name, "name_initials": initials(name),
            "uscc": make_uscc(f"52340111{rng.randint(0, 10**9 - 1):09d}") if registered else None,
            "category": rng.choice(CATEGORIES[:5]),
            "registration_status": "registered" if registered else rng.choice(["filed", "unregistered"]),
            "founded_on": (created - timedelta(days=rng.randint(0, 2000))).date(),
            "contact_name": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "contact_phone": f"13{rng.randint(0, 9)}{rng.randint(10**7, 10**8 - 1)}",
            "service_area": rng.choice(park_list).name.replace("社会组织孵化基地", ""),
            "description": "", "park_id": rng.choice(park_list).id, "stage": path[-1],
            **({"park_id": parks[DEMO_CONTACTS[i][1]].id} if i < len(DEMO_CONTACTS) else {}),
            "incubation_start": start, "incubation_due": due, "created_at": created, "updated_at": created,
        })
        histories.append((path, created, start))
    _insert_unique_uscc(org_rows)
    ids = db.session.scalars(select(Organization.id).order_by(Organization.id)).all()[-size:]
    search_index.refresh(ids)  # (bulk INSERTs: the session's listener does not see them)
    rows = []
    for org_id, (path, created, start) in zip(ids, histories):
        previous = None
        for stage, when in zip(path, _moments(path, created, start, today)):
            rows.append({"organization_id": org_id, "from_stage": previous, "to_stage": stage,
                         "user_id": admin.id if previous else None, "created_at": when,
                         "happened_on": to_local(when).date(),
                         "note": "演示数据" if previous else "提交入园申请"})
            previous = stage
        if len(rows) >= 20000:
            db.session.execute(insert(Transition), rows)
            rows = []
    if rows:
        db.session.execute(insert(Transition), rows)


def _moments(path: list[str], created: datetime, start, today: date) -> list[datetime]:
    """When each move of a history happened: spread up to the incubation start, entering incubation
    on that day (as the organization's dates say), and the later moves spread from it up to today."""
    end = datetime.combine(today, datetime.min.time())
    if start is None or "incubating" not in path:
        return [created + (end - created) * n / len(path) + timedelta(hours=9) for n in range(len(path))]
    first = path.index("incubating")
    begin = datetime.combine(start, datetime.min.time())
    before = [created + (begin - created) * n / first + timedelta(hours=9) for n in range(first)]
    rest = len(path) - first
    after = [begin + (end - begin) * n / rest + timedelta(hours=9) for n in range(rest)]
    return before + after


def link_demo_contacts(parks) -> None:
    """The demo contacts belong to the first organizations, as their park would have granted."""
    first = db.session.scalars(select(Organization).order_by(Organization.id).limit(len(DEMO_CONTACTS))).all()
    for (username, _park), org in zip(DEMO_CONTACTS, first):
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None and user.organization_id is None:
            user.organization_id = org.id
            user.phone = org.contact_phone
            user.name = org.contact_name = user.name
    db.session.flush()


def _insert_unique_uscc(rows) -> None:
    seen = set()
    for row in rows:
        if row["uscc"] in seen:
            row["uscc"] = None
        seen.add(row["uscc"])
    for chunk in range(0, len(rows), 5000):
        db.session.execute(insert(Organization), rows[chunk:chunk + 5000])
