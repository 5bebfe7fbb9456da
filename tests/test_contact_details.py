"""Contact details never cross (SPEC §5, §7; issue 19): a learner's whole life, and every byte each side gets.

One learner signs up, books through the page and the API, moves a session,
has one cancelled by the volunteer with a reason, takes a group seat, books a
weekly series, gets reminders; the worker sends everything to a real SMTP server (aiosmtpd on
loopback). Then both people open what they can: feeds, ``.ics`` downloads,
the Google Calendar link, pages and HTMX fragments, the API, their data
export. Everything the volunteers received or were shown is searched for the
learner's address and phone number, in every form they could take (case,
URL and HTML escapes, quoted-printable and base64 bodies decoded, encoded-word
headers decoded, folded iCalendar lines unfolded); and the reverse.

There is no phone field on accounts: a phone number can only be typed into
free text. The volunteer's bio (public) and the learner's booking note (for
the volunteer) each carry their writer's phone number and address, and the
volunteer's cancellation reason carries the volunteer's: the other side must
see them hidden (``tutoring.contact_details``).
"""
from __future__ import annotations

import base64
import binascii
import email
import html
import json
import quopri
import re
from datetime import datetime, timedelta
from email import policy
from urllib.parse import quote, unquote, unquote_plus

import pytest
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD
from tests.notices.test_outbox_support import smtp_sink  # noqa: F401  (fixture)
from tutoring.contact_details import hide_contact_details
from tutoring.extensions import db
from tutoring.models import AvailabilityRule, Booking, User
from tutoring.services.people.accounts import issue_api_token
from tutoring.timeutil import utcnow
from tutoring.worker import Worker

SENDER = "tutoring@example.org"
# Distinctive, so that no other text can contain them by chance; mixed case as people type them.
LEARNER_EMAIL = "Noor.Learner+kx93@Learners-Mail.example.com"
VOLUNTEER_EMAIL = "amira.tutor-7q2@volunteer-post.example.net"
GROUP_EMAIL = "rami.group-5z1@group-post.example.net"
LEARNER_PHONE = "+977 984-123-4567"
VOLUNTEER_PHONE = "+44 (0)7700 900 318"
GROUP_PHONE = "٠٧٧٠٠ ٩٠٠ ٧٧٢"  # Arabic-Indic digits
NOTE = f"Please go slowly. Call me on {LEARNER_PHONE} or write to {LEARNER_EMAIL.lower()}"
BIO = f"Physics teacher. WhatsApp {VOLUNTEER_PHONE}, mail {VOLUNTEER_EMAIL}"
GROUP_BIO = f"Group maths. Phone {GROUP_PHONE}, {GROUP_EMAIL}"
REASON = f"Sorry, I am ill. Reach me at {VOLUNTEER_PHONE} or {VOLUNTEER_EMAIL}"


# --- what a person could read in the bytes ---------------------------------------------------


def _unfold(text: str) -> str:
    """iCalendar and header line folding undone."""
    return re.sub(r"\r?\n[ \t]", "", text)


def _escapes_undone(text: str) -> list[str]:
    """``text`` and what it says once HTML, URL, JSON or quoted-printable escapes are read."""
    views = [text, _unfold(text), html.unescape(text), unquote(text), unquote_plus(text),
             unquote(html.unescape(text)), html.unescape(unquote(text))]
    try:
        views.append(quopri.decodestring(text.encode("utf-8", "replace")).decode("utf-8", "replace"))
    except ValueError:
        pass
    if text[:1] in "[{":
        try:
            views.append(json.dumps(json.loads(text), ensure_ascii=False))
        except ValueError:
            pass
    return views


def _base64_runs(text: str) -> list[str]:
    """Whatever decodes from the long base64 runs of ``text`` (a body or a header someone base64-ed)."""
    decoded = []
    for run in re.findall(r"(?:[A-Za-z0-9+/]{16,}={0,2}\s*)+", text):
        try:
            decoded.append(base64.b64decode("".join(run.split()), validate=False).decode("utf-8", "replace"))
        except (binascii.Error, ValueError):
            continue
    return decoded


