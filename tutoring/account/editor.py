"""What the availability editor shows, computed only when a template asks for it.

The page and each of its fragments (``templates/account/_*.html``) read one
:class:`Editor`; a fragment request only touches the parts its fragment
uses (an edit form doesn't compute the slot preview).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

import re

from babel.dates import get_day_names
from flask import request
from flask_babel import get_locale
from flask_babel import gettext as _

from tutoring.account.display import clock

from tutoring.account.forms import AwayForm, ExtraForm, RuleForm
from tutoring.services.people.zones import canonical_zone as current_zone_name
from tutoring.models import AvailabilityRule, VolunteerProfile
from tutoring.formatting import format_duration
from tutoring.services.schedules.availability import (
    AvailabilityError,
    Preview,
    RuleInput,
    check_rule_against,
    parse_capacity,
    parse_rule_fields,
    preview,
)
from tutoring.timeutil import utcnow
from tutoring.booking.browse import canonical_zone as forgiving_zone_name

# Element ids the fragments replace (hx-target), and the event that refreshes the preview.
WEEKLY_TARGET = "weekly"
AWAY_TARGET = "away"
EXTRA_TARGET = "extra"
STATE_TARGET = "volunteer-state"
PREVIEW_TARGET = "preview"
AVAILABILITY_CHANGED = "availability-changed"


# A window longer than this is asked about before it is saved (issue 22): "8 hours" is a long stretch to be on call.
LONG_WINDOW_MINUTES = 8 * 60
_TYPED_CLOCK = re.compile(r"\s*([01]?\d|2[0-3]):([0-5]\d)(?::00)?\s*")


def _typed_minute(text: str | None) -> int | None:
    match = _TYPED_CLOCK.fullmatch(text or "")
    return int(match.group(1)) * 60 + int(match.group(2)) if match else None


def _refused_anyway(form: RuleForm, volunteer: VolunteerProfile, rule: AvailabilityRule | None) -> bool:
    """Whether saving would be refused whatever the answer (bad text, an overlap): then that is said, not asked.

    Read-only, with the service's own checks; saving checks again under its lock."""
    try:
        new = parse_rule_fields(form.weekday.data, form.start.data, form.end.data, strict=False)
        parse_capacity(form.capacity.data, strict=False)
        if rule is not None:
            new = RuleInput(new.weekday, new.start_minute, new.end_minute, rule.valid_from_on, rule.valid_until_on)
        others = [RuleInput(other.weekday, other.start_minute, other.end_minute, other.valid_from_on,
                            other.valid_until_on) for other in volunteer.rules if rule is None or other.id != rule.id]
        check_rule_against(new, others)
    except AvailabilityError:
        return True
    return False


def window_question(form: RuleForm, volunteer: VolunteerProfile, rule: AvailabilityRule | None = None) -> str | None:
    """What to ask before saving the form's window, or None: an overnight window (an end at or before the start,
    "until 7:00 PM the next day?") or one longer than 8 hours. Not asked again once the form's button confirmed
    these very times, nor for times a saved window already has, nor when saving would be refused anyway.
    """
    start, end = _typed_minute(form.start.data), _typed_minute(form.end.data)
    if start is None or end is None or request.form.get("confirmed") == form.confirmation:
        return None
    if rule is not None and (rule.start_minute, rule.end_minute) == (start, end):
        return None
    if _refused_anyway(form, volunteer, rule):
        return None
    length = (end - start) % (24 * 60) or 24 * 60
    if end <= start:
        return _("This window runs overnight: from %(start)s until %(end)s the next day, %(length)s. Is that right?",
                 start=clock(start), end=clock(end), length=format_duration(length))
    if length > LONG_WINDOW_MINUTES:
        return _("This window is %(length)s long, from %(start)s to %(end)s. Is that right?",
                 start=clock(start), end=clock(end), length=format_duration(length))
    return None


def rule_target(rule_id: int) -> str:
    """The element id of one weekly window (display or edit form)."""
    return f"rule-{rule_id}"


def add_target(weekday: int) -> str:
    """The element id of a day's "add a window" button or form."""
    return f"add-rule-{weekday}"


@dataclass(frozen=True)
class EditorDay:
    """One weekday of the editor and its windows, by start time."""

    weekday: int
    name: str
    rules: list[AvailabilityRule]


@dataclass(frozen=True)
class PreviewZone:
    """The zone the preview is shown in, and what became of the ``tz`` asked for."""

    name: str
    override: str | None = None  # another zone than the volunteer's, kept on the preview's links
    rejected: str | None = None  # text that is no zone, shown back with a message


class Editor:
    """Everything the availability editor page shows for one volunteer."""

    def __init__(
        self,
        volunteer: VolunteerProfile,
        *,
        preview_zone: str | None = None,
        adding: int | None = None,
        add_form: RuleForm | None = None,
        editing: int | None = None,
        edit_form: RuleForm | None = None,
        away_form: AwayForm | None = None,
        extra_form: ExtraForm | None = None,
        message: str | None = None,
        now: datetime | None = None,
    ) -> None:
        self.volunteer = volunteer
        self.zone = volunteer.user.timezone
        self.requested_zone = preview_zone
        self.adding = adding
        self.editing = editing
        self.message = message
        self.now = now or utcnow()
        # Forms that were not the one submitted start empty (formdata=None: don't read this request's form).
        self.add_form = add_form or RuleForm(formdata=None, weekday=str(adding or 0))
        self.edit_form = edit_form
        self.away_form = away_form or AwayForm(formdata=None)
        self.extra_form = extra_form or ExtraForm(formdata=None)

    @cached_property
    def days(self) -> list[EditorDay]:
        """Monday to Sunday with their windows."""
        names = get_day_names("wide", locale=get_locale() or "en")
        return [
            EditorDay(weekday, names[weekday], [rule for rule in self.volunteer.rules if rule.weekday == weekday])
            for weekday in range(7)
        ]

    def add_form_for(self, weekday: int) -> RuleForm:
        """The add form of ``weekday`` (the submitted one, errors and all, when it is that day's)."""
        if self.adding == weekday:
            return self.add_form
        return RuleForm(formdata=None, weekday=str(weekday))

    @cached_property
    def preview_zone(self) -> PreviewZone:
        """The volunteer's own zone, or the valid zone asked for (forgiving case and spaces, old names)."""
        requested = (self.requested_zone or "").strip()
        if not requested:
            return PreviewZone(self.zone)
        zone = forgiving_zone_name(requested)
        if zone is None:
            return PreviewZone(self.zone, rejected=requested[:64])
        zone = current_zone_name(zone)
        return PreviewZone(zone, override=None if zone == self.zone else zone)

    @cached_property
    def preview(self) -> Preview:
        """The next 14 days of slots as a learner in the preview zone sees them."""
        return preview(self.volunteer, self.preview_zone.name, self.now)

    @property
    def state(self) -> str:
        """``pending``, ``approved`` or ``paused``."""
        return self.volunteer.state
