"""Foundations that know no deal: exact money and its formats, calendars, day sets, quotes, diagnostics."""
