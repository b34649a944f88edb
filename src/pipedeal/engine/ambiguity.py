"""What each reading of the agreement is worth: every interpretation key, the value
in force, and each investor's damages under every alternative, side by side; and, for
``--strict``, which unconfirmed readings actually move the figures asked for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from pipedeal.base.calendars import Calendars
from pipedeal.base.money import money_str
from pipedeal.base.quotes import QuoteBook
from pipedeal.deal.readings import affects_damages, values
from pipedeal.deal.terms import Ambiguity, Terms
from pipedeal.engine.evaluate import Evaluation, evaluate
from pipedeal.engine.timeline import Located


def money_at_stake(
    terms: Terms, events: Sequence[Located], quotes: QuoteBook, calendars: Calendars, as_of: dt.date,
    readings: dict[str, Any] | None = None, progress: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """RULES.md: "every output that depends on one says so and can show the figure
    under each alternative". For each of the deal's ``[[ambiguities]]``, one evaluation per
    value, the others as in force (or as ``readings`` set them). ``progress`` is called after each
    evaluation (``alternatives_count`` of them): a caller's progress bar."""
    readings = readings or {}
    keys = []
    for entry in terms.ambiguities:
        current = readings.get(entry.key, entry.value)
        rows = []
        base = None
        for value in values(entry):
            result = evaluate(terms, events, quotes, calendars, as_of, {**readings, entry.key: value})
            if progress is not None:
                progress()
            damages = {investor: r.accrued for investor, r in result.damages.items()}
            total = sum(damages.values(), Decimal("0.00"))
            row = {
                "value": value,
                "in_force": value == current,
                "liquidated_damages": {investor: money_str(amount) for investor, amount in damages.items()},
                "total": money_str(total),
                "exercise_price": result.pricing.exercise_price_text if result.pricing else None,
            }
            if value == current:
                base = damages
            rows.append(row)
        for row in rows:
            row["difference"] = {
                investor: money_str(Decimal(amount) - base[investor]) for investor, amount in
                row["liquidated_damages"].items()
            } if base is not None else {}
        keys.append({
            "key": entry.key,
            "field": entry.field,
            "clause": entry.clause,
            "question": entry.question,
            "text": entry.why,
            "in_force": current,
            "set_on_command_line": entry.key in readings,
            "affects_damages": affects_damages(entry),
            "values": rows,
        })
    return {"deal": terms.deal.name, "as_of": as_of.isoformat(), "keys": keys}


def alternatives_count(terms: Terms) -> int:
    """How many evaluations ``money_at_stake`` makes: one per value of each of the deal's readings."""
    return sum(len(values(entry)) for entry in terms.ambiguities)


def damages_figures(result: Evaluation) -> tuple:
    """What ``ld`` reports: each investor's damages accrued, demanded, paid and due, and the
    repurchase price."""
    repurchase = result.repurchase
    owed = tuple((investor, r.accrued, r.demanded, r.paid, r.due, r.balance) for investor, r in result.damages.items())
    return (owed, (repurchase.status, tuple(repurchase.amounts.items())) if repurchase else None)


def all_figures(result: Evaluation) -> tuple:
    """What ``report`` states: prices, allocations, every deadline and obligation with its
    status, the default days of each kind, the damages, breaches, exercises, the register and
    the day each notice took effect."""
    pricing = result.pricing
    days = result.default_days
    return (
        (pricing.purchase_price, pricing.exercise_price) if pricing else None,
        tuple((a.investor, a.shares, a.warrant_shares, a.subscription) for a in result.allocations),
        tuple((d.id, d.due, d.status, d.met_on) for d in (*result.deadlines, *result.obligations)),
        tuple(days.kinds.items()) if days else None,
        damages_figures(result),
        tuple((b.code, b.date) for b in result.breaches),
        tuple((e.warrant, e.date, e.shares_issued, e.fraction_cash, e.delivery_due) for e in result.exercises),
        tuple((a.effective_from, a.rows) for a in result.adjustments),
        # SPA 12.1: when each notice took effect (notice_before_hours moves a fax before opening).
        tuple((n.sent.kind, n.sent.date, n.sent.effective) for n in result.notices),
    )


def readings_that_move(
    terms: Terms, events: Sequence[Located], quotes: QuoteBook, calendars: Calendars, result: Evaluation,
    readings: dict[str, Any], damages_only: bool,
) -> list[Ambiguity]:
    """``--strict``: each ambiguity not confirmed with ``--set`` under one of whose other
    readings the figures asked for (damages only, or the whole report) come out differently.
    A reading the figures do not depend on as of this date needs no confirmation."""
    figures = damages_figures if damages_only else all_figures
    in_force = figures(result)
    moving = []
    for entry in terms.ambiguities:
        if entry.key in readings or (damages_only and not affects_damages(entry)):
            continue
        for value in entry.alternatives:
            other = evaluate(terms, events, quotes, calendars, result.as_of, {**readings, entry.key: value})
            if figures(other) != in_force:
                moving.append(entry)
                break
    return moving
