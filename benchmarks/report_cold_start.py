"""Time ``pipedeal report --as-of 2000-03-01`` as a user pays for it: a fresh process.

    python benchmarks/report_cold_start.py [--runs N] [--no-compile] [--importtime]

Each figure is the wall time of one whole process (interpreter start, imports,
reading the bundled FOCUS files, the evaluation and the Rich tables), run in an
empty working directory with PIPEDEAL_DB unset, so no ledger database is read.

1. cold cache: the first run with an empty PIPEDEAL_CACHE_DIR (builds the XNAS
   sessions and the holiday cache from exchange_calendars / holidays);
2. warm cache, no pipedeal .pyc: N runs after one warm-up of a copy of
   src/pipedeal without __pycache__, put first on PYTHONPATH, with
   PYTHONDONTWRITEBYTECODE=1: every pipedeal module is compiled from source on
   every run (dependencies keep their installed .pyc). This is the worst case
   the environment's PYTHONDONTWRITEBYTECODE=1 allows, whatever the tree holds;
3. warm cache, bytecode as is: N runs with the environment and src/ as they
   are (a source newer than its .pyc is recompiled in memory on every run, and
   with PYTHONDONTWRITEBYTECODE=1 the .pyc is never refreshed);
4. warm cache, after ``python -m compileall src``: N runs with an up-to-date
   .pyc for every pipedeal module (skipped with --no-compile; it writes
   src/pipedeal/**/__pycache__, which git ignores).

Target: median <= 350 ms for a warm cache.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
TARGET_MS = 350.0
AS_OF = "2000-03-01"


def command() -> list[str]:
    """The venv's console script beside this interpreter, else ``python -m pipedeal.interfaces.cli``."""
    script = Path(sys.executable).with_name("pipedeal")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "pipedeal.interfaces.cli"]


def environment(cache_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "PIPEDEAL_DB"}
    env["PIPEDEAL_CACHE_DIR"] = str(cache_dir)
    return env


def run_once(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    """Wall seconds of one process; fails loudly if the report is not the expected one."""
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0 or "1.6375" not in done.stdout:
        raise SystemExit(f"pipedeal report failed ({done.returncode}):\n{done.stderr}")
    return elapsed


def bytecode_freshness() -> tuple[int, int]:
    """(pipedeal modules with an up-to-date .pyc, all pipedeal modules)."""
    fresh = total = 0
    for source in sorted((SRC / "pipedeal").rglob("*.py")):
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


def summary(label: str, seconds: list[float], target: float | None = TARGET_MS) -> str:
    ms = sorted(s * 1000 for s in seconds)
    median = statistics.median(ms)
    p90 = statistics.quantiles(ms, n=10, method="inclusive")[-1] if len(ms) > 1 else ms[0]
    note = f"n={len(ms)}"
    if target is not None:
        note += "; within target" if median <= target else f"; OVER the {target:.0f} ms target"
    return f"{label:<50} min {ms[0]:7.1f}   median {median:7.1f}   p90 {p90:7.1f} ms   ({note})"


def import_profile(env: dict[str, str], cwd: Path, top: int = 12) -> None:
    """The slowest imports of one warm run (``python -X importtime``), by cumulative time."""
    argv = [sys.executable, "-X", "importtime", "-m", "pipedeal.interfaces.cli", "report", "--as-of", AS_OF]
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=True)
    rows = []
    for line in done.stderr.splitlines():
        # "import time:  5498 |  54705 | typer._adapters" (microseconds; a header row first)
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        self_us, cumulative_us, name = line.removeprefix("import time:").split("|", 2)
        rows.append((int(cumulative_us), int(self_us), name.rstrip()))
    print(f"slowest imports (cumulative / self ms), top {top}:")
    for cumulative_us, self_us, name in sorted(rows, reverse=True)[:top]:
        print(f"  {cumulative_us / 1000:7.1f} {self_us / 1000:7.1f}  {name}")


def measure(argv: list[str], env: dict[str, str], cwd: Path, runs: int) -> list[float]:
    run_once(argv, env, cwd)  # warm-up: fills the cache and the OS file cache
    return [run_once(argv, env, cwd) for _ in range(runs)]


def without_pipedeal_bytecode(root: Path, env: dict[str, str]) -> dict[str, str]:
    """An environment whose ``import pipedeal`` finds a copy of the sources with no .pyc."""
    copy = root / "nopyc" / "pipedeal"
    shutil.copytree(SRC / "pipedeal", copy, ignore=shutil.ignore_patterns("__pycache__"))
    paths = [str(copy.parent), *filter(None, [env.get("PYTHONPATH")])]
    fresh_env = {**env, "PYTHONPATH": os.pathsep.join(paths), "PYTHONDONTWRITEBYTECODE": "1"}
    where = subprocess.run([sys.executable, "-c", "import pipedeal; print(pipedeal.__file__)"],
                           env=fresh_env, capture_output=True, text=True, check=True).stdout
    if not Path(where.strip()).is_relative_to(copy):
        raise SystemExit(f"the copy of pipedeal is not imported first: {where}")
    return fresh_env


def python_floor(env: dict[str, str], cwd: Path, runs: int) -> list[float]:
    """The interpreter alone (``python -c pass``): the part pipedeal cannot cut."""
    argv = [sys.executable, "-c", "pass"]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, env=env, cwd=cwd, check=True)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runs per variant (20)")
    parser.add_argument("--no-compile", action="store_true",
                        help="skip the variant after `python -m compileall src`")
    parser.add_argument("--importtime", action="store_true",
                        help="also print the slowest imports of one warm run")
    args = parser.parse_args()

    argv = [*command(), "report", "--as-of", AS_OF]
    print(f"command: {' '.join(argv)}")
    print(f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '(unset)')}")

    with tempfile.TemporaryDirectory(prefix="pipedeal-bench-") as root:
        cwd = Path(root) / "cwd"
        cache = Path(root) / "cache"
        cwd.mkdir()
        env = environment(cache)

        fresh, total = bytecode_freshness()
        cold = run_once(argv, env, cwd)  # the cache directory does not exist yet
        print(f"{'cold cache: first run, empty cache dir':<50} {cold * 1000:7.1f} ms")

        print(summary("python -c pass (interpreter floor)", python_floor(env, cwd, args.runs),
                      target=None))
        nopyc_env = without_pipedeal_bytecode(Path(root), env)
        print(summary("warm cache, no pipedeal .pyc (src copy)",
                      measure(argv, nopyc_env, cwd, args.runs)))
        print(summary(f"warm cache, bytecode as is ({fresh}/{total} .pyc fresh)",
                      measure(argv, env, cwd, args.runs)))

        if not args.no_compile:
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(SRC)], check=True)
            fresh, total = bytecode_freshness()
            print(summary(f"warm cache, after compileall ({fresh}/{total} .pyc fresh)",
                          measure(argv, env, cwd, args.runs)))
            cold_cache = Path(root) / "cache-2"
            cold = run_once(argv, environment(cold_cache), cwd)
            print(f"{'cold cache, after compileall':<50} {cold * 1000:7.1f} ms")
        if args.importtime:
            import_profile(env, cwd)


if __name__ == "__main__":
    main()
