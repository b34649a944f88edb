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
from decimal import Decimal
from fractions import Fraction

from pipedeal.base.calendars import HolidayCalendar, TradingCalendar, warrant_roll
from pipedeal.base.diagnostics import Diagnostic, InputError
from pipedeal.base.money import fraction_to_decimal, plain, to_cent
from pipedeal.base.quotes import QuoteBook
from pipedeal.deal.terms import Terms
from pipedeal.engine import events as ev
from pipedeal.engine.defaults import add_years
from pipedeal.engine.pricing import Allocation, Pricing, allocate, price_the_deal
from pipedeal.engine.warrants import (
    AdjustmentNotice,
    AdjustmentRow,
    ExerciseResult,
    cashless_shares,
    fraction_cash,
    price_in_force,
    whole_and_fraction,
)

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
    parents: tuple[str, ...] = ()  # every certificate it came from (several for a combination)
    closing_price: Decimal | None = None  # the Exercise Price when it left the register
    original_issue_date: dt.date | None = None  # of the Closing certificate it descends from


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
    # For exercise figures (W 3): the quotes and Trading Days; without them the
    # fold still checks balances and windows, and leaves prices to the caller.
    quotes: QuoteBook | None = None
    trading: TradingCalendar | None = None

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
    base_exercise_price: Decimal | None = None  # W preamble, before any adjustment
    pricing: Pricing | None = None  # SPA 1.10 and the W preamble, computed at the Closing
    reductions: tuple[tuple[dt.date, dt.date, Fraction], ...] = ()  # W 12, in Closing-share terms
    registration_changes: tuple[tuple[dt.date, bool], ...] = ()  # primary statement in effect from
    reserved: Fraction = Fraction(0)  # SPA 6.2, W 15
    authorized: int = 0
    exercises: tuple[ExerciseResult, ...] = ()
    adjustments: tuple[AdjustmentNotice, ...] = ()
    action_notices: tuple[ev.CorporateActionNotice, ...] = ()
    breaches: tuple[Diagnostic, ...] = ()
    reserve_ok: bool = True
    headroom_ok: bool = True

    def exercise_price(self, day: dt.date) -> Decimal | None:
        if self.base_exercise_price is None:
            return None
        return price_in_force(self.base_exercise_price, self.share_factor, self.reductions, day)

    def registered_on(self, day: dt.date) -> bool:
        """Whether a registration permitting resale is in effect on ``day``."""
        in_effect = False
        for when, value in self.registration_changes:
            if when > day:
                break
            in_effect = value
        return in_effect

    def warrant_shares_outstanding(self) -> Fraction:
        return sum((c.shares for c in self.certificates.values() if c.status == "outstanding"), Fraction(0))

    def whole_warrant_shares(self) -> Fraction:
        """The shares the outstanding Warrants can still call for: W 4 pays each
        certificate's fraction in cash, so only whole shares need reserving."""
        return Fraction(sum(c.shares.numerator // c.shares.denominator
                            for c in self.certificates.values() if c.status == "outstanding"))

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
    cap = terms.capitalization
    return DealState(common_outstanding=Fraction(cap.common_outstanding), authorized=cap.common_authorized)


def timeline(events: Iterable[ev.EventBase]) -> list[ev.EventBase]:
    """Events in the documented order: by the day they apply (their date, or for an
    adjustment its record date, W 11), then as recorded."""
    return sorted(events, key=lambda event: event.applies_on)


def apply_event(state: DealState, event: ev.EventBase, ctx: Context) -> DealState:
    """The one transition: ``state_before + event -> state_after``; W 7(d): the register
    ("books for the registration and the registration of transfer of the Warrants") is this fold."""
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
    if new_state is not state and state.closing_date is not None:
        new_state = _check_reserve(new_state, event.applies_on)
    return replace(new_state, last_date=event.date)


