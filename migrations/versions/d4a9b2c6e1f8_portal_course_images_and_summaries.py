"""portal: course pictures and short descriptions for the catalogue

Revision ID: d4a9b2c6e1f8
Revises: c3f8a1d5e7b2
Create Date: 2026-12-07 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4a9b2c6e1f8'
down_revision = 'c3f8a1d5e7b2'
branch_labels = None
depends_on = None


def upgrade():
    # A nullable column is added in place on SQLite too (no table rebuild).
    op.add_column('package_course', sa.Column('summary', sa.String(length=300), nullable=True))
    op.create_table(
        'portal_course_image',
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('mimetype', sa.String(length=50), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('etag', sa.String(length=64), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['package_course.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('course_id'),
    )


def downgrade():
    op.drop_table('portal_course_image')
    # DROP COLUMN in place (SQLite 3.35+): the column has no constraint to keep it.
    op.drop_column('package_course', 'summary')
