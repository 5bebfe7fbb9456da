"""``bp`` with every route of the volunteers pages attached: what the app registers."""
from tutoring.volunteers import views  # noqa: F401  (attach their routes to bp)
from tutoring.volunteers.blueprint import bp

__all__ = ["bp"]
