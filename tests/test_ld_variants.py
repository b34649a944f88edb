"""PIPE-TERMS "Liquidated damages": the variants of the FOCUS clause, worked by hand.

Each test takes the bundled FOCUS deal, changes only its liquidated-damages terms
(``focus_variant``), and computes the damages in its comments from the scenario's
own numbers, with real calendars (Massachusetts business days) and flat quotes:
every Trading Day closes at $2.00.

    investor      shares  amount invested   1% of it   market value  1% of it
    Raptor       871,500    $1,394,400.00  $13,944.00    $1,743,000  $17,430
    Altar Rock     3,500        $5,600.00      $56.00        $7,000      $70
    Roseworth    375,000      $600,000.00   $6,000.00      $750,000   $7,500

With no Registration Statement filed, the filing default runs from 1999-12-28
(the deadline 1999-12-24 rolled over Christmas to Monday 12-27). Its month periods:
[12-28, 01-28) 31 days at 1%, [01-28, 02-28) 31 days at 1%, [02-28, 03-28) 29
days at 2% (2000 is a leap year), [03-28, 04-28) 31 days, [04-28, 05-28) 30 days,
[05-28, 06-28) 31 days, all at 2%. Under ``amount_invested`` Raptor accrues $13,944
in each 1% month and $27,888 in each 2% month.
"""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

import pytest
from conftest import pipedeal_cli
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scenario import CLOSING, FOCUS_DIR, D, evaluate_focus, flat_quotes, focus_terms_text, focus_variant, jsonl, log
from test_ld_reference import dockets, filed_later
from test_ld_statement import text_of

from pipedeal.deal.terms_file import parse_terms
from pipedeal.outputs.documents import render_statement_html
from pipedeal.outputs.explain import explain_damages
from pipedeal.outputs.report import to_json

INVESTORS = ("raptor", "altar-rock", "roseworth")
INVESTED = {"raptor": Fraction(1_394_400), "altar-rock": Fraction(5_600), "roseworth": Fraction(600_000)}
ONE, TWO = Fraction(1, 100), Fraction(2, 100)


def cents(value: Fraction | int) -> Decimal:
    """An exact amount rounded half-up to the cent (integer arithmetic: amounts are not negative)."""
    value = Fraction(value) * 100
    whole, rest = divmod(value.numerator, value.denominator)
    return Decimal(whole + (2 * rest >= value.denominator)).scaleb(-2)


@functools.cache
def flat():
    return flat_quotes("2.00")


def run(terms, events: list[dict], as_of: str, **readings):
    return evaluate_focus(log(CLOSING, *events, terms=terms), as_of, quotes=flat(), terms=terms, **readings)


def accrued(result) -> dict[str, Decimal]:
    return {investor: result.damages[investor].accrued for investor in INVESTORS}


def filed(day: str) -> dict:
    return {"type": "rs_filed", "date": day}


def effective(day: str) -> dict:
    return {"type": "rs_effective", "date": day}


def sold(day: str, investor: str, shares: int) -> dict:
    return {"type": "shares_sold", "date": day, "investor": investor, "shares": shares}


def paid(day: str, amount: str, investor: str = "raptor") -> dict:
    return {"type": "ld_paid", "date": day, "investor": investor, "amount": amount}


def demand(day: str, investor: str = "raptor") -> dict:
    return {"type": "ld_demand", "date": day, "investor": investor}


def exercise(day: str, warrant: str, shares: int, method: str) -> dict:
    return {"type": "warrant_exercise", "date": day, "warrant": warrant, "shares": shares, "method": method}


INVESTED_BASE = focus_variant(base="amount_invested")
PRICE_PAID_BASE = focus_variant(base="purchase_price_held")


# 1. The base a rate applies to -----------------------------------------------------------------

def test_purchase_price_held_applies_the_rate_to_the_price_paid_for_the_shares_still_held():
    result = run(PRICE_PAID_BASE, [sold("2000-01-05", "raptor", 500_000)], "2000-01-10")
    # 12-28..01-10 = 14 default days of the 31-day first month, at 1%.
    # Raptor: 871,500 x $1.60 = $1,394,400 on 12-28..01-04 (8 days), 371,500 x $1.60 = $594,400 on
    # 01-05..01-10 (6 days): 1% x ($11,155,200 + $3,566,400) / 31 = $147,216 / 31 = $4,748.9032
    # Altar Rock: $5,600 x 1% x 14/31 = $25.2903; Roseworth: $600,000 x 1% x 14/31 = $2,709.6774
    assert accrued(result) == {"raptor": Decimal("4748.90"), "altar-rock": Decimal("25.29"),
                               "roseworth": Decimal("2709.68")}
    assert result.damages["raptor"].accrued_exact == ONE * (1_394_400 * 8 + 594_400 * 6) / 31


def test_a_split_leaves_the_price_paid_for_the_shares_still_held_unchanged():
    split = {"type": "stock_split", "date": "2000-01-03", "ratio": "3:2"}
    result = run(PRICE_PAID_BASE, [split], "2000-01-10")
    # From 01-03 Raptor holds 1,307,250 shares that cost $1.60 x 2/3 each: still $1,394,400.
    # 14 days x $1,394,400 x 1% / 31 = $6,297.2903
    assert result.damages["raptor"].accrued == Decimal("6297.29")
    assert result.damages["raptor"].accrued_exact == INVESTED["raptor"] * ONE * 14 / 31


