"""Merging duplicates (合并重复组织): the kept organization receives the other's history, contacts,
invitations and every plugin's records; the other is deleted; the audit log says what moved."""
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from incubator.audit.labels import targets
from incubator.audit.models import AuditEntry
from incubator.errors import Conflict, DomainError, ValidationError
from incubator.extensions import db
from incubator.files.models import StoredFile
from incubator.hookspecs import hookimpl
from incubator.notifications.models import Notice
from incubator.organizations import contacts, merging
from incubator.organizations.merging import MergeNotAllowed
from incubator.organizations.models import Organization, Renewal, Transfer, Transition
from incubator.users.models import Invitation, User
from incubator.validators import make_uscc

USCC = make_uscc("91340100MA2N0X0Q")
OTHER_USCC = make_uscc("52340111MJB12345")
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def admin(users):
    return users["admin"]


@pytest.fixture
def pair(make_org):
    """方兴's organization as registered by the park, and the same group again from an application."""
    kept = make_org(park="fangxing", stage="incubating", name="方兴邻里互助会", service_area="")
    gone = make_org(park="fangxing", stage="reviewing", name="方兴邻里互助会（筹）", uscc=USCC,
                    founded_on=date(2020, 5, 4), service_area="方兴社区", description="邻里互助、助老")
    return kept, gone


