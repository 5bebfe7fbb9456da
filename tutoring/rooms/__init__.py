"""The session room's pages: the room, its form, its live stream and the polling fallback (SPEC §7 Messages)."""
