"""Importing organizations with their history (导入社会组织): each row is checked through the same
schema as the forms and the API, matched against the district's organizations (matching.py), and
written with the transitions its dates tell — dated by the day each happened, recorded now.

An import writes history, it does not act it out: no notices go to contacts and plugins are not told
of each move (`incubator_transition_done`), as they would be for a move made today.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..database import insert_ids, transaction
from ..dates import show_date, today
from ..db_types import utcnow
from ..errors import Conflict
from ..extensions import db
from ..imports.base import Importer, Outcome, PlannedRow, load_row
from ..imports.columns import Problem
from ..imports.parks import ParkColumn
from ..parks.models import Park
from ..permissions import can
from ..search import initials
from . import search_index, stages
from .matching import normalized_name, phone_digits
from .models import REGISTRATION_STATUSES, Organization, Transition
from .schema import OrganizationFields
from .services import add_years, incubation_years
from .sheet import COLUMNS, HEADERS, history_dates

FIELDS = tuple(OrganizationFields().load_fields)
BATCH = 1000  # organizations per INSERT
STARTED = ("incubating", "virtual", "graduated", "exited")  # stages that went through 入园
# The path each final stage took, as (from, to, which date): reviewing is dated by the application.
PATHS = {
    "applied": (),
    "reviewing": (("applied", "reviewing", "applied_on"),),
    "withdrawn": (("applied", "withdrawn", "ended_on"),),
    "rejected": (("applied", "reviewing", "applied_on"), ("reviewing", "rejected", "ended_on")),
    "incubating": (("applied", "reviewing", "applied_on"), ("reviewing", "incubating", "incubation_start")),
}
PATHS["virtual"] = PATHS["incubating"] + (("incubating", "virtual", "incubation_start"),)
PATHS["graduated"] = PATHS["incubating"] + (("incubating", "graduated", "graduated_on"),)
PATHS["exited"] = PATHS["incubating"] + (("incubating", "exited", "ended_on"),)
REASONS = {"uscc": "统一社会信用代码相同", "name_phone": "名称和联系电话相同", "name": "名称相同"}
CHOICES = {"uscc": ("update", "skip"), "name_phone": ("update", "skip", "create"),
           "name": ("skip", "update", "create")}  # the first is what the row does unless told


@dataclass
class Existing:
    id: int
    name: str
    uscc: str | None
    phone: str
    park_id: int


class OrganizationImporter(Importer):
    kind = "organizations"
    label = "社会组织"
    description = "组织及其孵化历程：申请、入园、到期、出壳或退出的日期"
    columns = COLUMNS
    list_endpoint = "organizations.index"
    preview_keys = ("name", "category", "contact_name", "park", "stage", "applied_on", "incubation_start",
                    "graduated_on")

    def shown(self, row, column):
        if column.key == "registration_status" and row.values.get(column.key):
            return REGISTRATION_STATUSES[row.values[column.key]]
        if column.key == "park" and row.data.get("park") is not None:
            return row.data["park"].name
        if column.key == "stage":
            return stages.label(row.values.get("stage") or "applied")
        worked_out = (row.data.get("history") or {}).get(column.key)
        if column.key in ("applied_on", "incubation_due") and worked_out and not row.values.get(column.key):
            return show_date(worked_out)  # as it will be written (the earliest date; start + years)
        return super().shown(row, column)

    def url_of(self, record):
        from flask import url_for
        return url_for("organizations.detail", org_id=record.id) if isinstance(record, Organization) else None

    def may_import(self, user) -> bool:
        return bool(self.parks_for(user))

    def parks_for(self, user) -> list:
        parks = list(db.session.scalars(select(Park).order_by(Park.id)))
        return parks if user is None else [park for park in parks if can("org.create", park, user=user)]

    # -- checking -----------------------------------------------------------------------------------
    def check(self, rows, *, user, parks, default_park):
        allowed = {park.id for park in parks}
        park_column = ParkColumn(parks, default_park, what="组织")
        known = _Known.load()
        first_seen: dict[str, int] = {}
        schema = OrganizationFields()
        planned = []
        for row in rows:
            row = PlannedRow(number=row.number, cells=row.cells, values=row.values, problems=row.problems)
            clean = _check_fields(row, schema)
            park = park_column.of(row)
            history = _check_history(row)
            row.data = {"clean": clean, "park": park, "history": history}
            if not row.bad:
                _check_repeat(row, clean, first_seen)
            if not row.bad:
                _match(row, clean, known, allowed)
            planned.append(row)
        _compare(planned)
        return planned

    # -- writing ------------------------------------------------------------------------------------
    def write(self, rows, *, user, source):
        """Core INSERTs, a few statements per thousand rows (the ORM's unit of work would hold every
        organization, transition and audit entry of a 10,000-row file in memory at once)."""
        creates = [row for row in rows if row.action == "create"]
        updates = [row for row in rows if row.action == "update"]
        with transaction():
            try:
                ids = insert_ids(Organization.__table__, (_new_organization(row) for row in creates), batch=BATCH)
            except IntegrityError as exc:  # a USCC registered by someone else since the preview
                raise Conflict("导入期间有其他人登记了相同的统一社会信用代码，请重新预览后再导入") from exc
            search_index.refresh(ids)  # (Core INSERTs: the session's listener does not see them)
            for start in range(0, len(ids), BATCH):  # their histories, a batch of organizations at a time
                db.session.execute(insert(Transition.__table__), [
                    move for org_id, row in zip(ids[start:start + BATCH], creates[start:start + BATCH])
                    for move in _transitions(org_id, row, user, source)])
            audit.record_many("org.create", "Organization", (
                (org_id, f"{row.data['clean']['name']} → {row.data['park'].name}（导入）",
                 {"source": source, "row": row.number}) for org_id, row in zip(ids, creates)), user=user)
            updated = [_update(row, user, source) for row in updates]
            if ids or updated:
                audit.record("org.import", object_type="import", object_id=source[:60], user=user,
                             summary=f"导入社会组织（{source}）：新建 {len(ids)} 家，更新 {len(updated)} 家",
                             created=len(ids), updated=len(updated))
        return Outcome.of(rows, created=len(ids), updated=len(updated), ids=list(ids) + [org.id for org in updated])


# -- checking one row ------------------------------------------------------------------------------

def _check_fields(row: PlannedRow, schema: OrganizationFields) -> dict:
    """The organization's own fields through OrganizationFields (every error, by header)."""
    values = row.values
    data = {key: values.get(key) or "" for key in FIELDS if key in values}
    data["uscc"] = values.get("uscc") or None
    if "founded_on" in data:
        data["founded_on"] = values["founded_on"].isoformat() if values.get("founded_on") else None
    data = {key: value for key, value in data.items() if key in values or key == "uscc"}
    return load_row(row, schema, data, HEADERS)


