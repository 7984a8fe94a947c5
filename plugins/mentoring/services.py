"""The mentoring rules: assignments, logging, confirmation, amendments, follow-ups, reports, veto.

Plain functions over the session, used by the pages, the API, the CLI and the hooks alike.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import and_, case, exists, extract, false, func, or_, select, true
from sqlalchemy.orm import aliased, joinedload, selectinload

from incubator import audit
from incubator.database import transaction
from incubator.dates import chinese_date, show_date, to_local, today
from incubator.db_types import utcnow
from incubator.errors import Conflict, ValidationError
from incubator.extensions import db
from incubator.numbers import show_hours
from incubator.organizations import stages
from incubator.organizations.models import Organization
from incubator.parks.models import Park
from incubator.users.models import User

from .models import MODES, FollowUpAction, MentorAssignment, MentoringSettings, SupervisionLog

DEFAULT_TOPICS = ["内部治理", "项目设计", "财务管理", "筹资", "志愿者管理", "党建", "品牌传播", "社区参与"]
DEFAULT_MIN_SESSIONS = 6
DEFAULT_MIN_GAP_DAYS = 1  # sessions on distinct days
FINAL_STAGES = ("graduated", "exited")  # an organization's assignments end when it reaches one
TODO_HORIZON_DAYS = 7  # follow-up actions due within a week show as to-dos
MAX_ACTIONS = 10


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


# -- assignments ------------------------------------------------------------------------------

def is_assigned(user, org_id: int, *, active_on: date | None = None) -> bool:
    stmt = select(MentorAssignment.id).where(MentorAssignment.expert_id == user.id, MentorAssignment.organization_id == org_id)
    if active_on is not None:
        stmt = stmt.where(MentorAssignment.starts_on <= active_on,
                          or_(MentorAssignment.ends_on.is_(None), MentorAssignment.ends_on >= active_on))
    return db.session.scalar(stmt.limit(1)) is not None


def assignments_query(*, expert_id: int | None = None, park_ids=None, active_on: date | None = None):
    """Assignments of one expert or in some parks (None: all), newest first."""
    stmt = (select(MentorAssignment).join(Organization, Organization.id == MentorAssignment.organization_id)
            .options(joinedload(MentorAssignment.expert), joinedload(MentorAssignment.organization)))
    if expert_id is not None:
        stmt = stmt.where(MentorAssignment.expert_id == expert_id)
    if park_ids is not None:
        stmt = stmt.where(Organization.park_id.in_(list(park_ids) or [-1]))
    if active_on is not None:
        stmt = stmt.where(MentorAssignment.starts_on <= active_on,
                          or_(MentorAssignment.ends_on.is_(None), MentorAssignment.ends_on >= active_on))
    return stmt.order_by(MentorAssignment.starts_on.desc(), MentorAssignment.id.desc())


def assignments(org_id: int) -> list[MentorAssignment]:
    return db.session.scalars(select(MentorAssignment).where(MentorAssignment.organization_id == org_id)
                              .options(joinedload(MentorAssignment.expert))
                              .order_by(MentorAssignment.starts_on.desc(), MentorAssignment.id.desc())).all()


def find_expert(username: str) -> User:
    if not (username or "").strip():
        raise ValidationError(_("请选择要指派的专家"), field="expert")
    expert = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    if expert is None or expert.role != "expert" or not expert.active:
        raise ValidationError(_("没有这位专家：%(username)s", username=username), field="expert")
    return expert


def assign(org: Organization, expert: User, starts_on: date | None, ends_on: date | None, *,
           note: str = "", user) -> MentorAssignment:
    """Assign `expert` to supervise `org`; periods of the same expert for one organization must not overlap."""
    if expert.role != "expert" or not expert.active:
        raise ValidationError(_("只能指派专家账号"), field="expert")
    if starts_on is None:
        raise ValidationError(_("请填写开始日期"), field="starts_on")
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError(_("结束日期不能早于开始日期"), field="ends_on")
    if org.stage in FINAL_STAGES:
        raise Conflict(_("该组织已出壳或退出，不能再指派督导专家"), field="expert")
    with transaction():
        # Lock the organization so two managers cannot create overlapping periods at once.
        db.session.execute(select(Organization.id).where(Organization.id == org.id).with_for_update())
        overlap = select(MentorAssignment.id).where(
            MentorAssignment.organization_id == org.id, MentorAssignment.expert_id == expert.id,
            or_(MentorAssignment.ends_on.is_(None), MentorAssignment.ends_on >= starts_on))
        if ends_on is not None:
            overlap = overlap.where(MentorAssignment.starts_on <= ends_on)
        if db.session.scalar(overlap.limit(1)) is not None:
            raise Conflict(_("%(name)s 在该时段已被指派给本组织", name=expert.display_name), field="starts_on")
        assignment = MentorAssignment(organization_id=org.id, expert_id=expert.id, starts_on=starts_on, ends_on=ends_on,
                                note=(note or "").strip(), created_by_id=user.id)
        db.session.add(assignment)
        audit.record("mentoring.assign", assignment, user=user,
                     summary=f"{org.name}：指派 {expert.display_name}，{show_date(starts_on)}—{show_date(ends_on) or '不限'}",
                     organization_id=org.id, expert=expert.username)
    return assignment


def end_assignment(assignment: MentorAssignment, ends_on: date | None, *, user) -> MentorAssignment | None:
    """End an assignment on `ends_on` (today); one that has not started yet is called off (deleted,
    returning None): no session can have been logged under it."""
    given = ends_on is not None
    ends_on = ends_on or today()
    if assignment.ends_on is not None and assignment.ends_on <= ends_on:
        raise Conflict(_("该指派已于 %(day)s 结束", day=show_date(assignment.ends_on)), field="ends_on")
    if ends_on < assignment.starts_on:
        if given:
            raise ValidationError(_("结束日期不能早于开始日期"), field="ends_on")
        with transaction():
            _call_off(assignment, user=user)
        return None
    with transaction():
        assignment.ends_on = ends_on
        audit.record("mentoring.unassign", assignment, user=user,
                     summary=f"{assignment.organization.name}：结束指派 {assignment.expert.display_name}，"
                             f"于 {show_date(ends_on)}",
                     organization_id=assignment.organization_id)
    return assignment


def _call_off(assignment: MentorAssignment, *, user) -> None:
    audit.record("mentoring.unassign", assignment, user=user,
                 summary=f"{assignment.organization.name}：取消尚未开始的指派 {assignment.expert.display_name}"
                         f"（原定 {show_date(assignment.starts_on)} 起）",
                 organization_id=assignment.organization_id, starts_on=assignment.starts_on)
    db.session.delete(assignment)


def transition_day(transition) -> date:
    """The date a stage move happened: its `happened_on` when the core records one, else the
    district's date of `created_at` (stored in UTC)."""
    happened = getattr(transition, "happened_on", None)
    if happened is not None:
        return happened
    created = transition.created_at
    if created is None:
        return today()
    return to_local(created).date()


