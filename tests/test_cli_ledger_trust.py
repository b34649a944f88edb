"""A ledger that does not verify, from the command line: reads refuse (or warn when allowed),
appends refuse, and an anchor kept elsewhere shows a rollback. Real SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from scenario import FOCUS_LOG, jsonl


def sql(url: str, *statements: str) -> None:
    """SQL behind pipedeal's back."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


EDIT_A_QUOTE = "UPDATE quotes SET close = '9.5' WHERE date = '2000-01-13'"

READS = [
    ("report", "--as-of", "2000-03-01"),
    ("report", "--as-of", "2000-03-01", "--json"),
    ("ld", "--as-of", "2000-03-01"),
    ("ambiguities", "--as-of", "2000-03-01"),
    ("warrants", "--as-of", "2000-03-01"),
    ("statement", "--as-of", "2000-03-01", "--format", "html"),
    ("exercise", "W-1", "--shares", "100", "--method", "cash", "--date", "2000-06-01", "--dry-run"),
    ("documents", "exercise", "W-1", "--shares", "100", "--method", "cash", "--date", "2000-06-01",
     "--format", "html"),
    ("documents", "adjustments", "--format", "html"),
    ("export", "ocf", "ocf-out"),
    ("events", "list"),
]


def test_every_read_of_an_edited_ledger_is_refused_with_the_verify_findings(pipedeal, tmp_path):
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    pipedeal("init", "--db", db)
    sql(db, EDIT_A_QUOTE)
    for command in READS:
        refused = pipedeal(*command, "--db", db, expect=2)
        assert "the quote of 2000-01-13 was edited" in refused.stderr, command
        assert "LEDGER-EDITED" in refused.stderr and "LEDGER-BROKEN" in refused.stderr, command
        assert "--allow-broken-ledger" in refused.stderr, command
    assert not list(tmp_path.glob("*.html")) and not (tmp_path / "ocf-out").exists()


def test_a_report_of_an_edited_ledger_is_refused_on_postgres(pipedeal, postgres_url):
    pipedeal("init", "--db", postgres_url)
    sql(postgres_url, EDIT_A_QUOTE)
    refused = pipedeal("report", "--db", postgres_url, "--as-of", "2000-03-01", expect=2)
    assert "the quote of 2000-01-13 was edited" in refused.stderr


def test_allow_broken_ledger_reads_it_and_every_output_says_so(pipedeal, focus_db, tmp_path):
    sql(focus_db, EDIT_A_QUOTE)
    allow = ("--db", focus_db, "--allow-broken-ledger")
    table = pipedeal("report", "--as-of", "2000-03-01", *allow)
    assert "WARNING: this ledger does not verify" in table.stderr
    assert "quote of 2000-01-13 was edited" in table.stderr
    data = json.loads(pipedeal("report", "--as-of", "2000-03-01", "--json", *allow).stdout)
    assert [w["code"] for w in data["ledger_warnings"]] == ["LEDGER-EDITED"]
    assert data["pricing"]["market_price"] == "1.6375"
    for command in (("ld", "--json"), ("warrants", "--json")):
        assert "ledger_warnings" in json.loads(pipedeal(*command, "--as-of", "2000-03-01", *allow).stdout)
    pipedeal("statement", "--as-of", "2000-03-01", "--format", "html", "--investor", "raptor", *allow)
    (html,) = tmp_path.glob("ld-statement-*.html")
    assert "this ledger does not verify" in html.read_text()
    listed = pipedeal("events", "list", "--json", *allow)
    assert len(json.loads(listed.stdout)) == FOCUS_LOG and "WARNING" in listed.stderr


def test_appending_to_an_edited_ledger_is_refused(pipedeal, focus_db, tmp_path):
    sql(focus_db, EDIT_A_QUOTE)
    events = tmp_path / "march.jsonl"
    events.write_text(jsonl({"type": "ld_demand", "date": "2000-03-03", "investor": "raptor"}))
    quotes = tmp_path / "q.csv"
    quotes.write_text("date,close\n2000-02-01,2\n")
    for command in (("events", "add", "ld_demand", "date=2000-03-03", "investor=raptor"),
                    ("events", "import", str(events)),
                    ("prices", "import", str(quotes)),
                    ("exercise", "W-1", "--shares", "100", "--method", "cash", "--date", "2000-06-01",
                     "--allow-broken-ledger")):
        refused = pipedeal(*command, "--db", focus_db, expect=2)
        assert "refusing to append to a ledger that does not verify" in refused.stderr, command
    listed = pipedeal("events", "list", "--json", "--db", focus_db, "--allow-broken-ledger")
    assert len(json.loads(listed.stdout)) == FOCUS_LOG


