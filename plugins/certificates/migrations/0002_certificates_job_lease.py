"""certificates: batch jobs' lease (a dead worker's job is resumed), one active job per offering

Revision ID: 0002_certificates
Revises: 0001_certificates
Create Date: 2026-12-02 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0002_certificates'
down_revision = '0001_certificates'
branch_labels = None
depends_on = None

ACTIVE = "status IN ('queued', 'running')"


def upgrade():
    # Before the unique index: of duplicate active jobs (double clicks), the older ones are failed.
    op.execute("UPDATE certificate_batch_jobs SET status = 'failed', error = 'duplicate' "
               f"WHERE {ACTIVE} AND id NOT IN (SELECT max(id) FROM certificate_batch_jobs "
               f"WHERE {ACTIVE} GROUP BY offering_id)")
    with op.batch_alter_table('certificate_batch_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('owner', sa.String(length=120), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index('uq_certificate_batch_jobs_active', ['offering_id'], unique=True,
                              sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))
    with op.batch_alter_table('certificate_batch_jobs', schema=None) as batch_op:
        batch_op.alter_column('owner', server_default=None)
        batch_op.alter_column('attempts', server_default=None)


def downgrade():
    with op.batch_alter_table('certificate_batch_jobs', schema=None) as batch_op:
        batch_op.drop_index('uq_certificate_batch_jobs_active', sqlite_where=sa.text(ACTIVE),
                            postgresql_where=sa.text(ACTIVE))
        batch_op.drop_column('attempts')
        batch_op.drop_column('owner')
        batch_op.drop_column('lease_until')
