"""What changed between two readings of a deal: the evaluation's stable JSON (``outputs/report.py``)
at two points, diffed structurally, so every figure compared is one the report itself shows.

The two points are two knowledge instants (what the ledger said on each, ``--known-on``) or two
as-of dates. Each change names the figure by its place in the report's JSON, with a readable key
for list items (an investor, a warrant, a deadline's id), and gives its value at each point
(``None``: not there at that point). Three sections: figures (prices, allocations,
capitalization, holdings, the warrant register, exercises, Registration Defaults, each
investor's damages, the repurchase, the reserve), deadlines, and the other obligations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Where each section's figures are in the report's JSON.
SECTIONS: dict[str, tuple[str, ...]] = {
    "figures": ("pricing", "allocations", "capitalization", "holdings", "warrants", "exercises",
                "registration_defaults", "liquidated_damages", "repurchase", "reservation"),
    "deadlines": ("deadlines",),
    "obligations": ("obligations",),
}

# The workings and words beside a figure, not figures: a change in them shows in the figure they
# explain (a deadline's computation in its due date). ``as_of`` repeats the evaluation date.
SKIPPED = frozenset({"computation", "clause", "text", "quotes_used", "as_of", "name", "label", "duty",
                     "market_price_figure"})


def _deadline_key(item: dict[str, Any]) -> str:
    return f"{item['id']} {item['ref']}" if item.get("ref") else str(item["id"])


# How the items of each list are told apart, so a changed item is compared with itself.
KEYS: dict[str, Callable[[dict[str, Any]], str]] = {
    "allocations": lambda item: str(item["investor"]),
    "warrants": lambda item: str(item["id"]),
    "exercises": lambda item: f"{item['warrant']} {item['date']} {item['method']}",
    "registration_defaults": lambda item: f"{item['kind']} from {item['start']}",
    "periods": lambda item: f"from {item['start']}",
    "demands": lambda item: str(item["date"]),
    "installments": lambda item: f"{item['first']} to {item['last']}",
    "lots": lambda item: str(item["lot"]),
    "deadlines": _deadline_key,
    "obligations": _deadline_key,
}


def _flatten(value: Any, path: str, out: dict[str, Any], name: str = "") -> None:
    if isinstance(value, dict):
        if not value:
            out[path] = {}
        for key, item in value.items():
            if key not in SKIPPED:
                _flatten(item, f"{path}.{key}" if path else str(key), out, str(key))
        return
    if isinstance(value, list):
        if not value:
            out[path] = []
        keyed = KEYS.get(name)
        seen: dict[str, int] = {}
        for index, item in enumerate(value):
            label = keyed(item) if keyed and isinstance(item, dict) else str(index)
            seen[label] = seen.get(label, 0) + 1
            if seen[label] > 1:  # two items alike by key: told apart by their place among them
                label = f"{label} #{seen[label]}"
            _flatten(item, f"{path}[{label}]", out, name)
        return
    out[path] = value


def _leaves(report: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    leaves: dict[str, Any] = {}
    for key in keys:
        _flatten(report.get(key), key, leaves, key)
    return leaves


def _differences(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    paths = list(before) + [path for path in after if path not in before]
    return [{"path": path, "before": before.get(path), "after": after.get(path)}
            for path in paths if before.get(path) != after.get(path)]


def _other_obligations(report: dict[str, Any]) -> dict[str, Any]:
    """The obligations that are not registration deadlines (those are the deadlines section)."""
    deadlines = {_deadline_key(item) for item in report.get("deadlines") or []}
    return {**report, "obligations": [item for item in report.get("obligations") or []
                                      if _deadline_key(item) not in deadlines]}


def diff_reports(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each section's changes from ``before`` to ``after`` (two ``report.to_json`` documents)."""
    before, after = _other_obligations(before), _other_obligations(after)
    return {section: _differences(_leaves(before, keys), _leaves(after, keys)) for section, keys in SECTIONS.items()}
