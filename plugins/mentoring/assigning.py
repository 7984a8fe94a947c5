"""Expert assignments (指派): who supervises which organization when, and their end when the
organization graduates or exits."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from incubator import audit
from incubator.database import transaction
from incubator.dates import show_date, today
from incubator.errors import Conflict, ValidationError
from incubator.extensions import db
from incubator.organizations import stages
from incubator.organizations.models import Organization
from incubator.users.models import User

from .models import MentorAssignment

FINAL_STAGES = ("graduated", "exited")  # an organization's assignments end when it reaches one


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


def close_assignments(org: Organization, transition) -> list[MentorAssignment]:
    """The organization graduated or exited: its open assignments end on the day of the move, and
    those that would only have started later are called off, so no expert logs supervision for the
    organization after the move."""
    day = transition.happened_on  # (a back-dated move ends them on the day it happened)
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


# -- merging duplicate organizations --------------------------------------------------------------

def fold_duplicates(kept: Organization, gone: Organization) -> int:
    """The same expert assigned to both from the same day (one row per organization, expert and day):
    one assignment over the longer period stays; gone's other assignments move with the merge."""
    a = MentorAssignment
    kept_rows = {(row.expert_id, row.starts_on): row
                 for row in db.session.scalars(select(a).where(a.organization_id == kept.id))}
    folded = 0
    for row in db.session.scalars(select(a).where(a.organization_id == gone.id)).all():
        twin = kept_rows.get((row.expert_id, row.starts_on))
        if twin is None:
            continue
        twin.ends_on = None if row.ends_on is None or twin.ends_on is None else max(row.ends_on, twin.ends_on)
        db.session.delete(row)
        folded += 1
    return folded
