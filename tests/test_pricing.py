"""SPA 1.10, 1.15, 2.1, 4.3 and the W preamble: what the Investors bought, at what price."""

from __future__ import annotations

from decimal import Decimal

import pytest
from scenario import CLOSING, D, evaluate_focus, focus_calendars, focus_terms, log

from pipedeal.base.diagnostics import InputError
from pipedeal.base.quotes import Quote, QuoteBook
from pipedeal.engine.pricing import allocate, capitalization_after_closing, market_price_days

PRICE = Decimal("1.60")  # SPA 1.15: "$1.60 per share of Common Stock"


def test_focus_investors_receive_871500_3500_and_375000_shares_with_10_percent_warrants():
    allocations = {a.investor: (a.shares, a.warrant_shares) for a in allocate(focus_terms(), PRICE)}
    assert allocations == {
        "raptor": (871_500, 87_150),
        "altar-rock": (3_500, 350),
        "roseworth": (375_000, 37_500),
    }


def test_the_market_price_averages_the_closing_bids_of_the_five_trading_days_before_closing():
    result = evaluate_focus(log(CLOSING), "1999-12-01")
    assert [q.date for q in result.pricing.quotes_used] == [
        D("1999-11-17"), D("1999-11-18"), D("1999-11-19"), D("1999-11-22"), D("1999-11-23")]
    # (1 21/32 + 1 11/16 + 1 5/8 + 1 19/32 + 1 5/8) / 5 = 8.1875 / 5
    assert result.pricing.market_price == Decimal("1.6375")
    assert result.pricing.exercise_price == Decimal("1.80125")


def test_a_closing_after_a_holiday_skips_it_in_the_five_trading_days():
    # Closing on Mon 1999-11-29: Thanksgiving (Thu 11-25) is not a Trading Day.
    days = market_price_days(focus_terms(), focus_calendars().trading, D("1999-11-29"))
    assert days == [D("1999-11-19"), D("1999-11-22"), D("1999-11-23"), D("1999-11-24"),
                    D("1999-11-26")]


@pytest.mark.parametrize(("rounding", "expected"), [
    ("none", "1.80125"), ("cent", "1.80"), ("tenth_cent", "1.801")])
def test_exercise_price_rounding_alternatives(rounding, expected):
    result = evaluate_focus(log(CLOSING), "1999-12-01", exercise_price_rounding=rounding)
    assert result.pricing.exercise_price == Decimal(expected)
    assert result.pricing.exercise_price_exact == Decimal("1.80125")


def test_a_half_tenth_of_a_cent_rounds_up_not_to_even():
    # Five bids of 1.635: Market Price 1.635, exact Exercise Price 1.7985.
    days = market_price_days(focus_terms(), focus_calendars().trading, D("1999-11-24"))
    book = QuoteBook(Quote(day, bid=Decimal("1.635")) for day in days)
    tenth = evaluate_focus(log(CLOSING), "1999-12-01", quotes=book,
                           exercise_price_rounding="tenth_cent")
    assert tenth.pricing.exercise_price_exact == Decimal("1.7985")
    assert tenth.pricing.exercise_price == Decimal("1.799")  # half-even would give 1.798
    cent = evaluate_focus(log(CLOSING), "1999-12-01", quotes=book, exercise_price_rounding="cent")
    assert cent.pricing.exercise_price == Decimal("1.80")


def test_a_missing_closing_bid_is_an_error_naming_the_dates():
    days = market_price_days(focus_terms(), focus_calendars().trading, D("1999-11-24"))
    book = QuoteBook(Quote(day, bid=Decimal("1.625")) for day in days
                     if day not in (D("1999-11-18"), D("1999-11-22")))
    with pytest.raises(InputError) as caught:
        evaluate_focus(log(CLOSING), "1999-12-01", quotes=book)
    message = str(caught.value)
    assert "1999-11-18, 1999-11-22" in message
    assert "PRICING-MISSING-QUOTE" in message


def test_a_subscription_that_buys_a_fractional_share_is_an_error():
    terms = focus_terms()
    odd = terms.investors[1].model_copy(update={"subscription": Decimal("5600.80")})
    bad = terms.model_copy(update={"investors": (terms.investors[0], odd, terms.investors[2])})
    with pytest.raises(InputError) as caught:
        allocate(bad, PRICE)
    assert "3500.5 shares, not a whole number" in str(caught.value)
    assert caught.value.problems[0].field == "investors[1].subscription"


def test_capitalization_after_the_closing_and_the_warrant_reserve():
    cap = capitalization_after_closing(focus_terms(), allocate(focus_terms(), PRICE))
    assert cap.common_outstanding_before == 21_012_701
    assert cap.shares_issued_at_closing == 1_250_000
    assert cap.common_outstanding_after == 22_262_701
    assert cap.warrant_shares_outstanding == 125_000
    assert cap.reserved_for_warrants == 125_000
    assert cap.unreserved_authorized == 30_000_000 - 22_262_701 - 125_000
    assert cap.problems == ()


def test_an_under_reserved_warrant_pool_is_a_reported_breach():
    terms = focus_terms()
    short = terms.model_copy(update={"capitalization": terms.capitalization.model_copy(
        update={"reserved_for_warrants": 100_000})})
    cap = capitalization_after_closing(short, allocate(short, PRICE))
    assert [p.code for p in cap.problems] == ["RESERVE-SHORTFALL"]
    assert "short 25,000" in cap.problems[0].message
