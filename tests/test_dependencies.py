"""The suite runs on exactly the locked versions (requirements.lock, made by `make lock`; issue 16)."""
from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

LOCK = Path(__file__).resolve().parent.parent / "requirements.lock"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_versions() -> dict[str, str]:
    return {normalized(m[1]): m[2] for line in LOCK.read_text().splitlines() if (m := PIN.match(line))}


def test_every_pin_carries_a_hash():
    text = LOCK.read_text()
    pins = [line for line in text.splitlines() if PIN.match(line)]
    assert len(pins) > 50
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text)
    assert all("--hash=sha256:" in block for block in blocks if PIN.match(block))


def test_installed_versions_are_the_locked_ones():
    locked = locked_versions()
    assert {"flask", "babel", "sqlalchemy", "pytest", "time-machine"} <= set(locked)
    installed = {normalized(dist.metadata["Name"]): dist.version for dist in metadata.distributions()}
    differing = {name: (version, installed.get(name)) for name, version in locked.items()
                 if installed.get(name) != version}
    assert differing == {}, "run `make install` (locked, installed): " + repr(differing)
