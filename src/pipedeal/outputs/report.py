"""The stable JSON of an evaluation (documented in the README).

Money and prices are exact decimal strings, dates ISO. Keys are only ever
added, never renamed: scripts and spreadsheets read this.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

from pipedeal import __version__
from pipedeal.base.money import exact_mul, exact_text, money_str, plain
from pipedeal.deal.terms import Terms
from pipedeal.engine.closing import closing_json
from pipedeal.engine.damages import InvestorDamages, collection_costs_owed
from pipedeal.engine.defaults import kind_clause, runs_of
from pipedeal.engine.evaluate import Evaluation
from pipedeal.engine.registration import Deadline
from pipedeal.engine.timeline import CertificateView, Timeline


def _count(value: Fraction) -> str | int:
    return value.numerator if value.denominator == 1 else exact_text(value)


def _deadline(deadline: Deadline) -> dict[str, Any]:
    data = {
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
    if deadline.ref:
        data["ref"] = deadline.ref
    return data


def _iso(day) -> str | None:
    return day.isoformat() if day else None


def _breach(breach) -> dict[str, Any]:
    return {**breach.as_dict(), "date": _iso(breach.date)}


def _exact(value: Fraction | None) -> str | None:
    return None if value is None else exact_text(value)


def _variant_figures(evaluation: Evaluation, result: InvestorDamages) -> dict[str, Any]:
    """PIPE-TERMS "Liquidated damages": the base used, the first period, the cap and whether (and
    on which day) it was reached, the installments with their due dates and payments, the credit
    and the late interest (rounded once per investor, beside ``accrued``)."""
    ld = evaluation.terms.liquidated_damages
    cap = result.cap
    late = ld.late_interest
    spelled: dict[int, tuple[object, str | None]] = {}

    def spell(value: Fraction | None) -> str | None:
        # The engine shares one Fraction where two figures are equal (an installment's accrued and
        # owed, its late interest and its one late part): spelled once, by identity. The value is
        # kept with its text, so no other object can take its id while the dict lives.
        known = spelled.get(id(value))
        if known is None:
            known = spelled[id(value)] = (value, _exact(value))
        return known[1]

    def cents(value: Decimal) -> str:
        # As spell, for the amounts (an installment paid in full shares its amount's Decimal).
        known = spelled.get(id(value))
        if known is None:
            known = spelled[id(value)] = (value, money_str(value))
        return known[1]  # type: ignore[return-value]

    return {
        "base": result.base,
        "base_amount": spell(result.base_amount),
        "first_period": ld.first_period,
        "cap": None if cap is None else {
            "rate": plain(cap.rate), "of": cap.of, "measure": spell(cap.measure), "amount": spell(cap.amount),
            "reached_on": _iso(cap.reached_on), "accrued_uncapped": spell(cap.uncapped),
            "days_after": cap.days_after},
        "payment_due": ld.payment.due,
        "installments": [
            {"source": row.source, "first": row.first.isoformat(), "last": row.last.isoformat(), "days": row.days,
             "period": None if row.period is None else row.period + 1, "accrued": spell(row.accrued_exact),
             "owed": spell(row.exact), "amount": cents(row.amount), "projected": row.projected,
             "counted_from": _iso(row.counted_from), "due": _iso(row.due), "paid": cents(row.paid),
             "settled_on": _iso(row.settled_on), "status": row.status,
             "late_interest": spell(row.late_interest),
             "late": [{"amount": cents(p.amount), "from": p.start.isoformat(), "to": p.end.isoformat(),
                       "days": p.days, "paid_on": _iso(p.paid_on), "interest": spell(p.interest)}
                      for p in row.late]}
            for row in result.installments],
        "fallen_due": money_str(result.fallen_due),
        "credit": money_str(result.credit),
        "late_interest": money_str(result.late_interest),
        "late_interest_exact": spell(result.late_interest_exact),
        "late_interest_rate": None if late == "none" else {"rate": plain(late.rate), "per": late.per},
    }


def _registration(evaluation: Evaluation) -> dict[str, Any]:
    defaults = evaluation.default_days
    if defaults is None:
        return {"registration_defaults": [], "lapse_exclusions": [], "liquidated_damages": {}, "repurchase": None,
                "obligations": [], "breaches": [_breach(b) for b in evaluation.breaches],
                "effectiveness_period": None}
    runs = [
        {"kind": kind, "clause": kind_clause(evaluation.terms, kind), "start": first.isoformat(),
         "end": last.isoformat(), "days": days}
        for kind, kind_days in defaults.kinds.items() for first, last, days in runs_of(kind_days)
    ]
    runs.sort(key=lambda run: (run["start"], run["kind"]))
    damages = {
        investor: {
            "accrued": money_str(result.accrued),
            "accrued_exact": exact_text(result.accrued_exact),
            "demanded": money_str(result.demanded),
            "paid": money_str(result.paid),
            "balance": money_str(result.balance),
            "due": _iso(result.due),
            "overdue": result.overdue,
            "collection_costs_payable": collection_costs_owed(evaluation.terms, result),
            "default_days": sum(period.days for period in result.periods),
            "periods": [{"start": p.first.isoformat(), "end": p.last.isoformat(), "days": p.days}
                        for p in result.periods],
            "excluded": [{"reason": excluded.reason, "clause": excluded.clause, "days": excluded.days}
                         for excluded in result.excluded],
            "demands": [{"date": d.date.isoformat(), "amount": money_str(d.amount), "effective": _iso(d.effective),
                         "effect": d.effect, "due": _iso(d.due), "status": d.status, "met_on": _iso(d.met_on)}
                        for d in result.demands],
            **_variant_figures(evaluation, result),
        }
        for investor, result in evaluation.damages.items()
    }
    repurchase = evaluation.repurchase
    period = defaults.period
    lapse_exclusions = [
        {"reason": exclusion.reason, "clause": exclusion.clause, "start": first.isoformat(), "end": last.isoformat(),
         "days": days, "window": None if exclusion.window is None else
         {"start": exclusion.window[0].isoformat(), "end": exclusion.window[1].isoformat()}}
        for exclusion in defaults.lapse_exclusions for first, last, days in runs_of(exclusion.days)]
    lapse_exclusions.sort(key=lambda row: row["start"])
    return {
        "registration_defaults": runs,
        "lapse_exclusions": lapse_exclusions,
        "liquidated_damages": damages,
        "repurchase": None if repurchase is None else {
            "status": repurchase.status,
            "reason": repurchase.reason,
            "elected_on": _iso(repurchase.elected_on),
            "default_start": _iso(repurchase.default_start),
            "election_deadline": _iso(repurchase.election_deadline),
            "paid_on": _iso(repurchase.paid_on),
            "payment_deadline": _iso(repurchase.payment_deadline),
            "amounts": {investor: money_str(amount) for investor, amount in repurchase.amounts.items()},
            "shares": dict(repurchase.shares),
        },
        "obligations": [_deadline(deadline) for deadline in evaluation.obligations],
        "breaches": [_breach(b) for b in evaluation.breaches],
        "effectiveness_period": {
            "start": _iso(period.start), "end": _iso(period.end), "reason": period.reason,
            "reading": period.reading,
            "lots": [{"lot": lot.name, "id": lot.lot_id, "acquired": lot.acquired.isoformat(),
                      "holding_from": lot.holding_from.isoformat(),
                      "rule144k_date": lot.rule144k_date.isoformat(), "bears_damages": lot.bears_damages}
                     for lot in period.lots],
        },
    }


def _warrant(cert: CertificateView, timeline: Timeline, as_of) -> dict[str, Any]:
    price = (cert.closing_price if cert.status not in ("outstanding", "expired") and cert.closing_price is not None
             else timeline.exercise_price(min(as_of, cert.closed_on or as_of)))
    return {
        "id": cert.id,
        "holder": cert.holder,
        "shares": _count(cert.shares),
        "exercise_price": None if price is None else plain(price),
        "issue_date": cert.issue_date.isoformat(),
        "status": cert.status,
        "parent": cert.parent,
        "parents": list(cert.parents),
        "origin": cert.origin,
        "original_issue_date": _iso(cert.original_issue_date),
        "closed_on": _iso(cert.closed_on),
    }


def _fraction_text(value: Fraction) -> str:
    return exact_text(value)


def _warrant_activity(evaluation: Evaluation) -> dict[str, Any]:
    reservation = evaluation.reservation
    return {
        "reservation": None if reservation is None else {
            "as_of": reservation.as_of.isoformat(),
            "reserved": _count(reservation.reserved),
            "required": _count(reservation.required),
            "authorized": reservation.authorized,
            "outstanding": _count(reservation.outstanding),
            "headroom": _count(reservation.headroom),
        },
        "exercises": [exercise_json(r) for r in evaluation.exercises],
        "adjustments": [
            {"kind": n.kind, "clause": n.clause, "date": n.date.isoformat(), "record_date": _iso(n.record_date),
             "effective_from": n.effective_from.isoformat(), "until": _iso(n.until), "facts": n.facts,
             "computation": list(n.computation),
             "other_property": [{"asset": a, "quantity": plain(q)} for a, q in n.other_property],
             "rows": [{"warrant": row.warrant, "holder": row.holder,
                       "shares_before": _fraction_text(row.shares_before),
                       "shares_after": _fraction_text(row.shares_after),
                       "price_before": plain(row.price_before), "price_after": plain(row.price_after)}
                      for row in n.rows]}
            for n in evaluation.adjustments
        ],
    }


def _capitalization(evaluation: Evaluation) -> dict[str, Any]:
    """SPA 4.3, 6.2; W 15: one snapshot as of the evaluation date (every figure of the same
    day), beside what the Closing issued."""
    closing = evaluation.capitalization
    now = evaluation.timeline.capitalization_on(evaluation.as_of)
    return {
        "as_of": evaluation.as_of.isoformat(),
        "common_authorized": now.authorized,
        "common_outstanding_before_closing": closing.common_outstanding_before,
        "outstanding_before_closing_as_of": closing.as_of.isoformat(),
        "shares_issued_at_closing": closing.shares_issued_at_closing,
        "common_outstanding_after_closing": closing.common_outstanding_after,
        "common_outstanding": now.outstanding,
        "preferred_authorized": closing.preferred_authorized,
        "preferred_outstanding": closing.preferred_outstanding,
        "warrant_shares_outstanding": _count(now.warrant_shares_outstanding),
        "reserved_for_warrants": _count(now.reserved),
        "unreserved_authorized": _count(now.headroom),
        "at_closing": {
            "common_authorized": closing.common_authorized,
            "common_outstanding": closing.common_outstanding_after,
            "warrant_shares_outstanding": closing.warrant_shares_outstanding,
            "reserved_for_warrants": closing.reserved_for_warrants,
            "unreserved_authorized": closing.unreserved_authorized,
        },
    }


def _instant(value) -> str | None:
    return value.isoformat() if value else None


def deal_notices(evaluation: Evaluation) -> tuple[Terms, list[dict[str, Any]]]:
    """``pipedeal notices`` for one deal (a module-level function: ``evaluate_ledger`` may run it in a
    worker): the deal's terms and its notices."""
    return evaluation.terms, notices_json(evaluation)


