"""One timeline: every figure read from the one fold of the events (issue "One timeline").

Each scenario is a docket a lawyer can check by hand; the expected figures are worked
out in the comments from the agreement and RULES.md, never with the engine's helpers.
The FOCUS Closing is 1999-11-24 (Raptor 871,500 Shares, Altar Rock 3,500, Roseworth
375,000; W-1 87,150, W-2 350, W-3 37,500 warrant shares at $1.80125). With no filing,
the filing default runs from 1999-12-28 (the deadline 1999-12-24 rolled to 12-27).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from ld_reference import daily_accruals
from scenario import CLOSING, D, evaluate_focus, flat_quotes, focus_calendars, focus_quotes, jsonl, log

from pipedeal.outputs.report import to_json

RAPTOR = 871_500
FILED = {"type": "rs_filed", "date": "2000-01-13"}
EFFECTIVE = {"type": "rs_effective", "date": "2000-02-16"}


def cents(value: Fraction) -> Decimal:
    value = value * 100
    whole, rest = divmod(value.numerator, value.denominator)
    return Decimal(whole + (2 * rest >= value.denominator)) / 100


def obligations(result) -> dict:
    return {row["id"].split(":")[0]: row for row in to_json(result)["obligations"]}


# --- 1. a split between its record and effective dates, a sale in between, during a default --------

SPLIT_AND_SALE = [
    {"type": "stock_split", "date": "2000-03-15", "record_date": "2000-03-05", "ratio": "2:1",
     "authorized": 60_000_000},
    {"type": "shares_sold", "date": "2000-03-10", "investor": "raptor", "shares": 100_000},
]
HALVED = flat_quotes("2.00", changes={"2000-03-15": "1.00"})  # the price halves when the shares double


def test_a_sale_between_a_splits_record_and_effective_dates_counts_pre_split_shares():
    result = evaluate_focus(log(CLOSING, *SPLIT_AND_SALE), "2000-03-31", quotes=HALVED)
    timeline = result.timeline
    # Holdings change on the effective date: 871,500 - 100,000 = 771,500 pre-split shares from 03-10,
    # doubled to 1,543,000 on 03-15.
    assert timeline.holding_on("raptor", D("2000-03-09")).purchased_held == 871_500
    assert timeline.holding_on("raptor", D("2000-03-14")).purchased_held == 771_500
    assert timeline.holding_on("raptor", D("2000-03-15")).purchased_held == 1_543_000
    # The Warrant's W 11 adjustment is retroactive to the record date: 87,150 x 2 from 03-05.
    assert timeline.register_on(D("2000-03-04"))["W-1"].shares == 87_150
    assert timeline.register_on(D("2000-03-05"))["W-1"].shares == 174_300
    assert timeline.exercise_price(D("2000-03-05")) == Decimal("0.900625")


def test_damages_across_the_split_and_the_sale_are_what_a_pencil_gives():
    result = evaluate_focus(log(CLOSING, *SPLIT_AND_SALE), "2000-03-31", quotes=HALVED)
    # Month periods from 12-28: [12-28, 01-28) 31 days and [01-28, 02-28) 31 days at 1%, then
    # [02-28, 03-28) 29 days and [03-28, 04-28) 31 days at 2%. Market value a day:
    # 871,500 x $2 = $1,743,000 to 03-09; 771,500 x $2 = $1,543,000 for 03-10..03-14;
    # 1,543,000 x $1 = $1,543,000 from 03-15.
    month = Fraction(1_743_000, 100)                        # $17,430 for each of the first two months
    third = Fraction(2, 100) * (11 * 1_743_000 + 18 * 1_543_000) / 29   # 02-28..03-09, 03-10..03-27
    fourth = Fraction(2, 100) * 4 * 1_543_000 / 31          # 03-28..03-31
    expected = 2 * month + third + fourth                   # $71,219.1768631... -> $71,219.18
    raptor = result.damages["raptor"]
    assert raptor.accrued_exact == expected
    assert raptor.accrued == cents(expected) == Decimal("71219.18")


def test_damages_across_the_split_and_the_sale_agree_with_the_day_by_day_reference():
    located = log(CLOSING, *SPLIT_AND_SALE)
    result = evaluate_focus(located, "2000-03-31", quotes=HALVED)
    reference = daily_accruals(result.terms, located, HALVED, focus_calendars(), D("2000-03-31"),
                               result.deadlines)
    for investor, days in reference.items():
        assert result.damages[investor].accrued_exact == sum(days.values(), Fraction(0)), investor


# --- 2. exercising "all" ------------------------------------------------------------------------------

def test_exercising_all_of_a_warrant_evaluates_and_names_the_shares_issued():
    events = [CLOSING, FILED, EFFECTIVE,
              {"type": "warrant_exercise", "date": "2000-06-01", "warrant": "W-2", "shares": "all", "method": "cash"}]
    result = evaluate_focus(log(*events), "2000-12-31", quotes=flat_quotes("3.00"))
    assert result.state.holdings["altar-rock"].other_held == 350
    lots = {lot.name for lot in result.default_days.period.lots}
    assert "350 Warrant Shares (W-2, cash)" in lots


# --- 3. a paid repurchase takes the Shares ---------------------------------------------------------

def test_a_valid_repurchase_takes_the_shares_and_they_are_no_longer_outstanding():
    # The filing default begins 1999-12-28; the election on 12-29 is within 5 Trading Days of it
    # (by 2000-01-04), the payment on 2000-01-03 within 5 Trading Days of the election (by 01-05).
    events = [CLOSING, {"type": "repurchase_elected", "date": "1999-12-29"},
              {"type": "repurchase_paid", "date": "2000-01-03"}]
    result = evaluate_focus(log(*events), "2000-02-01", quotes=flat_quotes())
    assert result.repurchase.status == "valid"
    assert result.repurchase.amounts["raptor"] == Decimal("1394400.00")   # 871,500 x $1.60
    timeline = result.timeline
    assert timeline.holding_on("raptor", D("2000-01-02")).purchased_held == RAPTOR
    assert timeline.holding_on("raptor", D("2000-01-03")).purchased_held == 0
    # 22,262,701 outstanding after the Closing, less the 1,250,000 Shares bought back.
    assert timeline.capitalization_on(D("2000-01-03")).outstanding == 21_012_701
    assert to_json(result)["capitalization"]["common_outstanding"] == 21_012_701
    assert obligations(result)["repurchase_payment"]["status"] == "met"


def test_a_void_repurchase_owes_no_payment_and_takes_nothing():
    events = [CLOSING, {"type": "repurchase_elected", "date": "2000-01-10"},
              {"type": "repurchase_paid", "date": "2000-01-11"}]
    result = evaluate_focus(log(*events), "2000-02-01", quotes=flat_quotes())
    assert result.repurchase.status == "void"
    payment = obligations(result)["repurchase_payment"]
    assert payment["status"] == "not_applicable" and payment["met_on"] is None
    assert result.timeline.holding_on("raptor", D("2000-01-20")).purchased_held == RAPTOR


# --- 4. the capitalization is one snapshot ----------------------------------------------------------

def test_the_capitalization_after_a_split_is_one_snapshot_of_that_day():
    events = [CLOSING, {"type": "stock_split", "date": "2000-06-01", "ratio": "3:2", "authorized": 60_000_000}]
    cap = to_json(evaluate_focus(log(*events), "2000-07-01", quotes=flat_quotes()))["capitalization"]
    # 22,262,701 x 3/2 = 33,394,051.5: 33,394,051 outstanding, cash paid for the half share.
    assert (cap["common_authorized"], cap["common_outstanding"]) == (60_000_000, 33_394_051)
    assert (cap["warrant_shares_outstanding"], cap["reserved_for_warrants"]) == (187_500, 187_500)
    assert cap["unreserved_authorized"] == 60_000_000 - 33_394_051 - 187_500
    assert cap["at_closing"]["common_authorized"] == 30_000_000


def test_an_odd_count_split_is_noted_as_cash_in_lieu():
    events = [CLOSING, {"type": "stock_split", "date": "2000-06-01", "ratio": "3:2", "authorized": 60_000_000}]
    result = evaluate_focus(log(*events), "2000-07-01", quotes=flat_quotes())
    [note] = [p for p in result.problems if p.code == "SPLIT-CASH-IN-LIEU"]
    assert note.severity == "warning" and "33,394,051" in note.message


# --- 5. expiry, par value, notice dates -----------------------------------------------------------------

def test_the_reserve_is_released_the_day_after_the_warrants_expire():
    on_the_day = evaluate_focus(log(CLOSING), "2004-12-01", quotes=flat_quotes())
    after = evaluate_focus(log(CLOSING), "2004-12-02", quotes=flat_quotes())
    assert on_the_day.reservation.reserved == 125_000
    assert {c.status for c in on_the_day.state.certificates.values()} == {"outstanding"}
    assert after.reservation.reserved == 0 and after.reservation.required == 0
    assert {(c.status, c.closed_on) for c in after.state.certificates.values()} == {("expired", D("2004-12-01"))}


def test_an_exercise_price_reduced_below_par_is_a_reported_problem():
    events = [CLOSING, {"type": "price_reduction", "date": "2001-03-01", "start": "2001-03-01",
                        "end": "2001-03-31", "price": "0.005"}]
    result = evaluate_focus(log(*events), "2001-04-30", quotes=flat_quotes())
    [breach] = [b for b in result.breaches if b.code == "EXERCISE-PRICE-BELOW-PAR"]
    assert breach.date == D("2001-03-01") and "$0.005" in breach.message and breach.line == 2


def test_a_notice_of_adjustment_is_dated_by_its_event(tmp_path):
    from conftest import pipedeal_cli

    run = pipedeal_cli(tmp_path, tmp_path / "cache")
    events = tmp_path / "events.jsonl"
    events.write_text(jsonl(CLOSING, FILED, EFFECTIVE, {"type": "stock_split", "date": "2000-06-15", "ratio": "3:2",
                                                        "authorized": 60_000_000}))
    run("documents", "adjustments", "--events", str(events), "--as-of", "2000-07-01", "--format", "html",
        "--out", str(tmp_path / "out"))
    [notice] = list((tmp_path / "out").iterdir())
    assert "June 15, 2000" in notice.read_text()


# --- 6. the additional statement's filing deadline and a blackout -----------------------------------

def test_a_blackout_before_the_additional_filing_deadline_extends_it():
    # Notice 2000-06-01: file by 07-01; a 10-day blackout from 06-20 began before it: 07-11 (a Tuesday).
    events = [CLOSING, FILED, EFFECTIVE,
              {"type": "insufficient_shares_notice", "date": "2000-06-01", "investor": "raptor"},
              {"type": "blackout", "date": "2000-06-15", "start": "2000-06-20", "end": "2000-06-29"}]
    result = evaluate_focus(log(*events), "2000-07-31", quotes=flat_quotes())
    filing = obligations(result)["additional_rs_filing"]
    assert filing["due"] == "2000-07-11"
    assert any(step["clause"] == "RRA 3(g)" for step in filing["computation"])
    assert obligations(result)["rs_filing"]["due"] == "1999-12-27"  # the primary deadline is not moved
    runs = [(r["kind"], r["start"]) for r in to_json(result)["registration_defaults"]]
    assert ("additional_filing", "2000-07-12") in runs


# --- 7. a cashless lot is named by the shares issued ---------------------------------------------------

def test_a_cashless_lot_is_labelled_with_the_shares_actually_issued():
    # Never effective, so cashless is open from 2000-11-24; A = $3, B = $1.80125, X = 10,000:
    # (3 - 1.80125) x 10,000 / 3 = 3,995.83 -> 3,995 shares and cash for the fraction.
    events = [CLOSING, {"type": "warrant_exercise", "date": "2001-01-10", "warrant": "W-1", "shares": 10_000,
                        "method": "cashless"}]
    result = evaluate_focus(log(*events), "2001-02-01", quotes=flat_quotes("3.00"))
    [lot] = [lot for lot in result.default_days.period.lots if not lot.bears_damages]
    assert lot.name == "3,995 Warrant Shares (W-1, cashless)"
    assert lot.holding_from == D("1999-11-24")   # a cashless exercise tacks to the Warrant's issue


# --- 8. the financial-statement exclusion, listed ----------------------------------------------------

def test_the_financial_statement_exclusion_lists_its_days_and_window():
    # A lapse solely to update the financial statements from 2001-02-10, restored 03-21. The FY 2000
    # window is (2000-12-31 + 45, + 90] = 2001-02-15 to 2001-03-31: 02-15..03-20 (34 days) are not
    # defaults; 02-10..02-14 (5 days) are.
    events = [CLOSING, FILED, EFFECTIVE,
              {"type": "effectiveness_lapsed", "date": "2001-02-10", "reason": "financial_statements"},
              {"type": "effectiveness_restored", "date": "2001-03-21"}]
    data = to_json(evaluate_focus(log(*events), "2001-04-30", quotes=flat_quotes()))
    assert data["lapse_exclusions"] == [{
        "reason": "lapse solely to update the financial statements, inside the window 2001-02-15 to 2001-03-31 "
                  "(fiscal year end + 45 days, + 90 days]", "clause": "RRA 3(e)", "start": "2001-02-15",
        "end": "2001-03-20", "days": 34, "window": {"start": "2001-02-15", "end": "2001-03-31"}}]
    assert [(r["kind"], r["start"], r["end"]) for r in data["registration_defaults"]] == [
        ("filing", "1999-12-28", "2000-01-12"), ("lapse", "2001-02-10", "2001-02-14")]


def test_ld_explain_lists_the_excluded_lapse_days(tmp_path):
    from conftest import pipedeal_cli

    run = pipedeal_cli(tmp_path, tmp_path / "cache")
    events = tmp_path / "events.jsonl"
    events.write_text(jsonl(CLOSING, FILED, EFFECTIVE,
                            {"type": "effectiveness_lapsed", "date": "2001-02-10", "reason": "financial_statements"},
                            {"type": "effectiveness_restored", "date": "2001-03-21"}))
    shown = run("ld", "--events", str(events), "--as-of", "2001-04-30", "--investor", "raptor", "--explain").stdout
    assert "2001-02-15 to 2001-03-20 (34 lapse day(s)) not a default" in " ".join(shown.split())
    assert "window 2001-02-15 to 2001-03-31" in " ".join(shown.split())


def test_obligations_and_breaches_are_listed_in_date_order():
    events = [CLOSING, FILED, EFFECTIVE,
              {"type": "insufficient_shares_notice", "date": "2000-06-01", "investor": "raptor"},
              {"type": "ld_demand", "date": "2000-01-20", "investor": "raptor"},
              {"type": "blackout", "date": "2000-09-01", "start": "2000-09-01", "end": "2000-09-05"},
              {"type": "blackout", "date": "2000-07-30", "start": "2000-07-31", "end": "2000-08-02"}]
    data = to_json(evaluate_focus(log(*events), "2000-12-31", quotes=flat_quotes()))
    dues = [row["due"] for row in data["obligations"]]
    assert dues == sorted(dues)
    dates = [row["date"] for row in data["breaches"]]
    assert dates == sorted(dates) and len(dates) == 2


# --- 9. the Closing's close on a day the market is shut -----------------------------------------------

def test_closing_date_market_value_on_a_thanksgiving_closing_takes_the_day_before():
    # A Closing on Thursday 1999-11-25 (Thanksgiving, Nasdaq closed): "the aggregate market value as of
    # the Closing Date" is the last close before it, 1999-11-24's.
    closing = {"type": "closing", "date": "1999-11-25"}
    result = evaluate_focus(log(closing), "2000-01-31", ld_market_value="closing_date")
    close = Fraction(focus_quotes().value(D("1999-11-24"), "close"))
    for segment in result.damages["raptor"].segments:
        assert segment.price_total == close * segment.days


# --- RULES §3: a demand takes effect as a notice --------------------------------------------------------

def test_a_demand_faxed_on_a_saturday_takes_effect_on_monday_and_is_due_the_saturday_after():
    demand = {"type": "ld_demand", "date": "2000-01-08", "investor": "raptor",
              "sent_at": "2000-01-08T10:00:00-05:00", "method": "fax"}
    result = evaluate_focus(log(CLOSING, FILED, demand), "2000-02-01", quotes=flat_quotes())
    [made] = result.damages["raptor"].demands
    assert (made.effective, made.due) == (D("2000-01-10"), D("2000-01-15"))


def test_a_fax_before_opening_takes_effect_the_next_business_day_as_written():
    demand = {"type": "ld_demand", "date": "2000-01-10", "investor": "raptor",
              "sent_at": "2000-01-10T08:00:00-05:00", "method": "fax"}
    as_written = evaluate_focus(log(CLOSING, FILED, demand), "2000-02-01", quotes=flat_quotes())
    at_opening = evaluate_focus(log(CLOSING, FILED, demand), "2000-02-01", quotes=flat_quotes(),
                                notice_before_hours="same_day_opening")
    assert as_written.damages["raptor"].demands[0].effective == D("2000-01-11")
    assert at_opening.damages["raptor"].demands[0].effective == D("2000-01-10")


def test_a_fax_without_confirmation_never_takes_effect():
    demand = {"type": "ld_demand", "date": "2000-01-10", "investor": "raptor",
              "sent_at": "2000-01-10T11:00:00-05:00", "method": "fax", "confirmed": False}
    [made] = evaluate_focus(log(CLOSING, FILED, demand), "2000-02-01", quotes=flat_quotes()).damages[
        "raptor"].demands
    assert (made.effective, made.due, made.status) == (None, None, "not_applicable")


# --- a statement is filed once and declared effective once ---------------------------------------------

def test_a_second_filing_or_effectiveness_of_the_primary_statement_is_refused():
    from scenario import focus_context

    from pipedeal.engine.timeline import fold

    found = fold(log(CLOSING, FILED, {"type": "rs_filed", "date": "2000-01-20"}, EFFECTIVE,
                     {"type": "rs_effective", "date": "2000-02-20"}), focus_context()).problems
    assert [(p.code, p.line) for p in found] == [("EVENT-DUPLICATE-STATEMENT", 3), ("EVENT-DUPLICATE-STATEMENT", 5)]


def test_the_timeline_lists_the_state_on_every_day_something_changed():
    result = evaluate_focus(log(CLOSING, *SPLIT_AND_SALE), "2000-03-31", quotes=HALVED)
    days = [day for day, _ in result.timeline.dated_states()]
    assert days == [D("1999-11-24"), D("2000-03-05"), D("2000-03-10"), D("2000-03-15")]
    state = dict(result.timeline.dated_states())
    assert state[D("2000-03-10")].holdings["raptor"].purchased_held == 771_500
    assert state[D("2000-03-15")].capitalization.outstanding == 44_525_402   # 22,262,701 x 2
    assert state[D("2000-03-05")].capitalization.warrant_shares_outstanding == 250_000
    _ = dt  # dates above are literal
