"""Public verification (证书验证): anyone looks a certificate up by the code printed on it, sees its
status and its latest version, and may check that a PDF they were given is the one issued.
"""
from __future__ import annotations

import hashlib

from flask import current_app, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from incubator.extensions import db
from incubator.plugins import is_enabled

from . import PLUGIN
from .models import Certificate
from .services import current_for, verify_base_url


def verify_limit() -> str:
    """The rate limit of the public verification page and API, per address."""
    return current_app.config["CERTIFICATES_VERIFY_RATE_LIMIT"]


def verify_url(cert: Certificate) -> str:
    """The public verification address of `cert` (the API shows it)."""
    if current_app.config.get("BASE_URL") or current_app.config.get("CERTIFICATES_PUBLIC_URL"):
        return f"{verify_base_url()}/{cert.code}"
    return url_for("certificates.verify", code=cert.code, _external=True)


def normalize_code(text: str) -> str:
    """A code as typed from paper (any case, spaces or dashes anywhere) in its printed form."""
    raw = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if len(raw) == 16 else raw


def lookup(code: str) -> Certificate | None:
    """The certificate with this code, if the plugin is on in its park (else None, as for a code
    nobody was given)."""
    cert = by_code(code)
    return cert if cert is not None and is_enabled(PLUGIN, cert.park_id) else None


def by_code(code: str) -> Certificate | None:
    code = normalize_code(code)
    if not code:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code)
                             .options(selectinload(Certificate.park), selectinload(Certificate.superseded_by)))


def latest_version(cert: Certificate) -> Certificate:
    return current_for(cert.subject) or cert


def file_matches(cert: Certificate, data: bytes) -> bool:
    """Is `data` (an uploaded PDF) exactly the file issued for `cert`?"""
    return hashlib.sha256(data).hexdigest() == cert.pdf_sha256
