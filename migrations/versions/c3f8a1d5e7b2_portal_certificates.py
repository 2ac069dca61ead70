"""portal: certificates of completed courses, checkable by their code

Revision ID: c3f8a1d5e7b2
Revises: b9e4d2c7a1f3
Create Date: 2026-12-07 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3f8a1d5e7b2'
down_revision = 'b9e4d2c7a1f3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'portal_certificate',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('statement_id', sa.String(length=36), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=True),
        sa.Column('learner_name', sa.String(length=300), nullable=False),
        sa.Column('course_title', sa.String(length=500), nullable=False),
        sa.Column('issuer', sa.String(length=300), nullable=False),
        sa.Column('completed_on', sa.Date(), nullable=False),
        sa.Column('valid_until', sa.Date(), nullable=True),
        sa.Column('issued_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['package_course.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['portal_user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code'),
        sa.UniqueConstraint('statement_id'),
    )
    with op.batch_alter_table('portal_certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_certificate_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_portal_certificate_user_id'), ['user_id'], unique=False)


def downgrade():
    op.drop_table('portal_certificate')
