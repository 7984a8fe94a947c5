"""义粉护照 notices: a redemption window opening (兑换窗口开放), reminded on its first day to each
volunteer who has points and whose record is linked to an account (a volunteer without an account
is told at the counter, as before). Only in parks where the passport is enabled.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from incubator.dates import chinese_date
from incubator.extensions import db
from incubator.notifications import Kind, Reminder, msg, path_for
from incubator.plugins import enabled_park_ids

from . import PLUGIN
from .models import RedemptionWindow, Volunteer

KINDS = [
    # Any account may be linked to a volunteer record; the residents' are trainee accounts (and an
    # expert may volunteer too). The park's managers run the counter, they are not offered it.
    Kind("passport.window_open", _l("积分兑换窗口开放"), roles=("trainee", "expert")),
]


def passport_link(volunteer: Volunteer) -> str:
    """The volunteer's passport: their linked account may open it (passport.view)."""
    return path_for("passport.passport", volunteer_id=volunteer.id)


def reminders(on) -> list[Reminder]:
    """Windows opening on `on`: one reminder per volunteer with points and an account, once per
    window. A window created after its first day brings none (its volunteers hear of it at the counter)."""
    park_ids = enabled_park_ids(PLUGIN)
    if not park_ids:
        return []
    windows = db.session.scalars(select(RedemptionWindow).where(
        RedemptionWindow.opens_on == on, RedemptionWindow.park_id.in_(park_ids)).order_by(RedemptionWindow.id)).all()
    found = []
    for window in windows:
        volunteers = db.session.scalars(
            select(Volunteer).where(Volunteer.park_id == window.park_id, Volunteer.balance > 0,
                                    Volunteer.user_id.is_not(None))
            .options(joinedload(Volunteer.user), joinedload(Volunteer.park)).order_by(Volunteer.id))
        found += [_window_open(window, volunteer) for volunteer in volunteers]
    return found


def _window_open(window: RedemptionWindow, volunteer: Volunteer) -> Reminder:
    what = dict(window=window.name, park=volunteer.park.name, closes=chinese_date(window.closes_on),
                balance=str(volunteer.balance))
    return Reminder([volunteer.user], "passport.window_open", msg("积分兑换窗口开放：%(window)s", **what),
                    msg("%(park)s的兑换窗口“%(window)s”今天开放，至 %(closes)s 止。您的积分余额为 %(balance)s 分，"
                        "可在此期间到社区兑换礼品。", **what),
                    passport_link(volunteer), f"passport.window_open:{window.id}:{volunteer.id}", volunteer.park)
