"""A granted project's reports and receipts (项目报告、票据): uploaded by the organization's contact or
the park's manager on the project's page, listed there by kind, read by whoever may view the project,
a 404 for another park's manager."""
import io
import re

import pytest
from sqlalchemy import select

from incubator.audit.models import AuditEntry
from incubator.errors import Conflict, ValidationError
from incubator.extensions import db
from incubator.files.models import StoredFile
from plugins.microgrant import services

PDF = b"%PDF-1.4\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40


@pytest.fixture(autouse=True)
def _files_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "FILES_DIR", str(tmp_path / "files"))


@pytest.fixture
def granted(make_round, make_application, mgr, users):
    """An approved project of a 万年埠 organization whose contact is trainee-chen."""
    application = make_application(make_round())
    services.decide(application, True, application.requested_fen, "通过", user=mgr)
    users["trainee-chen"].organization_id = application.organization_id
    db.session.commit()
    return application


def _upload(client, application, kind, *files):
    return client.post(f"/microgrant/applications/{application.id}/files", content_type="multipart/form-data",
                       data={"kind": kind, "file": [(io.BytesIO(content), name) for content, name in files]})


def _named(content: bytes, name: str):
    stream = io.BytesIO(content)
    stream.filename = name
    return stream


def test_the_contact_uploads_a_report_and_receipts_and_sees_them_listed(granted, login_as, client):
    login_as("trainee-chen")
    page = client.get(f"/microgrant/applications/{granted.id}").get_data(as_text=True)
    assert "项目报告与票据" in page and 'enctype="multipart/form-data"' in page and "multiple" in page
    assert "文件不超过 10 MB，支持 PDF、图片、Office 文件。" in page

    assert _upload(client, granted, "report", (PDF, "中期报告.pdf")).status_code == 302
    assert _upload(client, granted, "receipt", (JPEG, "发票1.jpg"), (PDF, "发票2.pdf")).status_code == 302
    stored = db.session.scalars(select(StoredFile).order_by(StoredFile.id)).all()
    assert [(f.owner_type, f.owner_id, f.park_id, f.original_name) for f in stored] == [
        ("microgrant_report", granted.id, granted.park_id, "中期报告.pdf"),
        ("microgrant_receipt", granted.id, granted.park_id, "发票1.jpg"),
        ("microgrant_receipt", granted.id, granted.park_id, "发票2.pdf")]
    page = client.get(f"/microgrant/applications/{granted.id}").get_data(as_text=True)
    assert "已上传票据" in page
    report = page[page.index('class="list-unstyled mb-3 files-report"'):]
    assert report.index("中期报告.pdf") < report.index("files-receipt") < report.index("发票1.jpg")
    assert "15 字节" in page and len(re.findall(r'href="/files/\d+"', page)) == 3
    assert client.get(f"/files/{stored[1].id}").data == JPEG
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "microgrant.files")
                                 .order_by(AuditEntry.id)).all()
    assert [(e.details["kind"], e.details["files"]) for e in entries] == [
        ("report", ["中期报告.pdf"]), ("receipt", ["发票1.jpg", "发票2.pdf"])]


def test_the_parks_manager_uploads_too(granted, login_as, client):
    login_as("wannianbu-mgr")
    assert _upload(client, granted, "receipt", (PDF, "拨付凭证.pdf")).status_code == 302
    assert db.session.scalar(select(StoredFile.original_name)) == "拨付凭证.pdf"


def test_a_file_of_the_wrong_type_refuses_the_upload_and_says_which(granted, login_as, client):
    login_as("trainee-chen")
    _upload(client, granted, "receipt", (PDF, "发票.pdf"), (b"just text", "发票2.pdf"))
    page = client.get(f"/microgrant/applications/{granted.id}").get_data(as_text=True)
    assert "发票2.pdf：只能上传 PDF、图片（PNG、JPEG、GIF、WebP）或 Office 文件（Word、Excel、PowerPoint）。" in page
    assert db.session.scalar(select(db.func.count()).select_from(StoredFile)) == 0


def test_a_file_too_large_is_refused_with_a_validation_error(granted, users, app, monkeypatch):
    monkeypatch.setitem(app.config, "FILES_MAX_MB", 0.001)
    with pytest.raises(ValidationError, match="报告.pdf：文件不能大于 0.001 MB。") as refused:
        services.attach_files(granted, "report", [_named(PDF + b"0" * 2000, "报告.pdf")], user=users["trainee-chen"])
    assert refused.value.field == "file"
    assert db.session.scalar(select(db.func.count()).select_from(StoredFile)) == 0


def test_nothing_chosen_or_an_unknown_kind_is_refused(granted, users):
    with pytest.raises(ValidationError, match="请选择要上传的文件"):
        services.attach_files(granted, "report", [], user=users["trainee-chen"])
    with pytest.raises(ValidationError, match="请选择材料类别"):
        services.attach_files(granted, "invoice", [_named(PDF, "a.pdf")], user=users["trainee-chen"])


def test_a_project_not_granted_takes_no_reports(make_round, make_application, users, login_as, client):
    application = make_application(make_round())
    users["trainee-chen"].organization_id = application.organization_id
    db.session.commit()
    with pytest.raises(Conflict, match="项目立项后才能上传项目报告和票据"):
        services.attach_files(application, "report", [_named(PDF, "a.pdf")], user=users["trainee-chen"])
    login_as("trainee-chen")
    assert "项目报告与票据" not in client.get(f"/microgrant/applications/{application.id}").get_data(as_text=True)


def test_experts_and_strangers_may_not_upload(granted, login_as, client, users):
    for who in ("expert-li", "trainee-wang", "changqing-mgr"):
        login_as(who)
        assert _upload(client, granted, "report", (PDF, "a.pdf")).status_code in (403, 404), who
    assert db.session.scalar(select(db.func.count()).select_from(StoredFile)) == 0


def test_who_may_read_the_files_is_who_may_view_the_project(granted, users, login_as, client):
    services.attach_files(granted, "receipt", [_named(PDF, "发票.pdf")], user=users["trainee-chen"])
    link = f"/files/{services.files_of(granted.id)['receipt'][0].id}"
    for who in ("trainee-chen", "wannianbu-mgr", "admin", "expert-li"):  # expert-li: the round's expert
        login_as(who)
        assert client.get(link).status_code == 200, who
    for who in ("changqing-mgr", "fangxing-mgr", "trainee-wang", "expert-zhou"):
        login_as(who)
        assert client.get(link).status_code == 404, who
