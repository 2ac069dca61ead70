"""portal: an outbox message may carry an iCalendar invitation

Revision ID: b9e4d2c7a1f3
Revises: a7d3e9c2f5b1
Create Date: 2026-12-07 06:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b9e4d2c7a1f3'
down_revision = 'a7d3e9c2f5b1'
branch_labels = None
depends_on = None


def upgrade():
    # A nullable column is added in place on SQLite too (no table rebuild).
    op.add_column('portal_outbox', sa.Column('invitation', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('portal_outbox', schema=None) as batch_op:
        batch_op.drop_column('invitation')
