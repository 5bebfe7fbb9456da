"""A volunteer's time: the weekly rules and exceptions they edit, and their own outside calendars (fetched, read as busy)."""