def test_amount_invested_is_the_whole_subscription_and_is_not_reduced_by_sales():
    unsold = run(INVESTED_BASE, [], "2000-01-10")
    # $1,394,400 x 1% x 14/31 = $6,297.2903; $5,600 -> $25.2903; $600,000 -> $2,709.6774
    assert accrued(unsold) == {"raptor": Decimal("6297.29"), "altar-rock": Decimal("25.29"),
                               "roseworth": Decimal("2709.68")}
    # Raptor sells half on 01-05 and Altar Rock everything on 12-30: nothing changes.
    result = run(INVESTED_BASE, [sold("2000-01-05", "raptor", 500_000), sold("1999-12-30", "altar-rock", 3_500)],
                 "2000-01-10")
    assert accrued(result) == accrued(unsold)
    assert result.damages["raptor"].base_amount == INVESTED["raptor"]


def test_amount_invested_of_a_unit_deal_includes_the_warrant_purchase_price():
    # A unit deal: each Warrant share also costs $0.125, and each investor states the shares it buys.
    text = focus_terms_text().replace('warrant_purchase_price = "none"', 'warrant_purchase_price = "0.125"')
    for subscription, shares in (("1394400.00", 871_500), ("5600.00", 3_500), ("600000.00", 375_000)):
        text = text.replace(f'subscription = "{subscription}"', f"shares = {shares}")
    terms = parse_terms(text, "unit-deal.toml")
    invested = run(focus_unit(terms, "amount_invested"), [], "2000-01-10")
    # Raptor: 871,500 x $1.60 + 87,150 x $0.125 = $1,394,400 + $10,893.75 = $1,405,293.75;
    # 1% x 14/31 = $196,741.125 / 31 = $6,346.4879. Altar Rock: $5,600 + $43.75 = $5,643.75 -> $25.4880.
    assert invested.damages["raptor"].base_amount == Fraction("1405293.75")
    assert invested.damages["raptor"].accrued == Decimal("6346.49")
    assert invested.damages["altar-rock"].accrued == Decimal("25.49")
    # The price paid per Share leaves the warrant purchase price out: $1,394,400 -> $6,297.29.
    assert run(focus_unit(terms, "purchase_price_held"), [], "2000-01-10").damages["raptor"].accrued == \
        Decimal("6297.29")


def focus_unit(terms, base: str):
    data = terms.model_dump(by_alias=True, mode="json")
    data["liquidated_damages"]["base"] = base
    return type(terms).model_validate(data)


def test_a_fixed_base_is_the_fixed_amount_a_period_times_the_rate():
    whole = focus_variant(base="fixed", fixed_amount="10000", schedule=[{"rate": "1"}])
    # "dollars per period per investor": rate 100% x $10,000 x 14/31 = $4,516.1290 for every investor.
    assert accrued(run(whole, [], "2000-01-10")) == {investor: Decimal("4516.13") for investor in INVESTORS}
    # The rate applies to it: FOCUS's 1% of $10,000 x 14/31 = $45.1613.
    one_percent = focus_variant(base="fixed", fixed_amount="10000")
    assert accrued(run(one_percent, [], "2000-01-10")) == {investor: Decimal("45.16") for investor in INVESTORS}


# 2. Registrable warrant shares (PIPE-TERMS "Holdings") ----------------------------------------------
# The Exercise Price is 110% x $1.6375 = $1.80125.

WITH_WARRANT_SHARES = ("shares", "warrant_shares")


def test_warrant_shares_bought_for_cash_count_at_the_exercise_price_paid_once_issued():
    events = [exercise("2000-01-05", "W-1", 10_000, "cash")]
    terms = focus_variant(registrable=WITH_WARRANT_SHARES, base="purchase_price_held")
    # 12-28..01-04 (8 days): $1,394,400; 01-05..01-10 (6 days): + 10,000 x $1.80125 = $1,412,412.50.
    # 1% x ($11,155,200 + $8,474,475) / 31 = $196,296.75 / 31 = $6,332.1532
    assert run(terms, events, "2000-01-10").damages["raptor"].accrued == Decimal("6332.15")
    market = focus_variant(registrable=WITH_WARRANT_SHARES)
    # Market value: 871,500 x $2 for 8 days, 881,500 x $2 for 6: 1% x $24,522,000 / 31 = $7,910.3226
    assert run(market, events, "2000-01-10").damages["raptor"].accrued == Decimal("7910.32")
    # Registering the Shares only (FOCUS), the Warrant Shares bear nothing: $17,430 x 14/31 = $7,871.6129.
    assert run(None, events, "2000-01-10").damages["raptor"].accrued == Decimal("7871.61")


