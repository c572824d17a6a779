"""shared-service pools, participations and their history, billed periods, and the charge behind each invoice

Revision ID: fd7851ba61e1
Revises: 40f10f37d819
Create Date: 2026-12-01 08:14:48.776276

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fd7851ba61e1'
down_revision = '40f10f37d819'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('service_pool',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('is_national', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'open', 'active', 'ended', 'cancelled', name='servicepoolstatus', native_enum=False), nullable=False),
    sa.Column('cost_per_period_pence', sa.Integer(), nullable=False),
    sa.Column('period', sa.Enum('month', 'quarter', name='periodlength', native_enum=False), nullable=False),
    sa.Column('term_periods', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('minimum_participants', sa.Integer(), nullable=False),
    sa.Column('allocation_key', sa.Enum('equal', 'headcount', 'units', name='allocationkey', native_enum=False), nullable=False),
    sa.Column('notice_periods', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.String(length=500), nullable=True),
    sa.CheckConstraint("status != 'cancelled' OR cancel_reason IS NOT NULL", name=op.f('ck_service_pool_cancel_has_reason')),
    sa.CheckConstraint('cost_per_period_pence > 0', name=op.f('ck_service_pool_cost_positive')),
    sa.CheckConstraint('minimum_participants >= 1', name=op.f('ck_service_pool_minimum_positive')),
    sa.CheckConstraint('notice_periods >= 0', name=op.f('ck_service_pool_notice_not_negative')),
    sa.CheckConstraint('term_periods >= 1', name=op.f('ck_service_pool_term_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_service_pool_created_by_id_user')),
    sa.ForeignKeyConstraint(['offer_id'], ['offer.id'], name=op.f('fk_service_pool_offer_id_offer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_pool'))
    )
    with op.batch_alter_table('service_pool', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_pool_offer_id'), ['offer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_pool_status'), ['status'], unique=False)

    op.create_table('billed_period',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_pool_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('cost_pence', sa.Integer(), nullable=False),
    sa.Column('participant_count', sa.Integer(), nullable=False),
    sa.Column('billed_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('period >= 1', name=op.f('ck_billed_period_period_positive')),
    sa.ForeignKeyConstraint(['service_pool_id'], ['service_pool.id'], name=op.f('fk_billed_period_service_pool_id_service_pool')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billed_period')),
    sa.UniqueConstraint('service_pool_id', 'period', name=op.f('uq_billed_period_service_pool_id_period'))
    )
    with op.batch_alter_table('billed_period', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billed_period_service_pool_id'), ['service_pool_id'], unique=False)

    op.create_table('participation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_pool_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('joined_from', sa.Integer(), nullable=False),
    sa.Column('left_after', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('joined_from >= 1', name=op.f('ck_participation_joined_from_positive')),
    sa.CheckConstraint('left_after IS NULL OR left_after >= joined_from - 1', name=op.f('ck_participation_left_after_joining')),
    sa.CheckConstraint('units >= 1', name=op.f('ck_participation_units_positive')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_participation_member_id_member')),
    sa.ForeignKeyConstraint(['service_pool_id'], ['service_pool.id'], name=op.f('fk_participation_service_pool_id_service_pool'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation')),
    sa.UniqueConstraint('service_pool_id', 'member_id', name=op.f('uq_participation_service_pool_id_member_id'))
    )
    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participation_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_participation_service_pool_id'), ['service_pool_id'], unique=False)

    op.create_table('service_pool_consortium',
    sa.Column('service_pool_id', sa.Integer(), nullable=False),
    sa.Column('consortium_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['consortium_id'], ['consortium.id'], name=op.f('fk_service_pool_consortium_consortium_id_consortium')),
    sa.ForeignKeyConstraint(['service_pool_id'], ['service_pool.id'], name=op.f('fk_service_pool_consortium_service_pool_id_service_pool'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_pool_id', 'consortium_id', name=op.f('pk_service_pool_consortium'))
    )
    with op.batch_alter_table('service_pool_consortium', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_pool_consortium_consortium_id'), ['consortium_id'], unique=False)

    op.create_table('participation_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participation_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('old_units', sa.Integer(), nullable=True),
    sa.Column('new_units', sa.Integer(), nullable=False),
    sa.Column('old_joined_from', sa.Integer(), nullable=True),
    sa.Column('new_joined_from', sa.Integer(), nullable=False),
    sa.Column('old_left_after', sa.Integer(), nullable=True),
    sa.Column('new_left_after', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['changed_by_id'], ['user.id'], name=op.f('fk_participation_change_changed_by_id_user')),
    sa.ForeignKeyConstraint(['participation_id'], ['participation.id'], name=op.f('fk_participation_change_participation_id_participation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_change'))
    )
    with op.batch_alter_table('participation_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participation_change_participation_id'), ['participation_id'], unique=False)

    op.create_table('shared_service_charge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('service_pool_id', sa.Integer(), nullable=False),
    sa.Column('billed_period_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('share_pence', sa.Integer(), nullable=False),
    sa.Column('list_unit_price', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.CheckConstraint('share_pence >= 0', name=op.f('ck_shared_service_charge_share_not_negative')),
    sa.CheckConstraint('units >= 1', name=op.f('ck_shared_service_charge_units_positive')),
    sa.ForeignKeyConstraint(['billed_period_id'], ['billed_period.id'], name=op.f('fk_shared_service_charge_billed_period_id_billed_period')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_shared_service_charge_invoice_id_invoice')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_shared_service_charge_member_id_member')),
    sa.ForeignKeyConstraint(['service_pool_id'], ['service_pool.id'], name=op.f('fk_shared_service_charge_service_pool_id_service_pool')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shared_service_charge')),
    sa.UniqueConstraint('billed_period_id', 'member_id', name=op.f('uq_shared_service_charge_billed_period_id_member_id')),
    sa.UniqueConstraint('invoice_id', name=op.f('uq_shared_service_charge_invoice_id'))
    )
    with op.batch_alter_table('shared_service_charge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shared_service_charge_billed_period_id'), ['billed_period_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shared_service_charge_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shared_service_charge_service_pool_id'), ['service_pool_id'], unique=False)



def downgrade():
    with op.batch_alter_table('shared_service_charge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shared_service_charge_service_pool_id'))
        batch_op.drop_index(batch_op.f('ix_shared_service_charge_member_id'))
        batch_op.drop_index(batch_op.f('ix_shared_service_charge_billed_period_id'))

    op.drop_table('shared_service_charge')
    with op.batch_alter_table('participation_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participation_change_participation_id'))

    op.drop_table('participation_change')
    with op.batch_alter_table('service_pool_consortium', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_pool_consortium_consortium_id'))

    op.drop_table('service_pool_consortium')
    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participation_service_pool_id'))
        batch_op.drop_index(batch_op.f('ix_participation_member_id'))

    op.drop_table('participation')
    with op.batch_alter_table('billed_period', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billed_period_service_pool_id'))

    op.drop_table('billed_period')
    with op.batch_alter_table('service_pool', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_pool_status'))
        batch_op.drop_index(batch_op.f('ix_service_pool_offer_id'))

    op.drop_table('service_pool')
