"""A deliberately naive reference for Registration Default days and liquidated damages.

Written from docs/liquidated-damages.md (RULES.md §3 made precise), independent
of the engine's intervals and rate segments: every calendar day from the Closing
to the as-of date is visited one at a time, and for each day and each kind the
spec's sentence is read directly. Money is ``Fraction`` throughout; nothing is
rounded. Only the deadlines (F, E and the additional statement's, tested
elsewhere) are taken from the engine's registration module.

Repurchase elections, LD demands and warrant exercises are out of scope (the
property logs have none).

PIPE-TERMS variants read the same way, a day at a time: the base (the market value
of the Shares held, the price paid for them, the amount invested, a fixed amount),
``first_period = "full"`` (the clock's first day owes its whole first period, the
rest of that period nothing) and the cap (each day, once the running total reaches
that day's cap, the day owes only what is left under it and every later day
nothing).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from pipedeal.engine import events as ev
from pipedeal.engine.registration import Deadline, registration_deadlines
from pipedeal.engine.timeline import Located, fold, make_context

ONE_DAY = dt.timedelta(days=1)
SPLIT_TYPES = (ev.StockSplit, ev.StockDividend, ev.ReverseSplit, ev.Reclassification)


# --- plain date arithmetic -------------------------------------------------------------

def plus_months(day: dt.date, months: int) -> dt.date:
    """``day`` + ``months`` calendar months, keeping the day of the month, clamped to
    the month's last day (January 31 + 1 month = February 28 or 29)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = 31
    while True:
        try:
            dt.date(year, month, last)
            break
        except ValueError:
            last -= 1
    return dt.date(year, month, min(day.day, last))


def plus_years(day: dt.date, years: int) -> dt.date:
    return plus_months(day, 12 * years)


