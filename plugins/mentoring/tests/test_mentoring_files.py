"""A supervision log's photos and sign-in sheets (现场照片、签到表): attached by the expert when writing
the log and later from its page, listed there with name and size, read by whoever may read the log,
a 404 for another park's manager."""
import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from incubator.audit.models import AuditEntry
from incubator.errors import Conflict, ValidationError
from incubator.extensions import db
from incubator.files.models import StoredFile
from plugins.mentoring import services
from plugins.mentoring.models import SupervisionLog

PDF = b"%PDF-1.4\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


@pytest.fixture(autouse=True)
def _files_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "FILES_DIR", str(tmp_path / "files"))


def _write_log(client, org, *files):
    return client.post(f"/mentoring/orgs/{org.id}/logs/new", content_type="multipart/form-data", data={
        "held_on": (date.today() - timedelta(days=1)).isoformat(), "hours": "2", "mode": "onsite",
        "topics": ["内部治理"], "findings": "理事会记录不全", "advice": "每季度开会",
        "file": [(io.BytesIO(content), name) for content, name in files]})


def _only_log(org):
    return db.session.scalar(select(SupervisionLog).where(SupervisionLog.organization_id == org.id))


def _links(page: str) -> list[str]:
    return re.findall(r'href="(/files/\d+)"', page)


def test_the_expert_attaches_a_photo_and_a_sign_in_sheet_when_writing_the_log(supervised, login_as, client):
    login_as("expert-li")
    form = client.get(f"/mentoring/orgs/{supervised.id}/logs/new").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form and 'name="file"' in form and "multiple" in form
    assert "文件不超过 10 MB，支持 PDF、图片、Office 文件。" in form

    response = _write_log(client, supervised, (PDF, "签到表.pdf"), (PNG, "现场照片.png"))
    assert response.status_code == 302, response.get_data(as_text=True)
    log = _only_log(supervised)
    stored = db.session.scalars(select(StoredFile).order_by(StoredFile.id)).all()
    assert [(f.owner_type, f.owner_id, f.park_id, f.original_name, f.content_type) for f in stored] == [
        ("mentoring_log", log.id, supervised.park_id, "签到表.pdf", "application/pdf"),
        ("mentoring_log", log.id, supervised.park_id, "现场照片.png", "image/png")]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "mentoring.log"))
    assert entry.details["files"] == ["签到表.pdf", "现场照片.png"]

    page = client.get(f"/mentoring/logs/{log.id}").get_data(as_text=True)
    assert "签到表.pdf" in page and "现场照片.png" in page and "15 字节" in page
    assert sorted(_links(page)) == sorted(f"/files/{f.id}" for f in stored)
    assert client.get(f"/files/{stored[0].id}").data == PDF


def test_a_log_written_without_files_has_none(supervised, login_as, client):
    login_as("expert-li")
    assert _write_log(client, supervised).status_code == 302
    assert db.session.scalar(select(db.func.count()).select_from(StoredFile)) == 0
    assert "还没有附件" in client.get(f"/mentoring/logs/{_only_log(supervised).id}").get_data(as_text=True)


def test_a_file_of_the_wrong_type_refuses_the_whole_log_and_says_which(supervised, login_as, client):
    login_as("expert-li")
    response = _write_log(client, supervised, (PDF, "签到表.pdf"), (b"MZ\x90\x00" + b"\x00" * 60, "照片.jpg"))
    assert response.status_code == 200  # the form again, with the refusal beside the field
    page = response.get_data(as_text=True)
    assert "照片.jpg：只能上传 PDF、图片（PNG、JPEG、GIF、WebP）或 Office 文件（Word、Excel、PowerPoint）。" in page
    assert _only_log(supervised) is None
    assert db.session.scalar(select(db.func.count()).select_from(StoredFile)) == 0


