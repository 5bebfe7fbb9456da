"""This site's addresses: redirect targets that can only stay here, and the domain of our UIDs."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app

# The domain of our iCalendar UIDs when BASE_URL has no host.
UID_FALLBACK_DOMAIN = "tutoring.local"


def is_local_url(target: str | None) -> bool:
    """True for a path on this site such as ``/bookings?x=1``; False for anything a browser could take elsewhere."""
    if not target or not isinstance(target, str) or not target.startswith("/"):
        return False
    # Browsers treat "//host", "/\host" and "\\host" as other sites, and strip
    # tabs, newlines and other control characters before parsing ("/\t/host"
    # becomes "//host"). A real local link needs none of them, so refuse them
    # anywhere rather than guess how a browser would clean them.
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return False
    if target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, fallback: str) -> str:
    """``target`` if it is a local path, else ``fallback``."""
    return target if is_local_url(target) else fallback


def service_domain() -> str:
    """The host of ``BASE_URL`` (e.g. ``tutoring.example``): the domain of every UID and Message-ID we make."""
    return urlsplit(current_app.config.get("BASE_URL") or "").hostname or UID_FALLBACK_DOMAIN
