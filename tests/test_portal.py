"""The organization's portal (/portal): a contact sees their own organization — stage, incubation
period, to-dos, the plugins' panels — and nothing of any other; they may view, never change."""
from datetime import date, timedelta

import pytest

from incubator.dates import today
from incubator.extensions import db
from incubator.organizations.models import Organization
from incubator.plugins import set_enablement
from incubator.ui import Panel

from .helpers import page_text


@pytest.fixture
def own(make_org, users):
    """包河社工服务中心 in the district park, incubating since about a year; contact-zhang speaks for it."""
    start = today() - timedelta(days=365)
    org = make_org(park="district", stage="incubating", name="包河社工服务中心",
                   incubation_start=start, incubation_due=start + timedelta(days=730))
    users["contact-zhang"].organization_id = org.id
    db.session.commit()
    return org


@pytest.fixture
def other(make_org):
    return make_org(park="district", stage="incubating", name="滨湖志愿者协会")


def test_a_contact_lands_on_their_portal(own, client, network):
    response = client.post("/login", data={"username": "contact-zhang", "password": "demo12345"})
    assert response.status_code == 302 and response.location.endswith("/portal")


def test_the_portal_shows_stage_period_and_days_left(own, login_as, client):
    login_as("contact-zhang")
    html = page_text(client.get("/portal"))
    assert "包河社工服务中心" in html and "包河区社会组织创新园" in html and "入园孵化" in html
    assert own.incubation_start.strftime("%Y年%-m月%-d日") in html
    assert own.incubation_due.strftime("%Y年%-m月%-d日") in html
    assert "距孵化到期还有 365 天。" in html
    assert "我的组织" in html  # the menu entry


def test_due_within_60_days_is_a_to_do_and_overdue_is_said(own, login_as, client):
    own.incubation_due = today() + timedelta(days=20)
    db.session.commit()
    login_as("contact-zhang")
    html = page_text(client.get("/portal"))
    assert "距孵化到期还有 20 天，请与园区商定续驻或出壳。" in html
    assert "孵化期将于" in html and "请与园区商定续驻或出壳" in html  # the to-do
    own.incubation_due = today() - timedelta(days=3)
    db.session.commit()
    html = page_text(client.get("/portal"))
    assert "孵化期已逾期 3 天" in html and "孵化期已于" in html


def test_no_to_do_while_the_due_date_is_far(own, login_as, client):
    login_as("contact-zhang")
    html = page_text(client.get("/portal"))
    assert "孵化期将于" not in html and "孵化期已于" not in html


def test_the_portal_shows_the_missing_materials_and_their_to_do(own, login_as, client, only_plugins, users):
    only_plugins("checklist")
    login_as("contact-zhang")
    html = page_text(client.get("/portal"))
    assert "材料清单" in html and "尚缺材料" in html and "出壳前须向园区提交：登记证书或备案证明" in html
    assert 'action="/checklist/orgs/' not in html  # a contact does not record documents
    from plugins.checklist import services
    services.record(own, "registration_certificate", today(), "", user=users["district-mgr"])
    html = page_text(client.get("/portal"))
    assert "出壳前须向园区提交" not in html


def test_plugin_panels_are_asked_for_the_contact(own, login_as, client, extra_plugin, users):
    seen = []

    class Probe:
        from incubator import hookimpl

        @hookimpl
        def incubator_org_panels(self, org, user):
            seen.append((org.id, user.username))
            return [Panel("探针面板", "<p>仅本组织</p>", order=1)]
    extra_plugin(Probe())
    login_as("contact-zhang")
    assert "探针面板" in page_text(client.get("/portal"))
    assert seen == [(own.id, "contact-zhang")]


def test_a_plugin_off_for_the_park_shows_no_panel_in_the_portal(own, login_as, client):
    set_enablement("checklist", "none")
    db.session.commit()
    login_as("contact-zhang")
    assert "材料清单" not in page_text(client.get("/portal"))


