"""The FOCUS Warrants (Exhibit A) as a transfer agent keeps them: exercise (W 3, 4),
the register (W 1, 7, 9), adjustments (W 11-13), corporate-action notices (W 14) and the
share reserve (SPA 6.2, W 15).

Every expected figure is worked out by hand in the test, from the agreement and RULES §4:

- Closing 1999-11-24 issues W-1 (Raptor) 87,150, W-2 (Altar Rock) 350 and W-3 (Roseworth)
  37,500 warrant shares; Exercise Price B = 110% x $1.6375 = $1.80125.
- Window: 1999-12-01 to 2004-12-01 (a Wednesday, so W 10 does not move it).
- Cashless (W 3) from 2000-11-24, one year after issue; shares = (A - B) x X / A.
- Capitalization after the Closing: 21,012,701 + 871,500 + 3,500 + 375,000 = 22,262,701
  outstanding of 30,000,000 authorized; 125,000 reserved for the warrants.

``flat_quotes(close)`` sets high = low = close, so the cashless A is that close.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import hypothesis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenario import CLOSING, D, checklist_for, evaluate_focus, flat_quotes, focus_calendars, focus_terms, log

from pipedeal.base.diagnostics import InputError
from pipedeal.engine.events import event_to_json, parse_event
from pipedeal.engine.timeline import Context, Fold, Located, Rejected, fold, make_context

B = Decimal("1.80125")  # 110% x 1.6375
ISSUED = D("1999-11-24")
FIRST_DAY, LAST_DAY = D("1999-12-01"), D("2004-12-01")
WARRANT_SHARES = 87_150 + 350 + 37_500  # = 125,000
OUTSTANDING_AFTER_CLOSING = 21_012_701 + 871_500 + 3_500 + 375_000  # = 22,262,701
AUTHORIZED = 30_000_000
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- helpers: building events and reading refusals (no engine arithmetic) --------------------------

def cents(amount: Decimal) -> Decimal:
    """Half-up to the cent, done by hand here so the expectation does not borrow the engine's."""
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def exercise(day: str, warrant: str, shares: int, method: str = "cash") -> dict:
    return {"type": "warrant_exercise", "date": day, "warrant": warrant, "shares": shares, "method": method}


def transfer(day: str, warrant: str, to: str, shares: int) -> dict:
    return {"type": "warrant_transfer", "date": day, "warrant": warrant, "to": to, "shares": shares}


def split(day: str, ratio: str, kind: str = "stock_split", **extra) -> dict:
    return {"type": kind, "date": day, "ratio": ratio, **extra}


def action_notice(day: str, action: str, record_date: str, effective_date: str) -> dict:
    return {"type": "corporate_action_notice", "date": day, "action": action, "record_date": record_date,
            "effective_date": effective_date}


RS_EFFECTIVE = {"type": "rs_effective", "date": "2000-03-01"}


def lapsed(day: str) -> dict:
    return {"type": "effectiveness_lapsed", "date": day, "reason": "other"}


def restored(day: str) -> dict:
    return {"type": "effectiveness_restored", "date": day}


def refusals(*events: dict, as_of: str = "2004-12-31", **kwargs) -> list[tuple[str, int, str | None]]:
    with pytest.raises(InputError) as caught:
        evaluate_focus(log(*events), as_of, **kwargs)
    return [(p.code, p.line, p.field) for p in caught.value.problems]


def codes(evaluation, code: str) -> list:
    return [b for b in evaluation.breaches if b.code == code]


def register(evaluation) -> dict[str, tuple]:
    """The register as a transfer agent reads it: id -> (holder, shares, status)."""
    return {c.id: (c.holder, c.shares, c.status) for c in evaluation.state.certificates.values()}


@functools.cache
def three_dollar_quotes():
    return flat_quotes("3.00")


# === W 3: cash exercise ============================================================================

def test_a_cash_exercise_of_50000_shares_costs_90062_50_and_leaves_a_warrant_for_the_rest():
    result, = evaluate_focus(log(CLOSING, exercise("2000-06-01", "W-1", 50_000)), "2000-07-01").exercises
    # 50,000 x $1.80125 = $90,062.50 exactly
    assert result.exercise_price == B
    assert result.aggregate_price == Decimal("90062.50")
    assert (result.shares_exercised, result.shares_issued, result.fraction, result.fraction_cash) == (
        50_000, 50_000, 0, Decimal("0.00"))
    # 87,150 - 50,000 = 37,150 on a new Warrant W-4, descending from W-1
    assert result.remainder_certificate == "W-4"


def test_the_partial_exercise_remainder_is_registered_to_the_same_holder_with_its_parent():
    evaluation = evaluate_focus(log(CLOSING, exercise("2000-06-01", "W-1", 50_000)), "2000-07-01")
    assert register(evaluation) == {
        "W-1": ("raptor", 87_150, "exercised"),
        "W-2": ("altar-rock", 350, "outstanding"),
        "W-3": ("roseworth", 37_500, "outstanding"),
        "W-4": ("raptor", 37_150, "outstanding"),
    }
    rest = evaluation.state.certificates["W-4"]
    assert (rest.parent, rest.parents, rest.issue_date, rest.original_issue_date) == (
        "W-1", ("W-1",), D("2000-06-01"), ISSUED)


def test_a_full_exercise_leaves_no_remainder_warrant():
    evaluation = evaluate_focus(log(CLOSING, exercise("2000-06-01", "W-2", 350)), "2000-07-01")
    result, = evaluation.exercises
    # 350 x $1.80125 = $630.4375 -> $630.44 (half-up)
    assert result.aggregate_price == Decimal("630.44")
    assert result.remainder_certificate is None
    assert set(evaluation.state.certificates) == {"W-1", "W-2", "W-3"}


def test_the_aggregate_price_is_rounded_half_up_to_the_cent_once():
    result, = evaluate_focus(log(CLOSING, exercise("2000-06-01", "W-2", 100)), "2000-07-01").exercises
    # 100 x $1.80125 = $180.125 -> $180.13 (half-up, not banker's $180.12)
    assert result.aggregate_price == Decimal("180.13")


@pytest.mark.parametrize(("exercised", "due", "why"), [
    ("2000-06-01", "2000-06-06", "Thu 06-01 -> Fri 2, Mon 5, Tue 6"),
    ("2000-06-30", "2000-07-06", "Fri 06-30 -> Mon 07-03, (Tue 07-04 Independence Day closed) Wed 5, Thu 6"),
    ("2000-11-22", "2000-11-28", "Wed 11-22 -> (Thu 11-23 Thanksgiving closed) Fri 24, Mon 27, Tue 28"),
    ("2000-12-21", "2000-12-27", "Thu 12-21 -> Fri 22, (Mon 12-25 Christmas closed) Tue 26, Wed 27"),
    ("2001-09-10", "2001-09-19", "Mon 09-10 -> (markets closed 09-11 to 09-14) Mon 17, Tue 18, Wed 19"),
])
def test_certificates_are_due_three_trading_days_after_the_exercise(exercised, due, why):
    result, = evaluate_focus(log(CLOSING, exercise(exercised, "W-2", 10)), "2002-01-01").exercises
    assert result.delivery_due == D(due), why


def test_a_cash_exercise_starts_a_new_rule_144_holding_period_on_the_exercise_date():
    result, = evaluate_focus(log(CLOSING, exercise("2001-03-15", "W-3", 1_000)), "2001-04-01").exercises
    assert result.method == "cash"
    assert result.holding_period_start == D("2001-03-15")


