"""The event ledger folded into deal state: ``state_before + event -> state_after``.

Order (documented, like CDM's): events apply in date order; events of the same
date apply in the order they were recorded (ledger sequence, then file line).
``apply_event`` is the one transition function; it refuses an event that the
state makes impossible (a sale beyond holdings, an exercise beyond a warrant's
balance or outside its window, a reference to an unknown party or warrant)
with a ``Rejected`` carrying the field at fault.

Holdings and warrant balances are exact rationals: a 3-for-2 split of an odd
lot is a fraction, and W 4 pays cash for fractions only at exercise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

from . import events as ev
from .calendars import HolidayCalendar, warrant_roll
from .pricing import Allocation, allocate
from .problems import InputError, Problem
from .terms import Terms

# Events that may be dated before the Closing (they do not presuppose it).
PRE_CLOSING_TYPES = frozenset({"closing", "notice", "corporate_action_notice", "financing"})


class Rejected(Exception):
    """An event the state makes impossible."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Certificate:
    """A warrant certificate on the register (W 7(d))."""

    id: str
    holder: str
    shares: Fraction
    issue_date: dt.date
    parent: str | None
    origin: str
    status: str = "outstanding"
    closed_on: dt.date | None = None


@dataclass(frozen=True)
class Holding:
    """Shares a party holds: purchased at the Closing (still held) and other shares."""

    purchased_held: Fraction = Fraction(0)
    other_held: Fraction = Fraction(0)
    sold: Fraction = Fraction(0)

    @property
    def total(self) -> Fraction:
        return self.purchased_held + self.other_held


@dataclass(frozen=True)
class Context:
    """What the fold reads besides the events: the terms and the W 10 calendar."""

    terms: Terms
    company_calendar: HolidayCalendar
    allocations: tuple[Allocation, ...] = field(default=())

    @property
    def exercise_window(self) -> tuple[dt.date, dt.date]:
        """W preamble and W 10: from the Initial Exercise Date to the Termination
        Date, moved to the next day that is not a Saturday, Sunday or legal holiday."""
        warrants = self.terms.warrants
        last = warrant_roll(warrants.termination_date, self.company_calendar)
        return warrants.initial_exercise_date, last


@dataclass(frozen=True)
class DealState:
    closing_date: dt.date | None = None
    holdings: dict[str, Holding] = field(default_factory=dict)
    certificates: dict[str, Certificate] = field(default_factory=dict)
    share_factor: Fraction = Fraction(1)
    common_outstanding: Fraction = Fraction(0)
    other_property: tuple[ev.Asset, ...] | None = None
    last_date: dt.date | None = None

    def certificate(self, cert_id: str) -> Certificate:
        cert = self.certificates.get(cert_id)
        if cert is None:
            known = ", ".join(self.certificates) or "none yet"
            raise Rejected("EVENT-UNKNOWN-WARRANT", f"no warrant {cert_id!r} (known: {known})",
                           "warrant")
        if cert.status != "outstanding":
            raise Rejected("EVENT-WARRANT-CLOSED",
                           f"warrant {cert_id} was {cert.status} on {cert.closed_on}", "warrant")
        return cert

    def holding(self, party: str) -> Holding:
        return self.holdings.get(party, Holding())

    def outstanding_certificates(self) -> list[Certificate]:
        return [c for c in self.certificates.values() if c.status == "outstanding"]


def initial_state(terms: Terms) -> DealState:
    return DealState(common_outstanding=Fraction(terms.capitalization.common_outstanding))


def timeline(events: Iterable[ev.EventBase]) -> list[ev.EventBase]:
    """Events in the documented order: by date, then as recorded."""
    return sorted(events, key=lambda event: event.date)


