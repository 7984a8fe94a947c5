"""search index: the pieces of one to three characters of each organization's name and pinyin initials

Revision ID: 0008_core_search_index
Revises: 0007_core_figures
Create Date: 2026-12-01 22:30:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.orm import Session


revision = '0008_core_search_index'
down_revision = '0007_core_figures'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'organization_search_terms',
        sa.Column('term', sa.String(length=3), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_organization_search_terms_organization_id_organizations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('term', 'organization_id', name=op.f('pk_organization_search_terms')),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f('ix_organization_search_terms_organization_id'), 'organization_search_terms',
                    ['organization_id'], unique=False)
    op.create_table(
        'organization_search_texts',
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_organization_search_texts_organization_id_organizations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('organization_id', name=op.f('pk_organization_search_texts')),
    )
    # The organizations already there (the pieces are computed in Python: pypinyin's initials are
    # stored, the name is cut as the platform cuts it).
    from incubator.organizations.search_index import rebuild
    rebuild(Session(bind=op.get_bind()))


def downgrade():
    op.drop_table('organization_search_texts')
    op.drop_index(op.f('ix_organization_search_terms_organization_id'), table_name='organization_search_terms')
    op.drop_table('organization_search_terms')
