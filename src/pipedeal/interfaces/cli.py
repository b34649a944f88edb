"""The ``pipedeal`` command: a thin layer over the pure core and the ledger.

A user's mistake (a bad file, an unknown key, an impossible event) prints the
problems with file, line and field and exits with status 2; only a bug in
pipedeal itself may show a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from contextlib import contextmanager
from enum import Enum, StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from pipedeal.base.diagnostics import Diagnostic, InputError
from pipedeal.outputs.terminal import Table

app = typer.Typer(
    help="pipedeal: the life of a PIPE deal, every figure traced to its clause.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
events_app = typer.Typer(help="The append-only event ledger.", no_args_is_help=True)
prices_app = typer.Typer(help="Daily quotes of the Common Stock.", no_args_is_help=True)
schema_app = typer.Typer(help="JSON Schemas of pipedeal's input files.", no_args_is_help=True)
documents_app = typer.Typer(help="Warrant forms and notices as PDF, HTML or DOCX.", no_args_is_help=True)
export_app = typer.Typer(help="Export the deal to other formats.", no_args_is_help=True)
ledger_app = typer.Typer(help="The ledger's head, to keep outside the database.", no_args_is_help=True)
terms_app = typer.Typer(help="Terms files in the PIPE terms language.", no_args_is_help=True)
users_app = typer.Typer(help="Users of the web workspace (pipedeal serve).", no_args_is_help=True)
app.add_typer(events_app, name="events")
app.add_typer(prices_app, name="prices")
app.add_typer(schema_app, name="schema")
app.add_typer(documents_app, name="documents")
app.add_typer(export_app, name="export")
app.add_typer(ledger_app, name="ledger")
app.add_typer(terms_app, name="terms")
app.add_typer(users_app, name="users")

def _console(stderr: bool = False) -> Console:
    """Rich on a terminal wraps prose at word boundaries to the window; piped or redirected (no
    $COLUMNS), nothing is hard-wrapped: a line is as long as its sentence or its table row needs."""
    import os

    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty() or os.environ.get("COLUMNS"):
        return Console(stderr=stderr, highlight=False)
    return Console(stderr=stderr, highlight=False, width=PIPED_WIDTH)


PIPED_WIDTH = 100_000
out = _console()
err = _console(stderr=True)
_human_lines = [out]  # where a command's human lines go: stdout, or stderr when stdout carries its --json


def _human() -> Console:
    return _human_lines[0]


def _json_mode(json_output: bool) -> None:
    """--json: stdout holds one JSON document, so the human lines go to stderr."""
    _human_lines[0] = err if json_output else out

DealOption = Annotated[str, typer.Option("--deal", help="A bundled deal name or a TERMS.toml path.")]
DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Ledger database URL (default $PIPEDEAL_DB, else sqlite:///pipedeal.db)."),
]


def _iso_day(text: str) -> dt.date:
    """A date option's value (``parse_day``, as a web form's); click reports a bad one in one line naming the
    option, exit 2."""
    from pipedeal.storage.workspace import parse_day

    try:
        return parse_day(text, "")
    except InputError as refused:
        raise typer.BadParameter(refused.problems[0].message) from None


def _date_option(*names: str, help: str) -> Any:
    return typer.Option(*names, parser=_iso_day, metavar="yyyy-mm-dd", help=help)


AsOfOption = Annotated[dt.date | None, _date_option("--as-of", help="Evaluate as of this date (default today).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the stable JSON instead of tables.")]
EventsOption = Annotated[Path | None, typer.Option("--events", help="An event file instead of the ledger.")]
PricesOption = Annotated[Path | None, typer.Option("--prices", help="A quote CSV instead of the ledger's.")]
SetOption = Annotated[list[str] | None, typer.Option(
    "--set", help="KEY=VALUE: a reading of one of the deal's \\[\\[ambiguities]] for this run.")]
StrictOption = Annotated[bool, typer.Option(
    "--strict",
    help="Refuse figures that a reading of the deal's \\[\\[ambiguities]] not confirmed with --set would change.")]
AllowBrokenOption = Annotated[bool, typer.Option(
    "--allow-broken-ledger", help="Read a ledger that does not verify anyway, with a warning on every output.")]
KnownOnOption = Annotated[str | None, typer.Option(
    "--known-on", help="Read the history as the record gave it then: only events recorded by this instant "
    "(inclusive; YYYY-MM-DDTHH:MM[:SS][+HH:MM], no offset = UTC; a date alone = the end of that day, UTC), "
    "corrections recorded by then applied.")]


def _fail(problems: list[Diagnostic]) -> None:
    err.print(f"[bold red]pipedeal: {len(problems)} problem(s); nothing was written.[/]")
    for problem in problems:
        err.print(f"  [red]{escape(problem.where())}[/]: {escape(problem.message)} "
                  f"[dim]\\[{escape(problem.code)}][/]", soft_wrap=True)
    raise typer.Exit(2)


def _run(action, *args: Any, **kwargs: Any) -> Any:
    from pipedeal.base.calendars import CalendarRangeError

    try:
        return action(*args, **kwargs)
    except InputError as exc:
        _fail(exc.problems)
    except CalendarRangeError as exc:
        _fail([Diagnostic("CALENDAR-RANGE", str(exc))])


def _output_dir(directory: Path, option: str) -> Path:
    """The folder to write into, made if missing; a file, a device, a folder under a file or
    one that cannot be written is the user's mistake (OUTPUT-PATH), not a traceback."""
    import os

    def refuse(why: str) -> InputError:
        return InputError([Diagnostic("OUTPUT-PATH", f"cannot write into {str(directory)!r}: {why}",
                                      "command line", field=option)])

    if directory.exists() and not directory.is_dir():
        raise refuse("it is a file or a device, not a folder")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise refuse(exc.strerror or str(exc)) from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise refuse("the folder is not writable")
    return directory


def _write_file(path: Path, data: bytes, option: str) -> None:
    """Write one output file; a write the system refuses (read-only, full) is OUTPUT-PATH."""
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise InputError([Diagnostic("OUTPUT-PATH", f"cannot write {str(path)!r}: {exc.strerror or exc}",
                                     "command line", field=option)]) from None


