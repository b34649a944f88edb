"""One diagnostic type: every code pipedeal reports is registered, and every registered code is reported."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipedeal.base.diagnostics import CATALOGUE, CODES, Diagnostic

SRC = Path(__file__).resolve().parent.parent / "src" / "pipedeal"
CODE_LITERAL = re.compile(r'"([A-Z][A-Z0-9]+(?:-[A-Z0-9]+)+)"')


def codes_in_source() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in SRC.rglob("*.py"):
        if path.name == "diagnostics.py" and path.parent.name == "base":
            continue
        for match in CODE_LITERAL.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match.group(1), []).append(str(path.relative_to(SRC)))
    return found


def test_every_code_the_source_reports_is_registered():
    unregistered = {code: where for code, where in codes_in_source().items() if code not in CODES}
    assert not unregistered


def test_every_registered_code_is_reported_somewhere():
    used = codes_in_source()
    assert [entry.code for entry in CATALOGUE if entry.code not in used] == []


def test_codes_are_unique_and_say_what_they_mean():
    assert len(CODES) == len(CATALOGUE)
    for entry in CATALOGUE:
        assert entry.meaning and not entry.meaning.endswith(".")


def test_an_unregistered_code_is_refused():
    with pytest.raises(ValueError, match="unregistered"):
        Diagnostic("NOT-A-CODE", "whatever")


def test_a_diagnostic_takes_its_codes_severity_and_names_its_source():
    breach = Diagnostic("RESERVE-SHORTFALL", "short", clause="SPA 6.2")
    assert breach.severity == "breach"
    row = Diagnostic("LEDGER-EDITED", "row seq 4 was edited", file="ledger of focus-1999", seq=4)
    assert str(row) == "ledger of focus-1999, seq 4: row seq 4 was edited [LEDGER-EDITED]"
    line = Diagnostic("EVENT-INVALID", "bad", "events.jsonl", 3, "shares")
    assert line.where() == "events.jsonl, line 3, field shares" and line.severity == "error"


def test_pipedeal_codes_lists_every_code(tmp_path):
    from conftest import pipedeal_cli

    run = pipedeal_cli(tmp_path, tmp_path / "cache")
    listed = run("codes", "--json").stdout
    for entry in CATALOGUE:
        assert f'"{entry.code}"' in listed


def test_docs_codes_md_lists_the_catalogue_as_it_is():
    from scenario import REPO

    from pipedeal.base.diagnostics import catalogue_markdown

    written = (REPO / "docs" / "codes.md").read_text(encoding="utf-8")
    assert written == catalogue_markdown(), "regenerate: python scripts/regen_docs.py"