def notices_json(evaluation: Evaluation) -> list[dict[str, Any]]:
    """SPA 12.1, RRA 8: every notice sent by the evaluation date, in the order applied: who sent
    it to whom and how, when it took effect for each recipient (the moment in the recipient's
    local time, the rule and the calendar used) and what it started (``clocks``)."""
    rows = []
    for view in evaluation.notices:
        record = view.sent
        rows.append({
            "type": record.kind,
            "date": record.date.isoformat(),
            "from": record.sender,
            "to": list(record.recipients),
            "subject": record.subject,
            "method": record.method,
            "sent_at": _instant(record.sent_at),
            "received_at": _instant(record.received_at),
            "effective": _iso(record.effective),
            "status": view.status,
            "recipients": [
                {"party": r.party, "effective": _iso(r.day), "effective_at": _instant(r.at), "rule": r.rule or None,
                 "calendar": r.calendar, "timezone": r.timezone, "reason": r.reason}
                for r in record.receipts],
            "started": [{"what": c.what, "due": _iso(c.due), "clause": c.clause, "status": c.status,
                         "text": c.text()} for c in view.clocks],
            "source": {"file": record.file, "line": record.line, "seq": record.seq},
        })
    return rows


def _lot(lot, timeline: Timeline, as_of) -> dict[str, Any]:
    return {"lot": lot.id, "kind": lot.kind, "label": lot.label, "acquired": lot.acquired.isoformat(),
            "holding_from": lot.holding_from.isoformat(), "acquired_shares": lot.acquired_shares,
            "held": lot.held.on(as_of),
            "sold": sum(count for day, count in timeline.sales.get(lot.id, ()) if day <= as_of),
            "repurchased": lot.repurchased}


