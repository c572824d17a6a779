"""trading: listing photos, and each member's own net debit limit for clearing

Revision ID: a18c4e2f6b31
Revises: a639d0feff28
Create Date: 2026-12-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a18c4e2f6b31'
down_revision = 'a639d0feff28'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('listing_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('media_type', sa.String(length=20), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('byte_size', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('alt_text', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('byte_size > 0', name=op.f('ck_listing_photo_not_empty')),
    sa.CheckConstraint('width > 0 AND height > 0', name=op.f('ck_listing_photo_has_size')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_listing_photo_created_by_id_user')),
    sa.ForeignKeyConstraint(['listing_id'], ['listing.id'], name=op.f('fk_listing_photo_listing_id_listing')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_photo'))
    )
    with op.batch_alter_table('listing_photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listing_photo_listing_id'), ['listing_id'], unique=False)

    op.create_table('trading_limit',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('consortium_id', sa.Integer(), nullable=False),
    sa.Column('limit_pence', sa.Integer(), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=False),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('limit_pence >= 0', name=op.f('ck_trading_limit_limit_not_negative')),
    sa.ForeignKeyConstraint(['consortium_id'], ['consortium.id'], name=op.f('fk_trading_limit_consortium_id_consortium')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_trading_limit_member_id_member')),
    sa.ForeignKeyConstraint(['set_by_id'], ['user.id'], name=op.f('fk_trading_limit_set_by_id_user')),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_trading_limit'))
    )
    with op.batch_alter_table('trading_limit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trading_limit_consortium_id'), ['consortium_id'], unique=False)


def downgrade():
    with op.batch_alter_table('trading_limit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trading_limit_consortium_id'))
    op.drop_table('trading_limit')
    with op.batch_alter_table('listing_photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listing_photo_listing_id'))
    op.drop_table('listing_photo')
