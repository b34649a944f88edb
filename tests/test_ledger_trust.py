"""What verify covers beyond the event chain: the terms, the quotes, an anchor kept elsewhere;
and a ledger that does not verify is not built upon. Real SQLite files and real PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from test_storage import DEAL, TERMS, accept_all, codes, ld_demands, located, raw

from pipedeal.base.diagnostics import InputError
from pipedeal.base.quotes import Quote
from pipedeal.storage import (
    anchor,
    append_events,
    import_quotes,
    init_workspace,
    load_deal,
    load_deals,
    load_quotes,
    verify,
)
from pipedeal.storage.database import downgrade, transaction

JAN_13 = dt.date(2000, 1, 13)
QUOTES = [Quote(JAN_13 + dt.timedelta(days=i), close=Decimal("1.8125") + i, bid=Decimal("1.75"), volume=1000 + i)
          for i in range(4)]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def ledger(url: str) -> str:
    """A deal with six events and four days of quotes imported in two files."""
    init_workspace(url, DEAL, TERMS)
    append_events(url, DEAL, located(), accept_all)
    import_quotes(url, DEAL, QUOTES[:2])
    import_quotes(url, DEAL, QUOTES[2:])
    assert verify(url) == []
    return url


def postgres(url: str) -> bool:
    return url.startswith("postgresql")


def drop_guards(url: str) -> list[str]:
    """The SQL a tampering DBA runs first: drop the triggers of migrations 0001 and 0003."""
    if postgres(url):
        return ["DROP TRIGGER deals_guard ON deals", "DROP TRIGGER events_append_only ON events",
                "DROP TRIGGER quote_imports_append_only ON quote_imports"]
    return ["DROP TRIGGER deals_terms_fixed", "DROP TRIGGER events_no_update", "DROP TRIGGER events_no_delete",
            "DROP TRIGGER quote_imports_no_update", "DROP TRIGGER quote_imports_no_delete"]


def messages(findings) -> list[str]:
    return [f"{finding.code}: {finding.message}" for finding in findings]


# --- 1. the terms and the quotes are covered ------------------------------------------


def test_the_terms_cannot_be_updated(ledger: str) -> None:
    with pytest.raises(sa.exc.DatabaseError, match="terms are fixed"):
        raw(ledger, "UPDATE deals SET terms_toml = 'x = 1'")
    assert verify(ledger) == []


def test_edited_terms_are_reported_by_verify(ledger: str) -> None:
    raw(ledger, *drop_guards(ledger),
        "UPDATE deals SET terms_toml = replace(terms_toml, '1394400', '1394401')")
    (finding,) = verify(ledger, DEAL)
    assert finding.code == "LEDGER-EDITED" and "terms" in finding.message
    assert finding.field == "terms"


def test_an_edited_quote_is_reported_by_verify(ledger: str) -> None:
    raw(ledger, "UPDATE quotes SET close = '9.5' WHERE date = '2000-01-13'")
    (finding,) = verify(ledger, DEAL)
    assert finding.code == "LEDGER-EDITED"
    assert "quote of 2000-01-13" in finding.message and "close 1.8125 recorded, 9.5 stored" in finding.message


def test_an_inserted_quote_is_reported_by_verify(ledger: str) -> None:
    deal = raw(ledger, "SELECT id FROM deals")[0][0]
    raw(ledger, f"INSERT INTO quotes (deal_id, date, close) VALUES ({deal}, '2000-02-01', '3')")
    assert messages(verify(ledger)) == [
        "LEDGER-EDITED: the quote of 2000-02-01 was inserted behind pipedeal's back (no import recorded it)"]


def test_a_deleted_quote_is_reported_by_verify(ledger: str) -> None:
    raw(ledger, "DELETE FROM quotes WHERE date = '2000-01-14'")
    assert messages(verify(ledger)) == ["LEDGER-DELETED: the quote of 2000-01-14 was deleted"]


def test_a_quote_reimported_through_pipedeal_still_verifies(ledger: str) -> None:
    import_quotes(ledger, DEAL, [Quote(JAN_13, bid=Decimal("1.78125"))])
    assert verify(ledger) == []
    assert load_quotes(ledger, DEAL)[0] == Quote(JAN_13, close=Decimal("1.8125"), bid=Decimal("1.78125"),
                                                 volume=1000)


def test_the_quote_import_log_is_append_only_and_its_edits_are_found(ledger: str) -> None:
    for statement in ("UPDATE quote_imports SET quotes = '[]'", "DELETE FROM quote_imports WHERE seq = 2"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            raw(ledger, statement)
    raw(ledger, *drop_guards(ledger), "DELETE FROM quote_imports WHERE seq = 2")
    assert messages(verify(ledger)) == [
        "LEDGER-DELETED: quote import 2 missing at the end of the quote import log (deleted)"]


def test_a_ledger_at_revision_0002_upgrades_with_its_terms_and_quotes_covered(ledger: str) -> None:
    with transaction(ledger, write=True) as connection:
        downgrade(connection, "0002")
    raw(ledger, "UPDATE quotes SET volume = 7 WHERE date = '2000-01-16'")  # before 0003: unseen
    init_workspace(ledger, DEAL, TERMS)  # upgrades, backfilling the hashes from the content
    assert verify(ledger) == []
    assert load_quotes(ledger, DEAL)[3].volume == 7
    raw(ledger, "UPDATE quotes SET bid = '1' WHERE date = '2000-01-15'")
    assert [f.message for f in verify(ledger)] == ["the quote of 2000-01-15 was edited: bid 1.75 recorded, "
                                                   "1 stored"]
    with pytest.raises(sa.exc.DatabaseError, match="only moves forward"):
        raw(ledger, "UPDATE deals SET head_seq = 1")


# --- 2. a ledger that does not verify is not built upon -------------------------------


def test_appending_after_a_cut_tail_is_refused(ledger: str) -> None:
    raw(ledger, *drop_guards(ledger), "DELETE FROM events WHERE seq = 6")
    problems = problem_of_all(lambda: append_events(ledger, DEAL, ld_demands(1), accept_all))
    assert [p.code for p in problems] == ["LEDGER-DELETED"]
    assert "refusing to append" in problems[0].message and "seq 6 missing at the end" in problems[0].message
    assert len(load_deal_events(ledger)) == 5


def test_importing_quotes_into_a_ledger_that_does_not_verify_is_refused(ledger: str) -> None:
    raw(ledger, "UPDATE quotes SET close = '9.5' WHERE date = '2000-01-13'")
    problems = problem_of_all(lambda: import_quotes(ledger, DEAL, [Quote(dt.date(2000, 2, 1), close=Decimal(2))]))
    assert [p.code for p in problems] == ["LEDGER-EDITED"]
    assert len(load_quotes(ledger, DEAL)) == 4


def test_load_deal_reads_one_snapshot_with_the_findings(ledger: str) -> None:
    loaded = load_deal(ledger, DEAL)
    assert loaded.findings == [] and len(loaded.events) == 6 and len(loaded.quotes) == 4
    assert str(loaded.anchor) == f"{DEAL} seq 6 sha256:{loaded.events[-1].hash}"
    raw(ledger, "DELETE FROM quotes WHERE date = '2000-01-13'")
    assert codes(load_deal(ledger, DEAL).findings) == [("LEDGER-DELETED", None)]


def problem_of_all(call) -> list:
    with pytest.raises(InputError) as caught:
        call()
    return caught.value.problems


def load_deal_events(url: str) -> list:
    return raw(url, "SELECT seq FROM events ORDER BY seq")


# --- 3. an anchor kept elsewhere shows a rollback -------------------------------------


def rollback_to(url: str, seq: int) -> None:
    """Cut the ledger back to ``seq`` and rewind its recorded head to match: invisible from inside."""
    head_hash = raw(url, f"SELECT hash FROM events WHERE seq = {seq}")[0][0]
    guards = (["DROP TRIGGER deals_head_forward_only ON deals"] if postgres(url)
              else ["DROP TRIGGER deals_head_forward_only"])
    raw(url, *drop_guards(url), *guards, f"DELETE FROM events WHERE seq > {seq}",
        f"UPDATE deals SET head_seq = {seq}, head_hash = '{head_hash}'")


def test_a_ledger_rolled_back_behind_its_anchor_is_reported(ledger: str) -> None:
    kept = anchor(ledger, DEAL)
    assert (kept.seq, str(kept)) == (6, f"{DEAL} seq 6 sha256:{kept.hash}")
    assert verify(ledger, DEAL, anchor=(kept.seq, kept.hash)) == []
    assert verify(ledger, DEAL, anchor=(None, kept.hash)) == []
    append_events(ledger, DEAL, ld_demands(2), accept_all)  # the chain may grow past the anchor
    assert verify(ledger, DEAL, anchor=(kept.seq, kept.hash)) == []
    rollback_to(ledger, 4)
    assert verify(ledger, DEAL) == []  # cut and rewound consistently: nothing inside shows it
    (finding,) = verify(ledger, DEAL, anchor=(kept.seq, kept.hash))
    assert finding.code == "LEDGER-ROLLED-BACK" and finding.seq == 6
    assert "now ends at seq 4" in finding.message


def test_a_rewritten_row_at_the_anchor_is_reported(ledger: str) -> None:
    kept = anchor(ledger, DEAL)
    rollback_to(ledger, 5)
    append_events(ledger, DEAL, ld_demands(1), accept_all)  # a different seq 6
    (finding,) = verify(ledger, DEAL, anchor=(kept.seq, kept.hash))
    assert finding.code == "LEDGER-ROLLED-BACK" and "no longer the anchored row" in finding.message


# --- 1b. a ledger of many deals is checked as verify checks it (load_deals) ----------------
#
# `calendar --all` reads every deal with load_deals, which lets the database spell each deal's
# quotes table as the import log spells it and compares the two texts; only a mismatch reads the
# rows one by one. Each tampering below must give load_deals exactly verify's findings.

FORGED_CELL = "'1.75\",\"close\":\"1.8125'"  # the text a naive concatenation would splice into place


@pytest.mark.parametrize("tampering", [
    "UPDATE quotes SET close = '9.5' WHERE date = '2000-01-13'",
    "INSERT INTO quotes (deal_id, date, close) VALUES ((SELECT id FROM deals), '2000-02-01', '3')",
    "DELETE FROM quotes WHERE date = '2000-01-14'",
    "UPDATE quotes SET volume = NULL WHERE date = '2000-01-16'",
    # Jan 13 is logged as {"bid":"1.75","close":"1.8125","date":...}: the close moved into the bid
    # cell, quotes and all, spells the same text unless the cell's quotes are escaped as JSON's are.
    f"UPDATE quotes SET bid = {FORGED_CELL}, close = NULL WHERE date = '2000-01-13'",
    "UPDATE quotes SET bid = '1.75\\' WHERE date = '2000-01-15'",
])
def test_every_deal_read_at_once_is_checked_as_verify_checks_it(ledger: str, tampering: str) -> None:
    raw(ledger, tampering)
    expected = verify(ledger, DEAL)
    assert expected, "the tampering must be visible to verify"
    [(name, loaded)] = load_deals(ledger)
    assert name == DEAL and messages(loaded.findings) == messages(expected)


def test_a_sqlite_volume_cell_holding_text_that_spells_a_vwap_is_still_an_edit(sqlite_url: str) -> None:
    # SQLite keeps a text in an integer column. Logged: {"date":"2000-01-13","volume":1000,"vwap":"1.75"};
    # stored: volume '1000,"vwap":"1.75"' (text) and no vwap, which spells the same characters.
    init_workspace(sqlite_url, DEAL, TERMS)
    import_quotes(sqlite_url, DEAL, [Quote(JAN_13, volume=1000, vwap=Decimal("1.75"))])
    raw(sqlite_url, "UPDATE quotes SET volume = '1000,\"vwap\":\"1.75\"', vwap = NULL")
    expected = verify(sqlite_url, DEAL)
    assert [finding.code for finding in expected] == ["LEDGER-EDITED"]
    [(_, loaded)] = load_deals(sqlite_url)
    assert messages(loaded.findings) == messages(expected)


def test_a_deleted_quote_import_is_found_when_every_deal_is_read_at_once(ledger: str) -> None:
    raw(ledger, *drop_guards(ledger), "DELETE FROM quote_imports WHERE seq = 2")
    [(_, loaded)] = load_deals(ledger)
    assert messages(loaded.findings) == [
        "LEDGER-DELETED: quote import 2 missing at the end of the quote import log (deleted)"]


def test_quotes_corrected_by_a_later_import_read_at_once_are_the_corrected_ones(ledger: str) -> None:
    # Three imports: Jan 13-14, Jan 15-16, then a bid of 1 25/32 = 1.78125 for Jan 13 alone, which
    # keeps that day's close 1.8125 and volume 1,000 (a re-import replaces only what it gives).
    import_quotes(ledger, DEAL, [Quote(JAN_13, bid=Decimal("1.78125"))])
    [(_, loaded)] = load_deals(ledger)
    assert loaded.findings == [] and len(loaded.quotes) == 4
    assert loaded.quotes.get(JAN_13) == Quote(JAN_13, close=Decimal("1.8125"), bid=Decimal("1.78125"), volume=1000)
    # Every day as load_quotes reads it (one row at a time, every Decimal built at once).
    assert loaded.quotes.quotes() == load_quotes(ledger, DEAL)
    assert loaded.quotes.between(JAN_13, JAN_13 + dt.timedelta(days=3), "close") == [
        (JAN_13 + dt.timedelta(days=i), Decimal("1.8125") + i) for i in range(4)]
