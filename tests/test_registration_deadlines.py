"""RRA 3(a), 3(e), 3(g): when the Registration Statement is due, on which calendar."""

from __future__ import annotations

import datetime as dt

import pytest
from scenario import CLOSING, D, evaluate_focus, log


def deadlines(events, as_of, **overrides):
    result = evaluate_focus(events, as_of, **overrides)
    return {d.id: d for d in result.deadlines}


def test_filing_due_on_christmas_eve_1999_rolls_to_monday_the_27th():
    filing = deadlines(log(CLOSING), "1999-12-01")["rs_filing"]
    assert filing.unrolled_due == D("1999-12-24")
    assert filing.due == D("1999-12-27")
    assert filing.status == "pending"
    assert "Christmas Day (observed)" in filing.steps[-1].text


def test_without_the_roll_the_filing_is_due_on_christmas_eve():
    filing = deadlines(log(CLOSING), "1999-12-01", roll_deadlines="none")["rs_filing"]
    assert filing.due == D("1999-12-24")
    assert "roll = none keeps it" in filing.steps[-1].text


def test_the_real_s3_filed_on_2000_01_13_missed_the_filing_deadline():
    events = log(CLOSING, {"type": "rs_filed", "date": "2000-01-13", "form": "S-3",
                           "file_number": "333-94621"})
    filing = deadlines(events, "2000-02-01")["rs_filing"]
    assert (filing.status, filing.met_on, filing.due) == ("missed", D("2000-01-13"), D("1999-12-27"))


def test_filing_on_the_rolled_deadline_is_on_time():
    events = log(CLOSING, {"type": "rs_filed", "date": "1999-12-27"})
    assert deadlines(events, "2000-01-31")["rs_filing"].status == "met"


def test_an_unfiled_statement_is_missed_once_the_deadline_passes():
    assert deadlines(log(CLOSING), "1999-12-27")["rs_filing"].status == "pending"
    assert deadlines(log(CLOSING), "1999-12-28")["rs_filing"].status == "missed"


def test_a_blackout_before_the_filing_date_extends_it_by_its_length():
    # A 10-day blackout starting 1999-12-10 moves 1999-12-24 to 2000-01-03 (a Monday).
    events = log(CLOSING, {"type": "blackout", "date": "1999-12-07", "start": "1999-12-10",
                           "end": "1999-12-19"})
    filing = deadlines(events, "1999-12-20")["rs_filing"]
    assert filing.unrolled_due == D("2000-01-03")
    assert filing.due == D("2000-01-03")


def test_blackouts_extend_the_filing_date_by_at_most_20_days_in_all():
    events = log(
        CLOSING,
        {"type": "blackout", "date": "1999-11-30", "start": "1999-12-02", "end": "1999-12-16"},
        {"type": "blackout", "date": "1999-12-20", "start": "1999-12-22", "end": "1999-12-31"},
    )
    filing = deadlines(events, "2000-01-02")["rs_filing"]
    # 15 days, then only 5 of the next 10: 1999-12-24 + 20 = 2000-01-13 (a Thursday).
    assert filing.unrolled_due == D("2000-01-13")
    assert [s.clause for s in filing.steps].count("RRA 3(g)") == 2


def test_a_blackout_beginning_after_the_filing_date_does_not_extend_it():
    events = log(CLOSING, {"type": "blackout", "date": "1999-12-26", "start": "1999-12-28",
                           "end": "2000-01-05"})
    assert deadlines(events, "2000-01-06")["rs_filing"].due == D("1999-12-27")


@pytest.mark.parametrize(("days", "unrolled", "due"), [
    (120, "2000-03-23", "2000-03-23"),  # a Thursday
    (150, "2000-04-22", "2000-04-24"),  # Saturday rolls to Monday
])
def test_effectiveness_is_due_120_or_150_days_after_closing(days, unrolled, due):
    effectiveness = deadlines(log(CLOSING), "2000-01-01", effectiveness_days=days)["rs_effectiveness"]
    assert effectiveness.unrolled_due == D(unrolled)
    assert effectiveness.due == D(due)