def test_the_shares_bought_for_cash_are_added_to_the_holders_other_shares():
    evaluation = evaluate_focus(log(CLOSING, exercise("2000-06-01", "W-1", 50_000)), "2000-07-01")
    holding = evaluation.state.holdings["raptor"]
    assert (holding.purchased_held, holding.other_held) == (871_500, 50_000)


# === W 3, 4: cashless exercise =====================================================================

# A = $3.00, B = $1.80125, X = 10,000:
#   (A - B) x X / A = 1.19875 x 10,000 / 3.00 = 11,987.5 / 3 = 3,995.8333... = 3,995 5/6
#   W 4 fraction 5/6 x $1.80125 = $1.5010416666... -> $1.50; literal reading: $1.80125 -> $1.80
CASHLESS_DUE = Fraction(11_987_5, 30)  # 11,987.5 / 3 = 119,875 / 30 = 23,975 / 6


def cashless_result(*events: dict, as_of: str = "2001-06-01", quotes=None, **overrides):
    evaluation = evaluate_focus(log(CLOSING, *events), as_of, quotes=quotes or three_dollar_quotes(), **overrides)
    cashless = [r for r in evaluation.exercises if r.method == "cashless"]
    assert len(cashless) == 1
    return cashless[0]


def test_a_cashless_exercise_of_10000_at_a_3_dollar_market_delivers_3995_shares_and_cash_for_five_sixths():
    result = cashless_result(exercise("2001-01-02", "W-1", 10_000, "cashless"))
    assert (result.average_price, result.exercise_price) == (Decimal("3.00"), B)
    assert result.shares_due == CASHLESS_DUE == Fraction(23_975, 6)
    assert (result.shares_issued, result.fraction) == (3_995, Fraction(5, 6))
    assert result.fraction_cash == Decimal("1.50")
    assert result.aggregate_price == Decimal("0.00")  # nothing is paid for the shares
    assert result.remainder_certificate == "W-4"  # 87,150 - 10,000 = 77,150


def test_cashless_fraction_cash_on_the_literal_reading_of_w4_is_the_whole_exercise_price():
    result = cashless_result(exercise("2001-01-02", "W-1", 10_000, "cashless"),
                             fraction_cash="literal_exercise_price")
    # "an amount equal to the Exercise Price": $1.80125 -> $1.80
    assert (result.shares_issued, result.fraction_cash) == (3_995, Decimal("1.80"))


def test_a_cashless_exercise_tacks_the_holding_period_to_the_warrants_issue_date():
    result = cashless_result(exercise("2001-01-02", "W-1", 10_000, "cashless"))
    assert result.holding_period_start == ISSUED


def test_a_cashless_exercise_of_a_remainder_warrant_still_tacks_to_the_closing():
    result = cashless_result(exercise("2000-06-01", "W-1", 50_000),
                             exercise("2001-01-02", "W-4", 10_000, "cashless"))
    assert (result.warrant, result.holding_period_start) == ("W-4", ISSUED)


def test_cashless_a_is_taken_on_the_trading_day_before_the_election_across_new_years_day():
    # Election Tue 2001-01-02; Mon 01-01 closed, so A is from Fri 2000-12-29 (= $4.00),
    # not Thu 12-28 ($3.00) nor the election day ($6.00).
    quotes = flat_quotes("3.00", changes={"2000-12-29": "4.00", "2000-12-30": "6.00"})
    result = cashless_result(exercise("2001-01-02", "W-1", 10_000, "cashless"), quotes=quotes)
    assert (result.average_price_day, result.average_price) == (D("2000-12-29"), Decimal("4.00"))
    # (4.00 - 1.80125) x 10,000 / 4.00 = 2.19875 x 2,500 = 5,496.875
    assert (result.shares_issued, result.fraction) == (5_496, Fraction(7, 8))
    # 0.875 x 1.80125 = 1.57609375 -> $1.58
    assert result.fraction_cash == Decimal("1.58")


def test_cashless_a_is_taken_on_the_friday_before_a_monday_election():
    quotes = flat_quotes("3.00", changes={"2001-03-02": "4.00", "2001-03-03": "6.00"})
    result = cashless_result(exercise("2001-03-05", "W-1", 10_000, "cashless"), quotes=quotes)
    assert (result.average_price_day, result.average_price, result.shares_issued) == (
        D("2001-03-02"), Decimal("4.00"), 5_496)


def test_cashless_is_allowed_from_the_first_anniversary_and_a_is_taken_before_thanksgiving():
    # 1999-11-24 + 1 year = Fri 2000-11-24; Thu 11-23 closed, so A is from Wed 2000-11-22.
    result = cashless_result(exercise("2000-11-24", "W-1", 10_000, "cashless"))
    assert (result.date, result.average_price_day, result.shares_issued) == (
        D("2000-11-24"), D("2000-11-22"), 3_995)


def test_cashless_before_the_first_anniversary_is_refused():
    assert refusals(CLOSING, exercise("2000-11-22", "W-1", 10_000, "cashless"),
                    quotes=three_dollar_quotes()) == [("EVENT-CASHLESS-TOO-EARLY", 2, "method")]


@pytest.mark.parametrize("market", ["1.80", "1.80125", "1.50"])
def test_cashless_is_refused_when_a_is_not_above_the_exercise_price(market):
    # A <= B: (A - B) x X / A <= 0, nothing to receive
    assert refusals(CLOSING, exercise("2001-01-02", "W-1", 10_000, "cashless"),
                    quotes=flat_quotes(market)) == [("EVENT-CASHLESS-UNDERWATER", 2, "method")]


def test_cashless_while_the_registration_statement_is_effective_is_refused_at_election():
    assert refusals(CLOSING, RS_EFFECTIVE, exercise("2001-01-02", "W-1", 10_000, "cashless"),
                    quotes=three_dollar_quotes()) == [("EVENT-CASHLESS-REGISTERED", 3, "method")]


def test_cashless_during_a_lapse_of_effectiveness_is_allowed_at_election():
    result = cashless_result(RS_EFFECTIVE, lapsed("2001-02-01"),
                             exercise("2001-02-05", "W-1", 10_000, "cashless"))
    assert result.shares_issued == 3_995


def test_cashless_after_a_lapse_is_cured_is_refused_at_election_but_allowed_ever_after_one_year():
    events = (RS_EFFECTIVE, lapsed("2001-02-01"), restored("2001-02-15"),
              exercise("2001-03-01", "W-1", 10_000, "cashless"))
    assert refusals(CLOSING, *events, quotes=three_dollar_quotes()) == [("EVENT-CASHLESS-REGISTERED", 5, "method")]
    result = cashless_result(*events, cashless_test="ever_after_one_year")
    assert (result.shares_issued, result.fraction_cash) == (3_995, Decimal("1.50"))


def test_cashless_ever_after_one_year_is_refused_when_registration_never_lapsed_after_the_anniversary():
    # Effective 2000-03-01; a lapse 2000-08-01 cured 2000-09-01 is before 2000-11-24 and does not count.
    assert refusals(CLOSING, RS_EFFECTIVE, lapsed("2000-08-01"), restored("2000-09-01"),
                    exercise("2001-03-01", "W-1", 10_000, "cashless"), quotes=three_dollar_quotes(),
                    cashless_test="ever_after_one_year") == [("EVENT-CASHLESS-REGISTERED", 5, "method")]


