"""mentoring: experts' profiles (专业领域, 工作单位, 职称)

Revision ID: 0003_mentoring
Revises: 0002_mentoring
Create Date: 2026-12-01 19:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003_mentoring'
down_revision = '0002_mentoring'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mentoring_expert_profiles',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=100), nullable=False),
    sa.Column('institution', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=60), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mentoring_expert_profiles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_mentoring_expert_profiles'))
    )


def downgrade():
    op.drop_table('mentoring_expert_profiles')
