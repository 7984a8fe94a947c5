"""Bulk import of a roster (批量导入学员): read an uploaded .xlsx / .csv within bounds, enrol everyone or nobody.

Reading is bounded so that a small file cannot cost minutes and gigabytes: the table is streamed
(openpyxl read-only mode; a csv.reader over a text wrapper of the upload, never the whole file in
memory), and reading stops at the first limit passed, with a message naming it:

- ACADEMY_IMPORT_MAX_ROWS (2,000): rows with content after the header; blank rows count towards a
  ten-fold cap on all rows, so a sheet formatted down to row 1,048,576 is not walked row by row;
- ACADEMY_IMPORT_MAX_COLUMNS (50): only the first 50 columns are read (the rest are ignored);
- ACADEMY_IMPORT_MAX_CELL (1,000): characters in one cell;
- ACADEMY_IMPORT_MAX_XLSX_MB (10): the parts of an .xlsx uncompressed, as its zip declares them,
  checked before openpyxl opens it (a zip bomb is refused unread; a part that inflates past its
  declared size fails zipfile's own check).

The refusals never tell a manager more about an account than the manager may see: a row naming an
account the manager may not enrol reads exactly as one naming no account, and no message prints an
account's real name or a username the file did not give (see `may_enrol`).
"""
from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from typing import BinaryIO, Iterable, Iterator

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from incubator import audit
from incubator.config import MB
from incubator.database import transaction
from incubator.errors import DomainError, ValidationError
from incubator.extensions import db
from incubator.users.models import User

from . import services
from .models import ACTIVE, STATUSES, Enrolment, Offering

IMPORT_COLUMNS = {"用户名": "username", "username": "username", "手机号": "phone", "手机": "phone", "phone": "phone",
                  "姓名": "name", "name": "name"}
DEFAULTS = {"ACADEMY_IMPORT_MAX_ROWS": 2000, "ACADEMY_IMPORT_MAX_COLUMNS": 50, "ACADEMY_IMPORT_MAX_CELL": 1000,
            "ACADEMY_IMPORT_MAX_XLSX_MB": 10}
BLANK_SLACK = 10  # all rows read, blank ones included, are at most this many times the row limit
MAX_XLSX_PARTS = 1000  # files inside one .xlsx (a roster has about ten)
# Roles any manager may enrol: trainees sign up with no park, so every park's managers enrol them;
# experts are listed by name to every manager already (the instructor field).
ENROLLABLE_ROLES = ("trainee", "expert")


