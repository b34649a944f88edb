"""`pipedeal report --format html|pdf`: the deal on one page with its charts; the LD statement carries its
investor's damages chart."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from pypdf import PdfReader


def _svgs(html: str) -> list[ET.Element]:
    found, rest = [], html
    while "<svg" in rest:
        start = rest.index("<svg")
        end = rest.index("</svg>", start) + len("</svg>")
        found.append(ET.fromstring(rest[start:end]))
        rest = rest[end:]
    return found


def test_the_focus_summary_page_shows_the_figures_and_both_charts_without_script_or_network(pipedeal):
    done = pipedeal("report", "--as-of", "2000-06-30", "--format", "html", "--out", "out")
    path = pipedeal.cwd / "out" / "report-focus-1999-2000-06-30.html"
    assert f"Wrote out/{path.name}" in done.stdout
    html = path.read_text()
    charts = _svgs(html)
    assert [chart.get("aria-labelledby") for chart in charts] == ["defaults-timeline-title", "damages-by-month-title"]
    assert all(chart.get("role") == "img" for chart in charts)
    for figure in ("$1.6375", "$1.80125", "871,500", "22,387,701", "$6,193.62", "$2,665.07", "$24.87",
                   "1999-12-27", "1999-12-28", "2000-01-12"):
        assert figure in html, figure
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_the_pdf_summary_is_one_page_and_the_statement_has_the_investors_chart(pipedeal):
    pipedeal("report", "--deal", "lumen-2023", "--as-of", "2024-12-31", "--format", "pdf", "--out", "out")
    reader = PdfReader(pipedeal.cwd / "out" / "report-lumen-2023-2024-12-31.pdf")
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "$780,000.00" in text and "$520,000.00" in text

    pipedeal("statement", "--investor", "raptor", "--as-of", "2000-06-30", "--format", "html", "--out", "out")
    statement = (pipedeal.cwd / "out" / "ld-statement-focus-1999-raptor-2000-06-30.html").read_text()
    [chart] = _svgs(statement)
    assert chart.get("aria-labelledby") == "damages-by-month-title"
    assert "Roseworth" not in statement and "Altar Rock" not in statement


def test_a_report_format_outside_its_choices_is_one_line(pipedeal):
    refused = pipedeal("report", "--format", "docx", expect=2)
    assert "'text', 'json', 'html', 'pdf'" in refused.stderr
