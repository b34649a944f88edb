"""``pipedeal obligations`` and ``pipedeal covenants --on`` from the command line (RULES §5).

The bundled FOCUS docket: Closing 1999-11-24, S-3 filed 2000-01-13, S-3/A 2000-02-10, effective
2000-02-16. As of 2000-06-01 its obligations, by due date, are worked in test_obligations.py:
filing due 1999-12-27 (met late 2000-01-13: missed), the drafts due 2000-01-06 and 2000-02-03,
the notice of effectiveness due 2000-02-17, effectiveness due 2000-02-22 (met 02-16), the transfer
agent due 2000-02-22, and SPA 6.9's limit through 2000-05-16 (kept: met).
"""

from __future__ import annotations

import json
from pathlib import Path

from scenario import FOCUS_LOG, jsonl


def rows(pipedeal, *args: str) -> list[dict]:
    return json.loads(pipedeal("obligations", "--json", *args).stdout)["obligations"]


FOCUS_AS_OF_JUNE = [
    ("1999-12-27", "rs_filing", "missed"),
    ("2000-01-06", "draft_review:primary:2000-01-13", "missed"),
    ("2000-02-03", "draft_review:primary:2000-02-10", "missed"),
    ("2000-02-17", "effectiveness_notice:primary:2000-02-16", "missed"),
    ("2000-02-22", "rs_effectiveness", "met"),
    ("2000-02-22", "transfer_agent:primary:2000-02-16", "missed"),
    ("2000-05-16", "discounted_financing:primary", "met"),
]


def test_the_bundled_focus_obligations_by_due_date_with_their_computation(pipedeal):
    found = rows(pipedeal, "--as-of", "2000-06-01")
    assert [(row["due"], row["id"], row["status"]) for row in found] == FOCUS_AS_OF_JUNE
    notice = found[3]
    assert notice["deal"] == "focus-1999"
    assert (notice["party"], notice["owed_to"], notice["clause"]) == ("focus", ["raptor", "altar-rock", "roseworth"],
                                                                      "RRA 3(a)")
    assert notice["trigger"] == "rs_effective 2000-02-16 (primary)"
    assert notice["met_on"] is None
    assert notice["computation"][0]["text"] == "rs_effective 2000-02-16 (primary) + 1 Trading Day = 2000-02-17"
    assert notice["quote"].startswith('"notify the Investors')


def test_status_and_date_filters(pipedeal):
    assert [row["id"] for row in rows(pipedeal, "--as-of", "2000-06-01", "--status", "met")] == [
        "rs_effectiveness", "discounted_financing:primary"]
    assert [row["id"] for row in rows(pipedeal, "--as-of", "2000-06-01", "--status", "met", "--status",
                                      "pending")] == ["rs_effectiveness", "discounted_financing:primary"]
    assert [row["id"] for row in rows(pipedeal, "--as-of", "2000-06-01", "--from", "2000-02-01", "--to",
                                      "2000-02-20")] == ["draft_review:primary:2000-02-10",
                                                         "effectiveness_notice:primary:2000-02-16"]


def test_the_party_filter_keeps_what_a_party_owes_or_is_owed(pipedeal, tmp_path):
    # A draft press release received 1999-11-24: each Investor owes the Company an answer by 1999-11-29.
    events = tmp_path / "events.jsonl"
    events.write_text(jsonl({"type": "closing", "date": "1999-11-24"},
                            {"type": "press_release_draft", "date": "1999-11-24"},
                            {"type": "press_release_answer", "date": "1999-11-26", "investor": "raptor"}))
    raptor = rows(pipedeal, "--events", str(events), "--as-of", "1999-12-31", "--party", "raptor")
    answers = [(row["id"], row["status"]) for row in raptor if row["kind"] == "press_release"]
    assert answers == [("press_release:1999-11-24:1:raptor", "met")]
    focus = rows(pipedeal, "--events", str(events), "--as-of", "1999-12-31", "--party", "focus")
    assert {row["id"] for row in focus if row["kind"] == "press_release"} == {
        "press_release:1999-11-24:1:raptor", "press_release:1999-11-24:1:altar-rock",
        "press_release:1999-11-24:1:roseworth"}


def test_fail_on_overdue_exits_1_when_an_obligation_is_missed_and_unmet(pipedeal):
    pipedeal("obligations", "--as-of", "2000-06-01", "--fail-on-overdue", expect=1)
    # rs_filing was missed but met late (2000-01-13): alone it is no overdue duty.
    pipedeal("obligations", "--as-of", "2000-06-01", "--status", "met", "--fail-on-overdue")
    pipedeal("obligations", "--as-of", "2000-06-01", "--to", "1999-12-31", "--fail-on-overdue")


def test_bad_options_are_refused_without_a_traceback(pipedeal):
    done = pipedeal("obligations", "--deal", "focus-1999", "--all", expect=2)
    assert "CLI-CONFLICTING-OPTIONS" in done.stderr
    done = pipedeal("obligations", "--party", "tudor", expect=2)
    assert "CLI-UNKNOWN-PARTY" in done.stderr
    done = pipedeal("obligations", "--from", "2000-03-01", "--to", "2000-02-01", expect=2)
    assert "CLI-BAD-DATE" in done.stderr
    done = pipedeal("obligations", "--status", "late", expect=2)
    assert "pending" in done.stderr  # the choices are named


