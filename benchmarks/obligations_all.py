"""Time the every-deal commands over a 1,000-deal PostgreSQL ledger: `calendar --all` (and `obligations --all`).

    python benchmarks/obligations_all.py [--deals 1000] [--rounds 5] [--postgres URL] [--as-of 2001-01-01]
                                         [--quotes-until 2000-12-31] [--build-workers 2] [--keep | --ledger URL]
                                         [--baseline SRC]

The ledger: a schema of its own in the PostgreSQL database (``--postgres``, default the test server's
``test`` database), dropped afterwards (``--keep`` prints its URL and keeps it). Deal ``i``
(``focus-1999-b0000`` ...) is the bundled FOCUS terms under its own name, the bundled quotes up to
``--quotes-until`` (295 days by default: the pricing window and every default day up to the as-of
date), and a FOCUS-like docket that depends only on ``i``: the Closing of 1999-11-24; the
Registration Statement filed between 20 days early and 39 days late, SEC clearance 20-49 days after,
effective 2 days after that; a third of the deals with Raptor's LD demand 10 days after effectiveness,
a fifth with a Roseworth sale of 1,000 shares 30 days after. The deals are written through the ledger
API (``init_workspace``, ``append_events`` with a validator that accepts everything, as
``ledger_import.py``; ``import_quotes``), so the hash chains and quote logs are the real ones and every
deal verifies. ``--ledger URL`` times a ledger built before (``--keep`` printed its URL) instead.

Timed, as a user pays for it (a fresh process each: interpreter, imports, the whole command), one
run of each side per round after a warm-up round, in this order:

- ``python -c pass``: the interpreter alone;
- ``pipedeal calendar --all --db URL --as-of D --out x.ics``: read, verify and evaluate every deal
  (``workspace.evaluate_ledger``) and write the calendar;
- with ``--baseline SRC``, the same ``calendar --all`` with ``PYTHONPATH`` set to another tree's ``src``
  (the tree before a change), checked to write the same bytes;
- ``pipedeal obligations --all --json --db URL --as-of D``, once the command exists
  (``OBLIGATIONS_ALL``: the hook; it is timed when ``pipedeal obligations --help`` offers ``--all``);
  with ``--baseline SRC``, the baseline's too, checked to print the same JSON.

Printed: min / median / p90 of each side, each command's median over the interpreter's, and one
in-process breakdown of ``evaluate_ledger`` (the SELECTs and checks of ``load_deals``, then terms,
evaluation) with the calendar bytes. The issue's target: ``obligations --all`` over 1,000 deals in
under 3 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import importlib.util
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
if importlib.util.find_spec("pipedeal") is None:
    sys.path.insert(0, str(SRC))

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import figures, schema_url  # noqa: E402

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TARGET_SECONDS = 3.0
# The hook: the argv (after ``python -m pipedeal``) of ``obligations --all``, timed once it exists.
OBLIGATIONS_ALL = ["obligations", "--all", "--json"]


def deal_name(i: int) -> str:
    return f"focus-1999-b{i:04d}"


@functools.cache
def focus_checklist() -> tuple[dict, ...]:
    """The bundled FOCUS log's Closing checklist (SPA 2.1(b)): every deal here is FOCUS under its own name."""
    from pipedeal.deal.terms_file import BUNDLED_DEALS, DEFAULT_DEAL

    lines = (BUNDLED_DEALS / DEFAULT_DEAL / "events.jsonl").read_text(encoding="utf-8").splitlines()
    from pipedeal.engine.events import CHECKLIST_TYPES

    return tuple(event for event in map(json.loads, lines) if event["type"] in CHECKLIST_TYPES)


def docket(i: int) -> list[dict]:
    """Deal ``i``'s events: FOCUS's shape (its Closing checklist too), with dates that depend only on ``i``."""
    day = dt.date.fromisoformat
    filed = day("1999-12-27") + dt.timedelta(days=(i * 7) % 60 - 20)
    clearance = filed + dt.timedelta(days=20 + (i * 11) % 30)
    effective = clearance + dt.timedelta(days=2)
    events = [{"type": "closing", "date": "1999-11-24"},
              {"type": "rs_filed", "date": filed.isoformat(), "statement": "primary", "form": "S-3"},
              {"type": "sec_clearance", "date": clearance.isoformat(), "statement": "primary"},
              {"type": "rs_effective", "date": effective.isoformat(), "statement": "primary"}]
    if i % 3 == 0:
        events.append({"type": "ld_demand", "date": (effective + dt.timedelta(days=10)).isoformat(),
                       "investor": "raptor"})
    if i % 5 == 0:
        events.append({"type": "shares_sold", "date": (effective + dt.timedelta(days=30)).isoformat(),
                       "investor": "roseworth", "shares": 1000})
    return sorted([*events, *focus_checklist()], key=lambda event: event["date"])


