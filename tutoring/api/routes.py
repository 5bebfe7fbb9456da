"""``bp`` with every route of the api pages attached: what the app registers."""
from tutoring.api import availability, bookings, messages, series, views  # noqa: F401  (attach their routes to bp)
from tutoring.api.blueprint import bp

__all__ = ["bp"]