def test_the_portal_shows_nothing_of_another_organization(own, other, login_as, client):
    login_as("contact-zhang")
    assert "滨湖志愿者协会" not in page_text(client.get("/portal"))
    assert client.get(f"/orgs/{other.id}").status_code == 403
    assert client.get("/orgs").status_code == 403


def test_a_contact_viewing_their_organization_is_sent_to_the_portal(own, login_as, client):
    login_as("contact-zhang")
    response = client.get(f"/orgs/{own.id}")
    assert response.status_code == 302 and response.location.endswith("/portal")


def test_a_contact_may_view_but_not_change_their_organization(own, login_as, client):
    login_as("contact-zhang")
    for path, data in ((f"/orgs/{own.id}/edit", {"name": "改名"}),
                       (f"/orgs/{own.id}/move", {"move-to_stage": "graduated", "move-note": "自己出壳"}),
                       (f"/orgs/{own.id}/renew", {"renew-new_due": "2099-01-01", "renew-reason": "自己续驻"}),
                       (f"/orgs/{own.id}/transfer", {"transfer-park": own.park_id, "transfer-note": ""}),
                       (f"/orgs/{own.id}/contacts", {"contact-account": "trainee-wang"})):
        assert client.post(path, data=data).status_code == 403, path
    assert client.get(f"/orgs/{own.id}/edit").status_code == 403
    db.session.expire_all()
    org = db.session.get(Organization, own.id)
    assert (org.name, org.stage) == ("包河社工服务中心", "incubating")


def test_the_contact_rule_is_org_view_on_their_own_organization_only(own, other, users, ctx):
    from incubator.permissions import can
    zhang = users["contact-zhang"]
    assert can("org.view", own, user=zhang)
    assert not can("org.view", other, user=zhang)
    assert not can("org.view", own.park, user=zhang)  # a park's id may equal the organization's
    assert not can("org.view", None, user=zhang)  # not the list
    for action in ("org.edit", "org.transition", "org.renew", "org.transfer", "org.contacts"):
        assert not can(action, own, user=zhang), action


def test_a_user_without_an_organization_is_told_how_to_become_a_contact(own, login_as, client):
    login_as("trainee-wang")
    html = page_text(client.get("/portal"))
    assert "你还不是任何组织的联系人。" in html and "请向园区管理员索取邀请码" in html
    assert 'action="/portal/join"' in html and "包河社工服务中心" not in html
    assert "我的组织" not in html


def test_a_manager_opening_the_portal_is_told_it_is_for_contacts(own, login_as, client):
    login_as("district-mgr")
    html = page_text(client.get("/portal"))
    assert "组织门户供社会组织的联系人使用。" in html and 'action="/portal/join"' not in html


def test_the_portal_needs_a_login(client, network):
    response = client.get("/portal")
    assert response.status_code == 302 and "/login" in response.location


def test_an_application_in_review_has_no_period_yet(make_org, users, login_as, client):
    org = make_org(park="fangxing", stage="reviewing", name="方兴亲子文化协会")
    users["contact-wu"].organization_id = org.id
    db.session.commit()
    login_as("contact-wu")
    html = page_text(client.get("/portal"))
    assert "评审" in html and "入园申请正在办理" in html


def test_managers_are_reminded_of_missing_materials_due_soon(make_org, parks, login_as, client, only_plugins):
    from plugins.checklist import services
    only_plugins("checklist")
    make_org(park="fangxing", stage="incubating", incubation_start=date(2024, 1, 1),
             incubation_due=today() + timedelta(days=30))
    make_org(park="fangxing", stage="incubating")  # due in two years: not yet a to-do
    make_org(park="changqing", stage="incubating", incubation_start=date(2024, 1, 1),
             incubation_due=today() + timedelta(days=10))  # another park's
    assert services.count_missing_due_soon([parks["fangxing"].id]) == 1
    login_as("fangxing-mgr")
    assert "即将到期的在孵组织缺少出壳材料" in page_text(client.get("/dashboard"))
    login_as("district-mgr")
    assert "即将到期的在孵组织缺少出壳材料" not in page_text(client.get("/dashboard"))
