"""Where a deal's inputs come from: bundled files, user files, or the ledger database.

This is the I/O layer between the pure core and the CLI. It imports
SQLAlchemy only when a database is actually used, so ``pipedeal report`` on
files stays fast.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipedeal.base.calendars import Calendars
from pipedeal.base.diagnostics import Diagnostic, InputError
from pipedeal.base.quotes import QuoteBook, parse_quotes
from pipedeal.deal.terms import Terms
from pipedeal.deal.terms_file import bundled_deal_dir, bundled_deal_names, parse_terms
from pipedeal.engine.events import parse_events
from pipedeal.engine.history import KnownHistory, Recorded, known_history
from pipedeal.engine.timeline import Located

if TYPE_CHECKING:
    from pipedeal.engine.evaluate import Evaluation
    from pipedeal.storage.ledger import LedgerDeal

DEFAULT_SQLITE = "pipedeal.db"


@dataclass(frozen=True)
class DealInputs:
    terms: Terms
    terms_text: str
    terms_source: str
    events: list[Located]
    events_source: str
    quotes: QuoteBook
    quotes_source: str
    # From a ledger: its head (``pipedeal ledger anchor``) and, when it was read
    # with --allow-broken-ledger, what verify found (every output repeats them).
    ledger_anchor: str | None = None
    ledger_warnings: tuple[Diagnostic, ...] = ()
    # What was read of the record: the events as known on an instant, corrections applied.
    history: KnownHistory | None = None

    def warning_lines(self) -> list[str]:
        return broken_ledger_warnings(self.ledger_warnings)


def broken_ledger_warnings(findings: tuple[Diagnostic, ...] | list[Diagnostic]) -> list[str]:
    """One line per verify finding, for every output read from a broken ledger."""
    return [f"WARNING: this ledger does not verify (read with --allow-broken-ledger): {finding}"
            for finding in findings]


def refuse_broken_ledger(deal: str, db_url: str, findings: list[Diagnostic]) -> None:
    """A command reads a deal from a ledger only when it verifies (else ``--allow-broken-ledger``)."""
    from pipedeal.storage.database import shown

    if findings:
        raise InputError([*findings, Diagnostic(
            "LEDGER-BROKEN", f"the ledger of {deal} does not verify, so nothing was read from it; "
            "see `pipedeal verify`, or give --allow-broken-ledger to read it anyway", shown(db_url))])


def read_text(path: Path, code: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError([Diagnostic(code, exc.strerror or str(exc), str(path))]) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError([Diagnostic(code, f"not UTF-8 text (byte {exc.start}: {exc.reason})",
                                  str(path), line)]) from None


def resolve_terms(deal: str) -> tuple[Terms, str, str, Path | None]:
    """A bundled deal by name, or a terms file by path: (terms, text, source, bundle dir)."""
    bundle = bundled_deal_dir(deal)
    if bundle is not None:
        path = bundle / "terms.toml"
        text = path.read_text(encoding="utf-8")
        return cached_terms(text, f"{deal}/terms.toml"), text, f"bundled deal {deal}", bundle
    path = Path(deal)
    if not path.exists():
        names = ", ".join(bundled_deal_names())
        raise InputError([Diagnostic(
            "DEAL-UNKNOWN", f"no bundled deal and no terms file named {deal!r} "
            f"(bundled: {names})", deal)])
    text = read_text(path, "TERMS-UNREADABLE")
    return cached_terms(text, str(path)), text, str(path), None


def read_event_file(path: Path) -> list[Located]:
    """An event file's events with their lines, parsed once and kept between runs (``_parsed_and_kept``): a
    command reading the bundled log builds no validator (~10 ms), a bad line refused with its line and field."""
    text = read_text(path, "EVENTS-UNREADABLE")
    events = _parsed_and_kept("events", _code_fingerprint(EVENTS_CACHE_FORMAT, "engine", "base"), _text_key(text),
                              lambda: parse_events(text, str(path)), list)
    return [Located(event, str(path), line) for line, event in events]


def read_quote_file(path: Path, label: str | None = None) -> QuoteBook:
    """A quotes file's prices, parsed once and kept between runs (``_parsed_and_kept``: ~15 ms for the
    FOCUS file's 1,300 rows, ~2 ms read back), a bad cell refused with its line and column."""
    text = read_text(path, "QUOTES-UNREADABLE")
    quotes = _parsed_and_kept("quotes", _code_fingerprint(QUOTES_CACHE_FORMAT, "base"), _text_key(text),
                              lambda: parse_quotes(text, str(path)), list)
    return QuoteBook(quotes, label or str(path))


