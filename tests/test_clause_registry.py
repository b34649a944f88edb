"""The FOCUS deal's words are the agreement's own: every quotation of its terms file (its
``[quotes]`` and each block's ``quote``) is found in the agreement file, in order, inside the
section its clause names; and no module of pipedeal carries a copy of them (PIPE-TERMS
principle 2: a deal's words live in its terms file).

The agreement is read as a reader reads it: line breaks, runs of spaces, blank
lines and the page numbers between pages are layout, not words; curly quotation
marks read as the agreement's straight ones. A quotation's `` ... `` elides
words, so its fragments must appear one after the other, not next to each other.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from scenario import REPO, focus_terms

from pipedeal.deal.clauses import CLAUSES, NO_WORDS, Quotation, deal_words, quoted, registry
from pipedeal.deal.clauses import quote as lookup

FOCUS_REGISTRY = deal_words(focus_terms())
FOCUS_QUOTATIONS = tuple(FOCUS_REGISTRY.values())


def quote(key: str, table=None) -> Quotation:
    entry = lookup(key, FOCUS_REGISTRY if table is None else table)
    assert entry is not None, key
    return entry

AGREEMENT = REPO.parent / "shared" / "agreement" / "focus-1999-purchase-agreement.txt"
SOURCE = REPO / "src" / "pipedeal"

PAGE_NUMBER = re.compile(r"\s*\d{1,3}\s*")
STRAIGHT = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
                          "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'"})


def normalise(text: str) -> str:
    """Words as a reader reads them: whitespace collapsed, quotation marks straight."""
    return " ".join(text.translate(STRAIGHT).split())


@dataclass(frozen=True)
class Agreement:
    """The normalised agreement and where its parts and sections begin."""

    text: str
    sections: dict[str, tuple[int, int]]  # "SPA 6.2", "W 3", "RRA 3", "W preamble" -> [start, end)


@cache
def agreement() -> Agreement:
    """Read the agreement file once: drop page numbers and blank lines, and note where each
    part (SPA, Exhibit A "W", Exhibit B "RRA") and each of its numbered sections begins."""
    words: list[str] = []
    headings: list[tuple[str, int]] = []  # (name, offset in the normalised text), in order
    offset = 0
    part = "SPA"
    for line in AGREEMENT.read_text(encoding="utf-8").splitlines():
        if PAGE_NUMBER.fullmatch(line):
            continue
        shown = normalise(line)
        if not shown:
            continue
        heading = _heading(part, line)
        if heading in ("W", "RRA"):
            part = heading
            headings.append((f"{part} preamble", offset))
        elif heading is not None:
            headings.append((heading, offset))
        if part == "SPA" and not headings:
            headings.append(("SPA preamble", offset))
        words.append(shown)
        offset += len(shown) + 1
    text = " ".join(words)
    names = [name for name, _ in headings]
    duplicated = {name for name in names if names.count(name) > 1}
    assert not duplicated, f"section headings read twice: {duplicated}"
    ends = [start for _, start in headings[1:]] + [len(text)]
    return Agreement(text, {name: (start, end) for (name, start), end in zip(headings, ends, strict=True)})


def _heading(part: str, line: str) -> str | None:
    """The section a line opens, if it opens one (a reference to a section mid-sentence does not)."""
    if line.strip() == "EXHIBIT A":
        return "W"
    if line.strip() == "EXHIBIT B":
        return "RRA"
    if part == "SPA" and (match := re.match(r"Section\s+(\d+\.\d+)\.\s+\S", line)):
        return f"SPA {match[1]}"
    if part == "W" and (match := re.match(r"\s+(\d+)\.\s+[A-Z]", line)):
        return f"W {match[1]}"
    if part == "W" and line.strip() in ("NOTICE OF EXERCISE", "ASSIGNMENT FORM"):
        return "W (Notice of Exercise)" if line.strip() == "NOTICE OF EXERCISE" else "W (Assignment Form)"
    if part == "RRA" and (match := re.match(r"\s+Section\s+(\d+)\.\s+\S", line)):
        return f"RRA {match[1]}"
    return None


def section_of(clause: str) -> str:
    """The section a clause id lies in: ``RRA 3(e)(B)`` -> ``RRA 3``, ``SPA 2.1(a)(i)`` -> ``SPA 2.1``;
    the SPA's recitals precede its first section, in what the reader calls its preamble."""
    if clause == "SPA recitals":
        return "SPA preamble"
    if clause.endswith(("preamble", "(Notice of Exercise)", "(Assignment Form)")):
        return clause
    match = re.fullmatch(r"(SPA \d+\.\d+|W \d+|RRA \d+)(?:\(\w+\))*", clause)
    assert match, f"{clause!r} is not a clause id the registry can locate"
    return match[1]


