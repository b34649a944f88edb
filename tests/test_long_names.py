"""Warrant forms as DOCX (and HTML) for parties whose names are 200 characters long."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from conftest import pipedeal_cli
from scenario import FOCUS_DIR, focus_terms_text, jsonl

LONG = ("Raptor Global Portfolio Ltd., acting by its investment manager Tudor Investment Corporation for the "
        "account of its segregated portfolio of emerging growth opportunities in North America and far beyond")
ASSIGNEE = ("The Roseworth Group Ltd., a company organised under the laws of the Principality of Liechtenstein, "
            "acting for the account of its clients and of each of the funds it manages from Vaduz and Zurich, Ltd.")


@pytest.fixture
def deal(tmp_path: Path) -> tuple[Path, Path]:
    assert len(LONG) == 200 and len(ASSIGNEE) == 200
    text = focus_terms_text()
    text = text.replace('name = "Raptor Global Portfolio Ltd."', f'name = "{LONG}"', 1)
    text = text.replace('name = "Roseworth Group, Ltd."', f'name = "{ASSIGNEE}"', 1)
    assert LONG in text and ASSIGNEE in text
    terms = tmp_path / "long.toml"
    terms.write_text(text)
    events = tmp_path / "events.jsonl"
    events.write_text((FOCUS_DIR / "events.jsonl").read_text() + jsonl(
        {"type": "stock_split", "date": "2000-06-01", "ratio": "2:1"}))
    return terms, events


def test_every_warrant_form_as_docx_with_200_character_names(tmp_path, deal):
    terms, events = deal
    run = pipedeal_cli(tmp_path, tmp_path / "cache")
    files = ("--deal", str(terms), "--events", str(events), "--prices", str(FOCUS_DIR / "quotes.csv"),
             "--format", "docx", "--out", "forms")
    run("documents", "exercise", "W-1", "--shares", "100", "--method", "cash", "--date", "2000-06-05", *files)
    run("documents", "assignment", "W-1", "--to", "roseworth", "--shares", "100", "--date", "2000-06-05", *files)
    run("documents", "adjustments", "--holder", "raptor", "--as-of", "2000-06-05", "--date", "2000-06-05", *files)
    written = sorted((tmp_path / "forms").glob("*.docx"))
    assert len(written) == 3
    for path in written:
        document = docx.Document(io.BytesIO(path.read_bytes()))
        text = "\n".join(p.text for p in document.paragraphs) + "\n".join(
            cell.text for table in document.tables for row in table.rows for cell in row.cells)
        assert LONG in text, path.name
        assert len(document.core_properties.title) <= 255


def test_the_notice_of_exercise_shows_the_shares_asked_for_not_another_recorded_exercise(tmp_path):
    run = pipedeal_cli(tmp_path, tmp_path / "cache")
    events = tmp_path / "events.jsonl"
    events.write_text((FOCUS_DIR / "events.jsonl").read_text() + jsonl(
        {"type": "warrant_exercise", "date": "2000-06-01", "warrant": "W-2", "shares": 100, "method": "cash"}))
    form = ("documents", "exercise", "W-2", "--method", "cash", "--date", "2000-06-01", "--events", str(events),
            "--format", "html", "--out", "forms")
    run(*form, "--shares", "100")
    (recorded,) = (tmp_path / "forms").glob("*.html")
    assert "elects to purchase <span" in recorded.read_text() and ">100</span> shares" in recorded.read_text()
    recorded.unlink()
    refused = run(*form, "--shares", "50", expect=2)
    assert "W-2" in refused.stderr and "EVENT-WARRANT-CLOSED" in refused.stderr
    assert not list((tmp_path / "forms").glob("*.html"))
    run("documents", "exercise", "W-1", "--method", "cash", "--date", "2000-06-01", "--events", str(events),
        "--format", "html", "--out", "forms", "--shares", "50")
    (asked,) = (tmp_path / "forms").glob("*.html")
    assert ">50</span> shares" in asked.read_text()
