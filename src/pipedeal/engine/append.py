"""Checking events before they join a ledger: the fold, continued from where it stood.

An append is checked by continuing the fold from the checkpoint kept for the
ledger's head, so its cost does not grow with the history. Without a
checkpoint, or for an event dated before the latest recorded one (which can
make a recorded event impossible), the whole history is folded again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pipedeal.base.diagnostics import Diagnostic
from pipedeal.engine.checkpoint import resume, take
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