def _check_history(row: PlannedRow) -> dict:
    """The stage and its dates, in order and complete for the stage; the due date filled in."""
    v = row.values
    stage = v.get("stage") or "applied"
    label = stages.label(stage)
    dates = {key: v.get(key) for key in ("applied_on", "incubation_start", "incubation_due",
                                         "graduated_on", "ended_on")}
    problem = row.problems.append
    for key, value in dates.items():
        if value and key != "incubation_due" and value > today():
            problem(Problem(HEADERS[key], "不能晚于今天"))
    wanted = {"incubation_start": stage in STARTED, "graduated_on": stage == "graduated",
              "ended_on": stage == "exited"}
    for key, needed in wanted.items():
        if needed and not dates[key] and not any(p.header == HEADERS[key] for p in row.problems):
            problem(Problem(HEADERS[key], f"阶段为“{label}”时必须填写"))
    if dates["incubation_start"] and stage not in STARTED:
        problem(Problem(HEADERS["incubation_start"], f"阶段为“{label}”时不应有入园日期"))
    if dates["incubation_due"] and stage not in STARTED:
        problem(Problem(HEADERS["incubation_due"], f"阶段为“{label}”时不应有到期日期"))
    if dates["graduated_on"] and stage != "graduated":
        problem(Problem(HEADERS["graduated_on"], "只有阶段为“出壳”时才填写出壳日期"))
    if dates["ended_on"] and stage not in ("exited", "rejected", "withdrawn"):
        problem(Problem(HEADERS["ended_on"], "只有阶段为退出、未通过或撤回时才填写退出日期"))
    dates["applied_on"] = dates["applied_on"] or min(
        [d for d in (dates["incubation_start"], dates["ended_on"], dates["graduated_on"]) if d] or [today()])
    order = [("applied_on", "incubation_start"), ("applied_on", "ended_on"), ("incubation_start", "graduated_on"),
             ("incubation_start", "ended_on")]
    for earlier, later in order:
        if dates[earlier] and dates[later] and dates[later] < dates[earlier]:
            problem(Problem(HEADERS[later], f"不能早于{HEADERS[earlier]}"))
    if dates["incubation_start"] and dates["incubation_due"] and dates["incubation_due"] <= dates["incubation_start"]:
        problem(Problem(HEADERS["incubation_due"], "应晚于入园日期"))
    if dates["incubation_start"] and not dates["incubation_due"]:
        dates["incubation_due"] = add_years(dates["incubation_start"], incubation_years())
    dates["ended_on"] = dates["ended_on"] or (dates["applied_on"] if stage in ("rejected", "withdrawn") else None)
    return {"stage": stage, **dates}


def _check_repeat(row: PlannedRow, clean: dict, first_seen: dict) -> None:
    """The same organization twice in one file is an error on the second row."""
    keys = [f"uscc:{clean['uscc']}"] if clean.get("uscc") else []
    keys.append(f"name:{normalized_name(clean['name'])}")
    for key in keys:
        if key in first_seen:
            row.problems.append(Problem("", f"与第 {first_seen[key]} 行是同一组织"))
            return
    for key in keys:
        first_seen[key] = row.number


