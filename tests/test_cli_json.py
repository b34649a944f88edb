"""Every command that prints has --json: one JSON document on stdout, the human lines on stderr; a usage
mistake is one line naming the option and what it accepts, exit 2."""

from __future__ import annotations

import json

import pytest
from scenario import FOCUS_LOG


def test_a_script_drives_a_ledger_from_init_to_verify_reading_only_json(pipedeal, tmp_path):
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    init = pipedeal("init", "--db", db, "--json")
    assert json.loads(init.stdout) == {"deal": "focus-1999", "ledger": db, "registered": True,
                                       "terms": "bundled deal focus-1999", "quotes_recorded": 1299,
                                       "events_recorded": FOCUS_LOG}
    assert f"Recorded {FOCUS_LOG} event(s)" in init.stderr

    (tmp_path / "sale.jsonl").write_text('{"type": "shares_sold", "date": "2000-03-01", "investor": "raptor", '
                                         '"shares": 1000}\n')
    imported = json.loads(pipedeal("events", "import", "sale.jsonl", "--db", db, "--json").stdout)
    assert imported["events_recorded"] == 1 and imported["head"]["seq"] == FOCUS_LOG + 1

    added = json.loads(pipedeal("events", "add", "shares_sold", "date=2000-03-02", "investor=raptor",
                                "shares=500", "--db", db, "--json").stdout)
    assert added["event"] == {"type": "shares_sold", "date": "2000-03-02", "investor": "raptor", "shares": 500}
    assert added["head"]["seq"] == FOCUS_LOG + 2

    (tmp_path / "q.csv").write_text("date,close\n2000-03-03,2.5\n")
    quotes = json.loads(pipedeal("prices", "import", "q.csv", "--db", db, "--json").stdout)
    assert quotes["quote_days_recorded"] == 1

    anchor = json.loads(pipedeal("ledger", "anchor", "--db", db, "--json").stdout)
    head = FOCUS_LOG + 2
    assert anchor["seq"] == head and anchor["anchor"] == f"focus-1999 seq {head} sha256:{anchor['hash']}"
    assert json.loads(pipedeal("verify", "--db", db, "--json").stdout) == {"verified": True, "findings": []}

    import sqlite3

    with sqlite3.connect(tmp_path / "ledger.db") as connection:  # an intruder with the file, past the trigger
        connection.execute("DROP TRIGGER events_no_update")
        connection.execute(f"UPDATE events SET payload = replace(payload, '500', '501') WHERE seq = {FOCUS_LOG + 2}")
    broken = pipedeal("verify", "--db", db, "--json", expect=1)
    report = json.loads(broken.stdout)
    assert report["verified"] is False and report["findings"][0]["seq"] == FOCUS_LOG + 2


def test_exports_list_what_they_wrote_in_json(pipedeal):
    ocf = pipedeal("export", "ocf", "ocf", "--as-of", "2000-06-30", "--json")
    written = json.loads(ocf.stdout)["written"]
    assert "ocf/Manifest.ocf.json" in written and "Wrote ocf/Manifest.ocf.json" in ocf.stderr


@pytest.mark.parametrize(("args", "named"), [
    (("report", "--no-such-option"), "--no-such-option"),
    (("evaluate", "--format", "xml"), "'json', 'text'"),
    (("users", "add", "a@b.example", "--role", "boss"), "'company', 'investor', 'counsel', 'admin'"),
])
def test_a_usage_mistake_is_one_line_naming_the_option_and_its_choices(pipedeal, args, named):
    refused = pipedeal(*args, expect=2)
    lines = [line for line in refused.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and named in lines[0], refused.stderr


def test_evaluate_prints_the_report_as_text_when_asked(pipedeal):
    text = pipedeal("evaluate", "--format", "text", "--as-of", "2000-06-30").stdout
    assert "Closing Date: 1999-11-24" in text