def apply_event(state: DealState, event: ev.EventBase, ctx: Context) -> DealState:
    """The one transition: ``state_before + event -> state_after``."""
    _check_parties(event, ctx.terms)
    if event.type == "closing":  # type: ignore[attr-defined]
        return _close(state, event, ctx)  # type: ignore[arg-type]
    if state.closing_date is None and event.type not in PRE_CLOSING_TYPES:  # type: ignore[attr-defined]
        raise Rejected("EVENT-BEFORE-CLOSING",
                       f"a {event.type} event needs the Closing first "  # type: ignore[attr-defined]
                       "(record the closing event)", "date")
    if state.closing_date is not None and event.date < state.closing_date and (
        event.type not in PRE_CLOSING_TYPES  # type: ignore[attr-defined]
    ):
        raise Rejected("EVENT-BEFORE-CLOSING",
                       f"dated {event.date}, before the Closing on {state.closing_date}", "date")
    handler = _HANDLERS.get(type(event))
    new_state = handler(state, event, ctx) if handler else state
    return replace(new_state, last_date=event.date)


def _check_parties(event: ev.EventBase, terms: Terms) -> None:
    investor = getattr(event, "investor", None)
    if investor is not None and terms.investor(investor) is None:
        known = ", ".join(inv.id for inv in terms.investors)
        raise Rejected("EVENT-UNKNOWN-PARTY", f"no investor {investor!r} (investors: {known})",
                       "investor")
    for name in ("to", "sender"):
        party = getattr(event, name, None)
        if party is not None and terms.party(party) is None:
            raise Rejected("EVENT-UNKNOWN-PARTY",
                           f"no party {party!r} in the terms file (add it under [[parties]])",
                           "from" if name == "sender" else name)


def _close(state: DealState, event: ev.Closing, ctx: Context) -> DealState:
    """SPA 1.4, 2.1(a)(i): on the Closing each Investor receives its Shares and one
    Warrant (W-1, W-2, ... in the order of the terms file)."""
    if state.closing_date is not None:
        raise Rejected("EVENT-DUPLICATE-CLOSING",
                       f"the Closing already happened on {state.closing_date}", "type")
    holdings = dict(state.holdings)
    certificates = dict(state.certificates)
    issued = 0
    for allocation in ctx.allocations:
        holdings[allocation.investor] = Holding(purchased_held=Fraction(allocation.shares))
        issued += allocation.shares
        _issue(certificates, allocation.investor, Fraction(allocation.warrant_shares), event.date,
               None, "closing")
    return replace(state, closing_date=event.date, holdings=holdings, certificates=certificates,
                   common_outstanding=state.common_outstanding + issued)


def _sell(state: DealState, event: ev.SharesSold, ctx: Context) -> DealState:
    """RRA 3(e)(B): shares sold are no longer "still held"; sales draw on the
    purchased Shares first, then on any other shares the Investor holds."""
    holding = state.holding(event.investor)
    if event.shares > holding.total:
        raise Rejected("EVENT-SOLD-BEYOND-HOLDINGS",
                       f"{event.investor} holds {_shares(holding.total)} shares on {event.date}; "
                       f"cannot sell {event.shares:,}", "shares")
    from_purchased = min(Fraction(event.shares), holding.purchased_held)
    updated = Holding(
        purchased_held=holding.purchased_held - from_purchased,
        other_held=holding.other_held - (event.shares - from_purchased),
        sold=holding.sold + event.shares,
    )
    return replace(state, holdings={**state.holdings, event.investor: updated})


def _in_window(event: ev.EventBase, ctx: Context) -> None:
    first, last = ctx.exercise_window
    if not first <= event.date <= last:
        raise Rejected("EVENT-OUTSIDE-EXERCISE-WINDOW",
                       f"{event.date} is outside the exercise window {first} to {last} "
                       "(W preamble, W 10)", "date")


def _issue(certificates: dict[str, Certificate], holder: str, shares: Fraction,
           day: dt.date, parent: str | None, origin: str) -> None:
    """A new certificate takes the next number: the register never reuses or drops one."""
    cert_id = f"W-{len(certificates) + 1}"
    certificates[cert_id] = Certificate(cert_id, holder, shares, day, parent, origin)


