"""Small helpers shared by the core's tests."""
import contextlib

from sqlalchemy import event, func, select

from incubator.extensions import db
from incubator.testing import PASSWORD


def count_rows(model, *where) -> int:
    """How many rows of `model` (optionally matching `where`) the database holds right now."""
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@contextlib.contextmanager
def counting_queries(engine):
    """Count the SQL statements sent through `engine` inside the block: `with ... as counter: counter.n`."""
    class Counter:
        n = 0
        statements: list = []

    counter = Counter()
    counter.statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        counter.n += 1
        counter.statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", before)


def page_text(response) -> str:
    return response.get_data(as_text=True)


def logged_in(app, username="admin"):
    """A test client of `app` logged in as `username`."""
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client
