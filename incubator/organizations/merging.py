"""Merging duplicates (合并重复组织): two records that are the same organization become one.

The kept organization (`kept`) receives everything that pointed at the other one (`gone`): its
history (transitions, transfers, renewals), its contacts and invitations, and every plugin's records.
Then `gone` is deleted, and the audit log says what moved.

Plugin records are moved without knowing the plugins: every table of the database with a foreign key
to `organizations.id` is re-pointed (read from the database itself, so a disabled plugin's rows move
too). Where a unique constraint that includes the organization would be broken (one checklist
document per kind, one entry assessment, one application per grant round), the rows collide:
- plugins fold their own first, through the `incubator_organizations_merging` hook, where the
  answer is plain (the checklist: the same document kind received twice, kept's row stays and gone's
  scans join it; mentoring: the same expert assigned from the same day, one assignment over the
  longer period);
- anything still colliding refuses the merge, saying what to settle first (a finished entry
  assessment, or a grant application, is not something to throw away silently).

Audit entries about `gone` are pointed at `kept` (their summaries keep the old name) so the log stays
readable after `gone` is deleted; the inbox's links to `gone`'s page are pointed at `kept`'s.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import String, cast, column, func, inspect, select, table, text, update

from .. import audit
from ..audit.models import AuditEntry
from ..database import transaction
from ..errors import Conflict, DomainError, ValidationError
from ..extensions import db
from ..notifications.models import Notice
from ..plugins import hook
from .models import Organization

# The organization's own columns taken from `gone` when `kept` has none.
FILLED_FIELDS = ("uscc", "founded_on", "service_area", "description")
FIELD_LABELS = {"uscc": "统一社会信用代码", "founded_on": "成立日期", "service_area": "服务区域",
                "description": "简介"}

# What the rows of each table are, in users' words ("12 条督导记录"); a table not named here is
# shown by its name. (Only labels: the core reads no plugin's models.)
KIND_LABELS = {
    "transitions": "阶段变更",
    "transfers": "转园记录",
    "renewals": "续驻记录",
    "users": "组织联系人",
    "invitations": "联系人邀请码",
    "mentoring_assignments": "督导指派",
    "mentoring_logs": "督导记录",
    "mentoring_actions": "跟进事项",
    "assessments": "能力评估",
    "certificates": "证书",
    "checklist_documents": "材料",
    "microgrant_applications": "微创投申报",
    "passport_activities": "志愿服务活动",
    "audit_entries": "审计记录",
    "notices": "通知链接",
    "organization_material": "组织材料",
}

# A unique rule still broken after the plugins and the resolutions below: why the merge is refused.
# Keyed by the constraint's name, else by the table.
COLLISION_MESSAGES = {
    "uq_assessments_one_entry": "两个组织都有入园评估，而一个组织只能有一次入园评估",
    "uq_assessments_one_draft": "两个组织都有同一类能力评估的草稿：请先完成或放弃其中一份",
    "microgrant_applications": "两个组织在同一轮微创投中都有申报：请先处理其中一份申报",
}


# Tables derived from an organization's own fields (not records about it): they are not moved; the
# merged organization's rows go with it, and the kept one's follow its fields.
DERIVED = {"organization_search_terms", "organization_search_texts"}


class MergeNotAllowed(DomainError):
    """The user may not merge these organizations (403)."""

    status = 403


@dataclass
class MergeResult:
    """What a merge did: the kept organization, who was merged into it, and the counts per kind."""

    kept: Organization
    gone_id: int
    gone_name: str
    moved: dict[str, int] = field(default_factory=dict)
    resolved: dict[str, int] = field(default_factory=dict)
    filled: list[str] = field(default_factory=list)


def label(table_name: str) -> str:
    return KIND_LABELS.get(table_name, table_name)


# -- checks ----------------------------------------------------------------------------------

def check(kept: Organization | None, gone: Organization | None, *, user) -> None:
    """Raise unless `user` may merge `gone` into `kept`: MergeNotAllowed (403), ValidationError,
    Conflict — each saying why in Chinese."""
    from ..permissions import can
    if kept is not None and gone is not None and kept.park_id != gone.park_id \
            and getattr(user, "role", None) != "admin":
        raise MergeNotAllowed(f"两个组织不在同一园区（{kept.park.name}、{gone.park.name}）："
                              "只有区级管理员可以合并不同园区的组织。")
    if not can("org.merge", user=user):
        raise MergeNotAllowed("只有区级管理员可以合并重复组织。")
    if kept is None or gone is None:
        raise ValidationError("请选择要合并的重复组织。", field="duplicate_id")
    if kept.id == gone.id:
        raise ValidationError("不能把组织与它自己合并：请选择另一个重复的组织。", field="duplicate_id")
    if kept.uscc and gone.uscc and kept.uscc != gone.uscc:
        raise Conflict(f"两个组织的统一社会信用代码不同（{kept.uscc}、{gone.uscc}），不是同一个组织，不能合并。",
                       field="duplicate_id")


# -- what points at an organization ------------------------------------------------------------

def references() -> list[tuple[str, str]]:
    """(table, column) of every foreign key to organizations.id in the database, in table order."""
    inspector = inspect(db.session.connection())
    found = []
    for name in sorted(inspector.get_table_names()):
        for fk in inspector.get_foreign_keys(name):
            if name in DERIVED:
                continue
            if fk.get("referred_table") == "organizations" and fk.get("referred_columns") == ["id"]:
                found.extend((name, col) for col in fk["constrained_columns"])
    return found


def _audit_about(org_id: int):
    """Audit entries about the organization: their object, or the organization a plugin noted."""
    noted = cast(AuditEntry.details["organization_id"].as_string(), String)
    return select(AuditEntry).where(
        ((AuditEntry.object_type == "Organization") & (AuditEntry.object_id == str(org_id)))
        | (noted == str(org_id)))


def _links_to(org_id: int):
    path = f"/orgs/{org_id}"
    return select(Notice).where((Notice.link == path) | Notice.link.startswith(path + "/")
                                | Notice.link.startswith(path + "#") | Notice.link.startswith(path + "?"))


def preview(kept: Organization, gone: Organization) -> list[tuple[str, int]]:
    """What would move from `gone` to `kept`, as (label, count) for each kind with rows (a few
    counting queries: one per table that points at organizations)."""
    counts: dict[str, int] = {}
    for name, col in references():
        n = db.session.scalar(select(func.count()).select_from(table(name, column(col)))
                              .where(column(col) == gone.id))
        if n:
            counts[label(name)] = counts.get(label(name), 0) + n
    n = db.session.scalar(select(func.count()).select_from(_audit_about(gone.id).subquery()))
    if n:
        counts[label("audit_entries")] = n
    return list(counts.items())


def filled_fields(kept: Organization, gone: Organization) -> list[str]:
    """The fields `kept` lacks and `gone` has: they are taken from `gone`."""
    return [f for f in FILLED_FIELDS if not getattr(kept, f) and getattr(gone, f)]


def _unique_rules(tbl, col_name: str):
    """(key, other columns, where) of each unique constraint or unique index of `tbl` that includes
    the organization column `col_name` (with its partial-index condition, if any)."""
    from sqlalchemy import UniqueConstraint
    for constraint in tbl.constraints:
        if isinstance(constraint, UniqueConstraint):
            names = [c.name for c in constraint.columns]
            if col_name in names:
                yield constraint.name or tbl.name, [n for n in names if n != col_name], None
    for index in tbl.indexes:
        names = [c.name for c in index.columns]
        if index.unique and col_name in names:
            where = index.dialect_options["postgresql"].get("where")
            if where is None:
                where = index.dialect_options["sqlite"].get("where")
            yield index.name or tbl.name, [n for n in names if n != col_name], where


def _keys(tbl, col_name: str, org_id: int, others: list[str], where) -> set[tuple]:
    # A rule on the organization alone (one entry assessment each) selects the organization column
    # and compares empty tuples: any row of each collides.
    stmt = select(*[tbl.c[n] for n in others], tbl.c[col_name]).where(tbl.c[col_name] == org_id)
    if where is not None:
        stmt = stmt.where(text(str(where)) if isinstance(where, str) else where)
    return {tuple(row)[:-1] for row in db.session.execute(stmt)}


def collisions_left(kept: Organization, gone: Organization, *, user) -> list[str]:
    """What would still refuse the merge once the plugins have folded their duplicates: the plugins'
    folding is done in a savepoint and rolled back (the page asks before anything is merged)."""
    nested = db.session.begin_nested()
    try:
        _fold(kept, gone, user)
        db.session.flush()
        return collisions(kept, gone)
    finally:
        nested.rollback()


def _fold(kept, gone, user) -> dict[str, int]:
    folded: dict[str, int] = {}
    for answer in hook().incubator_organizations_merging(kept=kept, gone=gone, user=user):
        for kind, n in (answer or {}).items():
            folded[str(kind)] = folded.get(str(kind), 0) + n
    return folded


def collisions(kept: Organization, gone: Organization) -> list[str]:
    """Why the rows of `gone` cannot join `kept`'s (a unique rule of a model would be broken); empty
    when nothing collides."""
    found = []
    for tbl in db.metadata.sorted_tables:
        for fk in tbl.foreign_keys:
            if fk.column.table.name != "organizations" or fk.column.name != "id" or tbl.name in DERIVED:
                continue
            col_name = fk.parent.name
            for key, others, where in _unique_rules(tbl, col_name):
                if _keys(tbl, col_name, kept.id, others, where) & _keys(tbl, col_name, gone.id, others, where):
                    found.append(COLLISION_MESSAGES.get(key) or COLLISION_MESSAGES.get(tbl.name)
                                 or f"两个组织在“{label(tbl.name)}”中有相同的记录（{'、'.join(others) or '每个组织只能有一条'}）")
    return list(dict.fromkeys(found))


# -- the merge --------------------------------------------------------------------------------

def merge(kept: Organization, gone: Organization, *, user, note: str = "") -> MergeResult:
    """Merge `gone` into `kept` (see the module's docstring) in one transaction, and delete `gone`.
    Raises MergeNotAllowed, ValidationError or Conflict (nothing written) when refused."""
    check(kept, gone, user=user)
    result = MergeResult(kept=kept, gone_id=gone.id, gone_name=gone.name)
    gone_park = gone.park.name
    with transaction():
        result.resolved = _fold(kept, gone, user)
        db.session.flush()
        if problems := collisions(kept, gone):
            raise Conflict("不能合并：" + "；".join(problems) + "。", reasons=problems)

        result.filled = filled_fields(kept, gone)
        values = {f: getattr(gone, f) for f in result.filled}
        if "uscc" in values:
            gone.uscc = None  # the code is unique: free it before kept takes it
            db.session.flush()
        for key, value in values.items():
            setattr(kept, key, value)
        db.session.flush()

        for name, col in references():
            moved = db.session.execute(update(table(name, column(col))).where(column(col) == gone.id)
                                       .values({col: kept.id}).execution_options(synchronize_session=False))
            if moved.rowcount:
                result.moved[label(name)] = result.moved.get(label(name), 0) + moved.rowcount
        entries = list(db.session.scalars(_audit_about(gone.id)))
        for entry in entries:
            if entry.object_type == "Organization" and entry.object_id == str(gone.id):
                entry.object_id = str(kept.id)
            details = dict(entry.details or {})
            if str(details.get("organization_id")) == str(gone.id):
                details["organization_id"] = kept.id
                entry.details = details
        if entries:
            result.moved[label("audit_entries")] = len(entries)
        # The organization's own materials (the portal's uploads) are filed under its id.
        from ..files.models import StoredFile
        materials = db.session.execute(
            update(StoredFile).where(StoredFile.owner_type == "organization_material", StoredFile.owner_id == gone.id)
            .values(owner_id=kept.id).execution_options(synchronize_session=False)).rowcount
        if materials:
            result.moved[label("organization_material")] = materials
        notices = list(db.session.scalars(_links_to(gone.id)))
        for notice in notices:
            notice.link = f"/orgs/{kept.id}" + notice.link[len(f"/orgs/{gone.id}"):]
        if notices:
            result.moved[label("notices")] = len(notices)
        db.session.flush()

        # What the session holds of gone's rows is stale now: read gone afresh (no transitions left
        # for its cascade) and delete it.
        db.session.expire_all()
        db.session.delete(db.session.get(Organization, gone.id))
        audit.record("org.merge", kept, user=user,
                     summary=f"{result.gone_name}（#{result.gone_id}）并入 {kept.name}（#{kept.id}）",
                     kept_id=kept.id, kept_name=kept.name, gone_id=result.gone_id, gone_name=result.gone_name,
                     gone_park=gone_park, moved=result.moved, resolved=result.resolved,
                     filled=result.filled, note=(note or "").strip())
    db.session.refresh(kept)
    return result


def candidates(kept: Organization, q: str = "", limit: int = 20) -> list[tuple[Organization, str]]:
    """Organizations that may be `kept`'s duplicate: those `find_matches` suggests (with why:
    "uscc", "name_phone", "name"), then, when `q` is given, those whose name, USCC or pinyin
    initials match it ("search")."""
    from . import search_index
    from .matching import find_matches
    found = [(m.organization, m.reason) for m in find_matches(kept.name, kept.uscc, kept.contact_phone,
                                                              park=kept.park_id)
             if m.organization.id != kept.id]
    q = (q or "").strip()
    if q:
        seen = {org.id for org, _reason in found}
        stmt = search_index.search(select(Organization).where(Organization.id != kept.id), q).limit(limit)
        found += [(org, "search") for org in db.session.scalars(stmt) if org.id not in seen]
    return found[:limit]

