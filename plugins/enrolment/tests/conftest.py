"""Fixtures for the academy's tests: the synced catalogue, offerings, trainees, a hook recorder."""
from datetime import datetime, time, timedelta

import pytest

from incubator.dates import to_utc, today
from incubator.db_types import utcnow
from incubator.extensions import db
from incubator.hookspecs import hookimpl
from incubator.plugins import registry
from incubator.testing import PASSWORD
from incubator.users.models import User
from plugins.enrolment import catalogue, services


@pytest.fixture
def courses(network):
    """The real catalogue in `courses/`, synced: {code: Course}."""
    catalogue.sync()
    return {c.code: c for c in db.session.scalars(db.select(services.Course))}


@pytest.fixture
def make_offering(courses, parks, users):
    """make_offering(course="CG101", park="fangxing", capacity=3, ...) schedules an offering.

    By default: enrolment open now, four weekly sessions starting in 10 days, no approval, expert-li teaching.
    `started=True` puts the sessions in the past (for attendance and completion).
    """
    def _make(course="CG101", park="fangxing", capacity=3, requires_approval=False, sessions=4, started=False,
              opens=None, closes=None, instructor="expert-li", title="测试班"):
        now = utcnow().replace(microsecond=0)
        # Sessions at 09:00–12:00 in the district, whatever time the suite runs (a session starting
        # at 22:00 would end after midnight, and its "12-01 22:00-01:00" line read as ending first).
        start_day = today() - timedelta(days=7 * sessions) if started else today() + timedelta(days=10)
        first = to_utc(datetime.combine(start_day, time(9)))
        times = [(first + timedelta(days=7 * i), first + timedelta(days=7 * i, hours=3), f"第{i + 1}讲")
                 for i in range(sessions)]
        manager = next(u for u in users.values() if u.role == "manager" and park in {p.code for p in u.parks})
        return services.create_offering({
            "course": courses[course], "park": parks[park], "title": title, "venue": "活动室",
            "instructor": users.get(instructor) if instructor else None, "capacity": capacity,
            "requires_approval": requires_approval,
            "enrol_opens_at": opens or now - timedelta(days=60), "enrol_closes_at": closes or now + timedelta(days=5),
            "sessions": times}, user=manager)
    return _make


@pytest.fixture
def make_trainee(network):
    """make_trainee() creates a trainee account (password demo12345): trainee-t1, trainee-t2, …"""
    counter = {"n": 0}

    def _make(name=None, phone=None, **fields):
        counter["n"] += 1
        n = counter["n"]
        user = User(username=f"trainee-t{n}", role="trainee", name=name or f"学员{n}",
                    phone=phone or f"1370000{n:04d}", **fields)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        return user
    return _make


class CompletionRecorder:
    """A stand-in for the certificates plugin: records each `incubator_enrolment_completed` call."""

    def __init__(self):
        self.calls = []

    @hookimpl
    def incubator_enrolment_completed(self, enrolment):
        # Attributes other plugins rely on, read after the commit.
        self.calls.append((enrolment.id, enrolment.user.username, enrolment.offering.course.code,
                           enrolment.offering.course.title, enrolment.offering.course.hours,
                           enrolment.offering.park.code, enrolment.hours, enrolment.completed_at))


@pytest.fixture
def completions(app):
    recorder = CompletionRecorder()
    pm = registry().pm
    pm.register(recorder, name="completion-recorder")
    yield recorder
    pm.unregister(name="completion-recorder")


def login(client, username):
    client.post("/logout")
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, username
    return client
