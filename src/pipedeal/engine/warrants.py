"""Exhibit A, the Warrant: exercise (W 3, 4), adjustments (W 11-13 and the price-based
anti-dilution of PIPE-TERMS), corporate-action notices (W 14) and the share reserve
(SPA 6.2, W 15), as values the fold produces.

The register itself (certificates, their holders and lineage) lives in the
fold's ``timeline.Timeline``; this module holds what an exercise or an adjustment
computes, so the CLI, the documents and the OCF export read the same figures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from pipedeal.base.calendars import BusinessCalendar, add_months, add_years, roll_forward
from pipedeal.base.formats import price as price_text
from pipedeal.base.formats import share_count
from pipedeal.base.money import fraction_to_decimal, ten_places, to_cent, to_ten_places
from pipedeal.base.records import quick_init
from pipedeal.deal.clauses import cite, cite_or_rule
from pipedeal.deal.terms import Terms
from pipedeal.engine.pricing import rounded

ANTI_DILUTION_WORDS = "W anti-dilution"
"""The ``[quotes]`` key of a deal's price-based anti-dilution clause (its clause number and
words), which Notices of Adjustment cite; FOCUS, ``structural``, has none."""
ANTI_DILUTION_UNNUMBERED = "the Warrant's anti-dilution clause"
"""An anti-dilution notice's ``clause`` when the deal quotes no words for it (so no number)."""
TERMINATION_ROLL_RULE = "PIPE-TERMS (Precise readings)"
"""Where a deal's Warrant has no W 10: PIPE-TERMS moves a Termination Date that is not a business
day to the next one, for every deal."""


def anti_dilution_clause(terms: Terms) -> str:
    """The deal's price-based anti-dilution clause, as a Notice of Adjustment cites it."""
    return cite_or_rule(terms, ANTI_DILUTION_WORDS, ANTI_DILUTION_UNNUMBERED)


def window_clause(terms: Terms) -> str:
    """The clauses of the exercise window: the deal's own (W preamble) and the one that moves a
    Termination Date off a holiday (W 10; PIPE-TERMS' rule where the Warrant has none)."""
    window = cite(terms, "W preamble exercise window", "warrants")
    roll = cite_or_rule(terms, "W 10 next day", TERMINATION_ROLL_RULE)
    return window if roll == window else f"{window}, {roll}"


@quick_init
@dataclass(frozen=True)
class ExerciseResult:
    """What one exercise pays and delivers (W 3, W 4, W 8)."""

    warrant: str
    holder: str
    date: dt.date
    method: str  # cash | cashless
    shares_exercised: Fraction  # X: warrant shares surrendered
    exercise_price: Decimal  # B: the price in force that day (adjusted, or a W 12 reduced price)
    aggregate_price: Decimal  # cash: X x B rounded half-up to the cent; cashless: 0
    average_price: Decimal | None  # cashless A: mean of high and low on the Trading Day before
    average_price_day: dt.date | None
    shares_due: Fraction  # cash: X; cashless: (A - B) x X / A
    shares_issued: int  # whole shares delivered (W 4: no fractional shares)
    fraction: Fraction  # the fraction of a share paid in cash instead
    fraction_cash: Decimal  # W 4, per fraction_cash, rounded half-up to the cent
    other_property: tuple[tuple[str, Decimal], ...]  # after a merger: (asset, quantity) delivered
    remainder_certificate: str | None  # W 3: the new Warrant for the unexercised rest
    delivery_due: dt.date  # W 3: certificates within 3 Trading Days
    holding_period_start: dt.date  # Rule 144(d): cash starts anew; cashless tacks to issue
    computation: tuple[str, ...]  # the steps, each citing its clause


@quick_init
@dataclass(frozen=True)
class AdjustmentRow:
    warrant: str
    holder: str
    shares_before: Fraction
    shares_after: Fraction
    price_before: Decimal
    price_after: Decimal


@quick_init
@dataclass(frozen=True)
class AdjustmentNotice:
    """W 13: "notice of such adjustment ... setting forth the number of Warrant Shares
    ... and the Exercise Price ... after such adjustment, ... a brief statement of the
    facts requiring such adjustment and ... the computation"."""

    kind: str  # stock_split | stock_dividend | reverse_split | reclassification | merger | price_reduction
    #            | anti_dilution (a financing below the Exercise Price, PIPE-TERMS)
    clause: str
    date: dt.date  # the event's effective date
    record_date: dt.date | None
    effective_from: dt.date  # W 11: retroactive to the record date, if any
    facts: str
    computation: tuple[str, ...]
    rows: tuple[AdjustmentRow, ...]
    other_property: tuple[tuple[str, Decimal], ...] = ()  # merger: basket per warrant share
    until: dt.date | None = None  # W 12: a reduction's last day