def _output_file(path: Path, option: str) -> None:
    """A file to write: its folder must already exist and be writable (a mistyped folder is the
    user's mistake, not something to create), and the path must not be a folder itself."""
    import os

    def refuse(why: str) -> InputError:
        return InputError([Diagnostic("OUTPUT-PATH", f"cannot write {str(path)!r}: {why}", "command line",
                                      field=option)])

    folder = path.parent
    if path.is_dir():
        raise refuse("it is a folder")
    if not folder.is_dir():
        raise refuse(f"the folder {str(folder)!r} does not exist" if not folder.exists()
                     else f"{str(folder)!r} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise refuse("it cannot be written")


def _today() -> dt.date:
    return dt.date.today()


def _store_url(db: str | None) -> str:
    from pipedeal.storage.database import resolve_url

    return resolve_url(db)


def _readings(assignments: list[str] | None, terms) -> dict[str, object]:
    from pipedeal.deal.readings import parse_readings

    try:
        return parse_readings(assignments or [], terms)
    except ValueError as exc:
        raise InputError([Diagnostic("CLI-BAD-SET", str(exc), "command line", field="--set")]) from None


def _print_known_on(inputs) -> None:
    """A table read as known on an instant says so first (the report's header says it too)."""
    history = inputs.history
    if history is not None and history.known_on is not None:
        told = history.describe()
        out.print(f"[bold]{escape(told[:1].upper() + told[1:])}[/].")


def _warn_broken_ledger(inputs) -> None:
    """Every output read from a ledger that does not verify says so (on stderr)."""
    _print_warnings(inputs.warning_lines())


def _print_json(data: Any) -> None:
    """One JSON document on stdout, indented by 2, as ``json.dumps(indent=2, ensure_ascii=False)`` spells it.
    orjson writes the same bytes ~25x faster: an indent sends ``json`` to its pure-Python encoder, 0.17 s of
    ``obligations --all --json`` over a thousand deals (Rich's pretty printer took seconds). A document orjson
    declines (an integer over 64 bits) is left to ``json``."""
    import orjson

    try:
        text = orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:
        text = json.dumps(data, indent=2, ensure_ascii=False)
    sys.stdout.write(text + "\n")


def _print_warnings(lines: list[str]) -> None:
    for line in lines:
        err.print(f"[bold yellow]{escape(line)}[/]", soft_wrap=True)


def _with_ledger_warnings(data: dict[str, Any], inputs) -> dict[str, Any]:
    """JSON output read from a ledger that does not verify carries ``ledger_warnings``."""
    if not inputs.ledger_warnings:
        return data
    return {**data, "ledger_warnings": [finding.as_dict() for finding in inputs.ledger_warnings]}


def _known_on(text: str | None, option: str = "--known-on") -> dt.datetime | None:
    """The instant a ``--known-on`` names (None when not given); a malformed one is CLI-BAD-KNOWN-ON."""
    from pipedeal.storage.workspace import parse_instant

    return None if text is None else parse_instant(text, option)


def _load(deal: str, db: str | None, events: Path | None, prices: Path | None, allow_broken: bool,
          known_on: str | None = None):
    """The deal's inputs; ``known_on`` (a command's --known-on text) reads the history as recorded by
    then: every command that passes it reads the same history (``engine.history``)."""
    from pipedeal.storage.workspace import default_db_url, load_inputs

    instant = _known_on(known_on)
    url = db if db is not None else default_db_url()
    inputs = load_inputs(deal, db_url=url, events_file=events, prices_file=prices,
                         allow_broken_ledger=allow_broken, known_on=instant)
    _warn_broken_ledger(inputs)
    return inputs


def _with_known_on(data: dict[str, Any], inputs) -> dict[str, Any]:
    """JSON read as known on an instant says which (``known_on``, and the events known of those recorded)."""
    history = inputs.history
    if history is None or history.known_on is None:
        return data
    return {**data, "known_on": history.known_on.isoformat(),
            "events_known": history.known, "events_recorded": history.recorded}


def _evaluate(deal: str, db: str | None, as_of: dt.date | None, events: Path | None,
              prices: Path | None, assignments: list[str] | None = None,
              strict: str | None = None, allow_broken: bool = False, known_on: str | None = None):
    """Load and evaluate; ``strict`` (``"all"`` or ``"damages"``) refuses figures resting on
    a reading of the deal's ``[[ambiguities]]`` that ``--set`` did not confirm; ``known_on``
    evaluates the history as recorded by then."""
    from pipedeal.deal.readings import shown
    from pipedeal.engine.evaluate import evaluate
    from pipedeal.storage.workspace import calendars_for

    day = as_of or _today()
    inputs = _load(deal, db, events, prices, allow_broken, known_on)
    readings = _readings(assignments, inputs.terms)
    calendars = calendars_for(inputs.terms)
    evaluation = evaluate(inputs.terms, inputs.events, inputs.quotes, calendars, day, readings)
    if strict:
        from pipedeal.engine.ambiguity import readings_that_move

        moving = readings_that_move(inputs.terms, inputs.events, inputs.quotes, calendars, evaluation, readings,
                                    damages_only=strict == "damages")
        if moving:
            raise InputError([Diagnostic(
                "STRICT-UNSET-KEY", f"--strict: the figures as of {day} change with the reading {entry.key} "
                f"(in force: {shown(entry.value)}; {entry.clause}: {entry.why}); confirm it, or choose another, "
                f"with --set {entry.key}=VALUE",
                *inputs.terms.located("ambiguities", inputs.terms.ambiguities.index(entry)), field=entry.field)
                for entry in moving])
    return inputs, evaluation


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    html = "html"
    pdf = "pdf"


def _write_summary(inputs, evaluation, output_format: str, out_dir: Path) -> None:
    """``report --format html|pdf``: the deal on one page (``outputs.documents.deal_summary``)."""
    from pipedeal.interfaces.shared import data_note
    from pipedeal.outputs.documents import render_pdf, render_summary_html

    html = render_summary_html(evaluation, data_note(inputs), inputs.ledger_anchor)
    _output_dir(out_dir, "--out")
    path = out_dir / f"report-{evaluation.terms.deal.name}-{evaluation.as_of}.{output_format}"
    _write_file(path, render_pdf(html) if output_format == "pdf" else html.encode("utf-8"), "--out")
    out.print(f"Wrote {escape(str(path))}", soft_wrap=True)


@app.command()
def report(
    deal: DealOption = "focus-1999",
    as_of: AsOfOption = None,
    json_output: JsonOption = False,
    db: DbOption = None,
    events: EventsOption = None,
    prices: PricesOption = None,
    set_: SetOption = None,
    strict: StrictOption = False,
    allow_broken_ledger: AllowBrokenOption = False,
    known_on: KnownOnOption = None,
    output_format: Annotated[ReportFormat, typer.Option(
        "--format", help="text (tables), json (as --json), or html or pdf: the deal on one page with its "
        "charts, written into --out.")] = "text",
    out_dir: Annotated[Path, typer.Option("--out", help="The directory an html or pdf report is written into.")]
    = Path("."),
) -> None:
    """The deal as of a date: quotes, Market and Exercise Price, allocations, capitalization, registration
    deadlines, Registration Defaults and damages; e.g. `pipedeal report --as-of 2000-06-30 --format pdf --out
    reports/`."""
    from pipedeal.outputs.report import to_json

    inputs, evaluation = _run(_evaluate, deal, db, as_of, events, prices, set_,
                              "all" if strict else None, allow_broken_ledger, known_on)
    if output_format in ("html", "pdf"):
        _run(_write_summary, inputs, evaluation, output_format, out_dir)
        return
    data = to_json(evaluation)
    if json_output or output_format == "json":
        _print_json(_with_known_on(_with_ledger_warnings(data, inputs), inputs))
        return
    from pipedeal.outputs.render import render_report

    render_report(out, data, inputs)


class EvaluateFormat(StrEnum):
    json = "json"
    text = "text"


@app.command()
def evaluate(
    deal: DealOption = "focus-1999",
    events: EventsOption = None,
    prices: PricesOption = None,
    as_of: AsOfOption = None,
    set_: SetOption = None,
    strict: StrictOption = False,
    json_output: Annotated[bool, typer.Option("--json", help="JSON (the default; see --format).")] = True,
    known_on: KnownOnOption = None,
    output_format: Annotated[EvaluateFormat, typer.Option(
        "--format", help="json (the stable JSON document) or text (the report's tables).")] = "json",
) -> None:
    """A pure function of files, printed as the stable JSON: no database is read or written, e.g.
    `pipedeal evaluate --events events.jsonl --prices quotes.csv --as-of 2000-06-30`.
    With --known-on, each line's own recorded_at says when it was known."""
    from pipedeal.outputs.report import to_json

    inputs, evaluation = _run(_evaluate, deal, "", as_of, events, prices, set_, "all" if strict else None,
                              False, known_on)
    if output_format == "text":
        from pipedeal.outputs.render import render_report

        render_report(out, to_json(evaluation), inputs)
        return
    _print_json(_with_known_on(to_json(evaluation), inputs))


@app.command()
def ld(
    deal: DealOption = "focus-1999",
    investor: Annotated[str | None, typer.Option("--investor", help="Only this investor (id).")] = None,
    as_of: AsOfOption = None,
    explain: Annotated[bool, typer.Option("--explain", help="Every step, with its clause and text.")] = False,
    json_output: JsonOption = False,
    db: DbOption = None,
    events: EventsOption = None,
    prices: PricesOption = None,
    set_: SetOption = None,
    strict: StrictOption = False,
    allow_broken_ledger: AllowBrokenOption = False,
    known_on: KnownOnOption = None,
) -> None:
    """Liquidated damages per investor (RRA 3(e)): defaults, segments, totals, payments."""
    from pipedeal.outputs.render import render_damages

    inputs, evaluation = _run(_evaluate, deal, db, as_of, events, prices, set_, "damages" if strict else None,
                              allow_broken_ledger, known_on)
    investors = _run(_chosen_investors, evaluation, investor)
    if json_output:
        from pipedeal.outputs.explain import explain_json

        _print_json(_with_known_on(_with_ledger_warnings(
            explain_json(evaluation, investors, explain), inputs), inputs))
        return
    _print_known_on(inputs)
    render_damages(out, evaluation, investors, explain)


@app.command()
def changes(
    deal: DealOption = "focus-1999",
    known_from: Annotated[str | None, typer.Option(
        "--from", help="The first knowledge instant (as --known-on): what the record said then.")] = None,
    known_to: Annotated[str | None, typer.Option("--to", help="The second knowledge instant.")] = None,
    as_of: AsOfOption = None,
    as_of_from: Annotated[dt.date | None, _date_option(
        "--as-of-from", help="Instead of --from/--to: the first as-of date (YYYY-MM-DD).")] = None,
    as_of_to: Annotated[dt.date | None, _date_option("--as-of-to", help="The second as-of date.")] = None,
    known_on: KnownOnOption = None,
    json_output: JsonOption = False,
    db: DbOption = None,
    events: EventsOption = None,
    prices: PricesOption = None,
    set_: SetOption = None,
    allow_broken_ledger: AllowBrokenOption = False,
) -> None:
    """What changed in the figures, deadlines and obligations between two knowledge instants
    (--from/--to, as of --as-of) or between two as-of dates (--as-of-from/--as-of-to, as known on
    --known-on): each with its value at the first point and at the second."""
    result = _run(_changes, deal, known_from, known_to, as_of, as_of_from, as_of_to, known_on, db, events, prices,
                  set_, allow_broken_ledger)
    if json_output:
        _print_json(result)
        return
    from pipedeal.outputs.render import render_changes

    render_changes(out, result)


def _changes(deal, known_from, known_to, as_of, as_of_from, as_of_to, known_on, db, events, prices, set_,
             allow_broken) -> dict[str, Any]:
    from pipedeal.outputs.changes import diff_reports
    from pipedeal.outputs.report import to_json

    by_knowledge = known_from is not None or known_to is not None
    by_date = as_of_from is not None or as_of_to is not None

    def refuse(message: str, option: str) -> InputError:
        return InputError([Diagnostic("CLI-BAD-CHANGES", message, "command line", field=option)])

    if by_knowledge == by_date:
        raise refuse("give either --from and --to (two knowledge instants) or --as-of-from and --as-of-to "
                     "(two as-of dates)", "--from" if by_knowledge else "--as-of-from")
    if by_knowledge:
        if known_from is None or known_to is None:
            raise refuse("--from and --to go together", "--to" if known_to is None else "--from")
        if known_on is not None:
            raise refuse("--known-on is what --from and --to each give; use --as-of for the date", "--known-on")
        points = [(as_of, known_from, "--from"), (as_of, known_to, "--to")]
    else:
        if as_of_from is None or as_of_to is None:
            raise refuse("--as-of-from and --as-of-to go together",
                         "--as-of-to" if as_of_to is None else "--as-of-from")
        if as_of is not None:
            raise refuse("--as-of is what --as-of-from and --as-of-to each give", "--as-of")
        points = [(as_of_from, known_on, "--as-of-from"), (as_of_to, known_on, "--as-of-to")]
    from pipedeal.storage.workspace import parse_instant

    if not by_date:  # a malformed instant is refused, naming its option, before any read
        for _, instant, option in points:
            parse_instant(instant, option)
    reports, told, warnings = [], [], []
    for day, instant, _ in points:
        inputs, evaluation = _evaluate(deal, db, day, events, prices, set_, allow_broken=allow_broken,
                                       known_on=instant)
        reports.append(to_json(evaluation))
        history = inputs.history
        told.append({"as_of": evaluation.as_of.isoformat(),
                     "known_on": history.known_on.isoformat() if history and history.known_on else None,
                     "events_known": history.known if history else None,
                     "events_recorded": history.recorded if history else None})
        warnings = [finding.as_dict() for finding in inputs.ledger_warnings]
    result: dict[str, Any] = {"deal": reports[1]["deal"], "from": told[0], "to": told[1],
                              **diff_reports(reports[0], reports[1])}
    if warnings:
        result["ledger_warnings"] = warnings
    return result


def _chosen_investors(evaluation, investor: str | None) -> list[str]:
    investors = [inv.id for inv in evaluation.terms.investors]
    if investor is None:
        return investors
    if investor not in investors:
        raise InputError([Diagnostic("CLI-UNKNOWN-INVESTOR", f"no investor {investor!r} (investors: "
                                  f"{', '.join(investors)})", "command line", field="--investor")])
    return [investor]


@app.command()
def ambiguities(
    deal: DealOption = "focus-1999",
    as_of: AsOfOption = None,
    json_output: JsonOption = False,
    db: DbOption = None,
    events: EventsOption = None,
    prices: PricesOption = None,
    allow_broken_ledger: AllowBrokenOption = False,
    set_: SetOption = None,
) -> None:
    """Every reading the deal's \\[\\[ambiguities]] leave open, the value in force, and each investor's
    damages under every alternative, side by side: what each reading is worth."""
    from pipedeal.engine.ambiguity import money_at_stake
    from pipedeal.outputs.render import render_ambiguities

    def compute():
        from pipedeal.engine.ambiguity import alternatives_count
        from pipedeal.storage.workspace import calendars_for

        inputs, evaluation = _evaluate(deal, db, as_of, events, prices, set_, allow_broken=allow_broken_ledger)
        with _progress("Each reading's figures", alternatives_count(inputs.terms)) as advance:
            return inputs, money_at_stake(inputs.terms, inputs.events, inputs.quotes, calendars_for(inputs.terms),
                                          evaluation.as_of, evaluation.readings, progress=advance)

    inputs, table = _run(compute)
    if json_output:
        _print_json(_with_ledger_warnings(table, inputs) if isinstance(table, dict) else table)
        return
    render_ambiguities(out, table)


class StatementFormat(StrEnum):
    pdf = "pdf"
    html = "html"


class DocumentFormat(StrEnum):
    pdf = "pdf"
    html = "html"
    docx = "docx"


class Method(StrEnum):
    cash = "cash"
    cashless = "cashless"


@contextmanager
def _progress(description: str, total: int | None):
    """A progress bar on stderr while long work runs, only when stderr is a terminal (never in a pipe
    or a log); yields the function that advances it by one step."""
    if not err.is_terminal or (total is not None and total < 2):
        yield lambda: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)


