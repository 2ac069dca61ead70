"""lrs stored clock: stored grows in commit order (lrs/clock.py)

Revision ID: c7d2e9f1a3b5
Revises: 565a5e4d44d4
Create Date: 2026-12-06 23:50:00.000000

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7d2e9f1a3b5'
down_revision = '565a5e4d44d4'
branch_labels = None
depends_on = None


def upgrade():
    clock = op.create_table('lrs_clock',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stored_ms', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    # Start at the latest stored so far (or now): later statements are stored after it.
    bind = op.get_bind()
    latest = bind.execute(sa.text('SELECT max(stored) FROM lrs_statement')).scalar()
    if isinstance(latest, str):  # SQLite hands DateTime columns back as text here
        latest = datetime.fromisoformat(latest)
    moment = (latest.replace(tzinfo=UTC) if latest else datetime.now(UTC))
    op.bulk_insert(clock, [{'id': 1, 'stored_ms': int(moment.timestamp() * 1000)}])


def downgrade():
    op.drop_table('lrs_clock')
