"""The time zone picker: which IANA names to offer, and old names browsers still report.

Chromium's ``Intl`` answers with ICU's old names (``Asia/Katmandu``,
``Asia/Calcutta``, ``Europe/Kiev``), which tzdata keeps only as links. The
picker offers the zones of ``zone.tab`` (one or more per country, the names
people recognise) and lists, for each, the old names that link to it, so the
browser script and the server can both turn an old name into the current one.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from tutoring.timeutil import is_valid_zone


@dataclass(frozen=True)
class ZoneChoice:
    """One zone offered in the picker and the old names that mean the same zone."""

    name: str
    aliases: tuple[str, ...] = ()


def _tzdata_text(filename: str) -> str:
    return resources.files("tzdata.zoneinfo").joinpath(filename).read_text(encoding="utf-8")


@cache
def zone_choices() -> tuple[ZoneChoice, ...]:
    """Zones for the picker, sorted by name, with the legacy names that link to each."""
    offered = {"UTC"}
    for line in _tzdata_text("zone.tab").splitlines():
        if line and not line.startswith("#"):
            offered.add(line.split("\t")[2])
    offered = {name for name in offered if is_valid_zone(name)}

    aliases: dict[str, list[str]] = {name: [] for name in offered}
    # tzdata.zi lines "L TARGET LINK": LINK is another name for TARGET.
    for line in _tzdata_text("tzdata.zi").splitlines():
        if line.startswith("L "):
            _, target, link = line.split()
            if target in offered and link not in offered:
                aliases[target].append(link)
    return tuple(ZoneChoice(name, tuple(sorted(aliases[name]))) for name in sorted(offered))


@cache
def _canonical_names() -> dict[str, str]:
    return {alias: choice.name for choice in zone_choices() for alias in choice.aliases}


def canonical_zone(name: str) -> str:
    """The picker's name for ``name`` (``Asia/Katmandu`` -> ``Asia/Kathmandu``); other names unchanged."""
    return _canonical_names().get(name, name)
