"""`pipedeal export csv|xlsx`: the FOCUS deal's LD schedule, capitalization, warrant register and obligations
as a spreadsheet user opens them, each figure the report's own."""

from __future__ import annotations

import csv
import json
import zipfile
from decimal import Decimal

import openpyxl


def _rows(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_focus_ld_schedule_sums_to_each_investors_exact_accrual_and_the_cap_table_to_the_outstanding(pipedeal):
    report = json.loads(pipedeal("report", "--json", "--as-of", "2000-06-30").stdout)
    written = json.loads(pipedeal("export", "csv", "out", "--as-of", "2000-06-30", "--json").stdout)["written"]
    folder = pipedeal.cwd / "out"
    assert sorted(written) == sorted(f"out/focus-1999-2000-06-30-{name}.csv" for name in (
        "ld_schedule", "ld_totals", "capitalization", "warrant_register", "obligations"))

    segments = _rows(folder / "focus-1999-2000-06-30-ld_schedule.csv")
    for investor, figures in report["liquidated_damages"].items():
        mine = [Decimal(row["amount_exact"]) for row in segments if row["investor"] == investor]
        assert sum(mine) == Decimal(figures["accrued_exact"])
    raptor = next(row for row in segments if row["investor"] == "raptor")
    assert (raptor["start"], raptor["end"], raptor["days"], raptor["amount_exact"]) == (
        "1999-12-28", "2000-01-12", "16", "6193.6239919355")

    totals = {row["investor"]: row for row in _rows(folder / "focus-1999-2000-06-30-ld_totals.csv")}
    assert totals["raptor"]["accrued"] == "6193.62" and totals["roseworth"]["accrued"] == "2665.07"

    cap = {row["holder"]: row for row in _rows(folder / "focus-1999-2000-06-30-capitalization.csv")}
    assert cap["raptor"]["common_shares"] == "871500" and cap["raptor"]["warrant_shares"] == "87150"
    assert cap["others"]["common_shares"] == str(22262701 - 871500 - 3500 - 375000)
    assert cap["total"]["fully_diluted_shares"] == str(22262701 + 125000)
    # 958,650 of 22,387,701 fully diluted, to four places half-up
    assert cap["raptor"]["percent_fully_diluted"] == "4.2820"
    assert sum(int(row["fully_diluted_shares"]) for key, row in cap.items() if key != "total") == 22387701

    register = _rows(folder / "focus-1999-2000-06-30-warrant_register.csv")
    assert [(row["warrant"], row["holder"], row["shares"], row["exercise_price"]) for row in register] == [
        ("W-1", "raptor", "87150", "1.80125"), ("W-2", "altar-rock", "350", "1.80125"),
        ("W-3", "roseworth", "37500", "1.80125")]
    obligations = _rows(folder / "focus-1999-2000-06-30-obligations.csv")
    filing = next(row for row in obligations if row["id"] == "rs_filing")
    assert (filing["due"], filing["status"], filing["met_on"]) == ("1999-12-27", "missed", "2000-01-13")


def test_the_workbook_has_a_sheet_per_table_and_keeps_exact_decimals(pipedeal):
    pipedeal("export", "xlsx", "out", "--as-of", "2000-06-30")
    path = pipedeal.cwd / "out" / "focus-1999-2000-06-30.xlsx"
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["ld_schedule", "ld_totals", "capitalization", "warrant_register", "obligations"]
    sheet = book["ld_schedule"]
    assert [cell.value for cell in sheet[1]][:4] == ["investor", "segment", "start", "end"]
    assert sheet.freeze_panes == "A2"
    assert sheet["A2"].value == "raptor" and sheet["M2"].number_format.startswith("#,##0.00")
    with zipfile.ZipFile(path) as package:
        xml = package.read("xl/worksheets/sheet1.xml").decode()
    assert "<v>6193.6239919355</v>" in xml  # the exact figure, not a float's spelling


def test_a_bad_export_format_or_folder_is_refused_with_its_option(pipedeal, tmp_path):
    refused = pipedeal("export", "pdf", "out", expect=2)
    assert "pdf" in refused.stderr
    (tmp_path / "afile").write_text("x")
    refused = pipedeal("export", "csv", "afile", expect=2)
    assert "OUTPUT-PATH" in refused.stderr and not (tmp_path / "afile").is_dir()
