"""As known on: what the ledger said at a moment, corrections, and what changed between two moments.

The docket: the FOCUS Closing on 1999-11-24, entered in the ledger on the evening of
2000-01-21 together with a filing of the S-3 typed in as 2000-01-20 (the clerk misread the
docket; EDGAR shows 2000-01-13). On 2000-02-01 at 10:00 UTC the clerk records a correction
(``supersedes`` 2, the filing) with the real date.

Quotes are flat (every Trading Day closes at $2.00, ``scenario.flat_quotes``), so the figures
are round. The filing deadline is 1999-12-27 (1999-12-24 + 30 days, rolled over Christmas
observed); a filing on day F leaves default days 1999-12-28 .. F - 1 (the cure day does not count).
All of them lie in the first month period, 1999-12-28 to 2000-01-28 (31 days), at 1%:

    Raptor      871,500 x $2.00 = $1,743,000 -> 1% = $17,430 a month = 17,430/31 a day
    Altar Rock    3,500 x $2.00 =     $7,000 -> 1% =     $70 a month
    Roseworth   375,000 x $2.00 =   $750,000 -> 1% =  $7,500 a month

    filed 2000-01-20 (as first recorded): 4 + 19 = 23 days
        Raptor 23 x 17,430 / 31 = 400,890 / 31 = 12,931.935... -> $12,931.94
        Altar Rock 23 x 70 / 31 = 51.935... -> $51.94;  Roseworth 23 x 7,500 / 31 = 5,564.516... -> $5,564.52
    filed 2000-01-13 (as corrected): 4 + 12 = 16 days
        Raptor 16 x 17,430 / 31 = 278,880 / 31 = 8,996.129... -> $8,996.13
        Altar Rock 16 x 70 / 31 = 36.129... -> $36.13;  Roseworth 16 x 7,500 / 31 = 3,870.967... -> $3,870.97

Every ledger test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import pipedeal_cli
from scenario import FOCUS_CHECKLIST, flat_quotes, focus_calendars, focus_terms_text, jsonl

from pipedeal.base.diagnostics import InputError
from pipedeal.engine.evaluate import evaluate
from pipedeal.engine.events import parse_events
from pipedeal.storage import append_events, import_quotes, init_workspace, list_events, verify
from pipedeal.storage.recording import ledger_validator
from pipedeal.storage.workspace import load_inputs, parse_instant

DEAL = "focus-1999"
ENTERED = dt.datetime(2000, 1, 21, 18, 0, tzinfo=dt.UTC)  # the Closing and the (mistyped) filing
CORRECTED = dt.datetime(2000, 2, 1, 10, 0, tzinfo=dt.UTC)  # the correction
SECOND = dt.timedelta(seconds=1)

CLOSING = {"type": "closing", "date": "1999-11-24"}
WRONG_FILING = {"type": "rs_filed", "date": "2000-01-20", "form": "S-3"}
CORRECTION = {"type": "correction", "date": "2000-01-13", "supersedes": 2,
              "event": {"type": "rs_filed", "date": "2000-01-13", "form": "S-3", "file_number": "333-94621"}}

AS_RECORDED = {"raptor": "12931.94", "altar-rock": "51.94", "roseworth": "5564.52"}  # 23 days
AS_CORRECTED = {"raptor": "8996.13", "altar-rock": "36.13", "roseworth": "3870.97"}  # 16 days


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_url")


def lines(*events: dict, name: str = "entry.jsonl"):
    return [(name, line, event) for line, event in parse_events(jsonl(*events, bare=True), name)]


def record(url: str, at: dt.datetime, *events: dict) -> int:
    """Append through the ledger's own check, the ledger clock set to ``at``."""
    return append_events(url, DEAL, lines(*events), ledger_validator(url, DEAL), recorded_at=at)


@pytest.fixture
def ledger(url: str) -> str:
    init_workspace(url, DEAL, focus_terms_text(closing_block=False))
    import_quotes(url, DEAL, flat_quotes(end="2000-06-30").quotes())
    record(url, ENTERED, CLOSING, WRONG_FILING)
    record(url, CORRECTED, CORRECTION)
    return url


