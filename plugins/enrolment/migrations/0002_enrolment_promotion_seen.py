"""enrolment: when the trainee saw their promotion from the waitlist

Revision ID: 0002_enrolment
Revises: 0001_enrolment
Create Date: 2026-12-01 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0002_enrolment'
down_revision = '0001_enrolment'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('academy_enrolments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('promotion_seen_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('academy_enrolments', schema=None) as batch_op:
        batch_op.drop_column('promotion_seen_at')
