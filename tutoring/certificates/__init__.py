"""A volunteer's own hours certificate (/certificate): a printable page in their language."""
