"""The Closing as a checked process (SPA 2.1(b), 13.9; issue 12): the FOCUS and Lumen checklists end to end,
a refused early closing, waivers by the right and the wrong side, bad input refused with nothing written, and
the closing statement as PDF, HTML and DOCX. Real terms files, real ledgers (SQLite and PostgreSQL), the CLI
as a user runs it."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from scenario import FOCUS_DIR, evaluate_focus, focus_terms, focus_terms_text, jsonl, log

from pipedeal.base.diagnostics import InputError
from pipedeal.deal.terms_file import BUNDLED_DEALS, check_terms
from pipedeal.engine.events import parse_events
from pipedeal.engine.timeline import Located
from pipedeal.outputs.report import to_json
from pipedeal.outputs.visibility import for_investor, others_of

DAY = "1999-11-24"
SIGNED = {"type": "condition_satisfied", "date": DAY, "condition": "2.1(b)(i)"}
WIRES = ({"type": "funds_received", "date": DAY, "investor": "raptor", "amount": "1394400.00"},
         {"type": "funds_received", "date": DAY, "investor": "altar-rock", "amount": "5600.00"},
         {"type": "funds_received", "date": DAY, "investor": "roseworth", "amount": "600000.00"})
TICKED = tuple({"type": "condition_satisfied", "date": DAY, "condition": c}
               for c in ("2.1(b)(iii)", "2.1(b)(iv)", "2.1(b)(v)", "2.1(b)(vi)"))
DELIVERED = (*({"type": "deliverable_delivered", "date": DAY, "deliverable": "certificates", "investor": i}
               for i in ("raptor", "altar-rock", "roseworth")),
             {"type": "deliverable_delivered", "date": DAY, "deliverable": "transfer-agent-instructions"},
             {"type": "deliverable_delivered", "date": DAY, "deliverable": "registration-rights-agreement"})
CLOSING = {"type": "closing", "date": DAY}


def bundled(deal: str) -> list[Located]:
    path = BUNDLED_DEALS / deal / "events.jsonl"
    return [Located(event, path.name, line) for line, event in parse_events(path.read_text(), path.name)]


def refused(events: list[Located], as_of: str = "1999-12-01") -> list:
    with pytest.raises(InputError) as caught:
        evaluate_focus(events, as_of)
    return caught.value.problems


# --- FOCUS end to end --------------------------------------------------------------------------------------

def test_the_focus_checklist_closes_with_nine_conditions_three_wires_of_2000000_a_30000_fee_and_1970000_net():
    evaluation = evaluate_focus(bundled("focus-1999"), "2000-03-01")
    closing = to_json(evaluation)["closing"]
    assert evaluation.closing_date.isoformat() == DAY and closing["status"] == "closed"
    assert [(c["id"], c["status"]) for c in closing["conditions"]] == [
        (f"2.1(b)({n})", "satisfied") for n in ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix")]
    assert [(c["id"], c["protects"]) for c in closing["conditions"]][1:4] == [
        ("2.1(b)(ii)", "company"), ("2.1(b)(iii)", "company"), ("2.1(b)(iv)", "investors")]
    wires = [(f["investor"], [w["amount"] for w in f["wires"]]) for f in closing["funds"]]
    assert wires == [("raptor", ["1394400.00"]), ("altar-rock", ["5600.00"]), ("roseworth", ["600000.00"])]
    assert sum(Decimal(w) for _, amounts in wires for w in amounts) == Decimal("2000000.00")
    # SPA 13.9: JWGenesis's fee only on the investor it introduced (an input: 5% of Roseworth's $600,000).
    assert [(f["investor"], f["finder_fee"]) for f in closing["funds"]] == [
        ("raptor", None), ("altar-rock", None), ("roseworth", "30000.00")]
    assert closing["finder"]["name"] == "JWGenesis Securities, Inc." and closing["finder"]["inputs"] == [
        "fee_rate", "introduced"]
    assert closing["totals"] == {"subscriptions": "2000000.00", "received": "2000000.00", "finder_fee": "30000.00",
                                 "net_proceeds": "1970000.00"}
    assert [(d["deliverable"], d.get("investor"), d["status"]) for d in closing["deliverables"]] == [
        ("certificates", "raptor", "delivered"), ("certificates", "altar-rock", "delivered"),
        ("certificates", "roseworth", "delivered"), ("transfer-agent-instructions", None, "delivered"),
        ("registration-rights-agreement", None, "delivered")]
    assert closing["open"] == []
    # Every FOCUS figure as before the checklist: the Market Price and the allocations.
    report = to_json(evaluation)
    assert report["pricing"]["market_price"] == "1.6375"
    assert [a["shares"] for a in report["allocations"]] == [871500, 3500, 375000]


def test_every_bundled_checklist_event_is_marked_illustrative():
    for deal in ("focus-1999", "lumen-2023", "meridian-2006"):
        for item in bundled(deal):
            if item.event.type in ("condition_satisfied", "condition_waived", "funds_received",
                                   "deliverable_delivered"):
                assert item.event.source == "illustrative", (deal, item.line)


def test_the_checklist_recorded_after_a_same_day_closing_still_comes_before_it():
    events = log(CLOSING, SIGNED, *WIRES, *TICKED, *DELIVERED)
    assert evaluate_focus(events, "1999-12-01").closing_date.isoformat() == DAY


def test_a_bare_closing_is_refused_naming_every_condition_and_how_to_mend_the_log():
    # Issue 12: "A closing event is refused while a condition is neither satisfied nor waived", the
    # checklist recorded or not; a log written before the checklist existed is mended by appending it.
    [problem] = refused(log(CLOSING, bare=True))
    assert (problem.code, problem.line) == ("CLOSING-CONDITIONS-OPEN", 1)
    for n in ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix"):
        assert f"2.1(b)({n}) (" in problem.message
    assert "raptor $0.00 of $1,394,400.00" in problem.message
    assert "the log records no checklist event" in problem.message
    filed = {"type": "rs_filed", "date": "2000-01-13"}
    mended = log(CLOSING, filed, SIGNED, *WIRES, *TICKED, *DELIVERED)  # recorded after the filing, dated before
    evaluation = evaluate_focus(mended, "2000-03-01")
    closing = to_json(evaluation)["closing"]
    assert evaluation.closing_date.isoformat() == DAY
    assert (closing["checklist"], closing["status"], closing["open"]) == ("recorded", "closed", [])


def test_a_deal_without_a_closing_block_closes_as_a_bare_fact():
    from scenario import D, focus_calendars, focus_quotes

    from pipedeal.deal.terms_file import parse_terms
    from pipedeal.engine.evaluate import evaluate

    terms = parse_terms(focus_terms_text(closing_block=False), "no-checklist.toml")
    evaluation = evaluate(terms, log(CLOSING, bare=True), focus_quotes(), focus_calendars(), D("1999-12-01"), {})
    closing = to_json(evaluation)["closing"]
    assert evaluation.closing_date.isoformat() == DAY
    assert (closing["checklist"], closing["status"], closing["conditions"]) == ("none", "closed", [])


def test_before_any_checklist_event_every_condition_is_open():
    closing = to_json(evaluate_focus(log(), "1999-11-20"))["closing"]
    assert (closing["checklist"], closing["status"]) == ("empty", "open")
    assert {c["status"] for c in closing["conditions"]} == {"open"}
    assert closing["totals"]["received"] == "0.00" and len(closing["open"]) == 9 + 3


# --- a refused early closing --------------------------------------------------------------------------------

def test_an_early_closing_is_refused_naming_the_open_conditions_and_the_short_wire():
    problems = refused(log(SIGNED, *WIRES[:2], TICKED[0], CLOSING))
    assert [(p.code, p.line, p.field) for p in problems] == [("CLOSING-CONDITIONS-OPEN", 5, "type")]
    message = problems[0].message
    for open_id in ("2.1(b)(ii)", "2.1(b)(iv)", "2.1(b)(v)", "2.1(b)(vi)", "2.1(b)(vii)", "2.1(b)(viii)",
                    "2.1(b)(ix)"):
        assert open_id + " (" in message, open_id
    assert "2.1(b)(i) (" not in message and "2.1(b)(iii) (" not in message
    assert "roseworth $0.00 of $600,000.00" in message


def test_an_early_closing_imported_into_a_ledger_is_refused_and_nothing_is_written(pipedeal, db, tmp_path):
    pipedeal("init", "--db", db, "--empty")
    early = tmp_path / "early.jsonl"
    early.write_text(jsonl(SIGNED, *WIRES, CLOSING))
    done = pipedeal("events", "import", str(early), "--db", db, expect=2)
    assert "early.jsonl" in done.stderr and "line 5" in done.stderr and "CLOSING-CONDITIONS-OPEN" in done.stderr
    assert "2.1(b)(ix) (the Registration Rights Agreement delivered to the Investors)" in done.stderr
    assert json.loads(pipedeal("events", "list", "--db", db, "--json").stdout) == []


def test_the_checklist_in_progress_shows_what_is_still_open_before_the_closing(pipedeal, tmp_path):
    (tmp_path / "so-far.jsonl").write_text(jsonl(SIGNED, WIRES[0], *TICKED[:2]))
    data = json.loads(pipedeal("closing", "--events", "so-far.jsonl", "--as-of", DAY, "--json").stdout)
    assert data["status"] == "open" and data["closing_date"] is None
    assert data["totals"]["received"] == "1394400.00"
    assert data["open"][:3] == ["2.1(b)(ii): each Investor's Purchase Price in immediately available funds",
                                "2.1(b)(v): state permits and qualifications for the offer and sale, or exemptions",
                                "2.1(b)(vi): the sale and issuance legally permitted; no court ruling prohibiting it"]
    assert "funds from roseworth: $0.00 of $600,000.00" in data["open"]


# --- waivers -------------------------------------------------------------------------------------------------

def test_the_investors_may_waive_their_own_condition_and_the_closing_then_happens():
    waiver = {"type": "condition_waived", "date": DAY, "condition": "2.1(b)(viii)", "sides": ["investors"]}
    events = log(SIGNED, *WIRES, *TICKED, *DELIVERED[:3], DELIVERED[4], waiver, CLOSING)
    closing = to_json(evaluate_focus(events, "1999-12-01"))["closing"]
    assert closing["status"] == "closed"
    viii = next(c for c in closing["conditions"] if c["id"] == "2.1(b)(viii)")
    assert (viii["status"], viii["sides"]) == ("waived", ["investors"])
    instructions = next(d for d in closing["deliverables"] if d["deliverable"] == "transfer-agent-instructions")
    assert instructions["status"] == "waived"


def test_the_company_cannot_waive_a_condition_that_protects_the_investors():
    waiver = {"type": "condition_waived", "date": DAY, "condition": "2.1(b)(iv)", "sides": ["company"]}
    problems = refused(log(SIGNED, waiver))
    assert [(p.code, p.line, p.field) for p in problems] == [("CLOSING-WAIVER-SIDE", 2, "sides")]
    assert "protects the Investors" in problems[0].message


def test_a_condition_for_both_sides_needs_both_to_waive_it():
    alone = {"type": "condition_waived", "date": DAY, "condition": "2.1(b)(v)", "sides": ["company"]}
    problems = refused(log(alone))
    assert problems[0].code == "CLOSING-WAIVER-SIDE" and "the Investors did not sign" in problems[0].message
    both = {**alone, "sides": ["company", "investors"]}
    events = log(SIGNED, *WIRES, *TICKED[:2], TICKED[3], both, *DELIVERED, CLOSING)
    assert evaluate_focus(events, "1999-12-01").closing_date is not None


def test_a_condition_cannot_be_satisfied_twice_nor_waived_once_satisfied():
    again = refused(log(SIGNED, SIGNED))
    assert [(p.code, p.line) for p in again] == [("CLOSING-CONDITION-SETTLED", 2)]
    waived = {"type": "condition_waived", "date": DAY, "condition": "2.1(b)(i)", "sides": ["company", "investors"]}
    assert refused(log(SIGNED, waived))[0].code == "CLOSING-CONDITION-SETTLED"


# --- bad input: clear errors, nothing written ------------------------------------------------------------------

@pytest.mark.parametrize(("event", "code", "field", "words"), [
    ({"type": "funds_received", "date": DAY, "investor": "tudor", "amount": "1000.00"},
     "EVENT-UNKNOWN-PARTY", "investor", "no investor 'tudor'"),
    ({"type": "funds_received", "date": DAY, "investor": "raptor", "amount": "1394400.005"},
     "EVENT-INVALID", "amount", "2 decimal places"),
    ({"type": "funds_received", "date": DAY, "investor": "altar-rock", "amount": "0.01"},
     "CLOSING-FUNDS-EXCESS", "amount", "$5,600.01, beyond its subscription of $5,600.00"),
    ({"type": "deliverable_delivered", "date": DAY, "deliverable": "legal-opinion"},
     "CLOSING-UNKNOWN-DELIVERABLE", "deliverable", "no deliverable 'legal-opinion'"),
    ({"type": "deliverable_delivered", "date": DAY, "deliverable": "certificates"},
     "EVENT-MISSING-FIELD", "investor", "name the investor"),
    ({"type": "deliverable_delivered", "date": DAY, "deliverable": "purchase-price", "investor": "raptor"},
     "CLOSING-SATISFIED-BY-DELIVERY", "deliverable", "record funds_received"),
    ({"type": "condition_satisfied", "date": DAY, "condition": "2.1(b)(vii)"},
     "CLOSING-SATISFIED-BY-DELIVERY", "condition", "delivery of certificates"),
    ({"type": "condition_satisfied", "date": DAY, "condition": "2.1(b)(x)"},
     "CLOSING-UNKNOWN-CONDITION", "condition", "no condition '2.1(b)(x)'"),
    ({"type": "condition_satisfied", "date": "1999-12-01", "condition": "2.1(b)(i)"},
     "CLOSING-CHECKLIST-CLOSED", "date", "the Closing happened on 1999-11-24"),
    # After the ledger's last event: checked from the checkpoint kept for its head (the checklist replayed).
    ({"type": "funds_received", "date": "2000-03-01", "investor": "raptor", "amount": "1.00"},
     "CLOSING-CHECKLIST-CLOSED", "date", "the Closing happened on 1999-11-24"),
], ids=["unknown investor", "three decimals", "beyond the subscription", "deliverable not in the terms",
        "per-investor delivery without an investor", "funds as a document", "delivery condition ticked",
        "unknown condition", "after the closing", "after the closing, from the checkpoint"])
def test_bad_checklist_input_is_refused_with_file_line_and_field_and_nothing_is_written(
        pipedeal, focus_db, tmp_path, event, code, field, words):
    before = json.loads(pipedeal("events", "list", "--db", focus_db, "--json").stdout)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(jsonl(event))
    done = pipedeal("events", "import", str(bad), "--db", focus_db, "--allow-duplicates", expect=2)
    assert f"bad.jsonl, line 1, field {field}" in done.stderr and code in done.stderr, done.stderr
    assert words in done.stderr
    assert json.loads(pipedeal("events", "list", "--db", focus_db, "--json").stdout) == before


def test_a_wire_beyond_the_subscription_is_refused_before_any_closing():
    problems = refused(log(WIRES[1], {**WIRES[1], "amount": "0.01"}))
    assert [(p.code, p.line, p.field) for p in problems] == [("CLOSING-FUNDS-EXCESS", 2, "amount")]


def test_a_checklist_event_for_a_deal_without_a_closing_block_is_refused():
    text = focus_terms_text().split("# --- SPA 2.1: the Closing as a checklist")[0] + focus_terms_text().split(
        'inputs = ["fee_rate", "introduced"]\n', 1)[1]
    terms, problems = check_terms(text, "no-closing.toml")
    assert problems == [] and terms.closing is None
    with pytest.raises(InputError) as caught:
        evaluate_focus(log(SIGNED), "1999-12-01", terms=terms)
    assert caught.value.problems[0].code == "CLOSING-NO-CHECKLIST"


@pytest.mark.parametrize(("old", "new", "code", "key"), [
    ('deliverables = ["certificates"]', 'deliverables = ["certificate"]', "TERMS-INVALID",
     "closing.conditions[6].deliverables[0]"),
    ('introduced = ["roseworth"]', 'introduced = ["jwgenesis"]', "TERMS-INVALID", "closing.finder.introduced[0]"),
    ('satisfied_by = "delivery"\ndeliverables = ["purchase-price"]', 'satisfied_by = "delivery"', "TERMS-MISSING",
     "closing.conditions[1].deliverables"),
    ('protects = "investors"               # "(as', 'protects = "purchasers"               # "(as', "TERMS-INVALID",
     "closing.conditions[3].protects"),
    ('fee_rate = "0.05"', 'fee_rate = "1.5"', "TERMS-INVALID", "closing.finder.fee_rate"),
], ids=["unknown deliverable", "introduced stranger", "delivery without deliverables", "unknown side",
        "rate above 100%"])
def test_a_bad_closing_block_is_refused_naming_the_key_and_its_line(old, new, code, key):
    text = focus_terms_text()
    assert old in text
    changed = text.replace(old, new, 1)
    _, problems = check_terms(changed, "focus.toml")
    assert [(p.code, p.field) for p in problems] == [(code, key)]
    assert problems[0].line is not None and changed.splitlines()[problems[0].line - 1].strip()


# --- the other bundled deal ---------------------------------------------------------------------------------------

def bundled_closing(pipedeal, deal: str, as_of: str) -> dict:
    """``pipedeal closing --json`` of a bundled deal, read from its bundled log."""
    return json.loads(pipedeal("closing", "--deal", deal, "--events", str(BUNDLED_DEALS / deal / "events.jsonl"),
                               "--as-of", as_of, "--json").stdout)


def test_lumen_closes_on_its_own_conditions_with_a_waived_lock_up_and_a_7_percent_placement_fee(pipedeal):
    data = bundled_closing(pipedeal, "lumen-2023", "2023-07-01")
    assert (data["status"], data["closing_date"]) == ("closed", "2023-06-14")
    assert [(c["id"], c["protects"], c["status"]) for c in data["conditions"]] == [
        ("2.3(a)(i)", "company", "satisfied"), ("2.3(a)(ii)", "company", "satisfied"),
        ("2.3(b)(i)", "investors", "satisfied"), ("2.3(b)(ii)", "investors", "satisfied"),
        ("2.3(b)(iii)", "both", "satisfied"), ("2.3(b)(iv)", "investors", "satisfied"),
        ("2.3(b)(v)", "investors", "waived")]
    aurora = data["funds"][0]
    assert [(w["date"], w["amount"]) for w in aurora["wires"]] == [("2023-06-13", "4000000.00"),
                                                                   ("2023-06-14", "2500000.00")]
    assert [f["finder_fee"] for f in data["funds"]] == ["455000.00", "182000.00", "113750.00"]
    assert data["totals"] == {"subscriptions": "10725000.00", "received": "10725000.00", "finder_fee": "750750.00",
                              "net_proceeds": "9974250.00"}
    assert data["finder"]["inputs"] == []


def test_lumen_refuses_its_closing_while_the_purchasers_bring_down_is_open():
    from pipedeal.deal.terms_file import read_terms
    from pipedeal.engine.evaluate import evaluate
    from pipedeal.storage.workspace import calendars_for

    terms = read_terms(BUNDLED_DEALS / "lumen-2023" / "terms.toml")
    events = [item for item in bundled("lumen-2023") if getattr(item.event, "condition", None) != "2.3(b)(i)"]
    with pytest.raises(InputError) as caught:
        evaluate(terms, events, _lumen_quotes(), calendars_for(terms), _day("2023-07-01"))
    assert caught.value.problems[0].code == "CLOSING-CONDITIONS-OPEN"
    assert "2.3(b)(i) (the Company's representations" in caught.value.problems[0].message


def test_meridian_checks_the_wire_of_an_investor_stated_by_shares_at_the_discounted_price(pipedeal):
    # Pine Ridge states 300,001 Shares and no dollars; the Purchase Price is 85% of the mean close of the five
    # Trading Days before the agreement: 0.85 x $2.40 = $2.04, so its wire is 300,001 x $2.04 = $612,002.04.
    # Westbridge's 6% on Harbor Street ($2,040,000 -> $122,400.00) and Pine Ridge ($36,720.1224 -> $36,720.12).
    data = bundled_closing(pipedeal, "meridian-2006", "2006-04-01")
    assert (data["status"], data["closing_date"]) == ("closed", "2006-03-17")
    assert [(c["id"], c["protects"], c["status"]) for c in data["conditions"]] == [
        ("6(a)", "company", "satisfied"), ("6(b)", "company", "satisfied"), ("6(c)", "company", "satisfied"),
        ("7(a)", "investors", "satisfied"), ("7(b)", "investors", "satisfied"), ("7(c)", "investors", "satisfied"),
        ("7(d)", "both", "satisfied"), ("7(e)", "investors", "waived")]
    assert [(f["investor"], f["subscription"], f["received"], f["finder_fee"]) for f in data["funds"]] == [
        ("harbor-street", "2040000.00", "2040000.00", "122400.00"), ("crestline", "1020000.00", "1020000.00", None),
        ("pine-ridge", "612002.04", "612002.04", "36720.12")]
    assert data["totals"] == {"subscriptions": "3672002.04", "received": "3672002.04", "finder_fee": "159120.12",
                              "net_proceeds": "3512881.92"}


def test_meridian_refuses_a_wire_a_cent_beyond_the_discounted_price_and_a_waiver_by_the_company(tmp_path):
    from pipedeal.deal.terms_file import read_terms
    from pipedeal.engine.evaluate import evaluate
    from pipedeal.storage.workspace import calendars_for

    terms = read_terms(BUNDLED_DEALS / "meridian-2006" / "terms.toml")
    quotes = _quotes("meridian-2006")
    lines = (BUNDLED_DEALS / "meridian-2006" / "events.jsonl").read_text().replace(
        '"amount": "612002.04"', '"amount": "612002.05"').replace(
        '"condition": "7(e)", "sides": ["investors"]', '"condition": "7(e)", "sides": ["company"]')
    events = [Located(event, "meridian.jsonl", line) for line, event in parse_events(lines, "meridian.jsonl")]
    with pytest.raises(InputError) as caught:
        evaluate(terms, events, quotes, calendars_for(terms), _day("2006-04-01"))
    found = {p.code: p.message for p in caught.value.problems}
    assert "pine-ridge's wires would total $612,002.05, beyond its subscription of $612,002.04" in \
        found["CLOSING-FUNDS-EXCESS"]
    assert "condition 7(e) protects the Investors: only the Investors may waive it" in found["CLOSING-WAIVER-SIDE"]


def _quotes(deal: str):
    from pipedeal.base.quotes import QuoteBook, parse_quotes

    return QuoteBook(parse_quotes((BUNDLED_DEALS / deal / "quotes.csv").read_text(), "quotes.csv"))


def _lumen_quotes():
    return _quotes("lumen-2023")


def _day(text: str):
    import datetime as dt

    return dt.date.fromisoformat(text)


# --- each investor sees its own funds and deliveries ---------------------------------------------------------------

def test_an_investor_sees_only_its_own_wire_fee_and_certificates():
    closing = to_json(evaluate_focus(bundled("focus-1999"), "2000-03-01"))["closing"]
    seen = for_investor(closing, others_of(focus_terms(), "raptor"))
    assert [f["investor"] for f in seen["funds"]] == ["raptor"]
    assert [(d["deliverable"], d.get("investor")) for d in seen["deliverables"]] == [
        ("certificates", "raptor"), ("transfer-agent-instructions", None), ("registration-rights-agreement", None)]
    assert seen["finder"]["introduced"] == []
    assert "roseworth" not in json.dumps(seen) and "Roseworth" not in json.dumps(seen)


# --- the closing statement -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def statements(tmp_path_factory, cache_dir):
    from conftest import pipedeal_cli

    cwd = tmp_path_factory.mktemp("statement")
    run = pipedeal_cli(cwd, cache_dir)
    for kind in ("pdf", "html", "docx"):
        run("documents", "closing-statement", "--events", str(FOCUS_DIR / "events.jsonl"), "--as-of", "2000-01-01",
            "--format", kind, "--out", str(cwd))
    return {kind: cwd / f"closing-statement-focus-1999-2000-01-01.{kind}" for kind in ("pdf", "html", "docx")}


def test_the_closing_statement_pdf_states_the_funds_flow_and_the_checklist(statements):
    import pypdf

    text = " ".join(page.extract_text() for page in pypdf.PdfReader(statements["pdf"]).pages)
    flat = " ".join(text.split())
    for words in ("CLOSING STATEMENT", "Closed on November 24, 1999", "$1,394,400.00", "$5,600.00", "$600,000.00",
                  "Total subscriptions $2,000,000.00", "Finder's fee $30,000.00",
                  "Net proceeds to the Company $1,970,000.00", "JWGenesis Securities, Inc., 5%",
                  "Input, not stated in the agreement: the fee rate, the investors introduced", "SPA 2.1(b)(ix)"):
        assert words in flat, words


def test_the_closing_statement_html_lists_nine_satisfied_conditions(statements):
    html = statements["html"].read_text(encoding="utf-8")
    assert html.count("<td>Satisfied</td>") == 9
    assert html.count("<td>Delivered</td>") == 5
    assert "$1,970,000.00" in html and "Raptor Global Portfolio Ltd." in html


def test_the_closing_statement_docx_has_the_funds_table_and_the_net_proceeds(statements):
    import docx

    document = docx.Document(io.BytesIO(statements["docx"].read_bytes()))
    funds, totals, conditions, deliveries = document.tables
    assert [cell.text for cell in funds.rows[3].cells] == [
        "Roseworth Group, Ltd.", "$600,000.00", "$600,000.00", "1999-11-24: $600,000.00", "Received", "$30,000.00"]
    assert [cell.text for cell in totals.rows[3].cells] == ["Net proceeds to the Company", "$1,970,000.00"]
    assert len(conditions.rows) == 10 and {row.cells[3].text for row in conditions.rows[1:]} == {"Satisfied"}
    assert len(deliveries.rows) == 6


def test_a_closing_statement_for_a_deal_without_a_checklist_says_the_closing_is_a_bare_fact(pipedeal):
    terms, events = pipedeal.cwd / "no-checklist.toml", pipedeal.cwd / "bare.jsonl"
    terms.write_text(focus_terms_text(closing_block=False))
    events.write_text(jsonl(CLOSING, bare=True))
    pipedeal("documents", "closing-statement", "--deal", str(terms), "--events", str(events), "--prices",
             str(FOCUS_DIR / "quotes.csv"), "--as-of", "2000-01-01", "--format", "html")
    (written,) = pipedeal.cwd.glob("closing-statement-*.html")
    text = written.read_text(encoding="utf-8")
    assert "no [closing] block: the Closing is recorded as a bare fact (on" in text and "Funds flow" not in text
