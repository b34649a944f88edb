"""The hash-chain audit as a pure function: every kind of tampering gets its own code."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from pipedeal.storage.chain import GENESIS_HASH, ChainRow, audit, canonical_json, chain_hash

DEAL = "focus-1999"
WHEN = dt.datetime(2000, 3, 1, 12, 0, tzinfo=dt.UTC)


def chain(length: int) -> list[ChainRow]:
    rows, prev = [], GENESIS_HASH
    for seq in range(1, length + 1):
        day = dt.date(2000, 1, 1) + dt.timedelta(days=seq)
        event = {"type": "ld_demand", "date": day.isoformat(), "investor": "raptor"}
        digest = chain_hash(prev, DEAL, seq, WHEN, event, "e.jsonl", seq)
        rows.append(ChainRow(seq, "ld_demand", day, canonical_json(event), WHEN, "e.jsonl", seq,
                             prev, digest))
        prev = digest
    return rows


def codes(rows: list[ChainRow]) -> list[tuple[str, int | None]]:
    return [(finding.code, finding.seq) for finding in audit(DEAL, rows)]


lengths = st.integers(min_value=2, max_value=25)


@given(st.integers(min_value=0, max_value=25))
def test_an_intact_chain_has_no_findings(length: int) -> None:
    assert codes(chain(length)) == []


@given(lengths, st.data())
def test_an_edited_row_is_edited(length: int, data: st.DataObject) -> None:
    rows = chain(length)
    i = data.draw(st.integers(0, length - 1))
    field = data.draw(st.sampled_from(["payload", "recorded_at", "source_file", "source_line"]))
    changed = {"payload": rows[i].payload.replace("raptor", "altar_rock"),
               "recorded_at": WHEN + dt.timedelta(seconds=1),
               "source_file": "forged.jsonl", "source_line": 0}[field]
    rows[i] = dataclasses.replace(rows[i], **{field: changed})
    assert codes(rows) == [("LEDGER-EDITED", i + 1)]


@given(lengths, st.data())
def test_a_deleted_row_is_deleted(length: int, data: st.DataObject) -> None:
    rows = chain(length)
    i = data.draw(st.integers(0, length - 2))  # not the newest: see below
    del rows[i]
    assert codes(rows) == [("LEDGER-DELETED", i + 2)]


@given(lengths, st.data())
def test_swapped_rows_are_reordered(length: int, data: st.DataObject) -> None:
    rows = chain(length)
    i, j = sorted(data.draw(st.lists(st.integers(0, length - 1), min_size=2, max_size=2,
                                     unique=True)))
    rows[i], rows[j] = (dataclasses.replace(rows[j], seq=i + 1),
                        dataclasses.replace(rows[i], seq=j + 1))
    assert codes(rows) == [("LEDGER-REORDERED", i + 1), ("LEDGER-REORDERED", j + 1)]


def test_an_unparseable_payload() -> None:
    rows = chain(3)
    rows[1] = dataclasses.replace(rows[1], payload="{not json")
    assert codes(rows) == [("LEDGER-UNPARSEABLE", 2)]
    rows = chain(3)
    event = {"type": "no_such_event", "date": "2000-01-03"}
    forged = chain_hash(rows[1].prev_hash, DEAL, 2, WHEN, event, "e.jsonl", 2)
    rows[1] = dataclasses.replace(rows[1], payload=canonical_json(event), hash=forged)
    assert codes(rows) == [("LEDGER-UNPARSEABLE", 2), ("LEDGER-DELETED", 3)]


def test_a_rehashed_edit_breaks_the_next_link() -> None:
    """Rewriting a row's hash to match an edit leaves the next row pointing at the old one."""
    rows = chain(4)
    payload = rows[1].payload.replace("raptor", "roseworth")
    event = {"type": "ld_demand", "date": rows[1].date.isoformat(), "investor": "roseworth"}
    rows[1] = dataclasses.replace(
        rows[1], payload=payload,
        hash=chain_hash(rows[1].prev_hash, DEAL, 2, WHEN, event, "e.jsonl", 2))
    assert codes(rows) == [("LEDGER-DELETED", 3)]


def test_cutting_off_the_newest_rows_shows_only_against_the_recorded_head() -> None:
    """A shorter prefix is itself a valid chain: the deal's head (seq, hash) exposes the cut."""
    rows = chain(5)
    assert codes(rows[:3]) == []
    findings = audit(DEAL, rows[:3], head=(5, rows[-1].hash))
    assert [(f.code, f.seq) for f in findings] == [("LEDGER-DELETED", 5)]
    assert "seqs 4..5 missing at the end" in findings[0].message
    assert audit(DEAL, rows, head=(5, rows[-1].hash)) == []
