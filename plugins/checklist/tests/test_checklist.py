"""The example plugin, end to end: veto, panel, recording, API, CLI, enablement per park."""
from datetime import date

import pytest

from incubator.extensions import db
from incubator.plugins import set_enablement


@pytest.fixture(autouse=True)
def _checklist_alone(only_plugins):
    """Other plugins' graduation vetoes stay out of these tests."""
    only_plugins("checklist")


def test_graduation_is_vetoed_until_the_certificate_is_on_file(login_as, make_org, client):
    org = make_org(park="fangxing", stage="incubating")
    login_as("fangxing-mgr")
    response = client.post(f"/orgs/{org.id}/move", data={"move-to_stage": "graduated", "move-note": "期满"})
    assert response.status_code == 409
    assert "出壳前须提交：登记证书或备案证明" in response.get_data(as_text=True)

    response = client.post(f"/checklist/orgs/{org.id}", data={
        "kind": "registration_certificate", "received_on": date.today().isoformat(), "note": "原件已核"})
    assert response.status_code == 302
    response = client.post(f"/orgs/{org.id}/move", data={"move-to_stage": "graduated", "move-note": "期满"})
    assert response.status_code == 302
    db.session.refresh(org)
    assert org.stage == "graduated"


def test_api_reports_vetoes_as_409_with_reasons(client, api, make_org):
    org = make_org(park="fangxing", stage="incubating")
    headers = api("fangxing-mgr")
    response = client.post(f"/api/v1/organizations/{org.id}/transitions", json={"to_stage": "graduated"},
                           headers=headers)
    assert response.status_code == 409
    assert response.get_json()["errors"][0]["message"] == "出壳前须提交：登记证书或备案证明"

    response = client.post(f"/api/v1/checklist/organizations/{org.id}", headers=headers,
                           json={"kind": "registration_certificate", "received_on": date.today().isoformat()})
    assert response.status_code == 201
    assert client.get(f"/api/v1/checklist/organizations/{org.id}", headers=headers).get_json()[
        "missing_for_graduation"] == []


def test_panel_shows_on_the_organization_page(login_as, make_org, client):
    org = make_org(park="fangxing", stage="incubating")
    login_as("fangxing-mgr")
    page = client.get(f"/orgs/{org.id}").get_data(as_text=True)
    assert "材料清单" in page and "出壳必需" in page


def test_manager_of_another_park_cannot_record(login_as, make_org, client):
    org = make_org(park="fangxing", stage="incubating")
    login_as("changqing-mgr")
    response = client.post(f"/checklist/orgs/{org.id}", data={
        "kind": "registration_certificate", "received_on": date.today().isoformat()})
    assert response.status_code == 403


def test_disabled_for_a_park_means_no_veto_no_panel_and_404(login_as, make_org, client, parks):
    org = make_org(park="fangxing", stage="incubating")
    set_enablement("checklist", "parks", [parks["changqing"]])
    db.session.commit()
    login_as("fangxing-mgr")
    assert "出壳必需" not in client.get(f"/orgs/{org.id}").get_data(as_text=True)
    response = client.post(f"/checklist/orgs/{org.id}", data={
        "kind": "registration_certificate", "received_on": date.today().isoformat()})
    assert response.status_code == 404
    response = client.post(f"/orgs/{org.id}/move", data={"move-to_stage": "graduated", "move-note": "期满"})
    assert response.status_code == 302


def test_cli_lists_organizations_missing_documents(app, make_org):
    make_org(park="fangxing", stage="incubating", name="方兴邻里互助会")
    result = app.test_cli_runner().invoke(args=["checklist", "missing", "--park", "fangxing"])
    assert result.exit_code == 0, result.output
    assert "方兴邻里互助会" in result.output and "1 organization(s)" in result.output
    result = app.test_cli_runner().invoke(args=["checklist", "missing", "--park", "nowhere"])
    assert result.exit_code != 0
