"""mentoring: open follow-up actions indexed in due order (the dashboard's overdue list)

Revision ID: 0004_mentoring
Revises: 0003_mentoring
Create Date: 2026-12-01 22:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004_mentoring'
down_revision = '0003_mentoring'
branch_labels = None
depends_on = None

OPEN = "done_at IS NULL"


def upgrade():
    op.create_index('ix_mentoring_actions_open_by_due', 'mentoring_actions', ['due_on', 'id'], unique=False,
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))


def downgrade():
    op.drop_index('ix_mentoring_actions_open_by_due', table_name='mentoring_actions',
                  sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
