"""Small helpers shared by the core's tests."""
from sqlalchemy import func, select

from incubator.extensions import db
from incubator.testing import PASSWORD


def count_rows(model, *where) -> int:
    """How many rows of `model` (optionally matching `where`) the database holds right now."""
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def page_text(response) -> str:
    return response.get_data(as_text=True)


def logged_in(app, username="admin"):
    """A test client of `app` logged in as `username`."""
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client