def test_warrant_shares_from_a_cashless_exercise_count_at_zero_cost():
    # Never filed; a year after the Warrant's issue, with no registration in effect, Raptor exercises
    # 10,000 cashless on Fri 2000-12-01: A = $2.00 (high = low), B = $1.80125,
    # (A - B) x X / A = 993.75 -> 993 shares issued.
    events = [exercise("2000-12-01", "W-1", 10_000, "cashless")]
    price_paid = focus_variant(registrable=WITH_WARRANT_SHARES, base="purchase_price_held")
    with_exercise = run(price_paid, events, "2000-12-10").damages["raptor"]
    assert with_exercise.accrued_exact == run(price_paid, [], "2000-12-10").damages["raptor"].accrued_exact
    market = focus_variant(registrable=WITH_WARRANT_SHARES)
    # At market value they add 993 x $2.00 on 12-01..12-10: month 12 of the default,
    # [2000-11-28, 2000-12-28), 30 days at 2%: 993 x $2 x 2% x 10/30 = $13.24.
    more = (run(market, events, "2000-12-10").damages["raptor"].accrued_exact
            - run(market, [], "2000-12-10").damages["raptor"].accrued_exact)
    assert more == 993 * 2 * TWO * 10 / 30 == Fraction("13.24")


# 3. The first period charged whole (first_period = "full") -----------------------------------------

def test_first_period_full_charges_the_whole_first_month_on_the_first_default_day():
    terms = focus_variant(first_period="full")
    # Filed 2000-01-13: 16 default days, but the first month is owed whole on 12-28:
    # 1% x 871,500 x $2.00 (the close of 12-28) = $17,430 (prorated: $8,996.13).
    result = run(terms, [filed("2000-01-13")], "2000-02-01")
    assert accrued(result) == {"raptor": Decimal("17430.00"), "altar-rock": Decimal("70.00"),
                               "roseworth": Decimal("7500.00")}
    # Owed whole from the first default day on.
    assert run(terms, [], "1999-12-28").damages["raptor"].accrued == Decimal("17430.00")
    [segment] = result.damages["raptor"].segments
    assert (segment.full_period, segment.charged_on, segment.first, segment.last) == (
        True, D("1999-12-28"), D("1999-12-28"), D("2000-01-12"))


# Filed 2000-01-13 (12-28..01-12, 16 days), effective 02-01, a lapse 06-01..06-19 (restored 06-20).
TWO_RUNS = [filed("2000-01-13"), effective("2000-02-01"),
            {"type": "effectiveness_lapsed", "date": "2000-06-01", "reason": "other"},
            {"type": "effectiveness_restored", "date": "2000-06-20"}]


def test_first_period_full_per_default_period_charges_each_runs_first_month_whole():
    result = run(focus_variant(first_period="full"), TWO_RUNS, "2000-07-01")
    # Each run's first month whole: $17,430 + $17,430 = $34,860 (prorated: $17,430 x 16/31 +
    # $17,430 x 19/30 = $8,996.13 + $11,039.00).
    assert result.damages["raptor"].accrued == Decimal("34860.00")
    assert run(None, TWO_RUNS, "2000-07-01").damages["raptor"].accrued == Decimal("20035.13")


def test_first_period_full_on_the_cumulative_clock_charges_only_the_joined_timelines_first_month():
    result = run(focus_variant(first_period="full"), TWO_RUNS, "2000-07-01", ld_schedule_clock="cumulative")
    # Joined timeline from 12-28: the filing default takes places 1-16, the lapse places 17-35. Month 1
    # (places 1-31, [12-28, 01-28)) is owed whole on 12-28: $17,430; the lapse's first 15 days fall in
    # it and owe nothing more; its last 4 fall in month 2 ([01-28, 02-28), 31 days, 1%): $17,430 x 4/31.
    # $17,430 + $2,249.0323 = $19,679.0323
    raptor = result.damages["raptor"]
    assert raptor.accrued == Decimal("19679.03")
    assert raptor.accrued_exact == 17_430 + Fraction(17_430) * 4 / 31
    assert [s.charged_on for s in raptor.segments if s.full_period] == [D("1999-12-28"), D("1999-12-28")]


def test_under_first_period_full_per_default_period_a_longer_filing_default_can_owe_less():
    """Not a bug: PIPE-TERMS' own arithmetic. Filed a day later, the filing default reaches the
    effectiveness default and the two runs become one: the second run's first month, owed whole,
    becomes two prorated days."""
    terms = focus_variant(base="amount_invested", first_period="full")
    # E = 2000-03-23; effective 03-30: effectiveness default 03-24..03-29 (6 days). Proration thirty.
    # Filed 03-23: runs 12-28..03-22 and 03-24..03-29:
    #   $13,944 (month 1 whole) + $13,944 x 31/30 ($14,408.80) + $27,888 x 24/30 ($22,310.40)
    #   + $13,944 (the second run's month 1 whole) = $64,607.20
    # Filed 03-24: one run 12-28..03-29:
    #   $13,944 + $14,408.80 + $27,888 x 29/30 ($26,958.40) + $27,888 x 2/30 ($1,859.20) = $57,170.40
    earlier = run(terms, [filed("2000-03-23"), effective("2000-03-30")], "2000-04-15", ld_day_count="thirty")
    later = run(terms, [filed("2000-03-24"), effective("2000-03-30")], "2000-04-15", ld_day_count="thirty")
    assert earlier.damages["raptor"].accrued == Decimal("64607.20")
    assert later.damages["raptor"].accrued == Decimal("57170.40")


