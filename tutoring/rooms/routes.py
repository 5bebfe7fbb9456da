"""``bp`` with every route of the room pages attached: what the app registers."""
from tutoring.rooms import stream, views  # noqa: F401  (attach their routes to bp)
from tutoring.rooms.blueprint import bp

__all__ = ["bp"]
