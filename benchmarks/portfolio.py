"""Time the full evaluation (Registration Defaults and liquidated damages) of a seeded synthetic portfolio.

    python benchmarks/portfolio.py [--deals N] [--seed S] [--workers W] [--slice K] [--profile]
                                   [--readings random|old|defaults] [--no-bound] [--no-compare]
                                   [--compare-deals N] [--old-src DIR]

Every deal is the bundled FOCUS terms with 1-10 investors, a random Closing on an XNAS Trading Day in
1996-2015, random readings of the old code's ten interpretation keys (``Terms.with_readings`` of the
terms file's ``[[ambiguities]]``; ``model_copy`` of the nested models for the deal, investors, Warrant
dates and capitalization), five years of random-walk closes and a random docket (filing on time, late or
never; full review, SEC clearance; effectiveness on time or late; lapses and restorations; blackouts
past the 30-day cap; investor delays; sales; a 3:2 split; LD demands and payments), evaluated as of
Closing + 5 years. Deal ``i`` depends only on ``(seed, i)``, so the figures (and the total LDs) do
not depend on ``--workers``.

Phases:

- **build** (not timed as evaluation): ``--workers`` forked processes each build the inputs of their
  own deals (``i % W == w``) and hold them; nothing but deal counts and totals crosses a pipe.
- **evaluation** (the timed figure): once every worker has built, the parent starts the clock and
  releases them; each ``evaluate(...)`` is the whole evaluation (fold, deadlines, default days,
  repurchase, damages per investor). The wall time runs to the last worker's result.
- **slice** (after the parallel run; alone with ``--profile``): the first ``--slice`` (500) deals in
  this process alone: per-deal mean / p99 without a profiler, then the tracemalloc peak;
  ``--profile`` adds cProfile (top 25 engine functions by cumulative and by own time).

- **numpy bound** (needs numpy, the ``bench`` extra; ``--no-bound`` skips it): after the evaluation,
  each worker reads one row per investor-day accruing damages off the segments it made (rate,
  shares, the day's price, the month divisor) and times, best of 5, the LD arithmetic alone in
  float64: ``rate * shares * price / divisor`` summed per investor, rounded to the cent. Printed:
  evaluation / bound, wall and CPU; the slice adds the engine's own LD arithmetic (``accrue`` +
  ``Accrual``) against the bound of its deals.
- **compare** (``--no-compare`` skips it): the same deals' total LDs from four fresh runs of this
  script: the old code (b849262, ``--old-src`` first on PYTHONPATH), then the new code with the
  readings the old code lacks pinned to the closest old behaviour, at their defaults, and at
  random (the main run). The builder draws the keys the old code knows in the old order, with the
  old code's values (``OLD_KEYS``, checked against its catalogue), and translates them for the new
  terms only (``NEW_SPELLING``: ``roll_deadlines`` True -> "next_business_day", ``ld_day_count``
  actual_month -> "actual_days_in_period", ``rule144k_years`` 2 -> "2y"), so both codes evaluate
  the same deals. With the old readings pinned the totals differ only by whole shares after a 3:2
  split (RULES §4: cash in lieu of the fraction; the old code held a half share): -$6.60 on the
  10,000 deals of seed 1999.

The output gives each worker's CPU time beside the wall time: on a shared 2-core machine a wall
time well above the CPU time means another process took a core, and the run should be repeated.

Targets: <= 10 s wall for 10,000 deals on 2 cores; the evaluation within 10x of the numpy bound
(goal). A deal that raises is a failure (exit 1).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import importlib.util
import json
import multiprocessing as mp
import os
import pstats
import queue
import random
import resource
import statistics
import subprocess
import sys
import time
import traceback
import tracemalloc
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from decimal import Context, Decimal
from fractions import Fraction
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
if importlib.util.find_spec("pipedeal") is None:
    sys.path.insert(0, str(SRC))

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: E402

import pipedeal  # noqa: E402

try:
    from pipedeal.base import intervals as iv
    from pipedeal.base.quotes import Quote, QuoteBook
    from pipedeal.deal.readings import values as reading_values
    from pipedeal.deal.terms import Terms
    from pipedeal.deal.terms_file import BUNDLED_DEALS, parse_terms
    from pipedeal.engine import damages as damages_module
    from pipedeal.engine.evaluate import Calendars, Evaluation, evaluate
    from pipedeal.engine.events import parse_event
    from pipedeal.engine.timeline import Located
    from pipedeal.storage.workspace import calendars_for

    LAYOUT = "new"
except ImportError:  # the old flat layout (b849262), run by --compare with PYTHONPATH=<old src>
    from pipedeal.evaluate import Calendars, Evaluation, evaluate  # type: ignore[no-redef]
    from pipedeal.events import parse_event  # type: ignore[no-redef]
    from pipedeal.interpretations import BY_KEY  # type: ignore[no-redef]
    from pipedeal.ledger import Located  # type: ignore[no-redef]
    from pipedeal.quotes import Quote, QuoteBook  # type: ignore[no-redef]
    from pipedeal.terms import Interpretations, Terms  # type: ignore[no-redef]
    from pipedeal.terms_file import BUNDLED_DEALS, parse_terms  # type: ignore[no-redef]
    from pipedeal.workspace import calendars_for  # type: ignore[no-redef]

    from pipedeal import intervals as iv  # type: ignore[no-redef]

    LAYOUT = "old"

TARGET_S = 10.0
FIRST_CLOSING, LAST_CLOSING = dt.date(1996, 1, 1), dt.date(2015, 12, 31)
QUOTES_BEFORE_CLOSING = 10  # Trading Days of closes before the Closing
BID_DAYS = 5  # SPA 1.10: the closing bids of the five Trading Days before the Closing
PROGRESS_EVERY = 100  # deals between two progress messages from a worker
LAPSE_REASONS = ("stop_order", "financial_statements", "other")
EXACT_SUM = Context(prec=60)  # a sum of amounts in cents: never rounded at 60 digits
# The interpretation keys of the old code (b849262) and their values as it spells them (its default
# first), drawn from the deal's generator in this order by both codes, so both build the same deals
# (the old code's catalogue is checked against this table). The new code reads them as terms: each is
# an [[ambiguities]] key of the FOCUS terms file of the same name, set with ``Terms.with_readings``.
OLD_KEYS: dict[str, tuple[object, ...]] = {
    "effectiveness_days": (120, 150),
    "additional_effectiveness_days": (120, 90),
    "roll_deadlines": (True, False),
    "exercise_price_rounding": ("none", "cent", "tenth_cent"),
    "ld_market_value": ("daily_close", "closing_date"),
    "ld_schedule_clock": ("per_default_period", "cumulative"),
    "ld_day_count": ("actual_month", "thirty", "actual_365"),
    "cashless_test": ("at_election", "ever_after_one_year"),
    "fraction_cash": ("fraction_times_exercise_price", "literal_exercise_price"),
    "rule144k_years": (2, 1),
}
# An old value the new terms spell differently (any other value is the same in both).
NEW_SPELLING: dict[str, dict[object, object]] = {
    "roll_deadlines": {True: "next_business_day", False: "none"},
    "ld_day_count": {"actual_month": "actual_days_in_period"},
    "rule144k_years": {2: "2y", 1: "1y"},
}
# --readings old: the closest new readings to what the old code did, for the ambiguities the old code
# lacks. notice_before_hours keeps the value in force: no event of the portfolio is sent with a time,
# so it changes nothing here.
OLD_READINGS = {"underwriter_request": "excludes_days", "effectiveness_period_end": "per_lot_rule144"}
READINGS = ("random", "old", "defaults")
OLD_SRC = Path("/work/old-code/src")
BOUND_TARGET = 10.0  # evaluation within 10x of the numpy float64 lower bound of the LD arithmetic


# --- The portfolio -------------------------------------------------------------------------------


class Universe:
    """What every deal shares: the FOCUS terms, the calendars and the XNAS Trading Days."""

    def __init__(self, readings: str = "random") -> None:
        self.readings = readings
        text = (BUNDLED_DEALS / "focus-1999" / "terms.toml").read_text(encoding="utf-8")
        self.base: Terms = parse_terms(text, "focus-1999/terms.toml")
        self.calendars: Calendars = calendars_for(self.base)
        self.days: list[dt.date] = self.calendars.trading.open_days(dt.date(1995, 6, 1), dt.date(2021, 2, 26))
        self.first_closing = bisect_left(self.days, FIRST_CLOSING)
        self.last_closing = bisect_right(self.days, LAST_CLOSING) - 1
        self.template = self.base.investors[0]
        if LAYOUT == "old":
            catalogue = {key: spec.values for key, spec in BY_KEY.items()}
            if catalogue != OLD_KEYS:
                raise SystemExit(f"the old code's interpretation keys are not OLD_KEYS: {catalogue}")
            self.new_keys: dict[str, tuple[object, ...]] = {}
        else:
            for key, old_values in OLD_KEYS.items():  # the same readings, in the same order, in both codes
                entry = self.base.ambiguity(key)
                new_values = [new_value(key, value) for value in old_values]
                if entry is None or new_values != list(reading_values(entry)):
                    raise SystemExit(f"{key}: the FOCUS terms read {entry and reading_values(entry)}, "
                                     f"the old values {new_values}")
            # The readings the old code lacks, in the terms file's order, the value in force first.
            self.new_keys = {entry.key: reading_values(entry) for entry in self.base.ambiguities
                             if entry.key not in OLD_KEYS}
        self._prices: dict[int, Decimal] = {}
        self._with_readings: dict[tuple, Terms] = {}

    def with_readings(self, readings: dict[str, object]) -> Terms:
        """The FOCUS terms with these ambiguity readings in force (one validated copy per combination)."""
        key = tuple(readings.items())
        terms = self._with_readings.get(key)
        if terms is None:
            terms = self.base.with_readings(readings)  # validates a whole new copy of the terms
            # Share the blocks no reading touches with the base (the same frozen values): one copy of
            # the [quotes] and the parties per process, not one per deal.
            touched = {entry.field.split(".")[0] for entry in self.base.ambiguities} | {"ambiguities"}
            terms = self._with_readings[key] = terms.model_copy(update={
                name: getattr(self.base, name) for name in type(self.base).model_fields if name not in touched})
        return terms

    def price(self, cents: int) -> Decimal:
        """An exact price of ``cents`` (one shared Decimal per value)."""
        price = self._prices.get(cents)
        if price is None:
            price = self._prices[cents] = Decimal(cents).scaleb(-2)
        return price


@dataclass(frozen=True)
class Deal:
    index: int
    terms: Terms
    events: list[Located]
    quotes: QuoteBook
    as_of: dt.date


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # February 29
        return day.replace(year=day.year + years, day=28)


def deal_rng(seed: int, index: int) -> random.Random:
    return random.Random(f"pipedeal-portfolio:{seed}:{index}")


def build_deal(universe: Universe, seed: int, index: int) -> Deal:
    rng = deal_rng(seed, index)
    at = rng.randint(universe.first_closing, universe.last_closing)
    closing = universe.days[at]
    as_of = add_years(closing, 5)
    terms, keys = _terms(universe, rng, seed, index, closing)
    quotes = _quotes(universe, rng, index, at, as_of)
    events = _events(rng, terms, closing, keys["effectiveness_days"])
    located = [Located(parse_event(event), f"synthetic deal {index}", line)
               for line, event in enumerate(events, start=1)]
    return Deal(index, terms, located, quotes, as_of)


def new_value(key: str, value: object) -> object:
    """An old interpretation key's value as the new terms spell it."""
    return NEW_SPELLING.get(key, {}).get(value, value)