def test_ledger_anchor_and_verify_anchor_show_a_rollback(pipedeal, tmp_path):
    db_file = tmp_path / "ledger.db"
    db = f"sqlite:///{db_file}"
    pipedeal("init", "--db", db)
    line = pipedeal("ledger", "anchor", "--db", db).stdout.strip()
    deal, word, seq, digest = line.split()
    assert (deal, word, seq) == ("focus-1999", "seq", str(FOCUS_LOG)) and digest.startswith("sha256:")
    for given in (line, f"{FOCUS_LOG}:{digest}", digest, digest.removeprefix("sha256:")):
        assert "anchor is in the chain" in pipedeal("verify", "--db", db, "--anchor", given).stdout
    pipedeal("statement", "--db", db, "--as-of", "2000-03-01", "--letter", "--date", "2000-03-02",
             "--investor", "raptor", "--format", "html")
    (letter,) = tmp_path.glob("ld-demand-*.html")
    assert letter.read_text().count(line) == 2  # the footer and the letter's enclosure line
    before_last = sqlite_hash(db_file, FOCUS_LOG - 1)
    sql(db, "DROP TRIGGER events_no_delete", "DROP TRIGGER deals_head_forward_only",
        f"DELETE FROM events WHERE seq = {FOCUS_LOG}",
        f"UPDATE deals SET head_seq = {FOCUS_LOG - 1}, head_hash = '{before_last}'")
    pipedeal("verify", "--db", db)  # the cut is invisible from inside
    found = pipedeal("verify", "--db", db, "--anchor", line, expect=1)
    assert "LEDGER-ROLLED-BACK" in found.stderr and "rolled back behind the anchor" in found.stderr


def test_a_bad_anchor_is_refused(pipedeal, tmp_path):
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    pipedeal("init", "--db", db)
    refused = pipedeal("verify", "--db", db, "--anchor", "5:abc", expect=2)
    assert "command line, field --anchor" in refused.stderr and "CLI-BAD-ANCHOR" in refused.stderr
    refused = pipedeal("verify", "--db", db, "--deal", "other", "--anchor", f"focus-1999 seq 5 sha256:{'0' * 64}",
                       expect=2)
    assert "the anchor is of deal 'focus-1999'" in refused.stderr


def sqlite_hash(path: Path, seq: int) -> str:
    import sqlite3

    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT hash FROM events WHERE seq = ?", (seq,)).fetchone()[0]


def test_importing_a_file_again_is_refused_naming_the_lines_and_the_seqs(pipedeal, focus_db, tmp_path):
    march = tmp_path / "march.jsonl"
    march.write_text(jsonl({"type": "ld_demand", "date": "2000-03-03", "investor": "raptor"},
                           {"type": "shares_sold", "date": "2000-03-06", "investor": "raptor", "shares": 10}))
    pipedeal("events", "import", str(march), "--db", focus_db)
    again = tmp_path / "again.jsonl"
    again.write_text(jsonl({"type": "ld_demand", "date": "2000-03-20", "investor": "raptor"},
                           {"type": "shares_sold", "date": "2000-03-06", "investor": "raptor", "shares": 10,
                            "recorded_at": "2000-03-07T09:00:00+00:00"},
                           {"type": "rs_effective", "date": "2000-02-16", "source": "illustrative"}))
    refused = pipedeal("events", "import", str(again), "--db", focus_db, expect=2)
    assert f"again.jsonl, seq {FOCUS_LOG + 2}, line 2" in refused.stderr and (
        f"already in the ledger as seq {FOCUS_LOG + 2}" in refused.stderr)
    assert "again.jsonl, seq 5, line 3" in refused.stderr and "EVENT-DUPLICATE" in refused.stderr
    assert "line 1" not in refused.stderr
    assert len(json.loads(pipedeal("events", "list", "--json", "--db", focus_db).stdout)) == FOCUS_LOG + 2
    pipedeal("events", "import", str(march), "--db", focus_db, "--allow-duplicates")
    assert len(json.loads(pipedeal("events", "list", "--json", "--db", focus_db).stdout)) == FOCUS_LOG + 4
