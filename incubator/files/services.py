"""Storing uploads and finding them again.

Content lives at `<FILES_DIR>/ab/cd/<sha256>`, written once however many records share it. A file
and its row cannot be written atomically together, so (as certificates' storage.py does) the content
is written first to a temporary name in the same directory (`.<sha256>.<random>.tmp`: the rename is
atomic), the row is committed, and only then is it renamed into place (`after_commit`). A write rolled
back, or a process killed in between, leaves only a temporary file, which `sweep` removes once it is
older than any transaction can be; no row ever names content that is not its SHA-256.
"""
from __future__ import annotations

import hashlib
import io
import os
import tempfile
import time
import zipfile
from pathlib import Path

from flask import current_app
from huey import crontab
from flask_babel import gettext as _
from sqlalchemy import select

from ..database import after_commit, transaction
from ..errors import ValidationError
from ..extensions import db
from ..queue import Periodic
from ..validators import clean_name
from .models import StoredFile

MB = 1024 * 1024
NAME_LENGTH = 200
OOXML = {  # the part a docx / xlsx / pptx has, in the ZIP beside [Content_Types].xml
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
OLE_TYPES = {".xls": "application/vnd.ms-excel", ".ppt": "application/vnd.ms-powerpoint"}
OLE_DEFAULT = "application/msword"


def files_dir() -> Path:
    return Path(current_app.config["FILES_DIR"])


def content_path(sha256: str) -> Path:
    return files_dir() / sha256[:2] / sha256[2:4] / sha256


def max_bytes() -> int:
    return int(float(current_app.config["FILES_MAX_MB"]) * MB)


def sniff(head: bytes, content: bytes, name: str = "") -> str | None:
    """The content type the bytes say (not the browser, not the name), or None if not allowed."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # OLE: legacy doc / xls / ppt
        return OLE_TYPES.get(os.path.splitext(name.lower())[1], OLE_DEFAULT)
    if head.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(content)).namelist()
        except (zipfile.BadZipFile, ValueError):
            return None
        if "[Content_Types].xml" in names:
            for prefix, content_type in OOXML.items():
                if any(n.startswith(prefix) for n in names):
                    return content_type
    return None


def _read(upload) -> bytes:
    """The upload's bytes (a FileStorage, a stream or bytes), refusing more than the limit."""
    if isinstance(upload, bytes):
        content = upload
    else:
        stream = getattr(upload, "stream", upload)
        content = stream.read(max_bytes() + 1)
    if len(content) > max_bytes():
        raise ValidationError(_("文件不能大于 %(mb)s MB。", mb=f"{float(current_app.config['FILES_MAX_MB']):g}"),
                              field="file")
    if not content:
        raise ValidationError(_("文件是空的。"), field="file")
    return content


def _stage(sha256: str, content: bytes) -> Path | None:
    """Write `content` to a temporary file beside its final place (None: already stored)."""
    final = content_path(sha256)
    if final.is_file():
        return None
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=final.parent, prefix=f".{sha256}.", suffix=".tmp")
    with os.fdopen(fd, "wb") as out:
        out.write(content)
    return Path(name)


def _publish(staged: Path, sha256: str) -> None:
    os.replace(staged, content_path(sha256))