def _exercise(state: DealState, event: ev.WarrantExercise, ctx: Context) -> DealState:
    """W 3: exercise within the window, at most the warrant's balance; a partial
    exercise leaves a new Warrant for the unpurchased shares."""
    cert = state.certificate(event.warrant)
    _in_window(event, ctx)
    if event.shares > cert.shares:
        raise Rejected("EVENT-EXERCISE-BEYOND-BALANCE",
                       f"{cert.id} is for {_shares(cert.shares)} shares; cannot exercise "
                       f"{event.shares:,}", "shares")
    certificates = dict(state.certificates)
    certificates[cert.id] = replace(cert, status="exercised", closed_on=event.date)
    rest = cert.shares - event.shares
    if rest:
        _issue(certificates, cert.holder, rest, event.date, cert.id, "exercise_remainder")
    holding = state.holding(cert.holder)
    # Cash exercise delivers the shares paid for; the cashless count needs quotes
    # and is computed by the warrant module, so only cash adds to holdings here.
    received = Fraction(event.shares) if event.method == "cash" else Fraction(0)
    holdings = {**state.holdings,
                cert.holder: replace(holding, other_held=holding.other_held + received)}
    return replace(state, certificates=certificates, holdings=holdings,
                   common_outstanding=state.common_outstanding + received)


def _transfer(state: DealState, event: ev.WarrantTransfer, ctx: Context) -> DealState:
    """W 1, 7(a): a new Warrant to the assignee and, for a part, one to the
    assignor for the rest; the surrendered Warrant is cancelled."""
    cert = state.certificate(event.warrant)
    if event.shares > cert.shares:
        raise Rejected("EVENT-TRANSFER-BEYOND-BALANCE",
                       f"{cert.id} is for {_shares(cert.shares)} shares; cannot transfer "
                       f"{event.shares:,}", "shares")
    if event.date > ctx.terms.warrants.termination_date:
        raise Rejected("EVENT-TRANSFER-AFTER-TERMINATION",
                       f"W 1: transferable only prior to the Termination Date "
                       f"{ctx.terms.warrants.termination_date}", "date")
    certificates = dict(state.certificates)
    certificates[cert.id] = replace(cert, status="transferred", closed_on=event.date)
    _issue(certificates, event.to, Fraction(event.shares), event.date, cert.id, "transfer")
    rest = cert.shares - event.shares
    if rest:
        _issue(certificates, cert.holder, rest, event.date, cert.id, "transfer_remainder")
    return replace(state, certificates=certificates)


def _divide(state: DealState, event: ev.WarrantDivide, ctx: Context) -> DealState:
    """W 7(b): a Warrant divided into new Warrants of the stated denominations."""
    cert = state.certificate(event.warrant)
    if sum(event.into) != cert.shares:
        raise Rejected("EVENT-DIVIDE-MISMATCH",
                       f"{cert.id} is for {_shares(cert.shares)} shares; the denominations "
                       f"{event.into} add up to {sum(event.into):,}", "into")
    certificates = dict(state.certificates)
    certificates[cert.id] = replace(cert, status="divided", closed_on=event.date)
    for shares in event.into:
        _issue(certificates, cert.holder, Fraction(shares), event.date, cert.id, "division")
    return replace(state, certificates=certificates)


def _recapitalize(state: DealState, event: ev._Recapitalization, ctx: Context) -> DealState:
    """W 11(a): the holder gets what it "would have owned ... had such Warrant been
    exercised in advance thereof": every share count × new/old."""
    factor = event.factor
    certificates = {
        cid: replace(c, shares=c.shares * factor) if c.status == "outstanding" else c
        for cid, c in state.certificates.items()
    }
    holdings = {
        party: Holding(h.purchased_held * factor, h.other_held * factor, h.sold)
        for party, h in state.holdings.items()
    }
    return replace(state, certificates=certificates, holdings=holdings,
                   share_factor=state.share_factor * factor,
                   common_outstanding=state.common_outstanding * factor)


