"""pool pages read a page of participants by name, and of a pool's history, without sorting them all

Organisations get an index on their legal name, so a page of members by name is read in name
order. Each participation change keeps its participation's pool (which never changes), indexed
with the change's id, so a pool's history, oldest first, is one index range; existing changes
take their participation's pool.

participation_change is rebuilt on SQLite to make the column NOT NULL with its foreign key: no
table refers to it, so the rebuild cascades nowhere.

Revision ID: 5b7e2c9d4a16
Revises: a18c4e2f6b31
Create Date: 2026-12-03 19:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b7e2c9d4a16'
down_revision = 'a18c4e2f6b31'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_legal_name'), ['legal_name'], unique=False)

    with op.batch_alter_table('participation_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_pool_id', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE participation_change SET service_pool_id = (SELECT participation.service_pool_id "
        "FROM participation WHERE participation.id = participation_change.participation_id)"
    )
    with op.batch_alter_table('participation_change', schema=None) as batch_op:
        batch_op.alter_column('service_pool_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_participation_change_service_pool_id_service_pool'),
            'service_pool',
            ['service_pool_id'],
            ['id'],
            ondelete='CASCADE',
        )
        batch_op.create_index('ix_participation_change_pool_history', ['service_pool_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('participation_change', schema=None) as batch_op:
        batch_op.drop_index('ix_participation_change_pool_history')
        batch_op.drop_constraint(
            batch_op.f('fk_participation_change_service_pool_id_service_pool'), type_='foreignkey'
        )
        batch_op.drop_column('service_pool_id')

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_legal_name'))
