"""Forms for signing up, signing in and resetting a password; every message in the user's language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from tutoring.services.people.zones import canonical_zone
from tutoring.models import KINDS, LANGUAGES
from tutoring.models.user import ADDRESS_FORMS
from tutoring.services.people.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from tutoring.timeutil import is_valid_zone

# Only these two can be chosen on the web; coordinators are made with the CLI.
SIGNUP_ROLES = ("learner", "volunteer")
KIND_LABELS = {
    "tutoring": _l("Tutoring"),
    "mentoring": _l("Mentoring"),
    "support": _l("Listening and support"),
}
MAX_EMAIL_LENGTH = 254


def looks_like_email(address: str) -> bool:
    """A loose check: one ``@`` with text on both sides, a dot in the domain, no spaces or control characters."""
    local, at, domain = address.rpartition("@")
    return (
        bool(at and local and domain)
        and "." in domain.strip(".")
        and not any(ch.isspace() or not ch.isprintable() for ch in address)
        and len(address) <= MAX_EMAIL_LENGTH
    )


def _strip(value):
    # Stripped fields use DataRequired, which looks at the stripped value ("   " is empty).
    return value.strip() if isinstance(value, str) else value


def _password_length() -> list[Length]:
    # Two validators, so a too-long password is not told to be "at least 8 characters".
    return [
        Length(min=MIN_PASSWORD_LENGTH, message=_l("Use at least %(min)d characters.")),
        Length(max=MAX_PASSWORD_LENGTH, message=_l("Use at most %(max)d characters.")),
    ]


class CheckboxListField(SelectMultipleField):
    """Several checkboxes sharing one name (the session kinds a volunteer offers)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LoginForm(FlaskForm):
    """SPEC §3: fields ``email``, ``password`` (and ``csrf_token``), plus ``remember``."""

    email = EmailField(
        _l("Email"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter your email address."))],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(_l("Enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


class SignupForm(FlaskForm):
    """A new volunteer or learner account."""

    role = RadioField(
        _l("I would like to"),
        choices=[
            SelectChoice("learner", _l("Book sessions with volunteers")),
            SelectChoice("volunteer", _l("Volunteer as a tutor, mentor or listener")),
        ],
        default="learner",
        validate_choice=False,  # checked in validate_role, with a message people can read
    )
    display_name = StringField(
        _l("Display name"),
        description=_l("Shown to the people you meet. A first name or a nickname is enough."),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter a name to show to others.")),
            Length(max=100, message=_l("Use at most %(max)d characters.")),
        ],
        render_kw={"autocomplete": "nickname"},
    )
    email = EmailField(
        _l("Email"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter your email address."))],
        render_kw={"autocomplete": "email"},
    )
    password = PasswordField(
        _l("Password"),
        description=_l("At least %(min)d characters.", min=MIN_PASSWORD_LENGTH),
        validators=[InputRequired(_l("Choose a password.")), *_password_length()],
        render_kw={"autocomplete": "new-password", "minlength": MIN_PASSWORD_LENGTH},
    )
    confirm = PasswordField(
        _l("Password again"),
        validators=[
            InputRequired(_l("Type the password a second time.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    timezone = StringField(
        _l("Time zone"),
        description=_l("Times are shown to you in this zone. Type a city to search, e.g. Cairo."),
        filters=[_strip],
        validators=[DataRequired(_l("Choose your time zone."))],
        render_kw={"list": "timezones", "autocomplete": "off", "spellcheck": "false", "data-browser-timezone": ""},
    )
    language = RadioField(
        _l("Language"),
        choices=[SelectChoice("ar", "العربية"), SelectChoice("en", "English")],
        validate_choice=False,
    )
    # SPEC §7 "Minors": only whether the learner is under 18 (not a birth date), and then a guardian's address.
    age = RadioField(
        _l("Your age (learners)"),
        choices=[SelectChoice("adult", _l("I am 18 or older")), SelectChoice("minor", _l("I am under 18"))],
        default="adult",
        validate_choice=False,
    )
    guardian_email = EmailField(
        # Not "email" in the label: the account's own "Email" field is found by that word.
        _l("Your parent's or guardian's address"),
        description=_l("Their email address. We ask them to agree before you can book sessions."),
        filters=[_strip],
        render_kw={"autocomplete": "off"},
    )
    address_form = RadioField(
        _l("How Arabic texts address you"),
        choices=[SelectChoice("neutral", _l("Neutral wording")), SelectChoice("feminine", _l("Feminine")),
                 SelectChoice("masculine", _l("Masculine"))],
        default="neutral",
        validate_choice=False,
    )
    kinds = CheckboxListField(
        _l("Sessions you offer (volunteers)"),
        choices=[SelectChoice(kind, KIND_LABELS[kind]) for kind in KINDS],
        validate_choice=False,
    )
    next = HiddenField()

    def validate_role(self, field) -> None:
        """Only volunteer or learner; anything else (a coordinator attempt) is refused."""
        if field.data not in SIGNUP_ROLES:
            raise ValidationError(_l("Choose whether you want to book sessions or to volunteer."))

    def validate_email(self, field) -> None:
        """A plausible address. Whether it already has an account is not said here (issue 21): sign_up mails its owner."""
        if not looks_like_email(field.data or ""):
            raise ValidationError(_l("Enter a valid email address, like name@example.org."))

    def validate_timezone(self, field) -> None:
        """An IANA zone we know; old names become current ones."""
        if not is_valid_zone(field.data or ""):
            raise ValidationError(_l("Choose a time zone from the list, such as Africa/Cairo."))
        field.data = canonical_zone(field.data)

    def validate_language(self, field) -> None:
        """Arabic or English."""
        if field.data not in LANGUAGES:
            raise ValidationError(_l("Choose Arabic or English."))

    @property
    def is_minor(self) -> bool:
        """A learner who said they are under 18."""
        return self.role.data == "learner" and self.age.data == "minor"

    def validate_age(self, field) -> None:
        """Learners say whether they are under 18; volunteers' choice is ignored."""
        if self.role.data == "learner" and field.data not in ("adult", "minor"):
            raise ValidationError(_l("Say whether you are under 18."))

    def validate_guardian_email(self, field) -> None:
        """A minor gives a plausible address that isn't their own."""
        if not self.is_minor:
            return
        if not looks_like_email(field.data or ""):
            raise ValidationError(_l("Enter your parent's or guardian's email address, like name@example.org."))
        if (field.data or "").strip().lower() == (self.email.data or "").strip().lower():
            raise ValidationError(_l("This must be your parent's or guardian's address, not yours."))
    def validate_address_form(self, field) -> None:
        """Neutral (also when left out), feminine or masculine."""
        field.data = field.data or "neutral"
        if field.data not in ADDRESS_FORMS:
            raise ValidationError(_l("Choose neutral, feminine or masculine."))

    def validate_kinds(self, field) -> None:
        """Volunteers offer at least one known kind of session; learners' choices are ignored."""
        if self.role.data != "volunteer":
            return
        chosen = field.data or []
        if not chosen or any(kind not in KINDS for kind in chosen):
            raise ValidationError(_l("Choose at least one kind of session you offer."))


class ResetRequestForm(FlaskForm):
    """The address to send a reset link to."""

    email = EmailField(
        _l("Email"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter your email address."))],
        render_kw={"autocomplete": "email"},
    )


class NewPasswordForm(FlaskForm):
    """A new password, typed twice."""

    password = PasswordField(
        _l("New password"),
        description=_l("At least %(min)d characters.", min=MIN_PASSWORD_LENGTH),
        validators=[InputRequired(_l("Choose a password.")), *_password_length()],
        render_kw={"autocomplete": "new-password", "minlength": MIN_PASSWORD_LENGTH},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            InputRequired(_l("Type the password a second time.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
