"""``bp`` with every route of the safeguarding pages attached: what the app registers."""
from tutoring.safeguarding import views  # noqa: F401  (attach their routes to bp)
from tutoring.safeguarding.blueprint import bp

__all__ = ["bp"]
