"""Importing past rounds and their grants (导入历年微创投项目), so that the totals over the years are
complete: one row is one project of an organization in a round.

The round is found by its name in the park; a round the platform does not have is created as it
was — finished (its periods within its year and before today), its budget the file's 本轮预算 or the
sum of its grants, paid in one tranche. The organization must already be on the platform (import
the organizations first). Each round's budget cap holds as it does for a decision made on the
page: an existing round's remaining budget is checked on the preview and again, under the round's
lock, when writing. An import writes history: nobody is notified.

Statuses: 已立项 (approved; paid if the file gives a 拨付日期, else its tranches wait to be paid),
已结项 (approved and paid in full), 未立项 / 未通过 (rejected), 已终止 (terminated: 资助金额 is
what had been paid).
"""
from __future__ import annotations

import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from incubator import audit
from incubator.database import transaction
from incubator.dates import to_utc, today
from incubator.errors import Conflict
from incubator.extensions import db
from incubator.imports.base import Importer, Outcome, PlannedRow
from incubator.imports.parks import ParkColumn
from incubator.imports.columns import CellError, Column, Problem, day, header_key, text
from incubator.numbers import show_yuan
from incubator.organizations.matching import find_matches, normalized_name
from incubator.organizations.models import Organization
from incubator.parks.models import Park
from incubator.parks.services import descendant_ids
from incubator.permissions import can
from incubator.plugins import enabled_parks, visible_parks

from . import PLUGIN
from .models import Application, BudgetLine, Round, Tranche
from .services import DEFAULT_CRITERIA, lock_round, categories_error, split

UNCATEGORIZED = "未分类"
# What a spreadsheet says → the status kept ("completed" is an approved project paid in full).
STATUS_WORDS = {
    "approved": ("已立项", "立项", "已通过", "通过", "approved"),
    "completed": ("已结项", "结项", "已完成", "completed"),
    "rejected": ("未立项", "未通过", "不予立项", "rejected"),
    "terminated": ("已终止", "终止", "terminated"),
}
STATUS_LABELS = {"approved": "已立项", "completed": "已结项", "rejected": "未立项", "terminated": "已终止"}
GRANTED = ("approved", "completed", "terminated")


def money(cell) -> int | None:
    """Yuan as offices write them (1,234.50, 1234.5, ¥1234, 1234元, an Excel number) → fen."""
    if cell is None or cell == "":
        return None
    if isinstance(cell, bool):
        raise CellError("不是有效的金额")
    if isinstance(cell, (int, float)):
        amount = Decimal(str(cell))
    else:
        value = unicodedata.normalize("NFKC", str(cell)).strip()
        value = value.replace(",", "").replace("¥", "").replace("￥", "").replace(" ", "")
        value = value[:-1] if value.endswith("元") else value
        if not value:
            return None
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise CellError("不是有效的金额，应为数字，如 12000 或 12,000.50") from None
    if not amount.is_finite():
        raise CellError("不是有效的金额")
    if amount < 0:
        raise CellError("金额不能为负数")
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise CellError("金额最多精确到分（两位小数）")
    return int(fen)


def status(cell) -> str | None:
    value = header_key(text(cell))
    if not value:
        return None
    for key, words in STATUS_WORDS.items():
        if value in {header_key(w) for w in words}:
            return key
    raise CellError("状态应为：已立项、已结项、未立项（未通过）、已终止")


def year(cell) -> int | None:
    value = text(cell).removesuffix("年").strip()
    if not value:
        return None
    if not value.isdigit() or not 2000 <= int(value) <= 2100:
        raise CellError("年度应为四位数字，如 2023")
    return int(value)


