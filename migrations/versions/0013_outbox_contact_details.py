"""Queued and kept invites lose the other party's address (issue 19, SPEC §7 "Contact details never cross").

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

Invites written before this revision listed both people as ATTENDEEs, so each
person's copy carried the other's personal address. From now on a copy names
only its recipient (``tutoring/calendar/invite.py``). This migration cleans the
outbox rows already written, sent or not: in each invite's calendar parts
(the inline ``text/calendar`` and the ``invite.ics`` attachment, both base64)
every ATTENDEE whose address is not the row's recipient is removed. Nothing
else changes: Message-ID, UID, SEQUENCE, the texts and the headers stay as
they were (headers only ever named the recipient and the service), so an
unsent row still goes out as the same message, only without the address.

No schema change. Downgrade does nothing: the removed addresses are gone.

The rewrite is written out here rather than imported, so the migration keeps
reading the bytes the old writer (``tutoring.calendar.mime.base64_part``)
wrote, whatever the app's code becomes.
"""
import base64
import re

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

INVITE_KINDS = ("booked", "rescheduled", "cancelled")
BATCH = 500

# A base64 calendar part as base64_part writes it: Content-Type (text/calendar
# or application/ics), Content-Transfer-Encoding: base64, maybe more headers,
# a blank line, then base64 lines.
_CALENDAR_PART = re.compile(
    rb"(Content-Type: (?:text/calendar|application/ics)[^\r\n]*\r\n"
    rb"(?:[ \t][^\r\n]*\r\n)*"  # a folded Content-Type
    rb"Content-Transfer-Encoding: base64\r\n"
    rb"(?:[^\r\n]+\r\n)*"
    rb"\r\n)"
    rb"((?:[A-Za-z0-9+/=]+\r\n)+)",
    re.IGNORECASE,
)


def only_recipient_attendees(ics: bytes, recipient: str) -> bytes:
    """``ics`` without the ATTENDEE lines (folded or not) of anyone but ``recipient``."""
    own = ("mailto:" + recipient.strip()).lower()
    lines = ics.split(b"\r\n")
    kept: list[bytes] = []
    index = 0
    while index < len(lines):
        group = [lines[index]]
        index += 1
        while index < len(lines) and lines[index][:1] in (b" ", b"\t"):
            group.append(lines[index])
            index += 1
        unfolded = b"".join([group[0], *(line[1:] for line in group[1:])]).decode("utf-8", "replace")
        name = re.split(r"[;:]", unfolded, maxsplit=1)[0].upper()
        if name == "ATTENDEE" and not unfolded.lower().endswith(own):
            continue
        kept.extend(group)
    return b"\r\n".join(kept)


def clean_message(message: bytes, recipient: str) -> bytes:
    """``message`` with every calendar part's foreign ATTENDEEs removed (the same bytes if there were none)."""

    def clean(match: re.Match) -> bytes:
        head, body = match.group(1), match.group(2)
        ics = base64.b64decode(body)
        cleaned = only_recipient_attendees(ics, recipient)
        if cleaned == ics:
            return match.group(0)
        return head + base64.encodebytes(cleaned).replace(b"\n", b"\r\n")

    return _CALENDAR_PART.sub(clean, message)


def upgrade():
    connection = op.get_bind()
    outbox = sa.table(
        "outbox_messages",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("recipient", sa.String),
        sa.column("message", sa.LargeBinary),
    )
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(outbox.c.id, outbox.c.recipient, outbox.c.message)
            .where(outbox.c.kind.in_(INVITE_KINDS), outbox.c.id > last_id)
            .order_by(outbox.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for row_id, recipient, message in rows:
            data = bytes(message)
            cleaned = clean_message(data, recipient)
            if cleaned != data:
                connection.execute(sa.update(outbox).where(outbox.c.id == row_id).values(message=cleaned))
        last_id = rows[-1][0]


def downgrade():
    pass