def locate(entry: Quotation) -> tuple[int, int]:
    """Where ``entry``'s words are in the agreement: each fragment after the previous one,
    all inside the section of its clause. Raises AssertionError naming what is missing."""
    document = agreement()
    section = section_of(entry.clause)
    assert section in document.sections, f"{entry.key}: no section {section} in the agreement"
    start, end = document.sections[section]
    fragments = [normalise(part) for part in entry.text.split("...")]
    fragments = [part for part in fragments if part]
    assert fragments, f"{entry.key}: no words"
    first = document.text.find(fragments[0], start, end)
    assert first >= 0, f"{entry.key}: {fragments[0]!r} is not in {section}"
    while first >= 0:
        cursor = first + len(fragments[0])
        for fragment in fragments[1:]:
            found = document.text.find(fragment, cursor, end)
            if found < 0:
                break
            cursor = found + len(fragment)
        else:
            return first, cursor
        first = document.text.find(fragments[0], first + 1, end)
    raise AssertionError(f"{entry.key}: {fragment!r} does not follow {fragments[0]!r} in {section}")


# --- every entry is the agreement's words -------------------------------------------------------

@pytest.mark.parametrize("entry", FOCUS_QUOTATIONS, ids=lambda entry: entry.key)
def test_each_registry_entry_is_verbatim_in_its_section_of_the_agreement(entry):
    locate(entry)


def test_every_part_and_numbered_section_of_the_agreement_is_found():
    sections = agreement().sections
    assert {f"SPA {n}" for n in ("1.1", "1.10", "2.1", "4.3", "6.2", "6.9", "12.1", "13.10")} <= set(sections)
    assert {f"W {n}" for n in range(1, 17)} <= set(sections)
    assert {f"RRA {n}" for n in range(1, 16)} <= set(sections)
    assert {"SPA preamble", "W preamble", "RRA preamble", "W (Notice of Exercise)", "W (Assignment Form)"} <= set(
        sections)


def test_a_quotation_across_a_page_break_ignores_the_page_number_and_the_line_breaks():
    # RRA 3(e)(iii)-(iv) runs over the foot of page 3 of Exhibit B.
    across = Quotation("test", "RRA 3(e)", "for the period set forth in Section 3(b) above or (iv) the additional "
                                           "Registration Statement referred to in Section 3(a)")
    locate(across)


def test_curly_quotation_marks_read_as_the_agreements_straight_ones():
    locate(Quotation("test", "RRA 3(e)", "(each a \u201cRegistration Default\u201d)"))


@pytest.mark.parametrize(("key", "mutation", "message"), [
    ("RRA 3(e)(B) rate", lambda text: text.replace("one percent (1%)", "one percent (2%)"), "is not in RRA 3"),
    ("RRA 3(e)(B) rate", lambda text: text.replace("two percent (2%)", "three percent (3%)"), "does not follow"),
    ("RRA 3(e)(B) rate", lambda text: text.replace(" ... ", " "), "is not in RRA 3"),
    ("RRA 3(e)(B) rate", lambda text: text + " and interest", "does not follow"),
    ("SPA 4.3 capitalization", lambda text: " ... ".join(reversed(text.split(" ... "))), "does not follow"),
    ("W 14 notice", lambda text: text.replace("30 days'", "thirty days'"), "is not in W 14"),
], ids=["changed word", "changed later fragment", "elision left out", "words added", "fragments reordered",
        "number spelled differently"])
def test_a_mutated_quotation_is_caught(key, mutation, message):
    entry = quote(key)
    mutated = Quotation(entry.key, entry.clause, mutation(entry.text))
    assert mutated.text != entry.text
    with pytest.raises(AssertionError, match=re.escape(message)):
        locate(mutated)


def test_a_mutated_registry_entry_fails_the_registry_test():
    """The parametrized test above runs over the registry itself: an entry altered in place fails it."""
    entry = quote("RRA 3(e) payment days")
    altered = Quotation(entry.key, entry.clause, entry.text.replace("five (5)", "ten (10)"))
    with pytest.raises(AssertionError, match="is not in RRA 3"):
        test_each_registry_entry_is_verbatim_in_its_section_of_the_agreement(altered)


def test_words_cited_under_the_wrong_clause_are_caught():
    entry = quote("RRA 3(e)(B) rate")
    with pytest.raises(AssertionError, match="is not in RRA 4"):
        locate(Quotation(entry.key, "RRA 4", entry.text))
    with pytest.raises(AssertionError, match="is not in W 3"):
        locate(Quotation("moved", "W 3", quote("W 4 cash adjustment").text))


