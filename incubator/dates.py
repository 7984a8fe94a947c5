"""One date style across the UI: 2026年12月1日, and 2026年12月1日 15:40 with a time.

Templates use the `date` and `datetime` filters; Python code that writes a date into a message,
a PDF or an export uses `show_date` / `show_datetime`. Stored times are UTC; they are shown in the
district's time zone (BABEL_DEFAULT_TIMEZONE).
"""
from datetime import date, datetime, timezone

from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from babel.dates import format_date as babel_format_date
from flask_babel import format_date, format_datetime, get_locale

def district_zone() -> ZoneInfo:
    """The district's time zone (BABEL_DEFAULT_TIMEZONE, Asia/Shanghai), whatever the server's `TZ`."""
    zone = current_app.config.get("BABEL_DEFAULT_TIMEZONE") if has_app_context() else None
    return ZoneInfo(zone or "Asia/Shanghai")


def today() -> date:
    """Today in the district: the one "today" for due dates, windows and reports."""
    return datetime.now(district_zone()).date()


def to_utc(local: datetime) -> datetime:
    """A wall-clock time people typed (the district's) → naive UTC, as times are stored."""
    return local.replace(tzinfo=district_zone()).astimezone(timezone.utc).replace(tzinfo=None)


def to_local(utc: datetime) -> datetime:
    """A stored (naive UTC) time → the district's wall clock, naive, for forms and file names.
    An aware time is converted from its own zone."""
    aware = utc if utc.tzinfo else utc.replace(tzinfo=timezone.utc)
    return aware.astimezone(district_zone()).replace(tzinfo=None)


# CLDR's "long" date for Chinese is 2026年12月1日; English reads "Dec 1, 2026".
DATE = {"zh": "y年M月d日", "en": "MMM d, y"}
DATETIME = {"zh": "y年M月d日 HH:mm", "en": "MMM d, y HH:mm"}


def _language() -> str:
    locale = get_locale()
    return locale.language if locale is not None and locale.language in DATE else "zh"


def show_date(value: date | datetime | None, *_ignored) -> str:
    if not value:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value.replace(tzinfo=None), DATE[_language()])
    return format_date(value, DATE[_language()])


def chinese_date(value: date) -> str:
    """2026年12月1日 whatever the reader's language: for documents that are Chinese (certificates)."""
    return babel_format_date(value, DATE["zh"], locale="zh")


def show_datetime(value: datetime | None, *_ignored) -> str:
    if not value:
        return ""
    return format_datetime(value.replace(tzinfo=None), DATETIME[_language()])
