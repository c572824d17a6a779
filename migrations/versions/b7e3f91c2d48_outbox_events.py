"""outbox events: one row per happening, expanded into messages by the sender

Revision ID: b7e3f91c2d48
Revises: 3f8a2c6d1e90
Create Date: 2026-12-03 04:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e3f91c2d48'
down_revision = '3f8a2c6d1e90'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbox_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expanded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('messages', sa.Integer(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_event')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_event_dedupe_key'))
    )
    op.create_index(
        'ix_outbox_event_waiting', 'outbox_event', ['id'], unique=False,
        postgresql_where=sa.text('expanded_at IS NULL AND failed_at IS NULL'),
        sqlite_where=sa.text('expanded_at IS NULL AND failed_at IS NULL'),
    )


def downgrade():
    op.drop_index('ix_outbox_event_waiting', table_name='outbox_event',
                  postgresql_where=sa.text('expanded_at IS NULL AND failed_at IS NULL'),
                  sqlite_where=sa.text('expanded_at IS NULL AND failed_at IS NULL'))
    op.drop_table('outbox_event')
