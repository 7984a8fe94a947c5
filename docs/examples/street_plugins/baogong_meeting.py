"""包公街道 · 社区议事会: the day before each month's meeting, a notice to the street's managers and
the contacts of its organizations.

A street's own notice in one file: it declares a kind of notice (people choose its channels on
/me/notifications) and returns, from the worker's hourly question, the reminder due that day. The key
names the meeting, so each person is told once, however often the worker asks.
"""
from datetime import date, timedelta

from sqlalchemy import select

from incubator import hookimpl
from incubator.dates import chinese_date
from incubator.extensions import db
from incubator.notifications import Kind, Reminder, msg, path_for
from incubator.organizations.models import Organization
from incubator.parks.services import by_code, managers_of
from incubator.plugins import is_enabled
from incubator.users.models import User

INCUBATOR_DEFAULT_PARKS = ["baogong"]
NAME = __name__.rpartition(".")[2]  # "baogong_meeting"
KIND = "baogong_meeting.reminder"
PLACE = "包公街道党群服务中心二楼会议室"


def meeting_day(month_start: date) -> date:
    """The meeting: the first Tuesday of the month."""
    return month_start + timedelta(days=(1 - month_start.weekday()) % 7)


@hookimpl
def incubator_notification_kinds():
    return [Kind(KIND, "社区议事会提醒", channels=("email", "sms"))]


@hookimpl
def incubator_reminders(on):
    meeting = meeting_day((on + timedelta(days=1)).replace(day=1))
    park = by_code("baogong")
    if meeting != on + timedelta(days=1) or park is None or not is_enabled(NAME, park):
        return []
    contacts = db.session.scalars(select(User).join(Organization, User.organization_id == Organization.id)
                                  .where(Organization.park_id == park.id))
    return [Reminder([*managers_of(park.id), *contacts], KIND,
                     msg("明天召开社区议事会（%(day)s）", day=chinese_date(meeting)),
                     msg("地点：%(place)s。请各组织派一名代表参加。", place=PLACE),
                     path_for("public.park", code="baogong"), key=f"{KIND}:{meeting.isoformat()}", park=park)]
