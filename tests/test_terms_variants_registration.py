"""PIPE-TERMS "Registration": filing and effectiveness deadlines counted in Business or Trading
Days, from the Closing or from the agreement; the clearance limb, a full review, no additional
statement, and the roll, on paper that is not FOCUS's.

Which calendar a "business" day count uses. PIPE-TERMS "Calendars": ``business`` is "what the
agreement calls a Business Day" and a day count's ``unit`` is ``calendar``, ``business`` or
``trading``; so a registration period of N Business Days counts the deal's own Business Days
(``calendars.business``: US-MA here, where Patriots' Day is a holiday and Christmas on a Saturday
is not moved to the Friday). The SEC's calendar (RULES §1: federal holidays with their observed
days, executive-order closings) enters through the roll alone: "``roll = "next_business_day"``
moves any registration due date, whatever its unit, to the next SEC business day" ("Windows and
dates"; Securities Act Rule 0-3). A deal whose Business Day is federal (``business = "US"``)
counts on the SEC's days themselves.

The Closing is FOCUS's, Wed 1999-11-24, unless a test says otherwise.
"""

from __future__ import annotations

import datetime as dt
import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scenario import CLOSING, D, log
from variants import FIXED_EXERCISE_PRICE, evaluate_variant, variant

from pipedeal.base.calendars import sec_calendar
from pipedeal.engine.registration import effectiveness_deadline, filing_deadline
from pipedeal.engine.timeline import fold, make_context
from pipedeal.outputs.report import to_json
from pipedeal.storage.workspace import calendars_for

FILING = 'days = 30\nunit = "calendar"\nfrom = "closing"'
EFFECTIVENESS_DAYS = 'days = 120                           # "one hundred fifty (120)"'
EFFECTIVENESS_REST = 'full_review_days = 150\nunit = "calendar"\nfrom = "closing"\nclearance_days = 5'
FIVE_CALENDAR_DAYS = 'clearance_days = 5\nclearance_unit = "calendar"'


def filing(days: int, unit: str, start: str = "closing") -> tuple[str, str]:
    return FILING, f'days = {days}\nunit = "{unit}"\nfrom = "{start}"'


def effectiveness(days: int, full_review_days: int, unit: str, start: str = "closing") -> list[tuple[str, str]]:
    return [(EFFECTIVENESS_DAYS, f"days = {days}  #"),
            (EFFECTIVENESS_REST, f'full_review_days = {full_review_days}\nunit = "{unit}"\nfrom = "{start}"\n'
                                 "clearance_days = 5")]


def clearance(days: int | str, unit: str | None = None) -> tuple[str, str]:
    if days == "none":
        return FIVE_CALENDAR_DAYS, 'clearance_days = "none"'
    return FIVE_CALENDAR_DAYS, f'clearance_days = {days}\nclearance_unit = "{unit}"'


def deadlines(terms, events, as_of: str) -> dict:
    return {d.id: d for d in evaluate_variant(terms, log(*events), as_of).deadlines}


# --- counted in Business Days or Trading Days, from the agreement or the Closing ------------------------

EARLY = [("agreement_date = 1999-11-24", "agreement_date = 1999-10-01"), FIXED_EXERCISE_PRICE]
EARLY_CLOSING = {"type": "closing", "date": "1999-10-05"}  # Tue, after a Friday agreement


def test_a_filing_due_in_ten_business_days_from_the_agreement_skips_columbus_day():
    # Agreement Fri 1999-10-01; Massachusetts business days after it: Mon 10-04 (1), 10-05 (2),
    # 10-06 (3), 10-07 (4), Fri 10-08 (5), [Mon 10-11 Columbus Day], Tue 10-12 (6), 10-13 (7),
    # 10-14 (8), Fri 10-15 (9), Mon 10-18 (10). The Closing (Tue 10-05) does not move it.
    terms = variant(*EARLY, filing(10, "business", "agreement"))
    due = deadlines(terms, [EARLY_CLOSING], "1999-10-15")["rs_filing"]
    assert (due.unrolled_due, due.due, due.status) == (D("1999-10-18"), D("1999-10-18"), "pending")
    assert due.steps[0].text == "the agreement date 1999-10-01 + 10 Business Days = 1999-10-18"
    filed = deadlines(terms, [EARLY_CLOSING, {"type": "rs_filed", "date": "1999-10-18"}], "1999-10-31")
    assert filed["rs_filing"].status == "met"


