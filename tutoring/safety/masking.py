"""Masking of contact details in session-room messages (SPEC §7: contact details never cross).

Pure: text in, ``(masked_text, was_masked, reasons)`` out. Four kinds are
replaced by :data:`PLACEHOLDER` before a message is stored:

- ``phone``: seven or more digits in a run of digits and separators (spaces,
  dots, dashes, slashes, parentheses, a leading ``+``), in any script of
  digits Python knows (ASCII, Arabic-Indic ٠-٩, Persian ۰-۹, ...);
- ``email``: addresses, also spelled ``name at host dot com`` / ``[at]`` / ``(dot)``;
- ``handle``: ``@name``, or a messaging/social service's name followed by a handle
  (``insta: nour.a``, ``snap nour22``, ``واتساب: ...``);
- ``link``: addresses of outside chat, meeting and social services (wa.me, t.me,
  zoom.us, meet.google.com, discord...). Other links (a worksheet, a video
  lesson) pass: tutoring needs them, and a contact inside one is still masked.

What must not be masked, and is tested: times (18:30, ٦:٣٠), dates
(2026-12-07, 7/12/2026), prices ($25, 1,000), sums (12 × 12 = 144,
2^10 = 1024), years and page numbers. Dates and times are blanked out of the
digit search first; a number that is the result or operand of a sum
(``=``, ``^``, ``×`` beside it) is left alone.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

PLACEHOLDER = "[•••]"
REASONS = ("phone", "email", "handle", "link")

# The fewest digits that make a run a phone number: local numbers have 7+,
# while sums, prices and page numbers rarely do without the context checked below.
MIN_PHONE_DIGITS = 7


def _ascii_digits(text: str) -> str:
    """``text`` with every decimal digit (any script) as its ASCII digit, so positions stay the same."""
    return "".join(str(unicodedata.digit(ch)) if ch.isdecimal() and not ch.isascii() else ch for ch in text)


# Outside chat, meeting and social services: their addresses are contact details.
_SERVICE_HOSTS = (
    r"wa\.me", r"(?:chat\.|api\.|web\.)?whatsapp\.com", r"t\.me", r"telegram\.(?:me|org|dog)",
    r"(?:[\w-]+\.)?zoom\.us", r"meet\.google\.com", r"hangouts\.google\.com", r"discord(?:app)?\.(?:com|gg)",
    r"discord\.me", r"(?:join\.)?skype\.com", r"signal\.(?:me|group)", r"teams\.(?:microsoft|live)\.com",
    r"(?:www\.)?(?:instagram|facebook|snapchat|tiktok|twitter|x|threads|kik|viber|line|wechat|messenger)\.com",
    r"instagr\.am", r"fb\.me", r"m\.me", r"line\.me", r"invite\.viber\.com", r"whereby\.com", r"(?:[\w-]+\.)?webex\.com",
    r"meet\.jit\.si", r"jitsi\.[a-z]+", r"8x8\.vc", r"(?:www\.)?linkedin\.com", r"(?:www\.)?reddit\.com/(?:u|user)/",
    r"(?:www\.)?youtube\.com/@", r"(?:www\.)?omegle\.com",
)
_LINK = re.compile(
    r"(?:(?:https?|hxxps?)://|www\.)?(?<![\w.])(?:www\.)?(?:" + "|".join(_SERVICE_HOSTS) + r")(?:[/?#][^\s]*|(?![\w.]))",
    re.IGNORECASE,
)

# Emails: a plain address, or the same spelled out to dodge a filter.
_AT = r"(?:\s*@\s*|\s*[\[({<]\s*(?:at|@)\s*[\])}>]\s*|\s+at\s+|\s*آت\s*)"
_DOT = r"(?:\s*\.\s*|\s*[\[({<]\s*(?:dot|\.)\s*[\])}>]\s*|\s+dot\s+|\s+نقطة\s+)"
_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][\w.+-]*" + _AT + r"[A-Za-z0-9-]+(?:" + _DOT + r"[A-Za-z0-9-]+)*" + _DOT
    + r"(?:com|net|org|edu|gov|info|io|me|co|uk|fr|de|sa|eg|ae|jo|lb|ma|tn|dz|iq|ps|sy|ye|qa|kw|om|bh|sd|ly"
    r"|tr|ir|pk|in|us|ca|au|ru|biz|app|dev|mail|[a-z]{2})(?![\w-])",
    re.IGNORECASE,
)

# "@name" (an address's "@" is taken by _EMAIL first).
_AT_HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{1,29})")
# A service named, then a handle: "insta: nour.a", "snap nour22", "واتساب: nour_22".
_SERVICES = (
    r"insta(?:gram)?|ig|snap(?:chat)?|sc|telegram|tg|whats\s?app|watsapp|wa|discord|skype|tiktok|tik\s?tok"
    r"|facebook|fb|messenger|signal|kik|viber|wechat|line|twitter|threads"
    r"|انستا|انستغرام|انستقرام|إنستغرام|سناب|سناب\s?شات|تلغرام|تليجرام|تيليجرام|واتس|واتساب|واتس\s?اب|ديسكورد|فيسبوك|تيك\s?توك|سكايب"
)
_SERVICE_HANDLE = re.compile(
    r"(?<!\w)(?:" + _SERVICES + r")(?!\w)(?P<sep>\s*(?:[:=：\-–]|(?:is|id|handle|username|user|name)\s*:?)?\s*)"
    r"(?P<handle>@?[A-Za-z0-9_.]{3,30})(?![\w])",
    re.IGNORECASE,
)

# Dates and times, blanked out before the digit search (ASCII digits by then).
_DATE_TIME = re.compile(
    r"\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b"          # 2026-12-07
    r"|\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b"       # 7/12/2026, 07.12.26
    r"|\b\d{1,2}[:٫]\d{2}(?::\d{2})?\b"           # 18:30, 6:30:00
    r"|\b\d{1,2}\s*[-–]\s*\d{1,2}\s*[-–]\s*\d{4}\b"
)
# A run of digits and the separators people type inside phone numbers.
_DIGIT_RUN = re.compile(r"(?:\+|00)?[(\[]?\d(?:[\d()\[\].\-–—/]|[ \u00a0\u2009\u202f]{1,2}(?=[\d(+]))*\d[)\]]?")
# Zero-width spaces, word joiners and bidirectional controls (not ZWNJ/ZWJ, which Persian and Arabic use).
_INVISIBLE = dict.fromkeys([0x200B, 0x2060, 0xFEFF, 0x00AD, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
# Beside these, a number is part of a sum, not a phone number.
_MATHS = set("=^×*÷<>≈≠%")


@dataclass(frozen=True)
class MaskResult:
    """What :func:`mask_contacts` found: the text to store, whether anything was hidden, and what kinds."""

    text: str
    masked: bool
    reasons: tuple[str, ...]

    def __iter__(self):
        return iter((self.text, self.masked, self.reasons))


def _neighbour(text: str, index: int, step: int) -> str:
    """The first non-space character from ``index`` going ``step`` (-1 or 1); "" at the edge."""
    while 0 <= index < len(text):
        if not text[index].isspace():
            return text[index]
        index += step
    return ""


def _phone_spans(text: str) -> list[tuple[int, int]]:
    search = _ascii_digits(text)
    search = _DATE_TIME.sub(lambda m: "§" * len(m.group()), search)
    spans = []
    for match in _DIGIT_RUN.finditer(search):
        run = match.group()
        if sum(ch.isdigit() for ch in run) < MIN_PHONE_DIGITS:
            continue
        before, after = _neighbour(search, match.start() - 1, -1), _neighbour(search, match.end(), 1)
        if before in _MATHS or after in _MATHS:
            continue
        # Money: a currency sign before it, or thousands with commas ("1,000,000") are not one run anyway.
        if before and before in "$€£¥₹":
            continue
        # A list of years ("1990 2000 2010") is not a phone number.
        groups = re.findall(r"\d+", run)
        if all(len(g) == 4 and g[:2] in ("19", "20") for g in groups):
            continue
        spans.append(match.span())
    return spans


def _merge(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, set[str]]]:
    merged: list[tuple[int, int, set[str]]] = []
    for start, end, reason in sorted(spans):
        if merged and start <= merged[-1][1]:
            last_start, last_end, reasons = merged[-1]
            merged[-1] = (last_start, max(last_end, end), reasons | {reason})
        else:
            merged.append((start, end, {reason}))
    return merged


def mask_contacts(text: str) -> MaskResult:
    """``text`` with phone numbers, email addresses, social handles and outside chat/meeting links replaced.

    Returns a :class:`MaskResult` (also unpackable as ``masked_text, was_masked, reasons``);
    ``reasons`` are sorted codes from :data:`REASONS`.
    """
    # Invisible characters split a number or an address without showing: drop them first.
    text = text.translate(_INVISIBLE)
    spans: list[tuple[int, int, str]] = []
    # Links first: a handle or number inside one goes with it.
    spans += [(*m.span(), "link") for m in _LINK.finditer(text)]
    spans += [(*m.span(), "email") for m in _EMAIL.finditer(text)]
    spans += [(*m.span(), "handle") for m in _AT_HANDLE.finditer(text)]
    for m in _SERVICE_HANDLE.finditer(text):
        handle = m.group("handle")
        # "instagram is fun" is talk; a handle has a digit, "_", "." or "@", or follows a colon.
        if any(ch.isdigit() or ch in "_.@" for ch in handle) or ":" in m.group("sep") or "：" in m.group("sep"):
            spans.append((*m.span(), "handle"))
    spans += [(*span, "phone") for span in _phone_spans(text)]
    if not spans:
        return MaskResult(text, False, ())
    pieces, position, reasons = [], 0, set()
    for start, end, kinds in _merge(spans):
        pieces.append(text[position:start])
        pieces.append(PLACEHOLDER)
        position = end
        reasons |= kinds
    pieces.append(text[position:])
    return MaskResult("".join(pieces), True, tuple(sorted(reasons)))
