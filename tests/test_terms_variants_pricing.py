"""PIPE-TERMS "Pricing and allocation": the Market Price, a discounted Purchase Price and each
investor's allocation on paper that is not FOCUS's.

Each variant is the FOCUS terms file edited and read back by ``parse_terms`` (so it is a
valid terms file of its own); each figure is worked out by hand below from the bundled
FOCUS quotes, which are 1999 Nasdaq fractions:

    day (1999)   bid        close      high       low        volume
    Wed 11-17    1 21/32    1 11/16    1 25/32    1 21/32    22,600
    Thu 11-18    1 11/16    1 23/32    1 23/32    1 5/8       4,900
    Fri 11-19    1 5/8      1 21/32    1 11/16    1 17/32    39,500
    Mon 11-22    1 19/32    1 5/8      1 11/16    1 17/32    36,800
    Tue 11-23    1 5/8      1 21/32    1 23/32    1 5/8      31,500
    Wed 11-24    1 11/16    1 23/32    1 25/32    1 19/32    30,500
    (Thu 11-25 Thanksgiving: no session)
    Fri 11-26    1 23/32    1 3/4      ...
    Mon 11-29    1 11/16    1 23/32
    Tue 11-30    1 11/16    1 23/32

In 32nds the five bids before the FOCUS Closing (Wed 11-24) are 53, 54, 52, 51, 52: their
mean is 262/32 / 5 = 1.6375, FOCUS's Market Price.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from scenario import CLOSING, D, checklist_for, focus_quotes, log
from variants import FILE, edited, evaluate_variant, line_of, variant

from pipedeal.base.diagnostics import InputError
from pipedeal.base.quotes import Quote, QuoteBook
from pipedeal.deal.terms_file import parse_terms
from pipedeal.engine.pricing import allocate, market_price_days, price_the_deal
from pipedeal.storage.workspace import calendars_for

FOCUS_WINDOW = (D("1999-11-17"), D("1999-11-18"), D("1999-11-19"), D("1999-11-22"), D("1999-11-23"))
MARKET_PRICE_LINE = 'market_price = { quote = "bid", days = 5, statistic = "mean", window_ends = "before_closing" }'


def market_rule(quote: str = "bid", days: int = 5, statistic: str = "mean", window_ends: str = "before_closing"):
    return (MARKET_PRICE_LINE, f'market_price = {{ quote = "{quote}", days = {days}, statistic = "{statistic}", '
                               f'window_ends = "{window_ends}" }}')


def discounted(discount: str, rounding: str) -> tuple[str, str]:
    """``purchase_price = "1.60"`` replaced by a discount to the Market Price."""
    return ('purchase_price = "1.60"', f'discount = "{discount}"\nprice_rounding = "{rounding}"')


def priced(terms, closing: str = "1999-11-24", quotes: QuoteBook | None = None):
    return price_the_deal(terms, quotes or focus_quotes(), calendars_for(terms).trading, D(closing))


# --- the Purchase Price as a discount, and its rounding -----------------------------------------------

@pytest.mark.parametrize(("rounding", "price"), [
    ("none", "1.391875"),   # (1 - 0.15) x 1.6375 = 0.85 x 1.6375 = 1.391875, kept exact
    ("cent", "1.39"),       # 1.39|1875 -> 1.39
    ("tenth_cent", "1.392"),  # 1.391|875 -> 1.392
])
def test_a_15_percent_discount_to_the_1_6375_market_price_is_1_391875_before_rounding(rounding, price):
    pricing = priced(variant(discounted("0.15", rounding)))
    assert pricing.market_price == Decimal("1.6375")
    assert pricing.purchase_price_exact == Decimal("1.391875")
    assert pricing.purchase_price == Decimal(price)
    assert pricing.purchase_price_rounding == rounding


@pytest.mark.parametrize(("rounding", "price"), [
    ("none", "0.9825"),      # (1 - 0.40) x 1.6375 = 0.9825
    ("cent", "0.98"),        # 0.98|25 -> 0.98
    ("tenth_cent", "0.983"),  # 0.982|5, a tie: half-up gives 0.983 (half-even would give 0.982)
])
def test_a_price_half_a_tenth_of_a_cent_from_two_roundings_goes_up(rounding, price):
    assert priced(variant(discounted("0.40", rounding))).purchase_price == Decimal(price)


def test_a_price_half_a_cent_from_two_roundings_goes_up_on_the_high_low_mean():
    # Mean of the day's high and low, in 32nds: 11-17 (57+53)/2 = 55, 11-18 (55+52)/2 = 53.5,
    # 11-19 (54+49)/2 = 51.5, 11-22 (54+49)/2 = 51.5, 11-23 (55+52)/2 = 53.5; sum 265/32,
    # mean 265/160 = 1.65625. Less 20%: 0.8 x 1.65625 = 1.325, a tie at the cent: 1.33 half-up
    # (half-even would give 1.32).
    pricing = priced(variant(market_rule("high_low_mean"), discounted("0.20", "cent")))
    assert pricing.market_price == Decimal("1.65625")
    assert pricing.purchase_price_exact == Decimal("1.325")
    assert pricing.purchase_price == Decimal("1.33")


# --- the Market Price: which figure, which statistic, which window -------------------------------------

def test_the_market_price_on_closing_prices_is_their_mean():
    # Closes 11-17..11-23 in 32nds: 54, 55, 53, 52, 53 = 267/32; / 5 = 267/160 = 1.66875.
    # The Exercise Price is still 110% of it: 1.1 x 1.66875 = 1.835625.
    pricing = priced(variant(market_rule("close")))
    assert [q.date for q in pricing.quotes_used] == list(FOCUS_WINDOW)
    assert pricing.figure == "close"
    assert pricing.market_price == Decimal("1.66875")
    assert pricing.exercise_price == Decimal("1.835625")


def test_the_market_price_on_vwap_reads_the_quotes_vwap_column():
    # The bundled quotes have no VWAP; these five days get one: 1.70 + 1.71 + 1.66 + 1.62 + 1.64
    # = 8.33; / 5 = 1.666.
    vwaps = ("1.70", "1.71", "1.66", "1.62", "1.64")
    quotes = focus_quotes().merged(Quote(day, vwap=Decimal(v)) for day, v in zip(FOCUS_WINDOW, vwaps, strict=True))
    pricing = priced(variant(market_rule("vwap")), quotes=quotes)
    assert pricing.market_price == Decimal("1.666")
    assert [q.value for q in pricing.quotes_used] == [Decimal(v) for v in vwaps]


def test_the_lowest_closing_bid_of_the_window_is_the_market_price_on_a_lowest_statistic():
    # Bids 53, 54, 52, 51, 52 (32nds): the lowest is 1 19/32 = 1.59375, on Mon 11-22.
    assert priced(variant(market_rule(statistic="lowest"))).market_price == Decimal("1.59375")


def test_the_volume_weighted_bid_does_not_terminate_and_keeps_ten_places_half_up():
    # sum(bid x volume), in 32nds: 53 x 22,600 + 54 x 4,900 + 52 x 39,500 + 51 x 36,800 + 52 x 31,500
    #   = 1,197,800 + 264,600 + 2,054,000 + 1,876,800 + 1,638,000 = 7,031,200 / 32 = 219,725;
    # sum(volume) = 135,300. 219,725 / 135,300 = 799 / 492 (both / 275) = 1.62398373983739...,
    # which repeats: 10 places, half-up, 1.6239837398 (the 11th place is 3).
    pricing = priced(variant(market_rule(statistic="volume_weighted")))
    assert pricing.market_price == Decimal("1.6239837398")
    assert [q.volume for q in pricing.quotes_used] == [22_600, 4_900, 39_500, 36_800, 31_500]


def test_a_repeating_mean_keeps_ten_places_rounded_up_and_the_exercise_price_multiplies_that():
    # Three Trading Days before a Closing on Tue 1999-11-23: Thu 11-18, Fri 11-19, Mon 11-22.
    # Bids 54 + 52 + 51 = 157 (32nds); 157 / 32 / 3 = 157 / 96 = 1.635416666..., so 10 places
    # half-up is 1.6354166667 (the 11th place is 6: up). Exercise Price 1.1 x 1.6354166667
    # = 1.79895833337.
    pricing = priced(variant(market_rule(days=3)), closing="1999-11-23")
    assert [q.date for q in pricing.quotes_used] == [D("1999-11-18"), D("1999-11-19"), D("1999-11-22")]
    assert pricing.market_price == Decimal("1.6354166667")
    assert pricing.exercise_price == Decimal("1.79895833337")


def test_a_window_ending_before_the_agreement_ignores_a_later_closing():
    # Agreement Wed 1999-11-24, Closing Wed 1999-12-01. Before the agreement: 11-17..11-23, 1.6375.
    # Before the Closing: Tue 11-23, Wed 11-24, Fri 11-26 (Thanksgiving skipped), Mon 11-29,
    # Tue 11-30: bids 52 + 54 + 55 + 54 + 54 = 269 (32nds); 269/32/5 = 269/160 = 1.68125.
    before_agreement = priced(variant(market_rule(window_ends="before_agreement")), closing="1999-12-01")
    before_closing = priced(variant(market_rule(window_ends="before_closing")), closing="1999-12-01")
    assert [q.date for q in before_agreement.quotes_used] == list(FOCUS_WINDOW)
    assert before_agreement.market_price == Decimal("1.6375")
    assert [q.date for q in before_closing.quotes_used] == [
        D("1999-11-23"), D("1999-11-24"), D("1999-11-26"), D("1999-11-29"), D("1999-11-30")]
    assert before_closing.market_price == Decimal("1.68125")


def test_a_window_ending_on_the_agreement_date_includes_it():
    # Agreement Wed 1999-11-24, a session: 11-18, 11-19, 11-22, 11-23, 11-24; bids
    # 54 + 52 + 51 + 52 + 54 = 263 (32nds); 263/160 = 1.64375.
    pricing = priced(variant(market_rule(window_ends="on_agreement")))
    assert [q.date for q in pricing.quotes_used] == [
        D("1999-11-18"), D("1999-11-19"), D("1999-11-22"), D("1999-11-23"), D("1999-11-24")]
    assert pricing.market_price == Decimal("1.64375")


def test_an_agreement_signed_on_thanksgiving_ends_the_window_on_the_wednesday_before():
    # PIPE-TERMS "Windows and dates": on_agreement on a day with no session ends the window on
    # the last Trading Day before it. Thu 1999-11-25 (Thanksgiving) -> Wed 11-24: the same five
    # days as above, 1.64375; the Closing the day after changes nothing.
    terms = variant(market_rule(window_ends="on_agreement"),
                    ("agreement_date = 1999-11-24", "agreement_date = 1999-11-25"))
    assert market_price_days(terms, calendars_for(terms).trading, D("1999-11-26"))[-1] == D("1999-11-24")
    assert priced(terms, closing="1999-11-26").market_price == Decimal("1.64375")


# --- a quote the window needs is missing -----------------------------------------------------------

def test_missing_closes_in_the_window_are_an_error_naming_each_day():
    quotes = QuoteBook((q for q in focus_quotes().quotes() if q.date not in (D("1999-11-18"), D("1999-11-22"))),
                       "quotes.csv")
    with pytest.raises(InputError) as caught:
        priced(variant(market_rule("close")), quotes=quotes)
    [problem] = caught.value.problems
    assert problem.code == "PRICING-MISSING-QUOTE"
    assert "missing for 1999-11-18, 1999-11-22" in problem.message
    assert "the close of each of the 5 Trading Days ending 1999-11-23" in problem.message


def test_a_volume_weighted_window_needs_each_days_volume_too():
    # 11-19 keeps its bid but loses its volume: the weighted mean cannot be taken.
    quotes = QuoteBook(Quote(q.date, bid=q.bid, volume=None if q.date == D("1999-11-19") else q.volume)
                       for q in focus_quotes().quotes())
    with pytest.raises(InputError) as caught:
        priced(variant(market_rule(statistic="volume_weighted")), quotes=quotes)
    assert "the bid and the volume" in str(caught.value)
    assert "missing for 1999-11-19" in str(caught.value)


# --- allocation ---------------------------------------------------------------------------------------

RAPTOR, ALTAR, ROSEWORTH = ('subscription = "1394400.00"', 'subscription = "5600.00"', 'subscription = "600000.00"')


def allocations(terms, price: str = "1.60") -> dict[str, tuple]:
    return {a.investor: (a.shares, a.warrant_shares, a.subscription) for a in allocate(terms, Decimal(price))}


def refused(terms, price: str = "1.60") -> list:
    with pytest.raises(InputError) as caught:
        allocate(terms, Decimal(price))
    return caught.value.problems


UNIT = ('warrant_purchase_price = "none"', 'warrant_purchase_price = "0.125"')


def test_a_unit_deal_buys_subscription_over_price_plus_coverage_times_warrant_price_shares():
    # Each share costs 1.60 and brings 0.10 warrant share at 0.125: 1.60 + 0.10 x 0.125 = 1.6125.
    # Raptor 1,405,293.75 / 1.6125 = 871,500 shares, 87,150 warrant shares; check:
    #   871,500 x 1.60 + 87,150 x 0.125 = 1,394,400 + 10,893.75 = 1,405,293.75.
    # Altar Rock 5,643.75 / 1.6125 = 3,500 (350); Roseworth 604,687.50 / 1.6125 = 375,000 (37,500).
    terms = variant(UNIT, (RAPTOR, 'subscription = "1405293.75"'), (ALTAR, 'subscription = "5643.75"'),
                    (ROSEWORTH, 'subscription = "604687.50"'))
    assert allocations(terms) == {
        "raptor": (871_500, 87_150, Decimal("1405293.75")),
        "altar-rock": (3_500, 350, Decimal("5643.75")),
        "roseworth": (375_000, 37_500, Decimal("604687.50")),
    }
    assert {a.warrant_purchase_price for a in allocate(terms, Decimal("1.60"))} == {Decimal("0.125")}


def test_a_unit_subscription_that_buys_a_fractional_share_names_the_investor_and_its_line():
    # FOCUS's own 1,394,400 at 1.6125 a unit is 864,744.186... shares.
    text = edited(UNIT)
    problems = refused(parse_terms(text, FILE))
    assert [(p.code, p.file, p.line, p.field) for p in problems] == [
        ("ALLOCATION-FRACTIONAL-SHARES", FILE, line_of(text, RAPTOR), "investors[0].subscription"),
        ("ALLOCATION-FRACTIONAL-SHARES", FILE, line_of(text, ALTAR), "investors[1].subscription"),
        ("ALLOCATION-FRACTIONAL-SHARES", FILE, line_of(text, ROSEWORTH), "investors[2].subscription"),
    ]
    assert problems[0].message.startswith("Raptor Global Portfolio Ltd.: $1394400.00 / $1.6125 = 864744.186")


def test_an_investor_stated_by_shares_only_pays_shares_times_price():
    # Raptor states 871,500 shares and no dollars: 871,500 x 1.60 = 1,394,400.00; warrants 87,150.
    terms = variant((RAPTOR, "shares = 871500"))
    assert terms.investors[0].subscription is None
    assert allocations(terms)["raptor"] == (871_500, 87_150, Decimal("1394400.00"))


def test_shares_at_a_discounted_price_cost_shares_times_the_rounded_price():
    # Market Price 1.6375 less 40% = 0.9825, to the cent 0.98; 871,500 x 0.98 = 854,070.00 at the
    # Closing, which allocates at the price in force; SPA 2.1(b)(ii): each wire is checked against it.
    terms = variant(discounted("0.40", "cent"), (RAPTOR, "shares = 871500"), (ALTAR, "shares = 3500"),
                    (ROSEWORTH, "shares = 375000"))
    wires = {"raptor": "854070.00", "altar-rock": "3430.00", "roseworth": "367500.00"}
    result = evaluate_variant(terms, log(CLOSING, *checklist_for(terms, "1999-11-24", wires)), "1999-11-30")
    assert result.pricing.purchase_price == Decimal("0.98")
    assert {a.investor: a.subscription for a in result.allocations} == {
        "raptor": Decimal("854070.00"),     # 871,500 x 0.98
        "altar-rock": Decimal("3430.00"),   # 3,500 x 0.98
        "roseworth": Decimal("367500.00"),  # 375,000 x 0.98
    }
    # A wire of the undiscounted figure is beyond what the discounted price asks.
    short = dict(wires, raptor="1394400.00")
    with pytest.raises(InputError) as refused:
        evaluate_variant(terms, log(CLOSING, *checklist_for(terms, "1999-11-24", short)), "1999-11-30")
    assert "raptor's wires would total $1,394,400.00, beyond its subscription of $854,070.00" in str(refused.value)


def test_shares_and_a_subscription_that_agree_are_accepted():
    terms = variant((RAPTOR, f'{RAPTOR}\nshares = 871500'))
    assert allocations(terms)["raptor"] == (871_500, 87_150, Decimal("1394400.00"))


def test_shares_and_a_subscription_that_disagree_name_the_investor_and_its_line():
    # 871,500 x 1.60 = 1,394,400.00, not the 1,394,000.00 stated.
    text = edited((RAPTOR, 'subscription = "1394000.00"\nshares = 871500'))
    [problem] = refused(parse_terms(text, FILE))
    assert (problem.code, problem.file, problem.line, problem.field) == (
        "ALLOCATION-MISMATCH", FILE, line_of(text, 'subscription = "1394000.00"'), "investors[0].subscription")
    assert problem.message == ("Raptor Global Portfolio Ltd.: 871,500 shares x $1.6 = $1394400.00, "
                               "not the subscription $1394000.00")


COVERAGE_THIRD = ('warrant_coverage = "0.10"', 'warrant_coverage = "0.333"')


def rounding(how: str) -> tuple[str, str]:
    return ('warrant_rounding = "exact"', f'warrant_rounding = "{how}"')


def test_exact_warrant_rounding_refuses_a_fractional_warrant_share_per_investor():
    # 871,500 x 0.333 = 290,209.5 and 3,500 x 0.333 = 1,165.5 are refused; 375,000 x 0.333 =
    # 124,875 is whole.
    text = edited(COVERAGE_THIRD)
    problems = refused(parse_terms(text, FILE))
    assert [(p.code, p.line) for p in problems] == [
        ("ALLOCATION-FRACTIONAL-WARRANTS", line_of(text, RAPTOR)),
        ("ALLOCATION-FRACTIONAL-WARRANTS", line_of(text, ALTAR))]
    assert "0.333 x 871,500 shares = 290209.5 warrant shares, not a whole number" in problems[0].message


@pytest.mark.parametrize(("how", "raptor", "altar"), [
    ("down", 290_209, 1_165),     # 290,209.5 and 1,165.5 rounded down
    ("half_up", 290_210, 1_166),  # the halves go up
])
def test_warrant_rounding_down_or_half_up_per_investor(how, raptor, altar):
    shares = {a: s for a, (_, s, _) in allocations(variant(COVERAGE_THIRD, rounding(how))).items()}
    assert shares == {"raptor": raptor, "altar-rock": altar, "roseworth": 124_875}


def test_a_unit_subscription_that_pays_for_a_rounded_away_warrant_fraction_is_a_mismatch():
    # PIPE-TERMS "Allocation of a unit deal": Altar Rock's 5,650.20 / 1.6125 = 3,504 shares, whole;
    # but 3,504 x 0.10 = 350.4 warrant shares, down to 350, cost 3,504 x 1.60 + 350 x 0.125 =
    # 5,606.40 + 43.75 = 5,650.15: the subscription is 5 cents more than what it buys.
    text = edited(UNIT, rounding("down"), (RAPTOR, 'subscription = "1405293.75"'),
                  (ALTAR, 'subscription = "5650.20"'), (ROSEWORTH, 'subscription = "604687.50"'))
    [problem] = refused(parse_terms(text, FILE))
    assert (problem.code, problem.line) == ("ALLOCATION-MISMATCH", line_of(text, 'subscription = "5650.20"'))
    assert problem.message == ("Altar Rock Fund L.P.: 3,504 shares x $1.6 + 350 warrant shares x $0.125 = "
                               "$5650.15, not the subscription $5650.20")


def test_a_unit_investor_stated_by_shares_pays_for_the_rounded_warrant_shares():
    # 3,504 shares stated: 350.4 warrant shares down to 350; 3,504 x 1.60 + 350 x 0.125 = 5,650.15.
    terms = variant(UNIT, rounding("down"), (RAPTOR, 'subscription = "1405293.75"'), (ALTAR, "shares = 3504"),
                    (ROSEWORTH, 'subscription = "604687.50"'))
    assert allocations(terms)["altar-rock"] == (3_504, 350, Decimal("5650.15"))
