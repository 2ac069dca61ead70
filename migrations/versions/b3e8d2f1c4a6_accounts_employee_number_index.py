"""accounts: an index on employee numbers (people imports look people up by them)

Revision ID: b3e8d2f1c4a6
Revises: b3d5f7a9c1e2
Create Date: 2026-12-07 05:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b3e8d2f1c4a6'
down_revision = 'b3d5f7a9c1e2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('portal_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_user_employee_number'), ['employee_number'], unique=False)


def downgrade():
    with op.batch_alter_table('portal_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portal_user_employee_number'))
