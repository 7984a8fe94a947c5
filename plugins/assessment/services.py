"""The assessment rules: start, score (draft), finish (lock), grade, compare, report, veto.

Plain functions over the session, used by the pages, the API, the CLI and the hooks alike.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import extract, select
from sqlalchemy.orm import joinedload, selectinload

from incubator import audit
from incubator.database import transaction
from incubator.dates import today
from incubator.db_types import utcnow
from incubator.errors import Conflict, ValidationError
from incubator.extensions import db
from incubator.organizations.models import Organization
from incubator.parks.models import Park
from incubator.users.models import User

from . import notices, rubrics
from .models import KIND_LABELS, KINDS, Assessment, AssessmentSettings, IndicatorScore

DEFAULT_THRESHOLD = 700
ASSESSABLE_STAGES = ("reviewing", "incubating", "virtual")


# -- settings per park ------------------------------------------------------------------------

@dataclass
class Settings:
    rubric_code: str
    graduation_veto: bool
    exit_threshold: int
    stored: bool


def settings_for(park_id: int) -> Settings:
    row = db.session.scalar(select(AssessmentSettings).where(AssessmentSettings.park_id == park_id))
    if row is None:
        return Settings(rubrics.DEFAULT_CODE, True, DEFAULT_THRESHOLD, False)
    return Settings(row.rubric_code, row.graduation_veto, row.exit_threshold, True)


def rubrics_for_park(park: Park) -> list[rubrics.Rubric]:
    return [r for r in rubrics.current().rubrics.values() if r.available_to(park.code)]


def rubric_for_park(park: Park) -> rubrics.Rubric:
    """The park's chosen rubric; the default when the chosen file is gone or was refused."""
    loaded = rubrics.current()
    chosen = loaded.get(settings_for(park.id).rubric_code)
    rubric = chosen if chosen is not None and chosen.available_to(park.code) else loaded.get(rubrics.DEFAULT_CODE)
    if rubric is None:
        raise Conflict(_("没有可用的评估指标体系（默认指标文件缺失或格式错误），请联系管理员"))
    return rubric


def save_settings(park: Park, *, rubric_code: str, graduation_veto: bool, exit_threshold, user) -> Settings:
    rubric = rubrics.current().get(rubric_code)
    if rubric is None or not rubric.available_to(park.code):
        raise ValidationError(_("没有可供本园区使用的评估体系：%(code)s", code=rubric_code), field="rubric_code")
    if exit_threshold is None or not 0 <= int(exit_threshold) <= rubric.total:
        raise ValidationError(_("出壳分数线应在 0–%(total)s 之间", total=f"{rubric.total:g}"), field="exit_threshold")
    with transaction():
        row = db.session.scalar(select(AssessmentSettings).where(AssessmentSettings.park_id == park.id)
                                .with_for_update()) or AssessmentSettings(park_id=park.id)
        row.rubric_code, row.graduation_veto = rubric.code, bool(graduation_veto)
        row.exit_threshold, row.updated_by_id = int(exit_threshold), user.id
        db.session.add(row)
        audit.record("assessment.settings", park, user=user, summary=f"{park.name} 能力评估设置",
                     rubric_code=rubric.code, graduation_veto=row.graduation_veto, exit_threshold=row.exit_threshold)
    return settings_for(park.id)


# -- assessors --------------------------------------------------------------------------------

def may_assess(user: User, org: Organization) -> bool:
    """Experts, the park's managers and administrators can be named assessor."""
    if not user.active:
        return False
    return user.role in ("expert", "admin") or (user.role == "manager" and org.park_id in user.park_ids)


def find_assessor(username: str, org: Organization) -> User:
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None or not may_assess(user, org):
        raise ValidationError(_("不能担任本组织评估人的账号：%(username)s", username=username), field="assessor")
    return user


def is_assessor_of(user, org_id: int) -> bool:
    return db.session.scalar(select(Assessment.id).where(Assessment.organization_id == org_id,
                                                         Assessment.assessor_id == user.id).limit(1)) is not None


# -- the life of an assessment ----------------------------------------------------------------

