"""The figures' counted moves per year, park and category come from rows the database's triggers
write (incubator/dashboard/models.py, migration 0010): they must equal a count of the transitions
joined to their organizations after any write, however it is made, and after folding."""
from datetime import date

from sqlalchemy import delete, extract, func, insert, or_, select, update

from incubator.dashboard import counts
from incubator.dashboard.models import MoveCount
from incubator.extensions import db
from incubator.organizations import merging, services
from incubator.organizations.models import Organization, Transition
from incubator.search import initials


def kept(park_ids=None) -> dict:
    return {(y, m, p, c): n for y, m, p, c, n in counts.move_counts(park_ids, None, 2100)}


def counted(park_ids=None) -> dict:
    """What a full scan says (the figures' query before the kept counts): the truth."""
    year = extract("year", Transition.happened_on)
    stmt = (select(year, Transition.to_stage, Organization.park_id, Organization.category, func.count())
            .join(Organization, Organization.id == Transition.organization_id)
            .where(or_((Transition.to_stage == "applied") & Transition.from_stage.is_(None),
                       (Transition.to_stage == "incubating") & (Transition.from_stage == "reviewing"),
                       Transition.to_stage.in_(("graduated", "exited"))))
            .group_by(year, Transition.to_stage, Organization.park_id, Organization.category))
    if park_ids is not None:
        stmt = stmt.where(Organization.park_id.in_(park_ids))
    return {(int(y), m, p, c): n for y, m, p, c, n in db.session.execute(stmt).all()}


def organizations(n: int, park_id: int, category: str = "社工服务类") -> list[int]:
    rows = [{"name": f"计数服务中心{park_id}-{i}", "name_initials": initials(f"计数服务中心{i}"), "category": category,
             "registration_status": "unregistered", "contact_name": "张芳", "contact_phone": "13912345678",
             "service_area": "", "description": "", "park_id": park_id, "stage": "graduated"} for i in range(n)]
    return list(db.session.scalars(insert(Organization).returning(Organization.id), rows))


def history(org_ids, year: int) -> None:
    """申请 → 评审 → 入园孵化 → 出壳 for each, in `year` (three counted moves, one not)."""
    steps = [(None, "applied", 1), ("applied", "reviewing", 2), ("reviewing", "incubating", 3),
             ("incubating", "graduated", 11)]
    db.session.execute(insert(Transition), [
        {"organization_id": oid, "from_stage": a, "to_stage": b, "happened_on": date(year, month, 1), "note": ""}
        for oid in org_ids for a, b, month in steps])


def test_counts_follow_the_services_moves_transfers_and_edits(make_org, parks, users):
    fangxing, changqing = parks["fangxing"], parks["changqing"]
    org = make_org(park="fangxing", stage="applied")
    services.move(org, "reviewing", user=users["admin"])
    services.move(org, "incubating", user=users["admin"])
    services.transfer(org, changqing, "搬迁", user=users["admin"])
    services.edit(org, {"category": "文体类"}, user=users["admin"])
    services.move(org, "exited", user=users["admin"], note="停止活动")
    assert kept() == counted()
    assert kept([fangxing.id]) == {}
    this_year = date.today().year
    assert {m: n for (y, m, _p, c), n in kept([changqing.id]).items() if y == this_year and c == "文体类"} == {
        "applied": 1, "incubating": 1, "exited": 1}


def test_counts_follow_bulk_writes_of_transitions_and_organizations(parks):
    fangxing, changqing = parks["fangxing"].id, parks["changqing"].id
    ids = organizations(12, fangxing) + organizations(4, changqing, "文体类")
    history(ids[:8], 2023)
    history(ids[8:], 2024)
    db.session.execute(update(Transition).where(Transition.organization_id.in_(ids[:3]), Transition.to_stage == "graduated")
                       .values(happened_on=date(2025, 2, 1)))  # hatched a year later
    db.session.execute(update(Transition).where(Transition.organization_id == ids[3]).values(organization_id=ids[12]))
    db.session.execute(delete(Transition).where(Transition.organization_id == ids[4], Transition.to_stage == "applied"))
    db.session.execute(update(Organization).where(Organization.id.in_(ids[5:10])).values(park_id=changqing))
    db.session.execute(update(Organization).where(Organization.id.in_(ids[6:8])).values(category="文体类"))
    db.session.execute(update(Organization).values(description="改了简介"))  # neither park nor category
    db.session.execute(delete(Organization).where(Organization.id.in_(ids[13:15])))  # their transitions cascade
    db.session.commit()
    assert kept() == counted()
    assert kept([changqing]) == counted([changqing])
    assert sum(kept().values()) == 3 * 14 - 1  # 16 organizations less the 2 deleted, less one 申请


def test_an_organization_deleted_through_the_session_takes_its_moves_with_it(make_org, users):
    org = make_org(park="fangxing", stage="applied")
    services.move(org, "reviewing", user=users["admin"])
    services.move(org, "incubating", user=users["admin"])
    db.session.delete(org)
    db.session.commit()
    assert kept() == counted() == {}


def test_a_merge_moves_the_gone_organizations_moves_to_the_kept_one(make_org, parks, users):
    kept_org = make_org(park="fangxing", stage="applied")
    gone = make_org(park="changqing", stage="applied", category="文体类")
    services.move(gone, "reviewing", user=users["admin"])
    services.move(gone, "incubating", user=users["admin"])
    merging.merge(kept_org, gone, user=users["admin"], note="重复登记")
    db.session.commit()
    assert kept() == counted()
    assert kept([parks["changqing"].id]) == {}


def test_a_rolled_back_write_leaves_the_counts_as_they_were(parks):
    ids = organizations(3, parks["fangxing"].id)
    history(ids, 2024)
    db.session.commit()
    before = kept()
    db.session.execute(update(Organization).values(park_id=parks["changqing"].id))
    db.session.execute(delete(Transition))
    db.session.rollback()
    assert kept() == before == counted()


def test_folding_keeps_the_totals_and_leaves_one_row_per_key(parks, monkeypatch):
    fangxing, changqing = parks["fangxing"].id, parks["changqing"].id
    ids = organizations(10, fangxing)
    history(ids, 2024)
    for i in range(6):
        db.session.execute(update(Organization).where(Organization.id.in_(ids[i::2]))
                           .values(park_id=changqing if i % 2 else fangxing))
    db.session.commit()
    before = kept()
    monkeypatch.setattr(counts, "FOLD_AFTER", 5)
    assert kept() == before == counted()  # this read folds
    rows = db.session.execute(select(func.count()).select_from(MoveCount)
                              .group_by(MoveCount.year, MoveCount.move, MoveCount.park_id, MoveCount.category)).all()
    assert {n for (n,) in rows} == {1}
    assert kept() == before
