"""portal: classroom logistics (session end, changes, cancellation, waiting list, approval, calendar feeds)

Revision ID: a7c3e9d2f4b8
Revises: c8e2f4a6b1d3
Create Date: 2026-12-07 05:50:00.000000

On SQLite, columns are added with ALTER TABLE ADD COLUMN rather than by rebuilding the
table (batch mode): a rebuild drops the old portal_session, and with foreign keys on
(core/db.py) DROP TABLE first deletes its rows, which cascades to every booking
(https://sqlite.org/lang_droptable.html). ADD COLUMN cannot add a NOT NULL column
without a default, so on SQLite ends_at keeps a placeholder default nobody relies on
(every session is written with its end, and the rows there are backfilled below).
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

SQLITE_COLUMNS = (
    "ends_at DATETIME NOT NULL DEFAULT '1970-01-01 00:00:00.000000'",
    # People are deactivated, never deleted (as trainer_id): no ON DELETE action, which
    # SQLAlchemy could not read back from a column's inline REFERENCES on SQLite anyway.
    "planned_by_id INTEGER REFERENCES portal_user (id)",
    "sequence INTEGER NOT NULL DEFAULT 0",
    "updated_at DATETIME",
    "cancelled_at DATETIME",
    "cancel_reason TEXT",
)


def _backfill_ends(bind):
    # Old sessions had no end: two hours after the start. Computed here rather than in
    # SQL, where adding hours to a timestamp is spelled differently on each database.
    for row in bind.execute(sa.select(session.c.id, session.c.starts_at)).all():
        bind.execute(
            session.update()
            .where(session.c.id == row.id)
            .values(ends_at=row.starts_at + timedelta(hours=2))
        )


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        # A downgrade on SQLite leaves planned_by_id (see downgrade()).
        present = {c['name'] for c in sa.inspect(bind).get_columns('portal_session')}
        for column in SQLITE_COLUMNS:
            if column.split(' ', 1)[0] not in present:
                op.execute(f"ALTER TABLE portal_session ADD COLUMN {column}")
        _backfill_ends(bind)
    else:
        op.add_column('portal_session', sa.Column('ends_at', sa.DateTime(), nullable=True))
        op.add_column('portal_session', sa.Column('planned_by_id', sa.Integer(), nullable=True))
        op.add_column(
            'portal_session',
            sa.Column('sequence', sa.Integer(), server_default='0', nullable=False),
        )
        op.add_column('portal_session', sa.Column('updated_at', sa.DateTime(), nullable=True))
        op.add_column('portal_session', sa.Column('cancelled_at', sa.DateTime(), nullable=True))
        op.add_column('portal_session', sa.Column('cancel_reason', sa.Text(), nullable=True))
        op.create_foreign_key(
            'fk_portal_session_planned_by', 'portal_session', 'portal_user',
            ['planned_by_id'], ['id'],
        )
        _backfill_ends(bind)
        op.alter_column('portal_session', 'ends_at', existing_type=sa.DateTime(), nullable=False)
    # NOT NULL with a default: ADD COLUMN on both databases, old bookings hold a seat.
    op.add_column(
        'portal_enrolment',
        sa.Column('status', sa.String(length=10), server_default='booked', nullable=False),
    )
    op.add_column('portal_enrolment', sa.Column('note', sa.Text(), nullable=True))
    op.create_index('ix_enrolment_session_status', 'portal_enrolment', ['session_id', 'status'])
    op.add_column(
        'portal_course_kind',
        sa.Column('booking_approval', sa.Boolean(), server_default=sa.false(), nullable=False),
    )
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
    op.drop_column('portal_course_kind', 'booking_approval')
    op.drop_column('portal_enrolment', 'note')
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        # ALTER TABLE DROP COLUMN (SQLite 3.35+) refuses a column with a foreign key, and
        # a rebuild would cascade-delete the bookings (see above): planned_by_id stays.
        op.execute("ALTER TABLE portal_enrolment DROP COLUMN status")
        for column in ('cancel_reason', 'cancelled_at', 'updated_at', 'sequence', 'ends_at'):
            op.execute(f"ALTER TABLE portal_session DROP COLUMN {column}")
        return
    op.drop_column('portal_enrolment', 'status')
    op.drop_constraint('fk_portal_session_planned_by', 'portal_session', type_='foreignkey')
    for column in ('cancel_reason', 'cancelled_at', 'updated_at', 'sequence',
                   'planned_by_id', 'ends_at'):
        op.drop_column('portal_session', column)
