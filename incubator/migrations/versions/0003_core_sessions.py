"""sessions that can be ended: a session generation per user, and when an API token was last used

Revision ID: 0003_core_sessions
Revises: 0002_core_invitations
Create Date: 2026-12-02 10:00:00.000000
"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0003_core_sessions'
down_revision = '0002_core_invitations'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=True))
    # Every existing user gets a generation of their own (cookies issued before the upgrade carry
    # the bare id and stop working: everyone logs in once more).
    conn = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('session_token', sa.String))
    for (user_id,) in conn.execute(sa.select(users.c.id)).all():
        conn.execute(users.update().where(users.c.id == user_id).values(session_token=secrets.token_urlsafe(24)))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=64), nullable=False)

    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_used_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('last_used_at')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_token')
