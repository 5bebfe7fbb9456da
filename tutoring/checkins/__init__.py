"""Check-ins after a session, and a support volunteer's urgent escalation and debrief request (issue 18)."""
