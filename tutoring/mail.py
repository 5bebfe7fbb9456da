"""Sending one email: ``send_mail`` puts it in the outbox; ``flask --app wsgi worker`` sends it (SPEC §3).

Nothing talks to a mail server during a request: the message is written to
the ``outbox_messages`` table (``tutoring.services.notices.outbox``) and the worker
delivers it over SMTP when ``MAIL_SERVER`` is set, else as a ``.eml`` file in
``instance/outbox/``. So a password reset request takes the same short time
whether or not the address has an account, and a slow or down mail server
never slows a page.
"""
from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import current_app

from tutoring.calendar.model import BIDI_CONTROLS
from tutoring.extensions import db
from tutoring.services.notices import outbox
from tutoring.timeutil import utcnow


_NO_BIDI_CONTROLS = dict.fromkeys(map(ord, BIDI_CONTROLS))


def build_message(to: str, subject: str, text: str, html: str | None = None) -> EmailMessage:
    """A ready-to-send message from the configured sender: plain text, plus an HTML alternative if given."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    # A display name in the subject can't turn it around (U+202E...): issue 21.
    message["Subject"] = subject.translate(_NO_BIDI_CONTROLS)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].rstrip(">") or "localhost")
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to us
    # Quoted-printable keeps Arabic text 7-bit safe through any relay.
    message.set_content(text, cte="quoted-printable")
    if html is not None:
        message.add_alternative(html, subtype="html", cte="quoted-printable")
    return message


def queue_mail(to: str, subject: str, text: str, html: str | None = None) -> None:
    """Add one email to the outbox in the current transaction (the caller commits)."""
    message = build_message(to, subject, text, html)
    outbox.queue(message, kind="mail", recipient=to, dedupe_key=f"mail:{message['Message-ID']}")


def send_mail(to: str, subject: str, text: str, html: str | None = None) -> None:
    """Queue one email to ``to`` and commit; the worker sends it (SMTP, or a ``.eml`` file without ``MAIL_SERVER``)."""
    queue_mail(to, subject, text, html)
    db.session.commit()
