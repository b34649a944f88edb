"""RRA 3(b), 3(e)(i)-(iv), 3(g) and 4: which calendar days are Registration Default days.

Each kind of default is a set of days (``intervals.Days``); exclusions are
sets too, so "overlapping defaults counted once" is a union and "not a
Registration Default" a difference. See docs/liquidated-damages.md §2.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from pipedeal.base import intervals as iv
from pipedeal.base.calendars import TradingCalendar
from pipedeal.base.diagnostics import Diagnostic
from pipedeal.base.intervals import Days
from pipedeal.deal.terms import Terms
from pipedeal.engine import events as ev
from pipedeal.engine.registration import Deadline

EFFECTIVENESS_KINDS = frozenset({"effectiveness", "additional_effectiveness"})

CLAUSE_OF_KIND = {
    "filing": "RRA 3(e)(i)",
    "effectiveness": "RRA 3(e)(ii)",
    "lapse": "RRA 3(e)(iii)",
    "blackout": "RRA 3(g)",
    "additional_filing": "RRA 3(e)(iv)",
    "additional_effectiveness": "RRA 3(e)(iv)",
}


@dataclass(frozen=True)
class Exclusion:
    """Days that are not default days (for some kinds, for some or all investors)."""

    reason: str
    clause: str
    days: Days
    investor: str | None = None  # None: every investor
    kinds: frozenset[str] | None = None  # None: every kind

    def applies(self, kind: str, investor: str) -> bool:
        return (self.investor in (None, investor)) and (self.kinds is None or kind in self.kinds)


@dataclass(frozen=True)
class Lot:
    """A lot of Registrable Securities and its Rule 144(k) date (RRA 3(b)(v))."""

    name: str
    acquired: dt.date
    rule144k_date: dt.date
    bears_damages: bool


@dataclass(frozen=True)
class EffectivenessPeriod:
    start: dt.date | None  # the primary statement's effective date
    end: dt.date  # exclusive: the first day the Shares need no registration
    reason: str
    lots: tuple[Lot, ...]


@dataclass(frozen=True)
class DefaultDays:
    """Every kind's default days (deal-wide), the exclusions, and the period they live in."""

    kinds: dict[str, Days]
    lapse_excluded: Days  # financial-statement window and permitted blackout days
    exclusions: tuple[Exclusion, ...]
    period: EffectivenessPeriod
    breaches: tuple[Diagnostic, ...]

    def for_investor(self, investor: str) -> Days:
        """RRA 3(e): the investor's default days, each counted once."""
        kept = []
        for kind, days in self.kinds.items():
            for exclusion in self.exclusions:
                if exclusion.applies(kind, investor):
                    days = iv.subtract(days, exclusion.days)
            kept.append(days)
        return iv.union(*kept)

    def deal_wide(self) -> Days:
        """Default days for every investor: only exclusions that name no investor apply."""
        kept = []
        for kind, days in self.kinds.items():
            for exclusion in self.exclusions:
                if exclusion.investor is None and exclusion.applies(kind, ""):
                    days = iv.subtract(days, exclusion.days)
            kept.append(days)
        return iv.union(*kept)


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # February 29 in a year that has none
        return day.replace(year=day.year + years, day=28)


def effectiveness_period(
    terms: Terms, closing: dt.date, events: Sequence[ev.EventBase]
) -> EffectivenessPeriod:
    """RRA 3(b): the statement is maintained "until the earlier of" the recorded ends
    (all sold, counsel's Rule 144 opinion, all transferred unlegended) "or (v) all
    Securities may be sold ... pursuant to Rule 144(k)" (``rule144k_years``, per lot)."""
    years = terms.interpretations.rule144k_years
    effective = next((e.date for e in events
                      if isinstance(e, ev.RsEffective) and e.statement == "primary"), None)
    lots = [Lot("Shares bought at the Closing", closing, add_years(closing, years), True)]
    for event in events:
        if isinstance(event, ev.WarrantExercise):
            # Rule 144(d): a cashless exercise tacks to the Warrant's issue date.
            acquired = event.date if event.method == "cash" else closing
            lots.append(Lot(f"{event.shares:,} Warrant Shares ({event.warrant}, {event.method})",
                            acquired, add_years(acquired, years), False))
    end, reason = lots[0].rule144k_date, f"Rule 144(k): Closing + {years} years (rule144k_years={years})"
    for event in events:
        if isinstance(event, ev.EffectivenessPeriodEnd) and event.date < end:
            end, reason = event.date, f"effectiveness_period_end ({event.reason})"
            break
    return EffectivenessPeriod(effective, end, reason, tuple(lots))


def _fiscal_windows(terms: Terms, first: dt.date, last: dt.date) -> Days:
    """RRA 3(e): "after 45 days and within 90 days from the end of the Company's fiscal
    year": the days (year end + 45, year end + 90]."""
    low, high = terms.registration.financial_statements_window_days
    month, day = (int(part) for part in terms.deal.fiscal_year_end.split("-"))
    runs = []
    for year in range(first.year - 1, last.year + 1):
        year_end = dt.date(year, month, day)
        runs.append((year_end.toordinal() + low + 1, year_end.toordinal() + high))
    return iv.normalize(runs)


