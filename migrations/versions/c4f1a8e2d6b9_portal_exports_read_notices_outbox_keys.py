"""portal: report exports made in the background, notifications read or unread, keys of
outbox messages cleaned away

Revision ID: c4f1a8e2d6b9
Revises: e5b1c7d3a9f2
Create Date: 2026-12-08 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4f1a8e2d6b9'
down_revision = 'e5b1c7d3a9f2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('portal_export',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('task_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=True),
    sa.Column('audit', sa.JSON(), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('ready_at', sa.DateTime(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['portal_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token')
    )
    with op.batch_alter_table('portal_export', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_export_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_portal_export_user_id'), ['user_id'], unique=False)

    op.create_table('portal_outbox_key',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    # A nullable column is added in place on SQLite too (no table rebuild). Messages
    # from before count as read: nobody starts with a long list of "new" ones.
    op.add_column('portal_outbox', sa.Column('read_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE portal_outbox SET read_at = created_at")


def downgrade():
    # DROP COLUMN in place (SQLite 3.35+): a batch rebuild would reflect portal_user.
    op.drop_column('portal_outbox', 'read_at')
    op.drop_table('portal_outbox_key')
    with op.batch_alter_table('portal_export', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portal_export_user_id'))
        batch_op.drop_index(batch_op.f('ix_portal_export_expires_at'))
    op.drop_table('portal_export')
