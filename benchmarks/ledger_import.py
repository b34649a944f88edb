"""Time importing events into a workspace ledger, and verifying the chain over them.

    python benchmarks/ledger_import.py [--sizes 10000 100000] [--postgres URL | --no-postgres]

SQLite runs in a temporary directory; PostgreSQL (when reachable) in a
throw-away schema of the given database. Events are parsed before timing, so
the figures are for the storage layer: validation callback, hashing, inserts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from pipedeal.deal.terms_file import BUNDLED_DEALS, DEFAULT_DEAL
from pipedeal.engine.events import parse_event
from pipedeal.storage import History, Located, Verdict, append_events, init_workspace, list_events, verify

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def accept_all(history: History, new: list[Located]) -> Verdict:
    return Verdict([])


def events(count: int) -> list[Located]:
    start = dt.date(2000, 1, 1)
    located: list[Located] = []
    for i in range(count):
        day = (start + dt.timedelta(days=i % 9000)).isoformat()
        data = ({"type": "ld_demand", "date": day, "investor": "raptor"} if i % 2 else
                {"type": "shares_sold", "date": day, "investor": "roseworth", "shares": 100 + i})
        located.append(("bench.jsonl", i + 1, parse_event(data)))
    return located


def timed(action: Callable[..., object], *args: object) -> float:
    start = time.perf_counter()
    action(*args)
    return time.perf_counter() - start


Workspace = Callable[[int], AbstractContextManager[str]]


def run(label: str, url_for: Workspace, sizes: list[int]) -> None:
    terms = (BUNDLED_DEALS / DEFAULT_DEAL / "terms.toml").read_text()
    for size in sizes:
        located = events(size)
        with url_for(size) as url:
            init_workspace(url, DEFAULT_DEAL, terms)
            appended = timed(append_events, url, DEFAULT_DEAL, located, accept_all)
            checked = timed(verify, url, DEFAULT_DEAL)
            listed = timed(list_events, url, DEFAULT_DEAL)
            findings = verify(url, DEFAULT_DEAL)
        assert not findings, findings
        print(f"{label:10} {size:>7,} events  import {appended:6.2f}s "
              f"({size / appended:>9,.0f} ev/s)  verify {checked:6.2f}s "
              f"({size / checked:>9,.0f} ev/s)  list {listed:6.2f}s "
              f"({size / listed:>9,.0f} ev/s)")


@contextmanager
def sqlite_workspace(size: int) -> Iterator[str]:
    with tempfile.TemporaryDirectory() as directory:
        yield f"sqlite:///{Path(directory) / f'bench-{size}.db'}"


def postgres_workspace(base: str) -> Workspace:
    url = make_url(base)
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)

    @contextmanager
    def workspace(size: int) -> Iterator[str]:
        schema = f"pipedeal_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(conninfo, autocommit=True) as admin:
            admin.execute(f'CREATE SCHEMA "{schema}"')
            try:
                yield url.update_query_dict(
                    {"options": f"-csearch_path={schema}"}
                ).render_as_string(hide_password=False)
            finally:
                admin.execute(f'DROP SCHEMA "{schema}" CASCADE')

    return workspace


def postgres_reachable(base: str) -> bool:
    conninfo = make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        psycopg.connect(conninfo, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL skipped: {exc}".strip())
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--postgres", default=POSTGRES_URL)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    run("sqlite", sqlite_workspace, args.sizes)
    if not args.no_postgres and postgres_reachable(args.postgres):
        run("postgresql", postgres_workspace(args.postgres), args.sizes)


if __name__ == "__main__":
    main()
