"""Time the fold and the full evaluation of long FOCUS event logs, new code beside the old, pair by pair.

    python benchmarks/fold_scaling.py [--sizes 1000 10000 100000] [--exercises 1000 2000 5000 10000]
                                      [--repeats 5] [--timeout 60] [--old-src /work/old-code/src] [--no-old]

Two kinds of log, both the bundled FOCUS terms and quotes and the five real docket events (Closing
1999-11-24, filing, amendment, clearance, effectiveness 2000-02-16), then:

- **mixed** (``--sizes``, N events in all): a seeded mix dated 2000-02-17 to 2004-12-31, a few each
  day: sales of 1-5 shares (35%), notices by fax (20%), LD demands (15%), LD payments of $1.00 (12%),
  investor delays (5%), blackouts of 3 days noticed 3 days ahead (6%), lapses of effectiveness and
  their restorations (7%, alternating), and two 3:2 splits (at a third and two thirds of the log);
- **warrant** (``--exercises``, E exercises): E cash exercises of 1-8 warrant shares, dated
  1999-12-01 to 2004-11-30, each of the previous exercise's remainder (W-1, then W-4, W-5, ...), so
  each closes one certificate and issues one.

Each log is built and parsed (``parse_event``, ``Located``) outside the timing, in two worker
processes that hold it: one imports the new code (``pipedeal.engine``), one the old code (the flat
layout of b849262, first on ``PYTHONPATH``; its ``pipedeal.__file__`` is printed). The parent asks
them in turn, new then old, for one timed call at a time (``fold`` of the whole log, then
``evaluate`` as of 2004-12-31), so both see the same machine load; ``--repeats`` pairs per size
after one warm-up call of each. A call that takes longer than ``--timeout`` seconds kills that
worker and is reported as "> T s"; a larger log of the same kind is then not run on that side.

Printed: per size and side, min / median / p90 in ms, µs per event at the median, the ratio
old/new of the medians, and the growth ratio time(N) / time(smallest N) beside N / smallest N
(linear: the two are equal). Each evaluation's totals (events applied, LDs accrued, exercises) are
printed once per side, so a log that one side refuses or reads differently shows.

Targets (issue): the fold costs O(1) per event; 100,000 mixed events ``evaluate`` in under 2 s
(median); 10,000 warrant exercises grow linearly: time(10,000) / time(1,000) <= 12 for both
``fold`` and ``evaluate`` (10 is linear; 20% slack for noise and cache effects).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import select
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
OLD_SRC = Path("/work/old-code/src")
AS_OF = dt.date(2004, 12, 31)
TARGET_EVALUATE_100K_S = 2.0
TARGET_GROWTH = 12.0  # time(10x events) / time(x events); 10 is linear
SEED = 1999

FOCUS_DOCKET = [
    {"type": "closing", "date": "1999-11-24"},
    {"type": "rs_filed", "date": "2000-01-13", "statement": "primary", "form": "S-3", "file_number": "333-94621"},
    {"type": "rs_amended", "date": "2000-02-10", "statement": "primary", "form": "S-3/A",
     "file_number": "333-94621"},
    {"type": "sec_clearance", "date": "2000-02-14", "statement": "primary"},
    {"type": "rs_effective", "date": "2000-02-16", "statement": "primary"},
]

# --- The logs (plain dicts: the same for both codes) ---------------------------------------------
from timing import figures  # noqa: E402  (benchmarks/timing.py, beside this script)


def spread(count: int, first: dt.date, last: dt.date) -> list[dt.date]:
    """``count`` dates from ``first`` to ``last``, non-decreasing, evenly spread."""
    days = (last - first).days
    return [first + dt.timedelta(days=i * days // max(1, count - 1)) for i in range(count)]


def mixed_log(total: int, seed: int = SEED) -> list[dict]:
    rng = random.Random(f"fold-scaling:mixed:{seed}:{total}")
    count = max(0, total - len(FOCUS_DOCKET))
    events = [dict(event) for event in FOCUS_DOCKET]
    kinds = ("sale", "notice", "demand", "paid", "delay", "blackout", "lapse")
    weights = (35, 20, 15, 12, 5, 6, 7)
    splits = {count // 3, 2 * count // 3} if count >= 3 else set()
    lapsed = False
    for i, day in enumerate(spread(count, dt.date(2000, 2, 17), AS_OF)):
        date = day.isoformat()
        if i in splits:
            events.append({"type": "stock_split", "date": date, "ratio": "3:2"})
            continue
        kind = rng.choices(kinds, weights)[0]
        if kind == "sale":
            events.append({"type": "shares_sold", "date": date, "investor": rng.choice(("raptor", "roseworth")),
                           "shares": rng.randint(1, 5)})
        elif kind == "notice":
            events.append({"type": "notice", "sent_at": f"{date}T10:00:00-05:00", "method": "fax",
                           "from": "focus", "to": rng.choice(("raptor", "roseworth", "altar-rock")),
                           "subject": "quarterly report"})
        elif kind == "demand":
            events.append({"type": "ld_demand", "date": date,
                           "investor": rng.choice(("raptor", "roseworth", "altar-rock"))})
        elif kind == "paid":
            events.append({"type": "ld_paid", "date": date, "amount": "1.00",
                           "investor": rng.choice(("raptor", "roseworth", "altar-rock"))})
        elif kind == "delay":
            events.append({"type": "investor_delay", "date": date, "start": date,
                           "end": (day + dt.timedelta(days=rng.randint(0, 3))).isoformat(),
                           "investor": rng.choice(("raptor", "roseworth"))})
        elif kind == "blackout":
            start = day + dt.timedelta(days=3)
            events.append({"type": "blackout", "date": date, "start": start.isoformat(),
                           "end": (start + dt.timedelta(days=2)).isoformat()})
        else:
            events.append({"type": "effectiveness_restored" if lapsed else "effectiveness_lapsed", "date": date,
                           **({} if lapsed else {"reason": "other"})})
            lapsed = not lapsed
    return events


def warrant_log(exercises: int, seed: int = SEED) -> list[dict]:
    """Cash exercises of W-1 (raptor's 87,150 warrant shares) and then of each remainder in turn."""
    rng = random.Random(f"fold-scaling:warrant:{seed}:{exercises}")
    events = [dict(event) for event in FOCUS_DOCKET]
    warrant = "W-1"
    next_number = 4  # the Closing issues W-1 (raptor), W-2 (altar-rock), W-3 (roseworth)
    for day in spread(exercises, dt.date(1999, 12, 1), dt.date(2004, 11, 30)):
        events.append({"type": "warrant_exercise", "date": day.isoformat(), "warrant": warrant,
                       "shares": rng.randint(1, 8), "method": "cash"})
        warrant = f"W-{next_number}"
        next_number += 1
    events.sort(key=lambda event: event["date"])  # stable: the docket keeps its place among exercises
    return events


# --- The worker: one process per code, holding the parsed logs ---------------------------------------


class Code:
    """The pipedeal in this process, new layout or old, behind one interface."""

    def __init__(self) -> None:
        import pipedeal

        self.where = pipedeal.__file__
        try:
            from pipedeal.base.quotes import QuoteBook, parse_quotes
            from pipedeal.deal.terms_file import BUNDLED_DEALS, parse_terms
            from pipedeal.engine.evaluate import evaluate
            from pipedeal.engine.events import parse_event
            from pipedeal.engine.timeline import Located, fold, make_context
            from pipedeal.storage.workspace import calendars_for
            self.layout = "new"
        except ImportError:
            from pipedeal.evaluate import evaluate  # type: ignore[no-redef]
            from pipedeal.events import parse_event  # type: ignore[no-redef]
            from pipedeal.ledger import Located, fold, make_context  # type: ignore[no-redef]
            from pipedeal.quotes import QuoteBook, parse_quotes  # type: ignore[no-redef]
            from pipedeal.terms_file import BUNDLED_DEALS, parse_terms  # type: ignore[no-redef]
            from pipedeal.workspace import calendars_for  # type: ignore[no-redef]
            self.layout = "old"
        deal = BUNDLED_DEALS / "focus-1999"
        self.terms = parse_terms((deal / "terms.toml").read_text(encoding="utf-8"), "focus-1999/terms.toml")
        if self.layout == "new":  # the old code knows no Closing checklist: both sides fold the same bare docket
            self.terms = self.terms.model_copy(update={"closing": None})
        self.quotes = QuoteBook(parse_quotes((deal / "quotes.csv").read_text(encoding="utf-8"),
                                             "focus-1999/quotes.csv"))
        self.calendars = calendars_for(self.terms)
        # The fold counts in what the agreement calls a Business Day (new: calendars.business); the old
        # code counted in the Company's days (for FOCUS both are US-MA).
        days = self.calendars.business if self.layout == "new" else self.calendars.company
        self.ctx = make_context(self.terms, days, self.quotes, self.calendars.trading)
        self._parse, self._located, self._fold, self._evaluate = parse_event, Located, fold, evaluate
        self.logs: dict[tuple[str, int], list] = {}

    def log(self, kind: str, size: int) -> list:
        key = (kind, size)
        if key not in self.logs:
            self.logs.clear()  # one log held at a time: 100,000 parsed events are large enough
            events = mixed_log(size) if kind == "mixed" else warrant_log(size)
            self.logs[key] = [self._located(self._parse(event), f"{kind}-{size}.jsonl", line)
                              for line, event in enumerate(events, start=1)]
        return self.logs[key]

    def fold(self, located: list) -> dict:
        result = self._fold(located, self.ctx, until=AS_OF)
        problems = result.problems if self.layout == "new" else result[1]
        if problems:
            raise SystemExit(f"{self.layout} fold refused events: {list(problems)[:3]}")
        return {}

    def evaluate(self, located: list) -> dict:
        result = self._evaluate(self.terms, located, self.quotes, self.calendars, AS_OF)
        return {"events applied": result.events_applied, "exercises": len(result.exercises),
                "LDs accrued": str(sum(damages.accrued for damages in result.damages.values())),
                "default days": sum(period.days for damages in result.damages.values()
                                    for period in damages.periods)}


def worker() -> None:
    """Answer one JSON request a line: {"kind", "size", "what"} -> {"seconds", "totals"}."""
    code = Code()
    print(json.dumps({"layout": code.layout, "where": code.where}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        located = code.log(request["kind"], request["size"])
        action = code.fold if request["what"] == "fold" else code.evaluate
        started = time.perf_counter()
        totals = action(located)
        seconds = time.perf_counter() - started
        print(json.dumps({"seconds": seconds, "totals": totals}), flush=True)


class Worker:
    def __init__(self, label: str, pythonpath: Path) -> None:
        self.label, self.pythonpath = label, pythonpath
        self.proc: subprocess.Popen | None = None
        self.where = ""

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(self.pythonpath), *filter(None, [
            os.environ.get("PYTHONPATH")])])}
        self.proc = subprocess.Popen([sys.executable, __file__, "--worker"], env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        hello = json.loads(self._readline(120.0) or "{}")
        self.where = hello.get("where", "?")

    def _readline(self, timeout: float) -> str | None:
        assert self.proc is not None and self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return None
        return self.proc.stdout.readline()

    def call(self, kind: str, size: int, what: str, timeout: float) -> dict | None:
        """One timed call; None if it took longer than ``timeout`` (the worker is then killed)."""
        if self.proc is None:
            self.start()
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"kind": kind, "size": size, "what": what}) + "\n")
        self.proc.stdin.flush()
        # The first call of a size also parses the log, outside the timed figure: allow for it.
        line = self._readline(timeout + 120.0)
        if not line:
            self.stop()
            return None
        answer = json.loads(line)
        if answer["seconds"] > timeout:
            return None
        return answer

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


