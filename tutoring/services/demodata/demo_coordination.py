"""Demo programmes and a few past sessions (completed, no-show, cancelled), so the reports have data.

Called by ``load_demo``; idempotent: programmes are matched by slug and the
past sessions are added only when the first programme is created.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tutoring.extensions import db
from tutoring.models import Booking, Programme, ProgrammeMember, Session, User
from tutoring.timeutil import utcnow

# slug, name, description, kinds, support needs training, member emails (trained ones marked *)
PROGRAMMES = (
    ("maths-for-remote-schools", "Maths for remote schools",
     "Weekly maths and science help for pupils in rural and remote schools.", ("tutoring",), False,
     ("amira.hassan@example.org", "priya.shrestha@example.org", "hana.yamamoto@example.org",
      "karim.haddad@example.org", "ahmed.saleh@example.org")),
    ("listening-line", "Listening line",
     "A calm, confidential space to talk, with trained volunteer listeners.", ("support",), True,
     ("*grace.thompson@example.org", "*nour.khalil@example.org", "fatima.alzahra@example.org",
      "layla.mansour@example.org")),
    ("next-steps-mentoring", "Next steps mentoring",
     "University applications, scholarships and first jobs.", ("mentoring",), False,
     ("omar.alfarsi@example.org", "daniel.okafor@example.org", "fatima.alzahra@example.org",
      "priya.shrestha@example.org")),
)

# Past sessions: volunteer email, learner email, weekday, local start "HH:MM", minutes, kind.
PAST = (
    ("amira.hassan@example.org", "sami@example.org", 1, "19:00", 45, "tutoring"),
    ("priya.shrestha@example.org", "bikash@example.org", 3, "18:00", 45, "tutoring"),
    ("hana.yamamoto@example.org", "maya@example.org", 1, "20:00", 45, "tutoring"),
    ("karim.haddad@example.org", "lina@example.org", 0, "19:00", 45, "tutoring"),
    ("grace.thompson@example.org", "maya@example.org", 0, "19:00", 50, "support"),
    ("nour.khalil@example.org", "ali@example.org", 3, "20:00", 60, "support"),
    ("omar.alfarsi@example.org", "ali@example.org", 6, "20:00", 60, "mentoring"),
    ("daniel.okafor@example.org", "lina@example.org", 3, "19:00", 30, "mentoring"),
)
WEEKS_BACK = 8
# The status of week n's session of pair p: mostly held, some no-shows and cancellations.
_STATUS_CYCLE = ("completed", "completed", "completed", "no_show", "completed", "cancelled", "completed")


def load_programmes(today: date | None = None) -> bool:
    """Create the demo programmes (and, the first time, the past sessions); True if anything was created."""
    today = today or utcnow().date()
    created = False
    users = {user.email: user for user in db.session.query(User).all()}
    first_time = Programme.by_slug(PROGRAMMES[0][0]) is None
    for slug, name, description, kinds, needs_training, members in PROGRAMMES:
        if Programme.by_slug(slug) is not None:
            continue
        programme = Programme(slug=slug, name=name, description=description, kinds=list(kinds),
                              support_needs_training=needs_training)
        db.session.add(programme)
        db.session.flush()
        for email in members:
            user = users.get(email.lstrip("*"))
            if user is not None and user.volunteer_profile is not None:
                db.session.add(ProgrammeMember(programme_id=programme.id, volunteer_id=user.id,
                                               trained=email.startswith("*")))
        created = True
    if first_time:
        _past_sessions(users, today)
    db.session.flush()
    return created


def _past_sessions(users: dict[str, User], today: date) -> None:
    """One session a week for the last weeks per pair, at the volunteer's local evening time."""
    monday = today - timedelta(days=today.weekday())
    for pair, (volunteer_email, learner_email, weekday, start, minutes, kind) in enumerate(PAST):
        volunteer, learner = users.get(volunteer_email), users.get(learner_email)
        if volunteer is None or learner is None or volunteer.volunteer_profile is None:
            continue
        zone = ZoneInfo(volunteer.timezone)
        for week in range(1, WEEKS_BACK + 1):
            day = monday - timedelta(weeks=week) + timedelta(days=weekday)
            start_at = datetime.combine(day, time.fromisoformat(start), tzinfo=zone).astimezone(UTC)
            end_at = start_at + timedelta(minutes=minutes)
            status = _STATUS_CYCLE[(pair + week) % len(_STATUS_CYCLE)]
            session = Session(volunteer_id=volunteer.id, kind=kind, start_at=start_at, end_at=end_at,
                              blocked_until_at=end_at + timedelta(minutes=volunteer.volunteer_profile.buffer_minutes),
                              status=status, capacity=1)
            db.session.add(session)
            db.session.add(Booking(session=session, learner_id=learner.id, status=status, sequence=0,
                                   created_at=start_at - timedelta(days=3)))
