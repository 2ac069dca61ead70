"""accounts: an index on people's names (lists of people by name read it in order)

Revision ID: d8b2e6f4a1c9
Revises: c5f1a8e3d2b7
Create Date: 2026-12-08 09:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd8b2e6f4a1c9'
down_revision = 'c5f1a8e3d2b7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_portal_user_name', 'portal_user', ['name', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_portal_user_name', table_name='portal_user')
