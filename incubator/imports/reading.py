"""Reading a spreadsheet a district office sends: `.xlsx` (openpyxl, read-only so a large sheet
streams), or `.csv` in UTF-8 (with or without a BOM) or GBK / GB18030 (what Excel saves on a Chinese
Windows). The first non-empty row is the header; every other non-empty row keeps its number as the
spreadsheet shows it, so an error can say "第 12 行"."""
from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

from ..errors import ValidationError

ENCODINGS = ("utf-8-sig", "gb18030")  # GB18030 is a superset of GBK and GB2312
# Rows one file may hold: a district's 10,000 organizations with room to spare, while a small
# compressed .xlsx that unpacks to millions of rows is refused before it is read to the end.
MAX_ROWS = 50_000


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list]]  # (row number in the sheet, cell values)


def read_table(filename: str, content: bytes) -> Table:
    """The table in an uploaded `.xlsx` or `.csv` file; ValidationError when it is neither, or empty."""
    if content.startswith(b"PK\x03\x04"):
        rows = _xlsx_rows(content)
    elif filename.lower().endswith((".xls", ".et")) or content.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError("不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 或 CSV 后再导入", field="file")
    else:
        rows = _csv_rows(content)
    numbered = []
    for number, cells in rows:
        cells = _trimmed(cells)
        if cells:
            numbered.append((number, cells))
            if len(numbered) > MAX_ROWS + 1:
                raise ValidationError(f"文件超过 {MAX_ROWS:,} 行，请分成几个文件导入", field="file")
    if not numbered:
        raise ValidationError("文件中没有数据", field="file")
    (_, header), body = numbered[0], numbered[1:]
    if not body:
        raise ValidationError("文件中只有表头，没有可导入的行", field="file")
    return Table(header=[str(h).strip() if h is not None else "" for h in header], rows=body)


def _trimmed(cells) -> list:
    """The row without the empty cells at its end (a spreadsheet pads rows to its widest)."""
    cells = [c.strip() if isinstance(c, str) else c for c in cells]
    while cells and cells[-1] in (None, ""):
        cells.pop()
    return cells


def _xlsx_rows(content: bytes):
    from openpyxl import load_workbook
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ValidationError("无法读取该 Excel 文件，请确认它是 .xlsx 格式", field="file") from exc
    sheet = book.worksheets[0]
    try:
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(cells)
    finally:
        book.close()


def _csv_rows(content: bytes):
    text = decode(content)
    for number, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        yield number, cells


def decode(content: bytes) -> str:
    """The text of a CSV file: UTF-8 (a BOM dropped) if it is valid UTF-8, else GB18030."""
    for encoding in ENCODINGS:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError("无法识别文件的编码，请另存为 UTF-8 或 GBK 编码的 CSV", field="file")
