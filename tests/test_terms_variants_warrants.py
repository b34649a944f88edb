"""PIPE-TERMS "Warrants": a fixed or multiple Exercise Price, exercise windows counted from the
Closing, when a cashless exercise is allowed and at what price A, the cash for a fraction, and
certificate delivery counted in other units, on paper that is not FOCUS's.

Unless a test says otherwise the deal is FOCUS's with a fixed Exercise Price B = $2.00
(``exercise_price = "2.00"``): Closing Wed 1999-11-24; W-1 (Raptor) 87,150 warrant shares,
W-2 (Altar Rock) 350, W-3 (Roseworth) 37,500; exercisable from 1999-12-01 to 2004-12-01. The
deal's Business Day is Massachusetts' (``calendars.business = "US-MA"``: Patriots' Day, the
third Monday of April, is a holiday; Nasdaq trades that day but not on Good Friday).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from scenario import CLOSING, D, flat_quotes, log
from variants import FIXED_EXERCISE_PRICE, evaluate_variant, variant

from pipedeal.base.diagnostics import InputError
from pipedeal.base.quotes import Quote

B = Decimal("2.00")
FILED = {"type": "rs_filed", "date": "1999-12-20"}  # on time: the filing deadline is 1999-12-27


def exercise(day: str, shares: int | str = 1_000, method: str = "cash", warrant: str = "W-1") -> dict:
    return {"type": "warrant_exercise", "date": day, "warrant": warrant, "shares": shares, "method": method}


def effective(day: str) -> dict:
    return {"type": "rs_effective", "date": day}


def on_file_from(day: str) -> list[dict]:
    """A statement filed and effective on ``day`` (no Registration Default follows)."""
    return [{"type": "rs_filed", "date": day}, effective(day)]


def refusals(terms, events: list[dict], as_of: str, quotes=None) -> list[tuple[str, int]]:
    with pytest.raises(InputError) as caught:
        evaluate_variant(terms, log(*events), as_of, quotes=quotes)
    return [(p.code, p.line) for p in caught.value.problems]


# --- the Exercise Price --------------------------------------------------------------------------------

def test_a_fixed_exercise_price_needs_no_market_price():
    # Purchase Price $1.60 and Exercise Price $2.00 are both fixed: no window is read. A cash
    # exercise of 1,000 costs 1,000 x $2.00 = $2,000.00.
    result = evaluate_variant(variant(FIXED_EXERCISE_PRICE), log(CLOSING, *on_file_from("1999-11-24"),
                                                                  exercise("2000-06-01")), "2000-07-01")
    assert (result.pricing.market_price, result.pricing.quotes_used) == (None, ())
    assert result.pricing.exercise_price == B
    [made] = result.exercises
    assert (made.exercise_price, made.aggregate_price) == (B, Decimal("2000.00"))


@pytest.mark.parametrize(("rounding", "price"), [
    ("none", "2.046875"),   # 1.25 x 1.6375 = 2.046875
    ("cent", "2.05"),       # 2.04|6875 -> 2.05
    ("tenth_cent", "2.047"),  # 2.046|875 -> 2.047
])
def test_125_percent_of_the_market_price_rounded_as_the_warrant_says(rounding, price):
    terms = variant(('exercise_price_multiple = "1.10"', 'exercise_price_multiple = "1.25"'),
                    ('exercise_price_rounding = "none"', f'exercise_price_rounding = "{rounding}"'),
                    drop=["exercise_price_rounding"])
    result = evaluate_variant(terms, log(CLOSING), "1999-11-24")
    assert result.pricing.exercise_price_exact == Decimal("2.046875")
    assert result.pricing.exercise_price == Decimal(price)


# --- the exercise window ----------------------------------------------------------------------------------

ONE_MONTH_AFTER = ("initial_exercise = 1999-12-01", "initial_exercise = { months_after_closing = 1 }")


@pytest.mark.parametrize(("closing", "first", "day_before"), [
    ("2000-01-31", "2000-02-29", "2000-02-28"),  # a Monday; 2000 is a leap year: January 31 + 1 month = Feb 29
    ("2001-01-31", "2001-02-28", "2001-02-27"),  # a Wednesday; 2001 is not: Feb 28
])
def test_one_month_after_a_january_31_closing_is_the_last_day_of_february(closing, first, day_before):
    terms = variant(FIXED_EXERCISE_PRICE, ONE_MONTH_AFTER)
    events = [{"type": "closing", "date": closing}, *on_file_from(closing)]
    result = evaluate_variant(terms, log(*events, exercise(first)), first, quotes=flat_quotes(end="2001-12-31"))
    assert result.timeline.exercise_window == (D(first), D("2004-12-01"))
    assert [e.date for e in result.exercises] == [D(first)]
    assert refusals(terms, [*events, exercise(day_before)], first, flat_quotes(end="2001-12-31")) == [
        ("EVENT-OUTSIDE-EXERCISE-WINDOW", 4)]


FIVE_YEARS_AFTER = ("termination = 2004-12-01", "termination = { years_after_closing = 5 }")
PATRIOTS_DAY_CLOSING = [{"type": "closing", "date": "2000-04-18"}, *on_file_from("2000-04-18")]
QUOTES_TO_2005 = flat_quotes(end="2005-12-31")


def test_five_years_after_the_closing_falls_on_patriots_day_and_moves_to_the_next_massachusetts_business_day():
    # Closing Tue 2000-04-18 + 5 years = Mon 2005-04-18, the third Monday of April 2005: Patriots'
    # Day, a Massachusetts legal holiday. PIPE-TERMS "Windows and dates": a termination date that
    # is not a business day (of calendars.business, US-MA) moves to the next one, Tue 2005-04-19.
    terms = variant(FIXED_EXERCISE_PRICE, FIVE_YEARS_AFTER)
    result = evaluate_variant(terms, log(*PATRIOTS_DAY_CLOSING, exercise("2005-04-19")), "2005-04-30",
                              quotes=QUOTES_TO_2005)
    assert result.timeline.exercise_window == (D("1999-12-01"), D("2005-04-19"))
    assert [e.date for e in result.exercises] == [D("2005-04-19")]
    # The next day the Warrants have expired.
    assert refusals(terms, [*PATRIOTS_DAY_CLOSING, exercise("2005-04-20")], "2005-04-30", QUOTES_TO_2005) == [
        ("EVENT-OUTSIDE-EXERCISE-WINDOW", 4)]


def test_with_federal_business_days_patriots_day_is_the_last_exercise_day():
    # calendars.business = "US": Mon 2005-04-18 is a federal business day, so it stays the
    # Termination Date, and an exercise on Tue 2005-04-19 comes too late.
    terms = variant(FIXED_EXERCISE_PRICE, FIVE_YEARS_AFTER, ('business = "US-MA"', 'business = "US"'))
    result = evaluate_variant(terms, log(*PATRIOTS_DAY_CLOSING, exercise("2005-04-18")), "2005-04-30",
                              quotes=QUOTES_TO_2005)
    assert result.timeline.exercise_window == (D("1999-12-01"), D("2005-04-18"))
    assert refusals(terms, [*PATRIOTS_DAY_CLOSING, exercise("2005-04-19")], "2005-04-30", QUOTES_TO_2005) == [
        ("EVENT-OUTSIDE-EXERCISE-WINDOW", 4)]


def test_a_termination_date_on_a_saturday_moves_to_monday():
    # Sat 2004-12-04 -> Mon 2004-12-06; an exercise that Monday is in time, and one before the
    # Initial Exercise Date (Tue 1999-11-30) is not.
    terms = variant(FIXED_EXERCISE_PRICE, ("termination = 2004-12-01", "termination = 2004-12-04"))
    result = evaluate_variant(terms, log(CLOSING, *on_file_from("1999-11-24"), exercise("2004-12-06")),
                              "2004-12-31", quotes=flat_quotes())
    assert result.timeline.exercise_window == (D("1999-12-01"), D("2004-12-06"))
    assert refusals(terms, [CLOSING, exercise("1999-11-30")], "1999-12-31") == [
        ("EVENT-OUTSIDE-EXERCISE-WINDOW", 2)]


# --- when a cashless exercise is allowed ---------------------------------------------------------------

ELECTION = "2000-03-10"  # a Friday; the Trading Day before is Thu 2000-03-09
PRIOR_DAYS = ("2000-03-03", "2000-03-06", "2000-03-07", "2000-03-08", "2000-03-09")
# Flat $2.00 quotes, except the five Trading Days before the election: closes 2.10, 2.20, 2.30,
# 2.40, 2.50; on Thu 03-09 also high 3.20, low 2.80 and VWAP 2.40.
QUOTES = flat_quotes("2.00").merged(
    [Quote(D(day), close=Decimal(close)) for day, close in zip(PRIOR_DAYS, ("2.10", "2.20", "2.30", "2.40", "2.50"),
                                                                strict=True)]
    + [Quote(D("2000-03-09"), high=Decimal("3.20"), low=Decimal("2.80"), vwap=Decimal("2.40"))])


def cashless(rule: str, *more: tuple[str, str], drop: tuple[str, ...] = ()):
    return variant(FIXED_EXERCISE_PRICE, ('cashless = "after_one_year_no_effective_registration"',
                                          f'cashless = "{rule}"'), *more, drop=drop)


def test_a_warrant_with_no_cashless_exercise_refuses_one_and_needs_no_cashless_price():
    # PIPE-TERMS "Which keys are required": cashless_price not with cashless = never.
    terms = cashless("never", ('cashless_price = "prior_day_high_low_mean"', ""))
    assert terms.warrants.cashless_price is None
    assert refusals(terms, [CLOSING, FILED, exercise(ELECTION, method="cashless")], "2000-03-31", QUOTES) == [
        ("EVENT-CASHLESS-NOT-ALLOWED", 3)]


def test_anytime_allows_a_cashless_exercise_in_the_first_year_with_a_statement_effective():
    result = evaluate_variant(cashless("anytime"), log(CLOSING, FILED, effective("2000-02-16"),
                                                       exercise(ELECTION, method="cashless")), "2000-03-31", QUOTES)
    [made] = result.exercises
    assert (made.method, made.average_price) == ("cashless", Decimal("3.00"))


def test_no_effective_registration_allows_cashless_before_effectiveness_and_after_a_lapse_but_not_between():
    terms = cashless("no_effective_registration")
    # Filed, not yet effective on 03-10: allowed, in the first year.
    before = evaluate_variant(terms, log(CLOSING, FILED, exercise(ELECTION, method="cashless")), "2000-03-31",
                              QUOTES)
    assert [e.method for e in before.exercises] == ["cashless"]
    # Effective from 03-01: refused.
    assert refusals(terms, [CLOSING, FILED, effective("2000-03-01"), exercise(ELECTION, method="cashless")],
                    "2000-03-31", QUOTES) == [("EVENT-CASHLESS-REGISTERED", 4)]
    # Effective 03-01, lapsed 03-08 (a stop order): allowed again on 03-10.
    lapse = {"type": "effectiveness_lapsed", "date": "2000-03-08", "reason": "stop_order"}
    after = evaluate_variant(terms, log(CLOSING, FILED, effective("2000-03-01"), lapse,
                                        exercise(ELECTION, method="cashless")), "2000-03-31", QUOTES)
    assert [e.method for e in after.exercises] == ["cashless"]


def test_after_one_year_refuses_a_first_year_cashless_exercise_even_with_no_registration():
    # FOCUS's own rule: from 2000-11-24, one year after the Warrants' issue.
    terms = variant(FIXED_EXERCISE_PRICE)
    assert refusals(terms, [CLOSING, FILED, exercise(ELECTION, method="cashless")], "2000-03-31", QUOTES) == [
        ("EVENT-CASHLESS-TOO-EARLY", 3)]


# --- W 3's A, and the cash for a fraction ------------------------------------------------------------

@pytest.mark.parametrize(("price_rule", "a", "shares", "fraction", "cash"), [
    # A = (3.20 + 2.80) / 2 = 3.00; (3.00 - 2.00) x 1,000 / 3.00 = 333 1/3: 333 shares and
    # 1/3 x $2.00 = $0.666... -> $0.67
    ("prior_day_high_low_mean", "3.00", 333, Fraction(1, 3), "0.67"),
    # A = the close 2.50; 0.50 x 1,000 / 2.50 = 200 exactly
    ("prior_day_close", "2.50", 200, Fraction(0), "0.00"),
    # A = the VWAP 2.40; 0.40 x 1,000 / 2.40 = 166 2/3: 166 shares and 2/3 x $2.00 = $1.333... -> $1.33
    ("prior_day_vwap", "2.40", 166, Fraction(2, 3), "1.33"),
    # A = (2.10 + 2.20 + 2.30 + 2.40 + 2.50) / 5 = 11.50 / 5 = 2.30; 0.30 x 1,000 / 2.30 = 3,000/23
    # = 130 10/23: 130 shares and 10/23 x $2.00 = 20/23 = $0.8695... -> $0.87
    ("mean_close_5", "2.30", 130, Fraction(10, 23), "0.87"),
])
def test_a_cashless_exercise_of_1000_at_each_price_a(price_rule, a, shares, fraction, cash):
    terms = cashless("anytime", ('cashless_price = "prior_day_high_low_mean"', f'cashless_price = "{price_rule}"'))
    result = evaluate_variant(terms, log(CLOSING, FILED, exercise(ELECTION, method="cashless")), "2000-03-31",
                              QUOTES)
    [made] = result.exercises
    assert (made.average_price, made.average_price_day) == (Decimal(a), D("2000-03-09"))
    assert made.shares_due == shares + fraction  # exactly (A - B) x X / A, never rounded before W 4
    assert (made.shares_issued, made.fraction, made.fraction_cash) == (shares, fraction, Decimal(cash))


def test_a_vwap_price_a_on_a_day_without_a_vwap_is_refused():
    terms = cashless("anytime", ('cashless_price = "prior_day_high_low_mean"', 'cashless_price = "prior_day_vwap"'))
    assert refusals(terms, [CLOSING, FILED, exercise("2000-03-13", method="cashless")], "2000-03-31", QUOTES) == [
        ("EVENT-CASHLESS-NO-QUOTE", 3)]   # Fri 2000-03-10 has no VWAP


@pytest.mark.parametrize(("reading", "cash"), [
    ("fraction_times_exercise_price", "0.67"),  # 1/3 x $2.00 = $0.666... -> $0.67
    ("literal_exercise_price", "2.00"),         # "an amount equal to the Exercise Price"
    ("fraction_times_market", "1.00"),          # 1/3 x A, the market price the exercise used: 1/3 x $3.00
])
def test_the_cash_for_a_third_of_a_share(reading, cash):
    terms = cashless("anytime", ('fraction_cash = "fraction_times_exercise_price"', f'fraction_cash = "{reading}"'),
                     drop=("fraction_cash",))
    result = evaluate_variant(terms, log(CLOSING, FILED, exercise(ELECTION, method="cashless")), "2000-03-31",
                              QUOTES)
    [made] = result.exercises
    assert (made.shares_issued, made.fraction, made.fraction_cash) == (333, Fraction(1, 3), Decimal(cash))


# --- certificate delivery -----------------------------------------------------------------------------

@pytest.mark.parametrize(("days", "unit", "exercised", "due"), [
    # Wed 2000-04-12 + 3 Trading Days: Thu 04-13, Fri 04-14, Mon 04-17 (Nasdaq trades on Patriots' Day)
    (3, "trading", "2000-04-12", "2000-04-17"),
    # + 3 Massachusetts business days: 04-13, 04-14, Tue 04-18 (Patriots' Day skipped)
    (3, "business", "2000-04-12", "2000-04-18"),
    # + 3 calendar days: Sat 04-15
    (3, "calendar", "2000-04-12", "2000-04-15"),
    # Thu 2000-04-20 + 1 Trading Day: Good Friday 04-21 has no session, so Mon 04-24
    (1, "trading", "2000-04-20", "2000-04-24"),
    # + 1 Massachusetts business day: Good Friday is one, 04-21
    (1, "business", "2000-04-20", "2000-04-21"),
])
def test_certificates_are_due_in_the_warrants_own_unit(days, unit, exercised, due):
    terms = variant(FIXED_EXERCISE_PRICE, ('delivery = { days = 3, unit = "trading" }',
                                           f'delivery = {{ days = {days}, unit = "{unit}" }}'))
    result = evaluate_variant(terms, log(CLOSING, *on_file_from("1999-11-24"), exercise(exercised)), exercised)
    [made] = result.exercises
    assert made.delivery_due == D(due)
    [obligation] = [o for o in result.obligations if o.kind == "warrant_share_delivery"]
    assert (obligation.due, obligation.status) == (D(due), "pending")

