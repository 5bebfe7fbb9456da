"""Calendar feeds: the secret ``/calendar/<token>.ics`` address (SPEC §5) and the page to copy or rotate it."""