def default_db_url() -> str | None:
    """The ledger to use when none is named: $PIPEDEAL_DB, or ./pipedeal.db if it exists."""
    if os.environ.get("PIPEDEAL_DB"):
        return os.environ["PIPEDEAL_DB"]
    if Path(DEFAULT_SQLITE).is_file():
        return f"sqlite:///{DEFAULT_SQLITE}"
    return None


def _ledger_deal(db_url: str, deal: str) -> LedgerDeal | None:
    """The deal as the ledger at ``db_url`` holds it (``ledger.load_deal``), or None when the ledger does not
    hold it (then the deal is read from its files): one transaction, not a list of the deals and then a read."""
    from pipedeal.storage import ledger as store

    try:
        return store.load_deal(db_url, deal)
    except InputError as refused:
        if [problem.code for problem in refused.problems] == ["DEAL-MISSING"]:
            return None
        raise


def load_inputs(
    deal: str,
    *,
    db_url: str | None = None,
    events_file: Path | None = None,
    prices_file: Path | None = None,
    allow_broken_ledger: bool = False,
    known_on: dt.datetime | None = None,
) -> DealInputs:
    """Terms, events and quotes for a deal.

    Files named on the command line win; else a ledger database that holds
    the deal; else the files bundled with the deal. A ledger is verified as
    it is read (one snapshot): one that does not verify is refused with what
    verify found, unless ``allow_broken_ledger``, which reads it anyway and
    carries the findings as ``ledger_warnings``.

    The events are the history as known on ``known_on`` (every recorded one when None), with
    the corrections applied (``engine.history``): a ledger row's ``recorded_at`` is the
    ledger's clock; an event file's is its lines' own ``recorded_at``.
    """
    if db_url and events_file is None:
        from pipedeal.storage.database import shown

        loaded = _ledger_deal(db_url, deal)
        if loaded is not None:
            if not allow_broken_ledger:
                refuse_broken_ledger(deal, db_url, loaded.findings)
            terms_text = loaded.terms_text
            terms = cached_terms(terms_text, ledger_terms_label(deal, db_url))
            history = ledger_history(deal, loaded.events, known_on)
            quotes = read_quote_file(prices_file) if prices_file else loaded.quotes
            return DealInputs(terms, terms_text, f"ledger {shown(db_url)}", history.events,
                              _described(f"ledger {shown(db_url)} ({len(loaded.events)} events)", history), quotes,
                              str(prices_file) if prices_file else f"ledger {shown(db_url)}",
                              ledger_anchor=str(loaded.anchor), ledger_warnings=tuple(loaded.findings),
                              history=history)
    terms, terms_text, terms_source, bundle = resolve_terms(deal)
    if events_file is not None:
        events, events_source = read_event_file(events_file), str(events_file)
    elif bundle is not None:
        events = read_event_file(bundle / "events.jsonl")
        events_source = f"bundled {deal}/events.jsonl"
    else:
        events, events_source = [], "no events"
    history = file_history(events, known_on)
    if prices_file is not None:
        quotes, quotes_source = read_quote_file(prices_file), str(prices_file)
    elif bundle is not None and (bundle / "quotes.csv").is_file():
        quotes_source = f"bundled {deal}/quotes.csv (illustrative)"
        quotes = read_quote_file(bundle / "quotes.csv", quotes_source)
    else:
        quotes, quotes_source = QuoteBook(), "no quotes"
    return DealInputs(terms, terms_text, terms_source, history.events, _described(events_source, history), quotes,
                      quotes_source, history=history)


def ledger_history(deal: str, rows: Sequence[Any], known_on: dt.datetime | None = None) -> KnownHistory:
    """A ledger deal's stored rows as known on ``known_on`` (every row when None), corrections
    applied: the one reading of a ledger's history, for one deal or many (``evaluate_ledger``)."""
    return known_history([Recorded(Located(row.event, f"ledger of {deal}", None, row.seq), row.seq, row.recorded_at)
                          for row in rows], known_on)


def file_history(events: list[Located], known_on: dt.datetime | None = None) -> KnownHistory:
    """An event file's history as known on ``known_on``: each line's own ``recorded_at`` is when it
    was recorded (naive: UTC), and a correction's ``supersedes`` counts the file's events, the
    first being 1 (as if the file were imported into an empty ledger)."""
    return known_history([Recorded(item, number, _utc(item.event.recorded_at))
                          for number, item in enumerate(events, start=1)], known_on)


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _described(source: str, history: KnownHistory) -> str:
    told = history.describe()
    return f"{source}, {told}" if told else source


