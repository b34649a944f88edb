"""The PIPE terms language as a user meets it: `pipedeal terms check`, `pipedeal schema terms`,
`pipedeal terms keys`, and the errors a terms file can carry, each with its file and line."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import pipedeal_cli
from scenario import REPO, focus_terms_text

from pipedeal.base.diagnostics import InputError
from pipedeal.deal.terms_file import BUNDLED_DEALS, bundled_deal_names, check_terms, parse_terms
from pipedeal.deal.terms_schema import key_reference, reference_document, reference_markdown, terms_json_schema


@pytest.fixture
def pipedeal(tmp_path: Path):
    return pipedeal_cli(tmp_path, tmp_path / "cache")


def line_of(text: str, start: str, after: int = 0) -> int:
    """The 1-based number of the first line starting with ``start`` at or after line ``after``."""
    lines = text.splitlines()
    return next(number for number, line in enumerate(lines, start=1) if number > after and line.startswith(start))


def problems_of(text: str) -> list[tuple[str, int | None, str | None]]:
    terms, problems = check_terms(text, "deal.toml")
    assert terms is None
    return [(problem.code, problem.line, problem.field) for problem in problems]


# --- pipedeal terms check --------------------------------------------------------------------------


def test_the_bundled_focus_terms_check_as_a_complete_deal(pipedeal):
    done = pipedeal("terms", "check", str(BUNDLED_DEALS / "focus-1999" / "terms.toml"))
    assert "a complete deal, focus-1999: 3 investor(s), 13 ambiguities" in done.stdout


def test_terms_check_lists_every_problem_in_line_order_with_exit_2(pipedeal, tmp_path):
    text = focus_terms_text()
    text = text.replace('purchase_price = "1.60"',
                        'purchase_price = "1.60"\ndiscount = "0.15"\nprice_rounding = "cent"')
    text = text.replace('schedule = [{ periods = 2, rate = "0.01" }, { rate = "0.02" }]',
                        'schedule = [{ periods = 2, rate = "0.01" }, { periods = 4, rate = "0.02" }]')
    text = text.replace('cap = "none"', 'cap = { rate = "0.10", of = "purchase_price_held" }')
    path = tmp_path / "mixed.toml"
    path.write_text(text)
    refused = pipedeal("terms", "check", str(path), "--json", expect=2)
    found = json.loads(refused.stdout)
    assert found["complete"] is False and found["file"] == str(path)
    listed = [(p["code"], p["line"], p["field"]) for p in found["problems"]]
    assert listed == [
        ("TERMS-EXCLUSIVE", line_of(text, "discount = "), "pricing.discount"),
        ("TERMS-INVALID", line_of(text, "schedule = "), "liquidated_damages.schedule[1].periods"),
        ("TERMS-INVALID", line_of(text, "cap = "), "liquidated_damages.cap.of"),
    ]
    assert [p["line"] for p in found["problems"]] == sorted(p["line"] for p in found["problems"])
    plain = pipedeal("terms", "check", str(path), expect=2)
    assert f"{path}: 3 problem(s)" in plain.stderr
    assert "give purchase_price or discount, not both" in plain.stderr
    assert "the last step of the schedule runs on: it has no periods" in plain.stderr
    assert "a base this deal's damages lack (its base is market_value_held" in plain.stderr


def test_a_missing_term_is_refused_naming_the_key_and_its_clause_kind(pipedeal, tmp_path):
    text = focus_terms_text().replace('cap = "none"\n', "")
    path = tmp_path / "silent.toml"
    path.write_text(text)
    refused = pipedeal("terms", "check", str(path), expect=2)
    assert re.search(r"line \d+, liquidated_damages.cap: required: the liquidated damages clause "
                     r"\(RRA 3\(e\)\(B\) kind\) needs this key \[TERMS-MISSING\]", refused.stderr)
    # the line is the table's: the key itself is not there to point at
    [(code, line, field)] = problems_of(text)
    assert (code, field) == ("TERMS-MISSING", "liquidated_damages.cap")
    assert text.splitlines()[line - 1].startswith("[liquidated_damages]")


def test_an_unknown_key_is_named_at_its_own_line():
    text = focus_terms_text().replace('clock = "per_default_period"', 'clock = "per_default_period"\nclok = 1')
    assert problems_of(text) == [("TERMS-UNKNOWN-KEY", line_of(text, "clok = "), "liquidated_damages.clok")]


def test_a_feature_that_is_on_needs_its_keys():
    # Weighted-average anti-dilution needs its exemptions and whether the shares adjust too.
    text = focus_terms_text().replace('anti_dilution = "structural"', 'anti_dilution = "weighted_average_broad"')
    assert {field for _, _, field in problems_of(text)} == {
        "warrants.anti_dilution_exempt", "warrants.adjust_shares_on_price_adjustment"}
    # A fixed base needs its amount.
    text = focus_terms_text().replace('base = "market_value_held"', 'base = "fixed"')
    assert problems_of(text) == [("TERMS-MISSING", line_of(text, "[liquidated_damages]"),
                                  "liquidated_damages.fixed_amount")]


def test_a_key_whose_feature_is_off_may_be_written_and_is_ignored():
    text = focus_terms_text().replace('clearance_days = "none"', 'clearance_days = "none"\nclearance_unit = "business"')
    assert parse_terms(text, "deal.toml").registration.additional.effectiveness.clearance_unit == "business"


def test_neither_of_an_exclusive_pair_is_missing_one():
    text = focus_terms_text().replace('exercise_price_multiple = "1.10"', "")
    [(code, _, field)] = problems_of(text)
    assert (code, field) == ("TERMS-MISSING", "warrants.exercise_price")


def test_a_middle_step_of_the_schedule_says_how_long_it_lasts():
    text = focus_terms_text().replace('schedule = [{ periods = 2, rate = "0.01" }, { rate = "0.02" }]',
                                      'schedule = [{ rate = "0.01" }, { rate = "0.02" }]')
    [(code, line, field)] = problems_of(text)
    assert (code, field) == ("TERMS-INVALID", "liquidated_damages.schedule[0].periods")
    assert line == line_of(text, "schedule = ")


AMBIGUITY = """
[[ambiguities]]
key = "{key}"
field = "{field}"
value = {value}
alternatives = [{alternatives}]
clause = "RRA 3(e)"
why = "a test"
"""


def with_ambiguity(**entry: str) -> str:
    text = focus_terms_text()
    at = text.index("[quotes]")
    return text[:at] + AMBIGUITY.format(**entry).lstrip() + "\n" + text[at:]


def test_an_ambiguity_naming_an_unknown_field_is_refused_at_its_line():
    text = with_ambiguity(key="speed", field="liquidated_damages.speed", value='"fast"', alternatives='"slow"')
    assert problems_of(text) == [("TERMS-AMBIGUITY", line_of(text, 'field = "liquidated_damages.speed"'),
                                  "ambiguities[13].field")]


def test_an_ambiguity_offering_a_value_its_field_cannot_take_is_refused():
    text = with_ambiguity(key="period", field="liquidated_damages.period", value='"month"',
                          alternatives='"fortnight"')
    assert problems_of(text) == [("TERMS-AMBIGUITY", line_of(text, 'alternatives = ["fortnight"]'),
                                  "ambiguities[13].alternatives[0]")]


def test_an_ambiguity_whose_value_in_force_is_not_the_files_is_refused():
    text = with_ambiguity(key="period", field="liquidated_damages.period", value='"thirty_days"',
                          alternatives='"calendar_month"')
    [(code, line, field)] = problems_of(text)
    assert (code, field) == ("TERMS-AMBIGUITY", "ambiguities[13].value")
    assert line == line_of(text, 'value = "thirty_days"')
    with pytest.raises(InputError, match=re.escape("is not the value the file states at liquidated_damages.period")):
        parse_terms(text, "deal.toml")


def test_an_ambiguity_declared_twice_is_refused():
    text = with_ambiguity(key="ld_day_count", field="liquidated_damages.period", value='"month"',
                          alternatives='"thirty_days"')
    assert ("TERMS-AMBIGUITY", line_of(text, 'key = "ld_day_count"', after=line_of(text, 'key = "rule144k_years"')),
            "ambiguities[13].key") in problems_of(text)


def test_a_bad_terms_file_writes_nothing_to_the_ledger(pipedeal, tmp_path):
    text = focus_terms_text().replace('cap = "none"', 'cap = { rate = "0.10", of = "purchase_price_held" }')
    path = tmp_path / "deal.toml"
    path.write_text(text)
    db_file = tmp_path / "ledger.db"
    refused = pipedeal("init", "--deal", str(path), "--db", f"sqlite:///{db_file}", expect=2)
    assert "nothing was written" in refused.stderr
    assert f"{path}, line {line_of(text, 'cap = ')}, field liquidated_damages.cap.of" in refused.stderr
    if db_file.exists():
        with sqlite3.connect(db_file) as connection:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "deals" in tables:
                assert connection.execute("SELECT count(*) FROM deals").fetchone() == (0,)


def test_an_unreadable_terms_file_is_a_clear_error(pipedeal, tmp_path):
    refused = pipedeal("terms", "check", str(tmp_path / "absent.toml"), expect=2)
    assert "cannot read the terms file" in refused.stderr and "TERMS-UNREADABLE" in refused.stderr


# --- pipedeal schema terms -------------------------------------------------------------------------


def _as_json(value):
    """TOML as the JSON a schema validator sees: dates become ISO text."""
    if isinstance(value, dict):
        return {key: _as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_json(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def test_the_terms_schema_is_valid_json_schema_and_accepts_every_bundled_deal(pipedeal):
    from jsonschema import Draft202012Validator, FormatChecker

    schema = json.loads(pipedeal("schema", "terms").stdout)
    assert schema == json.loads(json.dumps(terms_json_schema()))
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    for name in bundled_deal_names():
        data = _as_json(tomllib.loads((BUNDLED_DEALS / name / "terms.toml").read_text()))
        assert list(validator.iter_errors(data)) == [], name
    data = _as_json(tomllib.loads(focus_terms_text()))
    data["liquidated_damages"]["proration"] = "banker"
    data["registration"]["grace"]["yeer"] = "calendar_year"
    errors = {"/".join(map(str, error.absolute_path)) for error in validator.iter_errors(data)}
    assert errors == {"liquidated_damages/proration", "registration/grace"}


def test_the_schema_gives_each_key_its_meaning():
    schema = terms_json_schema()
    cap = schema["$defs"]["LiquidatedDamages"]["properties"]["cap"]
    assert "accrual stops at the cap" in cap["description"]
    assert schema["$defs"]["Filing"]["properties"]["from"]["enum"] == ["closing", "agreement", "notice"]
    assert "Every key is required unless its feature is off" in schema["description"]


# --- the reference: docs/terms.md and the README ----------------------------------------------------


def bundled_texts() -> dict[str, str]:
    return {name: (BUNDLED_DEALS / name / "terms.toml").read_text(encoding="utf-8") for name in bundled_deal_names()}


def test_every_key_of_the_language_has_a_meaning_and_every_leaf_an_example():
    rows = key_reference(bundled_texts())
    assert all(row.meaning for row in rows), [row.key for row in rows if not row.meaning]
    keys = {row.key for row in rows}
    for wanted in ("liquidated_damages.cap.of", "registration.grace.year", "warrants.anti_dilution_exempt",
                   "pricing.market_price.window_ends", "registration.effectiveness.clearance_days",
                   "notices.mail", "investors[].shares"):
        assert wanted in keys
    leaves = [row for row in rows if not row.values.startswith(("{", "a list of", "a table"))
              and not row.key.startswith(("<any table>", "company.", "parties[]", "investors[].", "ambiguities[]"))]
    without = [row.key for row in leaves if not row.examples]
    # Keys no bundled deal writes yet are listed here until one does.
    assert without == [], without


def test_docs_terms_md_is_the_reference_as_it_is():
    written = (REPO / "docs" / "terms.md").read_text(encoding="utf-8")
    assert written == reference_document(bundled_texts()), (
        "regenerate: python scripts/regen_docs.py")


def test_the_readme_terms_section_lists_every_key_with_an_example():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- terms-keys:begin -->\n", 1)[1].split("<!-- terms-keys:end -->", 1)[0]
    assert section == reference_markdown(bundled_texts()), "regenerate: python scripts/regen_docs.py"


def test_decimal_values_in_the_reference_are_written_as_the_file_writes_them():
    rows = {row.key: row for row in key_reference(bundled_texts())}
    assert rows["pricing.purchase_price"].examples[0] == ("focus-1999", '"1.60"')
    assert Decimal(rows["liquidated_damages.schedule[].rate"].examples[0][1].strip('"')) == Decimal("0.01")
