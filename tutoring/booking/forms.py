"""Forms of the booking pages; every message in the user's language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import Length, ValidationError

from tutoring.formatting import kind_label
from tutoring.booking.engine import NOTE_MAX_LENGTH, REASON_MAX_LENGTH
from tutoring.forms import ServiceErrors


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class BookForm(ServiceErrors, FlaskForm):
    """Confirming a slot: the kind of session (only kinds the volunteer offers) and an optional private note."""

    kind = RadioField(_l("Kind of session"), validate_choice=False)
    note = TextAreaField(
        _l("A note for the volunteer (optional)"),
        filters=[_strip],
        validators=[Length(max=NOTE_MAX_LENGTH, message=_l("Use at most %(max)d characters."))],
        render_kw={"rows": 4, "maxlength": NOTE_MAX_LENGTH, "dir": "auto"},
    )

    def __init__(self, kinds: list[str], *args, accepted: list[str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.offered = list(kinds)
        # Kinds the volunteer lists but can't hold yet (training) pass the form, so the engine's
        # refusal (409 volunteer_not_trained) answers them, not a bare "choose a kind".
        self.accepted = list(accepted if accepted is not None else kinds)
        self.kind.choices = [SelectChoice(kind, kind_label(kind)) for kind in self.offered]
        if self.kind.data is None and len(self.offered) == 1:
            self.kind.data = self.offered[0]

    def validate_kind(self, field) -> None:
        """One of the kinds this volunteer offers."""
        if field.data not in self.accepted:
            raise ValidationError(_l("Choose the kind of session you would like."))


class CancelForm(FlaskForm):
    """Cancelling a booking, with an optional reason that both people can read."""

    reason = TextAreaField(
        _l("Reason (optional)"),
        filters=[_strip],
        validators=[Length(max=REASON_MAX_LENGTH, message=_l("Use at most %(max)d characters."))],
        render_kw={"rows": 3, "maxlength": REASON_MAX_LENGTH, "dir": "auto"},
    )


class ConfirmForm(FlaskForm):
    """A button that changes a booking (move it here, mark it completed or no-show): only the CSRF token."""
