"""Foundations that know no deal: exact money, calendars, day sets, quotes, diagnostics."""
