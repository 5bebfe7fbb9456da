"""Public browsing: the volunteer list (home page) and each volunteer's week of free times."""
