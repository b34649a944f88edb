"""Time the XNAS session cache (RULES.md §1 Trading Days): cold build vs warm load.

    python benchmarks/calendar_cache.py [--repeats N]

Each cold and warm figure comes from a fresh interpreter, because the point of
the cache is what one CLI run pays: a cold run imports pandas and
exchange_calendars and builds the sessions; a warm run reads the cache file.
The in-process figure is the file read and decode alone (memo cleared).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
if importlib.util.find_spec("pipedeal") is None:
    sys.path.insert(0, str(SRC))


def _child(cache_dir: str) -> None:
    """One CLI-like run: import the module, load XNAS, report the times in JSON."""
    started = time.perf_counter()
    from pipedeal.base import calendars

    imported = time.perf_counter()
    calendars.load_trading_calendar("XNAS", cache_dir=cache_dir)
    loaded = time.perf_counter()
    print(
        json.dumps(
            {
                "import_s": imported - started,
                "load_s": loaded - imported,
                "pandas_imported": "pandas" in sys.modules,
            }
        )
    )


def _run_child(cache_dir: str) -> dict[str, float]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, __file__, "--child", cache_dir],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def _summary(label: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"{label:<40} min {min(ms):8.2f} ms   median {statistics.median(ms):8.2f} ms   "
        f"max {max(ms):8.2f} ms   (n={len(ms)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", metavar="CACHE_DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return

    from pipedeal.base import calendars

    with tempfile.TemporaryDirectory(prefix="pipedeal-bench-") as root:
        cold = []
        for i in range(args.repeats):
            run = _run_child(os.path.join(root, f"cold-{i}"))
            assert run["pandas_imported"], "a cold run must build from exchange_calendars"
            cold.append(run["load_s"])

        warm_dir = os.path.join(root, "cold-0")
        warm = []
        warm_import = []
        for _ in range(args.repeats):
            run = _run_child(warm_dir)
            assert not run["pandas_imported"], "a warm run must not import pandas"
            warm.append(run["load_s"])
            warm_import.append(run["import_s"])

        in_process = []
        for _ in range(max(50, args.repeats)):
            calendars.clear_trading_calendar_memo()
            started = time.perf_counter()
            calendars.load_trading_calendar("XNAS", cache_dir=warm_dir)
            in_process.append(time.perf_counter() - started)

        path = calendars.session_cache_path("XNAS", cache_dir=warm_dir)
        print(f"cache file: {path.name} ({path.stat().st_size:,} bytes)")
        print(_summary("cold: import ecal + build + write", cold))
        print(_summary("warm: load in a fresh process", warm))
        print(_summary("  (import pipedeal.base.calendars)", warm_import))
        print(_summary("warm: read + decode in process", in_process))


if __name__ == "__main__":
    main()
