"""accounts: SAML sign-in (subject links, requests sent, assertions used)

Revision ID: a9c4e1f0b2d3
Revises: a9f3c2d1b8e7
Create Date: 2026-12-07 03:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a9c4e1f0b2d3'
down_revision = 'a9f3c2d1b8e7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('accounts_saml_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idp_entity_id', sa.String(length=255), nullable=False),
    sa.Column('name_id', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['portal_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idp_entity_id', 'name_id')
    )
    with op.batch_alter_table('accounts_saml_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_saml_link_user_id'), ['user_id'], unique=False)
    op.create_table('accounts_saml_request',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('next_path', sa.String(length=1000), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('accounts_saml_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_saml_request_created_at'), ['created_at'], unique=False)
    op.create_table('accounts_saml_assertion',
    sa.Column('issuer', sa.String(length=255), nullable=False),
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('issuer', 'id')
    )
    with op.batch_alter_table('accounts_saml_assertion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_saml_assertion_expires_at'), ['expires_at'], unique=False)


def downgrade():
    op.drop_table('accounts_saml_assertion')
    op.drop_table('accounts_saml_request')
    op.drop_table('accounts_saml_link')
