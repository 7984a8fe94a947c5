"""enrolment: a course's completion rule says whether it includes an assessment (结业考核)

Revision ID: 0003_enrolment
Revises: 0002_enrolment
Create Date: 2026-12-02 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003_enrolment'
down_revision = '0002_enrolment'
branch_labels = None
depends_on = None


def upgrade():
    # Existing courses are attendance-only until the next `incubator courses sync` reads their files
    # (the new field changes every course's content hash, so that sync updates them all).
    with op.batch_alter_table('academy_courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('completion_assessment', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('academy_courses', schema=None) as batch_op:
        batch_op.drop_column('completion_assessment')
