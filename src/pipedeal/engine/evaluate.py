"""The pure evaluation: terms + events + quotes + calendars, as of a date -> figures.

No I/O, no clock, no database: everything arrives as arguments, so the same
inputs give the same answer in the CLI, the tests and the benchmarks. The fold
(``timeline.fold``) is the only reader of the events; every figure here reads
the timeline it returns.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from pipedeal.base.calendars import Calendars
from pipedeal.base.diagnostics import Diagnostic, InputError
from pipedeal.base.intervals import union
from pipedeal.base.quotes import QuoteBook
from pipedeal.deal.clauses import cite
from pipedeal.deal.terms import Terms
from pipedeal.engine.damages import (
    InvestorDamages,
    MarketValues,
    Repurchase,
    investor_damages,
    investor_days,
    payment_obligations,
    repurchase_election,
)
from pipedeal.engine.defaults import DefaultDays, default_days
from pipedeal.engine.notices import NoticeView, clocks
from pipedeal.engine.obligations import (
    covenant_obligations,
    financing_limit,
    lifecycle_problems,
    settle,
    with_words,
)
from pipedeal.engine.pricing import (
    Allocation,
    CapitalizationAfterClosing,
    Pricing,
    allocate,
    capitalization_after_closing,
    fixed_purchase_price,
    price_the_deal,
)
from pipedeal.engine.registration import Deadline, registration_deadlines
from pipedeal.engine.timeline import Context, Located, Reservation, Snapshot, Timeline, fold
from pipedeal.engine.warrants import AdjustmentNotice, ExerciseResult


@dataclass(frozen=True)
class Evaluation:
    terms: Terms
    as_of: dt.date
    closing_date: dt.date | None
    pricing: Pricing | None
    allocations: tuple[Allocation, ...]
    capitalization: CapitalizationAfterClosing  # as the Closing left it (SPA 4.3)
    deadlines: tuple[Deadline, ...]
    state: Snapshot  # the timeline as of ``as_of``
    timeline: Timeline
    events_applied: int
    problems: tuple[Diagnostic, ...]
    default_days: DefaultDays | None = None
    damages: dict[str, InvestorDamages] = field(default_factory=dict)
    repurchase: Repurchase | None = None
    obligations: tuple[Deadline, ...] = ()
    breaches: tuple[Diagnostic, ...] = ()
    reservation: Reservation | None = None
    readings: dict[str, object] = field(default_factory=dict)  # set for this run (--set), by ambiguity key
    calendars: Calendars | None = None  # the calendars the figures were counted in
    covenant_obligations: tuple[Deadline, ...] = ()  # RULES §5: [covenants] and W 14 (engine/obligations.py)

    @property
    def all_obligations(self) -> tuple[Deadline, ...]:
        """Every obligation of the deal, by due date: ``obligations`` (registration, payments, deliveries)
        and the covenants' (RULES §5), one type, one lifecycle."""
        return tuple(sorted((*self.obligations, *self.covenant_obligations), key=lambda o: (o.due, o.id)))

    @functools.cached_property
    def notices(self) -> tuple[NoticeView, ...]:
        """SPA 12.1, RRA 8: every notice sent by ``as_of``, when it took effect and what it started
        (worked out when first read: the figures do not need the notices that start no clock)."""
        return clocks(self.terms, self.timeline, self.deadlines, self.damages, self.repurchase, self.as_of,
                      self.covenant_obligations)

    @property
    def exercises(self) -> tuple[ExerciseResult, ...]:
        return self.state.exercises

    @property
    def adjustments(self) -> tuple[AdjustmentNotice, ...]:
        return self.state.adjustments


def delivery_obligations(terms: Terms, timeline: Timeline, as_of: dt.date) -> list[Deadline]:
    """W 3: certificates "shall be delivered ... within three (3) Trading Days"; until an
    ``obligation_met`` records the delivery, each is pending until due and then unconfirmed."""
    return [
        Deadline(id=f"warrant_share_delivery:{result.warrant}:{result.date}",
                 clause=cite(terms, "W 3 delivery", "warrants"), party=terms.company.id,
                 duty=f"deliver {result.shares_issued:,} shares to {result.holder} ({result.warrant})",
                 due=result.delivery_due, unrolled_due=result.delivery_due,
                 status="pending" if as_of <= result.delivery_due else "unconfirmed",
                 met_on=None, met_by=None, ref=f"warrant_exercise {result.date} of {result.warrant}",
                 trigger=f"warrant_exercise {result.date} of {result.warrant}", owed_to=(result.holder,),
                 performable_from=result.date)
        for result in timeline.exercises
    ]


