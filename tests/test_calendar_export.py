"""`pipedeal calendar`: every obligation as an all-day event a docket clerk imports into a calendar.

Each file is read back with ``icalendar``, as a calendar client would parse it.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from icalendar import Calendar
from scenario import FOCUS_DIR, D, evaluate_focus, log

from pipedeal.base.diagnostics import InputError
from pipedeal.engine.evaluate import evaluate
from pipedeal.outputs.calendar import calendar_ics, deal_calendar, entries, obligation_uid
from pipedeal.storage.workspace import calendars_for, evaluate_ledger, load_inputs

FOCUS_EVENTS = [json.loads(line) for line in (FOCUS_DIR / "events.jsonl").read_text().splitlines()]
BUNDLED = Path(FOCUS_DIR).parent


def vevents(data: bytes) -> list:
    return Calendar.from_ical(data).walk("VEVENT")


def by_obligation(events: list) -> dict[str, object]:
    found: dict[str, object] = {}
    for event in events:
        key = str(event["X-PIPEDEAL-OBLIGATION"])
        assert key not in found, f"{key} twice"
        found[key] = event
    return found


def alarm_day(event) -> dt.date:
    """The day the reminder fires: the trigger is relative to the start of the all-day event."""
    [alarm] = event.walk("VALARM")
    start = dt.datetime.combine(event.decoded("DTSTART"), dt.time(0, 0))
    return (start + alarm.decoded("TRIGGER")).date()


def test_focus_in_march_2000_the_two_registration_deadlines_are_all_day_events_with_their_computation():
    # As of 2000-03-01 FOCUS has two registration deadlines (README's worked example):
    #   filing: Closing 1999-11-24 + 30 days = Fri 1999-12-24, Christmas observed at the SEC, rolled
    #           to Mon 1999-12-27; filed 2000-01-13: missed.
    #   effectiveness: clearance 2000-02-14 + 5 days = Sat 2000-02-19, rolled to Tue 2000-02-22
    #           (Mon 02-21 is Presidents' Day); effective 2000-02-16: met.
    data = calendar_ics([evaluate_focus(log(*FOCUS_EVENTS), "2000-03-01")])
    events = by_obligation(vevents(data))
    assert {key for key in events if key.startswith("rs_")} == {"rs_effectiveness", "rs_filing"}
    filing, effectiveness = events["rs_filing"], events["rs_effectiveness"]
    assert str(filing["X-PIPEDEAL-KIND"]) == "rs_filing"

    assert filing.decoded("DTSTART") == D("1999-12-27") and type(filing.decoded("DTSTART")) is dt.date
    assert filing.decoded("DTEND") == D("1999-12-28")
    assert b"DTSTART;VALUE=DATE:19991227" in data
    assert str(filing["SUMMARY"]) == ("[MISSED] FOCUS Enhancements, Inc.: file the Registration Statement "
                                      "with the Commission (focus-1999)")
    description = str(filing["DESCRIPTION"])
    assert "Closing 1999-11-24 + 30 days = 1999-12-24" in description
    assert "rolled to 1999-12-27" in description and "Registration Statement filed 2000-01-13" in description
    assert description.startswith("RRA 3(a): ")
    # The deadline stands whether or not it was met: CONFIRMED; the performance is in the categories.
    assert str(filing["STATUS"]) == "CONFIRMED" and str(effectiveness["STATUS"]) == "CONFIRMED"
    assert "missed" in filing["CATEGORIES"].cats and "met" in effectiveness["CATEGORIES"].cats
    assert str(effectiveness["SUMMARY"]).startswith("[MET 2000-02-16] ")
    # The missed filing keeps its reminder: 5 Massachusetts business days before Mon 1999-12-27 is
    # Mon 12-20 (12-24 is a business day in MA: no Saturday-to-Friday shift). The met one has none.
    assert alarm_day(filing) == D("1999-12-20")
    [alarm] = filing.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER") == -dt.timedelta(days=6, hours=15)  # 09:00 on 12-20
    assert effectiveness.walk("VALARM") == []
    # DTSTAMP is the as-of date, not the clock.
    assert filing.decoded("DTSTAMP") == dt.datetime(2000, 3, 1, tzinfo=dt.UTC)


def test_focus_in_march_2000_the_covenants_dated_duties_are_events_beside_the_two_deadlines():
    # RULES §5's covenant obligations of FOCUS as of 2000-03-01, each due day worked on the Trading
    # Day calendar (XNAS) as the engine counts, each reminder 5 Massachusetts business days before:
    #   draft review of the filing 2000-01-13 (RRA 3(c)): 5 Trading Days before: 01-12, 01-11, 01-10,
    #       01-07, 01-06 -> Thu 2000-01-06; none recorded: missed. Reminder: 01-05, 01-04, 01-03,
    #       12-31 (open in MA: New Year's Day 2000 is a Saturday MA does not move), 12-30 -> 1999-12-30.
    #   draft review of the amendment 2000-02-10: 02-09, 02-08, 02-07, 02-04, 02-03 -> Thu 2000-02-03;
    #       missed. Reminder: 02-02, 02-01, 01-31, 01-28, 01-27 -> 2000-01-27.
    #   notice of effectiveness (RRA 3(a)): effective 2000-02-16 + 1 Trading Day = Thu 2000-02-17;
    #       missed. Reminder: 02-16, 02-15, 02-14, 02-11, 02-10 -> 2000-02-10.
    #   transfer agent instruction (RRA 5(g)): 2000-02-16 + 3 Trading Days: 02-17, 02-18, (Mon 02-21
    #       Presidents' Day, closed) 02-22 -> Tue 2000-02-22; missed. Reminder: 02-18, 02-17, 02-16,
    #       02-15, 02-14 (02-21 is a holiday in MA too) -> 2000-02-14.
    #   SPA 6.9's financing limit ends 90 days after the effective date 2000-02-16: 13 days to 02-29
    #       (2000 is a leap year), 31 to 03-31 (44), 30 to 04-30 (74), 16 more -> Tue 2000-05-16;
    #       pending. Reminder: 05-15, 05-12, 05-11, 05-10, 05-09 -> 2000-05-09.
    # With the two registration deadlines: 7 events, each once.
    evaluation = evaluate_focus(log(*FOCUS_EVENTS), "2000-03-01")
    events = by_obligation(vevents(calendar_ics([evaluation])))
    assert len(events) == 7
    expected = {  # id: (kind, due, reminder, status)
        "draft_review:primary:2000-01-13": ("draft_review", D("2000-01-06"), D("1999-12-30"), "missed"),
        "draft_review:primary:2000-02-10": ("draft_review", D("2000-02-03"), D("2000-01-27"), "missed"),
        "effectiveness_notice:primary:2000-02-16": ("effectiveness_notice", D("2000-02-17"), D("2000-02-10"),
                                                    "missed"),
        "transfer_agent:primary:2000-02-16": ("transfer_agent", D("2000-02-22"), D("2000-02-14"), "missed"),
        "discounted_financing:primary": ("discounted_financing", D("2000-05-16"), D("2000-05-09"), "pending"),
    }
    for key, (kind, due, reminder, status) in expected.items():
        event = events[key]
        assert (str(event["X-PIPEDEAL-KIND"]), event.decoded("DTSTART"), alarm_day(event),
                str(event["X-PIPEDEAL-STATUS"])) == (kind, due, reminder, status), key
    transfer = str(events["transfer_agent:primary:2000-02-16"]["DESCRIPTION"])
    assert transfer.startswith("RRA 5(g): ")
    assert "- RRA 5(g): rs_effective 2000-02-16 (primary) + 3 Trading Days = 2000-02-22 [2000-02-22]" in transfer
    assert "Answers: rs_effective 2000-02-16 (primary)." in transfer
    assert str(events["discounted_financing:primary"]["SUMMARY"]) == (
        "FOCUS Enhancements, Inc.: sell no securities for cash below the bid, unless exempt, until the limit "
        "ends (focus-1999)")


def test_the_same_ledger_gives_the_same_bytes_and_a_moved_deadline_keeps_its_uid():
    # As of 1999-12-01 the effectiveness deadline is Closing + 120 days = Thu 2000-03-23 (no clearance
    # yet); as of 2000-03-01 SEC clearance has pulled it to 2000-02-22. SPA 6.9's limit ends 90 days
    # after the effective date: projected from the deadline, 03-23 + 90 = Wed 2000-06-21 (8 days to
    # 03-31, 30 to 04-30, 31 to 05-31, 21 more); once effective 2000-02-16, 2000-05-16. Each keeps its
    # UID: an update, not a second event in the user's calendar.
    early = vevents(calendar_ics([evaluate_focus(log(*FOCUS_EVENTS), "1999-12-01")]))
    late_bytes = calendar_ics([evaluate_focus(log(*FOCUS_EVENTS), "2000-03-01")])
    assert late_bytes == calendar_ics([evaluate_focus(log(*FOCUS_EVENTS), "2000-03-01")])
    late = vevents(late_bytes)
    before, after = by_obligation(early), by_obligation(late)
    assert sorted(before) == ["discounted_financing:primary", "rs_effectiveness", "rs_filing"]
    assert before["rs_effectiveness"].decoded("DTSTART") == D("2000-03-23")
    assert after["rs_effectiveness"].decoded("DTSTART") == D("2000-02-22")
    assert before["discounted_financing:primary"].decoded("DTSTART") == D("2000-06-21")
    assert after["discounted_financing:primary"].decoded("DTSTART") == D("2000-05-16")
    # Every event of December is still there in March, under the same UID; the duties that arose
    # since (the draft reviews, the notice and the transfer agent instruction) are new UIDs.
    assert {k: str(e["UID"]) for k, e in before.items()} == {k: str(after[k]["UID"]) for k in before}
    assert len({str(e["UID"]) for e in late}) == len(late) == 7
    # The UID is the deal and the id, never the due date.
    assert str(after["rs_effectiveness"]["UID"]) == obligation_uid("focus-1999", "rs_effectiveness")
    assert not any(day in str(after["rs_effectiveness"]["UID"]) for day in ("2000-02-22", "20000222"))
    assert str(before["rs_filing"]["SUMMARY"]).startswith("FOCUS Enhancements")  # pending: no prefix


def test_a_payment_due_the_friday_after_patriots_day_is_reminded_on_massachusetts_business_days():
    # Raptor demands its liquidated damages on Sun 2000-04-16 (no sent_at: effective that day, RULES §3),
    # so payment is due 5 calendar days later, Fri 2000-04-21. The Company is in Wilmington, MA: counting
    # back five MA business days skips Patriots' Day, Mon 2000-04-17: 04-20, 04-19, 04-18, 04-14, 04-13.
    # (On the SEC's calendar, where 04-17 is open, it would be 04-14.)
    evaluation = evaluate_focus(log(*FOCUS_EVENTS, {"type": "ld_demand", "date": "2000-04-16",
                                                    "investor": "raptor"}), "2000-04-18")
    [payment] = [e for e in vevents(calendar_ics([evaluation])) if str(e["X-PIPEDEAL-KIND"]) == "ld_payment"]
    assert str(payment["X-PIPEDEAL-OBLIGATION"]) == "ld_payment:raptor:2000-04-16"  # the demand, not the due day
    assert payment.decoded("DTSTART") == D("2000-04-21")
    assert alarm_day(payment) == D("2000-04-13")
    assert "Answers: ld_demand 2000-04-16 by raptor." in str(payment["DESCRIPTION"])
    [entry] = [e for e in entries([evaluation]) if e.kind == "ld_payment"]
    assert (entry.alarm_on, entry.alarm_calendar) == (D("2000-04-13"), "US-MA")


def test_a_duty_of_the_investor_in_vaduz_is_reminded_on_liechtenstein_business_days():
    # A duty owed by Roseworth (Vaduz; the obligations the engine adds for investors take this path)
    # due Fri 2000-08-18: five Liechtenstein business days back skip its National Day, Tue 08-15:
    # 08-17, 08-16, 08-14, 08-11, 08-10. (In Massachusetts it would be 08-11.)
    from dataclasses import replace

    from pipedeal.engine.registration import Deadline, Step

    evaluation = evaluate_focus(log(*FOCUS_EVENTS), "2000-08-01")
    # FOCUS's own obligations (all_obligations: the deadlines and the covenants' duties) are the
    # Company's; the synthetic duty replaces them all, so the calendar holds it alone.
    assert {o.party for o in evaluation.all_obligations} == {"focus"}
    duty = Deadline(id="investor_information:roseworth:2000-08-08", clause="RRA 4", party="roseworth",
                    duty="furnish the information the Company requests", due=D("2000-08-18"),
                    unrolled_due=D("2000-08-18"), status="pending", met_on=None, met_by=None,
                    steps=(Step("RRA 4", "requested 2000-08-08 + 10 days = 2000-08-18", D("2000-08-18")),))
    alone = replace(evaluation, obligations=(duty,), covenant_obligations=())
    [entry] = entries([alone])
    assert (entry.alarm_on, entry.alarm_calendar, entry.kind) == (D("2000-08-10"), "LI", "investor_information")
    assert entry.summary == "Roseworth Group, Ltd.: furnish the information the Company requests (focus-1999)"
    # Beside FOCUS's own duties (only the synthetic one is Roseworth's): the same reminder on its calendar.
    beside = replace(evaluation, obligations=(*evaluation.obligations, duty))
    assert [e.obligation for e in entries([beside], party="roseworth")] == [duty.id]
    [event] = vevents(calendar_ics([alone], party="roseworth"))
    assert alarm_day(event) == D("2000-08-10")
    assert "- RRA 4: requested 2000-08-08 + 10 days = 2000-08-18 [2000-08-18]" in str(event["DESCRIPTION"])


def test_two_demands_of_one_investor_on_one_day_are_two_events_with_two_uids():
    # The same demand recorded twice (as `events import --allow-duplicates` lets a user do) gives the
    # engine two payments with one id, ld_payment:raptor:2000-04-16: the calendar shows both, the
    # first under the deal-and-id UID, the second under its repeat's, so neither hides the other.
    demand = {"type": "ld_demand", "date": "2000-04-16", "investor": "raptor"}
    evaluation = evaluate_focus(log(*FOCUS_EVENTS, demand, demand), "2000-04-18")
    payments = [e for e in vevents(calendar_ics([evaluation])) if str(e["X-PIPEDEAL-KIND"]) == "ld_payment"]
    assert len(payments) == len([o for o in evaluation.all_obligations if o.kind == "ld_payment"]) == 2
    assert {str(e["X-PIPEDEAL-OBLIGATION"]) for e in payments} == {"ld_payment:raptor:2000-04-16"}
    assert {str(e["UID"]) for e in payments} == {obligation_uid("focus-1999", "ld_payment:raptor:2000-04-16"),
                                                  obligation_uid("focus-1999", "ld_payment:raptor:2000-04-16", 1)}
    # One demand: one event, under the first UID.
    [single] = [e for e in vevents(calendar_ics([evaluate_focus(log(*FOCUS_EVENTS, demand), "2000-04-18")]))
                if str(e["X-PIPEDEAL-KIND"]) == "ld_payment"]
    assert str(single["UID"]) == obligation_uid("focus-1999", "ld_payment:raptor:2000-04-16")


def test_a_repurchase_election_left_unpaid_cancels_its_payment_event_without_adding_one():
    # The Company elects on Wed 1999-12-29 to repurchase instead of paying LDs (RRA 3(e)(A)); it must
    # pay within 5 Trading Days: 12-30, 12-31, 01-03, 01-04, 01-05, so by Wed 2000-01-05.
    # As of 1999-12-30 the payment is pending: CONFIRMED, reminded 5 MA business days before the due
    # day: 01-04, 01-03, 12-31, 12-30, 12-29. Fri 1999-12-31 counts: Massachusetts does not move New
    # Year's Day 2000 (a Saturday) to the Friday, as the SEC's federal calendar does (there: 12-28).
    # As of 2000-03-01 it was never paid, so the election is void: the same event, now CANCELLED, which
    # a calendar client strikes out or removes on re-import; no reminder.
    events = log(FOCUS_EVENTS[0], {"type": "repurchase_elected", "date": "1999-12-29"}, *FOCUS_EVENTS[1:])
    pending = by_obligation(vevents(calendar_ics([evaluate_focus(events, "1999-12-30")])))["repurchase_payment"]
    void = by_obligation(vevents(calendar_ics([evaluate_focus(events, "2000-03-01")])))["repurchase_payment"]
    assert pending.decoded("DTSTART") == void.decoded("DTSTART") == D("2000-01-05")
    assert str(pending["UID"]) == str(void["UID"])
    assert str(pending["STATUS"]) == "CONFIRMED" and alarm_day(pending) == D("1999-12-29")
    assert str(void["STATUS"]) == "CANCELLED" and void.walk("VALARM") == []
    assert str(void["SUMMARY"]).startswith("[NOT APPLICABLE] ") and "the election is void" in str(void["SUMMARY"])


def test_party_keeps_only_that_partys_duties():
    # Every FOCUS obligation as of 2000-03-01 is the Company's: the 2 registration deadlines and the 5
    # covenant duties (2 draft reviews, the notice of effectiveness, the transfer agent instruction,
    # SPA 6.9's limit; see the covenants test above): the Company's calendar has all 7, Raptor's none
    # (the covenants are owed to Raptor, not by it).
    evaluation = evaluate_focus(log(*FOCUS_EVENTS), "2000-03-01")
    assert len(evaluation.all_obligations) == 7
    assert len(vevents(calendar_ics([evaluation], party="focus"))) == 7
    assert vevents(calendar_ics([evaluation], party="raptor")) == []


# --- the ledger: every deal, in a handful of queries ------------------------------------------




def two_deal_ledger(pipedeal, db) -> None:
    """FOCUS and lumen-2023 in one ledger (lumen's quotes first: its cashless exercise needs them)."""
    pipedeal("init", "--db", db)
    pipedeal("init", "--deal", "lumen-2023", "--db", db, "--empty")
    pipedeal("prices", "import", str(BUNDLED / "lumen-2023" / "quotes.csv"), "--deal", "lumen-2023", "--db", db)
    pipedeal("events", "import", str(BUNDLED / "lumen-2023" / "events.jsonl"), "--deal", "lumen-2023", "--db", db)


def bundled_entries(as_of: str) -> list:
    """The same deals evaluated from their bundled files, one by one, as `report --deal` does."""
    found = []
    for name in ("focus-1999", "lumen-2023"):
        inputs = load_inputs(name)
        found.extend(entries([evaluate(inputs.terms, inputs.events, inputs.quotes, calendars_for(inputs.terms),
                                       D(as_of))]))
    return found


def test_calendar_of_the_whole_ledger_has_every_obligation_of_every_deal_once(pipedeal, db, tmp_path):
    two_deal_ledger(pipedeal, db)
    out = tmp_path / "docket.ics"
    done = pipedeal("calendar", "--db", db, "--as-of", "2030-01-01", "--out", str(out), "--json")
    events = vevents(out.read_bytes())
    expected = bundled_entries("2030-01-01")
    # Every obligation of both deals, covenant duties included (as the engine has them).
    assert len(expected) > 4
    assert sorted(str(e["UID"]) for e in events) == sorted(entry.uid for entry in expected)
    assert len({str(e["UID"]) for e in events}) == len(events)
    assert {(str(e["UID"]), e.decoded("DTSTART")) for e in events} == {(x.uid, x.due) for x in expected}
    payload = json.loads(done.stdout)
    assert payload["deals"] == ["focus-1999", "lumen-2023"] and len(payload["events"]) == len(events)
    # --all says the same; a second export is the same file byte for byte.
    again = tmp_path / "again.ics"
    pipedeal("calendar", "--all", "--db", db, "--as-of", "2030-01-01", "--out", str(again))
    assert again.read_bytes() == out.read_bytes()
    # One deal of the ledger: its events only, with the same UIDs.
    one = tmp_path / "lumen.ics"
    pipedeal("calendar", "--deal", "lumen-2023", "--db", db, "--as-of", "2030-01-01", "--out", str(one))
    assert {str(e["UID"]) for e in vevents(one.read_bytes())} == {
        x.uid for x in expected if x.deal == "lumen-2023"}


def test_evaluate_ledger_gives_each_deal_as_its_own_files_do(db, pipedeal):
    two_deal_ledger(pipedeal, db)
    evaluated = dict(evaluate_ledger(db, D("2030-01-01")))
    assert list(evaluated) == ["focus-1999", "lumen-2023"]
    for name, evaluation in evaluated.items():
        inputs = load_inputs(name)
        alone = evaluate(inputs.terms, inputs.events, inputs.quotes, calendars_for(inputs.terms), D("2030-01-01"))
        assert [(o.id, o.due, o.status, o.duty) for o in evaluation.all_obligations] == [
            (o.id, o.due, o.status, o.duty) for o in alone.all_obligations]
    assert list(dict(evaluate_ledger(db, D("2030-01-01"), ["lumen-2023"]))) == ["lumen-2023"]
    # Split over two worker processes (as a large ledger is), the same calendar entries in the same order.
    alone = list(evaluate_ledger(db, D("2030-01-01"), then=deal_calendar, workers=1))
    pooled = list(evaluate_ledger(db, D("2030-01-01"), then=deal_calendar, workers=2))
    assert pooled == alone and [name for name, _ in pooled] == ["focus-1999", "lumen-2023"]
    assert sum(len(view.entries) for _, view in pooled) == len(bundled_entries("2030-01-01"))
    with pytest.raises(InputError) as missing:
        list(evaluate_ledger(db, D("2030-01-01"), ["no-such-deal"]))
    assert missing.value.problems[0].code == "DEAL-MISSING"


def test_a_ledger_edited_behind_pipedeals_back_is_refused_and_names_the_deal(pipedeal, tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    two_deal_ledger(pipedeal, url)
    with sqlite3.connect(tmp_path / "ledger.db") as connection:
        # Someone with the database file drops the append-only guard first (as tests/test_ledger_trust.py).
        connection.execute("DROP TRIGGER events_no_update")
        connection.execute("UPDATE events SET payload = replace(payload, '2023-07-10', '2023-07-11') "
                           "WHERE deal_id = (SELECT id FROM deals WHERE name = 'lumen-2023') AND seq = 2")
    with pytest.raises(InputError) as refused:
        list(evaluate_ledger(url, D("2030-01-01")))
    assert refused.value.problems[-1].code == "LEDGER-BROKEN"
    assert "lumen-2023" in refused.value.problems[-1].message
    warned = []
    evaluated = list(evaluate_ledger(url, D("2030-01-01"), allow_broken_ledger=True,
                                     warn=lambda name, findings: warned.append(name)))
    assert warned == ["lumen-2023"] and len(evaluated) == 2
    with pytest.raises(InputError) as refused_by_workers:
        list(evaluate_ledger(url, D("2030-01-01"), then=deal_calendar, workers=2))
    assert "lumen-2023" in refused_by_workers.value.problems[-1].message
    out = tmp_path / "x.ics"
    done = pipedeal("calendar", "--db", url, "--out", str(out), expect=2)
    assert "LEDGER-BROKEN" in done.stderr and not out.exists()


def test_bad_options_exit_2_and_write_nothing(pipedeal, tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    pipedeal("init", "--db", url)
    out = tmp_path / "x.ics"
    unknown = pipedeal("calendar", "--db", url, "--party", "nobody", "--out", str(out), expect=2)
    assert "--party" in unknown.stderr and "CLI-UNKNOWN-PARTY" in unknown.stderr and "raptor" in unknown.stderr
    missing = pipedeal("calendar", "--db", url, "--out", str(tmp_path / "no-such-folder" / "x.ics"), expect=2)
    assert "no-such-folder" in missing.stderr and "does not exist" in missing.stderr
    assert "OUTPUT-PATH" in missing.stderr and not (tmp_path / "no-such-folder").exists()
    folder = pipedeal("calendar", "--db", url, "--out", str(tmp_path), expect=2)
    assert "it is a folder" in folder.stderr
    both = pipedeal("calendar", "--db", url, "--deal", "focus-1999", "--all", "--out", str(out), expect=2)
    assert "CLI-CONFLICTING-OPTIONS" in both.stderr
    bad_day = pipedeal("calendar", "--db", url, "--as-of", "2000-13-01", "--out", str(out), expect=2)
    assert "--as-of" in bad_day.stderr
    assert not out.exists()
    no_ledger = pipedeal("calendar", "--db", f"sqlite:///{tmp_path / 'none.db'}", "--out", str(out), expect=2)
    assert "WORKSPACE-MISSING" in no_ledger.stderr and not out.exists()


def test_stored_terms_are_parsed_once_and_a_damaged_cache_is_parsed_again(tmp_path, monkeypatch):
    from pipedeal.storage import workspace

    monkeypatch.setenv("PIPEDEAL_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(workspace, "_TERMS_MEMO", {})
    text = (FOCUS_DIR / "terms.toml").read_text()
    first = workspace.cached_terms(text, "terms of focus-1999 in the ledger L")
    [kept] = list(tmp_path.glob("terms-*/*.pickle"))
    workspace._TERMS_MEMO.clear()
    again = workspace.cached_terms(text, "terms of focus-1999 in the ledger M")
    assert again.model_dump() == first.model_dump()
    assert again.located("deal", "name") == ("terms of focus-1999 in the ledger M", 7)
    kept.write_bytes(b"torn")
    workspace._TERMS_MEMO.clear()
    assert workspace.cached_terms(text, "L").model_dump() == first.model_dump()
    # A text with a problem is reported by the parser, with its line, and never kept.
    with pytest.raises(InputError) as refused:
        workspace.cached_terms(text.replace('trading = "XNAS"', 'trading = 7', 1), "terms of x")
    assert (refused.value.problems[0].file, refused.value.problems[0].line) == ("terms of x", 18)  # trading =
    assert len(list(tmp_path.glob("terms-*/*.pickle"))) == 1


def test_a_quotes_file_is_parsed_once_and_a_bad_one_is_refused_with_its_line_every_time(tmp_path, monkeypatch):
    from pipedeal.storage import workspace

    monkeypatch.setenv("PIPEDEAL_CACHE_DIR", str(tmp_path / "cache"))
    prices = tmp_path / "prices.csv"
    prices.write_text((FOCUS_DIR / "quotes.csv").read_text())
    first = workspace.read_quote_file(prices)
    [kept] = list((tmp_path / "cache").glob("quotes-*/*.pickle"))
    again = workspace.read_quote_file(prices, "the same prices, read back")
    assert again.quotes() == first.quotes() and len(first.quotes()) > 1000
    assert again.source == "the same prices, read back"
    kept.write_bytes(b"torn")
    assert workspace.read_quote_file(prices).quotes() == first.quotes()
    # An edited file is parsed anew; a bad cell is refused with its line and column, every time, and never kept.
    _an_edited_line_is_refused_every_time_and_never_kept(workspace.read_quote_file, prices, 4, (",", ",x"),
                                                         tmp_path / "cache", "quotes")


def test_an_event_file_is_parsed_once_and_a_bad_line_is_refused_with_its_line_every_time(tmp_path, monkeypatch):
    from pipedeal.storage import workspace

    monkeypatch.setenv("PIPEDEAL_CACHE_DIR", str(tmp_path / "cache"))
    events = tmp_path / "events.jsonl"
    events.write_text((FOCUS_DIR / "events.jsonl").read_text())
    first = workspace.read_event_file(events)
    [kept] = list((tmp_path / "cache").glob("events-*/*.pickle"))
    again = workspace.read_event_file(events)
    assert again == first and len(first) == 18
    assert [(item.file, item.line) for item in again] == [(item.file, item.line) for item in first]
    kept.write_bytes(b"torn")
    assert workspace.read_event_file(events) == first
    # The same text under another name: the lines are named by the file read.
    moved = tmp_path / "moved.jsonl"
    moved.write_text(events.read_text())
    assert {item.file for item in workspace.read_event_file(moved)} == {str(moved)}
    # An edited file is parsed anew; a bad line is refused with its line and field, every time, and never kept.
    _an_edited_line_is_refused_every_time_and_never_kept(workspace.read_event_file, events, 3,
                                                         ('"date": "', '"date": "x'), tmp_path / "cache", "events")


def _an_edited_line_is_refused_every_time_and_never_kept(read, path, number: int, edit: tuple[str, str], cache,
                                                         kind: str) -> None:
    """Line ``number`` of ``path`` edited (``edit``'s first text replaced once by its second): ``read`` refuses
    the file naming that line, again on a second read, and the cache keeps only the good parse read before."""
    lines = path.read_text().splitlines()
    edited = lines[number - 1].replace(*edit, 1)
    path.write_text("\n".join([*lines[:number - 1], edited, *lines[number:]]) + "\n")
    for _ in range(2):
        with pytest.raises(InputError) as refused:
            read(path)
        assert (refused.value.problems[0].file, refused.value.problems[0].line) == (str(path), number)
    assert len(list(cache.glob(f"{kind}-*/*.pickle"))) == 1


def test_long_lines_fold_exactly_as_icalendar_folds_them():
    # calendar.py folds the VEVENT lines itself (icalendar's folding is a loop per character): a
    # line of 74 octets stays whole, longer ones break every 74 octets (the continuation's space
    # aside), never inside a UTF-8 character ("§" 2 octets, "€" 3, "📅" 4) and never just after
    # a backslash or a caret (the escape moves to the next line). Every placement of those
    # around the fold, against icalendar's own Contentline.
    from icalendar.parser import Contentline

    from pipedeal.outputs.calendar import _folded

    lines = ["DESCRIPTION:" + "x" * n for n in (0, 61, 62, 63, 140, 300)]
    for mark in ("§", "€", "📅", "\\,", "\\n", "^", "\\\\"):
        for before in range(55, 80):
            lines.append("DESCRIPTION:" + "y" * before + mark + "z" * 100 + mark * 30)
    for line in lines:
        assert _folded(line) == Contentline(line).to_ical(), line
    # Worked by hand: "SUMMARY:" is 8 octets; with 66 x's the line is 74 octets and stays whole,
    # with 67 it is 75: 74 octets, then CRLF, a space and the last x.
    assert _folded("SUMMARY:" + "x" * 66) == b"SUMMARY:" + b"x" * 66
    assert _folded("SUMMARY:" + "x" * 67) == b"SUMMARY:" + b"x" * 66 + b"\r\n x"
    # A backslash as the 74th octet: the fold falls before it, so "\," stays on one line.
    assert _folded("SUMMARY:" + "x" * 65 + "\\,tail") == b"SUMMARY:" + b"x" * 65 + b"\r\n \\,tail"