def test_cashless_ever_after_one_year_counts_the_days_before_a_late_first_effectiveness():
    # No registration from 2000-11-24 until 2000-12-15: a day without one after the anniversary.
    events = ({"type": "rs_effective", "date": "2000-12-15"}, exercise("2001-01-02", "W-1", 10_000, "cashless"))
    assert refusals(CLOSING, *events, quotes=three_dollar_quotes()) == [("EVENT-CASHLESS-REGISTERED", 3, "method")]
    assert cashless_result(*events, cashless_test="ever_after_one_year").shares_issued == 3_995


def test_a_cashless_exercise_after_a_split_uses_the_adjusted_exercise_price():
    # After 3-for-2: B = 1.80125 x 2/3 = 1.2008333333 (10 places); W-1 = 130,725.
    # X = 15,000, A = 3.00: (3.00 - 1.2008333333) x 15,000 / 3.00 = 1.7991666667 x 5,000 = 8,995.8333335
    # fraction 0.8333335 x 1.2008333333 = 1.0006946... -> $1.00
    result = cashless_result(split("2000-06-01", "3:2", authorized=60_000_000),
                             exercise("2001-01-02", "W-1", 15_000, "cashless"))
    assert result.exercise_price == Decimal("1.2008333333")
    assert result.shares_due == Fraction(Decimal("8995.8333335"))
    assert (result.shares_issued, result.fraction, result.fraction_cash) == (
        8_995, Fraction(Decimal("0.8333335")), Decimal("1.00"))


# === W 11: adjustments and the Notice of Adjustment (W 13) ========================================

def adjustment_rows(notice) -> list[tuple]:
    return [(r.warrant, r.holder, r.shares_before, r.shares_after, r.price_before, r.price_after)
            for r in notice.rows]


def test_a_3_for_2_split_multiplies_warrant_shares_by_3_2_and_the_price_by_2_3():
    evaluation = evaluate_focus(log(CLOSING, split("2000-06-01", "3:2", authorized=60_000_000)), "2000-07-01")
    notice, = evaluation.adjustments
    # 1.80125 x 2/3 = 3.6025 / 3 = 1.20083333... -> 1.2008333333 (10 places, half-up)
    price = Decimal("1.2008333333")
    assert adjustment_rows(notice) == [
        ("W-1", "raptor", 87_150, 130_725, B, price),  # 87,150 x 3/2
        ("W-2", "altar-rock", 350, 525, B, price),  # 350 x 3/2
        ("W-3", "roseworth", 37_500, 56_250, B, price),  # 37,500 x 3/2
    ]
    assert (notice.kind, notice.clause, notice.date, notice.effective_from, notice.record_date) == (
        "stock_split", "W 11(a)", D("2000-06-01"), D("2000-06-01"), None)
    assert evaluation.state.exercise_price(D("2000-06-01")) == price


def test_the_notice_of_adjustment_states_the_facts_and_the_computation():
    notice, = evaluate_focus(log(CLOSING, split("2000-06-01", "3:2", authorized=60_000_000)),
                             "2000-07-01").adjustments
    assert "3 shares for each 2" in notice.facts
    text = "\n".join(notice.computation)
    assert "1.80125" in text and "1.2008333333" in text
    assert "87,150 x 3/2 = 130,725" in text


def test_after_a_3_for_2_split_all_525_altar_rock_warrant_shares_cost_630_44():
    evaluation = evaluate_focus(log(CLOSING, split("2000-06-01", "3:2", authorized=60_000_000),
                                    exercise("2000-07-03", "W-2", 525)), "2000-08-01")
    result, = evaluation.exercises
    # 525 x 1.2008333333 = 630.4374999825 -> $630.44
    assert (result.shares_issued, result.aggregate_price) == (525, Decimal("630.44"))


def test_after_a_split_the_ten_place_price_is_what_is_multiplied_for_a_small_exercise():
    # RULES §2: the price is kept at 10 places; the amount due is rounded once:
    # 6 x 1.2008333333 = 7.2049999998 -> $7.20 (the unrounded 6 x 1.80125 x 2/3 = 7.205 would be $7.21)
    result, = evaluate_focus(log(CLOSING, split("2000-06-01", "3:2", authorized=60_000_000),
                                 exercise("2000-07-03", "W-2", 6)), "2000-08-01").exercises
    assert result.aggregate_price == Decimal("7.20")


def test_a_1_for_5_reverse_split_divides_warrant_shares_by_5_and_multiplies_the_price_by_5():
    notice, = evaluate_focus(log(CLOSING, split("2000-06-01", "1:5", "reverse_split")), "2000-07-01").adjustments
    # 1.80125 x 5 = 9.00625 exactly (terminates, so no rounding)
    assert adjustment_rows(notice) == [
        ("W-1", "raptor", 87_150, 17_430, B, Decimal("9.00625")),  # 87,150 / 5
        ("W-2", "altar-rock", 350, 70, B, Decimal("9.00625")),  # 350 / 5
        ("W-3", "roseworth", 37_500, 7_500, B, Decimal("9.00625")),  # 37,500 / 5
    ]


def test_a_ten_percent_stock_dividend_adds_a_tenth_and_brings_the_price_back_to_the_market_price():
    notice, = evaluate_focus(log(CLOSING, split("2000-06-01", "11:10", "stock_dividend")),
                             "2000-07-01").adjustments
    # 1.80125 x 10/11 = 18.0125 / 11 = 1.6375 exactly (1.80125 = 1.1 x 1.6375)
    assert adjustment_rows(notice) == [
        ("W-1", "raptor", 87_150, 95_865, B, Decimal("1.6375")),  # 87,150 x 1.1
        ("W-2", "altar-rock", 350, 385, B, Decimal("1.6375")),  # 350 x 1.1
        ("W-3", "roseworth", 37_500, 41_250, B, Decimal("1.6375")),  # 37,500 x 1.1
    ]


def test_a_split_is_retroactive_to_its_record_date_for_an_exercise_before_the_effective_date():
    # Record date 2000-06-15, effective 2000-07-03; exercise on 2000-06-20 of all 525 (= 350 x 3/2)
    evaluation = evaluate_focus(log(
        CLOSING,
        exercise("2000-06-20", "W-2", 525),
        split("2000-07-03", "3:2", record_date="2000-06-15", authorized=60_000_000),
    ), "2000-08-01")
    result, = evaluation.exercises
    assert (result.exercise_price, result.shares_issued, result.aggregate_price) == (
        Decimal("1.2008333333"), 525, Decimal("630.44"))
    notice, = evaluation.adjustments
    assert (notice.date, notice.record_date, notice.effective_from) == (
        D("2000-07-03"), D("2000-06-15"), D("2000-06-15"))


def test_an_exercise_before_the_record_date_is_not_adjusted_but_its_remainder_is():
    evaluation = evaluate_focus(log(
        CLOSING,
        exercise("2000-06-14", "W-2", 100),
        split("2000-07-03", "3:2", record_date="2000-06-15", authorized=60_000_000),
    ), "2000-08-01")
    result, = evaluation.exercises
    # 100 x $1.80125 = $180.125 -> $180.13, before the record date
    assert (result.exercise_price, result.aggregate_price) == (B, Decimal("180.13"))
    # the remainder W-4 for 350 - 100 = 250 becomes 250 x 3/2 = 375
    assert register(evaluation)["W-4"] == ("altar-rock", 375, "outstanding")
    # and the 100 shares issued are split too: 100 x 3/2 = 150
    assert evaluation.state.holdings["altar-rock"].other_held == 150


