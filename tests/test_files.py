"""The core file store: content kept once per SHA-256, types judged by their bytes, size limited,
written beside its place and renamed once the row commits; served only to whom the owner's plugin
allows, never run by the browser."""
import io
import os
import zipfile
from urllib.parse import quote

import pytest

from incubator import hookimpl
from incubator.database import transaction
from incubator.errors import ValidationError
from incubator.extensions import db
from incubator.files import services
from incubator.files.models import StoredFile

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def office_zip(part: str = "word/document.xml", content_types: bool = True) -> bytes:
    """The same bytes every time (a fixed date in the ZIP): the test ids hold them, and the
    pytest-xdist workers must collect the same ids."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if content_types:
            archive.writestr(zipfile.ZipInfo("[Content_Types].xml", (2026, 1, 1, 0, 0, 0)), "<Types/>")
        archive.writestr(zipfile.ZipInfo(part, (2026, 1, 1, 0, 0, 0)), "<x/>")
    return buffer.getvalue()


@pytest.fixture
def files_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "FILES_DIR", str(tmp_path / "files"))
    return tmp_path / "files"


def store(content, name="证书.pdf", owner_id=1, **kwargs):
    return services.store(io.BytesIO(content), name=name, owner_type="test_owner", owner_id=owner_id,
                          park_id=kwargs.pop("park_id", None), user=kwargs.pop("user", None), **kwargs)


def stored_paths(files_dir):
    return sorted(p for p in files_dir.rglob("*") if p.is_file())


def test_the_same_content_is_stored_once(network, files_dir):
    first = store(PDF, owner_id=1)
    second = store(PDF, name="copy.pdf", owner_id=2)
    assert first.id != second.id and first.sha256 == second.sha256
    assert first.size == len(PDF) and first.content_type == "application/pdf"
    path = services.content_path(first.sha256)
    assert path == files_dir / first.sha256[:2] / first.sha256[2:4] / first.sha256
    assert stored_paths(files_dir) == [path] and path.read_bytes() == PDF


@pytest.mark.parametrize("content, name, content_type", [
    (PDF, "a.pdf", "application/pdf"),
    (PNG, "a.png", "image/png"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "a.jpg", "image/jpeg"),
    (b"GIF89a" + b"\x00" * 20, "a.gif", "image/gif"),
    (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "a.webp", "image/webp"),
    (office_zip("word/document.xml"), "a.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (office_zip("xl/workbook.xml"), "a.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (office_zip("ppt/presentation.xml"), "a.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 20, "a.doc", "application/msword"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 20, "a.xls", "application/vnd.ms-excel"),
])
def test_allowed_types_are_recognised_by_their_bytes(network, files_dir, content, name, content_type):
    assert store(content, name=name).content_type == content_type


@pytest.mark.parametrize("content, name", [
    (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56, "证书.pdf"),  # a Windows program renamed .pdf
    ("只是一段文字".encode(), "说明.txt"),
    (b"<html><script>alert(1)</script></html>", "a.png"),
    (office_zip("word/document.xml", content_types=False), "a.docx"),  # a plain ZIP is not Office
    (b"PK\x03\x04 not really a zip", "a.xlsx"),
])
def test_other_content_is_refused_whatever_its_name(network, files_dir, content, name):
    with pytest.raises(ValidationError) as refused:
        store(content, name=name)
    assert refused.value.field == "file"
    assert refused.value.message == "只能上传 PDF、图片（PNG、JPEG、GIF、WebP）或 Office 文件（Word、Excel、PowerPoint）。"
    assert db.session.scalar(db.select(db.func.count()).select_from(StoredFile)) == 0
    assert stored_paths(files_dir) == []


def test_a_file_over_the_limit_is_refused_naming_the_limit(app, network, files_dir, monkeypatch):
    monkeypatch.setitem(app.config, "FILES_MAX_MB", 1)
    with pytest.raises(ValidationError, match="^文件不能大于 1 MB。$"):
        store(PDF + b"\x00" * (1024 * 1024))
    assert store(PDF + b"\x00" * (1024 * 1024 - len(PDF))).size == 1024 * 1024
    with pytest.raises(ValidationError, match="^文件是空的。$"):
        store(b"")


def test_the_original_name_is_cleaned_and_shortened(network, files_dir):
    assert store(PDF, name="C:\\扫描\\登记\n证书.pdf").original_name == "登记 证书.pdf"
    assert len(store(PDF, name="长" * 300 + ".pdf").original_name) == 200


def test_content_is_staged_beside_its_place_and_renamed_after_the_commit(network, files_dir):
    sha = services.hashlib.sha256(PDF).hexdigest()
    final = services.content_path(sha)
    with transaction():
        stored = store(PDF)
        staged = list(final.parent.glob(".*.tmp"))
        assert len(staged) == 1 and staged[0].read_bytes() == PDF and not final.exists()
    assert final.read_bytes() == PDF and not staged[0].exists()
    assert db.session.get(StoredFile, stored.id).sha256 == sha


def test_a_write_rolled_back_leaves_no_file_and_the_sweep_clears_its_staging(network, files_dir):
    final = services.content_path(services.hashlib.sha256(PNG).hexdigest())
    with pytest.raises(RuntimeError):
        with transaction():
            store(PNG)
            raise RuntimeError("the owner's write failed")
    assert not final.exists() and db.session.scalar(db.select(db.func.count()).select_from(StoredFile)) == 0
    (staged,) = final.parent.glob(".*.tmp")
    assert services.sweep(max_age=3600) == 0 and staged.exists()  # may be a transaction still running
    os.utime(staged, (staged.stat().st_mtime - 7200,) * 2)
    assert services.sweep(max_age=3600) == 1 and not staged.exists()


class _Owner:
    """Lets the user named `reader` read "test_owner" files; `veto` says no for another plugin."""

    def __init__(self, reader, veto=False):
        self.reader, self.veto = reader, veto

    @hookimpl
    def incubator_file_access(self, user, stored_file):
        if stored_file.owner_type != "test_owner":
            return None
        if self.veto:
            return False
        return True if user.username == self.reader else None


def test_incubator_file_access_decides_who_may_read_and_others_get_404(network, files_dir, extra_plugin,
                                                                       login_as, client):
    stored = store(PDF)
    extra_plugin(_Owner("fangxing-mgr"))
    assert client.get(f"/files/{stored.id}").status_code == 302  # to the login page
    login_as("fangxing-mgr")
    assert client.get(f"/files/{stored.id}").status_code == 200
    login_as("changqing-mgr")
    assert client.get(f"/files/{stored.id}").status_code == 404
    login_as("admin")  # nobody's answer is a no, administrators included
    assert client.get(f"/files/{stored.id}").status_code == 404
    assert client.get("/files/999999").status_code == 404
    extra_plugin(_Owner("fangxing-mgr", veto=True), name="test-veto")
    login_as("fangxing-mgr")
    assert client.get(f"/files/{stored.id}").status_code == 404  # any no wins


def test_pdf_and_images_are_shown_inline_the_rest_downloaded_never_sniffed(network, files_dir, extra_plugin,
                                                                           login_as, client):
    extra_plugin(_Owner("fangxing-mgr"))
    pdf = store(PDF, name="登记证书.pdf")
    docx = store(office_zip(), name="组织章程.docx")
    disguised = services.store(io.BytesIO(PNG), name="a.html", owner_type="test_owner", owner_id=3,
                               park_id=None, user=None)
    login_as("fangxing-mgr")

    response = client.get(f"/files/{pdf.id}")
    assert response.data == PDF and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert f"filename*=UTF-8''{quote('登记证书.pdf')}" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox"

    response = client.get(f"/files/{docx.id}")
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert f"filename*=UTF-8''{quote('组织章程.docx')}" in response.headers["Content-Disposition"]
    assert response.headers["Content-Security-Policy"] == "sandbox"

    assert client.get(f"/files/{disguised.id}").mimetype == "image/png"  # its bytes, not its name


def test_files_dir_and_limit_come_from_the_environment(monkeypatch, tmp_path):
    from flask import Flask

    from incubator.config import load_config
    monkeypatch.setenv("INCUBATOR_SECRET_KEY", "x")
    monkeypatch.delenv("INCUBATOR_FILES_DIR", raising=False)
    app = Flask("files", instance_path=str(tmp_path))
    load_config(app)
    assert app.config["FILES_DIR"] == str(tmp_path / "files") and app.config["FILES_MAX_MB"] == 10
    monkeypatch.setenv("INCUBATOR_FILES_DIR", str(tmp_path / "evidence"))
    monkeypatch.setenv("INCUBATOR_FILES_MAX_MB", "2.5")
    load_config(app)
    assert app.config["FILES_DIR"] == str(tmp_path / "evidence") and app.config["FILES_MAX_MB"] == 2.5
    monkeypatch.setenv("INCUBATOR_FILES_MAX_MB", "lots")
    with pytest.raises(ValueError, match="INCUBATOR_FILES_MAX_MB must be a positive number"):
        load_config(app)


def test_the_worker_sweeps_unfinished_uploads_every_hour(app, ctx):
    from incubator import queue
    huey = queue.build(app, immediate=True)
    assert "files.sweep" in {task.__name__ for task in huey._registry._periodic_tasks}