def test_every_deal_of_a_ledger_in_one_list(pipedeal, tmp_path):
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    pipedeal("init", "--db", db)
    # Quotes before events: meridian's Closing prices off them (``init`` of it alone imports the events first).
    bundle = Path(__file__).parents[1] / "src" / "pipedeal" / "deals" / "meridian-2006"
    pipedeal("init", "--deal", "meridian-2006", "--empty", "--db", db)
    pipedeal("prices", "import", str(bundle / "quotes.csv"), "--deal", "meridian-2006", "--db", db)
    pipedeal("events", "import", str(bundle / "events.jsonl"), "--deal", "meridian-2006", "--db", db)
    found = rows(pipedeal, "--db", db, "--as-of", "2007-12-31")
    assert {row["deal"] for row in found} == {"focus-1999", "meridian-2006"}
    assert [row["due"] for row in found] == sorted(row["due"] for row in found)
    meridian = [row for row in found if row["deal"] == "meridian-2006" and row["kind"] == "draft_review"]
    assert meridian and all(row["clause"] == "RRA 3(h)" for row in meridian)
    only = rows(pipedeal, "--db", db, "--deal", "meridian-2006", "--as-of", "2007-12-31")
    assert {row["deal"] for row in only} == {"meridian-2006"}


def test_all_without_a_ledger_reads_every_bundled_deal(pipedeal):
    found = rows(pipedeal, "--all", "--as-of", "2025-01-01")
    assert {row["deal"] for row in found} == {"focus-1999", "lumen-2023", "meridian-2006"}


def test_a_waiver_signed_by_the_wrong_party_is_refused_and_nothing_is_written(pipedeal, tmp_path):
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    pipedeal("init", "--db", db)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(jsonl({"type": "rs_effective_notice", "date": "2000-02-17"},
                         {"type": "waiver", "date": "2000-02-25", "obligation": "transfer_agent:primary:2000-02-16",
                          "signed_by": ["focus"]}))
    done = pipedeal("events", "import", str(bad), "--db", db, expect=2)
    assert "line 2, field signed_by" in done.stderr and "WAIVER-SIGNER" in done.stderr
    assert len(json.loads(pipedeal("events", "list", "--db", db, "--json").stdout)) == FOCUS_LOG
    done = pipedeal("events", "add", "obligation_met", "date=2000-02-18",
                    "obligation=effectiveness_notice:primary:2000-02-17", "--db", db, expect=2)
    assert "OBLIGATION-UNKNOWN" in done.stderr and "effectiveness_notice:primary:2000-02-16" in done.stderr
    pipedeal("events", "add", "waiver", "date=2000-02-25", "obligation=transfer_agent:primary:2000-02-16",
             'signed_by=["raptor", "altar-rock", "roseworth"]', "--db", db)
    waived = rows(pipedeal, "--db", db, "--as-of", "2000-06-01", "--status", "waived")
    assert [(row["id"], row["waived_by"], row["waived_on"]) for row in waived] == [
        ("transfer_agent:primary:2000-02-16", ["raptor", "altar-rock", "roseworth"], "2000-02-25")]


def test_the_table_names_each_obligation_and_its_steps(pipedeal):
    text = pipedeal("obligations", "--as-of", "2000-06-01").stdout
    assert "Obligations as of 2000-06-01" in text
    assert "transfer_agent:primary:2000-02-16 (focus-1999) RRA 5(g)" in text
    assert "rs_effective 2000-02-16 (primary) + 3 Trading Days = 2000-02-22" in text


def covenants(pipedeal, day: str) -> dict:
    return json.loads(pipedeal("covenants", "--on", day, "--json").stdout)


def test_covenants_live_on_1_march_2000(pipedeal):
    found = {row["covenant"]: row for row in covenants(pipedeal, "2000-03-01")["covenants"]}
    assert set(found) == {"discounted_financing", "effectiveness_period", "blackout_cap", "corporate_action_notice"}
    assert (found["discounted_financing"]["start"], found["discounted_financing"]["end"],
            found["discounted_financing"]["clause"]) == ("1999-11-24", "2000-05-16", "SPA 6.9")
    assert (found["effectiveness_period"]["start"], found["effectiveness_period"]["end"]) == ("2000-02-16", None)
    # RRA 3(g): no blackout in (1999-03-01, 2000-03-01]: all 30 days left.
    assert found["blackout_cap"]["detail"].endswith("30 of 30 left")
    assert (found["corporate_action_notice"]["clause"], found["corporate_action_notice"]["end"]) == ("W 14",
                                                                                                     "2004-12-01")


def test_the_spa_6_9_window_is_no_longer_live_the_day_after_it_ends(pipedeal):
    assert "discounted_financing" in {row["covenant"] for row in covenants(pipedeal, "2000-05-16")["covenants"]}
    assert "discounted_financing" not in {row["covenant"] for row in covenants(pipedeal, "2000-05-17")["covenants"]}


def test_covenants_count_the_blackout_days_used_in_the_rolling_year(pipedeal, tmp_path):
    # A blackout 2000-06-20 to 2000-06-29 (10 days): on 2000-07-01, 20 of 30 days are left.
    events = tmp_path / "events.jsonl"
    events.write_text((Path(__file__).parents[1] / "src/pipedeal/deals/focus-1999/events.jsonl").read_text()
                      + jsonl({"type": "blackout", "date": "2000-06-15", "start": "2000-06-20", "end": "2000-06-29"}))
    data = json.loads(pipedeal("covenants", "--on", "2000-07-01", "--events", str(events), "--json").stdout)
    [cap] = [row for row in data["covenants"] if row["covenant"] == "blackout_cap"]
    assert cap["detail"] == "10 blackout day(s) from 1999-07-02 to 2000-07-01: 20 of 30 left"


def test_covenants_list_the_obligations_open_that_day(pipedeal):
    # On 2000-02-17 the notice of effectiveness is due that day and the transfer agent on 02-22.
    data = covenants(pipedeal, "2000-02-17")
    assert [row["id"] for row in data["open_obligations"]] == [
        "effectiveness_notice:primary:2000-02-16", "transfer_agent:primary:2000-02-16",
        "discounted_financing:primary"]
