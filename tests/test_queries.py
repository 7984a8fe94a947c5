"""List pages send a bounded number of SQL statements, whatever the number of rows (no N+1)."""
from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select

from incubator.audit.models import AuditEntry
from incubator.extensions import db
from incubator.organizations.models import Organization, Renewal, Transfer, Transition
from incubator.parks.models import Park
from incubator.search import initials
from incubator.stamps import data_changed
from incubator.users.models import User, park_managers

from incubator.testing import counting_queries

STAGES = ["applied", "reviewing", "incubating", "virtual", "graduated"]


def add_rows(n: int, start: int) -> int:
    """Add n organizations (each with transitions, a renewal, a transfer), n managers and n audit entries."""
    parks = db.session.scalars(select(Park).order_by(Park.id)).all()
    fangxing = next(p for p in parks if p.code == "fangxing")
    today = date.today()
    rows = []
    for i in range(start, start + n):
        name = f"查询计数服务社{i:03d}"
        park = fangxing if i % 2 else parks[i % len(parks)]
        rows.append({"name": name, "name_initials": initials(name), "category": "社工服务类",
                     "registration_status": "unregistered", "contact_name": "张芳", "contact_phone": "13912345678",
                     "service_area": "", "description": "", "park_id": park.id, "stage": STAGES[i % len(STAGES)],
                     "incubation_start": today - timedelta(days=800), "incubation_due": today - timedelta(days=i % 3)})
    db.session.execute(insert(Organization), rows)
    ids = db.session.scalars(select(Organization.id).order_by(Organization.id.desc()).limit(n)).all()
    db.session.execute(insert(User), [{"username": f"count-mgr-{i}", "name": "", "phone": "", "role": "manager",
                                       "password_hash": "x", "active": True} for i in range(start, start + n)])
    managers = db.session.scalars(select(User.id).where(User.username.like("count-mgr-%"))
                                  .order_by(User.id.desc()).limit(n)).all()
    db.session.execute(insert(park_managers), [{"user_id": uid, "park_id": parks[uid % len(parks)].id}
                                               for uid in managers])
    # Every record by a different person, so a lazy load per row would show.
    by = dict(zip(ids, managers))
    newest = ids[0]
    db.session.execute(insert(Transition), [
        {"organization_id": org_id, "from_stage": a, "to_stage": b, "user_id": by[org_id], "note": "计数",
         "happened_on": today}
        for org_id in ids for a, b in ((None, "applied"), ("applied", "reviewing"), ("reviewing", "incubating"))])
    # The newest organization gets a long history with n people in it (its page and transitions list).
    db.session.execute(insert(Transition), [
        {"organization_id": newest, "from_stage": "incubating", "to_stage": "virtual", "user_id": uid, "note": "计数",
         "happened_on": today}
        for uid in managers])
    db.session.execute(insert(Renewal), [{"organization_id": newest, "old_due": today, "new_due": today + timedelta(days=9),
                                          "reason": "计数", "user_id": uid} for uid in managers])
    db.session.execute(insert(Transfer), [{"organization_id": newest, "from_park_id": parks[i % len(parks)].id,
                                           "to_park_id": fangxing.id, "user_id": uid} for i, uid in enumerate(managers)])
    db.session.execute(insert(AuditEntry), [{"action": "org.edit", "object_type": "Organization", "object_id": str(oid),
                                             "summary": "计数", "details": {}, "user_id": uid, "ip": ""}
                                            for oid, uid in zip(ids, managers)])
    db.session.commit()
    return ids[0]


def statements(client, url, headers=None) -> int:
    """Statements of the first request after a write: once-per-process reads (the plugin settings)
    are warm, what is kept until the next write (the menu's to-dos, the figures) is computed."""
    client.get(url, headers=headers)
    data_changed()
    with counting_queries(db.engine) as counter:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return counter.n


