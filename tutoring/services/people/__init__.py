"""People: accounts, profiles, a new volunteer's onboarding, time zones, and a person's own data (export, deletion)."""