def readings_of_mail(raw: bytes) -> list[str]:
    """A received email as a person could read it: raw, every header decoded, every part decoded and unfolded."""
    text = raw.decode("utf-8", "replace")
    readings = [text, *_base64_runs(text)]
    message = email.message_from_bytes(raw, policy=policy.default)
    readings += [f"{name}: {value}" for name, value in message.items()]
    for part in message.walk():
        readings += [f"{name}: {value}" for name, value in part.items()]
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        readings.append(payload.decode("utf-8", "replace"))
    return [view for reading in readings for view in _escapes_undone(reading)]


def readings_of_response(response) -> list[str]:
    """An HTTP response as its reader could see it: headers and body, escapes undone."""
    head = "\n".join(f"{name}: {value}" for name, value in response.headers.items())
    body = response.get_data(as_text=True)
    return [view for text in (head, body) for view in _escapes_undone(text)]


def email_forms(address: str) -> list[str]:
    """An address and its parts, lower-cased (every reading is lower-cased before searching)."""
    local, _, domain = address.lower().partition("@")
    return [address.lower(), local, domain, quote(address.lower(), safe=""), local.replace("+", " ")]


DIGITS = re.compile(r"[\d\u0660-\u0669\u06f0-\u06f9][\d\u0660-\u0669\u06f0-\u06f9\s().\-/+]*[\d\u0660-\u0669\u06f0-\u06f9]")


def _western(digits: str) -> str:
    return "".join(str(int(c)) if c.isdigit() else c for c in digits)


def phone_digits(phone: str) -> str:
    """The phone number's digits, Western, without the leading 0 of a national prefix in brackets."""
    return re.sub(r"\D", "", _western(phone.replace("(0)", "")))


def contains_phone(text: str, phone: str) -> bool:
    """Whether a run of digits in ``text`` (spaces, dots, dashes, brackets between them ignored) holds the phone."""
    wanted = phone_digits(phone)
    tail = wanted[-8:]  # the subscriber part, however the prefix is written
    return any(tail in re.sub(r"\D", "", _western(run)) for run in DIGITS.findall(text))


class Seen:
    """Everything one person received or was shown, by where it came from."""

    def __init__(self, who: str) -> None:
        self.who = who
        self.readings: list[tuple[str, str]] = []

    def page(self, label: str, response, status: int = 200) -> str:
        assert response.status_code == status, (self.who, label, response.status_code)
        self.readings += [(label, text.lower()) for text in readings_of_response(response)]
        return response.get_data(as_text=True)

    def mail(self, label: str, raw: bytes) -> None:
        self.readings += [(label, text.lower()) for text in readings_of_mail(raw)]

    def leaks(self, addresses: list[str], phones: list[str]) -> list[tuple[str, str]]:
        found = []
        for label, text in self.readings:
            found += [(label, form) for address in addresses for form in email_forms(address) if form in text]
            found += [(label, phone) for phone in phones if contains_phone(text, phone)]
        return sorted(set(found))


# --- the people -----------------------------------------------------------------------------------------


def csrf(client, path: str) -> str:
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def make_volunteer(app, make_user, email_address, name, bio, capacity=1):
    every_day = [(weekday, "00:00", "23:30") for weekday in range(7)]
    volunteer = make_user("volunteer", email=email_address, name=name, timezone="Africa/Cairo", language="ar",
                          rules=every_day, session_minutes=30, buffer_minutes=0, min_notice_hours=0, bio=bio)
    if capacity > 1:
        with app.app_context():
            for rule in db.session.scalars(select(AvailabilityRule).where(AvailabilityRule.volunteer_id == volunteer.id)):
                rule.capacity = capacity
            db.session.commit()
    return volunteer


def token_for(app, user_id: int) -> dict[str, str]:
    with app.app_context():
        raw = issue_api_token(db.session.get(User, user_id))
        db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


def signed_in_client(app, user_id: int):
    client = app.test_client()
    with app.app_context():
        login_id = db.session.get(User, user_id).get_id()
    with client.session_transaction() as session:
        session["_user_id"] = login_id
        session["_fresh"] = True
    return client


def free_starts(client, headers, volunteer_id: int, after: datetime) -> list[str]:
    """The volunteer's offered starts (UTC, ``...Z``) after ``after``, from the API."""
    today = after.date()
    response = client.get(f"/api/v1/volunteers/{volunteer_id}/slots?from={today}&to={today + timedelta(days=3)}&tz=UTC",
                          headers=headers)
    assert response.status_code == 200, response.get_json()
    return [slot["start_utc"] for slot in response.get_json()["slots"]
            if datetime.fromisoformat(slot["start_utc"].replace("Z", "+00:00")) >= after]