def _check_reserve(state: DealState, day: dt.date) -> DealState:
    """SPA 6.2, W 15: after every event the reserve must cover the outstanding warrant
    shares, and the authorized Common the outstanding plus the reserve. A shortfall
    is reported when it begins (and again if it recurs), with the numbers."""
    required = state.whole_warrant_shares()
    headroom = state.authorized - state.common_outstanding - state.reserved
    breaches = list(state.breaches)
    reserve_ok, headroom_ok = state.reserved >= required, headroom >= 0
    if not reserve_ok and state.reserve_ok:
        breaches.append(Diagnostic("RESERVE-SHORTFALL",
                                   f"{_shares(state.reserved)} shares reserved for {_shares(required)} outstanding "
                                   f"warrant shares (short {_shares(required - state.reserved)})",
                                   clause="SPA 6.2; W 15", date=day))
    if not headroom_ok and state.headroom_ok:
        breaches.append(Diagnostic("AUTHORIZED-SHORTFALL",
                                   f"{state.authorized:,} authorized < {_shares(state.common_outstanding)} outstanding "
                                   f"+ {_shares(state.reserved)} reserved (short {_shares(-headroom)})",
                                   clause="SPA 4.3, 6.2; W 15", date=day))
    return replace(state, breaches=tuple(breaches), reserve_ok=reserve_ok, headroom_ok=headroom_ok)





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
               (), "closing", event.date)
    warrant_shares = sum(a.warrant_shares for a in ctx.allocations)
    reserved = ctx.terms.capitalization.reserved_for_warrants
    pricing = None
    if ctx.quotes is not None and ctx.trading is not None:
        try:
            pricing = price_the_deal(ctx.terms, ctx.quotes, ctx.trading, event.date)
        except InputError:
            pricing = None  # evaluate() reports the missing bids; the register still folds
    base = pricing.exercise_price if pricing else None
    closed = replace(state, closing_date=event.date, holdings=holdings, certificates=certificates,
                     common_outstanding=state.common_outstanding + issued, base_exercise_price=base,
                     pricing=pricing,
                     reserved=Fraction(warrant_shares if reserved is None else reserved))
    # The Closing's own capitalization is reported by pricing.capitalization_after_closing.
    required = closed.whole_warrant_shares()
    return replace(closed, reserve_ok=closed.reserved >= required,
                   headroom_ok=closed.authorized - closed.common_outstanding - closed.reserved >= 0)


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
           day: dt.date, parents: tuple[str, ...], origin: str, original: dt.date) -> str:
    """A new certificate takes the next number: the register never reuses or drops one."""
    cert_id = f"W-{len(certificates) + 1}"
    certificates[cert_id] = Certificate(cert_id, holder, shares, day, parents[0] if parents else None, origin,
                                        parents=parents, original_issue_date=original)
    return cert_id


def _exercise(state: DealState, event: ev.WarrantExercise, ctx: Context) -> DealState:
    """W 3: exercise within the window, at most the warrant's balance; a partial
    exercise leaves a new Warrant for the unpurchased shares. W 4: whole shares,
    the fraction in cash. A cashless exercise must be allowed (``cashless_test``)
    and must leave something to receive (A > B)."""
    cert = state.certificate(event.warrant)
    _in_window(event, ctx)
    surrendered = _surrendered(event.shares, cert.shares)
    if surrendered > cert.shares:
        raise Rejected("EVENT-EXERCISE-BEYOND-BALANCE",
                       f"{cert.id} is for {_shares(cert.shares)} shares; cannot exercise "
                       f"{_shares(surrendered)}", "shares")
    original = cert.original_issue_date or cert.issue_date
    if event.method == "cashless":
        _cashless_allowed(state, event, ctx, original)
    certificates = dict(state.certificates)
    certificates[cert.id] = _close_certificate(state, cert, "exercised", event.date)
    rest = cert.shares - surrendered
    remainder = (_issue(certificates, cert.holder, rest, event.date, (cert.id,), "exercise_remainder", original)
                 if rest else None)
    result = _exercise_result(state, event, ctx, cert, surrendered, original, remainder)
    issued = Fraction(result.shares_issued) if result is not None else (
        surrendered if event.method == "cash" else Fraction(0))
    holding = state.holding(cert.holder)
    holdings = {**state.holdings, cert.holder: replace(holding, other_held=holding.other_held + issued)}
    return replace(state, certificates=certificates, holdings=holdings,
                   common_outstanding=state.common_outstanding + issued,
                   reserved=max(Fraction(0), state.reserved - issued),
                   exercises=state.exercises + ((result,) if result else ()))


def _close_certificate(state: DealState, cert: Certificate, status: str, day: dt.date) -> Certificate:
    """A certificate leaves the register with the Exercise Price it had that day, so a
    later adjustment does not rewrite its history."""
    return replace(cert, status=status, closed_on=day, closing_price=state.exercise_price(day))


