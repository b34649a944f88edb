"""The pure evaluation: terms + events + quotes + calendars, as of a date -> figures.

No I/O, no clock, no database: everything arrives as arguments, so the same
inputs give the same answer in the CLI, the tests and the benchmarks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from pipedeal.base.calendars import HolidayCalendar, TradingCalendar
from pipedeal.base.diagnostics import Diagnostic, InputError
from pipedeal.base.intervals import union
from pipedeal.base.quotes import QuoteBook
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
from pipedeal.engine.ledger import Context, DealState, Located, expire_warrants, fold
from pipedeal.engine.pricing import (
    Allocation,
    CapitalizationAfterClosing,
    Pricing,
    allocate,
    capitalization_after_closing,
    price_the_deal,
)
from pipedeal.engine.registration import Deadline, registration_deadlines
from pipedeal.engine.warrants import AdjustmentNotice, ExerciseResult, Reservation


@dataclass(frozen=True)
class Calendars:
    """RULES §1: the calendar each clause counts in."""

    trading: TradingCalendar
    sec: HolidayCalendar
    company: HolidayCalendar


@dataclass(frozen=True)
class Evaluation:
    terms: Terms
    as_of: dt.date
    closing_date: dt.date | None
    pricing: Pricing | None
    allocations: tuple[Allocation, ...]
    capitalization: CapitalizationAfterClosing
    deadlines: tuple[Deadline, ...]
    state: DealState
    events_applied: int
    problems: tuple[Diagnostic, ...]
    default_days: DefaultDays | None = None
    damages: dict[str, InvestorDamages] = field(default_factory=dict)
    repurchase: Repurchase | None = None
    obligations: tuple[Deadline, ...] = ()
    breaches: tuple[Diagnostic, ...] = ()
    reservation: Reservation | None = None

    @property
    def exercises(self) -> tuple[ExerciseResult, ...]:
        return self.state.exercises

    @property
    def adjustments(self) -> tuple[AdjustmentNotice, ...]:
        return self.state.adjustments


def reservation(state: DealState, as_of: dt.date) -> Reservation:
    """SPA 6.2, W 15: the reserve and the authorized headroom as of the date."""
    return Reservation(as_of, state.reserved, state.whole_warrant_shares(), state.authorized, state.common_outstanding,
                       state.authorized - state.common_outstanding - state.reserved)


def delivery_obligations(terms: Terms, state: DealState, as_of: dt.date) -> list[Deadline]:
    """W 3: certificates "shall be delivered ... within three (3) Trading Days"; the
    ledger records no delivery, so each is pending until due and then unconfirmed."""
    return [
        Deadline(id="warrant_share_delivery", clause="W 3", party=terms.company.id,
                 duty=f"deliver {result.shares_issued:,} shares to {result.holder} ({result.warrant})",
                 due=result.delivery_due, unrolled_due=result.delivery_due,
                 status="pending" if as_of <= result.delivery_due else "unconfirmed",
                 met_on=None, met_by=None, ref=f"warrant_exercise {result.date} of {result.warrant}")
        for result in state.exercises
    ]


def evaluate(
    terms: Terms,
    events: Sequence[Located],
    quotes: QuoteBook,
    calendars: Calendars,
    as_of: dt.date,
    overrides: dict[str, object] | None = None,
) -> Evaluation:
    """The deal as of ``as_of``; ``overrides`` replace interpretation keys.

    Refused events (a sale beyond holdings, ...) raise ``InputError``: a figure
    computed over an impossible history would look right and be wrong.
    """
    terms = terms.with_interpretations(overrides or {})
    allocations = tuple(allocate(terms))
    ctx = Context(terms, calendars.company, allocations, quotes, calendars.trading)
    state, refused = fold(events, ctx, until=as_of)
    if refused:
        raise InputError(refused)
    state = expire_warrants(state, as_of, ctx)
    known = sorted((item.event for item in events if item.event.date <= as_of),
                   key=lambda event: event.date)
    closing = state.closing_date
    capitalization = capitalization_after_closing(terms, list(allocations))
    base = Evaluation(terms=terms, as_of=as_of, closing_date=closing, pricing=None,
                      allocations=allocations, capitalization=capitalization, deadlines=(),
                      state=state, events_applied=len(known), problems=capitalization.problems)
    if closing is None:
        return base
    pricing = state.pricing or price_the_deal(terms, quotes, calendars.trading, closing)
    deadlines = tuple(registration_deadlines(terms, closing, known, calendars.sec, as_of))
    defaults = default_days(terms, closing, known, deadlines, calendars.trading, as_of)
    repurchase = repurchase_election(terms, known, defaults.deal_wide(), allocations,
                                     calendars.trading, as_of)
    plans = [investor_days(allocation, defaults, known, repurchase) for allocation in allocations]
    market = MarketValues.for_days(terms, quotes, calendars.trading, closing, union(*(p.days for p in plans)))
    damages = {plan.investor: investor_damages(terms, plan, market, known, as_of) for plan in plans}
    obligations = (*deadlines, *payment_obligations(terms, damages, repurchase),
                   *delivery_obligations(terms, state, as_of))
    return replace(base, pricing=pricing, deadlines=deadlines, default_days=defaults,
                   damages=damages, repurchase=repurchase, obligations=obligations,
                   breaches=(*defaults.breaches, *state.breaches), reservation=reservation(state, as_of))
