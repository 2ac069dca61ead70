"""portal: learning paths (an ordered set of courses completed as one)

Revision ID: e5b1c7d3a9f2
Revises: d4a9b2c6e1f8
Create Date: 2026-12-07 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5b1c7d3a9f2'
down_revision = 'd4a9b2c6e1f8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'portal_learning_path',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('owner_unit_id', sa.Integer(), nullable=True),
        sa.Column('published', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['owner_unit_id'], ['portal_unit.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('portal_learning_path', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_learning_path_owner_unit_id'), ['owner_unit_id'], unique=False)
    op.create_table(
        'portal_learning_path_course',
        sa.Column('path_id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['package_course.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['path_id'], ['portal_learning_path.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('path_id', 'course_id'),
    )
    with op.batch_alter_table('portal_learning_path_course', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_learning_path_course_course_id'), ['course_id'], unique=False)


def downgrade():
    op.drop_table('portal_learning_path_course')
    op.drop_table('portal_learning_path')