COLUMNS = (
    Column("轮次名称", "round", required=True, aliases=("轮次", "微创投名称"), example="2023年万年埠街道公益微创投",
           hint="在园区内按名称查找；平台上没有时按本表新建（已结束的轮次）"),
    Column("年度", "year", parse=year, aliases=("年份",), example="2023", hint="新建轮次时必填"),
    Column("项目名称", "title", required=True, example="楼道微更新"),
    Column("组织名称", "organization", aliases=("申报组织",), example="万年埠邻里互助会",
           hint="组织须已在平台登记；与统一社会信用代码至少填一项"),
    Column("资助金额", "granted", parse=money, aliases=("立项金额", "资助金额（元）"), example="30000",
           hint="单位：元，可带千分位和两位小数；未立项的项目不填；已终止的项目填终止前已拨付的金额"),
    Column("状态", "status", parse=status, required=True, example="已结项",
           hint="已立项、已结项、未立项（未通过）、已终止"),
    Column("申请金额", "requested", parse=money, required=True, aliases=("申请金额（元）",), example="35000",
           hint="单位：元"),
    Column("类别", "category", aliases=("项目类别",), example="便民服务",
           hint="已有轮次须为该轮的类别；新建轮次时各行的类别即该轮的类别；空白为“未分类”"),
    Column("统一社会信用代码", "uscc", aliases=("信用代码",), hint="填写时按代码查找组织，否则按名称"),
    Column("园区", "park", aliases=("园区代码",), example="wannianbu", hint="园区代码或名称；空白时为导入时选择的园区"),
    Column("申报日期", "applied_on", parse=day, example="2023-03-10"),
    Column("立项日期", "decided_on", parse=day, example="2023-04-20"),
    Column("拨付日期", "paid_on", parse=day, aliases=("结项日期",), example="2023-12-15",
           hint="已结项的项目空白时为立项日期"),
    Column("本轮预算", "budget", parse=money, aliases=("总预算",),
           hint="新建轮次的总预算（元）；空白时为该轮资助金额之和"),
)
HEADERS = {column.key: column.header for column in COLUMNS}
MONEY = ("granted", "requested", "budget")


class GrantImporter(Importer):
    kind = "grants"
    label = "历年微创投项目"
    description = "往年各轮公益微创投的项目与资助金额：平台上没有的轮次按文件新建为已结束的轮次"
    columns = COLUMNS
    list_endpoint = "microgrant.index"

    def url_of(self, record):
        from flask import url_for
        if isinstance(record, Application):
            return url_for("microgrant.application_detail", application_id=record.id)
        return None

    def shown(self, row, column):
        value = row.values.get(column.key)
        if column.key in MONEY:
            return show_yuan(value)
        if column.key == "status" and value:
            return STATUS_LABELS[value]
        if column.key == "organization" and row.data.get("org"):
            return row.data["org"].name
        return super().shown(row, column)

    def row_label(self, row) -> str:
        return f"{row.values.get('round') or ''} · {row.values.get('title') or ''}"

    # -- who ----------------------------------------------------------------------------------------
    def may_import(self, user) -> bool:
        return user is None or (user.role in ("admin", "manager") and bool(self.parks_for(user)))

    def parks_for(self, user) -> list:
        if user is None:
            return enabled_parks(PLUGIN)
        return [p for p in visible_parks(user, PLUGIN) if can("microgrant.manage", p, user=user)]

    # -- checking -----------------------------------------------------------------------------------
    def check(self, rows, *, user, parks, default_park):
        allowed = {park.id for park in parks}
        park_column = ParkColumn(parks, default_park, what="微创投项目", plugin=PLUGIN, plugin_title="公益微创投")
        rounds = _Rounds.load(allowed)
        seen: dict[tuple, int] = {}
        planned = []
        for row in rows:
            row = PlannedRow(number=row.number, cells=row.cells, values=row.values, problems=row.problems)
            park = park_column.of(row)
            row.data = {"park": park}
            _check_amounts(row)
            _check_dates(row)
            if park is not None:
                rnd = rounds.find(park.id, row.values.get("round"))
                row.data["round"] = rnd
                row.data["round_key"] = (park.id, _round_key(row.values.get("round")))
                _check_round(row, rnd)
                org = _check_organization(row, park)
                if org is not None and not row.bad:
                    _check_repeat(row, org, seen)
                if org is not None and rnd is not None and not row.bad:
                    _match(row, rnd, org)
            planned.append(row)
        _check_budgets([row for row in planned if not row.bad], rounds)
        return planned

    # -- writing ------------------------------------------------------------------------------------
    def write(self, rows, *, user, source):
        planned, rows = rows, [row for row in rows if row.action == "create"]
        user_id = getattr(user, "id", None)
        with transaction():
            created_rounds, added = [], {}
            for key, group in _by_round(rows).items():
                rnd = group[0].data["round"]
                if rnd is None:
                    rnd = _new_round(group, user_id)
                    db.session.add(rnd)
                    db.session.flush()
                    created_rounds.append(rnd)
                    audit.record("microgrant.round", rnd, user=user,
                                 summary=f"{rnd.park.name} {rnd.title}（{rnd.year}年，导入），预算 {show_yuan(rnd.budget_fen)}")
                else:
                    rnd = lock_round(rnd.id)
                    grants = sum(_granted(row) for row in group)
                    if rnd.committed_fen + grants > rnd.budget_fen:
                        raise Conflict(f"{rnd.title} 的已立项金额在预览后有变化，导入后将超出本轮预算，请重新预览后再导入")
                    rnd.committed_fen += grants
                for row in group:
                    added[row.number] = _new_application(rnd, row, user_id, source)
            db.session.add_all(added.values())
            db.session.flush()
            audit.record_many("microgrant.import", "Application", (
                (application.id, f"{application.round.title}：{row.data['org'].name} {application.title}"
                 f"（{STATUS_LABELS[row.values['status']]} {show_yuan(application.granted_fen) or '—'}，导入）",
                 {"source": source, "row": row.number})
                for row in rows for application in [added[row.number]]), user=user)
            if added:
                audit.record("microgrant.import", object_type="import", object_id=source[:60], user=user,
                             summary=f"导入历年微创投项目（{source}）：{len(added)} 个项目，新建轮次 {len(created_rounds)} 轮",
                             created=len(added), rounds=len(created_rounds))
        return Outcome.of(planned, created=len(added), updated=0, ids=[a.id for a in added.values()])