def test_each_adjustment_gets_its_own_notice():
    evaluation = evaluate_focus(log(
        CLOSING,
        split("2000-06-01", "3:2", authorized=60_000_000),
        split("2001-06-01", "1:5", "reverse_split"),
    ), "2001-07-01")
    first, second = evaluation.adjustments
    assert (first.kind, second.kind) == ("stock_split", "reverse_split")
    # the second starts where the first ended: W-1 130,725 -> 130,725 / 5 = 26,145
    # price 1.80125 x 2/3 x 5 = 1.80125 x 10/3 = 6.0041666... -> 6.0041666667
    assert adjustment_rows(second)[0] == (
        "W-1", "raptor", 130_725, 26_145, Decimal("1.2008333333"), Decimal("6.0041666667"))


def test_an_odd_balance_left_by_a_split_is_exercised_whole_with_cash_for_the_half_share():
    evaluation = evaluate_focus(log(
        CLOSING,
        {"type": "warrant_divide", "date": "2000-05-01", "warrant": "W-2", "into": [349, 1]},  # W-4 349, W-5 1
        split("2000-06-01", "3:2", authorized=60_000_000),  # W-4: 349 x 3/2 = 523.5
        exercise("2000-07-03", "W-4", "523.5"),
    ), "2000-08-01")
    result, = evaluation.exercises
    # paid: 523.5 x 1.2008333333 = 628.63624998255 -> $628.64
    # W 4: 523 whole shares; the half share in cash: 0.5 x 1.2008333333 = 0.60041666665 -> $0.60
    assert (result.aggregate_price, result.shares_issued, result.fraction, result.fraction_cash) == (
        Decimal("628.64"), 523, Fraction(1, 2), Decimal("0.60"))
    assert result.remainder_certificate is None
    # reserve 187,500 - 523 = 186,977; needed: W-1 130,725 + W-3 56,250 + W-5 1.5 = 186,976.5
    assert evaluation.reservation.reserved == 186_977


def test_a_warrant_for_116_and_two_thirds_shares_can_be_exercised_in_full():
    # W 3 lets the holder exercise the whole Warrant; W 4 pays cash for the fraction.
    # After 1-for-3: W-2 = 350 / 3 = 116 2/3 shares at 1.80125 x 3 = $5.40375
    # paid: 350/3 x 5.40375 = 350 x 1.80125 = 630.4375 -> $630.44
    # 116 whole shares; fraction 2/3 x 5.40375 = 3.6025 -> $3.60; no warrant is left
    evaluation = evaluate_focus(log(CLOSING, split("2000-06-01", "1:3", "reverse_split"),
                                    exercise("2000-07-03", "W-2", "116.6666666667")), "2000-08-01")
    result, = evaluation.exercises
    assert (result.aggregate_price, result.shares_issued, result.fraction_cash, result.remainder_certificate) == (
        Decimal("630.44"), 116, Decimal("3.60"), None)


MERGER = {"type": "merger", "date": "2001-06-01", "per_share": [
    {"asset": "Acquirer Corp. common stock", "quantity": "0.25"},
    {"asset": "cash (USD)", "quantity": "1.10"},
]}


def test_after_a_merger_an_exercise_delivers_the_other_property_for_each_warrant_share():
    evaluation = evaluate_focus(log(CLOSING, MERGER, exercise("2001-07-02", "W-1", 1_000)), "2001-08-01")
    result, = evaluation.exercises
    # 1,000 x 0.25 = 250 Acquirer shares; 1,000 x $1.10 = $1,100 cash; price paid 1,000 x $1.80125
    assert result.other_property == (("Acquirer Corp. common stock", Decimal("250")),
                                     ("cash (USD)", Decimal("1100")))
    assert result.aggregate_price == Decimal("1801.25")
    assert result.shares_issued == 0  # no FOCUS Common is delivered any more
    notice, = evaluation.adjustments
    assert (notice.kind, notice.other_property) == (
        "merger", (("Acquirer Corp. common stock", Decimal("0.25")), ("cash (USD)", Decimal("1.10"))))
    assert adjustment_rows(notice)[0] == ("W-1", "raptor", 87_150, 87_150, B, B)


# === W 12: voluntary reduction ======================================================================

REDUCTION = {"type": "price_reduction", "date": "2001-01-02", "start": "2001-01-02", "end": "2001-03-30",
             "price": "1.25"}


@pytest.mark.parametrize(("day", "price", "paid"), [
    ("2001-01-02", "1.25", "1250.00"),  # first day: 1,000 x $1.25
    ("2001-03-30", "1.25", "1250.00"),  # last day
    ("2001-04-02", "1.80125", "1801.25"),  # after: back to 1,000 x $1.80125
    ("2000-12-29", "1.80125", "1801.25"),  # before
])
def test_a_w12_reduction_applies_inside_its_period_and_not_after(day, price, paid):
    result, = evaluate_focus(log(CLOSING, REDUCTION, exercise(day, "W-1", 1_000)), "2001-06-01").exercises
    assert (result.exercise_price, result.aggregate_price) == (Decimal(price), Decimal(paid))


def test_a_w12_reduction_gets_a_notice_of_adjustment_with_its_period():
    notice, = evaluate_focus(log(CLOSING, REDUCTION), "2001-06-01").adjustments
    assert (notice.kind, notice.clause, notice.effective_from, notice.until) == (
        "price_reduction", "W 12", D("2001-01-02"), D("2001-03-30"))
    assert adjustment_rows(notice)[1] == ("W-2", "altar-rock", 350, 350, B, Decimal("1.25"))


@pytest.mark.parametrize("price", ["1.80125", "2.00"])
def test_a_reduction_that_is_not_lower_is_refused(price):
    assert refusals(CLOSING, {**REDUCTION, "price": price}) == [("EVENT-NOT-A-REDUCTION", 2, "price")]


def test_after_a_split_a_reduction_must_be_below_the_adjusted_price():
    # 1.50 is below 1.80125 but not below 1.2008333333
    assert refusals(CLOSING, split("2000-06-01", "3:2", authorized=60_000_000), {**REDUCTION, "price": "1.50"}) == [
        ("EVENT-NOT-A-REDUCTION", 3, "price")]


def test_a_split_during_a_reduction_adjusts_the_reduced_price_too():
    # W 11(a): new price = price in effect immediately prior x shares before / shares after
    #   = $1.50 x 2/3 = $1.00; all 525 Altar Rock shares cost 525 x $1.00 = $525.00
    evaluation = evaluate_focus(log(
        CLOSING,
        {"type": "price_reduction", "date": "2001-01-02", "start": "2001-01-02", "end": "2001-12-31",
         "price": "1.50"},
        split("2001-06-01", "3:2", authorized=60_000_000),
        exercise("2001-07-02", "W-2", 525),
    ), "2001-08-01")
    result, = evaluation.exercises
    assert (result.exercise_price, result.aggregate_price) == (Decimal("1.00"), Decimal("525.00"))


