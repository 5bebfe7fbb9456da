"""Add or update Arabic translations from a JSON file, safely while others do the same.

    .venv/bin/python scripts/po_add.py entries.json

``entries.json`` is a list of objects:

    {"id": "Programmes", "str": "البرامج"}
    {"id": ["%(num)d session", "%(num)d sessions"], "str": ["٠", "١", "٢", "٣", "٤", "٥"]}

(a plural entry gives Arabic's six forms: zero, one, two, few, many, other).
The catalogue is read, changed and written under an exclusive file lock, then
compiled, so several people adding strings at once never lose each other's
entries. `make translations` later re-extracts and fills in source locations.
"""
from __future__ import annotations

import fcntl
import json
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "translations" / "ar" / "LC_MESSAGES" / "messages.po"
LOCK = ROOT / "build" / "po.lock"


def apply(entries: list[dict]) -> int:
    """Write ``entries`` into the catalogue; returns how many were new."""
    with CATALOGUE.open("rb") as po_file:
        catalog = read_po(po_file, locale="ar")
    added = 0
    for entry in entries:
        msgid = tuple(entry["id"]) if isinstance(entry["id"], list) else entry["id"]
        string = tuple(entry["str"]) if isinstance(entry["str"], list) else entry["str"]
        if isinstance(msgid, tuple) and (not isinstance(string, tuple) or len(string) != catalog.num_plurals):
            raise SystemExit(f"{msgid[0]!r}: a plural entry needs {catalog.num_plurals} Arabic forms")
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        existing = catalog.get(key)
        if existing is None:
            added += 1
            catalog.add(msgid, string)
        else:
            # Catalog.add would keep the old translation: change it in place.
            existing.string = string
            existing.flags.discard("fuzzy")
    with CATALOGUE.open("wb") as po_file:
        write_po(po_file, catalog)
    with CATALOGUE.with_suffix(".mo").open("wb") as mo_file:
        write_mo(mo_file, catalog)
    return added


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    entries = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    LOCK.parent.mkdir(exist_ok=True)
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        added = apply(entries)
    print(f"{added} new, {len(entries) - added} updated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
