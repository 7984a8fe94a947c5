"""An organization's own materials (组织材料: 登记证书、章程、年度报告): its contact uploads them on the
portal and sees the list; the park's managers see them on the organization's page; another park's
manager, an expert or another organization's contact gets a 404 for the file."""
import io
import re

import pytest
from sqlalchemy import select

from incubator.audit.models import AuditEntry
from incubator.errors import Conflict, ValidationError
from incubator.extensions import db
from incubator.files.models import StoredFile
from incubator.portal import materials

from .helpers import page_text

PDF = b"%PDF-1.4\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


@pytest.fixture(autouse=True)
def _files_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "FILES_DIR", str(tmp_path / "files"))


@pytest.fixture
def own(make_org, users):
    """An incubating fangxing organization; contact-zhang speaks for it."""
    org = make_org(park="fangxing", stage="incubating", name="方兴邻里互助会")
    users["contact-zhang"].organization_id = org.id
    db.session.commit()
    return org


def _upload(client, *files):
    return client.post("/portal/materials", content_type="multipart/form-data",
                       data={"file": [(io.BytesIO(content), name) for content, name in files]})


def _named(content: bytes, name: str):
    stream = io.BytesIO(content)
    stream.filename = name
    return stream


def test_the_contact_uploads_materials_and_sees_the_list(own, login_as, client):
    login_as("contact-zhang")
    html = page_text(client.get("/portal"))
    assert "组织材料" in html and "还没有上传组织材料" in html
    assert 'action="/portal/materials"' in html and 'enctype="multipart/form-data"' in html and "multiple" in html
    assert "文件不超过 10 MB，支持 PDF、图片、Office 文件。" in html

    response = _upload(client, (PDF, "登记证书.pdf"), (PNG, "章程首页.png"))
    assert response.status_code == 302 and response.location.endswith("/portal#materials")
    stored = db.session.scalars(select(StoredFile).order_by(StoredFile.id)).all()
    assert [(f.owner_type, f.owner_id, f.park_id, f.original_name, f.content_type) for f in stored] == [
        ("organization_material", own.id, own.park_id, "登记证书.pdf", "application/pdf"),
        ("organization_material", own.id, own.park_id, "章程首页.png", "image/png")]
    html = page_text(client.get("/portal"))
    assert "已上传组织材料" in html and "登记证书.pdf" in html and "章程首页.png" in html and "15 字节" in html
    assert sorted(re.findall(r'href="(/files/\d+)"', html)) == sorted(f"/files/{f.id}" for f in stored)
    assert client.get(f"/files/{stored[0].id}").data == PDF
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "org.material_add"))
    assert entry.object_id == str(own.id) and entry.details["files"] == ["登记证书.pdf", "章程首页.png"]


def test_a_file_of_the_wrong_type_refuses_the_upload_and_says_which(own, login_as, client):
    login_as("contact-zhang")
    _upload(client, (PDF, "登记证书.pdf"), (b"MZ\x90\x00" + b"\x00" * 60, "年度报告.docx"))
    html = page_text(client.get("/portal"))
    assert "年度报告.docx：只能上传 PDF、图片（PNG、JPEG、GIF、WebP）或 Office 文件（Word、Excel、PowerPoint）。" in html
    assert db.session.scalar(select(db.func.count()).select_from(StoredFile)) == 0


def test_a_file_too_large_is_refused_with_a_validation_error(own, users, app, monkeypatch):
    monkeypatch.setitem(app.config, "FILES_MAX_MB", 0.001)
    with pytest.raises(ValidationError, match="章程.pdf：文件不能大于 0.001 MB。") as refused:
        materials.add(own, [_named(PDF + b"0" * 2000, "章程.pdf")], user=users["contact-zhang"])
    assert refused.value.field == "file"
    assert db.session.scalar(select(db.func.count()).select_from(StoredFile)) == 0


def test_nothing_chosen_is_refused(own, users, login_as, client):
    with pytest.raises(ValidationError, match="请选择要上传的文件"):
        materials.add(own, [], user=users["contact-zhang"])
    login_as("contact-zhang")
    _upload(client)
    assert "请选择要上传的文件" in page_text(client.get("/portal"))


def test_only_the_organizations_contact_uploads(own, users, login_as, client):
    with pytest.raises(Conflict, match="只有该组织的联系人可以上传组织材料"):
        materials.add(own, [_named(PDF, "a.pdf")], user=users["fangxing-mgr"])
    login_as("trainee-wang")  # nobody's contact
    assert _upload(client, (PDF, "a.pdf")).status_code == 404
    assert db.session.scalar(select(db.func.count()).select_from(StoredFile)) == 0


def test_the_parks_manager_sees_the_materials_on_the_organizations_page(own, users, login_as, client):
    materials.add(own, [_named(PDF, "登记证书.pdf")], user=users["contact-zhang"])
    link = f"/files/{materials.of(own.id)[0].id}"
    for who in ("fangxing-mgr", "admin"):
        login_as(who)
        html = page_text(client.get(f"/orgs/{own.id}"))
        assert 'id="materials"' in html and "登记证书.pdf" in html and link in html, who
        assert client.get(link).status_code == 200, who


def test_another_parks_manager_an_expert_and_another_contact_get_404(own, make_org, users, login_as, client):
    materials.add(own, [_named(PDF, "登记证书.pdf")], user=users["contact-zhang"])
    link = f"/files/{materials.of(own.id)[0].id}"
    users["contact-wu"].organization_id = make_org(park="fangxing", stage="incubating").id
    db.session.commit()
    for who in ("changqing-mgr", "expert-li", "contact-wu", "trainee-wang"):
        login_as(who)
        assert client.get(link).status_code == 404, who


def test_an_expert_who_may_see_the_organization_does_not_see_its_materials(own, users, login_as, client):
    """An assigned expert may open the organization's page (mentoring), not its own materials."""
    from datetime import date, timedelta

    from incubator.plugins import registry
    if "mentoring" not in {info.name for info in registry().loaded()}:
        pytest.skip("the mentoring plugin gives experts the organization's page")
    from plugins.mentoring import assigning
    assigning.assign(own, users["expert-li"], date.today() - timedelta(days=5), None, user=users["fangxing-mgr"])
    materials.add(own, [_named(PDF, "登记证书.pdf")], user=users["contact-zhang"])
    login_as("expert-li")
    response = client.get(f"/orgs/{own.id}")
    assert response.status_code == 200 and 'id="materials"' not in page_text(response)
    assert client.get(f"/files/{materials.of(own.id)[0].id}").status_code == 404
