"""The price of the deal: the Market Price, the Purchase Price, the Exercise Price, each
investor's allocation, and the capitalization the Closing leaves (SPA 1.10, 1.15, 2.1,
4.3 and the Warrant preamble, and their variants in PIPE-TERMS.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction

from pipedeal.base.calendars import TradingCalendar
from pipedeal.base.diagnostics import Diagnostic, InputError
from pipedeal.base.money import CENT, TENTH_CENT, exact_div, exact_mul, fraction_to_decimal, plain, to_cent
from pipedeal.base.quotes import QuoteBook
from pipedeal.deal.clauses import cite, cite_all
from pipedeal.deal.terms import Terms

ROUNDING_PLACES = {"cent": CENT, "tenth_cent": TENTH_CENT}


@dataclass(frozen=True)
class QuoteUsed:
    """One Trading Day of the Market Price window: the day's figure (and its volume)."""

    date: dt.date
    value: Decimal
    volume: int | None = None


@dataclass(frozen=True)
class Pricing:
    market_price: Decimal | None  # None when nothing in the deal uses it
    purchase_price: Decimal  # in force (after price_rounding)
    purchase_price_exact: Decimal
    purchase_price_rounding: str
    exercise_price: Decimal  # in force (after exercise_price_rounding)
    exercise_price_exact: Decimal
    exercise_price_rounding: str
    quotes_used: tuple[QuoteUsed, ...]
    figure: str | None  # which daily figure the window read (bid, close, vwap, high_low_mean)
    computation: tuple[str, ...] = ()

    @property
    def exercise_price_text(self) -> str:
        """As a string: exact, or with the places the rounding kept ("1.80", not "1.8")."""
        return _text(self.exercise_price, self.exercise_price_rounding)

    @property
    def purchase_price_text(self) -> str:
        return _text(self.purchase_price, self.purchase_price_rounding)


def _text(value: Decimal, rounding: str) -> str:
    return plain(value) if rounding == "none" else format(value, "f")


@dataclass(frozen=True)
class Allocation:
    """What one investor buys at the Closing (SPA 2.1(a) style)."""

    investor: str
    subscription: Decimal  # the amount invested, warrant purchase price included
    shares: int
    warrant_shares: int
    purchase_price: Decimal
    warrant_purchase_price: Decimal | None = None


@dataclass(frozen=True)
class CapitalizationAfterClosing:
    as_of: dt.date
    common_authorized: int
    common_outstanding_before: int
    shares_issued_at_closing: int
    common_outstanding_after: int
    preferred_authorized: int
    preferred_outstanding: int
    warrant_shares_outstanding: int
    reserved_for_warrants: int
    unreserved_authorized: int
    problems: tuple[Diagnostic, ...]


def rounded(value: Decimal, rounding: str) -> Decimal:
    """A computed price rounded half-up to the cent or tenth of a cent, or kept exact."""
    places = ROUNDING_PLACES.get(rounding)
    return value if places is None else value.quantize(places, rounding=ROUND_HALF_UP)


def uses_market_price(terms: Terms) -> bool:
    return terms.pricing.discount is not None or terms.warrants.exercise_price_multiple is not None


def market_price_days(terms: Terms, trading: TradingCalendar, closing_date: dt.date) -> list[dt.date]:
    """SPA 1.10: "the five Trading Day period ending on the Trading Day immediately prior to
    the Closing Date"; PIPE-TERMS ``window_ends``: or before the agreement date, or on it (the
    last Trading Day before it when it has no session)."""
    rule = terms.pricing.market_price
    assert rule is not None
    if rule.window_ends == "before_closing":
        last = trading.previous_open(closing_date, inclusive=False)
    elif rule.window_ends == "before_agreement":
        last = trading.previous_open(terms.deal.agreement_date, inclusive=False)
    else:
        last = trading.previous_open(terms.deal.agreement_date, inclusive=True)
    first = last if rule.days == 1 else trading.add_open_days(last, -(rule.days - 1))
    return trading.open_days(first, last)


def _figure(quotes: QuoteBook, day: dt.date, figure: str) -> Decimal | None:
    if figure == "high_low_mean":
        high, low = quotes.value(day, "high"), quotes.value(day, "low")
        return None if high is None or low is None else fraction_to_decimal((Fraction(high) + Fraction(low)) / 2)
    return quotes.value(day, figure)


