"""Capacity and the waitlist under concurrent enrolments (PostgreSQL, real threads, one session each)."""
from sqlalchemy import select

from incubator.extensions import db
from incubator.testing import race
from incubator.users.models import User
from plugins.enrolment import services
from plugins.enrolment.models import Enrolment, Offering


def test_sixty_simultaneous_enrolments_into_twenty_seats(postgres_only, app, make_offering, make_trainee):
    offering = make_offering(capacity=20)
    ids = [make_trainee().id for _ in range(60)]
    offering_id = offering.id
    db.session.remove()

    def enrol(i):
        person = db.session.get(User, ids[i])
        return services.enrol(db.session.get(Offering, offering_id), person, by=person).status

    outcomes = race(app, 60, enrol)

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert outcomes.count("enrolled") == 20 and outcomes.count("waitlisted") == 40
    rows = db.session.scalars(select(Enrolment).where(Enrolment.offering_id == offering_id)).all()
    assert len(rows) == 60 and len({r.user_id for r in rows}) == 60  # no duplicates
    positions = services.waitlist_positions(rows)
    assert sorted(positions.values()) == list(range(1, 41))  # no gaps, no repeats
    waiting = sorted((r for r in rows if r.status == "waitlisted"), key=lambda r: positions[r.id])
    assert len({r.waitlist_seq for r in waiting}) == 40

    # Cancelling one seat promotes waitlist position 1 at once.
    head = waiting[0]
    leaving = next(r for r in rows if r.status == "enrolled")
    services.cancel(leaving, by=leaving.user)
    db.session.expire_all()
    assert db.session.get(Enrolment, head.id).status == "enrolled"
    assert services._seated(offering_id) == 20
    rest = db.session.scalars(select(Enrolment).where(Enrolment.offering_id == offering_id,
                                                      Enrolment.status == "waitlisted")).all()
    assert sorted(services.waitlist_positions(rest).values()) == list(range(1, 40))


def test_one_person_double_clicking_gets_one_enrolment(postgres_only, app, make_offering, users):
    offering = make_offering(capacity=5)
    offering_id, user_id = offering.id, users["trainee-wang"].id
    db.session.remove()

    def enrol(_i):
        person = db.session.get(User, user_id)
        return services.enrol(db.session.get(Offering, offering_id), person, by=person).status

    outcomes = race(app, 8, enrol)
    assert outcomes.count("enrolled") == 1
    assert all("不能重复报名" in str(o) for o in outcomes if o != "enrolled"), outcomes
    assert len(db.session.scalars(select(Enrolment).where(Enrolment.offering_id == offering_id)).all()) == 1


def test_concurrent_cancellations_promote_each_waiting_person_once(postgres_only, app, make_offering, make_trainee):
    offering = make_offering(capacity=5)
    people = [make_trainee() for _ in range(10)]
    enrolments = [services.enrol(offering, p, by=p) for p in people]
    seated_ids = [e.id for e in enrolments[:5]]
    offering_id = offering.id
    db.session.remove()

    def cancel(i):
        enrolment = db.session.get(Enrolment, seated_ids[i])
        return services.cancel(enrolment, by=enrolment.user)[0].status

    outcomes = race(app, 5, cancel)
    assert outcomes == ["cancelled"] * 5
    rows = db.session.scalars(select(Enrolment).where(Enrolment.offering_id == offering_id)).all()
    assert sorted(r.status for r in rows) == ["cancelled"] * 5 + ["enrolled"] * 5


def test_concurrent_enrolments_never_overbook_on_either_database(app, make_offering, make_trainee):
    """SQLite too: its driver opens a transaction only at the first write, so the service takes the
    write lock before counting seats (without it this test over-books or fails on the waitlist)."""
    offering = make_offering(capacity=5)
    ids = [make_trainee().id for _ in range(16)]
    offering_id = offering.id
    db.session.remove()

    def enrol(i):
        person = db.session.get(User, ids[i])
        return services.enrol(db.session.get(Offering, offering_id), person, by=person).status

    outcomes = race(app, 16, enrol)
    assert sorted(outcomes) == ["enrolled"] * 5 + ["waitlisted"] * 11, outcomes
    rows = db.session.scalars(select(Enrolment).where(Enrolment.offering_id == offering_id)).all()
    assert sorted(services.waitlist_positions(rows).values()) == list(range(1, 12))
