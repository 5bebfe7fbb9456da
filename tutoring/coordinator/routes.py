"""``bp`` with every route of the coordinator pages attached: what the app registers."""
from tutoring.coordinator import duty, training_views, views  # noqa: F401  (attach their routes to bp)
from tutoring.coordinator.blueprint import bp

__all__ = ["bp"]
