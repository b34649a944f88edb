"""The ledger from the command line, on a real SQLite file and the real PostgreSQL server."""

from __future__ import annotations

import json
import sqlite3

import pytest
from conftest import pipedeal_cli
from scenario import FOCUS_CHECKLIST, FOCUS_DIR, FOCUS_LOG, jsonl


@pytest.fixture
def pipedeal(tmp_path, cache_dir):
    run = pipedeal_cli(tmp_path, cache_dir)

    return run


def ledger(pipedeal, db) -> list[dict]:
    return json.loads(pipedeal("events", "list", "--db", db, "--json").stdout)


def test_init_records_the_bundled_focus_log_and_the_report_reads_the_ledger(pipedeal, db):
    pipedeal("init", "--db", db)
    assert [row["event"]["type"] for row in ledger(pipedeal, db)] == [
        "closing", "rs_filed", "rs_amended", "sec_clearance", "rs_effective", *FOCUS_CHECKLIST]
    report = json.loads(pipedeal("report", "--db", db, "--as-of", "2000-03-01", "--json").stdout)
    assert report["pricing"]["market_price"] == "1.6375"
    assert [d["status"] for d in report["deadlines"]] == ["missed", "met"]
    pipedeal("verify", "--db", db)


def test_an_import_with_one_bad_line_is_refused_whole_and_names_the_line(pipedeal, focus_db, tmp_path):
    bad = tmp_path / "march.jsonl"
    bad.write_text(jsonl(
        {"type": "shares_sold", "date": "2000-03-01", "investor": "raptor", "shares": 1000},
        {"type": "shares_sold", "date": "2000-03-02", "investor": "altar-rock", "shares": 3501},
        {"type": "ld_demand", "date": "2000-03-03", "investor": "raptor"},
    ))
    refused = pipedeal("events", "import", str(bad), "--db", focus_db, expect=2)
    assert "march.jsonl, line 2, field shares" in refused.stderr
    assert "EVENT-SOLD-BEYOND-HOLDINGS" in refused.stderr
    assert len(ledger(pipedeal, focus_db)) == FOCUS_LOG


def test_a_good_import_appends_and_keeps_the_chain(pipedeal, focus_db, tmp_path):
    good = tmp_path / "march.jsonl"
    good.write_text(jsonl(
        {"type": "shares_sold", "date": "2000-03-01", "investor": "raptor", "shares": 1000},
        {"type": "ld_paid", "date": "2000-03-03", "investor": "raptor", "amount": "1234.57"},
    ))
    pipedeal("events", "import", str(good), "--db", focus_db)
    rows = ledger(pipedeal, focus_db)
    assert [row["seq"] for row in rows] == list(range(1, FOCUS_LOG + 3))
    assert rows[-1]["event"]["amount"] == "1234.57"
    pipedeal("verify", "--db", focus_db)


def test_events_add_takes_field_value_pairs(pipedeal, focus_db):
    pipedeal("events", "add", "warrant_exercise", "date=2000-06-01", "warrant=W-2", "shares=100",
             "method=cash", "--db", focus_db)
    report = json.loads(pipedeal("report", "--db", focus_db, "--as-of", "2000-06-02", "--json").stdout)
    assert [(w["id"], w["shares"], w["status"]) for w in report["warrants"]][1:] == [
        ("W-2", 350, "exercised"), ("W-3", 37500, "outstanding"), ("W-4", 250, "outstanding")]


def test_events_add_with_an_unknown_field_is_refused(pipedeal, focus_db):
    refused = pipedeal("events", "add", "shares_sold", "date=2000-03-01", "investor=raptor",
                       "shares=10", "price=2", "--db", focus_db, expect=2)
    assert "field price" in refused.stderr
    assert len(ledger(pipedeal, focus_db)) == FOCUS_LOG


def test_prices_import_is_all_or_nothing(pipedeal, db, tmp_path):
    pipedeal("init", "--db", db, "--empty")
    quotes = tmp_path / "q.csv"
    quotes.write_text("date,bid\n1999-11-17,1 21/32\n1999-11-18,1 11/16\n1999-11-19,1 5/8x\n")
    refused = pipedeal("prices", "import", str(quotes), "--db", db, expect=2)
    assert "q.csv, line 4, field bid" in refused.stderr
    events = tmp_path / "closing.jsonl"
    events.write_text(jsonl({"type": "closing", "date": "1999-11-24"}))
    pipedeal("events", "import", str(events), "--db", db)
    missing = pipedeal("report", "--db", db, "--as-of", "1999-12-01", expect=2)
    assert "1999-11-17, 1999-11-18, 1999-11-19, 1999-11-22, 1999-11-23" in missing.stderr


def test_the_report_before_init_uses_the_bundled_files(pipedeal):
    out = pipedeal("report", "--as-of", "2000-03-01").stdout
    assert "bundled" in out


def test_a_command_on_a_missing_ledger_says_run_init(pipedeal, tmp_path):
    refused = pipedeal("events", "list", "--db", f"sqlite:///{tmp_path / 'none.db'}", expect=2)
    assert "pipedeal init" in refused.stderr


def test_verify_reports_an_edited_row_on_sqlite(pipedeal, tmp_path):
    db_file = tmp_path / "ledger.db"
    db = f"sqlite:///{db_file}"
    pipedeal("init", "--db", db)
    with sqlite3.connect(db_file) as connection:
        connection.execute("DROP TRIGGER events_no_update")
        connection.execute("UPDATE events SET payload = replace(payload, '2000-01-13', '1999-12-27') "
                           "WHERE seq = 2")
    found = pipedeal("verify", "--db", db, expect=1)
    assert "LEDGER-EDITED" in found.stderr and "seq 2" in found.stderr


def test_init_refuses_a_terms_file_with_errors(pipedeal, tmp_path):
    terms = tmp_path / "deal.toml"
    terms.write_text((FOCUS_DIR / "terms.toml").read_text().replace("common_outstanding = 21012701",
                                                                     "common_outstanding = -1"))
    refused = pipedeal("init", "--deal", str(terms), "--db", f"sqlite:///{tmp_path / 'x.db'}",
                       expect=2)
    assert "field capitalization.common_outstanding" in refused.stderr
    assert not (tmp_path / "x.db").exists()
