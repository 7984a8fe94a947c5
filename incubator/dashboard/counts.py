"""The dashboard's and the figures' counts: organizations per stage and counted moves per year from
the rows the triggers keep (models.py), and the overdue count from an index range."""
import logging

from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from ..database import DEPTH
from ..dates import today
from ..extensions import db
from ..organizations.models import Organization
from ..organizations.stages import ACTIVE_STAGES
from .models import MoveCount, StageCount

log = logging.getLogger(__name__)
# Fold when a read adds up more rows than this: a few thousand moves since the last fold cost
# well under a millisecond to add up, and folding is a write.
FOLD_AFTER = 500


def stage_counts(park_ids) -> dict[str, int]:
    """{stage: organizations} in `park_ids` (None: every park), exact in the reader's snapshot."""
    stmt = select(StageCount.stage, func.sum(StageCount.n), func.count()).group_by(StageCount.stage)
    if park_ids is not None:
        stmt = stmt.where(StageCount.park_id.in_(list(park_ids) or [-1]))
    rows = db.session.execute(stmt).all()
    _fold_when_many(StageCount, sum(read for _stage, _n, read in rows))
    return {stage: int(n) for stage, n, _read in rows if n}


def move_counts(park_ids, first_year: int | None, last_year: int) -> list[tuple[int, str, int, str, int]]:
    """[(year, move, park id, category, n)] of the counted moves from `first_year` (None: the first
    record) to `last_year`, in `park_ids` (None: every park)."""
    stmt = (select(MoveCount.year, MoveCount.move, MoveCount.park_id, MoveCount.category, func.sum(MoveCount.n),
                   func.count())
            .where(MoveCount.year <= last_year, *((MoveCount.year >= first_year,) if first_year is not None else ()))
            .group_by(MoveCount.year, MoveCount.move, MoveCount.park_id, MoveCount.category))
    if park_ids is not None:
        stmt = stmt.where(MoveCount.park_id.in_(list(park_ids) or [-1]))
    rows = db.session.execute(stmt).all()
    _fold_when_many(MoveCount, sum(read for *_key, _n, read in rows) - len(rows))
    return [(year, move, park_id, category, int(n)) for year, move, park_id, category, n, _read in rows if n]


def _fold_when_many(model, rows_read: int) -> None:
    if rows_read > FOLD_AFTER and not db.session.info.get(DEPTH):
        try:
            fold(model)
        except OperationalError:  # SQLite busy with another writer: a later reader folds
            log.info("%s not folded: the database is busy", model.__tablename__)


def counts_by_park(park_ids, stages) -> dict[int, int]:
    """{park id: organizations in `stages`} in `park_ids` (None: every park), from the same rows."""
    stmt = (select(StageCount.park_id, func.sum(StageCount.n)).where(StageCount.stage.in_(stages))
            .group_by(StageCount.park_id))
    if park_ids is not None:
        stmt = stmt.where(StageCount.park_id.in_(list(park_ids) or [-1]))
    return {park_id: int(n) for park_id, n in db.session.execute(stmt).all() if n}


def fold(model=StageCount) -> None:
    """Replace the rows of each key (every column but the id and n) by their sum, in a transaction of
    its own (never the caller's). PostgreSQL: one statement, so a write committed meanwhile is either
    summed and deleted or left as it is. SQLite: the INSERT takes the write lock (or fails at once
    rather than wait), and rows written after the max id was read are left alone."""
    table = model.__tablename__
    keys = ", ".join(c.name for c in model.__table__.columns if c.name not in ("id", "n"))
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(
                f"WITH gone AS (DELETE FROM {table} RETURNING {keys}, n) "
                f"INSERT INTO {table} ({keys}, n) SELECT {keys}, sum(n) FROM gone "
                f"GROUP BY {keys} HAVING sum(n) <> 0"))
            return
        waited = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
        conn.exec_driver_sql("PRAGMA busy_timeout = 0")
        try:
            last = conn.scalar(select(func.max(model.id)))
            conn.execute(text(f"INSERT INTO {table} ({keys}, n) SELECT {keys}, sum(n) FROM {table} "
                              f"WHERE id <= :last GROUP BY {keys} HAVING sum(n) <> 0"), {"last": last})
            conn.execute(text(f"DELETE FROM {table} WHERE id <= :last"), {"last": last})
        finally:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(waited)}")


def in_incubation(park_ids) -> tuple:
    """The conditions "in incubation in `park_ids`": with a condition on the due date, ranges of
    ix_organizations_park_stage_due per park and stage, no row read."""
    return Organization.park_id.in_(list(park_ids) or [-1]), Organization.stage.in_(ACTIVE_STAGES)


def overdue_count(park_ids) -> int:
    """Organizations in incubation in `park_ids` past their due date."""
    return db.session.scalar(select(func.count()).select_from(Organization).where(
        *in_incubation(park_ids), Organization.incubation_due < today()))
