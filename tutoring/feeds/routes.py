"""``bp`` with every route of the feeds pages attached: what the app registers."""
from tutoring.feeds import views  # noqa: F401  (attach their routes to bp)
from tutoring.feeds.blueprint import bp

__all__ = ["bp"]
