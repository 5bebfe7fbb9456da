"""Room presence (issue 20): who is in a live session room, and "has joined" lines.

``messages.kind``: ``text`` (what a person wrote, every existing row) or
``joined`` (a room notice: the author opened the room after an absence).
``room_presence``: when each party of a session's room was last seen in it.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

Instant = sa.DateTime(timezone=True)


def upgrade():
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=20), server_default="text", nullable=False))
        batch.create_check_constraint(op.f("ck_messages_kind_known"), "kind IN ('text', 'joined')")
    op.create_table(
        "room_presence",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("last_seen_at", Instant, nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], name=op.f("fk_room_presence_session_id_sessions"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_room_presence_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", "user_id", name=op.f("pk_room_presence")),
    )


def downgrade():
    op.drop_table("room_presence")
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint(op.f("ck_messages_kind_known"), type_="check")
        batch.drop_column("kind")