# 4. The cap ---------------------------------------------------------------------------------------------

def test_a_10_percent_cap_stops_accrual_on_the_day_it_is_reached():
    terms = focus_variant(base="amount_invested", cap={"rate": "0.10", "of": "amount_invested"})
    result = run(terms, [], "2000-07-31")
    raptor = result.damages["raptor"]
    # 10% of $1,394,400 = $139,440. Running total: $13,944 (01-27), $27,888 (02-27), $55,776 (03-27),
    # $83,664 (04-27), $111,552 (05-27), and month 6 [05-28, 06-28), 31 days at 2% = $27,888:
    # $139,440 on 06-27, its last day. Nothing accrues on 06-28..07-31 (3 + 31 = 34 days).
    assert raptor.accrued == Decimal("139440.00")
    assert raptor.cap.reached_on == D("2000-06-27")
    assert raptor.cap.amount == Fraction(139_440)
    assert raptor.cap.days_after == 34
    # Uncapped: + 07-28..07-31 ... month 7 [06-28, 07-28) 30 days whole = $27,888, 4 days of month 8
    # [07-28, 08-28) 31 days: $27,888 x 4/31. $139,440 + $27,888 + $3,598.4516 = $170,926.4516
    assert raptor.cap.uncapped == 139_440 + 27_888 + Fraction(27_888) * 4 / 31
    # Altar Rock's cap is $560, Roseworth's $60,000: each reached the same day.
    assert accrued(result) == {"raptor": Decimal("139440.00"), "altar-rock": Decimal("560.00"),
                               "roseworth": Decimal("60000.00")}


def test_a_5_percent_cap_reached_mid_period_and_a_demand_after_it_demands_the_cap():
    terms = focus_variant(base="amount_invested", cap={"rate": "0.05", "of": "amount_invested"})
    result = run(terms, [demand("2000-03-01"), demand("2000-05-01")], "2000-06-01")
    raptor = result.damages["raptor"]
    # 5% = $69,720. $55,776 by 03-27; month 4 [03-28, 04-28), 31 days at 2%: $27,888 / 31 a day.
    # Through 04-11 (15 days): $55,776 + $13,494.1935 = $69,270.19; through 04-12 (16 days) it would be
    # $70,169.81: the cap is reached on 04-12, which accrues only the $449.81 left under it.
    assert raptor.cap.reached_on == D("2000-04-12")
    assert raptor.accrued == Decimal("69720.00")
    cut = raptor.segments[-1]
    assert (cut.first, cut.last, cut.amount, cut.uncapped) == (
        D("2000-03-28"), D("2000-04-12"), Fraction(13_944), Fraction(27_888) * 16 / 31)
    # The demand of 03-01 (before the cap): $27,888 + 3 days of month 3 (02-28, 02-29, 03-01, 29 days
    # at 2%) = $27,888 + $2,884.9655 = $30,772.97. The demand of 05-01 (after it): the cap, $69,720.00.
    assert [(d.date, d.amount, d.due) for d in raptor.demands] == [
        (D("2000-03-01"), Decimal("30772.97"), D("2000-03-06")),
        (D("2000-05-01"), Decimal("69720.00"), D("2000-05-06"))]


def test_a_cap_on_the_market_value_base_is_reached_at_the_end_of_the_third_month():
    terms = focus_variant(cap={"rate": "0.05", "of": "amount_invested"})
    result = run(terms, [], "2000-04-30")
    # $17,430 + $17,430 + 2% x $1,743,000 = $34,860 for month 3 [02-28, 03-28): $69,720 on 03-27.
    assert result.damages["raptor"].cap.reached_on == D("2000-03-27")
    assert result.damages["raptor"].accrued == Decimal("69720.00")


def test_a_cap_of_the_price_paid_for_the_shares_held_falls_with_a_sale():
    terms = focus_variant(base="amount_invested", cap={"rate": "0.01", "of": "purchase_price_held"})
    # Unsold, the cap is 1% x $1,394,400 = $13,944: 14 days owe $13,944 x 14/31 = $6,297.29, not reached.
    assert run(terms, [], "2000-01-10").damages["raptor"].cap.reached_on is None
    # Raptor sells 500,000 on 01-05: from then the cap is 1% x 371,500 x $1.60 = $5,944. At $13,944 / 31
    # a day the total is $5,847.48 after 13 days (01-09): the 14th day, 01-10, reaches it.
    raptor = run(terms, [sold("2000-01-05", "raptor", 500_000)], "2000-01-31").damages["raptor"]
    assert raptor.cap.reached_on == D("2000-01-10")
    assert raptor.accrued == Decimal("5944.00")


def test_a_cap_below_the_whole_first_month_is_reached_on_the_first_day():
    terms = focus_variant(base="amount_invested", first_period="full",
                          cap={"rate": "0.005", "of": "amount_invested"})
    raptor = run(terms, [], "2000-03-01").damages["raptor"]
    # The first month owes $13,944 on 12-28; the cap is 0.5% x $1,394,400 = $6,972.
    assert (raptor.cap.reached_on, raptor.accrued) == (D("1999-12-28"), Decimal("6972.00"))


