"""packages: course review (a version's review state, its history, checklist, reviewers)

Revision ID: e5c1a7d3b9f2
Revises: f4b8d2a6c9e1
Create Date: 2026-12-08 09:00:00.000000

review_state is added in place on both databases (NOT NULL with a default is an ADD
COLUMN on SQLite too, no table rebuild: a rebuild of package_version would cascade to
its files and attempts). Versions offered to learners before review existed are
"published", as if approved; the others are drafts. The checklist starts empty: until
an admin changes it, the built-in items are used (packages/review_setup.py).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5c1a7d3b9f2'
down_revision = 'f4b8d2a6c9e1'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'package_version',
        sa.Column('review_state', sa.String(length=20), server_default='draft', nullable=False),
    )
    version = sa.table(
        'package_version',
        sa.column('published', sa.Boolean()),
        sa.column('review_state', sa.String()),
    )
    op.execute(
        version.update().where(version.c.published.is_(True)).values(review_state='published')
    )
    op.create_table(
        'package_review_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_name', sa.String(length=200), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('checklist', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['portal_user.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['course_id'], ['package_course.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['version_id'], ['package_version.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    for column in ('actor_id', 'course_id', 'version_id'):
        op.create_index(
            f'ix_package_review_event_{column}', 'package_review_event', [column], unique=False
        )
    op.create_table(
        'package_review_item',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=30), nullable=True),
        sa.Column('label', sa.String(length=300), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key', name='uq_package_review_item_key'),
    )
    op.create_table(
        'package_reviewer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['portal_unit.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['portal_user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'unit_id', name='uq_package_reviewer'),
    )
    op.create_index('ix_package_reviewer_unit_id', 'package_reviewer', ['unit_id'], unique=False)
    op.create_index('ix_package_reviewer_user_id', 'package_reviewer', ['user_id'], unique=False)


def downgrade():
    op.drop_table('package_reviewer')
    op.drop_table('package_review_item')
    op.drop_table('package_review_event')
    # DROP COLUMN in place (SQLite 3.35+): the column has no constraint to keep it.
    op.drop_column('package_version', 'review_state')
