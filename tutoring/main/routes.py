"""``bp`` with every route of the main pages attached: what the app registers."""
from tutoring.main import errors, guardian, help, views  # noqa: F401  (attach their routes to bp)
from tutoring.main.blueprint import bp

__all__ = ["bp"]