# 5. Payment by period -------------------------------------------------------------------------------

def scheduled(due: str, days: int = 5, unit: str = "calendar", **more):
    return focus_variant(base="amount_invested", payment={"due": due, "days": days, "unit": unit}, **more)


def installments(result, investor: str = "raptor"):
    return [(row.first, row.last, row.amount, row.due, row.status) for row in result.damages[investor].installments]


def test_period_end_amounts_fall_due_five_days_after_each_periods_last_day():
    result = run(scheduled("period_end"), [], "2000-03-10")
    raptor = result.damages["raptor"]
    # Month 1 ends 01-27: $13,944 due 02-01; month 2 ends 02-27: $13,944 due 03-03 (2000-02 has 29 days).
    # Month 3 [02-28, 03-28) runs on: 12 days accrued ($27,888 x 12/29 = $11,539.86); if the default
    # goes on it owes $27,888, due 5 days after its last day 03-27: 04-01.
    assert installments(result) == [
        (D("1999-12-28"), D("2000-01-27"), Decimal("13944.00"), D("2000-02-01"), "missed"),
        (D("2000-01-28"), D("2000-02-27"), Decimal("13944.00"), D("2000-03-03"), "missed"),
        (D("2000-02-28"), D("2000-03-10"), Decimal("27888.00"), D("2000-04-01"), "pending")]
    last = raptor.installments[-1]
    assert (last.projected, last.accrued_exact, last.counted_from) == (True, Fraction(27_888) * 12 / 29,
                                                                      D("2000-03-27"))
    assert raptor.accrued == cents(27_888 + Fraction(27_888) * 12 / 29) == Decimal("39427.86")
    assert raptor.fallen_due == Decimal("27888.00")
    assert (raptor.due, raptor.overdue) == (D("2000-02-01"), True)


# Filed and effective on time; effectiveness lapses 2000-03-14 and is restored 05-01: 48 days.
# Month 1 [03-14, 04-14) 31 days whole: $13,944; month 2 [04-14, 05-14) 30 days, cut short by the
# cure after 17 days (04-14..04-30): $13,944 x 17/30 = $7,901.60.
LAPSE = [filed("1999-12-20"), effective("2000-02-01"),
         {"type": "effectiveness_lapsed", "date": "2000-03-14", "reason": "other"},
         {"type": "effectiveness_restored", "date": "2000-05-01"}]


def test_period_end_in_business_days_skips_patriots_day_and_the_cut_period_falls_due_after_its_last_default_day():
    result = run(scheduled("period_end", unit="business"), LAPSE, "2000-05-10")
    # Month 1's last day is Thu 04-13: Business Days (US-MA) 04-14 (1), Mon 04-17 is Patriots' Day,
    # 04-18 (2), 04-19 (3), 04-20 (4), 04-21 (5). Month 2's last default day is Sun 04-30: 05-01 .. 05-05.
    assert installments(result) == [
        (D("2000-03-14"), D("2000-04-13"), Decimal("13944.00"), D("2000-04-21"), "missed"),
        (D("2000-04-14"), D("2000-04-30"), Decimal("7901.60"), D("2000-05-05"), "missed")]
    # In calendar days month 1 is due 04-18.
    assert installments(run(scheduled("period_end"), LAPSE, "2000-05-10"))[0][3] == D("2000-04-18")


def test_period_start_amounts_fall_due_after_each_periods_first_day_and_a_cure_leaves_a_credit():
    events = [*LAPSE, paid("2000-03-17", "13944.00"), paid("2000-04-18", "13944.00")]
    # As of 04-20 the second month runs on: it owes $13,944, due 5 days after its first day 04-14: 04-19.
    before = run(scheduled("period_start"), events, "2000-04-20").damages["raptor"]
    assert [(row.amount, row.due, row.projected, row.status) for row in before.installments] == [
        (Decimal("13944.00"), D("2000-03-19"), False, "met"),
        (Decimal("13944.00"), D("2000-04-19"), True, "met")]
    assert before.credit == Decimal("0.00")
    # The cure on 05-01 cuts month 2 to its prorated part, $7,901.60: of the $27,888 paid, $6,042.40
    # was paid beyond the $21,845.60 owed.
    after = run(scheduled("period_start"), events, "2000-05-10").damages["raptor"]
    assert [(row.amount, row.due, row.projected, row.status) for row in after.installments] == [
        (Decimal("13944.00"), D("2000-03-19"), False, "met"),
        (Decimal("7901.60"), D("2000-04-19"), False, "met")]
    assert (after.accrued, after.paid, after.credit, after.balance) == (
        Decimal("21845.60"), Decimal("27888.00"), Decimal("6042.40"), Decimal("-6042.40"))


