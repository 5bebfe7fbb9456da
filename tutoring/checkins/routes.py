"""``bp`` with every route of the check-in pages attached: what the app registers."""
from tutoring.checkins import views  # noqa: F401  (attach their routes to bp)
from tutoring.checkins.blueprint import bp

__all__ = ["bp"]
