"""Importing volunteers (导入志愿者) for the passport: a community's list of 义粉 from its own
spreadsheet — name, ID number, phone, community. The ID number is checked as on the form
(VolunteerFields: GB 11643 through python-stdnum) and kept as the passport keeps it, only its keyed
hash and its masked copy (idcard.py); the preview shows the masked copy too.

The same ID number in the same community is the same volunteer: the row updates the name and the
phone (or is skipped); the same ID number twice in one file is an error on the second row.

Past points and hours are not brought in: the ledger has no opening entry (an `earn` needs a
service record of one activity, at most 1440 minutes), so a column of them is named and ignored.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from incubator import audit
from incubator.database import insert_ids, transaction
from incubator.db_types import utcnow
from incubator.errors import Conflict
from incubator.extensions import db
from incubator.imports.base import Importer, Outcome, PlannedRow, load_row
from incubator.imports.parks import ParkColumn
from incubator.imports.columns import CellError, Column, Problem, header_key, text
from incubator.permissions import can
from incubator.plugins import enabled_parks, visible_parks

from . import PLUGIN, idcard
from .models import Volunteer
from .schema import VolunteerFields

HEADERS = {"name": "姓名", "id_number": "身份证号", "phone": "手机", "park": "园区"}
# Columns a community's list often has that the passport cannot take in yet (see the docstring).
NOT_YET = ("历史积分", "积分", "服务时长", "服务时数", "累计时长", "日期")


def id_number(cell) -> str:
    """An ID number as typed; one Excel turned into a number has lost its last digits."""
    if isinstance(cell, (int, float)) and not isinstance(cell, bool) and abs(cell) >= 1e14:
        raise CellError("身份证号被 Excel 存成了数字，末几位已丢失：请把该列设为“文本”后重新填写")
    return text(cell)


COLUMNS = (
    Column("姓名", "name", required=True, example="王芳"),
    Column("身份证号", "id_number", parse=id_number, required=True, aliases=("身份证号码", "身份证"),
           example="340111198001011234", hint="18位居民身份证号码；平台只保存脱敏号码和加密摘要。"
           "同一社区内身份证号相同视为同一志愿者。请把该列设为“文本”格式"),
    Column("手机", "phone", required=True, aliases=("手机号", "联系电话", "电话"), example="13955100000"),
    Column("园区", "park", aliases=("社区", "园区代码"), example="fangxing",
           hint="园区代码或名称；空白时为导入时选择的园区"),
)


class VolunteerImporter(Importer):
    kind = "volunteers"
    label = "志愿者"
    description = "义粉护照的志愿者名单：姓名、身份证号、手机（身份证号只保存脱敏号码）"
    columns = COLUMNS
    list_endpoint = "passport.index"
    masked = {"id_number": lambda cell: idcard.mask(str(cell))}  # the bad rows' file holds no ID number

    def url_of(self, record):
        from flask import url_for
        return url_for("passport.passport", volunteer_id=record.id) if isinstance(record, Volunteer) else None

    def shown(self, row, column):
        if column.key == "id_number":  # the raw number is never shown, not even in the preview
            return row.data.get("masked", "")
        if column.key == "park":
            park = row.data.get("park")
            return park.name if park else ""
        return super().shown(row, column)

    def row_label(self, row) -> str:
        return str(row.values.get("name") or "")

    # -- who ----------------------------------------------------------------------------------------
    def may_import(self, user) -> bool:
        return user is None or (user.role in ("admin", "manager") and bool(self.parks_for(user)))

    def parks_for(self, user) -> list:
        if user is None:
            return enabled_parks(PLUGIN)
        return [p for p in visible_parks(user, PLUGIN) if can("passport.manage", p, user=user)]

    # -- checking -----------------------------------------------------------------------------------
    def plan(self, table, *, user, parks, default_park=None):
        plan = super().plan(table, user=user, parks=parks, default_park=default_park)
        later = [h for h in table.header if header_key(h) in {header_key(n) for n in NOT_YET}]
        if later:
            plan.notes.append(f"{'、'.join(later)}暂不能导入（积分流水尚无“期初积分”一类的记录），本次只导入志愿者名单")
        return plan

    def check(self, rows, *, user, parks, default_park):
        park_column = ParkColumn(parks, default_park, what="志愿者", plugin=PLUGIN, plugin_title="义粉护照")
        schema = VolunteerFields()
        seen: dict[str, int] = {}
        planned = []
        for row in rows:
            row = PlannedRow(number=row.number, cells=row.cells, values=row.values, problems=row.problems)
            clean = _check_fields(row, schema)
            park = park_column.of(row)
            row.data = {"clean": clean, "park": park}
            if clean:
                row.data["hash"] = idcard.keyed_hash(clean["id_number"])
                row.data["masked"] = idcard.mask(clean["id_number"])
                del clean["id_number"]  # the raw number goes no further than this check
            if "hash" in row.data:
                if row.data["hash"] in seen:
                    row.problems.append(Problem("身份证号", f"与第 {seen[row.data['hash']]} 行的身份证号相同"))
                else:
                    seen[row.data["hash"]] = row.number
            planned.append(row)
        _match([row for row in planned if not row.bad])
        return planned

    # -- writing ------------------------------------------------------------------------------------
    def write(self, rows, *, user, source):
        creates = [row for row in rows if row.action == "create"]
        updates = [row for row in rows if row.action == "update"]
        with transaction():
            try:
                ids = insert_ids(Volunteer.__table__, (_new_volunteer(row) for row in creates))
            except IntegrityError as exc:  # registered at the counter since the preview
                raise Conflict("导入期间有志愿者在本社区登记了相同的身份证号，请重新预览后再导入") from exc
            audit.record_many("passport.register", "Volunteer", (
                (volunteer_id, f"登记志愿者 {row.data['clean']['name']}({row.data['masked']})（导入）",
                 {"source": source, "row": row.number, "park": row.data["park"].code})
                for volunteer_id, row in zip(ids, creates)), user=user)
            updated = [_update(row, user, source) for row in updates]
            if ids or updated:
                audit.record("passport.import", object_type="import", object_id=source[:60], user=user,
                             summary=f"导入志愿者（{source}）：新登记 {len(ids)} 人，更新 {len(updated)} 人",
                             created=len(ids), updated=len(updated))
        return Outcome.of(rows, created=len(ids), updated=len(updated), ids=list(ids) + [v.id for v in updated])


# -- checking one row ---------------------------------------------------------------------------------

def _check_fields(row: PlannedRow, schema: VolunteerFields) -> dict:
    """Name, phone and ID number through VolunteerFields, as the form checks them (every error)."""
    data = {key: row.values.get(key) or "" for key in ("name", "phone", "id_number")}
    return load_row(row, schema, data, HEADERS)


def _match(rows: list[PlannedRow]) -> None:
    """A row whose ID number the community has already registered is that volunteer."""
    hashes = list({row.data["hash"] for row in rows})
    known = {}
    for start in range(0, len(hashes), 500):
        for volunteer in db.session.scalars(select(Volunteer).where(Volunteer.id_hash.in_(hashes[start:start + 500]))):
            known[(volunteer.park_id, volunteer.id_hash)] = volunteer
    for row in rows:
        volunteer = known.get((row.data["park"].id, row.data["hash"]))
        if volunteer is None:
            continue
        row.match, row.reason = volunteer, "身份证号相同"
        row.match_label = f"{volunteer.name}（护照编号 {volunteer.id}，{volunteer.phone_masked}）"
        row.changes = [HEADERS[key] for key in _changed(volunteer, row)]
        if row.changes:
            row.action, row.choices = "update", ("update", "skip")
        else:
            row.action, row.choices = "unchanged", ()


def _changed(volunteer: Volunteer, row: PlannedRow) -> list[str]:
    clean = row.data["clean"]
    return [key for key in ("name", "phone") if clean.get(key) and getattr(volunteer, key) != clean[key]]


# -- writing one row ------------------------------------------------------------------------------------

def _new_volunteer(row: PlannedRow) -> dict:
    clean = row.data["clean"]
    return {"park_id": row.data["park"].id, "name": clean["name"], "phone": clean["phone"],
            "id_hash": row.data["hash"], "id_masked": row.data["masked"], "user_id": None,
            "balance": 0, "minutes_served": 0, "created_at": utcnow()}


def _update(row: PlannedRow, user, source: str) -> Volunteer:
    volunteer = row.match
    changed = _changed(volunteer, row)
    before = (volunteer.name, volunteer.phone_masked)
    for key in changed:
        setattr(volunteer, key, row.data["clean"][key])
    audit.record("passport.volunteer_edit", volunteer, user=user, summary=f"修改志愿者 {volunteer.name} 的资料（导入）",
                 before=list(before), after=[volunteer.name, volunteer.phone_masked], source=source, row=row.number)
    return volunteer
