"""Sets of calendar days as sorted runs of inclusive day ordinals.

Registration Default days (RRA 3(e)) form a set of calendar days; holding it
as runs instead of one entry a day keeps a five-year default as cheap as a
five-day one, and makes "counted once however many defaults overlap" a union.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

Run = tuple[int, int]  # first and last day ordinal, inclusive
Days = tuple[Run, ...]

EMPTY: Days = ()


def normalize(runs: Iterable[Run]) -> Days:
    """Sorted, disjoint, and with touching runs joined (a maximal run of days)."""
    merged: list[list[int]] = []
    for first, last in sorted(run for run in runs if run[0] <= run[1]):
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return tuple((first, last) for first, last in merged)


def span(first: dt.date, last: dt.date) -> Days:
    """The days from ``first`` through ``last`` (empty when last < first)."""
    return ((first.toordinal(), last.toordinal()),) if first <= last else EMPTY


def union(*sets: Days) -> Days:
    return normalize(run for days in sets for run in days)


def intersect(a: Days, b: Days) -> Days:
    result: list[Run] = []
    i = j = 0
    while i < len(a) and j < len(b):
        first = max(a[i][0], b[j][0])
        last = min(a[i][1], b[j][1])
        if first <= last:
            result.append((first, last))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(result)


def subtract(a: Days, b: Days) -> Days:
    result: list[Run] = []
    j = 0
    for first, last in a:
        start = first
        while j < len(b) and b[j][1] < start:
            j += 1
        k = j
        while k < len(b) and b[k][0] <= last:
            if b[k][0] > start:
                result.append((start, b[k][0] - 1))
            start = max(start, b[k][1] + 1)
            k += 1
        if start <= last:
            result.append((start, last))
    return tuple(result)


def clip(days: Days, first: dt.date | None = None, last: dt.date | None = None) -> Days:
    """The days on or after ``first`` and on or before ``last``."""
    low = first.toordinal() if first else -(10**9)
    high = last.toordinal() if last else 10**9
    return intersect(days, ((low, high),))


def count(days: Days) -> int:
    return sum(last - first + 1 for first, last in days)


def dates(run: Run) -> tuple[dt.date, dt.date]:
    return dt.date.fromordinal(run[0]), dt.date.fromordinal(run[1])


def each_day(days: Days) -> Iterable[int]:
    """Every day ordinal of the set, in order (for small sets and reference checks)."""
    for first, last in days:
        yield from range(first, last + 1)
