"""义粉护照's rules: registering volunteers, recording service, the points ledger, redemption.

Every change of points goes through `_post`, which locks the volunteer row, appends one ledger
entry and moves the cached balance in the same transaction; the balance never goes below zero
(checked here and by the database).
"""
from __future__ import annotations

import calendar
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from incubator import audit
from incubator.database import transaction
from incubator.dates import show_date, today
from incubator.errors import Conflict, ValidationError
from incubator.extensions import db
from incubator.schemas import load
from incubator.search import matches
from incubator.organizations.models import Organization

from . import idcard
from .models import Activity, Gift, LedgerEntry, PassportSettings, Redemption, RedemptionWindow, Service, Volunteer
from .schema import (
    ActivityFields,
    CorrectionFields,
    GiftFields,
    RedemptionFields,
    SettingsFields,
    VolunteerFields,
    WindowFields,
)

VOLUNTEER_FIELDS = tuple(VolunteerFields().load_fields)
ACTIVITY_FIELDS = tuple(ActivityFields().load_fields)
GIFT_FIELDS = tuple(GiftFields().load_fields)
SETTINGS_FIELDS = tuple(SettingsFields().load_fields)


# -- settings and the points rule -------------------------------------------------------------

def settings_for(park_id: int) -> PassportSettings:
    """The park's rule; an unsaved default (1 point per half hour, half-yearly windows) if none."""
    return db.session.get(PassportSettings, park_id) or PassportSettings(
        park_id=park_id, points_per_half_hour=1, default_points_cap=None, window_months=6, window_days=15)


def save_settings(park, data: dict, *, user) -> PassportSettings:
    """The park's points rule and redemption cycle (SettingsFields' rules)."""
    clean = load(SettingsFields(), {k: v for k, v in data.items() if k in SETTINGS_FIELDS})
    clean.setdefault("default_points_cap", None)
    with transaction():
        settings = db.session.get(PassportSettings, park.id) or PassportSettings(park_id=park.id)
        for key in SETTINGS_FIELDS:
            setattr(settings, key, clean[key])
        db.session.add(settings)
        audit.record("passport.settings", park, user=user, summary=f"{park.name}：积分规则与兑换周期", **clean)
    return settings