def to_json(evaluation: Evaluation) -> dict[str, Any]:
    terms = evaluation.terms
    pricing = evaluation.pricing
    names = {inv.id: inv.name for inv in terms.investors}
    return {
        "pipedeal": __version__,
        "deal": terms.deal.name,
        "as_of": evaluation.as_of.isoformat(),
        "closing_date": evaluation.closing_date.isoformat() if evaluation.closing_date else None,
        "pricing": None if pricing is None else {
            "market_price": None if pricing.market_price is None else plain(pricing.market_price),
            "exercise_price": pricing.exercise_price_text,
            "exercise_price_exact": plain(pricing.exercise_price_exact),
            "exercise_price_rounding": pricing.exercise_price_rounding,
            "purchase_price": money_str(pricing.purchase_price) if pricing.purchase_price_rounding != "none"
            else plain(pricing.purchase_price) if pricing.purchase_price.as_tuple().exponent < -2  # type: ignore[operator]
            else money_str(pricing.purchase_price),
            "purchase_price_exact": plain(pricing.purchase_price_exact),
            "market_price_figure": pricing.figure,
            "quotes_used": [
                {"date": quote.date.isoformat(), pricing.figure or "value": plain(quote.value),
                 **({"volume": quote.volume} if quote.volume is not None else {})}
                for quote in pricing.quotes_used
            ],
            "computation": list(pricing.computation),
        },
        "allocations": [
            {
                "investor": allocation.investor,
                "name": names[allocation.investor],
                "subscription": money_str(allocation.subscription),
                "shares": allocation.shares,
                "warrant_shares": allocation.warrant_shares,
                "aggregate_purchase_price": money_str(exact_mul(allocation.purchase_price, allocation.shares)),
                "warrant_purchase_price": None if allocation.warrant_purchase_price is None
                else money_str(allocation.warrant_purchase_price),
            }
            for allocation in evaluation.allocations
        ],
        "capitalization": _capitalization(evaluation),
        "deadlines": [_deadline(deadline) for deadline in evaluation.deadlines],
        "holdings": {
            party: {
                "purchased_shares_held": _count(holding.purchased_held),
                "other_shares_held": _count(holding.other_held),
                "shares_sold": _count(holding.sold),
                "lots": [_lot(lot, evaluation.timeline, evaluation.as_of) for lot in evaluation.timeline.lots_of(party)
                         if lot.acquired <= evaluation.as_of],
            }
            for party, holding in evaluation.state.holdings.items()
        },
        "warrants": [_warrant(cert, evaluation.timeline, evaluation.as_of)
                     for cert in evaluation.state.certificates.values()],
        "interpretations": {entry.key: entry.value for entry in evaluation.terms.ambiguities},
        "readings": [{"key": entry.key, "field": entry.field, "value": entry.value, "clause": entry.clause,
                      "set_on_command_line": entry.key in evaluation.readings}
                     for entry in evaluation.terms.ambiguities],
        **_registration(evaluation),
        **_warrant_activity(evaluation),
        "notices": notices_json(evaluation),
        "closing": closing_json(terms, evaluation.timeline.checklist, evaluation.closing_date, evaluation.as_of),
        "events_applied": evaluation.events_applied,
        "problems": [problem.as_dict() for problem in evaluation.problems],
    }