def _terms(universe: Universe, rng: random.Random, seed: int, index: int,
           closing: dt.date) -> tuple[Terms, dict[str, object]]:
    """The deal's terms, and the old interpretation keys drawn for it (as the old code spells them)."""
    investors = tuple(
        # Multiples of $16.00 at $1.60: whole shares, and whole warrant shares at 10% coverage.
        universe.template.model_copy(update={
            "id": f"inv-{number}", "name": f"Synthetic Investor {number}",
            "subscription": Decimal(rng.randint(625, 62_500) * 1600).scaleb(-2)})
        for number in range(1, rng.randint(1, 10) + 1)
    )
    keys = {key: rng.choice(values) for key, values in OLD_KEYS.items()}
    deal = {"name": f"synthetic-{index}", "agreement_date": closing}
    capitalization = {"as_of": closing - dt.timedelta(days=1), "common_authorized": 60_000_000}
    first_exercise, termination = closing + dt.timedelta(days=7), add_years(closing, 5)
    if LAYOUT == "old":
        base = universe.base
        return base.model_copy(update={
            "deal": base.deal.model_copy(update=deal),
            "investors": investors,
            "warrants": base.warrants.model_copy(update={
                "initial_exercise_date": first_exercise, "termination_date": termination}),
            "capitalization": base.capitalization.model_copy(update=capitalization),
            "interpretations": Interpretations(**keys),
        }), keys

    readings = {key: new_value(key, value) for key, value in keys.items()}
    drawn = random.Random(f"pipedeal-portfolio:{seed}:{index}:readings")  # the keys the old code lacks
    for key, values in universe.new_keys.items():
        if universe.readings == "random":
            readings[key] = drawn.choice(values)
        elif universe.readings == "old":
            readings[key] = OLD_READINGS.get(key, values[0])
        else:
            readings[key] = values[0]
    terms = universe.with_readings(readings)
    return terms.model_copy(update={
        "closing": None,  # random investors, no Closing checklist (the old code has none): a bare Closing
        "deal": terms.deal.model_copy(update=deal),
        "investors": investors,
        "warrants": terms.warrants.model_copy(update={"initial_exercise": first_exercise,
                                                      "termination": termination}),
        "capitalization": terms.capitalization.model_copy(update=capitalization),
    }), keys