def test_a_deeper_reduction_inside_an_earlier_one_applies_for_its_own_period():
    # Board: $1.50 for 2001; then "the then current Exercise Price" $1.50 reduced to $1.25 for March.
    evaluation = evaluate_focus(log(
        CLOSING,
        {"type": "price_reduction", "date": "2001-01-02", "start": "2001-01-02", "end": "2001-12-31",
         "price": "1.50"},
        {"type": "price_reduction", "date": "2001-03-01", "start": "2001-03-01", "end": "2001-03-30",
         "price": "1.25"},
        exercise("2001-03-15", "W-1", 1_000),
        exercise("2001-04-02", "W-3", 1_000),
    ), "2001-06-01")
    march, april = evaluation.exercises
    assert (march.exercise_price, march.aggregate_price) == (Decimal("1.25"), Decimal("1250.00"))  # 1,000 x 1.25
    assert (april.exercise_price, april.aggregate_price) == (Decimal("1.50"), Decimal("1500.00"))  # 1,000 x 1.50


# === W 14: notice of corporate action ===============================================================

def w14(evaluation) -> list[tuple[dt.date, str]]:
    return [(b.date, b.message) for b in codes(evaluation, "W14-LATE-NOTICE")]


def test_a_split_noticed_30_days_before_its_record_date_is_not_a_breach():
    # record date 2000-06-15 - 30 days = 2000-05-16 (May has 31 days)
    evaluation = evaluate_focus(log(
        CLOSING, action_notice("2000-05-16", "3-for-2 split", "2000-06-15", "2000-07-03"),
        split("2000-07-03", "3:2", record_date="2000-06-15", authorized=60_000_000)), "2000-08-01")
    assert w14(evaluation) == []


def test_a_split_noticed_29_days_before_its_record_date_is_a_breach():
    evaluation = evaluate_focus(log(
        CLOSING, action_notice("2000-05-17", "3-for-2 split", "2000-06-15", "2000-07-03"),
        split("2000-07-03", "3:2", record_date="2000-06-15", authorized=60_000_000)), "2000-08-01")
    breach, = codes(evaluation, "W14-LATE-NOTICE")
    assert (breach.clause, breach.date) == ("W 14", D("2000-06-15"))
    assert "given 2000-05-17" in breach.message and "due by 2000-05-16" in breach.message


def test_a_split_with_no_notice_at_all_is_a_breach():
    evaluation = evaluate_focus(log(CLOSING, split("2000-06-01", "3:2", authorized=60_000_000)), "2000-07-01")
    breach, = codes(evaluation, "W14-LATE-NOTICE")
    assert breach.date == D("2000-06-01") and "not given" in breach.message


def test_a_merger_noticed_30_days_before_it_takes_place_is_not_a_breach():
    # 2001-06-01 - 30 days = 2001-05-02
    evaluation = evaluate_focus(log(CLOSING, action_notice("2001-05-02", "merger", "2001-06-01", "2001-06-01"),
                                    MERGER), "2001-07-01")
    assert w14(evaluation) == []


def test_a_merger_noticed_29_days_before_it_takes_place_is_a_breach_of_the_effective_date_notice():
    evaluation = evaluate_focus(log(CLOSING, action_notice("2001-05-03", "merger", "2001-06-01", "2001-06-01"),
                                    MERGER), "2001-07-01")
    late = w14(evaluation)
    assert {day for day, _ in late} == {D("2001-06-01")}
    assert any("effective date 2001-06-01 was given 2001-05-03" in message for _, message in late)


def test_a_reclassification_noticed_in_time_for_both_record_and_effective_dates_is_not_a_breach():
    # record 2001-05-15 - 30 = 2001-04-15; effective 2001-06-01 - 30 = 2001-05-02; notice 2001-04-15 meets both
    evaluation = evaluate_focus(log(
        CLOSING, action_notice("2001-04-15", "reclassification", "2001-05-15", "2001-06-01"),
        split("2001-06-01", "1:1", "reclassification", record_date="2001-05-15")), "2001-07-01")
    assert w14(evaluation) == []


def test_a_merger_notice_less_than_30_days_before_its_voting_record_date_is_a_breach():
    # Notice 2001-04-01 names record date 2001-04-20 (due by 04-20 - 30 = 2001-03-21: 19 days, late)
    # and effective date 2001-06-01 (due by 2001-05-02: 61 days, in time).
    evaluation = evaluate_focus(log(CLOSING, action_notice("2001-04-01", "merger", "2001-04-20", "2001-06-01"),
                                    MERGER), "2001-07-01")
    late = w14(evaluation)
    assert len(late) == 1
    assert late[0][0] == D("2001-04-20") and "record date 2001-04-20" in late[0][1]


# === SPA 6.2, W 15: the reserve ======================================================================

def test_a_split_without_more_authorized_shares_leaves_too_few_authorized_shares():
    evaluation = evaluate_focus(log(CLOSING, split("2000-06-01", "3:2")), "2000-07-01")
    breach, = codes(evaluation, "AUTHORIZED-SHORTFALL")
    assert breach.date == D("2000-06-01")
    assert "30,000,000 authorized" in breach.message and "187,500 reserved" in breach.message
    reservation = evaluation.reservation
    # outstanding 22,262,701 x 3/2 = 33,394,051.5, whole after cash in lieu of the half share
    # (RULES §4): 33,394,051; reserved 125,000 x 3/2 = 187,500
    # headroom 30,000,000 - 33,394,051 - 187,500 = -3,581,551
    assert OUTSTANDING_AFTER_CLOSING == 22_262_701
    assert (reservation.authorized, reservation.outstanding, reservation.reserved, reservation.required) == (
        AUTHORIZED, 33_394_051, 187_500, 187_500)
    assert reservation.headroom == -3_581_551
    assert codes(evaluation, "RESERVE-SHORTFALL") == []


def test_the_authorized_shortfall_message_states_the_numbers_as_a_reader_writes_them():
    evaluation = evaluate_focus(log(CLOSING, split("2000-06-01", "3:2")), "2000-07-01")
    breach, = codes(evaluation, "AUTHORIZED-SHORTFALL")
    assert "33,394,051 outstanding" in breach.message
    assert "3,581,551)" in breach.message


def test_a_split_with_the_authorized_shares_raised_is_not_a_shortfall():
    evaluation = evaluate_focus(log(CLOSING, split("2000-06-01", "3:2", authorized=60_000_000)), "2000-07-01")
    assert codes(evaluation, "AUTHORIZED-SHORTFALL") == []
    # 60,000,000 - 33,394,051 - 187,500 = 26,418,449 (the half share paid in cash, RULES §4)
    assert evaluation.reservation.headroom == 26_418_449


def test_the_reserve_before_any_exercise():
    reservation = evaluate_focus(log(CLOSING), "2000-01-03").reservation
    # 30,000,000 - 22,262,701 - 125,000 = 7,612,299
    assert (reservation.reserved, reservation.required, reservation.outstanding, reservation.headroom) == (
        WARRANT_SHARES, WARRANT_SHARES, OUTSTANDING_AFTER_CLOSING, 7_612_299)


def test_a_cash_exercise_draws_the_delivered_shares_from_the_reserve():
    reservation = evaluate_focus(log(CLOSING, exercise("2000-06-01", "W-1", 50_000)), "2000-07-01").reservation
    # reserved 125,000 - 50,000 = 75,000 = required 37,150 + 350 + 37,500
    # outstanding 22,262,701 + 50,000 = 22,312,701; headroom 30,000,000 - 22,312,701 - 75,000 = 7,612,299
    assert (reservation.reserved, reservation.required, reservation.outstanding, reservation.headroom) == (
        75_000, 75_000, 22_312_701, 7_612_299)


