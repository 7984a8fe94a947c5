"""公益微创投's rules: opening a round, applying, expert scoring, deciding within the budget,
paying tranches and the mid-term review that releases (or stops) the next one, and reports.

The budget cap: deciding a grant locks the round row (SELECT … FOR UPDATE), checks the remaining
budget, then raises `committed_fen`; a check constraint on the round makes the cap hold even if a
path forgot the lock.
"""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload, selectinload

from incubator import audit
from incubator.database import transaction
from incubator.dates import show_date, today
from incubator.db_types import utcnow
from incubator.errors import Conflict, ValidationError
from incubator.extensions import db
from incubator.files import services as file_store
from incubator.numbers import show_yuan
from incubator.organizations.models import Organization
from incubator.parks.services import descendant_ids
from incubator.schemas import load
from incubator.users.models import User
from incubator.validators import name_error

from . import notices, schema
from .models import Application, BudgetLine, Review, Round, Score, Tranche, round_experts
from .schema import ApplicationFields, DecisionFields, ReviewFields, RoundFields, ScoreFields

# A category is stored on each application; its column's length is the one limit, wherever a
# category is entered (the round's form, the API, the defaults below).
CATEGORY_MAX = Application.__table__.c.category.type.length
DEFAULT_CATEGORIES = ["便民服务", "文明养犬", "社区公约", "居民骨干培育", "为老服务", "青少年成长"]
DEFAULT_CRITERIA = [{"name": "需求明确", "max": 20}, {"name": "方案可行", "max": 30},
                    {"name": "预算合理", "max": 20}, {"name": "居民参与", "max": 20}, {"name": "可持续性", "max": 10}]


# -- money ----------------------------------------------------------------------------------------

def to_fen(value) -> int:
    """Yuan (str, int or Decimal) → integer fen; ValueError on anything else."""
    try:
        amount = Decimal(str(value).replace(",", "").replace("¥", "").strip())
    except InvalidOperation as exc:
        raise ValueError(_("无效的金额：%(value)s", value=value)) from exc
    if not amount.is_finite():
        raise ValueError(_("无效的金额：%(value)s", value=value))
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# -- rounds ---------------------------------------------------------------------------------------

DATE_FIELDS = schema.DATE_FIELDS  # the round's periods, in order
ROUND_FIELDS = tuple(RoundFields().load_fields)
APPLICATION_FIELDS = tuple(ApplicationFields().load_fields)


def categories_error(categories) -> str | None:
    """None if every category fits its column and is a clean one-line name, else the reason."""
    for category in categories:
        if len(category) > CATEGORY_MAX:
            return _("项目类别“%(name)s”超过%(max)s字", name=category[:CATEGORY_MAX] + "…", max=CATEGORY_MAX)
        if error := name_error(category):
            return _("项目类别%(error)s", error=error)
    return None


def validate_round(data: dict) -> dict:
    """A round's fields through RoundFields (title, year, budget, the periods in order), then the
    lists each side enters in its own shape: categories, criteria, tranche percentages."""
    clean = load(RoundFields(), {k: v for k, v in data.items() if k in ROUND_FIELDS})
    categories = [c.strip() for c in data.get("categories") or [] if c and c.strip()]
    if not categories or len(set(categories)) != len(categories):
        raise ValidationError(_("请填写至少一个项目类别（不重复）"), field="categories")
    if error := categories_error(categories):
        raise ValidationError(error, field="categories")
    criteria = data.get("criteria") or DEFAULT_CRITERIA
    try:
        criteria = [{"name": str(c["name"]).strip(), "max": int(c["max"])} for c in criteria]
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(_("评分标准格式：名称与满分"), field="criteria") from exc
    if any(not c["name"] or c["max"] <= 0 for c in criteria) or len({c["name"] for c in criteria}) != len(criteria):
        raise ValidationError(_("评分标准须有名称且满分大于零，名称不重复"), field="criteria")
    percents = data.get("tranche_percents") or [60, 40]
    if any(int(p) <= 0 for p in percents) or sum(int(p) for p in percents) != 100 or len(percents) > 6:
        raise ValidationError(_("分期拨付比例须为正数且合计100%（最多6期）"), field="tranche_percents")
    return {**clean, "year": clean.get("year") or clean["apply_from"].year, "description": clean.get("description", ""),
            "categories": categories, "criteria": criteria, "tranche_percents": [int(p) for p in percents]}


