"""``bp`` with every route of the groups pages attached: what the app registers."""
from tutoring.groups import views  # noqa: F401  (attach their routes to bp)
from tutoring.groups.blueprint import bp

__all__ = ["bp"]
