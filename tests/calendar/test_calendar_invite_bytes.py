"""An invite's .ics written directly is byte for byte the calendar icalendar writes.

``icalendar_invite`` below is how ``invite_ics`` wrote invites before: a
``Calendar`` holding ``session_event``'s Event with ORGANIZER and the
recipient as the one ATTENDEE (SPEC §7), ``add_timezones``, ``to_ical``.
"""
from __future__ import annotations


from calendar_support import people_from, sessions_of, ORGANIZER_EMAIL, ORGANIZER_NAME, make_session
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from tutoring.calendar import add_timezones, invite_ics, method_for, translations_for
from tutoring.calendar.event import PRODID, attendee, organizer_address, session_event


def icalendar_invite(session, method, organizer_email, organizer_name, recipient, translate) -> bytes:
    event = session_event(session, recipient, translate, organizer=organizer_address(organizer_email, organizer_name),
                          attendees=[attendee(recipient)])
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", method)
    calendar.add_component(event)
    return add_timezones(calendar).to_ical()


names = st.text(max_size=60) | st.sampled_from([
    "عبد الرحمن بن محمد بن عبد الله الهاشمي القرشي المكي ثم المدني", "a\\Nb", 'x;y,z\\"q:', "^n" * 40, "🎓" * 30,
    "Maya Volunteer, PhD",
])
people = people_from(names, ["amira@example.org", "maya@example.org", "someone.with.a.long.address@example.org"])
sessions = sessions_of(people)


@given(sessions, st.booleans(), st.none() | names, st.sampled_from(["ar", "en"]))
@settings(max_examples=300, deadline=None)
def test_an_invite_written_directly_is_the_calendar_icalendar_writes(session, to_learner, organizer_name, language):
    recipient = session.learner if to_learner and session.learner is not None else session.volunteer
    translate = translations_for(language)
    method = method_for(session)
    organizer_email = "tutoring.service@example.net"
    assert invite_ics(session, method, organizer_email, organizer_name, recipient=recipient, translate=translate) == (
        icalendar_invite(session, method, organizer_email, organizer_name, recipient, translate))


def test_the_usual_invites_match_for_each_recipient_in_their_own_language():
    for session in (make_session(), make_session(status="cancelled"), make_session(meeting_url=None, learner=None)):
        for recipient in (session.volunteer, session.learner):
            if recipient is None:
                continue
            translate = translations_for(recipient.language)
            method = method_for(session)
            assert invite_ics(session, method, ORGANIZER_EMAIL, ORGANIZER_NAME, recipient=recipient) == (
                icalendar_invite(session, method, ORGANIZER_EMAIL, ORGANIZER_NAME, recipient, translate))