def _surrendered(asked: int | Decimal | str, balance: Fraction) -> Fraction:
    """The shares an exercise surrenders: ``"all"``, or a number; a decimal that is the
    balance to its 10 shown places (116.6666666667 of 350/3) means the whole balance."""
    if asked == "all":
        return balance
    value = Fraction(asked)
    if value != balance and fraction_to_decimal(balance) == Decimal(asked):
        return balance
    return value


def _cashless_allowed(state: DealState, event: ev.WarrantExercise, ctx: Context, issued_on: dt.date) -> None:
    """W 3: "If there is no registration in effect permitting the resale by the Holder of
    the Warrant Shares at any time from and after one year from the issuance date of this
    Warrant, then the Holder shall have the right to a 'cashless exercise'"."""
    after = add_years(issued_on, ctx.terms.warrants.cashless_after_years)
    if event.date < after:
        raise Rejected("EVENT-CASHLESS-TOO-EARLY",
                       f"W 3: a cashless exercise is allowed from one year after the issue date {issued_on}, "
                       f"i.e. from {after}", "method")
    if ctx.terms.interpretations.cashless_test == "at_election":
        if state.registered_on(event.date):
            raise Rejected("EVENT-CASHLESS-REGISTERED",
                           f"W 3: a registration permitting resale of the Warrant Shares is in effect on "
                           f"{event.date} (cashless_test=at_election)", "method")
        return
    day, gap = after, False
    for when, in_effect in state.registration_changes:
        if when > event.date:
            break
        if not in_effect and when >= after:
            gap = True
    gap = gap or not state.registered_on(day)
    if not gap:
        raise Rejected("EVENT-CASHLESS-REGISTERED",
                       f"W 3: a registration was in effect every day from {after} to {event.date} "
                       "(cashless_test=ever_after_one_year)", "method")


def _exercise_result(state: DealState, event: ev.WarrantExercise, ctx: Context, cert: Certificate,
                     surrendered: Fraction, original: dt.date, remainder: str | None) -> ExerciseResult | None:
    price = state.exercise_price(event.date)
    if price is None or ctx.trading is None:
        return None
    reading = ctx.terms.interpretations.fraction_cash
    steps = [f"W 3: exercise of {_shares(surrendered)} warrant shares of {cert.id} on {event.date}"]
    average = average_day = None
    if event.method == "cash":
        aggregate = to_cent(fraction_to_decimal(surrendered * Fraction(price)))
        due = surrendered
        steps.append(f"W 3: aggregate Exercise Price {_shares(surrendered)} x ${plain(price)} = ${aggregate:,}")
    else:
        aggregate = Decimal("0.00")
        average_day = ctx.trading.previous_open(event.date, inclusive=False)
        quote = ctx.quotes.get(average_day) if ctx.quotes else None
        if quote is None or quote.high is None or quote.low is None:
            raise Rejected("EVENT-CASHLESS-NO-QUOTE",
                           f"W 3: A is the average of the high and low on {average_day}, the Trading Day "
                           "before the election; the quotes have no high and low for it", "date")
        average = fraction_to_decimal((Fraction(quote.high) + Fraction(quote.low)) / 2)
        if average <= price:
            raise Rejected("EVENT-CASHLESS-UNDERWATER",
                           f"W 3: A = ${plain(average)} is not above B = ${plain(price)}: a cashless exercise "
                           "would deliver nothing", "method")
        due = cashless_shares(average, price, surrendered)
        steps.append(f"W 3: A = (high {plain(quote.high)} + low {plain(quote.low)}) / 2 on {average_day} "
                     f"= ${plain(average)}; B = ${plain(price)}; X = {_shares(surrendered)}")
        steps.append(f"W 3: (A - B) x X / A = {plain(fraction_to_decimal(due))} shares")
    whole, fraction = whole_and_fraction(due)
    basket: tuple[tuple[str, Decimal], ...] = ()
    if state.other_property is not None:
        basket = tuple((asset.asset, fraction_to_decimal(Fraction(asset.quantity) * due))
                       for asset in state.other_property)
        steps.append("W 11 (reorganization): delivers the Other Property for each share: "
                     + ", ".join(f"{quantity} {name}" for name, quantity in basket))
        whole, fraction = 0, Fraction(0)
    cash = fraction_cash(fraction, price, reading)
    if fraction:
        steps.append(f"W 4: {whole:,} whole shares; the fraction {plain(fraction_to_decimal(fraction))} is paid "
                     f"in cash: ${cash} (fraction_cash={reading})")
    delivery = ctx.trading.add_open_days(event.date, ctx.terms.warrants.certificate_delivery_trading_days)
    steps.append(f"W 3: certificates due within {ctx.terms.warrants.certificate_delivery_trading_days} Trading "
                 f"Days: by {delivery}")
    start = event.date if event.method == "cash" else original
    return ExerciseResult(
        warrant=cert.id, holder=cert.holder, date=event.date, method=event.method,
        shares_exercised=surrendered, exercise_price=price, aggregate_price=aggregate,
        average_price=average, average_price_day=average_day, shares_due=due, shares_issued=whole,
        fraction=fraction, fraction_cash=cash, other_property=basket, remainder_certificate=remainder,
        delivery_due=delivery, holding_period_start=start, computation=tuple(steps))


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
    original = cert.original_issue_date or cert.issue_date
    certificates = dict(state.certificates)
    certificates[cert.id] = _close_certificate(state, cert, "transferred", event.date)
    _issue(certificates, event.to, Fraction(event.shares), event.date, (cert.id,), "transfer", original)
    rest = cert.shares - event.shares
    if rest:
        _issue(certificates, cert.holder, rest, event.date, (cert.id,), "transfer_remainder", original)
    return replace(state, certificates=certificates)