def test_a_cashless_exercise_draws_only_the_shares_delivered_from_the_reserve():
    evaluation = evaluate_focus(log(CLOSING, exercise("2001-01-02", "W-1", 10_000, "cashless")), "2001-02-01",
                                quotes=three_dollar_quotes())
    reservation = evaluation.reservation
    # delivered 3,995: reserved 125,000 - 3,995 = 121,005; required 125,000 - 10,000 = 115,000
    # outstanding 22,262,701 + 3,995 = 22,266,696; headroom 30,000,000 - 22,266,696 - 121,005 = 7,612,299
    assert (reservation.reserved, reservation.required, reservation.outstanding, reservation.headroom) == (
        121_005, 115_000, 22_266_696, 7_612_299)


def test_a_reverse_split_that_scales_reserve_and_warrants_alike_is_not_a_reserve_shortfall():
    evaluation = evaluate_focus(log(CLOSING, split("2000-06-01", "1:3", "reverse_split")), "2000-07-01")
    # whole shares issuable (W 4): 87,150/3 = 29,050; 350/3 = 116 2/3 -> 116; 37,500/3 = 12,500: 41,666
    # reserved: 125,000 / 3 = 41,666 2/3 >= 41,666
    assert evaluation.reservation.reserved == Fraction(125_000, 3)
    assert codes(evaluation, "RESERVE-SHORTFALL") == []


# === W 1, 7, 9: the register ========================================================================

def test_a_transfer_of_part_of_a_warrant_issues_one_to_the_assignee_and_one_for_the_rest():
    evaluation = evaluate_focus(log(CLOSING, transfer("2000-06-01", "W-3", "raptor", 7_500)), "2000-07-01")
    assert register(evaluation) == {
        "W-1": ("raptor", 87_150, "outstanding"),
        "W-2": ("altar-rock", 350, "outstanding"),
        "W-3": ("roseworth", 37_500, "transferred"),
        "W-4": ("raptor", 7_500, "outstanding"),  # to the assignee
        "W-5": ("roseworth", 30_000, "outstanding"),  # 37,500 - 7,500 to the assignor
    }
    certs = evaluation.state.certificates
    assert certs["W-4"].parents == certs["W-5"].parents == ("W-3",)
    assert certs["W-4"].original_issue_date == ISSUED


def test_a_transfer_of_the_whole_warrant_issues_no_remainder():
    evaluation = evaluate_focus(log(CLOSING, transfer("2000-06-01", "W-2", "raptor", 350)), "2000-07-01")
    assert register(evaluation)["W-4"] == ("raptor", 350, "outstanding")
    assert "W-5" not in register(evaluation)


def test_a_transferred_warrant_can_no_longer_be_exercised():
    assert refusals(CLOSING, transfer("2000-06-01", "W-2", "raptor", 350), exercise("2000-07-03", "W-2", 10)) == [
        ("EVENT-WARRANT-CLOSED", 3, "warrant")]


def test_a_transfer_after_the_termination_date_is_refused():
    # W 1: transferable "Prior to the Termination Date" (2004-12-01)
    assert refusals(CLOSING, transfer("2004-12-02", "W-2", "raptor", 10)) == [
        ("EVENT-TRANSFER-AFTER-TERMINATION", 2, "date")]


def test_a_division_issues_new_warrants_of_the_stated_denominations():
    evaluation = evaluate_focus(log(CLOSING, {"type": "warrant_divide", "date": "2000-06-01", "warrant": "W-1",
                                              "into": [50_000, 30_000, 7_150]}), "2000-07-01")
    reg = register(evaluation)
    assert reg["W-1"] == ("raptor", 87_150, "divided")
    # 50,000 + 30,000 + 7,150 = 87,150
    assert [reg[i] for i in ("W-4", "W-5", "W-6")] == [
        ("raptor", 50_000, "outstanding"), ("raptor", 30_000, "outstanding"), ("raptor", 7_150, "outstanding")]
    assert {evaluation.state.certificates[i].parent for i in ("W-4", "W-5", "W-6")} == {"W-1"}


def test_a_combination_of_one_holders_warrants_makes_one_warrant_with_both_parents():
    evaluation = evaluate_focus(log(
        CLOSING,
        transfer("2000-06-01", "W-3", "raptor", 7_500),  # W-4 raptor 7,500; W-5 roseworth 30,000
        {"type": "warrant_combine", "date": "2000-07-03", "warrants": ["W-1", "W-4"]},
    ), "2000-08-01")
    reg = register(evaluation)
    # 87,150 + 7,500 = 94,650
    assert reg["W-6"] == ("raptor", 94_650, "outstanding")
    assert (reg["W-1"][2], reg["W-4"][2]) == ("combined", "combined")
    combined = evaluation.state.certificates["W-6"]
    assert (combined.parents, combined.issue_date, combined.original_issue_date) == (
        ("W-1", "W-4"), D("2000-07-03"), ISSUED)


def test_warrants_of_different_holders_cannot_be_combined():
    assert refusals(CLOSING, {"type": "warrant_combine", "date": "2000-06-01", "warrants": ["W-1", "W-2"]}) == [
        ("EVENT-COMBINE-HOLDERS", 2, "warrants")]


def test_a_warrant_cannot_be_combined_with_itself():
    assert refusals(CLOSING, {"type": "warrant_combine", "date": "2000-06-01", "warrants": ["W-1", "W-1"]}) == [
        ("EVENT-COMBINE-REPEATED", 2, "warrants")]


def test_a_lost_warrant_is_replaced_by_one_of_like_tenor_dated_as_of_the_cancellation():
    evaluation = evaluate_focus(log(CLOSING, {"type": "warrant_replace", "date": "2000-09-15", "warrant": "W-2",
                                              "reason": "lost"}), "2000-10-01")
    reg = register(evaluation)
    assert reg["W-2"] == ("altar-rock", 350, "replaced (lost)")
    assert reg["W-4"] == ("altar-rock", 350, "outstanding")
    new = evaluation.state.certificates["W-4"]
    assert (new.issue_date, new.original_issue_date, new.parents, new.origin) == (
        D("2000-09-15"), ISSUED, ("W-2",), "replacement")


def test_a_replacement_warrant_keeps_the_original_anniversary_for_cashless_exercise():
    result = cashless_result({"type": "warrant_replace", "date": "2000-09-15", "warrant": "W-2", "reason": "lost"},
                             exercise("2000-11-24", "W-4", 300, "cashless"))
    # (3.00 - 1.80125) x 300 / 3.00 = 1.19875 x 100 = 119.875 -> 119 shares; 0.875 x 1.80125 = 1.576... -> $1.58
    assert (result.shares_issued, result.fraction_cash, result.holding_period_start) == (
        119, Decimal("1.58"), ISSUED)


