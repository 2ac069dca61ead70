"""player launch token mode

Revision ID: 3ff015831ace
Revises: 5c2d9e41a7b3
Create Date: 2026-11-27 00:04:10.968636

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3ff015831ace'
down_revision = '5c2d9e41a7b3'
branch_labels = None
depends_on = None


def upgrade():
    # Review launches (cmi.mode / cmi.core.lesson_mode "review") and their position.
    with op.batch_alter_table('player_launch_token', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('mode', sa.String(length=10), nullable=False, server_default='normal')
        )
        batch_op.add_column(sa.Column('review_sco', sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table('player_launch_token', schema=None) as batch_op:
        batch_op.drop_column('review_sco')
        batch_op.drop_column('mode')
