"""One date style across the UI: 2026年12月1日, and 2026年12月1日 15:40 with a time.

Templates use the `date` and `datetime` filters; Python code that writes a date into a message,
a PDF or an export uses `show_date` / `show_datetime`. Stored times are UTC; they are shown in the
district's time zone (BABEL_DEFAULT_TIMEZONE).
"""
from datetime import date, datetime

from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import format_date, format_datetime, get_locale

def today() -> date:
    """Today in the district (BABEL_DEFAULT_TIMEZONE, Asia/Shanghai), whatever the server's zone."""
    zone = current_app.config.get("BABEL_DEFAULT_TIMEZONE") if has_app_context() else None
    return datetime.now(ZoneInfo(zone or "Asia/Shanghai")).date()


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


def show_datetime(value: datetime | None, *_ignored) -> str:
    if not value:
        return ""
    return format_datetime(value.replace(tzinfo=None), DATETIME[_language()])
