"""portal: course evaluations (the organisation's questions, learners' answers)

Revision ID: f4b8d2a6c9e1
Revises: c4f1a8e2d6b9
Create Date: 2026-12-07 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f4b8d2a6c9e1'
down_revision = 'c4f1a8e2d6b9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'portal_evaluation_question',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('text_sv', sa.String(length=500), nullable=False),
        sa.Column('text_en', sa.String(length=500), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'portal_evaluation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('subject', sa.String(length=40), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=True),
        sa.Column('session_id', sa.Integer(), nullable=True),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.Column('statement_id', sa.String(length=36), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['portal_user.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['course_id'], ['package_course.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['version_id'], ['package_version.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['session_id'], ['portal_session.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'subject', name='uq_evaluation_subject'),
    )
    op.create_index(
        'ix_evaluation_course_subject', 'portal_evaluation', ['course_id', 'subject']
    )
    op.create_index('ix_portal_evaluation_session_id', 'portal_evaluation', ['session_id'])
    op.create_table(
        'portal_evaluation_answer',
        sa.Column('evaluation_id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['evaluation_id'], ['portal_evaluation.id'], ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['question_id'], ['portal_evaluation_question.id'], ondelete='RESTRICT'
        ),
        sa.PrimaryKeyConstraint('evaluation_id', 'question_id'),
    )
    op.create_index(
        'ix_portal_evaluation_answer_question_id', 'portal_evaluation_answer', ['question_id']
    )


def downgrade():
    op.drop_table('portal_evaluation_answer')
    op.drop_table('portal_evaluation')
    op.drop_table('portal_evaluation_question')
