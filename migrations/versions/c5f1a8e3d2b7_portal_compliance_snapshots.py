"""portal: daily compliance snapshots (status counts per requirement and unit), for the trend

Revision ID: c5f1a8e3d2b7
Revises: c4f7a2e9b8d1
Create Date: 2026-12-08 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5f1a8e3d2b7'
down_revision = 'c4f7a2e9b8d1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('portal_compliance_snapshot',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('requirement_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('not_started', sa.Integer(), nullable=False),
    sa.Column('in_progress', sa.Integer(), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    sa.Column('expiring', sa.Integer(), nullable=False),
    sa.Column('overdue', sa.Integer(), nullable=False),
    sa.Column('exempt', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['requirement_id'], ['portal_requirement.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('day', 'requirement_id', 'unit_id')
    )
    op.create_table('portal_compliance_snapshot_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('taken_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('day')
    )


def downgrade():
    op.drop_table('portal_compliance_snapshot_day')
    op.drop_table('portal_compliance_snapshot')
