"""PIPE-TERMS ``registration.grace`` and ``registration.effectiveness_period``: allowed blackouts,
the notice they need, the delay they give a filing, and how long a statement must be kept
effective, on paper that is not FOCUS's.

The docket, unless a test says otherwise: the FOCUS Closing Wed 1999-11-24, the statement filed
1999-12-20 and declared effective Wed 2000-02-16, both in time; blackouts only count from
effectiveness (before it there is no effectiveness to suspend).

PIPE-TERMS "Grace": "A run is a maximal run of consecutive blackout days, across notices. Every
blackout day counts toward the year's total, default or not. ``rolling_12_months``: the window
(d - 1 year, d]; ``calendar_year``: 1 January to d." A blackout day is a default day "when the run
it belongs to exceeds ``max_consecutive_days`` at that day, or the year's aggregate exceeds
``max_days_per_year`` at that day".
"""

from __future__ import annotations

import json

import pytest
from scenario import CLOSING, D, flat_quotes, log
from variants import FIXED_EXERCISE_PRICE, evaluate_variant, variant

from pipedeal.base import intervals as iv

ON_TIME = [CLOSING, {"type": "rs_filed", "date": "1999-12-20"}, {"type": "rs_effective", "date": "2000-02-16"}]

# The FOCUS grace lines, by key: a variant replaces the value after "key = ".
GRACE = {
    "max_consecutive_days": 'max_consecutive_days = "none"',
    "max_days_per_year": "max_days_per_year = 30",
    "year": 'year = "rolling_12_months"',
    "notice_days": "notice_days = 2 ",
    "notice_unit": 'notice_unit = "trading"',
    "filing_extension_max_days": "filing_extension_max_days = 20",
}


def grace(**values) -> list[tuple[str, str]]:
    edits = []
    for key, value in values.items():
        old = GRACE[key]
        new = f"{key} = {json.dumps(value)}" + (" " if old.endswith(" ") else "")
        edits.append((old, new))
    return edits


def blackout(start: str, end: str, notice: str) -> dict:
    return {"type": "blackout", "date": notice, "start": start, "end": end}


def runs(days) -> list[tuple]:
    return [iv.dates(run) for run in days]


def blackout_defaults(terms, *blackouts: dict, as_of: str) -> list[tuple]:
    return runs(evaluate_variant(terms, log(*ON_TIME, *blackouts), as_of).default_days.kinds["blackout"])


# --- max_consecutive_days ---------------------------------------------------------------------------

TEN_IN_A_ROW = grace(max_consecutive_days=10, max_days_per_year="none")


def test_the_days_of_a_15_day_blackout_beyond_the_tenth_are_default_days():
    # 2000-03-01..03-15: days 1-10 (03-01..03-10) are allowed; 11-15 (03-11..03-15) exceed the run limit.
    assert blackout_defaults(variant(*TEN_IN_A_ROW), blackout("2000-03-01", "2000-03-15", "2000-02-25"),
                             as_of="2000-03-31") == [(D("2000-03-11"), D("2000-03-15"))]


def test_a_run_continues_across_two_notices():
    # 03-01..03-06 then 03-07..03-12: one run of 12 days, so 03-11 and 03-12 are default days.
    assert blackout_defaults(variant(*TEN_IN_A_ROW), blackout("2000-03-01", "2000-03-06", "2000-02-25"),
                             blackout("2000-03-07", "2000-03-12", "2000-02-25"), as_of="2000-03-31") == [
        (D("2000-03-11"), D("2000-03-12"))]


def test_a_day_between_two_blackouts_ends_the_run():
    # 03-01..03-06 (6 days), Tue 03-07 free, 03-08..03-15 (8 days): no run exceeds 10.
    assert blackout_defaults(variant(*TEN_IN_A_ROW), blackout("2000-03-01", "2000-03-06", "2000-02-25"),
                             blackout("2000-03-08", "2000-03-15", "2000-02-25"), as_of="2000-03-31") == []


# --- max_days_per_year and the year -------------------------------------------------------------------

AUTUMN = [blackout("2000-11-01", "2000-11-15", "2000-10-25"),   # 15 days
          blackout("2000-12-20", "2000-12-31", "2000-12-13"),   # 12 days
          blackout("2001-01-02", "2001-01-10", "2000-12-27")]   # 9 days


