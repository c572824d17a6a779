"""organisations hold a Peppol participant identifier (EAS scheme and identifier)

Revision ID: 3f8a2c6e9b14
Revises: 7c3d9e1f2a45
Create Date: 2026-12-03 00:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3f8a2c6e9b14'
down_revision = '7c3d9e1f2a45'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('peppol_scheme', sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column('peppol_id', sa.String(length=50), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_organisation_peppol_id_has_a_scheme'), '(peppol_scheme IS NULL) = (peppol_id IS NULL)'
        )


def downgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_organisation_peppol_id_has_a_scheme'), type_='check')
        batch_op.drop_column('peppol_id')
        batch_op.drop_column('peppol_scheme')
