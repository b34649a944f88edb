"""The readings a deal's text leaves open, from its ``[[ambiguities]]`` (PIPE-TERMS principle 3).

An ambiguity names a key (``ld_day_count``), the term it decides
(``liquidated_damages.proration``), the value in force and the alternatives.
``--set KEY=VALUE`` replaces the value for one run; ``pipedeal ambiguities`` shows
what each reading is worth; ``--strict`` refuses figures that an unconfirmed reading would
change (engine/ambiguity.py). A deal with no ambiguities has none of these.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from pipedeal.deal.terms import Ambiguity, Terms
from pipedeal.deal.terms_file import field_adapter

# The parts of the terms that move liquidated damages (``ld --strict``).
DAMAGES_FIELDS = ("registration.", "liquidated_damages.", "notices.")


def shown(value: Any) -> str:
    """A value as the command line and the terms file write it (``true``, not ``True``)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def values(entry: Ambiguity) -> tuple[Any, ...]:
    """The value in force, then the alternatives."""
    return (entry.value, *entry.alternatives)


def affects_damages(entry: Ambiguity) -> bool:
    return entry.field.startswith(DAMAGES_FIELDS)


def in_force(terms: Terms) -> dict[str, Any]:
    """Every ambiguity key of the deal and the value in force."""
    return {entry.key: entry.value for entry in terms.ambiguities}


def parse_readings(assignments: list[str], terms: Terms) -> dict[str, Any]:
    """Read ``KEY=VALUE`` pairs for ``--set``: the key must be one of the deal's ambiguities and
    the value the one in force or an alternative; raises ``ValueError`` naming the choices."""
    readings: dict[str, Any] = {}
    for assignment in assignments:
        key, sep, raw = assignment.partition("=")
        key, raw = key.strip(), raw.strip()
        if not sep:
            raise ValueError(f"--set {assignment!r}: write KEY=VALUE")
        entry = terms.ambiguity(key)
        if entry is None:
            known = ", ".join(a.key for a in terms.ambiguities) or "none: this deal declares no ambiguity"
            raise ValueError(f"--set {assignment!r}: {terms.deal.name} has no ambiguity {key!r} (its keys: {known})")
        adapter = field_adapter(entry.field)
        choices = values(entry)
        try:
            value = adapter.validate_python(raw) if adapter is not None else raw
        except ValidationError:
            value = raw
        match = next((choice for choice in choices if _same(choice, value) or shown(choice) == raw), None)
        if match is None:
            listed = ", ".join(shown(choice) for choice in choices)
            raise ValueError(f"{key} cannot be {raw!r}: choose one of {listed}")
        readings[key] = match
    return readings


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    return str(left) == str(right)