def _divide(state: DealState, event: ev.WarrantDivide, ctx: Context) -> DealState:
    """W 7(b): a Warrant divided into new Warrants of the stated denominations."""
    cert = state.certificate(event.warrant)
    if sum(event.into) != cert.shares:
        raise Rejected("EVENT-DIVIDE-MISMATCH",
                       f"{cert.id} is for {_shares(cert.shares)} shares; the denominations "
                       f"{event.into} add up to {sum(event.into):,}", "into")
    original = cert.original_issue_date or cert.issue_date
    certificates = dict(state.certificates)
    certificates[cert.id] = _close_certificate(state, cert, "divided", event.date)
    for shares in event.into:
        _issue(certificates, cert.holder, Fraction(shares), event.date, (cert.id,), "division", original)
    return replace(state, certificates=certificates)


def _combine(state: DealState, event: ev.WarrantCombine, ctx: Context) -> DealState:
    """W 7(b): "This Warrant may be divided or combined with other Warrants"; the
    Warrants combined must be one holder's, and the new one keeps the earliest issue date."""
    if len(set(event.warrants)) != len(event.warrants):
        raise Rejected("EVENT-COMBINE-REPEATED", "a warrant is named twice", "warrants")
    certs = [state.certificate(cid) for cid in event.warrants]
    holders = {c.holder for c in certs}
    if len(holders) != 1:
        raise Rejected("EVENT-COMBINE-HOLDERS",
                       f"W 7(b): warrants of different holders ({', '.join(sorted(holders))}) cannot be combined; "
                       "transfer first", "warrants")
    original = min(c.original_issue_date or c.issue_date for c in certs)
    certificates = dict(state.certificates)
    for cert in certs:
        certificates[cert.id] = _close_certificate(state, cert, "combined", event.date)
    _issue(certificates, certs[0].holder, sum((c.shares for c in certs), Fraction(0)), event.date,
           tuple(event.warrants), "combination", original)
    return replace(state, certificates=certificates)


def _replace_lost(state: DealState, event: ev.WarrantReplace, ctx: Context) -> DealState:
    """W 9: "a new Warrant ... of like tenor and dated as of such cancellation"."""
    cert = state.certificate(event.warrant)
    certificates = dict(state.certificates)
    certificates[cert.id] = _close_certificate(state, cert, f"replaced ({event.reason})", event.date)
    _issue(certificates, cert.holder, cert.shares, event.date, (cert.id,), "replacement",
           cert.original_issue_date or cert.issue_date)
    return replace(state, certificates=certificates)