@quick_init
@dataclass(frozen=True)
class IssueAdjustment:
    """PIPE-TERMS "Warrants": the Exercise Price after an issue of Common below it, and how
    it was computed (the lines a Notice of Adjustment sets forth, W 13)."""

    rule: str  # full_ratchet | weighted_average_broad | weighted_average_narrow
    old_price: Decimal  # the Exercise Price in force just before the issue
    new_price: Decimal  # in force from the issue: the formula's, kept to 10 places, then the deal's rounding
    issue_price: Decimal
    issued: int  # C
    common_before: int | None  # the Common part of A (weighted average only)
    warrant_shares: Fraction | None  # broad: the warrant shares A adds
    b: Fraction | None  # B = issue price x C / old price, exact
    computation: tuple[str, ...]

    @property
    def lowers_the_price(self) -> bool:
        """An adjustment only ever lowers the price: a rounding that lands on or above the old
        price (an old price between rounding steps, after a split) adjusts nothing."""
        return self.new_price < self.old_price


# --- computations (pure; the fold in timeline.py calls them) ---------------------------------

def price_in_force(base: Decimal | Fraction, share_factor: Fraction,
                   reductions: tuple[tuple[dt.date, dt.date, Fraction], ...], day: dt.date) -> Decimal:
    """W 11(a): the Exercise Price "obtained by multiplying the Exercise Price in effect
    immediately prior to such adjustment by the number of Warrant Shares ... prior ... and
    dividing by the number ... resulting" (10 places half-up when it does not terminate);
    W 12: a voluntary reduction in force on ``day`` replaces it for its period, but only
    where it is lower ("reduce the then current Exercise Price"): an anti-dilution
    adjustment below a reduction wins. ``base`` (the Closing's price, or the price an
    anti-dilution adjustment set) and the reductions are kept in Closing-share terms and
    divided by the split ratio once, so chained adjustments do not pile up roundings."""
    price = base if type(base) is Fraction else Fraction(base)
    for start, end, reduced in reversed(reductions):  # the latest reduction is "the then current" price
        if start <= day <= end:
            price = min(price, reduced)
            break
    return fraction_to_decimal(price if share_factor == 1 else price / share_factor)


def price_after_issue(rule: str, old_price: Decimal, issue_price: Decimal, issued: int, common_before: int,
                      warrant_shares: Fraction, rounding: str) -> IssueAdjustment:
    """PIPE-TERMS "Warrants": "full_ratchet: new price = the issue price"; "weighted_average_*:
    new price = old × (A + B) / (A + C)", A = the Common outstanding just before the issue
    (broad: plus the warrant shares of the deal's outstanding Warrants as adjusted so far),
    B = issue price × C / old price, C = the shares issued; "Kept to 10 decimals, half-up,
    then the deal's rounding".

    The full ratchet's price is the issue price itself: the rounding sentence belongs to the
    weighted average, and a rounding up would set a price above the issue price the ratchet
    names. A and B are exact (B is the number of shares the issue's money would have bought
    at the old price, a fraction in general); only the price is rounded."""
    old, issue = Fraction(old_price), Fraction(issue_price)
    c = issued
    if rule == "full_ratchet":
        return IssueAdjustment(rule, old_price, issue_price, issue_price, issued, None, None, None, (
            f"full ratchet: the new Exercise Price is the issue price {price_text(issue_price)} "
            f"(was {price_text(old_price)}; C = {c:,} shares issued)",))
    broad = rule == "weighted_average_broad"
    added = warrant_shares if broad else Fraction(0)
    a = common_before + added
    b = issue * c / old
    exact = old * (a + b) / (a + c)
    exact_decimal = fraction_to_decimal(exact)
    ten = to_ten_places(exact_decimal)
    new = rounded(ten, rounding)
    # Each figure spelled once, however many lines show it.
    a_shown, b_shown, old_shown, ten_shown = share_count(a), share_count(b), price_text(old_price), price_text(ten)
    a_text = (f"A = {common_before:,} shares of Common Stock outstanding just before the issue + "
              f"{share_count(added)} warrant shares of the outstanding Warrants (broad) = {a_shown}"
              if broad else
              f"A = {common_before:,} shares of Common Stock outstanding just before the issue (narrow: the "
              f"warrant shares are not counted)")
    lines = [
        f"{rule.replace('_', ' ')}: new Exercise Price = old x (A + B) / (A + C)",
        a_text,
        f"B = issue price x C / old price = {price_text(issue_price)} x {c:,} / {old_shown} = "
        f"{b_shown} (the shares the issue's consideration buys at the old price)",
        f"C = {c:,} shares issued",
        f"new = {old_shown} x ({a_shown} + {b_shown}) / ({a_shown} + {c:,}) = "
        f"{price_text(exact_decimal)}; kept to 10 places, half-up: {ten_shown}",
        (f"exercise_price_rounding = {rounding}: {ten_shown} -> {price_text(new)} (half-up)"
         if new != ten else f"exercise_price_rounding = {rounding}: {price_text(new)}"),
    ]
    return IssueAdjustment(rule, old_price, new, issue_price, issued, common_before, added if broad else None, b,
                           tuple(lines))