@app.command()
def statement(
    deal: DealOption = "focus-1999",
    investor: Annotated[str | None, typer.Option("--investor", help="One investor (id); default every one.")] = None,
    as_of: AsOfOption = None,
    letter: Annotated[bool, typer.Option("--letter", help="A demand letter (RRA 3(e)) before the statement.")] = False,
    dated: Annotated[dt.date | None, _date_option("--date", help="The letter's date (default today).")] = None,
    output_format: Annotated[StatementFormat, typer.Option("--format", help="pdf or html.")] = "pdf",
    out_dir: Annotated[Path, typer.Option("--out", help="Directory to write into.")] = Path("."),
    db: DbOption = None,
    events: EventsOption = None,
    prices: PricesOption = None,
    set_: SetOption = None,
    allow_broken_ledger: AllowBrokenOption = False,
    json_output: JsonOption = False,
) -> None:
    """The liquidated damages statement (or demand letter) per investor, as PDF or HTML, e.g. `pipedeal statement
    --investor raptor --letter --date 2000-07-05 --as-of 2000-06-30`."""
    _written(lambda: _statements(deal, investor, as_of, letter, dated, str(output_format), out_dir, db, events,
                                 prices, set_, allow_broken_ledger), json_output)


def _statements(deal, investor, as_of, letter, dated, output_format, out_dir, db, events, prices, set_,
                allow_broken=False) -> list[Path]:
    from pipedeal.interfaces.shared import statement_html
    from pipedeal.outputs.documents import render_pdf

    if output_format not in ("pdf", "html"):
        raise InputError([Diagnostic("CLI-BAD-FORMAT", f"--format {output_format!r}: use pdf or html",
                                  "command line", field="--format")])
    inputs, evaluation = _evaluate(deal, db, as_of, events, prices, set_, allow_broken=allow_broken)
    today = dated or _today()
    investors = _chosen_investors(evaluation, investor)
    _output_dir(out_dir, "--out")
    kind = "ld-demand" if letter else "ld-statement"
    written = []
    with _progress("Statements", len(investors)) as advance:
        for who in investors:
            html = statement_html(inputs, evaluation, who, letter=letter, today=today)
            path = out_dir / f"{kind}-{evaluation.terms.deal.name}-{who}-{evaluation.as_of}.{output_format}"
            _write_file(path, render_pdf(html) if output_format == "pdf" else html.encode("utf-8"), "--out")
            _human().print(f"Wrote {escape(str(path))}", soft_wrap=True)
            written.append(path)
            advance()
    return written


StatusChoice = Enum("StatusChoice", {status: status for status in
                                     ("pending", "met", "missed", "waived", "not_applicable", "unconfirmed")})


def _many_deals(deal: str | None, all_deals: bool, db: str | None, day: dt.date, then, *,
                events: Path | None = None, prices: Path | None = None, allow_broken: bool = False,
                known_on: str | None = None, assignments: list[str] | None = None,
                ) -> tuple[list[tuple[str, Any]], list[Diagnostic]]:
    """The one way a command reads several deals: ``(name, then(evaluation))`` for each, and the
    findings of any broken ledger read anyway (``--allow-broken-ledger``), also printed on stderr.

    ``--deal`` names one deal, read as every command reads one (``--events``/``--prices`` files
    win, then the ledger, then a bundled deal or a terms file). Else every deal of the ledger
    (``--db``, $PIPEDEAL_DB, ./pipedeal.db), read in a handful of queries and, when many, on
    worker processes (``evaluate_ledger``: ``then`` must be a module-level function). With no
    ledger, the bundled FOCUS deal (``--all``: every bundled deal). ``known_on`` reads each
    history as recorded by then; ``assignments`` (--set) are one deal's readings, so they need
    ``--deal`` when the ledger holds several deals."""
    from pipedeal.deal.terms_file import DEFAULT_DEAL, bundled_deal_names
    from pipedeal.engine.evaluate import evaluate
    from pipedeal.storage.workspace import broken_ledger_warnings, calendars_for, default_db_url, evaluate_ledger

    if deal is not None and all_deals:
        raise InputError([Diagnostic("CLI-CONFLICTING-OPTIONS", "name one deal with --deal, or every deal with --all",
                                     "command line", field="--all")])
    url = db if db is not None else default_db_url()
    warnings: list[Diagnostic] = []
    if deal is None and url and events is None and assignments:
        from pipedeal.storage import ledger as store

        names = store.list_deals(_store_url(url))
        if len(names) > 1:
            raise InputError([Diagnostic("CLI-CONFLICTING-OPTIONS", f"--set gives one deal's readings; the ledger "
                                         f"holds {len(names)} deals ({', '.join(names)}): name one with --deal",
                                         "command line", field="--set")])
        deal = names[0] if names else None
    if deal is None and url and events is None:
        instant = _known_on(known_on)
        results = list(evaluate_ledger(_store_url(url), day, allow_broken_ledger=allow_broken, then=then,
                                       warn=lambda name, findings: warnings.extend(findings), known_on=instant))
        _print_warnings(broken_ledger_warnings(warnings))
        return results, warnings
    if deal is None:
        names = bundled_deal_names() if all_deals else [DEFAULT_DEAL]
        if events is not None and len(names) > 1:
            raise InputError([Diagnostic("CLI-CONFLICTING-OPTIONS", f"--events is one deal's log; {len(names)} "
                                         f"deals would read it ({', '.join(names)}): name one with --deal",
                                         "command line", field="--events")])
    else:
        names = [deal]
    results = []
    for name in names:
        inputs = _load(name, url or "", events, prices, allow_broken, known_on)
        warnings += inputs.ledger_warnings
        evaluation = evaluate(inputs.terms, inputs.events, inputs.quotes, calendars_for(inputs.terms), day,
                              _readings(assignments, inputs.terms))
        results.append((inputs.terms.deal.name, then(evaluation)))
    _print_warnings(broken_ledger_warnings(warnings))
    return results, warnings


def _known_party(parties: set[str], party: str | None, deals: int) -> None:
    """A --party must be a party of at least one deal read (else the list would be empty by mistake)."""
    if party is None or party in parties:
        return
    known = sorted(parties)
    shown = ", ".join(known[:20]) + (f", ... ({len(known)} in all)" if len(known) > 20 else "")
    raise InputError([Diagnostic("CLI-UNKNOWN-PARTY", f"no party {party!r} in "
                                 f"{'this deal' if deals == 1 else 'these deals'} (parties: {shown or 'none'})",
                                 "command line", field="--party")])


@app.command()
def obligations(
    deal: Annotated[str | None, typer.Option("--deal", help="One deal (a bundled name, a TERMS.toml, a ledger's "
                                                              "deal); default: every deal of the ledger.")] = None,
    all_deals: Annotated[bool, typer.Option("--all", help="Every deal of the ledger (without one: every bundled "
                                                          "deal).")] = False,
    from_: Annotated[dt.date | None, _date_option("--from", help="Only obligations due on or after this date.")] = None,
    to: Annotated[dt.date | None, _date_option("--to", help="Only obligations due on or before this date.")] = None,
    party: Annotated[str | None, typer.Option("--party", help="Only what this party owes or is owed.")] = None,
    status: Annotated[list[StatusChoice] | None, typer.Option("--status", help="Only this status (repeatable).")] \
        = None,
    as_of: AsOfOption = None,
    fail_on_overdue: Annotated[bool, typer.Option(
        "--fail-on-overdue", help="Exit 1 when an obligation listed is missed and not performed.")] = False,
    known_on: KnownOnOption = None,
    json_output: JsonOption = False,
    db: DbOption = None,
    events: EventsOption = None,
    prices: PricesOption = None,
    allow_broken_ledger: AllowBrokenOption = False,
) -> None:
    """Every obligation of every deal (RULES §5), by due date: party, owed to, clause, trigger, due, status,
    met on, and its computation. Record performance with obligation_met or the duty's own event, a waiver with
    waiver (signed by the parties it is owed to)."""
    from pipedeal.outputs.render import render_obligations
    from pipedeal.outputs.report import obligation_rows

    def compute():
        day = as_of or _today()
        if from_ and to and from_ > to:
            raise InputError([Diagnostic("CLI-BAD-DATE", f"--from {from_} is after --to {to}", "command line",
                                         field="--from")])
        results, warnings = _many_deals(deal, all_deals, db, day, obligation_rows, events=events, prices=prices,
                                        allow_broken=allow_broken_ledger, known_on=known_on)
        _known_party(set().union(*(parties for _, (_, parties) in results)), party, len(results))
        wanted = {choice.value for choice in status} if status else None
        rows = [row for _, (deal_rows, _) in results for row in deal_rows
                if not (from_ and row["due"] < from_.isoformat()) and not (to and row["due"] > to.isoformat())
                and not (party and party != row["party"] and party not in row["owed_to"])
                and not (wanted and row["status"] not in wanted)]
        rows.sort(key=lambda row: (row["due"], row["deal"], row["id"]))
        return day, rows, warnings

    day, rows, warnings = _run(compute)
    if json_output:
        data: dict[str, Any] = {"as_of": day.isoformat(), "obligations": rows}
        if known_on is not None:
            data["known_on"] = _known_on(known_on).isoformat()
        if warnings:
            data["ledger_warnings"] = [finding.as_dict() for finding in warnings]
        _print_json(data)
    else:
        render_obligations(out, rows, day.isoformat())
    if fail_on_overdue and any(row["status"] == "missed" and row["met_on"] is None for row in rows):
        raise typer.Exit(1)