def count(model, **where):
    stmt = select(func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return db.session.scalar(stmt)


def scan(name="章程.pdf"):
    return FileStorage(io.BytesIO(PDF), filename=name, content_type="application/pdf")


# -- everything moves ---------------------------------------------------------------------------

def test_every_kind_of_record_moves_to_the_kept_organization(pair, users, admin):
    from plugins.assessment import services as assessment
    from plugins.certificates import services as certificates
    from plugins.certificates.models import Certificate
    from plugins.checklist import services as checklist
    from plugins.checklist.models import ChecklistDocument
    from plugins.mentoring import assigning
    from plugins.mentoring import services as mentoring
    from plugins.mentoring.models import FollowUpAction, MentorAssignment, SupervisionLog
    from plugins.passport import services as passport
    from plugins.passport.models import Activity
    kept, gone = pair
    mgr, expert = users["fangxing-mgr"], users["expert-li"]
    gone_id = gone.id
    # history
    db.session.add(Renewal(organization_id=gone.id, old_due=date(2027, 1, 1), new_due=date(2027, 6, 1),
                           reason="场地改造", user_id=mgr.id))
    db.session.add(Transfer(organization_id=gone.id, from_park_id=users["district-mgr"].parks[0].id,
                            to_park_id=gone.park_id, user_id=admin.id, note="转入方兴"))
    # who speaks for it, and an invitation still open
    users["trainee-wang"].organization_id = gone.id
    db.session.commit()
    invitation, _code = contacts.create_invitation(gone, user=mgr)
    # plugins' records
    assigning.assign(gone, expert, date.today() - timedelta(days=30), None, user=mgr)
    log = mentoring.create_log(gone, {
        "held_on": date.today() - timedelta(days=1), "hours": "2", "mode": "onsite", "topics": ["内部治理"],
        "findings": "台账不全", "advice": "补齐", "actions": [
            {"description": "补齐会议纪要", "owner": "张芳", "due_on": date.today() + timedelta(days=14)}]},
        user=expert)
    started = assessment.start(gone, "entry", expert, date.today(), user=mgr)
    doc = checklist.record(gone, "charter", date.today(), "原件已核", user=mgr, scan=scan())
    gone.incubation_start, gone.incubation_due = date(2024, 3, 1), date(2026, 3, 1)
    db.session.commit()
    cert, _new = certificates.issue_for_graduation(gone)
    activity = passport.create_activity(gone.park, {"title": "楼道清洁日", "held_on": date.today(), "place": "党群服务中心",
                                                    "organization_id": gone.id}, user=mgr)
    notice = Notice(kind="org.stage_moved", subject="阶段变更", link=f"/orgs/{gone.id}#timeline")
    db.session.add(notice)
    db.session.commit()

    result = merging.merge(kept, gone, user=admin, note="同一组织，申请时重复登记")

    assert db.session.get(Organization, gone_id) is None
    assert count(Transition, organization_id=kept.id) == 2
    assert count(Renewal, organization_id=kept.id) == 1 and count(Transfer, organization_id=kept.id) == 1
    assert db.session.get(User, users["trainee-wang"].id).organization_id == kept.id
    assert db.session.get(Invitation, invitation.id).organization_id == kept.id
    assert db.session.get(MentorAssignment, assigning.assignments(kept.id)[0].id).organization_id == kept.id
    assert db.session.get(SupervisionLog, log.id).organization_id == kept.id
    assert count(FollowUpAction, organization_id=kept.id) == 1
    assert assessment.for_org(kept.id)[0].id == started.id
    assert db.session.get(ChecklistDocument, doc.id).organization_id == kept.id
    assert db.session.scalar(select(StoredFile.owner_id).where(StoredFile.owner_type == "checklist_document")) == doc.id
    assert db.session.get(Certificate, cert.id).organization_id == kept.id
    assert db.session.get(Activity, activity.id).organization_id == kept.id
    assert db.session.get(Notice, notice.id).link == f"/orgs/{kept.id}#timeline"
    assert result.moved["阶段变更"] == 1 and result.moved["督导记录"] == 1 and result.moved["组织联系人"] == 1
    for table_name, column in merging.references():  # nothing anywhere still names the deleted one
        assert not db.session.execute(select(func.count()).select_from(db.table(table_name, db.column(column)))
                                      .where(db.column(column) == gone_id)).scalar(), table_name


def test_the_kept_organization_keeps_its_fields_and_fills_the_empty_ones(pair, admin):
    kept, gone = pair
    kept_name, kept_stage, kept_due = kept.name, kept.stage, kept.incubation_due
    result = merging.merge(kept, gone, user=admin)
    assert (kept.name, kept.stage, kept.incubation_due) == (kept_name, kept_stage, kept_due)
    # the USCC moved although it is unique (gone's was cleared first)
    assert (kept.uscc, kept.founded_on, kept.service_area, kept.description) == (
        USCC, date(2020, 5, 4), "方兴社区", "邻里互助、助老")
    assert set(result.filled) == {"uscc", "founded_on", "service_area", "description"}


def test_fields_the_kept_organization_has_are_not_overwritten(make_org, admin):
    kept = make_org(park="fangxing", name="方兴助老服务社", service_area="滨湖", description="助老")
    gone = make_org(park="fangxing", name="方兴助老服务社", service_area="方兴社区", description="别的")
    merging.merge(kept, gone, user=admin)
    assert (kept.service_area, kept.description) == ("滨湖", "助老")


# -- conflicts ----------------------------------------------------------------------------------

def test_a_document_kind_both_have_on_file_becomes_one_with_both_scans(pair, users, admin):
    from plugins.checklist import services as checklist
    from plugins.checklist.models import ChecklistDocument
    kept, gone = pair
    mgr = users["fangxing-mgr"]
    mine = checklist.record(kept, "charter", date.today(), "复印件", user=mgr, scan=scan("章程一.pdf"))
    checklist.record(gone, "charter", date.today(), "原件已核", user=mgr, scan=scan("章程二.pdf"))
    checklist.record(gone, "annual_report", date.today(), "", user=mgr)
    assert merging.collisions(kept, gone)  # the checklist folds them (its incubator_organizations_merging)
    assert merging.collisions_left(kept, gone, user=admin) == []
    assert len(db.session.scalars(select(ChecklistDocument)).all()) == 3  # the page's question changed nothing
    result = merging.merge(kept, gone, user=admin)
    docs = {d.kind: d for d in db.session.scalars(select(ChecklistDocument))}
    assert set(docs) == {"charter", "annual_report"} and docs["charter"].id == mine.id
    assert docs["charter"].note == "复印件\n原件已核"
    assert count(StoredFile, owner_type="checklist_document", owner_id=mine.id) == 2
    assert result.resolved == {"材料": 1}


def test_the_same_expert_assigned_to_both_from_the_same_day_is_one_assignment(pair, users, admin):
    from plugins.mentoring import assigning
    kept, gone = pair
    day = date.today() - timedelta(days=10)
    assigning.assign(kept, users["expert-li"], day, date.today() + timedelta(days=30), user=users["fangxing-mgr"])
    assigning.assign(gone, users["expert-li"], day, None, user=users["fangxing-mgr"])
    merging.merge(kept, gone, user=admin)
    [only] = assigning.assignments(kept.id)
    assert only.ends_on is None  # the longer period: open-ended


def test_two_entry_assessments_refuse_the_merge_and_nothing_changes(pair, users, admin):
    from plugins.assessment import services as assessment
    kept, gone = pair
    for org in pair:
        assessment.start(org, "entry", users["expert-li"], date.today(), user=users["fangxing-mgr"])
    assert merging.collisions(kept, gone)
    with pytest.raises(Conflict, match="两个组织都有入园评估"):
        merging.merge(kept, gone, user=admin)
    assert db.session.get(Organization, gone.id) is not None
    assert len(assessment.for_org(gone.id)) == 1 and gone.uscc == USCC
    assert count(AuditEntry, action="org.merge") == 0


def test_two_applications_to_the_same_grant_round_refuse_the_merge(make_org, users, admin):
    from plugins.microgrant import services as microgrant
    from plugins.microgrant.tests.conftest import _round_data
    mgr = users["wannianbu-mgr"]
    rnd = microgrant.create_round(db.session.get(Organization, make_org(park="wannianbu").id).park, _round_data(),
                                  user=mgr)
    kept = make_org(park="wannianbu", stage="incubating", name="万年埠邻里")
    gone = make_org(park="wannianbu", stage="incubating", name="万年埠邻里")
    for org in (kept, gone):
        microgrant.submit(rnd, org, {"title": "楼道微更新", "category": "便民服务", "goals": "让居民少跑腿",
                                     "beneficiaries": "老年居民", "beneficiary_count": 200,
                                     "lines": [("活动物料", 1_000_000)]}, user=mgr)
    with pytest.raises(Conflict, match="同一轮微创投中都有申报"):
        merging.merge(kept, gone, user=admin)
    assert db.session.get(Organization, gone.id) is not None


def test_refusals_are_named_and_say_why_in_chinese(pair, make_org, users, admin):
    kept, gone = pair
    with pytest.raises(ValidationError, match="不能把组织与它自己合并"):
        merging.merge(kept, kept, user=admin)
    with pytest.raises(ValidationError, match="请选择要合并的重复组织"):
        merging.merge(kept, None, user=admin)
    with pytest.raises(MergeNotAllowed, match="只有区级管理员可以合并重复组织"):
        merging.merge(kept, gone, user=users["fangxing-mgr"])
    other = make_org(park="fangxing", name="方兴邻里互助会", uscc=OTHER_USCC)
    with pytest.raises(Conflict, match="统一社会信用代码不同"):
        merging.merge(other, gone, user=admin)
    assert db.session.get(Organization, gone.id) is not None


def test_managers_cannot_merge_even_when_a_plugin_grants_it(make_org, users, extra_plugin):
    class GrantsMerging:
        @hookimpl
        def incubator_permission(self, user, action, resource):
            return True if action == "org.merge" and user.role == "manager" else None
    extra_plugin(GrantsMerging())
    mgr = users["wannianbu-mgr"]
    here = make_org(park="yunhua", name="云华邻里")
    there = make_org(park="wanci", name="云华邻里")
    with pytest.raises(MergeNotAllowed, match="两个组织不在同一园区（云华社区睦邻中心孵化点、万慈社区孵化点）：只有区级管理员可以合并不同园区的组织"):
        merging.merge(here, there, user=mgr)
    same_park = make_org(park="yunhua", name="云华邻里")
    with pytest.raises(MergeNotAllowed, match="只有区级管理员可以合并重复组织"):  # the core's rule: deny wins
        merging.merge(here, same_park, user=mgr)
    assert db.session.get(Organization, same_park.id) is not None
    merging.merge(here, there, user=users["admin"])  # across parks: the administrator may
    assert db.session.get(Organization, there.id) is None


def test_only_administrators_may_merge(users):
    from incubator.permissions import all_actions, can
    assert ("org.merge", "合并重复组织") in all_actions()
    assert can("org.merge", user=users["admin"])
    for name in ("fangxing-mgr", "expert-li", "trainee-wang"):
        assert not can("org.merge", user=users[name]), name


# -- the audit log ------------------------------------------------------------------------------

def test_the_audit_log_records_the_merge_and_old_entries_stay_readable(pair, users, admin):
    kept, gone = pair
    gone_id, gone_name = gone.id, gone.name
    contacts.create_invitation(gone, user=users["fangxing-mgr"])
    result = merging.merge(kept, gone, user=admin, note="重复登记")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "org.merge"))
    assert entry.user_id == admin.id and entry.object_type == "Organization" and entry.object_id == str(kept.id)
    assert entry.summary == f"{gone_name}（#{gone_id}）并入 {kept.name}（#{kept.id}）"
    details = entry.details
    assert (details["kept_id"], details["kept_name"], details["gone_id"], details["gone_name"]) == (
        kept.id, kept.name, gone_id, gone_name)
    assert details["moved"] == result.moved and details["moved"]["联系人邀请码"] == 1
    assert details["note"] == "重复登记"
    old = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "org.invitation_create"))
    assert old.object_id == str(kept.id) and gone_name in old.summary
    assert targets([old])[old.id].name == kept.name