def shares_after_price_adjustment(shares: Fraction, old_price: Decimal, new_price: Decimal) -> Fraction:
    """PIPE-TERMS "Precise readings": "Adjusted warrant shares = old shares × old price / new
    price, kept to 10 decimals" (half-up, as every quotient kept to 10 places, RULES §2), so
    the aggregate Exercise Price is unchanged up to that rounding. A fraction of a share is
    carried on the Warrant as it is; W 4 pays cash for it only when it is exercised."""
    old_n, old_d = old_price.as_integer_ratio()
    new_n, new_d = new_price.as_integer_ratio()
    return ten_places(Fraction(shares.numerator * old_n * new_d, shares.denominator * old_d * new_n))


def fraction_cash(fraction: Fraction, price: Decimal, reading: str, market: Decimal | None = None) -> Decimal:
    """W 4: "the Company shall pay a cash adjustment in respect of such final fraction in
    an amount equal to the Exercise Price" (``fraction_cash``: the fraction x the price,
    the price itself, or the fraction x the market price of the day), half-up to the cent."""
    if not fraction:
        return Decimal("0.00")
    if reading == "literal_exercise_price":
        return to_cent(price)
    if reading == "fraction_times_market":
        if market is None:
            raise ValueError("fraction_times_market needs the market price of the exercise day")
        return to_cent(fraction_to_decimal(fraction * Fraction(market)))
    return to_cent(fraction_to_decimal(fraction * Fraction(price)))


def exercise_window(terms: Terms, closing: dt.date, business: BusinessCalendar) -> tuple[dt.date, dt.date]:
    """W preamble: from the Initial Exercise Date to the close of business on the Termination
    Date, each a date or counted from the Closing (PIPE-TERMS: ``months_after_closing``
    clamped to the month's end, ``years_after_closing``); W 10: a Termination Date that is
    not a business day moves to the next one."""
    first, last = terms.warrants.initial_exercise, terms.warrants.termination
    if not isinstance(first, dt.date):
        first = add_months(closing, first.months_after_closing)
    if not isinstance(last, dt.date):
        last = add_years(closing, last.years_after_closing)
    return first, roll_forward(last, business)


CASHLESS_PRICE_WORDS = {
    "prior_day_high_low_mean": "the average of the high and low prices on the Trading Day before the election",
    "prior_day_close": "the closing price on the Trading Day before the election",
    "prior_day_vwap": "the volume-weighted average price on the Trading Day before the election",
    "mean_close_5": "the average closing price of the five Trading Days ending the day before the election",
}
"""PIPE-TERMS ``warrants.cashless_price``: what A is in W 3's (A - B) x X / A."""


def cashless_start(terms: Terms, issued: dt.date) -> dt.date | None:
    """W 3: the first day a cashless exercise may be made (None: never). ``anytime`` and
    ``no_effective_registration`` from issue; ``after_one_year_...`` from one year after it."""
    rule = terms.warrants.cashless
    if rule == "never":
        return None
    return add_years(issued, 1) if rule.startswith("after_one_year") else issued


def needs_no_registration(terms: Terms) -> bool:
    """Whether a cashless exercise is allowed only with no registration in effect (W 3)."""
    return terms.warrants.cashless.endswith("no_effective_registration")


def cashless_shares(average: Decimal, price: Decimal, surrendered: Fraction) -> Fraction:
    """W 3: "the number of shares equal to the quotient obtained by dividing [(A-B) (X)]
    by (A)"."""
    a, b = Fraction(average), Fraction(price)
    return (a - b) * surrendered / a


def whole_and_fraction(value: Fraction) -> tuple[int, Fraction]:
    """W 4: "No fractional shares ... shall be issued"."""
    whole = value.numerator // value.denominator
    return whole, value - whole
