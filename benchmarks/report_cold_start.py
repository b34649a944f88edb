"""Time ``pipedeal report --as-of 2000-03-01`` as a user pays for it: a fresh process, new code beside the old.

    python benchmarks/report_cold_start.py [--runs 20] [--old-src /work/old-code/src] [--no-old]
                                           [--baseline SRC] [--importtime]

Each figure is the wall time of one whole process (interpreter start, imports, reading the bundled
FOCUS files, the evaluation and the Rich tables), run as ``python -m <CLI module> report --as-of
2000-03-01`` with the venv's interpreter, in an empty working directory with PIPEDEAL_DB unset, so
no ledger database is read. Every side has ``PYTHONPATH`` set to its own tree (checked: each prints
which ``pipedeal`` it imports) and its own warm PIPEDEAL_CACHE_DIR.

The sides, one run of each per round, in this order, ``--runs`` rounds after one warm-up round:

- **python -c pass**: the interpreter alone, the floor pipedeal cannot cut;
- **the libraries alone**: ``python -c "import pydantic, typer, rich.console"``, the floor of any
  command line built on the libraries the project prefers (no pipedeal code at all);
- **new, no .pyc**: a copy of src/pipedeal without __pycache__, with PYTHONDONTWRITEBYTECODE=1:
  every pipedeal module is compiled from source on every run (dependencies keep their .pyc);
- **new, bytecode as is**: this tree's src/ as it is (this environment sets
  PYTHONDONTWRITEBYTECODE=1, so a module whose source changed since its .pyc is recompiled in
  memory on every run; the label says how many modules have an up-to-date .pyc);
- **new, compiled**: a copy of src/ compiled with compileall, as a wheel install is;
- **old, compiled** (``--no-old`` skips it): a compiled copy of the old code (b849262, flat layout,
  ``python -m pipedeal.cli``);
- **baseline, compiled** (``--baseline SRC``): a compiled copy of another new-layout src/ (e.g.
  ``git archive <commit> src`` of the tree before a change), for a before/after pair by pair.

Before the rounds: the **cold cache** run, the first of the compiled new copy with an empty cache
directory (it builds the XNAS sessions and holidays from exchange_calendars / holidays, pandas).

Printed: min / median / p90 of each side, and the ratios of the medians to the new compiled side.
``--importtime`` also prints the slowest imports of one warm run of the new compiled copy
(``python -X importtime``), the place to look when the median grows.

Targets: median <= 350 ms for a warm cache (new, compiled); issue 11: at most 12x python -c pass
(both printed, with the libraries' floor in the same units).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
OLD_SRC = Path("/work/old-code/src")
TARGET_MS = 350.0
AS_OF = "2000-03-01"
REFERENCE = "new, compiled"
LIBRARIES = "the libraries alone (pydantic, typer, rich)"
TARGET_RATIO = 12.0  # issue 11: cold report at most 12x python -c pass


@dataclass
class Side:
    label: str
    argv: list[str]
    env: dict[str, str]
    expect: str | None = "1.6375"  # the FOCUS Market Price: the report is the expected one
    times: list[float] = field(default_factory=list)


def base_env(cache_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "PIPEDEAL_DB"}
    env["PIPEDEAL_CACHE_DIR"] = str(cache_dir)
    return env


def run_once(side: Side, cwd: Path) -> float:
    """Wall seconds of one process; fails loudly if the report is not the expected one."""
    started = time.perf_counter()
    done = subprocess.run(side.argv, env=side.env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0 or (side.expect is not None and side.expect not in done.stdout):
        raise SystemExit(f"{side.label}: {' '.join(side.argv)} failed ({done.returncode}):\n{done.stderr}")
    return elapsed


def bytecode_freshness(src: Path) -> tuple[int, int]:
    """(pipedeal modules with an up-to-date .pyc, all pipedeal modules)."""
    fresh = total = 0
    for source in sorted((src / "pipedeal").rglob("*.py")):
        total += 1
        cached = Path(importlib.util.cache_from_source(str(source)))
        try:
            header = cached.read_bytes()[:16]
        except OSError:
            continue
        stat = source.stat()
        if (
            header[:4] == importlib.util.MAGIC_NUMBER
            and int.from_bytes(header[4:8], "little") == 0
            and int.from_bytes(header[8:12], "little") == int(stat.st_mtime) & 0xFFFFFFFF
            and int.from_bytes(header[12:16], "little") == stat.st_size & 0xFFFFFFFF
        ):
            fresh += 1
    return fresh, total


def copy_tree(src: Path, to: Path, compile_it: bool) -> Path:
    """A copy of ``src`` without __pycache__, compiled when asked (the source trees stay untouched)."""
    shutil.copytree(src, to, ignore=shutil.ignore_patterns("__pycache__"))
    if compile_it:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(to)], check=True,
                       env={**os.environ, "PYTHONDONTWRITEBYTECODE": ""})
    return to


def side_for(label: str, src: Path, cache_dir: Path, extra_env: dict[str, str] | None = None) -> Side:
    """``python -m <CLI module> report`` with ``src`` first on PYTHONPATH (new or old layout)."""
    module = "pipedeal.interfaces.cli" if (src / "pipedeal" / "interfaces" / "cli.py").is_file() else "pipedeal.cli"
    env = {**base_env(cache_dir), "PYTHONPATH": str(src), **(extra_env or {})}
    where = subprocess.run([sys.executable, "-c", "import pipedeal; print(pipedeal.__file__)"], env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    if not Path(where).is_relative_to(src):
        raise SystemExit(f"{label}: imports {where}, not the code under {src}")
    return Side(label, [sys.executable, "-m", module, "report", "--as-of", AS_OF], env)


def summary(side: Side, reference: float | None) -> str:
    ms = sorted(s * 1000 for s in side.times)
    median = statistics.median(ms)
    p90 = statistics.quantiles(ms, n=10, method="inclusive")[-1] if len(ms) > 1 else ms[0]
    ratio = f"   {median / reference:5.2f}x {REFERENCE}" if reference else ""
    return f"  {side.label:<40} min {ms[0]:7.1f}   median {median:7.1f}   p90 {p90:7.1f} ms{ratio}   (n={len(ms)})"


def import_profile(side: Side, cwd: Path, top: int = 15) -> None:
    """The slowest imports of one warm run (``python -X importtime``), by cumulative time."""
    argv = [side.argv[0], "-X", "importtime", *side.argv[1:]]
    done = subprocess.run(argv, env=side.env, cwd=cwd, capture_output=True, text=True, check=True)
    rows = []
    for line in done.stderr.splitlines():
        # "import time:  5498 |  54705 | typer._adapters" (microseconds; a header row first)
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        self_us, cumulative_us, name = line.removeprefix("import time:").split("|", 2)
        rows.append((int(cumulative_us), int(self_us), name.rstrip()))
    print(f"\nslowest imports of {side.label} (cumulative / self ms), top {top}:")
    for cumulative_us, self_us, name in sorted(rows, reverse=True)[:top]:
        print(f"  {cumulative_us / 1000:7.1f} {self_us / 1000:7.1f}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed rounds, after one warm-up (20)")
    parser.add_argument("--old-src", type=Path, default=OLD_SRC, help="the old code's src/ (b849262)")
    parser.add_argument("--no-old", action="store_true", help="time the new code only")
    parser.add_argument("--baseline", type=Path, help="another new-layout src/ to time beside this one")
    parser.add_argument("--importtime", action="store_true",
                        help="also print the slowest imports of one warm run")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if not args.no_old and not (args.old_src / "pipedeal" / "cli.py").is_file():
        parser.error(f"--old-src {args.old_src}: no old pipedeal there (use --no-old)")

    with tempfile.TemporaryDirectory(prefix="pipedeal-bench-") as name:
        root = Path(name)
        cwd = root / "cwd"
        cwd.mkdir()
        new_cache = root / "cache-new"
        fresh, total = bytecode_freshness(SRC)
        compiled = side_for(REFERENCE, copy_tree(SRC, root / "compiled", True), new_cache)
        sides = [
            Side("python -c pass (interpreter floor)", [sys.executable, "-c", "pass"], base_env(new_cache), None),
            Side(LIBRARIES, [sys.executable, "-c", "import pydantic, typer, rich.console"], base_env(new_cache), None),
            side_for("new, no .pyc", copy_tree(SRC, root / "nopyc", False), new_cache,
                     {"PYTHONDONTWRITEBYTECODE": "1"}),
            side_for(f"new, bytecode as is ({fresh}/{total} .pyc fresh)", SRC, new_cache),
            compiled,
        ]
        if not args.no_old:
            sides.append(side_for("old, compiled (b849262)", copy_tree(args.old_src, root / "old", True),
                                  root / "cache-old"))
        if args.baseline is not None:
            sides.append(side_for(f"baseline, compiled ({args.baseline})",
                                  copy_tree(args.baseline, root / "baseline", True), root / "cache-baseline"))

        print(f"report_cold_start: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; "
              f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '(unset)')}")
        for side in sides:
            print(f"  {side.label}: {' '.join(side.argv[1:])}  (PYTHONPATH={side.env.get('PYTHONPATH', '')})")
        cold = run_once(compiled, cwd)  # its cache directory does not exist yet
        print(f"  cold cache: first run of {REFERENCE}, empty cache dir: {cold * 1000:.1f} ms")

        for round_ in range(args.runs + 1):  # round 0 is the warm-up (and fills the other caches)
            for side in sides:
                seconds = run_once(side, cwd)
                if round_:
                    side.times.append(seconds)

        print(f"\nwarm cache: {args.runs} rounds (after one warm-up), one run of each side per round; "
              f"load average {os.getloadavg()[0]:.2f}")
        reference = statistics.median(compiled.times) * 1000
        for side in sides:
            print(summary(side, reference))
        print(f"new, compiled: median {reference:.1f} ms (target <= {TARGET_MS:.0f} ms): within target: "
              f"{'yes' if reference <= TARGET_MS else 'no'}")
        floor = statistics.median(sides[0].times) * 1000
        libraries = statistics.median(sides[1].times) * 1000
        print(f"new, compiled: {reference / floor:.1f}x python -c pass (issue 11: at most {TARGET_RATIO:.0f}x: "
              f"{'yes' if reference / floor <= TARGET_RATIO else 'no'}); the libraries alone are "
              f"{libraries / floor:.1f}x python -c pass, {libraries / reference:.0%} of the report")
        if args.importtime:
            import_profile(compiled, cwd)


if __name__ == "__main__":
    main()
