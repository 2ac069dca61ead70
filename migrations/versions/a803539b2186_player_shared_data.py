"""player shared data (SCORM 2004 4th ed. adl.data buckets)

Revision ID: a803539b2186
Revises: 3ff015831ace
Create Date: 2026-11-27 00:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a803539b2186'
down_revision = '3ff015831ace'
branch_labels = None
depends_on = None


def upgrade():
    # One row per learner, scope ("system" or "attempt:<id>") and targetID (player.models).
    op.create_table('player_shared_data',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=True),
    sa.Column('target_hash', sa.String(length=64), nullable=False),
    sa.Column('target_id', sa.Text(), nullable=False),
    sa.Column('store', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['player_attempt.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['portal_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'scope', 'target_hash', name='uq_shared_data_bucket')
    )
    with op.batch_alter_table('player_shared_data', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_player_shared_data_attempt_id'), ['attempt_id'], unique=False)
    # The adl.data entries handed to the running SCO session.
    with op.batch_alter_table('player_sco_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('launch_adl', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('player_sco_state', schema=None) as batch_op:
        batch_op.drop_column('launch_adl')
    with op.batch_alter_table('player_shared_data', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_player_shared_data_attempt_id'))
    op.drop_table('player_shared_data')
