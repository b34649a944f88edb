"""PIPE-TERMS principle 2, "the deal's own words": every clause a user sees is the deal's own.

The engine keeps FOCUS's clause ids as the names of the duties it implements (slot keys such as
``"RRA 3(e)(i)"``, the filing default); every label it prints goes through ``clauses.cite``, which
gives the deal's own clause for that slot. For FOCUS each slot resolves to itself (its ``[quotes]``
quote every bare slot the code cites), so its output is what it was; lumen-2023 and meridian-2006,
numbered otherwise, show only their own clause numbers (or ``terms: <block>`` where they name none)
in every output: the report, the explanation, the LD statement and demand letter, the warrant forms
and the OCF export. The rules of pipedeal and the law that hold for every deal keep their own labels
("RULES §1; Rule 0-3" for a deal whose text has no roll clause, "RULES.md §3" for Rule 144(d)).
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
from conftest import pipedeal_cli
from scenario import REPO, focus_terms

from pipedeal.deal.clauses import cite, cite_all, cite_or_rule, deal_words, section_words
from pipedeal.deal.terms_file import BUNDLED_DEALS, parse_terms

FIXTURES = REPO / "tests" / "fixtures" / "focus_outputs"

# FOCUS's clause numbers, which neither illustrative deal uses: its RRA 3 sub-clauses (lumen's grace
# clause is its own "RRA 3(n)"), RRA 4, 5 and 8, the SPA sections FOCUS cites (lumen's pricing
# clause is its own "SPA 2.1(a)", meridian's legend clause "SPA 4.1(b)"), the Warrant's "W n", the
# prose that names FOCUS's sections, pipedeal's roll rule (both deals write their own roll) and
# FOCUS's words.
FOCUS_ONLY = re.compile(
    r"RRA 3\((?:a|b|c|e|g)\)|\bRRA [458]\b|\bSPA (?:1\.\d+|2\.1\(a\)\(i\)|4\.[1-6](?![\d(])|6\.[29]|9\.1|12\.1"
    r"|13\.\d+|recitals|preamble)|\bW (?:\d|preamble|\(|anti-dilution)|Section 3\(e\)(?:\(B\))? of the Agreement"
    r"|Sections? (?:1 and 7|1[1-3]) of the (?:Stock Purchase )?Warrant|RULES §1|Rule 0-3|110%|one year"
    r"|signature page|Delaware|costs of collection|the anti-dilution clause\)")
NOT_FOCUS = {
    "lumen-2023": FOCUS_ONLY.pattern + r"|Rule 144\(k\)",  # 2023: Rule 144, not its repealed (k)
    "meridian-2006": FOCUS_ONLY.pattern,
}

DEALS = {
    # deal: (as-of, a warrant outstanding, an exercise day, the deal's own clauses each output cites)
    "lumen-2023": ("2024-12-31", "W-3", "2024-06-03", {
        "report": ("RRA 1 (Filing Date)", "RRA 1 (Effectiveness Date)", "RRA 2(d)(ii)", "RRA 2(d)(iii)",
                   "RRA 2(d)", "Warrant 2(c)", "Warrant 2(d)(i)", "Warrant 2(d)(v)"),
        "ld": ("RRA 2(d)(ii)", "RRA 2(d)(iii)", "RRA 2(d)", "RRA 2(a)"),
        "statement": ("RRA 2(d)(i)–(iii), 3(n)", "RRA 3(n), 2(d)", "Section 2(d) of the Agreement (RRA 2(d))",
                      "RRA 2(d)(ii)", "BY E-MAIL AND OVERNIGHT COURIER"),
        "cash": ("Warrant Section 2(a) (Warrant 2(a))", "Warrant 2(a), Warrant 4(c)", "Warrant 2(d)(i)"),
        "cashless": ("Warrant Section 2(c) (Warrant 2(c))", "under Section 2(c) of the Warrant", "Warrant 2(d)(v)"),
        "assignment": ("Warrant Section 4(a) (Warrant 4(a))", "(Section 4(a) of the Warrant)",
                       "Warrant 4(a), Warrant 2(d)(vi)"),
        "adjustment": ("No adjustment (Warrant 3, Warrant 3(g)) by this date",),
        "warrants": ("Warrant register (Warrant 4(c))", "Reserve (SPA 4.9, Warrant 5(d))"),
        "ocf": ("Notice address (SPA 5.3)", "Warrant 2(c)", "SPA 3.1(g)", "SPA 2.1(a)", "Warrant 4(b) division",
                "(Warrant 2(a), Warrant 5(c))"),
    }),
    "meridian-2006": ("2007-12-31", "W-3", "2007-09-12", {
        "report": ("RRA 1 (Filing Date)", "RRA 1 2006-04-16 is not an SEC business day (Sunday)", "RRA 2(e)(i)",
                   "RRA 2(e)(ii)", "RRA 2(e)(iii)", "RRA 2(b)", "Warrant 3(b)", "SPA 4.9"),
        "ld": ("RRA 2(e)(i)", "RRA 2(b)", "RRA 2(c)", "RRA 2(e)"),
        "statement": ("RRA 2(e)(i)–(iii), 2(b)", "RRA 2(b), 2(d)", "Section 2(e) of the Agreement (RRA 2(e))",
                      "BY FACSIMILE AND OVERNIGHT COURIER"),
        "cash": ("Warrant Section 2(a) (Warrant 2(a))", "Warrant 2(d)(i)"),
        "cashless": ("Warrant Section 2(c) (Warrant 2(c))", "Warrant 2(e)"),
        "assignment": ("Warrant Section 4(a) (Warrant 4(a))", "Warrant 4(a), Warrant 2(d)(iv)"),
        "adjustment": ("Warrant Section 3(e) (Warrant 3(e))", "(Warrant 3(b))", "BY FIRST CLASS MAIL"),
        "warrants": ("Warrant register (Warrant 4(c))", "Notice of Adjustment (Warrant 3(b))"),
        "ocf": ("Notice address (SPA 5.4)", "Anti-dilution (Warrant 3(b))", "Legend of SPA 4.1(b)",
                "(Warrant 2(a), PIPE-TERMS (Precise readings))"),
    }),
}


def visible(text: str) -> str:
    """What a reader sees of an HTML document: its text (no styles, no tags), whitespace collapsed."""
    text = re.sub(r"<style.*?</style>", " ", text, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    for entity, char in (("&#34;", '"'), ("&#39;", "'"), ("&amp;", "&"), ("&nbsp;", " "), ("&lt;", "<"),
                         ("&gt;", ">")):
        text = text.replace(entity, char)
    return " ".join(text.split())


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, cache_dir) -> dict[str, dict[str, str]]:
    """Every output of each illustrative deal, as its CLI writes it: name -> what a reader sees."""
    found: dict[str, dict[str, str]] = {}
    for deal, (as_of, warrant, day, _) in DEALS.items():
        cwd = tmp_path_factory.mktemp(deal)
        run = pipedeal_cli(cwd, cache_dir)
        common = ("--deal", deal)
        report = run("report", *common, "--as-of", as_of, "--json").stdout
        texts = {
            "report.json": report,
            "report": report + run("report", *common, "--as-of", as_of).stdout,
            "ld": run("ld", *common, "--as-of", as_of, "--json", "--explain").stdout
                  + run("ld", *common, "--as-of", as_of, "--explain").stdout,
            "warrants": run("warrants", *common, "--as-of", as_of).stdout,
        }
        files = {
            "statement": ("statement", *common, "--as-of", as_of, "--format", "html", "--letter", "--date",
                          "2030-01-02"),
            "cash": ("documents", "exercise", warrant, *common, "--shares", "1000", "--method", "cash", "--date",
                     day, "--format", "html"),
            "cashless": ("documents", "exercise", warrant, *common, "--shares", "1000", "--method", "cashless",
                         "--date", day, "--format", "html"),
            "assignment": ("documents", "assignment", warrant, *common, "--to", "aurora" if deal == "lumen-2023"
                           else "crestline", "--shares", "1000", "--date", day, "--format", "html"),
            "adjustment": ("documents", "adjustments", *common, "--as-of", as_of, "--format", "html"),
        }
        for name, args in files.items():
            out = cwd / name
            said = run(*args, "--out", str(out)).stdout  # "No adjustment (...)" where there is none
            written = " ".join(path.read_text(encoding="utf-8") for path in sorted(out.glob("*.html")))
            texts[name] = said + visible(written)
        run("export", "ocf", str(cwd / "ocf"), *common, "--as-of", as_of)
        texts["ocf"] = " ".join(path.read_text(encoding="utf-8") for path in sorted((cwd / "ocf").glob("*.json")))
        found[deal] = {name: text if name.endswith(".json") else " ".join(text.split())
                       for name, text in texts.items()}
    return found


@pytest.mark.parametrize("deal", DEALS)
@pytest.mark.parametrize("output", ["report", "ld", "statement", "cash", "cashless", "assignment", "adjustment",
                                    "warrants", "ocf"])
def test_an_illustrative_deal_cites_no_focus_clause(outputs, deal, output):
    text = outputs[deal][output]
    assert text, f"{deal} {output}: nothing written"
    focus = sorted(set(re.findall(NOT_FOCUS[deal], text)))
    assert not focus, f"{deal} {output} cites FOCUS's numbering: {focus}"


@pytest.mark.parametrize("deal", DEALS)
def test_an_illustrative_deal_cites_its_own_clauses(outputs, deal):
    _, _, _, wanted = DEALS[deal]
    missing = [(output, clause) for output, clauses in wanted.items() for clause in clauses
               if clause not in outputs[deal][output]]
    assert not missing, missing


def test_the_lumen_report_labels_its_deadlines_and_defaults_with_its_own_clauses(outputs):
    data = json.loads(outputs["lumen-2023"]["report.json"])
    assert [(d["id"], d["clause"]) for d in data["deadlines"]] == [
        ("rs_filing", "RRA 1 (Filing Date)"), ("rs_effectiveness", "RRA 1 (Effectiveness Date)")]
    assert [step["clause"] for step in data["deadlines"][1]["computation"]] == [
        "RRA 1 (Effectiveness Date)", "RRA 1 (Effectiveness Date)"]  # "declared effective" was SPA 1.7
    assert [(run["kind"], run["clause"]) for run in data["registration_defaults"]] == [
        ("effectiveness", "RRA 2(d)(ii)"), ("lapse", "RRA 2(d)(iii)")]
    assert {o["clause"] for o in data["obligations"]} == {
        "RRA 1 (Filing Date)", "RRA 1 (Effectiveness Date)", "RRA 2(d)", "Warrant 2(d)(i)"}


# --- FOCUS: every label as it was -----------------------------------------------------------------

@pytest.fixture(scope="module")
def focus(tmp_path_factory, cache_dir):
    cwd = tmp_path_factory.mktemp("focus")
    shutil.copy(FIXTURES / "rich-events.jsonl", cwd / "rich-events.jsonl")
    return pipedeal_cli(cwd, cache_dir)


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(("args", "expected"), [
    (("report", "--as-of", "2000-03-01", "--json"), "report-2000-03-01.json"),
    (("ld", "--as-of", "2000-03-01", "--json", "--explain"), "ld-explain-2000-03-01.json"),
    (("report", "--events", "rich-events.jsonl", "--as-of", "2002-12-31", "--json"), "rich-report-2002-12-31.json"),
    (("warrants", "--events", "rich-events.jsonl", "--as-of", "2002-12-31", "--json"),
     "rich-warrants-2002-12-31.json"),
], ids=["report", "ld-explain", "rich-report", "rich-warrants"])
def test_focus_outputs_are_what_they_were_before_the_labels_were_cited(focus, args, expected):
    """The fixtures are main's output before labels went through ``cite`` (the rich log has a blackout,
    an investor delay, an underwriter request, an additional statement, two lapses, demands, a late
    corporate-action notice, a split, an exercise, a transfer, a division, a replacement, a W 12
    reduction and a merger). A change here must be deliberate: FOCUS's output is FOCUS's clauses."""
    assert json.loads(focus(*args).stdout) == fixture(expected)


def test_focus_explanation_steps_cite_and_quote_as_they_did(focus):
    data = json.loads(focus("ld", "--events", "rich-events.jsonl", "--as-of", "2002-12-31", "--json",
                            "--explain").stdout)
    steps = {investor: [[s["section"], s["clause"], s["quote"]] for s in explained["steps"]]
             for investor, explained in data["explanations"].items()}
    assert steps == fixture("rich-ld-explain-steps-2002-12-31.json")


def test_focus_statement_and_letter_keep_their_headings(focus, tmp_path):
    focus("statement", "--as-of", "2000-03-01", "--investor", "roseworth", "--format", "html", "--letter",
          "--date", "2000-03-02", "--out", str(tmp_path))
    text = visible(next(tmp_path.glob("*.html")).read_text(encoding="utf-8"))
    for heading in ("Demand for payment of liquidated damages (RRA 3(e))",
                    "within the meaning of Section 3(e) of the Agreement",
                    "Under Section 3(e)(B) of the Agreement",
                    "as required by Section 3(e) of the Agreement (RRA 3(e))",
                    "reserves its right under Section 3(e) of the Agreement to recover from the Company its "
                    "reasonable costs of collection",
                    "Registration Rights Agreement, Section 3(e) (RRA 3(e))",
                    "1. Registration Default periods RRA 3(e)(i)–(iv), 3(g)",
                    "2. Days excluded RRA 3(e), 3(g), 4", "3. Computation RRA 3(e)(B)",
                    "4. Demands, payments and balance RRA 3(e)", "BY FACSIMILE AND OVERNIGHT COURIER"):
        assert heading in text, heading


# --- the registry: FOCUS's slots are FOCUS's clauses; a formatter for several ---------------------

CLAUSE_ID = re.compile(r"(SPA|RRA|W) (\d+(\.\d+)?(\(\w+\))*|preamble|recitals)")


def test_every_bare_focus_slot_the_code_cites_resolves_to_itself():
    """A ``[quotes]`` key that is a clause id names that clause: ``cite`` gives it back for FOCUS."""
    terms = focus_terms()
    bare = [key for key in deal_words(terms) if CLAUSE_ID.fullmatch(key)]
    assert {"SPA 1.7", "RRA 3(a)", "RRA 3(e)", "RRA 3(e)(A)", "W 3", "W 11", "W 15", "RRA 3(b)(ii)",
            "RRA 8", "SPA 12.1(a)"} <= set(bare)
    assert [key for key in bare if cite(terms, key) != key] == []


def bundled(name: str):
    path = BUNDLED_DEALS / name / "terms.toml"
    return parse_terms(path.read_text(encoding="utf-8"), f"{name}/terms.toml")


def test_cite_all_joins_abbreviates_ranges_and_dedupes():
    focus = focus_terms()
    assert cite_all(focus, "SPA 4.3 capitalization", "SPA 6.2 reserve", "W 15", sep="; ", abbreviate=True) == \
        "SPA 4.3, 6.2; W 15"
    assert cite_all(focus, "RRA 3(e)(i)", "RRA 3(e)(ii)", "RRA 3(e)(iii)", "RRA 3(e)(iv)", "RRA 3(g)",
                    abbreviate=True, dash="–") == "RRA 3(e)(i)–(iv), 3(g)"
    assert cite_all(focus, *(f"RRA 3(b)({n})" for n in ("i", "ii", "iii", "iv", "v")), dash="-") == \
        "RRA 3(b)(i)-(v)"
    assert cite_all(focus, "W 15 par value", "W 2", sep="; ") == "W 15; W 2"
    lumen = bundled("lumen-2023")
    # both slots are lumen's capitalization and reserve clauses, each named once
    assert cite_all(lumen, "SPA 6.2 reserve", "SPA 6.2 reserve adjusted", sep="; ") == "SPA 4.9"
    assert cite_all(lumen, "RRA 3(e)(i)", "RRA 3(e)(ii)", "RRA 3(e)(iii)", "RRA 3(g)", abbreviate=True,
                    dash="–") == "RRA 2(d)(i)–(iii), 3(n)"


def test_a_rule_of_pipedeal_labels_what_a_deal_does_not_write():
    assert cite_or_rule(focus_terms(), "Rule 0-3", "RULES §1; Rule 0-3") == "RULES §1; Rule 0-3"
    assert cite_or_rule(bundled("meridian-2006"), "Rule 0-3", "RULES §1; Rule 0-3") == "RRA 1"
    assert cite_or_rule(bundled("meridian-2006"), "W 10 next day", "PIPE-TERMS") == "PIPE-TERMS"


def test_a_slot_a_deal_does_not_number_is_cited_by_its_terms_block():
    lumen = bundled("lumen-2023")
    assert cite(lumen, "RRA 3(g) cap", "registration.grace") == "RRA 3(n)"
    assert cite(lumen, "SPA 12.1(a)", "notices") == "SPA 5.3"
    assert cite(lumen, "SPA 9.1") == "terms"  # no legend clause, no block: the output leaves it out
    assert section_words("RRA 2(d)") == "Section 2(d)" and section_words("W 13") == "Section 13"
    assert section_words("terms: notices") == "terms: notices"

