"""Email bodies written as paragraphs of lines, rendered as plain text and as HTML.

A line is a (message id, placeholders) pair; ``say`` turns the message id into
the sentence in the recipient's language. Invites, reminders and every other
email share this, so their text and HTML parts always say the same thing.
"""
from __future__ import annotations

import html
from collections.abc import Callable

Line = tuple[str, dict[str, str]]
Paragraphs = list[list[Line]]
RTL_LANGUAGES = frozenset({"ar"})


def direction_of(language: str) -> str:
    """``rtl`` for right-to-left languages (Arabic), else ``ltr``."""
    return "rtl" if language.split("-")[0].split("_")[0] in RTL_LANGUAGES else "ltr"


def text_body(paragraphs: Paragraphs, say: Callable[[str], str]) -> str:
    """The text/plain body: lines joined by newlines, paragraphs by a blank line."""
    return "\n\n".join("\n".join(say(msgid) % values for msgid, values in paragraph) for paragraph in paragraphs) + "\n"


def html_body(paragraphs: Paragraphs, say: Callable[[str], str], *, language: str, subject: str) -> str:
    """The text/html body: the same words, values isolated with <bdi>, links clickable."""
    body = "\n".join(
        "<p>"
        + "<br>\n".join(
            html.escape(say(msgid), quote=False) % {key: _html_value(key, value) for key, value in values.items()}
            for msgid, values in paragraph
        )
        + "</p>"
        for paragraph in paragraphs
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(language)}" dir="{direction_of(language)}">\n'
        f'<head><meta charset="utf-8"><title>{html.escape(subject)}</title></head>\n'
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def _html_value(key: str, value: str) -> str:
    """A placeholder's value for HTML: links as anchors, everything else isolated (a Latin name inside Arabic)."""
    escaped = html.escape(value)
    if key == "link":
        return f'<a href="{escaped}">{escaped}</a>'
    return f"<bdi>{escaped}</bdi>"