def damages(url: str, as_of: str, known_on: dt.datetime | None) -> dict:
    inputs = load_inputs(DEAL, db_url=url, known_on=known_on)
    result = evaluate(inputs.terms, inputs.events, inputs.quotes, focus_calendars(), dt.date.fromisoformat(as_of))
    return {investor: (str(row.accrued), sum(period.days for period in row.periods))
            for investor, row in result.damages.items()}


def test_damages_as_known_before_the_correction_count_23_days_and_after_it_16(ledger: str) -> None:
    before = damages(ledger, "2000-03-01", CORRECTED - SECOND)
    assert before == {investor: (amount, 23) for investor, amount in AS_RECORDED.items()}
    # --known-on is inclusive: at the correction's own instant it is known.
    at = damages(ledger, "2000-03-01", CORRECTED)
    assert at == {investor: (amount, 16) for investor, amount in AS_CORRECTED.items()}
    assert damages(ledger, "2000-03-01", None) == at
    # The chain was not edited: the correction is a row of its own, and the ledger verifies.
    assert [row.event.type for row in list_events(ledger, DEAL)] == ["closing", "rs_filed", "correction"]
    assert verify(ledger, DEAL) == []


def test_as_known_before_anything_was_recorded_there_is_no_closing_and_nothing_accrues(ledger: str) -> None:
    inputs = load_inputs(DEAL, db_url=ledger, known_on=ENTERED - SECOND)
    assert inputs.events == []
    assert (inputs.history.known, inputs.history.recorded) == (0, 3)
    assert damages(ledger, "2000-03-01", ENTERED - SECOND) == {}


def test_the_fold_sees_the_corrected_filing_in_the_place_of_the_original(ledger: str) -> None:
    inputs = load_inputs(DEAL, db_url=ledger)
    # Two events, in date order, no correction among them; the filing is the corrected one,
    # located at the correction's row (seq 3), so a problem with it names that row.
    assert [(item.event.type, str(item.event.date), item.seq) for item in inputs.events] == [
        ("closing", "1999-11-24", 1), ("rs_filed", "2000-01-13", 3)]
    assert inputs.history.corrections == 1
    assert "1 correction applied" in inputs.events_source


def test_the_ledger_clock_stamps_an_import_and_the_files_recorded_at_is_kept_as_claimed(ledger: str) -> None:
    # A sale of 1,500 shares on 2000-01-05 the file says was recorded on 2000-01-15; the ledger
    # learns it on 2000-03-02.
    sale = {"type": "shares_sold", "date": "2000-01-05", "investor": "raptor", "shares": 1500,
            "recorded_at": "2000-01-15T09:00:00-05:00"}
    learned = dt.datetime(2000, 3, 2, 9, 0, tzinfo=dt.UTC)
    record(ledger, learned, sale)
    row = list_events(ledger, DEAL)[-1]
    assert row.recorded_at == learned
    assert row.claimed_recorded_at == dt.datetime(2000, 1, 15, 14, 0, tzinfo=dt.UTC)
    # As known on 2000-02-15 the sale is not known (the file's claim does not back-date it).
    assert damages(ledger, "2000-03-01", dt.datetime(2000, 2, 15, tzinfo=dt.UTC))["raptor"] == ("8996.13", 16)
    # Known from 2000-03-02: Dec 28 .. Jan 4 (8 days) at 871,500 shares, Jan 5 .. Jan 12 (8) at 870,000:
    #   8 x 17,430 / 31 + 8 x 17,400 / 31 = (139,440 + 139,200) / 31 = 278,640 / 31 = 8,988.387... -> $8,988.39
    assert damages(ledger, "2000-03-01", learned)["raptor"] == ("8988.39", 16)


def test_a_sale_known_late_changes_the_damages_only_from_its_recording(ledger: str) -> None:
    # Raptor sold 871,500 - 500,000 = 371,500 shares on 1999-12-31, a fact the ledger learns on
    # 2000-02-10. Default days 1999-12-28 .. 2000-01-12 (16): Dec 28, 29, 30 at 871,500 shares,
    # Dec 31 .. Jan 12 (13 days) at 500,000 shares, each day $2.00 x 1% / 31:
    #   3 x 871,500 x 2 / 100 / 31 = 52,290 / 31;  13 x 500,000 x 2 / 100 / 31 = 130,000 / 31
    #   (52,290 + 130,000) / 31 = 182,290 / 31 = 5,880.322... -> $5,880.32
    learned = dt.datetime(2000, 2, 10, 12, 0, tzinfo=dt.UTC)
    record(ledger, learned, {"type": "shares_sold", "date": "1999-12-31", "investor": "raptor", "shares": 371_500})
    assert damages(ledger, "2000-03-01", learned - SECOND)["raptor"] == ("8996.13", 16)
    assert damages(ledger, "2000-03-01", learned)["raptor"] == ("5880.32", 16)


