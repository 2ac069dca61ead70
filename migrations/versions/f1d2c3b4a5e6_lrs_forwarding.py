"""lrs: forwarding to other LRSs (targets and the outbox)

Revision ID: f1d2c3b4a5e6
Revises: a7c3e9b5d1f4
Create Date: 2026-12-07 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1d2c3b4a5e6'
down_revision = 'a7c3e9b5d1f4'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table('lrs_forward_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('endpoint', sa.Text(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('secret_sealed', sa.Text(), nullable=False),
    sa.Column('version', sa.String(length=8), nullable=False),
    sa.Column('verbs', sa.JSON(), nullable=False),
    sa.Column('activities', sa.JSON(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('paused', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('removed_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('lease_owner', sa.String(length=100), nullable=True),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('delivered', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('last_delivered_at', sa.DateTime(), nullable=True),
    sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_error_at', sa.DateTime(), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('lrs_forward_outbox',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.String(length=36), nullable=False),
    sa.Column('queued_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_lrs_forward_outbox_target_id', 'lrs_forward_outbox', ['target_id', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_lrs_forward_outbox_target_id', table_name='lrs_forward_outbox')
    op.drop_table('lrs_forward_outbox')
    op.drop_table('lrs_forward_target')
