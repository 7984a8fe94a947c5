"""The Excel export's rows: volunteers with masked ID numbers, and the points ledger."""
from sqlalchemy import select

from incubator.extensions import db

from .models import ENTRY_KINDS, LedgerEntry, Volunteer

VOLUNTEER_HEADER = ["护照编号", "姓名", "手机号", "身份证号(脱敏)", "服务时长(小时)", "积分余额", "登记时间"]
LEDGER_HEADER = ["流水号", "护照编号", "姓名", "类型", "积分", "时长(分钟)", "余额", "更正流水号", "说明", "时间"]


def rows_for(park):
    volunteers = db.session.scalars(select(Volunteer).where(Volunteer.park_id == park.id).order_by(Volunteer.id)).all()
    rows = [[v.id, v.name, v.phone_masked, v.id_masked, v.hours, v.balance, v.created_at] for v in volunteers]
    names = {v.id: v.name for v in volunteers}
    entries = db.session.scalars(select(LedgerEntry).join(Volunteer).where(Volunteer.park_id == park.id)
                                 .order_by(LedgerEntry.id)).all()
    ledger = [[e.id, e.volunteer_id, names.get(e.volunteer_id, ""), ENTRY_KINDS[e.kind], e.points, e.minutes,
               e.balance_after, e.corrects_id, e.note, e.created_at] for e in entries]
    return VOLUNTEER_HEADER, rows, (LEDGER_HEADER, ledger)