# --- the lookups ------------------------------------------------------------------------------

def test_lookup_by_stable_key():
    entry = quote("RRA 3(e)(B) rate")
    assert entry.clause == "RRA 3(e)(B)"
    assert entry.text.startswith("one percent (1%) of the aggregate market value ... for the first two months")
    assert quoted("W 3 cashless formula", FOCUS_REGISTRY) == '"[(A-B) (X)] by (A)"'
    # A definition that opens with its defined term keeps its own quotation marks.
    assert quoted("SPA 1.15 purchase price", FOCUS_REGISTRY) == (
        '"Purchase Price" shall mean $1.60 per share of Common Stock')


def test_a_key_the_deal_does_not_quote_says_so_and_never_borrows_focus_words():
    assert lookup("RRA 99", FOCUS_REGISTRY) is None
    assert quoted("RRA 99", FOCUS_REGISTRY) == f"({NO_WORDS})"
    other = registry([Quotation("RRA 3(e)(B) rate", "RRA 2(d)", "one and one-half percent (1.5%) per month")])
    assert quoted("RRA 3(e) payment", other) == f"({NO_WORDS})"


def test_each_block_quote_of_the_focus_terms_is_in_the_table_under_its_path():
    assert quote("registration.filing").text == (
        "within thirty (30) days after the Closing Date a registration statement")
    assert quote("liquidated_damages.payment").clause == "RRA 3(e)"


def test_a_form_entry_splits_at_its_fills():
    assert quote("W Notice of Exercise election").fragments == (
        "The undersigned hereby elects to purchase", 'shares of Common Stock (the "Common Stock"), of',
        "pursuant to the terms of the attached Warrant",
        ", and tenders herewith payment of the exercise price in full, together with all applicable transfer "
        "taxes, if any.")


def test_a_deal_table_stands_behind_the_same_lookup():
    other = registry([Quotation("RRA 3(e)(B) rate", "RRA 2(d)", "one and one-half percent (1.5%) per month")])
    assert quote("RRA 3(e)(B) rate", other).clause == "RRA 2(d)"
    assert quoted("RRA 3(e)(B) rate", other) == '"one and one-half percent (1.5%) per month"'
    with pytest.raises(ValueError, match="given twice"):
        registry([quote("W 4"), quote("W 4")])


def test_every_catalogue_clause_quotes_a_registry_entry_or_says_why_not():
    for clause in CLAUSES:
        if clause.quote is None:
            assert clause.note, clause.id
        else:
            assert clause.quote in FOCUS_REGISTRY, clause.id
            assert clause.text(FOCUS_REGISTRY).startswith(quoted(clause.quote, FOCUS_REGISTRY))


# --- no copies outside the registry -------------------------------------------------------------

MINIMUM = 40


@cache
def _agreement_runs() -> frozenset[str]:
    text = agreement().text
    return frozenset(text[i:i + MINIMUM] for i in range(len(text) - MINIMUM + 1))


def copied_words(text: str) -> str | None:
    """The first run of ``MINIMUM`` characters of ``text`` that is also in the agreement."""
    shown = normalise(text)
    runs = _agreement_runs()
    for i in range(len(shown) - MINIMUM + 1):
        if shown[i:i + MINIMUM] in runs:
            return shown[i:i + MINIMUM + 30]
    return None


def _literals(path: Path):
    """Every string literal of a module but its docstrings (a docstring quotes its clause)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def test_no_module_but_the_registry_copies_the_agreements_words():
    copies = []
    for path in sorted(SOURCE.rglob("*.py")):
        for line, value in _literals(path):
            if words := copied_words(value):
                copies.append(f"{path.relative_to(REPO)}:{line}: {words!r}")
    for path in sorted(SOURCE.rglob("*.j2")):
        if words := copied_words(path.read_text(encoding="utf-8")):
            copies.append(f"{path.relative_to(REPO)}: {words!r}")
    assert not copies, "the agreement's words belong in the deal's terms file:\n" + "\n".join(copies)


def test_the_copy_check_finds_a_copy_split_over_source_lines_and_ignores_paraphrase():
    source = ('TEXT = ("If the Company does not remit the payment to the Investors as set forth above, "\n'
              '        "the Company will pay the Investors reasonable costs of collection")\n')
    [(_, value)] = [(n.lineno, n.value) for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Constant)]
    assert copied_words(value) is not None
    assert copied_words("the Company pays reasonable collection costs if it does not remit") is None
