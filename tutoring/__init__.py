"""tutoring: volunteers publish weekly availability, learners book sessions across time zones.

Importing the package loads no Flask: the scheduling and calendar cores are
plain Python and can be used (and benchmarked) on their own.
"""
from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

# One source of zone rules everywhere (pages, mail, iCalendar, the slot core):
# the pinned ``tzdata`` package, never whatever copy the host system has.
zoneinfo.reset_tzpath(to=[])

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: environment defaults (SPEC §3), then ``TUTORING_*`` variables, then ``config``."""
    from tutoring.app import create_app as build_app

    return build_app(config)