def test_period_start_in_business_days_counts_from_each_periods_first_day():
    result = run(scheduled("period_start", unit="business"), LAPSE, "2000-05-10")
    # Month 1 begins Tue 03-14: 03-15 (1), 03-16 (2), 03-17 (3), Mon 03-20 (4), 03-21 (5).
    # Month 2 begins Fri 04-14: Mon 04-17 is Patriots' Day; 04-18 (1) .. 04-21 (4), Mon 04-24 (5).
    assert installments(result) == [
        (D("2000-03-14"), D("2000-04-13"), Decimal("13944.00"), D("2000-03-21"), "missed"),
        (D("2000-04-14"), D("2000-04-30"), Decimal("7901.60"), D("2000-04-24"), "missed")]


def test_payments_settle_the_oldest_amount_first():
    result = run(scheduled("period_end"), [paid("2000-03-05", "20000.00")], "2000-03-10")
    raptor = result.damages["raptor"]
    # $20,000 settles month 1's $13,944 (due 02-01) and $6,056 of month 2's (due 03-03).
    assert [(row.paid, row.settled_on, row.status) for row in raptor.installments] == [
        (Decimal("13944.00"), D("2000-03-05"), "missed"),
        (Decimal("6056.00"), None, "missed"),
        (Decimal("0.00"), None, "pending")]
    assert (raptor.due, raptor.overdue) == (D("2000-03-03"), True)


# 6. Late interest -------------------------------------------------------------------------------------

def test_late_interest_per_year_on_an_amount_paid_late_and_one_unpaid():
    terms = scheduled("period_end", late_interest={"rate": "0.10", "per": "year"})
    raptor = run(terms, [paid("2000-02-11", "13944.00")], "2000-03-10").damages["raptor"]
    # Month 1: $13,944 due 02-01, paid 02-11: 02-02..02-11 = 10 days x 10% / 365 = $38.2027.
    # Month 2: $13,944 due 03-03, unpaid: 03-04..03-10 = 7 days = $26.7419.
    # $13,944 x 10% x 17 / 365 = $64.9446, rounded once: $64.94.
    first, second, _ = raptor.installments
    assert [(p.amount, p.start, p.end, p.days, p.paid_on) for p in first.late] == [
        (Decimal("13944.00"), D("2000-02-02"), D("2000-02-11"), 10, D("2000-02-11"))]
    assert [(p.amount, p.start, p.end, p.days, p.paid_on) for p in second.late] == [
        (Decimal("13944.00"), D("2000-03-04"), D("2000-03-10"), 7, None)]
    assert raptor.late_interest_exact == Fraction(13_944) * Fraction(1, 10) * 17 / 365
    assert raptor.late_interest == Decimal("64.94")


def test_late_interest_per_month_is_the_rate_times_12_over_365_a_day():
    terms = scheduled("period_end", late_interest={"rate": "0.01", "per": "month"})
    raptor = run(terms, [paid("2000-02-11", "13944.00")], "2000-03-10").damages["raptor"]
    # The same 17 days at 1% x 12 / 365 a day: $13,944 x 0.12 x 17 / 365 = $77.9336
    assert raptor.late_interest == Decimal("77.93")


def test_a_part_paid_late_bears_interest_to_its_own_payment_day():
    terms = scheduled("period_end", late_interest={"rate": "0.10", "per": "year"})
    events = [paid("2000-01-31", "5000.00"), paid("2000-02-06", "4000.00"), paid("2000-02-11", "4944.00")]
    first = run(terms, events, "2000-02-20").damages["raptor"].installments[0]
    # Due 02-01: $5,000 paid on time owes nothing; $4,000 paid 02-06 owes 5 days, $4,944 paid 02-11 owes 10:
    # 10% / 365 x ($20,000 + $49,440) = $19.0247
    assert [(p.amount, p.days) for p in first.late] == [(Decimal("4000.00"), 5), (Decimal("4944.00"), 10)]
    assert first.late_interest == Fraction(1, 10) / 365 * (4_000 * 5 + 4_944 * 10)
    assert (first.settled_on, first.status) == (D("2000-02-11"), "missed")


def test_late_interest_on_a_demand_paid_after_its_due_date():
    terms = focus_variant(late_interest={"rate": "0.10", "per": "year"})
    raptor = run(terms, [demand("2000-01-10"), paid("2000-01-25", "7871.61")], "2000-01-31").damages["raptor"]
    # FOCUS: the demand of 01-10 asks $17,430 x 14/31 = $7,871.61, due 01-15; paid 01-25: 10 days late.
    # $7,871.61 x 10% x 10 / 365 = $21.5661
    assert raptor.late_interest == Decimal("21.57")
    # No late interest in FOCUS itself.
    assert run(None, [demand("2000-01-10"), paid("2000-01-25", "7871.61")],
               "2000-01-31").damages["raptor"].late_interest == Decimal("0.00")


# 7. The outputs show the new figures -----------------------------------------------------------------