def test_correcting_the_correction_replaces_it_and_the_corrected_seq_cannot_be_corrected_again(ledger: str) -> None:
    again = {**CORRECTION, "supersedes": 2}
    with pytest.raises(InputError) as refused:
        record(ledger, CORRECTED + dt.timedelta(days=1), again)
    [problem] = refused.value.problems
    assert problem.code == "CORRECTION-SUPERSEDED" and problem.field == "supersedes"
    assert "already corrected by seq 3" in problem.message and "supersedes 3" in problem.message
    assert len(list_events(ledger, DEAL)) == 3  # nothing written
    # The right way: correct the correction (seq 3). Filed 2000-01-14: 4 + 13 = 17 days,
    # Raptor 17 x 17,430 / 31 = 296,310 / 31 = 9,558.387... -> $9,558.39.
    later = CORRECTED + dt.timedelta(days=1)
    record(ledger, later, {"type": "correction", "date": "2000-01-14", "supersedes": 3,
                           "event": {"type": "rs_filed", "date": "2000-01-14", "form": "S-3"}})
    assert damages(ledger, "2000-03-01", later)["raptor"] == ("9558.39", 17)
    assert damages(ledger, "2000-03-01", later - SECOND)["raptor"] == ("8996.13", 16)
    assert damages(ledger, "2000-03-01", CORRECTED - SECOND)["raptor"] == ("12931.94", 23)
    assert verify(ledger, DEAL) == []


def test_a_correction_of_a_seq_that_does_not_exist_is_refused_and_nothing_is_written(ledger: str) -> None:
    with pytest.raises(InputError) as refused:
        record(ledger, CORRECTED + SECOND, {**CORRECTION, "supersedes": 9})
    [problem] = refused.value.problems
    assert (problem.code, problem.file, problem.line, problem.field) == (
        "CORRECTION-UNKNOWN-SEQ", "entry.jsonl", 1, "supersedes")
    # A correction cannot supersede itself or a later row either: seq 4 would be its own.
    with pytest.raises(InputError) as refused:
        record(ledger, CORRECTED + SECOND, {**CORRECTION, "supersedes": 4})
    assert refused.value.problems[0].code == "CORRECTION-UNKNOWN-SEQ"
    assert len(list_events(ledger, DEAL)) == 3


def test_a_correction_that_would_make_a_recorded_sale_impossible_is_refused_naming_the_sale(ledger: str) -> None:
    record(ledger, CORRECTED + SECOND,
           {"type": "shares_sold", "date": "2000-03-01", "investor": "raptor", "shares": 871_000},  # seq 4
           {"type": "shares_sold", "date": "2000-03-02", "investor": "raptor", "shares": 500})  # seq 5
    # Correcting seq 4 to 871,400 leaves 100 shares: the recorded sale of 500 (seq 5) becomes impossible.
    bigger = {"type": "correction", "date": "2000-03-01", "supersedes": 4,
              "event": {"type": "shares_sold", "date": "2000-03-01", "investor": "raptor", "shares": 871_400}}
    with pytest.raises(InputError) as refused:
        record(ledger, CORRECTED + 2 * SECOND, bigger)
    [problem] = refused.value.problems
    assert problem.code == "EVENT-SOLD-BEYOND-HOLDINGS" and problem.seq == 5
    assert "ledger event #5 would become invalid" in problem.message
    assert len(list_events(ledger, DEAL)) == 5


