"""Session-room messages (issue 20, SPEC §7 "Messages").

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07

``messages``: one row per message of a session's room, stored masked.
``message_reports``: the messages a safeguarding report carries (kept past
the retention time while the report exists).
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

Instant = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("masked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.CheckConstraint("length(text) > 0", name=op.f("ck_messages_text_not_empty")),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], name=op.f("fk_messages_session_id_sessions"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_messages_author_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    op.create_index("ix_messages_session_id_id", "messages", ["session_id", "id"])
    op.create_index("ix_messages_created_at", "messages", ["created_at"])
    op.create_table(
        "message_reports",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["safeguarding_reports.id"],
                                name=op.f("fk_message_reports_report_id_safeguarding_reports"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"],
                                name=op.f("fk_message_reports_message_id_messages"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("report_id", "message_id", name=op.f("pk_message_reports")),
    )
    op.create_index("ix_message_reports_message_id", "message_reports", ["message_id"])


def downgrade():
    op.drop_index("ix_message_reports_message_id", table_name="message_reports")
    op.drop_table("message_reports")
    op.drop_index("ix_messages_created_at", table_name="messages")
    op.drop_index("ix_messages_session_id_id", table_name="messages")
    op.drop_table("messages")