def test_a_filing_due_in_ten_trading_days_from_the_agreement_counts_columbus_day():
    # Nasdaq trades on Columbus Day: 10-04..10-08 (1-5), Mon 10-11 (6), 10-12..10-15 (7-10): Fri 10-15.
    terms = variant(*EARLY, filing(10, "trading", "agreement"))
    assert deadlines(terms, [EARLY_CLOSING], "1999-10-15")["rs_filing"].due == D("1999-10-15")


@pytest.mark.parametrize(("unit", "due"), [
    # Massachusetts business days after Fri 1999-10-01: 10-04..10-08 (1-5), [Columbus Day 10-11],
    # 10-12..10-15 (6-9), 10-18..10-22 (10-14), 10-25..10-29 (15-19), 11-01..11-05 (20-24),
    # 11-08..11-10 (25-27), [Veterans Day Thu 11-11], Fri 11-12 (28), Mon 11-15 (29), Tue 11-16 (30).
    ("business", "1999-11-16"),
    # Trading Days: Nasdaq trades on both holidays, so six full weeks, 10-04..11-12: Fri 11-12 (30).
    ("trading", "1999-11-12"),
])
def test_effectiveness_due_thirty_days_from_the_agreement_in_each_unit(unit, due):
    terms = variant(*EARLY, *effectiveness(30, 45, unit, "agreement"), drop=["effectiveness_days"])
    found = deadlines(terms, [EARLY_CLOSING], "1999-10-15")["rs_effectiveness"]
    assert (found.unrolled_due, found.due) == (D(due), D(due))


def test_a_filing_due_in_ten_business_days_from_the_closing_skips_thanksgiving():
    # Closing Wed 1999-11-24: [Thu 11-25 Thanksgiving], Fri 11-26 (1; the day after Thanksgiving is
    # a business day in Massachusetts), Mon 11-29 (2), 11-30 (3), 12-01 (4), 12-02 (5), Fri 12-03
    # (6), Mon 12-06 (7), 12-07 (8), 12-08 (9), Thu 12-09 (10).
    terms = variant(filing(10, "business"))
    assert deadlines(terms, [CLOSING], "1999-12-01")["rs_filing"].due == D("1999-12-09")


# Twenty-one Business Days after Wed 1999-11-24: Fri 11-26 (1), 11-29..12-03 (2-6), 12-06..12-10
# (7-11), 12-13..12-17 (12-16), 12-20..12-23 (17-20) and Fri 12-24 (21): Christmas 1999 was a
# Saturday, and Massachusetts does not close the Friday before, but the SEC did (Christmas Day
# observed). Nasdaq was closed that Friday too.
TWENTY_ONE = filing(21, "business")


def test_a_filing_due_on_a_massachusetts_business_day_the_sec_is_closed_rolls_to_monday():
    due = deadlines(variant(TWENTY_ONE), [CLOSING], "1999-12-01")["rs_filing"]
    assert (due.unrolled_due, due.due) == (D("1999-12-24"), D("1999-12-27"))
    assert due.steps[-1].text == ("1999-12-24 is not an SEC business day (Christmas Day (observed)); rolled to "
                                  "1999-12-27 (roll = next_business_day)")


def test_without_the_roll_that_filing_is_due_on_christmas_eve():
    terms = variant(TWENTY_ONE, ('roll = "next_business_day"', 'roll = "none"'), drop=["roll_deadlines"])
    due = deadlines(terms, [CLOSING], "1999-12-01")["rs_filing"]
    assert (due.unrolled_due, due.due) == (D("1999-12-24"), D("1999-12-24"))
    assert deadlines(terms, [CLOSING, {"type": "rs_filed", "date": "1999-12-27"}], "1999-12-31")[
        "rs_filing"].status == "missed"


def test_twenty_one_federal_business_days_skip_christmas_eve_themselves():
    # business = "US": 12-24 is closed, so the 21st Business Day is Mon 12-27, with nothing to roll.
    terms = variant(TWENTY_ONE, ('business = "US-MA"', 'business = "US"'))
    due = deadlines(terms, [CLOSING], "1999-12-01")["rs_filing"]
    assert (due.unrolled_due, due.due) == (D("1999-12-27"), D("1999-12-27"))


def test_twenty_one_trading_days_skip_christmas_eve_too():
    due = deadlines(variant(filing(21, "trading")), [CLOSING], "1999-12-01")["rs_filing"]
    assert (due.unrolled_due, due.due) == (D("1999-12-27"), D("1999-12-27"))


