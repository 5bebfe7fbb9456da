"""Emotional support (SPEC §7): check-ins and urgent items, help lines by country, listeners' training and its expiry."""
