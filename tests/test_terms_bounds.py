"""Terms bounded: counts of days, multiples, rates, dates, countries and subdivisions; every
error names the terms file, the line and the key, wherever the terms were read from."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import pipedeal_cli
from scenario import focus_terms_text

from pipedeal.base.diagnostics import InputError
from pipedeal.deal.terms_file import parse_terms


def refused(old: str, new: str) -> tuple[int | None, str | None, str, str]:
    text = focus_terms_text()
    assert old in text
    changed = text.replace(old, new, 1)
    with pytest.raises(InputError) as caught:
        parse_terms(changed, "deal.toml")
    (problem,) = caught.value.problems
    assert problem.file == "deal.toml" and problem.code == "TERMS-INVALID"
    line = changed.splitlines()[problem.line - 1] if problem.line else ""
    return problem.line, problem.field, problem.message, line


@pytest.mark.parametrize(("old", "new", "field"), [
    ("\ndays = 30\n", "\ndays = 0\n", "registration.filing.days"),
    ("\ndays = 30\n", "\ndays = 3651\n", "registration.filing.days"),
    ("full_review_days = 150", "full_review_days = 99999", "registration.effectiveness.full_review_days"),
    ("max_days_per_year = 30", "max_days_per_year = -1", "registration.grace.max_days_per_year"),
    ("notice_days = 2", "notice_days = -1", "registration.grace.notice_days"),
    ('delivery = { days = 3, unit = "trading" }', 'delivery = { days = 0, unit = "trading" }',
     "warrants.delivery.days"),
    ('\ndays = 5\nunit = "calendar"', '\ndays = 4000\nunit = "calendar"', "liquidated_damages.payment.days"),
    ("payment_days = 5", "payment_days = 0", "liquidated_damages.repurchase.payment_days"),
    ("corporate_action_notice_days = 30", "corporate_action_notice_days = 100000",
     "warrants.corporate_action_notice_days"),
    ('exercise_price_multiple = "1.10"', 'exercise_price_multiple = "0"', "warrants.exercise_price_multiple"),
    ('exercise_price_multiple = "1.10"', 'exercise_price_multiple = "10.5"', "warrants.exercise_price_multiple"),
    ('warrant_coverage = "0.10"', 'warrant_coverage = "11"', "pricing.warrant_coverage"),
    ('{ periods = 2, rate = "0.01" }', '{ periods = 2, rate = "1.5" }', "liquidated_damages.schedule[0].rate"),
    ('{ periods = 2, rate = "0.01" }', '{ periods = 2000, rate = "0.01" }',
     "liquidated_damages.schedule[0].periods"),
    ("agreement_date = 1999-11-24", "agreement_date = 1899-11-24", "deal.agreement_date"),
    ("termination = 2004-12-01", "termination = 2204-12-01", "warrants.termination"),
    ("as_of = 1999-11-23", "as_of = 1969-11-23", "capitalization.as_of"),
    ('country = "LI"', 'country = "ZZ"', "investors[2].country"),
])
def test_a_terms_value_out_of_range_names_file_line_and_key(old, new, field):
    line, found, message, text = refused(old, new)
    assert found == field
    key = next(part for part in reversed(field.split(".")) if not part.startswith("schedule")).split("[")[0]
    assert line is not None and (key in text or field.split(".")[-2] in text), (text, message)


def test_an_unknown_subdivision_is_refused_where_holidays_knows_the_country():
    _, field, message, text = refused('subdivision = "NY"', 'subdivision = "XX"')
    assert field == "parties[1].subdivision" and "'XX' is not a subdivision of US" in message
    assert text.startswith("subdivision")
    _, field, message, _ = refused('country = "LI"', 'country = "LI"\nsubdivision = "ZH"')
    assert field == "investors[2].subdivision" and "it has none" in message


def test_the_financial_statement_window_must_be_in_order():
    _, field, message, _ = refused("financial_statements_window = [45, 90]",
                                   "financial_statements_window = [90, 45]")
    assert field == "registration.financial_statements_window" and "ends before it begins" in message


def test_zero_is_allowed_where_it_means_something():
    text = focus_terms_text()
    for old, new in (('\ndays = 5\nunit = "calendar"', '\ndays = 0\nunit = "calendar"'),
                     ("corporate_action_notice_days = 30", "corporate_action_notice_days = 0"),
                     ("filing_extension_max_days = 20", "filing_extension_max_days = 0")):
        assert old in text
        text = text.replace(old, new, 1)
    terms = parse_terms(text, "deal.toml")
    assert terms.liquidated_damages.payment.days == 0  # due on the day of demand
    assert terms.registration.grace.filing_extension_max_days == 0


@pytest.fixture
def pipedeal(tmp_path: Path):
    return pipedeal_cli(tmp_path, tmp_path / "cache")


def test_an_unknown_principal_market_names_the_terms_file_and_line(pipedeal, tmp_path):
    terms = tmp_path / "deal.toml"
    text = focus_terms_text().replace('principal_market = "XNAS"', 'principal_market = "ZZZZ"')
    terms.write_text(text)
    failed = pipedeal("report", "--deal", str(terms), "--as-of", "2000-03-01", expect=2)
    line = text.splitlines().index(next(t for t in text.splitlines() if t.startswith("principal_market ="))) + 1
    assert f"deal.toml, line {line}, field deal.principal_market" in failed.stderr
    assert "<input>" not in failed.stderr


def test_an_edited_ledger_terms_error_names_the_ledger_terms_and_line(pipedeal, tmp_path):
    import sqlite3

    db_file = tmp_path / "ledger.db"
    db = f"sqlite:///{db_file}"
    pipedeal("init", "--db", db)
    with sqlite3.connect(db_file) as connection:
        connection.execute("DROP TRIGGER deals_terms_fixed")
        connection.execute("UPDATE deals SET terms_toml = replace(terms_toml, 'filing_extension_max_days = 20', "
                           "'filing_extension_max_days = -1')")
    failed = pipedeal("report", "--db", db, "--allow-broken-ledger", "--as-of", "2000-03-01", expect=2)
    line = focus_terms_text().splitlines().index(
        next(t for t in focus_terms_text().splitlines() if t.startswith("filing_extension_max_days"))) + 1
    assert (f"terms of focus-1999 in the ledger {db}, line {line}, field "
            "registration.grace.filing_extension_max_days") in failed.stderr
    assert "<input>" not in failed.stderr
