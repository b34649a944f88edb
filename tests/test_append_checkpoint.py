"""Appending without refolding: the fold continued from a checkpoint judges new events exactly
as a fold of the whole ledger does, and never reads the recorded events to do it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenario import CLOSING, D, flat_quotes, focus_calendars, focus_terms, recorded
from test_warrants import any_event

from pipedeal.engine.append import check_append
from pipedeal.engine.checkpoint import resume, take
from pipedeal.engine.events import parse_event
from pipedeal.engine.timeline import Fold, Located, make_context

PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def context():
    calendars = focus_calendars()
    return make_context(focus_terms(), calendars.business, flat_quotes("3.00"), calendars.trading)


def new(*events: dict) -> list[Located]:
    return [Located(parse_event(event), "new.jsonl", line) for line, event in enumerate(events, 1)]


def checkpoint_of(events: list[Located]) -> dict:
    folding = Fold(context())
    folding.add(events)
    folding.run(dt.date.fromordinal(folding.last_event))
    return json.loads(json.dumps(take(folding)))  # as the ledger stores it


def never_read() -> list[Located]:
    raise AssertionError("the fast path must not read the recorded events")


SALES = recorded(CLOSING, {"type": "rs_filed", "date": "2000-01-13"},
                 {"type": "shares_sold", "date": "2000-03-01", "investor": "altar-rock", "shares": 3000},
                 {"type": "stock_split", "date": "2000-06-15", "record_date": "2000-06-01", "ratio": "3:2"})


def test_a_checkpoint_survives_the_trip_through_json_unchanged():
    saved = checkpoint_of(SALES)
    assert take(resume(context(), saved)) == saved


def test_an_append_after_the_last_event_is_judged_from_the_checkpoint_alone():
    # Altar Rock held 3,500, sold 3,000: 500 left, 750 after the 3:2 split distributed on 06-15.
    ok = check_append(context(), new({"type": "shares_sold", "date": "2000-07-03", "investor": "altar-rock",
                                      "shares": 750}), existing=never_read, checkpoint=checkpoint_of(SALES))
    assert ok.problems == [] and ok.checkpoint is not None
    refused = check_append(context(), new({"type": "shares_sold", "date": "2000-07-03", "investor": "altar-rock",
                                           "shares": 751}), existing=never_read, checkpoint=checkpoint_of(SALES))
    assert [(p.code, p.file, p.line) for p in refused.problems] == [("EVENT-SOLD-BEYOND-HOLDINGS", "new.jsonl", 1)]
    assert refused.checkpoint is None


def test_a_second_filing_of_the_primary_statement_is_refused_from_the_checkpoint_too():
    refused = check_append(context(), new({"type": "rs_filed", "date": "2000-08-01"}), existing=never_read,
                           checkpoint=checkpoint_of(SALES))
    assert [p.code for p in refused.problems] == ["EVENT-DUPLICATE-STATEMENT"]


def test_a_back_dated_event_reads_the_ledger_and_names_the_row_it_breaks():
    found = check_append(context(), new({"type": "shares_sold", "date": "2000-02-01", "investor": "altar-rock",
                                         "shares": 1000}),
                         existing=lambda: SALES, checkpoint=checkpoint_of(SALES))
    assert [(p.code, p.seq) for p in found.problems] == [("EVENT-SOLD-BEYOND-HOLDINGS", 3)]
    assert "ledger event #3 would become invalid" in found.problems[0].message


def test_a_checkpoint_of_another_version_is_not_used():
    saved = {**checkpoint_of(SALES), "version": 0}
    with pytest.raises(ValueError):
        resume(context(), saved)
    ok = check_append(context(), new({"type": "ld_demand", "date": "2000-07-03", "investor": "raptor"}),
                      existing=lambda: SALES, checkpoint=saved)
    assert ok.problems == []


@PROPERTY
@given(st.data())
def test_property_the_checkpoint_and_the_whole_ledger_judge_every_append_alike(data):
    days = sorted(D("2000-01-03") + dt.timedelta(days=data.draw(st.integers(0, 1_800)))
                  for _ in range(data.draw(st.integers(1, 16))))
    cut = data.draw(st.integers(0, len(days)))
    history = recorded(CLOSING, *(any_event(data, day) for day in days[:cut]))
    appended = new(*(any_event(data, day) for day in days[cut:]))
    assume_after = all(item.event.applies_on >= max(e.event.applies_on for e in history) for item in appended)
    if not appended or not assume_after:
        return
    fast = check_append(context(), appended, existing=never_read, checkpoint=checkpoint_of(history))
    slow = check_append(context(), appended, existing=lambda: history)
    assert [(p.code, p.line, p.field) for p in fast.problems] == [(p.code, p.line, p.field) for p in slow.problems]
    assert fast.checkpoint == slow.checkpoint
