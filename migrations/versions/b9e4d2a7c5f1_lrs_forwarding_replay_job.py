"""lrs: forwarding's "send again" as a job (replay state, outbox lanes)

Revision ID: b9e4d2a7c5f1
Revises: f3a8c1e6b2d4
Create Date: 2026-12-07 12:10:00.000000

A replay queues in chunks from a job (lrs/forwarding.py explains the order): the
target keeps where it is (``replay_*``), and the outbox row's ``lane`` (0: queued by a
replay, 1: by a write, the column's default) orders a replay's rows before the rows
written meanwhile. Plain columns, so SQLite adds and drops them without a rebuild.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b9e4d2a7c5f1'
down_revision = 'f3a8c1e6b2d4'
branch_labels = None
depends_on = None

TARGET_COLUMNS = (
    ('replay_until', sa.DateTime()),
    ('replay_after', sa.DateTime()),
    ('replay_after_pk', sa.BigInteger()),
    ('replay_watermark', sa.BigInteger()),
)


def upgrade():
    for name, type_ in TARGET_COLUMNS:
        op.add_column('lrs_forward_target', sa.Column(name, type_, nullable=True))
    op.add_column(
        'lrs_forward_target',
        sa.Column('replay_queued', sa.BigInteger(), server_default='0', nullable=False),
    )
    op.add_column(
        'lrs_forward_outbox',
        sa.Column('lane', sa.SmallInteger(), server_default='1', nullable=False),
    )
    op.drop_index('ix_lrs_forward_outbox_target_id', table_name='lrs_forward_outbox')
    op.create_index(
        'ix_lrs_forward_outbox_target_id', 'lrs_forward_outbox', ['target_id', 'lane', 'id']
    )


def downgrade():
    op.drop_index('ix_lrs_forward_outbox_target_id', table_name='lrs_forward_outbox')
    op.create_index('ix_lrs_forward_outbox_target_id', 'lrs_forward_outbox', ['target_id', 'id'])
    op.drop_column('lrs_forward_outbox', 'lane')
    op.drop_column('lrs_forward_target', 'replay_queued')
    for name, _type in reversed(TARGET_COLUMNS):
        op.drop_column('lrs_forward_target', name)
