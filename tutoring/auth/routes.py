"""``bp`` with every route of the auth pages attached: what the app registers."""
from tutoring.auth import errors, views  # noqa: F401  (attach their routes to bp)
from tutoring.auth.blueprint import bp

__all__ = ["bp"]