class _Known:
    """The district's organizations, as few columns as matching needs, read once per import."""

    def __init__(self, rows):
        self.by_uscc: dict[str, Existing] = {}
        self.by_name: dict[str, list[Existing]] = {}
        for row in rows:
            known = Existing(*row)
            if known.uscc:
                self.by_uscc[known.uscc] = known
            self.by_name.setdefault(normalized_name(known.name), []).append(known)

    @classmethod
    def load(cls):
        return cls(db.session.execute(select(Organization.id, Organization.name, Organization.uscc,
                                             Organization.contact_phone, Organization.park_id)
                                      .order_by(Organization.id)))

    def match(self, clean: dict, park_id) -> tuple[Existing, str] | None:
        if clean.get("uscc") and clean["uscc"] in self.by_uscc:
            return self.by_uscc[clean["uscc"]], "uscc"
        same = [k for k in self.by_name.get(normalized_name(clean["name"]), ())
                if not (clean.get("uscc") and k.uscc)]  # two different codes: two organizations
        if not same:
            return None
        digits = phone_digits(clean.get("contact_phone"))
        phoned = [k for k in same if digits and phone_digits(k.phone) == digits]
        best = sorted(phoned or same, key=lambda k: (k.park_id != park_id, k.id))[0]
        return best, "name_phone" if phoned else "name"


def _match(row: PlannedRow, clean: dict, known: _Known, allowed) -> None:
    park = row.data["park"]
    found = known.match(clean, park.id if park else None)
    if found is None:
        return
    existing, reason = found
    row.match, row.reason = existing, REASONS[reason]
    if existing.park_id not in allowed:
        row.action, row.choices = "skip", ()
        row.notes.append("该组织已在其他园区登记，你无权更新，此行将跳过")
    else:
        row.choices = CHOICES[reason]
        row.action = row.choices[0]


def _compare(rows: list[PlannedRow]) -> None:
    """For each matched row: what an update would change; a row that changes nothing is unchanged."""
    matched = [row for row in rows if row.match is not None and not row.bad]
    ids = [row.match.id for row in matched]
    orgs = {}
    for start in range(0, len(ids), 500):
        for org in db.session.scalars(select(Organization).where(Organization.id.in_(ids[start:start + 500]))):
            orgs[org.id] = org
    dates = history_dates(ids)
    for row in matched:
        org = orgs[row.match.id]
        row.match = org
        row.match_label = f"{org.name}（{org.park.name}，{stages.label(org.stage)}）"
        row.changes = [HEADERS[key] for key in _changed(org, row)]
        if row.choices and not row.changes:  # the same organization, as the platform has it
            row.action, row.choices = "unchanged", ()
        history = row.data["history"]
        known = dates.get(org.id, {})
        told = {"stage": org.stage, "applied_on": known.get("applied_on"),
                "incubation_start": org.incubation_start, "incubation_due": org.incubation_due,
                "graduated_on": known.get("graduated_on"), "ended_on": known.get("ended_on")}
        differs = [HEADERS.get(key, "阶段") for key in told  # what the file says, not the defaults
                   if row.values.get(key) and history[key] != told[key]]
        if differs:
            row.notes.append("、".join(differs) + "与平台记录不同：孵化历程以平台记录为准，请在组织页面变更")


# -- writing one row --------------------------------------------------------------------------------

def _new_organization(row: PlannedRow) -> dict:
    clean, history = row.data["clean"], row.data["history"]
    started = history["stage"] in STARTED
    recorded = utcnow()
    return {**clean, "park_id": row.data["park"].id, "stage": history["stage"],
            "name_initials": initials(clean["name"]), "created_at": recorded, "updated_at": recorded,
            "incubation_start": history["incubation_start"] if started else None,
            "incubation_due": history["incubation_due"] if started else None}


def _transitions(org_id: int, row: PlannedRow, user, source: str) -> list[dict]:
    history = row.data["history"]
    moved = {"organization_id": org_id, "user_id": getattr(user, "id", None), "created_at": utcnow(),
             "note": f"导入（{source}，第 {row.number} 行）"}
    moves = [{**moved, "from_stage": None, "to_stage": "applied", "happened_on": history["applied_on"]}]
    for from_stage, to_stage, key in PATHS[history["stage"]]:
        moves.append({**moved, "from_stage": from_stage, "to_stage": to_stage, "happened_on": history[key]})
    return moves


def _changed(org: Organization, row: PlannedRow) -> list[str]:
    """The fields an update changes: those the file fills (an empty cell never clears what the
    platform has) with another value — a name only when it is another name, not another spelling."""
    clean = row.data["clean"]
    return [key for key, value in clean.items()
            if row.values.get(key) not in (None, "") and getattr(org, key) != value
            and not (key == "name" and normalized_name(value) == normalized_name(org.name))]


def _update(row: PlannedRow, user, source: str) -> Organization:
    org = row.match
    changed = _changed(org, row)
    for key in changed:
        setattr(org, key, row.data["clean"][key])
    if "name" in changed:
        org.name_initials = initials(org.name)
    audit.record("org.edit", org, user=user, summary=f"{org.name}（导入更新）", changed=sorted(changed),
                 source=source, row=row.number)
    return org