def test_an_append_after_a_correction_is_checked_against_the_corrected_history(ledger: str) -> None:
    # Recorded: a sale of 871,000 (seq 4), corrected to 1,000 (seq 5). A later sale of 5,000 is
    # possible only on the corrected history (871,500 - 1,000 = 870,500 held, not 500).
    record(ledger, CORRECTED + SECOND,
           {"type": "shares_sold", "date": "2000-03-01", "investor": "raptor", "shares": 871_000})
    record(ledger, CORRECTED + 2 * SECOND,
           {"type": "correction", "date": "2000-03-01", "supersedes": 4,
            "event": {"type": "shares_sold", "date": "2000-03-01", "investor": "raptor", "shares": 1000}})
    assert record(ledger, CORRECTED + 3 * SECOND,
                  {"type": "shares_sold", "date": "2000-03-02", "investor": "raptor", "shares": 5000}) == 1
    # As known before the correction the ledger held the 871,000 sale: the later sale was
    # unknown then too, so that history stays possible.
    inputs = load_inputs(DEAL, db_url=ledger, known_on=CORRECTED + SECOND)
    [sale] = [item.event for item in inputs.events if item.event.type == "shares_sold"]
    assert sale.shares == 871_000


def test_a_correction_whose_inner_event_is_invalid_names_the_inner_field() -> None:
    bad = dict(CORRECTION, event={"type": "rs_filed", "date": "2000-01-13", "statment": "primary"})
    with pytest.raises(InputError) as refused:
        parse_events(jsonl(CLOSING, bad), "fix.jsonl")
    [problem] = refused.value.problems
    assert (problem.code, problem.file, problem.line, problem.field) == ("EVENT-UNKNOWN-FIELD", "fix.jsonl", 2,
                                                                        "event.statment")
    assert "rs_filed" in problem.message
    with pytest.raises(InputError) as refused:
        parse_events(jsonl(dict(CORRECTION, event={"type": "rs_filed", "date": "2000-02-30"})), "fix.jsonl")
    assert refused.value.problems[0].field == "event.date"
    with pytest.raises(InputError) as refused:  # the correction's date is the corrected fact's
        parse_events(jsonl(dict(CORRECTION, date="2000-01-20")), "fix.jsonl")
    assert [(p.field, p.code) for p in refused.value.problems] == [("date", "EVENT-INVALID")]
    with pytest.raises(InputError) as refused:  # a correction corrects a fact, not a correction
        parse_events(jsonl(dict(CORRECTION, event=CORRECTION)), "fix.jsonl")
    assert [(p.field, p.code) for p in refused.value.problems] == [("event.type", "EVENT-UNKNOWN-TYPE")]


def test_a_known_on_without_an_offset_is_utc_and_a_date_alone_is_the_end_of_that_day() -> None:
    assert parse_instant("2000-02-01T10:00", "--known-on") == CORRECTED
    assert parse_instant("2000-02-01T05:00-05:00", "--known-on") == CORRECTED
    assert parse_instant("2000-02-01T10:00:00Z", "--known-on") == CORRECTED
    assert parse_instant("2000-02-01", "--known-on") == dt.datetime(2000, 2, 1, 23, 59, 59, 999999, tzinfo=dt.UTC)
    with pytest.raises(InputError) as refused:
        parse_instant("2000-02-30T10:00", "--known-on")
    assert [(p.code, p.field) for p in refused.value.problems] == [("CLI-BAD-KNOWN-ON", "--known-on")]


# -- files: evaluate uses each line's own recorded_at -----------------------------------------

FILE_EVENTS = (
    {**CLOSING, "recorded_at": "2000-01-21T18:00:00Z"},
    {**WRONG_FILING, "recorded_at": "2000-01-21T18:00:00Z"},
    {**CORRECTION, "recorded_at": "2000-02-01T05:00:00-05:00"},  # 10:00 UTC
)


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    events = tmp_path / "events.jsonl"
    events.write_text(jsonl(*FILE_EVENTS))
    prices = tmp_path / "flat.csv"
    prices.write_text("date,close,bid,high,low\n" + "".join(
        f"{q.date},{q.close},{q.bid},{q.high},{q.low}\n" for q in flat_quotes(end="2000-06-30").quotes()))
    return events, prices


@pytest.fixture
def pipedeal(tmp_path: Path, cache_dir: Path):
    return pipedeal_cli(tmp_path, cache_dir)


