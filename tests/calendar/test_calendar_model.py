"""The calendar core's input: refused when a client would misplace it, normalized to UTC."""
from __future__ import annotations

import subprocess
import sys
import unicodedata
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from calendar_support import AMIRA, MAYA, SAMI, make_session

from tutoring.calendar import Person
from tutoring.calendar.model import _NOT_IN_NAMES, _NOT_IN_URLS, BIDI_CONTROLS


@pytest.mark.parametrize("field", ["start_at", "end_at", "changed_at"])
def test_naive_datetimes_are_refused(field):
    with pytest.raises(ValueError, match="timezone-aware"):
        make_session(**{field: datetime(2026, 12, 1, 17, 0)})


@pytest.mark.parametrize(
    "changes",
    [
        {"end_at": datetime(2026, 12, 1, 17, 0, tzinfo=timezone.utc)},  # zero length
        {"status": "completed"},
        {"sequence": -1},
        {"uid": ""},
        {"uid": "two\r\nlines"},
        {"start_at": datetime(2026, 12, 1, 16, 59, 59, 500_000, tzinfo=timezone.utc)},
    ],
)
def test_bad_sessions_are_refused(changes):
    with pytest.raises(ValueError):
        make_session(**changes)


def test_instants_are_normalized_to_utc():
    kathmandu = timezone(timedelta(hours=5, minutes=45))
    session = make_session(start_at=datetime(2026, 3, 8, 10, 0, tzinfo=kathmandu),
                           end_at=datetime(2026, 3, 8, 11, 0, tzinfo=kathmandu))
    assert session.start_at == datetime(2026, 3, 8, 4, 15, tzinfo=timezone.utc)
    assert session.start_at.utcoffset() == timedelta(0)


def test_the_change_instant_drops_its_fraction_of_a_second():
    stamp = datetime(2026, 11, 20, 9, 30, 15, 987_654, tzinfo=timezone.utc)
    assert make_session(changed_at=stamp).changed_at == stamp.replace(microsecond=0)


def test_the_other_party_is_found_by_email_whatever_its_case():
    session = make_session()
    assert session.other_party(replace(AMIRA, email="Amira.Hassan@Example.org")) == MAYA
    assert session.other_party(MAYA) == AMIRA
    assert session.other_party(SAMI) == AMIRA  # anyone else (a coordinator) sees the volunteer
    assert make_session(learner=None).other_party(AMIRA) is None


def test_importing_the_core_loads_neither_flask_nor_sqlalchemy():
    code = (
        "import sys, tutoring.calendar, tutoring.calendar.invite, tutoring.calendar.feed\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'flask_babel', 'sqlalchemy'})\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_names_lose_control_characters_and_line_breaks():
    # Strict parsers reject a calendar with control characters, and email
    # headers can't hold line breaks; a display name needs neither.
    person = Person(" Maya\r\nBcc: x@evil.example\x00\u2028 ", "maya@example.org", "en", "UTC")
    assert person.name == "Maya Bcc: x@evil.example"


@pytest.mark.parametrize(
    "changes",
    [{"url": "https://tutoring.example.org/a b"}, {"meeting_url": "https://meet.example.org/\n"}, {"url": ""}],
)
def test_links_with_spaces_or_control_characters_are_refused(changes):
    with pytest.raises(ValueError, match="URL"):
        make_session(**changes)


def test_the_quick_character_checks_are_the_per_character_ones():
    """Every code point: the regular expressions in model.py are exactly the tests they replaced."""
    for point in range(sys.maxunicode + 1):
        char = chr(point)
        category = unicodedata.category(char)
        assert bool(_NOT_IN_URLS.match(char)) == (char.isspace() or category == "Cc"), hex(point)
        assert bool(_NOT_IN_NAMES.match(char)) == (category in ("Cc", "Cs") or char in "\u2028\u2029" or char in BIDI_CONTROLS), hex(point)