def obligation_json(deal: str, obligation: Deadline) -> dict[str, Any]:
    """One obligation of ``pipedeal obligations`` (RULES §5): the report's fields, plus the deal, the duty's
    kind, who it is owed to, what triggers it, its waiver and its clause's words."""
    return {"deal": deal, **_deadline(obligation), "kind": obligation.kind, "owed_to": list(obligation.owed_to),
            "trigger": obligation.trigger, "waived_by": list(obligation.waived_by),
            "waived_on": _iso(obligation.waived_on), "quote": obligation.quote}


def exercise_json(r) -> dict[str, Any]:
    """One warrant exercise (W 3, W 4) as ``exercises[]`` and ``pipedeal exercise --json`` print it."""
    return {"warrant": r.warrant, "holder": r.holder, "date": r.date.isoformat(), "method": r.method,
            "shares_exercised": _fraction_text(r.shares_exercised), "exercise_price": plain(r.exercise_price),
            "aggregate_price": money_str(r.aggregate_price),
            "average_price": None if r.average_price is None else plain(r.average_price),
            "average_price_day": _iso(r.average_price_day), "shares_due": _fraction_text(r.shares_due),
            "shares_issued": r.shares_issued, "fraction": _fraction_text(r.fraction),
            "fraction_cash": money_str(r.fraction_cash),
            "other_property": [{"asset": a, "quantity": plain(q)} for a, q in r.other_property],
            "remainder_certificate": r.remainder_certificate, "delivery_due": r.delivery_due.isoformat(),
            "holding_period_start": r.holding_period_start.isoformat(), "computation": list(r.computation)}


