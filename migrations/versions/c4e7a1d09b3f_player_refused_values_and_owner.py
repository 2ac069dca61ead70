"""player: refused values for authors, the launch token that owns an attempt

Revision ID: c4e7a1d09b3f
Revises: c7d2e9f1a3b5
Create Date: 2026-12-08 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e7a1d09b3f'
down_revision = 'c7d2e9f1a3b5'
branch_labels = None
depends_on = None


def upgrade():
    # Values a course tried to store and the player refused (player.refusals).
    op.create_table('player_refused_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('sco_id', sa.String(length=255), nullable=False),
    sa.Column('element', sa.String(length=255), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('code', sa.Integer(), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('first_seen', sa.DateTime(), nullable=False),
    sa.Column('last_seen', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['package_version.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('version_id', 'digest', name='uq_refused_value')
    )
    with op.batch_alter_table('player_refused_value', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_player_refused_value_version_id'), ['version_id'], unique=False)
    # Which refusals a SCO session already counted.
    with op.batch_alter_table('player_sco_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refused', sa.JSON(), nullable=True))
    # The launch token that owns an attempt (a newer launch takes over; player.ownership).
    with op.batch_alter_table('player_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_token_id', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('player_attempt', schema=None) as batch_op:
        batch_op.drop_column('owner_token_id')
    with op.batch_alter_table('player_sco_state', schema=None) as batch_op:
        batch_op.drop_column('refused')
    with op.batch_alter_table('player_refused_value', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_player_refused_value_version_id'))
    op.drop_table('player_refused_value')