def create_round(park, data: dict, *, user) -> Round:
    values = validate_round(data)
    with transaction():
        rnd = Round(park_id=park.id, created_by_id=user.id, committed_fen=0, **values)
        db.session.add(rnd)
        audit.record("microgrant.round", rnd, user=user,
                     summary=f"{park.name} 开设 {rnd.title}，预算 {show_yuan(rnd.budget_fen)}")
    return rnd


def edit_round(rnd: Round, data: dict, *, user) -> Round:
    """Change a round (extend dates, adjust the budget …). The budget cannot drop below what is
    already granted, and categories or criteria in use cannot be removed."""
    values = validate_round(data)
    with transaction():
        locked = lock_round(rnd.id)
        if values["budget_fen"] < locked.committed_fen:
            raise Conflict(_("总预算不能低于已立项金额 %(committed_fen)s", committed_fen=show_yuan(locked.committed_fen)))
        used = set(db.session.scalars(select(Application.category).where(Application.round_id == locked.id)))
        if used - set(values["categories"]):
            raise Conflict(_("已有申报项目使用的类别不能删除：%(names)s", names="、".join(sorted(used - set(values["categories"])))))
        scored = db.session.scalar(select(Score.id).join(Application).where(Application.round_id == locked.id).limit(1))
        if scored and values["criteria"] != locked.criteria:
            raise Conflict(_("已有专家评分，评分标准不能再修改"))
        decided = db.session.scalar(select(Application.id).where(Application.round_id == locked.id,
                                                                 Application.granted_fen.is_not(None)).limit(1))
        if decided and values["tranche_percents"] != locked.tranche_percents:
            raise Conflict(_("已有立项项目，分期拨付比例不能再修改"))
        for key, value in values.items():
            setattr(locked, key, value)
        audit.record("microgrant.round_edit", locked, user=user, summary=f"修改 {locked.title}")
    return locked


def set_experts(rnd: Round, usernames: list[str], *, user) -> Round:
    experts = db.session.scalars(select(User).where(User.username.in_(usernames or ["-"]))).all()
    unknown = set(usernames) - {u.username for u in experts}
    if unknown:
        raise ValidationError(_("未找到账号：%(names)s", names="、".join(sorted(unknown))), field="experts")
    if any(u.role != "expert" for u in experts):
        raise ValidationError(_("评审专家须为专家账号"), field="experts")
    with transaction():
        rnd.experts = list(experts)
        audit.record("microgrant.experts", rnd, user=user, summary=f"{rnd.title} 评审专家：" +
                     "、".join(u.display_name for u in experts))
    return rnd


def is_expert(rnd_id: int, user) -> bool:
    return bool(db.session.scalar(select(round_experts.c.user_id).where(
        round_experts.c.round_id == rnd_id, round_experts.c.user_id == user.id)))


def covered_park_ids(rnd: Round) -> set[int]:
    """The round's park and the parks under it (a street's round is open to its communities)."""
    return descendant_ids(rnd.park)


# -- applications ---------------------------------------------------------------------------------

