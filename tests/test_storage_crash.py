"""Kill -9 in the middle of an import: the ledger is as it was and its chain verifies.

A child process appends a large event file; once its write transaction has
begun writing (SQLite: the rollback journal exists; PostgreSQL: its backend
holds a row-exclusive lock on ``events``) it is killed with SIGKILL.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from pipedeal.deal.terms_file import BUNDLED_DEALS, DEFAULT_DEAL
from pipedeal.storage import (
    History,
    Located,
    StoredEvent,
    Verdict,
    append_events,
    init_workspace,
    list_events,
    verify,
)

DEAL = DEFAULT_DEAL
EVENT_COUNT = 30_000
DEADLINE_SECONDS = 120

CHILD = """
import sys
from pathlib import Path
from pipedeal.engine.events import parse_events
from pipedeal.storage import Verdict, append_events
url, path = sys.argv[1], sys.argv[2]
located = [(path, line, event) for line, event in parse_events(Path(path).read_text(), path)]
append_events(url, "focus-1999", located, lambda history, new: Verdict([]))
"""


def accept_all(history: History, new: list[Located]) -> Verdict:
    return Verdict([])


def write_event_file(path: Path, count: int) -> None:
    """Simple valid events, a different date on each line."""
    start = dt.date(2000, 1, 1)
    with path.open("w") as out:
        for i in range(count):
            day = (start + dt.timedelta(days=i % 9000)).isoformat()
            if i % 2:
                event = {"type": "ld_demand", "date": day, "investor": "raptor"}
            else:
                event = {"type": "shares_sold", "date": day, "investor": "roseworth",
                         "shares": 100 + i}
            out.write(json.dumps(event) + "\n")


def seeded(url: str, tmp_path: Path) -> list[StoredEvent]:
    """A workspace holding a few events; returns them as stored."""
    init_workspace(url, DEAL, (BUNDLED_DEALS / DEAL / "terms.toml").read_text())
    few = tmp_path / "few.jsonl"
    write_event_file(few, 5)
    run_child(url, few, lambda: False)  # a child that is let finish appends normally
    before = list_events(url, DEAL)
    assert len(before) == 5
    return before


def run_child(url: str, events: Path, writing: Callable[[], bool]) -> int:
    """Run the importing child; SIGKILL it as soon as ``writing()``. Returns its exit code."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, url, str(events)])
    deadline = time.monotonic() + DEADLINE_SECONDS
    try:
        while child.poll() is None and time.monotonic() < deadline:
            if writing():
                os.kill(child.pid, signal.SIGKILL)
                break
            time.sleep(0.001)
        return child.wait(timeout=DEADLINE_SECONDS)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def assert_unchanged(url: str, before: list[StoredEvent]) -> None:
    assert list_events(url, DEAL) == before
    assert verify(url) == []
    # The chain goes on from where it was: no lock or hot journal is left behind.
    assert append_events(url, DEAL, [(None, None, before[0].event)], accept_all) == 1
    assert [s.seq for s in list_events(url, DEAL)] == list(range(1, len(before) + 2))
    assert verify(url) == []


def test_sqlite_import_killed_mid_transaction(
    sqlite_url: str, sqlite_path: Path, tmp_path: Path
) -> None:
    before = seeded(sqlite_url, tmp_path)
    big = tmp_path / "big.jsonl"
    write_event_file(big, EVENT_COUNT)
    journal = sqlite_path.with_name(sqlite_path.name + "-journal")
    code = run_child(sqlite_url, big, journal.exists)
    assert code == -signal.SIGKILL, "the import finished before it could be killed: enlarge it"
    assert journal.exists()  # a hot journal: the transaction was cut off mid-write
    assert_unchanged(sqlite_url, before)
    assert not journal.exists()


@pytest.mark.postgres
def test_postgres_import_killed_mid_transaction(postgres_url: str, tmp_path: Path) -> None:
    before = seeded(postgres_url, tmp_path)
    big = tmp_path / "big.jsonl"
    write_event_file(big, EVENT_COUNT)
    name = f"pipedeal-kill-{uuid.uuid4().hex[:8]}"
    child_url = make_url(postgres_url).update_query_dict({"application_name": name})
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        events_oid = connection.exec_driver_sql("SELECT 'events'::regclass::oid").scalar()
    engine.dispose()
    conninfo = make_url(postgres_url).set(drivername="postgresql", query={})
    with psycopg.connect(conninfo.render_as_string(hide_password=False),
                         autocommit=True) as monitor:

        def inserting() -> bool:
            """The child's transaction holds the lock its first INSERT INTO events takes."""
            return monitor.execute(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE a.application_name = %s AND l.relation = %s "
                "AND l.mode = 'RowExclusiveLock'",
                (name, events_oid),
            ).fetchone()[0] > 0

        code = run_child(child_url.render_as_string(hide_password=False), big, inserting)
    assert code == -signal.SIGKILL, "the import finished before it could be killed: enlarge it"
    assert_unchanged(postgres_url, before)