@app.command()
def covenants(
    on: Annotated[dt.date, _date_option("--on", help="The day.")],
    deal: Annotated[str | None, typer.Option("--deal", help="One deal; default: every deal of the ledger.")] = None,
    known_on: KnownOnOption = None,
    json_output: JsonOption = False,
    db: DbOption = None,
    events: EventsOption = None,
    prices: PricesOption = None,
    allow_broken_ledger: AllowBrokenOption = False,
) -> None:
    """The covenants live on a day (RULES §5): SPA 6.9's window, the Effectiveness Period, the blackout cap's
    remaining days, W 14; each with its window and clause, and the obligations open that day."""
    import functools

    from pipedeal.outputs.render import render_covenants, render_obligations
    from pipedeal.outputs.report import covenant_rows

    def compute():
        results, _ = _many_deals(deal, False, db, on, functools.partial(covenant_rows, on), events=events,
                                 prices=prices, allow_broken=allow_broken_ledger, known_on=known_on)
        return (on, [row for _, (live, _) in results for row in live],
                [row for _, (_, pending) in results for row in pending])

    day, rows, open_rows = _run(compute)
    if json_output:
        _print_json({"on": day.isoformat(), "covenants": rows, "open_obligations": open_rows})
        return
    render_covenants(out, rows, day.isoformat())
    if open_rows:
        render_obligations(out, open_rows, day.isoformat())


@app.command()
def warrants(
    deal: DealOption = "focus-1999",
    as_of: AsOfOption = None,
    json_output: JsonOption = False,
    lineage: Annotated[str | None, typer.Option("--lineage", help="Show where this certificate came from.")] = None,
    db: DbOption = None,
    events: EventsOption = None,
    prices: PricesOption = None,
    allow_broken_ledger: AllowBrokenOption = False,
) -> None:
    """The warrant register (W 7(d)): every certificate, its holder, shares, Exercise Price,
    status and parent; the reserve (SPA 6.2, W 15); exercises and adjustments."""
    from pipedeal.outputs.report import to_json

    inputs, evaluation = _run(_evaluate, deal, db, as_of, events, prices, allow_broken=allow_broken_ledger)
    data = to_json(evaluation)
    if lineage is not None:
        known = {w["id"]: w for w in data["warrants"]}
        if lineage not in known:
            _fail([Diagnostic("CLI-UNKNOWN-WARRANT", f"no warrant {lineage!r} (register: {', '.join(known)})",
                           "command line", field="--lineage")])
    if json_output:
        keys = ("as_of", "warrants", "reservation", "exercises", "adjustments", "breaches")
        _print_json(_with_ledger_warnings({key: data[key] for key in keys}, inputs))
        return
    from pipedeal.outputs.render import render_lineage, render_warrants

    render_lineage(out, data, lineage) if lineage else render_warrants(out, data, inputs.terms)


@app.command()
def closing(
    deal: DealOption = "focus-1999",
    as_of: AsOfOption = None,
    json_output: JsonOption = False,
    db: DbOption = None,
    events: EventsOption = None,
    prices: PricesOption = None,
    allow_broken_ledger: AllowBrokenOption = False,
) -> None:
    """The Closing (SPA 2.1(b), 13.9): each condition and deliverable with its status, evidence and who; each
    investor's wires, the finder's fee for the investors it introduced, the net proceeds, and what is still open."""
    from pipedeal.outputs.report import to_json

    inputs, evaluation = _run(_evaluate, deal, db, as_of, events, prices, allow_broken=allow_broken_ledger)
    data = to_json(evaluation)
    if json_output:
        _print_json(_with_ledger_warnings({"deal": data["deal"], "as_of": data["as_of"], **data["closing"]}, inputs))
        return
    from pipedeal.outputs.render import render_closing

    render_closing(out, data, inputs.terms)


@app.command()
def notices(
    deal: Annotated[str | None, typer.Option(
        "--deal", help="A deal name or TERMS.toml path (default: every deal in the ledger, else focus-1999).")] = None,
    as_of: AsOfOption = None,
    json_output: JsonOption = False,
    db: DbOption = None,
    events: EventsOption = None,
    prices: PricesOption = None,
    set_: SetOption = None,
    known_on: KnownOnOption = None,
    allow_broken_ledger: AllowBrokenOption = False,
) -> None:
    """Every notice (SPA 12.1, RRA 8): sent, deemed effective for each recipient (the rule, its
    calendar and time zone), and what it started (a payment due, a blackout, a filing deadline)."""
    from pipedeal.outputs.render import render_notices
    from pipedeal.outputs.report import deal_notices

    def compute():
        day = as_of or _today()
        results, warnings = _many_deals(deal, False, db, day, deal_notices, events=events, prices=prices,
                                        allow_broken=allow_broken_ledger, known_on=known_on, assignments=set_)
        return day, results, warnings

    day, results, warnings = _run(compute)
    if json_output:
        data: dict[str, Any] = {"as_of": day.isoformat(),
                                "deals": [{"deal": name, "notices": rows} for name, (_, rows) in results]}
        if known_on is not None:
            data["known_on"] = _known_on(known_on).isoformat()
        if warnings:
            data["ledger_warnings"] = [finding.as_dict() for finding in warnings]
        _print_json(data)
        return
    for _, (terms, rows) in results:
        render_notices(out, terms, day.isoformat(), rows)


@app.command()
def exercise(
    warrant: Annotated[str, typer.Argument(metavar="W-ID", help="The certificate to exercise, e.g. W-1.")],
    shares: Annotated[str, typer.Option("--shares", help="Warrant shares to exercise (a balance may be fractional).")],
    method: Annotated[Method, typer.Option("--method", help="cash or cashless.")],
    date: Annotated[dt.date, _date_option("--date", help="The exercise (election) date.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the figures; record nothing.")] = False,
    deal: Annotated[str, typer.Option("--deal", help="The deal's name in the ledger.")] = "focus-1999",
    db: DbOption = None,
    allow_broken_ledger: AllowBrokenOption = False,
    json_output: JsonOption = False,
) -> None:
    """Exercise a warrant (W 3): validate, show what is paid and received by cash and by cashless exercise (with
    the W 4 fraction cash), and record the event; e.g. `pipedeal exercise W-1 --shares 1000 --method cashless
    --date 2000-06-01 --dry-run`."""
    _json_mode(json_output)
    done = _run(_exercise, warrant, shares, str(method), date, dry_run, deal, db, allow_broken_ledger)
    if json_output:
        _print_json(done)


def _exercise(warrant: str, shares: str, method: str, date: dt.date, dry_run: bool, deal: str, db: str | None,
              allow_broken: bool = False) -> dict[str, Any]:
    from pipedeal.interfaces.shared import exercise_outcomes
    from pipedeal.outputs.render import render_exercise_choices
    from pipedeal.storage.workspace import calendars_for

    url = _store_url(db)
    inputs = _load(deal, url, None, None, allow_broken)
    if not inputs.events_source.startswith("ledger"):
        raise InputError([Diagnostic("WORKSPACE-MISSING", f"deal {deal} is not in the ledger {url}: run "
                                  "`pipedeal init` first", "command line", field="--deal")])
    calendars = calendars_for(inputs.terms)
    outcomes = exercise_outcomes(inputs, calendars, warrant, shares, date.isoformat())
    if method not in outcomes:
        raise InputError([Diagnostic("CLI-BAD-METHOD", f"--method {method!r}: use cash or cashless", "command line",
                                  field="--method")])
    render_exercise_choices(_human(), outcomes, method)
    event, _, problems = outcomes[method]
    if problems:
        raise InputError(problems)
    from pipedeal.outputs.report import exercise_json

    done = {"warrant": warrant, "method": method, "recorded": False,
            "outcomes": {way: {"figures": None if result is None else exercise_json(result),
                               "refused": [problem.as_dict() for problem in refused or ()]}
                         for way, (_, result, refused) in outcomes.items()}}
    if dry_run:
        _human().print("[dim]--dry-run: nothing recorded.[/]")
        return done
    from pipedeal.storage.recording import record_events

    record_events(url, deal, [("command line", None, event)], allow_duplicates=True)
    _human().print(f"Recorded the {method} exercise of {warrant}.")
    return {**done, "recorded": True}


FormatOption = Annotated[DocumentFormat, typer.Option("--format", help="pdf, html or docx.")]
OutOption = Annotated[Path, typer.Option("--out", help="Directory to write into.")]


def _write_document(kind: str, name: str, output_format: str, out_dir: Path, html_of, docx_of) -> Path:
    from pipedeal.outputs.documents import render_pdf

    output_format = str(output_format)
    try:
        if output_format == "docx":
            data = docx_of()
        else:
            html = html_of()
            data = render_pdf(html) if output_format == "pdf" else html.encode("utf-8")
    except ValueError as exc:
        raise InputError([Diagnostic("DOCUMENT-REFUSED", str(exc), "command line")]) from None
    _output_dir(out_dir, "--out")
    path = out_dir / f"{kind}-{name}.{output_format}"
    _write_file(path, data, "--out")
    _human().print(f"Wrote {escape(str(path))}", soft_wrap=True)
    return path


