"""portal: tests of classroom courses (versions, questions, sessions' tests, sittings)

Revision ID: a7c3e9b5d1f4
Revises: a7d3f9c1e5b2
Create Date: 2026-12-07 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9b5d1f4'
down_revision = 'a7d3f9c1e5b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'portal_classroom_test',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['package_course.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('course_id', 'number', name='uq_classroom_test_number'),
    )
    op.create_table(
        'portal_classroom_test_question',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('test_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('multiple', sa.Boolean(), nullable=False),
        sa.Column('text_sv', sa.String(length=1000), nullable=True),
        sa.Column('text_en', sa.String(length=1000), nullable=True),
        sa.Column('options', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['test_id'], ['portal_classroom_test.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        'ix_portal_classroom_test_question_test_id',
        'portal_classroom_test_question',
        ['test_id'],
    )
    op.create_table(
        'portal_session_test',
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('test_id', sa.Integer(), nullable=False),
        sa.Column('open', sa.Boolean(), nullable=False),
        sa.Column('opened_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['session_id'], ['portal_session.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['test_id'], ['portal_classroom_test.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('session_id'),
    )
    op.create_index('ix_portal_session_test_test_id', 'portal_session_test', ['test_id'])
    op.create_table(
        'portal_test_sitting',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('test_id', sa.Integer(), nullable=False),
        sa.Column('right', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('statement_ids', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['portal_session.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['portal_user.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['test_id'], ['portal_classroom_test.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['portal_user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('session_id', 'user_id', name='uq_test_sitting_person'),
    )
    op.create_index('ix_portal_test_sitting_test_id', 'portal_test_sitting', ['test_id'])


def downgrade():
    op.drop_index('ix_portal_test_sitting_test_id', table_name='portal_test_sitting')
    op.drop_table('portal_test_sitting')
    op.drop_index('ix_portal_session_test_test_id', table_name='portal_session_test')
    op.drop_table('portal_session_test')
    op.drop_index(
        'ix_portal_classroom_test_question_test_id', table_name='portal_classroom_test_question'
    )
    op.drop_table('portal_classroom_test_question')
    op.drop_table('portal_classroom_test')
