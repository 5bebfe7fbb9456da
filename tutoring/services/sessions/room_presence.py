"""Who is in a live session room now, and "Nour has joined" (issue 20; SPEC §7 Messages is silent on details).

A party is *seen* whenever they load the room page, its polling fragment or
its "here now" fragment, and while their live stream is open (when it opens
and then on its heartbeats). Only while the room is live (from
``rooms.LIVE_BEFORE`` before the start until it closes) is anything recorded:
one ``room_presence`` row per party, its ``last_seen_at`` written at most every
:data:`TOUCH_EVERY` (a read is all a poll or heartbeat costs in between).

*Here now* is every party seen within :data:`HERE_WINDOW`, by display name
only. A party seen after :data:`AWAY_AFTER` without being seen (or for the
first time) gets a ``joined`` entry in the room's messages, stored and
delivered exactly as a message is (``room_events.publish``; Redis carries it
to the other processes), so every open stream, the polling fragment and the
page show it, and a stream's normal reconnects (every few minutes, or a short
network break) never repeat it. A ``joined`` entry holds no text of anyone's:
it is rendered as a quiet line in each reader's language, and it is left out
of the API's list and of safeguarding reports.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from tutoring.extensions import db
from tutoring.models import Message, RoomPresence, User
from tutoring.services.sessions import room_events
from tutoring.services.sessions.rooms import Room, add_entry, lock_room
from tutoring.timeutil import utcnow
from tutoring.transactions import committing

log = logging.getLogger(__name__)

# A party's row is written at most this often (a stream's heartbeat, a 4-second poll: a read in between).
TOUCH_EVERY = timedelta(seconds=30)
# Seen within this: "here now". Longer than TOUCH_EVERY plus a stream's reconnect, so an open page never flickers out.
HERE_WINDOW = timedelta(seconds=75)
# Not seen for this long, then seen again: "has joined" (a stream ends every few minutes and reconnects at once).
AWAY_AFTER = timedelta(minutes=2)


def seen(room: Room) -> Message | None:
    """Record that the room's viewer is in it now (only while live); returns the ``joined`` entry if one was stored.

    Commits when it writes, then tells the room's open streams about a ``joined`` entry.
    """
    if room.state != "live":
        return None
    return seen_in(room.session.id, room.viewer_id, room.now)


def seen_in(session_id: int, user_id: int, now: datetime) -> Message | None:
    """Record that ``user_id`` (a party, already checked) is in the session's live room at ``now``."""
    last = db.session.scalar(select(RoomPresence.last_seen_at)
                             .where(RoomPresence.session_id == session_id, RoomPresence.user_id == user_id))
    if last is not None and now - last < TOUCH_EVERY:
        return None
    joined = None
    with committing():
        # The room's writer lock: entries commit in id order, and two first visits at once (the page and its
        # stream) store one row and one "joined".
        lock_room(session_id)
        presence = db.session.scalars(
            select(RoomPresence).where(RoomPresence.session_id == session_id, RoomPresence.user_id == user_id)
            .execution_options(populate_existing=True)
        ).one_or_none()
        if presence is None:
            presence = RoomPresence(session_id=session_id, user_id=user_id, last_seen_at=now)
            db.session.add(presence)
            away = True
        else:
            away = now - presence.last_seen_at >= AWAY_AFTER
            presence.last_seen_at = max(presence.last_seen_at, now)
        if away:
            joined = Message(session_id=session_id, author_id=user_id, kind="joined", text="joined", masked=False,
                             created_at=now)
            notice = add_entry(joined, db.session.get(User, user_id).display_name, crisis=False)
    if joined is not None:
        room_events.publish(notice)
    return joined


def here_now(room: Room) -> list[str]:
    """Display names of the other parties seen in the room within :data:`HERE_WINDOW` (none unless live)."""
    if room.state != "live":
        return []
    return list(db.session.scalars(
        select(User.display_name)
        .join(RoomPresence, RoomPresence.user_id == User.id)
        .where(RoomPresence.session_id == room.session.id, RoomPresence.user_id != room.viewer_id,
               RoomPresence.last_seen_at >= room.now - HERE_WINDOW)
        .order_by(User.display_name, User.id)
    ))


@dataclass
class StreamPresence:
    """A live stream's viewer, seen when it opens and on its heartbeats while the room is live.

    Made while the request still has the room (:meth:`of`); :meth:`touch` then
    needs only the database, and reads it at most every ``TOUCH_EVERY``.
    """

    session_id: int
    user_id: int
    opens_at: datetime
    closes_at: datetime
    tracking: bool
    last_touch: float = field(default=float("-inf"))

    @classmethod
    def of(cls, room: Room) -> StreamPresence:
        return cls(session_id=room.session.id, user_id=room.viewer_id, opens_at=room.opens_at,
                   closes_at=room.closes_at, tracking=room.is_open)

    def touch(self) -> None:
        """The viewer is still here (the caller removes the database session afterwards)."""
        if not self.tracking or time.monotonic() - self.last_touch < TOUCH_EVERY.total_seconds():
            return
        now = utcnow()
        if self.opens_at <= now < self.closes_at:
            try:
                seen_in(self.session_id, self.user_id, now)
            except Exception:  # noqa: BLE001  (presence is a courtesy: the stream goes on delivering messages)
                log.warning("room presence: could not record a stream's viewer", exc_info=True)
            self.last_touch = time.monotonic()
