"""What the dashboard counts without reading every organization.

`organization_stage_counts` holds how many organizations each park has in each stage, as rows of
(park, stage, n) that add up: the database's own triggers on `organizations` (migration
0009_core_stage_counts) write a row for every insert, delete and move of park or stage, in the same
transaction as the write, so the sum is exact in every snapshot — a manager who has just moved an
organization sees it moved. Writers only ever insert, so two moves, or an import beside a move, never
wait on one another's row (PostgreSQL) nor deadlock; `counts.fold()` now and then replaces the rows of
each park and stage by their sum, in one statement on PostgreSQL, so readers see the same totals
before and after it.
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


# Emptied after the organizations (tests empty tables children first, in reverse of this order):
# deleting organizations writes −1 rows, which must go with the rest.
Organization.__table__.add_is_dependent_on(StageCount.__table__)
