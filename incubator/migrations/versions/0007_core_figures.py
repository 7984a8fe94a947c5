"""figures: yearly targets per park and figure, and the public showcase's figures

Revision ID: 0007_core_figures
Revises: 0006_core_happened_on
Create Date: 2026-12-01 19:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_core_figures'
down_revision = '0006_core_happened_on'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'figure_targets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('park_id', sa.Integer(), nullable=False),
        sa.Column('figure_key', sa.String(length=60), nullable=False),
        sa.Column('value', sa.Numeric(precision=14, scale=2, asdecimal=False), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('value > 0', name=op.f('ck_figure_targets_positive')),
        sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_figure_targets_year')),
        sa.ForeignKeyConstraint(['park_id'], ['parks.id'], name=op.f('fk_figure_targets_park_id_parks'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_figure_targets_updated_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_figure_targets')),
        sa.UniqueConstraint('year', 'park_id', 'figure_key', name=op.f('uq_figure_targets_year_park_id_figure_key')),
    )
    op.create_index(op.f('ix_figure_targets_year'), 'figure_targets', ['year'], unique=False)
    op.create_index(op.f('ix_figure_targets_park_id'), 'figure_targets', ['park_id'], unique=False)
    op.create_table(
        'showcase_figures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('figure_key', sa.String(length=60), nullable=False),
        sa.Column('caption', sa.String(length=60), nullable=False),
        sa.Column('cumulative', sa.Boolean(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_showcase_figures')),
        sa.UniqueConstraint('figure_key', name=op.f('uq_showcase_figures_figure_key')),
    )


def downgrade():
    op.drop_table('showcase_figures')
    op.drop_index(op.f('ix_figure_targets_park_id'), table_name='figure_targets')
    op.drop_index(op.f('ix_figure_targets_year'), table_name='figure_targets')
    op.drop_table('figure_targets')