def submit(rnd: Round, org: Organization, data: dict, *, user, day: date | None = None) -> Application:
    """An organization of the park applies with a project; budget lines sum to the amount asked."""
    day = day or today()
    if not rnd.apply_from <= day <= rnd.apply_until:
        raise Conflict(_("不在申报期内（申报期 %(apply_from)s 至 %(apply_until)s）", apply_from=show_date(rnd.apply_from), apply_until=show_date(rnd.apply_until)))
    if org is None or org.park_id not in covered_park_ids(rnd):
        raise ValidationError(_("申报组织须是本园区（含下辖社区）的组织"), field="organization_id")
    clean = load(ApplicationFields(), {k: v for k, v in data.items() if k in APPLICATION_FIELDS})
    title = clean["title"]
    if data.get("category") not in rnd.categories:
        raise ValidationError(_("请选择本轮的项目类别：%(names)s", names="、".join(rnd.categories)), field="category")
    lines = [(str(item).strip(), amount) for item, amount in data.get("lines") or [] if str(item).strip() or amount]
    if not lines:
        raise ValidationError(_("请至少填写一项预算明细"), field="lines")
    for item, amount in lines:
        if not item or not amount or amount <= 0:
            raise ValidationError(_("每项预算须有名称和大于零的金额"), field="lines")
    requested = sum(amount for _, amount in lines)
    if requested > rnd.max_grant_fen:
        raise ValidationError(_("申请金额 %(requested)s 超过单个项目资助上限 %(max_grant_fen)s", requested=show_yuan(requested), max_grant_fen=show_yuan(rnd.max_grant_fen)),
                              field="lines")
    if db.session.scalar(select(Application.id).where(Application.round_id == rnd.id,
                                                      Application.organization_id == org.id)):
        raise Conflict(_("%(name)s 已在本轮申报过项目（每个组织每轮限一个）", name=org.name))
    with transaction():
        application = Application(
            round_id=rnd.id, organization_id=org.id, title=title, category=data["category"],
            goals=clean["goals"], beneficiaries=clean.get("beneficiaries", ""),
            beneficiary_count=clean.get("beneficiary_count") or 0, requested_fen=requested,
            status="submitted", submitted_by_id=user.id,
            lines=[BudgetLine(position=i, item=item[:120], amount_fen=amount) for i, (item, amount) in enumerate(lines)])
        db.session.add(application)
        audit.record("microgrant.apply", application, user=user,
                     summary=f"{org.name} 申报 {title}，申请 {show_yuan(requested)}")
    return application


def applications_query(rnd_id: int, status: str = "", category: str = ""):
    stmt = (select(Application).where(Application.round_id == rnd_id)
            .options(selectinload(Application.organization), selectinload(Application.scores),
                     selectinload(Application.tranches))
            .order_by(Application.id))
    if status:
        stmt = stmt.where(Application.status == status)
    if category:
        stmt = stmt.where(Application.category == category)
    return stmt


# -- scoring and deciding -------------------------------------------------------------------------

def score(application: Application, expert, marks: dict, comment: str = "", *, day: date | None = None) -> Score:
    """An assigned expert scores against the round's criteria, during the review period (the comment:
    ScoreFields' rules)."""
    comment = load(ScoreFields(), {"comment": comment})["comment"]
    rnd = application.round
    day = day or today()
    if not is_expert(rnd.id, expert):
        raise Conflict(_("您不是本轮的评审专家"))
    if not rnd.review_from <= day <= rnd.review_until:
        raise Conflict(_("不在评审期内（评审期 %(review_from)s 至 %(review_until)s）", review_from=show_date(rnd.review_from), review_until=show_date(rnd.review_until)))
    if application.status != "submitted":
        raise Conflict(_("该项目已有决定，不能再评分"))
    clean = {}
    for criterion in rnd.criteria:
        value = (marks or {}).get(criterion["name"])
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise ValidationError(_("请为“%(name)s”打分", name=criterion['name']), field="marks") from None
        if not 0 <= value <= criterion["max"]:
            raise ValidationError(_("“%(name)s”的分数应在0到%(max)s之间", name=criterion['name'], max=criterion['max']), field="marks")
        clean[criterion["name"]] = value
    with transaction():
        row = db.session.scalar(select(Score).where(Score.application_id == application.id,
                                                    Score.expert_id == expert.id)) \
            or Score(application_id=application.id, expert_id=expert.id)
        row.marks, row.total, row.comment = clean, sum(clean.values()), comment
        db.session.add(row)
        audit.record("microgrant.score", application, user=expert,
                     summary=f"{application.title}：{row.total}/{rnd.max_score} 分")
    return row


