"""RRA 3(b), 3(e)(i)-(iv), 3(g) and 4: which calendar days are Registration Default days.

Each kind of default is a set of days (``intervals.Days``); exclusions are
sets too, so "overlapping defaults counted once" is a union and "not a
Registration Default" a difference. Everything is read from the timeline.
See docs/liquidated-damages.md §2.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from pipedeal.base import intervals as iv
from pipedeal.base.calendars import add_months, add_years
from pipedeal.base.intervals import Days
from pipedeal.deal.clauses import cite, cite_all
from pipedeal.deal.terms import Grace, Terms
from pipedeal.engine.registration import Deadline
from pipedeal.engine.timeline import Lot, Statement, Timeline

ONE_DAY = dt.timedelta(days=1)

EFFECTIVENESS_KINDS = frozenset({"effectiveness", "additional_effectiveness"})
KIND_OF_DEADLINE = {"rs_filing": "filing", "rs_effectiveness": "effectiveness",
                    "additional_rs_filing": "additional_filing",
                    "additional_rs_effectiveness": "additional_effectiveness"}

# The FOCUS slot of each kind of Registration Default: the key of its words in a deal's
# [quotes], and through ``cite`` the deal's own clause (``kind_clause``). Not a label.
SLOT_OF_KIND = {
    "filing": "RRA 3(e)(i)",
    "effectiveness": "RRA 3(e)(ii)",
    "lapse": "RRA 3(e)(iii)",
    "blackout": "RRA 3(g)",
    "additional_filing": "RRA 3(e)(iv)",
    "additional_effectiveness": "RRA 3(e)(iv)",
}


def kind_clause(terms: Terms, kind: str) -> str:
    """The deal's own clause for a kind of Registration Default."""
    return cite(terms, SLOT_OF_KIND[kind])


@dataclass(frozen=True)
class Exclusion:
    """Days that are not default days (for some kinds, for some or all investors)."""

    reason: str
    clause: str  # the deal's own clause (``cite``)
    days: Days
    investor: str | None = None  # None: every investor
    kinds: frozenset[str] | None = None  # None: every kind
    words: str = ""  # the [quotes] key of the words that excuse the days ("RRA 4")

    def applies(self, kind: str, investor: str) -> bool:
        return (self.investor in (None, investor)) and (self.kinds is None or kind in self.kinds)


@dataclass(frozen=True)
class LapseExclusion:
    """Lapse days that are no Registration Default: the financial-statement window of a
    lapse "solely" to update them (RRA 3(e)), or blackout days within the cap (RRA 3(g))."""

    reason: str
    clause: str  # the deal's own clause (``cite``)
    days: Days
    window: tuple[dt.date, dt.date] | None = None  # the (FYE + a, FYE + b] window, first and last day
    words: str = ""  # the [quotes] key of the words that excuse the days ("RRA 3(g) cap")


@dataclass(frozen=True)
class PeriodLot:
    """A lot of Registrable Securities and the day it could be sold under Rule 144(k)."""

    name: str
    acquired: dt.date
    holding_from: dt.date
    rule144k_date: dt.date
    bears_damages: bool
    lot_id: str


@dataclass(frozen=True)
class EffectivenessPeriod:
    start: dt.date | None  # the primary statement's effective date
    end: dt.date | None  # exclusive: the first day no registration is owed; None while it runs on
    reason: str
    lots: tuple[PeriodLot, ...]
    reading: str  # effectiveness_period_end

    def lot_end(self, lot_id: str) -> dt.date | None:
        """The first day a lot stops bearing damages: its Rule 144(k) date under
        ``per_lot_rule144``, else the period's end."""
        if self.reading == "per_lot_rule144":
            mine = next((lot.rule144k_date for lot in self.lots if lot.lot_id == lot_id), None)
            if mine is not None and (self.end is None or mine < self.end):
                return mine
        return self.end


