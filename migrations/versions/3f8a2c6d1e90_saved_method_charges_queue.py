"""saved-method charges: the queue the charge-saved-methods job works off

Revision ID: 3f8a2c6d1e90
Revises: e4b8d2a61c07
Create Date: 2026-12-02 23:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3f8a2c6d1e90'
down_revision = 'e4b8d2a61c07'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('saved_method_charge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_saved_method_charge_invoice_id_invoice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_method_charge')),
    sa.UniqueConstraint('invoice_id', name=op.f('uq_saved_method_charge_invoice_id'))
    )
    with op.batch_alter_table('saved_method_charge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_method_charge_finished_at'), ['finished_at'], unique=False)


def downgrade():
    with op.batch_alter_table('saved_method_charge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_method_charge_finished_at'))

    op.drop_table('saved_method_charge')
