"""SPA Articles I-II and 4.3: Market Price, Exercise Price, allocations, capitalization."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from pipedeal.base.calendars import TradingCalendar
from pipedeal.base.diagnostics import Diagnostic, InputError
from pipedeal.base.money import CENT, EXACT, TENTH_CENT, exact_div, exact_mul, plain
from pipedeal.base.quotes import QuoteBook
from pipedeal.deal.terms import Terms


@dataclass(frozen=True)
class QuoteUsed:
    date: dt.date
    bid: Decimal


@dataclass(frozen=True)
class Pricing:
    market_price: Decimal
    exercise_price: Decimal
    exercise_price_exact: Decimal
    exercise_price_rounding: str
    quotes_used: tuple[QuoteUsed, ...]

    @property
    def exercise_price_text(self) -> str:
        """As a string: exact, or with the places the rounding kept ("1.80", not "1.8")."""
        if self.exercise_price_rounding == "none":
            return plain(self.exercise_price)
        return format(self.exercise_price, "f")


@dataclass(frozen=True)
class Allocation:
    investor: str
    subscription: Decimal
    shares: int
    warrant_shares: int


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


def market_price_days(terms: Terms, trading: TradingCalendar, closing_date: dt.date) -> list[dt.date]:
    """SPA 1.10: "the five Trading Day period ending on the Trading Day immediately
    prior to the Closing Date"."""
    last = trading.previous_open(closing_date, inclusive=False)
    count = terms.pricing.market_price_days
    first = last if count == 1 else trading.add_open_days(last, -(count - 1))
    return trading.open_days(first, last)


def market_price(
    terms: Terms, quotes: QuoteBook, trading: TradingCalendar, closing_date: dt.date
) -> tuple[Decimal, tuple[QuoteUsed, ...]]:
    """SPA 1.10: "the average of the closing bid prices on the Principal Market".

    A day without a closing bid is an error naming every such day: averaging
    fewer days would silently change the price of every warrant.
    """
    column = terms.pricing.market_price_quote
    days = market_price_days(terms, trading, closing_date)
    missing = [day for day in days if quotes.value(day, column) is None]
    if missing:
        listed = ", ".join(day.isoformat() for day in missing)
        raise InputError([
            Diagnostic(
                "PRICING-MISSING-QUOTE",
                f"SPA 1.10 needs the closing {column} of each of the {len(days)} Trading Days "
                f"before the Closing Date {closing_date}; missing for {listed}",
                file=quotes.source or "the quotes",
                field=column,
            )
        ])
    used = tuple(QuoteUsed(day, quotes.value(day, column)) for day in days)  # type: ignore[arg-type]
    total = sum((quote.bid for quote in used), Decimal(0))
    return exact_div(total, Decimal(len(used))), used


def exercise_price(terms: Terms, market: Decimal) -> tuple[Decimal, Decimal]:
    """W preamble: the Exercise Price is "110% of the Market Price".

    Returns (price in force, exact price); ``exercise_price_rounding`` decides
    whether the exact product is rounded half-up to the cent or tenth of a cent.
    """
    exact = exact_mul(market, terms.pricing.exercise_price_multiple)
    rounding = terms.interpretations.exercise_price_rounding
    if rounding == "cent":
        return exact.quantize(CENT, rounding=ROUND_HALF_UP), exact
    if rounding == "tenth_cent":
        return exact.quantize(TENTH_CENT, rounding=ROUND_HALF_UP), exact
    return exact, exact


def price_the_deal(
    terms: Terms, quotes: QuoteBook, trading: TradingCalendar, closing_date: dt.date
) -> Pricing:
    market, used = market_price(terms, quotes, trading, closing_date)
    price, exact = exercise_price(terms, market)
    return Pricing(market, price, exact, terms.interpretations.exercise_price_rounding, used)


def allocate(terms: Terms) -> list[Allocation]:
    """SPA 1.15, 2.1(a): each Investor buys subscription / Purchase Price Shares and
    Warrants for 10% of them (recitals: 1,250,000 shares and 125,000 warrant shares).

    A subscription that does not buy a whole number of shares, or coverage that
    gives a fractional warrant, is an error in the terms, not something to round.
    """
    allocations = []
    problems = []
    price = terms.pricing.purchase_price
    for index, investor in enumerate(terms.investors):
        shares = EXACT.divide(investor.subscription, price)
        warrants = exact_mul(shares, terms.pricing.warrant_coverage)
        field = f"investors[{index}].subscription"
        if shares != shares.to_integral_value():
            problems.append(Diagnostic(
                "ALLOCATION-FRACTIONAL-SHARES",
                f"{investor.name}: ${investor.subscription} / ${price} = {shares} shares, "
                "not a whole number (SPA 2.1(a), 1.15)", field=field))
            continue
        if warrants != warrants.to_integral_value():
            problems.append(Diagnostic(
                "ALLOCATION-FRACTIONAL-WARRANTS",
                f"{investor.name}: {terms.pricing.warrant_coverage} x {int(shares)} shares = "
                f"{warrants} warrant shares, not a whole number", field=field))
            continue
        allocations.append(Allocation(investor.id, investor.subscription, int(shares), int(warrants)))
    if problems:
        raise InputError(problems)
    return allocations


def capitalization_after_closing(
    terms: Terms, allocations: list[Allocation]
) -> CapitalizationAfterClosing:
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
            f"SPA 6.2 / W 15: {reserved:,} shares reserved for {warrant_shares:,} outstanding "
            f"warrant shares (short {warrant_shares - reserved:,})"))
    if unreserved < 0:
        problems.append(Diagnostic(
            "AUTHORIZED-SHORTFALL",
            f"SPA 4.3: {cap.common_authorized:,} authorized < {after:,} outstanding + "
            f"{reserved:,} reserved (short {-unreserved:,})"))
    return CapitalizationAfterClosing(
        as_of=cap.as_of,
        common_authorized=cap.common_authorized,
        common_outstanding_before=cap.common_outstanding,
        shares_issued_at_closing=issued,
        common_outstanding_after=after,
        preferred_authorized=cap.preferred_authorized,
        preferred_outstanding=cap.preferred_outstanding,
        warrant_shares_outstanding=warrant_shares,
        reserved_for_warrants=reserved,
        unreserved_authorized=unreserved,
        problems=tuple(problems),
    )
