"""Events refused cleanly: text that is not Unicode, share counts that are not whole,
dates outside 1970-2100, JSON nested without end, and `events add ... type=...`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import pipedeal_cli
from scenario import FOCUS_LOG, jsonl

from pipedeal.base.diagnostics import InputError
from pipedeal.engine.events import parse_events
from pipedeal.storage.chain import decode_payload


def problems(text: str) -> list[tuple[str, int | None, str | None, str]]:
    with pytest.raises(InputError) as caught:
        parse_events(text, "e.jsonl")
    return [(p.code, p.line, p.field, p.message) for p in caught.value.problems]


def test_a_lone_surrogate_in_any_string_is_refused_naming_the_field():
    text = ('{"type": "ld_demand", "date": "2000-03-01", "investor": "raptor", "note": "x\\ud800"}\n'
            '{"type": "closing", "date": "1999-11-24", "source": "ok"}\n'
            '{"type": "merger", "date": "2001-01-02", "per_share": [{"asset": "\\udfff", "quantity": 1}]}\n'
            '{"type": "closing", "date": "1999-11-24", "\\ud800": 1}\n')
    found = problems(text)
    assert [(code, line, field) for code, line, field, _ in found] == [
        ("EVENT-INVALID", 1, "note"), ("EVENT-INVALID", 3, "per_share[0].asset"), ("EVENT-INVALID", 4, None)]
    assert "not valid Unicode text" in found[0][3]


@pytest.mark.parametrize("shares", ["true", "10.5", '"10"', "0", "-3", "false"])
@pytest.mark.parametrize("kind", ["shares_sold", "warrant_transfer", "financing"])
def test_a_share_count_must_be_a_whole_number(kind, shares):
    extra = {"shares_sold": '"investor": "raptor"', "warrant_transfer": '"warrant": "W-1", "to": "raptor"',
             "financing": '"price": 1, "bid": 1'}[kind]
    [(code, line, field, _)] = problems(f'{{"type": "{kind}", "date": "2000-03-01", {extra}, "shares": {shares}}}')
    assert (code, line, field) == ("EVENT-INVALID", 1, "shares")


def test_a_division_and_an_authorized_count_are_whole_numbers_too():
    found = problems(jsonl({"type": "warrant_divide", "date": "2000-03-01", "warrant": "W-1", "into": [1, True]},
                           {"type": "stock_split", "date": "2000-03-01", "ratio": "2:1", "authorized": "60000000"}))
    assert [(code, field) for code, _, field, _ in found] == [("EVENT-INVALID", "into[1]"),
                                                              ("EVENT-INVALID", "authorized")]


def test_a_warrant_exercise_may_name_all_or_a_fractional_balance_but_not_true():
    ok = parse_events(jsonl(*({"type": "warrant_exercise", "date": "2000-06-01", "warrant": "W-1",
                               "method": "cash", "shares": shares} for shares in ("all", "56251.5", 100))), "e")
    assert [str(event.shares) for _, event in ok] == ["all", "56251.5", "100"]
    [(code, _, field, message)] = problems('{"type": "warrant_exercise", "date": "2000-06-01", "warrant": "W-1", '
                                           '"method": "cash", "shares": true}')
    assert (code, field) == ("EVENT-INVALID", "shares") and "not true" in message


@pytest.mark.parametrize(("event", "field"), [
    ({"type": "closing", "date": "1969-12-31"}, "date"),
    ({"type": "closing", "date": "2101-01-01"}, "date"),
    ({"type": "blackout", "date": "2000-01-01", "start": "2000-01-02", "end": "2150-01-01"}, "end"),
    ({"type": "stock_split", "date": "2000-03-01", "record_date": "1900-02-01", "ratio": "2:1"}, "record_date"),
    ({"type": "corporate_action_notice", "date": "2000-01-01", "action": "split", "record_date": "2000-02-01",
      "effective_date": "2200-01-01"}, "effective_date"),
    ({"type": "notice", "sent_at": "1950-03-06T16:30:00-05:00", "method": "fax", "from": "focus", "to": "raptor",
      "subject": "x"}, "sent_at"),
    ({"type": "closing", "date": "1999-11-24", "recorded_at": "2222-01-01T00:00:00+00:00"}, "recorded_at"),
])
def test_a_date_outside_1970_to_2100_is_refused(event, field):
    [(code, line, found, message)] = problems(jsonl(event, bare=True))
    assert (code, line, found) == ("EVENT-BAD-DATE", 1, field)
    assert "is outside 1970-01-01 to 2100-12-31" in message


def test_ten_thousand_nested_arrays_are_a_clear_error_not_a_recursion_error():
    deep = "[" * 10_000 + "]" * 10_000
    found = problems(f'{{"type": "closing", "date": "1999-11-24"}}\n{deep}\n'
                     f'{{"type": "closing", "date": "1999-11-24", "note": {"[" * 40 + "]" * 40}}}\n')
    assert [(code, line) for code, line, _, _ in found] == [("EVENT-JSON", 2), ("EVENT-INVALID", 3)]
    assert "nested more than 32 levels deep" in found[0][3]
    with pytest.raises(ValueError, match="nested too deeply"):
        decode_payload(deep)


@pytest.fixture
def pipedeal(tmp_path: Path):
    return pipedeal_cli(tmp_path, tmp_path / "cache")


def test_events_add_refuses_a_type_given_as_a_field_and_deep_or_broken_text(pipedeal, tmp_path):
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    pipedeal("init", "--db", db)
    refused = pipedeal("events", "add", "ld_demand", "type=other", "date=2000-03-01", "investor=raptor",
                       "--db", db, expect=2)
    assert "command line, field type" in refused.stderr and "the event's type is the first argument" in refused.stderr
    refused = pipedeal("events", "add", "ld_demand", "date=2000-03-01", "investor=raptor",
                       "note=" + "[" * 10_000 + "]" * 10_000, "--db", db, expect=2)
    assert "nested" in refused.stderr
    refused = pipedeal("events", "add", "ld_demand", "date=2000-03-01", "investor=raptor", 'note="\\ud800"',
                       "--db", db, expect=2)
    assert "not valid Unicode text" in refused.stderr
    events = tmp_path / "bad.jsonl"
    events.write_text('{"type": "ld_demand", "date": "2000-03-01", "investor": "raptor", "note": "\\udc80"}\n')
    refused = pipedeal("events", "import", str(events), "--db", db, expect=2)
    assert "bad.jsonl, line 1, field note" in refused.stderr
    assert len(json.loads(pipedeal("events", "list", "--json", "--db", db).stdout)) == FOCUS_LOG
