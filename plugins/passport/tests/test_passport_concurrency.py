"""The ledger's invariants under concurrent redemptions (PostgreSQL, real threads)."""

from sqlalchemy import func, select

from incubator.errors import Conflict
from incubator.extensions import db
from incubator.testing import race
from plugins.passport import services
from plugins.passport.models import Gift, LedgerEntry, Redemption, Volunteer


def _race(app, n, work):
    """Each thread's outcome: "ok", or the message of the Conflict that refused it."""
    return ["ok" if not isinstance(r, Exception) else r.message if isinstance(r, Conflict) else r
            for r in race(app, n, work)]


def _redeem(volunteer_id, gift_id, manager_id):
    def work(_):
        from incubator.users.models import User
        volunteer = db.session.get(Volunteer, volunteer_id)
        gift = db.session.get(Gift, gift_id)
        services.redeem(volunteer, gift, 1, user=db.session.get(User, manager_id))
    return work


def _assert_ledger_consistent(volunteer_id):
    volunteer = db.session.get(Volunteer, volunteer_id)
    entries = db.session.scalars(select(LedgerEntry).where(LedgerEntry.volunteer_id == volunteer_id)
                                 .order_by(LedgerEntry.id)).all()
    running = 0
    for entry in entries:
        running += entry.points
        assert entry.balance_after == running >= 0
    assert running == volunteer.balance


def test_one_volunteer_redeeming_at_many_counters_never_overdraws(postgres_only, app, make_volunteer, earn,
                                                                  make_gift, open_window, manager):
    volunteer = make_volunteer()
    earn(volunteer, 300)  # 10 points
    gift = make_gift(points_cost=3, stock=100)
    ids = (volunteer.id, gift.id, manager.id)
    db.session.remove()

    outcomes = _race(app, 8, _redeem(*ids))

    assert outcomes.count("ok") == 3, outcomes
    assert all("积分余额不足" in o for o in outcomes if o != "ok")
    volunteer = db.session.get(Volunteer, ids[0])
    assert volunteer.balance == 1 and volunteer.minutes_served == 300
    assert db.session.get(Gift, ids[1]).stock == 97
    _assert_ledger_consistent(ids[0])


def test_many_volunteers_racing_for_the_last_gifts_never_oversell(postgres_only, app, make_volunteer, earn,
                                                                  make_gift, open_window, manager):
    volunteers = [make_volunteer() for _ in range(8)]
    for volunteer in volunteers:
        earn(volunteer, 120)  # 4 points each
    gift = make_gift(name="保温杯", points_cost=4, stock=3)
    ids = [v.id for v in volunteers]
    gift_id, manager_id = gift.id, manager.id
    db.session.remove()

    outcomes = _race(app, 8, lambda i: _redeem(ids[i], gift_id, manager_id)(i))

    assert outcomes.count("ok") == 3, outcomes
    assert all("库存不足" in o for o in outcomes if o != "ok")
    assert db.session.get(Gift, gift_id).stock == 0
    assert db.session.scalar(select(func.count()).select_from(Redemption)) == 3
    for volunteer_id in ids:
        _assert_ledger_consistent(volunteer_id)
