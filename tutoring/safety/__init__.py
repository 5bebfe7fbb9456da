"""Pure safety cores for the session room: contact masking and crisis words (no Flask, no database)."""
