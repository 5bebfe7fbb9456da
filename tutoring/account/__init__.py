"""One's own account under /me: dashboard, profile and settings, and a volunteer's availability editor."""