def evaluate(
    terms: Terms,
    events: Sequence[Located],
    quotes: QuoteBook,
    calendars: Calendars,
    as_of: dt.date,
    overrides: dict[str, object] | None = None,
) -> Evaluation:
    """The deal as of ``as_of``; ``overrides`` are readings (ambiguity key -> value) for this run.

    Refused events (a sale beyond holdings, ...) raise ``InputError``: a figure
    computed over an impossible history would look right and be wrong.
    """
    terms = terms.with_readings(overrides or {})
    if fixed_purchase_price(terms) is not None:
        allocate(terms, fixed_purchase_price(terms))  # a bad allocation names the terms line, before any event
    ctx = Context(terms, calendars.business, quotes, calendars.trading)
    timeline = fold(events, ctx, until=as_of)
    if timeline.problems:
        raise InputError(timeline.problems)
    allocations = timeline.allocations
    capitalization = capitalization_after_closing(terms, list(allocations))
    base = Evaluation(terms=terms, as_of=as_of, readings=dict(overrides or {}), calendars=calendars,
                      closing_date=timeline.closing_date,
                      pricing=None,
                      allocations=allocations, capitalization=capitalization, deadlines=(),
                      state=timeline.at(as_of), timeline=timeline, events_applied=timeline.events_applied,
                      problems=(*capitalization.problems, *_warnings(timeline)), breaches=_breaches(timeline))
    if timeline.closing_date is None:
        return base
    pricing = timeline.pricing or price_the_deal(terms, quotes, calendars.trading, timeline.closing_date)
    deadlines = tuple(sorted(registration_deadlines(terms, timeline, calendars, as_of),
                             key=lambda deadline: deadline.due))
    defaults = default_days(terms, timeline, deadlines, as_of)
    repurchase = repurchase_election(terms, timeline, defaults.deal_wide(), allocations, calendars, as_of)
    if repurchase is not None and repurchase.status == "valid":
        # RRA 3(e)(A): only now is the repurchase known to be valid; fold again so its
        # payment takes the Shares, and read everything from that timeline.
        timeline = fold(events, replace(ctx, repurchase_paid_on=repurchase.paid_on), until=as_of)
        defaults = default_days(terms, timeline, deadlines, as_of)
    plans = [investor_days(terms, allocation.investor, timeline, defaults, repurchase) for allocation in allocations]
    ld = terms.liquidated_damages
    # Prices only where a figure is a market value (the base, or the cap's measure).
    priced = ld.base == "market_value_held" or (ld.cap != "none" and ld.cap.of == "market_value_held")
    market = MarketValues.for_days(terms, quotes, calendars.trading, timeline.closing_date,
                                   union(*(plan.days for plan in plans)) if priced else ())
    damages = {plan.investor: investor_damages(terms, plan, market, timeline, calendars, as_of)
               for plan in plans}
    obligations = sorted((*deadlines, *payment_obligations(terms, damages, repurchase),
                          *delivery_obligations(terms, timeline, as_of)), key=lambda deadline: deadline.due)
    # RULES §5: the covenants' dated duties and SPA 6.9's limit, then every obligation's lifecycle.
    effectiveness_due = next((d.due for d in deadlines if d.id == "rs_effectiveness"), None)
    limit, limit_findings = financing_limit(terms, timeline, calendars, quotes, effectiveness_due, as_of)
    covenants = [*covenant_obligations(terms, timeline, calendars, as_of), *limit]
    # Every obligation exists once every event is folded (each arises from an event): only then is an
    # unknown id in an obligation_met or waiver known to be a mistake, not a duty that arises later.
    complete = all(item.event.applies_on <= as_of for item in events)
    problems = lifecycle_problems([*obligations, *covenants], timeline.lifecycle, complete)
    if problems:
        raise InputError(problems)
    obligations = with_words(terms, settle(obligations, timeline.lifecycle))
    covenants = sorted(settle(covenants, timeline.lifecycle), key=lambda o: (o.due, o.id))
    return replace(base, pricing=pricing, deadlines=deadlines, default_days=defaults, damages=damages,
                   repurchase=repurchase, obligations=tuple(obligations), state=timeline.at(as_of),
                   timeline=timeline, reservation=timeline.reservation(as_of),
                   breaches=(*_breaches(timeline), *(f for f in limit_findings if f.severity == "breach")),
                   problems=(*capitalization.problems, *_warnings(timeline),
                             *(f for f in limit_findings if f.severity != "breach")),
                   covenant_obligations=tuple(covenants))


def _breaches(timeline: Timeline) -> tuple[Diagnostic, ...]:
    return tuple(finding for finding in timeline.findings if finding.severity == "breach")


def _warnings(timeline: Timeline) -> tuple[Diagnostic, ...]:
    return tuple(finding for finding in timeline.findings if finding.severity != "breach")
