"""mentoring: the minimum gap in days between sessions that count toward graduation

Revision ID: 0002_mentoring
Revises: 0001_mentoring
Create Date: 2026-12-01 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0002_mentoring'
down_revision = '0001_mentoring'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('mentoring_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_gap_days', sa.Integer(), server_default='1', nullable=False))
        batch_op.create_check_constraint(op.f('ck_mentoring_settings_min_gap_range'), 'min_gap_days >= 1 AND min_gap_days <= 365')


def downgrade():
    with op.batch_alter_table('mentoring_settings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_mentoring_settings_min_gap_range'), type_='check')
        batch_op.drop_column('min_gap_days')