# -- checking one row ---------------------------------------------------------------------------------

def _round_key(title) -> str:
    return normalized_name(title or "")


class _Rounds:
    """The rounds of the parks one may import into, by park and normalized name."""

    def __init__(self, rounds):
        self.by_key = {}
        for rnd in rounds:
            self.by_key.setdefault((rnd.park_id, _round_key(rnd.title)), rnd)

    @classmethod
    def load(cls, park_ids):
        return cls(db.session.scalars(select(Round).where(Round.park_id.in_(park_ids or [-1])).order_by(Round.id)))

    def find(self, park_id, title) -> Round | None:
        return self.by_key.get((park_id, _round_key(title))) if title else None


def _check_amounts(row: PlannedRow) -> None:
    v = row.values
    state, requested, granted = v.get("status"), v.get("requested"), v.get("granted")
    if "申请金额" not in _headers_with_problems(row) and not requested:
        row.problems.append(Problem("申请金额", "申请金额须大于零"))
    if state in GRANTED and "资助金额" not in _headers_with_problems(row):
        if not granted:
            row.problems.append(Problem("资助金额", f"状态为“{STATUS_LABELS[state]}”时须填写大于零的资助金额"))
        elif requested and granted > requested:
            row.problems.append(Problem("资助金额", f"不能超过申请金额 {show_yuan(requested)}"))
    if state == "rejected" and granted:
        row.problems.append(Problem("资助金额", "未立项的项目不应有资助金额"))


def _headers_with_problems(row) -> set[str]:
    return {p.header for p in row.problems}


def _check_dates(row: PlannedRow) -> None:
    v = row.values
    for key in ("applied_on", "decided_on", "paid_on"):
        if v.get(key) and v[key] > today():
            row.problems.append(Problem(HEADERS[key], "不能晚于今天"))
    for earlier, later in (("applied_on", "decided_on"), ("decided_on", "paid_on"), ("applied_on", "paid_on")):
        if v.get(earlier) and v.get(later) and v[later] < v[earlier]:
            row.problems.append(Problem(HEADERS[later], f"不能早于{HEADERS[earlier]}"))
            break
    if v.get("paid_on") and v.get("status") not in GRANTED:
        row.problems.append(Problem("拨付日期", "只有立项的项目才有拨付日期"))
    if v.get("year"):
        if v["year"] > today().year:
            row.problems.append(Problem("年度", "不能晚于今年"))
        for key in ("applied_on", "decided_on"):
            if v.get(key) and v[key].year < v["year"]:
                row.problems.append(Problem(HEADERS[key], f"不能早于 {v['year']} 年"))


