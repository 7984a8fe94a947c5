"""Real-looking spreadsheets for the import tests and the benchmark: a district's organizations with
five years of history (2021–2025), in the template's columns, dates written the ways offices write
them, parks by code or by Chinese name; optionally with bad rows and with rows repeating earlier ones."""
from __future__ import annotations

import csv
import io
import random
from datetime import date, datetime, timedelta

from incubator.organizations.sheet import EXPORT_HEADER
from incubator.validators import make_uscc

PARKS = [("district", "包河区社会组织创新园"), ("changqing", "常青街道社会组织孵化基地"),
         ("fangxing", "方兴社区社会组织孵化基地"), ("wannianbu", "万年埠街道社会组织孵化园")]
CATEGORIES = ["公益慈善类", "社工服务类", "支持性/枢纽型", "社区社会组织", "文体类", "科教类"]
WORDS = ["滨湖", "方兴", "常青", "包公", "万年埠", "云华", "明珠", "望湖", "骆岗", "芜湖路"]
KINDS = ["社工服务中心", "乐龄互助会", "志愿者协会", "文体队", "邻里中心", "青少年服务社", "助残服务社"]
# The stage of each organization, by how long ago it applied.
OLD_STAGES = ["graduated"] * 6 + ["exited", "rejected", "withdrawn", "virtual"]
NEW_STAGES = ["incubating"] * 4 + ["virtual", "applied", "reviewing", "rejected"]
STAGE_LABELS = {"applied": "申请", "reviewing": "评审", "incubating": "入园孵化", "virtual": "壳外孵化",
                "graduated": "出壳", "rejected": "未通过", "withdrawn": "撤回", "exited": "退出"}
LATEST = date(2025, 12, 31)


def organization(n: int, rng: random.Random) -> dict:
    """The n-th organization: its fields and the history it went through."""
    applied = date(2021, 1, 4) + timedelta(days=rng.randrange((LATEST - date(2021, 1, 4)).days))
    stage = rng.choice(OLD_STAGES if applied < date(2023, 6, 1) else NEW_STAGES)
    code, park_name = PARKS[n % len(PARKS)]
    start = applied + timedelta(days=rng.randrange(7, 45)) if stage in (
        "incubating", "virtual", "graduated", "exited") else None
    row = {"name": f"{WORDS[n % len(WORDS)]}{KINDS[(n // len(WORDS)) % len(KINDS)]}{n}",
           "uscc": make_uscc(f"5234010{n:010d}") if n % 3 == 0 else "",
           "category": CATEGORIES[n % len(CATEGORIES)],
           "registration_status": ["已登记", "已备案", "未登记"][n % 3],
           "founded_on": applied - timedelta(days=rng.randrange(30, 900)) if n % 4 == 0 else None,
           "contact_name": "王芳李明张伟刘洋陈静"[n % 5 * 2: n % 5 * 2 + 2],
           "contact_phone": f"139{n:08d}" if n % 5 else f"0551-6{n:07d}",
           "service_area": "包河区", "park": code if n % 2 else park_name, "stage": STAGE_LABELS[stage],
           "applied_on": applied, "incubation_start": start, "incubation_due": None,
           "graduated_on": None, "ended_on": None}
    if start and stage == "graduated":
        row["graduated_on"] = start + timedelta(days=rng.randrange(600, 760))
    if start and stage == "exited":
        row["ended_on"] = start + timedelta(days=rng.randrange(60, 500))
    if stage in ("rejected", "withdrawn"):
        row["ended_on"] = applied + timedelta(days=rng.randrange(5, 30))
    if start and n % 7 == 0:  # renewed (续驻): due later than two years
        row["incubation_due"] = start.replace(year=start.year + 3)
    return row


def district_rows(count: int = 200, *, seed: int = 2021, bad: bool = False,
                  repeats: bool = False) -> list[list]:
    """The header and `count` rows; `bad` adds six bad rows, `repeats` two rows repeating earlier
    organizations (the same USCC; the same name written in full-width with spaces)."""
    rng = random.Random(seed)
    people = [organization(n, rng) for n in range(1, count + 1)]
    rows = [EXPORT_HEADER] + [_cells(p, n) for n, p in enumerate(people)]
    if bad:
        rows[5:5] = [bad_row(i) for i in range(6)]
    if repeats:
        with_code = next(p for p in people if p["uscc"])
        rows.append(_cells(dict(with_code, name=with_code["name"] + "（筹）"), 1))
        rows.append(_cells(dict(people[1], name=" ".join(people[1]["name"]).translate(FULL_WIDTH)), 1))
    return rows


FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})
BAD = [  # (what is wrong, the column it is in)
    ("contact_phone", "12345", "联系电话"),
    ("park", "不存在的园区", "园区"),
    ("stage", "孵化中吗", "阶段"),
    ("incubation_start", "2021-13-45", "入园日期"),
    ("graduated_on", date(2019, 1, 1), "出壳日期"),
    ("name", "", "组织名称"),
]


def bad_row(i: int) -> list:
    key, value, _ = BAD[i]
    row = organization(10_000 + i, random.Random(i))
    row.update(stage="出壳", incubation_start=date(2020, 3, 1), graduated_on=date(2022, 3, 1),
               applied_on=date(2020, 2, 1), ended_on=None)
    row[key] = value
    return _cells(row, i)


def _cells(row: dict, n: int) -> list:
    """The row as an office types it: dates in one of three styles."""
    keys = ["name", "uscc", "category", "registration_status", "founded_on", "contact_name", "contact_phone",
            "service_area", "park", "stage", "applied_on", "incubation_start", "incubation_due",
            "graduated_on", "ended_on"]
    cells = []
    for key in keys:
        value = row[key]
        if isinstance(value, date):
            value = [value.isoformat(), f"{value.year}/{value.month}/{value.day}",
                     f"{value.year}年{value.month}月{value.day}日"][n % 3]
        cells.append("" if value is None else value)
    return cells


def as_csv(rows: list[list], encoding: str = "gbk") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def as_xlsx(rows: list[list], *, real_dates: bool = True) -> bytes:
    """The rows as an Excel file; with `real_dates`, dates written as Excel dates (as typed into Excel)."""
    from openpyxl import Workbook
    from incubator.imports.columns import day
    book = Workbook()
    sheet = book.active
    for number, row in enumerate(rows):
        if number and real_dates:
            row = [_as_datetime(day, c) if i >= 10 or i == 4 else c for i, c in enumerate(row)]
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _as_datetime(day, cell):
    try:
        value = day(cell)
    except ValueError:
        return cell
    return datetime(value.year, value.month, value.day) if value else cell