def market_price(terms: Terms, quotes: QuoteBook, trading: TradingCalendar, closing_date: dt.date,
                 ) -> tuple[Decimal, tuple[QuoteUsed, ...]]:
    """SPA 1.10: "the average of the closing bid prices on the Principal Market"; PIPE-TERMS: the
    daily ``quote`` over ``days`` Trading Days, their mean, the lowest, or their volume-weighted
    mean (a non-terminating quotient keeps 10 places, half-up).

    A day without the figure (or its volume, when weighted) is an error naming every such day:
    fewer days would silently change the price of every warrant.
    """
    rule = terms.pricing.market_price
    assert rule is not None
    days = market_price_days(terms, trading, closing_date)
    weighted = rule.statistic == "volume_weighted"
    used, missing = [], []
    for day in days:
        value = _figure(quotes, day, rule.quote)
        volume = quotes.get(day).volume if quotes.get(day) else None
        if value is None or (weighted and not volume):
            missing.append(day)
        else:
            used.append(QuoteUsed(day, value, volume))
    if missing:
        listed = ", ".join(day.isoformat() for day in missing)
        what = f"the {rule.quote}" + (" and the volume" if weighted else "")
        raise InputError([Diagnostic(
            "PRICING-MISSING-QUOTE",
            f"the Market Price needs {what} of each of the {len(days)} Trading Days ending {days[-1]}; "
            f"missing for {listed}", file=quotes.source or "the quotes", field=rule.quote)])
    if rule.statistic == "mean":
        price = exact_div(sum((q.value for q in used), Decimal(0)), Decimal(len(used)))
    elif rule.statistic == "lowest":
        price = min(q.value for q in used)
    else:
        total = sum(Fraction(q.value) * q.volume for q in used)  # type: ignore[operator]
        price = fraction_to_decimal(total / sum(q.volume for q in used))  # type: ignore[misc]
    return price, tuple(used)


def price_the_deal(terms: Terms, quotes: QuoteBook, trading: TradingCalendar, closing_date: dt.date) -> Pricing:
    """The Market Price (when used), the Purchase Price (fixed, or a discount to the Market
    Price) and the Exercise Price (fixed, or a multiple of it: W preamble "110% of the Market
    Price"), each rounded as the terms say."""
    pricing, warrants = terms.pricing, terms.warrants
    market, used, steps = None, (), []
    if uses_market_price(terms):
        market, used = market_price(terms, quotes, trading, closing_date)
        rule = pricing.market_price
        assert rule is not None
        steps.append(f"Market Price: {rule.statistic.replace('_', ' ')} of the {rule.quote} on {len(used)} Trading "
                     f"Days {used[0].date} to {used[-1].date} = {plain(market)}")
    if pricing.discount is not None:
        assert market is not None
        purchase_exact = exact_mul(market, 1 - pricing.discount)
        purchase_rounding = pricing.price_rounding or "none"
        steps.append(f"Purchase Price: (1 - {plain(pricing.discount)}) x {plain(market)} = {plain(purchase_exact)}")
    else:
        assert pricing.purchase_price is not None
        purchase_exact, purchase_rounding = pricing.purchase_price, "none"
    if warrants.exercise_price_multiple is not None:
        assert market is not None
        exercise_exact = exact_mul(market, warrants.exercise_price_multiple)
        exercise_rounding = warrants.exercise_price_rounding or "none"
        steps.append(f"Exercise Price: {plain(warrants.exercise_price_multiple)} x {plain(market)} = "
                     f"{plain(exercise_exact)}")
    else:
        assert warrants.exercise_price is not None
        exercise_exact, exercise_rounding = warrants.exercise_price, "none"
    return Pricing(market, rounded(purchase_exact, purchase_rounding), purchase_exact, purchase_rounding,
                   rounded(exercise_exact, exercise_rounding), exercise_exact, exercise_rounding, used,
                   pricing.market_price.quote if pricing.market_price and market is not None else None, tuple(steps))


def fixed_purchase_price(terms: Terms) -> Decimal | None:
    """The Purchase Price when the terms fix it (SPA 1.15); None when it is a discount."""
    return terms.pricing.purchase_price


def allocate(terms: Terms, purchase_price: Decimal) -> list[Allocation]:
    """SPA 1.15, 2.1(a): each Investor buys subscription / price Shares and warrants for
    ``warrant_coverage`` of them; a unit deal prices each warrant share too, and an investor
    may state its shares instead of (or beside) its subscription (PIPE-TERMS "Allocation of
    a unit deal").

    A subscription that does not buy a whole number of shares, a warrant count that
    ``warrant_rounding = "exact"`` leaves fractional, or a subscription that is not what its
    shares and warrant shares cost to the cent (stated beside them, or a unit subscription whose
    warrant shares were rounded), is an error in the terms, naming the investor and line, never
    rounded away.
    """
    pricing = terms.pricing
    unit_price = None if pricing.warrant_purchase_price == "none" else pricing.warrant_purchase_price
    per_unit = Fraction(purchase_price) + (Fraction(pricing.warrant_coverage) * Fraction(unit_price)
                                           if unit_price else 0)
    allocations, problems = [], []
    for index in range(len(terms.investors)):
        found = _allocate_one(terms, index, purchase_price, unit_price, per_unit)
        (problems if isinstance(found, Diagnostic) else allocations).append(found)
    if problems:
        raise InputError(problems)
    return allocations  # type: ignore[return-value]


# The purchase of the Shares at the Purchase Price (SPA 2.1(a), 1.15), under the deal's pricing clause.
PURCHASE_SLOTS = (("SPA 2.1(a)", "pricing"), ("SPA 1.15 purchase price", "pricing"))