@dataclass(frozen=True)
class DefaultDays:
    """Every kind's default days (deal-wide), the exclusions, and the period they live in."""

    kinds: dict[str, Days]
    lapse_exclusions: tuple[LapseExclusion, ...]
    exclusions: tuple[Exclusion, ...]
    period: EffectivenessPeriod

    @property
    def lapse_excluded(self) -> Days:
        return iv.union(*(exclusion.days for exclusion in self.lapse_exclusions))

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


# PIPE-TERMS ``rule144 = "by_date"``: the holding period in force when a lot was acquired
# (a non-affiliate of a reporting issuer): 3 years before 1997-04-29, 2 years until 2008-02-14,
# 6 months from 2008-02-15.
RULE144_BY_DATE = ((dt.date(1997, 4, 29), (3, 0)), (dt.date(2008, 2, 15), (2, 0)), (dt.date.max, (0, 6)))
RULE144_FIXED = {"2y": (2, 0), "1y": (1, 0), "6m": (0, 6)}


RULE144K_REPEALED = dt.date(2008, 2, 15)


def rule144_name(terms: Terms) -> str:
    """The rule under which a lot may be sold freely, as the deal's time named it: Rule 144(k) (two
    years, until the 2008 amendments) for a ``2y`` deal or a ``by_date`` deal agreed before them;
    else Rule 144."""
    rule = terms.registration.effectiveness_period.rule144
    before_2008 = rule == "2y" or (rule == "by_date" and terms.deal.agreement_date < RULE144K_REPEALED)
    return "Rule 144(k)" if before_2008 else "Rule 144"


def rule144_date(rule: str, acquired: dt.date, holding_from: dt.date | None = None) -> dt.date:
    """PIPE-TERMS ``rule144``: "``by_date`` uses the holding period in force when the lot was
    acquired"; Holdings: the period "runs from a cash exercise, or from the warrant's issue on a
    cashless one". The day a lot can be sold under Rule 144 (RRA 3(b)(v) kind) is therefore the
    period in force on ``acquired`` (the Closing, or the exercise), counted from ``holding_from``
    (the Warrant's issue for a cashless exercise; ``acquired`` when not given)."""
    start = acquired if holding_from is None else holding_from
    if rule == "by_date":
        years, months = next(period for before, period in RULE144_BY_DATE if acquired < before)
    else:
        years, months = RULE144_FIXED[rule]
    return add_months(start, 12 * years + months)


def effectiveness_period(terms: Terms, timeline: Timeline, as_of: dt.date) -> EffectivenessPeriod:
    """RRA 3(b): the statement is maintained "until the earlier of" (i) no Securities are or may
    become outstanding, (ii) all sold, (iii) counsel's Rule 144 opinion, (iv) all transferred
    unlegended, "or (v) all Securities may be sold ... pursuant to Rule 144(k) ... in the
    opinion of counsel" (RULES §3, ``registration.effectiveness_period``)."""
    rule = terms.registration.effectiveness_period
    reading = rule.end or "per_lot_rule144"
    primary = timeline.statement("primary")
    start = primary.first("effective") if primary else None
    lots = tuple(PeriodLot(lot.label or lot.id, lot.acquired, lot.holding_from,
                           rule144_date(rule.rule144, lot.acquired, lot.holding_from), bears_damages(terms, lot),
                           lot.id)
                 for lot in timeline.lots if lot.acquired <= as_of)
    candidates: list[tuple[dt.date, str]] = []
    if rule.max_years != "none" and start is not None:
        candidates.append((add_years(start, rule.max_years), f"{rule.max_years} years after effectiveness "
                           "(max_years)"))
    for event in timeline.period_ends:
        candidates.append((event.date, f"effectiveness_period_end ({event.reason}) recorded"))
    sold = _all_sold(timeline, as_of)
    if sold is not None:
        candidates.append((sold, f"{cite(terms, 'RRA 3(b)(ii)')}: every Security sold and no Warrant Share may "
                                 "still be issued"))
    if reading == "all_securities_rule144" and lots:
        warrants_gone = _warrants_gone(timeline, as_of)
        latest = max(lot.rule144k_date for lot in lots)
        end = max(latest, warrants_gone)
        candidates.append((end, f"{cite(terms, 'RRA 3(b)(v)')}: every Share and issued Warrant Share past its "
                                f"{rule144_name(terms)} date "
                                f"(rule144 = {rule.rule144}) and no Warrant Share may still be issued "
                                "(end = all_securities_rule144)"))
    if not candidates:
        ends = cite_all(terms, *(f"RRA 3(b)({n})" for n in ("i", "ii", "iii", "iv", "v")), dash="-")
        why = (f"runs on: no end under {ends} is recorded (end = as_written)"
               if reading != "per_lot_rule144" else
               f"runs on; each lot stops bearing damages at its Rule 144 date (rule144 = {rule.rule144})")
        return EffectivenessPeriod(start, None, why, lots, reading)
    end, reason = min(candidates)
    return EffectivenessPeriod(start, end, reason, lots, reading)


