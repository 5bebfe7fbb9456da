"""Contact details in free text, hidden before the other party reads it (SPEC §7 "Contact details never cross").

Accounts have no phone field and addresses never cross by design; what is
left is what people type: a learner's note for the volunteer, a cancellation
reason, a volunteer's public bio. Shown to anyone but the writer, such text
has its email addresses, links, social handles and phone numbers (seven
digits or more, spaced, dotted or bracketed, Arabic-Indic and Persian digits
too; not dates, times or short numbers) replaced by ``[…]``. The stored text
is unchanged: coordinators and the writer still see it as written.

Pure: no Flask, no database (the calendar core uses it for emails).
"""
from __future__ import annotations

import re

HIDDEN = "[…]"

_CONTACT = re.compile(
    r"[^\s@]+@[^\s@]+\.[^\s@]+"      # email addresses
    r"|(?:https?://|www\.)\S+"         # links
    r"|(?<!\w)@\w{2,}"                 # social handles
)
# \d matches Arabic-Indic and Persian digits too. Horizontal separators only: a phone number
# is written on one line, and a note's line breaks stay where they were.
_DIGIT_RUN = re.compile(r"\+?\d[\d \t().\-\u066b\u066c\u00a0]*\d")
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")
_PHONE_DIGITS = 7


def _hide_phone_number(match: re.Match) -> str:
    run = match.group(0)
    digits = sum(character.isdigit() for character in run)
    return HIDDEN if digits >= _PHONE_DIGITS and not _DATE.fullmatch(run.strip()) else run


def hide_contact_details(text: str | None) -> str:
    """``text`` with email addresses, links, handles and phone numbers replaced by ``[…]``; line breaks kept."""
    text = _CONTACT.sub(HIDDEN, text or "")
    return _DIGIT_RUN.sub(_hide_phone_number, text)
