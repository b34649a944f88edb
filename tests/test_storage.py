"""The storage layer against real SQLite files and the real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import given, settings
from hypothesis import strategies as st

from pipedeal.base.diagnostics import Diagnostic, InputError
from pipedeal.base.quotes import Quote, parse_quotes
from pipedeal.deal.terms_file import BUNDLED_DEALS, DEFAULT_DEAL
from pipedeal.engine.events import parse_event, parse_events
from pipedeal.storage import (
    History,
    Located,
    Verdict,
    append_events,
    deal_terms,
    import_quotes,
    init_workspace,
    list_deals,
    list_events,
    load_quotes,
    resolve_url,
    verify,
)
from pipedeal.storage.chain import canonical_json, chain_hash, stored_chain_hash
from pipedeal.storage.database import current_revision, downgrade, migrations_head, transaction
from pipedeal.storage.models import SCHEMA_REVISION, VERSION_TABLE, Base, QuoteRow

DEAL = DEFAULT_DEAL
TERMS = (BUNDLED_DEALS / DEAL / "terms.toml").read_text()
RECORDED = dt.datetime(2000, 3, 2, 9, 30, tzinfo=dt.UTC)

EVENTS = """\
{"type":"closing","date":"1999-11-24","source":"illustrative"}
{"type":"rs_filed","date":"1999-12-27","form":"S-3"}
{"type":"ld_demand","date":"2000-03-01","investor":"raptor"}
{"type":"ld_paid","date":"2000-03-06","investor":"raptor","amount":"1234.57"}
{"type":"notice","sent_at":"2000-03-06T16:30:00-05:00","method":"fax","from":"focus",\
"to":"raptor","subject":"LD payment"}
{"type":"shares_sold","date":"2000-03-07","investor":"raptor","shares":1000,\
"recorded_at":"2000-03-08T10:00:00-05:00"}
"""


def accept_all(history: History, new: list[Located]) -> Verdict:
    return Verdict([])


def located(text: str = EVENTS, filename: str = "events.jsonl") -> list[Located]:
    return [(filename, line, event) for line, event in parse_events(text, filename)]


def ld_demands(count: int, start: dt.date = dt.date(2000, 1, 1)) -> list[Located]:
    return [(None, None, parse_event({"type": "ld_demand", "investor": "raptor",
                                      "date": (start + dt.timedelta(days=i)).isoformat()}))
            for i in range(count)]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> str:
    """The main ledger tests run on both backends."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def workspace(url: str) -> str:
    init_workspace(url, DEAL, TERMS)
    return url


@pytest.fixture
def ledger(workspace: str) -> str:
    """A workspace whose deal holds the six EVENTS."""
    assert append_events(workspace, DEAL, located(), accept_all, recorded_at=RECORDED) == 6
    return workspace


