"""Time ``pipedeal events add`` on a 100,000-event SQLite ledger against a 10-event one, new code and old.

    python benchmarks/append_cost.py [--large 100000] [--small 10] [--runs 10] [--old-src /work/old-code/src]
                                     [--no-old] [--keep DIR]

What a user waits for when recording one event: a whole ``events add ld_demand date=... investor=raptor``
process (start-up, reading the ledger, validating the new event against it, the insert under the
write lock). The cost that grows with the ledger is the difference between the same command on a
large and on a small ledger; start-up is the same for both, and is shown beside it.

**The ledgers** (built once, not timed as appends; their build time is printed): for each code, two
SQLite files made by its own CLI: ``init --empty``, then ``events import`` of the first ``--small``
(10) or ``--large`` (100,000) events of ``fold_scaling.mixed_log`` (the FOCUS docket, then sales,
notices, demands, payments, delays, blackouts, lapses and splits to 2004-12-31; each line given a
``source`` so no two are alike). The import runs the real validator, and in the new code stores the
fold checkpoint of the ledger's head that ``events add`` builds on.

**The timing**: ``--runs`` rounds, each running, one after the other: ``python -c pass``, ``pipedeal
--help`` (new, then old), then ``events add`` on the new small, new large, old small and old large
ledger. Round ``k`` appends an ``ld_demand`` dated 2005-01-01 + ``k`` days (after every recorded
event) to each ledger. Both codes run as ``python -m`` of their CLI module with the same interpreter;
the old source (b849262, flat layout) is copied to a temporary directory and compiled there (the
new one is compiled by ``scripts/setup``), so neither recompiles its modules on every start.

Printed: min / median / p90 of each command, the median of the per-round differences large - small
for each code, and the ratio old/new of those differences.

Target (issue): for the new code, large - small < 0.5 s (median of the per-round differences).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fold_scaling import OLD_SRC, SRC, mixed_log

TARGET_S = 0.5
FIRST_APPEND = dt.date(2005, 1, 1)


class Side:
    """One code: how to run its CLI, and its two ledgers."""

    def __init__(self, label: str, pythonpath: Path, module: str, root: Path) -> None:
        self.label = label
        self.env = {key: value for key, value in os.environ.items() if key != "PIPEDEAL_DB"}
        self.env["PYTHONPATH"] = str(pythonpath)
        self.env["PIPEDEAL_CACHE_DIR"] = str(root / "cache")  # shared by both codes, warmed by the build
        self.argv = [sys.executable, "-m", module]
        self.root = root
        where = subprocess.run([sys.executable, "-c", "import pipedeal; print(pipedeal.__file__)"], env=self.env,
                               capture_output=True, text=True, check=True).stdout.strip()
        if not Path(where).is_relative_to(pythonpath):
            raise SystemExit(f"{label}: imports {where}, not the code under {pythonpath}")
        self.where = where

    def url(self, size: int) -> str:
        return f"sqlite:///{self.root / f'{self.label}-{size}.db'}"

    def cli(self, *args: str) -> float:
        started = time.perf_counter()
        done = subprocess.run([*self.argv, *args], env=self.env, cwd=self.root, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"{self.label}: {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
        return elapsed

    def build(self, size: int, log: Path) -> tuple[float, float]:
        url = self.url(size)
        return self.cli("init", "--empty", "--db", url), self.cli("events", "import", str(log), "--db", url)

    def append(self, size: int, day: dt.date) -> float:
        return self.cli("events", "add", "ld_demand", f"date={day.isoformat()}", "investor=raptor",
                        "--db", self.url(size))


def write_log(path: Path, size: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for line, event in enumerate(mixed_log(size), start=1):
            out.write(json.dumps({**event, "source": f"append_cost line {line}"}) + "\n")


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def summary(label: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p90 = statistics.quantiles(ms, n=10, method="inclusive")[-1] if len(ms) > 1 else ms[0]
    return f"  {label:<44} min {ms[0]:8.1f}   median {statistics.median(ms):8.1f}   p90 {p90:8.1f} ms   (n={len(ms)})"


def compiled_copy(src: Path, root: Path) -> Path:
    """A compiled copy of ``src`` (the old tree stays untouched: it is read-only)."""
    copy = root / "old-src"
    shutil.copytree(src, copy, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(copy)], check=True,
                   env={**os.environ, "PYTHONDONTWRITEBYTECODE": ""})
    return copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=100_000, help="events in the large ledger (100,000)")
    parser.add_argument("--small", type=int, default=10, help="events in the small ledger (10)")
    parser.add_argument("--runs", type=int, default=10, help="timed rounds (10)")
    parser.add_argument("--old-src", type=Path, default=OLD_SRC, help="the old code's src/ (b849262)")
    parser.add_argument("--no-old", action="store_true", help="time the new code only")
    parser.add_argument("--keep", type=Path, help="build the ledgers in this directory and keep them")
    args = parser.parse_args()
    if args.small < 6 or args.large <= args.small or args.runs < 1:
        parser.error("need 6 <= --small < --large and --runs >= 1")

    root = Path(tempfile.mkdtemp(prefix="pipedeal-append-")) if args.keep is None else args.keep
    root.mkdir(parents=True, exist_ok=True)
    try:
        run(args, root)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


def run(args: argparse.Namespace, root: Path) -> None:
    print(f"append_cost: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, SQLite ledgers in {root}")
    sides = [Side("new", SRC, "pipedeal.interfaces.cli", root)]
    if not args.no_old:
        if not (args.old_src / "pipedeal" / "ledger.py").is_file():
            raise SystemExit(f"--old-src {args.old_src}: no old pipedeal there (use --no-old)")
        sides.append(Side("old", compiled_copy(args.old_src, root), "pipedeal.cli", root))
    for side in sides:
        print(f"  {side.label}: {' '.join(side.argv)}  ({side.where})")

    sizes = (args.small, args.large)
    for size in sizes:
        write_log(root / f"log-{size}.jsonl", size)
    for side in sides:
        for size in sizes:
            init, imported = side.build(size, root / f"log-{size}.jsonl")
            print(f"  {side.label} ledger of {size:>7,} events: init --empty {init:6.2f} s, "
                  f"events import {imported:7.2f} s", flush=True)

    floor_env = {**os.environ}
    times: dict[str, list[float]] = {}
    for round_ in range(args.runs + 1):  # round 0 is a warm-up
        day = FIRST_APPEND + dt.timedelta(days=round_)
        measured = {"python -c pass": timed([sys.executable, "-c", "pass"], floor_env, root)}
        for side in sides:
            measured[f"{side.label}: --help"] = side.cli("--help")
        for side in sides:
            for size in sizes:
                measured[f"{side.label}: events add, {size:,}-event ledger"] = side.append(size, day)
        if round_:
            for label, seconds in measured.items():
                times.setdefault(label, []).append(seconds)

    print(f"\n{args.runs} rounds (after one warm-up), each command once a round; load average "
          f"{os.getloadavg()[0]:.2f}")
    for label, seconds in times.items():
        print(summary(label, seconds))
    extra: dict[str, float] = {}
    for side in sides:
        small = times[f"{side.label}: events add, {args.small:,}-event ledger"]
        large = times[f"{side.label}: events add, {args.large:,}-event ledger"]
        help_ = times[f"{side.label}: --help"]
        extra[side.label] = statistics.median(b - a for a, b in zip(small, large, strict=True))
        over_help = statistics.median(small) - statistics.median(help_)
        print(f"  {side.label}: large - small = {extra[side.label] * 1000:8.1f} ms (median of the per-round "
              f"differences); small append - --help = {over_help * 1000:.1f} ms")
    if "old" in extra:
        print(f"  old/new of large - small: {extra['old'] / extra['new']:.1f}x" if extra["new"] > 0 else
              "  old/new of large - small: new difference <= 0")
    ok = extra["new"] < TARGET_S
    print(f"new: appending to {args.large:,} events costs {extra['new']:.3f} s more than to {args.small:,} "
          f"(target < {TARGET_S} s): within target: {'yes' if ok else 'no'}")


if __name__ == "__main__":
    main()