def lock_round(round_id: int) -> Round:
    return db.session.scalar(select(Round).where(Round.id == round_id).with_for_update()
                             .execution_options(populate_existing=True))


def _lock_application(application_id: int) -> Application:
    return db.session.scalar(select(Application).where(Application.id == application_id).with_for_update()
                             .execution_options(populate_existing=True))


def split(amount_fen: int, percents: list[int]) -> list[int]:
    """Tranche amounts for `percents`; the last takes the rounding remainder."""
    parts = [amount_fen * p // 100 for p in percents[:-1]]
    return parts + [amount_fen - sum(parts)]


def decide(application: Application, approve: bool, amount_fen: int | None, note: str, *, user,
           day: date | None = None) -> Application:
    """The manager approves a grant (within the budget) or declines (the note: DecisionFields' rules).

    Locks the round row first, then the application row, so concurrent decisions on one round
    queue and each sees the committed sum of the others.
    """
    note = load(DecisionFields(), {"note": note})["note"]
    day = day or today()
    rnd = application.round
    if day < rnd.review_from:
        raise Conflict(_("评审期（%(review_from)s）开始后才能决定立项", review_from=show_date(rnd.review_from)))
    if approve:
        if not amount_fen or amount_fen <= 0:
            raise ValidationError(_("请填写资助金额"), field="amount")
        if amount_fen > application.requested_fen:
            raise ValidationError(_("资助金额不能超过申请金额 %(requested_fen)s", requested_fen=show_yuan(application.requested_fen)), field="amount")
        if amount_fen > rnd.max_grant_fen:
            raise ValidationError(_("资助金额不能超过单个项目上限 %(max_grant_fen)s", max_grant_fen=show_yuan(rnd.max_grant_fen)), field="amount")
    with transaction():
        locked_round = lock_round(rnd.id)
        locked = _lock_application(application.id)
        if locked.status != "submitted":
            raise Conflict(_("该项目已%(status_label)s，不能重复决定", status_label=locked.status_label))
        if approve:
            if locked_round.committed_fen + amount_fen > locked_round.budget_fen:
                raise Conflict(_("超出本轮预算：总预算 %(budget)s，已立项 %(committed)s，剩余 %(remaining)s，本项目 %(amount)s",
                                 budget=show_yuan(locked_round.budget_fen), committed=show_yuan(locked_round.committed_fen),
                                 remaining=show_yuan(locked_round.remaining_fen), amount=show_yuan(amount_fen)))
            locked_round.committed_fen += amount_fen
            locked.granted_fen = amount_fen
            locked.tranches = [Tranche(seq=i, amount_fen=part, status="pending")
                               for i, part in enumerate(split(amount_fen, locked_round.tranche_percents), start=1)]
        locked.status = "approved" if approve else "rejected"
        locked.decision_note, locked.decided_by_id, locked.decided_at = note, user.id, utcnow()
        audit.record("microgrant.decide", locked, user=user,
                     summary=f"{locked.title}:{'立项 ' + show_yuan(amount_fen) if approve else '不予立项'}")
        notices.decided(locked, user=user)
    return locked


# -- tranches and mid-term reviews ----------------------------------------------------------------

def pay(application: Application, seq: int, *, user, day: date | None = None) -> Tranche:
    """Mark tranche `seq` paid: the first once approved, each later one only after a passed review."""
    with transaction():
        locked = _lock_application(application.id)
        if locked.status != "approved":
            raise Conflict(_("项目%(status_label)s，不能拨付", status_label=locked.status_label))
        tranche = next((t for t in locked.tranches if t.seq == seq), None)
        if tranche is None:
            raise ValidationError(_("没有这一期拨付"), field="seq")
        if tranche.status != "pending":
            raise Conflict(_("第%(seq)s期已%(status_label)s", seq=seq, status_label=tranche.status_label))
        if seq > 1:
            previous = next(t for t in locked.tranches if t.seq == seq - 1)
            if previous.status != "paid":
                raise Conflict(_("请先拨付第%(seq)s期", seq=seq - 1))
            review = next((r for r in locked.reviews if r.before_seq == seq), None)
            if review is None or not review.passed:
                raise Conflict(_("第%(seq)s期须在中期评估通过后拨付", seq=seq))
        tranche.status, tranche.paid_on, tranche.paid_by_id = "paid", day or today(), user.id
        audit.record("microgrant.pay", locked, user=user, summary=f"{locked.title}：拨付第{seq}期 {show_yuan(tranche.amount_fen)}")
        notices.tranche_paid(locked, tranche, user=user)
    return tranche


def review(application: Application, passed: bool, note: str, *, user) -> Review:
    """The mid-term review before the next pending tranche; failing it ends the project's funding.

    On failure the pending tranches are cancelled and their amount returns to the round's budget.
    The note: ReviewFields' rules.
    """
    note = load(ReviewFields(), {"note": note})["note"]
    with transaction():
        locked_round = lock_round(application.round_id)
        locked = _lock_application(application.id)
        if locked.status != "approved":
            raise Conflict(_("项目%(status_label)s，无需中期评估", status_label=locked.status_label))
        upcoming = next((t for t in locked.tranches if t.status == "pending"), None)
        if upcoming is None or upcoming.seq == 1:
            raise Conflict(_("首期拨付后、下一期拨付前才进行中期评估") if upcoming else _("已无待拨付的款项"))
        if next(t for t in locked.tranches if t.seq == upcoming.seq - 1).status != "paid":
            raise Conflict(_("第%(seq)s期尚未拨付", seq=upcoming.seq - 1))
        if any(r.before_seq == upcoming.seq for r in locked.reviews):
            raise Conflict(_("第%(seq)s期前的中期评估已完成", seq=upcoming.seq))
        row = Review(application_id=locked.id, before_seq=upcoming.seq, passed=passed, note=note, reviewed_by_id=user.id)
        locked.reviews.append(row)
        if not passed:
            returned = 0
            for tranche in locked.tranches:
                if tranche.status == "pending":
                    tranche.status = "cancelled"
                    returned += tranche.amount_fen
            locked.status = "terminated"
            locked_round.committed_fen -= returned
        audit.record("microgrant.review", locked, user=user,
                     summary=f"{locked.title}：第{upcoming.seq}期前中期评估{'通过' if passed else '未通过，终止资助'}")
    return row


# -- a granted project's reports and receipts -------------------------------------------------------

# Each kind is a StoredFile.owner_type of its own (owner_id: the application's id).
FILE_KINDS = {"report": _l("项目报告"), "receipt": _l("票据")}
FILE_OWNERS = {"report": "microgrant_report", "receipt": "microgrant_receipt"}
FILES_OPEN = ("approved", "terminated")  # a terminated project still accounts for what it was paid


def attach_files(application: Application, kind: str, uploads, *, user) -> list[str]:
    """Keep the project's reports (中期/结项报告) or receipts (票据) once it is granted; one upload
    refused (too large, not an allowed type) refuses them all. The names stored."""
    if kind not in FILE_KINDS:
        raise ValidationError(_("请选择材料类别"), field="kind")
    if application.status not in FILES_OPEN:
        raise Conflict(_("项目立项后才能上传项目报告和票据"))
    with transaction():
        names = [f.original_name for f in file_store.store_many(
            uploads, owner_type=FILE_OWNERS[kind], owner_id=application.id, park_id=application.park_id, user=user)]
        audit.record("microgrant.files", application, user=user,
                     summary=f"{application.title}：上传{FILE_KINDS[kind]} {len(names)} 个", kind=kind, files=names)
    return names


def files_of(application_id: int) -> dict[str, list]:
    """{kind: [StoredFile, …] newest first} for every kind — one query per kind."""
    return {kind: file_store.files_of(owner, [application_id]).get(application_id, [])
            for kind, owner in FILE_OWNERS.items()}


def application_of_file(stored_file) -> Application | None:
    if stored_file.owner_type not in FILE_OWNERS.values():
        return None
    return db.session.get(Application, stored_file.owner_id)


# -- reports --------------------------------------------------------------------------------------

def report(rnd: Round) -> dict:
    """Applications, grants and spending (paid tranches) per category, plus totals (3 queries)."""
    rows = {c: {"category": c, "applications": 0, "requested_fen": 0, "approved": 0, "granted_fen": 0,
                "paid_fen": 0} for c in rnd.categories}
    for category, count, requested in db.session.execute(
            select(Application.category, func.count(), func.sum(Application.requested_fen))
            .where(Application.round_id == rnd.id).group_by(Application.category)):
        row = rows.setdefault(category, {"category": category, "applications": 0, "requested_fen": 0,
                                         "approved": 0, "granted_fen": 0, "paid_fen": 0})
        row["applications"], row["requested_fen"] = count, int(requested or 0)
    # A terminated project keeps what was paid; its grant counts what was not cancelled.
    for category, status, amount, count in db.session.execute(
            select(Application.category, Tranche.status, func.sum(Tranche.amount_fen),
                   func.count(func.distinct(Application.id)))
            .join(Tranche, Tranche.application_id == Application.id)
            .where(Application.round_id == rnd.id).group_by(Application.category, Tranche.status)):
        if status != "cancelled":
            rows[category]["granted_fen"] += int(amount or 0)
        if status == "paid":
            rows[category]["paid_fen"] += int(amount or 0)
    for category, count in db.session.execute(
            select(Application.category, func.count()).where(Application.round_id == rnd.id,
                                                             Application.granted_fen.is_not(None))
            .group_by(Application.category)):
        rows[category]["approved"] = count
    lines = list(rows.values())
    totals = {key: sum(r[key] for r in lines) for key in ("applications", "requested_fen", "approved", "granted_fen", "paid_fen")}
    return {"rows": lines, "totals": totals, "budget_fen": rnd.budget_fen, "committed_fen": rnd.committed_fen,
            "remaining_fen": rnd.remaining_fen}


# -- to-dos (待办): one query each, a few rows at most ------------------------------------------------

_NO_EXPERTS = lazyload(Round.experts)  # a to-do needs the round's name and dates, not its experts


def _ancestor_ids(park_id: int) -> set[int]:
    """The park and the parks above it (a community's organizations may apply to its street's round)."""
    from incubator.parks.models import Park
    ids, park = set(), db.session.get(Park, park_id)
    while park is not None and park.id not in ids:
        ids.add(park.id)
        park = park.parent
    return ids


def scoring_waiting(expert, day: date | None = None, limit: int = 10) -> list[tuple[Round, int, int]]:
    """Rounds in their review period with applications `expert` has still to score:
    (round, how many, the first such application's id), soonest review end first."""
    day = day or today()
    scored = select(Score.id).where(Score.application_id == Application.id, Score.expert_id == expert.id).exists()
    return [tuple(row) for row in db.session.execute(
        select(Round, func.count(Application.id), func.min(Application.id))
        .join(Application, Application.round_id == Round.id)
        .join(round_experts, round_experts.c.round_id == Round.id)
        .where(round_experts.c.user_id == expert.id, Round.review_from <= day, Round.review_until >= day,
               Application.status == "submitted", ~scored)
        .group_by(Round.id).order_by(Round.review_until, Round.id).options(_NO_EXPERTS).limit(limit))]


def decisions_waiting(park_ids, day: date | None = None, limit: int = 10) -> list[tuple[Round, int, int]]:
    """Rounds whose review has begun with applications not yet decided (立项 or not):
    (round, how many, the first one's id)."""
    day = day or today()
    return [tuple(row) for row in db.session.execute(
        select(Round, func.count(Application.id), func.min(Application.id))
        .join(Application, Application.round_id == Round.id)
        .where(Round.park_id.in_(park_ids or [-1]), Round.review_from <= day, Application.status == "submitted")
        .group_by(Round.id).order_by(Round.review_until, Round.id).options(_NO_EXPERTS).limit(limit))]


def tranches_payable(park_ids, limit: int = 10) -> list[tuple[Round, int, int]]:
    """Rounds with tranches that may be paid now — a granted project's first, or one whose
    mid-term review has passed: (round, how many, the first such application's id)."""
    passed = select(Review.id).where(Review.application_id == Application.id, Review.before_seq == Tranche.seq,
                                     Review.passed.is_(True)).exists()
    return [tuple(row) for row in db.session.execute(
        select(Round, func.count(Tranche.id), func.min(Application.id))
        .join(Application, Application.round_id == Round.id)
        .join(Tranche, Tranche.application_id == Application.id)
        .where(Round.park_id.in_(park_ids or [-1]), Application.status == "approved", Tranche.status == "pending",
               (Tranche.seq == 1) | passed)
        .group_by(Round.id).order_by(Round.id).options(_NO_EXPERTS).limit(limit))]


def rounds_open_to(org: Organization, park_allowed=lambda park_id: True, day: date | None = None,
                   limit: int = 5) -> list[Round]:
    """Rounds taking applications today that `org` may apply to and has not applied to yet
    (in parks `park_allowed(park_id)` accepts: where the plugin is enabled)."""
    day = day or today()
    covering = {pid for pid in _ancestor_ids(org.park_id) if park_allowed(pid)}
    applied = select(Application.id).where(Application.round_id == Round.id,
                                           Application.organization_id == org.id).exists()
    return db.session.scalars(select(Round).where(Round.park_id.in_(covering or [-1]), Round.apply_from <= day,
                                                  Round.apply_until >= day, ~applied)
                              .order_by(Round.apply_until, Round.id).options(_NO_EXPERTS).limit(limit)).all()


def applications_of(org_id: int, park_ids, limit: int = 50) -> list[Application]:
    """An organization's projects in rounds of `park_ids`, newest first, with their tranches."""
    return db.session.scalars(select(Application).join(Round, Round.id == Application.round_id)
                              .where(Application.organization_id == org_id, Round.park_id.in_(park_ids or [-1]))
                              .options(selectinload(Application.round), selectinload(Application.tranches))
                              .order_by(Application.id.desc()).limit(limit)).all()


def visible_rounds_query(user, park_ids_enabled):
    """Rounds the user may see: managers their parks', experts their assigned, organizations' users
    those open to their organization's park; admins all (within parks where the plugin is on)."""
    stmt = (select(Round).where(Round.park_id.in_(park_ids_enabled or [-1])).options(selectinload(Round.park))
            .order_by(Round.apply_from.desc(), Round.id.desc()))
    if user.role == "admin":
        return stmt
    conditions = []
    if user.role == "manager":
        conditions.append(Round.park_id.in_(user.park_ids or [-1]))
    if user.role == "expert":
        conditions.append(Round.id.in_(select(round_experts.c.round_id).where(round_experts.c.user_id == user.id)))
    if user.organization_id:
        org = db.session.get(Organization, user.organization_id)
        if org is not None:
            conditions.append(Round.park_id.in_(_ancestor_ids(org.park_id)))
    if not conditions:
        return stmt.where(Round.id == -1)
    from sqlalchemy import or_
    return stmt.where(or_(*conditions))