@documents_app.command("exercise")
def documents_exercise(
    warrant: Annotated[str, typer.Argument(metavar="W-ID")],
    shares: Annotated[str, typer.Option("--shares", help="Warrant shares to exercise.")],
    method: Annotated[Method, typer.Option("--method", help="cash or cashless.")],
    date: Annotated[dt.date, _date_option("--date", help="The exercise date.")],
    deal: DealOption = "focus-1999",
    output_format: FormatOption = "pdf",
    out_dir: OutOption = Path("."),
    db: DbOption = None,
    events: EventsOption = None,
    prices: PricesOption = None,
    allow_broken_ledger: AllowBrokenOption = False,
    json_output: JsonOption = False,
) -> None:
    """The Notice of Exercise (W 3), prefilled from the register with the figures, e.g. `pipedeal documents
    exercise W-1 --shares 1000 --method cash --date 2000-06-01 --format docx`."""
    def build() -> list[Path]:
        from pipedeal.outputs.documents.warrant_forms import exercise_notice_docx, exercise_notice_html

        evaluation, result, note = _exercise_preview(deal, db, events, prices, warrant, shares, str(method), date,
                                                     allow_broken_ledger)
        return [_write_document("notice-of-exercise", f"{warrant}-{result.date}-{method}", output_format, out_dir,
                                lambda: exercise_notice_html(evaluation, result, data_note=note),
                                lambda: exercise_notice_docx(evaluation, result, data_note=note))]

    _written(build, json_output)


def _exercise_preview(deal, db, events, prices, warrant, shares, method, date, allow_broken=False):
    """The exercise as recorded in the ledger, or as it would be if recorded now."""
    from pipedeal.engine.evaluate import evaluate
    from pipedeal.interfaces.shared import exercise_preview
    from pipedeal.storage.workspace import calendars_for

    inputs = _load(deal, db, events, prices, allow_broken)
    calendars = calendars_for(inputs.terms)
    evaluation = evaluate(inputs.terms, inputs.events, inputs.quotes, calendars, date)
    return exercise_preview(inputs, evaluation, calendars, warrant, shares, method, date.isoformat())


@documents_app.command("assignment")
def documents_assignment(
    warrant: Annotated[str, typer.Argument(metavar="W-ID")],
    to: Annotated[str, typer.Option("--to", help="The assignee (a party id of the terms file).")],
    shares: Annotated[str, typer.Option("--shares", help="Warrant shares assigned.")],
    date: Annotated[dt.date, _date_option("--date", help="The date of the assignment.")],
    deal: DealOption = "focus-1999",
    output_format: FormatOption = "pdf",
    out_dir: OutOption = Path("."),
    db: DbOption = None,
    events: EventsOption = None,
    prices: PricesOption = None,
    allow_broken_ledger: AllowBrokenOption = False,
    json_output: JsonOption = False,
) -> None:
    """The Assignment Form (W 1, W 7), prefilled from the register, e.g. `pipedeal documents assignment W-1
    --to roseworth --shares 5000 --date 2000-06-01`."""
    def build() -> list[Path]:
        from pipedeal.interfaces.shared import share_number
        from pipedeal.outputs.documents.warrant_forms import assignment_form_docx, assignment_form_html

        inputs, evaluation = _evaluate(deal, db, date, events, prices, allow_broken=allow_broken_ledger)
        day, count = date, share_number(shares)
        note = " ".join([f"Events: {inputs.events_source}.", *inputs.warning_lines()])
        return [_write_document("assignment-form", f"{warrant}-to-{to}-{day}", output_format, out_dir,
                                lambda: assignment_form_html(evaluation, warrant, to, count, day, data_note=note),
                                lambda: assignment_form_docx(evaluation, warrant, to, count, day, data_note=note))]

    _written(build, json_output)


@documents_app.command("adjustments")
def documents_adjustments(
    deal: DealOption = "focus-1999",
    holder: Annotated[str | None, typer.Option("--holder", help="One holder's notice (a party id).")] = None,
    as_of: AsOfOption = None,
    dated: Annotated[dt.date | None, _date_option(
        "--date", help="The notices' date (default: each adjustment's own date, W 13 'promptly').")] = None,
    output_format: FormatOption = "pdf",
    out_dir: OutOption = Path("."),
    db: DbOption = None,
    events: EventsOption = None,
    prices: PricesOption = None,
    allow_broken_ledger: AllowBrokenOption = False,
    json_output: JsonOption = False,
) -> None:
    """Every Notice of Adjustment (W 13) of the deal up to the date, e.g. `pipedeal documents adjustments
    --holder raptor --as-of 2001-01-01`."""
    def build() -> list[Path]:
        from pipedeal.deal.clauses import cite_all
        from pipedeal.outputs.documents.warrant_forms import adjustment_notice_docx, adjustment_notice_html

        inputs, evaluation = _evaluate(deal, db, as_of, events, prices, allow_broken=allow_broken_ledger)
        note = " ".join(inputs.warning_lines()) or None
        if not evaluation.adjustments:
            _human().print(f"No adjustment ({cite_all(inputs.terms, 'W 11', 'W 12')}) by this date: no notice "
                           "to write.")
        written = []
        for notice in evaluation.adjustments:
            name = f"{notice.kind}-{notice.date}" + (f"-{holder}" if holder else "")
            written.append(_write_document(
                "notice-of-adjustment", name, output_format, out_dir,
                lambda n=notice: adjustment_notice_html(evaluation, n, holder, today=dated or n.date, data_note=note),
                lambda n=notice: adjustment_notice_docx(evaluation, n, holder, today=dated or n.date,
                                                        data_note=note)))
        return written

    _written(build, json_output)


@documents_app.command("closing-statement")
def documents_closing_statement(
    deal: DealOption = "focus-1999",
    as_of: AsOfOption = None,
    output_format: FormatOption = "pdf",
    out_dir: OutOption = Path("."),
    db: DbOption = None,
    events: EventsOption = None,
    prices: PricesOption = None,
    allow_broken_ledger: AllowBrokenOption = False,
    json_output: JsonOption = False,
) -> None:
    """The closing statement (SPA 2.1, 13.9): the funds-flow memo (each wire, the finder's fee, the net proceeds)
    and the conditions and deliveries checklist, e.g. `pipedeal documents closing-statement --format docx`."""
    def build() -> list[Path]:
        from pipedeal.outputs.documents.closing_statement import closing_statement_docx, closing_statement_html

        inputs, evaluation = _evaluate(deal, db, as_of, events, prices, allow_broken=allow_broken_ledger)
        note = " ".join([f"Events: {inputs.events_source}.", *inputs.warning_lines()])
        return [_write_document("closing-statement", f"{evaluation.terms.deal.name}-{evaluation.as_of}",
                                output_format, out_dir,
                                lambda: closing_statement_html(evaluation, data_note=note),
                                lambda: closing_statement_docx(evaluation, data_note=note))]

    _written(build, json_output)


def _written(build, json_output: bool) -> None:
    """Run a command that writes files; with --json, list them as one JSON document."""
    _json_mode(json_output)
    written = _run(build)
    if json_output:
        _print_json({"written": [str(path) for path in written]})


def _export_tables_command(kind: str, example: str):
    def command(
        directory: Annotated[Path, typer.Argument(metavar="DIR", help="The directory to write into.")],
        deal: DealOption = "focus-1999",
        as_of: AsOfOption = None,
        db: DbOption = None,
        events: EventsOption = None,
        prices: PricesOption = None,
        set_: SetOption = None,
        allow_broken_ledger: AllowBrokenOption = False,
        known_on: KnownOnOption = None,
        json_output: JsonOption = False,
    ) -> None:
        _export_tables(kind, directory, deal, as_of, db, events, prices, set_, allow_broken_ledger, known_on,
                       json_output)

    command.__doc__ = ("The LD schedule (a row per rate segment), LD totals, the fully diluted capitalization with "
                       f"percentages, the warrant register and the obligations: {example}")
    return command


export_app.command("csv")(_export_tables_command("csv", "one CSV file per table, e.g. `pipedeal export csv out/`."))
export_app.command("xlsx")(_export_tables_command(
    "xlsx", "one workbook, a sheet per table, e.g. `pipedeal export xlsx out/`."))


def _export_tables(kind, directory, deal, as_of, db, events, prices, set_, allow_broken_ledger, known_on,
                   json_output) -> None:
    def build() -> list[Path]:
        from pipedeal.outputs.explain import explain_json
        from pipedeal.outputs.report import obligation_rows, to_json
        from pipedeal.outputs.tables import deal_tables, write_tables

        _, evaluation = _evaluate(deal, db, as_of, events, prices, set_, allow_broken=allow_broken_ledger,
                                  known_on=known_on)
        investors = [inv.id for inv in evaluation.terms.investors]
        explained = explain_json(evaluation, investors, True)["explanations"]
        names = {party.id: party.name for party in (*evaluation.terms.investors, *evaluation.terms.parties)}
        tables = deal_tables(to_json(evaluation), explained, obligation_rows(evaluation)[0], names)
        _output_dir(directory, "DIR")
        stem = f"{evaluation.terms.deal.name}-{evaluation.as_of}"
        try:
            written = write_tables(tables, directory, stem, kind, evaluation.terms.deal.title)
        except OSError as exc:
            raise InputError([Diagnostic("OUTPUT-PATH", f"cannot write into {str(directory)!r}: "
                                         f"{exc.strerror or exc}", "command line", field="DIR")]) from None
        for path in written:
            _human().print(f"Wrote {escape(str(path))}", soft_wrap=True)
        return written

    _written(build, json_output)


@export_app.command("ocf")
def export_ocf(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="The directory to write the OCF files into.")],
    deal: DealOption = "focus-1999",
    as_of: AsOfOption = None,
    schemas: Annotated[Path | None, typer.Option(
        "--schemas", help="OCF schemas to validate against (default $PIPEDEAL_OCF_DIR, ../shared/ocf).")] = None,
    db: DbOption = None,
    events: EventsOption = None,
    prices: PricesOption = None,
    allow_broken_ledger: AllowBrokenOption = False,
    json_output: JsonOption = False,
) -> None:
    """The deal as an Open Cap Format 1.2 package, validated offline against the official schemas."""
    _json_mode(json_output)

    def build() -> dict[str, Any]:
        from pipedeal.outputs.ocf import OcfExportError, default_schema_dir, validate_bundle, write_bundle

        _, evaluation = _evaluate(deal, db, as_of, events, prices, allow_broken=allow_broken_ledger)
        _output_dir(directory, "DIR")
        try:
            written = write_bundle(evaluation, directory)
        except OcfExportError as exc:
            raise InputError([Diagnostic("OCF-EXPORT", str(exc))]) from None
        except OSError as exc:
            raise InputError([Diagnostic("OUTPUT-PATH", f"cannot write into {str(directory)!r}: "
                                         f"{exc.strerror or exc}", "command line", field="DIR")]) from None
        for path in written:
            _human().print(f"Wrote {escape(str(path))}", soft_wrap=True)
        done: dict[str, Any] = {"written": [str(path) for path in written], "validated_against": None}
        schema_dir = schemas or default_schema_dir()
        if schema_dir is None:
            _human().print("[yellow]No OCF schemas found (--schemas or $PIPEDEAL_OCF_DIR): not validated.[/]")
            return done
        errors = validate_bundle(directory, schema_dir)
        if errors:
            raise InputError([Diagnostic("OCF-INVALID", message, str(directory)) for message in errors])
        _human().print(f"[green]Valid Open Cap Format against the schemas in {escape(str(schema_dir))}.[/]",
                       soft_wrap=True)
        return {**done, "validated_against": str(schema_dir)}

    done = _run(build)
    if json_output:
        _print_json(done)


