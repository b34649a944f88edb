"""RRA 3(e)(A)-(B): liquidated damages per investor, demands, payments, repurchase.

The computation runs over segments, not days: a segment is a run of default
days over which the rate, the month period's length, the shares held and the
split factor are all constant, so its accrual is one product (the daily closes
within it are summed through a prefix integral of integers). Each segment's
amount is an exact integer over its own denominator; an investor's segments
are summed as integers over their least common denominator and divided once.
docs/liquidated-damages.md §3-4 states each rule; tests/test_ld_reference.py
checks this against a plain day-by-day computation.
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from pipedeal.base import intervals as iv
from pipedeal.base.calendars import Calendars, TradingCalendar, add_months
from pipedeal.base.diagnostics import Diagnostic, InputError
from pipedeal.base.intervals import Days
from pipedeal.base.money import CENT, fraction_to_decimal
from pipedeal.base.quotes import QuoteBook
from pipedeal.deal.terms import Terms
from pipedeal.engine.defaults import DefaultDays
from pipedeal.engine.notices import Delivery, takes_effect
from pipedeal.engine.pricing import Allocation
from pipedeal.engine.registration import UNIT_WORDS, Deadline, count
from pipedeal.engine.timeline import Timeline

ONE_DAY = dt.timedelta(days=1)
NEVER = 10**9  # an ordinal past any real day


def cents(amount: Fraction) -> Decimal:
    """Round an exact amount half-up to the cent: the one rounding RRA 3(e) gets."""
    scaled = amount * 100
    whole, remainder = divmod(scaled.numerator, scaled.denominator)
    if 2 * remainder >= scaled.denominator:
        whole += 1
    return Decimal(whole) * CENT


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
        values.check_covers(needed, trading)
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

    def check_covers(self, days: Days, trading: TradingCalendar) -> None:
        """Every Trading Day whose close a default day uses must have one."""
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
                f"RRA 3(e) values each default day at that day's close; no close for {shown}{more}",
                quotes_source(self.source), field="close")])


@dataclass(frozen=True)
class Held:
    """Shares of the Closing still held from ``since`` on, and the split factor then."""

    since: int
    shares: int
    split_factor: Fraction


def held_steps(timeline: Timeline, investor: str) -> list[Held]:
    """RRA 3(e)(B) "shares of Common Stock purchased from the Company and still held": the
    Closing lot as the timeline holds it (sales from their date, splits from their
    effective date, a repurchase from its payment), with the split factor in force."""
    lot = timeline.purchased_lot(investor)
    if lot is None:
        return [Held(-NEVER, 0, Fraction(1))]
    days = sorted({*lot.held.change_days(), *timeline.capital_factor.change_days()})
    steps = [Held(-NEVER, 0, Fraction(1))]
    for day in days:
        steps.append(Held(day, lot.held.on(day), timeline.capital_factor.on(day)))
    return steps


@dataclass(frozen=True)
class Segment:
    """Default days with one rate, one divisor, one holding: one line of the computation.

    The amount is ``numerator / denominator`` exactly (integers: no Fraction is made
    while accruing)."""

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

    @property
    def price_total(self) -> Fraction:
        """Σ of the day prices used (closes, or the split-adjusted Closing close)."""
        if self.split_factor == 1:
            return Fraction(self.price_total_scaled, self.scale)
        return Fraction(self.price_total_scaled, self.scale) / self.split_factor

    @property
    def amount(self) -> Fraction:
        return Fraction(self.numerator, self.denominator)


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date
    days: int


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


@dataclass(frozen=True)
class InvestorDamages:
    investor: str
    periods: tuple[Period, ...]
    segments: tuple[Segment, ...]
    excluded: tuple[tuple[str, str, int], ...]  # (reason, clause, days)
    accrued_exact: Fraction
    accrued: Decimal
    demands: tuple[Demand, ...]
    paid: Decimal
    demanded: Decimal
    due: dt.date | None
    balance: Decimal
    overdue: bool

    @property
    def collection_costs_payable(self) -> bool:
        """RRA 3(e): "If the Company does not remit the payment ... the Company will pay
        the Investors reasonable costs of collection"."""
        return self.overdue


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
    starts = [run for run in deal_days if run[0] <= election.date.toordinal()]
    if not starts:
        return Repurchase("void", election.date, None, None, None, None,
                          reason="no Registration Default had begun when the election was made")
    run = starts[-1]
    begins = dt.date.fromordinal(run[0])
    election_due = count(begins, rule.election_days, rule.unit, calendars)
    payment_due = count(election.date, rule.payment_days, rule.unit, calendars)
    payment = next((e for e in timeline.repurchase_payments if election.date <= e.date <= as_of), None)
    paid_on = payment.date if payment else None
    common = (election.date, begins, election_due, paid_on, payment_due)
    if election.date > election_due:
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


_DIVISORS = {"thirty": Fraction(30), "actual_365": Fraction(365, 12)}


