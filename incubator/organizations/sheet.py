"""The organization spreadsheet: the columns the import reads and the export writes, in one order,
so that exporting a list and importing it back changes nothing."""
from __future__ import annotations

import functools
from datetime import date

from flask_babel import force_locale
from sqlalchemy import select

from ..extensions import db
from ..imports.columns import Column, choice, day
from . import stages
from .models import CATEGORIES, REGISTRATION_STATUSES, Organization, Transition

# The day an organization left without hatching: exited (退出), rejected (未通过) or withdrawn (撤回).
ENDED_STAGES = ("exited", "rejected", "withdrawn")


@functools.cache
def _stage_parser():
    with force_locale("zh"):  # the labels as the export writes them, whatever the reader's language
        return choice({key: str(label) for key, label in stages.STAGES.items()}, "阶段")


def _stage(cell):
    return _stage_parser()(cell)


COLUMNS = (
    Column("组织名称", "name", required=True, example="包河区示例社工服务中心", hint="不超过 120 字"),
    Column("统一社会信用代码", "uscc", aliases=("信用代码",), example="",
           hint="18 位；同一代码视为同一组织"),
    Column("类别", "category", required=True, example=CATEGORIES[1], hint="、".join(CATEGORIES)),
    Column("登记状态", "registration_status", choice(REGISTRATION_STATUSES, "登记状态"),
           example="已登记", hint="、".join(REGISTRATION_STATUSES.values()) + "；空白为未登记"),
    Column("成立日期", "founded_on", day, example="2019-05-20", hint="如 2021-03-15、2021/3/15"),
    Column("联系人", "contact_name", required=True, example="王芳"),
    Column("联系电话", "contact_phone", required=True, example="13955100000", hint="手机或座机"),
    Column("服务区域", "service_area", example="包河区"),
    Column("园区", "park", example="district", hint="园区代码或名称；空白时用导入时选择的园区"),
    Column("阶段", "stage", _stage, example="入园孵化",
           hint="申请、评审、入园孵化、壳外孵化、出壳、未通过、撤回、退出；空白为申请"),
    Column("申请日期", "applied_on", day, example="2021-03-01", hint="空白时为最早的其他日期"),
    Column("入园日期", "incubation_start", day, example="2021-03-15", hint="入园孵化及以后的阶段必填"),
    Column("到期日期", "incubation_due", day, example="2023-03-15", hint="空白时为入园日期加孵化年限"),
    Column("出壳日期", "graduated_on", day, example="", hint="阶段为出壳时必填"),
    Column("退出日期", "ended_on", day, example="",
           hint="阶段为退出时必填；未通过、撤回时可填"),
)
HEADERS = {column.key: column.header for column in COLUMNS}
EXPORT_HEADER = [column.header for column in COLUMNS]


def history_dates(org_ids) -> dict[int, dict[str, date]]:
    """{organization id: {"applied_on", "graduated_on", "ended_on": the day it happened}} from the
    transitions, in one query per 500 organizations."""
    ids = list(org_ids)
    found: dict[int, dict[str, date]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        _collect(found, select(Transition).where(Transition.organization_id.in_(chunk)))
    return found


def _collect(found: dict, stmt) -> None:
    wanted = (Transition.from_stage.is_(None)) | (Transition.to_stage.in_(("graduated", *ENDED_STAGES)))
    for t in db.session.scalars(stmt.where(wanted).order_by(Transition.id)):
        dates = found.setdefault(t.organization_id, {})
        if t.from_stage is None:
            dates.setdefault("applied_on", t.happened_on)
        elif t.to_stage == "graduated":
            dates["graduated_on"] = t.happened_on
        else:
            dates["ended_on"] = t.happened_on


def export_rows(stmt) -> list[list]:
    """The rows of the organizations `stmt` (a list_query) selects, in COLUMNS' order, in Chinese
    whatever the reader's language (the import reads them back). Two queries whatever the number:
    the organizations (with their parks), and the transitions the dates come from."""
    orgs = db.session.scalars(stmt).all()
    dates: dict[int, dict[str, date]] = {}
    _collect(dates, select(Transition).where(
        Transition.organization_id.in_(stmt.with_only_columns(Organization.id).order_by(None))))
    with force_locale("zh"):
        return [row_of(org, dates.get(org.id, {})) for org in orgs]


def row_of(org: Organization, dates: dict[str, date]) -> list:
    return [org.name, org.uscc or "", org.category,
            REGISTRATION_STATUSES.get(org.registration_status, org.registration_status), org.founded_on,
            org.contact_name, org.contact_phone, org.service_area, org.park.code, stages.label(org.stage),
            dates.get("applied_on"), org.incubation_start, org.incubation_due, dates.get("graduated_on"),
            dates.get("ended_on")]

