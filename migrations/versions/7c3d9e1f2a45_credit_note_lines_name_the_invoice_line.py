"""credit note lines name the invoice line they credit

Revision ID: 7c3d9e1f2a45
Revises: 5b1e7c2d9a40
Create Date: 2026-12-02 21:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c3d9e1f2a45'
down_revision = '5b1e7c2d9a40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('credit_note_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invoice_line_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_credit_note_line_invoice_line_id'), ['invoice_line_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_credit_note_line_invoice_line_id_invoice_line'), 'invoice_line', ['invoice_line_id'], ['id']
        )
    # Lines credited before this revision: the invoice line of the same invoice, kind and description.
    op.execute(
        """
        UPDATE credit_note_line SET invoice_line_id = (
            SELECT MIN(invoice_line.id) FROM invoice_line JOIN credit_note ON credit_note.invoice_id = invoice_line.invoice_id
            WHERE credit_note.id = credit_note_line.credit_note_id
              AND invoice_line.kind = credit_note_line.kind
              AND invoice_line.description = credit_note_line.description
        )
        """
    )


def downgrade():
    with op.batch_alter_table('credit_note_line', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_credit_note_line_invoice_line_id_invoice_line'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_credit_note_line_invoice_line_id'))
        batch_op.drop_column('invoice_line_id')