def test_evaluate_on_files_reads_each_lines_recorded_at(files, pipedeal) -> None:
    events, prices = files

    def accrued(known_on: str) -> dict:
        data = json.loads(pipedeal("evaluate", "--events", str(events), "--prices", str(prices),
                                   "--as-of", "2000-03-01", "--known-on", known_on).stdout)
        return {investor: row["accrued"] for investor, row in data["liquidated_damages"].items()}, data

    before, data = accrued("2000-02-01T09:59:59")
    assert before == AS_RECORDED
    assert (data["known_on"], data["events_known"], data["events_recorded"]) == (
        "2000-02-01T09:59:59+00:00", 2 + len(FOCUS_CHECKLIST), 3 + len(FOCUS_CHECKLIST))  # the checklist
    after, _ = accrued("2000-02-01T05:00-05:00")
    assert after == AS_CORRECTED
    # Without --known-on every line is known, the correction applied.
    data = json.loads(pipedeal("evaluate", "--events", str(events), "--prices", str(prices),
                               "--as-of", "2000-03-01").stdout)
    assert data["liquidated_damages"]["raptor"]["accrued"] == "8996.13" and "known_on" not in data


def test_known_on_with_a_line_that_gives_no_recorded_at_names_the_line(files, pipedeal) -> None:
    events, prices = files
    events.write_text(jsonl(FILE_EVENTS[0], WRONG_FILING))
    refused = pipedeal("evaluate", "--events", str(events), "--prices", str(prices), "--as-of", "2000-03-01",
                       "--known-on", "2000-02-01", expect=2)
    assert "events.jsonl, line 2, field recorded_at" in refused.stderr
    assert "KNOWN-ON-UNRECORDED" in refused.stderr


def test_a_malformed_known_on_is_refused_naming_the_option(files, pipedeal) -> None:
    events, prices = files
    refused = pipedeal("report", "--events", str(events), "--prices", str(prices), "--known-on", "yesterday",
                       expect=2)
    assert "command line, field --known-on" in refused.stderr and "CLI-BAD-KNOWN-ON" in refused.stderr


def test_changes_between_two_as_of_dates_on_files(files, pipedeal) -> None:
    events, prices = files
    # As of 2000-01-10 (filed 2000-01-13 not yet happened): default days 1999-12-28 .. 2000-01-10,
    # 4 + 10 = 14: Raptor 14 x 17,430 / 31 = 244,020 / 31 = 7,871.612... -> $7,871.61.
    # As of 2000-03-01: 16 days, $8,996.13; the filing deadline met late on 2000-01-13.
    data = json.loads(pipedeal("changes", "--events", str(events), "--prices", str(prices),
                               "--as-of-from", "2000-01-10", "--as-of-to", "2000-03-01", "--json").stdout)
    assert (data["from"]["as_of"], data["to"]["as_of"]) == ("2000-01-10", "2000-03-01")
    figures = {row["path"]: (row["before"], row["after"]) for row in data["figures"]}
    assert figures["liquidated_damages.raptor.accrued"] == ("7871.61", "8996.13")
    assert figures["liquidated_damages.raptor.default_days"] == (14, 16)
    assert figures["registration_defaults[filing from 1999-12-28].end"] == ("2000-01-10", "2000-01-12")
    assert "pricing.market_price" not in figures  # unchanged figures are not listed
    deadlines = {row["path"]: (row["before"], row["after"]) for row in data["deadlines"]}
    assert deadlines["deadlines[rs_filing].met_on"] == (None, "2000-01-13")
    assert data["obligations"] == []
    # The same two dates as the file said before the correction (filed 2000-01-20): as of
    # 2000-03-01, 23 days, $12,931.94; as of 2000-01-10 still the 14 days, $7,871.61.
    data = json.loads(pipedeal("changes", "--events", str(events), "--prices", str(prices),
                               "--as-of-from", "2000-01-10", "--as-of-to", "2000-03-01",
                               "--known-on", "2000-02-01T09:00", "--json").stdout)
    assert data["to"]["known_on"] == "2000-02-01T09:00:00+00:00"
    figures = {row["path"]: (row["before"], row["after"]) for row in data["figures"]}
    assert figures["liquidated_damages.raptor.accrued"] == ("7871.61", "12931.94")
    deadlines = {row["path"]: (row["before"], row["after"]) for row in data["deadlines"]}
    assert deadlines["deadlines[rs_filing].met_on"] == (None, "2000-01-20")


