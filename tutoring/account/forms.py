"""Forms of the account pages: fields, labels and hints; the checking itself is in the services.

Every field is text (no WTForms coercion), so a bad value comes back to the
person exactly as typed, with the service's message in their language.
"""
from __future__ import annotations

from babel.dates import get_day_names
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.widgets import DateInput, NumberInput, TimeInput

from tutoring.auth.forms import CheckboxListField
from tutoring.formatting import KIND_LABELS
from tutoring.models import KINDS
from tutoring.services.schedules.availability import SETTING_RANGES
from tutoring.forms import ServiceErrors


def weekday_choices() -> list[tuple[str, str]]:
    """``("0", "Monday")`` .. ``("6", "Sunday")`` in the viewer's language."""
    names = get_day_names("wide", locale=get_locale() or "en")
    return [(str(day), names[day]) for day in range(7)]


class RuleForm(ServiceErrors, FlaskForm):
    """A weekly window: day and local start/end times (an end at or before the start is the next day)."""

    weekday = SelectField(_l("Day"), validate_choice=False)
    start = StringField(_l("From"), widget=TimeInput(), render_kw={"required": True})
    end = StringField(_l("To"), widget=TimeInput(), render_kw={"required": True})
    capacity = StringField(
        _l("Learners per session"),
        description=_l("1 for one learner at a time; 2 to 50 makes this a group window."),
        default="1",
        widget=NumberInput(min=1, max=50, step=1),
        render_kw={"inputmode": "numeric"},
    )

    # What the editor asks before saving a window that runs overnight or is long (``account.editor.window_question``):
    # the form is shown again with the question, and its button confirms these very times (``confirmed``).
    question: str | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.weekday.choices = weekday_choices()

    @property
    def confirmation(self) -> str:
        """The value that confirms the times as typed (sent by the question's button as ``confirmed``)."""
        return f"{(self.start.data or '').strip()}-{(self.end.data or '').strip()}"


class AwayForm(ServiceErrors, FlaskForm):
    """An away period: first and last day, both included."""

    SERVICE_FIELDS = {"from": "first_on", "to": "last_on"}

    first_on = StringField(_l("First day"), widget=DateInput(), render_kw={"required": True})
    last_on = StringField(_l("Last day"), widget=DateInput(), render_kw={"required": True})


class ExtraForm(ServiceErrors, FlaskForm):
    """A one-off window on one date."""

    SERVICE_FIELDS = {"date": "day_on"}

    day_on = StringField(_l("Date"), widget=DateInput(), render_kw={"required": True})
    start = StringField(_l("From"), widget=TimeInput(), render_kw={"required": True})
    end = StringField(_l("To"), widget=TimeInput(), render_kw={"required": True})
    capacity = StringField(
        _l("Learners per session"),
        description=_l("1 for one learner at a time; 2 to 50 makes this a group window."),
        default="1",
        widget=NumberInput(min=1, max=50, step=1),
        render_kw={"inputmode": "numeric"},
    )


def _number(label, description, name: str, **kwargs) -> StringField:
    low, high = SETTING_RANGES[name]
    return StringField(
        label,
        description=description,
        widget=NumberInput(min=low, max=high, step=1),
        render_kw={"inputmode": "numeric"},
        **kwargs,
    )


class ProfileForm(ServiceErrors, FlaskForm):
    """Name, zone and language for everyone; what they offer and their session settings for volunteers."""

    display_name = StringField(
        _l("Display name"),
        description=_l("Shown to the people you meet. A first name or a nickname is enough."),
        render_kw={"autocomplete": "nickname", "maxlength": 100},
    )
    timezone = StringField(
        _l("Time zone"),
        description=_l("Times are shown to you in this zone. Type a city to search, e.g. Cairo."),
        render_kw={"list": "timezones", "autocomplete": "off", "spellcheck": "false", "dir": "ltr",
                   "data-browser-timezone": ""},
    )
    language = RadioField(
        _l("Language"),
        choices=[SelectChoice("ar", "العربية"), SelectChoice("en", "English")],
        validate_choice=False,
    )
    address_form = RadioField(
        _l("How Arabic texts address you"),
        description=_l("Arabic verbs and pronouns change with the person they speak to or about."),
        choices=[SelectChoice("neutral", _l("Neutral wording")), SelectChoice("feminine", _l("Feminine")),
                 SelectChoice("masculine", _l("Masculine"))],
        validate_choice=False,
    )
    subjects = StringField(
        _l("Subjects"),
        description=_l("Separate them with commas, e.g. Mathematics, Physics. Choose from the suggestions or write your own: "
                       "learners searching in English or Arabic find the suggested subjects either way."),
        # The shared vocabulary's names (templates/account/_subject_datalist.html); static/js/comma-list.js
        # suggests them for each comma-separated part.
        render_kw={"list": "subject-vocabulary", "autocomplete": "off", "dir": "auto", "data-comma-list": ""},
    )
    languages = StringField(
        _l("Languages you speak in sessions"),
        description=_l("Names or codes, separated by commas, e.g. Arabic, English."),
    )
    kinds = CheckboxListField(
        _l("Sessions you offer"),
        choices=[SelectChoice(kind, KIND_LABELS[kind]) for kind in KINDS],
        validate_choice=False,
    )
    bio = TextAreaField(
        _l("About you"),
        description=_l("A few sentences learners read before booking. Phone numbers, email addresses and links "
                       "are hidden from them: learners reach you through this service only."),
        render_kw={"rows": 4, "maxlength": 2000},
    )
    session_minutes = _number(_l("Session length (minutes)"), _l("From 10 to 240."), "session_minutes")
    buffer_minutes = _number(_l("Break between sessions (minutes)"), _l("From 0 to 120."), "buffer_minutes")
    min_notice_hours = _number(
        _l("Minimum notice (hours)"), _l("How long before a session learners must book it: 0 to 336."), "min_notice_hours"
    )
    horizon_days = _number(
        _l("Booking horizon (days)"), _l("How far ahead learners can book: 1 to 365."), "horizon_days"
    )
    max_sessions_per_week = _number(
        _l("Most sessions in a week"), _l("From 1 to 100; leave empty for no limit."), "max_sessions_per_week"
    )

    VOLUNTEER_FIELDS = ("subjects", "languages", "kinds", "bio", *SETTING_RANGES)
