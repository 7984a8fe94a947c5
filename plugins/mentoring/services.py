"""Supervision logs (督导记录): settings per park, contact persons, writing, amending, confirming and
disputing logs, the queries behind the pages, and the graduation veto. Assignments are in
assigning.py, the hours report in reporting.py, the to-do counts in todo_counts.py.

Plain functions over the session, used by the pages, the API, the CLI and the hooks alike.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from incubator import audit
from incubator.database import transaction
from incubator.dates import chinese_date, today
from incubator.db_types import utcnow
from incubator.errors import Conflict, ValidationError
from incubator.extensions import db
from incubator.files import services as file_store
from incubator.numbers import show_hours
from incubator.organizations.models import Organization
from incubator.parks.models import Park
from incubator.users.models import User

from . import notices
from .models import MODES, FollowUpAction, MentorAssignment, MentoringSettings, SupervisionLog
from .assigning import is_assigned

DEFAULT_TOPICS = ["内部治理", "项目设计", "财务管理", "筹资", "志愿者管理", "党建", "品牌传播", "社区参与"]
DEFAULT_MIN_SESSIONS = 6
DEFAULT_MIN_GAP_DAYS = 1  # sessions on distinct days
MAX_ACTIONS = 10
FILE_OWNER = "mentoring_log"  # a photo's or sign-in sheet's StoredFile.owner_type (owner_id: the log's id)


# -- settings per park ------------------------------------------------------------------------

@dataclass
class Settings:
    graduation_veto: bool
    min_confirmed_sessions: int
    topics: list[str]
    stored: bool  # False: the defaults, nobody has saved this park's settings yet
    min_gap_days: int = DEFAULT_MIN_GAP_DAYS


def settings_for(park_id: int) -> Settings:
    row = db.session.scalar(select(MentoringSettings).where(MentoringSettings.park_id == park_id))
    if row is None:
        return Settings(True, DEFAULT_MIN_SESSIONS, list(DEFAULT_TOPICS), False)
    return Settings(row.graduation_veto, row.min_confirmed_sessions, list(row.topics or DEFAULT_TOPICS), True,
                    row.min_gap_days or DEFAULT_MIN_GAP_DAYS)


def parse_topics(text: str) -> list[str]:
    """One topic per line (or separated by 、/,), blanks and duplicates dropped, order kept."""
    seen = []
    for part in (text or "").replace("、", "\n").replace(",", "\n").replace(",", "\n").splitlines():
        part = part.strip()
        if part and part not in seen:
            seen.append(part)
    return seen


def save_settings(park: Park, *, graduation_veto: bool, min_confirmed_sessions, topics: list[str], user,
                  min_gap_days=DEFAULT_MIN_GAP_DAYS) -> Settings:
    if min_confirmed_sessions is None or not 0 <= int(min_confirmed_sessions) <= 200:
        raise ValidationError(_("最少督导次数应在 0–200 之间"), field="min_confirmed_sessions")
    if min_gap_days is None or not 1 <= int(min_gap_days) <= 365:
        raise ValidationError(_("两次督导的间隔应在 1–365 天之间"), field="min_gap_days")
    topics = [t.strip() for t in topics or [] if t and t.strip()]
    if not topics:
        raise ValidationError(_("请至少保留一个督导主题"), field="topics")
    if any(len(t) > 30 for t in topics) or len(topics) > 40:
        raise ValidationError(_("督导主题最多40个，每个不超过30字"), field="topics")
    with transaction():
        row = db.session.scalar(select(MentoringSettings).where(MentoringSettings.park_id == park.id)
                                .with_for_update()) or MentoringSettings(park_id=park.id)
        row.graduation_veto, row.min_confirmed_sessions = bool(graduation_veto), int(min_confirmed_sessions)
        row.min_gap_days = int(min_gap_days)
        row.topics, row.updated_by_id = topics, user.id
        db.session.add(row)
        audit.record("mentoring.settings", park, user=user, summary=f"{park.name} 督导设置",
                     graduation_veto=row.graduation_veto, min_confirmed_sessions=row.min_confirmed_sessions,
                     min_gap_days=row.min_gap_days, topics=topics)
    return settings_for(park.id)


# -- contact persons --------------------------------------------------------------------------

def contacts(org_id: int) -> list[User]:
    """Users who confirm logs for the organization: accounts whose `organization_id` is it."""
    return db.session.scalars(select(User).where(User.organization_id == org_id, User.active.is_(True))
                              .order_by(User.id)).all()


def is_contact(user, org_id: int) -> bool:
    return (org_id is not None and getattr(user, "organization_id", None) == org_id
            and getattr(user, "role", None) == "trainee")


# -- logs -------------------------------------------------------------------------------------

def _clean_log(org: Organization, data: dict) -> dict:
    """Validate the fields of a log entry (422 naming the field)."""
    held_on = data.get("held_on")
    if held_on is None:
        raise ValidationError(_("请填写督导日期"), field="held_on")
    if held_on > today():
        raise ValidationError(_("督导日期不能晚于今天"), field="held_on")
    try:
        hours = Decimal(str(data.get("hours")))
        if not hours.is_finite():
            raise ValueError(hours)
        hours = hours.quantize(Decimal("0.1"))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(_("请填写时长（小时）"), field="hours") from None
    if hours <= 0:
        raise ValidationError(_("督导时长须大于 0 小时"), field="hours")
    if not Decimal("0.5") <= hours <= Decimal("24"):
        raise ValidationError(_("时长应在 0.5–24 小时之间"), field="hours")
    if data.get("mode") not in MODES:
        raise ValidationError(_("方式应为：现场、线上或电话"), field="mode")
    allowed = settings_for(org.park_id).topics
    topics = [t for t in dict.fromkeys(data.get("topics") or [])]
    if not topics:
        raise ValidationError(_("请至少选择一个督导主题"), field="topics")
    unknown = [t for t in topics if t not in allowed]
    if unknown:
        raise ValidationError(_("不在本园区主题列表中：%(topics)s", topics="、".join(unknown)), field="topics")
    findings, advice = (data.get("findings") or "").strip(), (data.get("advice") or "").strip()
    if not findings:
        raise ValidationError(_("请填写发现的问题"), field="findings")
    if not advice:
        raise ValidationError(_("请填写给出的建议"), field="advice")
    if len(findings) > 20000 or len(advice) > 20000:
        raise ValidationError(_("内容过长（每项不超过20000字）"), field="findings")
    actions = []
    for n, action in enumerate(data.get("actions") or [], start=1):
        description = (action.get("description") or "").strip()
        owner = (action.get("owner") or "").strip()
        due_on = action.get("due_on")
        if not (description or owner or due_on):
            continue  # a blank row of the form
        if not description or not owner or due_on is None:
            raise ValidationError(_("第%(n)s项跟进事项需填写内容、负责人和完成期限", n=n), field="actions")
        if len(owner) > 60:
            raise ValidationError(_("第%(n)s项跟进事项的负责人过长", n=n), field="actions")
        if due_on < held_on:
            raise ValidationError(_("第%(n)s项跟进事项的期限不能早于督导日期", n=n), field="actions")
        actions.append({"description": description, "owner": owner, "due_on": due_on})
    if len(actions) > MAX_ACTIONS:
        raise ValidationError(_("跟进事项最多%(n)s项", n=MAX_ACTIONS), field="actions")
    return {"held_on": held_on, "hours": hours, "mode": data["mode"], "topics": topics,
            "findings": findings, "advice": advice, "actions": actions}


def _require_assignment(org: Organization, expert, held_on: date) -> None:
    if not is_assigned(expert, org.id, active_on=held_on):
        raise Conflict(_("督导日期不在您对该组织的指派期内，不能记录"), field="held_on")


def create_log(org: Organization, data: dict, *, user, amends: SupervisionLog | None = None,
               attachments=()) -> SupervisionLog:
    """Log a session held by `user` (an expert assigned to `org` on that date), with its photos and
    sign-in sheets (`attachments`: uploads; one refused refuses the whole entry)."""
    clean = _clean_log(org, data)
    _require_assignment(org, user, clean["held_on"])
    with transaction():
        if amends is not None:
            # Lock the original: two amendments of one entry must not race each other.
            original = db.session.scalar(select(SupervisionLog).where(SupervisionLog.id == amends.id)
                                         .with_for_update())
            if original.organization_id != org.id or original.status != "confirmed":
                raise Conflict(_("只能对本组织已确认的记录提交补充更正"))
            if open_amendment(original.id) is not None:
                raise Conflict(_("该记录已有一条待确认的补充更正"))
        log = SupervisionLog(organization_id=org.id, expert_id=user.id, status="pending",
                             amends_id=amends.id if amends is not None else None,
                             **{k: clean[k] for k in ("held_on", "hours", "mode", "topics", "findings", "advice")})
        log.actions = [FollowUpAction(organization_id=org.id, **a) for a in clean["actions"]]
        db.session.add(log)
        db.session.flush()
        names = _store_files(log, attachments, user)
        audit.record("mentoring.amend" if amends is not None else "mentoring.log", log, user=user,
                     summary=f"{org.name}：{chinese_date(clean['held_on'])} {show_hours(clean['hours'])} 小时",
                     organization_id=org.id, amends=getattr(amends, "id", None), files=names)
        notices.log_submitted(org, log)
    return log


def _store_files(log: SupervisionLog, uploads, user, required: bool = False) -> list[str]:
    """Keep each upload for the entry (in the caller's transaction); a refusal names the file."""
    return [f.original_name for f in file_store.store_many(uploads, owner_type=FILE_OWNER, owner_id=log.id,
                                                             park_id=log.organization.park_id, user=user,
                                                             required=required)]


def attach_files(log: SupervisionLog, uploads, *, user) -> list:
    """The author adds photos or sign-in sheets (现场照片、签到表) to an entry, whatever its status:
    they are evidence of the session, not part of what the contact signed."""
    if log.expert_id != user.id:
        raise Conflict(_("只有记录的撰写专家可以添加附件"))
    with transaction():
        names = _store_files(log, uploads, user, required=True)
        audit.record("mentoring.attach", log, user=user,
                     summary=f"{log.organization.name}：{chinese_date(log.held_on)} 督导记录添加附件 {len(names)} 个",
                     organization_id=log.organization_id, files=names)
    return names


def files_of_log(log_id: int) -> list:
    """The entry's attachments, newest first."""
    return file_store.files_of(FILE_OWNER, [log_id]).get(log_id, [])


def log_of_file(stored_file) -> SupervisionLog | None:
    if stored_file.owner_type != FILE_OWNER:
        return None
    return db.session.get(SupervisionLog, stored_file.owner_id)


def open_amendment(log_id: int) -> SupervisionLog | None:
    return db.session.scalar(select(SupervisionLog).where(SupervisionLog.amends_id == log_id,
                                                          SupervisionLog.status != "confirmed").limit(1))


def _locked(log: SupervisionLog) -> SupervisionLog:
    """Re-read the entry FOR UPDATE (PostgreSQL row lock; SQLite serializes writers anyway)."""
    db.session.execute(select(SupervisionLog.id).where(SupervisionLog.id == log.id).with_for_update())
    db.session.refresh(log)
    return log


def update_log(log: SupervisionLog, data: dict, *, user, attachments=()) -> SupervisionLog:
    """The author revises an entry that is not yet confirmed; a disputed entry goes back to pending.
    `attachments` are added to the entry's files (none is removed)."""
    if log.expert_id != user.id:
        raise Conflict(_("只有记录的撰写专家可以修改"))
    clean = _clean_log(log.organization, data)
    _require_assignment(log.organization, user, clean["held_on"])
    with transaction():
        _locked(log)
        if log.status == "confirmed":
            raise Conflict(_("已签字确认的记录不能修改，请提交补充更正"))
        was = log.status
        for key in ("held_on", "hours", "mode", "topics", "findings", "advice"):
            setattr(log, key, clean[key])
        # Actions already done stay; open ones are replaced by the form's list.
        log.actions = [a for a in log.actions if a.done_at is not None] + [
            FollowUpAction(organization_id=log.organization_id, **a) for a in clean["actions"]]
        log.status = "pending"
        names = _store_files(log, attachments, user)
        audit.record("mentoring.edit", log, user=user, summary=f"修改督导记录 {log.held_on}", previous_status=was,
                     files=names)
        if was == "disputed":  # a pending entry edited: the contacts were told of it already
            notices.log_submitted(log.organization, log, revised=True)
    return log


def withdraw(log: SupervisionLog, *, user) -> None:
    """The author deletes an entry nobody has confirmed (logged by mistake); confirmed entries stay."""
    if log.expert_id != user.id:
        raise Conflict(_("只有记录的撰写专家可以撤回"))
    with transaction():
        _locked(log)
        if log.status == "confirmed":
            raise Conflict(_("已签字确认的记录不能撤回，请提交补充更正"))
        audit.record("mentoring.withdraw", log, user=user, summary=f"撤回督导记录 {log.held_on}",
                     organization_id=log.organization_id, hours=log.hours, held_on=log.held_on)
        db.session.delete(log)


def confirm(log: SupervisionLog, *, user) -> SupervisionLog:
    """The organization's contact person signs the entry off (签字确认); it is locked from then on."""
    if not is_contact(user, log.organization_id):
        raise Conflict(_("只有该组织的联系人可以确认"))
    with transaction():
        _locked(log)
        if log.status == "confirmed":
            raise Conflict(_("该记录已确认"))
        log.status, log.confirmed_by_id, log.confirmed_at = "confirmed", user.id, utcnow()
        audit.record("mentoring.confirm", log, user=user, summary=f"确认督导记录 {log.held_on}",
                     organization_id=log.organization_id)
    return log


def dispute(log: SupervisionLog, comment: str, *, user) -> SupervisionLog:
    """The contact person disagrees; the expert sees the comment and revises."""
    if not is_contact(user, log.organization_id):
        raise Conflict(_("只有该组织的联系人可以提出异议"))
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError(_("请说明异议内容"), field="comment")
    with transaction():
        _locked(log)
        if log.status == "confirmed":
            raise Conflict(_("该记录已确认，不能再提出异议"))
        log.status, log.dispute_comment = "disputed", comment[:5000]
        audit.record("mentoring.dispute", log, user=user, summary=f"对督导记录 {log.held_on} 提出异议",
                     comment=comment[:300])
        notices.log_disputed(log)
    return log


def mark_done(action: FollowUpAction, *, user) -> FollowUpAction:
    with transaction():
        db.session.execute(select(FollowUpAction.id).where(FollowUpAction.id == action.id).with_for_update())
        db.session.refresh(action)
        if action.done_at is not None:
            raise Conflict(_("该事项已标记完成"))
        action.done_at, action.done_by_id = utcnow(), user.id
        audit.record("mentoring.action_done", action, user=user, summary=f"完成跟进事项：{action.description[:60]}",
                     organization_id=action.organization_id)
    return action


# -- queries ----------------------------------------------------------------------------------

def _effective():
    """Confirmed entries not replaced by a confirmed amendment: the sessions that count."""
    newer = aliased(SupervisionLog)
    return and_(SupervisionLog.status == "confirmed",
                ~exists().where(newer.amends_id == SupervisionLog.id, newer.status == "confirmed"))


def superseded_ids():
    """Ids of entries replaced by a confirmed amendment, as a subquery to outer-join.

    Inside aggregates (SUM(CASE …)) a correlated EXISTS would run once per row; an outer join to this
    set is one hash join whatever the number of entries.
    """
    newer = aliased(SupervisionLog)
    return (select(newer.amends_id.label("log_id"))
            .where(newer.amends_id.is_not(None), newer.status == "confirmed").distinct().subquery("superseded"))


def confirmed_entries(org_id: int) -> int:
    """Confirmed entries that count (amended originals left out), whatever their dates."""
    return db.session.scalar(select(func.count()).select_from(SupervisionLog)
                             .where(SupervisionLog.organization_id == org_id, _effective()))


def count_sessions(days, min_gap_days: int = DEFAULT_MIN_GAP_DAYS) -> int:
    """Sessions among entries held on `days`: one a day at most, and at least `min_gap_days` apart.

    Walking the days in order, a day counts when it lies `min_gap_days` or more after the last day
    that counted: with 1, six entries on one day are one session; with 7, at most one a week.
    """
    gap = max(1, int(min_gap_days or 1))
    counted, last = 0, None
    for day in sorted(set(days)):
        if last is None or (day - last).days >= gap:
            counted, last = counted + 1, day
    return counted


def _confirmed_days(org_id: int) -> list[date]:
    """The dates of the organization's confirmed entries that count, one per entry (one query)."""
    return list(db.session.scalars(select(SupervisionLog.held_on)
                                   .where(SupervisionLog.organization_id == org_id, _effective())))


def confirmed_sessions(org_id: int, min_gap_days: int | None = None) -> int:
    """Confirmed sessions as graduation counts them (the park's minimum gap unless given)."""
    if min_gap_days is None:
        org = db.session.get(Organization, org_id)
        min_gap_days = settings_for(org.park_id).min_gap_days if org is not None else DEFAULT_MIN_GAP_DAYS
    return count_sessions(_confirmed_days(org_id), min_gap_days)


def logs_query(org_id: int | None = None, *, expert_id: int | None = None, status: str = ""):
    stmt = select(SupervisionLog).options(joinedload(SupervisionLog.expert), joinedload(SupervisionLog.organization),
                                          selectinload(SupervisionLog.actions))
    if org_id is not None:
        stmt = stmt.where(SupervisionLog.organization_id == org_id)
    if expert_id is not None:
        stmt = stmt.where(SupervisionLog.expert_id == expert_id)
    if status:
        stmt = stmt.where(SupervisionLog.status == status)
    return stmt.order_by(SupervisionLog.held_on.desc(), SupervisionLog.id.desc())


def summary(org: Organization) -> dict:
    """What the organization page shows: counts, hours, latest entries, open actions (5 queries)."""
    superseded = superseded_ids()
    effective = and_(SupervisionLog.status == "confirmed", superseded.c.log_id.is_(None))
    entries, hours, pending = db.session.execute(
        select(func.coalesce(func.sum(case((effective, 1), else_=0)), 0),
               func.coalesce(func.sum(case((effective, SupervisionLog.hours), else_=0)), 0),
               func.coalesce(func.sum(case((SupervisionLog.status != "confirmed", 1), else_=0)), 0))
        .outerjoin(superseded, superseded.c.log_id == SupervisionLog.id)
        .where(SupervisionLog.organization_id == org.id)).one()
    settings = settings_for(org.park_id)
    latest = (select(SupervisionLog).where(SupervisionLog.organization_id == org.id)
              .options(joinedload(SupervisionLog.expert))
              .order_by(SupervisionLog.held_on.desc(), SupervisionLog.id.desc()).limit(5))
    return {
        "sessions": count_sessions(_confirmed_days(org.id), settings.min_gap_days) if entries else 0,
        "entries": int(entries),
        "min_gap_days": settings.min_gap_days,
        "hours": Decimal(hours or 0).quantize(Decimal("0.1")),
        "pending": int(pending),
        "required": settings.min_confirmed_sessions if settings.graduation_veto else None,
        "latest": db.session.scalars(latest).all(),
        "open_actions": open_actions([org.id]),
    }


def current_assignments(org_id: int, *, on: date | None = None) -> list[MentorAssignment]:
    """Assignments not ended by `on` (today): the organization's current experts, and those to come."""
    on = on or today()
    return db.session.scalars(
        select(MentorAssignment).where(MentorAssignment.organization_id == org_id,
                                       or_(MentorAssignment.ends_on.is_(None), MentorAssignment.ends_on >= on))
        .options(joinedload(MentorAssignment.expert))
        .order_by(MentorAssignment.starts_on, MentorAssignment.id)).all()


def pending_for_contact(org_id: int, limit: int = 20) -> list[SupervisionLog]:
    """Entries waiting for the organization's signature, oldest session first."""
    return db.session.scalars(
        select(SupervisionLog).where(SupervisionLog.organization_id == org_id, SupervisionLog.status == "pending")
        .options(joinedload(SupervisionLog.expert))
        .order_by(SupervisionLog.held_on, SupervisionLog.id).limit(limit)).all()


def open_actions(org_ids=None, *, park_ids=None, overdue_only=False, limit: int | None = None):
    """Open actions, soonest due first. The organizations are loaded after the LIMIT (selectin): a
    joined load brings each one's park in a nested outer join, which SQLite built for every
    organization before it joined the few actions (380 ms at 100,000 organizations)."""
    stmt = (select(FollowUpAction).where(FollowUpAction.done_at.is_(None))
            .options(selectinload(FollowUpAction.organization)).order_by(FollowUpAction.due_on, FollowUpAction.id))
    if org_ids is not None:
        stmt = stmt.where(FollowUpAction.organization_id.in_(list(org_ids) or [-1]))
    if park_ids is not None:
        stmt = stmt.where(_in_parks(park_ids))
    if overdue_only:
        stmt = stmt.where(FollowUpAction.due_on < today())
    if limit:
        stmt = stmt.limit(limit)
    return db.session.scalars(stmt).all()


def count_overdue(park_ids, *, up_to: int | None = None) -> int:
    """Open actions past due in `park_ids`; with `up_to`, counting stops past it (at most up_to + 1)."""
    from incubator.database import count_at_most
    stmt = select(FollowUpAction.id).where(FollowUpAction.done_at.is_(None), FollowUpAction.due_on < today(),
                                           _in_parks(park_ids))
    if up_to is None:
        return db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    return db.session.scalar(select(count_at_most(stmt, up_to)))


def _in_parks(park_ids):
    """The action's organization is in `park_ids`: a correlated EXISTS (not a join), so the database
    walks the open actions by due date (migration 0004's index) and looks each organization up by
    its key, where a join started from every organization of the parks (21 ms at 100,000)."""
    return (select(Organization.id).where(Organization.id == FollowUpAction.organization_id,
                                          Organization.park_id.in_(list(park_ids) or [-1])).exists())


# -- the graduation veto ----------------------------------------------------------------------

def graduation_objections(org: Organization) -> list[str]:
    """"Needs N confirmed sessions", counted on distinct days (or the park's minimum gap)."""
    settings = settings_for(org.park_id)
    if not settings.graduation_veto or settings.min_confirmed_sessions == 0:
        return []
    days = _confirmed_days(org.id)
    done = count_sessions(days, settings.min_gap_days)
    if done >= settings.min_confirmed_sessions:
        return []
    if settings.min_gap_days <= 1:
        return [_("出壳前须完成至少 %(n)s 次经组织签字确认的督导（目前计 %(done)s 次：已确认的 %(entries)s 条记录中，"
                  "同一天的记录只计一次）", n=settings.min_confirmed_sessions, done=done, entries=len(days))]
    return [_("出壳前须完成至少 %(n)s 次经组织签字确认的督导（目前计 %(done)s 次：已确认的 %(entries)s 条记录中，"
              "相隔不足 %(gap)s 天的只计一次）", n=settings.min_confirmed_sessions, done=done, entries=len(days),
              gap=settings.min_gap_days)]

