"""notification opt-outs; outbox failures and unsubscribe links

Revision ID: ee14989a1d9b
Revises: 93c90fffccee
Create Date: 2026-12-01 08:14:23.720929

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ee14989a1d9b'
down_revision = '93c90fffccee'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notification_opt_out',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notification_opt_out_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_opt_out')),
    sa.UniqueConstraint('user_id', 'kind', name=op.f('uq_notification_opt_out_user_id_kind'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('unsubscribe_url', sa.String(length=500), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_message_sent_at'), ['sent_at'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_sent_at'))
        batch_op.drop_column('unsubscribe_url')
        batch_op.drop_column('failed_at')

    op.drop_table('notification_opt_out')
