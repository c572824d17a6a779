"""pool band totals: units per pool, consortium and turnover band, kept by each pledge

Revision ID: a5c8e2b1f0d3
Revises: ebdf57113849
Create Date: 2026-12-03 07:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a5c8e2b1f0d3'
down_revision = 'ebdf57113849'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pool_band_total',
    sa.Column('pool_id', sa.Integer(), nullable=False),
    sa.Column('consortium_id', sa.Integer(), nullable=False),
    sa.Column('turnover_band', sa.Enum('under_100k', '100k_500k', '500k_2m', 'over_2m', name='turnoverband', native_enum=False), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['consortium_id'], ['consortium.id'], name=op.f('fk_pool_band_total_consortium_id_consortium')),
    sa.ForeignKeyConstraint(['pool_id'], ['pool.id'], name=op.f('fk_pool_band_total_pool_id_pool'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pool_id', 'consortium_id', 'turnover_band', name=op.f('pk_pool_band_total'))
    )
    # The pledges made before the totals were kept, counted once.
    op.execute(
        "INSERT INTO pool_band_total (pool_id, consortium_id, turnover_band, quantity) "
        "SELECT pledge.pool_id, network.consortium_id, member.turnover_band, SUM(pledge.quantity) "
        "FROM pledge JOIN member ON member.id = pledge.member_id JOIN network ON network.id = member.network_id "
        "WHERE pledge.quantity > 0 GROUP BY pledge.pool_id, network.consortium_id, member.turnover_band"
    )


def downgrade():
    op.drop_table('pool_band_total')