@app.command()
def calendar(
    out_file: Annotated[Path, typer.Option("--out", help="The .ics file to write (its folder must exist).")],
    deal: Annotated[str | None, typer.Option(
        "--deal", help="One deal: in the ledger, else a bundled deal name or a TERMS.toml path. "
        "Default: every deal of the ledger.")] = None,
    all_deals: Annotated[bool, typer.Option("--all", help="Every deal of the ledger (the default; with no ledger, "
                                                          "every bundled deal).")] = False,
    party: Annotated[str | None, typer.Option("--party", help="Only the obligations of this party (id).")] = None,
    as_of: AsOfOption = None,
    known_on: KnownOnOption = None,
    json_output: JsonOption = False,
    db: DbOption = None,
    allow_broken_ledger: AllowBrokenOption = False,
) -> None:
    """Every obligation as an all-day calendar event (RFC 5545 .ics) with its computation and a reminder
    5 business days before, on the obligated party's calendar; re-importing updates, never duplicates."""
    from pipedeal.outputs.calendar import calendar_ics, deal_calendar, entries

    def build():
        day = as_of or _today()
        results, _ = _many_deals(deal, all_deals, db, day, deal_calendar, allow_broken=allow_broken_ledger,
                                 known_on=known_on)
        views = [view for _, view in results]
        _known_party({p for view in views for p in view.parties}, party, len(views))
        data = calendar_ics(views, party)
        _output_file(out_file, "--out")
        _write_file(out_file, data, "--out")
        return views, entries(views, party)

    views, listed = _run(build)
    if json_output:
        _print_json({
            "file": str(out_file), "as_of": views[0].as_of.isoformat() if views else None,
            "deals": [view.deal for view in views], "party": party,
            "events": [entry.as_dict() for entry in listed]})
        return
    out.print(f"Wrote {escape(str(out_file))}: {len(listed)} obligation(s) of {len(views)} deal(s)"
              + (f", party {escape(party)}" if party else "") + ".")


