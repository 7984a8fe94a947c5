"""The rules for organizations: create, edit, move through stages, renew, transfer."""
from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import func, select, update

from .. import audit
from ..database import transaction
from ..dates import chinese_date, to_local, today
from ..db_types import utcnow
from ..errors import Conflict, IllegalMove, ValidationError, Vetoed
from ..extensions import db
from ..notifications.triggers import stage_moved
from ..parks.models import Park
from ..plugins import collect, hooks_for
from ..schemas import load
from ..search import initials
from . import search_index, stages
from .models import Organization, Renewal, Transfer, Transition
from .schema import OrganizationFields

log = logging.getLogger(__name__)

EDITABLE_FIELDS = tuple(OrganizationFields().load_fields)


def validate(data: dict, *, existing: Organization | None = None) -> dict:
    """Check and normalize organization fields through their schema (OrganizationFields: every field
    when creating, those given when editing), then what only the database knows; raise
    ValidationError/Conflict naming the field."""
    clean = load(OrganizationFields(), {k: v for k, v in data.items() if k in EDITABLE_FIELDS},
                 partial=existing is not None)
    if clean.get("uscc"):
        taken = select(Organization.id).where(Organization.uscc == clean["uscc"])
        if existing is not None:
            taken = taken.where(Organization.id != existing.id)
        if db.session.scalar(taken) is not None:
            raise Conflict("该统一社会信用代码已被其他组织使用", field="uscc")
    return clean


def create(data: dict, *, park: Park, user=None, note: str = "") -> Organization:
    """Register an organization in the `applied` stage of `park`."""
    clean = validate(data)
    with transaction():
        org = Organization(**clean, park=park, stage="applied", name_initials=initials(clean["name"]))
        db.session.add(org)
        db.session.flush()
        db.session.add(Transition(organization=org, from_stage=None, to_stage="applied", happened_on=today(),
                                  user_id=getattr(user, "id", None), note=note or "提交入园申请"))
        audit.record("org.create", org, user=user, summary=f"{org.name} → {park.name}")
    return org


def edit(org: Organization, data: dict, *, user=None) -> Organization:
    clean = validate(data, existing=org)
    with transaction():
        changed = {k: v for k, v in clean.items() if getattr(org, k) != v}
        for key, value in changed.items():
            setattr(org, key, value)
        if "name" in changed:
            org.name_initials = initials(org.name)
        audit.record("org.edit", org, user=user, summary=org.name, changed=sorted(changed))
    return org


def allowed_moves(org: Organization) -> tuple[str, ...]:
    return stages.MOVES.get(org.stage, ())


def check_move(org: Organization, to_stage: str, user) -> None:
    """Raise unless `org` may move to `to_stage` now: unknown stage, illegal move, plugin vetoes."""
    if to_stage not in stages.STAGES:
        raise ValidationError(f"未知阶段：{to_stage}", field="to_stage")
    if not stages.is_legal(org.stage, to_stage):
        raise IllegalMove(f"不能从“{stages.label(org.stage)}”变更为“{stages.label(to_stage)}”")
    reasons = collect(hooks_for([org.park_id]).incubator_transition_check(
        org=org, from_stage=org.stage, to_stage=to_stage, user=user))
    if reasons:
        raise Vetoed("阶段变更被拒绝：" + ";".join(map(str, reasons)), reasons=[str(r) for r in reasons])


def check_happened_on(org: Organization, happened_on: date) -> None:
    """Raise unless a move of `org` may be dated `happened_on`: never in the future, never before the
    previous move (the history stays in order)."""
    if happened_on > today():
        raise ValidationError("发生日期不能晚于今天", field="happened_on")
    previous = db.session.scalar(select(func.max(Transition.happened_on))
                                 .where(Transition.organization_id == org.id))
    if previous is not None and happened_on < previous:
        raise ValidationError(f"发生日期不能早于上一次阶段变更（{chinese_date(previous)}）", field="happened_on")


