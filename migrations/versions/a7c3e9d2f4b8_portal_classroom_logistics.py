"""portal: classroom logistics (session end, changes, cancellation, waiting list, calendar feeds)

Revision ID: a7c3e9d2f4b8
Revises: c8e2f4a6b1d3
Create Date: 2026-12-07 05:50:00.000000

"""
from datetime import timedelta

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9d2f4b8'
down_revision = 'c8e2f4a6b1d3'
branch_labels = None
depends_on = None

session = sa.table(
    'portal_session',
    sa.column('id', sa.Integer()),
    sa.column('starts_at', sa.DateTime()),
    sa.column('ends_at', sa.DateTime()),
)


# SQLite rebuilds these tables (batch mode); reflecting the tables their foreign keys
# name would reflect portal_user, whose expression index SQLAlchemy warns it cannot read.
NO_FK_REFLECTION = {'resolve_fks': False}


def upgrade():
    with op.batch_alter_table('portal_session', reflect_kwargs=NO_FK_REFLECTION) as batch:
        batch.add_column(sa.Column('ends_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('planned_by_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('sequence', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('updated_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('cancelled_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('cancel_reason', sa.Text(), nullable=True))
        batch.create_foreign_key(
            'fk_portal_session_planned_by', 'portal_user', ['planned_by_id'], ['id'],
            ondelete='SET NULL',
        )
    # Old sessions had no end: two hours after the start. Computed here rather than in
    # SQL, where adding hours to a timestamp is spelled differently on SQLite and PostgreSQL.
    bind = op.get_bind()
    for row in bind.execute(sa.select(session.c.id, session.c.starts_at)).all():
        bind.execute(
            session.update()
            .where(session.c.id == row.id)
            .values(ends_at=row.starts_at + timedelta(hours=2))
        )
    with op.batch_alter_table('portal_session', reflect_kwargs=NO_FK_REFLECTION) as batch:
        batch.alter_column('ends_at', existing_type=sa.DateTime(), nullable=False)
    with op.batch_alter_table('portal_enrolment', reflect_kwargs=NO_FK_REFLECTION) as batch:
        batch.add_column(
            sa.Column('status', sa.String(length=10), server_default='booked', nullable=False)
        )
    op.create_index('ix_enrolment_session_status', 'portal_enrolment', ['session_id', 'status'])
    op.create_table(
        'portal_calendar_feed',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['portal_user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id'),
        sa.UniqueConstraint('token_hash'),
    )


def downgrade():
    op.drop_table('portal_calendar_feed')
    op.drop_index('ix_enrolment_session_status', table_name='portal_enrolment')
    with op.batch_alter_table('portal_enrolment', reflect_kwargs=NO_FK_REFLECTION) as batch:
        batch.drop_column('status')
    with op.batch_alter_table('portal_session', reflect_kwargs=NO_FK_REFLECTION) as batch:
        batch.drop_constraint('fk_portal_session_planned_by', type_='foreignkey')
        for column in ('cancel_reason', 'cancelled_at', 'updated_at', 'sequence',
                       'planned_by_id', 'ends_at'):
            batch.drop_column(column)
