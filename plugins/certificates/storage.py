"""Where certificate PDFs live: `<CERTIFICATES_DIR>/<serial>.pdf`, only ever for a recorded row.

A file and its row cannot be written atomically together, so the file goes first to a staging
name (`.staging/<serial>.pdf`, same directory tree: the rename is atomic), the row is committed,
and only then is the file renamed to its final name. A worker killed in between leaves either a
staged file whose row never committed (removed by `sweep` once it is older than any transaction
can be) or a committed row whose file is still staged (moved into place by `promote`, which
checks the SHA-256 recorded in the row). So no certificate file is ever served, or zipped, whose
code fails verification. (The other order — commit, then write — would leave rows without files
and need a re-render on demand, which could not reproduce the recorded hash.)
"""
from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from flask import current_app

STAGING = ".staging"


def storage_dir() -> Path:
    return _made(Path(current_app.config["CERTIFICATES_DIR"]))


def staging_dir() -> Path:
    return _made(storage_dir() / STAGING)


_MADE: set[Path] = set()


def _made(path: Path) -> Path:
    """`path`, created if need be: made once per process and directory, then only looked at (a
    batch asks per file; a mkdir that finds the directory costs an exception each time)."""
    if path not in _MADE or not path.is_dir():
        path.mkdir(parents=True, exist_ok=True)
        _MADE.add(path)
    return path


def pdf_path(cert) -> Path:
    return storage_dir() / cert.filename


def staged_path(cert) -> Path:
    return staging_dir() / cert.filename


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def publish(staged: Path, final: Path) -> None:
    """Move a file just written (`staged_path`) into place (`pdf_path`), its row being committed."""
    os.replace(staged, final)


def promote(cert) -> bool:
    """Move `cert`'s staged file into place if it is the one recorded (the SHA-256 in the row):
    is the final file there now? (A worker killed between its commit and `publish` left it.)"""
    final, staged = pdf_path(cert), staged_path(cert)
    try:
        if staged.is_file() and cert.pdf_sha256 and _sha256(staged) == cert.pdf_sha256:
            os.replace(staged, final)
    except FileNotFoundError:  # another process moved it a moment ago
        pass
    return final.is_file()


def discard(paths) -> None:
    for path in paths:
        Path(path).unlink(missing_ok=True)
        Path(f"{path}.tmp").unlink(missing_ok=True)


def sweep(max_age: float) -> tuple[int, int]:
    """Finish what a killed worker left in staging: (files moved into place, orphans removed).
    An unrecorded file is removed only once older than `max_age` seconds: it may belong to a
    transaction still running in another process."""
    from sqlalchemy import select

    from incubator.extensions import db

    from .models import Certificate
    moved = removed = 0
    cutoff = time.time() - max_age
    for path in sorted(staging_dir().iterdir()):
        serial = path.name.removesuffix(".tmp").removesuffix(".pdf")
        cert = None if path.name.endswith(".tmp") else db.session.scalar(
            select(Certificate).where(Certificate.serial == serial))
        if cert is not None and path.is_file() and promote(cert) and not path.exists():
            moved += 1
        elif path.exists() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return moved, removed
