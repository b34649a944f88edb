"""`pipedeal ld`, `pipedeal ambiguities` and `--strict`, run as a user runs them."""

from __future__ import annotations

import json
import re

import pytest
from conftest import pipedeal_cli
from scenario import FOCUS_DIR


@pytest.fixture(scope="module")
def pipedeal(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    cwd = tmp_path_factory.mktemp("work")
    run = pipedeal_cli(cwd, cache)

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
    assert roll[True]["liquidated_damages"]["raptor"] == "6193.62"
    # Without the roll the default starts 1999-12-25: three more days.
    assert roll[False]["liquidated_damages"]["raptor"] > roll[True]["liquidated_damages"]["raptor"]
    assert roll[False]["difference"]["raptor"] == f"{float(roll[False]['liquidated_damages']['raptor']) - 6193.62:.2f}"
    rounding = {row["value"]: row["exercise_price"] for row in keys["exercise_price_rounding"]["values"]}
    assert rounding == {"none": "1.80125", "cent": "1.80", "tenth_cent": "1.801"}
    assert keys["ld_day_count"]["set_in_terms"] is True


def test_ambiguities_table_names_every_key(pipedeal):
    out = pipedeal("ambiguities", "--as-of", "2000-03-01").stdout
    for key in ("effectiveness_days", "ld_market_value", "ld_schedule_clock", "ld_day_count", "rule144k_years"):
        assert key in out


@pytest.fixture
def terms_without_keys(pipedeal):
    text = (FOCUS_DIR / "terms.toml").read_text()
    text = re.sub(r"\[interpretations\].*", "", text, flags=re.S)
    path = pipedeal.cwd / "open-terms.toml"
    path.write_text(text)
    events = pipedeal.cwd / "events.jsonl"
    events.write_text((FOCUS_DIR / "events.jsonl").read_text())
    return path, events


def test_strict_refuses_damages_that_rest_on_unchosen_readings(pipedeal, terms_without_keys):
    terms, events = terms_without_keys
    refused = pipedeal("ld", "--deal", str(terms), "--events", str(events),
                       "--prices", str(FOCUS_DIR / "quotes.csv"), "--as-of", "2000-03-01", "--strict", expect=2)
    for key in ("ld_market_value", "ld_schedule_clock", "ld_day_count", "effectiveness_days", "roll_deadlines",
                "rule144k_years", "additional_effectiveness_days"):
        assert f"interpretations.{key}" in refused.stderr
    assert "exercise_price_rounding" not in refused.stderr
    # The same figures are computed without --strict (defaults) ...
    pipedeal("ld", "--deal", str(terms), "--events", str(events), "--prices", str(FOCUS_DIR / "quotes.csv"),
             "--as-of", "2000-03-01")
    # ... and with --strict once every reading is chosen on the command line.
    chosen = ["--set", "ld_market_value=daily_close", "--set", "ld_schedule_clock=cumulative",
              "--set", "ld_day_count=thirty", "--set", "effectiveness_days=150", "--set", "roll_deadlines=true",
              "--set", "rule144k_years=2", "--set", "additional_effectiveness_days=90",
              "--set", "underwriter_request=excludes_days", "--set", "effectiveness_period_end=as_written",
              "--set", "notice_before_hours=next_business_day"]
    pipedeal("ld", "--deal", str(terms), "--events", str(events), "--prices", str(FOCUS_DIR / "quotes.csv"),
             "--as-of", "2000-03-01", "--strict", *chosen)


def test_strict_report_needs_every_key(pipedeal, terms_without_keys):
    terms, events = terms_without_keys
    refused = pipedeal("report", "--deal", str(terms), "--events", str(events),
                       "--prices", str(FOCUS_DIR / "quotes.csv"), "--strict", expect=2)
    assert "interpretations.exercise_price_rounding" in refused.stderr
    assert "interpretations.cashless_test" in refused.stderr


def test_the_bundled_terms_choose_every_reading(pipedeal):
    pipedeal("report", "--as-of", "2000-03-01", "--strict")


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
