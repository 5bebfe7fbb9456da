"""Coordinators' work: vetting, programmes and the audit log; safeguarding reports, blocks and the booking check."""