def parse_instant(text: str, option: str) -> dt.datetime:
    """A command line's instant: ISO date-time (no offset: UTC), or a date alone, meaning the
    whole of that day in UTC (``--known-on 2000-02-01`` is what was recorded by its end)."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return dt.datetime.combine(day, dt.time.max, dt.UTC)
        instant = dt.datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith(("Z", "z")) else value)
    except ValueError:
        raise InputError([Diagnostic(
            "CLI-BAD-KNOWN-ON", f"{text!r} is not a date-time: give YYYY-MM-DDTHH:MM[:SS][+HH:MM] (no offset: UTC) "
            "or a date YYYY-MM-DD (the end of that day, UTC)", "command line", field=option)]) from None
    return _utc(instant)  # type: ignore[return-value]


def ledger_terms_label(deal: str, db_url: str) -> str:
    """How an error in a deal's stored terms names its file (lines count in the stored text)."""
    from pipedeal.storage.database import shown

    return f"terms of {deal} in the ledger {shown(db_url)}"


def calendars_for(terms: Terms) -> Calendars:
    """RULES §1, PIPE-TERMS "Calendars": the Trading Days of ``calendars.trading``, SEC business
    days, what the agreement calls a Business Day (``calendars.business``: ``US`` is the federal
    calendar, as SEC days; ``US-MA`` a state's; ``LI`` a country's) and the Company's own
    business days (notices to it, SPA 12.1)."""
    from pipedeal.base.calendars import load_trading_calendar, local_calendar, sec_calendar

    try:
        trading = load_trading_calendar(terms.calendars.trading)
    except ValueError as exc:
        file, line = terms.located("calendars", "trading")
        raise InputError([Diagnostic("CALENDAR-UNKNOWN-MARKET", str(exc), file or "terms", line,
                                     "calendars.trading")]) from None
    country, _, subdivision = terms.calendars.business.partition("-")
    try:
        business = sec_calendar() if terms.calendars.business == "US" else local_calendar(country,
                                                                                           subdivision or None)
    except (ValueError, NotImplementedError) as exc:
        file, line = terms.located("calendars", "business")
        raise InputError([Diagnostic("CALENDAR-UNKNOWN-MARKET", f"no business-day calendar for "
                                     f"{terms.calendars.business!r}: {exc}", file or "terms", line,
                                     "calendars.business")]) from None
    company = terms.company
    return Calendars(trading, sec_calendar(), business, local_calendar(company.country, company.subdivision))