def raw(url: str, *statements: str) -> list[sa.Row]:
    """Run SQL behind pipedeal's back (as a DBA would); returns the last statement's rows."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            result = None
            for statement in statements:
                result = connection.exec_driver_sql(statement)
            return list(result) if result is not None and result.returns_rows else []
    finally:
        engine.dispose()


def event_count(url: str) -> int:
    return raw(url, "SELECT count(*) FROM events")[0][0]


def tamper(url: str, *statements: str) -> None:
    """What a tampering DBA does: drop the append-only triggers, then rewrite rows."""
    guards = (["DROP TRIGGER events_append_only ON events"] if url.startswith("postgresql")
              else ["DROP TRIGGER events_no_update", "DROP TRIGGER events_no_delete"])
    raw(url, *guards, *statements)


def problem_of(call: Callable[[], object]) -> Diagnostic:
    """The one problem ``call`` raises."""
    with pytest.raises(InputError) as caught:
        call()
    (problem,) = caught.value.problems
    return problem


def codes(findings: list[Diagnostic]) -> list[tuple[str, int | None]]:
    return [(finding.code, finding.seq) for finding in findings]


# --- round trip and chain -------------------------------------------------------------


def test_append_and_list_round_trip(ledger: str) -> None:
    stored = list_events(ledger, DEAL)
    originals = located()
    assert [s.seq for s in stored] == [1, 2, 3, 4, 5, 6]
    assert [s.event for s in stored] == [event for _, _, event in originals]
    assert [(s.source_file, s.source_line) for s in stored] == [(f, n) for f, n, _ in originals]
    paid = stored[3].event
    assert paid.amount == Decimal("1234.57") and str(paid.amount) == "1234.57"
    assert stored[0].recorded_at == RECORDED
    # The ledger's clock stamps every row; the file's own recorded_at is only what it claims,
    # kept (the same instant in UTC) as claimed_recorded_at.
    assert stored[5].recorded_at == RECORDED
    assert stored[5].claimed_recorded_at == dt.datetime(2000, 3, 8, 15, 0, tzinfo=dt.UTC)
    assert stored[0].claimed_recorded_at is None
    assert all(s.recorded_at.tzinfo is not None for s in stored)
    assert stored[0].prev_hash == "0" * 64
    assert all(later.prev_hash == earlier.hash for earlier, later in pairwise(stored))


def test_payload_is_canonical_json(ledger: str) -> None:
    payload, kind, day = raw(ledger, "SELECT payload, type, date FROM events WHERE seq = 4")[0]
    assert payload == (
        '{"amount":"1234.57","date":"2000-03-06","investor":"raptor","type":"ld_paid"}'
    )
    assert kind == "ld_paid" and str(day) == "2000-03-06"


_json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                            lambda children: st.lists(children, max_size=3)
                            | st.dictionaries(st.text(), children, max_size=3), max_leaves=8)


@settings(max_examples=200, deadline=None)
@given(deal=st.text(min_size=1), seq=st.integers(min_value=1, max_value=10**9),
       event=st.dictionaries(st.text(), _json_values, max_size=4),
       recorded_at=st.datetimes(timezones=st.just(dt.UTC)), source_file=st.none() | st.text(),
       source_line=st.none() | st.integers(min_value=0), recorded_by=st.none() | st.text())
def test_a_row_hashed_from_its_stored_text_hashes_as_the_entry_did(deal, seq, event, recorded_at, source_file,
                                                                     source_line, recorded_by) -> None:
    """Verify hashes each row's stored text; the hash written at append is of the whole entry's canonical
    JSON, spelled here as the chain was first defined."""
    entry = {"deal": deal, "seq": seq, "recorded_at": recorded_at.isoformat(), "event": event,
             "source_file": source_file, "source_line": source_line}
    if recorded_by is not None:
        entry["recorded_by"] = recorded_by
    first_defined = hashlib.sha256(("0" * 64 + canonical_json(entry)).encode()).hexdigest()
    assert stored_chain_hash("0" * 64, deal, seq, recorded_at, canonical_json(event), source_file, source_line,
                             recorded_by) == first_defined
    assert chain_hash("0" * 64, deal, seq, recorded_at, event, source_file, source_line, recorded_by) == first_defined


def test_chain_verifies_clean_and_continues_across_imports(ledger: str) -> None:
    assert append_events(ledger, DEAL, ld_demands(3), accept_all) == 3
    stored = list_events(ledger, DEAL)
    assert [s.seq for s in stored] == list(range(1, 10))
    assert stored[6].prev_hash == stored[5].hash
    assert stored[6].recorded_at > RECORDED  # stamped "now"
    assert verify(ledger) == []
    assert verify(ledger, DEAL) == []


def test_deals_are_separate_ledgers(ledger: str) -> None:
    init_workspace(ledger, "other-deal", "x = 1\n")
    assert append_events(ledger, "other-deal", ld_demands(2), accept_all) == 2
    assert list_deals(ledger) == [DEAL, "other-deal"]
    assert [s.seq for s in list_events(ledger, "other-deal")] == [1, 2]
    assert deal_terms(ledger, DEAL) == TERMS
    assert deal_terms(ledger, "other-deal") == "x = 1\n"
    assert verify(ledger) == []


def test_validate_sees_existing_and_new_events(ledger: str) -> None:
    seen: list[tuple[int, int]] = []

    def record(history: History, new: list[Located]) -> Verdict:
        seen.append((len(history.events()), len(new)))
        return Verdict([Diagnostic("EVENT-INVALID", "only a warning", severity="warning")])

    assert append_events(ledger, DEAL, ld_demands(2), record) == 2
    assert seen == [(6, 2)]


# --- all or nothing -------------------------------------------------------------------


def test_an_invalid_event_writes_nothing(ledger: str) -> None:
    before = event_count(ledger)
    batch = located() + ld_demands(500)

    def reject_line_3(history: History, new: list[Located]) -> Verdict:
        return Verdict([Diagnostic("EVENT-INVALID", "no", file, line) for file, line, _ in new if line == 3])

    with pytest.raises(InputError) as caught:
        append_events(ledger, DEAL, batch, reject_line_3)
    assert [(p.code, p.line) for p in caught.value.problems] == [("EVENT-INVALID", 3)]
    assert event_count(ledger) == before
    assert verify(ledger) == []


def test_foreign_keys_are_enforced(workspace: str) -> None:
    with pytest.raises(InputError) as caught, transaction(workspace, write=True) as connection:
        connection.execute(sa.insert(QuoteRow).values(deal_id=999, date=dt.date(2000, 1, 3)))
    assert caught.value.problems[0].code == "DB-ERROR"
    assert load_quotes(workspace, DEAL) == []


def test_a_naive_recorded_at_is_taken_as_utc(workspace: str) -> None:
    append_events(workspace, DEAL, ld_demands(1), accept_all,
                  recorded_at=dt.datetime(2000, 3, 2, 9, 30))
    assert list_events(workspace, DEAL)[0].recorded_at == RECORDED
    assert verify(workspace) == []


def test_init_refuses_a_blank_deal_name(sqlite_url: str) -> None:
    assert problem_of(lambda: init_workspace(sqlite_url, " ", TERMS)).code == "DEAL-NAME"


def test_init_refuses_different_terms_and_accepts_the_same(workspace: str) -> None:
    init_workspace(workspace, DEAL, TERMS)  # idempotent
    with pytest.raises(InputError) as caught:
        init_workspace(workspace, DEAL, TERMS + "\n# changed\n")
    assert caught.value.problems[0].code == "DEAL-EXISTS"
    assert deal_terms(workspace, DEAL) == TERMS


# --- tampering ------------------------------------------------------------------------


def test_the_ledger_refuses_update_and_delete(ledger: str) -> None:
    for statement in ("UPDATE events SET payload = '{}' WHERE seq = 2",
                      "DELETE FROM events WHERE seq = 6"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            raw(ledger, statement)
    if ledger.startswith("postgresql"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            raw(ledger, "TRUNCATE events CASCADE")
    assert event_count(ledger) == 6
    assert verify(ledger) == []


def test_an_edited_row_is_found(ledger: str) -> None:
    tamper(ledger, "UPDATE events SET payload = replace(payload, '1234.57', '1.00') "
                   "WHERE seq = 4")
    findings = verify(ledger, DEAL)
    assert codes(findings) == [("LEDGER-EDITED", 4)]
    assert "row seq 4 was edited" in findings[0].message


def test_an_edited_column_is_found(ledger: str) -> None:
    tamper(ledger, "UPDATE events SET date = '2001-01-01' WHERE seq = 3")
    assert codes(verify(ledger)) == [("LEDGER-EDITED", 3)]


def test_a_deleted_row_is_found(ledger: str) -> None:
    tamper(ledger, "DELETE FROM events WHERE seq = 3")
    findings = verify(ledger, DEAL)
    assert codes(findings) == [("LEDGER-DELETED", 4)]
    assert "seq 3 missing" in findings[0].message


def test_a_row_cut_from_the_end_is_found_against_the_head(ledger: str) -> None:
    last = len(list_events(ledger, DEAL))
    tamper(ledger, f"DELETE FROM events WHERE seq = {last}")
    findings = verify(ledger, DEAL)
    assert codes(findings) == [("LEDGER-DELETED", last)]
    assert "missing at the end" in findings[0].message


def test_the_head_cannot_be_moved_backwards(ledger: str) -> None:
    with pytest.raises(Exception, match="only moves forward"):
        tamper(ledger, "UPDATE deals SET head_seq = 1")


def test_swapped_rows_are_reordered(ledger: str) -> None:
    tamper(ledger,
           "UPDATE events SET seq = -1 WHERE seq = 3",
           "UPDATE events SET seq = 3 WHERE seq = 4",
           "UPDATE events SET seq = 4 WHERE seq = -1")
    assert codes(verify(ledger, DEAL)) == [("LEDGER-REORDERED", 3), ("LEDGER-REORDERED", 4)]


def test_an_unparseable_row_is_found(ledger: str) -> None:
    tamper(ledger, "UPDATE events SET payload = 'garbage' WHERE seq = 2")
    assert codes(verify(ledger)) == [("LEDGER-UNPARSEABLE", 2)]
    with pytest.raises(InputError) as caught:
        list_events(ledger, DEAL)
    assert caught.value.problems[0].code == "LEDGER-UNPARSEABLE"


# --- concurrency ----------------------------------------------------------------------


def test_concurrent_appenders_do_not_fork_the_chain(workspace: str) -> None:
    """Each appender reads the chain head inside its locked transaction."""
    errors: list[BaseException] = []

    def slow_accept(history: History, new: list[Located]) -> Verdict:
        time.sleep(0.2)  # hold the write transaction so the other appender must wait
        return Verdict([])

    def append(start: dt.date) -> None:
        try:
            append_events(workspace, DEAL, ld_demands(50, start), slow_accept)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=append, args=(dt.date(2000 + i, 1, 1),)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [s.seq for s in list_events(workspace, DEAL)] == list(range(1, 151))
    assert verify(workspace) == []


# --- quotes ---------------------------------------------------------------------------


def test_quotes_round_trip_exactly(workspace: str) -> None:
    quotes = parse_quotes(
        "date,open,high,low,close,bid,ask,volume\n"
        "1999-11-17,1 13/16,1-7/8,29/32,1.8125,1.750,1.87500,123456\n"
        "1999-11-18,,,,2.03125,2 1/32,,\n"
        "1999-11-19,0.0000000001,9999999999.9999999999,,,,,1000000000000000\n",
        "quotes.csv",
    )
    assert import_quotes(workspace, DEAL, quotes) == 3
    loaded = load_quotes(workspace, DEAL)
    assert loaded == quotes
    assert [str(q.bid) for q in loaded] == [str(q.bid) for q in quotes]
    assert str(loaded[0].ask) == "1.87500"
    assert loaded[2].volume == 10**15 and str(loaded[2].high) == "9999999999.9999999999"


def test_quote_reimport_replaces_only_the_given_fields(workspace: str) -> None:
    day = dt.date(1999, 11, 17)
    import_quotes(workspace, DEAL, [Quote(day, close=Decimal("1.8125"), bid=Decimal("1.75"))])
    import_quotes(workspace, DEAL, [Quote(day, bid=Decimal("1.78125"), volume=10),
                                    Quote(day + dt.timedelta(days=1), close=Decimal("2"))])
    assert load_quotes(workspace, DEAL) == [
        Quote(day, close=Decimal("1.8125"), bid=Decimal("1.78125"), volume=10),
        Quote(day + dt.timedelta(days=1), close=Decimal("2")),
    ]
    raw_prices = raw(workspace, "SELECT close, bid FROM quotes ORDER BY date")
    assert [tuple(row) for row in raw_prices] == [("1.8125", "1.78125"), ("2", None)]


# --- friendly errors ------------------------------------------------------------------


def test_a_missing_sqlite_workspace_says_run_init(sqlite_url: str, sqlite_path: Path) -> None:
    problem = problem_of(lambda: list_events(sqlite_url, DEAL))
    assert problem.code == "WORKSPACE-MISSING" and "pipedeal init" in problem.message
    assert not sqlite_path.exists()  # asking did not create an empty database
    sqlite_path.write_bytes(b"")  # a file, but no tables
    problem = problem_of(lambda: verify(sqlite_url))
    assert problem.code == "WORKSPACE-MISSING" and "pipedeal init" in problem.message


def test_a_missing_postgres_workspace_says_run_init(postgres_url: str) -> None:
    problem = problem_of(lambda: append_events(postgres_url, DEAL, ld_demands(1), accept_all))
    assert problem.code == "WORKSPACE-MISSING" and "pipedeal init" in problem.message


def test_an_uninitialised_deal_says_run_init(workspace: str) -> None:
    for call in (lambda: list_events(workspace, "nope"), lambda: load_quotes(workspace, "nope"),
                 lambda: verify(workspace, "nope"), lambda: deal_terms(workspace, "nope")):
        problem = problem_of(call)
        assert problem.code == "DEAL-MISSING" and "pipedeal init" in problem.message


def test_an_unreachable_database_is_a_problem(tmp_path: Path) -> None:
    url = "postgresql+psycopg://postgres:secret@127.0.0.1:1/test?connect_timeout=2"
    problem = problem_of(lambda: list_deals(url))
    assert problem.code == "DB-UNREACHABLE"
    assert "secret" not in str(problem)
    problem = problem_of(lambda: init_workspace(f"sqlite:///{tmp_path}/no/such/dir.db", DEAL, ""))
    assert problem.code == "DB-UNREACHABLE"


def test_resolve_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIPEDEAL_DB", raising=False)
    assert resolve_url(None) == "sqlite:///pipedeal.db"
    monkeypatch.setenv("PIPEDEAL_DB", "sqlite:////tmp/x.db")
    assert resolve_url(None) == "sqlite:////tmp/x.db"
    assert resolve_url("sqlite:///y.db") == "sqlite:///y.db"
    assert resolve_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert resolve_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert problem_of(lambda: resolve_url("mysql://u@h/db")).code == "DB-URL"
    assert problem_of(lambda: resolve_url("postgresql+psycopg2://u@h/db")).code == "DB-URL"
    assert problem_of(lambda: resolve_url("not a url")).code == "DB-URL"


# --- migrations -----------------------------------------------------------------------


def test_migrations_match_the_models_and_downgrade(workspace: str) -> None:
    with transaction(workspace, write=False) as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        assert compare_metadata(context, Base.metadata) == []
    with transaction(workspace, write=True) as connection:
        downgrade(connection, "base")
        assert set(sa.inspect(connection).get_table_names()) <= {VERSION_TABLE}
    problem = problem_of(lambda: list_deals(workspace))
    assert problem.code == "WORKSPACE-MISSING"
    init_workspace(workspace, DEAL, TERMS)  # upgrade again from nothing
    assert list_deals(workspace) == [DEAL]


def test_the_schema_revision_reads_are_alembics_own(workspace: str) -> None:
    """Reads check the schema without importing alembic: its revision constant and its reading of the
    version table must be alembic's, at the head and one migration back."""
    assert migrations_head() == SCHEMA_REVISION
    earlier = f"{int(SCHEMA_REVISION) - 1:04d}"
    for revision in (SCHEMA_REVISION, earlier):
        with transaction(workspace, write=True, create=True) as connection:
            if revision != SCHEMA_REVISION:
                downgrade(connection, revision)
            alembics = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
            assert current_revision(connection) == alembics.get_current_revision() == revision
    problem = problem_of(lambda: list_deals(workspace))
    assert problem.code == "WORKSPACE-OUTDATED"
    assert f"revision {earlier}, this pipedeal needs {SCHEMA_REVISION}" in problem.message
