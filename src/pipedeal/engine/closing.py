"""The Closing as a checked process (SPA 2.1, 13.9; issue 12): the conditions checklist,
the deliverables and the funds flow.

The terms' ``[closing]`` block lists each condition (whose it is, what satisfies it), each
deliverable (what, from whom, to whom) and the finder. The fold (``engine/timeline.py``)
applies the checklist events to a ``Checklist`` in the documented order (on one day they
come before the ``closing`` event) and asks it, at the ``closing`` event, what is still open:

- a condition is open until it is satisfied (a ``condition_satisfied`` event for a
  signature, a bring-down or a legal permission; for a delivery condition, the delivery of
  each deliverable it lists) or waived by the side it protects (``condition_waived``);
- an investor's funds are short until its wires add up to its subscription, to the cent;
  a wire beyond the subscription is refused.

With conditions in the terms, a ``closing`` event is refused while anything is open, the
checklist recorded or not (issue 12: "A closing event is refused while a condition is neither
satisfied nor waived"). A log written before the checklist existed is mended by appending the
checklist's events dated on or before the Closing: the fold applies them first, whenever they
were recorded. Only a deal whose terms list no condition (no ``[closing]`` block) closes as a
bare fact.

The funds flow (``funds_flow``) reads the checklist: each investor's wires, the finder's fee
(SPA 13.9: the rate times each introduced investor's subscription, half-up to the cent) and
the net proceeds to the Company.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pipedeal.base.formats import money
from pipedeal.deal.terms import ClosingTerms, Condition, Deliverable, Terms
from pipedeal.engine import events as ev

CENT = Decimal("0.01")
SIDE_WORDS = {"company": "the Company", "investors": "the Investors", "both": "both sides"}


class Refusal(Exception):
    """A checklist event the terms or the checklist make impossible (the fold records it as a problem)."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


@dataclass(frozen=True)
class Tick:
    """One checklist event as the checklist keeps it: the event and where it was recorded."""

    event: ev.EventBase
    file: str | None = None
    line: int | None = None
    seq: int | None = None


