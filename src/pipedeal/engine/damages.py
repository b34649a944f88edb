"""RRA 3(e)(A)-(B) and PIPE-TERMS "Liquidated damages": damages per investor, the cap, the
payment schedule, late interest, demands, payments and repurchase.

The computation runs over segments, not days: a segment is a run of default
days over which the rate, the month period's length, the holding (shares, their
cost, the split factor) are all constant, so its accrual is one product (the
daily closes within it are summed through a prefix integral of integers). Each
segment's amount is an exact integer over its own denominator; an investor's
segments are summed as integers over their least common denominator and
divided once. The base a rate applies to is the deal's (``liquidated_damages.base``):
registrable shares held x the day's price (FOCUS), x the price paid for them,
the amount invested, or a fixed amount. A cap cuts the segment in which it is
reached, to the day; a payment schedule groups the default days into the
installments that fall due, and payments settle them oldest first.
docs/liquidated-damages.md §3-4 states each rule; tests/test_ld_reference.py
checks this against a plain day-by-day computation.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from pipedeal.base import intervals as iv
from pipedeal.base.calendars import BusinessCalendar, Calendars, TradingCalendar, add_months
from pipedeal.base.diagnostics import Diagnostic, InputError
from pipedeal.base.intervals import Days
from pipedeal.base.money import CENT, fraction_to_decimal
from pipedeal.base.quotes import QuoteBook
from pipedeal.base.records import quick_init
from pipedeal.deal.clauses import cite, deal_words
from pipedeal.deal.terms import Terms
from pipedeal.engine.defaults import DefaultDays, bears_damages, rule144_name
from pipedeal.engine.pricing import Allocation
from pipedeal.engine.registration import UNIT_WORDS, Deadline, count
from pipedeal.engine.timeline import Lot, Timeline

ONE_DAY = dt.timedelta(days=1)
CENTS_ZERO = Decimal("0.00")  # made once: a Decimal is immutable
NEVER = 10**9  # an ordinal past any real day


def cents(amount: Fraction) -> Decimal:
    """Round an exact amount half-up to the cent: the one rounding RRA 3(e) gets."""
    # On the integers (no Fraction is made): floor(100 n / d), up when the rest is half or more.
    return _cents(amount.numerator, amount.denominator)


def _cents(numerator: int, denominator: int) -> Decimal:
    """``cents(numerator / denominator)``, for an amount held as integers (denominator > 0)."""
    whole, remainder = divmod(numerator * 100, denominator)
    if 2 * remainder >= denominator:
        whole += 1
    return Decimal(whole) * CENT


ZERO = Fraction(0)


def exact_total(values: Sequence[Fraction]) -> Fraction:
    """Σ of exact amounts as integers over their least common denominator, divided once (a
    Fraction addition normalises at every step)."""
    if not values:
        return ZERO
    if len(values) == 1:
        return values[0]
    common = math.lcm(*(value.denominator for value in values))
    return Fraction(sum(value.numerator * (common // value.denominator) for value in values), common)


def quotes_source(source: str | None) -> str:
    return source or "the quotes"


class MarketValues:
    """RRA 3(e): the price of a share on each default day, summed over runs of days.

    ``daily_close``: "the closing price ... on the Principal Market for each day
    during such Registration Default"; a day with no session takes the last
    close before it (RULES §3). The closes are scaled to integers and summed
    through a prefix integral, so a run of days costs O(log n) and stays exact.
    ``closing_date``: the close of the Closing Date (the last close before it when
    the Closing is not a Trading Day), divided by the split factor in force.
    Built once a deal, over only the days some investor needs.
    """

    def __init__(self, reading: str, source: str | None, closing_close: Decimal | None = None,
                 closes: Sequence[tuple[int, Decimal]] = ()):
        self.reading = reading
        self.source = source
        self.days = [day for day, _ in closes]
        prices = [close for _, close in closes] + ([closing_close] if closing_close is not None else [])
        places = max((max(0, -price.as_tuple().exponent) for price in prices), default=0)  # type: ignore[operator]
        self.scale = 10**places
        self.closing_close = None if closing_close is None else int(closing_close.scaleb(places))
        self.values = [int(close.scaleb(places)) for _, close in closes]
        prefix = [0]
        for index in range(len(self.days) - 1):
            prefix.append(prefix[-1] + self.values[index] * (self.days[index + 1] - self.days[index]))
        self.prefix = prefix

    @classmethod
    def for_days(cls, terms: Terms, quotes: QuoteBook, trading: TradingCalendar, closing: dt.date,
                 needed: Days) -> MarketValues:
        """The market values the default days ``needed`` use; a missing price is an error."""
        reading = terms.liquidated_damages.market_value or "daily_close"
        if not needed:
            return cls(reading, quotes.source)
        if reading == "closing_date":
            day = trading.previous_open(closing)  # RULES §3: the last close on or before the Closing Date
            close = quotes.value(day, "close")
            if close is None:
                raise InputError([Diagnostic(
                    "LD-MISSING-CLOSE", f"ld_market_value=closing_date values the Shares at the close of the "
                    f"Closing Date {closing}" + (f" (the last Trading Day on or before it, {day})"
                                                 if day != closing else "") + ", which the quotes lack",
                    quotes_source(quotes.source), field="close")])
            return cls(reading, quotes.source, closing_close=close)
        first = trading.previous_open(dt.date.fromordinal(needed[0][0]))
        last = dt.date.fromordinal(needed[-1][1])
        # Only sessions have closes: a price dated on a closed day is not "the closing
        # price ... on the Principal Market" and must not stand in for Friday's.
        sessions = trading.session_ordinals()
        closes = [(day.toordinal(), close) for day, close in quotes.between(first, last, "close")
                  if day.toordinal() in sessions]
        values = cls(reading, quotes.source, closes=closes)
        values.check_covers(needed, trading, cite(terms, "RRA 3(e) market value daily_close"))
        return values

    def _below(self, x: int) -> int:
        """Σ price(d) for d < x (in scaled units), from the first quoted day."""
        k = bisect_right(self.days, x - 1) - 1
        if k < 0:
            return 0
        return self.prefix[k] + self.values[k] * (x - self.days[k])

    def scaled_total(self, first: int, last: int) -> int:
        """Σ of the day prices of the days ``first`` through ``last``, in 1/``scale`` dollars
        (before any split adjustment)."""
        if self.closing_close is not None:
            return self.closing_close * (last - first + 1)
        return self._below(last + 1) - self._below(first)

    def check_covers(self, days: Days, trading: TradingCalendar, clause: str) -> None:
        """Every Trading Day whose close a default day uses must have one (``clause``: the deal's
        market value clause, for the message)."""
        missing: list[dt.date] = []
        for first, last in days:
            start = trading.previous_open(dt.date.fromordinal(first))
            end = dt.date.fromordinal(last)
            sessions = trading.count_open_days(start - ONE_DAY, end)
            quoted = bisect_right(self.days, last) - bisect_right(self.days, start.toordinal() - 1)
            if quoted < sessions:
                have = set(self.days)
                missing.extend(d for d in trading.open_days(start, end) if d.toordinal() not in have)
        if missing:
            shown = ", ".join(day.isoformat() for day in missing[:12])
            more = f" and {len(missing) - 12} more" if len(missing) > 12 else ""
            raise InputError([Diagnostic(
                "LD-MISSING-CLOSE",
                f"{clause} values each default day at that day's close; no close for {shown}{more}",
                quotes_source(self.source), field="close")])


HELD_BASES = frozenset({"market_value_held", "purchase_price_held"})
_DIVISORS = {"thirty": Fraction(30), "actual_365": Fraction(365, 12)}
ONE = Fraction(1)


@functools.cache
def _whole_days(days: int) -> Fraction:
    """A period's length in days as the divisor of ``actual_days_in_period`` (made once a length)."""
    return Fraction(days)


