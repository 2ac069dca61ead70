"""accounts: single sign-on links (an account's issuer and subject at an OpenID provider)

Revision ID: a9f3c2d1b8e7
Revises: e2b3c4d5f6a7
Create Date: 2026-12-07 02:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a9f3c2d1b8e7'
down_revision = 'e2b3c4d5f6a7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('accounts_sso_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=255), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['portal_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('issuer', 'subject')
    )
    with op.batch_alter_table('accounts_sso_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_sso_link_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('accounts_sso_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_sso_link_user_id'))

    op.drop_table('accounts_sso_link')
