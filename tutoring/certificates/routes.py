"""``bp`` with every route of the certificates pages attached: what the app registers."""
from tutoring.certificates import views  # noqa: F401  (attach their routes to bp)
from tutoring.certificates.blueprint import bp

__all__ = ["bp"]
