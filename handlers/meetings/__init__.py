"""Meetings on the phones, one module a step: asking (request), answering and changing (answer),
the agenda (agenda); what they share (common)."""
