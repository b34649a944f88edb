"""What the command line and the web workspace both do with a deal's documents and previews, in one place:
a liquidated damages statement or demand letter, and a warrant exercise (cash and cashless side by side).

Each function takes the deal's loaded inputs (``storage.workspace.load_inputs``) and its evaluation, so
the command line (which loads them from --db/--events/--prices) and the web (which reads them from its
cached ``DealState``) compute the same figures the same way. ``source`` and the ``*_field`` arguments
name the caller's own words in a refusal (``command line``/``--shares`` or ``web``/``shares``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pipedeal.base.diagnostics import Diagnostic, InputError

METHODS = ("cash", "cashless")


def data_note(inputs) -> str:
    """Where the figures came from, printed in a document's footer (with any broken-ledger warning)."""
    return " ".join([f"Quotes: {inputs.quotes_source}. Events: {inputs.events_source}.", *inputs.warning_lines()])


def statement_html(inputs, evaluation, investor: str, *, letter: bool, today: dt.date | None,
                   source: str = "command line") -> str:
    """RRA 3(e): the liquidated damages statement of ``investor`` (a demand letter before it with ``letter``),
    as the HTML ``outputs.documents.render_pdf`` prints."""
    from pipedeal.outputs.documents import render_statement_html

    try:
        return render_statement_html(evaluation, investor, letter=letter, today=today if letter else None,
                                     data_note=data_note(inputs), ledger_anchor=inputs.ledger_anchor)
    except ValueError as exc:
        raise InputError([Diagnostic("STATEMENT-REFUSED", f"{investor}: {exc}", source)]) from None


def share_number(text: str, field: str = "--shares", source: str = "command line"):
    """A number of warrant shares as typed: an int when whole, else its exact decimal text."""
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InputError([Diagnostic("CLI-BAD-SHARES", f"{field} {text!r} is not a number", source,
                                     field=field)]) from None
    if not value.is_finite():
        raise InputError([Diagnostic("CLI-BAD-SHARES", f"{field} {text!r} is not a number", source,
                                     field=field)])
    return int(value) if value == value.to_integral_value() else str(value)


def exercise_event(warrant: str, shares: str, method: str, date: str, *, shares_field: str = "--shares",
                   source: str = "command line"):
    """W 3: the exercise event described (a bad field is the user's mistake, named by the event's field)."""
    from pipedeal.engine.events import parse_events

    data = {"type": "warrant_exercise", "date": date, "warrant": warrant,
            "shares": share_number(shares, shares_field, source), "method": method}
    [(_, event)] = parse_events(json.dumps(data), source)
    return event


def with_event(inputs, calendars, event, source: str = "command line"):
    """The deal evaluated with ``event`` added to its log, as of the event's date."""
    from pipedeal.engine.evaluate import evaluate
    from pipedeal.engine.timeline import Located

    return evaluate(inputs.terms, [*inputs.events, Located(event, source, None)], inputs.quotes, calendars,
                    event.date)


def exercise_outcomes(inputs, calendars, warrant: str, shares: str, date: str, *, shares_field: str = "--shares",
                      source: str = "command line") -> dict[str, tuple[Any, Any, list[Diagnostic] | None]]:
    """W 3, W 4: the exercise by cash and by cashless exercise, each as ``(event, result, problems)``: the
    result (None when refused, or when no figure can be had) or the problems that refuse it."""
    outcomes: dict[str, tuple[Any, Any, list[Diagnostic] | None]] = {}
    for way in METHODS:
        event = exercise_event(warrant, shares, way, date, shares_field=shares_field, source=source)
        try:
            result = with_event(inputs, calendars, event, source)
            outcomes[way] = (event, result.exercises[-1] if result.exercises else None, None)
        except InputError as refusal:
            outcomes[way] = (event, None, refusal.problems)
    return outcomes


def _same_shares(exercised, asked) -> bool:
    """Whether a recorded exercise's shares are the shares asked for (exactly, as fractions)."""
    from decimal import Decimal
    from fractions import Fraction

    if asked == "all":
        return True
    return Fraction(exercised) == Fraction(Decimal(str(asked)))


def exercise_preview(inputs, evaluation, calendars, warrant: str, shares: str, method: str, date: str, *,
                     shares_field: str = "--shares", source: str = "command line"):
    """W 3: the exercise as recorded in the ledger (``evaluation`` is the deal as of its date), or as it
    would be if recorded now: ``(evaluation, result, data note)`` for the Notice of Exercise."""
    event = exercise_event(warrant, shares, method, date, shares_field=shares_field, source=source)
    for result in evaluation.exercises:
        # A recorded exercise is the form's only if it is the one asked for, the shares included.
        if ((result.warrant, result.date, result.method) == (warrant, event.date, method)
                and _same_shares(result.shares_exercised, event.shares)):
            return evaluation, result, data_note(inputs)
    evaluation = with_event(inputs, calendars, event, source)
    if not evaluation.exercises:
        raise InputError([Diagnostic("DOCUMENT-REFUSED", f"no figures for the exercise of {warrant}: the "
                                     "Exercise Price is unknown", source)])
    return evaluation, evaluation.exercises[-1], data_note(inputs)
