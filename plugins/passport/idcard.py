"""Resident ID numbers (居民身份证号码, GB 11643-1999): checks, masking, keyed hash.

The full number is never stored: a keyed hash (HMAC-SHA256 with the app's SECRET_KEY) finds
duplicates, and a masked copy (340111********1234) is what every page, API answer and export shows.
"""
import hashlib
import hmac
import re

from flask import current_app
from flask_babel import gettext as _
from stdnum.cn import ric

from incubator.dates import today
from incubator.validators import id_number_error


def normalize(value: str | None) -> str:
    return re.sub(r"[\s-]", "", value or "").upper()


def error(value: str | None) -> str | None:
    """None if `value` is a valid 18-digit ID number, else the reason (the core's policy, over
    python-stdnum: incubator.validators.id_number_error), in the visitor's language."""
    reason = id_number_error(value, today=today())
    return _(reason) if reason else None


def mask(value: str) -> str:
    value = normalize(value)
    return value[:6] + "*" * 8 + value[-4:]


def keyed_hash(value: str) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, normalize(value).encode(), hashlib.sha256).hexdigest()


def make(body17: str) -> str:
    """Complete 17 digits with their check digit (demo data and tests)."""
    return body17 + ric.calc_check_digit(body17 + "?")  # stdnum reads the first 17 of 18
