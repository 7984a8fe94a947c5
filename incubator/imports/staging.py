"""An upload kept between its preview and its confirmation: the file under
`<instance>/imports/<token>` with who uploaded it, for what and when (a JSON beside it). Only its
uploader may use it; it is gone after a day, or once imported."""
from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from ..errors import NotFound

KEEP_SECONDS = 24 * 3600
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,40}$")


@dataclass
class Staged:
    token: str
    kind: str
    user_id: int | None
    filename: str
    park_id: int | None
    content: bytes


def _dir() -> Path:
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep(kind: str, user, filename: str, content: bytes, park_id: int | None) -> str:
    """Keep an upload; its token names it in the preview's address."""
    _sweep()
    token = secrets.token_urlsafe(18)
    folder = _dir()
    (folder / f"{token}.bin").write_bytes(content)
    (folder / f"{token}.json").write_text(json.dumps(
        {"kind": kind, "user_id": getattr(user, "id", None), "filename": filename, "park_id": park_id}),
        encoding="utf-8")
    return token


def fetch(token: str, kind: str, user) -> Staged:
    """The upload `token` names, if `user` made it for `kind`; NotFound otherwise (or when expired)."""
    folder = _dir()
    if not TOKEN.match(token or "") or not (folder / f"{token}.json").exists():
        raise NotFound("导入文件已过期或不存在，请重新上传")
    meta = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
    if meta["kind"] != kind or meta["user_id"] != getattr(user, "id", None):
        raise NotFound("导入文件已过期或不存在，请重新上传")
    return Staged(token=token, kind=kind, user_id=meta["user_id"], filename=meta["filename"],
                  park_id=meta["park_id"], content=(folder / f"{token}.bin").read_bytes())


def discard(token: str) -> None:
    for suffix in (".bin", ".json"):
        (_dir() / f"{token}{suffix}").unlink(missing_ok=True)


def _sweep() -> None:
    limit = time.time() - KEEP_SECONDS
    for path in _dir().iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:
            pass