@app.command()
def init(
    deal: DealOption = "focus-1999",
    db: DbOption = None,
    empty: Annotated[bool, typer.Option(help="Do not import a bundled deal's events and quotes.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Create the ledger database (Alembic migrations) and register the deal."""
    _json_mode(json_output)
    done = _run(_init, deal, db, empty)
    if json_output:
        _print_json(done)


def _init(deal: str, db: str | None, empty: bool) -> dict[str, Any]:
    from pipedeal.storage import ledger as store
    from pipedeal.storage.database import shown
    from pipedeal.storage.workspace import resolve_terms

    terms, text, source, bundle = resolve_terms(deal)
    url = _store_url(db)
    created = store.init_workspace(url, terms.deal.name, text)
    if created:
        _human().print(f"Ledger [bold]{escape(shown(url))}[/] holds deal [bold]{terms.deal.name}[/] "
                       f"({escape(source)}).", soft_wrap=True)
    else:
        _human().print(f"Deal [bold]{terms.deal.name}[/] is already registered in ledger [bold]{escape(shown(url))}"
                       "[/] with these terms: nothing to do.", soft_wrap=True)
    quotes = events = 0
    if bundle is not None and not empty:
        # Only into an empty ledger: a concurrent init may have recorded the bundled log first. Quotes
        # first: the events are checked against them (a Closing priced from the quotes, as meridian's is).
        quotes = _import_quotes(url, terms.deal.name, bundle / "quotes.csv", if_empty=True)
        events = _import_events(url, terms.deal.name, bundle / "events.jsonl", if_empty=True)
    return {"deal": terms.deal.name, "ledger": shown(url), "registered": created, "terms": source,
            "quotes_recorded": quotes, "events_recorded": events}


def _import_events(url: str, deal: str, path: Path, allow_duplicates: bool = False, if_empty: bool = False) -> int:
    from pipedeal.storage.recording import record_events
    from pipedeal.storage.workspace import read_event_file

    located = [(item.file, item.line, item.event) for item in read_event_file(path)]
    with _progress(f"Checking and recording {len(located):,} events", None if len(located) > 1000 else 0):
        count = record_events(url, deal, located, allow_duplicates=allow_duplicates, if_empty=if_empty)
    if count or not if_empty:
        _human().print(f"Recorded {count} event(s) from {escape(str(path))}.", soft_wrap=True)
    return count


def _import_quotes(url: str, deal: str, path: Path, if_empty: bool = False) -> int:
    from pipedeal.storage import ledger as store
    from pipedeal.storage.workspace import read_quote_file

    book = read_quote_file(path)
    count = store.import_quotes(url, deal, book.quotes(), if_empty=if_empty)
    if count or not if_empty:
        _human().print(f"Recorded {count} quote day(s) from {escape(str(path))}.", soft_wrap=True)
    return count


@events_app.command("import")
def events_import(
    file: Annotated[Path, typer.Argument(help="A JSON Lines event file.")],
    deal: Annotated[str, typer.Option("--deal", help="The deal's name in the ledger.")] = "focus-1999",
    db: DbOption = None,
    allow_duplicates: Annotated[bool, typer.Option(
        "--allow-duplicates", help="Record events that are already in the ledger again.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Append every event of a file, all or nothing; a file repeating a recorded event is refused."""
    _json_mode(json_output)
    count = _run(lambda: _import_events(_store_url(db), deal, file, allow_duplicates))
    if json_output:
        _print_json({"deal": deal, "file": str(file), "events_recorded": count, "head": _head(db, deal)})


def _head(db: str | None, deal: str) -> dict[str, Any]:
    """The deal's ledger head after a write (what `pipedeal ledger anchor` prints), for --json."""
    from pipedeal.storage import ledger as store

    head = _run(lambda: store.anchor(_store_url(db), deal))
    return {"seq": head.seq, "hash": head.hash, "anchor": str(head)}


@events_app.command("add")
def events_add(
    event_type: Annotated[str, typer.Argument(metavar="TYPE", help="The event type, e.g. shares_sold.")],
    fields: Annotated[
        list[str] | None,
        typer.Argument(metavar="FIELD=VALUE...", help="e.g. date=2000-03-01 investor=raptor shares=1000"),
    ] = None,
    deal: Annotated[str, typer.Option("--deal", help="The deal's name in the ledger.")] = "focus-1999",
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Append one event given as TYPE FIELD=VALUE ..., e.g. `pipedeal events add shares_sold date=2000-03-01
    investor=raptor shares=1000`."""
    _json_mode(json_output)
    event = _run(_add_event, event_type, fields or [], deal, db)
    if json_output:
        from pipedeal.engine.events import event_to_json

        _print_json({"deal": deal, "events_recorded": 1, "event": event_to_json(event), "head": _head(db, deal)})


def _add_event(event_type: str, fields: list[str], deal: str, db: str | None):
    from decimal import Decimal

    from pipedeal.engine.events import parse_events
    from pipedeal.storage.recording import record_events

    data: dict[str, Any] = {"type": event_type}
    for assignment in fields:
        key, sep, raw = assignment.partition("=")
        if not sep:
            raise InputError([Diagnostic("CLI-BAD-FIELD", f"{assignment!r}: write FIELD=VALUE",
                                      "command line", None, assignment)])
        if key == "type":
            raise InputError([Diagnostic(
                "CLI-BAD-FIELD", f"{assignment!r}: the event's type is the first argument (here {event_type!r}), "
                "not a FIELD=VALUE", "command line", None, "type")])
        try:
            value: Any = json.loads(raw, parse_float=Decimal)
        except json.JSONDecodeError:
            value = raw
        except RecursionError:
            raise InputError([Diagnostic("CLI-BAD-FIELD", f"{key}: the value is nested too deeply",
                                         "command line", None, key)]) from None
        data["from" if key == "from" else key] = value
    line = json.dumps(data, default=str)
    parsed = parse_events(line, "command line")
    located = [("command line", None, event) for _, event in parsed]
    record_events(_store_url(db), deal, located, allow_duplicates=True)
    _human().print(f"Recorded 1 {event_type} event.")
    return located[0][2]


@events_app.command("list")
def events_list(
    deal: Annotated[str, typer.Option("--deal", help="The deal's name in the ledger.")] = "focus-1999",
    db: DbOption = None,
    json_output: JsonOption = False,
    allow_broken_ledger: AllowBrokenOption = False,
) -> None:
    """The ledger's events in recorded order, with their hashes (refused if the ledger does not verify)."""
    from pipedeal.engine.events import event_to_json

    rows = _run(_listed_events, deal, db, allow_broken_ledger)
    if json_output:
        payload = [{"seq": row.seq, "recorded_at": row.recorded_at.isoformat(),
                    **({"claimed_recorded_at": row.claimed_recorded_at.isoformat()} if row.claimed_recorded_at
                       else {}),
                    **({"recorded_by": row.recorded_by} if row.recorded_by else {}),
                    "hash": row.hash, "event": event_to_json(row.event)} for row in rows]
        _print_json(payload)
        return
    table = Table(title=f"Ledger of {deal}: {len(rows)} event(s)")
    by_web = any(row.recorded_by for row in rows)  # the column only when a web user wrote any row
    for column in ("#", "date", "type", "details", "source", "recorded", *(("by",) if by_web else ()), "hash"):
        table.add_column(column)
    for row in rows:
        data = event_to_json(row.event)
        details = ", ".join(f"{k}={v}" for k, v in data.items()
                            if k not in {"type", "date", "source", "note", "recorded_at"})
        table.add_row(str(row.seq), data["date"], data["type"], escape(details), escape(data.get("source", "")),
                      row.recorded_at.strftime("%Y-%m-%d %H:%M"),
                      *((escape(row.recorded_by or "command line"),) if by_web else ()), row.hash[:12])
    out.print(table)


def _listed_events(deal: str, db: str | None, allow_broken: bool):
    """The deal's stored events, refused (or, allowed, warned about) when the ledger does not verify."""
    from pipedeal.storage import ledger as store
    from pipedeal.storage.workspace import broken_ledger_warnings, refuse_broken_ledger

    url = _store_url(db)
    loaded = store.load_deal(url, deal)
    if not allow_broken:
        refuse_broken_ledger(deal, url, loaded.findings)
    _print_warnings(broken_ledger_warnings(loaded.findings))
    return loaded.events


@prices_app.command("import")
def prices_import(
    file: Annotated[Path, typer.Argument(help="A quote CSV: date and any of open,high,low,close,bid,ask,volume.")],
    deal: Annotated[str, typer.Option("--deal", help="The deal's name in the ledger.")] = "focus-1999",
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Import daily quotes (decimals or 1999 fractions such as 1 13/16), all or nothing."""
    _json_mode(json_output)
    count = _run(lambda: _import_quotes(_store_url(db), deal, file))
    if json_output:
        _print_json({"deal": deal, "file": str(file), "quote_days_recorded": count})


@app.command()
def verify(
    deal: Annotated[str | None, typer.Option("--deal", help="Only this deal.")] = None,
    db: DbOption = None,
    anchor: Annotated[str | None, typer.Option(
        "--anchor", help="A head printed by `pipedeal ledger anchor` (SEQ:HASH, HASH, or the whole line): "
        "the ledger must still contain it.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Recompute the ledger's hash chain and check the terms and quotes against theirs; report edited,
    deleted, reordered or inserted rows, and a ledger rolled back behind --anchor."""
    from pipedeal.storage import ledger as store

    def check():
        url = _store_url(db)
        if anchor is None:
            return store.verify(url, deal)
        named, seq, digest = _parse_anchor(anchor)
        if deal is not None and named is not None and named != deal:
            raise InputError([Diagnostic("CLI-BAD-ANCHOR", f"the anchor is of deal {named!r}, not {deal!r}",
                                         "command line", field="--anchor")])
        target = deal or named
        if target is None:
            deals = store.list_deals(url)
            if len(deals) != 1:
                raise InputError([Diagnostic("CLI-BAD-ANCHOR", "name the deal the anchor is of with --deal "
                                             f"(this ledger holds {', '.join(deals) or 'no deal'})",
                                             "command line", field="--anchor")])
            target = deals[0]
        return store.verify(url, target, anchor=(seq, digest))

    findings = _run(check)
    if json_output:
        _print_json({"verified": not findings, "findings": [finding.as_dict() for finding in findings]})
        if findings:
            raise typer.Exit(1)
        return
    if not findings:
        out.print("[green]Ledger verified: every row matches its hash chain; the terms and quotes match "
                  "theirs[/]" + ("[green], and the anchor is in the chain.[/]" if anchor else "[green].[/]"))
        return
    for finding in findings:
        err.print(f"[red]{finding.code}[/] {escape(finding.where())}: {escape(finding.message)}")
    raise typer.Exit(1)


def _parse_anchor(text: str) -> tuple[str | None, int | None, str]:
    """``focus-1999 seq 5 sha256:HEX``, ``5:sha256:HEX``, ``5:HEX`` or ``HEX`` as (deal, seq, hash)."""
    import re

    match = re.fullmatch(r"\s*(?:(?P<deal>\S+)\s+seq\s+(?P<seq1>\d+)\s+|(?P<seq2>\d+):)?"
                         r"(?:sha256:)?(?P<hash>[0-9a-fA-F]{64})\s*", text)
    if match is None:
        raise InputError([Diagnostic(
            "CLI-BAD-ANCHOR", f"{text!r} is not an anchor: give SEQ:HASH (the 64 hex digits of a sha256) or "
            "the line `pipedeal ledger anchor` printed", "command line", field="--anchor")])
    seq = match.group("seq1") or match.group("seq2")
    return match.group("deal"), None if seq is None else int(seq), match.group("hash").lower()


@ledger_app.command("anchor")
def ledger_anchor(
    deal: Annotated[str, typer.Option("--deal", help="The deal's name in the ledger.")] = "focus-1999",
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Print the deal's head (seq and hash). Keep it outside the database: `pipedeal verify --anchor`
    later shows whether the ledger was rolled back behind it, which nothing inside can show."""
    if json_output:
        _print_json({"deal": deal, **_head(db, deal)})
        return
    from pipedeal.storage import ledger as store

    head = _run(lambda: store.anchor(_store_url(db), deal))
    sys.stdout.write(f"{head}\n")


@schema_app.command("events")
def schema_events() -> None:
    """The JSON Schema of one line of an event file."""
    from pipedeal.engine.events import event_json_schema

    _print_json(event_json_schema())


@schema_app.command("terms")
def schema_terms() -> None:
    """The JSON Schema of a terms file (the PIPE terms language), each key with its meaning."""
    from pipedeal.deal.terms_schema import terms_json_schema

    _print_json(terms_json_schema())


@terms_app.command("check")
def terms_check(
    path: Annotated[Path, typer.Argument(help="The terms file (TOML).", exists=False)],
    json_output: JsonOption = False,
) -> None:
    """Every missing, unknown, out-of-range or inconsistent key of a terms file, in the order
    of its lines, each with its line and clause kind; exit 2 when there is any."""
    from pipedeal.deal.terms_file import check_terms

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail([Diagnostic("TERMS-UNREADABLE", f"cannot read the terms file: {exc}", str(path))])
    terms, problems = check_terms(text, str(path))
    if json_output:
        _print_json({"file": str(path), "complete": not problems,
                                   "problems": [problem.as_dict() for problem in problems]})
    elif problems:
        err.print(f"[bold red]{escape(str(path))}: {len(problems)} problem(s)[/]")
        for problem in problems:
            err.print(f"  [red]line {problem.line or '?'}[/], {escape(problem.field or '')}: "
                      f"{escape(problem.message)} [dim]\\[{escape(problem.code)}][/]", soft_wrap=True)
    else:
        assert terms is not None
        out.print(f"{escape(str(path))}: a complete deal, {escape(terms.deal.name)}: "
                  f"{len(terms.investors)} investor(s), {len(terms.ambiguities)} ambiguit"
                  f"{'y' if len(terms.ambiguities) == 1 else 'ies'}, {len(terms.quotes)} quotation(s)")
    if problems:
        raise typer.Exit(2)


@terms_app.command("keys")
def terms_keys(
    markdown: Annotated[bool, typer.Option("--markdown", help="docs/terms.md, as Markdown.")] = False,
) -> None:
    """Every key of the terms language: its values, its meaning and an example from a bundled deal."""
    from pipedeal.deal.terms_file import BUNDLED_DEALS, bundled_deal_names
    from pipedeal.deal.terms_schema import key_reference, reference_document

    deals = {name: (BUNDLED_DEALS / name / "terms.toml").read_text(encoding="utf-8") for name in bundled_deal_names()}
    if markdown:
        sys.stdout.write(reference_document(deals))
        return
    table = Table(title="The PIPE terms language (pipedeal schema terms: the JSON Schema)")
    for column in ("key", "values", "meaning", "example"):
        table.add_column(column, overflow="fold")
    for row in key_reference(deals):
        table.add_row(escape(row.key), escape(row.values), escape(row.meaning),
                      escape("; ".join(f"{value} ({deal})" for deal, value in row.examples[:1])))
    out.print(table)


@app.command()
def codes(json_output: JsonOption = False,
          markdown: Annotated[bool, typer.Option("--markdown", help="docs/codes.md, as Markdown.")] = False) -> None:
    """Every diagnostic code pipedeal reports, with its severity, stage and meaning."""
    from pipedeal.base.diagnostics import CATALOGUE, catalogue_markdown

    if markdown:
        sys.stdout.write(catalogue_markdown())
        return
    if json_output:
        _print_json([{"code": c.code, "severity": c.severity, "stage": c.stage, "meaning": c.meaning}
                                   for c in CATALOGUE])
        return
    table = Table(title="Diagnostic codes (error: nothing is computed or written; breach: a party failed a duty)")
    for column in ("code", "severity", "stage", "meaning"):
        table.add_column(column, overflow="fold")
    for entry in CATALOGUE:
        table.add_row(entry.code, entry.severity, entry.stage, escape(entry.meaning))
    out.print(table)
    from pipedeal.base.diagnostics import EXIT_CODES

    exits = Table(title="Exit codes")
    exits.add_column("code")
    exits.add_column("meaning", overflow="fold")
    for code, meaning in EXIT_CODES:
        exits.add_row(str(code), escape(meaning))
    out.print(exits)


@app.command()
def clauses(json_output: JsonOption = False) -> None:
    """Every operative clause of the FOCUS agreement, with the rule and tests that implement it."""
    from pipedeal.deal.clauses import CLAUSES, deal_words
    from pipedeal.deal.terms_file import DEFAULT_DEAL
    from pipedeal.storage.workspace import resolve_terms

    words = deal_words(_run(resolve_terms, DEFAULT_DEAL)[0])
    if json_output:
        _print_json([clause.as_dict(words) for clause in CLAUSES])
        return
    table = Table(title="Operative clauses of the FOCUS agreement", show_lines=False)
    for column in ("clause", "what", "text", "rule", "tests"):
        table.add_column(column, overflow="fold")
    for clause in CLAUSES:
        table.add_row(escape(clause.id), clause.kind, escape(clause.text(words)), clause.rule or "[yellow]not yet[/]",
                      "\n".join(clause.tests) or "[yellow]not yet[/]")
    out.print(table)


class Role(StrEnum):
    company = "company"
    investor = "investor"
    counsel = "counsel"
    admin = "admin"


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Argument(help="The user's email: how it signs in.")],
    role: Annotated[Role, typer.Option("--role", help="What the user sees: company and counsel a whole deal, an "
                                       "investor only its own, an admin every deal.")],
    deal: Annotated[str | None, typer.Option("--deal", help="The deal the user sees (not for an admin).")] = None,
    investor: Annotated[str | None, typer.Option(
        "--investor", help="For an investor user: its investor id in the deal.")] = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from one line of standard input.")] = False,
    db: DbOption = None,
) -> None:
    """Add a user of the web workspace, e.g. `echo "$PW" | pipedeal users add cfo@focus.example --role company
    --deal focus-1999 --password-stdin`."""
    from pipedeal.storage import accounts

    def add() -> None:
        if not password_stdin:
            raise InputError([Diagnostic("USER-PASSWORD", "give the password on standard input with --password-stdin "
                                         "(never on the command line, where other users can read it)",
                                         "command line", field="--password-stdin")])
        password = sys.stdin.readline().rstrip("\r\n")
        accounts.add_user(_store_url(db), email, role.value, password, deal, investor)

    _run(add)
    err.print(f"Added {escape(accounts.normal_email(email))} as {role.value}"
              + (f" of {escape(deal)}" if deal else "") + (f" (investor {escape(investor)})" if investor else "") + ".")


@users_app.command("grant")
def users_grant(
    email: Annotated[str, typer.Argument(help="An existing user's email.")],
    deal: Annotated[str, typer.Option("--deal", help="One more deal the user sees.")],
    investor: Annotated[str | None, typer.Option("--investor", help="For an investor user: its id there.")] = None,
    db: DbOption = None,
) -> None:
    """Let an existing user see one more deal (a fund in several PIPEs, a firm on several deals)."""
    from pipedeal.storage import accounts

    _run(accounts.grant, _store_url(db), email, deal, investor)
    err.print(f"{escape(accounts.normal_email(email))} now sees {escape(deal)}.")


@users_app.command("list")
def users_list(db: DbOption = None, json_output: JsonOption = False) -> None:
    """Every user, its role and the deals it sees."""
    from pipedeal.storage import accounts

    users = _run(accounts.list_users, _store_url(db))
    if json_output:
        _print_json([{"email": user.email, "role": user.role,
                      "deals": [{"deal": deal, "investor": investor} for deal, investor in user.grants.items()],
                      "created_at": user.created_at.isoformat()} for user in users])
        return
    table = Table(title=f"{len(users)} user(s)")
    for column in ("email", "role", "deals", "since"):
        table.add_column(column)
    for user in users:
        seen = "every deal" if user.role == "admin" else ", ".join(
            deal + (f" as {investor}" if investor else "") for deal, investor in user.grants.items())
        table.add_row(escape(user.email), user.role, escape(seen), user.created_at.strftime("%Y-%m-%d"))
    out.print(table)


@users_app.command("token")
def users_token(
    email: Annotated[str, typer.Argument(help="The user the token signs in as.")],
    db: DbOption = None,
) -> None:
    """Print a new API token (Authorization: Bearer TOKEN) on stdout: shown once, stored hashed."""
    from pipedeal.storage import accounts

    token = _run(accounts.issue_token, _store_url(db), email)
    sys.stdout.write(token + "\n")


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option("--host", help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="The port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option("--workers", help="App processes (sessions are in the database, so any "
                                         "number serve the same users).", min=1, max=64)] = 1,
    init_bundled: Annotated[bool, typer.Option(
        "--init-bundled", help="With no ledger yet, initialise it with the bundled deals without asking.")] = False,
    first_admin: Annotated[str | None, typer.Option(
        "--first-admin", help="With no user yet, add this email as an admin first (its password is asked on a "
        "terminal, else read from one line of standard input).")] = None,
    forwarded_allow_ips: Annotated[str | None, typer.Option(
        "--forwarded-allow-ips", help="Behind a load balancer that terminates TLS: its addresses (comma-separated), "
        "whose X-Forwarded-For and X-Forwarded-Proto are believed (the client's address for the sign-in "
        "throttle; https, so the session cookie is Secure).")] = None,
) -> None:
    """The web workspace (FastAPI on uvicorn), in the foreground until Ctrl-C or SIGTERM; e.g.
    `pipedeal serve --db postgresql://postgres@127.0.0.1/test --workers 4`."""
    import os
    import signal

    url = _store_url(db)
    _run(_ready_to_serve, url, init_bundled)
    if first_admin is not None:
        _run(_first_admin, url, first_admin)
    import uvicorn

    os.environ["PIPEDEAL_DB"] = url
    err.print(f"pipedeal workspace on http://{host}:{port}/ (ledger {escape(_shown_url(url))}); Ctrl-C stops it.")
    # uvicorn shuts down gracefully on SIGTERM or Ctrl-C, then raises the signal again to whatever handler was
    # there before it: this one, so that a stop asked for is a clean exit (0), not a death by signal.
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, _stopped)
    uvicorn.run("pipedeal.interfaces.web.app:from_environment", factory=True, host=host, port=port,
                # log_level warning already silences the access log; access_log=False also spares each
                # request the building of its line
                workers=workers, log_level="warning", access_log=False, server_header=False,
                proxy_headers=forwarded_allow_ips is not None, forwarded_allow_ips=forwarded_allow_ips)


def _stopped(signum: int, frame: Any) -> None:
    raise typer.Exit(0)


def _shown_url(url: str) -> str:
    from pipedeal.storage.database import shown

    return shown(url)


def _first_admin(url: str, email: str) -> None:
    """``serve --first-admin``: the workspace's first user, so a newcomer can sign in at once; with users
    already there it changes nothing."""
    from pipedeal.storage import accounts

    if accounts.list_users(url):
        err.print("The workspace has users already: --first-admin added none.")
        return
    if sys.stdin.isatty():
        password = typer.prompt(f"A password for {email} (at least {accounts.MIN_PASSWORD} characters)",
                                hide_input=True, confirmation_prompt=True, err=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    accounts.add_user(url, email, "admin", password)
    err.print(f"Added {escape(accounts.normal_email(email))} as admin: sign in with it.")


def _ready_to_serve(url: str, init_bundled: bool) -> None:
    """A ledger must exist; with none yet, offer to initialise it with the bundled deals (asked only on a
    terminal; never when the ledger exists)."""
    from pipedeal.deal.terms_file import bundled_deal_names
    from pipedeal.storage import ledger as store

    try:
        if store.list_deals(url):
            return
    except InputError as missing:
        if not any(problem.code == "WORKSPACE-MISSING" for problem in missing.problems):
            raise
    names = bundled_deal_names()
    if not init_bundled:
        if not sys.stdin.isatty():
            raise InputError([Diagnostic("WORKSPACE-MISSING", f"the ledger {_shown_url(url)} holds no deal yet: run "
                                         "`pipedeal init`, or `pipedeal serve --init-bundled` to initialise it with "
                                         f"the bundled deals ({', '.join(names)})", "command line", field="--db")])
        if not typer.confirm(f"The ledger {_shown_url(url)} holds no deal yet. Initialise it with the bundled deals "
                             f"({', '.join(names)})?", default=True, err=True):
            raise typer.Exit(2)
    for name in names:
        _init(name, url, empty=False)


def _version(value: bool) -> None:
    if value:
        from pipedeal import __version__

        sys.stdout.write(f"pipedeal {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _options(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print pipedeal's version and exit.")] = False) -> None:
    """pipedeal: the life of a PIPE deal, every figure traced to its clause."""


def _only_the_command_asked(argv: list[str]) -> typer.Typer:
    """The command line with only the command asked for: Typer builds the click command of every command
    it holds before running one (~0.3 s for all of pipedeal's), so a run of one command builds that one.
    With no command, an option first (--help, --version) or shell completion, the whole command line."""
    import os

    if not argv or argv[0].startswith("-") or any(key.startswith("_PIPEDEAL_COMPLETE") for key in os.environ):
        return app
    from typer.main import get_command_name

    name = argv[0]
    commands = [info for info in app.registered_commands
                if (info.name or get_command_name(info.callback.__name__)) == name]
    groups = [info for info in app.registered_groups if info.name == name]
    if not commands and not groups:
        return app  # an unknown command: the whole command line says so, with its list
    slim = typer.Typer(help=app.info.help, no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
    slim.registered_callback = app.registered_callback
    slim.registered_commands = commands
    slim.registered_groups = groups
    return slim


def main() -> None:
    """The command line; a bug of pipedeal's (never a user's mistake, which exits 2) exits 3 with a short
    message and a hint to report it, the traceback only with PIPEDEAL_DEBUG=1."""
    import os

    try:
        from typer._click import exceptions as click  # the click Typer ships (its own copy since 0.26)
        from typer.exceptions import Abort
    except ImportError:  # an older Typer, on click itself
        from click import exceptions as click
        from click.exceptions import Abort

    try:
        status = _only_the_command_asked(sys.argv[1:])(standalone_mode=False)
    except click.NoArgsIsHelpError as shown_help:
        shown_help.show()
        sys.exit(shown_help.exit_code)
    except click.ClickException as mistake:  # an unknown option, a value outside its choices: one line, exit 2
        where = mistake.ctx.command_path if getattr(mistake, "ctx", None) else "pipedeal"
        err.print(f"[bold red]{escape(where)}:[/] {escape(mistake.format_message())} "
                  f"(see `{escape(where)} --help`)", soft_wrap=True)
        sys.exit(mistake.exit_code)
    except Abort:
        err.print("pipedeal: aborted.")
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("pipedeal: interrupted.")
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("PIPEDEAL_DEBUG"):
            raise
        err.print(f"[bold red]pipedeal: internal error[/] ({escape(type(exc).__name__)}: {escape(str(exc)[:300])}). "
                  "This is a bug in pipedeal, not in your input: please report it with the command you ran "
                  "(PIPEDEAL_DEBUG=1 shows the traceback).", soft_wrap=True)
        from pipedeal.base.diagnostics import EXIT_INTERNAL

        sys.exit(EXIT_INTERNAL)
    sys.exit(status if isinstance(status, int) else 0)


def run() -> None:
    """The installed ``pipedeal`` script and ``python -m pipedeal``: ``main()``, then out of the process
    without the interpreter's teardown. Once the command is done (its output flushed, its database
    connections closed, the exit handlers run), tearing down every module and object left costs
    60 ms after ``report`` and 170 ms after ``obligations --all`` (benchmarks/README.md), for
    nothing the user sees. Tests call ``main()``, which returns or raises as usual."""
    import atexit
    import os
    import threading

    try:
        main()
        code: Any = 0
    except SystemExit as done:
        code = done.code
    if code is not None and not isinstance(code, int):  # sys.exit("message"), as Python reports it
        print(code, file=sys.stderr)
        code = 1
    if threading.active_count() > 1 or sys.getprofile() or sys.gettrace():
        sys.exit(code)  # a thread still running is waited for; a profiler or tracer writes its data at the end
    import contextlib

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader gone (`| head`), a stream closed
            stream.flush()
    os._exit(code or 0)


if __name__ == "__main__":
    run()