def _allocate_one(terms: Terms, index: int, purchase_price: Decimal, unit_price: Decimal | None,
                  per_unit: Fraction) -> Allocation | Diagnostic:
    investor = terms.investors[index]
    key = "subscription" if investor.subscription else "shares"

    def refused(message: str, code: str = "ALLOCATION-FRACTIONAL-SHARES") -> Diagnostic:
        file, line = terms.located("investors", index, key)  # reads the file's lines: only for a refusal
        return Diagnostic(code, f"{investor.name}: {message}", file, line, f"investors[{index}].{key}")

    if investor.shares is not None:
        shares = investor.shares
    else:
        exact = Fraction(investor.subscription) / per_unit  # type: ignore[arg-type]
        if exact.denominator != 1:
            return refused(f"${investor.subscription} / ${fraction_to_decimal(per_unit)} = "
                           f"{fraction_to_decimal(exact)} shares, not a whole number "
                           f"({cite_all(terms, *PURCHASE_SLOTS, abbreviate=True)})")
        shares = exact.numerator
    coverage = terms.pricing.warrant_coverage
    warrants = _warrant_shares(shares, coverage, terms.pricing.warrant_rounding)
    if warrants is None:
        return refused(f"{coverage} x {shares:,} shares = {fraction_to_decimal(Fraction(coverage) * shares)} "
                       "warrant shares, not a whole number (warrant_rounding = exact)",
                       "ALLOCATION-FRACTIONAL-WARRANTS")
    cost = to_cent(fraction_to_decimal(shares * Fraction(purchase_price)
                                       + (warrants * Fraction(unit_price) if unit_price else 0)))
    # PIPE-TERMS "Allocation of a unit deal": shares from a subscription must be whole "and the
    # subscription must equal shares x price + warrant shares x warrant purchase price rounded
    # half-up to the cent" -- also when only the subscription is stated: warrant shares rounded
    # down (or half-up) leave a unit subscription paying for a fraction it does not get.
    if investor.subscription is not None and cost != investor.subscription:
        return refused(f"{shares:,} shares x ${plain(purchase_price)}"
                       + (f" + {warrants:,} warrant shares x ${plain(unit_price)}" if unit_price else "")
                       + f" = ${cost}, not the subscription ${investor.subscription}", "ALLOCATION-MISMATCH")
    return Allocation(investor.id, investor.subscription or cost, shares, warrants, purchase_price, unit_price)


def _warrant_shares(shares: int, coverage: Decimal, rounding: str) -> int | None:
    exact = Decimal(shares) * coverage
    if exact == exact.to_integral_value():
        return int(exact)
    if rounding == "exact":
        return None
    return int(exact.quantize(Decimal(1), rounding=ROUND_DOWN if rounding == "down" else ROUND_HALF_UP))


# The reserve of Warrant Shares: the Company's covenant (SPA 6.2) and the Warrant's (W 15).
RESERVE_SLOTS = ("SPA 6.2 reserve", "W 15")


def capitalization_after_closing(terms: Terms, allocations: list[Allocation]) -> CapitalizationAfterClosing:
    """SPA 4.3 capitalization, SPA 4.2 / 6.2 and W 15 reservation of Warrant Shares.

    SPA 6.2: the Company "shall continue to reserve and keep available at all
    times ... shares of Common Stock for the purpose of enabling the Company to
    issue ... the Warrant Shares". A shortfall is reported, not fixed.
    """
    cap = terms.capitalization
    issued = sum(allocation.shares for allocation in allocations)
    warrant_shares = sum(allocation.warrant_shares for allocation in allocations)
    reserved = cap.reserved_for_warrants if cap.reserved_for_warrants is not None else warrant_shares
    after = cap.common_outstanding + issued
    unreserved = cap.common_authorized - after - reserved
    problems = []
    if reserved < warrant_shares:
        problems.append(Diagnostic(
            "RESERVE-SHORTFALL",
            f"{cite_all(terms, *RESERVE_SLOTS, sep=' / ')}: {reserved:,} shares reserved for {warrant_shares:,} "
            f"outstanding warrant shares (short {warrant_shares - reserved:,})",
            clause=cite_all(terms, *RESERVE_SLOTS, sep="; ")))
    if unreserved < 0:
        capitalization = cite(terms, "SPA 4.3 capitalization")
        problems.append(Diagnostic(
            "AUTHORIZED-SHORTFALL",
            f"{capitalization}: {cap.common_authorized:,} authorized < {after:,} outstanding + "
            f"{reserved:,} reserved (short {-unreserved:,})", clause=capitalization))
    return CapitalizationAfterClosing(
        as_of=cap.as_of, common_authorized=cap.common_authorized, common_outstanding_before=cap.common_outstanding,
        shares_issued_at_closing=issued, common_outstanding_after=after,
        preferred_authorized=cap.preferred_authorized, preferred_outstanding=cap.preferred_outstanding,
        warrant_shares_outstanding=warrant_shares, reserved_for_warrants=reserved, unreserved_authorized=unreserved,
        problems=tuple(problems))
