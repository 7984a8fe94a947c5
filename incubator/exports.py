"""Excel exports (openpyxl, write-only mode so large sheets stream with little memory)."""
from datetime import date, datetime
from io import BytesIO
from urllib.parse import quote

from flask import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "yyyy-mm-dd"


def workbook_bytes(sheets: dict[str, tuple[list[str], list[list]]]) -> bytes:
    """{sheet title: (header, rows)} → .xlsx bytes."""
    from openpyxl import Workbook  # (0.3 s to import: only for a download, not at every start)
    from openpyxl.styles import Font
    book = Workbook(write_only=True)
    for title, (header, rows) in sheets.items():
        sheet = book.create_sheet(title=title[:31])
        bold = []
        for label in header:
            from openpyxl.cell import WriteOnlyCell
            cell = WriteOnlyCell(sheet, value=label)
            cell.font = Font(bold=True)
            bold.append(cell)
        sheet.append(bold)
        for row in rows:
            sheet.append([_dated(sheet, _cell(v)) for v in row])
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_response(filename: str, header: list[str], rows, sheet: str = "Sheet1",
                  extra_sheets: dict | None = None) -> Response:
    """A download of one (or more) sheets; `filename` may be Chinese (RFC 5987 encoded)."""
    sheets = {sheet: (header, list(rows))}
    sheets.update(extra_sheets or {})
    response = Response(workbook_bytes(sheets), mimetype=XLSX)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=export.xlsx; filename*=UTF-8''{quote(filename)}")
    return response


def _dated(sheet, value):
    """A date (not a time) is a real Excel date shown as 2021-03-15, whatever the reader's locale."""
    if isinstance(value, date) and not isinstance(value, datetime):
        from openpyxl.cell import WriteOnlyCell
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    return value


def _cell(value):
    """Formula-looking text is prefixed so a spreadsheet never executes user input (CSV/XLSX injection).

    Control characters a worksheet cannot hold (user input may carry them) are dropped, not a crash.
    """
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # (about 1 µs once imported)
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            return "'" + value
    return value
