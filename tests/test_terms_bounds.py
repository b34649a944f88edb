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
    ("filing_days = 30", "filing_days = 0", "registration.filing_days"),
    ("filing_days = 30", "filing_days = 3651", "registration.filing_days"),
    ("full_review_effectiveness_days = 150", "full_review_effectiveness_days = 99999",
     "registration.full_review_effectiveness_days"),
    ("blackout_cap_days = 30", "blackout_cap_days = -1", "registration.blackout_cap_days"),
    ("blackout_notice_trading_days = 2", "blackout_notice_trading_days = 0",
     "registration.blackout_notice_trading_days"),
    ("certificate_delivery_trading_days = 3", "certificate_delivery_trading_days = 0",
     "warrants.certificate_delivery_trading_days"),
    ("payment_days = 5", "payment_days = 4000", "liquidated_damages.payment_days"),
    ("repurchase_payment_trading_days = 5", "repurchase_payment_trading_days = 0",
     "liquidated_damages.repurchase_payment_trading_days"),
    ("corporate_action_notice_days = 30", "corporate_action_notice_days = 100000",
     "warrants.corporate_action_notice_days"),
    ("cashless_after_years = 1", "cashless_after_years = 50", "warrants.cashless_after_years"),
    ('exercise_price_multiple = "1.10"', 'exercise_price_multiple = "0"', "pricing.exercise_price_multiple"),
    ('exercise_price_multiple = "1.10"', 'exercise_price_multiple = "10.5"', "pricing.exercise_price_multiple"),
    ('warrant_coverage = "0.10"', 'warrant_coverage = "11"', "pricing.warrant_coverage"),
    ('{ months = 2, rate = "0.01" }', '{ months = 2, rate = "1.5" }', "liquidated_damages.schedule[0].rate"),
    ('{ months = 2, rate = "0.01" }', '{ months = 2000, rate = "0.01" }', "liquidated_damages.schedule[0].months"),
    ("agreement_date = 1999-11-24", "agreement_date = 1899-11-24", "deal.agreement_date"),
    ("termination_date = 2004-12-01", "termination_date = 2204-12-01", "warrants.termination_date"),
    ("as_of = 1999-11-23", "as_of = 1969-11-23", "capitalization.as_of"),
    ('country = "LI"', 'country = "ZZ"', "investors[2].country"),
])
def test_a_terms_value_out_of_range_names_file_line_and_key(old, new, field):
    line, found, message, text = refused(old, new)
    assert found == field
    assert line is not None and field.split(".")[-1].split("[")[0] in text, (text, message)


def test_an_unknown_subdivision_is_refused_where_holidays_knows_the_country():
    _, field, message, text = refused('subdivision = "NY"', 'subdivision = "XX"')
    assert field == "parties[1].subdivision" and "'XX' is not a subdivision of US" in message
    assert text.startswith("subdivision")
    _, field, message, _ = refused('country = "LI"', 'country = "LI"\nsubdivision = "ZH"')
    assert field == "investors[2].subdivision" and "it has none" in message


def test_the_financial_statement_window_must_be_in_order():
    _, field, message, _ = refused("financial_statements_window_days = [45, 90]",
                                   "financial_statements_window_days = [90, 45]")
    assert field == "registration.financial_statements_window_days" and "ends before it begins" in message


def test_zero_is_allowed_where_it_means_something():
    text = focus_terms_text()
    for old, new in (("payment_days = 5", "payment_days = 0"),
                     ("corporate_action_notice_days = 30", "corporate_action_notice_days = 0"),
                     ("blackout_filing_extension_max_days = 20", "blackout_filing_extension_max_days = 0")):
        text = text.replace(old, new, 1)
    terms = parse_terms(text, "deal.toml")
    assert terms.liquidated_damages.payment_days == 0


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
        connection.execute("UPDATE deals SET terms_toml = replace(terms_toml, 'filing_days = 30', "
                           "'filing_days = 0')")
    failed = pipedeal("report", "--db", db, "--allow-broken-ledger", "--as-of", "2000-03-01", expect=2)
    assert f"terms of focus-1999 in the ledger {db}, line 93, field registration.filing_days" in failed.stderr
    assert "<input>" not in failed.stderr