def store(upload, *, owner_type: str, owner_id: int, park_id: int | None, user, name: str | None = None) -> StoredFile:
    """Keep an uploaded file for the record (`owner_type`, `owner_id`). `upload` is a werkzeug
    `FileStorage` (its `filename` is the original name), a binary stream or bytes with `name`.
    Refused (ValidationError, field "file") when larger than FILES_MAX_MB, empty, or not a PDF, an
    image (PNG, JPEG, GIF, WebP) or an Office file by its content. Joins the caller's transaction:
    the content is in place once that commits."""
    original = name if name is not None else getattr(upload, "filename", "") or ""
    original = clean_name(original.replace("\\", "/").rsplit("/", 1)[-1])[:NAME_LENGTH] or "file"
    content = _read(upload)
    content_type = sniff(content[:16], content, original)
    if content_type is None:
        raise ValidationError(_("只能上传 PDF、图片（PNG、JPEG、GIF、WebP）或 Office 文件"
                                "（Word、Excel、PowerPoint）。"), field="file")
    sha256 = hashlib.sha256(content).hexdigest()
    staged = _stage(sha256, content)
    try:
        with transaction():
            stored = StoredFile(sha256=sha256, size=len(content), original_name=original,
                                content_type=content_type, owner_type=owner_type, owner_id=owner_id,
                                park_id=park_id, uploaded_by_id=getattr(user, "id", None))
            db.session.add(stored)
            db.session.flush()
            if staged is not None:
                after_commit(lambda: _publish(staged, sha256))
    except BaseException:
        if staged is not None:
            staged.unlink(missing_ok=True)
        raise
    return stored


MAX_FILES = 10  # files per upload (a form's multiple file input)


def chosen(uploads) -> list:
    """The uploads a form really carries: its empty file inputs left out."""
    return [u for u in uploads or () if u is not None and (getattr(u, "filename", None) or isinstance(u, bytes))]


def store_many(uploads, *, owner_type: str, owner_id: int, park_id: int | None, user, required: bool = True,
               max_files: int = MAX_FILES) -> list[StoredFile]:
    """`store` each upload a form carries for the record, in the caller's transaction: none chosen
    (when `required`) or more than `max_files` is refused, and one refused refuses them all, the
    refusal naming the file (“照片.jpg：只能上传…”)."""
    uploads = chosen(uploads)
    if required and not uploads:
        raise ValidationError(_("请选择要上传的文件"), field="file")
    if len(uploads) > max_files:
        raise ValidationError(_("一次最多上传 %(n)s 个文件", n=max_files), field="file")
    stored = []
    with transaction():
        for upload in uploads:
            try:
                stored.append(store(upload, owner_type=owner_type, owner_id=owner_id, park_id=park_id, user=user))
            except ValidationError as exc:
                raise ValidationError(f"{getattr(upload, 'filename', '')}：{exc.message}", field="file") from exc
    return stored


def files_of(owner_type: str, owner_ids) -> dict[int, list[StoredFile]]:
    """The files of each record, newest first: {owner_id: [StoredFile, …]} — one query."""
    ids = list(owner_ids)
    found: dict[int, list[StoredFile]] = {}
    if not ids:
        return found
    for stored in db.session.scalars(select(StoredFile).where(StoredFile.owner_type == owner_type,
                                                              StoredFile.owner_id.in_(ids))
                                     .order_by(StoredFile.uploaded_at.desc(), StoredFile.id.desc())):
        found.setdefault(stored.owner_id, []).append(stored)
    return found


def may_read(user, stored: StoredFile) -> bool:
    """The owner's plugin decides (`incubator_file_access`): any False denies; otherwise a True
    allows; nobody answering means no."""
    from ..permissions import verdict
    from ..plugins import hooks_for
    user_obj = user._get_current_object() if hasattr(user, "_get_current_object") else user
    relay = hooks_for([stored.park_id]) if stored.park_id is not None else hooks_for()
    return verdict(relay.incubator_file_access(user=user_obj, stored_file=stored))


def sweep(max_age: float) -> int:
    """Remove temporary files older than `max_age` seconds (a write rolled back, or a process
    killed before the rename); the number removed. A younger one may be a transaction still running."""
    removed = 0
    cutoff = time.time() - max_age
    root = files_dir()
    if not root.is_dir():
        return 0
    for path in root.glob("*/*/.*.tmp"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


# Every hour the worker removes uploads left half-way (a write rolled back, a process killed) for
# more than an hour: longer than any transaction runs.
SWEEP = Periodic("files.sweep", lambda: sweep(3600), crontab(minute="37"))
