"""accounts: the manager line as a table of (manager, person); portal: its monthly totals

Revision ID: c4f7a2e9b8d1
Revises: 3d7073662760
Create Date: 2026-12-07 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4f7a2e9b8d1'
down_revision = '3d7073662760'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('accounts_manager_line',
    sa.Column('manager_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['manager_id'], ['portal_user.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['portal_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('manager_id', 'person_id')
    )
    with op.batch_alter_table('accounts_manager_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_manager_line_person_id'), ['person_id'], unique=False)

    op.create_table('portal_line_rollup',
    sa.Column('manager_id', sa.Integer(), nullable=False),
    sa.Column('dim', sa.String(length=1), nullable=False),
    sa.Column('ref', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('score_sum', sa.Float(), nullable=False),
    sa.Column('score_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['manager_id'], ['portal_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint(
        'manager_id', 'dim', 'period', 'ref',
        postgresql_include=['completed', 'passed', 'failed', 'score_sum', 'score_count'],
    ),
    postgresql_with={'autovacuum_vacuum_scale_factor': 0.02},
    )
    _backfill()


def _backfill():
    """Everyone's chain of managers, walked up until it ends or repeats (as
    accounts/line.py does), then each manager's monthly totals of their line."""
    bind = op.get_bind()
    managers = dict(bind.execute(sa.text("SELECT id, manager_id FROM portal_user")).all())
    rows = []
    for person in managers:
        seen = {person}
        boss = managers.get(person)
        while boss is not None and boss not in seen:
            rows.append({"manager_id": boss, "person_id": person})
            seen.add(boss)
            boss = managers.get(boss)
    if rows:
        line = sa.table(
            "accounts_manager_line", sa.column("manager_id"), sa.column("person_id")
        )
        bind.execute(line.insert(), rows)
    for dim, ref, keys in (
        ("c", "COALESCE(c.course_id, 0)", "l.manager_id, COALESCE(c.course_id, 0), c.period"),
        ("m", "0", "l.manager_id, c.period"),
    ):
        op.execute(
            f"""INSERT INTO portal_line_rollup
                  (manager_id, dim, ref, period, completed, passed, failed, score_sum,
                   score_count)
                SELECT l.manager_id, '{dim}', {ref}, c.period,
                       SUM(CASE WHEN c.verb = 'completed' THEN 1 ELSE 0 END),
                       SUM(CASE WHEN c.verb = 'passed' THEN 1 ELSE 0 END),
                       SUM(CASE WHEN c.verb = 'failed' THEN 1 ELSE 0 END),
                       COALESCE(SUM(c.score), 0), COUNT(c.score)
                FROM accounts_manager_line l
                JOIN portal_completion c ON c.user_id = l.person_id
                GROUP BY {keys}"""
        )
    if bind.dialect.name == "postgresql":
        # The planner's numbers for the new tables now, not when autovacuum comes by:
        # how many people a line holds decides between an index probe and a hash join.
        op.execute("ANALYZE accounts_manager_line")
        op.execute("ANALYZE portal_line_rollup")


def downgrade():
    op.drop_table('portal_line_rollup')
    with op.batch_alter_table('accounts_manager_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_manager_line_person_id'))
    op.drop_table('accounts_manager_line')
