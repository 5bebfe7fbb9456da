"""``bp`` with every route of the booking pages attached: what the app registers."""
from tutoring.booking import series_views, views  # noqa: F401  (attach their routes to bp)
from tutoring.booking.blueprint import bp

__all__ = ["bp"]
