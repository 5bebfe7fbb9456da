"""Home page (the volunteer list, rendered by the volunteers blueprint), health check and the language switcher."""
