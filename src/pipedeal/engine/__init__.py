"""The pure evaluation: events folded into a timeline, and every figure read from it.

No I/O, no clock, no database."""
