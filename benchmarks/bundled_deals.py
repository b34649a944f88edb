"""Time the pure evaluation of each bundled deal beside FOCUS's, pair by pair in one process.

    python benchmarks/bundled_deals.py [--rounds N] [--clock wall|cpu]

Each deal's terms, events, quotes and calendars are loaded once, outside the timing; a
round evaluates every deal once (``evaluate`` + ``report.to_json``, as the CLI does after
start-up), in turn, each as of the day after its last event. The ratio of a deal to FOCUS
is the median of the per-round ratios, so a noisy moment of the shared machine weighs on
both sides of a pair alike. ``--clock cpu`` times the process's CPU time instead of the
wall clock: on a loaded 2-core machine a longer evaluation is more often descheduled midway,
which the wall clock charges to it (and so to its ratio); the CPU time does not. The load
average is printed before and after.

Target (issue 8): each bundled deal within 2x of FOCUS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
if importlib.util.find_spec("pipedeal") is None:
    sys.path.insert(0, str(SRC))

from pipedeal.base.quotes import QuoteBook, parse_quotes  # noqa: E402
from pipedeal.deal.terms_file import BUNDLED_DEALS, bundled_deal_names, parse_terms  # noqa: E402
from pipedeal.engine.evaluate import evaluate  # noqa: E402
from pipedeal.outputs.report import to_json  # noqa: E402
from pipedeal.storage.workspace import calendars_for, read_event_file  # noqa: E402

TARGET_RATIO = 2.0
REFERENCE = "focus-1999"


def load(name: str):
    deal = BUNDLED_DEALS / name
    terms = parse_terms((deal / "terms.toml").read_text(encoding="utf-8"), f"{name}/terms.toml")
    events = read_event_file(deal / "events.jsonl")
    quotes = QuoteBook(parse_quotes((deal / "quotes.csv").read_text(encoding="utf-8"), f"{name}/quotes.csv"))
    last = max(located.event.date for located in events if located.event.date is not None)
    return terms, events, quotes, calendars_for(terms), last + dt.timedelta(days=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall: time.perf_counter (default); cpu: time.process_time")
    args = parser.parse_args()
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    load_before = os.getloadavg()[0]
    deals = {name: load(name) for name in bundled_deal_names()}
    for inputs in deals.values():  # warm: the calendars' first lookups, the caches
        to_json(evaluate(*inputs))
    times: dict[str, list[float]] = {name: [] for name in deals}
    for _ in range(args.rounds):
        for name, inputs in deals.items():
            begun = clock()
            to_json(evaluate(*inputs))
            times[name].append(clock() - begun)
    print(f"{args.rounds} rounds; each deal as of the day after its last event; evaluate + to_json; "
          f"{args.clock} clock; load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    reference = times[REFERENCE]
    for name, measured in times.items():
        inputs = deals[name]
        median = statistics.median(measured) * 1000
        ratio = statistics.median(t / r for t, r in zip(measured, reference, strict=True))
        verdict = "" if name == REFERENCE else (
            "  within target" if ratio <= TARGET_RATIO else f"  OVER the {TARGET_RATIO:.0f}x target")
        print(f"{name:15} {len(inputs[1]):3} events as of {inputs[4]}: median {median:7.2f} ms   "
              f"x FOCUS {ratio:5.2f}{verdict}")


if __name__ == "__main__":
    main()