@quick_init
@dataclass(frozen=True)
class Held:
    """Registrable shares still held from ``since`` on, the split factor then, and the price
    paid for them (split-adjusted: ``purchase_price_held``)."""

    since: int
    shares: int
    split_factor: Fraction
    cost: Fraction = Fraction(0)


def registrable_lots(terms: Terms, timeline: Timeline, investor: str) -> list[Lot]:
    """PIPE-TERMS registration.registrable: "what must be registered and bears damages"."""
    return [lot for lot in timeline.lots_of(investor) if bears_damages(terms, lot)]


def held_steps(terms: Terms, timeline: Timeline, investor: str,
               ends: dict[str, dt.date] | None = None, lots: list[Lot] | None = None) -> list[Held]:
    """PIPE-TERMS "Holdings": "Warrant shares count as held only once issued: from a cash
    exercise at the exercise price paid, from a cashless exercise at zero cost".

    RRA 3(e)(B) "still held": the registrable lots as the timeline holds them (sales from
    their date, splits from their effective date, a repurchase from its payment), each up
    to its own end (``ends``: ``per_lot_rule144``), with the split factor in force and the
    price paid for the shares held (a lot's price per share x the splits since it was
    acquired). ``lots``: the investor's registrable lots, when the caller has them."""
    if lots is None:
        lots = registrable_lots(terms, timeline, investor)
    steps = [Held(-NEVER, 0, ONE)]
    if not lots:
        return steps
    factor = timeline.capital_factor
    stops = {lot_id: end.toordinal() for lot_id, end in (ends or {}).items()}
    days = set(factor.change_days()).union(*(lot.held.change_days() for lot in lots),
                                            (stops[lot.id] for lot in lots if lot.id in stops))
    # A lot's price per share in Closing-share terms (its price x the split factor when acquired),
    # made once a lot; a day's cost is Σ held x that price, divided once by the factor in force.
    units: dict[str, tuple[int, int]] = {}  # numerator and denominator, reduced with each day's cost
    for lot in lots:
        if lot.cost:
            numerator, denominator = lot.cost.as_integer_ratio()
            acquired = factor.on(lot.acquired)
            units[lot.id] = (numerator * acquired.numerator, denominator * acquired.denominator)
    for day in sorted(days):
        in_force = factor.on(day)
        shares, costs = 0, []
        for lot in lots:
            if day >= stops.get(lot.id, NEVER):
                continue
            held = lot.held.on(day)
            shares += held
            if held and lot.cost:
                numerator, denominator = units[lot.id]
                costs.append(Fraction(held * numerator, denominator))
        cost = exact_total(costs)
        steps.append(Held(day, shares, in_force, cost if in_force == 1 else cost / in_force))
    return steps


@quick_init
@dataclass(frozen=True)
class Segment:
    """Default days with one rate, one divisor, one holding: one line of the computation.

    The amount is ``numerator / denominator`` exactly (integers: no Fraction is made
    while accruing). ``full_period``: the whole first period, charged on ``charged_on``
    (PIPE-TERMS ``first_period = "full"``), a zero amount on any later piece of that period.
    ``uncapped``: on the segment in which the cap is reached (its last day), what its days
    would have accrued without the cap."""

    first: dt.date
    last: dt.date
    days: int
    month: int  # 0-based month of the default period (or of the joined timeline)
    month_start: dt.date
    month_end: dt.date  # exclusive
    rate: Decimal
    divisor: Fraction
    shares: int
    split_factor: Fraction
    price_total_scaled: int  # Σ of the day closes in 1/scale dollars, before the split factor
    scale: int
    numerator: int
    denominator: int
    base: str = "market_value_held"
    base_total: Fraction = Fraction(0)  # Σ over its days of the amount the rate applies to
    full_period: bool = False
    charged_on: dt.date | None = None
    uncapped: Fraction | None = None

    def replaced(self, **changes) -> Segment:
        """``dataclasses.replace``: its instance dict is exactly its fields."""
        return Segment(**{**self.__dict__, **changes})

    @property
    def price_total(self) -> Fraction:
        """Σ of the day prices used (closes, or the split-adjusted Closing close)."""
        if self.split_factor == 1:
            return Fraction(self.price_total_scaled, self.scale)
        return Fraction(self.price_total_scaled, self.scale) / self.split_factor

    @property
    def amount(self) -> Fraction:
        return Fraction(self.numerator, self.denominator)

    @property
    def base_per_day(self) -> Fraction:
        """The amount the rate applies to on each of its days (its first day's, for a whole
        first period)."""
        return self.base_total if self.full_period else self.base_total / self.days

    def through(self, ordinal: int, market: MarketValues) -> Fraction:
        """The exact amount of its days on or before day ``ordinal``: a whole first period from
        its first day; otherwise in proportion to the day prices (a market value) or the days
        (any other base), and never more than the cap left it."""
        first = self.first.toordinal()
        if ordinal < first:
            return Fraction(0)
        if ordinal >= self.last.toordinal() or self.full_period:
            return self.amount
        whole = self.uncapped if self.uncapped is not None else self.amount
        if self.price_total_scaled:
            numerator = whole.numerator * market.scaled_total(first, ordinal)
            denominator = whole.denominator * self.price_total_scaled
        elif self.base == "market_value_held":
            return min(ZERO, self.amount)
        else:
            numerator, denominator = whole.numerator * (ordinal - first + 1), whole.denominator * self.days
        # min(part, amount), compared on the integers: the amount's Fraction only when it is less.
        if numerator * self.denominator <= self.numerator * denominator:
            return Fraction(numerator, denominator)
        return self.amount


@quick_init
@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date
    days: int


@quick_init
@dataclass(frozen=True)
class Demand:
    date: dt.date
    amount: Decimal
    effective: dt.date | None  # the day it took effect as a notice (SPA 12.1); None: never
    effect: str
    due: dt.date | None
    paid_by_due: Decimal
    status: str  # met | missed | pending | not_applicable
    met_on: dt.date | None


@quick_init
@dataclass(frozen=True)
class Capped:
    """PIPE-TERMS liquidated_damages.cap: the cap, whether and when it was reached."""

    rate: Decimal
    of: str
    measure: Fraction | None  # what the rate applies to: on the day reached, else on the last default day
    amount: Fraction | None  # the cap: rate x measure
    reached_on: dt.date | None
    uncapped: Fraction  # what the default days would have accrued without it
    days_after: int  # default days after the day it was reached: they accrue nothing


@quick_init
@dataclass(frozen=True)
class LatePortion:
    """Part of an installment paid after its due date, or still unpaid on the as-of date, and
    the simple interest on it (PIPE-TERMS liquidated_damages.late_interest)."""

    amount: Decimal
    start: dt.date  # the day after the due date
    end: dt.date  # the day paid, or the as-of date
    days: int
    paid_on: dt.date | None  # None: unpaid on the as-of date
    interest: Fraction


