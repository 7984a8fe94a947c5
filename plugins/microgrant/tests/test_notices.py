"""Micro-grant notices, as an organization meets them: its contacts told the decision on its project
and each tranche paid; nobody else, nothing where the plugin is off for the round's park."""
import os

import pytest
from sqlalchemy import select

from incubator.extensions import db
from incubator.notifications.models import Notice
from incubator.notifications.testing import notices, reached
from incubator.plugins import set_enablement

if "microgrant" in {n.strip() for n in os.environ.get("INCUBATOR_DISABLED_PLUGINS", "").split(",")}:
    pytest.skip("plugin microgrant is disabled", allow_module_level=True)

from plugins.microgrant import services


@pytest.fixture
def applicant(make_org, users):
    """An organization of 万年埠 that trainee-chen speaks for; trainee-wang speaks for another one."""
    org = make_org(park="wannianbu", stage="incubating", name="万年埠邻里互助会")
    users["trainee-chen"].organization_id = org.id
    users["trainee-wang"].organization_id = make_org(park="wannianbu", stage="incubating").id
    db.session.commit()
    return org


def test_a_grant_reaches_the_organizations_contact_by_email_and_nobody_else(
        app, make_round, make_application, applicant, mgr, addresses, mail_server, login_as, client):
    application = make_application(make_round(), org=applicant, title="楼道微更新")
    assert reached("microgrant.decided") == []  # applying tells nobody
    services.decide(application, True, 1_500_000, "", user=mgr)
    assert reached("microgrant.decided") == ["trainee-chen"]
    [mail] = mail_server.messages
    assert mail["Subject"] == "项目已立项：楼道微更新" and mail.envelope_to == ["trainee-chen@example.cn"]
    assert "万年埠邻里互助会申报的“楼道微更新”已在2026年万年埠街道公益微创投中立项，资助 ¥15,000.00，分2期拨付。" in \
        mail.get_body(("plain",)).get_content()
    [notice] = notices("microgrant.decided")
    assert notice.link == f"/microgrant/applications/{application.id}" and notice.park_id == application.round.park_id
    login_as("trainee-chen")  # the contact may open the project the notice links to
    page = client.get(notice.link)
    assert page.status_code == 200 and "楼道微更新" in page.get_data(as_text=True)


def test_a_project_declined_is_told_with_the_parks_note(make_round, make_application, applicant, mgr):
    application = make_application(make_round(), org=applicant, title="广场舞音响")
    services.decide(application, False, None, "与本轮类别不符", user=mgr)
    [notice] = notices("microgrant.decided")
    assert reached("microgrant.decided") == ["trainee-chen"]
    assert notice.subject == "项目未立项：%(project)s" and notice.params["note"] == "与本轮类别不符"
    assert notice.body == "%(org)s申报的“%(project)s”未在%(round)s中立项。说明：%(note)s"


def test_each_tranche_paid_reaches_the_contact(
        app, make_round, make_application, applicant, mgr, addresses, mail_server):
    application = make_application(make_round(), org=applicant, title="楼道微更新")
    services.decide(application, True, 2_000_000, "", user=mgr)
    mail_server.messages.clear()
    services.pay(application, 1, user=mgr)
    services.review(application, True, "进度符合计划", user=mgr)  # a review alone tells nobody
    services.pay(application, 2, user=mgr)
    assert reached("microgrant.tranche_paid") == ["trainee-chen", "trainee-chen"]
    assert [m["Subject"] for m in mail_server.messages] == ["第1期资金已拨付：楼道微更新", "第2期资金已拨付：楼道微更新"]
    first, second = (m.get_body(("plain",)).get_content() for m in mail_server.messages)
    assert "第1期资金 ¥12,000.00 已于" in first and "累计 ¥12,000.00）。下一期将在中期评估通过后拨付。" in first
    assert "累计 ¥20,000.00），资助已全部拨付。" in second


def test_a_refused_payment_tells_nobody(make_round, make_application, applicant, mgr):
    from incubator.errors import Conflict
    application = make_application(make_round(), org=applicant)
    services.decide(application, True, 2_000_000, "", user=mgr)
    with pytest.raises(Conflict):
        services.pay(application, 2, user=mgr)  # the first is not paid yet
    assert reached("microgrant.tranche_paid") == []


def test_the_contact_reads_the_decision_in_english(app, make_round, make_application, applicant, mgr, users,
                                                   addresses, mail_server):
    users["trainee-chen"].locale = "en"
    db.session.commit()
    services.decide(make_application(make_round(), org=applicant, title="楼道微更新"), True, 1_500_000, "", user=mgr)
    [mail] = mail_server.messages
    assert mail["Subject"] == "Project approved: 楼道微更新"
    assert "was approved in 2026年万年埠街道公益微创投: a grant of ¥15,000.00, paid in 2 installments." in mail.get_body(("plain",)).get_content()


def test_nothing_is_told_where_microgrant_is_off(make_round, make_application, applicant, mgr, parks):
    application = make_application(make_round(), org=applicant)
    set_enablement("microgrant", "parks", [parks["changqing"]])
    db.session.commit()
    services.decide(application, True, 2_000_000, "", user=mgr)  # the pages would be a 404; the services say nothing
    services.pay(application, 1, user=mgr)
    assert db.session.scalar(select(Notice.id).where(Notice.kind.like("microgrant.%")).limit(1)) is None


def test_incubator_notification_kinds_offers_the_micro_grant_notices_to_organizations_contacts(
        applicant, login_as, client):
    offered = {}
    for username in ("trainee-chen", "expert-li", "wannianbu-mgr"):
        login_as(username)
        page = client.get("/me/notifications").get_data(as_text=True)
        offered[username] = {label for label in ("微创投立项结果", "微创投资金拨付") if label in page}
    assert offered == {"trainee-chen": {"微创投立项结果", "微创投资金拨付"}, "expert-li": set(), "wannianbu-mgr": set()}
