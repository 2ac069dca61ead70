"""accounts: the audit log (who did what to whom)

Revision ID: e2b3c4d5f6a7
Revises: d1a2b3c4e5f6
Create Date: 2026-12-07 02:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e2b3c4d5f6a7'
down_revision = 'd1a2b3c4e5f6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('accounts_audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=255), nullable=False),
    sa.Column('action', sa.String(length=50), nullable=False),
    sa.Column('target_type', sa.String(length=30), nullable=False),
    sa.Column('target_id', sa.String(length=64), nullable=True),
    sa.Column('target_name', sa.String(length=255), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['portal_user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('accounts_audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_audit_event_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_accounts_audit_event_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_accounts_audit_event_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_accounts_audit_event_target_id'), ['target_id'], unique=False)


def downgrade():
    op.drop_table('accounts_audit_event')