def _quotes(universe: Universe, rng: random.Random, index: int, at: int, as_of: dt.date) -> QuoteBook:
    """A random walk in cents over the Trading Days from 10 before the Closing through the as-of date."""
    first = at - QUOTES_BEFORE_CLOSING
    last = bisect_right(universe.days, as_of) - 1
    cents = rng.randint(50, 1500)
    quotes = []
    for position in range(first, last + 1):
        step = max(1, cents // 25)
        cents = max(1, cents + rng.randint(-step, step))
        close = universe.price(cents)
        bid = universe.price(max(1, cents - 1)) if at - BID_DAYS <= position < at else None
        quotes.append(Quote(universe.days[position], close=close, bid=bid))
    return QuoteBook(quotes, f"synthetic quotes of deal {index}")


def _events(rng: random.Random, terms: Terms, closing: dt.date, effectiveness_days: int) -> list[dict]:
    """A random docket, in date order (ties keep the order written, as the fold does)."""

    def plus(day: dt.date, low: int, high: int) -> dt.date:
        return day + dt.timedelta(days=rng.randint(low, high))

    investors = [investor.id for investor in terms.investors]
    events: list[dict] = [{"type": "closing", "date": closing}]

    filing = rng.choices(("on_time", "late", "never"), weights=(65, 30, 5))[0]
    filed = {"on_time": lambda: plus(closing, 5, 29), "late": lambda: plus(closing, 31, 240),
             "never": lambda: None}[filing]()
    effective = None
    if filed is not None:
        events.append({"type": "rs_filed", "date": filed, "form": "S-3"})
        full_review = clearance = None
        if rng.random() < 0.3:
            full_review = plus(filed, 10, 45)
            events.append({"type": "full_review", "date": full_review})
        if rng.random() < 0.5:
            clearance = plus(full_review or filed, 10, 90)
            events.append({"type": "sec_clearance", "date": clearance})
        days = 150 if full_review else effectiveness_days
        due = closing + dt.timedelta(days=days)
        if clearance is not None:
            due = min(due, clearance + dt.timedelta(days=5))
        earliest = max(filed, clearance or filed) + dt.timedelta(days=1)
        if rng.random() < 0.6 and earliest <= due:
            effective = plus(earliest, 0, (due - earliest).days)
        else:
            effective = plus(max(earliest, due + dt.timedelta(days=1)), 0, 300)
        events.append({"type": "rs_effective", "date": effective})

    if effective is not None:
        lapses, made = rng.randint(0, 4), 0
        day = plus(effective, 15, 240)
        while made < lapses:
            events.append({"type": "effectiveness_lapsed", "date": day, "reason": rng.choice(LAPSE_REASONS)})
            made += 1
            restored = plus(day, 2, 120)
            if made < lapses and rng.random() < 0.15:  # a further lapse while this one is open
                events.append({"type": "effectiveness_lapsed", "date": plus(day, 1, (restored - day).days - 1),
                               "reason": rng.choice(LAPSE_REASONS)})
                made += 1
            if made == lapses and rng.random() < 0.2:
                break  # never restored
            events.append({"type": "effectiveness_restored", "date": restored})
            day = plus(restored, 15, 240)
        cluster = plus(effective, 0, 400)
        for _ in range(rng.randint(0, 4)):
            start = plus(cluster, 0, 300)
            end = plus(start, 2, 24)
            notice = max(closing, start - dt.timedelta(days=rng.randint(0, 7)))  # some late (RRA 3(g))
            events.append({"type": "blackout", "date": notice, "start": start, "end": end})

    for _ in range(rng.randint(0, 2)):
        start = plus(closing, 0, 720)
        delay = {"type": "investor_delay", "date": start, "start": start, "end": plus(start, 0, 45)}
        if rng.random() < 0.7:
            delay["investor"] = rng.choice(investors)
        events.append(delay)
    for _ in range(rng.randint(0, 6)):
        events.append({"type": "shares_sold", "date": plus(closing, 1, 1825), "investor": rng.choice(investors)})
    if rng.random() < 0.1:
        events.append({"type": "stock_split", "date": plus(closing, 20, 1800), "ratio": "3:2"})
    if rng.random() < 0.2:
        investor = rng.choice(investors)
        demand = plus(closing, 60, 900)
        events.append({"type": "ld_demand", "date": demand, "investor": investor})
        if rng.random() < 0.5:
            events.append({"type": "ld_paid", "date": plus(demand, 0, 15), "investor": investor,
                           "amount": Decimal(rng.randint(100, 2_000_000)).scaleb(-2)})

    events.sort(key=lambda event: event["date"])
    # Sales never beyond holdings: walk the docket in the fold's order, splits included.
    held = {investor.id: Fraction(int(investor.subscription / terms.pricing.purchase_price))
            for investor in terms.investors}
    docket = []
    for event in events:
        if event["type"] == "stock_split":
            held = {investor: shares * Fraction(3, 2) for investor, shares in held.items()}
        elif event["type"] == "shares_sold":
            whole = int(held[event["investor"]])
            if whole < 1:
                continue
            event["shares"] = whole if rng.random() < 0.25 else rng.randint(1, whole)
            held[event["investor"]] -= event["shares"]
        docket.append(event)
    return docket


# --- One evaluation's figures --------------------------------------------------------------------


@dataclass
class Totals:
    deals: int = 0
    investors: int = 0
    events: int = 0  # events dated on or before the as-of date
    default_days: int = 0  # deal-wide Registration Default days (calendar days, each counted once)
    investor_ld_days: int = 0  # investor x day pairs that accrue liquidated damages
    deals_in_default: int = 0
    accrued: Decimal = Decimal("0.00")

    def add(self, result: Evaluation) -> None:
        self.deals += 1
        self.investors += len(result.allocations)
        self.events += result.events_applied
        if result.default_days is not None:
            days = iv.count(result.default_days.deal_wide())
            self.default_days += days
            self.deals_in_default += days > 0
        for damages in result.damages.values():
            self.investor_ld_days += sum(period.days for period in damages.periods)
            self.accrued = EXACT_SUM.add(self.accrued, damages.accrued)

    def merge(self, other: Totals) -> None:
        for name in ("deals", "investors", "events", "default_days", "investor_ld_days", "deals_in_default"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.accrued = EXACT_SUM.add(self.accrued, other.accrued)


# --- The numpy float64 lower bound of the LD arithmetic ----------------------------------------------


class LdDays:
    """The LD arithmetic's inputs, one row per investor and default day accruing damages: the rate, the
    shares held, the day's price (the close in force, or the Closing close over the split factor) and the
    month divisor, as float64 arrays, and the investor's index. Read off the segments the evaluation
    made (after it, untimed); ``bound()`` then times the arithmetic alone."""

    def __init__(self) -> None:
        self.parts: list[tuple] = []
        self.investors = 0

    def add(self, deal: Deal, segments_by_investor: list) -> None:
        import numpy as np

        closes = None
        for segments in segments_by_investor:
            index = self.investors
            self.investors += 1
            for segment in segments:
                first, days = segment.first.toordinal(), segment.days
                if deal.terms.liquidated_damages.market_value == "daily_close":
                    if closes is None:
                        quotes = deal.quotes.quotes()
                        closes = (np.array([quote.date.toordinal() for quote in quotes], dtype=np.int64),
                                  np.array([float(quote.close) for quote in quotes]))
                    ordinals = np.arange(first, first + days, dtype=np.int64)
                    price = closes[1][np.searchsorted(closes[0], ordinals, side="right") - 1]
                else:  # closing_date: one price, over the split factor
                    price = np.full(days, segment.price_total_scaled / segment.scale / days
                                    / float(segment.split_factor))
                self.parts.append((index, days, float(segment.rate), float(segment.shares),
                                   float(segment.divisor), price))

    def arrays(self):
        import numpy as np

        if not self.parts:
            empty = np.zeros(0)
            return np.zeros(0, dtype=np.int64), empty, empty, empty, empty
        investor = np.repeat(np.array([part[0] for part in self.parts], dtype=np.int64),
                             [part[1] for part in self.parts])
        counts = [part[1] for part in self.parts]
        rate = np.repeat(np.array([part[2] for part in self.parts]), counts)
        shares = np.repeat(np.array([part[3] for part in self.parts]), counts)
        divisor = np.repeat(np.array([part[4] for part in self.parts]), counts)
        price = np.concatenate([part[5] for part in self.parts])
        return investor, rate, shares, price, divisor

    def bound(self, repeats: int = 5) -> tuple[float, Decimal, int]:
        """(best seconds of ``repeats``, the total in cents as float64 gives it, rows)."""
        import numpy as np

        investor, rate, shares, price, divisor = self.arrays()
        best, total = float("inf"), 0.0
        for _ in range(repeats):
            started = time.perf_counter()
            per_day = rate * shares * price / divisor
            per_investor = np.bincount(investor, weights=per_day, minlength=self.investors)
            total = float(np.round(per_investor * 100).sum())
            best = min(best, time.perf_counter() - started)
        return best, Decimal(int(total)).scaleb(-2), len(rate)


def run(deal: Deal, calendars: Calendars) -> Evaluation:
    return evaluate(deal.terms, deal.events, deal.quotes, calendars, deal.as_of)


def failure(seed: int, index: int, error: str) -> None:
    print(f"\nBENCHMARK FAILURE: seed {seed}, deal {index}\n{error}", file=sys.stderr)


def settle_heap(freeze: bool) -> None:
    """After the build: collect once, then (by default) move the inputs to the permanent generation.

    The inputs live for the whole run; without ``gc.freeze()`` every full collection during the
    evaluation walks all of them (``--no-gc-freeze`` shows what that costs).
    """
    gc.collect()
    if freeze:
        gc.freeze()
    gc.enable()


# --- The parallel run ----------------------------------------------------------------------------

UNIVERSE: Universe | None = None  # built in the parent before the fork, inherited by the workers


def worker(number: int, workers: int, deals: int, seed: int, freeze: bool, bound: bool, messages, go,
           go_bound) -> None:
    universe = UNIVERSE
    assert universe is not None
    mine = range(number, deals, workers)
    index = -1
    try:
        started = time.perf_counter()
        gc.disable()  # millions of long-lived objects: collecting while building only costs time
        built = []
        for index in mine:
            built.append(build_deal(universe, seed, index))
        settle_heap(freeze)
        messages.put(("ready", number, len(built), time.perf_counter() - started))
        go.wait()
        cpu = time.process_time()
        totals = Totals()
        calendars = universe.calendars
        kept: list[list] = []  # each deal's segments, for the numpy bound (read after the timing)
        for count, deal in enumerate(built, start=1):
            index = deal.index
            result = run(deal, calendars)
            totals.add(result)
            if bound:
                kept.append([damages.segments for damages in result.damages.values()])
            if count % PROGRESS_EVERY == 0:
                messages.put(("progress", number, PROGRESS_EVERY))
        messages.put(("progress", number, len(built) % PROGRESS_EVERY))
        cpu = time.process_time() - cpu
        rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        messages.put(("done", number, totals, rss_kib, cpu))
        if bound:
            go_bound.wait()  # after every worker's evaluation: the bound does not share a core with one
            ld_days = LdDays()
            for deal, segments in zip(built, kept, strict=True):
                ld_days.add(deal, segments)
            messages.put(("bound", number, ld_days.bound()))
    except BaseException:
        messages.put(("error", number, index, traceback.format_exc()))


def parallel(args: argparse.Namespace) -> int:
    global UNIVERSE
    load = os.getloadavg()  # another busy process on a 2-core machine shows in every figure below
    started = time.perf_counter()
    UNIVERSE = Universe(args.readings)
    prepared = time.perf_counter() - started
    context = mp.get_context("fork")
    messages = context.Queue()
    go, go_bound = context.Event(), context.Event()
    freeze = not args.no_gc_freeze
    bound = bound_available(args)
    procs = [context.Process(target=worker, name=f"portfolio-worker-{number}",
                             args=(number, args.workers, args.deals, args.seed, freeze, bound, messages, go,
                                   go_bound))
             for number in range(args.workers)]
    for proc in procs:
        proc.start()

    def receive():
        while True:
            try:
                return messages.get(timeout=1.0)
            except queue.Empty:
                dead = [p for p in procs if p.exitcode not in (None, 0)]
                if dead:
                    raise SystemExit(f"worker {dead[0].name} died (exit code {dead[0].exitcode})") from None

    def abort(message) -> int:
        _, number, index, error = message
        failure(args.seed, index, f"(worker {number})\n{error}")
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.join()
        return 1

    build_s: dict[int, float] = {}
    while len(build_s) < args.workers:
        message = receive()
        if message[0] == "error":
            return abort(message)
        build_s[message[1]] = message[3]
    built = time.perf_counter() - started

    totals, worker_rss, worker_cpu = Totals(), {}, {}
    columns = (TextColumn("evaluating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, refresh_per_second=4, transient=False, disable=args.totals_json) as progress:
        task = progress.add_task("deals", total=args.deals)
        first = time.perf_counter()
        go.set()
        while len(worker_rss) < args.workers:
            message = receive()
            if message[0] == "progress":
                progress.advance(task, message[2])
            elif message[0] == "done":
                totals.merge(message[2])
                worker_rss[message[1]] = message[3]
                worker_cpu[message[1]] = message[4]
            else:
                return abort(message)
        last = time.perf_counter()
    bounds: dict[int, tuple[float, Decimal, int]] = {}
    go_bound.set()
    while bound and len(bounds) < args.workers:
        message = receive()
        if message[0] != "bound":
            return abort(message)
        bounds[message[1]] = message[2]
    for proc in procs:
        proc.join()
    wall = last - first
    load_after = os.getloadavg()
    if args.totals_json:
        print(json.dumps({"layout": LAYOUT, "where": pipedeal.__file__, "readings": args.readings,
                          "deals": totals.deals, "investors": totals.investors, "events": totals.events,
                          "default_days": totals.default_days, "investor_ld_days": totals.investor_ld_days,
                          "deals_in_default": totals.deals_in_default, "accrued": str(totals.accrued),
                          "wall": wall, "cpu": sum(worker_cpu.values())}))
        return 0

    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"portfolio: seed {args.seed}, {args.deals:,} deals, {args.workers} worker processes (fork), "
          f"{os.cpu_count()} CPUs, load average before the run {load[0]:.2f}"
          + ("" if not args.no_gc_freeze else ", no gc.freeze()"))
    print(f"  shared setup (terms, calendars, Trading Days)   {prepared:8.2f} s")
    print(f"  build inputs, in the workers (not timed below)  {built:8.2f} s wall  "
          f"(per worker: {', '.join(f'{s:.2f}' for _, s in sorted(build_s.items()))} s)")
    print(f"  deals {totals.deals:,}   investors {totals.investors:,}   events {totals.events:,}   "
          f"deals in default {totals.deals_in_default:,}")
    print(f"  default days (deal-wide) {totals.default_days:,}   investor-days accruing LDs "
          f"{totals.investor_ld_days:,}")
    print(f"  total LDs accrued  ${totals.accrued}")
    print(f"  evaluation wall {wall:.2f} s   {totals.deals / wall:,.0f} deals/s   "
          f"({wall / totals.deals * 1000 * args.workers:.2f} ms per deal per worker)")
    cpus = sorted(worker_cpu.items())
    print(f"  CPU time of the evaluation per worker: {', '.join(f'{s:.2f}' for _, s in cpus)} s "
          f"({sum(s for _, s in cpus) / totals.deals * 1000:.2f} ms CPU per deal); load average after "
          f"{load_after[0]:.2f}: wall well above the CPU time means another process took a core")
    print(f"  max RSS: parent {self_rss / 1024:.0f} MiB, largest worker (RUSAGE_CHILDREN) "
          f"{children_rss / 1024:.0f} MiB; per worker: "
          + ", ".join(f"{rss / 1024:.0f}" for _, rss in sorted(worker_rss.items())) + " MiB")
    if totals.deals != args.deals:
        print(f"BENCHMARK FAILURE: {totals.deals} of {args.deals} deals evaluated", file=sys.stderr)
        return 1
    if wall <= TARGET_S:
        print(f"  within the {TARGET_S:.0f} s target ({TARGET_S - wall:.2f} s to spare)")
    else:
        print(f"  OVER the {TARGET_S:.0f} s target by {wall - TARGET_S:.2f} s ({wall / TARGET_S - 1:.0%})")
    print(f"  within target (10,000 deals <= {TARGET_S:.0f} s on 2 cores): "
          f"{'yes' if wall <= TARGET_S and args.deals >= 10_000 and args.workers <= 2 else 'no'}"
          + ("" if args.deals >= 10_000 and args.workers <= 2 else
             " (not the target's run: fewer deals or more workers)"))
    if bounds:
        print_bound(bounds, wall, sum(worker_cpu.values()), totals.accrued)
    return 0


def bound_available(args: argparse.Namespace) -> bool:
    if args.no_bound or LAYOUT != "new" or args.totals_json:
        return False
    return importlib.util.find_spec("numpy") is not None


def print_bound(bounds: dict[int, tuple[float, Decimal, int]], wall: float, cpu: float, exact: Decimal) -> None:
    """The numpy float64 lower bound beside the evaluation, wall to wall and CPU to CPU."""
    bound_wall = max(seconds for seconds, _, _ in bounds.values())
    bound_cpu = sum(seconds for seconds, _, _ in bounds.values())
    rows = sum(count for _, _, count in bounds.values())
    total = sum((amount for _, amount, _ in bounds.values()), Decimal("0.00"))
    print("  numpy float64 lower bound of the LD arithmetic (rate x shares x price / divisor per investor-day, "
          "summed per investor, rounded to the cent), best of 5, in each worker after the evaluation:")
    print(f"    {rows:,} investor-days: {bound_wall * 1000:.1f} ms wall (slowest worker), {bound_cpu * 1000:.1f} ms "
          f"summed over the workers; float64 total ${total} (exact ${exact}, difference ${total - exact})")
    ratio_wall, ratio_cpu = wall / bound_wall, cpu / bound_cpu
    print(f"    evaluation / bound: {ratio_wall:,.0f}x wall, {ratio_cpu:,.0f}x CPU "
          f"(goal <= {BOUND_TARGET:.0f}x): within target: {'yes' if ratio_wall <= BOUND_TARGET else 'no'}")


# --- The single-process slice --------------------------------------------------------------------


def _where(key: tuple[str, int, str]) -> str:
    file, line, name = key
    if file == "~":
        return name
    path = Path(file)
    parts = path.parts
    if "pipedeal" in parts:
        file = "/".join(parts[parts.index("pipedeal"):])
    elif "site-packages" in parts:
        file = "/".join(parts[parts.index("site-packages") + 1:])
    else:
        file = path.name
    return f"{file}:{line}({name})"


def print_profile(profiler: cProfile.Profile, top: int = 25) -> None:
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = next((ct for (file, _, name), (_, _, _, ct, _) in stats.items()
                  if name == "evaluate" and file.endswith("evaluate.py")), None)
    total = total or max(ct for (_, _, _, ct, _) in stats.values())
    for title, column in (("cumulative", 3), ("total (own) time", 2)):
        print(f"\ntop {top} by {title}; % of the cumulative time of evaluate() ({total:.2f} s)")
        print(f"{'calls':>10} {'own s':>8} {'cum s':>8} {'own %':>6} {'cum %':>6}  function")
        engine = {key: row for key, row in stats.items() if not key[0].endswith("portfolio.py")}  # no harness
        rows = sorted(engine.items(), key=lambda item: item[1][column], reverse=True)[:top]
        for key, (_, calls, own, cum, _) in rows:
            print(f"{calls:>10,} {own:8.3f} {cum:8.3f} {own / total:6.1%} {cum / total:6.1%}  {_where(key)}")


def one_slice(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    universe = Universe()
    count = min(args.slice, args.deals)
    deals = []
    gc.disable()
    for index in range(count):
        try:
            deals.append(build_deal(universe, args.seed, index))
        except Exception:
            failure(args.seed, index, traceback.format_exc())
            return 1
    settle_heap(not args.no_gc_freeze)
    built = time.perf_counter() - started
    calendars = universe.calendars

    def each(measure):
        for deal in deals:
            try:
                measure(deal)
            except Exception:
                failure(args.seed, deal.index, traceback.format_exc())
                raise SystemExit(1) from None

    totals = Totals()
    each(lambda deal: totals.add(run(deal, calendars)))  # warm-up, and the figures to check
    times: list[float] = []

    def timed(deal: Deal) -> None:
        begun = time.perf_counter()
        run(deal, calendars)
        times.append(time.perf_counter() - begun)

    each(timed)
    ms = sorted(t * 1000 for t in times)
    p99 = statistics.quantiles(ms, n=100, method="inclusive")[-1] if len(ms) > 1 else ms[0]

    peaks: list[int] = []
    tracemalloc.start()

    def traced(deal: Deal) -> None:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        run(deal, calendars)
        peaks.append(tracemalloc.get_traced_memory()[1] - before)

    each(traced)
    tracemalloc.stop()

    print(f"slice: the first {count} deals of seed {args.seed}, one process "
          f"(load average {os.getloadavg()[0]:.2f})")
    print(f"  build {built:.2f} s   investors {totals.investors:,}   default days {totals.default_days:,}   "
          f"LDs ${totals.accrued}")
    print(f"  per deal: mean {statistics.fmean(ms):.2f} ms   median {statistics.median(ms):.2f}   "
          f"p99 {p99:.2f}   max {ms[-1]:.2f} ms   (sum {sum(ms) / 1000:.2f} s)")
    workers = max(1, args.workers)
    print(f"  => {args.deals:,} deals / {workers} workers at the mean: "
          f"{statistics.fmean(ms) * args.deals / workers / 1000:.2f} s")
    print(f"  tracemalloc peak of one evaluate: mean {statistics.fmean(peaks) / 1024:.0f} KiB, "
          f"max {max(peaks) / 1024:.0f} KiB")
    print(f"  max RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    if bound_available(args):
        slice_bound(deals, calendars, sum(ms) / 1000)

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        each(lambda deal: run(deal, calendars))
        profiler.disable()
        print_profile(profiler)
    return 0


def slice_bound(deals: list[Deal], calendars: Calendars, evaluate_s: float) -> None:
    """The slice's evaluation, the engine's LD arithmetic alone and the numpy bound, same deals, one process.

    The LD arithmetic is ``accrue`` (the segments: rate, divisor, holding, the closes summed through the
    prefix integral) plus ``Accrual`` (their exact sum over one denominator), timed by wrapping the two
    names in ``pipedeal.engine.damages`` during one more pass (the wrappers cost two clock reads a call)."""
    spent = [0.0]
    real_accrue, real_accrual = damages_module.accrue, damages_module.Accrual

    def timed_accrue(*args, **kwargs):
        started = time.perf_counter()
        try:
            return real_accrue(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started

    def timed_accrual(segments):
        started = time.perf_counter()
        try:
            accrual = real_accrual(segments)
            accrual.total  # noqa: B018 - the one division
            return accrual
        finally:
            spent[0] += time.perf_counter() - started

    ld_days = LdDays()
    exact = Decimal("0.00")
    damages_module.accrue, damages_module.Accrual = timed_accrue, timed_accrual
    try:
        for deal in deals:
            result = run(deal, calendars)
            ld_days.add(deal, [damages.segments for damages in result.damages.values()])
            for damages in result.damages.values():
                exact = EXACT_SUM.add(exact, damages.accrued)
    finally:
        damages_module.accrue, damages_module.Accrual = real_accrue, real_accrual
    bound_s, total, rows = ld_days.bound()
    print(f"  numpy float64 lower bound of the LD arithmetic over these {len(deals)} deals ({rows:,} investor-days): "
          f"{bound_s * 1000:.2f} ms (best of 5); float64 total ${total} (exact ${exact})")
    print(f"    evaluate (sum above) {evaluate_s * 1000:,.1f} ms = {evaluate_s / bound_s:,.0f}x the bound; "
          f"the engine's LD arithmetic alone (accrue + Accrual) {spent[0] * 1000:,.1f} ms = "
          f"{spent[0] / bound_s:,.0f}x the bound ({spent[0] / evaluate_s:.0%} of evaluate)")


# --- Old and new totals on the same deals ---------------------------------------------------------


def totals_of(args: argparse.Namespace, deals: int, readings: str, pythonpath: Path | None) -> dict:
    """This script's parallel run in a fresh process (the old code first on PYTHONPATH, if given)."""
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(pythonpath), *filter(None, [env.get("PYTHONPATH")])])
    argv = [sys.executable, __file__, "--totals-json", "--deals", str(deals), "--seed", str(args.seed),
            "--workers", str(args.workers), "--readings", readings]
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"BENCHMARK FAILURE: {' '.join(argv)}\n{done.stdout}{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(args: argparse.Namespace) -> int:
    """The total LDs of the same seeded deals: old code, new code with the old readings, new defaults.

    The deals are the same in both codes: the builder draws the interpretation keys the old code
    knows from the deal's generator, in the old order, and sets the keys added since per ``--readings``.
    """
    deals = args.compare_deals or args.deals
    runs = []
    if (args.old_src / "pipedeal" / "ledger.py").is_file():
        runs.append(("old code (b849262)", "old", args.old_src))
    else:
        print(f"compare: no old code under {args.old_src}; new code only")
    runs += [("new, old readings pinned", "old", None), ("new, default readings", "defaults", None),
             ("new, readings at random", "random", None)]
    print(f"compare: total LDs of the same {deals:,} deals (seed {args.seed}), each a parallel run in a fresh "
          f"process, one after the other ({args.workers} workers)")
    rows = []
    for label, readings, pythonpath in runs:
        figures = totals_of(args, deals, readings, pythonpath)
        if pythonpath is not None and figures["layout"] != "old":
            raise SystemExit(f"the old run imported {figures['where']}")
        rows.append((label, figures))
        print(f"  {label:<28} LDs ${Decimal(figures['accrued']):>20,}   "
              f"deals in default {figures['deals_in_default']:>6,}   default days {figures['default_days']:>10,}   "
              f"investor-days {figures['investor_ld_days']:>11,}   "
              f"events {figures['events']:>8,}   evaluation wall {figures['wall']:6.2f} s, CPU {figures['cpu']:6.2f} s",
              flush=True)
    base = dict(rows).get("old code (b849262)")
    if base is not None:
        for label, figures in rows[1:]:
            difference = Decimal(figures["accrued"]) - Decimal(base["accrued"])
            print(f"  {label} - old: ${difference:,} ({difference / Decimal(base['accrued']):+.4%}); "
                  f"evaluation CPU old/new {base['cpu'] / figures['cpu']:.1f}x")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1999)
    parser.add_argument("--workers", type=int, default=2, help="evaluation processes (default 2)")
    parser.add_argument("--slice", type=int, default=500, help="deals in the single-process slice (default 500)")
    parser.add_argument("--no-gc-freeze", action="store_true",
                        help="leave the built inputs in the collected generations (see settle_heap)")
    parser.add_argument("--profile", action="store_true",
                        help="run only the slice, under cProfile: top 25 by cumulative and by own time")
    parser.add_argument("--readings", choices=READINGS, default="random",
                        help="the ambiguities the old code lacks: drawn at random (default), the "
                             "readings closest to the old code's, or the values in force in the terms file")
    parser.add_argument("--no-bound", action="store_true", help="skip the numpy float64 lower bound")
    parser.add_argument("--no-compare", action="store_true",
                        help="skip the total LDs of the old code and of the new code with old and default readings")
    parser.add_argument("--compare-deals", type=int, help="deals in the comparison (default --deals)")
    parser.add_argument("--old-src", type=Path, default=OLD_SRC, help="the old code's src/ (b849262)")
    parser.add_argument("--totals-json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.deals < 1 or args.workers < 1 or args.slice < 1:
        parser.error("--deals, --workers and --slice must be at least 1")
    if args.profile:
        sys.exit(one_slice(args))
    if args.totals_json:
        sys.exit(parallel(args))
    status = parallel(args)
    if status == 0:
        print()
        status = one_slice(args)
    if status == 0 and not args.no_compare:
        print()
        status = compare(args)
    sys.exit(status)


if __name__ == "__main__":
    main()