def test_twenty_days_a_calendar_year_starts_again_on_new_years_day():
    # 2000: 15 days in November, then 12-20..12-24 make 20; 12-25..12-31 are the 21st to 27th: default.
    # 2001 counts from 1 January: 9 days, none beyond 20.
    terms = variant(*grace(max_days_per_year=20, year="calendar_year"))
    assert blackout_defaults(terms, *AUTUMN, as_of="2001-01-31") == [(D("2000-12-25"), D("2000-12-31"))]


def test_twenty_days_in_any_twelve_months_carry_decembers_days_into_january():
    # On 2000-12-25 the window (1999-12-25, 2000-12-25] holds 15 + 6 = 21: default through 12-31.
    # On 2001-01-02 the window (2000-01-02, 2001-01-02] holds 15 + 12 + 1 = 28: every January day too.
    terms = variant(*grace(max_days_per_year=20))
    assert blackout_defaults(terms, *AUTUMN, as_of="2001-01-31") == [
        (D("2000-12-25"), D("2000-12-31")), (D("2001-01-02"), D("2001-01-10"))]


def test_blackout_days_that_are_already_defaults_count_toward_the_years_total():
    # At most 5 in a row and 10 a year. 2000-03-01..03-08: 03-06..03-08 exceed the run (default).
    # 2000-04-03..04-05: the year's blackout days are then 9, 10 and 11 (the three default days of
    # March count too), so 04-05 is a default day; counting only allowed days it would be 5 + 3 = 8.
    terms = variant(*grace(max_consecutive_days=5, max_days_per_year=10))
    assert blackout_defaults(terms, blackout("2000-03-01", "2000-03-08", "2000-02-25"),
                             blackout("2000-04-03", "2000-04-05", "2000-03-29"), as_of="2000-04-30") == [
        (D("2000-03-06"), D("2000-03-08")), (D("2000-04-05"), D("2000-04-05"))]


def test_with_no_limit_at_all_no_blackout_day_is_a_default():
    terms = variant(*grace(max_days_per_year="none"))
    assert blackout_defaults(terms, blackout("2000-03-01", "2000-08-31", "2000-02-25"), as_of="2000-09-30") == []


# --- the notice a blackout needs -----------------------------------------------------------------------

# A blackout from Tue 2000-04-18 needs notice 5 days ahead:
#   Business Days (Massachusetts): Fri 04-14 (1), 04-13 (2), 04-12 (3), 04-11 (4), Mon 04-10 (5):
#     Patriots' Day, Mon 04-17, is not one;
#   Trading Days: Mon 04-17 (1; Nasdaq trades), 04-14 (2), 04-13 (3), 04-12 (4), Tue 04-11 (5);
#   calendar days: Thu 04-13.
@pytest.mark.parametrize(("unit", "in_time", "late", "words"), [
    ("business", "2000-04-10", "2000-04-11", "5 Business Days"),
    ("trading", "2000-04-11", "2000-04-12", "5 Trading Days"),
    ("calendar", "2000-04-13", "2000-04-14", "5 days"),
])
def test_a_blackout_noticed_after_the_last_day_for_notice_is_a_breach(unit, in_time, late, words):
    terms = variant(*grace(notice_days=5, notice_unit=unit))
    ok = evaluate_variant(terms, log(*ON_TIME, blackout("2000-04-18", "2000-04-20", in_time)), "2000-04-30")
    assert [b for b in ok.breaches if b.code == "BLACKOUT-LATE-NOTICE"] == []
    breached = evaluate_variant(terms, log(*ON_TIME, blackout("2000-04-18", "2000-04-20", late)), "2000-04-30")
    [breach] = breached.breaches
    assert (breach.code, breach.date, breach.line) == ("BLACKOUT-LATE-NOTICE", D(late), 4)
    assert breach.message == (f"blackout from 2000-04-18: notice given {late}, due by {in_time} ({words} before "
                              "the first blackout day)")


def test_no_notice_requirement_means_a_notice_on_the_first_day_is_no_breach():
    terms = variant(*grace(notice_days="none"))
    result = evaluate_variant(terms, log(*ON_TIME, blackout("2000-04-18", "2000-04-20", "2000-04-18")), "2000-04-30")
    assert result.breaches == ()


