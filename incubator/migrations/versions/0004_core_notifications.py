"""notifications: notices, inboxes, deliveries; users' e-mail, language and channel choices

Revision ID: 0004_core_notifications
Revises: 0003_core_sessions
Create Date: 2026-12-01 15:37:10.878250
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_core_notifications'
down_revision = '0003_core_sessions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=80), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=False),
    sa.Column('park_id', sa.Integer(), nullable=True),
    sa.Column('key', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['park_id'], ['parks.id'], name=op.f('fk_notices_park_id_parks'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notices_kind'), ['kind'], unique=False)

    op.create_table('notification_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=40), nullable=False),
    sa.Column('target', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name=op.f('ck_notification_deliveries_status')),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_notification_deliveries_notice_id_notices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_deliveries_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_deliveries')),
    sa.UniqueConstraint('notice_id', 'channel', 'target', name='uq_notification_deliveries_target')
    )
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_notification_deliveries_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_deliveries_notice_id'), ['notice_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_notifications_notice_id_notices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('user_id', 'key', name='uq_notifications_user_key')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_notice_id'), ['notice_id'], unique=False)
        batch_op.create_index('ix_notifications_user_read', ['user_id', 'read_at'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        # (existing users have none: '' until they give one on /me/notifications)
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('notification_choices', sa.JSON(), nullable=False, server_default='{}'))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('notification_choices')
        batch_op.drop_column('locale')
        batch_op.drop_column('email')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_read')
        batch_op.drop_index(batch_op.f('ix_notifications_notice_id'))

    op.drop_table('notifications')
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_deliveries_notice_id'))
        batch_op.drop_index('ix_notification_deliveries_due')

    op.drop_table('notification_deliveries')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notices_kind'))

    op.drop_table('notices')
