"""A received material's scan (登记证书扫描件): attached when the manager records it, linked from the
panel, readable by whoever may view the organization's checklist and a 404 for everyone else."""
import io
import re
from datetime import date

import pytest

from incubator.extensions import db
from incubator.files.models import StoredFile
from incubator.plugins import set_enablement
from plugins.checklist.models import ChecklistDocument

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def _checklist_alone(only_plugins, app, tmp_path, monkeypatch):
    only_plugins("checklist")
    monkeypatch.setitem(app.config, "FILES_DIR", str(tmp_path / "files"))


def record_with_scan(client, org, content=PDF, name="登记证书扫描.pdf", kind="registration_certificate"):
    return client.post(f"/checklist/orgs/{org.id}", content_type="multipart/form-data", data={
        "kind": kind, "received_on": date.today().isoformat(), "note": "原件已核",
        "scan": (io.BytesIO(content), name)})


def scan_link(page: str) -> str:
    return re.search(r'href="(/files/\d+)"', page).group(1)


def test_a_manager_attaches_the_scan_and_the_panel_links_to_it(login_as, make_org, client):
    org = make_org(park="fangxing", stage="incubating")
    login_as("fangxing-mgr")
    form = client.get(f"/orgs/{org.id}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form and 'type="file"' in form and 'name="scan"' in form

    response = record_with_scan(client, org)
    assert response.status_code == 302
    doc = db.session.scalar(db.select(ChecklistDocument).where(ChecklistDocument.organization_id == org.id))
    stored = db.session.scalar(db.select(StoredFile))
    assert (stored.owner_type, stored.owner_id, stored.park_id) == ("checklist_document", doc.id, org.park_id)
    assert stored.original_name == "登记证书扫描.pdf" and stored.content_type == "application/pdf"

    page = client.get(f"/orgs/{org.id}").get_data(as_text=True)
    assert "扫描件：登记证书扫描.pdf" in page and scan_link(page) == f"/files/{stored.id}"
    response = client.get(f"/files/{stored.id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Disposition"].startswith("inline;")


def test_recording_without_a_scan_still_works(login_as, make_org, client):
    org = make_org(park="fangxing", stage="incubating")
    login_as("fangxing-mgr")
    response = client.post(f"/checklist/orgs/{org.id}", content_type="multipart/form-data", data={
        "kind": "charter", "received_on": date.today().isoformat(), "note": ""})
    assert response.status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(ChecklistDocument)) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(StoredFile)) == 0


def test_a_scan_that_is_not_an_allowed_type_refuses_the_whole_record(login_as, make_org, client):
    org = make_org(park="fangxing", stage="incubating")
    login_as("fangxing-mgr")
    response = record_with_scan(client, org, content=b"MZ\x90\x00" + b"\x00" * 60, name="证书.pdf")
    assert response.status_code == 302
    page = client.get(f"/orgs/{org.id}").get_data(as_text=True)
    assert "只能上传 PDF、图片（PNG、JPEG、GIF、WebP）或 Office 文件（Word、Excel、PowerPoint）。" in page
    assert db.session.scalar(db.select(db.func.count()).select_from(ChecklistDocument)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(StoredFile)) == 0


def test_another_parks_manager_gets_404_for_the_scan(login_as, make_org, client):
    org = make_org(park="fangxing", stage="incubating")
    login_as("fangxing-mgr")
    record_with_scan(client, org)
    link = scan_link(client.get(f"/orgs/{org.id}").get_data(as_text=True))
    login_as("changqing-mgr")
    assert client.get(link).status_code == 404
    login_as("admin")  # may view every organization's checklist
    assert client.get(link).status_code == 200


def test_the_organizations_contact_may_not_read_the_scan_as_they_may_not_view_the_checklist(
        login_as, make_org, client, users):
    """The plugin's rules (permissions.py): checklist.view is for the park's managers, so the
    contact sees which materials are on file but neither the scan's link nor the scan."""
    org = make_org(park="fangxing", stage="incubating")
    users["contact-zhang"].organization_id = org.id
    db.session.commit()
    login_as("fangxing-mgr")
    record_with_scan(client, org)
    link = scan_link(client.get(f"/orgs/{org.id}").get_data(as_text=True))
    login_as("contact-zhang")
    page = client.get(f"/orgs/{org.id}", follow_redirects=True).get_data(as_text=True)
    assert "/files/" not in page
    assert client.get(link).status_code == 404


def test_the_scan_is_a_404_where_the_checklist_is_off(login_as, make_org, client, parks):
    org = make_org(park="fangxing", stage="incubating")
    login_as("fangxing-mgr")
    record_with_scan(client, org)
    link = scan_link(client.get(f"/orgs/{org.id}").get_data(as_text=True))
    set_enablement("checklist", "parks", [parks["changqing"]])
    db.session.commit()
    assert client.get(link).status_code == 404


def test_the_upload_form_works_with_csrf_protection_on(login_as, make_org, client, app, monkeypatch):
    org = make_org(park="fangxing", stage="incubating")
    login_as("fangxing-mgr")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    form = client.get(f"/orgs/{org.id}").get_data(as_text=True)
    action = form.index(f'action="/checklist/orgs/{org.id}"')
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form[action:form.index("</form>", action)])
    assert record_with_scan(client, org).status_code == 400  # no token: refused
    response = client.post(f"/checklist/orgs/{org.id}", content_type="multipart/form-data", data={
        "csrf_token": token.group(1), "kind": "charter", "received_on": date.today().isoformat(),
        "scan": (io.BytesIO(PDF), "章程.pdf")})
    assert response.status_code == 302
    assert db.session.scalar(db.select(StoredFile.original_name)) == "章程.pdf"


def test_the_refusal_and_the_field_follow_the_language(login_as, make_org, client):
    org = make_org(park="fangxing", stage="incubating")
    login_as("fangxing-mgr")
    client.get("/lang/en")
    assert "Scan (optional)" in client.get(f"/orgs/{org.id}").get_data(as_text=True)
    record_with_scan(client, org, content=b"plain text", name="a.pdf")
    page = client.get(f"/orgs/{org.id}").get_data(as_text=True)
    assert "Only PDF, images (PNG, JPEG, GIF, WebP) or Office files (Word, Excel, PowerPoint) can be uploaded." in page
    client.get("/lang/zh")
