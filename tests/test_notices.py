"""SPA 12.1, RRA 8 (RULES §5): every notice on the timeline, when it is deemed effective where each
recipient is, and the clock it starts.

FOCUS's parties: the Company in Wilmington, Massachusetts; Raptor and Altar Rock in Boston
(US-MA: Patriots' Day, no Saturday-to-Friday shift); Roseworth in Vaduz, Liechtenstein (LI public
holidays: Christmas Day and St Stephen's Day, Labour Day on 1 May). Business hours are 09:00-17:00
in the recipient's local time; a fax before opening takes effect the next business day
(``notice_before_hours = next_business_day``, the FOCUS text). US clocks moved forward on Sun
2000-04-02, European clocks on Sun 2000-03-26: for that week Vaduz is seven hours ahead of Boston,
not six.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from scenario import CLOSING, D, evaluate_focus, flat_quotes, log

from pipedeal.outputs.report import notices_json, to_json

BOSTON, VADUZ = ZoneInfo("America/New_York"), ZoneInfo("Europe/Vaduz")


def notice(sent_at: str, method: str, to: str, sender: str = "focus", subject: str = "notice", **more) -> dict:
    return {"type": "notice", "sent_at": sent_at, "method": method, "from": sender, "to": to, "subject": subject,
            **more}


def only_notice(events: list[dict], as_of: str, **readings):
    evaluation = evaluate_focus(log(CLOSING, *events), as_of, quotes=flat_quotes(), **readings)
    rows = notices_json(evaluation)
    assert rows == to_json(evaluation)["notices"]  # the report carries the same list
    return evaluation, rows


def moment(text: str, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(zone)


# --- when a notice takes effect -------------------------------------------------------------------

def test_a_fax_at_half_past_six_new_york_time_on_a_friday_takes_effect_on_monday_at_opening():
    # Fri 2000-01-07 18:30 EST in Boston: after 17:00, so not "during normal business hours"; Sat and
    # Sun are no business days; Mon 2000-01-10 is (Martin Luther King Day is 01-17): effective at
    # 09:00 EST that Monday.
    _, [row] = only_notice([notice("2000-01-07T18:30:00-05:00", "fax", "raptor")], "2000-02-01")
    [receipt] = row["recipients"]
    assert (row["effective"], row["status"]) == ("2000-01-10", "in_effect")
    assert receipt["effective_at"] == "2000-01-10T09:00:00-05:00"
    assert (receipt["calendar"], receipt["timezone"], receipt["rule"]) == (
        "US-MA public holidays", "America/New_York", "SPA 12.1(a)")
    assert receipt["reason"].startswith("fax delivery 2000-01-07 18:30 EST: not during business hours")
    assert row["started"] == []  # a bare notice starts no clock pipedeal counts


@pytest.mark.parametrize(("to", "effective", "why"), [
    # Sent Fri 2000-12-22 from Vaduz. Boston: Sat 23, Sun 24, Mon 25 Christmas Day -> Tue 2000-12-26.
    ("raptor", "2000-12-26", "2000-12-25 Christmas Day"),
    # Vaduz: Sat 23, Sun 24, Mon 25 Christmas Day, Tue 26 St Stephen's Day -> Wed 2000-12-27.
    ("roseworth", "2000-12-27", "2000-12-25 Christmas Day; 2000-12-26 Saint Stephen's Day"),
])
def test_a_courier_sent_from_vaduz_before_christmas_counts_the_recipients_business_days(to, effective, why):
    _, [row] = only_notice([notice("2000-12-22T15:00:00+01:00", "courier", to)], "2001-01-31")
    [receipt] = row["recipients"]
    assert row["effective"] == effective
    assert receipt["rule"] == "SPA 12.1(b)"
    assert f"not a business day there: {why}" in receipt["reason"]


def test_a_fax_received_in_boston_on_patriots_day_takes_effect_on_tuesday():
    # Mon 2000-04-17 10:00 EDT: Patriots' Day, a Massachusetts legal holiday (no federal one), so the
    # first business day following, Tue 2000-04-18, at 09:00 EDT.
    _, [row] = only_notice([notice("2000-04-17T10:00:00-04:00", "fax", "raptor")], "2000-05-01")
    [receipt] = row["recipients"]
    assert receipt["effective_at"] == "2000-04-18T09:00:00-04:00"
    assert "(2000-04-17 is Patriots' Day there)" in receipt["reason"]


@pytest.mark.parametrize(("sent_at", "to", "local", "effective_at"), [
    # A fax machine in Boston still set to EST after the spring-forward: 08:30 -05:00 on Mon
    # 2000-04-03 is 13:30 UTC, 09:30 EDT in Boston: within business hours, effective that moment.
    ("2000-04-03T08:30:00-05:00", "raptor", "09:30 EDT", "2000-04-03T09:30:00-04:00"),
    # The same stamp a week earlier, Mon 2000-03-27, is 08:30 EST, before opening: the next business
    # day, Tue 2000-03-28 at 09:00 EST.
    ("2000-03-27T08:30:00-05:00", "raptor", "08:30 EST", "2000-03-28T09:00:00-05:00"),
    # To Vaduz, 10:30 EST on Mon 2000-03-20 is 16:30 CET: within hours, that day.
    ("2000-03-20T10:30:00-05:00", "roseworth", "16:30 CET", "2000-03-20T16:30:00+01:00"),
    # A week later Vaduz is on summer time (since Sun 2000-03-26) and Boston not yet: 10:30 EST is
    # 17:30 CEST, after hours: Tue 2000-03-28 at 09:00 CEST.
    ("2000-03-27T10:30:00-05:00", "roseworth", "17:30 CEST", "2000-03-28T09:00:00+02:00"),
])
def test_a_fax_around_the_daylight_saving_changes_is_read_in_the_recipients_local_time(sent_at, to, local,
                                                                                        effective_at):
    _, [row] = only_notice([notice(sent_at, "fax", to)], "2000-05-01")
    [receipt] = row["recipients"]
    assert local in receipt["reason"]
    assert receipt["effective_at"] == effective_at
    zone = VADUZ if to == "roseworth" else BOSTON
    assert moment(receipt["effective_at"], zone).utcoffset() == moment(effective_at, zone).utcoffset()


# --- notices that start a clock -------------------------------------------------------------------

FILED = {"type": "rs_filed", "date": "2000-01-13"}


def test_a_demand_faxed_on_a_saturday_is_due_five_days_after_monday():
    # RULES §3: faxed Sat 2000-01-08 10:00 EST to the Company in Wilmington: not a business day, so
    # it takes effect Mon 2000-01-10 at 09:00; payment is due 5 calendar days later, Sat 2000-01-15.
    demand = {"type": "ld_demand", "investor": "raptor", "sent_at": "2000-01-08T10:00:00-05:00", "method": "fax"}
    evaluation, [row] = only_notice([FILED, demand], "2000-02-01")
    assert (row["type"], row["date"], row["from"], row["to"]) == ("ld_demand", "2000-01-08", "raptor", ["focus"])
    assert row["recipients"][0]["effective_at"] == "2000-01-10T09:00:00-05:00"
    [made] = evaluation.damages["raptor"].demands
    [started] = row["started"]
    assert (made.effective, made.due) == (D("2000-01-10"), D("2000-01-15"))
    assert started["due"] == "2000-01-15" and started["clause"] == "RRA 3(e)" and started["status"] == "missed"
    assert started["text"] == (f"payment of liquidated damages of ${made.amount:,} to raptor due 2000-01-15 "
                               "(RRA 3(e)): missed")


def blackout(sent_at: str, start: str, end: str) -> dict:
    return {"type": "blackout", "sent_at": sent_at, "method": "fax", "start": start, "end": end}


def test_a_blackout_notice_faxed_on_patriots_day_is_given_when_the_last_investor_has_it():
    # RRA 3(g): notice "at least two (2) Trading Days prior to the first day of the blackout period".
    # Blackout from Wed 2000-04-19: two Trading Days before is Mon 04-17 (Nasdaq is open on Patriots'
    # Day). Faxed Mon 04-17 10:00 EDT: Roseworth has it at 16:00 CEST that day, the Boston investors on
    # Tue 04-18 (Patriots' Day): given 04-18, one Trading Day late. Counted from its date it would
    # have been on time.
    evaluation, [row] = only_notice([FILED, blackout("2000-04-17T10:00:00-04:00", "2000-04-19", "2000-04-25")],
                                    "2000-05-01")
    days = {r["party"]: r["effective"] for r in row["recipients"]}
    assert days == {"raptor": "2000-04-18", "altar-rock": "2000-04-18", "roseworth": "2000-04-17"}
    assert row["effective"] == "2000-04-18"
    assert [(c["what"], c["due"], c["status"]) for c in row["started"]] == [
        ("blackout period 2000-04-19 to 2000-04-25", None, None),
        ("notice of the blackout, 2 Trading Days before its first day 2000-04-19", "2000-04-17", "missed")]
    [late] = [b for b in evaluation.breaches if b.code == "BLACKOUT-LATE-NOTICE"]
    assert late.message == ("blackout from 2000-04-19: notice sent 2000-04-17, effective 2000-04-18, due by "
                            "2000-04-17 (2 Trading Days before the first blackout day)")
    assert (late.file, late.line) == ("test.jsonl", 3)


def test_the_same_blackout_notice_two_days_earlier_is_in_time():
    # Faxed Fri 2000-04-14 10:00 EDT: every investor has it that day (16:00 in Vaduz), before 04-17.
    evaluation, [row] = only_notice([FILED, blackout("2000-04-14T10:00:00-04:00", "2000-04-19", "2000-04-25")],
                                    "2000-05-01")
    assert row["effective"] == "2000-04-14"
    assert row["started"][1]["status"] == "met"
    assert not [b for b in evaluation.breaches if b.code == "BLACKOUT-LATE-NOTICE"]


SPLIT = {"type": "stock_split", "date": "2001-06-15", "record_date": "2001-06-01", "ratio": "3:2",
         "authorized": 45000000}


def action_notice(sent_at: str, method: str) -> dict:
    return {"type": "corporate_action_notice", "sent_at": sent_at, "method": method, "action": "split",
            "record_date": "2001-06-01", "effective_date": "2001-06-15"}


def test_a_corporate_action_notice_by_courier_reaches_vaduz_after_may_day_and_is_just_in_time():
    # W 14: 30 days before the record date Fri 2001-06-01 is Wed 2001-05-02; before the effective date
    # Fri 2001-06-15, Wed 2001-05-16. Couriered Mon 2001-04-30 to the Warrants' holders: Boston's first
    # business day after is Tue 05-01; Vaduz's is Wed 05-02 (1 May is Labour Day there). Given 05-02:
    # in time for both.
    evaluation, [row] = only_notice([FILED, action_notice("2001-04-30T16:00:00-04:00", "courier"), SPLIT],
                                    "2001-07-01")
    assert row["to"] == ["raptor", "altar-rock", "roseworth"]  # the holders of W-1, W-2, W-3
    assert {r["party"]: r["effective"] for r in row["recipients"]} == {
        "raptor": "2001-05-01", "altar-rock": "2001-05-01", "roseworth": "2001-05-02"}
    # A split is no reorganization: W 14 owes notice of its record date only (not of the day it takes place).
    assert [(c["due"], c["status"]) for c in row["started"]] == [("2001-05-02", "met")]
    assert not [b for b in evaluation.breaches if b.code == "W14-LATE-NOTICE"]


def test_a_corporate_action_notice_faxed_after_hours_on_the_last_day_is_late():
    # Faxed Wed 2001-05-02 18:00 EDT: after hours in Boston (Thu 05-03), midnight in Vaduz, before
    # opening (Fri 05-04, the FOCUS text): given 05-04, after 05-02: late for the record date (a split
    # owes no notice of the day it takes place: W 14(ii) is for reorganizations, mergers ...).
    evaluation, [row] = only_notice([FILED, action_notice("2001-05-02T18:00:00-04:00", "fax"), SPLIT], "2001-07-01")
    assert row["effective"] == "2001-05-04"
    assert [c["status"] for c in row["started"]] == ["missed"]
    [late] = [b for b in evaluation.breaches if b.code == "W14-LATE-NOTICE"]
    assert "notice of the record date 2001-06-01 was sent 2001-05-02, effective 2001-05-04; due by 2001-05-02" in (
        late.message)
    # The W 14 obligation (RULES §5) reads the same day: given 05-04, the record-date notice was
    # performed late (missed, met on 05-04). A split is no reorganization: W 14(ii)'s notice of the
    # day it takes place is not owed.
    duties = {o.id.rsplit(":", 1)[1]: (o.due, o.status, o.met_on) for o in evaluation.all_obligations
              if o.kind == "corporate_action_notice"}
    assert duties == {"record_date": (D("2001-05-02"), "missed", D("2001-05-04"))}


def test_an_insufficient_shares_notice_by_courier_from_vaduz_counts_from_its_arrival():
    # RRA 3(a): file "within thirty (30) days of notice", effective within 120 days (RULES §3: of the
    # notice's effective date). Roseworth couriers it Fri 2000-12-22 from Vaduz to the Company in
    # Wilmington: effective Tue 2000-12-26 (Christmas Day Mon 25). Filing due 2000-12-26 + 30 = Thu
    # 2001-01-25; effective due 2000-12-26 + 120 = 5 + 31 + 28 + 31 + 25 = Wed 2001-04-25.
    event = {"type": "insufficient_shares_notice", "investor": "roseworth", "sent_at": "2000-12-22T15:00:00+01:00",
             "method": "courier"}
    evaluation, [row] = only_notice([FILED, {"type": "rs_effective", "date": "2000-02-16"}, event], "2001-06-01")
    assert (row["from"], row["to"], row["effective"]) == ("roseworth", ["focus"], "2000-12-26")
    assert [(c["what"], c["due"]) for c in row["started"]] == [
        ("file the additional Registration Statement", "2001-01-25"),
        ("cause the additional Registration Statement to be declared effective", "2001-04-25")]
    filing = next(d for d in evaluation.deadlines if d.kind == "additional_rs_filing")
    assert filing.steps[0].text == "notice sent 2000-12-22, effective 2000-12-26 + 30 days = 2001-01-25"


def test_a_repurchase_election_faxed_after_hours_is_made_the_next_day_and_its_payment_counts_from_then():
    # Not filed by Mon 1999-12-27 (1999-12-24 rolled): damages begin to accrue Tue 1999-12-28. RRA
    # 3(e)(A): elect within 5 Trading Days of that day (Dec 29, 30, 31, Jan 3, Jan 4: by Tue 2000-01-04)
    # and pay "within five (5) Trading Days of such notice". Faxed Mon 2000-01-03 17:30 EST: the Boston
    # investors have it Tue 01-04 (after hours), Roseworth too (23:30 CET): made 01-04, in time. Payment
    # due 5 Trading Days after 01-04: Jan 5, 6, 7, 10, 11 -> Tue 2000-01-11 (from the fax's date it
    # would have been 01-10), so a payment on 01-11 makes the repurchase valid.
    election = {"type": "repurchase_elected", "sent_at": "2000-01-03T17:30:00-05:00", "method": "fax"}
    paid = {"type": "repurchase_paid", "date": "2000-01-11"}
    evaluation, [row] = only_notice([election, paid], "2000-02-01")
    repurchase = evaluation.repurchase
    assert (repurchase.elected_on, repurchase.election_deadline, repurchase.payment_deadline, repurchase.status) == (
        D("2000-01-04"), D("2000-01-04"), D("2000-01-11"), "valid")
    assert [(c["due"], c["status"]) for c in row["started"]] == [("2000-01-04", "met"), ("2000-01-11", "met")]


def test_the_same_election_taken_on_its_date_would_make_that_payment_late():
    election = {"type": "repurchase_elected", "date": "2000-01-03"}
    paid = {"type": "repurchase_paid", "date": "2000-01-11"}
    evaluation, [row] = only_notice([election, paid], "2000-02-01")
    assert (evaluation.repurchase.payment_deadline, evaluation.repurchase.status) == (D("2000-01-10"), "void")
    assert row["method"] is None and row["effective"] == "2000-01-03"


def test_a_notice_not_yet_in_effect_on_the_evaluation_date_says_so():
    # Couriered Fri 2000-12-22: effective Tue 12-26; as of Sat 12-23 it is sent but not yet in effect.
    _, [row] = only_notice([notice("2000-12-22T15:00:00-05:00", "courier", "raptor")], "2000-12-23")
    assert (row["effective"], row["status"]) == ("2000-12-26", "not_yet_in_effect")


def test_an_unconfirmed_fax_blackout_notice_never_takes_effect_and_is_a_late_notice_with_a_warning():
    event = {**blackout("2000-04-10T10:00:00-04:00", "2000-04-19", "2000-04-25"), "confirmed": False}
    evaluation, [row] = only_notice([FILED, event], "2000-05-01")
    assert (row["effective"], row["status"]) == (None, "never")
    assert [p.code for p in evaluation.problems if p.code == "NOTICE-NEVER-EFFECTIVE"] == ["NOTICE-NEVER-EFFECTIVE"]
    assert "notice sent 2000-04-10, never effective" in next(
        b.message for b in evaluation.breaches if b.code == "BLACKOUT-LATE-NOTICE")


def test_a_mailed_notice_takes_effect_at_its_receipt_any_day():
    # SPA 12.1(c): "upon actual receipt of such mailing": received Sat 2000-01-08 11:15 in Vaduz, and
    # effective then, a Saturday or not.
    event = notice("2000-01-03T12:00:00-05:00", "mail", "roseworth", received_at="2000-01-08T11:15:00+01:00")
    _, [row] = only_notice([event], "2000-02-01")
    [receipt] = row["recipients"]
    assert (receipt["effective"], receipt["effective_at"], receipt["rule"]) == (
        "2000-01-08", "2000-01-08T11:15:00+01:00", "SPA 12.1(c)")


def test_an_insufficient_shares_notice_by_email_never_takes_effect_and_starts_no_deadline():
    # FOCUS (1999) allows no notice by email: no additional statement is due, and a warning says why.
    event = {"type": "insufficient_shares_notice", "investor": "raptor", "sent_at": "2000-06-01T10:00:00-04:00",
             "method": "email"}
    evaluation, [row] = only_notice([FILED, {"type": "rs_effective", "date": "2000-02-16"}, event], "2000-12-31")
    assert (row["effective"], row["status"], row["started"]) == (None, "never", [])
    assert not [d for d in evaluation.deadlines if d.id.startswith("additional")]
    [warning] = [p for p in evaluation.problems if p.code == "NOTICE-NEVER-EFFECTIVE"]
    assert "the agreement does not allow notice by email" in warning.message and warning.line == 4


def test_strict_names_the_before_hours_reading_when_it_moves_a_notice():
    # A fax at 08:00 EST on Mon 2000-01-10: as written (next_business_day) Tue 01-11; read as
    # same_day_opening, Mon 01-10 at 09:00. The report states the day, so --strict asks to confirm.
    from scenario import focus_calendars, focus_terms

    from pipedeal.engine.ambiguity import readings_that_move

    events = log(CLOSING, notice("2000-01-10T08:00:00-05:00", "fax", "raptor"))
    as_written, _ = only_notice([notice("2000-01-10T08:00:00-05:00", "fax", "raptor")], "2000-02-01")
    _, [at_opening] = only_notice([notice("2000-01-10T08:00:00-05:00", "fax", "raptor")], "2000-02-01",
                                  notice_before_hours="same_day_opening")
    assert (as_written.notices[0].sent.effective, at_opening["effective"]) == (D("2000-01-11"), "2000-01-10")
    moving = readings_that_move(focus_terms(), events, flat_quotes(), focus_calendars(), as_written, {},
                                damages_only=False)
    assert "notice_before_hours" in [entry.key for entry in moving]
