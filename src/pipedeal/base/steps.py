"""A value that changes on some days: a step function of the calendar day.

The timeline keeps every figure that moves (shares held, the split factor,
the authorized Common, a statement's status) as one of these: appending a
change is O(1), reading the value on a day is a binary search, and a range of
days is cut into the runs over which the value is constant.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Steps(Generic[T]):
    """``value`` from the day of each change on (day ordinals), ``initial`` before the first."""

    __slots__ = ("_days", "_values", "initial")

    def __init__(self, initial: T):
        self.initial = initial
        self._days: list[int] = []
        self._values: list[T] = []

    def set(self, day: dt.date | int, value: T) -> None:
        """The value from ``day`` on; changes must come in date order (a later change
        on the same day replaces the earlier one)."""
        ordinal = day if isinstance(day, int) else day.toordinal()
        if self._days and ordinal < self._days[-1]:
            raise ValueError(f"a change on {dt.date.fromordinal(ordinal)} after one on "
                             f"{dt.date.fromordinal(self._days[-1])}: changes must come in date order")
        if self._days and ordinal == self._days[-1]:
            self._values[-1] = value
            return
        self._days.append(ordinal)
        self._values.append(value)

    @property
    def last(self) -> T:
        return self._values[-1] if self._values else self.initial

    def on(self, day: dt.date | int) -> T:
        ordinal = day if isinstance(day, int) else day.toordinal()
        index = bisect_right(self._days, ordinal) - 1
        return self._values[index] if index >= 0 else self.initial

    def changes(self) -> Iterator[tuple[dt.date, T]]:
        for ordinal, value in zip(self._days, self._values, strict=True):
            yield dt.date.fromordinal(ordinal), value

    def change_days(self) -> list[int]:
        return list(self._days)

    def runs(self, first: int, last: int) -> Iterator[tuple[int, int, T]]:
        """The days ``first`` through ``last`` (ordinals) cut where the value changes:
        ``(first, last, value)`` for each run of one value."""
        index = bisect_right(self._days, first) - 1
        start = first
        while start <= last:
            value = self._values[index] if index >= 0 else self.initial
            next_change = self._days[index + 1] if index + 1 < len(self._days) else None
            stop = last if next_change is None else min(last, next_change - 1)
            yield start, stop, value
            start, index = stop + 1, index + 1

    def __len__(self) -> int:
        return len(self._days)

    def __repr__(self) -> str:
        shown = ", ".join(f"{day}: {value!r}" for day, value in self.changes())
        return f"Steps(initial={self.initial!r}, {{{shown}}})"