def start(org: Organization, kind: str, assessor: User, assessed_on: date | None, *, user) -> Assessment:
    """Open a draft assessment of `kind` with the park's rubric (a snapshot is stored with it)."""
    if kind not in KINDS:
        raise ValidationError(_("评估类型应为 entry（入园）、midterm（中期）或 exit（出壳）"), field="kind")
    if not may_assess(assessor, org):
        raise ValidationError(_("评估人须为专家或本园区管理员"), field="assessor")
    assessed_on = assessed_on or today()
    if assessed_on > today():
        raise ValidationError(_("评估日期不能晚于今天"), field="assessed_on")
    if org.stage not in ASSESSABLE_STAGES:
        raise Conflict(_("只有评审中或孵化中的组织可以评估"))
    rubric = rubric_for_park(org.park)
    with transaction():
        # Lock the organization: two managers starting the same assessment at once get one draft.
        db.session.execute(select(Organization.id).where(Organization.id == org.id).with_for_update())
        existing = db.session.scalars(select(Assessment).where(Assessment.organization_id == org.id,
                                                               Assessment.kind == kind)).all()
        if kind == "entry" and existing:
            raise Conflict(_("该组织已有入园评估"), field="kind")
        if any(a.status == "draft" for a in existing):
            raise Conflict(_("该组织已有一份未完成的%(kind)s，请继续填写", kind=KIND_LABELS[kind]), field="kind")
        if kind != "entry" and not _has_finished(org.id, "entry"):
            raise Conflict(_("请先完成入园评估"), field="kind")
        assessment = Assessment(organization_id=org.id, kind=kind, status="draft", rubric_code=rubric.code,
                                rubric=rubric.to_dict(), assessor_id=assessor.id, assessed_on=assessed_on,
                                created_by_id=user.id)
        db.session.add(assessment)
        audit.record("assessment.start", assessment, user=user,
                     summary=f"{org.name}：{KINDS[kind]}（评估人 {assessor.display_name}）",
                     organization_id=org.id, kind=kind, rubric=rubric.code)
        notices.assigned(org, assessment, assessor, user=user)
    return assessment


def _has_finished(org_id: int, kind: str) -> bool:
    return db.session.scalar(select(Assessment.id).where(
        Assessment.organization_id == org_id, Assessment.kind == kind, Assessment.status == "finished").limit(1)) is not None


def _indicators(assessment: Assessment) -> dict[str, dict]:
    return {i["code"]: i for d in assessment.rubric["dimensions"] for i in d["indicators"]}


def _lock(assessment: Assessment) -> Assessment:
    db.session.execute(select(Assessment.id).where(Assessment.id == assessment.id).with_for_update())
    db.session.refresh(assessment)
    if assessment.status == "finished":
        raise Conflict(_("该评估已完成并锁定，不能再修改"))
    return assessment


def _score_value(raw, indicator: dict) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = Decimal(str(raw).strip())
        if not value.is_finite():
            raise ValueError(raw)
        value = value.quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("“%(name)s”的得分应为数字", name=indicator['name']), field=f"score-{indicator['code']}") from None
    if not 0 <= value <= Decimal(str(indicator["points"])):
        raise ValidationError(_("“%(name)s”的得分应在 0–%(points)s 之间", name=indicator['name'], points=f"{indicator['points']:g}"),
                              field=f"score-{indicator['code']}")
    return value


def save_scores(assessment: Assessment, scores: dict, *, summary: str | None = None,
                assessed_on: date | None = None, user) -> Assessment:
    """Save a draft: `scores` maps indicator code → {"score": …, "evidence": …}; blanks are left unscored."""
    indicators = _indicators(assessment)
    unknown = [code for code in scores if code not in indicators]
    if unknown:
        raise ValidationError(_("未知指标：%(codes)s", codes="、".join(unknown)), field="scores")
    clean = {}
    for code, entry in scores.items():
        value = _score_value(entry.get("score"), indicators[code])
        evidence = (entry.get("evidence") or "").strip()
        if len(evidence) > 5000:
            raise ValidationError(_("“%(name)s”的评分依据过长", name=indicators[code]['name']), field=f"evidence-{code}")
        clean[code] = (value, evidence)
    if assessed_on is not None and assessed_on > today():
        raise ValidationError(_("评估日期不能晚于今天"), field="assessed_on")
    with transaction():
        _lock(assessment)
        existing = {s.indicator_code: s for s in assessment.scores}
        for code, (value, evidence) in clean.items():
            row = existing.get(code)
            if value is None and not evidence:
                if row is not None:
                    assessment.scores.remove(row)
                continue
            if row is None:
                row = IndicatorScore(indicator_code=code)
                assessment.scores.append(row)
            row.score, row.evidence = value, evidence
        if summary is not None:
            assessment.summary = summary.strip()[:20000]
        if assessed_on is not None:
            assessment.assessed_on = assessed_on
        audit.record("assessment.save", assessment, user=user, summary=f"保存评估草稿（{len(clean)} 项）",
                     organization_id=assessment.organization_id)
    return assessment


