"""portal: requirements (mandatory training that renews), their audiences and members

Revision ID: c8e2f4a6b1d3
Revises: b3e8d2f1c4a6
Create Date: 2026-12-07 05:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c8e2f4a6b1d3'
down_revision = 'b3e8d2f1c4a6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'portal_requirement',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('owner_unit_id', sa.Integer(), nullable=True),
        sa.Column('due_date', sa.Date(), nullable=True),
        sa.Column('due_days', sa.Integer(), nullable=True),
        sa.Column('validity_months', sa.Integer(), nullable=True),
        sa.Column('renewal_days', sa.Integer(), nullable=False),
        sa.Column('signature', sa.String(length=1000), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['owner_unit_id'], ['portal_unit.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['created_by_id'], ['portal_user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_portal_requirement_owner_unit_id', 'portal_requirement', ['owner_unit_id'])
    op.create_index('ix_portal_requirement_signature', 'portal_requirement', ['signature'])
    op.create_table(
        'portal_requirement_course',
        sa.Column('requirement_id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['requirement_id'], ['portal_requirement.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['course_id'], ['package_course.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('requirement_id', 'course_id'),
    )
    op.create_index(
        'ix_portal_requirement_course_course_id', 'portal_requirement_course', ['course_id']
    )
    op.create_table(
        'portal_requirement_audience',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('requirement_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('value', sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(['requirement_id'], ['portal_requirement.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        'ix_portal_requirement_audience_requirement_id',
        'portal_requirement_audience',
        ['requirement_id'],
    )
    op.create_table(
        'portal_requirement_member',
        sa.Column('requirement_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('joined_at', sa.DateTime(), nullable=False),
        sa.Column('last_done', sa.DateTime(), nullable=True),
        sa.Column('started', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(['requirement_id'], ['portal_requirement.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['portal_user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('requirement_id', 'user_id'),
    )
    op.create_index(
        'ix_requirement_member_user', 'portal_requirement_member', ['user_id', 'requirement_id']
    )
    op.create_table(
        'portal_requirement_exemption',
        sa.Column('requirement_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('by_id', sa.Integer(), nullable=True),
        sa.Column('by_name', sa.String(length=255), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['requirement_id'], ['portal_requirement.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['portal_user.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['by_id'], ['portal_user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('requirement_id', 'user_id'),
    )
    with op.batch_alter_table('portal_completion', schema=None) as batch_op:
        batch_op.create_index(
            'ix_completion_user_course', ['user_id', 'course_id', 'verb', 'stored'], unique=False
        )


def downgrade():
    with op.batch_alter_table('portal_completion', schema=None) as batch_op:
        batch_op.drop_index('ix_completion_user_course')
    op.drop_table('portal_requirement_exemption')
    op.drop_index('ix_requirement_member_user', table_name='portal_requirement_member')
    op.drop_table('portal_requirement_member')
    op.drop_index(
        'ix_portal_requirement_audience_requirement_id', table_name='portal_requirement_audience'
    )
    op.drop_table('portal_requirement_audience')
    op.drop_index('ix_portal_requirement_course_course_id', table_name='portal_requirement_course')
    op.drop_table('portal_requirement_course')
    op.drop_index('ix_portal_requirement_signature', table_name='portal_requirement')
    op.drop_index('ix_portal_requirement_owner_unit_id', table_name='portal_requirement')
    op.drop_table('portal_requirement')