def accrue(terms: Terms, days: Days, held: Sequence[Held], market: MarketValues) -> list[Segment]:
    """The segments of one investor's damages over ``days``."""
    ld = terms.liquidated_damages
    rates = [(step.periods, step.rate, Fraction(step.rate)) for step in ld.schedule]
    sinces = [step.since for step in held]
    segments: list[Segment] = []
    for clock in _clock_runs(days, ld.clock == "cumulative"):
        months = MonthClock(dt.date.fromordinal(clock[0][0]), ld.period)
        offset = 0  # place of the next day on the clock
        for first, last in clock:
            day = first
            while day <= last:
                month = months.month_of(offset)
                stop = min(last, day + (months.bounds[month + 1] - offset) - 1)
                index = bisect_right(sinces, day) - 1
                if index + 1 < len(sinces) and sinces[index + 1] <= stop:
                    stop = sinces[index + 1] - 1  # the holding changes: a new segment
                segments.append(_segment(ld.proration, rates, day, stop, month, months, held[index], market))
                offset += stop - day + 1
                day = stop + 1
    return segments


def _rate(rates: list[tuple[int | None, Decimal, Fraction]], month: int) -> tuple[Decimal, Fraction]:
    passed = 0
    for months, rate, exact in rates:
        if months is None or month < passed + months:
            return rate, exact
        passed += months
    return rates[-1][1], rates[-1][2]  # pragma: no cover - the last step is open-ended


def _segment(day_count: str, rates, first: int, last: int, month: int, months: MonthClock, held: Held,
             market: MarketValues) -> Segment:
    days = last - first + 1
    rate, exact_rate = _rate(rates, month)
    divisor = _DIVISORS.get(day_count, Fraction(months.length(month)))
    total = market.scaled_total(first, last)
    factor = held.split_factor if market.closing_close is not None else Fraction(1)
    # rate x shares x (total / scale) / factor / divisor, as integers over one denominator.
    numerator = exact_rate.numerator * held.shares * total * factor.denominator * divisor.denominator
    denominator = exact_rate.denominator * market.scale * factor.numerator * divisor.numerator
    return Segment(
        dt.date.fromordinal(first), dt.date.fromordinal(last), days, month, months.start(month), months.end(month),
        rate, divisor, held.shares, factor, total, market.scale, numerator, denominator)


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
            part = self.segments[whole]
            total = market.scaled_total(part.first.toordinal(), ordinal)
            amount += Fraction(part.numerator * total, part.denominator * part.price_total_scaled) \
                if part.price_total_scaled else Fraction(0)
        return amount


@dataclass(frozen=True)
class InvestorDays:
    """Which days count for one investor, and the Shares it holds on each."""

    investor: str
    days: Days
    held: list[Held]
    excluded: tuple[tuple[str, str, int], ...]


def investor_days(investor: str, timeline: Timeline, defaults: DefaultDays,
                  repurchase: Repurchase | None) -> InvestorDays:
    """RRA 3(e), 4: the investor's default days after exclusions, a valid repurchase, the
    end of the Effectiveness Period for its Shares, and the days it holds no Shares
    (damages stop when it has sold everything)."""
    raw = iv.union(*defaults.kinds.values())
    days = defaults.for_investor(investor)
    excluded = []
    for exclusion in defaults.exclusions:
        if exclusion.investor in (None, investor):
            removed = iv.count(iv.intersect(raw, exclusion.days))
            if removed:
                excluded.append((exclusion.reason, exclusion.clause, removed))
    if repurchase is not None and repurchase.status == "valid":
        days = iv.subtract(days, repurchase.replaced_days)
    lot = timeline.purchased_lot(investor)
    if lot is not None:
        end = defaults.period.lot_end(lot.id)
        if end is not None and end != defaults.period.end:
            cut = iv.clip(days, first=end)
            if cut:
                excluded.append((f"the Shares could be sold under Rule 144(k) from {end} "
                                 "(effectiveness_period_end=per_lot_rule144)", "RRA 3(b)", iv.count(cut)))
            days = iv.clip(days, last=end - ONE_DAY)
    held = held_steps(timeline, investor)
    return InvestorDays(investor, _held_days(days, held), held, tuple(excluded))


def _held_days(days: Days, held: Sequence[Held]) -> Days:
    """Damages stop while the investor holds no Shares (sold everything, repurchased)."""
    empty = []
    for index, step in enumerate(held):
        if step.shares == 0:
            until = held[index + 1].since - 1 if index + 1 < len(held) else NEVER
            empty.append((step.since, until))
    return iv.subtract(days, iv.normalize(empty))


def investor_damages(terms: Terms, plan: InvestorDays, market: MarketValues, timeline: Timeline,
                     calendars: Calendars, as_of: dt.date) -> InvestorDamages:
    """RRA 3(e)(B): "pay Investor (pro rated on a daily basis), as liquidated damages
    ... one percent (1%) of the aggregate market value ... for the first two months
    and two percent (2%) for every month thereafter"."""
    segments = accrue(terms, plan.days, plan.held, market)
    accrual = Accrual(segments)
    exact = accrual.total
    accrued = cents(exact)
    demands, paid, demanded, due, overdue = _demands(terms, plan, accrual, market, timeline, calendars,
                                                     as_of)
    return InvestorDamages(
        investor=plan.investor,
        periods=tuple(Period(*iv.dates(run), run[1] - run[0] + 1) for run in plan.days),
        segments=tuple(segments), excluded=plan.excluded, accrued_exact=exact, accrued=accrued,
        demands=tuple(demands), paid=paid, demanded=demanded, due=due, balance=accrued - paid,
        overdue=overdue)


