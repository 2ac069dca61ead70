"""accounts: SCIM provisioning (userName, externalId, names, title, manager, versions), groups, tokens

Revision ID: d5a8e3b7c1f9
Revises: d1a2b3c4e5f6
Create Date: 2026-12-07 02:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5a8e3b7c1f9'
down_revision = 'd1a2b3c4e5f6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('portal_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_type', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('email_primary', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('user_name', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('external_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('given_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('family_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('title', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('employee_number', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('manager_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(), nullable=True))
        batch_op.alter_column('email', existing_type=sa.String(length=255), nullable=True)
        batch_op.create_foreign_key(
            'fk_portal_user_manager_id', 'portal_user', ['manager_id'], ['id'], ondelete='SET NULL'
        )
    # Accounts made in the portal sign in by e-mail: that is their userName.
    op.execute("UPDATE portal_user SET user_name = email, updated_at = created_at")
    with op.batch_alter_table('portal_user', schema=None) as batch_op:
        batch_op.alter_column('user_name', existing_type=sa.String(length=255), nullable=False)
        batch_op.create_index(batch_op.f('ix_portal_user_external_id'), ['external_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_portal_user_manager_id'), ['manager_id'], unique=False)
    op.create_index(
        'uq_portal_user_user_name', 'portal_user', [sa.text('lower(user_name)')], unique=True,
        sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'),
    )
    op.create_table('accounts_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('display_name', sa.String(length=255), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('accounts_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_group_external_id'), ['external_id'], unique=False)
    op.create_table('accounts_group_member',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['accounts_group.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['portal_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'user_id')
    )
    with op.batch_alter_table('accounts_group_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_group_member_user_id'), ['user_id'], unique=False)
    op.create_table('accounts_scim_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )


def downgrade():
    op.drop_table('accounts_scim_token')
    op.drop_table('accounts_group_member')
    op.drop_table('accounts_group')
    op.drop_index('uq_portal_user_user_name', table_name='portal_user')
    # Accounts without an e-mail address cannot be kept by the old schema.
    op.execute("DELETE FROM portal_user WHERE email IS NULL")
    with op.batch_alter_table('portal_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portal_user_manager_id'))
        batch_op.drop_index(batch_op.f('ix_portal_user_external_id'))
        batch_op.drop_constraint('fk_portal_user_manager_id', type_='foreignkey')
        batch_op.alter_column('email', existing_type=sa.String(length=255), nullable=False)
        for column in ('deleted_at', 'updated_at', 'version', 'employee_number', 'title',
                       'manager_id', 'family_name', 'given_name', 'external_id', 'user_name',
                       'email_primary', 'email_type'):
            batch_op.drop_column(column)
