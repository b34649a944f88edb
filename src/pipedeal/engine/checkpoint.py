"""Where the fold stood after the last recorded event, as plain JSON, so that an append
checks its new events without folding the whole ledger again.

A checkpoint keeps what the fold needs to judge a later event (each lot's shares, the
register, the capitalization now, the statements, the W 11 factors, W 12 reductions and the
Exercise Price the anti-dilution adjustments set, the effects still to come) and nothing it
needs only to report (past sales, exercises, notices, a certificate's shares before an
anti-dilution share adjustment). A fold resumed from one is for validation only: its timeline lacks the history.
The ledger stores a checkpoint beside the head it belongs to and uses it only while that
head is still the ledger's head; anything else (no checkpoint, a back-dated event) folds
the whole history.

A checkpoint is the fold of the corrected history (``engine.history``) of every row up to its
head, keyed by that head's seq and hash: only an append, which always extends the head, reads
one. An evaluation ``--known-on`` an earlier instant never does (it folds the rows recorded by
then), so no checkpoint built from later events can leak into it; a correction folds the whole
corrected history again and keeps the checkpoint of that.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

from pipedeal.base.steps import Steps
from pipedeal.engine import events as ev
from pipedeal.engine.closing import Tick
from pipedeal.engine.pricing import Allocation, Pricing, QuoteUsed
from pipedeal.engine.timeline import Certificate, Context, Fold, Lapse, Located, Lot, Statement

VERSION = 4  # 4: the Closing's checklist (engine/closing.py) and the CHECKLIST phase of a day


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _fraction(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def _last(steps: Steps) -> list[Any]:
    """The value in force and the day it took effect (ordinal; None before any change)."""
    days = steps.change_days()
    return [days[-1] if days else None, steps.last]


def _steps(initial: Any, pairs: list[list[Any]], read=lambda value: value) -> Steps:
    steps: Steps = Steps(read(initial))
    for ordinal, value in pairs:
        if ordinal is not None:
            steps.set(ordinal, read(value))
    return steps


def _history(steps: Steps, write=lambda value: value) -> list[list[Any]]:
    return [[day.toordinal(), write(value)] for day, value in steps.changes()]


def _located(item: Located | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {"event": ev.event_to_json(item.event), "file": item.file, "line": item.line, "seq": item.seq}


def _relocated(data: dict[str, Any] | None) -> Located | None:
    if data is None:
        return None
    return Located(ev.parse_event(data["event"]), data["file"], data["line"], data["seq"])


def take(fold: Fold) -> dict[str, Any]:
    """The fold's state as JSON-ready data."""
    pricing = fold.pricing
    return {
        "version": VERSION,
        "order": fold.order,
        "last_key": list(fold.last_key) if fold.last_key else None,
        "last_event": fold.last_event,
        "events_applied": fold.events_applied,
        "problems": [[p.code, p.seq, p.line, p.message] for p in fold.problems],
        "closing_date": _day(fold.closing_date),
        "pricing": None if pricing is None else {
            "market_price": None if pricing.market_price is None else str(pricing.market_price),
            "purchase": [str(pricing.purchase_price), str(pricing.purchase_price_exact),
                         pricing.purchase_price_rounding],
            "exercise": [str(pricing.exercise_price), str(pricing.exercise_price_exact),
                         pricing.exercise_price_rounding],
            "quotes_used": [[q.date.isoformat(), str(q.value), q.volume] for q in pricing.quotes_used],
            "figure": pricing.figure, "computation": list(pricing.computation)},
        "allocations": [[a.investor, str(a.subscription), a.shares, a.warrant_shares, str(a.purchase_price),
                         None if a.warrant_purchase_price is None else str(a.warrant_purchase_price)]
                        for a in fold.allocations],
        "window": None if fold.window is None else [day.isoformat() for day in fold.window],
        "base_price": None if fold.base_price is None else str(fold.base_price),
        "exercise_base": [_fraction(fold.exercise_base.initial), _history(fold.exercise_base, _fraction)],
        "lots": [{"id": lot.id, "party": lot.party, "kind": lot.kind, "acquired": lot.acquired.isoformat(),
                  "holding_from": lot.holding_from.isoformat(), "acquired_shares": lot.acquired_shares,
                  "held": _last(lot.held), "sold": lot.sold, "repurchased": lot.repurchased, "label": lot.label,
                  "cost": None if lot.cost is None else str(lot.cost)}
                 for lot in fold.lots],
        "certificates": [{
            "id": c.id, "holder": c.holder, "base_shares": _fraction(c.base_shares),
            "issue_date": c.issue_date.isoformat(),
            "parents": list(c.parents), "origin": c.origin, "original_issue_date": c.original_issue_date.isoformat(),
            "status": c.status, "closed_on": _day(c.closed_on), "closed_from": _day(c.closed_from),
            "closing_price": None if c.closing_price is None else str(c.closing_price),
            "closing_shares": None if c.closing_shares is None else _fraction(c.closing_shares)}
            for c in fold.certificates.values()],
        "outstanding_ids": list(fold.outstanding_ids),
        "factor": _fraction(fold.factor),
        "warrant_factor": _history(fold.warrant_factor, _fraction),
        "capital": _fraction(fold.capital),
        "capital_factor": _history(fold.capital_factor, _fraction),
        "authorized": _last(fold.authorized),
        "outstanding": _last(fold.outstanding),
        "reserved": [_last(fold.reserved)[0], _fraction(fold.reserved.last)],
        "required": _last(fold.required),
        "warrant_shares": [_last(fold.warrant_shares)[0], _fraction(fold.warrant_shares.last)],
        "whole_required": fold.whole_required,
        "base_outstanding": _fraction(fold.base_outstanding),
        "reductions": [[start.isoformat(), end.isoformat(), _fraction(price)] for start, end, price in fold.reductions],
        "other_property": [_last(fold.other_property)[0],
                           None if fold.other_property.last is None else
                           [[asset.asset, str(asset.quantity)] for asset in fold.other_property.last]],
        "statements": [{
            "name": s.name, "filed": [d.isoformat() for d in s.filed], "amended": [d.isoformat() for d in s.amended],
            "full_review": [d.isoformat() for d in s.full_review], "clearance": [d.isoformat() for d in s.clearance],
            "effective": [d.isoformat() for d in s.effective],
            "lapses": [[lapse.start.isoformat(), sorted(lapse.reasons), _day(lapse.restored)] for lapse in s.lapses],
            "in_effect": _history(s.in_effect)} for s in fold.statements],
        "corporate_action_notices": [ev.event_to_json(n) for n in fold.facts.get(ev.CorporateActionNotice, ())],
        "reserve_ok": fold.reserve_ok,
        "headroom_ok": fold.headroom_ok,
        "expired_on": _day(fold.expired_on),
        "queue": [[ordinal, phase, order, kind, _located(item)] for ordinal, phase, order, kind, item in fold.queue],
        # SPA 2.1(b): the checklist events applied, replayed on resume (they are few and judge nothing later).
        "checklist": [_located(Located(t.event, t.file, t.line, t.seq)) for t in fold.checklist.ticks],
        "checklist_closed_on": _day(fold.checklist.closed_on),
    }