def _check_round(row: PlannedRow, rnd: Round | None) -> None:
    v = row.values
    category = v.get("category") or UNCATEGORIZED
    if rnd is None:
        if not v.get("year") and "年度" not in _headers_with_problems(row):
            row.problems.append(Problem("年度", f"平台上没有“{v.get('round')}”，新建轮次须填写年度"))
        if error := categories_error([category]):
            row.problems.append(Problem("类别", error))
        row.notes.append("将新建轮次（已结束）")
        return
    if v.get("year") and v["year"] != rnd.year:
        row.problems.append(Problem("年度", f"与平台上“{rnd.title}”的年度（{rnd.year}）不同"))
    if category not in rnd.categories:
        row.problems.append(Problem("类别", f"应为本轮的类别：{'、'.join(rnd.categories)}"))
    for key in ("requested", "granted"):
        if v.get(key) and v[key] > rnd.max_grant_fen and HEADERS[key] not in _headers_with_problems(row):
            row.problems.append(Problem(HEADERS[key], f"超过本轮单个项目资助上限 {show_yuan(rnd.max_grant_fen)}"))
    if v.get("budget") and v["budget"] != rnd.budget_fen:
        row.notes.append(f"本轮预算以平台记录为准（{show_yuan(rnd.budget_fen)}）")


def _check_organization(row: PlannedRow, park: Park) -> Organization | None:
    v = row.values
    uscc, name = (v.get("uscc") or "").strip().upper(), v.get("organization") or ""
    if not uscc and not name:
        row.problems.append(Problem("组织名称", "请填写组织名称或统一社会信用代码"))
        return None
    org = db.session.scalar(select(Organization).where(Organization.uscc == uscc)) if uscc else None
    if org is None and name:
        same = [m.organization for m in find_matches(name, None, None)
                if normalized_name(m.organization.name) == normalized_name(name)]
        covered = [o for o in same if o.park_id in descendant_ids(park)]
        org = (covered or same or [None])[0] if len(covered) <= 1 else None
        if len(covered) > 1:
            row.problems.append(Problem("组织名称", f"有多个名为“{name}”的组织，请填写统一社会信用代码"))
            return None
    if org is None:
        shown = name or uscc
        row.problems.append(Problem("组织名称" if name else "统一社会信用代码",
                                    f"平台上没有组织“{shown}”，请先导入或登记该组织"))
        return None
    if org.park_id not in descendant_ids(park):
        row.problems.append(Problem("组织名称", f"“{org.name}”不是“{park.name}”（含下辖社区）的组织"))
        return None
    row.data["org"] = org
    return org


def _check_repeat(row: PlannedRow, org: Organization, seen: dict) -> None:
    """One project per organization and round (as on the page): a second is an error."""
    key = (*row.data["round_key"], org.id)
    if key in seen:
        row.problems.append(Problem("组织名称", f"与第 {seen[key]} 行是同一组织在同一轮次的项目（每个组织每轮限一个）"))
    else:
        seen[key] = row.number


def _match(row: PlannedRow, rnd: Round, org: Organization) -> None:
    """The organization's project in an existing round: the platform's record stands (skipped)."""
    existing = db.session.scalar(select(Application).where(Application.round_id == rnd.id,
                                                           Application.organization_id == org.id))
    if existing is None:
        return
    row.match, row.reason = existing, "该组织在本轮已有项目"
    row.match_label = f"{existing.title}（{existing.status_label}，{show_yuan(existing.granted_fen) or '未资助'}）"
    state = row.values.get("status")
    same = (normalized_name(existing.title) == normalized_name(row.values.get("title"))
            and existing.status == ("approved" if state == "completed" else state)
            and existing.granted_fen == (row.values.get("granted") if state in GRANTED else None))
    row.action, row.choices = ("unchanged" if same else "skip"), ()
    if not same:
        row.notes.append("与平台记录不同：以平台记录为准，请在项目页面处理")


def _granted(row: PlannedRow) -> int:
    return (row.values.get("granted") or 0) if row.values.get("status") in GRANTED else 0


def _by_round(rows: list[PlannedRow]) -> dict[tuple, list[PlannedRow]]:
    groups: dict[tuple, list[PlannedRow]] = {}
    for row in rows:
        groups.setdefault(row.data["round_key"], []).append(row)
    return groups


