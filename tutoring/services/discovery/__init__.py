"""Finding a volunteer: the search's SQL and find-a-time across several volunteers."""
