"""invoices keep the figures the reports read: units, the supplier's part, and what credit notes took

The savings reports summed every invoice's lines and credit note lines in five subqueries per
invoice; an invoice now keeps those sums as it is issued and as it is credited. Existing invoices
get them from their lines, by the rule the reports used (reports.facts before this revision).

Revision ID: 3d512896944c
Revises: 5b7e2c9d4a16
Create Date: 2026-12-04 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3d512896944c'
down_revision = '5b7e2c9d4a16'
branch_labels = None
depends_on = None

COLUMNS = ('units', 'supplier_pence', 'credited_units', 'credited_net_pence', 'credited_supplier_pence')
UNIT_KINDS = "('goods', 'service')"
SUPPLIER_KINDS = "('goods', 'delivery', 'service')"


def _lines(value, kinds=None):
    where = f" AND kind IN {kinds}" if kinds else ""
    return f"COALESCE((SELECT SUM({value}) FROM invoice_line WHERE invoice_id = invoice.id{where}), 0)"


def _credited(value, kinds=None):
    where = f" AND credit_note_line.kind IN {kinds}" if kinds else ""
    return (
        f"COALESCE((SELECT SUM(credit_note_line.{value}) FROM credit_note_line JOIN credit_note "
        f"ON credit_note.id = credit_note_line.credit_note_id WHERE credit_note.invoice_id = invoice.id{where}), 0)"
    )


def upgrade():
    # Added NOT NULL with a default of 0, so SQLite need not rebuild a table other rows refer to.
    for column in COLUMNS:
        op.add_column('invoice', sa.Column(column, sa.Integer(), nullable=False, server_default='0'))
    op.execute(
        f"UPDATE invoice SET units = {_lines('quantity', UNIT_KINDS)}, "
        f"supplier_pence = {_lines('net_pence', SUPPLIER_KINDS)}, "
        f"credited_units = {_credited('quantity', UNIT_KINDS)}, "
        f"credited_net_pence = {_credited('net_pence')}, "
        f"credited_supplier_pence = {_credited('net_pence', SUPPLIER_KINDS)}"
    )
    if op.get_bind().dialect.name == 'postgresql':
        for column in COLUMNS:
            op.alter_column('invoice', column, server_default=None)


def downgrade():
    # Dropped in place (SQLite 3.35 and later can): rebuilding `invoice` would cascade-delete its lines.
    for column in reversed(COLUMNS):
        op.drop_column('invoice', column)
