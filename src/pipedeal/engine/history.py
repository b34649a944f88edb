"""What the record said at a moment: the one place that selects the events recorded by then and
applies the corrections, before the fold.

Every event has the instant it was recorded: a ledger row's ``recorded_at`` (the ledger's own clock
at append), or, for an event file read without a ledger, the line's ``recorded_at``. As known on
an instant T (inclusive), the deal's history is the events recorded at or before T, each
``correction`` among them standing in the place of the event it supersedes. The fold never sees a
correction: it gets a plain event list in recorded order, which its queue applies by the day each
event applies on (ties in that recorded order), so every command reads the same history.

Pure: no clock, no I/O; the instants arrive as arguments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from pipedeal.base.diagnostics import Diagnostic, InputError
from pipedeal.engine.events import Correction
from pipedeal.engine.timeline import Located


class Recorded(NamedTuple):
    """An event as recorded: where it came from, its sequence number (a ledger row's seq, or
    its place among a file's events, the first being 1) and the instant it was recorded
    (aware; None when an event file gives none). A tuple: a ledger of 100,000 rows makes as many."""

    item: Located
    number: int
    recorded_at: dt.datetime | None


@dataclass(frozen=True)
class KnownHistory:
    """The events as known on ``known_on`` (None: everything recorded), corrections applied."""

    events: list[Located]
    known_on: dt.datetime | None
    recorded: int  # events recorded in all
    known: int  # of them recorded by ``known_on``
    corrections: int  # corrections among the known ones, applied

    def describe(self) -> str:
        """One phrase for a report's source line: what was read of the record."""
        parts = []
        if self.known_on is not None:
            parts.append(f"as known on {self.known_on.isoformat()}: {self.known} of {self.recorded} events")
        if self.corrections:
            parts.append(f"{self.corrections} correction{'s' if self.corrections != 1 else ''} applied")
        return "; ".join(parts)


def known_history(records: Sequence[Recorded], known_on: dt.datetime | None = None) -> KnownHistory:
    """The history the record gave at ``known_on`` (inclusive; None: all of it), from the
    records in sequence order.

    A correction replaces the event it supersedes from its own recording on: before, the
    original stands. A correction of a correction replaces the correction, in the place of the
    event first corrected. Refused (``InputError``, naming each correction): one that
    supersedes a sequence number that is not an earlier event, and one that supersedes an event
    already corrected (the message names the correction to correct instead). With ``known_on``,
    an event that gives no recorded instant cannot be placed in time and is refused too.
    """
    problems: list[Diagnostic] = []
    selected = records
    if known_on is not None:
        for record in records:
            if record.recorded_at is None:
                problems.append(record.item.diagnostic(
                    "KNOWN-ON-UNRECORDED", f"--known-on {known_on.isoformat()}: this event gives no recorded_at, "
                    "so when it became known cannot be told; give each line its recorded_at", "recorded_at"))
        if problems:
            raise InputError(problems)
        selected = [record for record in records if record.recorded_at <= known_on]  # type: ignore[operator]
    if not any(type(record.item.event) is Correction for record in selected):
        # Nothing to correct (the common case, kept cheap for a ledger of 100,000 rows).
        return KnownHistory([record.item for record in selected], known_on, len(records), len(selected), 0)
    numbers = {record.number for record in records}
    in_place: dict[int, int] = {}  # a standing event's number -> the number of the place it holds
    place: dict[int, Located] = {}  # place number -> the event standing there now
    corrected_by: dict[int, int] = {}  # a superseded number -> the correction that superseded it
    corrections = 0
    for record in selected:  # in sequence order
        event = record.item.event
        if not isinstance(event, Correction):
            in_place[record.number] = record.number
            place[record.number] = record.item
            continue
        target = event.supersedes
        if target >= record.number or target not in numbers:
            problems.append(record.item.diagnostic(
                "CORRECTION-UNKNOWN-SEQ", f"supersedes {target}: there is no earlier event with that sequence "
                f"number to correct", "supersedes"))
            continue
        if target in corrected_by:
            problems.append(record.item.diagnostic(
                "CORRECTION-SUPERSEDED", f"supersedes {target}: that event was already corrected by seq "
                f"{corrected_by[target]}; correct the correction (supersedes {corrected_by[target]}) instead",
                "supersedes"))
            continue
        corrected_by[target] = record.number
        corrections += 1
        # The target was recorded before the correction; absent only if it was not yet known
        # (a clock set back): then the corrected fact is all that was known.
        at = in_place.pop(target, record.number)
        in_place[record.number] = at
        place[at] = Located(event.event, record.item.file, record.item.line, record.item.seq)
    if problems:
        raise InputError(problems)
    # A corrected event holds the place (the recorded order) of the event it replaces.
    return KnownHistory([place[number] for number in sorted(place)], known_on, len(records), len(selected),
                        corrections)
