"""The two SVG charts (``pipedeal.outputs.charts``) of the three bundled deals, evaluated in
process as the CLI evaluates them: well-formed standalone SVG with a text alternative, the
FOCUS figures exact, one investor's chart silent about the others, the same bytes each time,
and the edge cases (a running default, no default, no damages, as-of before the Closing, a
single day)."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from pipedeal.base.formats import exact_money
from pipedeal.base.money import plain
from pipedeal.engine.evaluate import evaluate
from pipedeal.outputs.charts import damages_by_month, damages_by_month_svg, defaults_timeline_svg
from pipedeal.outputs.explain import explain_json
from pipedeal.outputs.report import to_json
from pipedeal.storage.workspace import calendars_for, load_inputs

SVG = "{http://www.w3.org/2000/svg}"
# Each bundled deal after its last event (the dates tests/test_bundled_deals.py reads them on).
AFTER_EVENTS = {"focus-1999": "2000-06-30", "lumen-2023": "2024-12-31", "meridian-2006": "2007-12-31"}


@functools.cache
def _evaluated(deal: str, as_of: str):
    inputs = load_inputs(deal)
    evaluation = evaluate(inputs.terms, inputs.events, inputs.quotes, calendars_for(inputs.terms),
                          dt.date.fromisoformat(as_of))
    return evaluation


def deal_on(deal: str, as_of: str) -> tuple[dict, dict, list[str]]:
    """The report JSON, the explanations of every investor, and the investors, as the web would have them."""
    evaluation = _evaluated(deal, as_of)
    investors = list(evaluation.damages)
    report = to_json(evaluation)
    explanations = explain_json(evaluation, investors, with_steps=True).get("explanations", {})
    return copy.deepcopy(report), copy.deepcopy(explanations), investors


def parsed(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def desc_of(root: ET.Element) -> str:
    return root.find(f"{SVG}desc").text


def classes(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if name in (e.get("class") or "").split()]


def check_standalone(svg: str) -> ET.Element:
    """RULES for the charts: xmlns, viewBox, width 100%, role img, title and desc first, no script,
    no external reference, no coordinate that is not a number."""
    root = parsed(svg)
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" ')
    assert re.fullmatch(r"0 0 960 \d+(\.\d+)?", root.get("viewBox"))
    assert root.get("width") == "100%" and root.get("role") == "img"
    first, second = list(root)[:2]
    assert first.tag == f"{SVG}title" and first.text and first.get("id") == root.get("aria-labelledby")
    assert second.tag == f"{SVG}desc" and second.text and second.get("id") == root.get("aria-describedby")
    tags = {e.tag.removeprefix(SVG) for e in root.iter()}
    assert not tags & {"script", "foreignObject", "image", "use", "a", "style", "iframe"}
    for element in root.iter():
        for name, value in element.attrib.items():
            assert "href" not in name and not name.startswith("on"), name
            assert "url(" not in value and "javascript:" not in value
            assert value.lower() not in ("nan", "inf", "-inf")
    assert svg.count("http") == 1  # the namespace, nothing fetched
    return root


# --- figures ------------------------------------------------------------------------------------------


def test_focus_raptor_accrues_its_one_segment_in_january_2000():
    report, explanations, _ = deal_on("focus-1999", "2000-06-30")
    table = damages_by_month(explanations, ["raptor"])
    # The filing default 1999-12-28 to 2000-01-12 is one segment; it ends in January 2000.
    assert table == [("2000-01", {"raptor": Decimal("6193.6239919355")})]
    segments = explanations["raptor"]["segments"]
    assert table[-1][1]["raptor"] == sum(Decimal(s["amount"]) for s in segments)
    assert table[-1][1]["raptor"] == Decimal(report["liquidated_damages"]["raptor"]["accrued_exact"])
    desc = desc_of(parsed(damages_by_month_svg(report, explanations, ["raptor"])))
    assert "by the end of 2000-01 $6,193.6239919355" in desc
    assert "in all $6,193.6239919355 ($6,193.62 to the cent)" in desc
    assert "calendar month in which it ends" in desc


@pytest.mark.parametrize(("deal", "as_of"), [*AFTER_EVENTS.items(), ("lumen-2023", "2024-05-15")])
def test_each_month_is_the_exact_sum_of_the_segments_ended_by_then_and_the_last_is_accrued_exact(deal, as_of):
    report, explanations, investors = deal_on(deal, as_of)
    table = damages_by_month(explanations, investors)
    assert table, "every bundled deal accrues damages after its events"
    months = [month for month, _ in table]
    # Every calendar month from the first to the last, once, in order.
    first = dt.date.fromisoformat(months[0] + "-01")
    expected, day = [], first
    while len(expected) < len(months):
        expected.append(f"{day.year:04d}-{day.month:02d}")
        day = (day + dt.timedelta(days=32)).replace(day=1)
    assert months == expected
    for investor in investors:
        segments = explanations[investor]["segments"]
        for month, values in table:
            owed = sum((Decimal(s["amount"]) for s in segments if s["end"][:7] <= month), Decimal(0))
            assert values[investor] == owed and type(values[investor]) is Decimal
        assert table[-1][1][investor] == Decimal(report["liquidated_damages"][investor]["accrued_exact"])
        assert max(s["end"][:7] for s in segments) == months[-1] or segments == []


def test_lumen_counts_the_effectiveness_default_in_november_when_its_segment_ends():
    report, explanations, _ = deal_on("lumen-2023", "2024-12-31")
    table = dict(damages_by_month(explanations, ["aurora"]))
    # 2023-10-11 to 2023-11-01 ends in November: October has no row, November has all of it.
    assert "2023-10" not in table
    assert table["2023-11"]["aurora"] == Decimal("92258.064516129")
    assert table["2024-03"]["aurora"] == Decimal("92258.064516129")  # the lapse's first month ends 2024-04-03
    assert table["2024-04"]["aurora"] == Decimal("222258.064516129")
    assert table["2024-08"]["aurora"] == Decimal("780000")
    svg = damages_by_month_svg(report, explanations, ["aurora"])
    assert "Aurora Capital Master Fund, Ltd.: $780,000.00 accrued by the end of 2024-08" in svg
    # The dollar axis reaches past the largest bar.
    ticks = [t.text for t in classes(parsed(svg), "tick-label") if t.text.startswith("$")]
    assert ticks[0] == "$0" and Decimal(ticks[-1][1:].replace(",", "")) >= Decimal("780000")


# --- markup -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("deal", AFTER_EVENTS)
def test_both_charts_of_each_bundled_deal_are_standalone_accessible_svg(deal):
    report, explanations, investors = deal_on(deal, AFTER_EVENTS[deal])
    timeline = check_standalone(defaults_timeline_svg(report))
    damages = check_standalone(damages_by_month_svg(report, explanations, investors))
    assert len(classes(timeline, "registration-default")) == len(report["registration_defaults"])
    assert len(classes(timeline, "deadline")) == len(report["deadlines"])
    for run in report["registration_defaults"]:
        assert f"{run['start']} to {run['end']}" in desc_of(timeline)
    for deadline in report["deadlines"]:
        assert f"due {deadline['due']}" in desc_of(timeline)
    assert len(classes(damages, "series")) == len(investors)
    for allocation in report["allocations"]:
        assert allocation["name"] in desc_of(damages)
        total = Decimal(report["liquidated_damages"][allocation["investor"]]["accrued_exact"])
        assert f"in all {exact_money(total)}" in desc_of(damages)


@pytest.mark.parametrize("deal", AFTER_EVENTS)
def test_an_investor_left_out_never_appears_in_the_damages_chart(deal):
    report, explanations, investors = deal_on(deal, AFTER_EVENTS[deal])
    names = {row["investor"]: row["name"] for row in report["allocations"]}

    def figures(investor: str) -> set[str]:
        values = [Decimal(report["liquidated_damages"][investor]["accrued_exact"])]
        values += [value for _, row in damages_by_month(explanations, [investor]) for value in row.values()]
        values += [Decimal(s["amount"]) for s in explanations[investor]["segments"]]
        # As a reader sees them, and as the JSON spells them (long enough not to be a coordinate).
        return {exact_money(value) for value in values} | {plain(v) for v in values if len(plain(v)) >= 5}

    for shown in investors:
        svg = damages_by_month_svg(report, explanations, [shown])
        check_standalone(svg)
        assert names[shown] in svg
        for other in investors:
            if other == shown:
                continue
            assert other not in svg
            assert names[other] not in svg
            # Another investor's figures, less those that happen to equal the shown one's own.
            for figure in figures(other) - figures(shown):
                assert figure not in svg, (shown, other, figure)


def test_the_months_come_from_the_listed_investors_segments_alone():
    report, explanations, _ = deal_on("focus-1999", "2000-06-30")
    # A second investor whose only segment ends in March: Raptor's chart must not hint at March.
    later = copy.deepcopy(explanations["raptor"])
    later["segments"][0]["end"] = "2000-03-14"
    explanations["roseworth"] = later
    assert [month for month, _ in damages_by_month(explanations, ["raptor", "roseworth"])] == [
        "2000-01", "2000-02", "2000-03"]
    assert [month for month, _ in damages_by_month(explanations, ["raptor"])] == ["2000-01"]
    svg = damages_by_month_svg(report, explanations, ["raptor"])
    assert "Mar 2000" not in svg and "2000-03" not in svg and "Feb 2000" not in svg


@pytest.mark.parametrize("deal", AFTER_EVENTS)
def test_the_same_deal_gives_the_same_bytes(deal):
    report, explanations, investors = deal_on(deal, AFTER_EVENTS[deal])
    again_report, again_explanations, _ = deal_on(deal, AFTER_EVENTS[deal])
    assert defaults_timeline_svg(report) == defaults_timeline_svg(again_report)
    assert (damages_by_month_svg(report, explanations, investors)
            == damages_by_month_svg(again_report, again_explanations, investors))
    # The order of the investors is the order of the series, as passed.
    assert (damages_by_month_svg(report, explanations, investors)
            != damages_by_month_svg(report, explanations, investors[::-1]))


def test_names_are_escaped_into_well_formed_markup():
    report, explanations, _ = deal_on("focus-1999", "2000-06-30")
    for row in report["allocations"]:
        if row["investor"] == "raptor":
            row["name"] = 'Raptor & Sons <"Global"> Fund'
    report["deal"] = "focus <1999> & co"
    root = parsed(damages_by_month_svg(report, explanations, ["raptor"]))
    assert 'Raptor & Sons <"Global"> Fund' in desc_of(root)
    assert [t.text for t in classes(root, "legend-label")] == ['Raptor & Sons <"Global"> Fund']
    assert "focus <1999> & co" in parsed(defaults_timeline_svg(report)).find(f"{SVG}title").text


# --- edge cases ---------------------------------------------------------------------------------------


def _bar_end(group: ET.Element) -> float:
    bar = classes(group, "bar")[0]
    return float(bar.get("x")) + float(bar.get("width"))


def test_a_default_running_on_the_as_of_date_reaches_the_as_of_rule():
    report, _, _ = deal_on("lumen-2023", "2024-05-15")
    lapse = report["registration_defaults"][-1]
    assert (lapse["kind"], lapse["end"], lapse["days"]) == ("lapse", "2024-05-15", 73)
    root = check_standalone(defaults_timeline_svg(report))
    as_of_x = float(classes(root, "as-of")[0].get("x1"))
    assert _bar_end(classes(root, "kind-lapse")[0]) == pytest.approx(as_of_x, abs=0.02)
    # The same default with no end (the report's spelling of one still running): drawn open.
    lapse["end"] = None
    root = check_standalone(defaults_timeline_svg(report))
    running = classes(root, "running")
    assert len(running) == 1 and classes(running[0], "running-arrow")
    assert _bar_end(running[0]) == pytest.approx(as_of_x, abs=0.02)
    assert "from 2024-03-04, still running on the as-of date 2024-05-15 (73 days)" in desc_of(root)


def test_at_the_closing_there_is_no_default_and_no_damages():
    report, explanations, investors = deal_on("focus-1999", "1999-11-24")
    assert report["registration_defaults"] == [] and all(
        explanations[i]["segments"] == [] for i in investors)
    timeline = check_standalone(defaults_timeline_svg(report))
    assert classes(timeline, "bar") == [] and classes(timeline, "empty-note")
    assert "No Registration Default by the as-of date 1999-11-24." in desc_of(timeline)
    assert "due 1999-12-27; not done yet (pending)" in desc_of(timeline)
    assert damages_by_month(explanations, investors) == []
    damages = check_standalone(damages_by_month_svg(report, explanations, investors))
    assert classes(damages, "bar") == []
    assert "No liquidated damages accrued by the as-of date 1999-11-24." in desc_of(damages)
    assert [t.text for t in classes(damages, "tick-label")] == ["$0"]


def test_as_of_before_the_closing_draws_one_day_and_no_investor():
    report, explanations, investors = deal_on("focus-1999", "1999-11-01")
    assert report["closing_date"] is None and report["deadlines"] == [] and investors == []
    timeline = check_standalone(defaults_timeline_svg(report))
    assert "no Closing by the as-of date 1999-11-01" in desc_of(timeline)
    assert classes(timeline, "closing") == []
    damages = check_standalone(damages_by_month_svg(report, explanations, []))
    assert "no investor" in desc_of(damages)
    with pytest.raises(ValueError, match="raptor"):
        damages_by_month(explanations, ["raptor"])


def test_a_one_day_default_has_a_visible_bar_and_one_month_of_damages():
    report, explanations, investors = deal_on("meridian-2006", "2006-04-18")
    assert report["registration_defaults"] == [
        {"kind": "filing", "clause": "RRA 2(e)(i)", "start": "2006-04-18", "end": "2006-04-18", "days": 1}]
    timeline = check_standalone(defaults_timeline_svg(report))
    assert float(classes(timeline, "bar")[0].get("width")) >= 1.5
    assert "RRA 2(e)(i) filing default: 2006-04-18 to 2006-04-18 (1 day)" in desc_of(timeline)
    table = damages_by_month(explanations, investors)
    assert table == [("2006-04", {"harbor-street": Decimal("20400"), "crestline": Decimal("10200"),
                                  "pine-ridge": Decimal("6120.0204")})]
    damages = check_standalone(damages_by_month_svg(report, explanations, investors))
    assert len(classes(damages, "bar")) == 3