@dataclass
class Checklist:
    """The state of the Closing's checklist: what the events so far have satisfied, waived, wired and delivered."""

    terms: Terms
    satisfied: dict[str, Tick] = field(default_factory=dict)  # condition id -> its condition_satisfied
    waived: dict[str, Tick] = field(default_factory=dict)  # condition id -> its condition_waived
    wires: dict[str, list[Tick]] = field(default_factory=dict)  # investor -> its funds_received, in order
    delivered: dict[tuple[str, str | None], Tick] = field(default_factory=dict)  # (deliverable, investor) -> event
    ticks: list[Tick] = field(default_factory=list)  # every checklist event applied, in order
    closed_on: dt.date | None = None
    due: dict[str, Decimal] | None = None  # each investor's funds as last checked (``expected_funds`` on the day)

    @property
    def closing(self) -> ClosingTerms | None:
        return self.terms.closing

    # -- reading -----------------------------------------------------------------------------------
    def condition(self, condition_id: str) -> Condition | None:
        closing = self.closing
        return next((c for c in closing.conditions if c.id == condition_id), None) if closing else None

    def deliverable(self, deliverable_id: str) -> Deliverable | None:
        closing = self.closing
        return next((d for d in closing.deliverables if d.id == deliverable_id), None) if closing else None

    def received(self, investor: str) -> Decimal:
        return sum((tick.event.amount for tick in self.wires.get(investor, ())), Decimal(0))  # type: ignore[attr-defined]

    def recipients(self, item: Deliverable) -> tuple[str | None, ...]:
        """The deliveries a deliverable needs: one per investor when from or to each_investor, else one."""
        if "each_investor" in (item.from_, item.to):
            return tuple(inv.id for inv in self.terms.investors)
        return (None,)

    def deliverable_done(self, item: Deliverable, subscriptions: dict[str, Decimal]) -> bool:
        if item.kind == "funds":
            return all(self.received(inv) == subscriptions.get(inv, Decimal(0)) for inv in subscriptions)
        return all((item.id, who) in self.delivered for who in self.recipients(item))

    def condition_status(self, condition: Condition, subscriptions: dict[str, Decimal]) -> str:
        """satisfied, waived or open."""
        if condition.id in self.waived:
            return "waived"
        if condition.satisfied_by == "delivery":
            items = [self.deliverable(i) for i in condition.deliverables]
            if all(item is not None and self.deliverable_done(item, subscriptions) for item in items):
                return "satisfied"
        elif condition.id in self.satisfied:
            return "satisfied"
        return "open"

    def open_conditions(self, subscriptions: dict[str, Decimal]) -> list[Condition]:
        closing = self.closing
        if closing is None:
            return []
        return [c for c in closing.conditions if self.condition_status(c, subscriptions) == "open"]

    def short_funds(self, subscriptions: dict[str, Decimal]) -> list[tuple[str, Decimal, Decimal]]:
        """(investor, received, subscription) for each investor whose wires differ from its subscription."""
        return [(inv, self.received(inv), due) for inv, due in subscriptions.items() if self.received(inv) != due]

    # -- the transitions -----------------------------------------------------------------------------
    def apply(self, event: ev.EventBase, tick: Tick, subscriptions: dict[str, Decimal]) -> None:
        """One checklist event; raises ``Refusal`` (nothing changes) when the terms or the state forbid it."""
        closing = self.closing
        self.due = subscriptions
        if closing is None:
            raise Refusal("CLOSING-NO-CHECKLIST", f"a {event.type} event needs a [closing] block in the terms "  # type: ignore[attr-defined]
                          "(its conditions and deliverables)", "type")
        if self.closed_on is not None and not self._after_closing_allowed(event):
            raise Refusal("CLOSING-CHECKLIST-CLOSED", f"the Closing happened on {self.closed_on}: its conditions and "
                          "funds are settled (a delivery no condition lists may still be recorded)", "date")
        if isinstance(event, ev.ConditionSatisfied):
            self._satisfy(event, tick)
        elif isinstance(event, ev.ConditionWaived):
            self._waive(event, tick)
        elif isinstance(event, ev.FundsReceived):
            self._wire(event, tick, subscriptions)
        elif isinstance(event, ev.DeliverableDelivered):
            self._deliver(event, tick)
        self.ticks.append(tick)

    def _after_closing_allowed(self, event: ev.EventBase) -> bool:
        if not isinstance(event, ev.DeliverableDelivered) or self.closing is None:
            return False
        return not any(event.deliverable in c.deliverables for c in self.closing.conditions)

    def _known_condition(self, condition_id: str) -> Condition:
        found = self.condition(condition_id)
        if found is None:
            known = ", ".join(c.id for c in self.closing.conditions)  # type: ignore[union-attr]
            raise Refusal("CLOSING-UNKNOWN-CONDITION", f"no condition {condition_id!r} in [[closing.conditions]] "
                          f"(conditions: {known})", "condition")
        if condition_id in self.waived or condition_id in self.satisfied:
            done = self.waived.get(condition_id) or self.satisfied[condition_id]
            raise Refusal("CLOSING-CONDITION-SETTLED", f"condition {condition_id} was already "
                          f"{'waived' if condition_id in self.waived else 'satisfied'} on {done.event.date}",
                          "condition")
        return found

    def _satisfy(self, event: ev.ConditionSatisfied, tick: Tick) -> None:
        condition = self._known_condition(event.condition)
        if condition.satisfied_by == "delivery":
            raise Refusal("CLOSING-SATISFIED-BY-DELIVERY", f"condition {condition.id} is satisfied by the delivery of "
                          f"{', '.join(condition.deliverables)}: record deliverable_delivered (or funds_received) "
                          "events, or waive it", "condition")
        if event.by is not None and self.terms.party(event.by) is None:
            raise Refusal("EVENT-UNKNOWN-PARTY", f"no party {event.by!r} in the terms file", "by")
        self.satisfied[condition.id] = tick

    def _waive(self, event: ev.ConditionWaived, tick: Tick) -> None:
        """SPA 2.1(b): a condition is waived only by the side it protects ("as a condition to the Company's
        obligations" is the Company's to waive); a condition of both sides needs both."""
        condition = self._known_condition(event.condition)
        needed = {"company", "investors"} if condition.protects == "both" else {condition.protects}
        missing = needed - set(event.sides)
        if missing:
            raise Refusal("CLOSING-WAIVER-SIDE", f"condition {condition.id} protects {SIDE_WORDS[condition.protects]}: "
                          f"only {' and '.join(SIDE_WORDS[s] for s in sorted(needed))} may waive it, and "
                          f"{' and '.join(SIDE_WORDS[s] for s in sorted(missing))} did not sign", "sides")
        self.waived[condition.id] = tick

    def _wire(self, event: ev.FundsReceived, tick: Tick, subscriptions: dict[str, Decimal]) -> None:
        """SPA 2.1(a)(i), (b)(ii): an investor's wires add up to its Purchase Price, never beyond it."""
        due = subscriptions.get(event.investor, Decimal(0))
        total = self.received(event.investor) + event.amount
        if total > due:
            raise Refusal("CLOSING-FUNDS-EXCESS", f"{event.investor}'s wires would total {money(total)}, beyond its "
                          f"subscription of {money(due)}", "amount")
        self.wires.setdefault(event.investor, []).append(tick)

    def _deliver(self, event: ev.DeliverableDelivered, tick: Tick) -> None:
        item = self.deliverable(event.deliverable)
        if item is None:
            known = ", ".join(d.id for d in self.closing.deliverables) or "none"  # type: ignore[union-attr]
            raise Refusal("CLOSING-UNKNOWN-DELIVERABLE", f"no deliverable {event.deliverable!r} in "
                          f"[[closing.deliverables]] (deliverables: {known})", "deliverable")
        if item.kind == "funds":
            raise Refusal("CLOSING-SATISFIED-BY-DELIVERY", f"{item.id} is funds: record funds_received events "
                          "(investor, amount)", "deliverable")
        per_investor = "each_investor" in (item.from_, item.to)
        if per_investor and event.investor is None:
            way = "by" if item.from_ == "each_investor" else "to"
            raise Refusal("EVENT-MISSING-FIELD", f"{item.id} is delivered {way} each investor: name the investor",
                          "investor")
        if not per_investor and event.investor is not None:
            raise Refusal("EVENT-INVALID", f"{item.id} is one delivery from {item.from_} to {item.to}: it names no "
                          "investor", "investor")
        key = (item.id, event.investor)
        if key in self.delivered:
            raise Refusal("CLOSING-DELIVERED-TWICE", f"{item.id}{' to ' + event.investor if event.investor else ''} "
                          f"was already delivered on {self.delivered[key].event.date}", "deliverable")
        self.delivered[key] = tick

    def close(self, day: dt.date, subscriptions: dict[str, Decimal]) -> None:
        """SPA 2.1(b), 1.4: the Closing happens only once every condition is satisfied or waived and each
        investor's funds equal its subscription; raises ``Refusal`` naming what is open, and how a log written
        without its checklist is mended (see the module docstring)."""
        self.due = subscriptions
        if self.closing is not None:
            problems = []
            open_ = self.open_conditions(subscriptions)
            if open_:
                problems.append("conditions neither satisfied nor waived: " + "; ".join(
                    f"{c.id} ({c.title})" for c in open_))
            short = self.short_funds(subscriptions)
            if short:
                problems.append("funds received differ from the subscription: " + "; ".join(
                    f"{inv} {money(got)} of {money(due)}" for inv, got, due in short))
            if problems:
                mend = ("" if self.ticks else " (the log records no checklist event: record condition_satisfied, "
                        "condition_waived, funds_received and deliverable_delivered events dated on or before the "
                        "Closing; they apply before it whenever recorded)")
                raise Refusal("CLOSING-CONDITIONS-OPEN", "the Closing cannot happen: " + "; and ".join(problems)
                              + mend, "type")
        self.closed_on = day


