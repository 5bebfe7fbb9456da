"""A small MIME writer: an email of known shape straight to its wire bytes.

The invites are always the same tree (text, HTML and calendar parts), so
they are written here directly rather than through ``EmailMessage``, whose
header registry parses and refolds every header it is given and again when
it is written: that was most of the CPU of a booking (two invites each).

What the wire needs is kept: CRLF line ends; 7-bit only, so non-ASCII
names and subjects are RFC 2047 encoded-words (``email.header.Header``
splits them between whole characters and folds the lines) and bodies are
quoted-printable or base64; every line under 78 characters.
"""
from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass
from email.charset import BASE64, Charset
from email.header import Header
from email.utils import formataddr

CRLF = "\r\n"
LINE = 78  # RFC 5322 §2.1.1: lines SHOULD be at most 78 characters

# Always "B" encoding: the default (the shorter of Q and B) measures the Q
# form again for every split, which cost more than the rest of the headers.
_UTF8 = Charset("utf-8")
_UTF8.header_encoding = BASE64


@dataclass(frozen=True)
class OutgoingMail:
    """One email ready to send: its exact bytes and what the outbox files it under."""

    sender: str  # the envelope sender: the From address
    subject: str  # as people read it, not encoded
    data: bytes  # the whole message as it goes on the wire


def encoded_words(text: str, header: str) -> str:
    """``text`` as RFC 2047 encoded-words (UTF-8) folded to fit after ``header: ``."""
    # 76, not the default 78: Header counts the folding space, and RFC 2047
    # caps an encoded-word at 75 characters.
    return Header(text, _UTF8, header_name=header, maxlinelen=76).encode(linesep=CRLF)


def address(header: str, name: str, email: str) -> str:
    """``Name <email>`` for an address header: a plain or quoted name when it is short ASCII, else encoded-words."""
    if not email.isascii() or any(c.isspace() or c in "<>\"" for c in email) or "@" not in email:
        # Non-ASCII addresses would need SMTPUTF8, which we don't send with.
        raise ValueError(f"not an ASCII email address: {email!r}")
    if not name:
        return email
    plain = formataddr((name, email))
    # "=?" in a plain name would be decoded by the reader as an encoded-word.
    if name.isascii() and name.isprintable() and "=?" not in name and len(header) + 2 + len(plain) <= LINE:
        return plain
    words = encoded_words(name, header)
    last = words.rsplit(CRLF, 1)[-1] if CRLF in words else f"{header}: {words}"
    # Fold before the address rather than run past the line limit.
    return f"{words}{CRLF} <{email}>" if len(last) + len(email) + 3 > LINE else f"{words} <{email}>"


_NO_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def unstructured(text: str, header: str) -> str:
    """A Subject-like header value: as is when short printable ASCII, else encoded-words; no bidi controls."""
    text = text.translate(_NO_BIDI_CONTROLS)
    if text.isascii() and text.isprintable() and "=?" not in text and len(header) + 2 + len(text) <= LINE:
        return text
    return encoded_words(text, header)


def headers(pairs: list[tuple[str, str]]) -> bytes:
    """Header lines (values already encoded and folded), each ending in CRLF."""
    return "".join(f"{name}: {value}{CRLF}" for name, value in pairs).encode("ascii")


def text_part(subtype: str, text: str) -> bytes:
    """A ``text/<subtype>; charset="utf-8"`` part, quoted-printable (7-bit safe, still readable as source)."""
    normal = text.replace("\r\n", "\n").replace("\r", "\n")
    body = binascii.b2a_qp(normal.encode("utf-8"), istext=True).replace(b"\n", b"\r\n")
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return headers([
        ("Content-Type", f'text/{subtype}; charset="utf-8"'),
        ("Content-Transfer-Encoding", "quoted-printable"),
    ]) + b"\r\n" + body


def base64_part(content_type: str, data: bytes, extra: list[tuple[str, str]] | None = None) -> bytes:
    """A base64 part: keeps ``data`` (say, an .ics with its CRLFs and folded lines) byte for byte."""
    body = base64.encodebytes(data).replace(b"\n", b"\r\n")
    return headers([("Content-Type", content_type), ("Content-Transfer-Encoding", "base64"), *(extra or [])]) + b"\r\n" + body


def new_boundary() -> str:
    """A random boundary with ``=_``, which neither quoted-printable nor base64 output can contain."""
    return "=_" + secrets.token_hex(16)


def multipart(subtype: str, parts: list[bytes], boundary: str | None = None) -> tuple[str, bytes]:
    """(Content-Type value, body) of a ``multipart/<subtype>`` holding ``parts`` (each: headers, blank line, body)."""
    boundary = boundary or new_boundary()
    dash = f"--{boundary}".encode("ascii")
    body = b"".join(dash + b"\r\n" + part + b"\r\n" for part in parts) + dash + b"--\r\n"
    return f'multipart/{subtype};{CRLF} boundary="{boundary}"', body


def multipart_part(subtype: str, parts: list[bytes]) -> bytes:
    """A ``multipart/<subtype>`` as a part of another multipart."""
    content_type, body = multipart(subtype, parts)
    return headers([("Content-Type", content_type)]) + b"\r\n" + body
