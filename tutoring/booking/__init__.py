"""The booking domain: the engine (one write transaction, locks, checks), the one slot reader, operations,
group seats, series and waitlists; and its pages: the booking page of a slot, a booking's own page and .ics,
and "My sessions" (routes on ``tutoring.booking.blueprint.bp``). See docs/ARCHITECTURE.md."""