PAGES = [("admin", "/orgs"), ("fangxing-mgr", "/orgs"), ("admin", "/orgs?q=cxjs&overdue=1"), ("admin", "/dashboard"),
         ("fangxing-mgr", "/dashboard"), ("admin", "/admin/users"), ("admin", "/admin/audit"), ("admin", "/parks"),
         ("admin", "/admin/parks"), ("admin", "/admin/plugins"), ("admin", "ORG")]


@pytest.mark.parametrize("username, url", PAGES)
def test_a_page_sends_as_many_statements_for_60_rows_as_for_5(username, url, network, client, login_as):
    newest = add_rows(5, 0)
    login_as(username)
    small = statements(client, f"/orgs/{newest}" if url == "ORG" else url)
    newest = add_rows(55, 5)
    large = statements(client, f"/orgs/{newest}" if url == "ORG" else url)
    assert large <= small, f"{url}: {small} statements with 5 rows, {large} with 60"
    # A fixed cost beside the page's own: the menu's to-do count asks each plugin (one to three
    # grouped counts each, whatever the number of rows) and the organization page has seven panels.
    assert small <= 35, f"{url}: {small} statements"


@pytest.mark.parametrize("url", ["/api/v1/organizations?per_page=100", "/api/v1/parks", "ORG/transitions"])
def test_an_api_list_sends_as_many_statements_for_60_rows_as_for_5(url, network, client, api):
    headers = api("admin")
    newest = add_rows(5, 0)
    small = statements(client, url.replace("ORG", f"/api/v1/organizations/{newest}"), headers)
    newest = add_rows(55, 5)
    large = statements(client, url.replace("ORG", f"/api/v1/organizations/{newest}"), headers)
    assert large <= small, f"{url}: {small} statements with 5 rows, {large} with 60"


# -- the dashboard reads what it shows, not every organization ------------------------------

# Where the dashboard's own statements and its widgets' are made (the targets' figures and the core's
# to-dos are other modules').
DASHBOARD_CODE = ("incubator/dashboard/", "plugins/mentoring/", "plugins/assessment/", "plugins/checklist/")
WATCHED = ("organizations", "transitions", "checklist_documents", "mentoring_actions", "assessments")


def made_in_dashboard_code() -> bool:
    """Whether the innermost of the project's frames (the code that built the statement) is the
    dashboard's or one of its widgets'."""
    import traceback
    ours = [frame.filename.replace("\\", "/") for frame in traceback.extract_stack()
            if ("/incubator/" in frame.filename or "/plugins/" in frame.filename) and "site-packages" not in frame.filename
            and not frame.filename.endswith(("incubator/plugins/__init__.py", "tests/test_queries.py"))]
    return bool(ours) and any(part in ours[-1] for part in DASHBOARD_CODE)


def full_scans(client, url) -> list[str]:
    """SQLite's plan of each statement of the dashboard's code that reads a whole table of
    organizations, transitions, documents, actions or assessments: what grows with the rows. A
    scan in index order that a LIMIT stops (no sort) reads only what it shows."""
    from sqlalchemy import event
    sent = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and made_in_dashboard_code():
            sent.append((statement, parameters))

    client.get(url)
    event.listen(db.engine, "before_cursor_execute", before)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    scans = []
    with db.engine.connect() as conn:
        for statement, parameters in sent:
            plan = [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
            stopped = " LIMIT " in statement and not any("TEMP B-TREE" in line for line in plan)
            scans += [f"{line}: {' '.join(statement.split())[:160]}" for line in plan
                      if line.startswith("SCAN") and any(f" {table}" in line for table in WATCHED) and not stopped]
    return scans


@pytest.mark.parametrize("username", ["admin", "fangxing-mgr"])
def test_the_dashboard_and_its_widgets_read_no_whole_table(username, network, client, login_as):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("reads SQLite's query plans")
    add_rows(60, 0)
    db.session.execute(db.text("ANALYZE"))
    login_as(username)
    scans = full_scans(client, "/dashboard")
    assert scans == [], "\n".join(scans)