@quick_init
@dataclass(frozen=True)
class Installment:
    """An amount that falls due: a period's (``period_end``, ``period_start``) or a demand's
    (``on_demand``: what it demands beyond the demands before it)."""

    source: str  # period | demand
    first: dt.date  # its first default day (a demand: the demand's date)
    last: dt.date  # its last default day so far (a demand: its date)
    days: int  # default days in it (a demand: 0)
    period: int | None  # 0-based period of its clock
    accrued_exact: Fraction  # what its days accrued through the as-of date
    exact: Fraction  # owed: accrued, or projected to the period's end while the default runs on
    amount: Decimal  # to the cent: the running total rounded once, less the one before
    projected: bool  # the default runs on and the period is not over: owed assumes it continues
    counted_from: dt.date | None  # the day ``payment.days`` are counted from
    due: dt.date | None
    paid: Decimal = CENTS_ZERO
    settled_on: dt.date | None = None
    status: str = "pending"  # met | missed | pending
    late: tuple[LatePortion, ...] = ()

    @property
    def late_interest(self) -> Fraction:
        return exact_total([portion.interest for portion in self.late])

    def settled(self, paid: Decimal, settled_on: dt.date | None, status: str,
                late: tuple[LatePortion, ...]) -> Installment:
        """The installment as the payments left it (``dataclasses.replace`` without its generic
        walk of the fields)."""
        return Installment(self.source, self.first, self.last, self.days, self.period, self.accrued_exact,
                           self.exact, self.amount, self.projected, self.counted_from, self.due, paid, settled_on,
                           status, late)


class Excluded(NamedTuple):
    """Default days an investor does not bear: why, the deal's clause, how many, and the
    [quotes] key of the words that excuse them."""

    reason: str
    clause: str
    days: int
    words: str


@quick_init
@dataclass(frozen=True)
class InvestorDamages:
    investor: str
    periods: tuple[Period, ...]
    segments: tuple[Segment, ...]
    excluded: tuple[Excluded, ...]
    accrued_exact: Fraction
    accrued: Decimal
    demands: tuple[Demand, ...]
    paid: Decimal
    demanded: Decimal
    due: dt.date | None
    balance: Decimal
    overdue: bool
    base: str = "market_value_held"
    base_amount: Fraction | None = None  # amount_invested or fixed: the one amount the rate applies to
    cap: Capped | None = None
    installments: tuple[Installment, ...] = ()
    credit: Decimal = CENTS_ZERO
    fallen_due: Decimal = CENTS_ZERO  # the installments due on or before the as-of date
    late_interest_exact: Fraction = Fraction(0)
    late_interest: Decimal = CENTS_ZERO

    @property
    def collection_costs_payable(self) -> bool:
        """RRA 3(e): "If the Company does not remit the payment ... the Company will pay
        the Investors reasonable costs of collection"."""
        return self.overdue


COLLECTION_WORDS = "RRA 3(e) collection"
"""The [quotes] key of a deal's costs-of-collection clause (RRA 3(e)): a deal that quotes none
has no such clause (a deal may charge late interest instead)."""


def collection_costs_owed(terms: Terms, result: InvestorDamages) -> bool:
    """RRA 3(e): reasonable costs of collection are payable on an overdue amount, under a deal
    whose agreement has the clause."""
    return result.collection_costs_payable and COLLECTION_WORDS in deal_words(terms)


@quick_init
@dataclass(frozen=True)
class Repurchase:
    """RRA 3(e)(A): the Company's election to repurchase instead of paying damages."""

    status: str  # valid | void | pending
    elected_on: dt.date
    default_start: dt.date | None
    election_deadline: dt.date | None
    paid_on: dt.date | None
    payment_deadline: dt.date | None
    amounts: dict[str, Decimal] = field(default_factory=dict)
    shares: dict[str, int] = field(default_factory=dict)
    reason: str = ""
    replaced_days: Days = iv.EMPTY


def repurchase_election(terms: Terms, timeline: Timeline, deal_days: Days, allocations: Sequence[Allocation],
                        calendars: Calendars, as_of: dt.date) -> Repurchase | None:
    """RRA 3(e)(A): "The election to repurchase ... shall be made ... within five (5)
    Trading Days of the date on which liquidated damages would otherwise begin to
    accrue, and payment shall be made within five (5) Trading Days of such notice,
    or else the Company's election shall be void"."""
    rule = terms.liquidated_damages.repurchase
    election = next((e for e in timeline.repurchase_elections if e.date <= as_of), None)
    if election is None:
        return None
    if rule == "none":
        return Repurchase("void", election.date, None, None, None, None,
                          reason="the agreement gives the Company no right to repurchase instead of paying damages")
    # The election is a notice (SPA 12.1, RRA 8): it is made, and "such notice" starts the payment
    # days, when it takes effect for the last Investor (its date when no delivery is recorded).
    elected = timeline.effective_day(election)
    if elected is None:
        return Repurchase("void", election.date, None, None, None, None,
                          reason=f"the election sent {election.date} never took effect as a notice")
    starts = [run for run in deal_days if run[0] <= elected.toordinal()]
    if not starts:
        return Repurchase("void", elected, None, None, None, None,
                          reason="no Registration Default had begun when the election was made")
    run = starts[-1]
    begins = dt.date.fromordinal(run[0])
    election_due = count(begins, rule.election_days, rule.unit, calendars)
    payment_due = count(elected, rule.payment_days, rule.unit, calendars)
    payment = next((e for e in timeline.repurchase_payments if election.date <= e.date <= as_of), None)
    paid_on = payment.date if payment else None
    common = (elected, begins, election_due, paid_on, payment_due)
    if elected > as_of:
        return Repurchase("pending", *common, reason=f"the election takes effect {elected}")
    if elected > election_due:
        return Repurchase("void", *common, reason=f"elected after {election_due}, {rule.election_days} "
                          f"{UNIT_WORDS[rule.unit]} after damages began to accrue on {begins}")
    if payment is None:
        if as_of <= payment_due:
            return Repurchase("pending", *common, reason=f"payment due by {payment_due}")
        return Repurchase("void", *common, reason=f"not paid by {payment_due}")
    if payment.date > payment_due:
        return Repurchase("void", *common, reason=f"paid {payment.date}, after {payment_due}")
    shares, amounts = {}, {}
    for allocation in allocations:
        lot = timeline.purchased_lot(allocation.investor)
        held = lot.held.on(payment.date) if lot else 0
        shares[allocation.investor] = held
        amounts[allocation.investor] = cents(held * Fraction(allocation.purchase_price))
    return Repurchase("valid", *common, amounts=amounts, shares=shares,
                      reason=f"elected by {election_due} and paid by {payment_due}", replaced_days=(run,))


class MonthClock:
    """The damages' periods counted from an anchor day (PIPE-TERMS ``period``), as day offsets
    from the anchor: ``month`` k runs from anchor + k months to anchor + (k + 1) months
    (``add_months``); ``thirty_days`` k from anchor + 30k days; ``calendar_month`` periods
    are the calendar months the days touch (the first from the anchor to the month's end)."""

    def __init__(self, anchor: dt.date, kind: str = "month"):
        self.anchor = anchor
        self.kind = kind
        self.bounds = [0]

    def _next_bound(self) -> int:
        k = len(self.bounds)
        if self.kind == "thirty_days":
            return 30 * k
        if self.kind == "calendar_month":
            first = self.anchor.replace(day=1)
            return (add_months(first, k) - self.anchor).days
        return (add_months(self.anchor, k) - self.anchor).days

    def month_of(self, offset: int) -> int:
        while self.bounds[-1] <= offset:
            self.bounds.append(self._next_bound())
        return bisect_right(self.bounds, offset) - 1

    def start(self, period: int) -> dt.date:
        return self.anchor + dt.timedelta(days=self.bounds[period])

    def end(self, period: int) -> dt.date:
        return self.anchor + dt.timedelta(days=self.bounds[period + 1])

    def length(self, period: int) -> int:
        """The days of a period, a day's share of its rate under ``actual_days_in_period``:
        a whole calendar month, even for the first, which begins on the anchor."""
        if self.kind == "calendar_month":
            first = self.start(period).replace(day=1)
            return (add_months(first, 1) - first).days
        return self.bounds[period + 1] - self.bounds[period]


