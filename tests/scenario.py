"""Building blocks for scenario tests: the FOCUS deal, its calendars, and event logs.

Tests read like a docket: "closing on 1999-11-24, S-3 filed on 2000-01-13",
built from real calendars and the real bundled terms (no mocks).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from pathlib import Path

from pipedeal.base.quotes import QuoteBook, parse_quotes
from pipedeal.deal.terms import Terms
from pipedeal.deal.terms_file import BUNDLED_DEALS, parse_terms
from pipedeal.engine.evaluate import Calendars, Evaluation, evaluate
from pipedeal.engine.events import CHECKLIST_TYPES, parse_event
from pipedeal.engine.timeline import Located, make_context
from pipedeal.storage.workspace import calendars_for

FOCUS_DIR = BUNDLED_DEALS / "focus-1999"
REPO = Path(__file__).resolve().parent.parent


def D(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@functools.cache
def focus_terms() -> Terms:
    return parse_terms((FOCUS_DIR / "terms.toml").read_text(), "focus-1999/terms.toml")


def focus_terms_text(closing_block: bool = True) -> str:
    """The FOCUS terms file; ``closing_block=False``: without its ``[closing]`` tables, for a docket about what
    follows the Closing that records it as a bare fact (its events' seq numbers are the scenario's)."""
    text = (FOCUS_DIR / "terms.toml").read_text()
    if closing_block:
        return text
    kept, skipping = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("["):
            skipping = line.lstrip("[").startswith("closing")
        if not skipping:
            kept.append(line)
    return "".join(kept)


@functools.cache
def focus_calendars() -> Calendars:
    return calendars_for(focus_terms())


@functools.cache
def focus_quotes() -> QuoteBook:
    return QuoteBook(parse_quotes((FOCUS_DIR / "quotes.csv").read_text(), "quotes.csv"))


def focus_context():
    return make_context(focus_terms(), focus_calendars().business)




def checklist_for(terms: Terms, closing_date: str, funds: dict[str, str] | None = None) -> list[dict]:
    """SPA 2.1(b): the events that meet every condition of ``terms``' ``[closing]`` block on the Closing day,
    for a scenario about what follows the Closing: each signature, bring-down and legal permission ticked, each
    investor's wire of its subscription (``expected_funds``, or ``funds``), each document delivered to or from
    whom it is."""
    from pipedeal.engine.closing import Checklist, expected_funds

    if terms.closing is None:
        return []
    book = Checklist(terms)
    events: list[dict] = []
    needed = {d for c in terms.closing.conditions if c.satisfied_by == "delivery" for d in c.deliverables}
    for condition in terms.closing.conditions:
        if condition.satisfied_by != "delivery":
            events.append({"type": "condition_satisfied", "date": closing_date, "condition": condition.id})
    for item in terms.closing.deliverables:
        if item.id not in needed:
            continue
        if item.kind == "funds":
            events += [{"type": "funds_received", "date": closing_date, "investor": investor, "amount": str(amount)}
                       for investor, amount in (funds or expected_funds(terms)).items()]
            continue
        for investor in book.recipients(item):
            events.append({"type": "deliverable_delivered", "date": closing_date, "deliverable": item.id,
                           **({"investor": investor} if investor else {})})
    return events


def with_checklist(events: tuple[dict, ...], terms: Terms | None = None) -> tuple[dict, ...]:
    """A log that records a Closing and no checklist event gets ``checklist_for`` its terms (FOCUS's unless
    named) after its own events, so their line numbers stay, each recorded when the Closing was: SPA 2.1(b)
    refuses a Closing with a condition open, and the fold applies a same-day checklist before the Closing
    whenever it was recorded."""
    if any(e.get("type") in CHECKLIST_TYPES for e in events):
        return events
    closing = next((e for e in events if e.get("type") == "closing"), None)
    if closing is None:
        return events
    stamp = {"recorded_at": closing["recorded_at"]} if "recorded_at" in closing else {}  # recorded with it
    return (*events, *({**event, **stamp} for event in checklist_for(terms or focus_terms(), closing["date"])))


def log(*events: dict, terms: Terms | None = None, bare: bool = False) -> list[Located]:
    """An event log from dicts, each located at its position (line numbers from 1); a Closing without its
    checklist gets one (``with_checklist``; ``bare=True``: as given)."""
    return [Located(parse_event(event), "test.jsonl", number)
            for number, event in enumerate(events if bare else with_checklist(events, terms), start=1)]


def recorded(*events: dict, source: str = "ledger of focus-1999", terms: Terms | None = None) -> list[Located]:
    """Ledger rows from dicts, each at its seq (from 1); a Closing without its checklist gets one, as in ``log``."""
    return [Located(parse_event(event), source, None, seq)
            for seq, event in enumerate(with_checklist(events, terms), start=1)]


CLOSING = {"type": "closing", "date": "1999-11-24"}
# The bundled FOCUS log: the closing, four registration facts, then the Closing's checklist (SPA 2.1(b): five
# conditions ticked, three wires, five deliveries), recorded after them and applied before the same-day closing.
FOCUS_LOG = 18
FOCUS_CHECKLIST = ["condition_satisfied", "funds_received", "funds_received", "funds_received",
                   *["condition_satisfied"] * 4, *["deliverable_delivered"] * 5]


def evaluate_focus(events: list[Located], as_of: str, quotes: QuoteBook | None = None,
                   terms: Terms | None = None, **overrides) -> Evaluation:
    return evaluate(terms or focus_terms(), events, quotes or focus_quotes(), focus_calendars(),
                    D(as_of), overrides)


def jsonl(*events: dict, terms: Terms | None = None, bare: bool = False) -> str:
    """An events file's text; a Closing without its checklist gets one, as in ``log``."""
    return "".join(json.dumps(event) + "\n" for event in (events if bare else with_checklist(events, terms)))