# --- effectiveness: a full review, the clearance limb -----------------------------------------------------

# Trading Days after Wed 1999-11-24: the 20th is Thu 12-23 (as above), then Mon 12-27 (21), 12-28
# (22), 12-29 (23), 12-30 (24), Fri 12-31 (25: Nasdaq open, the SEC closed for New Year's Day
# observed), Mon 2000-01-03 (26), 01-04 (27), 01-05 (28), 01-06 (29), Fri 01-07 (30).
TRADING = effectiveness(25, 30, "trading")


def test_twenty_five_trading_days_end_on_new_years_eve_and_roll_to_monday():
    due = deadlines(variant(*TRADING, drop=["effectiveness_days"]), [CLOSING], "1999-12-01")["rs_effectiveness"]
    assert (due.unrolled_due, due.due) == (D("1999-12-31"), D("2000-01-03"))


def test_a_full_review_gives_thirty_trading_days_from_the_closing_instead():
    # full_review_days replaces days, still counted from the Closing (not from the review notice).
    terms = variant(*TRADING, drop=["effectiveness_days"])
    due = deadlines(terms, [CLOSING, {"type": "full_review", "date": "1999-12-10"}], "1999-12-15")[
        "rs_effectiveness"]
    assert (due.unrolled_due, due.due) == (D("2000-01-07"), D("2000-01-07"))
    assert due.steps[0].text == ("Closing 1999-11-24 + 30 Trading Days (full review noticed 1999-12-10) "
                                 "= 2000-01-07")


FULL_REVIEW = {"type": "full_review", "date": "2000-02-10"}
CLEARED = {"type": "sec_clearance", "date": "2000-04-13"}  # a Thursday


@pytest.mark.parametrize(("limb", "unrolled", "due"), [
    # FOCUS's 150 days on a full review: 1999-11-24 + 150 = Sat 2000-04-22, rolled to Mon 04-24;
    # with no clearance limb the clearance changes nothing.
    (clearance("none"), "2000-04-22", "2000-04-24"),
    # 2 Trading Days after Thu 04-13: Fri 04-14, Mon 04-17 (Nasdaq trades on Patriots' Day)
    (clearance(2, "trading"), "2000-04-17", "2000-04-17"),
    # 2 Massachusetts business days: Fri 04-14, [Patriots' Day], Tue 04-18
    (clearance(2, "business"), "2000-04-18", "2000-04-18"),
    # 2 calendar days: Sat 04-15, rolled to Mon 04-17 (the SEC is open on Patriots' Day)
    (clearance(2, "calendar"), "2000-04-15", "2000-04-17"),
])
def test_the_clearance_limb_in_each_unit_or_none(limb, unrolled, due):
    result = deadlines(variant(limb), [CLOSING, FULL_REVIEW, CLEARED], "2000-04-14")["rs_effectiveness"]
    assert (result.unrolled_due, result.due) == (D(unrolled), D(due))


def test_with_no_clearance_limb_the_computation_does_not_mention_the_clearance():
    result = deadlines(variant(clearance("none")), [CLOSING, FULL_REVIEW, CLEARED], "2000-04-14")["rs_effectiveness"]
    assert not any("clearance" in step.text for step in result.steps)


# --- no additional statement --------------------------------------------------------------------------

ADDITIONAL_TABLES = (
    '[registration.additional.filing]\nclause = "RRA 3(a)"\nquote = "file, within thirty (30) days of notice from '
    'any Investor, a further Registration Statement"\ndays = 30\nunit = "calendar"\nfrom = "notice"\n\n'
    '[registration.additional.effectiveness]\nclause = "RRA 3(a)"\nquote = "within ninety (120) days (or, if the '
    'Registration Statement receives a \\"full review\\" from the Commission, 150 days) of the date of such notice"\n'
    'days = 120                           # "ninety (120)" (an ambiguity below)\nfull_review_days = 150\n'
    'unit = "calendar"\nfrom = "notice"\nclearance_days = "none"              # the additional statement has no '
    "clearance limb\n\n")
NO_ADDITIONAL = [(ADDITIONAL_TABLES, ""),
                 ('roll = "next_business_day"', 'roll = "next_business_day"\nadditional = "none"')]