def test_plugin_entries_noting_the_organization_point_at_the_kept_one(pair, users, admin):
    from plugins.checklist import services as checklist
    kept, gone = pair
    gone_id = gone.id
    from incubator import audit
    audit.record("test.note", object_type="Thing", object_id=1, user=admin, organization_id=gone_id)
    db.session.commit()
    checklist.record(gone, "charter", date.today(), "", user=users["fangxing-mgr"])
    merging.merge(kept, gone, user=admin)
    noted = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "test.note"))
    assert noted.details["organization_id"] == kept.id


# -- the hook -----------------------------------------------------------------------------------

def test_incubator_organizations_merging_lets_a_plugin_settle_or_refuse(pair, admin, extra_plugin):
    kept, gone = pair
    calls = []

    class Settles:
        @hookimpl
        def incubator_organizations_merging(self, kept, gone, user):
            calls.append((kept.id, gone.id, user.username))
            if gone.name.endswith("（筹）") and kept.description == "refuse":
                raise DomainError("插件拒绝合并")
    extra_plugin(Settles())
    kept.description = "refuse"
    db.session.commit()
    with pytest.raises(DomainError, match="插件拒绝合并"):
        merging.merge(kept, gone, user=admin)
    assert db.session.get(Organization, gone.id) is not None
    kept.description = ""
    db.session.commit()
    gone_id = gone.id
    merging.merge(kept, gone, user=admin)
    assert calls[-1] == (kept.id, gone_id, "admin")


