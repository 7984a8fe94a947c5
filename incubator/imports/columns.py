"""The columns an importer reads and how a cell becomes a value. A parser takes the cell as read
(text, a number, a datetime from Excel) and returns the value, or raises `CellError` with the
message the user sees beside the row number and the column's header."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

EXCEL_EPOCH = date(1899, 12, 30)  # Excel's serial day 0 (with its 1900 leap-year bug folded in)
DATE_PATTERN = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


class CellError(ValueError):
    """A cell that cannot be read; the message names what was expected."""


@dataclass(frozen=True)
class Column:
    header: str                      # the Chinese header of the template (组织名称)
    key: str                         # the value's name (name)
    parse: Callable = None           # cell → value; None: text
    required: bool = False
    aliases: tuple[str, ...] = ()    # other headers meaning the same (the key itself is one)
    example: object = ""             # the template's example cell
    hint: str = ""                   # what the template's notes sheet says of it

    def read(self, cell):
        return (self.parse or text)(cell)

    def names(self) -> set[str]:
        return {header_key(h) for h in (self.header, self.key, *self.aliases)}


def header_key(header) -> str:
    """A header as compared: full-width folded, no spaces, no required-marks (`*`, （必填）)."""
    text_ = unicodedata.normalize("NFKC", str(header or "")).strip().casefold()
    text_ = re.sub(r"\(必填\)|\(选填\)|[*\s]", "", text_)
    return text_


def text(cell) -> str:
    """Text as typed; a number Excel stored for a phone or a code (13912345678.0) without its `.0`."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == datetime.min.time() else cell.isoformat(" ")
    return str(cell).strip()


def day(cell) -> date | None:
    """A date as offices write it: 2021-03-15, 2021/3/15, 2021.3.15, 2021年3月15日, or an Excel date
    (a date cell, or its serial number when the cell lost its format)."""
    if cell is None or cell == "":
        return None
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        if 1 <= cell < 100000:
            return EXCEL_EPOCH + timedelta(days=int(cell))
        raise CellError("不是有效的日期")
    value = unicodedata.normalize("NFKC", str(cell)).strip()
    if value.isdigit() and len(value) == 8:  # 20210315
        value = f"{value[:4]}-{value[4:6]}-{value[6:]}"
    value = re.sub(r"\s+\d{1,2}:\d{2}(:\d{2})?$", "", value)  # a time Excel added
    found = DATE_PATTERN.match(value)
    if not found:
        raise CellError("日期格式应为 2021-03-15 或 2021/3/15")
    try:
        return date(*map(int, found.groups()))
    except ValueError:
        raise CellError("不是有效的日期") from None


def choice(labels: Mapping[str, object], what: str) -> Callable:
    """A parser for one of `labels` ({key: Chinese label}): the label or the key, empty is None."""
    by_name = {}
    for key, label in labels.items():
        by_name[header_key(key)] = key
        by_name[header_key(str(label))] = key

    def parse(cell):
        value = text(cell)
        if not value:
            return None
        try:
            return by_name[header_key(value)]
        except KeyError:
            shown = "、".join(str(label) for label in labels.values())
            raise CellError(f"{what}应为：{shown}") from None
    return parse


@dataclass
class Problem:
    """What is wrong with a row: the column's header ("" for the row as a whole) and why."""

    header: str
    message: str

    def __str__(self) -> str:
        if not self.header or self.message.startswith(self.header):
            return self.message
        return f"{self.header}：{self.message}"


@dataclass
class SheetRow:
    """A row as read: its number in the sheet, its cells (in the file's order) and their values by
    column key; the problems found reading them."""

    number: int
    cells: list
    values: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