def test_a_full_review_gives_150_days_whatever_the_effectiveness_days_reading():
    events = log(CLOSING, {"type": "full_review", "date": "2000-02-10"})
    effectiveness = deadlines(events, "2000-02-11")["rs_effectiveness"]
    assert effectiveness.unrolled_due == D("2000-04-22")
    assert effectiveness.due == D("2000-04-24")


def test_sec_clearance_plus_five_days_governs_when_earlier():
    events = log(CLOSING, {"type": "sec_clearance", "date": "2000-02-14"},
                 {"type": "rs_effective", "date": "2000-02-16"})
    effectiveness = deadlines(events, "2000-03-01")["rs_effectiveness"]
    assert effectiveness.unrolled_due == D("2000-02-19")   # a Saturday
    assert effectiveness.due == D("2000-02-22")            # Mon 02-21 is Presidents' Day
    assert (effectiveness.status, effectiveness.met_on) == ("met", D("2000-02-16"))


def test_facts_after_the_as_of_date_are_not_yet_known():
    events = log(CLOSING, {"type": "sec_clearance", "date": "2000-02-14"})
    assert deadlines(events, "2000-02-13")["rs_effectiveness"].due == D("2000-03-23")
    assert deadlines(events, "2000-02-14")["rs_effectiveness"].due == D("2000-02-22")


def test_an_additional_statement_does_not_meet_the_primary_deadlines():
    events = log(CLOSING, {"type": "rs_filed", "date": "1999-12-01", "statement": "additional"})
    assert deadlines(events, "1999-12-02")["rs_filing"].met_on is None


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from pipedeal.engine.registration import effectiveness_deadline, filing_deadline  # noqa: E402
from pipedeal.engine.timeline import Located, Timeline, fold, make_context  # noqa: E402


def docket(terms, closing: dt.date, *events) -> Timeline:
    """The timeline of a Closing on ``closing`` and ``events`` (the deadlines read only this)."""
    from scenario import focus_calendars, with_checklist

    from pipedeal.engine.events import parse_event

    located = [*(Located(parse_event(e)) for e in with_checklist(({"type": "closing", "date": closing.isoformat()},),
                                                                 terms)),
               *(Located(event) for event in events)]
    return fold(located, make_context(terms, focus_calendars().business))


@settings(max_examples=200, deadline=None)
@given(closing=st.dates(min_value=D("1995-01-01"), max_value=D("2035-12-31")),
       roll=st.booleans())
def test_any_closing_gives_a_filing_deadline_30_days_on_rolled_to_the_first_sec_business_day(closing, roll):
    from scenario import focus_calendars, focus_terms

    terms = focus_terms().with_readings({"roll_deadlines": "next_business_day" if roll else "none"})
    sec = focus_calendars().sec
    deadline = filing_deadline(terms, docket(terms, closing), focus_calendars(), closing)
    assert (deadline.unrolled_due - closing).days == 30
    if not roll:
        assert deadline.due == deadline.unrolled_due
        return
    assert sec.is_open(deadline.due)
    assert deadline.due >= deadline.unrolled_due
    assert sec.count_open_days(deadline.unrolled_due - dt.timedelta(days=1), deadline.due) == 1


@settings(max_examples=200, deadline=None)
@given(closing=st.dates(min_value=D("1995-01-01"), max_value=D("2035-06-30")),
       clearance_after=st.integers(min_value=0, max_value=200))
def test_the_effectiveness_deadline_is_never_later_than_the_closing_reading_allows(closing, clearance_after):
    from scenario import focus_calendars, focus_terms

    from pipedeal.engine.events import parse_event

    clearance = parse_event({"type": "sec_clearance", "date": str(closing + dt.timedelta(days=clearance_after))})
    calendars = focus_calendars()
    with_clearance = effectiveness_deadline(focus_terms(), docket(focus_terms(), closing, clearance), calendars,
                                            closing)
    without = effectiveness_deadline(focus_terms(), docket(focus_terms(), closing), calendars, closing)
    assert with_clearance.unrolled_due <= without.unrolled_due
    assert with_clearance.unrolled_due == min(without.unrolled_due, clearance.date + dt.timedelta(days=5))
