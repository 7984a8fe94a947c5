"""The Excel export's rows: volunteers with masked ID numbers, and the points ledger.

Rows are read as plain tuples (no ORM objects), so tens of thousands of ledger entries export fast.
"""
from sqlalchemy import select

from incubator.extensions import db

from .models import ENTRY_KINDS, LedgerEntry, Volunteer

VOLUNTEER_HEADER = ["护照编号", "姓名", "手机号", "身份证号（脱敏）", "服务时长（小时）", "积分余额", "登记时间"]
LEDGER_HEADER = ["流水号", "护照编号", "姓名", "类型", "积分", "时长（分钟）", "余额", "更正流水号", "说明", "时间"]


def _mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[7:] if len(phone or "") == 11 else phone


def rows_for(park):
    volunteers = db.session.execute(
        select(Volunteer.id, Volunteer.name, Volunteer.phone, Volunteer.id_masked, Volunteer.minutes_served,
               Volunteer.balance, Volunteer.created_at)
        .where(Volunteer.park_id == park.id).order_by(Volunteer.id)).all()
    rows = [[v.id, v.name, _mask_phone(v.phone), v.id_masked, round(v.minutes_served / 60, 1), v.balance, v.created_at]
            for v in volunteers]
    ledger = [[e.id, e.volunteer_id, e.name, str(ENTRY_KINDS[e.kind]), e.points, e.minutes, e.balance_after, e.corrects_id,
               e.note, e.created_at]
              for e in db.session.execute(
                  select(LedgerEntry.id, LedgerEntry.volunteer_id, Volunteer.name, LedgerEntry.kind, LedgerEntry.points,
                         LedgerEntry.minutes, LedgerEntry.balance_after, LedgerEntry.corrects_id, LedgerEntry.note,
                         LedgerEntry.created_at)
                  .join(Volunteer, Volunteer.id == LedgerEntry.volunteer_id)
                  .where(Volunteer.park_id == park.id).order_by(LedgerEntry.id))]
    return VOLUNTEER_HEADER, rows, (LEDGER_HEADER, ledger)
