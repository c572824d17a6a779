"""offers and purchase orders say their unit's plural; a unit that counts itself becomes a pack of it

Revision ID: 3c1e5a7b9d20
Revises: 7840cdfff5e6
Create Date: 2026-12-03 07:00:00

"""
from alembic import op
import sqlalchemy as sa

from kernel.words import default_units


# revision identifiers, used by Alembic.
revision = '3c1e5a7b9d20'
down_revision = '7840cdfff5e6'
branch_labels = None
depends_on = None

TABLES = ('offer', 'purchase_order')


def upgrade():
    bind = op.get_bind()
    for table in TABLES:
        # Added NOT NULL with an empty default, so SQLite need not rebuild a table other rows refer to.
        op.add_column(table, sa.Column('unit_plural', sa.String(length=40), nullable=False, server_default=''))
        rows = sa.table(table, sa.column('unit', sa.String), sa.column('unit_plural', sa.String))
        for unit in bind.execute(sa.select(rows.c.unit).distinct()).scalars().all():
            singular, plural = default_units(unit)
            if len(singular) > 30:
                singular, plural = unit, unit
            bind.execute(rows.update().where(rows.c.unit == unit).values(unit=singular, unit_plural=plural))
        if bind.dialect.name == 'postgresql':
            op.alter_column(table, 'unit_plural', server_default=None)


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('unit_plural')
