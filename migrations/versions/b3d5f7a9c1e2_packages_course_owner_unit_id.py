"""packages: a course's owning unit by foreign key (owner_unit_id), not by code

Revision ID: b3d5f7a9c1e2
Revises: a9c4e1f0b2d3
Create Date: 2026-12-07 05:00:00.000000

A code that no unit has (courses from before codes were checked) is kept: an inactive
top unit with that code is made for it, so the course stays restricted to nobody but
authors and admins, as it was, instead of becoming everyone's (which NULL would mean).
An admin sees the unit in the unit list and can move the courses or the unit.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b3d5f7a9c1e2"
down_revision = "a9c4e1f0b2d3"
branch_labels = None
depends_on = None

unit = sa.table(
    "portal_unit",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("kind", sa.String),
    sa.column("active", sa.Boolean),
    sa.column("parent_id", sa.Integer),
)


def _unit_for(conn, code, ids):
    """The id of the unit with ``code``, made (inactive, at the top) when none has it."""
    if code in ids:
        return ids[code]
    new_code = code[:50]
    taken = {c.lower() for c in ids}
    n = 1
    while new_code.lower() in taken:
        n += 1
        new_code = f"{code[:45]}-{n}"
    conn.execute(unit.insert().values(code=new_code, name=code[:200], kind="unit", active=False))
    found = conn.execute(sa.select(unit.c.id).where(unit.c.code == new_code)).scalar_one()
    ids[new_code] = found
    return found


def upgrade():
    with op.batch_alter_table("package_course", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_unit_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_package_course_owner_unit_id"), ["owner_unit_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_package_course_owner_unit_id",
            "portal_unit",
            ["owner_unit_id"],
            ["id"],
            ondelete="RESTRICT",
        )
    conn = op.get_bind()
    course = sa.table(
        "package_course",
        sa.column("owner_unit", sa.String),
        sa.column("owner_unit_id", sa.Integer),
    )
    ids = dict(conn.execute(sa.select(unit.c.code, unit.c.id)).all())
    codes = (
        conn.execute(
            sa.select(course.c.owner_unit).where(course.c.owner_unit.is_not(None)).distinct()
        )
        .scalars()
        .all()
    )
    for code in codes:
        conn.execute(
            course.update()
            .where(course.c.owner_unit == code)
            .values(owner_unit_id=_unit_for(conn, code, ids))
        )
    with op.batch_alter_table("package_course", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_package_course_owner_unit"))
        batch_op.drop_column("owner_unit")


def downgrade():
    with op.batch_alter_table("package_course", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_unit", sa.String(length=200), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_package_course_owner_unit"), ["owner_unit"], unique=False
        )
    # Back to the code the unit has now.
    op.execute(
        "UPDATE package_course SET owner_unit = (SELECT code FROM portal_unit"
        " WHERE portal_unit.id = package_course.owner_unit_id)"
        " WHERE owner_unit_id IS NOT NULL"
    )
    with op.batch_alter_table("package_course", schema=None) as batch_op:
        batch_op.drop_constraint("fk_package_course_owner_unit_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_package_course_owner_unit_id"))
        batch_op.drop_column("owner_unit_id")
