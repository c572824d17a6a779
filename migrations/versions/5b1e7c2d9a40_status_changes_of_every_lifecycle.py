"""status changes: every move of every lifecycle (who, when, from, to, why)

Revision ID: 5b1e7c2d9a40
Revises: ee14989a1d9b
Create Date: 2026-12-08 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b1e7c2d9a40'
down_revision = 'ee14989a1d9b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('status_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_kind', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.String(length=30), nullable=False),
    sa.Column('to_state', sa.String(length=30), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_status_change_actor_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_change'))
    )
    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_change_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index('ix_status_change_subject', ['subject_kind', 'subject_id'], unique=False)


def downgrade():
    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.drop_index('ix_status_change_subject')
        batch_op.drop_index(batch_op.f('ix_status_change_actor_id'))
    op.drop_table('status_change')
