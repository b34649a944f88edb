"""``pipedeal notices`` and bad notices, from the command line: files, a real SQLite file and the
real PostgreSQL server. A notice to (or from) a party the terms file does not have, or a
``sent_at`` without its time zone offset, is refused with file, line and field, exit status 2,
and nothing is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scenario import FOCUS_DIR, FOCUS_LOG, jsonl

CLOSING = {"type": "closing", "date": "1999-11-24"}
# Sat 2000-01-08 10:00 EST: takes effect Mon 2000-01-10 in Wilmington; payment due Sat 2000-01-15.
DEMAND = {"type": "ld_demand", "investor": "raptor", "sent_at": "2000-01-08T10:00:00-05:00", "method": "fax"}
# Fri 2000-01-07 18:30 EST to Roseworth: 00:30 CET on Saturday in Vaduz: Mon 2000-01-10 at 09:00 CET.
FRIDAY_FAX = {"type": "notice", "sent_at": "2000-01-07T18:30:00-05:00", "method": "fax", "from": "focus",
              "to": "roseworth", "subject": "copy of the S-3 draft"}





def write(tmp_path: Path, *events: dict, name: str = "events.jsonl") -> Path:
    path = tmp_path / name
    path.write_text(jsonl(*events))
    return path


def test_notices_on_files_lists_each_notice_with_its_effect_and_clock(pipedeal, tmp_path):
    path = write(tmp_path, CLOSING, FRIDAY_FAX, DEMAND)
    data = json.loads(pipedeal("notices", "--events", str(path), "--as-of", "2000-02-01", "--json").stdout)
    assert data["as_of"] == "2000-02-01"
    [deal] = data["deals"]
    fax, demand = deal["notices"]
    assert deal["deal"] == "focus-1999"
    assert (fax["to"], fax["effective"], fax["recipients"][0]["effective_at"]) == (
        ["roseworth"], "2000-01-10", "2000-01-10T09:00:00+01:00")
    assert fax["source"] == {"file": str(path), "line": 2, "seq": None}
    assert (demand["effective"], demand["started"][0]["due"]) == ("2000-01-10", "2000-01-15")
    # The same list in the report and in evaluate --json (one evaluation, one reader of history).
    report = json.loads(pipedeal("report", "--events", str(path), "--as-of", "2000-02-01", "--json").stdout)
    evaluated = json.loads(pipedeal("evaluate", "--events", str(path), "--as-of", "2000-02-01").stdout)
    assert report["notices"] == evaluated["notices"] == deal["notices"]
    text = pipedeal("notices", "--events", str(path), "--as-of", "2000-02-01").stdout
    assert "sent 2000-01-08T10:00:00-05:00 by fax" in text
    assert "focus: 2000-01-10T09:00:00-05:00 (US-MA public holidays, America/New_York)" in text
    assert "due 2000-01-15 (RRA 3(e))" in text


def test_notices_as_of_a_day_before_a_notice_leaves_it_out(pipedeal, tmp_path):
    path = write(tmp_path, CLOSING, FRIDAY_FAX, DEMAND)
    data = json.loads(pipedeal("notices", "--events", str(path), "--as-of", "2000-01-07", "--json").stdout)
    assert [n["type"] for n in data["deals"][0]["notices"]] == ["notice"]
    assert data["deals"][0]["notices"][0]["status"] == "not_yet_in_effect"  # Monday's, seen on Friday


def test_notices_without_a_ledger_reads_the_bundled_focus_deal(pipedeal):
    data = json.loads(pipedeal("notices", "--as-of", "2000-03-01", "--json").stdout)
    assert data["deals"] == [{"deal": "focus-1999", "notices": []}]  # the FOCUS docket records no notice
    assert "No notice recorded by this date." in pipedeal("notices", "--as-of", "2000-03-01").stdout


def test_notices_reads_every_deal_in_the_ledger_unless_one_is_named(pipedeal, focus_db, tmp_path):
    # Meridian's bundled events need its quotes first (the Market Price at its Closing): on main,
    # ``init --deal meridian-2006`` checks the events before it imports the quotes and refuses them.
    meridian = FOCUS_DIR.parent / "meridian-2006"
    pipedeal("init", "--db", focus_db, "--deal", "meridian-2006", "--empty")
    pipedeal("prices", "import", str(meridian / "quotes.csv"), "--db", focus_db, "--deal", "meridian-2006")
    pipedeal("events", "import", str(meridian / "events.jsonl"), "--db", focus_db, "--deal", "meridian-2006")
    pipedeal("events", "import", str(write(tmp_path, FRIDAY_FAX)), "--db", focus_db)
    data = json.loads(pipedeal("notices", "--db", focus_db, "--as-of", "2008-01-01", "--json").stdout)
    assert [(d["deal"], [n["type"] for n in d["notices"]]) for d in data["deals"]] == [
        ("focus-1999", ["notice"]), ("meridian-2006", ["notice", "blackout"])]
    assert data["deals"][0]["notices"][0]["source"]["seq"] == FOCUS_LOG + 1  # the row after the bundled log
    # Meridian allows email (as a fax): its Grace Period notice took effect at 10:00 EST that Monday.
    [receipt] = data["deals"][1]["notices"][0]["recipients"]
    assert receipt["effective_at"] == "2006-10-30T10:00:00-05:00"
    assert receipt["reason"].startswith("email (as a fax) delivery 2006-10-30 10:00 EST: a business day")
    one = json.loads(pipedeal("notices", "--db", focus_db, "--deal", "meridian-2006", "--as-of", "2008-01-01",
                              "--json").stdout)
    assert [d["deal"] for d in one["deals"]] == ["meridian-2006"]


# --- bad notices ---------------------------------------------------------------------------------

UNKNOWN_TO = {**FRIDAY_FAX, "to": "tudor"}
UNKNOWN_FROM = {**FRIDAY_FAX, "from": "sullivan"}
NO_OFFSET = {**FRIDAY_FAX, "sent_at": "2000-01-07T18:30:00"}
DEMAND_NO_OFFSET = {**DEMAND, "sent_at": "2000-01-08T10:00:00"}
OTHER_DAY = {**DEMAND, "date": "2000-01-07"}  # one notice, two days: refused


@pytest.mark.parametrize(("event", "field", "code"), [
    (UNKNOWN_TO, "to", "EVENT-UNKNOWN-PARTY"),
    (UNKNOWN_FROM, "from", "EVENT-UNKNOWN-PARTY"),
    (NO_OFFSET, "sent_at", "EVENT-NO-OFFSET"),
    (DEMAND_NO_OFFSET, "sent_at", "EVENT-NO-OFFSET"),
    (OTHER_DAY, "sent_at", "EVENT-INVALID"),
], ids=["to", "from", "offset", "demand-offset", "other-day"])
def test_a_bad_notice_in_a_file_is_refused_with_file_line_and_field(pipedeal, tmp_path, event, field, code):
    path = write(tmp_path, CLOSING, event)
    for command in (("evaluate",), ("notices",), ("report",)):
        refused = pipedeal(*command, "--events", str(path), "--as-of", "2000-02-01", expect=2)
        assert f"events.jsonl, line 2, field {field}" in refused.stderr, refused.stderr
        assert code in refused.stderr
        assert refused.stdout == ""
    if code == "EVENT-NO-OFFSET":
        assert "time zone offset, e.g. 2000-01-07T18:30:00-05:00" in refused.stderr


@pytest.mark.parametrize(("event", "field"), [(UNKNOWN_TO, "to"), (UNKNOWN_FROM, "from"), (NO_OFFSET, "sent_at")],
                         ids=["to", "from", "offset"])
def test_a_bad_notice_is_not_imported_into_the_ledger(pipedeal, focus_db, tmp_path, event, field):
    before = json.loads(pipedeal("events", "list", "--db", focus_db, "--json").stdout)
    refused = pipedeal("events", "import", str(write(tmp_path, DEMAND, event, name="march.jsonl")), "--db", focus_db,
                       expect=2)
    assert f"march.jsonl, line 2, field {field}" in refused.stderr, refused.stderr
    assert "nothing was written" in refused.stderr
    assert json.loads(pipedeal("events", "list", "--db", focus_db, "--json").stdout) == before


def test_a_bad_notice_is_not_added_from_the_command_line(pipedeal, focus_db):
    before = json.loads(pipedeal("events", "list", "--db", focus_db, "--json").stdout)
    refused = pipedeal("events", "add", "notice", "sent_at=2000-01-07T18:30:00-05:00", "method=fax", "from=focus",
                       "to=tudor", "subject=draft", "--db", focus_db, expect=2)
    assert "field to" in refused.stderr and "no party 'tudor' in the terms file" in refused.stderr
    refused = pipedeal("events", "add", "blackout", "sent_at=2000-03-01T10:00:00", "method=fax", "start=2000-03-06",
                       "end=2000-03-10", "--db", focus_db, expect=2)
    assert "field sent_at" in refused.stderr and "EVENT-NO-OFFSET" in refused.stderr
    assert json.loads(pipedeal("events", "list", "--db", focus_db, "--json").stdout) == before
    pipedeal("events", "add", "blackout", "sent_at=2000-03-01T10:00:00-05:00", "method=fax", "start=2000-03-06",
             "end=2000-03-10", "--db", focus_db)
    [row] = json.loads(pipedeal("notices", "--db", focus_db, "--as-of", "2000-04-01", "--json").stdout)["deals"][0][
        "notices"]
    assert (row["type"], row["date"], row["effective"]) == ("blackout", "2000-03-01", "2000-03-01")