def demand_effect(terms: Terms, demand, calendars: Calendars) -> tuple[dt.date | None, str]:
    """RULES §3: a demand takes effect as a notice to the Company (SPA 12.1, RRA 8); one
    recorded without ``sent_at`` and ``method`` takes effect on its date."""
    if demand.sent_at is None:
        return demand.date, f"demand dated {demand.date} (no delivery recorded: effective that day)"
    delivery = Delivery(demand.method, demand.sent_at, demand.received_at, demand.confirmed)
    effect = takes_effect(delivery, calendars.company, terms.company.timezone, terms.notices)
    return effect.day, effect.reason


def _demands(terms: Terms, plan: InvestorDays, accrual: Accrual, market: MarketValues, timeline: Timeline,
             calendars: Calendars, as_of: dt.date):
    """RRA 3(e): "Payment of the liquidated damages shall be made ... within five (5)
    calendar days of demand"; the demand is a notice (SPA 12.1), so the days run from
    the day it takes effect."""
    investor = plan.investor
    # Payments sorted once, with running totals: a demand's met_on and paid_by_due are each a
    # binary search (O(log payments) a demand, not a walk of every payment).
    payments = sorted((e.date, e.amount) for e in timeline.payments if e.investor == investor and e.date <= as_of)
    dates = [when for when, _ in payments]
    running_paid = [Decimal("0.00")]
    for _, value in payments:
        running_paid.append(running_paid[-1] + value)
    paid = running_paid[-1]
    demands = []
    for event in timeline.demands:
        if event.investor != investor or event.date > as_of:
            continue
        amount = cents(accrual.through(event.date, market))
        effective, effect = demand_effect(terms, event, calendars)
        if effective is not None and effective > as_of:
            effective, effect = None, effect + f"; not yet in effect on {as_of}"
        payment = terms.liquidated_damages.payment
        due = count(effective, payment.days, payment.unit, calendars) if effective else None
        # Payments are positive, so the running totals rise: the first that covers the demand.
        covering = bisect_left(running_paid, amount, lo=1)
        met_on = dates[covering - 1] if covering < len(running_paid) else None
        paid_by_due = running_paid[bisect_right(dates, due)] if due else Decimal("0.00")
        if due is None:
            status = "not_applicable" if effective is None and event.sent_at is not None else "pending"
        else:
            status = ("met" if met_on and met_on <= due else
                      "missed" if as_of > due or (met_on and met_on > due) else "pending")
        demands.append(Demand(event.date, amount, effective, effect, due, paid_by_due, status, met_on))
    effective_demands = [d for d in demands if d.due is not None]
    if not effective_demands:
        return demands, paid, (demands[-1].amount if demands else Decimal("0.00")), None, False
    latest = effective_demands[-1]
    overdue = as_of > latest.due and paid < latest.amount  # type: ignore[operator]
    return demands, paid, latest.amount, latest.due, overdue


def payment_obligations(terms: Terms, damages: dict[str, InvestorDamages],
                        repurchase: Repurchase | None) -> list[Deadline]:
    """Each demand (RRA 3(e): due 5 calendar days after it takes effect) and a repurchase
    payment (RRA 3(e)(A): 5 Trading Days after the election) as obligations; a void
    election owes no payment (``not_applicable``)."""
    obligations = []
    for investor, result in damages.items():
        for demand in result.demands:
            obligations.append(Deadline(
                id="ld_payment", clause="RRA 3(e)", party=terms.company.id,
                duty=f"pay {investor} liquidated damages of ${demand.amount:,}", due=demand.due or demand.date,
                unrolled_due=demand.due or demand.date, status=demand.status, met_on=demand.met_on,
                met_by="ld_paid" if demand.met_on else None, ref=f"ld_demand {demand.date} by {investor}"))
    if repurchase is not None and repurchase.payment_deadline is not None:
        status = {"valid": "met", "pending": "pending"}.get(repurchase.status, "not_applicable")
        obligations.append(Deadline(
            id="repurchase_payment", clause="RRA 3(e)(A)", party=terms.company.id,
            duty="pay for the repurchased Shares" + ("" if status != "not_applicable" else
                                                    f" (the election is void: {repurchase.reason})"),
            due=repurchase.payment_deadline, unrolled_due=repurchase.payment_deadline, status=status,
            met_on=repurchase.paid_on if status == "met" else None,
            met_by="repurchase_paid" if status == "met" else None,
            ref=f"repurchase_elected {repurchase.elected_on}"))
    return obligations


def as_decimal(value: Fraction) -> Decimal:
    return fraction_to_decimal(value)
