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
    return str(item["id"])  # unique in a deal: the duty's kind, then what triggers it


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


def _clean(value: Any) -> Any:
    """A value as compared and shown: the workings beside its figures left out."""
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items() if key not in SKIPPED}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def _keyed(items: list[Any], name: str) -> dict[str, Any]:
    """A list's items by their key (their place, for a list without one); two items alike by key
    are told apart by their order among them."""
    key = KEYS.get(name)
    labelled: dict[str, Any] = {}
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        label = key(item) if key and isinstance(item, dict) else str(index)
        seen[label] = seen.get(label, 0) + 1
        labelled[label if seen[label] == 1 else f"{label} #{seen[label]}"] = item
    return labelled


def _diff(before: Any, after: Any, path: str, name: str, out: list[dict[str, Any]]) -> None:
    """Each figure that differs, by its path; an item or key present at one point only is one
    change carrying the whole item."""
    def change(where: str, old: Any, new: Any) -> None:
        out.append({"path": where, "before": _clean(old), "after": _clean(new)})

    if isinstance(before, dict) and isinstance(after, dict):
        keys = [*before, *(key for key in after if key not in before)]
        for key in keys:
            if key in SKIPPED:
                continue
            where = f"{path}.{key}" if path else str(key)
            if key not in before or key not in after:
                change(where, before.get(key), after.get(key))
            else:
                _diff(before[key], after[key], where, str(key), out)
        return
    if isinstance(before, list) and isinstance(after, list):
        old, new = _keyed(before, name), _keyed(after, name)
        for label in [*old, *(label for label in new if label not in old)]:
            where = f"{path}[{label}]"
            if label not in old or label not in new:
                change(where, old.get(label), new.get(label))
            else:
                _diff(old[label], new[label], where, name, out)
        return
    if _clean(before) != _clean(after):
        change(path, before, after)


def _other_obligations(report: dict[str, Any]) -> dict[str, Any]:
    """The obligations that are not registration deadlines (those are the deadlines section)."""
    deadlines = {_deadline_key(item) for item in report.get("deadlines") or []}
    return {**report, "obligations": [item for item in report.get("obligations") or []
                                      if _deadline_key(item) not in deadlines]}


def diff_reports(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each section's changes from ``before`` to ``after`` (two ``report.to_json`` documents)."""
    before, after = _other_obligations(before), _other_obligations(after)
    result: dict[str, list[dict[str, Any]]] = {}
    for section, keys in SECTIONS.items():
        result[section] = []
        for key in keys:
            _diff(before.get(key), after.get(key), key, key, result[section])
    return result
