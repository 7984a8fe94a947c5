"""One way to show numbers, by Babel in the current language: 学时 (12, 1.5) and money (¥1,500,000.00).

Templates use the `hours`, `number` and `yuan` filters; Python code that writes a number into a
message, a PDF or an export uses `show_hours` / `show_number` / `show_yuan`. Money is stored in fen (分), as integers.
"""
from decimal import Decimal

from flask_babel import format_currency, format_decimal

HOURS = "#,##0.##"  # 12, 1.5, 1,200 — no trailing zeros
YUAN = "¤#,##0.00"  # ¥1,500,000.00 (CN¥ in English)


def show_hours(value) -> str:
    if value is None or value == "":
        return ""
    return format_decimal(Decimal(str(value)), format=HOURS)


def show_number(value) -> str:
    """A count or a measure (a figure: 112, 1,536.5), without trailing zeros."""
    return show_hours(value)


def show_yuan(fen: int | None) -> str:
    if fen is None:
        return ""
    return format_currency(Decimal(fen) / 100, "CNY", format=YUAN, currency_digits=False)


def init_app(app) -> None:
    app.jinja_env.filters["hours"] = show_hours
    app.jinja_env.filters["number"] = show_number
    app.jinja_env.filters["yuan"] = show_yuan
