"""RRA 3(e), 3(g), 4: Registration Default days and liquidated damages, worked by hand.

Each test is a docket a securities lawyer can check with a pencil: the events,
the default days they make (docs/liquidated-damages.md §2), and the damages
(§3) computed here from the scenario's own numbers -- never by the engine's
helpers. Prices come from ``flat_quotes``: every Trading Day closes at $2.00
unless a scenario moves it, so the monthly figures are round:

    Raptor      871,500 x $2.00 = $1,743,000  -> 1% a month = $17,430
    Altar Rock    3,500 x $2.00 =      $7,000 -> 1% a month =     $70
    Roseworth   375,000 x $2.00 =    $750,000 -> 1% a month =  $7,500

accrual(d) = rate(d) x held(d) x price(d) / days in d's month period, summed
exactly over the default days and rounded half-up to the cent once.
Deadlines: F = 1999-12-27 (1999-12-24 rolled over Christmas observed);
E = 2000-03-23 (120 days) or 2000-04-24 (150, rolled from Sat 04-22).
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from fractions import Fraction

import pytest
from scenario import CLOSING, D, evaluate_focus, flat_quotes, log

SHARES = {"raptor": 871_500, "altar-rock": 3_500, "roseworth": 375_000}
INVESTORS = tuple(SHARES)
ONE = Fraction(1, 100)   # 1% a month, months 0 and 1 of a default period
TWO = Fraction(2, 100)   # 2% a month, from month 2 on
P2 = Fraction("2.00")    # the flat close
PURCHASE_PRICE = Fraction("1.60")


def cents(value: Fraction | int) -> Decimal:
    """An exact amount rounded half-up to the cent (integer arithmetic, no floats)."""
    value = Fraction(value) * 100
    whole, rest = divmod(abs(value.numerator), value.denominator)
    if 2 * rest >= value.denominator:
        whole += 1
    sign = -1 if value < 0 else 1
    return Decimal(sign * whole).scaleb(-2)


def each(owed) -> dict[str, Decimal]:
    """``owed(shares)`` -> exact amount, for each investor, rounded to the cent."""
    return {investor: cents(owed(shares)) for investor, shares in SHARES.items()}


@functools.cache
def flat(close: str = "2.00", changes: tuple[tuple[str, str], ...] = ()):
    return flat_quotes(close, changes=dict(changes))


def run(events: list[dict], as_of: str, quotes=None, **overrides):
    return evaluate_focus(log(CLOSING, *events), as_of, quotes=quotes or flat(), **overrides)


def accrued(result) -> dict[str, Decimal]:
    return {investor: result.damages[investor].accrued for investor in INVESTORS}


def periods(result, investor: str = "raptor") -> list[tuple[dt.date, dt.date, int]]:
    return [(p.first, p.last, p.days) for p in result.damages[investor].periods]


def runs(result) -> list[tuple[str, dt.date, dt.date, int]]:
    """The deal-level default runs (kind, first day, last day, days), by first day.

    Read from ``result.defaults`` when the evaluation has it, else from the documented
    JSON (``registration_defaults``), which is the same list."""
    rows = getattr(result, "defaults", None)
    if rows is not None:
        found = [(d.kind, d.start, d.end, d.days) for d in rows]
    else:
        from pipedeal.outputs.report import to_json

        found = [(row["kind"], D(row["start"]), D(row["end"]), row["days"])
                 for row in to_json(result)["registration_defaults"]]
    return sorted(found, key=lambda r: (r[1], r[0]))


def obligations(result) -> dict:
    return {o.kind: o for o in result.obligations}


def zero() -> dict[str, Decimal]:
    return {investor: Decimal("0.00") for investor in INVESTORS}


# Docket pieces -----------------------------------------------------------------------------------

FILED_ON_TIME = {"type": "rs_filed", "date": "1999-12-20"}
EFFECTIVE_FEB_1 = {"type": "rs_effective", "date": "2000-02-01"}   # before E = 2000-03-23
REGISTERED = [FILED_ON_TIME, EFFECTIVE_FEB_1]


def filed(day: str, statement: str = "primary") -> dict:
    return {"type": "rs_filed", "date": day, "statement": statement}


def effective(day: str, statement: str = "primary") -> dict:
    return {"type": "rs_effective", "date": day, "statement": statement}


def lapse(start: str, restored: str | None, reason: str = "other") -> list[dict]:
    events = [{"type": "effectiveness_lapsed", "date": start, "reason": reason}]
    if restored:
        events.append({"type": "effectiveness_restored", "date": restored})
    return events


def blackout(notice: str, start: str, end: str) -> dict:
    return {"type": "blackout", "date": notice, "start": start, "end": end}


def sold(day: str, investor: str, shares: int) -> dict:
    return {"type": "shares_sold", "date": day, "investor": investor, "shares": shares}


# 1. Filing default (RRA 3(e)(i)) -------------------------------------------------------------------

def test_no_filing_by_2000_01_10_is_a_14_day_filing_default():
    result = run([], "2000-01-10")
    # Default days: after F (1999-12-27) through the as-of date: 12-28..12-31 (4) + 01-01..01-10 (10) = 14.
    assert runs(result) == [("filing", D("1999-12-28"), D("2000-01-10"), 14)]
    assert periods(result) == [(D("1999-12-28"), D("2000-01-10"), 14)]
    # Month 0 runs 1999-12-28 -> 2000-01-28: 31 days; all 14 days at 1%.
    assert accrued(result) == each(lambda n: n * P2 * ONE * 14 / 31)
    # Raptor $17,430 x 14/31 = $7,871.6129; Altar Rock $70 x 14/31 = $31.6129; Roseworth $7,500 x 14/31 = $3,387.0968
    assert accrued(result) == {"raptor": Decimal("7871.61"), "altar-rock": Decimal("31.61"),
                               "roseworth": Decimal("3387.10")}


def test_the_real_s3_filed_2000_01_13_leaves_16_default_days_the_cure_day_not_counted():
    result = run([filed("2000-01-13")], "2000-02-01")
    # 12-28..01-12: 4 + 12 = 16 days; 01-13 (the filing) is the cure day.
    assert runs(result) == [("filing", D("1999-12-28"), D("2000-01-12"), 16)]
    assert accrued(result) == each(lambda n: n * P2 * ONE * 16 / 31)
    # Raptor $17,430 x 16/31 = $8,996.1290
    assert accrued(result)["raptor"] == Decimal("8996.13")
    assert accrued(result)["roseworth"] == Decimal("3870.97")    # $7,500 x 16/31 = $3,870.9677


def test_filing_on_the_rolled_deadline_owes_nothing():
    result = run([filed("1999-12-27")], "2000-02-01")
    assert runs(result) == []
    assert accrued(result) == zero()


def test_as_of_the_deadline_day_nothing_has_accrued_yet():
    result = run([], "1999-12-27")
    assert runs(result) == []
    assert accrued(result) == zero()


def test_without_the_roll_the_filing_default_starts_on_christmas_day():
    result = run([filed("2000-01-13")], "2000-02-01", roll_deadlines="none")
    # F = 1999-12-24 unrolled: default days 12-25..01-12 = 7 + 12 = 19; month 12-25 -> 01-25 = 31 days.
    assert runs(result) == [("filing", D("1999-12-25"), D("2000-01-12"), 19)]
    assert accrued(result) == each(lambda n: n * P2 * ONE * 19 / 31)
    assert accrued(result)["raptor"] == Decimal("10682.90")     # $17,430 x 19/31 = $10,682.9032


def test_facts_after_the_as_of_date_are_not_known():
    # The filing on 2000-01-13 is in the log, but as of 01-10 nobody knows it yet: 14 days, as with no filing.
    result = run([filed("2000-01-13")], "2000-01-10")
    assert runs(result) == [("filing", D("1999-12-28"), D("2000-01-10"), 14)]
    assert accrued(result)["raptor"] == Decimal("7871.61")


# 2. The 1%-then-2% schedule (RRA 3(e)(B)) ----------------------------------------------------------

FILED_MARCH_15 = [filed("2000-03-15")]


def test_a_filing_default_into_its_third_month_steps_up_to_two_percent():
    result = run(FILED_MARCH_15, "2000-03-20")
    # Default days 1999-12-28..2000-03-14. Months of the period:
    #   month 0  [12-28, 01-28)  31 days, all default, 1%  -> one full 1% month
    #   month 1  [01-28, 02-28)  31 days, all default, 1%  -> one full 1% month
    #   month 2  [02-28, 03-28)  29 days (02-28, 02-29, 03-01..03-27: 2000 is a leap year),
    #            default 02-28..03-14 = 16 days at 2%
    assert periods(result) == [(D("1999-12-28"), D("2000-03-14"), 78)]
    assert accrued(result) == each(lambda n: n * P2 * (ONE * 31 / 31 + ONE * 31 / 31 + TWO * 16 / 29))
    # Raptor: $17,430 + $17,430 + $34,860 x 16/29 ($19,233.1034) = $54,093.1034
    assert accrued(result) == {"raptor": Decimal("54093.10"), "altar-rock": Decimal("217.24"),
                               "roseworth": Decimal("23275.86")}


def test_thirty_day_count_keeps_the_month_boundaries_but_divides_by_30():
    result = run(FILED_MARCH_15, "2000-03-20", ld_day_count="thirty")
    # 62 days of months 0-1 at 1%/30, 16 days of month 2 at 2%/30.
    assert accrued(result) == each(lambda n: n * P2 * (ONE * 62 / 30 + TWO * 16 / 30))
    # Raptor: $17,430 x 62/30 = $36,022 + $34,860 x 16/30 = $18,592 -> $54,614.00
    assert accrued(result)["raptor"] == Decimal("54614.00")
    assert accrued(result)["altar-rock"] == Decimal("219.33")   # $144.6667 + $74.6667


def test_actual_365_day_count_keeps_the_month_boundaries_and_pays_rate_x_12_over_365():
    result = run(FILED_MARCH_15, "2000-03-20", ld_day_count="actual_365")
    assert accrued(result) == each(lambda n: n * P2 * (ONE * 62 + TWO * 16) * 12 / 365)
    # Raptor: $1,743,000 x 0.94 x 12/365 = $53,865.8630
    assert accrued(result)["raptor"] == Decimal("53865.86")


# 3. End-of-month clamping of the month periods --------------------------------------------------

def test_a_lapse_from_may_31_has_months_ending_june_30_then_july_31_then_august_31():
    result = run(REGISTERED + lapse("2000-05-31", "2000-08-15"), "2000-09-01")
    # Lapse days 05-31..08-14 (08-15 restores): 1 + 30 + 31 + 14 = 76.
    #   month 0 [05-31, 06-30) 30 days, 1%, full
    #   month 1 [06-30, 07-31) 31 days, 1%, full
    #   month 2 [07-31, 08-31) 31 days, 2%, default 07-31..08-14 = 15 days
    assert runs(result) == [("lapse", D("2000-05-31"), D("2000-08-14"), 76)]
    assert accrued(result) == each(lambda n: n * P2 * (ONE + ONE + TWO * 15 / 31))
    # Raptor: $34,860 + $34,860 x 15/31 ($16,867.7419) = $51,727.7419
    assert accrued(result) == {"raptor": Decimal("51727.74"), "altar-rock": Decimal("207.74"),
                               "roseworth": Decimal("22258.06")}


def test_a_lapse_from_january_31_has_months_starting_feb_28_and_then_march_31_not_march_28():
    result = run(REGISTERED + lapse("2001-01-31", "2001-04-15"), "2001-05-01")
    #   month 0 [2001-01-31, 02-28) 28 days, 1%, full
    #   month 1 [02-28, 03-31)       31 days, 1%, full (keeps day 31: not 03-28)
    #   month 2 [03-31, 04-30)       30 days, 2%, default 03-31..04-14 = 15 days
    assert accrued(result) == each(lambda n: n * P2 * (ONE + ONE + TWO * 15 / 30))
    assert accrued(result)["raptor"] == Decimal("52290.00")     # $34,860 + $17,430


# 4. ld_day_count on the 14-day filing default ---------------------------------------------------

def test_thirty_day_count_on_the_14_day_filing_default():
    result = run([], "2000-01-10", ld_day_count="thirty")
    assert accrued(result) == each(lambda n: n * P2 * ONE * 14 / 30)
    # $17,430 x 14/30 = $8,134.00; $70 x 14/30 = $32.6667; $7,500 x 14/30 = $3,500.00
    assert accrued(result) == {"raptor": Decimal("8134.00"), "altar-rock": Decimal("32.67"),
                               "roseworth": Decimal("3500.00")}


def test_actual_365_day_count_on_the_14_day_filing_default():
    result = run([], "2000-01-10", ld_day_count="actual_365")
    assert accrued(result) == each(lambda n: n * P2 * ONE * 12 / 365 * 14)
    # $17,430 x 12/365 x 14 = $8,022.5753; $70 -> $32.2192; $7,500 -> $3,452.0548
    assert accrued(result) == {"raptor": Decimal("8022.58"), "altar-rock": Decimal("32.22"),
                               "roseworth": Decimal("3452.05")}


# 5. ld_market_value: the close of each day, or the Closing Date close ---------------------------

# $2.50 on the Closing Date, $2.00 from 1999-11-26 (11-25 was Thanksgiving), $3.00 from Mon 2000-01-03.
MOVING = (("1999-11-24", "2.50"), ("1999-11-25", "2.00"), ("2000-01-03", "3.00"))


def test_daily_close_values_each_default_day_at_that_days_close():
    result = run([], "2000-01-10", quotes=flat("2.00", MOVING))
    # 12-28..12-31 close $2.00; Sat 01-01 and Sun 01-02 take Friday 12-31's $2.00: 6 days at $2.00.
    # 01-03..01-10 (Sat 01-08, Sun 01-09 take Friday's $3.00): 8 days at $3.00.
    assert accrued(result) == each(lambda n: n * ONE * (6 * Fraction("2.00") + 8 * Fraction("3.00")) / 31)
    # Raptor: 871,500 x 1% x $36 / 31 = $10,120.6452
    assert accrued(result)["raptor"] == Decimal("10120.65")


def test_closing_date_values_every_default_day_at_the_1999_11_24_close():
    result = run([], "2000-01-10", quotes=flat("2.00", MOVING), ld_market_value="closing_date")
    assert accrued(result) == each(lambda n: n * Fraction("2.50") * ONE * 14 / 31)
    # Raptor: 871,500 x $2.50 = $2,178,750; 1% x 14/31 = $9,839.5161
    assert accrued(result)["raptor"] == Decimal("9839.52")


def test_a_trading_day_without_a_close_during_a_default_is_an_error_naming_it():
    from pipedeal.base.diagnostics import InputError
    from pipedeal.base.quotes import QuoteBook

    quotes = QuoteBook([q for q in flat().quotes() if q.date != D("2000-01-05")], "gappy quotes")
    with pytest.raises(InputError, match="2000-01-05"):
        run([], "2000-01-10", quotes=quotes)


# 6. A 3-for-2 split during the default ----------------------------------------------------------

SPLIT = {"type": "stock_split", "date": "2000-01-03", "ratio": "3:2"}


@pytest.mark.parametrize("reading", ["daily_close", "closing_date"])
def test_a_3_for_2_split_with_the_price_falling_to_two_thirds_changes_no_dollars(reading):
    # $3.00 through 12-31 (and on the Closing Date); $2.00 from the split on 2000-01-03.
    quotes = flat("3.00", (("2000-01-03", "2.00"),))
    result = run([SPLIT], "2000-01-10", quotes=quotes, ld_market_value=reading)
    # daily_close: 871,500 x $3.00 = $2,614,500 before; 1,307,250 x $2.00 = $2,614,500 after.
    # closing_date: held x $3.00 / (3/2) = 871,500 x $3.00 on every day.
    assert accrued(result) == each(lambda n: n * Fraction("3.00") * ONE * 14 / 31)
    assert accrued(result)["raptor"] == Decimal("11807.42")    # $26,145 x 14/31 = $11,807.4194


def test_after_a_split_daily_close_follows_the_new_share_count_times_the_close():
    quotes = flat("3.00", (("2000-01-03", "2.10"),))
    result = run([SPLIT], "2000-01-10", quotes=quotes)
    # 12-28..01-02: 6 days x 871,500 x $3.00; 01-03..01-10: 8 days x (871,500 x 3/2 = 1,307,250) x $2.10.
    assert accrued(result) == each(
        lambda n: ONE * (6 * n * Fraction("3.00") + 8 * n * Fraction(3, 2) * Fraction("2.10")) / 31)
    # Raptor: 1% x ($15,687,000 + $21,961,800) / 31 = $12,144.7742
    assert accrued(result)["raptor"] == Decimal("12144.77")


def test_after_a_split_closing_date_keeps_the_closing_dollars():
    quotes = flat("3.00", (("2000-01-03", "2.10"),))
    result = run([SPLIT], "2000-01-10", quotes=quotes, ld_market_value="closing_date")
    assert accrued(result) == each(lambda n: n * Fraction("3.00") * ONE * 14 / 31)
    assert accrued(result)["raptor"] == Decimal("11807.42")


# 7. Shares sold during a default ----------------------------------------------------------------

def test_shares_sold_during_a_default_reduce_the_shares_held_from_the_sale_date():
    result = run([sold("2000-01-05", "raptor", 500_000)], "2000-01-10")
    # Raptor holds 871,500 on 12-28..01-04 (8 days) and 371,500 on 01-05..01-10 (6 days).
    raptor = (871_500 * 8 + 371_500 * 6) * P2 * ONE / 31
    assert accrued(result)["raptor"] == cents(raptor) == Decimal("5936.13")   # $184,020 / 31 = $5,936.1290
    assert accrued(result)["roseworth"] == Decimal("3387.10")                  # unaffected


def test_selling_everything_stops_the_accrual_for_that_investor_only():
    result = run([sold("2000-01-05", "raptor", 871_500)], "2000-01-10")
    # Raptor: 8 days (12-28..01-04) at $17,430/31 a day = $4,498.0645; nothing from 01-05.
    assert accrued(result)["raptor"] == cents(871_500 * P2 * ONE * 8 / 31) == Decimal("4498.06")
    assert accrued(result)["altar-rock"] == Decimal("31.61")
    assert accrued(result)["roseworth"] == Decimal("3387.10")


# 8. ld_schedule_clock with two separate default periods -----------------------------------------

# Filed 2000-02-20 (54 filing-default days 12-28..02-19), effective 03-10 (before E),
# then a lapse 06-01..06-19 (19 days, restored 06-20).
TWO_PERIODS = [filed("2000-02-20"), effective("2000-03-10"), *lapse("2000-06-01", "2000-06-20")]


def test_per_default_period_clock_restarts_the_one_percent_months_at_the_lapse():
    result = run(TWO_PERIODS, "2000-07-01")
    assert periods(result) == [(D("1999-12-28"), D("2000-02-19"), 54), (D("2000-06-01"), D("2000-06-19"), 19)]
    # Period 1: month 0 [12-28, 01-28) full at 1%; month 1 [01-28, 02-28) 31 days, 23 of them (01-28..02-19).
    # Period 2: month 0 [06-01, 07-01) 30 days, 19 of them at 1%.
    assert accrued(result) == each(lambda n: n * P2 * (ONE + ONE * 23 / 31 + ONE * 19 / 30))
    # Raptor: $17,430 + $12,931.9355 + $11,039.00 = $41,400.9355
    assert accrued(result)["raptor"] == Decimal("41400.94")


def test_cumulative_clock_lays_the_lapse_after_the_filing_default_and_reaches_two_percent():
    result = run(TWO_PERIODS, "2000-07-01", ld_schedule_clock="cumulative")
    # Joined timeline from 1999-12-28: the filing default fills 12-28..02-19 (54 days); the 19 lapse
    # days take the places 02-20..03-09. 02-20..02-27 (8) fall in month 1 [01-28, 02-28), 31 days, 1%;
    # 02-28..03-09 (11) fall in month 2 [02-28, 03-28), 29 days, 2%.
    assert accrued(result) == each(lambda n: n * P2 * (ONE + ONE * (23 + 8) / 31 + TWO * 11 / 29))
    # Raptor: $17,430 + $17,430 + $34,860 x 11/29 ($13,222.7586) = $48,082.7586
    assert accrued(result)["raptor"] == Decimal("48082.76")
    assert periods(result) == [(D("1999-12-28"), D("2000-02-19"), 54), (D("2000-06-01"), D("2000-06-19"), 19)]


# 9. Effectiveness default (RRA 3(e)(ii)) ---------------------------------------------------------

LATE_EFFECTIVE = [FILED_ON_TIME, effective("2000-04-10")]


def test_effective_2000_04_10_is_17_days_late_under_120_days():
    result = run(LATE_EFFECTIVE, "2000-04-15")
    # E = 2000-03-23: default days 03-24..04-09 = 8 + 9 = 17; month [03-24, 04-24) = 31 days.
    assert runs(result) == [("effectiveness", D("2000-03-24"), D("2000-04-09"), 17)]
    assert accrued(result) == each(lambda n: n * P2 * ONE * 17 / 31)
    assert accrued(result)["raptor"] == Decimal("9558.39")      # $17,430 x 17/31 = $9,558.3871


def test_effective_2000_04_10_is_on_time_under_150_days():
    result = run(LATE_EFFECTIVE, "2000-04-15", effectiveness_days=150)
    assert runs(result) == []
    assert accrued(result) == zero()


def test_a_full_review_gives_150_days_whatever_the_reading():
    result = run([FILED_ON_TIME, {"type": "full_review", "date": "2000-01-20"}, effective("2000-04-10")],
                 "2000-04-15")
    assert runs(result) == []
    assert accrued(result) == zero()


def test_after_a_full_review_effectiveness_after_2000_04_24_is_late():
    result = run([FILED_ON_TIME, {"type": "full_review", "date": "2000-01-20"}, effective("2000-05-01")],
                 "2000-05-15")
    # E = 04-22 rolled to Mon 04-24; default 04-25..04-30 = 6 days; month [04-25, 05-25) = 30 days.
    assert runs(result) == [("effectiveness", D("2000-04-25"), D("2000-04-30"), 6)]
    assert accrued(result) == each(lambda n: n * P2 * ONE * 6 / 30)
    assert accrued(result)["raptor"] == Decimal("3486.00")


def test_sec_clearance_plus_five_days_rolled_past_presidents_day_then_two_late_days():
    result = run([FILED_ON_TIME, {"type": "sec_clearance", "date": "2000-02-14"}, effective("2000-02-25")],
                 "2000-03-01")
    # 02-14 + 5 = Sat 02-19 -> Mon 02-21 is Presidents' Day -> E = Tue 02-22.
    # Default 02-23, 02-24 (02-25 cures); month [02-23, 03-23) = 7 + 22 = 29 days.
    assert obligations(result)["rs_effectiveness"].due == D("2000-02-22")
    assert runs(result) == [("effectiveness", D("2000-02-23"), D("2000-02-24"), 2)]
    assert accrued(result) == each(lambda n: n * P2 * ONE * 2 / 29)
    assert accrued(result) == {"raptor": Decimal("1202.07"), "altar-rock": Decimal("4.83"),
                               "roseworth": Decimal("517.24")}


# 10. Lapses (RRA 3(e)(iii), 3(b)) ---------------------------------------------------------------
# Fiscal year end 1999-12-31: the financial-statement window is (FYE + 45, FYE + 90] =
# (2000-02-14, 2000-03-30] -- 2000 is a leap year, so FYE + 90 days is March 30, not March 31.

def test_a_financial_statements_lapse_is_excused_only_inside_the_window():
    result = run(REGISTERED + lapse("2000-02-10", "2000-03-05", "financial_statements"), "2000-03-31")
    # Lapse 02-10..03-04; 02-15..03-04 lie inside the window: only 02-10..02-14 (5 days) count.
    # Month [02-10, 03-10) = 20 + 9 = 29 days.
    assert runs(result) == [("lapse", D("2000-02-10"), D("2000-02-14"), 5)]
    assert accrued(result) == each(lambda n: n * P2 * ONE * 5 / 29)
    assert accrued(result)["raptor"] == Decimal("3005.17")      # $17,430 x 5/29 = $3,005.1724


def test_a_financial_statements_lapse_past_fye_plus_90_counts_from_march_31_2000():
    result = run(REGISTERED + lapse("2000-03-20", "2000-04-05", "financial_statements"), "2000-04-30")
    # Window ends 2000-03-30: default days 03-31..04-04 = 5; month [03-31, 04-30) = 30 days.
    assert runs(result) == [("lapse", D("2000-03-31"), D("2000-04-04"), 5)]
    assert accrued(result) == each(lambda n: n * P2 * ONE * 5 / 30)
    assert accrued(result)["raptor"] == Decimal("2905.00")


def test_in_2001_the_financial_statements_window_runs_through_march_31():
    result = run([*REGISTERED, *lapse("2001-03-25", "2001-04-05", "financial_statements")], "2001-04-30")
    # FYE 2000-12-31 + 90 days = 2001-03-31 (no February 29): default days 04-01..04-04,
    # month [04-01, 05-01) = 30 days.
    assert runs(result) == [("lapse", D("2001-04-01"), D("2001-04-04"), 4)]
    assert accrued(result) == each(lambda n: n * P2 * ONE * 4 / 30)
    assert accrued(result)["raptor"] == Decimal("2324.00")


@pytest.mark.parametrize("reason", ["other", "stop_order"])
def test_a_lapse_for_any_other_reason_counts_every_day(reason):
    result = run(REGISTERED + lapse("2000-02-10", "2000-03-05", reason), "2000-03-31")
    # 02-10..03-04 = 20 + 4 = 24 days, month [02-10, 03-10) = 29 days.
    assert runs(result) == [("lapse", D("2000-02-10"), D("2000-03-04"), 24)]
    assert accrued(result) == each(lambda n: n * P2 * ONE * 24 / 29)
    assert accrued(result)["raptor"] == Decimal("14424.83")     # $17,430 x 24/29 = $14,424.8276


def test_an_unrestored_lapse_runs_to_the_as_of_date():
    result = run(REGISTERED + lapse("2000-06-01", None), "2000-06-10")
    # 06-01..06-10 = 10 days of month [06-01, 07-01), 30 days.
    assert runs(result) == [("lapse", D("2000-06-01"), D("2000-06-10"), 10)]
    assert accrued(result)["raptor"] == cents(871_500 * P2 * ONE * 10 / 30) == Decimal("5810.00")


def test_as_written_a_lapse_after_the_rule_144k_date_is_still_a_default():
    # RRA 3(b)(v) ends the period only "in the opinion of counsel"; none is recorded, so the
    # Effectiveness Period runs on (effectiveness_period_end=as_written): all of 11-20..12-09.
    result = run(REGISTERED + lapse("2001-11-20", "2001-12-10"), "2001-12-31")
    assert runs(result) == [("lapse", D("2001-11-20"), D("2001-12-09"), 20)]
    assert accrued(result) == each(lambda n: n * P2 * ONE * 20 / 30)
    assert accrued(result)["raptor"] == Decimal("11620.00")


def test_per_lot_rule144_stops_the_shares_damages_at_their_rule_144k_date():
    result = run(REGISTERED + lapse("2001-11-20", "2001-12-10"), "2001-12-31",
                 effectiveness_period_end="per_lot_rule144")
    # The Shares could be sold under Rule 144(k) from 2001-11-24 (Closing + 2 years): 11-20..11-23 = 4 days
    # bear damages, in a 30-day month; the lapse itself is still a default of the period.
    assert runs(result) == [("lapse", D("2001-11-20"), D("2001-12-09"), 20)]
    assert periods(result) == [(D("2001-11-20"), D("2001-11-23"), 4)]
    assert accrued(result) == each(lambda n: n * P2 * ONE * 4 / 30)
    assert accrued(result)["raptor"] == Decimal("2324.00")


def test_all_securities_rule144_ends_the_period_once_the_warrants_are_gone_too():
    # Every Share passed its Rule 144(k) date on 2001-11-24, but Warrant Shares could be issued until the
    # Warrants expired after the close of 2004-12-01: the period ends 2004-12-02, so a lapse in
    # November 2004 is a default and one in December 2004 is not.
    late = run(REGISTERED + lapse("2004-11-22", "2004-12-06"), "2004-12-31",
               effectiveness_period_end="all_securities_rule144")
    assert runs(late) == [("lapse", D("2004-11-22"), D("2004-12-01"), 10)]
    assert late.default_days.period.end == D("2004-12-02")
    # Month [11-22, 12-22) = 30 days.
    assert accrued(late)["raptor"] == cents(871_500 * P2 * ONE * 10 / 30) == Decimal("5810.00")
    as_written = run(REGISTERED + lapse("2004-11-22", "2004-12-06"), "2004-12-31")
    assert runs(as_written) == [("lapse", D("2004-11-22"), D("2004-12-05"), 14)]


@pytest.mark.parametrize(("years", "days"), [("2y", 20), ("1y", 4)])
def test_rule144k_years_decides_whether_a_november_2000_lapse_bears_damages(years, days):
    result = run(REGISTERED + lapse("2000-11-20", "2000-12-10"), "2000-12-31", rule144k_years=years,
                 effectiveness_period_end="per_lot_rule144")
    # 2 years: all of 11-20..12-09 (20 days); 1 year: the Shares' Rule 144(k) date is 2000-11-24, so 11-20..11-23.
    # Month [11-20, 12-20) = 30 days.
    assert accrued(result) == each(lambda n: n * P2 * ONE * days / 30)
    assert accrued(result)["raptor"] == {20: Decimal("11620.00"), 4: Decimal("2324.00")}[days]


def test_an_effectiveness_period_end_event_ends_the_lapse_default():
    events = [*REGISTERED, {"type": "effectiveness_period_end", "date": "2000-06-10", "reason": "rule144_opinion"}]
    result = run(events + lapse("2000-06-01", "2000-06-20"), "2000-06-30")
    # 06-01..06-09 = 9 days; month [06-01, 07-01) = 30 days.
    assert runs(result) == [("lapse", D("2000-06-01"), D("2000-06-09"), 9)]
    assert accrued(result)["raptor"] == cents(871_500 * P2 * ONE * 9 / 30) == Decimal("5229.00")


# 11. Blackouts after effectiveness (RRA 3(g)) ----------------------------------------------------
# Blackout from Mon 2000-04-10; the 2nd Trading Day before it is Thu 04-06 (Fri 04-07 is the 1st).

def test_a_30_day_blackout_is_free():
    result = run([*REGISTERED, blackout("2000-04-03", "2000-04-10", "2000-05-09")], "2000-06-01")
    # 04-10..04-30 (21) + 05-01..05-09 (9) = 30 days: within the cap.
    assert runs(result) == []
    assert accrued(result) == zero()


def test_the_31st_blackout_day_is_a_default_day():
    result = run([*REGISTERED, blackout("2000-04-03", "2000-04-10", "2000-05-10")], "2000-06-01")
    # 05-10 is the 31st blackout day in (1999-05-10, 2000-05-10]; month [05-10, 06-10) = 31 days.
    assert runs(result) == [("blackout", D("2000-05-10"), D("2000-05-10"), 1)]
    assert accrued(result) == each(lambda n: n * P2 * ONE * 1 / 31)
    assert accrued(result) == {"raptor": Decimal("562.26"), "altar-rock": Decimal("2.26"),
                               "roseworth": Decimal("241.94")}


def test_blackout_days_are_counted_in_a_rolling_year():
    events = [
        *REGISTERED,
        blackout("2000-04-03", "2000-04-10", "2000-04-29"),   # 20 days
        blackout("2000-09-27", "2000-10-02", "2000-10-16"),   # 15 days: 10-12 is the 31st in the year
        blackout("2001-04-24", "2001-05-01", "2001-05-10"),   # 10 days: the April 2000 days have rolled off
    ]
    result = run(events, "2001-06-01")
    # 10-12..10-16 = 5 default days; month [10-12, 11-12) = 31 days. In May 2001 the window
    # (2000-05-10, 2001-05-10] holds 15 + 10 = 25 blackout days: no default.
    assert runs(result) == [("blackout", D("2000-10-12"), D("2000-10-16"), 5)]
    assert accrued(result) == each(lambda n: n * P2 * ONE * 5 / 31)
    assert accrued(result)["raptor"] == Decimal("2811.29")      # $17,430 x 5/31 = $2,811.2903


def test_a_late_blackout_notice_is_a_breach_not_a_default():
    result = run([*REGISTERED, blackout("2000-04-07", "2000-04-10", "2000-04-29")], "2000-06-01")
    assert "BLACKOUT-LATE-NOTICE" in [breach.code for breach in result.breaches]
    assert runs(result) == []
    assert accrued(result) == zero()


def test_a_blackout_notice_two_trading_days_ahead_is_on_time():
    result = run([*REGISTERED, blackout("2000-04-06", "2000-04-10", "2000-04-29")], "2000-06-01")
    assert "BLACKOUT-LATE-NOTICE" not in [breach.code for breach in result.breaches]


def test_a_lapse_inside_a_permitted_blackout_is_not_a_default_until_the_blackout_ends():
    events = [*REGISTERED, blackout("2000-04-03", "2000-04-10", "2000-04-29"), *lapse("2000-04-10", "2000-05-05")]
    result = run(events, "2000-06-01")
    # Lapse 04-10..05-04; 04-10..04-29 are permitted blackout days. Default 04-30..05-04 = 5 days,
    # month [04-30, 05-30) = 30 days.
    assert runs(result) == [("lapse", D("2000-04-30"), D("2000-05-04"), 5)]
    assert accrued(result)["raptor"] == cents(871_500 * P2 * ONE * 5 / 30) == Decimal("2905.00")


def test_a_blackout_before_the_filing_date_moves_the_filing_default():
    events = [blackout("1999-12-08", "1999-12-10", "1999-12-19"), filed("2000-01-05")]
    result = run(events, "2000-02-01")
    # F = 1999-12-24 + 10 blackout days = Mon 2000-01-03; filed 01-05: one default day, 01-04.
    # Month [01-04, 02-04) = 31 days.
    assert runs(result) == [("filing", D("2000-01-04"), D("2000-01-04"), 1)]
    assert accrued(result) == each(lambda n: n * P2 * ONE * 1 / 31)
    assert accrued(result)["raptor"] == Decimal("562.26")


def test_blackout_days_before_effectiveness_do_not_count_toward_the_30_day_cap():
    events = [
        blackout("1999-11-29", "1999-12-02", "1999-12-16"),   # 15 days before filing (extends F)
        filed("2000-01-05"), EFFECTIVE_FEB_1,                   # F = 01-08 + roll = Mon 01-10: on time
        blackout("2000-04-03", "2000-04-10", "2000-05-01"),   # 22 days after effectiveness
    ]
    result = run(events, "2000-06-01")
    # (1999-05-01, 2000-05-01] holds 15 + 22 = 37 blackout days, but only the 22 after the
    # effective date count: no default.
    assert runs(result) == []
    assert accrued(result) == zero()


# 12. Investor delay (RRA 4) and the underwriter request (RRA 3(e)(ii)) ---------------------------

def delay(start: str, end: str, investor: str | None = None) -> dict:
    event = {"type": "investor_delay", "date": start, "start": start, "end": end}
    if investor:
        event["investor"] = investor
    return event


def test_an_investor_delay_of_all_investors_splits_the_filing_default_in_two():
    result = run([delay("1999-12-30", "2000-01-30")], "2000-02-05")
    # Default days 12-28, 12-29 and 01-31..02-05. Two periods:
    #   [12-28 .. 12-29]: month [12-28, 01-28) = 31 days, 2 days
    #   [01-31 .. 02-05]: month [01-31, 02-29) = 29 days (clamped to Feb 29, 2000), 6 days
    assert periods(result) == [(D("1999-12-28"), D("1999-12-29"), 2), (D("2000-01-31"), D("2000-02-05"), 6)]
    assert accrued(result) == each(lambda n: n * P2 * ONE * (Fraction(2, 31) + Fraction(6, 29)))
    # Raptor: $17,430 x 2/31 ($1,124.5161) + $17,430 x 6/29 ($3,606.2069) = $4,730.7230
    assert accrued(result)["raptor"] == Decimal("4730.72")


def test_an_investor_delay_naming_one_investor_excuses_only_that_investor():
    result = run([delay("1999-12-30", "2000-01-30", "roseworth")], "2000-02-05")
    # Raptor and Altar Rock: 12-28..02-05 unbroken; month 0 full, month 1 [01-28, 02-28) 9 days.
    raptor = 871_500 * P2 * (ONE + ONE * 9 / 31)
    altar = 3_500 * P2 * (ONE + ONE * 9 / 31)
    rose = 375_000 * P2 * ONE * (Fraction(2, 31) + Fraction(6, 29))
    assert accrued(result) == {"raptor": cents(raptor), "altar-rock": cents(altar), "roseworth": cents(rose)}
    assert accrued(result)["raptor"] == Decimal("22490.32")     # $17,430 + $5,060.3226
    assert accrued(result)["roseworth"] == Decimal("2035.60")   # $483.8710 + $1,551.7241 = $2,035.5951


def underwriter(start: str, end: str, investor: str | None = None) -> dict:
    event = {"type": "underwriter_request", "date": start, "start": start, "end": end}
    if investor:
        event["investor"] = investor
    return event


def test_an_underwriter_request_before_the_deadline_excuses_the_whole_failure_to_become_effective():
    # RRA 3(e)(ii) "due in whole or in part to the Commission's request": the request began 03-20, before
    # the deadline 03-23, so the failure to be effective by then is no Registration Default at all.
    result = run([*LATE_EFFECTIVE, underwriter("2000-03-20", "2000-04-05")], "2000-04-15")
    assert periods(result) == []
    assert accrued(result) == {"raptor": Decimal("0.00"), "altar-rock": Decimal("0.00"),
                               "roseworth": Decimal("0.00")}
    excluded = result.damages["raptor"].excluded
    assert [(excluded.clause, excluded.days) for excluded in excluded] == [("RRA 3(e)(ii)", 17)]


def test_an_underwriter_request_while_overdue_excuses_the_rest_of_the_failure_too():
    # A request made on 04-01, while the statement is overdue, also excuses it (excuses_failure).
    result = run([*LATE_EFFECTIVE, underwriter("2000-04-01", "2000-04-05")], "2000-04-15")
    assert periods(result) == []


def test_an_underwriter_request_excludes_only_its_days_when_read_so():
    result = run([*LATE_EFFECTIVE, underwriter("2000-03-20", "2000-04-05")], "2000-04-15",
                 underwriter_request="excludes_days")
    # Effectiveness default 03-24..04-09 less 03-24..04-05: 04-06..04-09 = 4 days; month [04-06, 05-06) = 30.
    assert periods(result) == [(D("2000-04-06"), D("2000-04-09"), 4)]
    assert accrued(result) == each(lambda n: n * P2 * ONE * 4 / 30)
    assert accrued(result) == {"raptor": Decimal("2324.00"), "altar-rock": Decimal("9.33"),
                               "roseworth": Decimal("1000.00")}


def test_an_underwriter_request_naming_one_investor_excuses_only_that_investor():
    result = run([*LATE_EFFECTIVE, underwriter("2000-03-20", "2000-04-05", "altar-rock")], "2000-04-15",
                 underwriter_request="excludes_days")
    # Altar Rock: 04-06..04-09, 4 days of a 30-day month; the others: 03-24..04-09, 17 days of a 31-day month.
    assert accrued(result) == {"raptor": cents(871_500 * P2 * ONE * 17 / 31),
                               "altar-rock": cents(3_500 * P2 * ONE * 4 / 30),
                               "roseworth": cents(375_000 * P2 * ONE * 17 / 31)}
    assert accrued(result) == {"raptor": Decimal("9558.39"), "altar-rock": Decimal("9.33"),
                               "roseworth": Decimal("4112.90")}


def test_an_underwriter_request_does_not_excuse_a_filing_default():
    result = run([underwriter("1999-12-20", "2000-01-20"), filed("2000-01-13")], "2000-02-01")
    assert accrued(result) == each(lambda n: n * P2 * ONE * 16 / 31)
    assert accrued(result)["raptor"] == Decimal("8996.13")


# 13. The additional Registration Statement (RRA 3(a), 3(e)(iv)) ----------------------------------

NOTICE = {"type": "insufficient_shares_notice", "date": "2000-06-01", "investor": "raptor"}


@pytest.mark.parametrize(("days", "due"), [(120, "2000-09-29"), (90, "2000-08-30")])
def test_additional_statement_deadlines(days, due):
    result = run([*REGISTERED, NOTICE], "2000-06-02", additional_effectiveness_days=days)
    # File by 06-01 + 30 = Sat 07-01 -> Mon 07-03 (Tue 07-04 is the holiday, not in the way).
    assert obligations(result)["additional_rs_filing"].due == D("2000-07-03")
    # Effective by 06-01 + 120 = Fri 09-29, or + 90 = Wed 08-30: both SEC business days.
    assert obligations(result)["additional_rs_effectiveness"].due == D(due)


def test_a_full_review_of_the_additional_statement_gives_it_150_days():
    full_review = {"type": "full_review", "date": "2000-07-15", "statement": "additional"}
    result = run([*REGISTERED, NOTICE, full_review], "2000-07-16")
    # 06-01 + 150 = Sun 10-29 -> Mon 10-30.
    assert obligations(result)["additional_rs_effectiveness"].due == D("2000-10-30")


def test_additional_statement_filed_late_is_an_additional_filing_default():
    result = run([*REGISTERED, NOTICE, filed("2000-07-10", "additional")], "2000-07-31")
    # 07-04..07-09 = 6 days; month [07-04, 08-04) = 31 days; for every investor.
    assert runs(result) == [("additional_filing", D("2000-07-04"), D("2000-07-09"), 6)]
    assert accrued(result) == each(lambda n: n * P2 * ONE * 6 / 31)
    assert accrued(result) == {"raptor": Decimal("3373.55"), "altar-rock": Decimal("13.55"),
                               "roseworth": Decimal("1451.61")}


def test_additional_statement_effective_late_under_120_days():
    result = run([*REGISTERED, NOTICE, filed("2000-06-20", "additional"), effective("2000-10-05", "additional")],
                 "2000-10-31")
    # Due 09-29: default 09-30..10-04 = 5 days; month [09-30, 10-30) = 30 days.
    assert runs(result) == [("additional_effectiveness", D("2000-09-30"), D("2000-10-04"), 5)]
    assert accrued(result) == each(lambda n: n * P2 * ONE * 5 / 30)
    assert accrued(result)["raptor"] == Decimal("2905.00")


def test_additional_statement_effective_late_under_90_days():
    result = run([*REGISTERED, NOTICE, filed("2000-06-20", "additional"), effective("2000-10-05", "additional")],
                 "2000-10-31", additional_effectiveness_days=90)
    # Due 08-30: default 08-31..10-04 = 1 + 30 + 4 = 35 days.
    #   month 0 [08-31, 09-30) 30 days (clamped), full, 1%
    #   month 1 [09-30, 10-31) 31 days (back to day 31), 5 days, 1%
    assert runs(result) == [("additional_effectiveness", D("2000-08-31"), D("2000-10-04"), 35)]
    assert accrued(result) == each(lambda n: n * P2 * (ONE + ONE * 5 / 31))
    assert accrued(result)["raptor"] == Decimal("20241.29")     # $17,430 + $2,811.2903


# 14. Overlapping defaults are counted once -------------------------------------------------------

def test_filing_and_effectiveness_defaults_overlapping_are_counted_once():
    result = run([], "2000-03-30")
    # Filing default 12-28..03-30 (4 + 31 + 29 + 30 = 94 days); effectiveness default 03-24..03-30 (7 days)
    # lies inside it. One period of 94 days:
    #   months 0, 1 at 1% full; month 2 [02-28, 03-28) 29 days at 2% full; month 3 [03-28, 04-28) 31 days,
    #   03-28..03-30 = 3 days at 2%.
    assert runs(result) == [("filing", D("1999-12-28"), D("2000-03-30"), 94),
                            ("effectiveness", D("2000-03-24"), D("2000-03-30"), 7)]
    assert periods(result) == [(D("1999-12-28"), D("2000-03-30"), 94)]
    assert accrued(result) == each(lambda n: n * P2 * (ONE + ONE + TWO + TWO * 3 / 31))
    # Raptor: $17,430 x 2 + $34,860 + $34,860 x 3/31 ($3,373.5484) = $73,093.5484
    assert accrued(result) == {"raptor": Decimal("73093.55"), "altar-rock": Decimal("293.55"),
                               "roseworth": Decimal("31451.61")}


# 15. Demands and payments (RRA 3(e)) -------------------------------------------------------------

def demand(day: str, investor: str = "raptor") -> dict:
    return {"type": "ld_demand", "date": day, "investor": investor}


def paid(day: str, amount: str, investor: str = "raptor") -> dict:
    return {"type": "ld_paid", "date": day, "investor": investor, "amount": amount}


def test_a_partly_paid_demand_past_due_is_overdue_and_costs_of_collection_are_payable():
    result = run([demand("2000-01-10"), paid("2000-01-14", "5000.00")], "2000-01-20")
    raptor = result.damages["raptor"]
    # Demanded: accrual through 01-10 = $17,430 x 14/31 = $7,871.61, due 01-10 + 5 = 01-15.
    assert raptor.demanded == cents(871_500 * P2 * ONE * 14 / 31) == Decimal("7871.61")
    assert raptor.due == D("2000-01-15")
    # Accrued as of 01-20: 12-28..01-20 = 24 days -> $17,430 x 24/31 = $13,494.1935.
    assert raptor.accrued == cents(871_500 * P2 * ONE * 24 / 31) == Decimal("13494.19")
    assert raptor.paid == Decimal("5000.00")
    assert raptor.balance == Decimal("13494.19") - Decimal("5000.00") == Decimal("8494.19")
    assert raptor.overdue is True
    assert raptor.collection_costs_payable is True
    assert obligations(result)["ld_payment"].due == D("2000-01-15")
    assert result.damages["roseworth"].overdue is False


def test_a_demand_paid_in_full_before_due_is_not_overdue():
    result = run([demand("2000-01-10"), paid("2000-01-14", "7871.61")], "2000-01-20")
    raptor = result.damages["raptor"]
    assert raptor.overdue is False
    assert raptor.collection_costs_payable is False
    assert raptor.balance == Decimal("13494.19") - Decimal("7871.61") == Decimal("5622.58")


def test_an_unpaid_demand_is_not_overdue_on_its_due_day():
    result = run([demand("2000-01-10")], "2000-01-15")
    raptor = result.damages["raptor"]
    assert raptor.demanded == Decimal("7871.61")
    # 12-28..01-15 = 19 days: $17,430 x 19/31 = $10,682.9032
    assert raptor.accrued == cents(871_500 * P2 * ONE * 19 / 31) == Decimal("10682.90")
    assert raptor.overdue is False
    assert run([demand("2000-01-10")], "2000-01-16").damages["raptor"].overdue is True


def test_a_second_demand_demands_the_whole_accrual_through_its_date():
    result = run([demand("2000-01-10"), paid("2000-01-14", "7871.61"), demand("2000-01-20")], "2000-01-31")
    raptor = result.damages["raptor"]
    # Latest demand 01-20: 12-28..01-20 = 24 days, $17,430 x 24/31 = $13,494.1935; due 01-25.
    assert raptor.demanded == cents(871_500 * P2 * ONE * 24 / 31) == Decimal("13494.19")
    assert raptor.due == D("2000-01-25")
    # Accrued as of 01-31: month 0 full ($17,430) + 01-28..01-31 of month 1 ($17,430 x 4/31 = $2,249.0323).
    assert raptor.accrued == cents(871_500 * P2 * (ONE + ONE * 4 / 31)) == Decimal("19679.03")
    assert raptor.balance == Decimal("19679.03") - Decimal("7871.61") == Decimal("11807.42")
    # $7,871.61 paid does not cover the $13,494.19 demanded, past due on 01-31.
    assert raptor.overdue is True
    assert raptor.collection_costs_payable is True


# 16. Repurchase instead of damages (RRA 3(e)(A)) -------------------------------------------------
# First default day D1 = Tue 1999-12-28. Trading Days after it: 12-29, 12-30, 12-31, 01-03, 01-04:
# the election is due by 2000-01-04. An election on 12-30 must be paid by 01-06
# (12-31, 01-03, 01-04, 01-05, 01-06).

def elected(day: str) -> dict:
    return {"type": "repurchase_elected", "date": day}


def repurchase_paid(day: str) -> dict:
    return {"type": "repurchase_paid", "date": day}


def test_a_timely_repurchase_replaces_the_damages_at_the_purchase_price():
    result = run([elected("1999-12-30"), repurchase_paid("2000-01-05")], "2000-01-31")
    assert result.repurchase.status == "valid"
    assert result.repurchase.amounts == {inv: cents(n * PURCHASE_PRICE) for inv, n in SHARES.items()}
    assert result.repurchase.amounts == {"raptor": Decimal("1394400.00"), "altar-rock": Decimal("5600.00"),
                                         "roseworth": Decimal("600000.00")}
    assert accrued(result) == zero()


def test_an_election_on_the_fifth_trading_day_paid_on_the_fifth_trading_day_after_is_valid():
    # Elected Tue 2000-01-04; paid Tue 01-11 (01-05, 01-06, 01-07, 01-10, 01-11).
    result = run([elected("2000-01-04"), repurchase_paid("2000-01-11")], "2000-01-31")
    assert result.repurchase.status == "valid"
    assert accrued(result) == zero()


def test_the_repurchase_price_uses_the_shares_held_on_the_election_day():
    result = run([sold("1999-12-29", "raptor", 100_000), elected("1999-12-30"), repurchase_paid("2000-01-05")],
                 "2000-01-31")
    assert result.repurchase.amounts["raptor"] == cents(771_500 * PURCHASE_PRICE) == Decimal("1234400.00")


def test_a_late_election_is_void_and_damages_accrue_as_usual():
    # 2000-01-05 is the 6th Trading Day after 12-28.
    result = run([elected("2000-01-05"), repurchase_paid("2000-01-06")], "2000-01-10")
    assert result.repurchase.status == "void"
    assert accrued(result) == each(lambda n: n * P2 * ONE * 14 / 31)
    assert accrued(result)["raptor"] == Decimal("7871.61")


def test_a_late_payment_voids_the_election():
    # Elected 12-30: payment due 01-06; paid Fri 01-07.
    result = run([elected("1999-12-30"), repurchase_paid("2000-01-07")], "2000-01-10")
    assert result.repurchase.status == "void"
    assert accrued(result)["raptor"] == Decimal("7871.61")


def test_an_election_awaiting_payment_is_pending_and_damages_show_as_if_it_fails():
    result = run([elected("1999-12-30")], "2000-01-03")
    assert result.repurchase.status == "pending"
    assert obligations(result)["repurchase_payment"].due == D("2000-01-06")
    # 12-28..01-03 = 7 days: $17,430 x 7/31 = $3,935.8065
    assert accrued(result) == each(lambda n: n * P2 * ONE * 7 / 31)
    assert accrued(result)["raptor"] == Decimal("3935.81")


def test_a_repurchase_answers_the_latest_default_period_and_leaves_earlier_damages_owed():
    events = [filed("2000-01-13"), EFFECTIVE_FEB_1, *lapse("2000-06-01", None),
              elected("2000-06-05"), repurchase_paid("2000-06-08")]
    result = run(events, "2000-06-30")
    # D1 = Thu 06-01 (the lapse); Trading Days after it 06-02, 06-05, ...: elected on the 2nd,
    # paid 06-08, the 3rd Trading Day after the election. The lapse bears no damages; the
    # 16-day filing default (12-28..01-12) still does.
    assert result.repurchase.status == "valid"
    assert result.repurchase.amounts["raptor"] == Decimal("1394400.00")
    assert accrued(result) == each(lambda n: n * P2 * ONE * 16 / 31)
    assert accrued(result)["raptor"] == Decimal("8996.13")


def test_after_a_valid_repurchase_the_investors_hold_no_shares_and_later_defaults_cost_nothing():
    events = [filed("2000-01-13"), EFFECTIVE_FEB_1, *lapse("2000-06-01", "2000-06-20"),
              elected("2000-06-05"), repurchase_paid("2000-06-08"), *lapse("2000-08-01", "2000-08-11")]
    result = run(events, "2000-08-31")
    assert result.repurchase.status == "valid"
    # Only the 16-day filing default of 12-28..01-12 bears damages.
    assert accrued(result) == each(lambda n: n * P2 * ONE * 16 / 31)


# Rounding -------------------------------------------------------------------------------------------

def test_an_exact_half_cent_rounds_up():
    result = run([filed("1999-12-29")], "2000-01-31", quotes=flat("2.01"), ld_day_count="thirty")
    # One default day, 1999-12-28, at $2.01, 1% / 30:
    #   Raptor    871,500 x $2.01 x 1% / 30 = $583.905  -> $583.91
    #   Altar Rock  3,500 x $2.01 x 1% / 30 = $2.345    -> $2.35
    #   Roseworth 375,000 x $2.01 x 1% / 30 = $251.25
    assert accrued(result) == each(lambda n: n * Fraction("2.01") * ONE / 30)
    assert accrued(result) == {"raptor": Decimal("583.91"), "altar-rock": Decimal("2.35"),
                               "roseworth": Decimal("251.25")}


# 17. No default ------------------------------------------------------------------------------------

def test_a_statement_filed_and_effective_on_time_owes_nothing():
    result = run(REGISTERED, "2000-06-30")
    assert runs(result) == []
    assert accrued(result) == zero()
    assert all(len(result.damages[inv].periods) == 0 for inv in INVESTORS)
    assert result.repurchase is None


# JSON ------------------------------------------------------------------------------------------------

def test_the_json_report_lists_defaults_damages_and_obligations():
    from pipedeal.outputs.report import to_json

    report = to_json(run([demand("2000-01-10")], "2000-01-10"))
    assert report["registration_defaults"] == [
        {**row, "kind": "filing", "start": "1999-12-28", "end": "2000-01-10", "days": 14}
        for row in report["registration_defaults"]
    ]
    assert len(report["registration_defaults"]) == 1
    raptor = report["liquidated_damages"]["raptor"]
    assert {"accrued", "demanded", "paid", "balance", "due"} <= set(raptor)
    assert raptor["accrued"] == "7871.61"
    assert raptor["demanded"] == "7871.61"
    assert raptor["balance"] == "7871.61"
    assert raptor["due"] == "2000-01-15"
    assert report["liquidated_damages"]["roseworth"]["accrued"] == "3387.10"
    assert report["liquidated_damages"]["altar-rock"]["accrued"] == "31.61"
    assert report["repurchase"] is None
    kinds = {row["id"].split(":")[0] for row in report["obligations"]}
    assert {"rs_filing", "rs_effectiveness", "ld_payment"} <= kinds
