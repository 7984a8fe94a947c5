"""Is this organization one we already have? (重复识别: for the public form, and later the import.)

An organization is the same one when it has the same 统一社会信用代码; without one, when its name is
the same once normalized (full-width/half-width, case, spaces and punctuation, the 有限公司 variants)
— and, more surely, when the contact phone is the same too. The whole deployment is one district, so
names are compared across every park.

No column holds the normalized name (it would need a migration): the candidates are narrowed in SQL
by `Organization.name_initials` (indexed) equal to the initials of the few spellings the normalized
name may have been stored as, and the normalized names are compared in Python on that short list.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select

from ..extensions import db
from ..search import initials
from ..validators import normalize_uscc
from .models import Organization

# Legal-form suffixes that name the same kind of body: all become the last one (公司).
COMPANY_SUFFIXES = ("有限责任公司", "有限公司", "公司")
# A group still being set up (筹备中) is the same group once registered: "（筹）" / "(筹)" is dropped.
PREPARATORY = re.compile(r"\(筹\)$")

Reason = Literal["uscc", "name_phone", "name"]
STRENGTH = {"uscc": 0, "name_phone": 1, "name": 2}


@dataclass(frozen=True)
class Match:
    """An existing organization that is probably the one named, and why we think so."""

    organization: Organization
    reason: Reason


def normalized_name(name: str | None) -> str:
    """The name as compared: NFKC (full-width → half-width), case-folded, without whitespace or
    punctuation, a trailing （筹） dropped, and 有限责任公司 / 有限公司 made 公司.

    "包河 社工（筹）" and "包河社工" are the same; "ＡＢＣ社工服务有限责任公司" and "abc社工服务公司" too.
    """
    text = unicodedata.normalize("NFKC", name or "").casefold()
    text = "".join(ch for ch in text if not ch.isspace())
    text = PREPARATORY.sub("", text)
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith(("P", "C")))
    for suffix in COMPANY_SUFFIXES[:-1]:
        if text.endswith(suffix):
            text = text[: -len(suffix)] + COMPANY_SUFFIXES[-1]
            break
    return text


def phone_digits(phone: str | None) -> str:
    return re.sub(r"\D", "", unicodedata.normalize("NFKC", phone or ""))


_FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def _initials_candidates(normal: str) -> set[str]:
    """The `name_initials` a name normalizing to `normal` may have been stored with: its legal-form
    and （筹） variants, in half-width and in full-width Latin letters and digits (the initials keep
    those as typed)."""
    stems = [normal]
    company = COMPANY_SUFFIXES[-1]
    if normal.endswith(company):
        stem = normal[: -len(company)]
        stems = [stem + suffix for suffix in COMPANY_SUFFIXES]
    spellings = set()
    for stem in stems:
        for text in (stem, stem + "筹"):
            spellings.update((text, text.translate(_FULL_WIDTH)))
    return {initials(text) for text in spellings} - {""}


def find_matches(name: str | None, uscc: str | None, phone: str | None, park=None) -> list[Match]:
    """The existing organizations that are probably the one described, strongest first: the one with
    this USCC ("uscc"), then those with the same normalized name and the same phone digits
    ("name_phone"), then the same normalized name only ("name"). Within a reason, those of `park`
    come first, then the oldest. Each organization appears once, with its strongest reason."""
    found: dict[int, Match] = {}
    code = normalize_uscc(unicodedata.normalize("NFKC", uscc)) if uscc else None
    if code:
        org = db.session.scalars(select(Organization).where(Organization.uscc == code)).first()
        if org is not None:
            found[org.id] = Match(org, "uscc")
    normal = normalized_name(name)
    candidates = _initials_candidates(normal) if normal else set()
    if candidates:
        digits = phone_digits(phone)
        for org in db.session.scalars(select(Organization).where(Organization.name_initials.in_(candidates))
                                      .order_by(Organization.id)):
            if org.id in found or normalized_name(org.name) != normal:
                continue
            same_phone = bool(digits) and phone_digits(org.contact_phone) == digits
            found[org.id] = Match(org, "name_phone" if same_phone else "name")
    park_id = getattr(park, "id", park)
    return sorted(found.values(), key=lambda m: (STRENGTH[m.reason], m.organization.park_id != park_id,
                                                 m.organization.id))