def test_changes_between_two_knowledge_instants_on_the_ledger(ledger: str, pipedeal) -> None:
    # A demand by Raptor on 2000-02-15, recorded that day: payment due 5 days after, 2000-02-20.
    record(ledger, dt.datetime(2000, 2, 15, 12, 0, tzinfo=dt.UTC),
           {"type": "ld_demand", "date": "2000-02-15", "investor": "raptor"})
    data = json.loads(pipedeal("changes", "--db", ledger, "--from", "2000-01-31", "--to", "2000-02-15",
                               "--as-of", "2000-03-01", "--json").stdout)
    assert (data["from"]["known_on"], data["to"]["known_on"]) == (
        "2000-01-31T23:59:59.999999+00:00", "2000-02-15T23:59:59.999999+00:00")
    figures = {row["path"]: (row["before"], row["after"]) for row in data["figures"]}
    for investor in AS_RECORDED:
        assert figures[f"liquidated_damages.{investor}.accrued"] == (AS_RECORDED[investor], AS_CORRECTED[investor])
        assert figures[f"liquidated_damages.{investor}.default_days"] == (23, 16)
    assert figures["liquidated_damages.raptor.demanded"] == ("0.00", "8996.13")
    deadlines = {row["path"]: (row["before"], row["after"]) for row in data["deadlines"]}
    assert deadlines == {"deadlines[rs_filing].met_on": ("2000-01-20", "2000-01-13")}
    [payment] = data["obligations"]
    assert payment["path"] == "obligations[ld_payment:raptor:2000-02-15]"
    assert payment["before"] is None
    assert (payment["after"]["due"], payment["after"]["status"]) == ("2000-02-20", "missed")
    # The table says the same, and report --known-on reads as the ledger said then.
    table = pipedeal("changes", "--db", ledger, "--from", "2000-01-31", "--to", "2000-02-15", "--as-of", "2000-03-01")
    assert "12931.94" in table.stdout and "8996.13" in table.stdout
    report = json.loads(pipedeal("report", "--db", ledger, "--as-of", "2000-03-01", "--known-on", "2000-01-31",
                                 "--json").stdout)
    assert report["liquidated_damages"]["raptor"]["accrued"] == "12931.94"
    assert report["known_on"] == "2000-01-31T23:59:59.999999+00:00"
    header = pipedeal("report", "--db", ledger, "--as-of", "2000-03-01", "--known-on", "2000-01-31").stdout
    assert "as known on 2000-01-31T23:59:59.999999+00:00: 2 of 4 events" in " ".join(header.split())
    ld = json.loads(pipedeal("ld", "--db", ledger, "--as-of", "2000-03-01", "--known-on", "2000-02-01T10:00",
                             "--json").stdout)
    assert ld["known_on"] == "2000-02-01T10:00:00+00:00"
    # Between two as-of dates on the ledger, as it stands (corrected): as of 2000-01-10, 14 days,
    # 14 x 17,430 / 31 = 244,020 / 31 -> $7,871.61; as of 2000-03-01, 16 days, $8,996.13, and the
    # demand's payment obligation appears (due 2000-02-20, unpaid: missed).
    data = json.loads(pipedeal("changes", "--db", ledger, "--as-of-from", "2000-01-10", "--as-of-to", "2000-03-01",
                               "--json").stdout)
    figures = {row["path"]: (row["before"], row["after"]) for row in data["figures"]}
    assert figures["liquidated_damages.raptor.accrued"] == ("7871.61", "8996.13")
    assert [row["path"] for row in data["obligations"]] == ["obligations[ld_payment:raptor:2000-02-15]"]


def test_changes_needs_one_pair_of_points(files, pipedeal) -> None:
    events, prices = files
    refused = pipedeal("changes", "--events", str(events), "--prices", str(prices), "--from", "2000-02-01",
                       expect=2)
    assert "field --to" in refused.stderr and "CLI-BAD-CHANGES" in refused.stderr
    refused = pipedeal("changes", "--events", str(events), "--prices", str(prices), "--from", "2000-02-01",
                       "--to", "2000-02-02", "--as-of-from", "2000-01-01", "--as-of-to", "2000-02-01", expect=2)
    assert "CLI-BAD-CHANGES" in refused.stderr
    refused = pipedeal("changes", "--events", str(events), "--prices", str(prices), "--from", "2000-02-01",
                       "--to", "soon", expect=2)
    assert "field --to" in refused.stderr and "CLI-BAD-KNOWN-ON" in refused.stderr


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return request.getfixturevalue("postgres_url")