def expected_funds(terms: Terms, price: Decimal | None = None) -> dict[str, Decimal]:
    """What each investor wires at the Closing (SPA 2.1(a)(i): "their proportionate amount of the Purchase
    Price"): its subscription; for an investor that states only shares, its shares at the Purchase Price
    (plus warrant shares at the warrant purchase price): the fixed one, else ``price`` (a discount deal's, as
    the quotes give it for the Closing day). Without a price, such an investor is absent."""
    from pipedeal.base.diagnostics import InputError
    from pipedeal.engine.pricing import allocate, fixed_purchase_price

    known = {inv.id: inv.subscription for inv in terms.investors if inv.subscription is not None}
    price = fixed_purchase_price(terms) or price
    if len(known) < len(terms.investors) and price is not None:
        with contextlib.suppress(InputError):  # evaluate() names a bad allocation at its terms line
            known = {a.investor: a.subscription for a in allocate(terms, price)}
    return known


def closing_json(terms: Terms, checklist: Checklist | None, closing_date: dt.date | None,
                 as_of: dt.date) -> dict[str, Any]:
    """The report's ``closing`` section: the checklist (each condition and delivery, its status, evidence and
    who), the funds flow (each investor's wires, the finder's fee, the net proceeds) and what is still open.
    Each record about one investor names it in ``investor`` (outputs/visibility.py keeps it from the others)."""
    from pipedeal.base.money import money_str, plain

    closing = terms.closing
    if closing is None or checklist is None:
        return {"checklist": "none", "status": "closed" if closing_date else "open",
                "closing_date": _iso(closing_date), "conditions": [], "deliverables": [], "funds": [],
                "finder": None, "totals": None, "open": []}
    expected = checklist.due if checklist.due is not None else expected_funds(terms)
    fees = finder_fee(terms, expected)
    names = {inv.id: inv.name for inv in terms.investors}

    def where(tick: Tick | None) -> dict[str, Any]:
        if tick is None:
            return {"date": None, "evidence": None, "source": None, "line": None, "seq": None}
        event = tick.event  # where it was recorded: its ledger seq, or its line (the file is the command's own)
        return {"date": event.date.isoformat(), "evidence": getattr(event, "evidence", None) or event.note,
                "source": event.source, "line": tick.line, "seq": tick.seq}

    deliveries = []
    for item in closing.deliverables:
        base = {"deliverable": item.id, "what": item.what, "kind": item.kind, "from": item.from_, "to": item.to,
                "clause": item.clause, "quote": item.quote}
        if item.kind == "funds":
            continue  # the funds flow below
        for who in checklist.recipients(item):
            tick = checklist.delivered.get((item.id, who))
            listed = [c for c in closing.conditions if item.id in c.deliverables]
            waived = bool(listed) and all(c.id in checklist.waived for c in listed)
            row = {**base, "status": "delivered" if tick else "waived" if waived else
                   "open",
                   **where(tick)}
            if who is not None:
                row["investor"] = who
            deliveries.append(row)
    conditions = []
    for condition in closing.conditions:
        status = checklist.condition_status(condition, expected)
        tick = checklist.waived.get(condition.id) or checklist.satisfied.get(condition.id)
        if tick is None and status == "satisfied":  # a delivery condition: its last delivery
            ticks = [t for (d, _), t in checklist.delivered.items() if d in condition.deliverables]
            ticks += [t for inv in expected for t in checklist.wires.get(inv, ())
                      if any(checklist.deliverable(d) is not None and checklist.deliverable(d).kind == "funds"  # type: ignore[union-attr]
                             for d in condition.deliverables)]
            tick = max(ticks, key=lambda t: t.event.date, default=None)
        event = tick.event if tick else None
        conditions.append({
            "id": condition.id, "title": condition.title, "clause": condition.clause, "quote": condition.quote,
            "protects": condition.protects, "satisfied_by": condition.satisfied_by,
            "deliverables": list(condition.deliverables), "status": status,
            "by": getattr(event, "by", None), "sides": list(getattr(event, "sides", []) or []),
            **where(tick)})
    funds = []
    for investor, due in expected.items():
        got = checklist.received(investor)
        funds.append({
            "investor": investor, "name": names[investor], "subscription": money_str(due), "received": money_str(got),
            "status": "received" if got == due else "short",
            "wires": [{"date": t.event.date.isoformat(), "amount": money_str(t.event.amount),  # type: ignore[attr-defined]
                       "reference": t.event.reference, "line": t.line, "seq": t.seq}  # type: ignore[attr-defined]
                      for t in checklist.wires.get(investor, ())],
            "introduced": investor in fees, "finder_fee": money_str(fees[investor]) if investor in fees else None})
    finder = closing.finder
    received = sum((checklist.received(inv) for inv in expected), Decimal(0))
    fee_total = sum(fees.values(), Decimal(0))
    open_items = [f"{c['id']}: {c['title']}" for c in conditions if c["status"] == "open"]
    open_items += [f"funds from {f['investor']}: {money(Decimal(f['received']))} of {money(Decimal(f['subscription']))}"
                   for f in funds if f["status"] != "received"]
    return {
        "checklist": "recorded" if checklist.ticks else "empty",
        "status": "closed" if closing_date is not None and closing_date <= as_of else
        "ready" if not open_items else "open",
        "closing_date": _iso(closing_date), "clause": closing.clause, "quote": closing.quote,
        "conditions": conditions, "deliverables": deliveries, "funds": funds,
        "finder": None if finder == "none" else {
            "name": finder.name, "fee_rate": plain(finder.fee_rate), "introduced": list(finder.introduced),
            "inputs": list(finder.inputs), "clause": finder.clause, "quote": finder.quote},
        "totals": {"subscriptions": money_str(sum(expected.values(), Decimal(0))), "received": money_str(received),
                   "finder_fee": money_str(fee_total), "net_proceeds": money_str(received - fee_total)},
        "open": open_items,
    }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def finder_fee(terms: Terms, subscriptions: dict[str, Decimal]) -> dict[str, Decimal]:
    """SPA 13.9: the fee "only to the extent that [the finder] has introduced one or more of the Investors and
    then, only to the extent of that Investor's participation": the rate times each introduced investor's
    subscription, half-up to the cent."""
    closing = terms.closing
    if closing is None or closing.finder == "none":
        return {}
    rate = closing.finder.fee_rate
    return {inv: (rate * subscriptions[inv]).quantize(CENT, ROUND_HALF_UP)
            for inv in closing.finder.introduced if inv in subscriptions}