def discard(assessment: Assessment, *, user) -> None:
    """Delete a draft started by mistake (a finished assessment is kept for good)."""
    with transaction():
        _lock(assessment)
        audit.record("assessment.discard", assessment, user=user,
                     summary=f"{assessment.organization.name}：删除{KINDS.get(assessment.kind, assessment.kind)}草稿",
                     organization_id=assessment.organization_id, kind=assessment.kind)
        db.session.delete(assessment)


def missing(assessment: Assessment) -> list[str]:
    """Names of indicators still without a score or without evidence notes."""
    done = {s.indicator_code for s in assessment.scores if s.score is not None and s.evidence.strip()}
    return [i["name"] for i in _indicators(assessment).values() if i["code"] not in done]


def running_total(assessment: Assessment) -> Decimal:
    return sum((s.score for s in assessment.scores if s.score is not None), Decimal(0))


def finish(assessment: Assessment, *, user) -> Assessment:
    """Complete the assessment: every indicator scored with evidence; total and grade fixed; locked."""
    with transaction():
        _lock(assessment)
        lacking = missing(assessment)
        if lacking:
            listed = "、".join(lacking[:10])
            if len(lacking) > 10:
                message = _("以下指标尚未评分或缺少评分依据：%(names)s 等 %(n)s 项", names=listed, n=len(lacking))
            else:
                message = _("以下指标尚未评分或缺少评分依据：%(names)s", names=listed)
            raise ValidationError(message, field="scores")
        total = running_total(assessment)
        assessment.total, assessment.grade = total, grade_for(assessment, total)
        assessment.status, assessment.finished_at, assessment.finished_by_id = "finished", utcnow(), user.id
        audit.record("assessment.finish", assessment, user=user,
                     summary=f"{assessment.organization.name}：{KINDS.get(assessment.kind, assessment.kind)} {total} 分 {assessment.grade}",
                     organization_id=assessment.organization_id, total=total, grade=assessment.grade)
        notices.finished(assessment, user=user)
    return assessment


def grade_for(assessment: Assessment, total) -> str:
    for band in assessment.rubric["grades"]:
        if float(total) >= band["min"]:
            return band["grade"]
    return assessment.rubric.get("below_grade", "未达等级")


# -- reading ----------------------------------------------------------------------------------

def dimension_scores(assessment: Assessment) -> list[dict]:
    """Per dimension: name, points earned, maximum, and the share (0–100) the radar chart draws."""
    given = {s.indicator_code: s.score for s in assessment.scores if s.score is not None}
    result = []
    for dim in assessment.rubric["dimensions"]:
        maximum = sum(i["points"] for i in dim["indicators"])
        earned = sum((given.get(i["code"], Decimal(0)) for i in dim["indicators"]), Decimal(0))
        result.append({"code": dim["code"], "name": dim["name"], "score": float(earned), "max": maximum,
                       "percent": round(float(earned) / maximum * 100, 1) if maximum else 0.0})
    return result


def for_org(org_id: int) -> list[Assessment]:
    return db.session.scalars(select(Assessment).where(Assessment.organization_id == org_id)
                              .options(selectinload(Assessment.scores), joinedload(Assessment.assessor))
                              .order_by(Assessment.assessed_on, Assessment.id)).all()


def progress(assessments: list[Assessment]) -> dict | None:
    """From the entry assessment to the latest finished one (the exit when there is one), per dimension."""
    finished = [a for a in assessments if a.is_finished]
    entry = next((a for a in finished if a.kind == "entry"), None)
    later = [a for a in finished if a is not entry]
    exits = [a for a in later if a.kind == "exit"]
    last = exits[-1] if exits else (later[-1] if later else None)
    if entry is None or last is None:
        return None
    before = {d["code"]: d for d in dimension_scores(entry)}
    rows = []
    for d in dimension_scores(last):
        first = before.get(d["code"])
        rows.append({"name": d["name"], "max": d["max"], "entry": first["score"] if first else None,
                     "latest": d["score"], "change": round(d["score"] - first["score"], 1) if first else None})
    return {"entry": entry, "latest": last, "rows": rows, "change": float(last.total - entry.total)}