def _check_budgets(rows: list[PlannedRow], rounds: _Rounds) -> None:
    """Every round's grants within its budget: an existing round's remaining one, a new round's
    本轮预算 when the file gives one (the same on each of its rows)."""
    for group in _by_round([row for row in rows if row.action == "create"]).values():
        rnd = group[0].data["round"]
        if rnd is not None:
            budget, running, what = rnd.budget_fen, rnd.committed_fen, f"总预算 {show_yuan(rnd.budget_fen)}"
        else:
            for key in ("year", "budget"):
                first = next((row for row in group if row.values.get(key)), None)
                for row in group:
                    if first and row.values.get(key) and row.values[key] != first.values[key]:
                        row.problems.append(Problem(HEADERS[key], f"与第 {first.number} 行的{HEADERS[key]}不同"))
            given = [(row.values["budget"], row.number) for row in group if row.values.get("budget")]
            if not given:
                if not any(_granted(row) for row in group):
                    for row in group:  # a round needs a budget above zero
                        row.problems.append(Problem("本轮预算", "本轮没有资助金额，请填写本轮预算"))
                continue
            budget, running, what = given[0][0], 0, f"本轮预算 {show_yuan(given[0][0])}"
        for row in group:
            grant = _granted(row)
            if grant and running + grant > budget:
                row.problems.append(Problem("资助金额", f"超出本轮预算：{what}，此前已立项 {show_yuan(running)}，"
                                                     f"剩余 {show_yuan(budget - running)}"))
                continue
            running += grant


# -- writing -------------------------------------------------------------------------------------------

def _new_round(group: list[PlannedRow], user_id) -> Round:
    """A finished round as the file tells it: its periods within its year, all before today."""
    first = group[0]
    the_year = next(row.values["year"] for row in group if row.values.get("year"))
    grants = sum(_granted(row) for row in group)
    budget = next((row.values["budget"] for row in group if row.values.get("budget")), None) or grants
    categories = list(dict.fromkeys(row.values.get("category") or UNCATEGORIZED for row in group))
    yesterday = today() - timedelta(days=1)
    periods = [date(the_year, 1, 1), date(the_year, 3, 31), date(the_year, 4, 1), date(the_year, 4, 30),
               date(the_year, 5, 1), date(the_year, 12, 31)]
    periods = [min(d, yesterday) for d in periods]
    largest = max(max(row.values.get("requested") or 0, _granted(row)) for row in group)
    return Round(park_id=first.data["park"].id, title=first.values["round"].strip(), year=the_year,
                 description="导入的历年微创投", budget_fen=budget, committed_fen=grants,
                 max_grant_fen=min(budget, largest), categories=categories, criteria=DEFAULT_CRITERIA,
                 tranche_percents=[100], apply_from=periods[0], apply_until=periods[1], review_from=periods[2],
                 review_until=periods[3], execute_from=periods[4], execute_until=periods[5],
                 created_by_id=user_id)


def _at(day_: date | None) -> datetime | None:
    return to_utc(datetime.combine(day_, time(9))) if day_ else None


def _new_application(rnd: Round, row: PlannedRow, user_id, source: str) -> Application:
    v = row.values
    state = v["status"]
    granted = v.get("granted") if state in GRANTED else None
    decided_on = v.get("decided_on") or min(rnd.review_until, today())
    application = Application(
        round=rnd, round_id=rnd.id, organization_id=row.data["org"].id, title=v["title"].strip()[:120],
        category=v.get("category") or UNCATEGORIZED, requested_fen=v["requested"],
        status="approved" if state == "completed" else state, granted_fen=granted,
        decision_note=f"导入（{source}，第 {row.number} 行）", decided_by_id=user_id, decided_at=_at(decided_on),
        submitted_by_id=user_id, lines=[BudgetLine(position=0, item="项目预算（导入）", amount_fen=v["requested"])])
    if v.get("applied_on"):
        application.created_at = _at(v["applied_on"])
    if granted:
        paid_on = v.get("paid_on") or (decided_on if state in ("completed", "terminated") else None)
        if state == "terminated":
            application.tranches = [Tranche(seq=1, amount_fen=granted, status="paid", paid_on=paid_on,
                                            paid_by_id=user_id)]
        else:
            application.tranches = [
                Tranche(seq=i, amount_fen=part, status="paid" if paid_on else "pending", paid_on=paid_on,
                        paid_by_id=user_id if paid_on else None)
                for i, part in enumerate(split(granted, rnd.tranche_percents), start=1)]
    return application