def _clock_runs(days: Days, cumulative: bool) -> list[Days]:
    """RRA 3(e)(B) "for the first two months": each default period starts its own
    clock, or (``ld_schedule_clock = cumulative``) one clock runs over all of them."""
    if cumulative:
        return [days] if days else []
    return [(run,) for run in days]



def base_on(terms: Terms, held: Held, market: MarketValues, constant: Fraction | None, ordinal: int) -> Fraction:
    """PIPE-TERMS liquidated_damages.base: "the amount a rate applies to, per investor, per day":
    registrable shares still held x the day's price (``market_value_held``); x the price paid
    (``purchase_price_held``); the amount invested; or ``fixed_amount``."""
    base = terms.liquidated_damages.base
    if base == "market_value_held":
        price = Fraction(market.scaled_total(ordinal, ordinal), market.scale)
        if market.closing_close is not None:
            price /= held.split_factor
        return held.shares * price
    if base == "purchase_price_held":
        return held.cost
    assert constant is not None
    return constant


def accrue(terms: Terms, days: Days, held: Sequence[Held], market: MarketValues,
           constant: Fraction | None = None) -> list[Segment]:
    """PIPE-TERMS "Periods and first period": "first_period = "full" charges the whole first
    period of each run (under clock = "cumulative", only the first period of the joined
    timeline) on its first day, prorated never; later periods accrue by proration".

    The segments of one investor's damages over ``days``: rate x base / divisor a day,
    cut where the period, the rate or the holding changes. ``constant`` is the base of
    ``amount_invested`` and ``fixed``. The periods (``_pieces``) are the deal's, shared by
    every investor with the same default days; the holding cuts them here."""
    ld = terms.liquidated_damages
    sinces = [step.since for step in held]
    full = ld.first_period == "full"
    segments: list[Segment] = []
    charged: dict[int, dt.date] = {}  # by clock: the first day of its first period, when charged whole
    for piece in _pieces(terms, days):
        if full and piece.period == 0:
            index = bisect_right(sinces, piece.first) - 1
            segments.append(_whole_first_period(terms, piece, held[index], market, constant, charged.get(piece.clock)))
            charged.setdefault(piece.clock, dt.date.fromordinal(piece.first))
            continue
        day = piece.first
        while day <= piece.last:
            stop = piece.last
            index = bisect_right(sinces, day) - 1
            if index + 1 < len(sinces) and sinces[index + 1] <= stop:
                stop = sinces[index + 1] - 1  # the holding changes: a new segment
            segments.append(_segment(terms, piece, day, stop, held[index], market, constant))
            day = stop + 1
    return segments


def _rate(rates: list[tuple[int | None, Decimal, Fraction]], month: int) -> tuple[Decimal, Fraction]:
    passed = 0
    for months, rate, exact in rates:
        if months is None or month < passed + months:
            return rate, exact
        passed += months
    return rates[-1][1], rates[-1][2]  # pragma: no cover - the last step is open-ended


def _segment(terms: Terms, piece: _Piece, first: int, last: int, held: Held, market: MarketValues,
             constant: Fraction | None) -> Segment:
    ld = terms.liquidated_damages
    days = last - first + 1
    exact_rate, divisor = piece.rate, piece.divisor
    if ld.base == "market_value_held":
        total = market.scaled_total(first, last)
        factor = held.split_factor if market.closing_close is not None else ONE
        # rate x shares x (total / scale) / factor / divisor, as integers over one denominator.
        numerator = exact_rate.numerator * held.shares * total * factor.denominator * divisor.denominator
        denominator = exact_rate.denominator * market.scale * factor.numerator * divisor.numerator
        base_total = Fraction(held.shares * total * factor.denominator, market.scale * factor.numerator)
        scale = market.scale
    else:
        per_day = base_on(terms, held, market, constant, first)
        # rate x base x days / divisor over one denominator, reduced once: the same lowest terms
        # the Fraction products gave, without a normalisation at each of them.
        numerator = exact_rate.numerator * per_day.numerator * days * divisor.denominator
        denominator = exact_rate.denominator * per_day.denominator * divisor.numerator
        common = math.gcd(numerator, denominator)
        numerator, denominator = numerator // common, denominator // common
        total, scale, factor = 0, 1, held.split_factor
        base_total = Fraction(per_day.numerator * days, per_day.denominator)
    return Segment(
        dt.date.fromordinal(first), dt.date.fromordinal(last), days, piece.period, piece.start, piece.end,
        piece.rate_text, divisor, held.shares, factor, total, scale, numerator, denominator, ld.base, base_total)


def _whole_first_period(terms: Terms, piece: _Piece, held: Held, market: MarketValues, constant: Fraction | None,
                        charged_on: dt.date | None) -> Segment:
    """PIPE-TERMS ``first_period = "full"``: "the whole first period's amount is owed on the
    first default day": the first period's rate x the base of that day, no proration; a later
    piece of the same period (another run, on the cumulative clock) owes nothing more."""
    ld = terms.liquidated_damages
    first, last, exact_rate = piece.first, piece.last, piece.rate  # the first period's rate
    market_based = ld.base == "market_value_held"
    if charged_on is None:
        base = base_on(terms, held, market, constant, first)
        amount = Fraction(exact_rate.numerator * base.numerator, exact_rate.denominator * base.denominator)
        total = market.scaled_total(first, first) if market_based else 0
    else:
        base, amount, total = ZERO, ZERO, 0
    factor = held.split_factor if market_based and market.closing_close is not None else ONE
    return Segment(
        dt.date.fromordinal(first), dt.date.fromordinal(last), last - first + 1, 0, piece.start, piece.end,
        piece.rate_text, ONE, held.shares, factor, total, market.scale if market_based else 1, amount.numerator,
        amount.denominator, ld.base, base, full_period=True, charged_on=charged_on or dt.date.fromordinal(first))


def exact_sum(segments: Sequence[Segment]) -> Fraction:
    """Σ of the segments' amounts: integers over their least common denominator, divided once."""
    return Accrual(segments).total


