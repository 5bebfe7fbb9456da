"""Forgiving bilingual subject search (issue 22): one row per search term of a volunteer's subjects.

A new table, ``subject_terms`` (volunteer, term), filled here for every
existing profile from ``tutoring.textsearch.subject_terms`` and kept by the
model whenever subjects change. Terms compare byte by byte (``COLLATE "C"``
on PostgreSQL), so a search's "begins with" is a range of the term index.

The backfill calls the app's pure normaliser as it is when this runs; when
the vocabulary or the normaliser changes later, ``flask --app wsgi search
rebuild-keys`` rebuilds the rows.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""
import json

import sqlalchemy as sa
from alembic import op

from tutoring.textsearch import subject_terms

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

MAX_TERM = 100


def upgrade():
    terms = op.create_table(
        "subject_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(MAX_TERM).with_variant(sa.String(MAX_TERM, collation="C"), "postgresql"),
                  nullable=False),
        sa.ForeignKeyConstraint(["volunteer_id"], ["volunteer_profiles.user_id"],
                                name=op.f("fk_subject_terms_volunteer_id_volunteer_profiles"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_terms")),
    )
    op.create_index("ix_subject_terms_term", "subject_terms", ["term", "volunteer_id"])
    op.create_index(op.f("ix_subject_terms_volunteer_id"), "subject_terms", ["volunteer_id"])
    connection = op.get_bind()
    rows = []
    for user_id, subjects in connection.execute(sa.text("SELECT user_id, subjects FROM volunteer_profiles")):
        if isinstance(subjects, str):  # SQLite hands back the JSON text
            subjects = json.loads(subjects)
        rows.extend({"volunteer_id": user_id, "term": term} for term in subject_terms(subjects or []))
    if rows:
        op.bulk_insert(terms, rows)


def downgrade():
    op.drop_table("subject_terms")
