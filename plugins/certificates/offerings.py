"""An offering (班次) as the certificates see it: its completed enrolments (from whichever plugin
provides them, the academy), its park for permission checks, who of it has a certificate, and its
certificates as one ZIP. Its batch issue is jobs.py.
"""
from __future__ import annotations

import io
import zipfile
from collections import namedtuple

from flask_babel import gettext as _
from sqlalchemy import select

from incubator.errors import NotFound
from incubator.extensions import db
from incubator.plugins import hook

from . import storage
from .models import Certificate
from .names import file_name
from .queries import certificates_query
from .specs import completion_subject

# The resource a permission check is made on for an offering-wide action (batch issue, ZIP).
OfferingRef = namedtuple("OfferingRef", "id park_id")


def completed_enrolments(offering_id: int) -> list:
    """The completed enrolments of an offering, from whichever plugin provides them (the academy)."""
    result = hook().incubator_certificate_completions(offering_id=offering_id)
    if result is None:
        raise NotFound(_("班次不存在"))
    return list(result)


def offering_ref(offering_id: int, items=None) -> OfferingRef:
    """The offering as a permission resource: its park comes from its certificates or completions."""
    park_id = db.session.scalar(select(Certificate.park_id).where(Certificate.offering_id == offering_id).limit(1))
    if park_id is None:
        items = completed_enrolments(offering_id) if items is None else items
        if items:
            offering = items[0].offering
            park_id = getattr(offering, "park_id", None) or offering.park.id
    if park_id is None:
        raise NotFound(_("班次不存在"))
    return OfferingRef(offering_id, park_id)


def with_certificates(offering_id: int, items: list) -> list[tuple]:
    """(enrolment, its current 结业证书 or None) for each of `items`, the offering's completions."""
    certs = {cert.subject: cert for cert in db.session.scalars(certificates_query(offering_id=offering_id))}
    return [(enrolment, certs.get(completion_subject(enrolment))) for enrolment in items]


def offering_zip(offering_id: int, park_ids=None) -> tuple[io.BytesIO, int]:
    """All current certificates of an offering as one ZIP (stored, not deflated: PDFs are compressed)."""
    certs = db.session.scalars(certificates_query(park_ids=park_ids, offering_id=offering_id)).all()
    buffer = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for cert in certs:
            if storage.promote(cert):  # a name the holder chose: made safe as an entry name
                archive.write(storage.pdf_path(cert), file_name(cert.serial, cert.holder_name, used))
    buffer.seek(0)
    return buffer, len(certs)
