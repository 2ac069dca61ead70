"""lrs: the digest of the definition merged last into each activity (shared by every node)

Revision ID: b3d9f1a7c5e2
Revises: f1d2c3b4a5e6
Create Date: 2026-12-07 11:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3d9f1a7c5e2'
down_revision = 'f1d2c3b4a5e6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lrs_activity') as batch_op:
        batch_op.add_column(sa.Column('merged_digest', sa.LargeBinary(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('lrs_activity') as batch_op:
        batch_op.drop_column('merged_digest')
