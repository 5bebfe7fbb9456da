"""The Arabic catalogue is complete, and templates hold no text outside the translation functions.

Both read the source tree, so a new string without an Arabic translation, or
a template sentence typed without ``_()``, fails here before a user sees it.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "translations" / "ar" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "_l": None, "N_": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2), "lazy_ngettext": (1, 2)}
ARABIC_PLURAL_FORMS = 6


def extracted_messages() -> dict[str, tuple[str, int]]:
    """Every msgid the project's code and templates use, with one place it is used."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[str, tuple[str, int]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, (filename, lineno))
    return found


def arabic_catalogue():
    with open(CATALOGUE, "rb") as po:
        return read_po(po, locale="ar")


def test_the_extractor_finds_the_project_strings():
    messages = extracted_messages()
    assert len(messages) > 5, "babel.cfg no longer reaches the code and templates"


def test_every_message_has_an_arabic_translation():
    catalogue = arabic_catalogue()
    missing = []
    for msgid, (filename, lineno) in sorted(extracted_messages().items()):
        entry = catalogue.get(msgid)
        if entry is None or entry.fuzzy:
            missing.append(f"{filename}:{lineno}: {msgid!r}")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(s.strip() for s in strings):
            missing.append(f"{filename}:{lineno}: {msgid!r} (empty)")
        elif isinstance(entry.id, tuple) and len(strings) != ARABIC_PLURAL_FORMS:
            missing.append(f"{filename}:{lineno}: {msgid!r} needs {ARABIC_PLURAL_FORMS} plural forms")
    assert not missing, "Arabic translation missing for:\n" + "\n".join(missing)


def test_arabic_translations_keep_their_placeholders():
    """A translation that drops or renames %(name)s breaks the page at run time."""
    placeholder = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")
    broken = []
    for entry in arabic_catalogue():
        if not entry.id or not entry.string:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        wanted = {m for i in ids for m in placeholder.findall(i)}
        for text in strings:
            if text and {m for m in placeholder.findall(text)} - wanted:
                broken.append(f"{entry.id!r} -> {text!r}")
            # Arabic's "one" and "two" forms may leave the count out; the others must keep it.
    assert not broken, "placeholders that the source does not have:\n" + "\n".join(broken)


TEMPLATE_CODE = re.compile(r"{#.*?#}|{%.*?%}|{{.*?}}", re.S)
TAG = re.compile(r"<(script|style)\b.*?</\1>|<!--.*?-->|<[^>]*>", re.S | re.I)
VISIBLE_ATTRIBUTE = re.compile(r"""\b(title|alt|placeholder|aria-label|aria-description|value)\s*=\s*(["'])(.*?)\2""", re.S | re.I)
WORDS = re.compile(r"[^\W\d_]{2,}")
# Text that is the same in every language: the brand-free symbols we allow.
ALLOWED = {"UTC"}


def untranslated_text(source: str) -> list[str]:
    """Letters a reader would see that do not come from ``{{ ... }}`` or ``{% ... %}``."""
    found = []
    for _name, _quote, value in VISIBLE_ATTRIBUTE.findall(source):
        if not TEMPLATE_CODE.search(value) and set(WORDS.findall(value)) - ALLOWED:
            found.append(value.strip())
    text = TEMPLATE_CODE.sub(" ", source)
    text = TAG.sub(" ", text)
    text = re.sub(r"&\w+;|&#\d+;", " ", text)
    for line in text.splitlines():
        if set(WORDS.findall(line)) - ALLOWED:
            found.append(line.strip())
    return found


TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_hold_no_text_outside_the_translation_functions(template):
    assert untranslated_text(template.read_text(encoding="utf-8")) == []


def test_the_template_check_catches_plain_text():
    assert untranslated_text("<p>Book a session</p>") == ["Book a session"]
    assert untranslated_text('<input placeholder="Your name">') == ["Your name"]
    assert untranslated_text("<p>{{ _('Book a session') }}</p>") == []
    assert untranslated_text('<a href="/x" class="button primary">{{ name }}</a>') == []


def test_latin_addresses_inside_arabic_sentences_are_isolated():
    """A bare ``https://`` inside right-to-left text is drawn scrambled (``//:https``):
    every address scheme in an Arabic translation sits between FSI and PDI marks."""
    for message in arabic_catalogue():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            for found in re.finditer(r"[a-z]+://", text or ""):
                assert text[: found.start()].endswith("\u2068"), f"{message.id!r}: isolate {found.group()} with U+2068...U+2069"
                assert "\u2069" in text[found.end():], f"{message.id!r}: close the isolate after {found.group()}"
