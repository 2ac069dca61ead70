"""portal: report exports' files and large people imports' files kept in the database (any node serves them)

Revision ID: c6e2a8f4b1d7
Revises: b3d9f1a7c5e2
Create Date: 2026-12-07 11:25:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c6e2a8f4b1d7'
down_revision = 'b3d9f1a7c5e2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('portal_export') as batch_op:
        batch_op.add_column(sa.Column('body', sa.LargeBinary(), nullable=True))
    op.create_table(
        'portal_people_import_file',
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('body', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('token'),
    )
    op.create_index(
        'ix_portal_people_import_file_created_at',
        'portal_people_import_file',
        ['created_at'],
        unique=False,
    )


def downgrade():
    # Files made or waiting on a node's disk before this revision are not brought back:
    # exports ready at the downgrade are no longer kept, waiting imports are dropped.
    op.drop_index('ix_portal_people_import_file_created_at', table_name='portal_people_import_file')
    op.drop_table('portal_people_import_file')
    with op.batch_alter_table('portal_export') as batch_op:
        batch_op.drop_column('body')
