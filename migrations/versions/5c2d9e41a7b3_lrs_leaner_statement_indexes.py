"""lrs: leaner statement indexes (filter rows without FK and per-statement index)

The statement filter table is a pure index written with its statement: its foreign key
(a per-row check) and its index by statement_pk cost more per row than the row itself.
SQLite keeps it WITHOUT ROWID (one b-tree).  The object_ref index becomes partial, as
almost every statement has none.

Revision ID: 5c2d9e41a7b3
Revises: 3a111058b092
Create Date: 2026-11-27 00:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '5c2d9e41a7b3'
down_revision = '3a111058b092'
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    # A statement holds each key under one kind: the narrow one (agent 3, activity 5)
    # when it has both, as related queries read both.  StatementRef statements stored
    # before this revision could hold both; queries now rely on there being one.
    op.execute(
        'DELETE FROM lrs_statement_filter WHERE kind IN (4, 6) AND EXISTS ('
        ' SELECT 1 FROM lrs_statement_filter AS narrow'
        ' WHERE narrow.kind = lrs_statement_filter.kind - 1'
        ' AND narrow.key_hash = lrs_statement_filter.key_hash'
        ' AND narrow.statement_pk = lrs_statement_filter.statement_pk)'
    )
    with op.batch_alter_table('lrs_statement', schema=None) as batch_op:
        batch_op.drop_index('ix_lrs_statement_object_ref')
        batch_op.create_index(
            'ix_lrs_statement_object_ref', ['object_ref'], unique=False,
            postgresql_where=sa.text('object_ref IS NOT NULL'),
            sqlite_where=sa.text('object_ref IS NOT NULL'),
        )
    if op.get_bind().dialect.name == 'sqlite':
        # A new table: SQLite cannot drop a foreign key or the rowid in place.
        op.create_table(
            'lrs_statement_filter_new',
            sa.Column('kind', sa.SmallInteger(), nullable=False),
            sa.Column('key_hash', sa.BigInteger(), nullable=False),
            sa.Column('statement_pk', _BIG_ID, nullable=False),
            sa.PrimaryKeyConstraint('kind', 'key_hash', 'statement_pk'),
            sqlite_with_rowid=False,
        )
        op.execute(
            'INSERT INTO lrs_statement_filter_new (kind, key_hash, statement_pk)'
            ' SELECT kind, key_hash, statement_pk FROM lrs_statement_filter'
        )
        op.drop_table('lrs_statement_filter')
        op.rename_table('lrs_statement_filter_new', 'lrs_statement_filter')
    else:
        op.drop_index('ix_lrs_statement_filter_statement', table_name='lrs_statement_filter')
        op.drop_constraint(
            'lrs_statement_filter_statement_pk_fkey', 'lrs_statement_filter', type_='foreignkey'
        )


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.create_table(
            'lrs_statement_filter_old',
            sa.Column('kind', sa.SmallInteger(), nullable=False),
            sa.Column('key_hash', sa.BigInteger(), nullable=False),
            sa.Column('statement_pk', _BIG_ID, nullable=False),
            sa.ForeignKeyConstraint(['statement_pk'], ['lrs_statement.pk'], ondelete='CASCADE'),
            sa.PrimaryKeyConstraint('kind', 'key_hash', 'statement_pk'),
        )
        op.execute(
            'INSERT INTO lrs_statement_filter_old (kind, key_hash, statement_pk)'
            ' SELECT kind, key_hash, statement_pk FROM lrs_statement_filter'
        )
        op.drop_table('lrs_statement_filter')
        op.rename_table('lrs_statement_filter_old', 'lrs_statement_filter')
    else:
        op.create_foreign_key(
            'lrs_statement_filter_statement_pk_fkey', 'lrs_statement_filter', 'lrs_statement',
            ['statement_pk'], ['pk'], ondelete='CASCADE',
        )
    op.create_index(
        'ix_lrs_statement_filter_statement', 'lrs_statement_filter', ['statement_pk'], unique=False
    )
    with op.batch_alter_table('lrs_statement', schema=None) as batch_op:
        batch_op.drop_index('ix_lrs_statement_object_ref')
        batch_op.create_index('ix_lrs_statement_object_ref', ['object_ref'], unique=False)
