"""portal login sessions and sign-in throttle

Revision ID: 565a5e4d44d4
Revises: b6f1c2d4e8a0
Create Date: 2026-12-06 22:18:51.569843

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "565a5e4d44d4"
down_revision = "b6f1c2d4e8a0"
branch_labels = None
depends_on = None


def upgrade():
    # Failed sign-ins per client address and window (portal/ratelimit.py).
    op.create_table(
        "portal_signin_throttle",
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("client"),
    )
    with op.batch_alter_table("portal_signin_throttle", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_signin_throttle_window_start"), ["window_start"], unique=False
        )

    # Server-side sign-in sessions; the cookie holds the id, this the id's hash
    # (portal/login_sessions.py). Sessions of the old signed-cookie kind end with this.
    op.create_table(
        "portal_login_session",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["portal_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id_hash"),
    )
    with op.batch_alter_table("portal_login_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_login_session_user_id"), ["user_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("portal_login_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_login_session_user_id"))

    op.drop_table("portal_login_session")
    with op.batch_alter_table("portal_signin_throttle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_signin_throttle_window_start"))

    op.drop_table("portal_signin_throttle")
