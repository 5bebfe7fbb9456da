"""``bp`` with every route of the account pages attached: what the app registers."""
from tutoring.account import display, views, calendars, privacy  # noqa: F401  (attach their routes to bp)
from tutoring.account.blueprint import bp

__all__ = ["bp"]
