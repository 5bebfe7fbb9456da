"""Which characters text input may hold (pure; the rule ``tutoring.security`` applies to every request body,
and the help-line CSV import to every cell)."""
from __future__ import annotations

ALLOWED_CONTROLS = frozenset("\t\n\r")


def is_refused_character(char: str) -> bool:
    """Whether ``char`` is refused in any text input: C0 controls but tab/LF/CR, DEL, C1 controls, surrogates."""
    code = ord(char)
    if code < 0x20:
        return char not in ALLOWED_CONTROLS
    return 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF


def has_refused_characters(text: str) -> bool:
    """Whether ``text`` holds a character :func:`is_refused_character` refuses."""
    return any(is_refused_character(char) for char in text)
