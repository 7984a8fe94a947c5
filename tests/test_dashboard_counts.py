"""The dashboard's counts per stage come from rows the database's triggers write with every change
of an organization (incubator/dashboard/models.py): they must equal a count of the organizations
after any write, however it is made, and after folding."""
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, insert, select, update

from incubator.dashboard import counts
from incubator.dashboard.models import StageCount
from incubator.extensions import db
from incubator.organizations import services
from incubator.organizations.models import Organization
from incubator.search import initials


def counted(park_ids=None) -> dict[str, int]:
    """What a full scan of the organizations says: the truth the kept counts must equal."""
    stmt = select(Organization.stage, func.count()).group_by(Organization.stage)
    if park_ids is not None:
        stmt = stmt.where(Organization.park_id.in_(park_ids))
    return dict(db.session.execute(stmt).all())


def rows(n: int, park_id: int, stage: str = "applied") -> list[dict]:
    return [{"name": f"计数社工服务中心{i}", "name_initials": initials(f"计数社工服务中心{i}"), "category": "社工服务类",
             "registration_status": "unregistered", "contact_name": "张芳", "contact_phone": "13912345678",
             "service_area": "", "description": "", "park_id": park_id, "stage": stage} for i in range(n)]


def test_counts_follow_moves_and_transfers_made_through_the_services(make_org, parks, users):
    fangxing, changqing = parks["fangxing"], parks["changqing"]
    org = make_org(park="fangxing", stage="reviewing")
    make_org(park="changqing", stage="incubating")
    assert counts.stage_counts([fangxing.id]) == {"reviewing": 1}
    services.move(org, "incubating", user=users["admin"])
    assert counts.stage_counts([fangxing.id]) == {"incubating": 1}
    services.transfer(org, changqing, "搬迁", user=users["admin"])
    assert counts.stage_counts([fangxing.id]) == {}
    assert counts.stage_counts([changqing.id]) == {"incubating": 2} == counted([changqing.id])
    assert counts.stage_counts(None) == counted()


def test_counts_follow_bulk_inserts_updates_and_deletes(parks):
    fangxing, changqing = parks["fangxing"].id, parks["changqing"].id
    db.session.execute(insert(Organization), rows(30, fangxing) + rows(5, changqing, "incubating"))
    db.session.execute(update(Organization).where(Organization.park_id == fangxing, Organization.id % 3 == 0)
                       .values(stage="reviewing"))
    db.session.execute(update(Organization).where(Organization.park_id == changqing).values(park_id=fangxing))
    db.session.execute(update(Organization).values(description="改了简介"))  # no park or stage change
    db.session.execute(delete(Organization).where(Organization.stage == "reviewing", Organization.id % 2 == 0))
    db.session.commit()
    assert counts.stage_counts([fangxing]) == counted([fangxing])
    assert counts.stage_counts([changqing]) == {}
    assert sum(counts.stage_counts(None).values()) == db.session.scalar(select(func.count()).select_from(Organization))


def test_a_rolled_back_write_leaves_the_counts_as_they_were(parks):
    fangxing = parks["fangxing"].id
    db.session.execute(insert(Organization), rows(3, fangxing))
    db.session.commit()
    db.session.execute(update(Organization).values(stage="reviewing"))
    db.session.rollback()
    assert counts.stage_counts([fangxing]) == {"applied": 3}


def test_folding_keeps_the_totals_and_leaves_one_row_per_park_and_stage(parks, monkeypatch):
    fangxing, changqing = parks["fangxing"].id, parks["changqing"].id
    for i in range(12):
        db.session.execute(insert(Organization), rows(2, fangxing if i % 2 else changqing))
        db.session.execute(update(Organization).where(Organization.id % 5 == i % 5).values(stage="reviewing"))
    db.session.commit()
    before = counts.stage_counts(None)
    monkeypatch.setattr(counts, "FOLD_AFTER", 10)
    assert counts.stage_counts(None) == before == counted()  # this read folds
    kept = db.session.execute(select(StageCount.park_id, StageCount.stage, func.count())
                              .group_by(StageCount.park_id, StageCount.stage)).all()
    assert {n for _park, _stage, n in kept} == {1}
    assert counts.stage_counts(None) == before


class Abandoned(Exception):
    """Raised to roll a write back."""


def test_a_read_inside_a_write_neither_folds_nor_commits_it(parks, monkeypatch):
    from incubator.database import transaction
    fangxing = parks["fangxing"].id
    monkeypatch.setattr(counts, "FOLD_AFTER", 0)
    with pytest.raises(Abandoned):
        with transaction():
            db.session.execute(insert(Organization), rows(2, fangxing))
            assert counts.stage_counts([fangxing]) == {"applied": 2}  # its own write, not yet committed
            raise Abandoned
    assert counts.stage_counts([fangxing]) == {} == counted([fangxing])


def test_a_park_whose_organizations_all_left_counts_nothing_and_can_be_folded_away(parks):
    fangxing = parks["fangxing"].id
    db.session.execute(insert(Organization), rows(4, fangxing))
    db.session.execute(delete(Organization))
    db.session.commit()
    counts.fold()
    assert counts.stage_counts([fangxing]) == {}
    assert db.session.scalar(select(func.count()).select_from(StageCount).where(StageCount.park_id == fangxing)) == 0


def test_the_overdue_count_is_the_organizations_in_incubation_past_their_due_date(make_org, parks):
    past, soon = date.today() - timedelta(days=3), date.today() + timedelta(days=3)
    make_org(park="fangxing", stage="incubating", incubation_start=past - timedelta(days=700), incubation_due=past)
    make_org(park="fangxing", stage="virtual", incubation_start=past - timedelta(days=700), incubation_due=past)
    make_org(park="fangxing", stage="graduated", incubation_start=past - timedelta(days=700), incubation_due=past)
    make_org(park="fangxing", stage="incubating", incubation_start=past, incubation_due=soon)
    make_org(park="changqing", stage="incubating", incubation_start=past - timedelta(days=700), incubation_due=past)
    assert counts.overdue_count([parks["fangxing"].id]) == 2
    assert counts.overdue_count([p.id for p in parks.values()]) == 3


def test_a_manager_who_moved_an_organization_sees_the_new_counts_at_once(make_org, client, login_as):
    org = make_org(park="fangxing", stage="applied")
    login_as("fangxing-mgr")
    assert stage_card(client, "applied") == 1
    response = client.post(f"/orgs/{org.id}/move", data={"move-to_stage": "reviewing", "move-note": "受理"})
    assert response.status_code == 302
    assert (stage_card(client, "applied"), stage_card(client, "reviewing")) == (0, 1)


def stage_card(client, stage: str) -> int:
    """The number on the dashboard's card of `stage` (each card links to the list of that stage)."""
    import re
    page = client.get("/dashboard").get_data(as_text=True)
    found = re.search(rf'stage={stage}[^"]*">\s*<div class="card text-center"><div class="card-body py-2">\s*'
                      rf'<div class="fs-3 fw-bold">(\d+)</div>', page)
    assert found, f"no card for {stage}"
    return int(found.group(1))