def resume(ctx: Context, data: dict[str, Any]) -> Fold:
    """A fold standing where ``take`` found it (its timeline lacks the history: validation only)."""
    if data.get("version") != VERSION:
        raise ValueError(f"checkpoint version {data.get('version')!r} is not {VERSION}")
    fold = Fold(ctx)
    fold.order = data["order"]
    fold.last_key = tuple(data["last_key"]) if data["last_key"] else None  # type: ignore[assignment]
    fold.last_event = data["last_event"]
    fold.events_applied = data["events_applied"]
    from pipedeal.base.diagnostics import Diagnostic

    fold.problems = [Diagnostic(code, message, seq=seq, line=line) for code, seq, line, message in data["problems"]]
    fold.closing_date = _date(data["closing_date"])
    pricing = data["pricing"]
    if pricing is not None:
        purchase, exercise = pricing["purchase"], pricing["exercise"]
        fold.pricing = Pricing(
            None if pricing["market_price"] is None else Decimal(pricing["market_price"]),
            Decimal(purchase[0]), Decimal(purchase[1]), purchase[2], Decimal(exercise[0]), Decimal(exercise[1]),
            exercise[2], tuple(QuoteUsed(dt.date.fromisoformat(day), Decimal(value), volume)
                               for day, value, volume in pricing["quotes_used"]),
            pricing["figure"], tuple(pricing["computation"]))
    fold.allocations = tuple(
        Allocation(investor, Decimal(subscription), shares, warrants, Decimal(price),
                   None if unit is None else Decimal(unit))
        for investor, subscription, shares, warrants, price, unit in data["allocations"])
    fold.window = None if data["window"] is None else tuple(  # type: ignore[assignment]
        dt.date.fromisoformat(day) for day in data["window"])
    fold.base_price = None if data["base_price"] is None else Decimal(data["base_price"])
    initial, changes = data["exercise_base"]
    fold.exercise_base = _steps(initial, changes, Fraction)
    for item in data["lots"]:
        held: Steps[int] = _steps(0, [item["held"]])
        lot = Lot(item["id"], item["party"], item["kind"], dt.date.fromisoformat(item["acquired"]),
                  dt.date.fromisoformat(item["holding_from"]), item["acquired_shares"], held, item["sold"],
                  item["repurchased"], item["label"],
                  None if item.get("cost") is None else Decimal(item["cost"]))  # absent in an older checkpoint
        fold.lots.append(lot)
        fold.lots_by_party.setdefault(lot.party, []).append(lot)
    for item in data["certificates"]:
        fold.certificates[item["id"]] = Certificate(
            item["id"], item["holder"], Fraction(item["base_shares"]), dt.date.fromisoformat(item["issue_date"]),
            tuple(item["parents"]), item["origin"], dt.date.fromisoformat(item["original_issue_date"]),
            item["status"], _date(item["closed_on"]), _date(item["closed_from"]),
            None if item["closing_price"] is None else Decimal(item["closing_price"]),
            None if item["closing_shares"] is None else Fraction(item["closing_shares"]))
    fold.outstanding_ids = dict.fromkeys(data["outstanding_ids"])
    fold.factor = Fraction(data["factor"])
    fold.warrant_factor = _steps("1", data["warrant_factor"], Fraction)
    fold.capital = Fraction(data["capital"])
    fold.capital_factor = _steps("1", data["capital_factor"], Fraction)
    cap = ctx.terms.capitalization
    fold.authorized = _steps(cap.common_authorized, [data["authorized"]])
    fold.outstanding = _steps(cap.common_outstanding, [data["outstanding"]])
    fold.reserved = _steps("0", [data["reserved"]], Fraction)
    fold.required = _steps(0, [data["required"]])
    fold.warrant_shares = _steps("0", [data["warrant_shares"]], Fraction)
    fold.whole_required = data["whole_required"]
    fold.base_outstanding = Fraction(data["base_outstanding"])
    fold.reductions = [(dt.date.fromisoformat(start), dt.date.fromisoformat(end), Fraction(price))
                       for start, end, price in data["reductions"]]
    since, basket = data["other_property"]
    if since is not None:
        fold.other_property.set(since, None if basket is None else tuple(
            ev.Asset(asset=name, quantity=Decimal(quantity)) for name, quantity in basket))
    fold.statements = []
    for item in data["statements"]:
        statement = Statement(item["name"], [dt.date.fromisoformat(d) for d in item["filed"]],
                              [dt.date.fromisoformat(d) for d in item["amended"]],
                              [dt.date.fromisoformat(d) for d in item["full_review"]],
                              [dt.date.fromisoformat(d) for d in item["clearance"]],
                              [dt.date.fromisoformat(d) for d in item["effective"]],
                              [Lapse(dt.date.fromisoformat(start), frozenset(reasons), _date(restored))
                               for start, reasons, restored in item["lapses"]],
                              _steps(False, item["in_effect"]))
        fold.statements.append(statement)
    fold.facts[ev.CorporateActionNotice] = [ev.parse_event(n) for n in data["corporate_action_notices"]]
    fold.reserve_ok, fold.headroom_ok = data["reserve_ok"], data["headroom_ok"]
    fold.expired_on = _date(data["expired_on"])
    fold.queue = [(ordinal, phase, order, kind, _relocated(item))
                  for ordinal, phase, order, kind, item in data["queue"]]
    for entry in data["checklist"]:
        item = _relocated(entry)
        assert item is not None
        fold.checklist.apply(item.event, Tick(item.event, item.file, item.line, item.seq),
                             fold.funds_due(item.event.date))
    fold.checklist.closed_on = _date(data["checklist_closed_on"])
    return fold
