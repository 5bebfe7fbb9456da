"""The coordinators' area (/coordinator): vetting, programmes, reports, safeguarding and the audit log."""
