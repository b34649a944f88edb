"""The installed ``pipedeal`` command on files, run as a user runs it: its ``main()`` in this process
(conftest's ``cli_in_process``, which test_cli_process holds to what a fresh process answers), or a
fresh process with ``PIPEDEAL_TEST_CLI=process``; the start-up test below runs fresh processes.

No database: PIPEDEAL_DB is unset and each run's working directory is an empty
temporary directory, so no ./pipedeal.db is found. The XNAS session cache lives
in a directory shared by this module, so only the first run pays to build it.

A user's mistake must exit with status 2 and name the file, line and field on
stderr, never with a traceback (cli.py's docstring).
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import cli_in_process
from scenario import FOCUS_DIR


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self):
        assert self.code == 0, self.stderr
        return json.loads(self.stdout)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pipedeal-cache")


@pytest.fixture
def pipedeal(cache_dir: Path, tmp_path: Path):
    """``python -m pipedeal.interfaces.cli ARGS`` in ``tmp_path`` with no ledger database."""
    env = {key: value for key, value in os.environ.items() if key != "PIPEDEAL_DB"}
    env.update({"PIPEDEAL_CACHE_DIR": str(cache_dir), "COLUMNS": "160", "NO_COLOR": "1",
                "PYTHONIOENCODING": "utf-8"})

    def run(*args: str) -> Run:
        if os.environ.get("PIPEDEAL_TEST_CLI") != "process":
            done = cli_in_process(list(args), tmp_path, env)
        else:
            done = subprocess.run(
                [sys.executable, "-m", "pipedeal.interfaces.cli", *args],
                cwd=tmp_path, env=env, capture_output=True, encoding="utf-8", timeout=120,
            )
        return Run(done.returncode, done.stdout, done.stderr)

    return run


@pytest.fixture
def focus_files(tmp_path: Path) -> Path:
    """The bundled FOCUS terms, events and quotes copied into the working directory."""
    for name in ("terms.toml", "events.jsonl", "quotes.csv"):
        shutil.copy(FOCUS_DIR / name, tmp_path / name)
    return tmp_path


def assert_refused(run: Run, *fragments: str) -> None:
    """Exit status 2, every fragment on stderr, nothing on stdout, no traceback."""
    assert "Traceback" not in run.stderr, run.stderr
    assert run.code == 2, (run.code, run.stderr)
    assert run.stdout == ""
    for fragment in fragments:
        assert fragment in run.stderr, (fragment, run.stderr)


def line_of(path: Path, text: str) -> int:
    return path.read_text().splitlines().index(text) + 1


def append_event(path: Path, event: dict) -> int:
    """Append one event line; return its line number."""
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, json.dumps(event)]) + "\n")
    return len(lines) + 1


# --- the deal as of 1 March 2000 --------------------------------------------------------


def test_report_as_of_march_2000_shows_the_prices_the_allocation_and_the_missed_filing(pipedeal):
    run = pipedeal("report", "--as-of", "2000-03-01")
    assert run.code == 0, run.stderr
    for figure in ("1.6375", "1.80125", "871,500", "87,150", "375,000", "1,250,000"):
        assert figure in run.stdout, figure
    [filing_row] = [line for line in run.stdout.splitlines()
                    if "rs_filing" in line and "1999-12-27" in line]
    assert "missed" in filing_row
    assert "2000-01-13" in filing_row
    assert run.stderr == ""


def test_report_on_files_imports_no_database_and_no_document_library(cache_dir, tmp_path):
    """Start-up (benchmarks/report_cold_start.py): ``report`` on the bundled deal with no ledger
    loads neither SQLAlchemy nor Alembic (~250 ms), nor the libraries of the documents and the
    OCF export; ``pipedeal.storage`` still gives its API when a ledger is opened."""
    heavy = ("sqlalchemy", "alembic", "weasyprint", "jinja2", "docx", "jsonschema")
    code = f"""
import atexit, json, sys
atexit.register(lambda: print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)), file=sys.stderr))
sys.argv = ["pipedeal", "report", "--as-of", "2000-03-01"]
from pipedeal.interfaces.cli import main
main()
"""
    env = {key: value for key, value in os.environ.items() if key != "PIPEDEAL_DB"}
    env.update({"PIPEDEAL_CACHE_DIR": str(cache_dir), "COLUMNS": "160", "NO_COLOR": "1"})
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                          encoding="utf-8", timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1.6375" in done.stdout
    assert json.loads(done.stderr.splitlines()[-1]) == []

    api = """