def test_the_json_and_the_explanation_show_the_base_the_cap_the_schedule_and_the_interest():
    terms = scheduled("period_end", cap={"rate": "0.05", "of": "amount_invested"},
                      late_interest={"rate": "0.10", "per": "year"})
    result = run(terms, [paid("2000-02-11", "13944.00")], "2000-06-01")
    raptor = to_json(result)["liquidated_damages"]["raptor"]
    assert (raptor["base"], raptor["base_amount"], raptor["payment_due"]) == ("amount_invested", "1394400",
                                                                              "period_end")
    assert raptor["cap"]["reached_on"] == "2000-04-12" and raptor["cap"]["amount"] == "69720"
    assert [(row["due"], row["amount"], row["status"]) for row in raptor["installments"]] == [
        ("2000-02-01", "13944.00", "missed"), ("2000-03-03", "13944.00", "missed"),
        ("2000-04-01", "27888.00", "missed"), ("2000-05-02", "13944.00", "missed")]
    assert raptor["late_interest_rate"] == {"rate": "0.1", "per": "year"}
    texts = [line.text for line in explain_damages(result, "raptor")]
    assert any(text.startswith("cap: 5% of amount_invested $1,394,400.00 = $69,720.00; reached on 2000-04-12")
               for text in texts)
    assert any("due 2000-02-01 (5 calendar days after its last default day 2000-01-27)" in text for text in texts)
    assert any(text.startswith("late interest on $13,944.00 due 2000-02-01 (paid 2000-02-11): 2000-02-02 to "
                               "2000-02-11 (10 days) x 10% per year") for text in texts)


def test_the_statement_marks_a_first_period_owed_whole():
    result = run(focus_variant(first_period="full"), [filed("2000-01-13")], "2000-02-01")
    text = text_of(render_statement_html(result, "raptor"))
    # One row: 16 default days, owed whole on 12-28: 1% x 871,500 x $2.00 = $17,430.
    assert ("1999-12-28 2000-01-12 16 1 1999-12-28 to 2000-01-27 1% 871,500 $2.00 — whole first period "
            "(first_period = full) $17,430.00 owed whole on 1999-12-28") in text
    assert "The first period is charged whole on its first default day, prorated never" in text


# A terms file in the language with these terms, run through the CLI as a user runs it.
VARIANT_TEXT = (focus_terms_text()
                .replace('base = "market_value_held"', 'base = "amount_invested"')
                .replace('cap = "none"', 'cap = { rate = "0.05", of = "amount_invested", clause = "RRA 3(e)", '
                                         'quote = "not to exceed five percent of the amount invested" }')
                .replace('late_interest = "none"', 'late_interest = { rate = "0.10", per = "year", '
                                                   'clause = "RRA 3(e)", quote = "interest at ten percent" }')
                .replace('due = "on_demand"', 'due = "period_end"'))
VARIANT_EVENTS = [CLOSING, filed("2000-05-01"), paid("2000-02-11", "13944.00")]


@pytest.fixture(scope="module")
def variant_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("variant")
    (folder / "terms.toml").write_text(VARIANT_TEXT)
    (folder / "events.jsonl").write_text(jsonl(*VARIANT_EVENTS))
    return folder


@pytest.fixture(scope="module")
def cli(tmp_path_factory, variant_files, cache_dir):
    run = pipedeal_cli(tmp_path_factory.mktemp("work"), cache_dir)
    files = ("--deal", str(variant_files / "terms.toml"), "--events", str(variant_files / "events.jsonl"),
             "--prices", str(FOCUS_DIR / "quotes.csv"), "--as-of", "2000-06-01")
    return lambda *args: run(*args, *files)


def test_ld_explain_of_a_variant_deal_shows_the_base_cap_due_dates_and_late_interest(cli):
    out = " ".join(cli("ld", "--explain", "--investor", "raptor").stdout.split())
    # Filed 05-01 (filing default 12-28..04-30) and effective never (E 03-23): one run from 12-28.
    # The 5% cap, $69,720, is reached on 04-12 as in the scenario above.
    assert "base: amount_invested ($1,394,400.00: the investor's whole purchase price at the Closing" in out
    assert "cap: 5% of amount_invested $1,394,400.00 = $69,720.00; reached on 2000-04-12" in out
    assert '"not to exceed five percent of the amount invested"' in out
    # Month 1, paid on 02-11 against its due date 02-01: 10 days at 10% / 365 = $38.2027...
    assert "due 2000-02-01 (5 calendar days after its last default day 2000-01-27)" in out
    assert "late interest on $13,944.00 due 2000-02-01 (paid 2000-02-11): 2000-02-02 to 2000-02-11 (10 days)" in out
    assert '"interest at ten percent"' in out


def test_ld_json_and_report_json_of_a_variant_deal(cli):
    ld = json.loads(cli("ld", "--json", "--explain", "--investor", "raptor").stdout)
    raptor = ld["liquidated_damages"]["raptor"]
    # Unpaid, months 2-4 from the day after their due dates (03-03, 04-01, 05-02) to 06-01:
    # $13,944 x 90 + $27,888 x 61 + $13,944 x 30 days ($1,254,960 + $1,701,168 + $418,320 = $3,374,448)
    # x 10% / 365 = $924.5063; month 1, 10 days late: $38.2027. Total $962.7090.
    assert Decimal(raptor["late_interest"]) == cents(Fraction(13_944 * 10 + 13_944 * 90 + 27_888 * 61 + 13_944 * 30)
                                            / 10 / 365) == Decimal("962.71")
    assert [row["due"] for row in raptor["installments"]] == ["2000-02-01", "2000-03-03", "2000-04-01",
                                                              "2000-05-02"]
    assert raptor["cap"]["reached_on"] == "2000-04-12"
    segments = ld["explanations"]["raptor"]["segments"]
    assert segments[-1]["uncapped"] is not None and segments[-1]["base"] == "amount_invested"
    report = json.loads(cli("report", "--json").stdout)
    assert report["liquidated_damages"]["raptor"]["accrued"] == "69720.00"
    assert report["liquidated_damages"]["raptor"]["late_interest"] == "962.71"
    assert {row["id"].split(":")[0] for row in report["obligations"]} >= {"ld_payment"}
    assert any(row["due"] == "2000-05-02" and row["id"].startswith("ld_payment:") for row in report["obligations"])


