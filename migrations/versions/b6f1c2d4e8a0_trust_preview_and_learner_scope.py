"""trust: preview attempts, learner-bound credential scope, trusted credentials

Revision ID: b6f1c2d4e8a0
Revises: a803539b2186
Create Date: 2026-12-06 23:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b6f1c2d4e8a0'
down_revision = 'a803539b2186'
branch_labels = None
depends_on = None


def upgrade():
    # An author's preview attempt counts for nobody (player.models.Attempt.preview).
    with op.batch_alter_table('player_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preview', sa.Boolean(), server_default=sa.false(), nullable=False))
    # What a learner-bound credential may write about, and whose results count (lrs.models).
    with op.batch_alter_table('lrs_credential', schema=None) as batch_op:
        batch_op.add_column(sa.Column('activity_roots', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('session_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('trusted', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('lrs_credential', schema=None) as batch_op:
        batch_op.drop_column('trusted')
        batch_op.drop_column('session_id')
        batch_op.drop_column('activity_roots')
    with op.batch_alter_table('player_attempt', schema=None) as batch_op:
        batch_op.drop_column('preview')