def test_lineage_is_followed_through_transfer_division_and_combination():
    evaluation = evaluate_focus(log(
        CLOSING,
        transfer("2000-06-01", "W-3", "altar-rock", 7_500),  # W-4 altar-rock 7,500, W-5 roseworth 30,000
        {"type": "warrant_divide", "date": "2000-07-03", "warrant": "W-4", "into": [5_000, 2_500]},  # W-6, W-7
        {"type": "warrant_combine", "date": "2000-08-01", "warrants": ["W-2", "W-7"]},  # W-8: 350 + 2,500
    ), "2000-09-01")
    certs = evaluation.state.certificates

    def ancestry(cert_id):
        parents = certs[cert_id].parents
        return {cert_id}.union(*(ancestry(p) for p in parents))

    assert (certs["W-8"].holder, certs["W-8"].shares) == ("altar-rock", 2_850)
    assert ancestry("W-8") == {"W-8", "W-2", "W-7", "W-4", "W-3"}
    assert sum(c.shares for c in certs.values() if c.status == "outstanding") == WARRANT_SHARES


# === properties ======================================================================================

PARTIES = ("raptor", "altar-rock", "roseworth", "sullivan-worcester", "epstein-becker")


@functools.cache
def quoted_context() -> Context:
    calendars = focus_calendars()
    return make_context(focus_terms(), calendars.business, three_dollar_quotes(), calendars.trading)


class Register:
    """The fold driven one event at a time, as a transfer agent keeps the register."""

    def __init__(self, ctx: Context):
        self.folding = Fold(ctx)

    def apply(self, event) -> Register:
        """Apply one event (in date order); a refusal raises ``Rejected`` and changes nothing."""
        before = len(self.folding.problems)
        self.folding.add([Located(event, "test", len(self.folding.problems) + 1)])
        self.folding.run(event.applies_on)
        if len(self.folding.problems) > before:
            refused = self.folding.problems[-1]
            raise Rejected(refused.code, refused.message, refused.field)
        return self

    @property
    def state(self):
        last = self.folding.last_key
        return self.folding.timeline().at(dt.date.fromordinal(last[0]) if last else D("1999-11-24"))

    def __getattr__(self, name: str):
        return getattr(self.state, name)


def closed_state() -> Register:
    """The register on the Closing day: its checklist ticked (SPA 2.1(b)), then the Closing."""
    register = Register(quoted_context())
    for event in checklist_for(focus_terms(), CLOSING["date"]):
        register.apply(parse_event(event))
    return register.apply(parse_event(CLOSING))


def apply_event(register: Register, event, ctx=None):
    return register.apply(event)


def snapshot_of(state):
    """What the register shows: certificates, exercises, adjustments, capitalization, holdings."""
    return (state.certificates, state.exercises, state.adjustments, state.capitalization, state.holdings)


def outstanding(state) -> dict[str, object]:
    return {c.id: c for c in state.certificates.values() if c.status == "outstanding"}


@PROPERTY
@given(st.data())
def test_property_warrant_shares_are_conserved_by_transfer_division_combination_and_replacement(data):
    state, day = closed_state(), D("2000-01-03")
    for _ in range(data.draw(st.integers(1, 12), label="steps")):
        day += dt.timedelta(days=data.draw(st.integers(0, 40)))
        live = sorted(outstanding(state).values(), key=lambda c: int(c.id[2:]))
        cert = data.draw(st.sampled_from(live))
        kind = data.draw(st.sampled_from(["transfer", "divide", "combine", "replace"]))
        if kind == "transfer":
            shares = data.draw(st.integers(1, max(1, int(cert.shares))))
            event = transfer(day.isoformat(), cert.id, data.draw(st.sampled_from(PARTIES)), shares)
        elif kind == "divide":
            if cert.shares < 2:
                continue
            cut = data.draw(st.integers(1, int(cert.shares) - 1))
            event = {"type": "warrant_divide", "date": day.isoformat(), "warrant": cert.id,
                     "into": [cut, int(cert.shares) - cut]}
        elif kind == "combine":
            same = [c.id for c in live if c.holder == cert.holder and c.id != cert.id]
            if not same:
                continue
            event = {"type": "warrant_combine", "date": day.isoformat(),
                     "warrants": [cert.id, data.draw(st.sampled_from(same))]}
        else:
            event = {"type": "warrant_replace", "date": day.isoformat(), "warrant": cert.id,
                     "reason": data.draw(st.sampled_from(["lost", "stolen", "destroyed", "mutilated"]))}
        state = apply_event(state, parse_event(event), quoted_context())
        assert sum(c.shares for c in outstanding(state).values()) == WARRANT_SHARES
        assert all(c.original_issue_date == ISSUED for c in state.certificates.values())
        # every parent is on the register and was closed by the step that made its children
        for c in state.certificates.values():
            assert all(state.certificates[p].status != "outstanding" for p in c.parents)
        assert state.reserved == WARRANT_SHARES


RATIOS = st.tuples(st.integers(1, 20), st.integers(1, 20))


def recap_event(day: dt.date, new: int, old: int) -> dict:
    kind = "stock_split" if new > old else "reverse_split" if new < old else "reclassification"
    return split(day.isoformat(), f"{new}:{old}", kind, authorized=10**12)


def products(row) -> tuple[Fraction, Fraction]:
    return (Fraction(row.shares_before) * Fraction(row.price_before),
            Fraction(row.shares_after) * Fraction(row.price_after))


@PROPERTY
@given(RATIOS)
def test_property_an_adjustment_keeps_shares_times_price_up_to_the_ten_place_rounding(ratio):
    state = apply_event(closed_state(), parse_event(recap_event(D("2000-06-01"), *ratio)), quoted_context())
    notice = state.adjustments[-1]
    for row in notice.rows:
        before, after = products(row)
        assert abs(after - before) <= Fraction(row.shares_after) * Fraction(1, 2 * 10**10)
        assert row.shares_after == row.shares_before * Fraction(*ratio)


@PROPERTY
@given(st.lists(RATIOS, min_size=1, max_size=4))
def test_property_a_chain_of_adjustments_keeps_each_warrants_closing_value(ratios):
    # each price is recomputed from $1.80125, so a chain never drifts beyond one 10-place rounding
    state, day = closed_state(), D("2000-06-01")
    closing_value = {"W-1": 87_150 * Fraction(B), "W-2": 350 * Fraction(B), "W-3": 37_500 * Fraction(B)}
    for ratio in ratios:
        state = apply_event(state, parse_event(recap_event(day, *ratio)), quoted_context())
        day += dt.timedelta(days=31)
        for row in state.adjustments[-1].rows:
            _, after = products(row)
            assert abs(after - closing_value[row.warrant]) <= Fraction(row.shares_after) * Fraction(1, 2 * 10**10)


def note(label: str) -> None:
    """Shown by ``pytest --hypothesis-show-statistics``: what the random sequences covered."""
    hypothesis.event(label)


WINDOW_DAYS = (D("2005-01-31") - ISSUED).days