def build_deals(url: str, numbers: list[int], quotes_until: str) -> None:
    """Write deals ``numbers`` into the ledger at ``url`` (the schema exists)."""
    from pipedeal.base.quotes import parse_quotes
    from pipedeal.deal.terms_file import BUNDLED_DEALS, DEFAULT_DEAL
    from pipedeal.engine.events import parse_event
    from pipedeal.storage import Verdict, append_events, import_quotes, init_workspace

    folder = BUNDLED_DEALS / DEFAULT_DEAL
    text = (folder / "terms.toml").read_text(encoding="utf-8")
    assert f'name = "{DEFAULT_DEAL}"' in text
    until = dt.date.fromisoformat(quotes_until)
    quotes = [q for q in parse_quotes((folder / "quotes.csv").read_text(encoding="utf-8"), "quotes.csv")
              if q.date <= until]
    for i in numbers:
        name = deal_name(i)
        init_workspace(url, name, text.replace(f'name = "{DEFAULT_DEAL}"', f'name = "{name}"', 1))
        located = [("bench.jsonl", line, parse_event(event)) for line, event in enumerate(docket(i), start=1)]
        append_events(url, name, located, lambda history, new: Verdict([]))
        import_quotes(url, name, quotes)


def build_ledger(url: str, deals: int, quotes_until: str, workers: int) -> float:
    """The ledger of ``deals`` deals, written by ``workers`` processes; returns the seconds it took."""
    from pipedeal.storage.database import transaction, upgrade

    started = time.perf_counter()
    with transaction(url, write=True, create=True) as connection:
        upgrade(connection)
    chunks = [list(range(w, deals, workers)) for w in range(workers)]
    with mp.get_context("fork").Pool(workers) as pool:
        pool.starmap(build_deals, [(url, chunk, quotes_until) for chunk in chunks])
    return time.perf_counter() - started


def run_once(argv: list[str], env: dict[str, str], cwd: Path, expect: str | None) -> tuple[float, str]:
    """The wall seconds of one run of ``argv``, and what it printed on stdout."""
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0 or (expect is not None and expect not in done.stdout):
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr}")
    return elapsed, done.stdout


def has_obligations_all(env: dict[str, str], cwd: Path) -> bool:
    done = subprocess.run([sys.executable, "-m", "pipedeal", "obligations", "--help"], env=env, cwd=cwd,
                          capture_output=True, text=True)
    return done.returncode == 0 and "--all" in done.stdout


