"""tenders award frameworks and run mini-competitions; a framework lot may name its supplier

Revision ID: a639d0feff28
Revises: 3c1e5a7b9d20
Create Date: 2026-12-03 09:39:57.976557

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "a639d0feff28"
down_revision = "3c1e5a7b9d20"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("framework_lot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supplier_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_framework_lot_supplier_id_supplier"), "supplier", ["supplier_id"], ["id"]
        )

    with op.batch_alter_table("tender", schema=None) as batch_op:
        batch_op.add_column(sa.Column("framework_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("framework_lot_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("call_off_member_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("call_off_quantity", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("call_off_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_tender_call_off_member_id"), ["call_off_member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tender_framework_id"), ["framework_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_tender_framework_lot_id_framework_lot"), "framework_lot", ["framework_lot_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_tender_call_off_member_id_member"), "member", ["call_off_member_id"], ["id"]
        )
        batch_op.create_foreign_key(batch_op.f("fk_tender_call_off_id_call_off"), "call_off", ["call_off_id"], ["id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_tender_framework_id_framework"), "framework", ["framework_id"], ["id"]
        )
        batch_op.create_check_constraint(
            "mini_competition_names_its_call_off",
            "framework_id IS NULL OR (framework_lot_id IS NOT NULL AND call_off_member_id IS NOT NULL "
            "AND call_off_quantity >= 1)",
        )


def downgrade():
    with op.batch_alter_table("tender", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_tender_mini_competition_names_its_call_off"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_tender_framework_id_framework"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_tender_call_off_id_call_off"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_tender_call_off_member_id_member"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_tender_framework_lot_id_framework_lot"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_tender_framework_id"))
        batch_op.drop_index(batch_op.f("ix_tender_call_off_member_id"))
        batch_op.drop_column("call_off_id")
        batch_op.drop_column("call_off_quantity")
        batch_op.drop_column("call_off_member_id")
        batch_op.drop_column("framework_lot_id")
        batch_op.drop_column("framework_id")

    with op.batch_alter_table("framework_lot", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_framework_lot_supplier_id_supplier"), type_="foreignkey")
        batch_op.drop_column("supplier_id")