@PROPERTY
@given(st.data())
def test_property_no_event_sequence_exercises_beyond_a_balance_or_outside_the_window(data):
    """A model register, kept here by hand, predicts every refusal and every new certificate number."""
    steps = data.draw(st.integers(1, 15), label="steps")
    days = sorted(ISSUED + dt.timedelta(days=data.draw(st.integers(0, WINDOW_DAYS))) for _ in range(steps))
    model = {"W-1": ["raptor", 87_150, True], "W-2": ["altar-rock", 350, True], "W-3": ["roseworth", 37_500, True]}
    state, accepted = closed_state(), []

    def new_cert(holder, shares):
        model[f"W-{len(model) + 1}"] = [holder, shares, True]

    for day in days:
        ids = [*model, f"W-{len(model) + 1}", "W-99"]
        cert_id = data.draw(st.sampled_from(ids))
        known = model.get(cert_id)
        balance = known[1] if known else 1
        shares = data.draw(st.one_of(st.integers(1, max(1, balance)), st.integers(1, 100_000)))
        kind = data.draw(st.sampled_from(["exercise", "exercise", "transfer", "divide"]))
        if kind == "exercise":
            event = exercise(day.isoformat(), cert_id, shares)
        elif kind == "transfer":
            event = transfer(day.isoformat(), cert_id, data.draw(st.sampled_from(PARTIES)), shares)
        else:
            rest = data.draw(st.sampled_from([balance - shares, 1, 7] if balance > shares else [1, 7]))
            event = {"type": "warrant_divide", "date": day.isoformat(), "warrant": cert_id, "into": [shares, rest]}
        # the expected code, in the order a transfer agent checks: which warrant, then when, then how many
        if known is None:
            expected = "EVENT-UNKNOWN-WARRANT"
        elif not known[2]:
            expected = "EVENT-WARRANT-CLOSED"
        elif kind == "exercise" and not FIRST_DAY <= day <= LAST_DAY:
            expected = "EVENT-OUTSIDE-EXERCISE-WINDOW"
        elif kind == "exercise" and shares > balance:
            expected = "EVENT-EXERCISE-BEYOND-BALANCE"
        elif kind == "transfer" and shares > balance:
            expected = "EVENT-TRANSFER-BEYOND-BALANCE"
        elif kind == "transfer" and day > LAST_DAY:
            expected = "EVENT-TRANSFER-AFTER-TERMINATION"
        elif kind == "divide" and day > LAST_DAY:
            expected = "EVENT-WARRANT-CLOSED"  # expired at the close of the Termination Date
        elif kind == "divide" and sum(event["into"]) != balance:
            expected = "EVENT-DIVIDE-MISMATCH"
        else:
            expected = None
        try:
            state = apply_event(state, parse_event(event), quoted_context())
            code = None
        except Rejected as refusal:
            code = refusal.code
        assert code == expected, event
        note(f"{kind}: {expected or 'accepted'}")
        if expected is not None:
            continue
        holder = known[0]
        known[2] = False
        if kind == "exercise":
            accepted.append((cert_id, shares, day, balance))
            if balance - shares:
                new_cert(holder, balance - shares)
        elif kind == "transfer":
            new_cert(event["to"], shares)
            if balance - shares:
                new_cert(holder, balance - shares)
        else:
            for part in event["into"]:
                new_cert(holder, part)
    assert [(r.warrant, r.shares_exercised, r.date) for r in state.exercises] == [a[:3] for a in accepted]
    for result, (*_, balance) in zip(state.exercises, accepted, strict=True):
        assert result.shares_exercised <= balance and FIRST_DAY <= result.date <= LAST_DAY
    if days[-1] > LAST_DAY:  # every certificate still open expired after the close of the Termination Date
        for entry in model.values():
            entry[2] = False
    assert {c.id: [c.holder, c.shares, c.status == "outstanding"] for c in state.certificates.values()} == model
    unexercised = ("outstanding", "expired")
    assert sum(c.shares for c in state.certificates.values() if c.status in unexercised) + sum(
        a[1] for a in accepted) == WARRANT_SHARES


def any_event(data, day: dt.date) -> dict:
    iso = day.isoformat()
    warrant = data.draw(st.sampled_from([f"W-{n}" for n in range(1, 9)]))
    shares = data.draw(st.one_of(st.integers(1, 350), st.integers(1, 90_000)))
    kind = data.draw(st.sampled_from(["cash", "cashless", "transfer", "divide", "combine", "replace", "split",
                                      "reduction", "notice", "rs_effective", "lapsed", "restored", "merger"]))
    if kind in ("cash", "cashless"):
        return exercise(iso, warrant, shares, kind)
    if kind == "transfer":
        return transfer(iso, warrant, data.draw(st.sampled_from(PARTIES)), shares)
    if kind == "divide":
        return {"type": "warrant_divide", "date": iso, "warrant": warrant, "into": [shares, 350]}
    if kind == "combine":
        return {"type": "warrant_combine", "date": iso,
                "warrants": data.draw(st.lists(st.sampled_from([f"W-{n}" for n in range(1, 9)]), min_size=2,
                                               max_size=3))}
    if kind == "replace":
        return {"type": "warrant_replace", "date": iso, "warrant": warrant, "reason": "stolen"}
    if kind == "split":
        new, old = data.draw(RATIOS)
        event = recap_event(day, new, old)
        if data.draw(st.booleans()):
            event["record_date"] = (day - dt.timedelta(days=data.draw(st.integers(0, 40)))).isoformat()
        return event
    if kind == "reduction":
        return {"type": "price_reduction", "date": iso, "start": iso,
                "end": (day + dt.timedelta(days=data.draw(st.integers(0, 200)))).isoformat(),
                "price": str(data.draw(st.decimals("0.10", "2.50", places=2)))}
    if kind == "notice":
        later = (day + dt.timedelta(days=data.draw(st.integers(0, 60)))).isoformat()
        return action_notice(iso, "split", later, later)
    if kind == "rs_effective":
        return {"type": "rs_effective", "date": iso}
    if kind == "lapsed":
        return lapsed(iso)
    if kind == "restored":
        return restored(iso)
    return {**MERGER, "date": iso}


RETROACTIVE = ("stock_split", "stock_dividend", "reverse_split", "reclassification")


def applies_on(event) -> dt.date:
    """W 11: an adjustment is "retroactive to the record date"; everything else applies on its date."""
    return (event.record_date or event.date) if event.type in RETROACTIVE else event.date


@PROPERTY
@given(st.data())
def test_property_the_register_rebuilt_from_the_ledger_equals_the_register_kept_incrementally(data):
    count = data.draw(st.integers(1, 14), label="events")
    days = [D("2000-01-03") + dt.timedelta(days=data.draw(st.integers(0, 1_700))) for _ in range(count)]
    events = [parse_event(CLOSING)] + [parse_event(any_event(data, day)) for day in days]
    ctx = quoted_context()

    # kept incrementally: one event at a time, in the documented order (applies-on day, then as recorded)
    kept = Register(ctx)
    for event in sorted(events, key=applies_on):
        with contextlib.suppress(Rejected):
            kept.apply(event)
    last = max(applies_on(event) for event in events)

    rebuilt = fold([Located(e, "ledger", n) for n, e in enumerate(events, start=1)], ctx, until=last)
    problems = rebuilt.problems
    assert snapshot_of(rebuilt.at(last)) == snapshot_of(kept.state)
    note(f"refused: {'some' if problems else 'none'}")
    note(f"exercises accepted: {sorted({r.method for r in kept.exercises}) or 'none'}")
    note(f"adjustments: {sorted({a.kind for a in kept.adjustments}) or 'none'}")

    # and from the ledger's JSON lines
    lines = [json.dumps(event_to_json(e)) for e in events]
    reread = [parse_event(json.loads(line, parse_float=Decimal)) for line in lines]
    assert reread == events
    from_json = fold([Located(e, "ledger", n) for n, e in enumerate(reread, start=1)], ctx, until=last)
    assert snapshot_of(from_json.at(last)) == snapshot_of(kept.state)
    assert from_json.problems == problems
