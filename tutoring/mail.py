"""Sending email: SMTP when ``MAIL_SERVER`` is set, else ``.eml`` files in the instance outbox (SPEC §3).

Deliberately small: one function, ``send_mail``. A transactional outbox
(mail queued in the same database transaction as the change it reports, sent
by ``flask worker``) will later sit in front of it with the same signature.
"""
from __future__ import annotations

import os
import smtplib
import uuid
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from flask import current_app

from tutoring.timeutil import utcnow

SMTP_TIMEOUT_SECONDS = 20


def build_message(to: str, subject: str, text: str, html: str | None = None) -> EmailMessage:
    """A ready-to-send message from the configured sender: plain text, plus an HTML alternative if given."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to us
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def send_mail(to: str, subject: str, text: str, html: str | None = None) -> None:
    """Send one email to ``to`` (SMTP if ``MAIL_SERVER`` is set, else a file in ``MAIL_OUTBOX_DIR``)."""
    message = build_message(to, subject, text, html)
    if current_app.config.get("MAIL_SERVER"):
        _send_smtp(message)
    else:
        write_eml(message, Path(current_app.config["MAIL_OUTBOX_DIR"]))


def write_eml(message: EmailMessage, folder: Path) -> Path:
    """Write ``message`` as ``<folder>/<time>-<random>.eml`` and return the path."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex}.eml"
    # Written under a temporary name and renamed, so a reader never sees half a message.
    partial = folder / f".{name}.part"
    partial.write_bytes(message.as_bytes())
    final = folder / name
    os.replace(partial, final)
    return final


def _send_smtp(message: EmailMessage) -> None:
    config = current_app.config
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)
