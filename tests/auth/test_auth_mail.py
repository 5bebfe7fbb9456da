"""tutoring.mail.send_mail through the outbox worker: .eml files without MAIL_SERVER (SPEC §3), SMTP with it; plus the zone picker data."""
from __future__ import annotations

import email
import email.policy
import socket
from pathlib import Path

import pytest

from tutoring.services.people.zones import canonical_zone, zone_choices
from tutoring.mail import send_mail
from tutoring.worker import Worker
from tutoring.timeutil import is_valid_zone


def test_without_a_mail_server_mail_is_written_to_the_outbox(app):
    with app.app_context():
        send_mail("أمل <amal@example.org>", "موضوع بالعربية", "نص الرسالة\n", "<p>نص الرسالة</p>")
    Worker(app).run(once=True)  # send_mail queues; the worker delivers
    [eml] = list(Path(app.config["MAIL_OUTBOX_DIR"]).iterdir())
    assert eml.suffix == ".eml"
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["From"] == "tutoring@example.org"
    assert message["To"].addresses[0].addr_spec == "amal@example.org"
    assert message["Subject"] == "موضوع بالعربية"
    assert message["Message-ID"].endswith("@example.org>")
    assert message["Date"] and message["Auto-Submitted"] == "auto-generated"
    assert message.get_body(("plain",)).get_content() == "نص الرسالة\n"
    assert message.get_body(("html",)).get_content().strip() == "<p>نص الرسالة</p>"


def test_text_only_mail_has_no_html_part(app):
    with app.app_context():
        send_mail("a@example.org", "Hello", "Just text.\n")
    Worker(app).run(once=True)
    [eml] = list(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message.get_content_type() == "text/plain"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on localhost that keeps what it receives."""
    from aiosmtpd.controller import Controller

    class Keep:
        def __init__(self):
            self.envelopes = []

        async def handle_DATA(self, _server, _session, envelope):
            self.envelopes.append(envelope)
            return "250 OK"

    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler.envelopes
    controller.stop()


def test_with_a_mail_server_mail_goes_over_smtp(make_app, smtp_server):
    controller, received = smtp_server
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    with app.app_context():
        send_mail("maya@example.org", "Hello", "Over SMTP.\n", "<p>Over SMTP.</p>")
    Worker(app).run(once=True)
    [envelope] = received
    assert envelope.mail_from == "tutoring@example.org"
    assert envelope.rcpt_tos == ["maya@example.org"]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"] == "Hello"
    assert not Path(app.config["MAIL_OUTBOX_DIR"]).exists()


# --- the time zone picker ---------------------------------------------------------


def test_the_picker_offers_current_names_and_knows_the_old_ones():
    choices = {choice.name: choice.aliases for choice in zone_choices()}
    for zone in ("UTC", "Africa/Cairo", "Asia/Riyadh", "Europe/London", "America/New_York", "Asia/Kathmandu",
                 "Australia/Sydney", "Australia/Lord_Howe", "Pacific/Chatham", "Europe/Kyiv"):
        assert zone in choices, zone
    assert "Asia/Katmandu" in choices["Asia/Kathmandu"]
    assert "Asia/Calcutta" in choices["Asia/Kolkata"]
    assert all(is_valid_zone(name) for name in choices)
    assert len(choices) > 300


@pytest.mark.parametrize(("name", "expected"), [
    ("Asia/Katmandu", "Asia/Kathmandu"),
    ("Asia/Calcutta", "Asia/Kolkata"),
    ("Europe/Kiev", "Europe/Kyiv"),
    ("America/Buenos_Aires", "America/Argentina/Buenos_Aires"),
    ("Europe/Oslo", "Europe/Oslo"),  # its own entry in the picker, though tzdata links it to Berlin
    ("Africa/Cairo", "Africa/Cairo"),
    ("Etc/GMT+5", "Etc/GMT+5"),
])
def test_old_zone_names_become_current_ones(name, expected):
    assert canonical_zone(name) == expected
