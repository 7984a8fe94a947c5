"""Assessment notices, as people meet them: the assessor told they were named, the organization and
its park told the result once the assessment is finished; nobody else, nobody of their own act."""
import os
from datetime import date

import pytest
from sqlalchemy import select

from incubator.errors import ValidationError
from incubator.extensions import db
from incubator.notifications.models import Notice
from incubator.notifications.testing import notices, reached
from incubator.plugins import set_enablement

if "assessment" in {n.strip() for n in os.environ.get("INCUBATOR_DISABLED_PLUGINS", "").split(",")}:
    pytest.skip("plugin assessment is disabled", allow_module_level=True)

from plugins.assessment import services

ORG = "方兴助老服务社"  # the `assessed_org`


@pytest.fixture
def contact(assessed_org, users):
    """trainee-wang speaks for the organization (granted by the park)."""
    users["trainee-wang"].organization_id = assessed_org.id
    db.session.commit()
    return users["trainee-wang"]


def _start(org, users, assessor="expert-li", by="fangxing-mgr", kind="entry"):
    return services.start(org, kind, users[assessor], date.today(), user=users[by])


# -- an assessor named ---------------------------------------------------------------------------

def test_the_assessor_named_is_told_by_email_and_nobody_else(
        app, assessed_org, contact, users, addresses, mail_server, login_as, client):
    assessment = _start(assessed_org, users)
    assert reached("assessment.assigned") == ["expert-li"]
    [mail] = mail_server.messages
    assert mail["Subject"] == f"请完成入园评估：{ORG}"
    assert mail.envelope_to == ["expert-li@example.cn"]
    assert "方兴社区管理员 指定您为" in mail.get_body(("plain",)).get_content()
    [notice] = notices("assessment.assigned")
    assert notice.link == f"/assessment/{assessment.id}" and notice.park_id == assessed_org.park_id
    login_as("expert-li")  # the link opens the draft, ready to score
    page = client.get(notice.link)
    assert page.status_code == 200 and 'name="finish"' in page.get_data(as_text=True)


def test_a_manager_who_names_themself_assessor_is_not_told(assessed_org, users):
    _start(assessed_org, users, assessor="fangxing-mgr")
    assert reached("assessment.assigned") == []


def test_the_assessor_reads_the_notice_in_english(app, assessed_org, users, addresses, mail_server):
    users["expert-li"].locale = "en"
    db.session.commit()
    _start(assessed_org, users)
    assert mail_server.messages[0]["Subject"] == f"Entry assessment to carry out: {ORG}"


# -- an assessment finished ---------------------------------------------------------------------

def test_a_finished_assessment_reaches_the_contact_and_the_parks_managers_only(
        app, assessed_org, contact, users, score_all, addresses, mail_server, login_as, client):
    assessment = _start(assessed_org, users)
    mail_server.messages.clear()  # the assessor's mail
    score_all(assessment, 0.8)
    assert reached("assessment.finished") == ["fangxing-mgr", "trainee-wang"]
    finished = [m for m in mail_server.messages if m["Subject"] == f"入园评估已完成：{ORG}"]
    assert sorted(to for m in mail_server.messages for to in m.envelope_to) == \
        sorted(to for m in finished for to in m.envelope_to) == ["fangxing-mgr@example.cn", "trainee-wang@example.cn"]
    total = f"{float(assessment.total):g}"
    assert f"总分 {total} 分，等级“{assessment.grade}”" in finished[0].get_body(("plain",)).get_content()
    [notice] = notices("assessment.finished")
    for username in ("trainee-wang", "fangxing-mgr"):  # each may open the result the notice links to
        login_as(username)
        page = client.get(notice.link)
        assert page.status_code == 200 and total in page.get_data(as_text=True)


def test_the_manager_who_finishes_an_assessment_is_not_told_of_it(assessed_org, contact, users, score_all):
    assessment = _start(assessed_org, users, assessor="fangxing-mgr")
    score_all(assessment, 0.8, by="fangxing-mgr")
    assert reached("assessment.finished") == ["trainee-wang"]


def test_an_assessment_that_cannot_be_finished_tells_nobody(assessed_org, contact, users, score_all):
    assessment = _start(assessed_org, users)
    with pytest.raises(ValidationError):
        services.finish(assessment, user=users["expert-li"])  # nothing scored yet
    assert reached("assessment.finished") == []


def test_nothing_is_told_where_assessment_is_off(assessed_org, contact, users, score_all, parks):
    set_enablement("assessment", "parks", [parks["changqing"]])
    db.session.commit()
    score_all(_start(assessed_org, users), 0.8)  # the pages would be a 404; the service alone says nothing
    assert db.session.scalar(select(Notice.id).where(Notice.kind.like("assessment.%")).limit(1)) is None


# -- who is offered what ------------------------------------------------------------------------

def test_incubator_notification_kinds_offers_each_person_the_assessment_notices_that_concern_them(
        contact, login_as, client):
    offered = {}
    for username in ("trainee-wang", "expert-li", "fangxing-mgr"):
        login_as(username)
        page = client.get("/me/notifications").get_data(as_text=True)
        offered[username] = {label for label in ("指定为能力评估人", "能力评估已完成") if label in page}
    assert offered == {"trainee-wang": {"能力评估已完成"}, "expert-li": {"指定为能力评估人"},
                       "fangxing-mgr": {"指定为能力评估人", "能力评估已完成"}}
