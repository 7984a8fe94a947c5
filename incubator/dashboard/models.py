"""What the dashboard and the figures count without reading every organization or transition.

`organization_stage_counts` holds how many organizations each park has in each stage, as rows of
(park, stage, n) that add up: the database's own triggers on `organizations` (migration
0009_core_stage_counts) write a row for every insert, delete and move of park or stage, in the same
transaction as the write, so the sum is exact in every snapshot — a manager who has just moved an
organization sees it moved. Writers only ever insert, so two moves, or an import beside a move, never
wait on one another's row (PostgreSQL) nor deadlock; `counts.fold()` now and then replaces the rows of
each park and stage by their sum, in one statement on PostgreSQL, so readers see the same totals
before and after it.

`organization_move_counts` holds the moves the figures count (申请, 入园孵化, 出壳, 退出: see
incubator/figures/core.py) per year, park and category, kept the same way by triggers on
`transitions` and `organizations` (migration 0010_core_move_counts): a transition inserted, deleted
or changed, an organization transferred or recategorized (its moves count in the park it is in now,
as the figures always have), an organization deleted.

A migration that rebuilds `organizations` or `transitions` on SQLite (`batch_alter_table`) drops
their triggers: it must create them again (the triggers' SQL is in migrations 0009 and 0010).
"""
from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..organizations.models import Organization


class StageCount(db.Model):
    """+n or −n organizations of a park in a stage (summed per park and stage)."""

    __tablename__ = "organization_stage_counts"
    __table_args__ = (Index("ix_organization_stage_counts_park_stage", "park_id", "stage", "n"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: a park's rows add up to zero once its organizations are gone, and nothing
    # should stop the park's deletion then.
    park_id: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(20))
    n: Mapped[int] = mapped_column(Integer)


class MoveCount(db.Model):
    """+n or −n counted moves to `move` (a transition's to_stage) in a year, park and category."""

    __tablename__ = "organization_move_counts"
    __table_args__ = (Index("ix_organization_move_counts_year_park", "year", "park_id", "move", "category", "n"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    move: Mapped[str] = mapped_column(String(20))
    park_id: Mapped[int] = mapped_column(Integer)  # no foreign key, as above
    category: Mapped[str] = mapped_column(String(40))
    n: Mapped[int] = mapped_column(Integer)


# Emptied after the organizations (tests empty tables children first, in reverse of this order):
# deleting organizations writes −1 rows, which must go with the rest.
Organization.__table__.add_is_dependent_on(StageCount.__table__)
Organization.__table__.add_is_dependent_on(MoveCount.__table__)
