"""Finding a time: a learner's free hours on a week grid, and the volunteers whose slots fit them (/find-a-time)."""
