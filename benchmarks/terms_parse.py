"""Time parsing and validating the FOCUS terms file in process, beside ``tomllib`` alone and the old code.

    python benchmarks/terms_parse.py [--runs 200] [--fresh 10] [--old-src /work/old-code/src] [--no-old]

``parse_terms(text, filename)`` (``pipedeal.deal.terms_file``) is what every command pays to read a
deal: the TOML (``tomllib.loads``), the Pydantic models of the terms language, then the checks the
models cannot make (``language_problems``: keys a feature requires, exclusive pairs, the schedule's
shape, the ``[[ambiguities]]``). The lower bound is ``tomllib.loads`` of the same text alone.

Two worker processes, each holding its code's bundled FOCUS terms text: the new code (this tree's
``src``), and the old code (b849262, the flat layout ``pipedeal.terms_file``, first on
``PYTHONPATH``; the package has the same name, so it runs in a process of its own). The old code
parses its own FOCUS file (5.8 KB, no ``[quotes]`` or ``[[ambiguities]]``): it cannot read the new
one, so old/new compares the work each code does to read its deal, not the same text.

- **in process** (``--runs`` rounds after one warm-up round): each round asks the new worker, then
  the old one, for one timed ``tomllib.loads`` and one timed ``parse_terms`` of its text (the
  worker times each call; a round is a few ms, so both sides see the same machine load). The new
  worker also times the parts of one more parse: ``tomllib.loads``, ``Terms.model_validate`` and
  ``language_problems``.
- **first parse in a fresh process** (``--fresh`` pairs, new then old): the import of the terms
  module and the first ``parse_terms`` of a new process, which also loads what the checks cache
  (the holiday-places file of ``supported_places``, the ambiguities' field validators).

Printed: min / median / p90 of each call, the medians' ratios parse / tomllib and old / new, and
the median of the per-round differences parse - tomllib (the validation).

Target: the new ``parse_terms`` of FOCUS in process, median < 5 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
OLD_SRC = Path("/work/old-code/src")
TARGET_MS = 5.0
from timing import figures  # noqa: E402  (benchmarks/timing.py, beside this script)

# --- The worker: one process per code -------------------------------------------------------------


class Code:
    """The terms reader of the pipedeal in this process, new layout or old."""

    def __init__(self) -> None:
        started = time.perf_counter()
        try:
            from pipedeal.deal import terms_file

            self.layout = "new"
        except ImportError:
            from pipedeal import terms_file  # type: ignore[no-redef]

            self.layout = "old"
        self.imported = time.perf_counter() - started
        import pipedeal

        self.where = pipedeal.__file__
        self.module = terms_file
        self.filename = "focus-1999/terms.toml"
        self.text = (terms_file.BUNDLED_DEALS / "focus-1999" / "terms.toml").read_text(encoding="utf-8")

    def parse(self):
        terms = self.module.parse_terms(self.text, self.filename)
        assert terms.deal.name == "focus-1999", terms.deal.name
        return terms

    def hello(self) -> dict:
        started = time.perf_counter()
        self.parse()
        first = time.perf_counter() - started
        data = tomllib.loads(self.text)
        return {"layout": self.layout, "where": self.where, "bytes": len(self.text.encode("utf-8")),
                "lines": self.text.count("\n"), "tables": _tables(data), "values": _values(data),
                "import": self.imported, "first": first}

    def round(self) -> dict:
        started = time.perf_counter()
        tomllib.loads(self.text)
        toml = time.perf_counter() - started
        started = time.perf_counter()
        self.parse()
        parse = time.perf_counter() - started
        answer = {"toml": toml, "parse": parse}
        if self.layout == "new":
            answer.update(self.parts())
        return answer

    def parts(self) -> dict:
        """One more parse of the new code, cut in its three steps (check_terms without the wrappers)."""
        from pipedeal.deal.terms import Terms

        started = time.perf_counter()
        data = tomllib.loads(self.text)
        toml = time.perf_counter()
        terms = Terms.model_validate(data)
        validated = time.perf_counter()
        problems = self.module.language_problems(terms, data)
        checked = time.perf_counter()
        assert not problems, problems
        return {"part toml": toml - started, "part model_validate": validated - toml,
                "part language_problems": checked - validated}


def _tables(data: object) -> int:
    if isinstance(data, dict):
        return 1 + sum(_tables(value) for value in data.values())
    if isinstance(data, list):
        return sum(_tables(value) for value in data)
    return 0


def _values(data: object) -> int:
    if isinstance(data, dict):
        return sum(_values(value) for value in data.values())
    if isinstance(data, list):
        return sum(_values(value) for value in data) if any(isinstance(v, dict) for v in data) else 1
    return 1


def worker() -> None:
    """Say hello (first parse), then answer one timed round per input line."""
    code = Code()
    print(json.dumps(code.hello()), flush=True)
    for _ in sys.stdin:
        print(json.dumps(code.round()), flush=True)


class Worker:
    def __init__(self, label: str, pythonpath: Path) -> None:
        self.label = label
        self.env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(pythonpath), *filter(None, [
            os.environ.get("PYTHONPATH")])])}
        self.pythonpath = pythonpath
        self.proc: subprocess.Popen | None = None
        self.hello: dict = {}

    def start(self) -> dict:
        self.proc = subprocess.Popen([sys.executable, __file__, "--worker"], env=self.env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"{self.label}: the worker did not start")
        self.hello = json.loads(line)
        if not Path(self.hello["where"]).is_relative_to(self.pythonpath):
            raise SystemExit(f"{self.label}: imports {self.hello['where']}, not the code under {self.pythonpath}")
        return self.hello

    def round(self) -> dict:
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def stop(self) -> None:
        if self.proc is not None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait()
            self.proc = None


# --- The parent -------------------------------------------------------------------------------------


def line(label: str, seconds: list[float], unit: str = "ms") -> str:
    low, median, p90 = figures(seconds)
    if unit == "µs":
        return (f"  {label:<44} min {low * 1000:8.1f}   median {median * 1000:8.1f}   p90 {p90 * 1000:8.1f} µs"
                f"   (n={len(seconds)})")
    return f"  {label:<44} min {low:8.3f}   median {median:8.3f}   p90 {p90:8.3f} ms   (n={len(seconds)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="timed rounds in process, after one warm-up (200)")
    parser.add_argument("--fresh", type=int, default=10, help="fresh-process pairs for the first parse (10; 0: none)")
    parser.add_argument("--old-src", type=Path, default=OLD_SRC, help="the old code's src/ (b849262)")
    parser.add_argument("--no-old", action="store_true", help="time the new code only")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker()
        return
    if args.runs < 1 or args.fresh < 0:
        parser.error("--runs must be at least 1 and --fresh at least 0")
    sides = [Worker("new", SRC)]
    if not args.no_old:
        if not (args.old_src / "pipedeal" / "terms_file.py").is_file():
            parser.error(f"--old-src {args.old_src}: no old pipedeal there (use --no-old)")
        sides.append(Worker("old", args.old_src))

    print(f"terms_parse: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, {args.runs} rounds "
          f"in process, {args.fresh} fresh-process pairs")
    times: dict[str, list[float]] = {}
    try:
        for side in sides:
            hello = side.start()
            print(f"  {side.label}: {hello['where']}; focus-1999/terms.toml {hello['bytes']:,} bytes, "
                  f"{hello['lines']:,} lines, {hello['tables']} tables, {hello['values']} values")
        for round_ in range(args.runs + 1):  # round 0 is the warm-up
            for side in sides:
                answer = side.round()
                if round_:
                    for name, seconds in answer.items():
                        times.setdefault(f"{side.label}: {name}", []).append(seconds)
    finally:
        for side in sides:
            side.stop()

    fresh: dict[str, list[float]] = {}
    for _ in range(args.fresh):
        for side in sides:
            hello = side.start()
            side.stop()
            fresh.setdefault(f"{side.label}: import the terms module", []).append(hello["import"])
            fresh.setdefault(f"{side.label}: first parse_terms", []).append(hello["first"])

    print(f"\nin process: {args.runs} rounds (after one warm-up), each a tomllib.loads then a parse_terms "
          f"of the code's own FOCUS text; load average {os.getloadavg()[0]:.2f}")
    for side in sides:
        for name in ("toml", "parse"):
            label = {"toml": "tomllib.loads alone", "parse": "parse_terms (TOML + validation)"}[name]
            print(line(f"{side.label}: {label}", times[f"{side.label}: {name}"]))
        toml, parse = times[f"{side.label}: toml"], times[f"{side.label}: parse"]
        validation = [p - t for t, p in zip(toml, parse, strict=True)]
        print(f"  {side.label}: parse / tomllib = {statistics.median(parse) / statistics.median(toml):.2f}x; "
              f"validation (parse - tomllib, median per round) {statistics.median(validation) * 1000:.3f} ms")
    parts = [name for name in times if name.startswith("new: part ")]
    if parts:
        print("  new, the parts of one more parse per round:")
        for name in parts:
            print(line("  " + name.removeprefix("new: part "), times[name]))
    if len(sides) > 1:
        for name in ("toml", "parse"):
            old, new = statistics.median(times[f"old: {name}"]), statistics.median(times[f"new: {name}"])
            print(f"  old/new {'tomllib.loads' if name == 'toml' else 'parse_terms'}: {old / new:.2f}x "
                  f"(old {old * 1000:.3f} ms, new {new * 1000:.3f} ms; different texts, see the sizes above)")
    if fresh:
        print(f"\nfresh processes: {args.fresh} pairs, new then old")
        for name, seconds in fresh.items():
            print(line(name, seconds))
    median = statistics.median(times["new: parse"]) * 1000
    print(f"\nnew parse_terms of FOCUS in process: median {median:.3f} ms (target < {TARGET_MS:.0f} ms): "
          f"within target: {'yes' if median < TARGET_MS else 'no'}")


if __name__ == "__main__":
    main()
