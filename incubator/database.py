"""One transaction per write: commit it all or roll it all back.

`transaction()` blocks nest: an inner block (a service calling another service, `notify` inside a
stage move) joins the outermost, which alone commits — or rolls back everything. `after_commit(fn)`
runs `fn` once the outermost block has committed (and never if it rolls back): how a write hands work
to the queue only when the rows the work reads are there for another process to see.
"""
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from .errors import Conflict
from .extensions import db

DEPTH, CALLBACKS = "incubator_transaction_depth", "incubator_after_commit"


@contextmanager
def transaction():
    """Commit on success; roll back on any error. A constraint violation becomes a Conflict (409)."""
    info = db.session.info
    if info.get(DEPTH):
        info[DEPTH] += 1
        try:
            yield db.session
        finally:
            info[DEPTH] -= 1
        return
    info[DEPTH], info[CALLBACKS] = 1, []
    try:
        yield db.session
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict("与已有记录冲突（可能是重复或数量超限），未保存任何更改") from exc
    except BaseException:
        db.session.rollback()
        raise
    finally:
        info[DEPTH], callbacks = 0, info.pop(CALLBACKS, [])
    for callback in callbacks:
        callback()


def after_commit(callback) -> None:
    """Run `callback()` after the enclosing `transaction()` commits; at once outside of one."""
    if db.session.info.get(DEPTH):
        db.session.info[CALLBACKS].append(callback)
    else:
        callback()


def insert_ids(table, rows, *, batch: int = 1000) -> list[int]:
    """INSERT `rows` (dicts, any iterable: made as they are sent) into `table` with Core statements
    of `batch` rows each — no unit of work holding every object, as an import of 10,000 would — and
    return their ids in the rows' order. Joins the caller's transaction; a constraint broken raises
    IntegrityError, for the caller to name."""
    from itertools import islice

    from sqlalchemy import insert
    ids: list[int] = []
    rows = iter(rows)
    while chunk := list(islice(rows, batch)):
        ids += db.session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), chunk).all()
    return ids


def insert_new(table, rows: list[dict], *, unique: list[str], returning):
    """INSERT the rows that do not collide with an existing one on the unique columns `unique`
    (ON CONFLICT DO NOTHING, on SQLite and PostgreSQL alike); the values of `returning` of the rows
    inserted. Two processes inserting the same row at once: one row, returned to one of them."""
    if not rows:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table).values(rows).on_conflict_do_nothing(index_elements=unique).returning(returning)
    return list(db.session.scalars(statement))


def count_at_most(stmt, limit: int):
    """A scalar subquery counting the rows of `stmt` up to `limit` + 1 (the database stops reading
    there): more than `limit` means "more than". `stmt` is a SELECT of the rows to count."""
    from sqlalchemy import func, select
    return select(func.count()).select_from(stmt.limit(limit + 1).subquery()).scalar_subquery()