def days_from(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    """Every calendar day from ``first`` through ``last``."""
    day = first
    while day <= last:
        yield day
        day += ONE_DAY


# --- reading the log ---------------------------------------------------------------------

def _events(events: Sequence) -> list[ev.EventBase]:
    """Events (``Located`` or bare) in the documented order: by date, then as recorded; a
    split whose record date precedes its date distributes its shares at the start of its date."""
    bare = [getattr(item, "event", item) for item in events]

    def order(event: ev.EventBase) -> tuple[dt.date, int]:
        early = isinstance(event, SPLIT_TYPES) and event.record_date is not None and event.record_date < event.date
        return event.date, 0 if early else 1

    return sorted(bare, key=order)


@dataclass(frozen=True)
class Facts:
    """What is known as of the as-of date, and the deadlines."""

    closing: dt.date
    as_of: dt.date
    known: list[ev.EventBase]
    deadlines: tuple[Deadline, ...]

    _of_kind: dict[type, tuple] = field(default_factory=dict, compare=False, repr=False)

    def of(self, kind: type) -> tuple:
        """The known events of ``kind``, in order; found once per kind (the reading asks for them day by day)."""
        found = self._of_kind.get(kind)
        if found is None:
            found = self._of_kind[kind] = tuple(event for event in self.known if isinstance(event, kind))
        return found

    def deadline(self, name: str) -> Deadline:
        return next(d for d in self.deadlines if d.id == name)

    def primary_effective(self) -> dt.date | None:
        dates = [e.date for e in self.of(ev.RsEffective) if e.statement == "primary"]
        return min(dates) if dates else None


def _facts(terms, events, calendars, as_of, deadlines) -> Facts | None:
    ordered = _events(events)
    closings = [event for event in ordered if isinstance(event, ev.Closing) and event.date <= as_of]
    if not closings:
        return None
    closing = closings[0].date
    known = [event for event in ordered if event.date <= as_of]
    if deadlines is None:
        located = [item if isinstance(item, Located) else Located(item) for item in events]
        timeline = fold(located, make_context(terms, calendars.business), until=as_of)
        deadlines = tuple(registration_deadlines(terms, timeline, calendars, as_of))
    return Facts(closing, as_of, known, tuple(deadlines))


# --- Registration Default days (spec §2) --------------------------------------------------

WARRANTS_EXPIRE = dt.date(2004, 12, 2)  # the day after the Termination Date 2004-12-01 (a Wednesday)


def _rule144_years(terms) -> int:
    """RRA 3(b)(v) with Rule 144(k): ``2y`` (1999) or ``1y`` (1997-2008 reading of a later date)."""
    return {"2y": 2, "1y": 1}[terms.registration.effectiveness_period.rule144]


def effectiveness_period_end(terms, facts: Facts) -> dt.date | None:
    """RRA 3(b), RULES §3 ``effectiveness_period_end``: the earliest recorded end; or, once
    nothing is held and the Warrants are gone, the last sale; under ``all_securities_rule144``
    also the day every Share passed Closing + rule144k_years and the Warrants expired."""
    ends = [event.date for event in facts.of(ev.EffectivenessPeriodEnd)]
    if facts.as_of >= WARRANTS_EXPIRE and all(
            held(terms, facts, investor.id, facts.as_of) == 0 for investor in terms.investors):
        last_sale = max(e.date for e in facts.of(ev.SharesSold))
        ends.append(max(last_sale, WARRANTS_EXPIRE))
    if terms.registration.effectiveness_period.end == "all_securities_rule144":
        ends.append(max(plus_years(facts.closing, _rule144_years(terms)), WARRANTS_EXPIRE))
    return min(ends) if ends else None


def damages_end(terms, facts: Facts) -> dt.date | None:
    """The first day the Shares bear no damages: under ``per_lot_rule144`` their own Rule 144(k)
    date, if earlier than the period's end."""
    end = effectiveness_period_end(terms, facts)
    if terms.registration.effectiveness_period.end == "per_lot_rule144":
        lot = plus_years(facts.closing, _rule144_years(terms))
        end = lot if end is None else min(end, lot)
    return end


def _in_financial_statement_window(terms, day: dt.date) -> bool:
    """RRA 3(e) last sentence: day in (fiscal year end + 45, fiscal year end + 90]."""
    month, dom = (int(part) for part in terms.deal.fiscal_year_end.split("-"))
    after, within = terms.registration.financial_statements_window
    for year in (day.year - 2, day.year - 1, day.year):
        year_end = dt.date(year, month, dom)
        if year_end + dt.timedelta(days=after) < day <= year_end + dt.timedelta(days=within):
            return True
    return False


def _one_year_before(day: dt.date) -> dt.date:
    return plus_years(day, -1)


def kinds_on(terms, facts: Facts, day: dt.date) -> set[str]:
    """The kinds of Registration Default on ``day``, deal-wide (before exclusions)."""
    kinds: set[str] = set()
    period_end = effectiveness_period_end(terms, facts)
    if (period_end is not None and day >= period_end) or day > facts.as_of:
        return kinds

    # filing / effectiveness: after the deadline, before the cure day.
    for name, kind in (("rs_filing", "filing"), ("rs_effectiveness", "effectiveness")):
        deadline = facts.deadline(name)
        if deadline.due < day and (deadline.met_on is None or day < deadline.met_on):
            kinds.add(kind)
    for deadline in facts.deadlines:
        if deadline.kind in ("additional_rs_filing", "additional_rs_effectiveness"):
            kind = deadline.kind.replace("_rs_", "_")
            if deadline.due < day and (deadline.met_on is None or day < deadline.met_on):
                kinds.add(kind)

    effective = facts.primary_effective()
    blackout_spans = [(b.start, b.end) for b in facts.of(ev.Blackout)]

    def is_blackout_day(d: dt.date) -> bool:
        return any(start <= d <= end for start, end in blackout_spans)

    # blackout: a blackout day within the Effectiveness Period when the counted blackout
    # days (from the primary effective date) in (day - 1 year, day] are more than 30.
    blackout_default = False
    if effective is not None and effective <= day and is_blackout_day(day):
        counted = sum(1 for d in days_from(_one_year_before(day) + ONE_DAY, day)
                      if d >= effective and is_blackout_day(d))
        blackout_default = counted > terms.registration.grace.max_days_per_year
    if blackout_default:
        kinds.add("blackout")

    # lapse: from a lapse date, before the next restore, within the Effectiveness Period.
    if effective is not None and effective <= day:
        restores = sorted(e.date for e in facts.of(ev.EffectivenessRestored) if e.statement == "primary")
        for lapse in facts.of(ev.EffectivenessLapsed):
            if lapse.statement != "primary" or not lapse.date <= day:
                continue
            cure = next((r for r in restores if r >= lapse.date), None)
            if cure is not None and day >= cure:
                continue
            if lapse.reason == "financial_statements" and _in_financial_statement_window(terms, day):
                continue
            if is_blackout_day(day) and not blackout_default:
                continue
            kinds.add("lapse")
    return kinds


EXCLUDED_BY_UNDERWRITER_REQUEST = {"effectiveness": ("rs_effectiveness",),
                                   "additional_effectiveness": ("additional_rs_effectiveness",)}


def _excused_by_request(terms, facts: Facts, request: ev.UnderwriterRequest, day: dt.date, kind: str) -> bool:
    """RRA 3(e)(ii), (iv): ``excludes_days`` excuses the request's own days;
    ``excuses_failure`` the whole failure of a statement whose deadline the request began on or
    before, or while the statement was overdue."""
    if kind not in EXCLUDED_BY_UNDERWRITER_REQUEST:
        return False
    if terms.registration.underwriter_request == "excludes_days":
        return request.start <= day <= request.end
    for deadline in facts.deadlines:
        if deadline.kind not in EXCLUDED_BY_UNDERWRITER_REQUEST[kind]:
            continue
        overdue = deadline.due < day and (deadline.met_on is None or day < deadline.met_on)
        cured = deadline.met_on or facts.as_of + ONE_DAY
        if overdue and (request.start <= deadline.due or request.start < cured):
            return True
    return False


def _excluded(terms, facts: Facts, investor: str, day: dt.date, kind: str) -> bool:
    """RRA 4 investor delays (every kind); RRA 3(e)(ii),(iv) underwriter requests."""
    for event in facts.of(ev.InvestorDelay | ev.UnderwriterRequest):
        if event.investor in (None, investor):
            if isinstance(event, ev.InvestorDelay) and event.start <= day <= event.end:
                return True
            if isinstance(event, ev.UnderwriterRequest) and _excused_by_request(terms, facts, event, day, kind):
                return True
    return False


def reference_default_days(terms, events, quotes, calendars, as_of: dt.date,
                           deadlines: Sequence[Deadline] | None = None) -> dict[str, set[dt.date]]:
    """Each investor's Registration Default days as of ``as_of``."""
    facts = _facts(terms, events, calendars, as_of, deadlines)
    result: dict[str, set[dt.date]] = {investor.id: set() for investor in terms.investors}
    if facts is None:
        return result
    for day in days_from(facts.closing, as_of):
        kinds = kinds_on(terms, facts, day)
        for investor in result:
            if any(not _excluded(terms, facts, investor, day, kind) for kind in kinds):
                result[investor].add(day)
    return result


# --- liquidated damages (spec §3) ------------------------------------------------------------

def purchased_shares(terms, investor_id: str) -> Fraction:
    investor = terms.investor(investor_id)
    return Fraction(investor.subscription) / Fraction(terms.pricing.purchase_price)


def held(terms, facts: Facts, investor: str, day: dt.date) -> Fraction:
    """Shares purchased at the Closing still held on ``day``: sales and splits dated on
    or before it, in timeline order, never below zero; a split leaves whole shares (cash
    in lieu of the fraction, RULES §4)."""
    shares = purchased_shares(terms, investor)
    for event in facts.known:
        if event.date > day:
            break
        if isinstance(event, ev.SharesSold) and event.investor == investor:
            shares = max(Fraction(0), shares - event.shares)
        elif isinstance(event, SPLIT_TYPES):
            shares = Fraction((shares * event.factor).__floor__())
    return shares


def split_ratio(facts: Facts, day: dt.date) -> Fraction:
    ratio = Fraction(1)
    for event in facts.known:
        if isinstance(event, SPLIT_TYPES) and event.date <= day:
            ratio *= event.factor
    return ratio


def close_for(quotes, calendars, day: dt.date) -> Fraction:
    """The close on ``day``, or on the last Trading Day before it."""
    trading_day = day
    while not calendars.trading.is_open(trading_day):
        trading_day -= ONE_DAY
    close = quotes.value(trading_day, "close")
    if close is None:
        raise LookupError(f"no close for the Trading Day {trading_day}")
    return Fraction(close)


def market_value(terms, facts: Facts, quotes, calendars, investor: str, day: dt.date) -> Fraction:
    shares = held(terms, facts, investor, day)
    if terms.liquidated_damages.market_value == "daily_close":
        return shares * close_for(quotes, calendars, day)
    return shares * close_for(quotes, calendars, facts.closing) / split_ratio(facts, day)


def base_value(terms, facts: Facts, quotes, calendars, investor: str, day: dt.date,
               base: str | None = None) -> Fraction:
    """PIPE-TERMS ``liquidated_damages.base`` on ``day`` (or the cap's ``of``): the market value
    of the Shares held, the price paid for them (split-adjusted), the whole subscription, or
    the fixed amount."""
    base = base or terms.liquidated_damages.base
    if base == "market_value_held":
        return market_value(terms, facts, quotes, calendars, investor, day)
    if base == "purchase_price_held":
        return held(terms, facts, investor, day) * Fraction(terms.pricing.purchase_price) / split_ratio(facts, day)
    if base == "amount_invested":
        return Fraction(terms.investor(investor).subscription)
    return Fraction(terms.liquidated_damages.fixed_amount)


def month_of(start: dt.date, day: dt.date) -> tuple[int, int]:
    """(k, days in month k) for the month period of ``day`` counted from ``start``."""
    k = 0
    while plus_months(start, k + 1) <= day:
        k += 1
    return k, (plus_months(start, k + 1) - plus_months(start, k)).days


def rate_for(terms, month: int) -> Fraction:
    passed = 0
    for step in terms.liquidated_damages.schedule:
        if step.periods is None or month < passed + step.periods:
            return Fraction(step.rate)
        passed += step.periods
    raise AssertionError("the schedule's last step runs on")


def divisor_for(terms, month_days: int) -> Fraction:
    count = terms.liquidated_damages.proration
    if count == "actual_days_in_period":
        return Fraction(month_days)
    if count == "thirty":
        return Fraction(30)
    return Fraction(365, 12)


def periods(days: set[dt.date]) -> list[list[dt.date]]:
    """Maximal runs of consecutive days."""
    runs: list[list[dt.date]] = []
    for day in sorted(days):
        if runs and runs[-1][-1] + ONE_DAY == day:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


def clock_positions(terms, days: set[dt.date]) -> dict[dt.date, tuple[dt.date, dt.date]]:
    """For each default day: (the clock's start, the day's place on that clock)."""
    placed: dict[dt.date, tuple[dt.date, dt.date]] = {}
    if terms.liquidated_damages.clock == "cumulative":
        ordered = sorted(days)
        for position, day in enumerate(ordered):
            placed[day] = (ordered[0], ordered[0] + dt.timedelta(days=position))
    else:
        for run in periods(days):
            for day in run:
                placed[day] = (run[0], day)
    return placed


def daily_accruals(terms, events, quotes, calendars, as_of: dt.date,
                   deadlines: Sequence[Deadline] | None = None) -> dict[str, dict[dt.date, Fraction]]:
    """accrual(d) = rate(d) x market_value(d) / divisor(d), for every investor and default day."""
    facts = _facts(terms, events, calendars, as_of, deadlines)
    default_days = reference_default_days(terms, events, quotes, calendars, as_of, deadlines)
    result: dict[str, dict[dt.date, Fraction]] = {}
    end = damages_end(terms, facts) if facts else None
    ld = terms.liquidated_damages
    for investor, days in default_days.items():
        if end is not None:
            days = {day for day in days if day < end}
        result[investor] = {}
        total, stopped = Fraction(0), False
        for day, (start, place) in sorted(clock_positions(terms, days).items()):
            month, month_days = month_of(start, place)
            value = base_value(terms, facts, quotes, calendars, investor, day)
            if ld.first_period == "full" and month == 0:
                amount = rate_for(terms, 0) * value if place == start else Fraction(0)
            else:
                amount = rate_for(terms, month) * value / divisor_for(terms, month_days)
            if ld.cap != "none":
                if stopped:
                    amount = Fraction(0)
                else:
                    limit = Fraction(ld.cap.rate) * base_value(terms, facts, quotes, calendars, investor, day,
                                                               ld.cap.of)
                    if total + amount >= limit:
                        amount, stopped = max(Fraction(0), limit - total), True
            total += amount
            result[investor][day] = amount
    return result


def reference_damages(terms, events, quotes, calendars, as_of: dt.date,
                      deadlines: Sequence[Deadline] | None = None) -> dict[str, Fraction]:
    """Each investor's exact (unrounded) liquidated damages accrued through ``as_of``."""
    accruals = daily_accruals(terms, events, quotes, calendars, as_of, deadlines)
    return {investor: sum(days.values(), Fraction(0)) for investor, days in accruals.items()}


__all__ = [
    "base_value",
    "daily_accruals",
    "effectiveness_period_end",
    "plus_months",
    "reference_damages",
    "reference_default_days",
]
