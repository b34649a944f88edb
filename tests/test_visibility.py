"""What one investor may see of the FOCUS report: its own figures, never another's, nor a sum that would tell
another's."""

from __future__ import annotations

import datetime as dt
import json

from pipedeal.engine.evaluate import evaluate
from pipedeal.outputs.report import to_json
from pipedeal.outputs.visibility import for_investor, leaks, others_of
from pipedeal.storage.workspace import calendars_for, load_inputs


def _focus_report(day: str) -> tuple[dict, object]:
    inputs = load_inputs("focus-1999")
    evaluation = evaluate(inputs.terms, inputs.events, inputs.quotes, calendars_for(inputs.terms),
                          dt.date.fromisoformat(day))
    return to_json(evaluation), inputs.terms


def test_raptor_sees_its_own_wire_and_damages_but_not_the_closing_totals_nor_roseworths_fee():
    report, terms = _focus_report("2000-06-30")
    others = others_of(terms, "raptor")
    seen = for_investor(report, others)
    assert report["closing"]["totals"]["received"] == "2000000.00"  # the whole deal's, untouched
    assert "totals" not in seen["closing"]
    assert [row["investor"] for row in seen["closing"]["funds"]] == ["raptor"]
    assert seen["closing"]["funds"][0]["received"] == "1394400.00"
    assert seen["closing"]["finder"]["introduced"] == []  # Roseworth's introduction is Roseworth's
    assert list(seen["liquidated_damages"]) == ["raptor"]
    assert leaks(json.dumps(seen), others) == []
    assert "30000.00" not in json.dumps(seen) and "600000.00" not in json.dumps(seen)