def test_events_import_stamps_rows_with_the_ledger_clock_and_lists_the_files_claim(db: str, pipedeal,
                                                                                   tmp_path: Path) -> None:
    pipedeal("init", "--db", db, "--empty")
    claimed = tmp_path / "claims.jsonl"
    claimed.write_text(jsonl({**CLOSING, "recorded_at": "1999-11-24T18:00:00Z"},
                             {**WRONG_FILING, "recorded_at": "2000-01-21T13:00:00-05:00"}))
    started = dt.datetime.now(dt.UTC)
    pipedeal("events", "import", str(claimed), "--db", db)
    rows = json.loads(pipedeal("events", "list", "--db", db, "--json").stdout)
    claims = [row["claimed_recorded_at"] for row in rows]  # the Closing's checklist follows, claimed with it
    assert claims == ["1999-11-24T18:00:00+00:00", "2000-01-21T18:00:00+00:00",
                      *["1999-11-24T18:00:00+00:00"] * (len(rows) - 2)]
    assert all(dt.datetime.fromisoformat(row["recorded_at"]) >= started - dt.timedelta(seconds=5) for row in rows)
    # As known on 2000-02-01 the ledger knew nothing: it learned both rows today, whatever the file claims.
    report = json.loads(pipedeal("report", "--db", db, "--as-of", "2000-03-01", "--known-on", "2000-02-01",
                                 "--json").stdout)
    assert (report["closing_date"], report["events_known"], report["events_recorded"]) == (None, 0, len(rows))
    assert report["liquidated_damages"] == {}


def test_a_demand_recorded_for_the_wrong_investor_and_corrected_moves_the_payment_obligation(tmp_path: Path) -> None:
    # The clerk records Altar Rock's demand of 2000-02-15 (line 3) on 2000-02-16; on 2000-02-20 he
    # corrects it: the demand was Raptor's. Filed 2000-01-13: 16 default days, so as of 2000-03-01
    # Altar Rock's demand was for 16 x 70 / 31 = 1,120 / 31 = 36.129... -> $36.13, Raptor's for
    # $8,996.13; either is due 5 days after it took effect, 2000-02-20, and is unpaid: missed.
    from pipedeal.outputs.changes import diff_reports
    from pipedeal.outputs.report import to_json

    events = tmp_path / "events.jsonl"
    demand = {"type": "ld_demand", "date": "2000-02-15", "investor": "altar-rock"}
    events.write_text(jsonl(
        {**CLOSING, "recorded_at": "2000-01-21T18:00:00Z"},
        {"type": "rs_filed", "date": "2000-01-13", "recorded_at": "2000-01-21T18:00:00Z"},
        {**demand, "recorded_at": "2000-02-16T09:00:00Z"},
        {"type": "correction", "date": "2000-02-15", "supersedes": 3, "recorded_at": "2000-02-20T09:00:00Z",
         "event": {**demand, "investor": "raptor"}}))
    quotes = flat_quotes(end="2000-06-30")

    def report(known_on: str) -> dict:
        inputs = load_inputs(DEAL, events_file=events, known_on=parse_instant(known_on, "--known-on"))
        return to_json(evaluate(inputs.terms, inputs.events, quotes, focus_calendars(), dt.date(2000, 3, 1)))

    changed = diff_reports(report("2000-02-19"), report("2000-02-20"))
    obligations = {row["path"]: row for row in changed["obligations"]}
    gone = obligations["obligations[ld_payment:altar-rock:2000-02-15]"]
    came = obligations["obligations[ld_payment:raptor:2000-02-15]"]
    assert gone["after"] is None and (gone["before"]["due"], gone["before"]["status"]) == ("2000-02-20", "missed")
    assert came["before"] is None and (came["after"]["due"], came["after"]["status"]) == ("2000-02-20", "missed")
    figures = {row["path"]: (row["before"], row["after"]) for row in changed["figures"]}
    assert figures["liquidated_damages.altar-rock.demanded"] == ("36.13", "0.00")
    assert figures["liquidated_damages.raptor.demanded"] == ("0.00", "8996.13")
    assert "liquidated_damages.raptor.accrued" not in figures  # the damages themselves did not change
    assert changed["deadlines"] == []
