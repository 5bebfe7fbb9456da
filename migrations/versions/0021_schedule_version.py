"""Volunteers' schedule version (issue 17): a number that changes whenever anything the slot reader reads does.

``volunteer_profiles.schedule_version`` (big integer) is set to a new random
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
BUMP = "UPDATE volunteer_profiles SET schedule_version = {new} WHERE user_id = {who}"


def _names(table: str) -> list[str]:
    return [f"trg_{table}_schedule_{operation}" for operation in ("insert", "update", "delete")]


def create_triggers(dialect: str) -> None:
    if dialect == "postgresql":
        new = NEW_VERSION[dialect]
        op.execute(f"""
            CREATE OR REPLACE FUNCTION bump_schedule_version() RETURNS trigger AS $$
            BEGIN
                IF TG_OP <> 'INSERT' THEN
                    UPDATE volunteer_profiles SET schedule_version = {new} WHERE user_id = OLD.volunteer_id;
                END IF;
                IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.volunteer_id IS DISTINCT FROM OLD.volunteer_id) THEN
                    UPDATE volunteer_profiles SET schedule_version = {new} WHERE user_id = NEW.volunteer_id;
                END IF;
                RETURN NULL;
            END $$ LANGUAGE plpgsql""")
        op.execute(f"""
            CREATE OR REPLACE FUNCTION bump_schedule_version_of_booking() RETURNS trigger AS $$
            BEGIN
                IF TG_OP <> 'INSERT' THEN
                    UPDATE volunteer_profiles SET schedule_version = {new}
                    WHERE user_id = (SELECT volunteer_id FROM sessions WHERE id = OLD.session_id);
                END IF;
                IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.session_id IS DISTINCT FROM OLD.session_id) THEN
                    UPDATE volunteer_profiles SET schedule_version = {new}
                    WHERE user_id = (SELECT volunteer_id FROM sessions WHERE id = NEW.session_id);
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
        return BUMP.format(new=NEW_VERSION["sqlite"], who=who)

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
    # A plain ADD COLUMN (no table rebuild on SQLite: the triggers of other tables name this one).
    op.add_column("volunteer_profiles",
                  sa.Column("schedule_version", sa.BigInteger(), nullable=False, server_default="0"))
    create_triggers(op.get_bind().dialect.name)


def downgrade():
    drop_triggers(op.get_bind().dialect.name)
    with op.batch_alter_table("volunteer_profiles") as batch:
        batch.drop_column("schedule_version")