def breakdown(url: str, as_of: dt.date) -> None:
    """One in-process run of what the command does, by part (after the timed rounds: caches warm)."""
    from pipedeal.outputs.calendar import calendar_ics
    from pipedeal.storage import ledger as store
    from pipedeal.storage.workspace import evaluate_ledger

    started = time.perf_counter()
    loaded = store.load_deals(url)
    read = time.perf_counter() - started
    events = sum(len(deal.events) for _, deal in loaded)
    quotes = sum(len(deal.quotes) for _, deal in loaded)
    started = time.perf_counter()
    evaluations = [evaluation for _, evaluation in evaluate_ledger(url, as_of)]
    whole = time.perf_counter() - started
    started = time.perf_counter()
    data = calendar_ics(evaluations)
    ics = time.perf_counter() - started
    obligations = sum(len(evaluation.obligations) for evaluation in evaluations)
    print(f"\nin process: load_deals {read * 1000:,.0f} ms ({len(loaded)} deals, {events:,} events, "
          f"{quotes:,} quotes: the SELECTs, the chain and quote-log checks, parsing); evaluate_ledger "
          f"{whole * 1000:,.0f} ms in all (so terms + evaluation {(whole - read) * 1000:,.0f} ms); "
          f"calendar_ics {ics * 1000:,.0f} ms ({obligations:,} obligations, {len(data):,} bytes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds after one warm-up (5)")
    parser.add_argument("--postgres", default=POSTGRES_URL)
    parser.add_argument("--as-of", default="2001-01-01")
    parser.add_argument("--quotes-until", default="2000-12-31")
    parser.add_argument("--build-workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the schema (its URL is printed)")
    parser.add_argument("--ledger", help="time this ledger (built by an earlier --keep run) instead")
    parser.add_argument("--baseline", metavar="SRC",
                        help="also time `calendar --all` of another tree's src (e.g. `git archive <commit> src`), "
                             "in the same rounds: a before/after measured pair by pair")
    args = parser.parse_args()

    import psycopg

    if args.ledger:
        url, schema, conninfo, args.keep = args.ledger, None, None, True
    else:
        url, schema, conninfo = schema_url(args.postgres)
        with psycopg.connect(conninfo, autocommit=True) as admin:
            admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        if args.ledger:
            print(f"obligations_all: {os.cpu_count()} CPUs; the ledger {args.ledger}; load average "
                  f"{os.getloadavg()[0]:.2f}")
        else:
            built = build_ledger(url, args.deals, args.quotes_until, args.build_workers)
            print(f"obligations_all: {os.cpu_count()} CPUs; built {args.deals:,} deals in schema {schema} in "
                  f"{built:.1f} s ({args.build_workers} processes); load average {os.getloadavg()[0]:.2f}")
        with tempfile.TemporaryDirectory(prefix="pipedeal-bench-") as name:
            cwd = Path(name)
            env = {key: value for key, value in os.environ.items() if key != "PIPEDEAL_DB"}
            env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
            python = [sys.executable, "-m", "pipedeal"]
            sides: list[tuple[str, list[str], str | None]] = [
                ("python -c pass", [sys.executable, "-c", "pass"], None),
                ("calendar --all", [*python, "calendar", "--all", "--db", url, "--as-of", args.as_of,
                                    "--out", str(cwd / "x.ics")], f"of {args.deals} deal(s)")]
            envs: dict[str, dict[str, str]] = {}
            if args.baseline:
                envs["baseline calendar --all"] = {**env, "PYTHONPATH": str(Path(args.baseline).resolve())}
                sides.append(("baseline calendar --all", [*python, "calendar", "--all", "--db", url, "--as-of",
                                                          args.as_of, "--out", str(cwd / "b.ics")],
                              f"of {args.deals} deal(s)"))
            if has_obligations_all(env, cwd):
                sides.append(("obligations --all --json", [*python, *OBLIGATIONS_ALL, "--db", url,
                                                           "--as-of", args.as_of], None))
                if args.baseline and has_obligations_all(envs["baseline calendar --all"], cwd):
                    envs["baseline obligations --all --json"] = envs["baseline calendar --all"]
                    sides.append(("baseline obligations --all --json", [*python, *OBLIGATIONS_ALL, "--db", url,
                                                                        "--as-of", args.as_of], None))
            else:
                print("  (pipedeal obligations --all does not exist yet: not timed; see OBLIGATIONS_ALL)")
            times: dict[str, list[float]] = {label: [] for label, _, _ in sides}
            printed: dict[str, str] = {}
            for round_ in range(args.rounds + 1):  # round 0 warms the caches
                for label, argv, expect in sides:
                    seconds, printed[label] = run_once(argv, envs.get(label, env), cwd, expect)
                    if round_:
                        times[label].append(seconds)
            print(f"{args.rounds} rounds after a warm-up, one run of each side per round; load average "
                  f"{os.getloadavg()[0]:.2f} after")
            floor = figures(times["python -c pass"])[1]
            for label, _, _ in sides:
                low, median, p90 = figures(times[label])
                print(f"  {label:<34} min {low:9.1f}   median {median:9.1f}   p90 {p90:9.1f} ms   "
                      f"{median / floor:7.1f}x python -c pass")
            if args.baseline:
                ratio = figures(times["baseline calendar --all"])[1] / figures(times["calendar --all"])[1]
                same = (cwd / "b.ics").read_bytes() == (cwd / "x.ics").read_bytes()
                print(f"  baseline / this tree (calendar --all, medians): {ratio:.2f}x; the same calendar bytes: "
                      f"{'yes' if same else 'NO'}")
                if "baseline obligations --all --json" in times:
                    ratio = (figures(times["baseline obligations --all --json"])[1]
                             / figures(times["obligations --all --json"])[1])
                    same = printed["baseline obligations --all --json"] == printed["obligations --all --json"]
                    print(f"  baseline / this tree (obligations --all --json, medians): {ratio:.2f}x; the same "
                          f"JSON: {'yes' if same else 'NO'}")
            for label in ("obligations --all --json", "calendar --all"):
                if label in times:
                    median = figures(times[label])[1] / 1000
                    print(f"{label}: median {median:.2f} s for {args.deals:,} deals (target < {TARGET_SECONDS:.0f} s"
                          f"{'' if label.startswith('obligations') else ', set for obligations --all'}): "
                          f"within: {'yes' if median < TARGET_SECONDS else 'no'}")
        breakdown(url, dt.date.fromisoformat(args.as_of))
    finally:
        if args.keep:
            print(f"kept: {url}")
        else:
            with psycopg.connect(conninfo, autocommit=True) as admin:
                admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