def flat_quotes(close: str = "2.00", start: str = "1999-11-01", end: str = "2004-12-31",
                changes: dict[str, str] | None = None) -> QuoteBook:
    """Quotes easy to check by hand: every Trading Day closes at ``close`` (or at the
    price of the latest ``changes`` date on or before it); the five bids before the
    FOCUS Closing keep their bundled values so the Market Price stays $1.6375."""
    from decimal import Decimal

    from pipedeal.base.quotes import Quote

    trading = focus_calendars().trading
    steps = sorted((D(day), Decimal(price)) for day, price in (changes or {}).items())
    pinned = {day: focus_quotes().value(day, "bid") for day in
              (D("1999-11-17"), D("1999-11-18"), D("1999-11-19"), D("1999-11-22"), D("1999-11-23"))}
    quotes = []
    for day in trading.open_days(D(start), D(end)):
        price = Decimal(close)
        for when, changed in steps:
            if when <= day:
                price = changed
        quotes.append(Quote(day, close=price, bid=pinned.get(day, price), high=price, low=price))
    return QuoteBook(quotes, "flat quotes")


def focus_variant(registrable: tuple[str, ...] | None = None, **liquidated_damages) -> Terms:
    """The FOCUS terms with other liquidated-damages terms (PIPE-TERMS "Liquidated damages"),
    validated as a terms file would be: ``base="amount_invested"``,
    ``cap={"rate": "0.10", "of": "amount_invested"}``, ``payment={"due": "period_end", ...}``;
    ``registrable=("shares", "warrant_shares")`` for registration.registrable."""
    data = focus_terms().model_dump(by_alias=True, mode="json")
    data["liquidated_damages"].update(liquidated_damages)
    if "payment" in liquidated_damages:
        data["liquidated_damages"]["payment"] = {"clause": "RRA 3(e)", **liquidated_damages["payment"]}
    if registrable is not None:
        data["registration"]["registrable"] = list(registrable)
    return Terms.model_validate(data)