def _recapitalize(state: DealState, event: ev._Recapitalization, ctx: Context) -> DealState:
    """W 11(a): the holder gets what it "would have owned ... had such Warrant been
    exercised in advance thereof": every share count x new/old, the Exercise Price x
    old/new, "retroactive to the record date"."""
    factor = event.factor
    after_factor = state.share_factor * factor
    price_before = state.exercise_price(event.applies_on)
    price_after = (price_in_force(state.base_exercise_price, after_factor, state.reductions, event.applies_on)
                   if state.base_exercise_price is not None else None)
    new, old = event.ratio.split(":")
    rows = tuple(
        AdjustmentRow(c.id, c.holder, c.shares, c.shares * factor, price_before or Decimal(0),
                      price_after or Decimal(0))
        for c in state.outstanding_certificates())
    computation = [f"W 11(a): ratio {new}:{old} ({event.type.replace('_', ' ')})",
                   "W 11(a): warrant shares x " f"{new}/{old}"]
    if price_before is not None and price_after is not None:
        computation.append(f"W 11(a): Exercise Price ${plain(price_before)} x {old}/{new} = ${plain(price_after)} "
                           "(10 places, half-up, where it does not terminate)")
    for row in rows:
        computation.append(f"{row.warrant}: {_shares(row.shares_before)} x {new}/{old} = {_shares(row.shares_after)}")
    notice = AdjustmentNotice(
        kind=event.type, clause="W 11(a)", date=event.date, record_date=event.record_date,
        effective_from=event.applies_on,
        facts=f"The Company effected a {event.type.replace('_', ' ')} of its Common Stock, {new} shares for each "
              f"{old}, effective {event.date}" + (f" (record date {event.record_date})" if event.record_date else ""),
        computation=tuple(computation), rows=rows)
    certificates = {
        cid: replace(c, shares=c.shares * factor) if c.status == "outstanding" else c
        for cid, c in state.certificates.items()
    }
    holdings = {
        party: Holding(h.purchased_held * factor, h.other_held * factor, h.sold)
        for party, h in state.holdings.items()
    }
    breaches = state.breaches + tuple(_late_action_notices(state, event, ctx))
    return replace(state, certificates=certificates, holdings=holdings, share_factor=after_factor,
                   common_outstanding=state.common_outstanding * factor, reserved=state.reserved * factor,
                   authorized=event.authorized or state.authorized,
                   adjustments=(*state.adjustments, notice), breaches=breaches)


def _late_action_notices(state: DealState, event: ev.EventBase, ctx: Context) -> list[Diagnostic]:
    """W 14: "at least 30 days' prior written notice of the date on which a record date
    shall be selected ... and ... of the date when the same shall take place"."""
    days = ctx.terms.warrants.corporate_action_notice_days
    record = getattr(event, "record_date", None)
    notices = [n for n in state.action_notices
               if n.effective_date == event.date or (record is not None and n.record_date == record)]
    if record is None and notices:
        record = notices[0].record_date  # the record date the Company's notice names
    takes_place = event.type in ("reclassification", "merger")
    checks = []
    if record is not None or not takes_place:
        checks.append(("record date", record or event.date))
    if takes_place:
        checks.append(("effective date", event.date))
    breaches = []
    for label, day in checks:
        latest = day - dt.timedelta(days=days)
        if any(n.date <= latest for n in notices):
            continue
        when = f"given {notices[0].date}" if notices else "not given"
        breaches.append(Diagnostic("W14-LATE-NOTICE",
                                   f"{event.type} of {event.date}: notice of the {label} {day} was {when}; "
                                   f"due by {latest} ({days} days before)", clause="W 14", date=day))
    return breaches


def _merge(state: DealState, event: ev.Merger, ctx: Context) -> DealState:
    """W 11 (reorganization): the Warrant then buys the Other Property per share."""
    basket = tuple((asset.asset, asset.quantity) for asset in event.per_share)
    price = state.exercise_price(event.date) or Decimal(0)
    rows = tuple(AdjustmentRow(c.id, c.holder, c.shares, c.shares, price, price)
                 for c in state.outstanding_certificates())
    notice = AdjustmentNotice(
        kind="merger", clause="W 11 (reorganization)", date=event.date, record_date=None,
        effective_from=event.date,
        facts=f"The Company merged or reorganized on {event.date}; each share of Common Stock became "
              + ", ".join(f"{quantity} {name}" for name, quantity in basket),
        computation=tuple(f"each warrant share now buys {quantity} {name}" for name, quantity in basket),
        rows=rows, other_property=basket)
    breaches = state.breaches + tuple(_late_action_notices(state, event, ctx))
    return replace(state, other_property=tuple(event.per_share), adjustments=(*state.adjustments, notice),
                   breaches=breaches)


