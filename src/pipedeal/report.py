"""The stable JSON of an evaluation (documented in the README).

Money and prices are exact decimal strings, dates ISO. Keys are only ever
added, never renamed: scripts and spreadsheets read this.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from . import __version__
from .evaluate import Evaluation
from .ledger import Certificate
from .money import exact_mul, fraction_to_decimal, money_str, plain
from .registration import Deadline


def _count(value: Fraction) -> str | int:
    return value.numerator if value.denominator == 1 else plain(fraction_to_decimal(value))


def _deadline(deadline: Deadline) -> dict[str, Any]:
    return {
        "id": deadline.id,
        "clause": deadline.clause,
        "party": deadline.party,
        "duty": deadline.duty,
        "due": deadline.due.isoformat(),
        "unrolled_due": deadline.unrolled_due.isoformat(),
        "status": deadline.status,
        "met_on": deadline.met_on.isoformat() if deadline.met_on else None,
        "met_by": deadline.met_by,
        "computation": [
            {"clause": step.clause, "text": step.text,
             "date": step.date.isoformat() if step.date else None}
            for step in deadline.steps
        ],
    }


def _warrant(cert: Certificate, evaluation: Evaluation) -> dict[str, Any]:
    price = None
    if evaluation.pricing is not None:
        factor = 1 / evaluation.state.share_factor
        price = plain(fraction_to_decimal(Fraction(evaluation.pricing.exercise_price) * factor))
    return {
        "id": cert.id,
        "holder": cert.holder,
        "shares": _count(cert.shares),
        "exercise_price": price,
        "issue_date": cert.issue_date.isoformat(),
        "status": cert.status,
        "parent": cert.parent,
    }


def to_json(evaluation: Evaluation) -> dict[str, Any]:
    terms = evaluation.terms
    pricing = evaluation.pricing
    cap = evaluation.capitalization
    names = {inv.id: inv.name for inv in terms.investors}
    return {
        "pipedeal": __version__,
        "deal": terms.deal.name,
        "as_of": evaluation.as_of.isoformat(),
        "closing_date": evaluation.closing_date.isoformat() if evaluation.closing_date else None,
        "pricing": None if pricing is None else {
            "market_price": plain(pricing.market_price),
            "exercise_price": plain(pricing.exercise_price),
            "exercise_price_exact": plain(pricing.exercise_price_exact),
            "exercise_price_rounding": pricing.exercise_price_rounding,
            "purchase_price": money_str(terms.pricing.purchase_price),
            "quotes_used": [
                {"date": quote.date.isoformat(), "bid": plain(quote.bid)}
                for quote in pricing.quotes_used
            ],
        },
        "allocations": [
            {
                "investor": allocation.investor,
                "name": names[allocation.investor],
                "subscription": money_str(allocation.subscription),
                "shares": allocation.shares,
                "warrant_shares": allocation.warrant_shares,
                "aggregate_purchase_price": money_str(
                    exact_mul(terms.pricing.purchase_price, allocation.shares)),
            }
            for allocation in evaluation.allocations
        ],
        "capitalization": {
            "as_of": cap.as_of.isoformat(),
            "common_authorized": cap.common_authorized,
            "common_outstanding_before_closing": cap.common_outstanding_before,
            "shares_issued_at_closing": cap.shares_issued_at_closing,
            "common_outstanding_after_closing": cap.common_outstanding_after,
            "common_outstanding": _count(evaluation.state.common_outstanding),
            "preferred_authorized": cap.preferred_authorized,
            "preferred_outstanding": cap.preferred_outstanding,
            "warrant_shares_outstanding": cap.warrant_shares_outstanding,
            "reserved_for_warrants": cap.reserved_for_warrants,
            "unreserved_authorized": cap.unreserved_authorized,
        },
        "deadlines": [_deadline(deadline) for deadline in evaluation.deadlines],
        "holdings": {
            party: {
                "purchased_shares_held": _count(holding.purchased_held),
                "other_shares_held": _count(holding.other_held),
                "shares_sold": _count(holding.sold),
            }
            for party, holding in evaluation.state.holdings.items()
        },
        "warrants": [_warrant(cert, evaluation)
                     for cert in evaluation.state.certificates.values()],
        "interpretations": {
            key: value for key, value in evaluation.terms.interpretations.as_dict().items()
        },
        "events_applied": evaluation.events_applied,
        "problems": [problem.as_dict() for problem in evaluation.problems],
    }
