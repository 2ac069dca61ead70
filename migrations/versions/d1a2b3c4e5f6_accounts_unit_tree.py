"""accounts: units nest (a parent unit), so the organisation is a tree

Revision ID: d1a2b3c4e5f6
Revises: c4e7a1d09b3f
Create Date: 2026-12-07 02:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd1a2b3c4e5f6'
down_revision = 'c4e7a1d09b3f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('portal_unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_portal_unit_parent_id'), ['parent_id'], unique=False)
        batch_op.create_foreign_key(
            'fk_portal_unit_parent_id', 'portal_unit', ['parent_id'], ['id'], ondelete='SET NULL'
        )


def downgrade():
    with op.batch_alter_table('portal_unit', schema=None) as batch_op:
        batch_op.drop_constraint('fk_portal_unit_parent_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_portal_unit_parent_id'))
        batch_op.drop_column('parent_id')
