"""portal: reports of accessibility problems from the accessibility statement's form

Revision ID: 3d7073662760
Revises: e5c1a7d3b9f2
Create Date: 2026-12-07 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3d7073662760'
down_revision = 'e5c1a7d3b9f2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'portal_accessibility_report',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('page', sa.String(length=500), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('email', sa.String(length=255), nullable=False),
        sa.Column('locale', sa.String(length=10), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('handled_at', sa.DateTime(), nullable=True),
        sa.Column('handled_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['handled_by_id'], ['portal_user.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['portal_user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('portal_accessibility_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_accessibility_report_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_portal_accessibility_report_handled_at'), ['handled_at'], unique=False)


def downgrade():
    op.drop_table('portal_accessibility_report')