def configure(app) -> None:
    """The limits' defaults, unless the instance configuration sets them."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)


@dataclass(frozen=True)
class Limits:
    rows: int = DEFAULTS["ACADEMY_IMPORT_MAX_ROWS"]
    columns: int = DEFAULTS["ACADEMY_IMPORT_MAX_COLUMNS"]
    cell: int = DEFAULTS["ACADEMY_IMPORT_MAX_CELL"]
    xlsx_bytes: int = DEFAULTS["ACADEMY_IMPORT_MAX_XLSX_MB"] * MB

    @classmethod
    def from_config(cls) -> Limits:
        config = current_app.config
        return cls(rows=config.get("ACADEMY_IMPORT_MAX_ROWS", cls.rows),
                   columns=config.get("ACADEMY_IMPORT_MAX_COLUMNS", cls.columns),
                   cell=config.get("ACADEMY_IMPORT_MAX_CELL", cls.cell),
                   xlsx_bytes=int(config.get("ACADEMY_IMPORT_MAX_XLSX_MB", cls.xlsx_bytes / MB) * MB))

    @property
    def all_rows(self) -> int:
        return (self.rows + 1) * BLANK_SLACK

    @property
    def line(self) -> int:
        """The longest CSV line worth reading: every column full, quoted, with its comma."""
        return self.columns * (self.cell + 3) + 2


# -- reading the table ---------------------------------------------------------------------------

def read_table(filename: str, content: bytes | BinaryIO, limits: Limits | None = None) -> list[list[str]]:
    """Rows of cell texts from an .xlsx or .csv file (CSV in UTF-8, with or without BOM, or GBK),
    trailing blank rows dropped; a ValidationError at the first limit passed."""
    limits = limits or Limits.from_config()
    stream = io.BytesIO(content) if isinstance(content, (bytes, bytearray)) else content
    name = filename.lower()
    if name.endswith(".xlsx"):
        return _read_xlsx(stream, limits)
    if name.endswith(".csv"):
        return _read_csv(stream, limits)
    raise ValidationError(_("只接受 .xlsx 或 .csv 文件"), field="file")


def _bounded(raw_rows: Iterable, limits: Limits) -> list[list[str]]:
    table, filled = [], 0
    for number, raw in enumerate(raw_rows, 1):
        if number > limits.all_rows:
            raise ValidationError(_("文件超过 %(n)s 行（空行也计算在内），请删除多余的行后重试", n=limits.all_rows),
                                  field="file")
        row = _texts(raw, number, limits)
        if any(row):
            filled += 1
            if filled > limits.rows + 1:  # the header and the rows
                raise ValidationError(_("一次最多导入 %(n)s 行", n=limits.rows), field="file")
        table.append(row)
    while table and not any(table[-1]):
        table.pop()
    return table


def _texts(raw, number: int, limits: Limits) -> list[str]:
    row = [_text(value) for value in list(raw)[:limits.columns]]
    for column, text in enumerate(row, 1):
        if len(text) > limits.cell:
            raise ValidationError(_("第%(row)s行第%(column)s列：内容超过 %(n)s 个字符", row=number, column=column,
                                    n=limits.cell), field="file")
    return row


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number typed into Excel
    return str(value).strip()


def _unreadable_xlsx() -> ValidationError:
    return ValidationError(_("无法读取该 Excel 文件（请另存为 .xlsx 后重试）"), field="file")


def _read_xlsx(stream: BinaryIO, limits: Limits) -> list[list[str]]:
    from openpyxl import load_workbook
    _check_archive(stream, limits)
    try:
        stream.seek(0)
        book = load_workbook(stream, read_only=True, data_only=True, keep_links=False)
        try:
            rows = book.worksheets[0].iter_rows(values_only=True, max_col=limits.columns,
                                                max_row=limits.all_rows + 1)
            return _bounded(rows, limits)
        finally:
            book.close()
    except DomainError:
        raise
    except Exception:  # openpyxl, zipfile and the XML parser fail on broken files in many ways
        raise _unreadable_xlsx() from None


def _check_archive(stream: BinaryIO, limits: Limits) -> None:
    """Refuse an .xlsx whose parts would inflate past the limit, before anything inflates them."""
    try:
        stream.seek(0)
        with zipfile.ZipFile(stream) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _unreadable_xlsx() from None
    if len(parts) > MAX_XLSX_PARTS or sum(p.file_size for p in parts) > limits.xlsx_bytes:
        raise ValidationError(_("该 Excel 文件解压后超过 %(mb)s MB，请只保留名单所需的列和行后重试",
                                mb=f"{limits.xlsx_bytes / MB:g}"), field="file")


class _LineTooLong(Exception):
    pass


def _read_csv(stream: BinaryIO, limits: Limits) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        stream.seek(0)
        text = io.TextIOWrapper(stream, encoding=encoding, newline="")
        try:
            return _bounded(_csv_rows(text, limits), limits)
        except UnicodeDecodeError:
            continue
        finally:
            text.detach()  # the upload is not ours to close
    raise ValidationError(_("无法识别 CSV 文件的编码（请用 UTF-8）"), field="file")


def _csv_rows(text: io.TextIOBase, limits: Limits) -> Iterator[list[str]]:
    """csv.reader over lines read one at a time, none longer than a full row could be."""
    def lines():
        while line := text.readline(limits.line + 1):
            if len(line) > limits.line:
                raise _LineTooLong
            yield line

    reader = csv.reader(lines())
    number = 0
    while True:
        number += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except _LineTooLong:
            raise ValidationError(_("第%(row)s行：内容过长（最多 %(columns)s 列，每格最多 %(n)s 个字符）", row=number,
                                    columns=limits.columns, n=limits.cell), field="file") from None
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):  # an unclosed quote swallows the lines after it
                raise ValidationError(_("第%(row)s行：有一格内容过长（每格最多 %(n)s 个字符），请检查引号是否成对",
                                        row=number, n=limits.cell), field="file") from None
            raise ValidationError(_("第%(row)s行：无法按 CSV 格式读取，请检查引号是否成对、是否含有特殊字符",
                                    row=number), field="file") from None
        yield row


# -- enrolling the people listed -------------------------------------------------------------------

def may_enrol(by: User, person: User, roster: dict[int, str]) -> bool:
    """Whether `by`'s file may name `person`: administrators anyone; managers the academy's learners
    (ENROLLABLE_ROLES), themselves, the managers of their own parks, and whoever is on the roster."""
    if by.role == "admin" or person.id == by.id or person.id in roster or person.role in ENROLLABLE_ROLES:
        return True
    return person.role == "manager" and bool(person.park_ids & by.park_ids)


def find_enrollable(identifier: str, by: User) -> User | None:
    """The account `identifier` names when `by` may enrol it; None otherwise, read as "no such account"."""
    person = services.find_person(identifier)
    return person if person is not None and may_enrol(by, person, {}) else None


def import_roster(offering: Offering, filename: str, content: bytes | BinaryIO, *, by: User) -> list[Enrolment]:
    """Enrol everyone listed in the file, or nobody: every bad row is reported (422, one reason per row).

    The file's first row names the columns: 用户名 and/or 手机号 (to find the account), 姓名 (checked
    against the account when given). The reasons name each account as the file gave it.
    """
    limits = Limits.from_config()
    rows = read_table(filename, content, limits)
    if not rows:
        raise ValidationError(_("文件是空的"), field="file")
    header = [IMPORT_COLUMNS.get(h.strip().lower() if h.isascii() else h.strip()) for h in rows[0]]
    if "username" not in header and "phone" not in header:
        raise ValidationError(_("第1行应为表头，至少包含“用户名”或“手机号”一列"), field="file")
    with transaction():
        offering = services.lock_offering(offering.id)
        taken = dict(db.session.execute(select(Enrolment.user_id, Enrolment.status).where(
            Enrolment.offering_id == offering.id)).all())
        errors, people = _check_rows(rows, header, taken, by)
        if errors:
            raise ValidationError(_("导入未执行，以下行有问题："), reasons=errors)
        if not people:
            raise ValidationError(_("文件中没有学员"), field="file")
        enrolments = [services._enrol_locked(offering, person, by=by, as_manager=True) for person in people]
        audit.record("academy.import", offering, user=by, summary=f"{offering.display_title}：批量导入 {len(people)} 人",
                     file=filename)
    return enrolments


def _check_rows(rows, header, taken: dict[int, str], by: User) -> tuple[list[str], list[User]]:
    errors, people, seen = [], [], {}
    accounts = services.find_people(row[i] for row in rows[1:] for i, key in enumerate(header)
                                    if key in ("username", "phone") and i < len(row))
    for number, row in enumerate(rows[1:], 2):
        if not any(row):
            continue
        cells = {key: (row[i] if i < len(row) else "") for i, key in enumerate(header) if key}
        account = cells.get("username") or cells.get("phone") or ""
        if not account:
            errors.append(_("第%(row)s行：缺少用户名或手机号", row=number))
            continue
        person = accounts.get(cells.get("username", "").strip()) or accounts.get(cells.get("phone", "").strip())
        if person is None or not may_enrol(by, person, taken):
            errors.append(_("第%(row)s行：找不到账号 %(account)s（请学员先注册）", row=number, account=account))
        elif cells.get("name") and cells["name"] != person.name:
            errors.append(_("第%(row)s行：姓名“%(given)s”与账号 %(account)s 登记的姓名不符", row=number,
                            given=cells["name"], account=account))
        elif person.id in seen:
            errors.append(_("第%(row)s行：%(account)s 与第%(other)s行重复", row=number, account=account,
                            other=seen[person.id]))
        elif taken.get(person.id) in ACTIVE:
            errors.append(_("第%(row)s行：%(account)s 已报名该班次（%(status)s）", row=number, account=account,
                            status=_(STATUSES[taken[person.id]])))
        else:
            seen[person.id] = number
            people.append(person)
    return errors, people