# -- pages ------------------------------------------------------------------------------------------

def test_administrator_merges_through_the_pages(pair, login_as, client):
    kept, gone = pair
    gone_id = gone.id
    login_as("admin")
    page = client.get(f"/orgs/{kept.id}").get_data(as_text=True)
    assert "合并重复组织" in page
    page = client.get(f"/orgs/{kept.id}/merge").get_data(as_text=True)
    assert "方兴邻里互助会（筹）" in page and "名称和联系电话相同" in page  # suggested by matching
    page = client.get(f"/orgs/{kept.id}/merge?q={USCC}").get_data(as_text=True)
    assert "方兴邻里互助会（筹）" in page
    page = client.get(f"/orgs/{kept.id}/merge?duplicate_id={gone_id}").get_data(as_text=True)
    assert "阶段变更" in page and "确认合并" in page and "统一社会信用代码" in page
    response = client.post(f"/orgs/{kept.id}/merge", data={"duplicate_id": gone_id, "note": "重复"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/orgs/{kept.id}")
    page = client.get(f"/orgs/{kept.id}").get_data(as_text=True)
    assert "已将“方兴邻里互助会（筹）”合并到本组织" in page
    assert client.get(f"/orgs/{gone_id}").status_code == 404


def test_a_refused_merge_is_explained_on_the_page(pair, login_as, client):
    kept, _gone = pair
    login_as("admin")
    response = client.post(f"/orgs/{kept.id}/merge", data={"duplicate_id": kept.id})
    assert response.status_code == 422 and "不能把组织与它自己合并" in response.get_data(as_text=True)
    response = client.post(f"/orgs/{kept.id}/merge", data={})
    assert response.status_code == 422 and "请选择要合并的重复组织" in response.get_data(as_text=True)


def test_managers_see_no_merge_button_and_get_403(pair, login_as, client):
    kept, gone = pair
    login_as("fangxing-mgr")
    assert "合并重复组织" not in client.get(f"/orgs/{kept.id}").get_data(as_text=True)
    assert client.get(f"/orgs/{kept.id}/merge").status_code == 403
    assert client.post(f"/orgs/{kept.id}/merge", data={"duplicate_id": gone.id}).status_code == 403
    assert db.session.get(Organization, gone.id) is not None


# -- API --------------------------------------------------------------------------------------------

def test_api_merges_a_duplicate(pair, client, api):
    kept, gone = pair
    gone_id = gone.id
    url = f"/api/v1/organizations/{kept.id}/merge"
    assert client.post(url, json={"duplicate_id": gone_id}, headers=api("fangxing-mgr")).status_code == 403
    admin = api("admin")
    response = client.post(url, json={"duplicate_id": kept.id}, headers=admin)
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "duplicate_id"
    assert client.post(url, json={"duplicate_id": 999999}, headers=admin).status_code == 422
    assert client.post(url, json={"duplicate_id": "x"}, headers=admin).status_code == 422
    response = client.post(url, json={"duplicate_id": gone_id}, headers=admin)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["organization"]["id"] == kept.id and body["organization"]["uscc"] == USCC
    assert (body["merged_id"], body["merged_name"]) == (gone_id, "方兴邻里互助会（筹）")
    assert body["moved"]["阶段变更"] == 1
    assert client.get(f"/api/v1/organizations/{gone_id}", headers=admin).status_code == 404


def test_api_refuses_two_organizations_with_different_usccs_with_409(make_org, client, api):
    kept = make_org(park="fangxing", name="方兴助老", uscc=USCC)
    other = make_org(park="fangxing", name="方兴助老", uscc=OTHER_USCC)
    response = client.post(f"/api/v1/organizations/{kept.id}/merge", json={"duplicate_id": other.id},
                           headers=api("admin"))
    assert response.status_code == 409 and "统一社会信用代码不同" in response.get_json()["errors"][0]["message"]


def test_the_openapi_document_lists_the_merge(client):
    spec = client.get("/api/openapi.json").get_json()
    assert "post" in spec["paths"]["/api/v1/organizations/{org_id}/merge"]