def points_for(minutes: int, per_half_hour: int, cap: int | None) -> int:
    """Points for `minutes` served: `per_half_hour` per full half hour, at most `cap`."""
    points = (minutes // 30) * per_half_hour
    return min(points, cap) if cap is not None else points


# -- volunteers -----------------------------------------------------------------------------------

def register(park, data: dict, *, user) -> Volunteer:
    """Register a volunteer (VolunteerFields' rules); Conflict when the ID number is already this park's."""
    clean = load(VolunteerFields(), {k: v for k, v in data.items() if k in VOLUNTEER_FIELDS})
    name, phone, id_number = clean["name"], clean["phone"], clean["id_number"]
    digest = idcard.keyed_hash(id_number)
    if db.session.scalar(select(Volunteer.id).where(Volunteer.park_id == park.id, Volunteer.id_hash == digest)):
        raise Conflict(_("该身份证号码已登记为本社区志愿者"), field="id_number")
    with transaction():
        volunteer = Volunteer(park_id=park.id, name=name, phone=phone, id_hash=digest,
                              id_masked=idcard.mask(id_number), user_id=data.get("user_id"))
        db.session.add(volunteer)
        audit.record("passport.register", volunteer, user=user,
                     summary=f"登记志愿者 {name}({volunteer.id_masked})")
    return volunteer


def update_volunteer(volunteer: Volunteer, data: dict, *, user) -> Volunteer:
    """Change name, phone or linked account; the ID number stays (register anew if it was wrong)."""
    clean = load(VolunteerFields(), {k: v for k, v in data.items() if k in ("name", "phone")}, partial=("id_number",))
    name, phone = clean["name"], clean["phone"]
    with transaction():
        before = (volunteer.name, volunteer.phone_masked, volunteer.user_id)
        volunteer.name, volunteer.phone, volunteer.user_id = name, phone, data.get("user_id")
        audit.record("passport.volunteer_edit", volunteer, user=user, summary=f"修改志愿者 {name} 的资料",
                     before=list(before), after=[name, volunteer.phone_masked, volunteer.user_id])
    return volunteer


def find_volunteer(park_id: int, key: str) -> Volunteer | None:
    """By passport number, phone or ID number (the ID number is compared by its keyed hash)."""
    key = (key or "").strip()
    if not key:
        return None
    base = select(Volunteer).where(Volunteer.park_id == park_id)
    if key.isdigit() and len(key) < 11:
        return db.session.scalar(base.where(Volunteer.id == int(key)))
    if len(key) == 18:
        return db.session.scalar(base.where(Volunteer.id_hash == idcard.keyed_hash(key)))
    return db.session.scalar(base.where(Volunteer.phone == key))


def volunteers_query(park_id: int, q: str = ""):
    stmt = select(Volunteer).where(Volunteer.park_id == park_id)
    q = (q or "").strip()
    if q:
        stmt = stmt.where(matches(q, Volunteer.name) | (Volunteer.phone == q))
    return stmt.order_by(Volunteer.id)


def ledger_query(volunteer_id: int):
    """The volunteer's ledger, oldest first, as a select (the API pages it)."""
    return (select(LedgerEntry).where(LedgerEntry.volunteer_id == volunteer_id)
            .options(joinedload(LedgerEntry.service).joinedload(Service.activity),
                     joinedload(LedgerEntry.redemption).joinedload(Redemption.gift),
                     joinedload(LedgerEntry.created_by))
            .order_by(LedgerEntry.id))


def ledger(volunteer_id: int) -> list[LedgerEntry]:
    return db.session.scalars(ledger_query(volunteer_id)).all()


def _lock_volunteer(volunteer_id: int) -> Volunteer:
    """Re-read the volunteer under a row lock (PostgreSQL); concurrent posts queue here."""
    return db.session.scalar(select(Volunteer).where(Volunteer.id == volunteer_id)
                             .with_for_update().execution_options(populate_existing=True))


def _post(volunteer: Volunteer, kind: str, points: int, minutes: int = 0, *, user, **refs) -> LedgerEntry:
    """Append one ledger entry and move the balance (caller holds the volunteer lock)."""
    if volunteer.balance + points < 0:
        raise Conflict(_("积分余额不足：当前余额 %(balance)s 分，需要 %(points)s 分", balance=volunteer.balance, points=-points))
    if volunteer.minutes_served + minutes < 0:
        raise Conflict(_("更正后的服务时长不能小于零"))
    volunteer.balance += points
    volunteer.minutes_served += minutes
    entry = LedgerEntry(volunteer_id=volunteer.id, kind=kind, points=points, minutes=minutes,
                        balance_after=volunteer.balance, created_by_id=getattr(user, "id", None), **refs)
    db.session.add(entry)
    return entry


# -- activities and service records (谁组织谁记录) ---------------------------------------------------

def create_activity(park, data: dict, *, user) -> Activity:
    """A volunteer activity (ActivityFields' rules), organized by the park or one of its organizations."""
    clean = load(ActivityFields(), {k: v for k, v in data.items() if k in ACTIVITY_FIELDS})
    title = clean["title"]
    org_id = clean.get("organization_id") or None
    if org_id:
        org = db.session.get(Organization, org_id)
        if org is None or org.park_id != park.id:
            raise ValidationError(_("组织方须是本社区的组织"), field="organization_id")
    settings = settings_for(park.id)
    cap = clean["points_cap"] if clean.get("points_cap") is not None else settings.default_points_cap
    with transaction():
        activity = Activity(park_id=park.id, title=title, organization_id=org_id, held_on=clean["held_on"],
                            place=clean.get("place", ""), description=clean.get("description", ""),
                            points_per_half_hour=settings.points_per_half_hour, points_cap=cap,
                            created_by_id=user.id)
        db.session.add(activity)
        audit.record("passport.activity", activity, user=user, summary=f"新建志愿活动 {title}")
    return activity


def record_service(activity: Activity, volunteer: Volunteer, minutes: int, *, user) -> Service:
    """The organizer records that `volunteer` served `minutes` at `activity`; points follow the rule."""
    if volunteer is None or volunteer.park_id != activity.park_id:
        raise ValidationError(_("未找到本社区的该志愿者"), field="volunteer")
    if not minutes or not 1 <= minutes <= 1440:
        raise ValidationError(_("服务时长应在1到1440分钟之间"), field="minutes")
    points = points_for(minutes, activity.points_per_half_hour, activity.points_cap)
    with transaction():
        locked = _lock_volunteer(volunteer.id)
        if db.session.scalar(select(Service.id).where(Service.activity_id == activity.id,
                                                      Service.volunteer_id == locked.id)):
            raise Conflict(_("%(name)s 在本次活动的服务已登记；如有错误请做更正", name=locked.name))
        service = Service(activity_id=activity.id, volunteer_id=locked.id, minutes=minutes, points=points,
                          recorded_by_id=user.id)
        db.session.add(service)
        db.session.flush()
        _post(locked, "earn", points, minutes, user=user, service_id=service.id,
              note=f"{activity.title}:{minutes} 分钟")
        audit.record("passport.service", service, user=user,
                     summary=f"{activity.title}：{locked.name} {minutes} 分钟，{points} 分")
    return service


def services_of(activity_id: int) -> list[Service]:
    return db.session.scalars(select(Service).where(Service.activity_id == activity_id)
                              .options(joinedload(Service.volunteer)).order_by(Service.id)).all()


def correct(volunteer: Volunteer, entry_id: int, points: int, minutes: int, note: str, *, user) -> LedgerEntry:
    """A correction (CorrectionFields' rules): a new entry that references the corrected one (the
    original stays as it was)."""
    clean = load(CorrectionFields(), {"entry_id": entry_id, "points": points, "minutes": minutes, "note": note})
    entry_id, points, minutes, note = clean["entry_id"], clean["points"], clean["minutes"], clean["note"]
    original = db.session.get(LedgerEntry, entry_id)
    if original is None or original.volunteer_id != volunteer.id:
        raise ValidationError(_("要更正的流水不属于该志愿者"), field="entry_id")
    if original.kind == "redeem":
        raise ValidationError(_("兑换记录不能用积分更正"), field="entry_id")
    with transaction():
        locked = _lock_volunteer(volunteer.id)
        entry = _post(locked, "correction", points, minutes, user=user, corrects_id=original.id, note=note)
        audit.record("passport.correction", locked, user=user,
                     summary=f"{locked.name}：更正流水#{original.id} 积分{points:+d} 时长{minutes:+d}分钟，{note}")
    return entry


# -- windows, gifts, redemption -------------------------------------------------------------------

def open_window(park_id: int, day: date | None = None) -> RedemptionWindow | None:
    day = day or today()
    return db.session.scalar(select(RedemptionWindow).where(
        RedemptionWindow.park_id == park_id, RedemptionWindow.opens_on <= day, RedemptionWindow.closes_on >= day)
        .order_by(RedemptionWindow.opens_on))


def create_window(park, name: str, opens_on: date, closes_on: date, *, user) -> RedemptionWindow:
    """A redemption window (WindowFields' rules) that overlaps none of the park's others."""
    clean = load(WindowFields(), {"name": name, "opens_on": opens_on, "closes_on": closes_on})
    name, opens_on, closes_on = clean["name"], clean["opens_on"], clean["closes_on"]
    overlapping = db.session.scalar(select(RedemptionWindow.id).where(
        RedemptionWindow.park_id == park.id, RedemptionWindow.opens_on <= closes_on,
        RedemptionWindow.closes_on >= opens_on))
    if overlapping:
        raise Conflict(_("与已有兑换窗口的日期重叠"))
    with transaction():
        window = RedemptionWindow(park_id=park.id, name=name, opens_on=opens_on, closes_on=closes_on)
        db.session.add(window)
        audit.record("passport.window", window, user=user, summary=f"兑换窗口 {name} {show_date(opens_on)}–{show_date(closes_on)}")
    return window


def default_windows(park_id: int, year: int) -> list[tuple[str, date, date]]:
    """The windows the rule gives for `year`: the last `window_days` days of every period."""
    settings = settings_for(park_id)
    result = []
    for end_month in range(settings.window_months, 13, settings.window_months):
        last = date(year, end_month, calendar.monthrange(year, end_month)[1])
        first = date(year, end_month, max(1, last.day - settings.window_days + 1))
        result.append((f"{year}年{end_month}月兑换", first, last))
    return result


def generate_windows(park, year: int, *, user) -> list[RedemptionWindow]:
    """Create the rule's windows for `year` that do not clash with existing ones."""
    created = []
    for name, first, last in default_windows(park.id, year):
        try:
            created.append(create_window(park, name, first, last, user=user))
        except Conflict:
            continue
    return created


def save_gift(park, data: dict, *, user, gift: Gift | None = None) -> Gift:
    """A new gift, or `gift` changed (GiftFields' rules)."""
    clean = load(GiftFields(), {k: v for k, v in data.items() if k in GIFT_FIELDS})
    name = clean["name"]
    with transaction():
        if gift is None:
            gift = Gift(park_id=park.id)
        else:
            gift = db.session.scalar(select(Gift).where(Gift.id == gift.id).with_for_update())
        gift.name, gift.points_cost, gift.stock = name, clean["points_cost"], clean["stock"]
        gift.active = clean.get("active", True)
        db.session.add(gift)
        audit.record("passport.gift", gift, user=user, summary=f"礼品 {name}：{gift.points_cost} 分，库存 {gift.stock}")
    return gift


def redeem(volunteer: Volunteer, gift: Gift, quantity: int = 1, *, user, today: date | None = None) -> Redemption:
    """Exchange points for `quantity` of `gift` (RedemptionFields' rules): window, stock and balance
    checked in one transaction.

    The volunteer row is locked first, then the gift row (always in that order, so two
    redemptions never wait on each other crosswise).
    """
    quantity = load(RedemptionFields(), {"quantity": quantity})["quantity"]
    if gift is None or gift.park_id != volunteer.park_id:
        raise ValidationError(_("未找到本社区的该礼品"), field="gift_id")
    with transaction():
        window = open_window(volunteer.park_id, today)
        if window is None:
            raise Conflict(_("当前不在兑换窗口期内，请在兑换窗口开放时再来"))
        locked = _lock_volunteer(volunteer.id)
        locked_gift = db.session.scalar(select(Gift).where(Gift.id == gift.id).with_for_update()
                                        .execution_options(populate_existing=True))
        if not locked_gift.active:
            raise Conflict(_("%(name)s 已下架", name=locked_gift.name))
        if locked_gift.stock < quantity:
            raise Conflict(_("%(name)s 库存不足：剩余 %(stock)s 件", name=locked_gift.name, stock=locked_gift.stock))
        cost = locked_gift.points_cost * quantity
        if locked.balance < cost:
            raise Conflict(_("积分余额不足：当前余额 %(balance)s 分，兑换需要 %(cost)s 分", balance=locked.balance, cost=cost))
        locked_gift.stock -= quantity
        redemption = Redemption(volunteer_id=locked.id, gift_id=locked_gift.id, window_id=window.id,
                                quantity=quantity, points=cost, created_by_id=user.id)
        db.session.add(redemption)
        db.session.flush()
        _post(locked, "redeem", -cost, 0, user=user, redemption_id=redemption.id,
              note=f"兑换 {locked_gift.name} × {quantity}")
        audit.record("passport.redeem", redemption, user=user,
                     summary=f"{locked.name} 兑换 {locked_gift.name} × {quantity}，{cost} 分")
    return redemption


# -- figures -------------------------------------------------------------------------------------

def ranking(park_id: int, limit: int = 50) -> list[Volunteer]:
    """Volunteers by hours served, for recognition (表彰)."""
    return db.session.scalars(select(Volunteer).where(Volunteer.park_id == park_id, Volunteer.minutes_served > 0)
                              .order_by(Volunteer.minutes_served.desc(), Volunteer.id).limit(limit)).all()


def totals(park_ids) -> dict:
    ids = list(park_ids) or [-1]
    row = db.session.execute(select(func.count(Volunteer.id), func.coalesce(func.sum(Volunteer.minutes_served), 0),
                                    func.coalesce(func.sum(Volunteer.balance), 0))
                             .where(Volunteer.park_id.in_(ids))).one()
    activities = db.session.scalar(select(func.count(Activity.id)).where(Activity.park_id.in_(ids)))
    return {"volunteers": row[0], "hours": round(row[1] / 60, 1), "balance": row[2], "activities": activities}


def ledger_sum(volunteer_id: int) -> tuple[int, int]:
    """(points, minutes) summed over the ledger — what the cached balance must equal."""
    row = db.session.execute(select(func.coalesce(func.sum(LedgerEntry.points), 0),
                                    func.coalesce(func.sum(LedgerEntry.minutes), 0))
                             .where(LedgerEntry.volunteer_id == volunteer_id)).one()
    return int(row[0]), int(row[1])