def _all_sold(timeline: Timeline, as_of: dt.date) -> dt.date | None:
    """RRA 3(b)(ii): the day the last Security was sold, once nothing is held and no
    Warrant remains outstanding (a Warrant Share may otherwise still be issued)."""
    if not timeline.lots or any(cert.status == "outstanding" for cert in timeline.register_on(as_of).values()):
        return None
    if any(lot.held.on(as_of) for lot in timeline.lots):
        return None
    last_sale = max((day for lot in timeline.lots for day, _ in lot.held.changes() if day <= as_of), default=None)
    closed = max((cert.closed_from for cert in timeline.certificates.values() if cert.closed_from), default=None)
    return max(day for day in (last_sale, closed) if day is not None)


def _warrants_gone(timeline: Timeline, as_of: dt.date) -> dt.date:
    """The first day no Warrant Share may be issued: the day after the last exercise day,
    or the day the last certificate left the register if all did by ``as_of``."""
    register = timeline.register_on(as_of)
    last = timeline.last_exercise_day or as_of
    if any(cert.status == "outstanding" for cert in register.values()):
        return last + dt.timedelta(days=1)
    return max((cert.closed_from for cert in timeline.certificates.values() if cert.closed_from),
               default=last + dt.timedelta(days=1))


def bears_damages(terms: Terms, lot: Lot) -> bool:
    """PIPE-TERMS ``registrable``: the Shares bought at the Closing, and (``warrant_shares``)
    the Warrant Shares once issued."""
    registrable = terms.registration.registrable
    return ("shares" in registrable and lot.purchased) or ("warrant_shares" in registrable and not lot.purchased)


