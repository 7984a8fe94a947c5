"""The hours report (督导时长) for paying experts, and its Excel sheets."""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, extract, func, select

from incubator.extensions import db
from incubator.organizations.models import Organization
from incubator.parks.models import Park
from incubator.users.models import User

from .models import SupervisionLog
from .services import superseded_ids

# -- reports ----------------------------------------------------------------------------------

def _period(year: int, month: int | None):
    start = date(year, month or 1, 1)
    end = date(year + (1 if (month or 12) == 12 else 0), 1 if (month or 12) == 12 else month + 1, 1)
    return start, end


def hours_report(*, park_ids, year: int, month: int | None = None, expert_id: int | None = None) -> dict:
    """Supervision hours for the period, in three cuts: per expert per month, per organization, per park.

    Confirmed hours are what the bureau pays experts by; unconfirmed (pending or disputed) are shown apart.
    `park_ids` None means every park.
    """
    start, end = _period(year, month)
    superseded = superseded_ids()
    confirmed = and_(SupervisionLog.status == "confirmed", superseded.c.log_id.is_(None))
    conf_hours = func.coalesce(func.sum(_case(confirmed, SupervisionLog.hours)), 0)
    conf_sessions = func.coalesce(func.sum(_case(confirmed, 1)), 0)
    open_hours = func.coalesce(func.sum(_case(SupervisionLog.status != "confirmed", SupervisionLog.hours)), 0)

    def base(*columns):
        stmt = (select(*columns, conf_sessions, conf_hours, open_hours)
                .join(Organization, Organization.id == SupervisionLog.organization_id)
                .outerjoin(superseded, superseded.c.log_id == SupervisionLog.id)
                .where(SupervisionLog.held_on >= start, SupervisionLog.held_on < end))
        if park_ids is not None:
            stmt = stmt.where(Organization.park_id.in_(list(park_ids) or [-1]))
        if expert_id is not None:
            stmt = stmt.where(SupervisionLog.expert_id == expert_id)
        return stmt

    y, m = extract("year", SupervisionLog.held_on), extract("month", SupervisionLog.held_on)
    by_expert = db.session.execute(
        base(User.id, User.name, User.username, y, m).join(User, User.id == SupervisionLog.expert_id)
        .group_by(User.id, User.name, User.username, y, m).order_by(User.username, y, m)).all()
    by_org = db.session.execute(
        base(Organization.id, Organization.name, Park.name).join(Park, Park.id == Organization.park_id)
        .group_by(Organization.id, Organization.name, Park.name).order_by(Park.name, Organization.name)).all()
    by_park = db.session.execute(
        base(Park.id, Park.name, func.count(func.distinct(SupervisionLog.organization_id)),
             func.count(func.distinct(SupervisionLog.expert_id)))
        .join(Park, Park.id == Organization.park_id).group_by(Park.id, Park.name).order_by(Park.id)).all()
    return {
        "start": start, "end": end,
        "by_expert": [{"expert_id": r[0], "expert": r[1] or r[2], "username": r[2],
                       "month": f"{int(r[3]):04d}-{int(r[4]):02d}", "sessions": int(r[5]),
                       "confirmed_hours": float(r[6]), "unconfirmed_hours": float(r[7])} for r in by_expert],
        "by_organization": [{"organization_id": r[0], "organization": r[1], "park": r[2], "sessions": int(r[3]),
                             "confirmed_hours": float(r[4]), "unconfirmed_hours": float(r[5])} for r in by_org],
        "by_park": [{"park_id": r[0], "park": r[1], "organizations": int(r[2]), "experts": int(r[3]),
                     "sessions": int(r[4]), "confirmed_hours": float(r[5]), "unconfirmed_hours": float(r[6])}
                    for r in by_park],
    }


def _case(condition, value):
    return case((condition, value), else_=0)


def report_sheets(report: dict) -> dict:
    """The report as Excel sheets for `incubator.exports`."""
    return {
        "专家月度督导时长": (["专家", "账号", "月份", "确认次数", "确认时长（小时）", "未确认时长（小时）"],
                      [[r["expert"], r["username"], r["month"], r["sessions"], r["confirmed_hours"],
                        r["unconfirmed_hours"]] for r in report["by_expert"]]),
        "按组织": (["组织", "园区", "确认次数", "确认时长（小时）", "未确认时长（小时）"],
                [[r["organization"], r["park"], r["sessions"], r["confirmed_hours"], r["unconfirmed_hours"]]
                 for r in report["by_organization"]]),
        "按园区": (["园区", "组织数", "专家数", "确认次数", "确认时长（小时）", "未确认时长（小时）"],
                [[r["park"], r["organizations"], r["experts"], r["sessions"], r["confirmed_hours"],
                  r["unconfirmed_hours"]] for r in report["by_park"]]),
    }