import json, sys
import pipedeal.storage.workspace
before = "sqlalchemy" in sys.modules
from pipedeal.storage import Verdict, append_events, resolve_url
import pipedeal.storage as storage
print(json.dumps([before, "sqlalchemy" in sys.modules, Verdict.__module__, resolve_url.__module__,
                  sorted(storage.__all__) == sorted([*storage.ledger.__all__, "resolve_url"])]))
"""
    done = subprocess.run([sys.executable, "-c", api], cwd=tmp_path, env=env, capture_output=True,
                          encoding="utf-8", timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [False, True, "pipedeal.storage.ledger", "pipedeal.storage.database", True]


def test_reading_a_ledger_imports_no_alembic_and_init_does(cache_dir, tmp_path):
    """Issue 11: alembic (~100 ms) is loaded by the command that migrates, not by every read of a ledger."""
    code = """
import atexit, json, sys
atexit.register(lambda: print(json.dumps("alembic" in sys.modules), file=sys.stderr))
from pipedeal.interfaces.cli import main
main()
"""
    env = {**{key: value for key, value in os.environ.items() if key != "PIPEDEAL_DB"},
           "PIPEDEAL_CACHE_DIR": str(cache_dir), "NO_COLOR": "1"}
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    for argv, alembic in ((["init", "--db", url], True), (["report", "--db", url, "--as-of", "2000-03-01"], False),
                          (["obligations", "--all", "--db", url, "--as-of", "2000-03-01"], False)):
        done = subprocess.run([sys.executable, "-c", code, *argv], cwd=tmp_path, env=env, capture_output=True,
                              encoding="utf-8", timeout=120)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stderr.splitlines()[-1]) is alembic, argv


def test_report_json_has_every_documented_key(pipedeal):
    data = pipedeal("report", "--as-of", "2000-03-01", "--json").json()
    assert data["as_of"] == "2000-03-01"
    pricing = data["pricing"]
    assert pricing["market_price"] == "1.6375"
    assert pricing["exercise_price"] == "1.80125"
    assert [(q["date"], q["bid"]) for q in pricing["quotes_used"]] == [
        ("1999-11-17", "1.65625"), ("1999-11-18", "1.6875"), ("1999-11-19", "1.625"),
        ("1999-11-22", "1.59375"), ("1999-11-23", "1.625"),
    ]
    assert [
        (a["investor"], a["subscription"], a["shares"], a["warrant_shares"])
        for a in data["allocations"]
    ] == [
        ("raptor", "1394400.00", 871500, 87150),
        ("altar-rock", "5600.00", 3500, 350),
        ("roseworth", "600000.00", 375000, 37500),
    ]
    capitalization = data["capitalization"]
    assert capitalization["common_authorized"] == 30_000_000
    assert capitalization["common_outstanding_before_closing"] == 21_012_701
    assert capitalization["common_outstanding_after_closing"] == 22_262_701
    assert capitalization["reserved_for_warrants"] == 125_000
    deadlines = {d["id"]: d for d in data["deadlines"]}
    assert {"rs_filing", "rs_effectiveness"} <= set(deadlines)
    for deadline in deadlines.values():
        assert {"id", "clause", "due", "status", "met_on"} <= set(deadline)
    assert (deadlines["rs_filing"]["due"], deadlines["rs_filing"]["status"],
            deadlines["rs_filing"]["met_on"]) == ("1999-12-27", "missed", "2000-01-13")
    assert (deadlines["rs_effectiveness"]["due"], deadlines["rs_effectiveness"]["status"],
            deadlines["rs_effectiveness"]["met_on"]) == ("2000-02-22", "met", "2000-02-16")
    assert data["interpretations"]["roll_deadlines"] == "next_business_day"
    assert data["interpretations"]["effectiveness_days"] == 120


def test_evaluate_on_the_bundled_files_gives_the_same_json_as_report(pipedeal, focus_files):
    evaluated = pipedeal("evaluate", "--events", "events.jsonl", "--prices", "quotes.csv",
                         "--as-of", "2000-03-01", "--json").json()
    reported = pipedeal("report", "--as-of", "2000-03-01", "--json").json()
    assert evaluated == reported


def test_without_rolling_deadlines_the_filing_falls_due_on_christmas_eve_1999(
    pipedeal, focus_files
):
    data = pipedeal("evaluate", "--events", "events.jsonl", "--prices", "quotes.csv",
                    "--as-of", "2000-03-01", "--set", "roll_deadlines=none", "--json").json()
    filing = next(d for d in data["deadlines"] if d["id"] == "rs_filing")
    assert filing["due"] == "1999-12-24"
    assert filing["status"] == "missed"
    assert data["interpretations"]["roll_deadlines"] == "none"
    assert {"key": "roll_deadlines", "field": "registration.roll", "value": "none",
            "clause": "RRA 3(a); Securities Act Rule 0-3", "set_on_command_line": True} in data["readings"]
    effectiveness = next(d for d in data["deadlines"] if d["id"] == "rs_effectiveness")
    assert effectiveness["due"] == "2000-02-19"


def test_evaluate_with_150_effectiveness_days_keeps_the_earlier_clearance_deadline(
    pipedeal, focus_files
):
    data = pipedeal("evaluate", "--events", "events.jsonl", "--prices", "quotes.csv",
                    "--as-of", "2000-03-01", "--set", "effectiveness_days=150").json()
    assert data["interpretations"]["effectiveness_days"] == 150
    effectiveness = next(d for d in data["deadlines"] if d["id"] == "rs_effectiveness")
    assert effectiveness["due"] == "2000-02-22"


def test_evaluate_reads_a_users_terms_file_with_a_larger_altar_rock_subscription(
    pipedeal, focus_files
):
    terms = focus_files / "terms.toml"
    text = terms.read_text()
    assert 'subscription = "5600.00"' in text
    (focus_files / "my-deal.toml").write_text(
        text.replace('subscription = "5600.00"', 'subscription = "8000.00"'))
    # SPA 2.1(b)(ii): the Closing needs Altar Rock's whole $8,000.00 wired; the bundled $5,600.00 refuses it.
    refused = pipedeal("evaluate", "--deal", "my-deal.toml", "--events", "events.jsonl", "--prices", "quotes.csv",
                       "--as-of", "2000-03-01")
    assert refused.code == 2 and "altar-rock $5,600.00 of $8,000.00" in refused.stderr
    events = (focus_files / "events.jsonl").read_text()
    assert events.count('"amount": "5600.00"') == 1
    (focus_files / "my-events.jsonl").write_text(events.replace('"amount": "5600.00"', '"amount": "8000.00"'))
    data = pipedeal("evaluate", "--deal", "my-deal.toml", "--events", "my-events.jsonl",
                    "--prices", "quotes.csv", "--as-of", "2000-03-01").json()
    allocations = {a["investor"]: a for a in data["allocations"]}
    assert (allocations["altar-rock"]["subscription"], allocations["altar-rock"]["shares"],
            allocations["altar-rock"]["warrant_shares"]) == ("8000.00", 5000, 500)
    assert allocations["raptor"]["shares"] == 871500
    assert data["capitalization"]["shares_issued_at_closing"] == 1_251_500
    assert data["pricing"]["market_price"] == "1.6375"


# --- schema and clauses -----------------------------------------------------------------


def test_the_events_schema_accepts_every_line_of_the_bundled_event_file(pipedeal):
    run = pipedeal("schema", "events")
    assert run.code == 0, run.stderr
    schema = json.loads(run.stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    lines = [json.loads(line) for line in (FOCUS_DIR / "events.jsonl").read_text().splitlines()
             if line.strip()]
    # Without a validator, check what the schema promises: the type picks a
    # definition whose required fields are present and which allows every key.
    mapping = schema["discriminator"]["mapping"]
    for event in lines:
        definition = schema["$defs"][mapping[event["type"]].rsplit("/", 1)[1]]
        assert set(definition["required"]) <= set(event), event
        if definition.get("additionalProperties") is False:
            assert set(event) <= set(definition["properties"]), event
    if importlib.util.find_spec("jsonschema") is None:
        return
    import jsonschema

    # What jsonschema.validate does for each line, with the schema checked and its validator built once.
    checker = jsonschema.validators.validator_for(schema)
    checker.check_schema(schema)
    validator = checker(schema)
    for event in lines:
        validator.validate(event)
    wrong = copy.deepcopy(lines[0])
    wrong["type"] = "rs_filled"
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(wrong)


def test_clauses_lists_the_operative_clauses(pipedeal):
    run = pipedeal("clauses")
    assert run.code == 0, run.stderr
    assert "SPA 1.10" in run.stdout
    listed = pipedeal("clauses", "--json").json()
    assert listed and all("clause" in entry for entry in listed)


# --- a user's mistakes: exit 2, file/line/field named, no traceback ---------------------


def test_an_impossible_as_of_date_is_refused(pipedeal):
    assert_refused(pipedeal("report", "--as-of", "2000-02-30"), "--as-of", "2000-02-30")


def test_an_unknown_interpretation_key_is_refused_listing_the_known_ones(pipedeal):
    assert_refused(pipedeal("evaluate", "--as-of", "2000-03-01", "--set", "effectiveness=150"),
                   "--set", "effectiveness=150", "focus-1999 has no ambiguity 'effectiveness'",
                   "effectiveness_days", "ld_day_count")


def test_a_value_the_key_does_not_allow_is_refused_listing_the_choices(pipedeal):
    assert_refused(pipedeal("evaluate", "--as-of", "2000-03-01",
                            "--set", "effectiveness_days=90"),
                   "--set", "effectiveness_days", "'90'", "120, 150")


def test_a_set_without_a_value_is_refused(pipedeal):
    assert_refused(pipedeal("evaluate", "--set", "roll_deadlines"), "--set", "KEY=VALUE")


def test_a_deal_that_is_neither_bundled_nor_a_file_is_refused(pipedeal):
    assert_refused(pipedeal("report", "--deal", "focus-2000", "--as-of", "2000-03-01"),
                   "focus-2000", "bundled: focus-1999", "DEAL-UNKNOWN")


def test_a_terms_file_with_a_subscription_that_is_not_money_names_its_line(
    pipedeal, focus_files
):
    terms = focus_files / "bad-terms.toml"
    terms.write_text((focus_files / "terms.toml").read_text()
                     .replace('subscription = "5600.00"', 'subscription = "lots"'))
    line = line_of(terms, 'subscription = "lots"')
    assert_refused(pipedeal("evaluate", "--deal", "bad-terms.toml", "--events", "events.jsonl",
                            "--prices", "quotes.csv", "--as-of", "2000-03-01"),
                   f"bad-terms.toml, line {line}, field investors[1].subscription")


def test_an_event_of_an_unknown_type_names_its_line(pipedeal, focus_files):
    events = focus_files / "events.jsonl"
    line = append_event(events, {"type": "rs_filled", "date": "2000-01-13"})
    assert_refused(pipedeal("evaluate", "--events", "events.jsonl", "--prices", "quotes.csv",
                            "--as-of", "2000-03-01"),
                   f"events.jsonl, line {line}, field type", "'rs_filled'", "EVENT-UNKNOWN-TYPE")


def test_raptor_selling_more_than_it_bought_names_the_sale_line(pipedeal, focus_files):
    events = focus_files / "events.jsonl"
    line = append_event(events, {"type": "shares_sold", "date": "2000-02-20",
                                 "investor": "raptor", "shares": 900000})
    for command in ("evaluate", "report"):
        assert_refused(pipedeal(command, "--events", "events.jsonl", "--prices", "quotes.csv",
                                "--as-of", "2000-03-01"),
                       f"events.jsonl, line {line}, field shares", "871,500", "900,000",
                       "EVENT-SOLD-BEYOND-HOLDINGS")


def test_a_sale_after_the_as_of_date_is_not_yet_judged(pipedeal, focus_files):
    append_event(focus_files / "events.jsonl", {"type": "shares_sold", "date": "2000-04-03",
                                                "investor": "raptor", "shares": 900000})
    data = pipedeal("evaluate", "--events", "events.jsonl", "--prices", "quotes.csv",
                    "--as-of", "2000-03-01").json()
    assert data["holdings"]["raptor"]["purchased_shares_held"] == 871500


def test_a_quote_file_with_a_third_of_a_dollar_names_its_line_and_column(pipedeal, focus_files):
    quotes = focus_files / "quotes.csv"
    text = quotes.read_text()
    good = "1999-11-19,1 19/32,1 11/16,1 17/32,1 21/32,1 5/8,1 11/16,39500"
    assert good in text
    quotes.write_text(text.replace(good, good.replace(",1 5/8,", ",1 1/3,")))
    line = line_of(quotes, good.replace(",1 5/8,", ",1 1/3,"))
    assert_refused(pipedeal("evaluate", "--events", "events.jsonl", "--prices", "quotes.csv",
                            "--as-of", "2000-03-01"),
                   f"quotes.csv, line {line}, field bid", "1 1/3", "QUOTES-BAD-PRICE")


def test_a_quote_file_missing_two_of_the_five_bids_names_the_missing_days(
    pipedeal, focus_files
):
    quotes = focus_files / "quotes.csv"
    kept = [row for row in quotes.read_text().splitlines()
            if not row.startswith(("1999-11-19,", "1999-11-22,"))]
    quotes.write_text("\n".join(kept) + "\n")
    assert_refused(pipedeal("evaluate", "--events", "events.jsonl", "--prices", "quotes.csv",
                            "--as-of", "2000-03-01"),
                   "1999-11-19, 1999-11-22", "field bid", "PRICING-MISSING-QUOTE")


def test_a_quote_file_with_an_empty_bid_cell_on_a_market_price_day_names_that_day(
    pipedeal, focus_files
):
    quotes = focus_files / "quotes.csv"
    good = "1999-11-23,1 5/8,1 23/32,1 5/8,1 21/32,1 5/8,1 11/16,31500"
    quotes.write_text(quotes.read_text().replace(good, good.replace(",1 5/8,1 11/16,", ",,1 11/16,")))
    run = pipedeal("evaluate", "--events", "events.jsonl", "--prices", "quotes.csv",
                   "--as-of", "2000-03-01")
    assert_refused(run, "missing for 1999-11-23", "PRICING-MISSING-QUOTE")


def test_an_event_file_that_does_not_exist_is_refused_by_name(pipedeal):
    assert_refused(pipedeal("evaluate", "--events", "nonexistent.jsonl", "--as-of", "2000-03-01"),
                   "nonexistent.jsonl", "EVENTS-UNREADABLE")


def test_a_quote_file_that_does_not_exist_is_refused_by_name(pipedeal):
    assert_refused(pipedeal("report", "--prices", "bloomberg.csv", "--as-of", "2000-03-01"),
                   "bloomberg.csv", "QUOTES-UNREADABLE")


# --- known bugs: a user's mistake that still ends in a traceback -----------------------


def test_an_event_file_that_is_not_utf8_is_refused_by_name(pipedeal, tmp_path):
    (tmp_path / "latin1.jsonl").write_bytes(
        b'{"type": "closing", "date": "1999-11-24", "note": "caf\xe9"}\n')
    assert_refused(pipedeal("evaluate", "--events", "latin1.jsonl"), "latin1.jsonl")


def test_an_event_type_that_looks_like_markup_is_printed_verbatim(pipedeal, tmp_path):
    (tmp_path / "odd.jsonl").write_text('{"type": "[/x]", "date": "1999-11-24"}\n')
    assert_refused(pipedeal("evaluate", "--events", "odd.jsonl"),
                   "odd.jsonl, line 1, field type", "'[/x]'")


def test_a_closing_before_the_trading_calendar_begins_is_refused(pipedeal, tmp_path):
    (tmp_path / "old.jsonl").write_text('{"type": "closing", "date": "1950-11-24"}\n')
    assert_refused(pipedeal("evaluate", "--events", "old.jsonl", "--as-of", "1951-01-01"),
                   "1950-11-24")


def test_every_json_document_is_spelled_as_json_dumps_indent_2_spells_it(capsys):
    """One formatter for --json: orjson's bytes are json.dumps(indent=2, ensure_ascii=False)'s, and a document
    orjson declines (an integer over 64 bits) is still written, by json."""
    from pipedeal.interfaces.cli import _print_json

    documents = [{"deal": "focus-1999", "quote": "Trading Day — “Vaduz”", "nested": [[], {}, [1, {"x": None}]],
                  "flag": True, 7: "a key that is a number"},
                 {"shares": 2**70, "name": "Roseworth Group, Ltd."}]
    for document in documents:
        _print_json(document)
        assert capsys.readouterr().out == json.dumps(document, indent=2, ensure_ascii=False) + "\n"