@pytest.fixture
def mail_app(make_app, smtp_sink):  # noqa: F811  (the fixture imported above)
    port, sink = smtp_sink
    return make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_DEFAULT_SENDER=f"Tutoring <{SENDER}>"), sink


# Times come from the app's own offer (the volunteer is free all day, every day), so any instant works;
# two awkward ones are tried: a week's last minutes far west, and the hour before Europe's clocks change.
@pytest.mark.any_instant("sunday-late-utc-12", "eu-spring-hour-before")
def test_a_learners_whole_life_shows_no_contact_detail_to_the_volunteers_and_none_of_theirs_to_the_learner(
        mail_app, make_user):
    app, sink = mail_app
    seen = {who: Seen(who) for who in ("learner", "volunteer", "group")}
    now = utcnow().replace(microsecond=0)

    volunteer = make_volunteer(app, make_user, VOLUNTEER_EMAIL, "Amira Hassan", BIO)
    group = make_volunteer(app, make_user, GROUP_EMAIL, "Rami Group", GROUP_BIO, capacity=3)

    # Sign-up and sign-in through the forms, as a person does.
    learner_client = app.test_client()
    signup = "/auth/signup"
    response = learner_client.post(signup, data={
        "role": "learner", "display_name": "Noor", "email": LEARNER_EMAIL, "password": TEST_PASSWORD,
        "confirm": TEST_PASSWORD, "timezone": "Asia/Kathmandu", "language": "en", "csrf_token": csrf(learner_client, signup),
    })
    assert response.status_code == 302
    seen["learner"].page("sign-up sent", learner_client.get(response.headers["Location"]))
    login = learner_client.post("/auth/login", data={"email": LEARNER_EMAIL, "password": TEST_PASSWORD,
                                                      "csrf_token": csrf(learner_client, "/auth/login")})
    assert login.status_code == 302
    with app.app_context():
        learner_id = db.session.scalar(select(User.id).where(User.email == LEARNER_EMAIL.lower()))
    learner_api = token_for(app, learner_id)
    volunteer_client, group_client = signed_in_client(app, volunteer.id), signed_in_client(app, group.id)
    volunteer_api, group_api = token_for(app, volunteer.id), token_for(app, group.id)

    # Browsing and booking through the pages: search (page and fragment), profile, booking page.
    starts = free_starts(learner_client, learner_api, volunteer.id, now + timedelta(hours=3))
    first, moved_to, second = starts[0], starts[2], starts[4]
    seen["learner"].page("search", learner_client.get("/"))
    seen["learner"].page("search fragment", learner_client.get("/?kind=tutoring", headers={"HX-Request": "true"}))
    seen["learner"].page("volunteer profile", learner_client.get(f"/volunteers/{volunteer.id}"))
    seen["learner"].page("group volunteer profile", learner_client.get(f"/volunteers/{group.id}"))
    book_page = f"/volunteers/{volunteer.id}/book?start={first}"
    seen["learner"].page("booking page", learner_client.get(book_page))
    booked = learner_client.post(book_page, data={"kind": "tutoring", "note": NOTE,
                                                   "csrf_token": csrf(learner_client, book_page)})
    assert booked.status_code == 303, booked.get_data(as_text=True)
    first_id = int(booked.headers["Location"].rsplit("/", 1)[1])

    # ... through the API, and a seat of a group session.
    created = learner_client.post("/api/v1/bookings", headers=learner_api,
                                  json={"volunteer_id": volunteer.id, "start": second, "kind": "tutoring", "note": NOTE})
    seen["learner"].page("API book", created, 201)
    second_id = created.get_json()["id"]
    after_second = datetime.fromisoformat(second.replace("Z", "+00:00")) + timedelta(hours=2)
    group_start = free_starts(learner_client, learner_api, group.id, after_second)[0]  # the learner is free then
    seat = learner_client.post("/api/v1/bookings", headers=learner_api,
                               json={"volunteer_id": group.id, "start": group_start, "kind": "tutoring", "note": NOTE})
    seen["learner"].page("API seat", seat, 201)
    seat_id = seat.get_json()["id"]
    # ... and a weekly series of two, later in the week (the learner is free then).
    after_seat = datetime.fromisoformat(group_start.replace("Z", "+00:00")) + timedelta(hours=2)
    series_start = free_starts(learner_client, learner_api, volunteer.id, after_seat)[0]
    series = learner_client.post("/api/v1/series", headers=learner_api, json={
        "volunteer_id": volunteer.id, "start": series_start, "weeks": 2, "kind": "mentoring", "note": NOTE})
    seen["learner"].page("API series", series, 201)
    series_id = series.get_json()["id"]
    Worker(app).run(once=True)

    # The learner moves the first session (page); the volunteer cancels the second with a reason (page).
    move = f"/bookings/{first_id}/reschedule?start={moved_to}"
    seen["learner"].page("reschedule page", learner_client.get(move))
    assert learner_client.post(move, data={"csrf_token": csrf(learner_client, move)}).status_code == 303
    cancel = f"/bookings/{second_id}/cancel"
    seen["volunteer"].page("cancel page", volunteer_client.get(cancel))
    assert volunteer_client.post(cancel, data={"reason": REASON, "csrf_token": csrf(volunteer_client, cancel)}).status_code in (302, 303)
    Worker(app).run(once=True)

    # Reminders: the worker runs half an hour before the moved session and the seat.
    with app.app_context():
        starts_at = [db.session.get(Booking, i).session.start_at for i in (first_id, seat_id)]
    for start in sorted(starts_at):
        Worker(app, clock=lambda start=start: start - timedelta(minutes=30)).run(once=True)

    # Everything each person can open.
    google_links = 0
    for who, client, api, own_bookings in (
        ("learner", learner_client, learner_api, (first_id, second_id, seat_id)),
        ("volunteer", volunteer_client, volunteer_api, (first_id, second_id)),
        ("group", group_client, group_api, ()),
    ):
        look = seen[who]
        look.page("dashboard", client.get("/me/"))
        look.page("sessions", client.get("/sessions"))
        look.page("sessions fragment", client.get("/sessions", headers={"HX-Request": "true"}))
        look.page("calendar page", client.get("/me/calendar"))
        look.page("privacy page", client.get("/me/privacy"))
        look.page("data export", client.get("/me/data"))
        with app.app_context():
            token = db.session.get(User, {"learner": learner_id, "volunteer": volunteer.id, "group": group.id}[who]).calendar_token
        look.page("feed", client.get(f"/calendar/{token}.ics"))
        for booking_id in own_bookings:
            detail = look.page(f"booking {booking_id}", client.get(f"/bookings/{booking_id}"))
            for google in re.findall(r'href="(https://calendar\.google\.com/[^"]+)"', detail):  # not once cancelled
                google_links += 1
                look.readings += [("google link", text.lower()) for text in _escapes_undone(html.unescape(google))]
            look.page(f"booking {booking_id} .ics", client.get(f"/bookings/{booking_id}.ics"))
            look.page(f"API booking {booking_id}", client.get(f"/api/v1/bookings/{booking_id}", headers=api))
        look.page("API bookings", client.get("/api/v1/bookings", headers=api))
        look.page("API me", client.get("/api/v1/me", headers=api))
        look.page("API volunteers", client.get("/api/v1/volunteers", headers=api))
    for who, client, api in (("learner", learner_client, learner_api), ("volunteer", volunteer_client, volunteer_api)):
        seen[who].page("series page", client.get(f"/series/{series_id}"))
        seen[who].page("API series", client.get(f"/api/v1/series/{series_id}", headers=api))
    seen["learner"].page("find a time", learner_client.get(f"/find-a-time?volunteer={volunteer.id}"))
    seen["volunteer"].page("own profile page", volunteer_client.get(f"/volunteers/{volunteer.id}"))
    seen["volunteer"].page("blocks", volunteer_client.get("/safety/blocks"))
    with app.app_context():
        session_id = db.session.get(Booking, seat_id).session_id
    seen["group"].page("group session page", group_client.get(f"/group-sessions/{session_id}"))

    assert google_links == 3  # the moved session's, for each of its two people, and the seat's

    # Every email, by its recipient, with its envelope and headers checked on the way.
    by_address = {"learner": LEARNER_EMAIL.lower(), "volunteer": VOLUNTEER_EMAIL, "group": GROUP_EMAIL}
    received = {who: 0 for who in by_address}
    for envelope in sink.received:
        assert envelope.mail_from == SENDER
        [recipient] = envelope.rcpt_tos
        who = next(who for who, address in by_address.items() if address == recipient.lower())
        received[who] += 1
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        assert [a.addr_spec.lower() for a in message["To"].addresses] == [recipient.lower()]
        assert [a.addr_spec for a in message["From"].addresses] == [SENDER]
        for header in ("Cc", "Bcc", "Sender"):
            assert message[header] is None, header
        # Replies (and iMIP REPLYs, sent to the ORGANIZER) go to the service, never to a person.
        for reply_to in message.get_all("Reply-To") or []:
            assert [a.addr_spec for a in reply_to.addresses] == [SENDER]
        for organizer in re.findall(r"ORGANIZER[^:]*:mailto:(\S+)", _unfold("\n".join(readings_of_mail(envelope.original_content)))):
            assert organizer == SENDER
        seen[who].mail(f"mail {message['Subject']}", envelope.original_content)
    # Welcome; 3 bookings and 2 weeks, a move and a cancellation; reminders before the moved session and the seat.
    assert received["learner"] >= 1 + 5 + 1 + 1 + 2, received
    assert received["volunteer"] >= 4 + 1 + 1 + 1, received  # 4 bookings, a move, a cancellation, a reminder
    assert received["group"] >= 2, received  # the group session's invite and its reminder

    # The learner's own address reached the learner, and the volunteer's the volunteer (the search can find them).
    assert seen["learner"].leaks([LEARNER_EMAIL], [LEARNER_PHONE])
    assert seen["volunteer"].leaks([VOLUNTEER_EMAIL], [VOLUNTEER_PHONE])
    # Nothing else crossed.
    forbidden = {
        "volunteer": ([LEARNER_EMAIL, GROUP_EMAIL], [LEARNER_PHONE, GROUP_PHONE]),
        "group": ([LEARNER_EMAIL, VOLUNTEER_EMAIL], [LEARNER_PHONE, VOLUNTEER_PHONE]),
        "learner": ([VOLUNTEER_EMAIL, GROUP_EMAIL], [VOLUNTEER_PHONE, GROUP_PHONE]),
    }
    assert {who: seen[who].leaks(*forbidden[who]) for who in seen} == {who: [] for who in seen}
    # The others' names did reach them (what they may see instead).
    assert any("amira hassan" in text for _, text in seen["learner"].readings)
    assert any("noor" in text for label, text in seen["volunteer"].readings if label.startswith("mail"))
    # Coordinators keep seeing contact details as written.
    coordinator = make_user("coordinator", email="coord-19@example.org", name="Coordinator")
    coordinator_page = signed_in_client(app, coordinator.id).get(f"/coordinator/volunteers/{volunteer.id}")
    assert coordinator_page.status_code == 200
    assert VOLUNTEER_EMAIL in coordinator_page.get_data(as_text=True)
    assert contains_phone(html.unescape(coordinator_page.get_data(as_text=True)), VOLUNTEER_PHONE)


# --- the rule itself ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "call 0501234567", "call +44 (0)7700 900 318 please", "رقمي ٠٥٠١٢٣٤٥٦٧", "شماره ۰۹۱۲۳۴۵۶۷۸۹", "050.123.4567",
    "write to noor@example.com", "NOOR.X+tag@Mail.Example.org", "see https://wa.me/123", "www.example.com/me",
    "insta @noor_x", "0501 234 567",
])
def test_contact_details_in_free_text_are_hidden(text):
    hidden = hide_contact_details(text)
    assert "[…]" in hidden
    assert not re.search(r"\d{4}", _western(hidden.replace(" ", ""))) and "@" not in hidden.replace("[…]", "")


@pytest.mark.parametrize("text", [
    "See you at 5:30 on 2027-01-09", "Chapter 12, pages 30-45", "Back on 09/01/2027", "It costs 250 pounds",
    "two\nlines stay two lines",
])
def test_times_dates_numbers_and_line_breaks_stay(text):
    assert hide_contact_details(text) == text


def test_nothing_is_nothing():
    assert hide_contact_details(None) == hide_contact_details("") == ""