def _merge(state: DealState, event: ev.Merger, ctx: Context) -> DealState:
    """W 11 (reorganization): the Warrant then buys the Other Property per share."""
    return replace(state, other_property=tuple(event.per_share))


def _finance(state: DealState, event: ev.Financing, ctx: Context) -> DealState:
    return replace(state, common_outstanding=state.common_outstanding + event.shares)


_HANDLERS = {
    ev.SharesSold: _sell,
    ev.WarrantExercise: _exercise,
    ev.WarrantTransfer: _transfer,
    ev.WarrantDivide: _divide,
    ev.StockSplit: _recapitalize,
    ev.StockDividend: _recapitalize,
    ev.ReverseSplit: _recapitalize,
    ev.Reclassification: _recapitalize,
    ev.Merger: _merge,
    ev.Financing: _finance,
}


def _shares(count: Fraction) -> str:
    if count.denominator == 1:
        return f"{count.numerator:,}"
    return f"{count.numerator}/{count.denominator}"


@dataclass(frozen=True)
class Located:
    """An event and where it came from: a file line, or a ledger sequence number."""

    event: ev.EventBase
    file: str | None = None
    line: int | None = None
    field_prefix: str | None = None


def make_context(terms: Terms, company_calendar: HolidayCalendar) -> Context:
    return Context(terms, company_calendar, tuple(allocate(terms)))


def fold(
    located: Sequence[Located], ctx: Context, *, until: dt.date | None = None
) -> tuple[DealState, list[Problem]]:
    """Fold events (in timeline order) into state, collecting a problem per refusal.

    A refused event is skipped so that one bad line does not hide the others.
    """
    state = initial_state(ctx.terms)
    problems: list[Problem] = []
    for item in sorted(located, key=lambda loc: loc.event.date):
        if until is not None and item.event.date > until:
            break
        try:
            state = apply_event(state, item.event, ctx)
        except Rejected as refusal:
            problems.append(Problem(refusal.code, refusal.message, item.file, item.line,
                                    refusal.field))
    return state, problems


def expire_warrants(state: DealState, as_of: dt.date, ctx: Context) -> DealState:
    """W preamble: exercisable "on or prior to the close of business on December 1,
    2004 ... but not thereafter": after the (W 10-moved) Termination Date an
    unexercised Warrant is expired."""
    _, last = ctx.exercise_window
    if as_of <= last:
        return state
    certificates = {
        cid: replace(c, status="expired", closed_on=last) if c.status == "outstanding" else c
        for cid, c in state.certificates.items()
    }
    return replace(state, certificates=certificates)


def check_append(
    ctx: Context, existing: Sequence[ev.EventBase], new: Sequence[Located]
) -> list[Problem]:
    """Validate new events against the ledger they would join.

    The whole timeline is refolded because a new event dated in the past can
    make a later, already-recorded event impossible; such a conflict is
    reported too, naming the ledger row.
    """
    located = [Located(event, "ledger", seq) for seq, event in enumerate(existing, start=1)]
    _, before = fold(located, ctx)
    _, after = fold([*located, *new], ctx)
    known = {(p.code, p.line, p.message) for p in before if p.file == "ledger"}
    problems = []
    for problem in after:
        if problem.file == "ledger":
            if (problem.code, problem.line, problem.message) in known:
                continue
            problem = replace(problem, message=f"ledger event #{problem.line} would become "
                              f"invalid: {problem.message}")
        problems.append(problem)
    return problems


def require_valid(located: Sequence[Located], ctx: Context) -> DealState:
    state, problems = fold(located, ctx)
    if problems:
        raise InputError(problems)
    return state
