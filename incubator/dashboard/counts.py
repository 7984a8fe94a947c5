"""The dashboard's counts: organizations per stage from the rows the triggers keep (models.py), and
the overdue count from an index range."""
import logging

from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from ..database import DEPTH
from ..dates import today
from ..extensions import db
from ..organizations.models import Organization
from ..organizations.stages import ACTIVE_STAGES
from .models import StageCount

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
    if sum(read for _stage, _n, read in rows) > FOLD_AFTER and not db.session.info.get(DEPTH):
        try:
            fold()
        except OperationalError:  # SQLite busy with another writer: a later reader folds
            log.info("stage counts not folded: the database is busy")
    return {stage: int(n) for stage, n, _read in rows if n}


def counts_by_park(park_ids, stages) -> dict[int, int]:
    """{park id: organizations in `stages`} in `park_ids` (None: every park), from the same rows."""
    stmt = (select(StageCount.park_id, func.sum(StageCount.n)).where(StageCount.stage.in_(stages))
            .group_by(StageCount.park_id))
    if park_ids is not None:
        stmt = stmt.where(StageCount.park_id.in_(list(park_ids) or [-1]))
    return {park_id: int(n) for park_id, n in db.session.execute(stmt).all() if n}


def fold() -> None:
    """Replace the rows of each park and stage by their sum, in a transaction of its own (never the
    caller's). PostgreSQL: one statement, so a move committed meanwhile is either summed and deleted
    or left as it is. SQLite: the INSERT takes the write lock (or fails at once rather than wait),
    and rows written after the max id was read are left alone."""
    table = StageCount.__tablename__
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(
                f"WITH gone AS (DELETE FROM {table} RETURNING park_id, stage, n) "
                f"INSERT INTO {table} (park_id, stage, n) SELECT park_id, stage, sum(n) FROM gone "
                f"GROUP BY park_id, stage HAVING sum(n) <> 0"))
            return
        waited = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
        conn.exec_driver_sql("PRAGMA busy_timeout = 0")
        try:
            last = conn.scalar(select(func.max(StageCount.id)))
            conn.execute(text(f"INSERT INTO {table} (park_id, stage, n) SELECT park_id, stage, sum(n) FROM {table} "
                              f"WHERE id <= :last GROUP BY park_id, stage HAVING sum(n) <> 0"), {"last": last})
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