def deal_parties(evaluation: Evaluation) -> set[str]:
    """Every party id of the evaluated deal: the Company, the Investors and the other parties."""
    terms = evaluation.terms
    return {party.id for party in (terms.company, *terms.investors, *terms.parties)}


def obligation_rows(evaluation: Evaluation) -> tuple[list[dict[str, Any]], set[str]]:
    """``pipedeal obligations`` for one deal (a module-level function: ``evaluate_ledger`` may run it
    in a worker): each obligation's row and the deal's parties."""
    name = evaluation.terms.deal.name
    return [obligation_json(name, obligation) for obligation in evaluation.all_obligations], deal_parties(evaluation)


def covenant_rows(day: dt.date, evaluation: Evaluation) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``pipedeal covenants --on day`` for one deal: the covenants live that day (RULES §5) and the
    obligations still pending."""
    from pipedeal.engine.obligations import live_covenants

    name = evaluation.terms.deal.name
    due = next((d.due for d in evaluation.deadlines if d.kind == "rs_effectiveness"), None)
    period = evaluation.default_days.period if evaluation.default_days else None
    live = live_covenants(evaluation.terms, evaluation.timeline, evaluation.calendars, day, due,
                          period.start if period else None, period.end if period else None,
                          period.reason if period else "")
    return ([covenant_json(name, covenant) for covenant in live],
            [obligation_json(name, o) for o in evaluation.all_obligations if o.status == "pending"])


def covenant_json(deal: str, covenant) -> dict[str, Any]:
    """One covenant live on a day (``pipedeal covenants --on``)."""
    return {"deal": deal, "covenant": covenant.covenant, "clause": covenant.clause, "quote": covenant.quote,
            "start": _iso(covenant.start), "end": _iso(covenant.end), "detail": covenant.detail}
