"""Redirect targets that can only stay on this site."""
from __future__ import annotations

from urllib.parse import urlsplit


def is_local_url(target: str | None) -> bool:
    """True for a path on this site such as ``/bookings?x=1``; False for anything a browser could take elsewhere."""
    if not target or not target.startswith("/"):
        return False
    # Browsers treat "//host", "/\host" and "\\host" as other sites, and
    # strip tabs and newlines before parsing.
    cleaned = target.replace("\\", "/")
    if any(ch in cleaned for ch in "\t\r\n") or cleaned.startswith("//"):
        return False
    parts = urlsplit(cleaned)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, fallback: str) -> str:
    """``target`` if it is a local path, else ``fallback``."""
    return target if is_local_url(target) else fallback
