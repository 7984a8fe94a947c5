"""Resident ID numbers (居民身份证号码, GB 11643-1999): check digit, masking, keyed hash.

The full number is never stored: a keyed hash (HMAC-SHA256 with the app's SECRET_KEY) finds
duplicates, and a masked copy (340111********1234) is what every page, API answer and export shows.
"""
import hashlib
import hmac
import re
from datetime import date

from flask import current_app
from flask_babel import gettext as _

from incubator.dates import today

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
ID_RE = re.compile(r"^\d{17}[\dX]$")


def normalize(value: str | None) -> str:
    return (value or "").strip().upper().replace(" ", "")


def check_digit(first17: str) -> str:
    return CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]


def error(value: str | None) -> str | None:
    """None if `value` is a valid 18-digit ID number, else the reason in Chinese."""
    value = normalize(value)
    if not ID_RE.match(value):
        return _("身份证号码应为18位（最后一位可为X）")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return _("身份证号码中的出生日期无效")
    if born > today() or born.year < 1900:
        return _("身份证号码中的出生日期无效")
    if check_digit(value[:17]) != value[17]:
        return _("身份证号码校验位不正确")
    return None


def mask(value: str) -> str:
    value = normalize(value)
    return value[:6] + "*" * 8 + value[-4:]


def keyed_hash(value: str) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, normalize(value).encode(), hashlib.sha256).hexdigest()


def make(body17: str) -> str:
    """Complete 17 digits with their check digit (demo data and tests)."""
    return body17 + check_digit(body17)
