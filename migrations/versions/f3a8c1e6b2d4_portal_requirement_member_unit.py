"""portal: each requirement member's home unit, kept on the member row

Revision ID: f3a8c1e6b2d4
Revises: c6e2a8f4b1d7
Create Date: 2026-12-07 11:00:00.000000

A copy of portal_user.unit_id (portal/requirements.py keeps it when people change), so
that a unit's compliance filters each requirement's members by their own column rather
than joining every requirement's members to the accounts (bench/README.md,
"Compliance"). A plain integer like portal_completion.unit_id: no foreign key, so
that SQLite adds it with ALTER TABLE ADD COLUMN and drops it again (a table rebuild
with foreign keys on would cascade, see a7c3e9d2f4b8).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3a8c1e6b2d4'
down_revision = 'c6e2a8f4b1d7'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'portal_requirement_member', sa.Column('unit_id', sa.Integer(), nullable=True)
    )
    op.execute(
        "UPDATE portal_requirement_member SET unit_id = (SELECT portal_user.unit_id"
        " FROM portal_user WHERE portal_user.id = portal_requirement_member.user_id)"
    )
    op.create_index(
        'ix_requirement_member_unit',
        'portal_requirement_member',
        ['requirement_id', 'unit_id'],
        unique=False,
    )


def downgrade():
    op.drop_index('ix_requirement_member_unit', table_name='portal_requirement_member')
    op.drop_column('portal_requirement_member', 'unit_id')