# --- The parent: pair by pair ---------------------------------------------------------------------


def measure(kind: str, sizes: list[int], sides: list[Worker], repeats: int, timeout: float) -> dict:
    """{(what, size, label): [seconds] or None (timed out)} and the totals printed as they come."""
    results: dict[tuple[str, int, str], list[float] | None] = {}
    gave_up: set[tuple[str, str]] = set()
    for size in sizes:
        for what in ("fold", "evaluate"):
            runs = {side.label: [] for side in sides}
            for round_ in range(repeats + 1):  # round 0 is the warm-up
                for side in sides:
                    if (what, side.label) in gave_up or runs[side.label] is None:
                        continue
                    answer = side.call(kind, size, what, timeout)
                    if answer is None:
                        runs[side.label] = None
                        gave_up.add((what, side.label))
                        print(f"  {kind} {size:>7,} {what:8} {side.label}: > {timeout:.0f} s, stopped", flush=True)
                        continue
                    if round_ == 0:
                        if what == "evaluate":
                            print(f"  {kind} {size:>7,} {side.label} totals: {answer['totals']}", flush=True)
                        continue
                    runs[side.label].append(answer["seconds"])  # type: ignore[union-attr]
            for side in sides:
                results[(what, size, side.label)] = runs[side.label] if (what, side.label) not in gave_up or \
                    runs[side.label] else None
    return results


