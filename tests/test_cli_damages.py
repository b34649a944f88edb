"""`pipedeal ld`, `pipedeal ambiguities` and `--strict`, run as a user runs them."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from conftest import pipedeal_cli
from scenario import FOCUS_DIR


@pytest.fixture(scope="module")
def pipedeal(tmp_path_factory, cache_dir):
    cwd = tmp_path_factory.mktemp("work")
    run = pipedeal_cli(cwd, cache_dir)

    return run


def test_ld_explain_shows_the_focus_filing_default_and_each_investors_damages(pipedeal):
    out = pipedeal("ld", "--as-of", "2000-03-01", "--explain").stdout
    assert "RRA 3(e)(i) filing default: 1999-12-28 to 2000-01-12 (16 days)" in out
    for name in ("Raptor Global Portfolio Ltd.", "Altar Rock Fund L.P.", "Roseworth Group, Ltd."):
        assert name in out
    # Raptor: 1% x 871,500 shares x $22.03125 (16 closes) / 31 days = $6,193.6239...
    assert "$6,193.62" in out and "$24.87" in out and "$2,665.07" in out
    assert "rounded half-up once to the cent" in out
    assert "for the first two months and two percent (2%)" in out


def test_ld_explain_writes_every_share_count_and_dollar_amount_with_thousands_separators(pipedeal):
    out = " ".join(pipedeal("ld", "--as-of", "2000-03-01", "--explain").stdout.split())
    assert "871,500 shares" in out and "375,000 shares" in out
    assert "$6,193.62" in out and "$2,665.07" in out
    assert "market value $1,200,014.6484375 a day on average" in out
    assert "= $6,193.6239919355…" in out  # a segment's exact amount, cut at 10 places and marked
    assert "sum of the segments $6,193.6239919355…" in out
    assert not re.search(r"\$\d{4}|\b\d{4,}(?:\.\d+)? shares", out), "a figure without separators"


def test_ld_json_with_explain_has_segments_and_cited_steps(pipedeal):
    data = json.loads(pipedeal("ld", "--as-of", "2000-03-01", "--json", "--explain",
                               "--investor", "raptor").stdout)
    assert list(data["liquidated_damages"]) == ["raptor"]
    assert data["liquidated_damages"]["raptor"]["accrued"] == "6193.62"
    [segment] = data["explanations"]["raptor"]["segments"]
    assert (segment["start"], segment["end"], segment["days"], segment["rate"], segment["divisor"]) == (
        "1999-12-28", "2000-01-12", 16, "0.01", "31")
    assert all(step["clause"] for step in data["explanations"]["raptor"]["steps"])


def test_ld_for_an_unknown_investor_is_refused(pipedeal):
    refused = pipedeal("ld", "--investor", "tudor", expect=2)
    assert "no investor 'tudor'" in refused.stderr


def test_ambiguities_shows_each_reading_side_by_side(pipedeal):
    data = json.loads(pipedeal("ambiguities", "--as-of", "2000-03-01", "--json").stdout)
    keys = {entry["key"]: entry for entry in data["keys"]}
    assert set(keys) == {"effectiveness_days", "additional_effectiveness_days", "roll_deadlines",
                         "exercise_price_rounding", "ld_market_value", "ld_schedule_clock", "ld_day_count",
                         "cashless_test", "fraction_cash", "underwriter_request", "effectiveness_period_end",
                         "notice_before_hours", "rule144k_years"}
    roll = {row["value"]: row for row in keys["roll_deadlines"]["values"]}
    assert roll["next_business_day"]["liquidated_damages"]["raptor"] == "6193.62"
    # Without the roll the default starts 1999-12-25: three more days.
    assert roll["none"]["liquidated_damages"]["raptor"] > roll["next_business_day"]["liquidated_damages"]["raptor"]
    assert roll["none"]["difference"]["raptor"] == (
        f"{Decimal(roll['none']['liquidated_damages']['raptor']) - Decimal('6193.62')}")
    rounding = {row["value"]: row["exercise_price"] for row in keys["exercise_price_rounding"]["values"]}
    assert rounding == {"none": "1.80125", "cent": "1.80", "tenth_cent": "1.801"}
    assert keys["ld_day_count"]["in_force"] == "actual_days_in_period"
    assert keys["ld_day_count"]["field"] == "liquidated_damages.proration"


def test_ambiguities_table_names_every_key(pipedeal):
    out = pipedeal("ambiguities", "--as-of", "2000-03-01").stdout
    for key in ("effectiveness_days", "ld_market_value", "ld_schedule_clock", "ld_day_count", "rule144k_years"):
        assert key in out


def test_strict_ld_names_only_the_readings_that_move_the_damages_on_that_date(pipedeal):
    # As of 2000-03-01 only the filing default has run (1999-12-28 to 2000-01-12): the roll,
    # the market value and the day count move it; 120 or 150 days to effectiveness
    # (2000-03-23 or 2000-04-22) and the 1%-then-2% clock do not yet.
    refused = pipedeal("ld", "--as-of", "2000-03-01", "--strict", expect=2)
    named = set(re.findall(r"with the reading (\w+)", refused.stderr))
    assert named == {"roll_deadlines", "ld_market_value", "ld_day_count"}
    assert "nothing was written" in refused.stderr and "line " in refused.stderr
    confirmed = pipedeal("ld", "--as-of", "2000-03-01", "--strict", "--set", "roll_deadlines=next_business_day",
                         "--set", "ld_market_value=daily_close", "--set", "ld_day_count=actual_days_in_period")
    assert "$6,193.62" in confirmed.stdout


def test_strict_ld_before_any_default_has_nothing_to_confirm(pipedeal):
    # The filing is due 1999-12-27 (rolled) or 1999-12-24: on 1999-12-20 no reading owes anything yet.
    quiet = pipedeal("ld", "--as-of", "1999-12-20", "--strict")
    assert "$0.00" in quiet.stdout


def test_strict_report_also_names_the_exercise_price_rounding(pipedeal):
    refused = pipedeal("report", "--as-of", "2000-03-01", "--strict", expect=2)
    named = set(re.findall(r"with the reading (\w+)", refused.stderr))
    assert named == {"roll_deadlines", "ld_market_value", "ld_day_count", "exercise_price_rounding"}


def test_a_deal_that_declares_no_ambiguity_has_nothing_to_confirm_under_strict(pipedeal):
    text = (FOCUS_DIR / "terms.toml").read_text()
    text = re.sub(r"\[\[ambiguities\]\].*?(?=\n\[(?!\[ambiguities)|\Z)", "", text, flags=re.S)
    assert "[[ambiguities]]" not in text
    path = pipedeal.cwd / "plain-terms.toml"
    path.write_text(text)
    strict = pipedeal("ld", "--deal", str(path), "--events", str(FOCUS_DIR / "events.jsonl"),
                      "--prices", str(FOCUS_DIR / "quotes.csv"), "--as-of", "2000-03-01", "--strict")
    assert "$6,193.62" in strict.stdout


def test_statement_writes_one_document_per_investor(pipedeal, tmp_path):
    pipedeal("statement", "--as-of", "2000-03-01", "--format", "html", "--out", str(tmp_path))
    written = sorted(path.name for path in tmp_path.iterdir())
    investors = ("altar-rock", "raptor", "roseworth")
    assert written == [f"ld-statement-focus-1999-{who}-2000-03-01.html" for who in investors]
    assert "$6,193.62" in (tmp_path / "ld-statement-focus-1999-raptor-2000-03-01.html").read_text()


def test_a_demand_letter_as_pdf(pipedeal, tmp_path):
    pipedeal("statement", "--as-of", "2000-03-01", "--investor", "roseworth", "--letter", "--date", "2000-03-02",
             "--out", str(tmp_path))
    pdf = tmp_path / "ld-demand-focus-1999-roseworth-2000-03-01.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