def move(org: Organization, to_stage: str, *, user, note: str = "",
         happened_on: date | None = None) -> Transition:
    """Move `org` to `to_stage` on `happened_on` (None: today; a manager may back-date it), storing
    the Transition; then tell plugins. Entering incubation starts it on that day."""
    check_move(org, to_stage, user)
    happened_on = happened_on or today()
    check_happened_on(org, happened_on)
    from_stage = org.stage
    recorded_at = utcnow()
    values = {"stage": to_stage, "updated_at": recorded_at}
    if to_stage in stages.ACTIVE_STAGES and org.incubation_start is None:
        values.update(incubation_start=happened_on, incubation_due=add_years(happened_on, incubation_years()))
    with transaction():
        # Conditional update: two people moving the same organization at once cannot both win.
        result = db.session.execute(
            update(Organization).where(Organization.id == org.id, Organization.stage == from_stage)
            .values(**values).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise Conflict("该组织的阶段刚被他人修改，请刷新后重试")
        transition = Transition(organization_id=org.id, from_stage=from_stage, to_stage=to_stage,
                                happened_on=happened_on, created_at=recorded_at,
                                user_id=getattr(user, "id", None), note=(note or "").strip())
        db.session.add(transition)
        audit.record("org.transition", org, user=user,
                     summary=f"{org.name}: {stages.label(from_stage)} → {stages.label(to_stage)}",
                     from_stage=from_stage, to_stage=to_stage, note=note,
                     happened_on=happened_on.isoformat(), recorded_at=recorded_at.isoformat())
        # The contacts' notice is written with the move (one commit, and never a notice of a move
        # that was rolled back); plugins hear of it after the commit.
        stage_moved(org, transition)
    db.session.refresh(org)
    _after_move(org, transition)
    return transition


def _after_move(org: Organization, transition: Transition) -> None:
    try:
        hooks_for([org.park_id]).incubator_transition_done(org=org, transition=transition)
    except Exception:  # the move is committed; a follow-up failing must not turn it into an error
        db.session.rollback()
        log.exception("incubator_transition_done failed for organization %s", org.id)


def renew(org: Organization, new_due: date | None, reason: str, *, user) -> Renewal:
    """Extend the incubation (续驻) to `new_due`, recording why."""
    if org.stage not in stages.ACTIVE_STAGES or org.incubation_due is None:
        raise Conflict("只有孵化中的组织可以续驻")
    if new_due is None:
        raise ValidationError("请填写新的到期日", field="new_due")
    if new_due <= org.incubation_due:
        raise ValidationError("新的到期日必须晚于当前到期日", field="new_due")
    if not (reason or "").strip():
        raise ValidationError("请填写续驻理由", field="reason")
    with transaction():
        # Lock the row: two renewals at once must not both extend from the same old due date.
        current = db.session.execute(select(Organization.stage, Organization.incubation_due)
                                     .where(Organization.id == org.id).with_for_update()).one()
        if tuple(current) != (org.stage, org.incubation_due):
            raise Conflict("该组织刚被他人修改，请刷新后重试")
        renewal = Renewal(organization_id=org.id, old_due=org.incubation_due, new_due=new_due,
                          reason=reason.strip(), user_id=getattr(user, "id", None))
        org.incubation_due = new_due
        db.session.add(renewal)
        audit.record("org.renew", org, user=user, summary=f"{org.name} 续驻至 {new_due}",
                     old_due=renewal.old_due, new_due=new_due, reason=reason)
    return renewal


def transfer(org: Organization, to_park: Park | None, note: str, *, user) -> Transfer:
    """Move `org` to another park, keeping the history."""
    if to_park is None:
        raise ValidationError("请选择目标园区", field="park")
    if to_park.id == org.park_id:
        raise ValidationError("目标园区与当前园区相同", field="park")
    if org.stage in stages.FINAL_STAGES:
        raise Conflict("已结束孵化的组织不能转园")
    with transaction():
        # Lock the row: the history must name the park it really left, and a finished one stays put.
        current = db.session.execute(select(Organization.stage, Organization.park_id)
                                     .where(Organization.id == org.id).with_for_update()).one()
        if tuple(current) != (org.stage, org.park_id):
            raise Conflict("该组织刚被他人修改，请刷新后重试")
        record = Transfer(organization_id=org.id, from_park_id=org.park_id, to_park_id=to_park.id,
                          user_id=getattr(user, "id", None), note=(note or "").strip())
        db.session.add(record)
        from_name = org.park.name
        org.park = to_park
        audit.record("org.transfer", org, user=user, summary=f"{org.name}: {from_name} → {to_park.name}",
                     to_park=to_park.code, note=note)
    return record


def incubation_years() -> int:
    from flask import current_app
    return int(current_app.config.get("INCUBATION_YEARS", 2))


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# -- queries ------------------------------------------------------------------------------

def list_query(*, park_ids=None, q: str = "", park_id: int | None = None, stage: str = "",
               category: str = "", overdue: bool = False):
    """A select of organizations, newest first; `park_ids` (None: all) scopes what the user may see."""
    stmt = select(Organization)
    if park_ids is not None:
        stmt = stmt.where(Organization.park_id.in_(park_ids or [-1]))
    if park_id:
        stmt = stmt.where(Organization.park_id == park_id)
    if stage:
        stmt = stmt.where(Organization.stage == stage)
    if category:
        stmt = stmt.where(Organization.category == category)
    if overdue:
        stmt = stmt.where(Organization.stage.in_(stages.ACTIVE_STAGES),
                          Organization.incubation_due < today())
    q = (q or "").strip()
    if q:
        return search_index.search(stmt, q)
    return stmt.order_by(Organization.id.desc())


# A filtered list (a search, a category) is counted up to this many: past it the page says "more
# than", and the count never reads more of the index than the first pages would.
COUNT_LIMIT = 1000


def list_page(*, page: int | None, per_page: int | None, park_ids=None, q: str = "", park_id: int | None = None,
              stage: str = "", category: str = "", overdue: bool = False):
    """A page of `list_query`, with `total` and `total_is_exact`. Without a search, a category or the
    overdue filter, the total comes exactly from the counts per park and stage the database keeps."""
    from ..dashboard.counts import stage_counts
    stmt = list_query(park_ids=park_ids, q=q, park_id=park_id, stage=stage, category=category, overdue=overdue)
    pagination = db.paginate(stmt, page=page, per_page=per_page, max_per_page=100, error_out=False, count=False)
    if (q or "").strip() or category or overdue:
        ids = stmt.order_by(None).with_only_columns(Organization.id).limit(COUNT_LIMIT + 1)  # (no row read)
        n = db.session.scalar(select(func.count()).select_from(ids.subquery()))
        pagination.total, pagination.total_is_exact = min(n, COUNT_LIMIT), n <= COUNT_LIMIT
    else:
        scope = park_ids if not park_id else [park_id] if park_ids is None or park_id in park_ids else []
        counts = stage_counts(scope)
        pagination.total, pagination.total_is_exact = (counts.get(stage, 0) if stage else sum(counts.values())), True
    return pagination


def timeline(org: Organization) -> list[dict]:
    """Transitions, transfers and renewals of `org`, newest first (three queries)."""
    from sqlalchemy.orm import selectinload

    from ..users.models import User
    events = []
    # (who did it is shown by name: the users' parks, loaded with a user by default, are not needed)
    for t in db.session.scalars(select(Transition).where(Transition.organization_id == org.id)
                                .options(selectinload(Transition.user).lazyload(User.parks))):
        # A move is dated by the day it happened; `recorded` is when it was entered, shown when later.
        events.append({"kind": "transition", "at": t.happened_on, "recorded": t.created_at, "user": t.user,
                       "record": t, "backdated": to_local(t.created_at).date() != t.happened_on})
    for t in db.session.scalars(select(Transfer).where(Transfer.organization_id == org.id)
                                .options(selectinload(Transfer.user).lazyload(User.parks), selectinload(Transfer.from_park),
                                         selectinload(Transfer.to_park))):
        events.append({"kind": "transfer", "at": t.created_at, "recorded": t.created_at, "user": t.user,
                       "record": t})
    for r in db.session.scalars(select(Renewal).where(Renewal.organization_id == org.id)
                                .options(selectinload(Renewal.user).lazyload(User.parks))):
        events.append({"kind": "renewal", "at": r.created_at, "recorded": r.created_at, "user": r.user,
                       "record": r})
    return sorted(events, key=_timeline_key, reverse=True)


def _timeline_key(event: dict):
    """Order by the district's day (a move's happened_on, the others' recorded day), then by when
    each was recorded, so a back-dated move sits among what happened that day."""
    day = event["at"] if event["kind"] == "transition" else to_local(event["at"]).date()
    return day, to_local(event["recorded"]), event["kind"], event["record"].id