def test_the_statement_of_a_variant_deal_shows_the_cap_the_installments_and_the_late_interest(cli, tmp_path):
    cli("statement", "--investor", "raptor", "--format", "html", "--out", str(tmp_path))
    [page] = tmp_path.iterdir()
    text = text_of(page.read_text())
    assert "cap: 5% of amount_invested $1,394,400.00 = $69,720.00; reached on 2000-04-12" in text
    assert "Payment falls due by period (payment.due = period_end)" in text
    assert "2000-01-28 to 2000-02-27 31 days 2 $13,944.00" in text
    assert "Late interest, rounded half-up once to the cent $962.71" in text
    assert "$1,394,400.00 — whole first period" not in text  # the first period is prorated here


# 8. Properties --------------------------------------------------------------------------------------

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(dockets(variant=True), st.sampled_from(["0.005", "0.02", "0.05", "0.10"]))
def test_damages_never_exceed_the_cap(docket, rate):
    base, first_period, _ = docket.variant
    docket = replace(docket, variant=(base, first_period, (rate, "amount_invested")))
    result = docket.evaluate()
    for investor, damages in result.damages.items():
        cap = Fraction(rate) * INVESTED[investor]
        assert damages.accrued_exact <= cap
        assert damages.accrued <= cents(cap)
        assert damages.accrued_exact == min(cap, damages.cap.uncapped)
        if damages.cap.reached_on is not None:
            assert damages.accrued == cents(cap)


def test_a_whole_first_month_from_28_december_holds_a_day_more_than_one_from_31_january():
    """PIPE-TERMS "first period": under the cumulative clock the whole first month of the joined timeline is
    owed on its first day, and a month period runs to the same day of the next month, end of month clamped.
    Filed on time, Raptor's only default days are 31 January to 29 February 2000 (an investor delay excuses
    29 December to 30 January): the first month, 31 January to 29 February, holds 29 of them and 29 February
    falls in the second: $13,944.00 + $13,944.00 / 30 = $14,408.80. Filed a day late, 28 December 1999 is a
    default day too and starts the joined timeline: its first month (to 28 January on that timeline) holds
    all 31 days, so Raptor is owed $13,944.00, less for a longer default. Found by the property above."""
    events = [{"type": "closing", "date": "1999-11-24"}, {"type": "rs_filed", "date": "1999-11-25"},
              {"type": "sec_clearance", "date": "1999-12-23"}, {"type": "rs_effective", "date": "2000-03-01"},
              {"type": "investor_delay", "date": "1999-12-29", "start": "1999-12-29", "end": "2000-01-30"}]
    late = [dict(event, date="1999-12-29") if event["type"] == "rs_filed" else event for event in events]
    overrides = {"ld_market_value": "daily_close", "ld_schedule_clock": "cumulative", "ld_day_count": "thirty"}
    owed = {}
    for label, history in (("on time", events), ("a day late", late)):
        result = evaluate_focus(log(*history), "2000-06-30", quotes=flat_quotes("0.1000"),
                                terms=focus_variant(base="purchase_price_held", first_period="full"), **overrides)
        raptor = result.damages["raptor"]
        owed[label] = ([(str(period.first), str(period.last)) for period in raptor.periods], raptor.accrued)
    assert owed["on time"] == ([("2000-01-31", "2000-02-29")], Decimal("14408.80"))
    assert owed["a day late"] == ([("1999-12-28", "1999-12-28"), ("2000-01-31", "2000-02-29")], Decimal("13944.00"))


@PROPERTY
@given(dockets(safe=True, require_filing=True, variant=True), st.integers(1, 120),
       st.sampled_from(["thirty", "actual_365"]))
def test_a_longer_default_never_owes_less_under_thirty_and_actual_365(docket, delay, day_count):
    """Pushing the filing later only adds default days; with a constant divisor each day's month can
    only move later. Not so where the first period is owed whole: its length depends on the day it
    starts (the scenario below), and its base may be lower that day; nor where a run merging into
    another loses a whole first month (the scenario above): left out."""
    _, first_period, cap = docket.variant
    assume(first_period == "prorated")
    assume(cap is None or cap[1] == "amount_invested")
    docket = replace(docket, overrides={**docket.overrides, "ld_day_count": day_count})
    before, after = filed_later(docket, delay)
    for investor in INVESTORS:
        assert after.damages[investor].accrued_exact >= before.damages[investor].accrued_exact