def test_the_service_refuses_a_file_too_large_with_a_validation_error(supervised, users, log_data, app, monkeypatch):
    monkeypatch.setitem(app.config, "FILES_MAX_MB", 0.001)
    big = io.BytesIO(PDF + b"0" * 2000)
    big.filename = "签到表.pdf"
    with pytest.raises(ValidationError, match="签到表.pdf：文件不能大于 0.001 MB。") as refused:
        services.create_log(supervised, log_data(), user=users["expert-li"], attachments=[big])
    assert refused.value.field == "file"
    assert db.session.scalar(select(db.func.count()).select_from(SupervisionLog)) == 0


def test_the_expert_adds_files_later_from_the_logs_page_even_once_confirmed(supervised, users, log_data,
                                                                            login_as, client):
    log = services.create_log(supervised, log_data(), user=users["expert-li"])
    services.confirm(log, user=users["trainee-wang"])
    login_as("expert-li")
    page = client.get(f"/mentoring/logs/{log.id}").get_data(as_text=True)
    assert f'action="/mentoring/logs/{log.id}/files"' in page and "文件不超过 10 MB" in page
    response = client.post(f"/mentoring/logs/{log.id}/files", content_type="multipart/form-data",
                           data={"file": [(io.BytesIO(PNG), "签到表.png")]})
    assert response.status_code == 302
    page = client.get(f"/mentoring/logs/{log.id}").get_data(as_text=True)
    assert "已上传附件" in page and "签到表.png" in page
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "mentoring.attach"))
    assert entry.object_id == str(log.id) and entry.details["files"] == ["签到表.png"]


def test_uploading_nothing_from_the_logs_page_is_refused(supervised, users, log_data, login_as, client):
    log = services.create_log(supervised, log_data(), user=users["expert-li"])
    with pytest.raises(ValidationError, match="请选择要上传的文件"):
        services.attach_files(log, [], user=users["expert-li"])
    login_as("expert-li")
    client.post(f"/mentoring/logs/{log.id}/files", content_type="multipart/form-data", data={})
    assert "请选择要上传的文件" in client.get(f"/mentoring/logs/{log.id}").get_data(as_text=True)


def test_only_the_author_adds_files(supervised, users, log_data, login_as, client):
    log = services.create_log(supervised, log_data(), user=users["expert-li"])
    with pytest.raises(Conflict, match="只有记录的撰写专家可以添加附件"):
        services.attach_files(log, [PDF], user=users["fangxing-mgr"])
    for who in ("trainee-wang", "fangxing-mgr"):
        login_as(who)
        assert f"/mentoring/logs/{log.id}/files" not in client.get(f"/mentoring/logs/{log.id}").get_data(as_text=True)
        response = client.post(f"/mentoring/logs/{log.id}/files", content_type="multipart/form-data",
                               data={"file": [(io.BytesIO(PDF), "a.pdf")]})
        assert response.status_code == 403
    assert db.session.scalar(select(db.func.count()).select_from(StoredFile)) == 0


def test_who_may_read_the_files_is_who_may_read_the_log(supervised, users, log_data, login_as, client):
    log = services.create_log(supervised, log_data(), user=users["expert-li"], attachments=[_named(PDF, "签到表.pdf")])
    db.session.commit()
    link = f"/files/{services.files_of_log(log.id)[0].id}"
    for who in ("expert-li", "trainee-wang", "fangxing-mgr", "admin"):
        login_as(who)
        assert client.get(link).status_code == 200, who
        if who != "expert-li":
            assert link in client.get(f"/mentoring/logs/{log.id}").get_data(as_text=True), who
    for who in ("changqing-mgr", "expert-zhou", "contact-zhang"):
        login_as(who)
        assert client.get(link).status_code == 404, who


def test_a_withdrawn_logs_files_are_read_by_nobody(supervised, users, log_data, login_as, client):
    log = services.create_log(supervised, log_data(), user=users["expert-li"], attachments=[_named(PDF, "a.pdf")])
    db.session.commit()
    link = f"/files/{services.files_of_log(log.id)[0].id}"
    services.withdraw(log, user=users["expert-li"])
    login_as("admin")
    assert client.get(link).status_code == 404


def _named(content: bytes, name: str):
    stream = io.BytesIO(content)
    stream.filename = name
    return stream
