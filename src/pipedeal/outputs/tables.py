"""The deal as flat tables for spreadsheets (``pipedeal export csv|xlsx``).

Each table is read from the report JSON (``outputs.report.to_json``) and the LD explanations
(``outputs.explain.explain_json``), never from the events: the same figures as every other
output. Amounts stay exact ``Decimal``: a segment's amount is its exact value (RULES §3 rounds
only the investor's total, once, to the cent; the totals table carries that rounded figure).
Percentages of the capitalization are shown to four decimal places (half-up), a display
rounding only: the share counts beside them are exact.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

PERCENT_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    money: frozenset[str] = frozenset()  # columns shown with a money format in a spreadsheet
    percent: frozenset[str] = frozenset()


def _decimal(text: Any) -> Decimal | None:
    return None if text is None else Decimal(str(text))


def ld_schedule(explanations: dict[str, Any]) -> Table:
    """RRA 3(e): one row per rate segment of each investor's liquidated damages."""
    rows = []
    for investor, explained in explanations.items():
        for number, segment in enumerate(explained.get("segments", []), start=1):
            rows.append((investor, number, segment["start"], segment["end"], segment["days"], segment.get("month"),
                         _decimal(segment.get("rate")), _decimal(segment.get("shares")),
                         _decimal(segment.get("price_total")), segment.get("base"),
                         _decimal(segment.get("base_total")), _decimal(segment.get("divisor")),
                         _decimal(segment["amount"])))
    return Table("ld_schedule", "Liquidated damages by rate segment (RRA 3(e))",
                 ("investor", "segment", "start", "end", "days", "month", "rate", "shares", "price_total", "base",
                  "base_total", "divisor", "amount_exact"), rows, money=frozenset({"amount_exact"}))


def ld_totals(report: dict[str, Any]) -> Table:
    """Each investor's damages: accrued (rounded once, to the cent), demanded, paid, balance."""
    rows = [(investor, _decimal(figures["accrued"]), _decimal(figures["accrued_exact"]),
             _decimal(figures["demanded"]), _decimal(figures["paid"]), _decimal(figures["late_interest"]),
             _decimal(figures["balance"]), figures.get("due"), figures["default_days"])
            for investor, figures in (report.get("liquidated_damages") or {}).items()]
    return Table("ld_totals", "Liquidated damages per investor",
                 ("investor", "accrued", "accrued_exact", "demanded", "paid", "late_interest", "balance", "due",
                  "default_days"), rows, money=frozenset({"accrued", "demanded", "paid", "late_interest", "balance"}))


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)


def capitalization(report: dict[str, Any], names: dict[str, str]) -> Table:
    """SPA 4.3, W 15: the Common Stock outstanding and the warrant shares, fully diluted, by holder;
    the shares no investor holds are "other holders"."""
    cap = report.get("capitalization") or {}
    outstanding = cap.get("common_outstanding", 0)
    holdings = report.get("holdings") or {}
    warrant_shares: dict[str, int] = {}
    for warrant in report.get("warrants") or []:
        if warrant.get("status") == "outstanding":
            warrant_shares[warrant["holder"]] = warrant_shares.get(warrant["holder"], 0) + int(warrant["shares"])
    holders = list(dict.fromkeys([*holdings, *warrant_shares]))
    common = {holder: int(holdings.get(holder, {}).get("purchased_shares_held", 0))
              + int(holdings.get(holder, {}).get("other_shares_held", 0)) for holder in holders}
    others_common = outstanding - sum(common.values())
    fully_diluted = outstanding + sum(warrant_shares.values())
    rows = []
    for holder in holders:
        diluted = common[holder] + warrant_shares.get(holder, 0)
        rows.append((holder, names.get(holder, holder), common[holder], warrant_shares.get(holder, 0), diluted,
                     _percent(common[holder], outstanding), _percent(diluted, fully_diluted)))
    rows.append(("others", "Other holders of Common Stock", others_common, 0, others_common,
                 _percent(others_common, outstanding), _percent(others_common, fully_diluted)))
    rows.append(("total", "Total", outstanding, sum(warrant_shares.values()), fully_diluted,
                 _percent(outstanding, outstanding), _percent(fully_diluted, fully_diluted)))
    return Table("capitalization", f"Fully diluted capitalization as of {report.get('as_of')}",
                 ("holder", "name", "common_shares", "warrant_shares", "fully_diluted_shares",
                  "percent_of_outstanding", "percent_fully_diluted"), rows,
                 percent=frozenset({"percent_of_outstanding", "percent_fully_diluted"}))


def warrant_register(report: dict[str, Any]) -> Table:
    rows = [(w["id"], w["holder"], w["shares"], _decimal(w["exercise_price"]), w["issue_date"], w["status"],
             w.get("origin"), w.get("parent"), w.get("closed_on")) for w in report.get("warrants") or []]
    return Table("warrant_register", "Warrant register",
                 ("warrant", "holder", "shares", "exercise_price", "issue_date", "status", "origin", "parent",
                  "closed_on"), rows, money=frozenset({"exercise_price"}))


def obligations(rows: list[dict[str, Any]]) -> Table:
    return Table("obligations", "Obligations (RULES §5)",
                 ("deal", "id", "kind", "party", "duty", "clause", "due", "status", "met_on", "owed_to", "trigger"),
                 [(row["deal"], row["id"], row["kind"], row["party"], row["duty"], row["clause"], row.get("due"),
                   row["status"], row.get("met_on"), ";".join(row.get("owed_to") or []), row.get("trigger"))
                  for row in rows])


def deal_tables(report: dict[str, Any], explanations: dict[str, Any], obligation_rows: list[dict[str, Any]],
                names: dict[str, str]) -> list[Table]:
    return [ld_schedule(explanations), ld_totals(report), capitalization(report, names), warrant_register(report),
            obligations(obligation_rows)]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def csv_bytes(table: Table) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows([_text(value) for value in row] for row in table.rows)
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(tables: list[Table], title: str) -> bytes:
    """One workbook, a sheet per table: a bold header row, frozen; exact decimals as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    book.properties.title = title
    book.properties.creator = "pipedeal"
    for table in tables:
        sheet = book.create_sheet(table.name[:31])
        sheet.append(list(table.columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for row in table.rows:
            sheet.append([value for value in row])
        for index, column in enumerate(table.columns, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            fmt = "#,##0.00########" if column in table.money else "0.0000" if column in table.percent else None
            if fmt:
                for cell in sheet[letter][1:]:
                    cell.number_format = fmt
            width = max([len(column), *(len(_text(row[index - 1])) for row in table.rows)]) + 2
            sheet.column_dimensions[letter].width = min(width, 60)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_tables(tables: list[Table], directory: Path, stem: str, kind: str, title: str) -> list[Path]:
    """The files ``export csv`` (one per table) or ``export xlsx`` (one workbook) writes."""
    if kind == "xlsx":
        path = directory / f"{stem}.xlsx"
        path.write_bytes(xlsx_bytes(tables, title))
        return [path]
    written = []
    for table in tables:
        path = directory / f"{stem}-{table.name}.csv"
        path.write_bytes(csv_bytes(table))
        written.append(path)
    return written
