"""The budget cap under concurrent decisions (PostgreSQL, real threads)."""

from sqlalchemy import func, select

from incubator.errors import Conflict
from incubator.extensions import db
from incubator.testing import race
from incubator.users.models import User
from plugins.microgrant import services
from plugins.microgrant.models import Application, Round, Tranche


def _race(app, n, work):
    """Each thread's outcome: "ok", or the message of the Conflict that refused it."""
    return ["ok" if not isinstance(r, Exception) else r.message if isinstance(r, Conflict) else r
            for r in race(app, n, work)]


def test_concurrent_decisions_never_exceed_the_budget(postgres_only, app, make_round, make_application, mgr):
    rnd = make_round(budget_fen=10_000_000, max_grant_fen=3_000_000)
    ids = [make_application(rnd, lines=[("活动", 3_000_000)]).id for _ in range(8)]
    round_id, manager_id = rnd.id, mgr.id
    db.session.remove()

    def decide(i):
        application = db.session.get(Application, ids[i])
        services.decide(application, True, 3_000_000, "通过", user=db.session.get(User, manager_id))

    outcomes = _race(app, 8, decide)

    assert outcomes.count("ok") == 3, outcomes  # 3 × ¥30,000 fit in ¥100,000; a 4th would not
    assert all(o.startswith("超出本轮预算") for o in outcomes if o != "ok")
    rnd = db.session.get(Round, round_id)
    assert rnd.committed_fen == 9_000_000
    granted = db.session.scalar(select(func.sum(Application.granted_fen)).where(Application.round_id == round_id))
    tranches = db.session.scalar(select(func.sum(Tranche.amount_fen)))
    assert granted == tranches == rnd.committed_fen <= rnd.budget_fen


def test_two_managers_deciding_the_same_application_count_it_once(postgres_only, app, make_round, make_application,
                                                                  mgr):
    rnd = make_round()
    application_id = make_application(rnd).id
    round_id, manager_id = rnd.id, mgr.id
    db.session.remove()

    def decide(_):
        services.decide(db.session.get(Application, application_id), True, 2_000_000, "",
                        user=db.session.get(User, manager_id))

    outcomes = _race(app, 4, decide)

    assert outcomes.count("ok") == 1, outcomes
    assert db.session.get(Round, round_id).committed_fen == 2_000_000
    assert db.session.scalar(select(func.count()).select_from(Tranche)) == 2