def close_assignments(org: Organization, transition) -> list[MentorAssignment]:
    """The organization graduated or exited: its open assignments end on the day of the move, and
    those that would only have started later are called off, so no expert logs supervision for the
    organization after the move."""
    day = transition_day(transition)
    user = getattr(transition, "user", None)
    with transaction():
        open_ones = db.session.scalars(
            select(MentorAssignment).where(MentorAssignment.organization_id == org.id,
                                           or_(MentorAssignment.ends_on.is_(None), MentorAssignment.ends_on > day))
            # Lock only the assignments: PostgreSQL refuses FOR UPDATE on the outer join's side.
            .options(joinedload(MentorAssignment.expert)).with_for_update(of=MentorAssignment)).all()
        for assignment in open_ones:
            if assignment.starts_on > day:
                _call_off(assignment, user=user)
                continue
            assignment.ends_on = day
            audit.record("mentoring.unassign", assignment, user=user,
                         summary=f"{org.name}：{stages.label(transition.to_stage)}，结束指派 {assignment.expert.display_name}，"
                                 f"于 {show_date(assignment.ends_on)}",
                         organization_id=org.id, transition_id=transition.id)
    return open_ones


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


def create_log(org: Organization, data: dict, *, user, amends: SupervisionLog | None = None) -> SupervisionLog:
    """Log a session held by `user` (an expert assigned to `org` on that date)."""
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
        audit.record("mentoring.amend" if amends is not None else "mentoring.log", log, user=user,
                     summary=f"{org.name}：{chinese_date(clean['held_on'])} {show_hours(clean['hours'])} 小时",
                     organization_id=org.id, amends=getattr(amends, "id", None))
    return log


def open_amendment(log_id: int) -> SupervisionLog | None:
    return db.session.scalar(select(SupervisionLog).where(SupervisionLog.amends_id == log_id,
                                                          SupervisionLog.status != "confirmed").limit(1))


def _locked(log: SupervisionLog) -> SupervisionLog:
    """Re-read the entry FOR UPDATE (PostgreSQL row lock; SQLite serializes writers anyway)."""
    db.session.execute(select(SupervisionLog.id).where(SupervisionLog.id == log.id).with_for_update())
    db.session.refresh(log)
    return log