def report(kind: str, unit: str, sizes: list[int], sides: list[Worker], results: dict, timeout: float) -> list[str]:
    verdicts = []
    print(f"\n{kind} log: min / median / p90 per call, µs per {unit} at the median; old/new = ratio of medians")
    for what in ("fold", "evaluate"):
        for size in sizes:
            medians = {}
            for side in sides:
                runs = results.get((what, size, side.label))
                label = f"{what:8} {size:>7,} {unit}s  {side.label:3}"
                if not runs:
                    print(f"  {label}  > {timeout:.0f} s (did not finish, or a smaller log did not)")
                    medians[side.label] = None
                    continue
                low, median, p90 = figures(runs)
                medians[side.label] = median
                print(f"  {label}  min {low:9.1f}   median {median:9.1f}   p90 {p90:9.1f} ms   "
                      f"{median * 1000 / size:7.1f} µs/{unit}   (n={len(runs)})")
            new, old = medians.get("new"), medians.get("old")
            if new and old:
                print(f"  {'':8} {'':>7}        old/new = {old / new:.1f}x")
            elif new and "old" in medians:
                print(f"  {'':8} {'':>7}        old/new > {timeout * 1000 / new:.0f}x (old did not finish)")
        smallest = sizes[0]
        for side in sides:
            base = results.get((what, smallest, side.label))
            if not base:
                continue
            growth = []
            for size in sizes[1:]:
                runs = results.get((what, size, side.label))
                ratio = f"{figures(runs)[1] / figures(base)[1]:.1f}" if runs else "n/a"
                growth.append(f"{size // smallest}x {unit}s -> {ratio}x time")
            if growth:
                print(f"  growth of {what} ({side.label}) from {smallest:,}: " + "; ".join(growth))
        if kind == "warrant":
            runs_1k = results.get((what, 1000, "new"))
            runs_10k = results.get((what, 10000, "new"))
            if runs_1k and runs_10k:
                growth = figures(runs_10k)[1] / figures(runs_1k)[1]
                ok = growth <= TARGET_GROWTH
                verdicts.append(f"warrant {what}: time(10,000) / time(1,000) = {growth:.1f} "
                                f"(target <= {TARGET_GROWTH:.0f}, linear = 10): within target: {'yes' if ok else 'no'}")
    if kind == "mixed":
        runs = results.get(("evaluate", 100_000, "new"))
        if runs:
            median = figures(runs)[1] / 1000
            ok = median <= TARGET_EVALUATE_100K_S
            verdicts.append(f"mixed evaluate of 100,000 events: median {median:.2f} s "
                            f"(target <= {TARGET_EVALUATE_100K_S:.0f} s): within target: {'yes' if ok else 'no'}")
    return verdicts