def parse_day(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError([Diagnostic("CLI-BAD-DATE", f"{text!r} is not a date (YYYY-MM-DD)", "command line",
                                  field=option)]) from None


POOL_FROM_DEALS = 64
"""``evaluate_ledger`` splits a ledger of at least this many deals over worker processes."""


def evaluate_ledger(
    db_url: str,
    as_of: dt.date,
    deals: Sequence[str] | None = None,
    *,
    allow_broken_ledger: bool = False,
    warn: Callable[[str, list[Diagnostic]], None] | None = None,
    then: Callable[[Evaluation], Any] | None = None,
    workers: int | None = None,
    known_on: dt.datetime | None = None,
) -> Iterator[tuple[str, Any]]:
    """``(deal_name, evaluation)`` as of ``as_of`` for every deal of the ledger at ``db_url``
    (or those named in ``deals``), in name order: the one way to read many deals
    (``calendar --all``, ``obligations --all``).

    The ledger is read in a handful of SELECTs (``ledger.load_deals``), not per deal. Every
    deal must verify, else nothing is evaluated and the findings of every broken deal are
    raised (``allow_broken_ledger`` evaluates them anyway and hands each one's findings to
    ``warn``). Each deal's terms are parsed once and kept (``cached_terms``), and the calendars
    are the memoised ones (``calendars_for``: the session cache, one holiday calendar per
    place). A deal whose events the fold refuses raises ``InputError`` naming it.

    ``then`` (a module-level function, so it can be sent to a process) turns each evaluation
    into what the caller keeps, yielded instead of the evaluation: an evaluation holds its
    whole timeline, too much to send between processes, its result (a command's rows) is
    not. With ``then``, a ledger of ``POOL_FROM_DEALS`` deals or more is split over
    ``workers`` forked processes (default: the CPUs, at most 4), each reading its share of
    the deals in its own four SELECTs; ``workers=1`` keeps everything in this process.

    ``known_on``: each deal's history as the ledger knew it then, corrections applied
    (``ledger_history``, as ``load_inputs`` reads one deal).
    """
    import os

    from pipedeal.storage import ledger as store

    if then is not None and (workers is None or workers > 1) and _can_fork():
        names = list(deals) if deals is not None else store.list_deals(db_url)
        count = workers or min(os.cpu_count() or 1, 4)
        if count > 1 and len(names) >= (POOL_FROM_DEALS if workers is None else 2):
            yield from _pooled(db_url, as_of, names, count, allow_broken_ledger, warn, then, known_on)
            return
    for name, evaluation in _evaluated(db_url, as_of, deals, allow_broken_ledger, warn, known_on):
        yield name, evaluation if then is None else then(evaluation)


def _evaluated(db_url: str, as_of: dt.date, deals: Sequence[str] | None, allow_broken: bool,
               warn: Callable[[str, list[Diagnostic]], None] | None,
               known_on: dt.datetime | None = None) -> Iterator[tuple[str, Evaluation]]:
    """``evaluate_ledger`` in this process (see there)."""
    from pipedeal.engine.evaluate import evaluate
    from pipedeal.storage import ledger as store

    with _long_lived_heap() as keep:
        loaded = store.load_deals(db_url, deals)
        keep()
        yield from _each_evaluated(db_url, as_of, loaded, allow_broken, warn, known_on, evaluate)


@contextmanager
def _long_lived_heap() -> Iterator[Callable[[], None]]:
    """CPython's cycle collector rescans every tracked object at each full collection: reading a thousand deals
    builds millions of long-lived ones (each deal's events, quotes and parsed terms), and collection took a
    quarter of ``obligations --all``'s time. Within the block, young garbage is collected less often, and what
    ``keep()`` is called on (the loaded ledger) is moved out of the collector's sight; both undone at the end."""
    import gc

    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def _each_evaluated(db_url, as_of, loaded, allow_broken, warn, known_on, evaluate):
    """``_evaluated``'s deals once loaded: refused if any does not verify (unless ``allow_broken``), then each
    evaluated in turn."""
    broken = [(name, deal.findings) for name, deal in loaded if deal.findings]
    if broken and not allow_broken:
        raise _refusal(broken, db_url)
    for name, deal in loaded:
        if deal.findings and warn is not None:
            warn(name, deal.findings)
        terms = cached_terms(deal.terms_text, ledger_terms_label(name, db_url))
        quotes = deal.quotes
        try:
            events = ledger_history(name, deal.events, known_on).events
            yield name, evaluate(terms, events, quotes, calendars_for(terms), as_of)
        except InputError as exc:
            raise InputError([replace(problem, message=f"deal {name}: {problem.message}")
                              for problem in exc.problems]) from None


def _refusal(broken: list[tuple[str, list[Diagnostic]]], db_url: str) -> InputError:
    """What verify found in every broken deal, and that nothing was read (``refuse_broken_ledger``'s words)."""
    from pipedeal.storage.database import shown

    return InputError([*(finding for _, findings in broken for finding in findings), Diagnostic(
        "LEDGER-BROKEN", f"the ledger of {', '.join(name for name, _ in broken)} does not verify, so nothing "
        "was read from it; see `pipedeal verify`, or give --allow-broken-ledger to read it anyway",
        shown(db_url))])


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _share(db_url: str, as_of: dt.date, names: list[str], then: Callable[[Evaluation], Any],
           known_on: dt.datetime | None = None,
           ) -> tuple[list[tuple[str, Any]], list[tuple[str, list[Diagnostic]]], list[Diagnostic] | None]:
    """One worker's share: (results, findings by deal, or the problems that refuse it all).
    Broken deals are evaluated (the parent decides whether to refuse): every worker must
    report its findings for the refusal to name every broken deal."""
    from pipedeal.base.calendars import CalendarRangeError

    found: list[tuple[str, list[Diagnostic]]] = []
    try:
        results = [(name, then(evaluation)) for name, evaluation in _evaluated(
            db_url, as_of, names, True, lambda name, findings: found.append((name, findings)), known_on)]
    except InputError as exc:
        return [], found, exc.problems
    except CalendarRangeError as exc:  # as the CLI reports it (its arguments do not cross a pipe)
        return [], found, [Diagnostic("CALENDAR-RANGE", str(exc))]
    return results, found, None


def _pooled(db_url: str, as_of: dt.date, names: list[str], count: int, allow_broken: bool,
            warn: Callable[[str, list[Diagnostic]], None] | None, then: Callable[[Evaluation], Any],
            known_on: dt.datetime | None = None) -> Iterator[tuple[str, Any]]:
    """``evaluate_ledger`` over ``count`` forked processes, deal ``i`` of the sorted names to
    worker ``i % count``: the parent has imported everything, so a fork starts at once."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ordered = sorted(names)
    shares = [ordered[worker::count] for worker in range(count)]
    with ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork")) as pool:
        done = list(pool.map(_share, [db_url] * count, [as_of] * count, shares, [then] * count,
                             [known_on] * count))
    broken = sorted(item for _, found, _ in done for item in found)
    refused = [problem for _, _, problems in done for problem in problems or ()]
    if broken and not allow_broken:
        raise _refusal(broken, db_url)
    if refused:
        raise InputError(refused)
    if warn is not None:
        for name, findings in broken:
            warn(name, findings)
    yield from sorted((item for results, _, _ in done for item in results), key=lambda item: item[0])


@functools.cache
def _code_fingerprint(cache_format: int, *packages: str) -> str:
    """What a parse kept by ``_parsed_and_kept`` depends on besides its text: the code of the packages
    that parse it (every module of each ``pipedeal.<package>``), pydantic's and Python's versions and the
    format of what is kept. A change to any of them makes every kept parse stale."""
    import hashlib
    import sys

    import pydantic

    import pipedeal

    digest = hashlib.sha256(f"{pydantic.VERSION} {sys.version} {cache_format}".encode())
    for package in packages:
        for source in sorted((Path(pipedeal.__file__).parent / package).glob("*.py")):
            digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()[:20]


def _parsed_and_kept(kind: str, fingerprint: str, key: str, parse: Callable[[], Any], kept_type: type,
                     to_keep: Callable[[Any], Any] = lambda value: value) -> Any:
    """``parse()`` of a text whose sha256 is ``key``, kept between runs: pickled in the user's cache
    directory (``$PIPEDEAL_CACHE_DIR``, as the session cache) under ``kind-fingerprint/key``, and read
    back in a fraction of the parse. Only what parsed without a problem is kept (``parse`` raises
    otherwise, with its file and line), as ``to_keep`` makes it. A cache that cannot be read or written
    is no cache: the text is parsed. The file is the user's own (like every cache there), read only
    under the name of the text's hash."""
    import os
    import pickle

    from pipedeal.base.calendars import _cache_dir

    path = _cache_dir(None) / f"{kind}-{fingerprint}" / f"{key}.pickle"
    try:
        kept = pickle.loads(path.read_bytes())
        if isinstance(kept, kept_type):
            return kept
    except Exception:  # missing, torn, or written by another version: parse instead
        pass
    value = parse()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(pickle.dumps(to_keep(value), protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(temporary, path)
    except OSError:
        pass
    return value


def _text_key(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


_TERMS_MEMO: dict[str, Terms] = {}
TERMS_CACHE_FORMAT = 2
"""What a kept terms parse holds (2: with its ``deal_words``); part of the fingerprint."""
QUOTES_CACHE_FORMAT = 1
"""What a kept quotes parse holds (1: the list of ``Quote``); part of the fingerprint."""
EVENTS_CACHE_FORMAT = 1
"""What a kept event file parse holds (1: the list of (line, event)); part of the fingerprint."""


def cached_terms(text: str, label: str) -> Terms:
    """``parse_terms(text, label)``, kept between runs (``_parsed_and_kept``): a deal's stored terms are
    parsed once. ``tomllib`` of a FOCUS-sized terms file costs ~10 ms, which a command reading a
    thousand deals pays a thousand times."""
    key = _text_key(text)
    terms = _TERMS_MEMO.get(key)
    if terms is None:
        terms = _parsed_and_kept("terms", _code_fingerprint(TERMS_CACHE_FORMAT, "deal"), key,
                                 lambda: _with_words(parse_terms(text, label)), Terms, _without_source)
        _TERMS_MEMO[key] = terms
    if terms._source is None or terms._source[0] != label:
        terms = terms.model_copy()
        terms._source = (label, text)  # errors found later (an unknown market) name this deal's terms
    return terms


def _with_words(terms: Terms) -> Terms:
    """The deal's words by clause (``deal_words``: a walk of every block, ~0.6 ms) are kept with the parse:
    a ledger of many deals cites clauses in each of them."""
    from pipedeal.deal.clauses import deal_words

    deal_words(terms)
    return terms


def _without_source(terms: Terms) -> Terms:
    """What is kept of a parse: the text is the key, so it is not kept twice."""
    kept = terms.model_copy()
    kept._source = None
    return kept
