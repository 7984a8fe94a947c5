"""happened_on: the day a transition happened, beside when it was recorded

Revision ID: 0006_core_happened_on
Revises: 0005_core_files
Create Date: 2026-12-01 17:31:45.178145
"""
from datetime import timedelta

from alembic import op
import sqlalchemy as sa


revision = '0006_core_happened_on'
down_revision = '0005_core_files'
branch_labels = None
depends_on = None

# The district's time zone (Asia/Shanghai) has no daylight saving: its day is UTC + 8 hours.
DISTRICT_OFFSET = timedelta(hours=8)
BATCH = 1000

transitions = sa.table('transitions', sa.column('id', sa.Integer), sa.column('created_at', sa.DateTime),
                       sa.column('happened_on', sa.Date))


def backfill(conn, batch: int = BATCH) -> int:
    """Give every transition without a happened_on the district's date of its created_at (naive UTC),
    in batches (computed in Python, the same on SQLite and PostgreSQL). Returns how many it filled."""
    done, last = 0, 0
    while True:
        rows = conn.execute(sa.select(transitions.c.id, transitions.c.created_at)
                            .where(transitions.c.id > last, transitions.c.happened_on.is_(None))
                            .order_by(transitions.c.id).limit(batch)).all()
        if not rows:
            return done
        conn.execute(transitions.update().where(transitions.c.id == sa.bindparam('row_id'))
                     .values(happened_on=sa.bindparam('day')),
                     [{'row_id': row_id, 'day': (created_at + DISTRICT_OFFSET).date()} for row_id, created_at in rows])
        done += len(rows)
        last = rows[-1].id


def upgrade():
    with op.batch_alter_table('transitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('happened_on', sa.Date(), nullable=True))
    backfill(op.get_bind())
    with op.batch_alter_table('transitions', schema=None) as batch_op:
        batch_op.alter_column('happened_on', existing_type=sa.Date(), nullable=False)
        batch_op.create_index('ix_transitions_organization_happened_on', ['organization_id', 'happened_on'], unique=False)


def downgrade():
    with op.batch_alter_table('transitions', schema=None) as batch_op:
        batch_op.drop_index('ix_transitions_organization_happened_on')
        batch_op.drop_column('happened_on')