def _reduce_price(state: DealState, event: ev.PriceReduction, ctx: Context) -> DealState:
    """W 12: "reduce the then current Exercise Price to any amount and for any period of time"."""
    current = state.exercise_price(event.start)
    if current is not None and event.price >= current:
        raise Rejected("EVENT-NOT-A-REDUCTION",
                       f"W 12 allows only a reduction: ${plain(event.price)} is not below the Exercise Price "
                       f"${plain(current)} in force on {event.start}", "price")
    rows = tuple(AdjustmentRow(c.id, c.holder, c.shares, c.shares, current or Decimal(0), event.price)
                 for c in state.outstanding_certificates())
    notice = AdjustmentNotice(
        kind="price_reduction", clause="W 12", date=event.date, record_date=None, effective_from=event.start,
        facts=f"The Board of Directors reduced the Exercise Price to ${plain(event.price)} from {event.start} "
              f"through {event.end}, after which it returns to the price then in force",
        computation=(f"W 12: ${plain(current) if current is not None else '?'} -> ${plain(event.price)} "
                     f"for {event.start} to {event.end}",),
        rows=rows, until=event.end)
    # Kept in Closing-share terms (x the split ratio so far) so that a later W 11
    # adjustment divides it exactly as it divides the original price.
    reduced = (event.start, event.end, Fraction(event.price) * state.share_factor)
    return replace(state, reductions=(*state.reductions, reduced),
                   adjustments=(*state.adjustments, notice))


def _note_action(state: DealState, event: ev.CorporateActionNotice, ctx: Context) -> DealState:
    return replace(state, action_notices=(*state.action_notices, event))


def _registration(state: DealState, event: ev.EventBase, ctx: Context) -> DealState:
    """W 3 needs to know whether a registration permitting resale is in effect."""
    if getattr(event, "statement", "primary") != "primary":
        return state
    in_effect = not isinstance(event, ev.EffectivenessLapsed)
    return replace(state, registration_changes=(*state.registration_changes, (event.date, in_effect)))


def _finance(state: DealState, event: ev.Financing, ctx: Context) -> DealState:
    return replace(state, common_outstanding=state.common_outstanding + event.shares)


_HANDLERS = {
    ev.SharesSold: _sell,
    ev.WarrantExercise: _exercise,
    ev.WarrantTransfer: _transfer,
    ev.WarrantDivide: _divide,
    ev.WarrantCombine: _combine,
    ev.WarrantReplace: _replace_lost,
    ev.PriceReduction: _reduce_price,
    ev.CorporateActionNotice: _note_action,
    ev.RsEffective: _registration,
    ev.EffectivenessLapsed: _registration,
    ev.EffectivenessRestored: _registration,
    ev.StockSplit: _recapitalize,
    ev.StockDividend: _recapitalize,
    ev.ReverseSplit: _recapitalize,
    ev.Reclassification: _recapitalize,
    ev.Merger: _merge,
    ev.Financing: _finance,
}


def _shares(count: Fraction) -> str:
    """A share count as a person reads it: 33,394,051.5 (10 places if it does not end)."""
    if count.denominator == 1:
        return f"{count.numerator:,}"
    whole, _, fraction = plain(fraction_to_decimal(count)).partition(".")
    return f"{int(whole):,}.{fraction}"


@dataclass(frozen=True)
class Located:
    """An event and where it came from: a file line, or a ledger sequence number."""

    event: ev.EventBase
    file: str | None = None
    line: int | None = None
    field_prefix: str | None = None


def make_context(terms: Terms, company_calendar: HolidayCalendar, quotes: QuoteBook | None = None,
                 trading: TradingCalendar | None = None) -> Context:
    return Context(terms, company_calendar, tuple(allocate(terms)), quotes, trading)


def fold(
    located: Sequence[Located], ctx: Context, *, until: dt.date | None = None
) -> tuple[DealState, list[Diagnostic]]:
    """Fold events (in timeline order) into state, collecting a problem per refusal.

    A refused event is skipped so that one bad line does not hide the others.
    """
    state = initial_state(ctx.terms)
    problems: list[Diagnostic] = []
    for item in sorted(located, key=lambda loc: loc.event.applies_on):
        if until is not None and item.event.applies_on > until:
            break
        try:
            state = apply_event(state, item.event, ctx)
        except Rejected as refusal:
            problems.append(Diagnostic(refusal.code, refusal.message, item.file, item.line,
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
) -> list[Diagnostic]:
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
