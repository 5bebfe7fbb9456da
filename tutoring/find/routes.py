"""``bp`` with every route of the find pages attached: what the app registers."""
from tutoring.find import views  # noqa: F401  (attach their routes to bp)
from tutoring.find.blueprint import bp

__all__ = ["bp"]
