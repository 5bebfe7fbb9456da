"""What booking refuses, as errors with the API's code and status (one family, on ``tutoring.errors.ServiceError``)."""
from __future__ import annotations

from typing import Any

from tutoring.calendar.text import N_
from tutoring.errors import NotFound, ServiceError


class BookingError(ServiceError):
    """A booking request that can't be honoured; nothing was written.

    ``code`` and ``status`` are what the JSON API answers with; ``message`` is
    for people, in the current request's language; ``field`` names the input
    at fault, when one is.
    """

    code = "booking_error"
    status = 409


class SlotUnavailable(BookingError):
    """The time asked for is not (or no longer) offered: 409 ``slot_unavailable``."""

    code = "slot_unavailable"
    status = 409

    def __init__(self, msgid: str | None = None, **kwargs: Any) -> None:
        super().__init__(msgid or N_("This time is not available any more. Please choose another time."), **kwargs)


class BookingBusy(BookingError):
    """Too many people are booking this volunteer right now; safe to retry: 409 ``busy``."""

    code = "busy"
    status = 409
    retry_after = 1  # seconds: the API's Retry-After

    def __init__(self) -> None:
        super().__init__(N_("Many people are booking right now. Please try again in a moment."))


class InvalidBooking(BookingError):
    """The request itself is malformed or impossible (422, naming the field)."""

    code = "validation_error"
    status = 422


class BookingNotFound(BookingError, NotFound):
    """No such booking, or the caller is not part of it: 404."""

    code = "not_found"
    status = 404

    def __init__(self) -> None:
        super().__init__(N_("There is no such booking."))


class BookingForbidden(BookingError):
    """The caller may see the booking (or volunteer) but not do this: 403."""

    code = "forbidden"
    status = 403


class BookingStateError(BookingError):
    """The booking's status or timing doesn't allow this change: 409 ``invalid_state``."""

    code = "invalid_state"
    status = 409


class VolunteerNotTrained(BookingError):
    """The kind needs training (``KINDS_NEEDING_TRAINING``) and the volunteer isn't trained for it: 409 ``volunteer_not_trained``."""

    code = "volunteer_not_trained"
    status = 409

    def __init__(self, msgid: str | None = None, **kwargs: Any) -> None:
        super().__init__(
            msgid or N_("This volunteer can't hold this kind of session until a coordinator marks them trained for it."),
            field="kind", **kwargs,
        )


class VolunteerNotCleared(BookingError):
    """The learner is a minor and the volunteer isn't cleared for minors (SPEC §7 "Minors"): 409 ``volunteer_not_cleared``."""

    code = "volunteer_not_cleared"
    status = 409

    def __init__(self) -> None:
        super().__init__(N_("This volunteer can't take sessions with learners under 18. Please choose another volunteer."))


class GuardianConsentRequired(BookingError):
    """The learner is a minor whose guardian hasn't consented (yet, or any more): 403 ``guardian_consent_required``."""

    code = "guardian_consent_required"
    status = 403

    def __init__(self) -> None:
        super().__init__(N_("You can book sessions once your parent or guardian has agreed by email."))
