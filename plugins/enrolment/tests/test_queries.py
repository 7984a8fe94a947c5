"""The academy's list pages send as many SQL statements for many rows as for a few (no N+1)."""
import contextlib

import pytest
from sqlalchemy import event

from incubator.extensions import db
from incubator.testing import counting_queries
from plugins.enrolment import completion, services
from plugins.enrolment.models import Enrolment

from .conftest import login


@contextlib.contextmanager
def counting(engine):
    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def fill(make_offering, make_trainee, users, offerings, people):
    """`offerings` offerings in 方兴, each with `people` seated trainees (with attendance) and one waiting."""
    made = []
    for n in range(offerings):
        offering = make_offering(capacity=people, started=True, sessions=2, title=f"计数班{n}")
        trainees = [make_trainee() for _ in range(people + 1)]
        enrolments = [services.enrol(offering, t, by=users["fangxing-mgr"], as_manager=True) for t in trainees]
        completion.record_attendance(offering.sessions[0], {e.id: "present" for e in enrolments[:people]},
                                   by=users["expert-li"])
        made.append((offering, trainees))
    return made


def statements(client, app, path, headers=None):
    # Warm: a token's first use records when it was used, and the first request after the data
    # changed reads the plugins' enablement (once per process): neither is what we measure.
    client.get(path, headers=headers)
    with app.app_context(), counting(db.engine) as seen:
        response = client.get(path, headers=headers)
    assert response.status_code == 200, path
    return len(seen)


@pytest.mark.parametrize("who, path", [
    ("fangxing-mgr", "/academy/manage"), ("fangxing-mgr", "/academy/reports"), ("fangxing-mgr", "/dashboard"),
    ("fangxing-mgr", "/academy/manage/{offering}"), ("fangxing-mgr", "/academy/manage/{offering}/signin"),
    ("expert-li", "/academy/sessions/{session}/attendance"), ("anyone", "/academy/courses"),
    ("anyone", "/api/v1/offerings"), ("api", "/api/v1/offerings/{offering}/enrolments")])
def test_list_pages_are_bounded(app, client, api, make_offering, make_trainee, users, who, path):
    small = fill(make_offering, make_trainee, users, 1, 2)
    headers = api("fangxing-mgr") if who == "api" else None
    if who not in ("anyone", "api"):
        login(client, who)
    offering = small[0][0]
    few = statements(client, app, path.format(offering=offering.id, session=offering.sessions[0].id), headers)
    big = fill(make_offering, make_trainee, users, 6, 8)
    offering = big[-1][0]
    many = statements(client, app, path.format(offering=offering.id, session=offering.sessions[0].id), headers)
    assert many == few, f"{path}: {few} statements for few rows, {many} for many"


def test_trainee_page_is_bounded(app, client, make_offering, make_trainee, users):
    wang = users["trainee-wang"]
    for n in range(2):
        services.enrol(make_offering(title=f"前{n}"), wang, by=wang)
    login(client, "trainee-wang")
    few = statements(client, app, "/academy/my")
    for n in range(8):
        offering = make_offering(title=f"后{n}", started=True, sessions=2)
        e = services.enrol(offering, wang, by=users["fangxing-mgr"], as_manager=True)
        completion.record_attendance(offering.sessions[0], {e.id: "late"}, by=users["expert-li"])
    assert statements(client, app, "/academy/my") == few


def test_a_roster_import_looks_accounts_up_in_one_go(make_offering, make_trainee, users):
    """Finding the accounts of 20 rows costs the queries of 5 (enrolling each still writes its row)."""
    def account_lookups(people):
        offering = make_offering(capacity=50)
        content = ("用户名,手机号\n" + "".join(f"{p.username},\n" if n % 2 else f",{p.phone}\n"
                                         for n, p in enumerate(people))).encode()
        with counting(db.engine) as seen:
            services.import_roster(offering, "名单.csv", content, by=users["fangxing-mgr"])
        return sum(1 for s in seen if s.lstrip().upper().startswith("SELECT") and "\nFROM users" in s)
    few = account_lookups([make_trainee() for _ in range(5)])
    many = account_lookups([make_trainee() for _ in range(20)])
    assert few == many


ENROLMENT_BUDGET = 8  # the person (2, with a token 3), the offering, its lock, one tally, the two INSERTs


def _writes_then_reads(statements):
    """The statements sent after the enrolment's last INSERT (its audit entry): what the answer reloaded."""
    last_insert = max(n for n, s in enumerate(statements) if s.lstrip().upper().startswith("INSERT"))
    return statements[last_insert + 1:]


@pytest.mark.parametrize("via", ["form", "api"])
@pytest.mark.parametrize("full", [False, True], ids=["seat", "waitlist"])
def test_one_enrolment_sends_few_statements_and_reloads_nothing_it_wrote(
        app, client, api, make_offering, make_trainee, via, full):
    """An enrolment's commit keeps its objects loaded: the redirect or the JSON answer reads them
    from memory, and both take the waitlist position from the tally read under the lock."""
    offering = make_offering(capacity=1)
    if full:
        # One seated, two waiting of whom the first cancels: a gap in the sequence, none in the positions.
        seated, leaving, waiting = make_trainee(), make_trainee(), make_trainee()
        left = [services.enrol(offering, trainee, by=trainee) for trainee in (seated, leaving, waiting)][1]
        services.cancel(left, by=leaving)
    offering_id = offering.id
    headers = api("trainee-wang") if via == "api" else None
    if via == "form":
        login(client, "trainee-wang")
    # What a first request reads or writes once (a token's first use) is not the enrolment's.
    client.get(f"/api/v1/offerings/{offering_id}" if headers else f"/academy/offerings/{offering_id}", headers=headers)
    with app.app_context(), counting_queries(db.engine) as counter:
        if via == "form":
            response = client.post(f"/academy/offerings/{offering_id}/enrol")
        else:
            response = client.post(f"/api/v1/offerings/{offering_id}/enrolments", json={}, headers=headers)
    assert response.status_code == (302 if via == "form" else 201)
    after = _writes_then_reads(counter.statements)
    assert after == [], "read after the commit"
    assert counter.n <= ENROLMENT_BUDGET, counter.statements
    if via == "api":
        assert response.json["status"] == ("waitlisted" if full else "enrolled")
        assert response.json["waitlist_position"] == (2 if full else None)
        if full:  # the position the answer gave is the one the waitlist's own query gives
            mine = db.session.get(Enrolment, response.json["id"])
            assert services.waitlist_positions([mine]) == {mine.id: 2}
    elif full:
        assert "当前候补第 2 位" in client.get(response.headers["Location"]).get_data(as_text=True)
