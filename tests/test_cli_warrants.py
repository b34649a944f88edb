"""The FOCUS register taken through a 3-for-2 split, a partial cash exercise, a transfer and
a cashless exercise from the command line, with every form and notice as PDF and DOCX."""

from __future__ import annotations

import io
import json
import os

import docx
import pytest
from conftest import pipedeal_cli
from pypdf import PdfReader


@pytest.fixture(scope="module")
def ledger(tmp_path_factory, cache_dir):
    work = tmp_path_factory.mktemp("work")
    run = pipedeal_cli(work, cache_dir)

    run("init")
    run("events", "add", "corporate_action_notice", "date=2000-04-20", "action=3-for-2 split",
        "record_date=2000-06-01", "effective_date=2000-06-15")
    run("events", "add", "stock_split", "date=2000-06-15", "record_date=2000-06-01", "ratio=3:2",
        "authorized=45000000")
    run("exercise", "W-1", "--shares", "50000", "--method", "cash", "--date", "2000-07-03")
    run("events", "add", "warrant_transfer", "date=2000-08-01", "warrant=W-3", "to=raptor", "shares=20000")
    run("events", "add", "effectiveness_lapsed", "date=2000-12-01", "reason=other")
    # Recorded here, not in a test: every test reads the whole story, whichever worker runs it.
    run.cashless = run("exercise", "W-5", "--shares", "10000", "--method", "cashless", "--date", "2000-12-05").stdout
    return run


def register(ledger, as_of="2000-12-31"):
    return json.loads(ledger("warrants", "--as-of", as_of, "--json").stdout)


def test_the_split_multiplies_the_warrants_and_divides_the_price(ledger):
    data = register(ledger, "2000-06-30")
    assert [(w["id"], w["shares"], w["exercise_price"]) for w in data["warrants"]] == [
        ("W-1", 130725, "1.2008333333"), ("W-2", 525, "1.2008333333"), ("W-3", 56250, "1.2008333333")]
    [notice] = data["adjustments"]
    assert notice["record_date"] == "2000-06-01" and notice["effective_from"] == "2000-06-01"
    assert data["breaches"] == []  # noticed 42 days ahead, authorized raised


def test_the_partial_cash_exercise_pays_for_50000_shares_and_leaves_w4(ledger):
    data = register(ledger)
    [cash] = [e for e in data["exercises"] if e["method"] == "cash"]
    # 50,000 x $1.2008333333 = $60,041.666665 -> $60,041.67
    assert (cash["aggregate_price"], cash["shares_issued"], cash["remainder_certificate"]) == ("60041.67", 50000, "W-4")
    assert cash["delivery_due"] == "2000-07-07"  # 3 Trading Days; July 4 is a holiday
    assert {w["id"]: w["shares"] for w in data["warrants"]}["W-4"] == 80725


def test_exercise_shows_both_ways_and_refuses_what_is_not_allowed(ledger):
    shown = ledger("exercise", "W-5", "--shares", "10000", "--method", "cashless", "--date", "2000-11-01",
                   "--dry-run", expect=2)
    assert "one year after the issue date 1999-11-24" in shown.stderr
    assert "holder pays $12,008.33" in shown.stdout  # the cash way is shown all the same


def test_the_cashless_exercise_after_the_lapse_is_recorded_with_its_fraction(ledger):
    assert "Recorded the cashless exercise of W-5" in ledger.cashless
    [cashless] = [e for e in register(ledger)["exercises"] if e["method"] == "cashless"]
    assert cashless["holding_period_start"] == "1999-11-24"
    assert cashless["shares_issued"] + float(cashless["fraction"]) == pytest.approx(float(cashless["shares_due"]))
    assert cashless["remainder_certificate"] == "W-7"


def test_the_lineage_of_a_certificate_goes_back_to_the_closing(ledger):
    out = ledger("warrants", "--lineage", "W-7", "--as-of", "2000-12-31").stdout
    assert "W-5" in out and "W-3" in out and "issued at the Closing" in out


def test_every_form_and_notice_as_pdf_and_docx(ledger, tmp_path):
    out = str(tmp_path)
    for fmt in ("pdf", "docx"):
        ledger("documents", "exercise", "W-5", "--shares", "10000", "--method", "cashless", "--date", "2000-12-05",
               "--format", fmt, "--out", out)
        ledger("documents", "assignment", "W-4", "--to", "roseworth", "--shares", "5000", "--date", "2001-01-02",
               "--format", fmt, "--out", out)
        ledger("documents", "adjustments", "--as-of", "2000-12-31", "--date", "2000-06-20", "--format", fmt,
               "--out", out)
    pdf = PdfReader(tmp_path / "notice-of-exercise-W-5-2000-12-05-cashless.pdf")
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert "NOTICE OF EXERCISE" in text and "W-5" in text
    document = docx.Document(io.BytesIO((tmp_path / "assignment-form-W-4-to-roseworth-2001-01-02.docx").read_bytes()))
    words = "\n".join(p.text for p in document.paragraphs)
    assert "ASSIGNMENT FORM" in words.upper() and "Roseworth Group, Ltd." in words
    adjustment = docx.Document(io.BytesIO((tmp_path / "notice-of-adjustment-stock_split-2000-06-15.docx").read_bytes()))
    cells = " ".join(cell.text for table in adjustment.tables for row in table.rows for cell in row.cells)
    assert "130,725" in cells and "1.2008333333" in cells


def test_the_ocf_export_of_the_register_validates_against_the_official_schemas(ledger, tmp_path):
    from pipedeal.outputs.ocf import default_schema_dir

    if default_schema_dir() is None:
        if os.environ.get("CI"):
            pytest.fail("the OCF schemas (../shared/ocf) are missing")
        pytest.skip("no OCF schemas beside the checkout")
    done = ledger("export", "ocf", str(tmp_path / "ocf"), "--as-of", "2001-01-31")
    assert "Valid Open Cap Format" in done.stdout
    transactions = json.loads((tmp_path / "ocf" / "Transactions.ocf.json").read_text())["items"]
    kinds = {item["object_type"] for item in transactions}
    assert {"TX_STOCK_ISSUANCE", "TX_WARRANT_ISSUANCE", "TX_WARRANT_EXERCISE", "TX_WARRANT_TRANSFER",
            "TX_STOCK_CLASS_SPLIT"} <= kinds
    by_id = {item["id"]: item for item in transactions}
    # The Warrants are adjusted on the record date, the Common split on the effective date.
    assert by_id["focus-1999:cancellation:W-1"]["date"] == "2000-06-01"
    assert by_id["focus-1999:split:2000-06-15"]["date"] == "2000-06-15"
