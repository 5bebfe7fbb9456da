"""What coordinators and volunteers take away: reports, spreadsheet exports, charts, hours certificates (HTML and PDF)."""