NOTICE = {"type": "insufficient_shares_notice", "date": "2000-06-01", "investor": "raptor"}
ON_TIME = [CLOSING, {"type": "rs_filed", "date": "1999-12-20"}, {"type": "rs_effective", "date": "2000-02-16"}]


def test_an_insufficient_shares_notice_under_an_agreement_with_no_additional_statement_says_nothing_is_due():
    terms = variant(*NO_ADDITIONAL, drop=["additional_effectiveness_days"])
    assert terms.registration.additional == "none"
    result = evaluate_variant(terms, log(*ON_TIME, NOTICE), "2000-12-31")
    # No deadline follows the notice, so no default either; the evaluation says why.
    assert sorted(d.id for d in result.deadlines) == ["rs_effectiveness", "rs_filing"]
    assert result.default_days.kinds["additional_filing"] == ()
    [warning] = [p for p in result.problems if p.code == "ADDITIONAL-STATEMENT-NONE"]
    assert (warning.severity, warning.line, warning.date) == ("warning", 4, D("2000-06-01"))
    assert warning.message == ("insufficient_shares_notice of 2000-06-01 from raptor: the agreement provides no "
                               "additional Registration Statement (registration.additional = \"none\"), so no "
                               "filing or effectiveness deadline follows it")
    assert "ADDITIONAL-STATEMENT-NONE" in [p["code"] for p in to_json(result)["problems"]]


def test_the_same_notice_under_focus_gives_the_additional_statements_deadlines():
    # RRA 3(a): file within 30 days of the notice, 2000-06-01 + 30 = Sat 07-01, rolled to Mon 07-03
    # (the SEC's next business day; Independence Day is the Tuesday); effective within 120 days,
    # 06-01 + 120 = Fri 09-29.
    result = evaluate_variant(variant(), log(*ON_TIME, NOTICE), "2000-06-02")
    found = {d.kind: (d.unrolled_due, d.due) for d in result.deadlines}
    assert found["additional_rs_filing"] == (D("2000-07-01"), D("2000-07-03"))
    assert found["additional_rs_effectiveness"] == (D("2000-09-29"), D("2000-09-29"))
    assert not [p for p in result.problems if p.code == "ADDITIONAL-STATEMENT-NONE"]


# --- property: a Business Day count lands on a Business Day, and the roll on an SEC day --------------------

PLACES = ("US", "US-MA", "US-NY", "LI")


@functools.cache
def counted_in(business: str, roll: str, unit: str):
    terms = variant(('business = "US-MA"', f'business = "{business}"'),
                    ('roll = "next_business_day"', f'roll = "{roll}"'), filing(10, unit), drop=["roll_deadlines"])
    return terms, calendars_for(terms)


def docket(terms, calendars, closing: dt.date):
    return fold(log({"type": "closing", "date": closing.isoformat()}, terms=terms),
                make_context(terms, calendars.business))


@settings(max_examples=300, deadline=None)
@given(closing=st.dates(min_value=D("1995-01-01"), max_value=D("2035-06-30")),
       days=st.integers(min_value=1, max_value=60), business=st.sampled_from(PLACES),
       roll=st.sampled_from(("next_business_day", "none")), unit=st.sampled_from(("business", "trading")))
def test_a_count_of_business_or_trading_days_lands_on_such_a_day_and_the_roll_on_an_sec_day(
        closing, days, business, roll, unit):
    terms, calendars = counted_in(business, roll, unit)
    rule = terms.registration.filing.model_copy(update={"days": days})
    terms = terms.model_copy(update={"registration": terms.registration.model_copy(update={"filing": rule})})
    counted = calendars.business if unit == "business" else calendars.trading
    deadline = filing_deadline(terms, docket(terms, calendars, closing), calendars, closing)
    # The count: the days-th open day of the deal's own calendar after the Closing.
    assert counted.is_open(deadline.unrolled_due)
    assert counted.count_open_days(closing, deadline.unrolled_due) == days
    if roll == "none":
        assert deadline.due == deadline.unrolled_due
        return
    # The roll: the first SEC business day on or after it (Rule 0-3).
    sec = sec_calendar()
    assert sec.is_open(deadline.due)
    assert sec.count_open_days(deadline.unrolled_due - dt.timedelta(days=1), deadline.due) == 1
    if business == "US" and unit == "business":
        assert deadline.due == deadline.unrolled_due  # federal Business Days are SEC days: nothing to roll
    effective = effectiveness_deadline(terms, docket(terms, calendars, closing), calendars, closing)
    assert sec.is_open(effective.due)
