"""Crisis words in a message: the writer is shown the help page (SPEC §7 Help)."""
from __future__ import annotations

# A placeholder: replaced by the full list from issue 18.
_TERMS = ("suicide", "kill myself", "end my life", "انتحار", "أقتل نفسي", "اقتل نفسي")


def mentions_crisis(text: str) -> bool:
    """True when ``text`` mentions a crisis word (case-insensitive)."""
    lowered = text.casefold()
    return any(term in lowered for term in _TERMS)
