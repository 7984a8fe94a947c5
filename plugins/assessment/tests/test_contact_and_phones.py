"""The organization's own contact reads its assessments (never drafts, never another's, never
edits); locking asks first; the pages and the radar chart fit a phone."""
import os
import re
from datetime import date

import pytest

from incubator.extensions import db
from incubator.plugins import hooks_for

if "assessment" in {n.strip() for n in os.environ.get("INCUBATOR_DISABLED_PLUGINS", "").split(",")}:
    pytest.skip("plugin assessment is disabled", allow_module_level=True)

from plugins.assessment import services


@pytest.fixture
def contact(users, assessed_org):
    """contact-zhang speaks for the assessed organization (granted by its park)."""
    user = users["contact-zhang"]
    user.organization_id = assessed_org.id
    db.session.commit()
    return user


@pytest.fixture
def assessed(entry_and_exit, assessed_org, users):
    """A finished entry (55 %) and exit (80 %), and a mid-term draft in progress."""
    entry, exit_ = entry_and_exit(0.8)
    draft = services.start(assessed_org, "midterm", users["expert-li"], date.today(), user=users["fangxing-mgr"])
    return entry, exit_, draft


def test_a_contact_reads_their_organizations_locked_assessments_with_radar_and_change(
        assessed, assessed_org, contact, login_as, client, api):
    entry, exit_, draft = assessed
    login_as("contact-zhang")
    response = client.get(f"/assessment/orgs/{assessed_org.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "pygal-chart" in page  # the radar
    assert "能力变化（入园 → 出壳评估）" in page and "+250" in page  # 550 → 800
    assert f"/assessment/{exit_.id}\"" in page and f"/assessment/{entry.id}\"" in page
    assert f"/assessment/{draft.id}\"" not in page and "中期评估" not in page  # the draft is not theirs to see
    assert "发起评估" not in page
    detail = client.get(f"/assessment/{exit_.id}")
    assert detail.status_code == 200
    text = detail.get_data(as_text=True)
    assert "800" in text and "已于" in text and "<textarea" not in text and 'name="finish"' not in text
    assert '<form method="post" novalidate>' not in text and "删除草稿" not in text
    assert client.get(f"/assessment/{draft.id}").status_code == 403
    listed = client.get(f"/api/v1/assessment/organizations/{assessed_org.id}/assessments",
                        headers=api("contact-zhang")).get_json()["items"]
    assert sorted(a["kind"] for a in listed) == ["entry", "exit"]


def test_the_organization_page_panel_shows_the_contact_the_assessments_and_radar(assessed, assessed_org, contact):
    """The portal renders the organization panels for the contact: the assessments panel is one."""
    entry, exit_, draft = assessed
    panels = [p for answer in hooks_for([assessed_org.park]).incubator_org_panels(org=assessed_org, user=contact)
              for p in (answer or [])]
    [panel] = [p for p in panels if p.title == "能力评估"]
    assert "pygal-chart" in panel.html and "出壳评估" in panel.html and "+250" in panel.html
    assert f"/assessment/{draft.id}\"" not in panel.html


def test_a_contact_gets_403_on_another_organizations_assessments(assessed, make_org, users, login_as, client, api):
    entry, exit_, draft = assessed
    other = make_org(park="fangxing", stage="incubating", name="方兴另一家服务社")
    users["contact-zhang"].organization_id = other.id
    db.session.commit()
    login_as("contact-zhang")
    for url in (f"/assessment/orgs/{entry.organization_id}", f"/assessment/{entry.id}", f"/assessment/{exit_.id}",
                f"/assessment/{draft.id}", "/assessment", "/assessment/reports"):
        assert client.get(url).status_code == 403, url
    assert client.get(f"/api/v1/assessment/organizations/{entry.organization_id}/assessments",
                      headers=api("contact-zhang")).status_code == 403
    assert not [p for answer in hooks_for([other.park]).incubator_org_panels(
        org=entry.organization, user=users["contact-zhang"]) for p in (answer or []) if p.title == "能力评估"]


def test_a_contact_cannot_start_score_finish_or_discard(assessed, assessed_org, contact, login_as, client, api):
    entry, exit_, draft = assessed
    login_as("contact-zhang")
    today = date.today().isoformat()
    assert client.post(f"/assessment/orgs/{assessed_org.id}/new", data={
        "kind": "midterm", "assessor": "expert-li", "assessed_on": today}).status_code == 403
    assert client.post(f"/assessment/{exit_.id}", data={"assessed_on": today, "score-basics.legal": "1",
                                                         "evidence-basics.legal": "改"}).status_code == 403
    assert client.post(f"/assessment/{draft.id}", data={"assessed_on": today, "finish": "1"}).status_code == 403
    assert client.post(f"/assessment/{draft.id}/discard").status_code == 403
    headers = api("contact-zhang")
    assert client.patch(f"/api/v1/assessment/assessments/{draft.id}", headers=headers, json={
        "scores": [{"indicator": "basics.legal", "score": 1, "evidence": "x"}]}).status_code == 403
    assert client.post(f"/api/v1/assessment/assessments/{draft.id}/finish", headers=headers).status_code == 403
    assert client.delete(f"/api/v1/assessment/assessments/{draft.id}", headers=headers).status_code == 403
    db.session.refresh(exit_)
    db.session.refresh(draft)
    assert float(exit_.total) == 800.0 and draft.status == "draft"


# -- confirmations and phones ----------------------------------------------------------------

def test_finishing_an_assessment_asks_first_because_it_locks(assessed_org, users, login_as, client):
    assessment = services.start(assessed_org, "entry", users["expert-li"], None, user=users["fangxing-mgr"])
    login_as("expert-li")
    page = client.get(f"/assessment/{assessment.id}").get_data(as_text=True)
    finish = re.search(r'<button[^>]*name="finish"[^>]*>', page).group(0)
    assert 'data-confirm="确定完成并锁定这份入园评估吗？完成后评分不能再修改。"' in finish
    save = re.search(r'<button[^>]*name="save"[^>]*>', page).group(0)
    assert "data-confirm" not in save  # a draft can be saved again and again
    login_as("fangxing-mgr")
    page = client.get(f"/assessment/{assessment.id}").get_data(as_text=True)
    assert re.search(r'<form[^>]*/discard"[^>]*data-confirm="确定删除这份评估草稿吗？', page)


def radar_tag(page: str) -> str:
    """The radar chart's <svg> tag (the menu's bell is an <svg> too): pygal's carries its id."""
    return next(tag for tag in re.findall(r"<svg[^>]*>", page) if "pygal" in tag or "chart" in tag)


def test_the_radar_chart_takes_its_boxs_width_instead_of_a_fixed_560_pixels(assessed, assessed_org, login_as, client):
    login_as("fangxing-mgr")
    page = client.get(f"/assessment/orgs/{assessed_org.id}").get_data(as_text=True)
    svg = radar_tag(page)
    assert 'viewBox="0 0 560 420"' in svg
    assert not re.search(r'\swidth="', svg) and not re.search(r'\sheight="', svg)  # scales to a 390 px phone


def test_assessment_lists_become_cards_on_a_phone(assessed, assessed_org, login_as, client):
    login_as("fangxing-mgr")
    for url in ("/assessment", f"/assessment/orgs/{assessed_org.id}", "/assessment/reports"):
        page = client.get(url).get_data(as_text=True)
        assert "table-stack" in page, url
        assert 'data-label="' in page, url
    org_page = client.get(f"/assessment/orgs/{assessed_org.id}").get_data(as_text=True)
    assert '<div class="table-responsive"><table class="table table-sm mb-2">' in org_page  # the change table


def test_the_radar_draws_the_latest_assessment_of_each_kind(entry_and_exit, assessed_org, users, score_all,
                                                             login_as, client):
    entry, first_exit = entry_and_exit(0.6)
    second_exit = services.start(assessed_org, "exit", users["expert-li"], date.today(), user=users["fangxing-mgr"])
    score_all(second_exit, 0.8)
    login_as("fangxing-mgr")
    page = client.get(f"/assessment/orgs/{assessed_org.id}").get_data(as_text=True)
    start = page.index(radar_tag(page))
    svg = page[start:page.index("</svg>", start)]
    assert svg.count("入园评估 ") == 1 and svg.count("出壳评估 ") == 1  # one legend entry each
    assert "+250" in page  # the change is measured to the latest exit (550 → 800)