def _fiscal_windows(terms: Terms, first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    """RRA 3(e): "after 45 days and within 90 days from the end of the Company's fiscal
    year": the days (year end + 45, year end + 90], as first and last day."""
    window = terms.registration.financial_statements_window
    if window == "none" or terms.deal.fiscal_year_end is None:
        return []
    low, high = window
    month, day = (int(part) for part in terms.deal.fiscal_year_end.split("-"))
    windows = []
    for year in range(first.year - 1, last.year + 1):
        year_end = dt.date(year, month, day)
        windows.append((year_end + dt.timedelta(days=low + 1), year_end + dt.timedelta(days=high)))
    return windows


def _lapses(statement: Statement | None, as_of: dt.date) -> list[tuple[Days, frozenset[str]]]:
    """Lapse spans with their reasons: from a lapse to the day before its restoration."""
    if statement is None:
        return []
    spans = []
    for lapse in statement.lapses:
        last = lapse.restored - dt.timedelta(days=1) if lapse.restored else as_of
        spans.append((iv.span(lapse.start, min(last, as_of)), lapse.reasons))
    return spans


def blackout_default_days(blackout_days: Days, cap: int | str, year: str = "rolling_12_months",
                          consecutive: int | str = "none") -> Days:
    """RRA 3(g): a blackout day d is a default day when the blackout days in
    (d minus one calendar year, d] number more than ``cap`` (30). PIPE-TERMS ``grace``: the
    year may be the calendar year to d; a day is also one when the run of consecutive blackout
    days it belongs to has gone on longer than ``consecutive`` by d. Every blackout day counts
    toward the year's total, default or not; ``"none"`` is no limit."""
    ordinals = list(iv.each_day(blackout_days))  # blackout days are few: a list is fine
    exceeded = []
    run_start = None
    for index, day in enumerate(ordinals):
        if index == 0 or ordinals[index - 1] != day - 1:
            run_start = day
        over = False
        if cap != "none":
            on = dt.date.fromordinal(day)
            start = (add_years(on, -1) if year == "rolling_12_months" else dt.date(on.year, 1, 1) - ONE_DAY)
            in_window = index + 1 - bisect_right(ordinals, start.toordinal())
            over = in_window > cap  # type: ignore[operator]
        if consecutive != "none" and day - run_start + 1 > consecutive:  # type: ignore[operator]
            over = True
        if over:
            exceeded.append((day, day))
    return iv.normalize(exceeded)


def _after_due(deadline: Deadline, as_of: dt.date) -> Days:
    """Days after a deadline and before the day it was met (the cure day is not one)."""
    stop = deadline.met_on - dt.timedelta(days=1) if deadline.met_on else as_of
    return iv.span(deadline.due + dt.timedelta(days=1), stop)


UNDERWRITER_WORDS = "RRA 3(e)(ii) underwriters"
"""The [quotes] key of the words that excuse a failure due to an SEC underwriter request."""


def _underwriter_exclusions(terms: Terms, timeline: Timeline, deadlines: Sequence[Deadline],
                            kinds: dict[str, Days], as_of: dt.date) -> list[Exclusion]:
    """RRA 3(e)(ii), (iv): "(unless such failure to register is due in whole or in part to the
    Commission's request that the Investors be named as underwriters ...)".

    ``underwriter_request``: ``excuses_failure`` (a request that starts on or before a
    statement's effectiveness deadline, or while it is overdue, excuses that statement's
    whole failure to become effective) or ``excludes_days`` (only the request's own days)."""
    reading = terms.registration.underwriter_request
    exclusions = []
    for request in timeline.underwriter_requests:
        if reading == "excludes_days":
            exclusions.append(Exclusion("SEC request to name the Investors as underwriters (its days)",
                                        cite(terms, "RRA 3(e)(ii) underwriters"), iv.span(request.start, request.end),
                                        request.investor, EFFECTIVENESS_KINDS, UNDERWRITER_WORDS))
            continue
        for deadline in deadlines:
            kind = KIND_OF_DEADLINE[deadline.kind]
            if kind not in EFFECTIVENESS_KINDS:
                continue
            cured = deadline.met_on or as_of + dt.timedelta(days=1)
            if request.start <= deadline.due or request.start < cured:
                failure = iv.intersect(kinds[kind], _after_due(deadline, as_of))
                if failure:
                    exclusions.append(Exclusion(
                        f"SEC request to name the Investors as underwriters from {request.start}: the failure "
                        f"to become effective by {deadline.due} is due to it (underwriter_request=excuses_failure)",
                        cite(terms, "RRA 3(e)(ii) underwriters" if kind == "effectiveness" else "RRA 3(e)(iv)"),
                        failure, request.investor, frozenset({kind}), UNDERWRITER_WORDS))
    return exclusions


def default_days(terms: Terms, timeline: Timeline, deadlines: Sequence[Deadline], as_of: dt.date) -> DefaultDays:
    """RRA 3(e)(i)-(iv), RRA 3(e)(ii) (underwriters), RRA 3(g) and RRA 4: every Registration
    Default day known as of ``as_of``, by kind, and the days excluded from them."""
    closing = timeline.closing_date
    assert closing is not None
    period = effectiveness_period(terms, timeline, as_of)
    last_day = as_of if period.end is None else min(as_of, period.end - dt.timedelta(days=1))
    horizon = iv.span(closing, last_day)
    kinds: dict[str, Days] = {kind: iv.EMPTY for kind in SLOT_OF_KIND}
    for deadline in deadlines:
        kind = KIND_OF_DEADLINE[deadline.kind]
        kinds[kind] = iv.union(kinds[kind], _after_due(deadline, as_of))

    blackout_days = iv.union(*(iv.span(b.start, min(b.end, as_of)) for b in timeline.blackouts))
    in_force = iv.span(period.start, dt.date.max - dt.timedelta(days=400)) if period.start else iv.EMPTY
    counted_blackouts = iv.intersect(blackout_days, in_force)
    grace = terms.registration.grace
    kinds["blackout"] = blackout_default_days(counted_blackouts, grace.max_days_per_year, grace.year,
                                              grace.max_consecutive_days)
    permitted_blackout = iv.subtract(counted_blackouts, kinds["blackout"])

    lapse_exclusions: list[LapseExclusion] = []
    lapse_days = iv.EMPTY
    windows = _fiscal_windows(terms, closing, as_of)
    window = terms.registration.financial_statements_window
    for days, reasons in _lapses(timeline.statement("primary"), as_of):
        days = iv.intersect(days, in_force)
        lapse_days = iv.union(lapse_days, days)
        if reasons != {"financial_statements"}:
            continue
        for first, last in windows:
            excused = iv.intersect(iv.intersect(days, iv.span(first, last)), horizon)
            if excused:
                low, high = window  # type: ignore[misc]  # windows are only found when it is stated
                lapse_exclusions.append(LapseExclusion(
                    f"lapse solely to update the financial statements, inside the window {first} to {last} "
                    f"(fiscal year end + {low} days, + {high} days]",
                    cite(terms, "RRA 3(e) financial statements"), excused, (first, last),
                    "RRA 3(e) financial statements"))
    permitted_in_lapse = iv.intersect(iv.intersect(permitted_blackout, lapse_days), horizon)
    if permitted_in_lapse:
        grace_clause = cite(terms, "RRA 3(g) cap", "registration.grace")
        lapse_exclusions.append(LapseExclusion(
            f"blackout days within the {_grace_limits(grace)} during a lapse ({grace_clause} allows the blackout)",
            grace_clause, permitted_in_lapse, words="RRA 3(g) cap"))
    kinds["lapse"] = iv.subtract(lapse_days, iv.union(*(e.days for e in lapse_exclusions)))
    kinds = {kind: iv.intersect(days, horizon) for kind, days in kinds.items()}

    exclusions = [Exclusion("investor delay", cite(terms, "RRA 4"), iv.span(delay.start, delay.end),
                            delay.investor, words="RRA 4")
                  for delay in timeline.investor_delays]
    exclusions.extend(_underwriter_exclusions(terms, timeline, deadlines, kinds, as_of))
    return DefaultDays(kinds, tuple(lapse_exclusions), tuple(exclusions), period)


def _grace_limits(grace: Grace) -> str:
    """The blackout limits a deal's grace clause sets, as a reason names them ("the 30-day cap")."""
    limits = [f"{grace.max_consecutive_days}-consecutive-day"] if grace.max_consecutive_days != "none" else []
    if grace.max_days_per_year != "none":
        limits.append(f"{grace.max_days_per_year}-day")
    if not limits:
        return "grace limits"
    return f"{' and '.join(limits)} cap{'s' * (len(limits) > 1)}"


def runs_of(days: Days) -> list[tuple[dt.date, dt.date, int]]:
    return [(*iv.dates(run), run[1] - run[0] + 1) for run in days]


def lot_ends(period: EffectivenessPeriod, lots: Sequence[Lot]) -> dict[str, dt.date | None]:
    return {lot.id: period.lot_end(lot.id) for lot in lots}
