"""The checklist's rules: which documents exist, which graduation needs, recording them."""
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select, update

from incubator import audit
from incubator.database import transaction
from incubator.dates import today
from incubator.errors import ValidationError
from incubator.extensions import db
from incubator.files import services as files
from incubator.organizations.models import Organization
from incubator.organizations.stages import ACTIVE_STAGES
from incubator.parks.models import Park

from .models import ChecklistDocument

DOCUMENTS = {
    "registration_certificate": _l("登记证书或备案证明"),
    "charter": _l("组织章程"),
    "incubation_agreement": _l("入园孵化协议"),
    "annual_report": _l("年度工作报告"),
}
REQUIRED_FOR_GRADUATION = ("registration_certificate",)
FILE_OWNER = "checklist_document"  # a scan's StoredFile.owner_type (owner_id: the document's id)


def on_file(org_id: int) -> dict[str, ChecklistDocument]:
    docs = db.session.scalars(select(ChecklistDocument).where(ChecklistDocument.organization_id == org_id))
    return {doc.kind: doc for doc in docs}


def scans(docs) -> dict[int, list]:
    """Each document's attached scans, newest first: {document id: [StoredFile, …]}."""
    return files.files_of(FILE_OWNER, [doc.id for doc in docs])


def document_of_file(stored_file) -> ChecklistDocument | None:
    if stored_file.owner_type != FILE_OWNER:
        return None
    return db.session.get(ChecklistDocument, stored_file.owner_id)


def missing(org_id: int, kinds=REQUIRED_FOR_GRADUATION) -> list[str]:
    have = on_file(org_id)
    return [kind for kind in kinds if kind not in have]


def record(org: Organization, kind: str, received_on: date | None, note: str, *, user, scan=None) -> ChecklistDocument:
    """Record that `kind` was received (again: the date and note are updated), with its scan if
    given (an uploaded file: refused with the whole record when too large or not an allowed type)."""
    if kind not in DOCUMENTS:
        raise ValidationError(_("未知的材料类型"), field="kind")
    if received_on is None or received_on > today():
        raise ValidationError(_("请填写不晚于今天的收到日期"), field="received_on")
    with transaction():
        doc = on_file(org.id).get(kind) or ChecklistDocument(organization_id=org.id, kind=kind)
        doc.received_on, doc.note, doc.recorded_by_id = received_on, (note or "").strip(), user.id
        db.session.add(doc)
        if scan:
            db.session.flush()
            files.store(scan, owner_type=FILE_OWNER, owner_id=doc.id, park_id=org.park_id, user=user)
        audit.record("checklist.record", org, user=user, summary=f"{org.name}: {str(DOCUMENTS[kind])}", kind=kind)
    return doc


def missing_query(park_ids):
    """Organizations in incubation in `park_ids` without the documents graduation needs."""
    lacking = [~exists().where(ChecklistDocument.organization_id == Organization.id,
                               ChecklistDocument.kind == kind) for kind in REQUIRED_FOR_GRADUATION]
    return select(Organization).where(Organization.park_id.in_(park_ids or [-1]),
                                      Organization.stage.in_(ACTIVE_STAGES), or_(*lacking))


def missing_by_org(park_ids, limit: int | None = None) -> list[tuple[Organization, list[str]]]:
    """(organization, missing kinds), soonest due first and those without a due date last, on either
    database — two or three queries however many rows. Each part walks an index in due order and stops
    at the limit: with the dates unsplit SQLite put every undated organization (those never admitted,
    a quarter of them) first and read them all before the first due one."""
    dated = (missing_query(park_ids).where(Organization.incubation_due.is_not(None))
             .order_by(Organization.incubation_due, Organization.id))
    orgs = list(db.session.scalars(dated.limit(limit) if limit else dated))
    if limit is None or len(orgs) < limit:
        undated = missing_query(park_ids).where(Organization.incubation_due.is_(None)).order_by(Organization.id)
        orgs += db.session.scalars(undated.limit(limit - len(orgs)) if limit else undated)
    have: dict[int, set[str]] = {}
    for org_id, kind in db.session.execute(select(ChecklistDocument.organization_id, ChecklistDocument.kind)
                                           .where(ChecklistDocument.organization_id.in_([o.id for o in orgs] or [-1]))):
        have.setdefault(org_id, set()).add(kind)
    return [(org, [k for k in REQUIRED_FOR_GRADUATION if k not in have.get(org.id, set())]) for org in orgs]


def count_missing_due_soon(park_ids=None, days: int = 60, *, up_to: int | None = None) -> int:
    """How many of those are due within `days` (or past due): the managers' to-do, in `park_ids`
    (None: every park). With `up_to`, counting stops past it (at most up_to + 1 is returned): the
    menu counts this on every page and says "99+" — one query either way."""
    from datetime import timedelta

    from incubator.database import count_at_most
    lacking = [~exists().where(ChecklistDocument.organization_id == Organization.id,
                               ChecklistDocument.kind == kind) for kind in REQUIRED_FOR_GRADUATION]
    # Every park named (all of them for None): ranges of ix_organizations_park_stage_due per park
    # and stage, where no park condition read that whole index.
    stmt = select(Organization.id).where(
        Organization.park_id.in_(select(Park.id) if park_ids is None else (list(park_ids) or [-1])),
        Organization.stage.in_(ACTIVE_STAGES), or_(*lacking),
        Organization.incubation_due <= today() + timedelta(days=days))
    if up_to is None:
        return db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    return db.session.scalar(select(count_at_most(stmt, up_to)))


def count_missing(park_ids, up_to: int | None = None) -> int:
    """How many lack them; with `up_to`, counting stops past it (returns at most up_to + 1): the exact
    count reads every organization in incubation, the dashboard's widget says "more than" instead."""
    stmt = missing_query(park_ids).with_only_columns(Organization.id)
    if up_to is not None:
        stmt = stmt.limit(up_to + 1)
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


def fold_duplicates(kept, gone) -> int:
    """A document kind both organizations have on file (one row per organization and kind): kept's
    row stays, gone's scans are attached to it and gone's note, when it says more, is added; gone's
    row goes. Gone's other documents move with the merge."""
    from incubator.files.models import StoredFile
    kept_docs = on_file(kept.id)
    folded = 0
    for kind, doc in on_file(gone.id).items():
        twin = kept_docs.get(kind)
        if twin is None:
            continue
        db.session.execute(update(StoredFile).where(StoredFile.owner_type == FILE_OWNER, StoredFile.owner_id == doc.id)
                           .values(owner_id=twin.id).execution_options(synchronize_session=False))
        note = (doc.note or "").strip()
        if note and note not in (twin.note or ""):
            twin.note = "\n".join(filter(None, [(twin.note or "").strip(), note]))
        db.session.delete(doc)
        folded += 1
    return folded
