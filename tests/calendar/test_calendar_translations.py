"""Every string the calendar core can put in front of someone has its Arabic translation."""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "tutoring" / "calendar"
CATALOGUE = ROOT / "translations" / "ar" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def core_messages() -> set[str]:
    """What ``pybabel extract`` (default keywords, as babel.cfg runs it) finds in the core."""
    found = set()
    for path in sorted(CORE.glob("*.py")):
        for _line, message, _comments, _context in extract_from_file("python", str(path)):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_the_extractor_finds_the_core_strings():
    messages = core_messages()
    assert {"Session with %(name)s", "Booked: %(title)s, %(when)s", "Tutoring sessions"} <= messages


def test_every_core_string_has_an_arabic_translation_with_the_same_placeholders():
    with CATALOGUE.open("rb") as po_file:
        catalogue = read_po(po_file)
    problems = []
    for message_id in sorted(core_messages()):
        entry = catalogue.get(message_id)
        if entry is None or not entry.string or entry.fuzzy:
            problems.append(f"untranslated: {message_id!r}")
        elif set(PLACEHOLDER.findall(entry.string)) != set(PLACEHOLDER.findall(message_id)):
            problems.append(f"placeholders differ: {message_id!r} -> {entry.string!r}")
    assert not problems, "\n".join(problems)