class Accrual:
    """One investor's segments, summed as integers over their least common denominator, with
    running totals so the accrual through any day (a demand's) costs a binary search."""

    def __init__(self, segments: Sequence[Segment]):
        self.segments = segments
        self.common = math.lcm(*{segment.denominator for segment in segments}) if segments else 1
        running = [0]
        for segment in segments:
            running.append(running[-1] + segment.numerator * (self.common // segment.denominator))
        self.running = running
        self.lasts = [segment.last.toordinal() for segment in segments]

    @property
    def total(self) -> Fraction:
        return Fraction(self.running[-1], self.common)

    def through(self, day: dt.date, market: MarketValues) -> Fraction:
        """The exact accrual of the default days on or before ``day``."""
        ordinal = day.toordinal()
        whole = bisect_right(self.lasts, ordinal)  # segments that end on or before the day
        amount = Fraction(self.running[whole], self.common)
        if whole < len(self.segments) and self.segments[whole].first <= day:
            amount += self.segments[whole].through(ordinal, market)
        return amount

    def scaled_through(self, ordinal: int, market: MarketValues) -> int | Fraction:
        """``through``, as the integer numerator over ``common`` when the day ends a segment (or
        falls outside every segment); a Fraction when it cuts one."""
        whole = bisect_right(self.lasts, ordinal)
        if whole < len(self.segments) and self.segments[whole].first.toordinal() <= ordinal:
            return Fraction(self.running[whole], self.common) + self.segments[whole].through(ordinal, market)
        return self.running[whole]


class CapRule:
    """PIPE-TERMS liquidated_damages.cap: "per investor, over all defaults; accrual stops at the
    cap, to the cent". The cap on a day is ``rate`` x its ``of`` on that day: the amount
    invested (fixed), or the price paid for / the market value of the registrable shares then
    held (these move with the holding, and a daily close with the day)."""

    def __init__(self, terms: Terms, held: Sequence[Held], market: MarketValues, invested: Fraction):
        cap = terms.liquidated_damages.cap
        assert cap != "none"
        self.rate, self.of = cap.rate, cap.of
        self.held, self.market, self.invested = held, market, invested
        self.sinces = [step.since for step in held]
        # Only a daily close makes the cap move within a segment (a segment has one holding).
        self.daily = cap.of == "market_value_held" and market.closing_close is None
        self.exact_rate = Fraction(cap.rate)
        self._limits: dict[int, Fraction] = {}  # a cap that moves only with the holding, by step
        self.unreached: Accrual | None = None  # after ``apply``: the accrual, when the cap cut nothing

    def measure(self, ordinal: int) -> Fraction:
        if self.of == "amount_invested":
            return self.invested
        step = self.held[bisect_right(self.sinces, ordinal) - 1]
        if self.of == "purchase_price_held":
            return step.cost
        price = Fraction(self.market.scaled_total(ordinal, ordinal), self.market.scale)
        if self.market.closing_close is not None:
            price /= step.split_factor
        return step.shares * price

    def on(self, ordinal: int) -> Fraction:
        if self.of == "market_value_held":
            return self.exact_rate * self.measure(ordinal)
        # The amount invested is one cap; the price paid changes only with the holding: each is
        # computed once, not once a segment.
        key = 0 if self.of == "amount_invested" else bisect_right(self.sinces, ordinal)
        limit = self._limits.get(key)
        if limit is None:
            limit = self._limits[key] = self.exact_rate * self.measure(ordinal)
        return limit

    def apply(self, segments: Sequence[Segment], days: Days, market: MarketValues) -> tuple[list[Segment], Capped]:
        """The segments up to the day the running total reaches the cap in force that day: that
        day accrues what is left under the cap (nothing, if the cap has fallen below the total)
        and no later default day accrues anything."""
        # The running totals as integers over one denominator: a segment the cap does not reach
        # costs one integer comparison, no Fraction.
        accrual = Accrual(segments)
        uncapped = accrual.total
        running, common = accrual.running, accrual.common
        kept: list[Segment] = []
        for index, segment in enumerate(segments):
            first, last = segment.first.toordinal(), segment.last.toordinal()
            reached = self._reached(segment, first, last, running[index], running[index + 1], common, market)
            if reached is None:
                kept.append(segment)
                continue
            total = Fraction(running[index], common)
            limit = self.on(reached)
            owed = max(segment.through(reached - 1, market), limit - total, Fraction(0))
            cut = _cut(segment, reached, owed, market)
            kept.append(cut)
            after = iv.count(iv.clip(days, first=dt.date.fromordinal(reached + 1)))
            return kept, Capped(self.rate, self.of, self.measure(reached), limit, dt.date.fromordinal(reached),
                                uncapped, after)
        self.unreached = accrual  # every segment kept as it was: the same running totals
        last_day = days[-1][1] if days else None
        measure = self.measure(last_day) if last_day is not None else (
            self.invested if self.of == "amount_invested" else None)
        return kept, Capped(self.rate, self.of, measure, None if measure is None else Fraction(self.rate) * measure,
                            None, uncapped, 0)

    def _reached(self, segment: Segment, first: int, last: int, before: int, after: int, common: int,
                 market: MarketValues) -> int | None:
        """The first day of the segment on which the running total reaches that day's cap (the
        running total before the segment and after it: ``before`` and ``after`` / ``common``)."""
        if segment.full_period or not self.daily:
            limit = self.on(first)
            if after * limit.denominator < limit.numerator * common:  # total + amount < limit
                return None
            if segment.full_period:
                return first
            if not segment.price_total_scaled:  # accrues evenly by day: solve for the day
                # the days needed: (limit - total) x days / whole, rounded up, on the integers
                if segment.uncapped is not None:
                    whole_n, whole_d = segment.uncapped.numerator, segment.uncapped.denominator
                else:
                    whole_n, whole_d = segment.numerator, segment.denominator
                need_n = (limit.numerator * common - before * limit.denominator) * segment.days * whole_d
                need_d = limit.denominator * common * whole_n
                days = max(1, -(-need_n // need_d))
                return min(last, first + days - 1)
            total = Fraction(before, common)
            low, high = first, last  # the cap is reached by ``last``: the first such day
            while low < high:
                middle = (low + high) // 2
                if total + segment.through(middle, market) >= limit:
                    high = middle
                else:
                    low = middle + 1
            return low
        total = Fraction(before, common)
        for ordinal in range(first, last + 1):
            if total + segment.through(ordinal, market) >= self.on(ordinal):
                return ordinal
        return None


def _cut(segment: Segment, reached: int, owed: Fraction, market: MarketValues) -> Segment:
    """The segment ended on the day the cap is reached, owing ``owed``."""
    if segment.full_period:
        return segment.replaced(numerator=owed.numerator, denominator=owed.denominator, uncapped=segment.amount)
    first = segment.first.toordinal()
    days = reached - first + 1
    whole = segment.through(reached, market)
    if segment.price_total_scaled:
        total = market.scaled_total(first, reached)
        base_total = segment.base_total * Fraction(total, segment.price_total_scaled)
    else:
        total = 0
        base_total = Fraction(segment.base_total.numerator * days, segment.base_total.denominator * segment.days)
    return segment.replaced(last=dt.date.fromordinal(reached), days=days, price_total_scaled=total,
                   numerator=owed.numerator, denominator=owed.denominator, base_total=base_total, uncapped=whole)


@quick_init
@dataclass(frozen=True)
class InvestorDays:
    """Which days count for one investor, and the Shares it holds on each."""

    investor: str
    days: Days
    held: list[Held]
    excluded: tuple[Excluded, ...]
    invested: Fraction = Fraction(0)  # PIPE-TERMS amount_invested: the whole purchase price at the Closing


def investor_days(terms: Terms, investor: str, timeline: Timeline, defaults: DefaultDays,
                  repurchase: Repurchase | None) -> InvestorDays:
    """RRA 3(e), 4: the investor's default days after exclusions, a valid repurchase, the
    end of the Effectiveness Period for its registrable shares, and (for a base of shares
    held) the days it holds none (damages stop when it has sold everything).

    PIPE-TERMS "amount_invested": "the investor's whole purchase price at the Closing
    (subscription, exact, warrant purchase price included), not reduced by sales, whatever
    registrable lists": under ``amount_invested`` and ``fixed`` holding nothing stops nothing."""
    raw = iv.union(*defaults.kinds.values())
    days = defaults.for_investor(investor)
    excluded = []
    for exclusion in defaults.exclusions:
        if exclusion.investor in (None, investor):
            removed = iv.count(iv.intersect(raw, exclusion.days))
            if removed:
                excluded.append(Excluded(exclusion.reason, exclusion.clause, removed, exclusion.words))
    if repurchase is not None and repurchase.status == "valid":
        days = iv.subtract(days, repurchase.replaced_days)
    lots = registrable_lots(terms, timeline, investor)
    # A lot cannot stop bearing damages before it exists (a cashless lot's Rule 144 date,
    # tacked to the Warrant's issue, may be earlier than its exercise).
    ends = {lot.id: max(end, lot.acquired) for lot in lots
            if (end := defaults.period.lot_end(lot.id)) is not None and end != defaults.period.end}
    unissued = _warrant_shares_unissued_until(terms, timeline, investor)
    if lots and len(ends) == len(lots) and unissued is not NEVER_ISSUED:
        # every registrable lot stops bearing damages at its own date, and no warrant share
        # the investor could still be issued remains to be registered
        end = max([*ends.values(), *((unissued,) if unissued else ())])
        cut = iv.clip(days, first=end)
        if cut:
            what = "the Shares" if [lot.kind for lot in lots] == ["closing"] else "every registrable lot"
            excluded.append(Excluded(f"{what} could be sold under {rule144_name(terms)} from {end} "
                                     "(effectiveness_period_end=per_lot_rule144)",
                                     cite(terms, "RRA 3(b)", "registration.effectiveness_period"), iv.count(cut),
                                     "RRA 3(b)"))
        days = iv.clip(days, last=end - ONE_DAY)
    held = held_steps(terms, timeline, investor, ends, lots)
    if terms.liquidated_damages.base in HELD_BASES:
        days = _held_days(days, held)
    allocation = next((a for a in timeline.allocations if a.investor == investor), None)
    invested = Fraction(allocation.subscription) if allocation is not None else Fraction(0)
    return InvestorDays(investor, days, held, tuple(excluded), invested)


NEVER_ISSUED = dt.date.max


def _warrant_shares_unissued_until(terms: Terms, timeline: Timeline, investor: str) -> dt.date | None:
    """PIPE-TERMS registration.registrable ``warrant_shares``: a warrant share not yet issued
    is still to be registered, and no Rule 144 date frees it before it exists. The day from
    which the investor holds no Warrant (None: it never held one, or its warrant shares are
    not registrable; ``NEVER_ISSUED``: a Warrant is still outstanding)."""
    if "warrant_shares" not in terms.registration.registrable:
        return None
    held = [cert for cert in timeline.certificates.values() if cert.holder == investor]
    if not held:
        return None
    if any(cert.closed_from is None for cert in held):
        return NEVER_ISSUED
    return max(cert.closed_from for cert in held)  # type: ignore[type-var]


def _held_days(days: Days, held: Sequence[Held]) -> Days:
    """Damages stop while the investor holds no registrable shares (sold everything, repurchased)."""
    empty = []
    for index, step in enumerate(held):
        if step.shares == 0:
            until = held[index + 1].since - 1 if index + 1 < len(held) else NEVER
            empty.append((step.since, until))
    return iv.subtract(days, iv.normalize(empty))


def constant_base(terms: Terms, plan: InvestorDays) -> Fraction | None:
    """PIPE-TERMS "amount_invested": "the investor's whole purchase price at the Closing
    (subscription, exact, warrant purchase price included)"; or ``fixed_amount``: the one
    amount the rate applies to under these two bases."""
    ld = terms.liquidated_damages
    if ld.base == "amount_invested":
        return plan.invested
    if ld.base == "fixed":
        assert ld.fixed_amount is not None  # the terms file requires it with base = fixed
        return Fraction(ld.fixed_amount)
    return None


def investor_damages(terms: Terms, plan: InvestorDays, market: MarketValues, timeline: Timeline,
                     calendars: Calendars, as_of: dt.date) -> InvestorDamages:
    """RRA 3(e)(B): "pay Investor (pro rated on a daily basis), as liquidated damages
    ... one percent (1%) of the aggregate market value ... for the first two months
    and two percent (2%) for every month thereafter"; PIPE-TERMS "Liquidated damages": the
    deal's base, first period, cap, payment schedule and late interest."""
    ld = terms.liquidated_damages
    constant = constant_base(terms, plan)
    segments = accrue(terms, plan.days, plan.held, market, constant)
    cap = None
    rule = CapRule(terms, plan.held, market, plan.invested) if ld.cap != "none" else None
    if rule is not None:
        segments, cap = rule.apply(segments, plan.days, market)
    accrual = rule.unreached if rule is not None and rule.unreached is not None else Accrual(segments)
    exact = accrual.total
    accrued = cents(exact)
    demands, paid, demanded, due, overdue = _demands(terms, plan, accrual, market, timeline, calendars,
                                                     as_of)
    payments = sorted((e.date, e.amount) for e in timeline.payments if e.investor == plan.investor
                      and e.date <= as_of)
    if ld.payment.due == "on_demand":
        rows = _demand_installments(demands)
        owed_total = max(accrued, demanded)
    else:
        rows = _period_installments(terms, plan, accrual, market, calendars, as_of, constant, rule, cap)
        owed_total = sum((row.amount for row in rows), CENTS_ZERO)
    installments = _settle(terms, rows, payments, as_of)
    if ld.payment.due != "on_demand":
        unsettled = [row for row in installments if row.settled_on is None and row.due is not None]
        due = min((row.due for row in unsettled), default=None)  # type: ignore[type-var]
        overdue = any(as_of > row.due for row in unsettled)  # type: ignore[operator]
    interest = exact_total([portion.interest for row in installments for portion in row.late])
    return InvestorDamages(
        investor=plan.investor,
        periods=tuple(Period(*iv.dates(run), run[1] - run[0] + 1) for run in plan.days),
        segments=tuple(segments), excluded=plan.excluded, accrued_exact=exact, accrued=accrued,
        demands=tuple(demands), paid=paid, demanded=demanded, due=due, balance=accrued - paid,
        overdue=overdue, base=ld.base, base_amount=constant, cap=cap, installments=tuple(installments),
        credit=max(CENTS_ZERO, paid - owed_total),
        fallen_due=sum((row.amount for row in installments if row.due is not None and row.due <= as_of),
                       CENTS_ZERO),
        late_interest_exact=interest, late_interest=cents(interest))


def demand_effect(timeline: Timeline, demand) -> tuple[dt.date | None, str]:
    """RULES §3: a demand takes effect as a notice to the Company (SPA 12.1, RRA 8), as the
    timeline recorded it (``notices.sent``); one recorded without ``sent_at`` and ``method``
    takes effect on its date."""
    record = timeline.notice_of(demand) if demand.delivered else None
    if record is None:
        return demand.date, f"demand dated {demand.date} (no delivery recorded: effective that day)"
    [receipt] = record.receipts  # a demand has one recipient, the Company
    return receipt.day, receipt.reason


def _demands(terms: Terms, plan: InvestorDays, accrual: Accrual, market: MarketValues, timeline: Timeline,
             calendars: Calendars, as_of: dt.date):
    """RRA 3(e): "Payment of the liquidated damages shall be made ... within five (5)
    calendar days of demand"; the demand is a notice (SPA 12.1), so the days run from
    the day it takes effect. Under a payment schedule (``period_end``, ``period_start``) a
    demand sets no due date: the installments fall due by the schedule."""
    investor = plan.investor
    payment = terms.liquidated_damages.payment
    on_demand = payment.due == "on_demand"
    # Payments sorted once, with running totals: a demand's met_on and paid_by_due are each a
    # binary search (O(log payments) a demand, not a walk of every payment).
    payments = sorted((e.date, e.amount) for e in timeline.payments if e.investor == investor and e.date <= as_of)
    dates = [when for when, _ in payments]
    running_paid = [CENTS_ZERO]
    for _, value in payments:
        running_paid.append(running_paid[-1] + value)
    paid = running_paid[-1]
    demands = []
    for event in timeline.demands:
        if event.investor != investor or event.date > as_of:
            continue
        amount = cents(accrual.through(event.date, market))
        effective, effect = demand_effect(timeline, event)
        if effective is not None and effective > as_of:
            effective, effect = None, effect + f"; not yet in effect on {as_of}"
        if not on_demand:
            demands.append(Demand(event.date, amount, effective, effect + f"; payment.due = {payment.due}: the "
                                  "damages fall due by the schedule, not on demand", None, CENTS_ZERO,
                                  "not_applicable", None))
            continue
        due = count(effective, payment.days, payment.unit, calendars) if effective else None
        # Payments are positive, so the running totals rise: the first that covers the demand.
        covering = bisect_left(running_paid, amount, lo=1)
        met_on = dates[covering - 1] if covering < len(running_paid) else None
        paid_by_due = running_paid[bisect_right(dates, due)] if due else CENTS_ZERO
        if due is None:
            status = "not_applicable" if effective is None and event.sent_at is not None else "pending"
        else:
            status = ("met" if met_on and met_on <= due else
                      "missed" if as_of > due or (met_on and met_on > due) else "pending")
        demands.append(Demand(event.date, amount, effective, effect, due, paid_by_due, status, met_on))
    effective_demands = [d for d in demands if d.due is not None]
    if not effective_demands:
        return demands, paid, (demands[-1].amount if demands else CENTS_ZERO), None, False
    latest = effective_demands[-1]
    overdue = as_of > latest.due and paid < latest.amount  # type: ignore[operator]
    return demands, paid, latest.amount, latest.due, overdue


def _demand_installments(demands: Sequence[Demand]) -> list[Installment]:
    """PIPE-TERMS liquidated_damages.payment ``on_demand``: "5 calendar days after the demand
    takes effect (a notice: SPA 12.1)". Each demand in effect owes what it demands beyond the
    demands before it (a demand demands the whole accrual through its date)."""
    rows, before = [], CENTS_ZERO
    for demand in sorted((d for d in demands if d.due is not None), key=lambda d: (d.due, d.date)):
        if demand.amount <= before:
            continue
        rows.append(Installment("demand", demand.date, demand.date, 0, None, Fraction(demand.amount - before),
                                Fraction(demand.amount - before), demand.amount - before, False, demand.effective,
                                demand.due))
        before = demand.amount
    return rows


@quick_init
@dataclass(frozen=True)
class _Piece:
    """The default days of one period of a clock within one run."""

    first: int
    last: int
    period: int
    left: int  # places of the period after ``last`` (0: the period is over)
    rate: Fraction
    divisor: Fraction
    rate_text: Decimal  # the schedule's rate as the terms write it
    start: dt.date  # the period's first day
    end: dt.date  # the period's end (exclusive)
    clock: int  # which clock: the run's (per_default_period), or the one cumulative clock


def _pieces(terms: Terms, days: Days) -> tuple[_Piece, ...]:
    """The default days cut by the periods of their clocks (RRA 3(e)(B) "for the first two
    months ... every month thereafter"): each piece has one rate and one divisor."""
    ld = terms.liquidated_damages
    return _clock_pieces(days, ld.clock == "cumulative", ld.period, ld.proration,
                         tuple((step.periods, str(step.rate)) for step in ld.schedule))


@functools.lru_cache(maxsize=1024)
def _clock_pieces(days: Days, cumulative: bool, period: str, proration: str,
                  schedule: tuple[tuple[int | None, str], ...]) -> tuple[_Piece, ...]:
    """``_pieces`` on hashable terms, computed once for every investor (and evaluation) with the
    same default days: the clocks do not depend on who holds what. The rates are keyed by their
    text, so 0.02 and 0.020 are not taken for one another."""
    rates = [(periods, Decimal(text), Fraction(text)) for periods, text in schedule]
    pieces = []
    for number, clock in enumerate(_clock_runs(days, cumulative)):
        months = MonthClock(dt.date.fromordinal(clock[0][0]), period)
        offset = 0  # place of the next day on the clock
        for first, last in clock:
            day = first
            while day <= last:
                month = months.month_of(offset)
                stop = min(last, day + (months.bounds[month + 1] - offset) - 1)
                offset += stop - day + 1
                rate, exact_rate = _rate(rates, month)
                divisor = _DIVISORS.get(proration) or _whole_days(months.length(month))
                pieces.append(_Piece(day, stop, month, months.bounds[month + 1] - offset, exact_rate, divisor, rate,
                                     months.start(month), months.end(month), number))
                day = stop + 1
    return tuple(pieces)


def _period_installments(terms: Terms, plan: InvestorDays, accrual: Accrual, market: MarketValues,
                         calendars: Calendars, as_of: dt.date, constant: Fraction | None, rule: CapRule | None,
                         cap: Capped | None) -> list[Installment]:
    """PIPE-TERMS liquidated_damages.payment: "``period_end``: each period's amount N days after
    the period ends, the last after the cure; ``period_start`` ... each period's amount is due N
    days after its first day; a period the cure cuts short owes its prorated part".

    An installment is a period's default days within one run (on the cumulative clock a period
    a cure interrupts is two installments). While the default runs on at the as-of date, the
    period it is in owes its whole amount if it continues to the period's end: the days to come
    at the as-of day's rate and base (the cap still applies); ``period_end`` counts from that
    projected last day, "its last default day" once the run has ended."""
    ld = terms.liquidated_damages
    payment = ld.payment
    pieces = _pieces(terms, plan.days)
    runs_on = bool(plan.days) and plan.days[-1][1] == as_of.toordinal()
    sinces = [step.since for step in plan.held]
    rows: list[Installment] = []
    # The running accrual is an integer over ``common`` where a piece ends a segment (the usual
    # case): an installment's exact amounts are then one Fraction each, not a subtraction.
    common = accrual.common
    before_accrued: int | Fraction = 0
    before_owed: int | Fraction = 0
    before_cents = CENTS_ZERO  # cents(before_owed), kept rather than rounded again
    before_same = True  # before_owed is before_accrued (no projection yet)
    for index, piece in enumerate(pieces):
        accrued_through = accrual.scaled_through(piece.last, market)
        owed_through = accrued_through
        ongoing = index == len(pieces) - 1 and runs_on and piece.left > 0
        if ongoing and not (ld.first_period == "full" and piece.period == 0) and (cap is None or
                                                                                cap.reached_on is None):
            held = plan.held[bisect_right(sinces, piece.last) - 1]
            daily = piece.rate * base_on(terms, held, market, constant, piece.last) / piece.divisor
            owed_through = _exact(owed_through, common) + piece.left * daily
            if rule is not None:
                owed_through = min(owed_through, rule.on(piece.last))
        owed_cents = (_cents(owed_through, common) if type(owed_through) is int
                      else cents(owed_through))  # type: ignore[arg-type]
        amount = owed_cents - before_cents
        exact = _less(owed_through, before_owed, common)
        if not amount and exact:
            continue  # less than half a cent: it goes with the next installment
        if amount:  # a period after the cap was reached owes nothing and falls due never
            if payment.due == "period_start":
                counted_from = dt.date.fromordinal(piece.first)
            else:
                counted_from = dt.date.fromordinal(piece.last + (piece.left if ongoing else 0))
            rows.append(Installment(
                "period", dt.date.fromordinal(piece.first), dt.date.fromordinal(piece.last),
                piece.last - piece.first + 1, piece.period,
                # accrued = owed unless projected: the one Fraction serves both
                exact if before_same and owed_through is accrued_through else
                _less(accrued_through, before_accrued, common), exact, amount, ongoing,
                counted_from, _installment_due(counted_from, payment.days, payment.unit, calendars)))
        before_accrued, before_owed, before_cents = accrued_through, owed_through, owed_cents
        before_same = owed_through is accrued_through
    return rows


def _installment_due(start: dt.date, days: int, unit: str, calendars: Calendars) -> dt.date:
    """``registration.count``: the due date N days after ``start``. Every investor with the same
    default days has installments counted from the same days, so the Trading or Business Days
    are counted once a day (``_open_days_after``), not once an investor."""
    if unit == "calendar" or days == 0:
        return count(start, days, unit, calendars)
    return _open_days_after(calendars.trading if unit == "trading" else calendars.business, start, days)


@functools.lru_cache(maxsize=4096)
def _open_days_after(calendar: BusinessCalendar, start: dt.date, days: int) -> dt.date:
    """The ``days``-th open day of ``calendar`` after ``start`` (its sessions or business days
    never change once loaded: a calendar object is one market's or place's)."""
    return calendar.add_open_days(start, days)


def _exact(value: int | Fraction, common: int) -> Fraction:
    """A running amount as a Fraction: an int is a numerator over ``common``."""
    return Fraction(value, common) if type(value) is int else value  # type: ignore[return-value]


def _less(value: int | Fraction, before: int | Fraction, common: int) -> Fraction:
    """``value - before`` exactly, for running amounts held as in ``_period_installments``."""
    if type(value) is int and type(before) is int:
        return Fraction(value - before, common)  # type: ignore[operator]
    return _exact(value, common) - _exact(before, common)


def _settle(terms: Terms, rows: Sequence[Installment], payments: Sequence[tuple[dt.date, Decimal]],
            as_of: dt.date) -> list[Installment]:
    """PIPE-TERMS "Payment": "Payments settle the oldest amount first. Late interest runs from
    the day after an amount is due to the day paid, or to the as-of date while unpaid, exact per
    day (per = "year": rate / 365 a day; per = "month": rate x 12 / 365 a day)".

    The installments in order of their due dates take the payments in date order (a payment
    beyond those due settles the next); each part of an installment paid after its due date,
    or unpaid on the as-of date, bears simple interest for the days after the due date."""
    rule = terms.liquidated_damages.late_interest
    daily = None if rule == "none" else _daily_interest(rule.rate, rule.per)
    order = sorted(rows, key=lambda row: (row.due or dt.date.max, row.first))
    paid_total = sum((amount for _, amount in payments), CENTS_ZERO)
    settled: list[Installment] = []
    start = CENTS_ZERO  # the installment's place in the running total owed
    j, covered = 0, CENTS_ZERO  # payments[:j] are used up to ``covered``
    for row in order:
        end = start + row.amount
        portions: list[LatePortion] = []
        settled_on = None
        position = start
        while j < len(payments) and position < end:
            when, value = payments[j]
            reach = covered + value  # the running total of payments through payments[j]
            if reach <= position:
                covered, j = reach, j + 1
                continue
            part = min(reach, end) - position
            position += part
            if daily is not None and row.due is not None and when > row.due:
                days = (when - row.due).days
                portions.append(LatePortion(part, row.due + ONE_DAY, when, days, when, _interest(daily, part, days)))
            if position >= end:
                settled_on = when
            if reach <= end:
                covered, j = reach, j + 1
        unpaid = end - position
        if unpaid > 0 and daily is not None and row.due is not None and as_of > row.due:
            days = (as_of - row.due).days
            portions.append(LatePortion(unpaid, row.due + ONE_DAY, as_of, days, None,
                                        _interest(daily, unpaid, days)))
        paid = min(row.amount, max(CENTS_ZERO, paid_total - start))
        due = row.due
        if due is None:
            status = "pending"
        elif settled_on is not None:
            status = "met" if settled_on <= due else "missed"
        else:
            status = "missed" if as_of > due else "pending"
        settled.append(row.settled(paid, settled_on, status, tuple(portions)))
        start = end
    return sorted(settled, key=lambda row: (row.first, row.due or dt.date.max))


@functools.cache
def _daily_interest(rate: Decimal, per: str) -> Fraction:
    """PIPE-TERMS late_interest: a day's rate, ``rate`` / 365 (per year) or ``rate`` x 12 / 365
    (per month); one Fraction a deal, not one an investor."""
    return Fraction(rate) / 365 * (12 if per == "month" else 1)


def _interest(daily: Fraction, amount: Decimal, days: int) -> Fraction:
    """Simple interest: daily rate x amount x days, exact, over one denominator."""
    numerator, denominator = amount.as_integer_ratio()
    return Fraction(daily.numerator * numerator * days, daily.denominator * denominator)


def payment_obligations(terms: Terms, damages: dict[str, InvestorDamages],
                        repurchase: Repurchase | None) -> list[Deadline]:
    """Each demand (RRA 3(e): due 5 calendar days after it takes effect), or under a payment
    schedule each installment (PIPE-TERMS liquidated_damages.payment), and a repurchase
    payment (RRA 3(e)(A): 5 Trading Days after the election) as obligations; a void
    election owes no payment (``not_applicable``)."""
    obligations = []
    scheduled = terms.liquidated_damages.payment.due != "on_demand"
    payment_clause = cite(terms, "RRA 3(e) payment", "liquidated_damages.payment")
    company, schedule = terms.company.id, terms.liquidated_damages.payment.due
    for investor, result in damages.items():
        if scheduled:
            for row in result.installments:
                if row.due is None:
                    continue
                projected = " (projected: the default runs on)" if row.projected else ""
                first = row.first.isoformat()
                ref = f"{schedule} installment {first} of {investor}"
                obligations.append(Deadline(
                    id=f"ld_payment:{investor}:{first}", clause=payment_clause, party=company,
                    duty=f"pay {investor} liquidated damages of ${row.amount:,} for the default days {first} to "
                         f"{row.last}{projected}", due=row.due, unrolled_due=row.due, status=row.status,
                    met_on=row.settled_on, met_by="ld_paid" if row.settled_on else None,
                    ref=ref, trigger=ref, owed_to=(investor,)))
            continue
        for demand in result.demands:
            ref = f"ld_demand {demand.date} by {investor}"
            obligations.append(Deadline(
                id=f"ld_payment:{investor}:{demand.date}", clause=payment_clause, party=terms.company.id,
                duty=f"pay {investor} liquidated damages of ${demand.amount:,}", due=demand.due or demand.date,
                unrolled_due=demand.due or demand.date, status=demand.status, met_on=demand.met_on,
                met_by="ld_paid" if demand.met_on else None, ref=ref, trigger=ref, owed_to=(investor,)))
    if repurchase is not None and repurchase.payment_deadline is not None:
        status = {"valid": "met", "pending": "pending"}.get(repurchase.status, "not_applicable")
        obligations.append(Deadline(
            id="repurchase_payment", clause=cite(terms, "RRA 3(e)(A)", "liquidated_damages.repurchase"),
            party=terms.company.id,
            duty="pay for the repurchased Shares" + ("" if status != "not_applicable" else
                                                    f" (the election is void: {repurchase.reason})"),
            due=repurchase.payment_deadline, unrolled_due=repurchase.payment_deadline, status=status,
            met_on=repurchase.paid_on if status == "met" else None,
            met_by="repurchase_paid" if status == "met" else None,
            ref=f"repurchase_elected {repurchase.elected_on}", trigger=f"repurchase_elected {repurchase.elected_on}",
            owed_to=tuple(investor for investor, amount in repurchase.amounts.items() if amount)))
    return obligations


def as_decimal(value: Fraction) -> Decimal:
    return fraction_to_decimal(value)
