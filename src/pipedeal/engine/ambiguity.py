"""What each reading of the agreement is worth: every interpretation key, the value
in force, and each investor's damages under every alternative, side by side."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pipedeal.base.money import money_str
from pipedeal.base.quotes import QuoteBook
from pipedeal.deal.interpretations import CATALOGUE, LD_KEYS
from pipedeal.deal.terms import Terms
from pipedeal.engine.evaluate import Calendars, evaluate
from pipedeal.engine.timeline import Located


def money_at_stake(
    terms: Terms, events: Sequence[Located], quotes: QuoteBook, calendars: Calendars, as_of: dt.date
) -> dict[str, Any]:
    """RULES.md: "every output that depends on one says so and can show the figure
    under each alternative". One evaluation per value of each key, the others as in force."""
    in_force = terms.interpretations.as_dict()
    explicit = terms.interpretations.model_fields_set
    keys = []
    for entry in CATALOGUE:
        values = []
        base = None
        for value in entry.values:
            result = evaluate(terms, events, quotes, calendars, as_of, {entry.key: value})
            damages = {investor: r.accrued for investor, r in result.damages.items()}
            total = sum(damages.values(), Decimal("0.00"))
            row = {
                "value": value,
                "in_force": value == in_force[entry.key],
                "liquidated_damages": {investor: money_str(amount) for investor, amount in damages.items()},
                "total": money_str(total),
                "exercise_price": result.pricing.exercise_price_text if result.pricing else None,
            }
            if value == in_force[entry.key]:
                base = damages
            values.append(row)
        for row in values:
            row["difference"] = {
                investor: money_str(Decimal(amount) - base[investor]) for investor, amount in
                row["liquidated_damages"].items()
            } if base is not None else {}
        keys.append({
            "key": entry.key,
            "clause": entry.clause,
            "question": entry.question,
            "text": entry.text,
            "in_force": in_force[entry.key],
            "set_in_terms": entry.key in explicit,
            "affects_damages": entry.key in LD_KEYS,
            "values": values,
        })
    return {"deal": terms.deal.name, "as_of": as_of.isoformat(), "keys": keys}
