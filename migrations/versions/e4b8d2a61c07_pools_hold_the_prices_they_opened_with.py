"""pools hold the prices they opened with

A pool takes its offer's list price and tiers as it opens (no longer as it closes), so an offer
edit reaches only pools opened afterwards; a supplier may lower an open pool's tiers, and each
such change is kept in pool_price_change. Pools that opened before this revision and have not
closed take their offer's list price and tiers as they stand; closed pools keep what they
closed with.

No batch here: recreating `pool` on SQLite (with foreign keys on, as the app connects) would
cascade-delete its pledges, tiers and links. Both databases rename a column in place.

Revision ID: e4b8d2a61c07
Revises: 3f8a2c6e9b14
Create Date: 2026-12-03 00:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4b8d2a61c07'
down_revision = '3f8a2c6e9b14'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("ALTER TABLE pool RENAME COLUMN closing_list_price TO held_list_price")
    op.execute(
        "UPDATE pool SET held_list_price = (SELECT offer.list_price FROM offer WHERE offer.id = pool.offer_id) "
        "WHERE held_list_price IS NULL AND opened_at IS NOT NULL"
    )
    op.execute(
        "INSERT INTO pool_tier (pool_id, min_quantity, unit_price) "
        "SELECT pool.id, price_tier.min_quantity, price_tier.unit_price "
        "FROM pool JOIN price_tier ON price_tier.offer_id = pool.offer_id "
        "WHERE pool.opened_at IS NOT NULL AND pool.closed_at IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM pool_tier WHERE pool_tier.pool_id = pool.id)"
    )

    op.create_table('pool_price_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pool_id', sa.Integer(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tiers_before', sa.JSON(), nullable=False),
    sa.Column('tiers_after', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['user.id'], name=op.f('fk_pool_price_change_changed_by_id_user')),
    sa.ForeignKeyConstraint(['pool_id'], ['pool.id'], name=op.f('fk_pool_price_change_pool_id_pool'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_price_change'))
    )
    with op.batch_alter_table('pool_price_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pool_price_change_pool_id'), ['pool_id'], unique=False)


def downgrade():
    with op.batch_alter_table('pool_price_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pool_price_change_pool_id'))
    op.drop_table('pool_price_change')
    # Before this revision only a closed pool held its tiers and list price.
    op.execute(
        "DELETE FROM pool_tier WHERE pool_id IN (SELECT id FROM pool WHERE closed_at IS NULL)"
    )
    op.execute("ALTER TABLE pool RENAME COLUMN held_list_price TO closing_list_price")
    op.execute("UPDATE pool SET closing_list_price = NULL WHERE closed_at IS NULL")
