"""pool keeps the list price it closed with

A closed pool's page and API compare its price with the list price; a later change to the
offer's list price must not alter that. Pools closed before this revision take the list
price their purchase orders recorded, or the offer's.

Revision ID: 93c90fffccee
Revises: fd7851ba61e1
Create Date: 2026-12-01 08:43:55.840334

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '93c90fffccee'
down_revision = 'fd7851ba61e1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pool', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closing_list_price', sa.Numeric(precision=12, scale=4), nullable=True))
    op.execute(
        "UPDATE pool SET closing_list_price = COALESCE("
        "(SELECT MIN(purchase_order.list_price) FROM purchase_order WHERE purchase_order.pool_id = pool.id), "
        "(SELECT offer.list_price FROM offer WHERE offer.id = pool.offer_id)) "
        "WHERE closed_at IS NOT NULL"
    )


def downgrade():
    with op.batch_alter_table('pool', schema=None) as batch_op:
        batch_op.drop_column('closing_list_price')
