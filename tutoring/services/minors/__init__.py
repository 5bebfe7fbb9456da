"""Minors (SPEC §7): volunteers cleared to meet minors, and guardians' consent."""
