"""portal: who completed or passed each course per month (a partial covering index)

Revision ID: e4c7a9b1d3f5
Revises: d8b2e6f4a1c9
Create Date: 2026-12-08 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4c7a9b1d3f5'
down_revision = 'd8b2e6f4a1c9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_completion_done_people',
        'portal_completion',
        ['period', 'course_id', 'user_id'],
        unique=False,
        postgresql_where=sa.text("verb IN ('completed', 'passed')"),
        sqlite_where=sa.text("verb IN ('completed', 'passed')"),
    )


def downgrade():
    op.drop_index('ix_completion_done_people', table_name='portal_completion')
