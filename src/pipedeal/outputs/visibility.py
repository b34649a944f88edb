"""What one investor may see of a deal's documents: its own, never another investor's.

The parties to a PIPE have opposed interests: the Company and its counsel see everything, but each
Investor may see only its own holdings, damages, warrants, notices and documents. Every document
pipedeal shows a party is a JSON value read from the timeline (``outputs.report``), so one pure
filter over those values serves every page, API response and download alike.

The filter is structural first and textual second:

- a mapping keyed by another investor's id (``liquidated_damages``, ``holdings``) loses that key;
- a record whose party field (``investor``, ``holder``, ``party``, ...) names another investor is
  dropped whole, and so is any record holding a text that names one (its id as a word, its legal
  name, or a notice address that is not the viewer's own): a computation step, a problem, a notice;
- a list of party ids loses the other investors' ids (an obligation owed to every investor stays,
  owed to the viewer);
- a sum over the investors (``AGGREGATES``: the Closing's totals) is dropped: beside the viewer's own
  figure it would tell the others' (with two investors, exactly).

``leaks`` is the last guard: what of another investor a rendered body still holds (its id, name
or address); the web refuses to send a body where it finds any.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

PARTY_FIELDS = frozenset({"investor", "holder", "party", "owed_to", "owed_by", "recipient", "sender", "to", "from",
                          "transferee", "transferor", "signed_by", "by", "investor_id", "holder_name"})
_DROP = object()


@dataclass(frozen=True)
class Others:
    """Another investor's marks: what must never reach the viewer."""

    ids: frozenset[str]
    texts: tuple[str, ...]  # legal names and notice addresses (not shared with the viewer)
    pattern: re.Pattern[str] | None

    def named_in(self, text: str) -> bool:
        return self.pattern is not None and self.pattern.search(text) is not None


def others_of(terms: Any, investor: str) -> Others:
    """The marks of every investor of ``terms`` but ``investor``. A notice address the viewer shares
    (two funds of one manager) is the viewer's own, so it is not withheld."""
    own = next(entry for entry in terms.investors if entry.id == investor)
    own_texts = {own.name, own.address}
    ids, texts = set(), set()
    for entry in terms.investors:
        if entry.id == investor:
            continue
        ids.add(entry.id)
        texts.update(text for text in (entry.name, entry.address) if text and text not in own_texts)
    parts = [rf"(?<![\w-]){re.escape(one)}(?![\w-])" for one in sorted(ids)]
    parts += [re.escape(text) for text in sorted(texts, key=len, reverse=True)]
    return Others(frozenset(ids), tuple(sorted(texts)), re.compile("|".join(parts)) if parts else None)


AGGREGATES = (("closing", "totals"),)
"""Where a document holds a sum over every investor (a path of mapping keys)."""


def for_investor(document: Any, others: Others) -> Any:
    """``document`` (a JSON value) as ``others``' fellow investor may see it."""
    if not others.ids:
        return document
    seen = _filtered(document, others)
    if seen is _DROP:
        return None
    for path in AGGREGATES:
        holder = seen
        for key in path[:-1]:
            holder = holder.get(key) if isinstance(holder, dict) else None
        if isinstance(holder, dict) and path[-1] in holder:
            holder = {k: v for k, v in holder.items() if k != path[-1]}
            seen = _replaced(seen, path[:-1], holder)
    return seen


def _replaced(document: dict, path: tuple[str, ...], value: Any) -> dict:
    """``document`` with the value at ``path`` replaced (copies along the path: the input is shared)."""
    if not path:
        return value
    return {**document, path[0]: _replaced(document[path[0]], path[1:], value)}


def _filtered(value: Any, others: Others) -> Any:
    if isinstance(value, str):
        return _DROP if others.named_in(value) else value
    if isinstance(value, list):
        kept = []
        for item in value:
            seen = _filtered(item, others)
            if seen is not _DROP:
                kept.append(seen)
        return kept
    if isinstance(value, dict):
        for key in PARTY_FIELDS.intersection(value):
            named = value[key]
            if isinstance(named, str) and named in others.ids:
                return _DROP
            if isinstance(named, list) and named and all(isinstance(x, str) and x in others.ids for x in named):
                return _DROP
        kept_dict: dict[str, Any] = {}
        for key, item in value.items():
            if key in others.ids or others.named_in(key):
                continue
            seen = _filtered(item, others)
            if seen is _DROP:
                if isinstance(item, str):
                    return _DROP  # a record that names another investor in its own words is about it
                kept_dict[key] = None
            else:
                kept_dict[key] = seen
        return kept_dict
    return value


def leaks(body: str, others: Others) -> list[str]:
    """What of another investor ``body`` still shows (ids as words, names, addresses)."""
    if others.pattern is None:
        return []
    return sorted({match.group(0) for match in others.pattern.finditer(body)})
