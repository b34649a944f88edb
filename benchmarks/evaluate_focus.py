"""Time the pure evaluation of the FOCUS deal in process: ``evaluate`` + ``report.to_json``.

    python benchmarks/evaluate_focus.py [--repeats N] [--as-of YYYY-MM-DD]

The terms, events, quotes and calendars are loaded once, outside the timing
(as tests/scenario.py does); each repeat is one ``evaluate(...)`` as of
2000-03-01 followed by ``to_json(...)`` of its result: the work the CLI does
after start-up, without the imports, file reads and printing.

Target: median <= 20 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import statistics
import sys
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
if importlib.util.find_spec("pipedeal") is None:
    sys.path.insert(0, str(SRC))

from pipedeal.base.quotes import QuoteBook, parse_quotes  # noqa: E402
from pipedeal.deal.terms_file import BUNDLED_DEALS, parse_terms  # noqa: E402
from pipedeal.engine.evaluate import evaluate  # noqa: E402
from pipedeal.outputs.report import to_json  # noqa: E402
from pipedeal.storage.workspace import calendars_for, read_event_file  # noqa: E402

TARGET_MS = 20.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--as-of", default="2000-03-01")
    args = parser.parse_args()
    as_of = dt.date.fromisoformat(args.as_of)

    started = time.perf_counter()
    deal = BUNDLED_DEALS / "focus-1999"
    terms = parse_terms((deal / "terms.toml").read_text(encoding="utf-8"), "focus-1999/terms.toml")
    events = read_event_file(deal / "events.jsonl")
    quotes = QuoteBook(parse_quotes((deal / "quotes.csv").read_text(encoding="utf-8"),
                                    "focus-1999/quotes.csv"))
    calendars = calendars_for(terms)
    loaded = time.perf_counter()

    first = to_json(evaluate(terms, events, quotes, calendars, as_of))
    first_done = time.perf_counter()
    assert first["pricing"]["market_price"] == "1.6375", first["pricing"]

    times = []
    for _ in range(args.repeats):
        begun = time.perf_counter()
        data = to_json(evaluate(terms, events, quotes, calendars, as_of))
        times.append(time.perf_counter() - begun)
    assert data == first, "the evaluation must not depend on how often it runs"

    ms = sorted(t * 1000 for t in times)
    median = statistics.median(ms)
    p90 = statistics.quantiles(ms, n=10, method="inclusive")[-1] if len(ms) > 1 else ms[0]
    verdict = "within target" if median <= TARGET_MS else f"OVER the {TARGET_MS:.0f} ms target"
    print(f"FOCUS 1999 as of {as_of}: {len(events)} events, {len(quotes)} quote days")
    print(f"load terms/events/quotes/calendars (once)   {(loaded - started) * 1000:8.2f} ms")
    print(f"first evaluate + to_json                     {(first_done - loaded) * 1000:8.2f} ms")
    print(f"evaluate + to_json: min {ms[0]:.2f}   median {median:.2f}   p90 {p90:.2f} ms"
          f"   (n={len(ms)}; {verdict})")


if __name__ == "__main__":
    main()