def _lapses(events: Sequence[ev.EventBase], as_of: dt.date, statement: str = "primary"):
    """Lapse spans with their reasons: from a lapse to the day before the next restoration.

    A further lapse while one is open (a stop order during a financial-statement
    update) starts a new span whose reasons include the earlier ones: the lapse is
    then no longer "solely" for the financial statements (RRA 3(e))."""
    spans: list[tuple[Days, frozenset[str]]] = []
    since: dt.date | None = None
    reasons: frozenset[str] = frozenset()
    for event in events:
        if getattr(event, "statement", None) != statement:
            continue
        if isinstance(event, ev.EffectivenessLapsed):
            if since is not None:
                spans.append((iv.span(since, event.date - dt.timedelta(days=1)), reasons))
            since, reasons = event.date, reasons | {event.reason}
        elif isinstance(event, ev.EffectivenessRestored) and since is not None:
            spans.append((iv.span(since, event.date - dt.timedelta(days=1)), reasons))
            since, reasons = None, frozenset()
    if since is not None:
        spans.append((iv.span(since, as_of), reasons))
    return spans


def blackout_default_days(blackout_days: Days, cap: int) -> Days:
    """RRA 3(g): a blackout day d is a default day when the blackout days in
    (d minus one calendar year, d] number more than ``cap`` (30)."""
    ordinals = list(iv.each_day(blackout_days))  # blackout days are few: a list is fine
    exceeded = []
    for index, day in enumerate(ordinals):
        start = add_years(dt.date.fromordinal(day), -1).toordinal()
        in_window = index + 1 - bisect_right(ordinals, start)
        if in_window > cap:
            exceeded.append((day, day))
    return iv.normalize(exceeded)


def _after_due(deadline: Deadline, as_of: dt.date) -> Days:
    """Days after a deadline and before the day it was met (the cure day is not one)."""
    stop = deadline.met_on - dt.timedelta(days=1) if deadline.met_on else as_of
    return iv.span(deadline.due + dt.timedelta(days=1), stop)


def default_days(
    terms: Terms,
    closing: dt.date,
    events: Sequence[ev.EventBase],
    deadlines: Sequence[Deadline],
    trading: TradingCalendar,
    as_of: dt.date,
) -> DefaultDays:
    """RRA 3(e)(i)-(iv), RRA 3(e)(ii) (underwriters), RRA 3(g) and RRA 4: every Registration
    Default day known as of ``as_of``, by kind, and the days excluded from them."""
    known = [event for event in events if event.date <= as_of]
    period = effectiveness_period(terms, closing, known)
    horizon = iv.span(closing, min(as_of, period.end - dt.timedelta(days=1)))
    kinds: dict[str, Days] = {"filing": iv.EMPTY, "effectiveness": iv.EMPTY, "lapse": iv.EMPTY,
                              "blackout": iv.EMPTY, "additional_filing": iv.EMPTY,
                              "additional_effectiveness": iv.EMPTY}
    for deadline in deadlines:
        kind = {"rs_filing": "filing", "rs_effectiveness": "effectiveness",
                "additional_rs_filing": "additional_filing",
                "additional_rs_effectiveness": "additional_effectiveness"}[deadline.id]
        kinds[kind] = iv.union(kinds[kind], _after_due(deadline, as_of))

    blackout_days = iv.union(*(iv.span(e.start, min(e.end, as_of)) for e in known
                               if isinstance(e, ev.Blackout)))
    in_force = (iv.span(period.start, dt.date.max - dt.timedelta(days=400))
                if period.start else iv.EMPTY)
    counted_blackouts = iv.intersect(blackout_days, in_force)
    kinds["blackout"] = blackout_default_days(counted_blackouts, terms.registration.blackout_cap_days)
    permitted_blackout = iv.subtract(counted_blackouts, kinds["blackout"])

    lapse_excluded = permitted_blackout
    windows = _fiscal_windows(terms, closing, as_of)
    for days, reasons in _lapses(known, as_of):
        if reasons == {"financial_statements"}:
            lapse_excluded = iv.union(lapse_excluded, iv.intersect(days, windows))
        kinds["lapse"] = iv.union(kinds["lapse"], iv.intersect(days, in_force))
    kinds["lapse"] = iv.subtract(kinds["lapse"], lapse_excluded)
    kinds = {kind: iv.intersect(days, horizon) for kind, days in kinds.items()}

    exclusions = []
    for event in known:
        if isinstance(event, ev.InvestorDelay):
            exclusions.append(Exclusion("investor delay", "RRA 4", iv.span(event.start, event.end),
                                        event.investor))
        elif isinstance(event, ev.UnderwriterRequest):
            exclusions.append(Exclusion("SEC request to name the Investors as underwriters",
                                        "RRA 3(e)(ii)", iv.span(event.start, event.end),
                                        event.investor, EFFECTIVENESS_KINDS))
    return DefaultDays(kinds, lapse_excluded, tuple(exclusions), period,
                       tuple(blackout_notice_breaches(terms, known, trading)))


def blackout_notice_breaches(
    terms: Terms, events: Sequence[ev.EventBase], trading: TradingCalendar
) -> list[Diagnostic]:
    """RRA 3(g): "The Company must, if lawful, give the Investors notice in writing at
    least two (2) Trading Days prior to the first day of the blackout period"."""
    needed = terms.registration.blackout_notice_trading_days
    breaches = []
    for event in events:
        if not isinstance(event, ev.Blackout):
            continue
        latest = trading.add_open_days(event.start, -needed) if needed else event.start
        if event.date > latest:
            breaches.append(Diagnostic(
                "BLACKOUT-LATE-NOTICE",
                f"blackout from {event.start}: notice given {event.date}, due by {latest} "
                f"({needed} Trading Days before the first blackout day)", clause="RRA 3(g)", date=event.date))
    return breaches


def runs_of(days: Days) -> list[tuple[dt.date, dt.date, int]]:
    return [(*iv.dates(run), run[1] - run[0] + 1) for run in days]

