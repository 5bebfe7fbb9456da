"""Safeguarding for learners and volunteers (/safety): reporting a concern, blocking a learner."""