def profile(kind: str, size: int, top: int = 25) -> None:
    """cProfile of one ``evaluate`` (new code, this process), after one plain timed call."""
    import cProfile
    import pstats

    code = Code()
    located = code.log(kind, size)
    for what in ("fold", "evaluate"):
        started = time.perf_counter()
        getattr(code, what)(located)
        print(f"{kind} {size:,}: {what} {time.perf_counter() - started:.2f} s (no profiler)")
    profiler = cProfile.Profile()
    profiler.enable()
    code.evaluate(located)
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.stats = {key: value for key, value in stats.stats.items()  # type: ignore[attr-defined]
                   if not key[0].endswith("fold_scaling.py")}
    for order in ("tottime", "cumulative"):
        print(f"\ntop {top} by {order} (cProfile inflates many small calls: size gains with the plain times)")
        stats.sort_stats(order).print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000],
                        help="events in the mixed logs (default 1,000 10,000 100,000)")
    parser.add_argument("--exercises", type=int, nargs="+", default=[1_000, 2_000, 5_000, 10_000],
                        help="exercises in the warrant logs (default 1,000 2,000 5,000 10,000)")
    parser.add_argument("--repeats", type=int, default=5, help="timed pairs per size, after one warm-up (5)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a call is given up (60)")
    parser.add_argument("--old-src", type=Path, default=OLD_SRC, help="the old code's src/ (b849262)")
    parser.add_argument("--no-old", action="store_true", help="time the new code only")
    parser.add_argument("--profile", metavar="KIND:SIZE",
                        help="instead: cProfile one evaluate of the new code on that log (e.g. mixed:100000), "
                             "top 25 functions by own and by cumulative time")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker()
        return
    if args.profile:
        kind, _, size = args.profile.partition(":")
        if kind not in ("mixed", "warrant") or not size.isdigit():
            parser.error("--profile KIND:SIZE, KIND mixed or warrant")
        profile(kind, int(size))
        return
    if any(size < len(FOCUS_DOCKET) + 1 for size in args.sizes) or any(n < 1 for n in args.exercises):
        parser.error("each mixed log has at least 6 events and each warrant log at least 1 exercise")
    sizes, exercises = sorted(args.sizes), sorted(args.exercises)
    sides = [Worker("new", SRC)]
    if not args.no_old:
        if not (args.old_src / "pipedeal" / "ledger.py").is_file():
            parser.error(f"--old-src {args.old_src}: no old pipedeal there (use --no-old)")
        sides.append(Worker("old", args.old_src))
    print(f"fold_scaling: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, as of {AS_OF}, "
          f"{args.repeats} timed pairs per size, timeout {args.timeout:.0f} s")
    for side in sides:
        side.start()
        print(f"  {side.label}: {side.where}")
    if sides[0].where.startswith(str(args.old_src)) or (len(sides) > 1 and not sides[1].where.startswith(
            str(args.old_src))):
        raise SystemExit("the workers did not import the code they should (check PYTHONPATH)")
    try:
        mixed = measure("mixed", sizes, sides, args.repeats, args.timeout)
        warrant = measure("warrant", exercises, sides, args.repeats, args.timeout)
    finally:
        for side in sides:
            side.stop()
    verdicts = report("mixed", "event", sizes, sides, mixed, args.timeout)
    verdicts += report("warrant", "exercise", exercises, sides, warrant, args.timeout)
    print(f"\nload average after {os.getloadavg()[0]:.2f}")
    for verdict in verdicts:
        print(verdict)


if __name__ == "__main__":
    main()