def update_log(log: SupervisionLog, data: dict, *, user) -> SupervisionLog:
    """The author revises an entry that is not yet confirmed; a disputed entry goes back to pending."""
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
        audit.record("mentoring.edit", log, user=user, summary=f"修改督导记录 {log.held_on}", previous_status=was)
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


def _superseded():
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
    superseded = _superseded()
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
    stmt = (select(FollowUpAction).where(FollowUpAction.done_at.is_(None))
            .options(joinedload(FollowUpAction.organization)).order_by(FollowUpAction.due_on, FollowUpAction.id))
    if org_ids is not None:
        stmt = stmt.where(FollowUpAction.organization_id.in_(list(org_ids) or [-1]))
    if park_ids is not None:
        stmt = stmt.join(Organization, Organization.id == FollowUpAction.organization_id).where(
            Organization.park_id.in_(list(park_ids) or [-1]))
    if overdue_only:
        stmt = stmt.where(FollowUpAction.due_on < today())
    if limit:
        stmt = stmt.limit(limit)
    return db.session.scalars(stmt).all()


def count_overdue(park_ids) -> int:
    return db.session.scalar(
        select(func.count()).select_from(FollowUpAction)
        .join(Organization, Organization.id == FollowUpAction.organization_id)
        .where(FollowUpAction.done_at.is_(None), FollowUpAction.due_on < today(),
               Organization.park_id.in_(list(park_ids) or [-1])))


# -- reports ----------------------------------------------------------------------------------

def _period(year: int, month: int | None):
    start = date(year, month or 1, 1)
    end = date(year + (1 if (month or 12) == 12 else 0), 1 if (month or 12) == 12 else month + 1, 1)
    return start, end


def hours_report(*, park_ids, year: int, month: int | None = None, expert_id: int | None = None) -> dict:
    """Supervision hours for the period, in three cuts: per expert per month, per organization, per park.

    Confirmed hours are what the bureau pays experts by; unconfirmed (pending or disputed) are shown apart.
    `park_ids` None means every park.
    """
    start, end = _period(year, month)
    superseded = _superseded()
    confirmed = and_(SupervisionLog.status == "confirmed", superseded.c.log_id.is_(None))
    conf_hours = func.coalesce(func.sum(_case(confirmed, SupervisionLog.hours)), 0)
    conf_sessions = func.coalesce(func.sum(_case(confirmed, 1)), 0)
    open_hours = func.coalesce(func.sum(_case(SupervisionLog.status != "confirmed", SupervisionLog.hours)), 0)

    def base(*columns):
        stmt = (select(*columns, conf_sessions, conf_hours, open_hours)
                .join(Organization, Organization.id == SupervisionLog.organization_id)
                .outerjoin(superseded, superseded.c.log_id == SupervisionLog.id)
                .where(SupervisionLog.held_on >= start, SupervisionLog.held_on < end))
        if park_ids is not None:
            stmt = stmt.where(Organization.park_id.in_(list(park_ids) or [-1]))
        if expert_id is not None:
            stmt = stmt.where(SupervisionLog.expert_id == expert_id)
        return stmt

    y, m = extract("year", SupervisionLog.held_on), extract("month", SupervisionLog.held_on)
    by_expert = db.session.execute(
        base(User.id, User.name, User.username, y, m).join(User, User.id == SupervisionLog.expert_id)
        .group_by(User.id, User.name, User.username, y, m).order_by(User.username, y, m)).all()
    by_org = db.session.execute(
        base(Organization.id, Organization.name, Park.name).join(Park, Park.id == Organization.park_id)
        .group_by(Organization.id, Organization.name, Park.name).order_by(Park.name, Organization.name)).all()
    by_park = db.session.execute(
        base(Park.id, Park.name, func.count(func.distinct(SupervisionLog.organization_id)),
             func.count(func.distinct(SupervisionLog.expert_id)))
        .join(Park, Park.id == Organization.park_id).group_by(Park.id, Park.name).order_by(Park.id)).all()
    return {
        "start": start, "end": end,
        "by_expert": [{"expert_id": r[0], "expert": r[1] or r[2], "username": r[2],
                       "month": f"{int(r[3]):04d}-{int(r[4]):02d}", "sessions": int(r[5]),
                       "confirmed_hours": float(r[6]), "unconfirmed_hours": float(r[7])} for r in by_expert],
        "by_organization": [{"organization_id": r[0], "organization": r[1], "park": r[2], "sessions": int(r[3]),
                             "confirmed_hours": float(r[4]), "unconfirmed_hours": float(r[5])} for r in by_org],
        "by_park": [{"park_id": r[0], "park": r[1], "organizations": int(r[2]), "experts": int(r[3]),
                     "sessions": int(r[4]), "confirmed_hours": float(r[5]), "unconfirmed_hours": float(r[6])}
                    for r in by_park],
    }


