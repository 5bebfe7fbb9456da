"""Crisis and emergency resources for /help (issue 18, SPEC §7 "Help").

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

A new table, ``help_resources``, edited by coordinators. One default entry
(``country`` NULL, shown where a country has none) is added: the local
emergency services, with no number (numbers differ by country, and we never
invent one). Example entries for the demo come from ``flask demo``.
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

Instant = sa.DateTime(timezone=True)
JSONList = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    resources = op.create_table(
        "help_resources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=60), nullable=True),
        sa.Column("text", sa.String(length=60), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("languages", JSONList, server_default="[]", nullable=False),
        sa.Column("hours", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), server_default="", nullable=False),
        sa.Column("is_example", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.CheckConstraint("country IS NULL OR length(country) = 2", name=op.f("ck_help_resources_country_code")),
        sa.CheckConstraint("length(name) > 0", name=op.f("ck_help_resources_name_not_empty")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_resources")),
    )
    op.create_index("ix_help_resources_country", "help_resources", ["country"])
    op.bulk_insert(resources, [{
        "country": None,
        "name": "Local emergency services \u2014 \u062e\u062f\u0645\u0627\u062a \u0627\u0644\u0637\u0648\u0627\u0631\u0626 \u0627\u0644\u0645\u062d\u0644\u064a\u0629",
        "phone": None, "text": None, "url": None, "languages": [], "hours": "24/7",
        "notes": "Call your country's emergency number.", "is_example": False, "created_at": datetime.now(UTC),
    }])


def downgrade():
    op.drop_index("ix_help_resources_country", table_name="help_resources")
    op.drop_table("help_resources")
