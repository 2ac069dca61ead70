"""portal: retention (gallring) rules, legal holds, runs and tombstones

Revision ID: a7d3f9c1e5b2
Revises: e4c7a9b1d3f5
Create Date: 2026-12-07 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7d3f9c1e5b2'
down_revision = 'e4c7a9b1d3f5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'portal_retention_rule',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('decision_ref', sa.String(length=100), nullable=False),
        sa.Column('decision_date', sa.Date(), nullable=False),
        sa.Column('decision_text', sa.Text(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('verb_id', sa.Text(), nullable=True),
        sa.Column('activity_type', sa.Text(), nullable=True),
        sa.Column('keep_count', sa.Integer(), nullable=False),
        sa.Column('keep_unit', sa.String(length=10), nullable=False),
        sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['portal_user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'portal_retention_hold',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('course_id', sa.Integer(), nullable=True),
        sa.Column('unit_id', sa.Integer(), nullable=True),
        sa.Column('activity_id', sa.Text(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('until', sa.Date(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_by_name', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('released_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['portal_user.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['course_id'], ['package_course.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['unit_id'], ['portal_unit.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by_id'], ['portal_user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'portal_retention_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=False),
        sa.Column('trigger', sa.String(length=20), nullable=False),
        sa.Column('actor_name', sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'portal_retention_tombstone',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('rule_id', sa.Integer(), nullable=True),
        sa.Column('rule_name', sa.String(length=200), nullable=False),
        sa.Column('decision_ref', sa.String(length=100), nullable=False),
        sa.Column('decision_date', sa.Date(), nullable=False),
        sa.Column('what', sa.String(length=20), nullable=False),
        sa.Column('removed', sa.Integer(), nullable=False),
        sa.Column('held', sa.Integer(), nullable=False),
        sa.Column('in_use', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['run_id'], ['portal_retention_run.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(
            ['rule_id'], ['portal_retention_rule.id'], ondelete='SET NULL'
        ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        'ix_portal_retention_tombstone_run_id', 'portal_retention_tombstone', ['run_id']
    )


def downgrade():
    op.drop_index('ix_portal_retention_tombstone_run_id', table_name='portal_retention_tombstone')
    op.drop_table('portal_retention_tombstone')
    op.drop_table('portal_retention_run')
    op.drop_table('portal_retention_hold')
    op.drop_table('portal_retention_rule')
