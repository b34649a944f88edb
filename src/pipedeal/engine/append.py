"""Checking events before they join a ledger: the fold, continued from where it stood.

An append is checked by continuing the fold from the checkpoint kept for the
ledger's head, so its cost does not grow with the history. Without a
checkpoint, or for an event dated before the latest recorded one (which can
make a recorded event impossible), the whole history is folded again. The recorded history is
always read with its corrections applied (``engine.history``), and the checkpoint kept for a head
is the fold of that corrected history: a correction folds everything again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pipedeal.base.diagnostics import Diagnostic, InputError
from pipedeal.engine.checkpoint import resume, take
from pipedeal.engine.events import Correction
from pipedeal.engine.history import Recorded, known_history
from pipedeal.engine.timeline import Context, Fold, Located


@dataclass(frozen=True)
class AppendCheck:
    problems: list[Diagnostic]
    checkpoint: dict[str, Any] | None  # the fold's state after the new events (when they are accepted)


def _continue(folding: Fold, new: Sequence[Located]) -> list[Diagnostic]:
    """Run the new events on a fold that has applied everything recorded; their problems."""
    known = len(folding.problems)
    folding.add(new)
    folding.run(dt.date.fromordinal(folding.last_event) if folding.last_event else None)
    return folding.problems[known:]


def _accepted(folding: Fold, problems: list[Diagnostic]) -> AppendCheck:
    errors = any(problem.severity == "error" for problem in problems)
    return AppendCheck(problems, None if errors else take(folding))


def check_append(ctx: Context, new: Sequence[Located], *, existing: Callable[[], Sequence[Located]],
                 checkpoint: dict[str, Any] | None = None) -> AppendCheck:
    """The problems new events would have in the ledger, and the checkpoint after them.

    ``existing`` loads the recorded events (in seq order), and is called only when the
    checkpoint cannot serve: a conflict a back-dated event makes with a recorded one is
    reported naming the ledger row."""
    first_new = min((item.event.applies_on.toordinal() for item in new), default=None)
    if checkpoint is not None and first_new is not None:
        try:
            folding = resume(ctx, checkpoint)
        except (ValueError, KeyError, TypeError):
            folding = None  # an unreadable cache: fold the events instead
        if folding is not None and (folding.last_event is None or first_new >= folding.last_event):
            return _accepted(folding, _continue(folding, new))
    recorded = list(existing())
    folding = Fold(ctx)
    folding.add(recorded)
    if folding.last_event is not None:
        folding.run(dt.date.fromordinal(folding.last_event))  # later start-of-day effects wait for the new events
    known = {(p.code, p.seq, p.line, p.message) for p in folding.problems}
    if first_new is None or folding.last_event is None or first_new >= folding.last_event:
        return _accepted(folding, _continue(folding, new))
    again = Fold(ctx)
    again.add([*recorded, *new])
    again.run(dt.date.fromordinal(again.last_event) if again.last_event else None)
    problems = []
    for problem in again.problems:
        if problem.seq is not None:
            if (problem.code, problem.seq, problem.line, problem.message) in known:
                continue
            problem = Diagnostic(problem.code, f"ledger event #{problem.seq} would become invalid: {problem.message}",
                                 problem.file, problem.line, problem.field, seq=problem.seq)
        problems.append(problem)
    return _accepted(again, problems)


def check_rewrite(ctx: Context, before: Sequence[Located], after: Sequence[Located]) -> AppendCheck:
    """The problems a correction brings: the whole corrected history (``after``) is folded
    again, since a corrected fact may make a recorded event impossible (a sale beyond the
    holdings a corrected sale left); problems the history already had (``before``) are not
    repeated, and one a recorded event newly has names its ledger row."""
    known = Fold(ctx)
    known.add(before)
    known.run(dt.date.fromordinal(known.last_event) if known.last_event else None)
    seen = {(p.code, p.seq, p.line, p.message) for p in known.problems}
    again = Fold(ctx)
    again.add(after)
    again.run(dt.date.fromordinal(again.last_event) if again.last_event else None)
    problems = []
    for problem in again.problems:
        if (problem.code, problem.seq, problem.line, problem.message) in seen:
            continue
        if problem.seq is not None:
            problem = Diagnostic(problem.code, f"ledger event #{problem.seq} would become invalid: {problem.message}",
                                 problem.file, problem.line, problem.field, seq=problem.seq)
        problems.append(problem)
    return _accepted(again, problems)


def check_ledger_append(ctx: Context, new: Sequence[Located], *, head_seq: int,
                        recorded: Callable[[], Sequence[Recorded]],
                        checkpoint: dict[str, Any] | None = None) -> AppendCheck:
    """The problems new events would have at the end of a ledger whose rows ``recorded`` loads
    (called only when needed), read as the ledger reads them (``engine.history``: corrections
    applied). New events take the seqs after ``head_seq``. A batch with a correction is checked
    by folding the corrected history whole (``check_rewrite``); a bad correction (unknown or
    already corrected seq) is a problem naming its line."""
    if not any(isinstance(item.event, Correction) for item in new):
        return check_append(ctx, new, existing=lambda: known_history(recorded()).events, checkpoint=checkpoint)
    rows = list(recorded())
    try:
        after = known_history([*rows, *(Recorded(item, head_seq + number, None)
                                        for number, item in enumerate(new, start=1))]).events
    except InputError as refusal:
        return AppendCheck(refusal.problems, None)
    return check_rewrite(ctx, known_history(rows).events, after)
