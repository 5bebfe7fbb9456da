"""Volunteers' schedule version (issue 17): a number that changes whenever anything the slot reader reads does.

``schedule_versions.version`` (one row per volunteer, big integer) is set to a new random
number by triggers in the same transaction as every insert, delete and
relevant update of the rows
the one slot reader (``tutoring/booking/slots.py``) reads for a volunteer
(random, not +1: a transaction that is rolled back must not leave its number
to the next change, whose state differ):
``availability_rules``, ``extra_windows``, ``away_periods``, ``sessions``
(their times, status, capacity, kind), ``bookings`` (their status and
session: a group session's seats) and ``external_busy_times``. The reader
keys its process-local cache by it, read from the database on every read, so
several server processes stay correct. Settings, zone and kinds are read from
the profile itself and are part of the key, not of the version.

Triggers, not application code, so that bulk statements (``update()``,
``delete()``, a refresh of external busy time) and every future writer bump it
too. On SQLite a table rebuilt by ``batch_alter_table`` loses its triggers: a
later migration that rebuilds one of these tables must create them again
(``create_triggers`` below).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# table -> the columns whose update changes slots (None: inserts and deletes only matter... all columns)
VOLUNTEER_TABLES = {
    "availability_rules": None,
    "extra_windows": None,
    "away_periods": None,
    "external_busy_times": None,
    "sessions": ("volunteer_id", "start_at", "end_at", "blocked_until_at", "status", "capacity", "kind"),
}
BOOKING_COLUMNS = ("session_id", "status")
# A new number never seen before (53 random bits on PostgreSQL, 64 on SQLite).
NEW_VERSION = {"postgresql": "(random() * 9007199254740992)::bigint", "sqlite": "random()"}
# One row per volunteer in a table of its own, with no foreign key: the triggers of a booking's or a check-in's
# writes must take no lock on volunteer_profiles or users, whose locks the engine and account deletion take in
# their own order (an UPDATE of volunteer_profiles here deadlocked a booking against an account deletion).
UPSERT = {
    "postgresql": "INSERT INTO schedule_versions (volunteer_id, version) SELECT {who}, {new} WHERE {who} IS NOT NULL "
                  "ON CONFLICT (volunteer_id) DO UPDATE SET version = EXCLUDED.version",
    "sqlite": "INSERT OR REPLACE INTO schedule_versions (volunteer_id, version) SELECT {who}, {new} WHERE {who} IS NOT NULL",
}


def _names(table: str) -> list[str]:
    return [f"trg_{table}_schedule_{operation}" for operation in ("insert", "update", "delete")]


def upsert(who: str, dialect: str = "postgresql") -> str:
    return UPSERT[dialect].format(who=who, new=NEW_VERSION[dialect])


def create_triggers(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute(f"""
            CREATE OR REPLACE FUNCTION bump_schedule_version() RETURNS trigger AS $$
            BEGIN
                IF TG_OP <> 'INSERT' THEN
                    {upsert(who="OLD.volunteer_id")};
                END IF;
                IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.volunteer_id IS DISTINCT FROM OLD.volunteer_id) THEN
                    {upsert(who="NEW.volunteer_id")};
                END IF;
                RETURN NULL;
            END $$ LANGUAGE plpgsql""")
        op.execute(f"""
            CREATE OR REPLACE FUNCTION bump_schedule_version_of_booking() RETURNS trigger AS $$
            BEGIN
                IF TG_OP <> 'INSERT' THEN
                    {upsert(who="(SELECT volunteer_id FROM sessions WHERE id = OLD.session_id)")};
                END IF;
                IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.session_id IS DISTINCT FROM OLD.session_id) THEN
                    {upsert(who="(SELECT volunteer_id FROM sessions WHERE id = NEW.session_id)")};
                END IF;
                RETURN NULL;
            END $$ LANGUAGE plpgsql""")
        for table, columns in VOLUNTEER_TABLES.items():
            of = f" OF {', '.join(columns)}" if columns else ""
            op.execute(f"CREATE TRIGGER trg_{table}_schedule AFTER INSERT OR DELETE OR UPDATE{of} ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION bump_schedule_version()")
        op.execute(f"CREATE TRIGGER trg_bookings_schedule AFTER INSERT OR DELETE OR UPDATE OF "
                   f"{', '.join(BOOKING_COLUMNS)} ON bookings FOR EACH ROW EXECUTE FUNCTION bump_schedule_version_of_booking()")
        return
    def bump(who: str) -> str:
        return upsert(who, "sqlite")

    for table, columns in VOLUNTEER_TABLES.items():
        insert, update, delete = _names(table)
        of = f" OF {', '.join(columns)}" if columns else ""
        op.execute(f"CREATE TRIGGER {insert} AFTER INSERT ON {table} BEGIN "
                   f"{bump(who='NEW.volunteer_id')}; END")
        op.execute(f"CREATE TRIGGER {update} AFTER UPDATE{of} ON {table} BEGIN "
                   f"{bump(who='OLD.volunteer_id')}; {bump(who='NEW.volunteer_id')}; END")
        op.execute(f"CREATE TRIGGER {delete} AFTER DELETE ON {table} BEGIN "
                   f"{bump(who='OLD.volunteer_id')}; END")
    insert, update, delete = _names("bookings")
    of_old = "(SELECT volunteer_id FROM sessions WHERE id = OLD.session_id)"
    of_new = "(SELECT volunteer_id FROM sessions WHERE id = NEW.session_id)"
    op.execute(f"CREATE TRIGGER {insert} AFTER INSERT ON bookings BEGIN {bump(who=of_new)}; END")
    op.execute(f"CREATE TRIGGER {update} AFTER UPDATE OF {', '.join(BOOKING_COLUMNS)} ON bookings BEGIN "
               f"{bump(who=of_old)}; {bump(who=of_new)}; END")
    op.execute(f"CREATE TRIGGER {delete} AFTER DELETE ON bookings BEGIN {bump(who=of_old)}; END")


def drop_triggers(dialect: str) -> None:
    for table in [*VOLUNTEER_TABLES, "bookings"]:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_schedule ON {table}")
        else:
            for name in _names(table):
                op.execute(f"DROP TRIGGER IF EXISTS {name}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS bump_schedule_version()")
        op.execute("DROP FUNCTION IF EXISTS bump_schedule_version_of_booking()")


def upgrade():
    op.create_table(
        "schedule_versions",
        sa.Column("volunteer_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
    )
    create_triggers(op.get_bind().dialect.name)


def downgrade():
    drop_triggers(op.get_bind().dialect.name)
    op.drop_table("schedule_versions")