def latest_exit(org_id: int) -> Assessment | None:
    return db.session.scalar(select(Assessment).where(
        Assessment.organization_id == org_id, Assessment.kind == "exit", Assessment.status == "finished")
        .order_by(Assessment.finished_at.desc(), Assessment.id.desc()).limit(1))


def list_query(*, park_ids=None, assessor_id: int | None = None, status: str = "", kind: str = ""):
    # The organizations are loaded after the LIMIT (selectin): a joined load brings each one's park
    # in a nested outer join that SQLite built for every organization first (380 ms at 100,000).
    stmt = (select(Assessment).join(Organization, Organization.id == Assessment.organization_id)
            .options(selectinload(Assessment.organization), joinedload(Assessment.assessor)))
    if park_ids is not None:
        stmt = stmt.where(Organization.park_id.in_(list(park_ids) or [-1]))
    if assessor_id is not None:
        stmt = stmt.where(Assessment.assessor_id == assessor_id)
    if status:
        stmt = stmt.where(Assessment.status == status)
    if kind:
        stmt = stmt.where(Assessment.kind == kind)
    return stmt.order_by(Assessment.status, Assessment.assessed_on.desc(), Assessment.id.desc())


# -- reports ----------------------------------------------------------------------------------

def report(*, park_ids, cohort: int | None = None) -> list[dict]:
    """One row per organization with finished assessments: entry, latest mid-term, latest exit, change.

    The cohort (批次) is the year the incubation started. Two queries whatever the number of rows.
    """
    stmt = (select(Assessment.organization_id, Assessment.kind, Assessment.total, Assessment.grade,
                   Assessment.assessed_on, Assessment.rubric_code)
            .join(Organization, Organization.id == Assessment.organization_id)
            .where(Assessment.status == "finished", Organization.park_id.in_(list(park_ids) or [-1]))
            .order_by(Assessment.assessed_on, Assessment.id))
    if cohort:
        stmt = stmt.where(extract("year", Organization.incubation_start) == cohort)
    by_org: dict[int, dict] = {}
    for org_id, kind, total, grade, assessed_on, rubric_code in db.session.execute(stmt):
        row = by_org.setdefault(org_id, {})
        row[kind] = {"total": float(total), "grade": grade, "assessed_on": assessed_on, "rubric": rubric_code}
    orgs = {o.id: o for o in db.session.scalars(select(Organization).where(Organization.id.in_(list(by_org) or [-1])))}
    rows = []
    for org_id, kinds in by_org.items():
        org = orgs[org_id]
        entry, mid, exit_ = kinds.get("entry"), kinds.get("midterm"), kinds.get("exit")
        rows.append({"organization_id": org_id, "organization": org.name, "park": org.park.name,
                     "park_code": org.park.code, "stage": org.stage,
                     "cohort": org.incubation_start.year if org.incubation_start else None,
                     "entry_total": entry and entry["total"], "entry_grade": entry and entry["grade"],
                     "midterm_total": mid and mid["total"], "exit_total": exit_ and exit_["total"],
                     "exit_grade": exit_ and exit_["grade"],
                     "change": round(exit_["total"] - entry["total"], 1) if entry and exit_ else None})
    return sorted(rows, key=lambda r: (r["park"], r["cohort"] or 0, r["organization"]))


def report_sheet(rows: list[dict]) -> tuple[list[str], list[list]]:
    header = ["组织", "园区", "批次（入园年份）", "阶段", "入园评估总分", "入园等级", "中期评估总分",
              "出壳评估总分", "出壳等级", "变化（出壳−入园）"]
    from incubator.organizations.stages import label
    return header, [[r["organization"], r["park"], r["cohort"], label(r["stage"]), r["entry_total"], r["entry_grade"],
                     r["midterm_total"], r["exit_total"], r["exit_grade"], r["change"]] for r in rows]


# -- the graduation veto ----------------------------------------------------------------------

def graduation_objections(org: Organization) -> list[str]:
    settings = settings_for(org.park_id)
    if not settings.graduation_veto:
        return []
    latest = latest_exit(org.id)
    if latest is None:
        return [_("出壳前须完成出壳评估，且总分不低于 %(n)s 分（尚无已完成的出壳评估）", n=settings.exit_threshold)]
    if latest.total < settings.exit_threshold:
        return [_("出壳评估总分须不低于 %(n)s 分（最近一次为 %(latest)s 分）", n=settings.exit_threshold, latest=f"{float(latest.total):g}")]
    return []