def _case(condition, value):
    return case((condition, value), else_=0)


def report_sheets(report: dict) -> dict:
    """The report as Excel sheets for `incubator.exports`."""
    return {
        "专家月度督导时长": (["专家", "账号", "月份", "确认次数", "确认时长（小时）", "未确认时长（小时）"],
                      [[r["expert"], r["username"], r["month"], r["sessions"], r["confirmed_hours"],
                        r["unconfirmed_hours"]] for r in report["by_expert"]]),
        "按组织": (["组织", "园区", "确认次数", "确认时长（小时）", "未确认时长（小时）"],
                [[r["organization"], r["park"], r["sessions"], r["confirmed_hours"], r["unconfirmed_hours"]]
                 for r in report["by_organization"]]),
        "按园区": (["园区", "组织数", "专家数", "确认次数", "确认时长（小时）", "未确认时长（小时）"],
                [[r["park"], r["organizations"], r["experts"], r["sessions"], r["confirmed_hours"],
                  r["unconfirmed_hours"]] for r in report["by_park"]]),
    }


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


# -- to-dos (待办) ------------------------------------------------------------------------------

def _enabled_condition():
    """Organizations in parks where the plugin is enabled, as a WHERE condition (no query)."""
    from incubator.plugins import enablement
    state = enablement().get("mentoring")
    if state is None or state.scope == "none":
        return false()
    if state.scope == "all":
        return true()
    return Organization.park_id.in_(list(state.park_ids) or [-1])


def expert_todo_counts(user) -> dict:
    """What waits for an expert: their entries pending or disputed, follow-ups of their sessions due
    within a week or overdue (two queries)."""
    pending, disputed, first_disputed = db.session.execute(
        select(func.count(case((SupervisionLog.status == "pending", 1))),
               func.count(case((SupervisionLog.status == "disputed", 1))),
               func.min(case((SupervisionLog.status == "disputed", SupervisionLog.id))))
        .join(Organization, Organization.id == SupervisionLog.organization_id)
        .where(SupervisionLog.expert_id == user.id, SupervisionLog.status != "confirmed", _enabled_condition())).one()
    due, first_due = db.session.execute(
        select(func.count(), func.min(FollowUpAction.due_on))
        .join(SupervisionLog, SupervisionLog.id == FollowUpAction.log_id)
        .join(Organization, Organization.id == FollowUpAction.organization_id)
        .where(SupervisionLog.expert_id == user.id, FollowUpAction.done_at.is_(None),
               FollowUpAction.due_on <= today() + timedelta(days=TODO_HORIZON_DAYS), _enabled_condition())).one()
    return {"pending": pending, "disputed": disputed, "first_disputed": first_disputed,
            "actions_due": due, "first_due": first_due}


def contact_todo_counts(user) -> dict:
    """What waits for an organization's contact: entries to sign, the organization's follow-ups due
    within a week or overdue (two queries; nothing when the plugin is off in its park)."""
    org_id = user.organization_id
    pending, first_pending = db.session.execute(
        select(func.count(), func.min(SupervisionLog.id))
        .join(Organization, Organization.id == SupervisionLog.organization_id)
        .where(SupervisionLog.organization_id == org_id, SupervisionLog.status == "pending",
               _enabled_condition())).one()
    due, first_due = db.session.execute(
        select(func.count(), func.min(FollowUpAction.due_on))
        .join(Organization, Organization.id == FollowUpAction.organization_id)
        .where(FollowUpAction.organization_id == org_id, FollowUpAction.done_at.is_(None),
               FollowUpAction.due_on <= today() + timedelta(days=TODO_HORIZON_DAYS), _enabled_condition())).one()
    return {"pending": pending, "first_pending": first_pending, "actions_due": due, "first_due": first_due}


def disputed_in_parks(park_ids) -> int:
    """Disputed entries in these parks (None: every park), for the managers' to-dos (one query)."""
    stmt = (select(func.count()).select_from(SupervisionLog)
            .join(Organization, Organization.id == SupervisionLog.organization_id)
            .where(SupervisionLog.status == "disputed", _enabled_condition()))
    if park_ids is not None:
        stmt = stmt.where(Organization.park_id.in_(list(park_ids) or [-1]))
    return db.session.scalar(stmt)