# --- the delay a blackout gives the filing -----------------------------------------------------------------

TEN_DAYS_IN_DECEMBER = blackout("1999-12-10", "1999-12-19", "1999-12-07")  # begins before 1999-12-24


@pytest.mark.parametrize(("cap", "unrolled", "due"), [
    (0, "1999-12-24", "1999-12-27"),       # never extends: 11-24 + 30 = Fri 12-24, SEC closed, Mon 12-27
    (5, "1999-12-29", "1999-12-29"),       # 12-24 + 5 (of the 10 days) = Wed 12-29
    ("none", "2000-01-03", "2000-01-03"),  # 12-24 + 10 = Mon 2000-01-03
])
def test_a_ten_day_blackout_extends_the_filing_by_at_most_the_cap(cap, unrolled, due):
    terms = variant(*grace(filing_extension_max_days=cap))
    [filing] = [d for d in evaluate_variant(terms, log(CLOSING, TEN_DAYS_IN_DECEMBER), "1999-12-20").deadlines
                if d.id == "rs_filing"]
    assert (filing.unrolled_due, filing.due) == (D(unrolled), D(due))
    assert [s.clause for s in filing.steps].count("RRA 3(g)") == (0 if cap == 0 else 1)


def test_with_no_cap_each_blackout_before_the_extended_date_extends_it_again():
    # 12-02..12-16 (15 days) moves Fri 12-24 to Sat 2000-01-08; 12-22..12-31 (10 days) began before
    # that, so + 10 = Tue 2000-01-18 (Martin Luther King Day was Mon 01-17). FOCUS's 20-day cap
    # would stop at 2000-01-13.
    terms = variant(*grace(filing_extension_max_days="none"))
    events = log(CLOSING, blackout("1999-12-02", "1999-12-16", "1999-11-30"),
                 blackout("1999-12-22", "1999-12-31", "1999-12-20"))
    [filing] = [d for d in evaluate_variant(terms, events, "2000-01-02").deadlines if d.id == "rs_filing"]
    assert (filing.unrolled_due, filing.due) == (D("2000-01-18"), D("2000-01-18"))


# --- the Effectiveness Period: Rule 144 and max_years ------------------------------------------------------

def rule144(value: str, *more: tuple[str, str], drop: tuple[str, ...] = ()):
    return variant(FIXED_EXERCISE_PRICE, ('rule144 = "2y"', f'rule144 = "{value}"'), *more,
                   drop=["rule144k_years", *drop])


def sellable(result) -> dict[str, object]:
    """Each lot's Rule 144 date, by lot id."""
    return {lot.lot_id: lot.rule144k_date for lot in result.default_days.period.lots}


@pytest.mark.parametrize(("closing", "date"), [
    ("1997-04-28", "2000-04-28"),  # acquired before 1997-04-29: three years
    ("1997-04-29", "1999-04-29"),  # from 1997-04-29: two years
    ("2008-02-14", "2010-02-14"),  # until 2008-02-14: two years
    ("2008-02-15", "2008-08-15"),  # from 2008-02-15: six months
])
def test_rule_144_by_date_takes_the_holding_period_in_force_when_the_shares_were_bought(closing, date):
    result = evaluate_variant(rule144("by_date"), log({"type": "closing", "date": closing}), closing)
    assert sellable(result) == {"raptor:1": D(date), "altar-rock:1": D(date), "roseworth:1": D(date)}


def test_rule_144_by_date_for_warrant_shares_bought_on_each_side_of_2008_02_15():
    # A Closing on Fri 2007-06-01 (two years then: Closing Shares sellable 2009-06-01); the
    # Warrants are exercisable from the Closing for five years, and cashless at any time.
    #   Altar Rock pays cash on Mon 2007-12-03: two years, 2009-12-03.
    #   Raptor pays cash on Mon 2008-03-03: six months, 2008-09-03.
    #   Roseworth exercises cashless on Mon 2008-06-02: acquired under the six-month rule, its
    #   holding period runs from the Warrant's issue (2007-06-01): 2007-12-01, already past.
    terms = rule144("by_date", ('registrable = ["shares"]', 'registrable = ["shares", "warrant_shares"]'),
                    ("initial_exercise = 1999-12-01", "initial_exercise = { months_after_closing = 0 }"),
                    ("termination = 2004-12-01", "termination = { years_after_closing = 5 }"),
                    ('cashless = "after_one_year_no_effective_registration"', 'cashless = "anytime"'))
    events = [{"type": "closing", "date": "2007-06-01"}, {"type": "rs_filed", "date": "2007-06-01"},
              {"type": "rs_effective", "date": "2007-06-01"},
              {"type": "warrant_exercise", "date": "2007-12-03", "warrant": "W-2", "shares": 350, "method": "cash"},
              {"type": "warrant_exercise", "date": "2008-03-03", "warrant": "W-1", "shares": 1000, "method": "cash"},
              {"type": "warrant_exercise", "date": "2008-06-02", "warrant": "W-3", "shares": 1000,
               "method": "cashless"}]
    result = evaluate_variant(terms, log(*events), "2008-06-30",
                              quotes=flat_quotes("3.00", start="2007-05-01", end="2009-12-31"))
    assert sellable(result) == {
        "raptor:1": D("2009-06-01"), "altar-rock:1": D("2009-06-01"), "roseworth:1": D("2009-06-01"),
        "altar-rock:2": D("2009-12-03"), "raptor:2": D("2008-09-03"), "roseworth:2": D("2007-12-01")}


@pytest.mark.parametrize(("rule", "closing", "date"), [
    ("2y", "1999-11-24", "2001-11-24"),
    ("1y", "1999-11-24", "2000-11-24"),
    ("6m", "1999-11-24", "2000-05-24"),
    ("6m", "1999-08-31", "2000-02-29"),  # August 31 + 6 months: February's last day, 2000 a leap year
])
def test_rule_144_by_a_fixed_period(rule, closing, date):
    result = evaluate_variant(rule144(rule), log({"type": "closing", "date": closing}), closing)
    assert set(sellable(result).values()) == {D(date)}


LAPSED = {"type": "effectiveness_lapsed", "date": "2002-02-10", "reason": "other"}


def test_max_years_ends_the_period_two_years_after_effectiveness():
    # Effective Wed 2000-02-16: the period ends at the latest 2002-02-16 (the first day nothing is
    # owed). A lapse from Sun 2002-02-10 is a default on 02-10..02-15 only.
    terms = variant(("max_years = \"none\"", "max_years = 2"))
    result = evaluate_variant(terms, log(*ON_TIME, LAPSED), "2002-03-15")
    assert (result.default_days.period.end, result.default_days.period.reason) == (
        D("2002-02-16"), "2 years after effectiveness (max_years)")
    assert runs(result.default_days.kinds["lapse"]) == [(D("2002-02-10"), D("2002-02-15"))]


def test_without_max_years_the_same_lapse_runs_on_to_the_as_of_date():
    # FOCUS as written: no end is recorded, so 02-10..03-15, 19 + 15 = 34 default days.
    result = evaluate_variant(variant(), log(*ON_TIME, LAPSED), "2002-03-15")
    assert result.default_days.period.end is None
    assert runs(result.default_days.kinds["lapse"]) == [(D("2002-02-10"), D("2002-03-15"))]
    assert iv.count(result.default_days.kinds["lapse"]) == 34


def test_with_no_end_reading_each_lot_stops_at_its_rule_144_date_before_max_years():
    # PIPE-TERMS: the period "ends per lot when sellable under Rule 144, at the latest max_years
    # after effectiveness". One year from the Closing, 2000-11-24, comes before 2002-02-16.
    terms = rule144("1y", ("max_years = \"none\"", "max_years = 2"),
                    ('end = "as_written"', "# no end reading: PIPE-TERMS' per-lot meaning"),
                    drop=("effectiveness_period_end",))
    result = evaluate_variant(terms, log(*ON_TIME), "2000-12-31")
    period = result.default_days.period
    assert (period.reading, period.end) == ("per_lot_rule144", D("2002-02-16"))
    assert {period.lot_end(lot) for lot in ("raptor:1", "altar-rock:1", "roseworth:1")} == {D("2000-11-24")}
