"""Covenants and obligations with a lifecycle (RULES §5), on the FOCUS docket.

The docket: Closing 1999-11-24, S-3 filed Thu 2000-01-13, S-3/A filed Thu 2000-02-10, SEC
clearance 2000-02-14, effective Wed 2000-02-16 (the bundled events). Trading Days are Nasdaq's:
Presidents' Day (Mon 2000-02-21) and Thanksgiving (Thu 1999-11-25, Thu 2000-11-23) are closed.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from scenario import CLOSING, D, evaluate_focus, flat_quotes, focus_terms, log

from pipedeal.base.diagnostics import InputError
from pipedeal.deal.terms_file import BUNDLED_DEALS, parse_terms

FILED = {"type": "rs_filed", "date": "2000-01-13", "form": "S-3"}
AMENDED = {"type": "rs_amended", "date": "2000-02-10", "form": "S-3/A"}
CLEARANCE = {"type": "sec_clearance", "date": "2000-02-14"}
EFFECTIVE = {"type": "rs_effective", "date": "2000-02-16"}
DOCKET = (CLOSING, FILED, AMENDED, CLEARANCE, EFFECTIVE)
INVESTORS = ("raptor", "altar-rock", "roseworth")


def obligations(*events: dict, as_of: str = "2000-06-01", quotes=None) -> dict:
    result = evaluate_focus(log(*DOCKET, *events), as_of, quotes)
    return {o.id: o for o in result.all_obligations}


def problems(*events: dict, as_of: str = "2000-06-01") -> list[tuple[str, int | None, str | None]]:
    with pytest.raises(InputError) as caught:
        evaluate_focus(log(*DOCKET, *events), as_of)
    return [(p.code, p.line, p.field) for p in caught.value.problems]


# --- every covenant's due date ---------------------------------------------------------------------------

def test_notice_of_effectiveness_is_due_the_next_trading_day():
    # RRA 3(a) "within one Trading Day of such event": effective Wed 2000-02-16 -> Thu 2000-02-17.
    notice = obligations()["effectiveness_notice:primary:2000-02-16"]
    assert (notice.due, notice.clause, notice.party, notice.owed_to) == (D("2000-02-17"), "RRA 3(a)", "focus",
                                                                           INVESTORS)
    assert notice.trigger == "rs_effective 2000-02-16 (primary)"
    assert notice.steps[0].text == "rs_effective 2000-02-16 (primary) + 1 Trading Day = 2000-02-17"
    assert notice.quote == '"notify the Investors of the effectiveness ... within one Trading Day"'  # [quotes]


def test_the_transfer_agent_instruction_is_due_three_trading_days_later_skipping_presidents_day():
    # RRA 5(g): Thu 02-17 (1), Fri 02-18 (2), Mon 02-21 Presidents' Day closed, Tue 02-22 (3).
    assert obligations()["transfer_agent:primary:2000-02-16"].due == D("2000-02-22")


def test_the_draft_is_due_five_trading_days_before_the_s3_and_before_the_amendment():
    # RRA 3(c) "not to exceed five (5) Trading Days ... prior to filing": S-3 Thu 01-13 back to
    # Wed 12, Tue 11, Mon 10, Fri 7, Thu 6; S-3/A Thu 02-10 back to Wed 9, Tue 8, Mon 7, Fri 4, Thu 3.
    found = obligations()
    assert found["draft_review:primary:2000-01-13"].due == D("2000-01-06")
    assert found["draft_review:primary:2000-02-10"].due == D("2000-02-03")
    assert "amendment" in found["draft_review:primary:2000-02-10"].duty


def test_a_comment_letter_is_copied_within_two_trading_days():
    # RRA 3(c): received Fri 2000-01-28 -> Mon 01-31 (1), Tue 02-01 (2).
    letter = {"type": "comment_letter_received", "date": "2000-01-28"}
    [(key, found)] = [(k, o) for k, o in obligations(letter).items() if k.startswith("comment_letters:")]
    assert key == "comment_letters:primary:2000-01-28:1"
    assert found.due == D("2000-02-01")


def test_delisting_correspondence_is_copied_within_three_trading_days_across_thanksgiving():
    # SPA 6.3: received Wed 2000-11-22; Thu 11-23 Thanksgiving is closed: Fri 11-24 (1, a short
    # session still counts), Mon 11-27 (2), Tue 11-28 (3).
    received = {"type": "delisting_notice_received", "date": "2000-11-22"}
    found = obligations(received, as_of="2000-12-31")["delisting_correspondence:2000-11-22:1"]
    assert found.due == D("2000-11-28")
    assert found.clause == "SPA 6.3"


def test_each_investor_answers_a_draft_press_release_within_two_trading_days():
    # SPA 13.10: the draft reaches the Investors Wed 1999-11-24; Thu 11-25 Thanksgiving is closed:
    # Fri 11-26 (1), Mon 11-29 (2). Each Investor owes its answer to the Company.
    draft = {"type": "press_release_draft", "date": "1999-11-24"}
    found = obligations(draft, as_of="1999-12-31")
    answers = [o for key, o in found.items() if key.startswith("press_release:")]
    assert sorted((o.party, o.owed_to, o.due) for o in answers) == sorted(
        (investor, ("focus",), D("1999-11-29")) for investor in INVESTORS)


def test_the_w14_notice_of_a_split_is_due_30_days_before_its_record_date():
    # W 14: record date 2001-06-01 - 30 days = 2001-05-02; noticed 2001-05-20: late, so missed.
    events = ({"type": "corporate_action_notice", "date": "2001-05-20", "action": "split",
               "record_date": "2001-06-01", "effective_date": "2001-06-15"},
              {"type": "stock_split", "date": "2001-06-15", "record_date": "2001-06-01", "ratio": "3:2"})
    found = obligations(*events, as_of="2001-12-31")["corporate_action_notice:stock_split:2001-06-15:record_date"]
    assert (found.due, found.status, found.met_on) == (D("2001-05-02"), "missed", D("2001-05-20"))
    assert found.owed_to == INVESTORS  # the holders of the three Warrants outstanding


def test_the_spa_6_9_limit_ends_90_days_after_effectiveness():
    # SPA 6.9 "until 90 days after the effective date": 2000-02-16 + 90 days = 2000-05-16
    # (13 days to Feb 29, 31 in March, 30 in April, 16 in May).
    limit = obligations(as_of="2000-05-16")["discounted_financing:primary"]
    assert (limit.due, limit.status, limit.clause) == (D("2000-05-16"), "pending", "SPA 6.9")
    kept = obligations(as_of="2000-05-17")["discounted_financing:primary"]
    assert (kept.status, kept.met_on) == ("met", D("2000-05-16"))


def test_before_effectiveness_the_limit_is_projected_from_the_effectiveness_deadline():
    # Not yet effective on 2000-02-01: the effectiveness deadline is 1999-11-24 + 120 days = 2000-03-23
    # (the clearance of 02-14 is not yet recorded); + 90 days = 2000-06-21, projected.
    result = evaluate_focus(log(CLOSING, FILED), "2000-02-01")
    [limit] = [o for o in result.all_obligations if o.id == "discounted_financing:primary"]
    assert limit.due == D("2000-06-21")
    assert "projected" in limit.steps[0].text


# --- SPA 6.9: financings in and out of the window ---------------------------------------------------------

def financing(date: str, shares: int, price: str, bid: str | None = "1.50", exemption: str = "none") -> dict:
    event = {"type": "financing", "date": date, "shares": shares, "price": price, "exemption": exemption}
    return {**event, "bid": bid} if bid is not None else event


def limit_of(*events: dict, as_of: str = "2000-06-01", quotes=None):
    result = evaluate_focus(log(*DOCKET, *events), as_of, quotes)
    [limit] = [o for o in result.all_obligations if o.id == "discounted_financing:primary"]
    return limit, [b for b in result.breaches if b.code == "SPA69-DISCOUNTED-SALE"], result


def test_a_discounted_financing_inside_the_window_is_a_breach():
    # 10,000 shares at $1.00 against a bid of $1.50 on 2000-03-01, inside 1999-11-24 to 2000-05-16.
    limit, breaches, _ = limit_of(financing("2000-03-01", 10000, "1.00"))
    assert limit.status == "missed"
    [breach] = breaches
    assert (breach.date, breach.clause) == (D("2000-03-01"), "SPA 6.9")
    assert "10,000 shares at $1.00" in breach.message and "$1.50" in breach.message


def test_a_discounted_financing_on_the_last_day_is_a_breach_and_the_day_after_is_not():
    assert limit_of(financing("2000-05-16", 1000, "1.00"))[0].status == "missed"
    limit, breaches, _ = limit_of(financing("2000-05-17", 1000, "1.00"))
    assert (limit.status, breaches) == ("met", [])


def test_a_discounted_financing_before_effectiveness_is_inside_the_window():
    # The limit runs from the agreement date: 1999-12-15 is inside.
    assert limit_of(financing("1999-12-15", 1000, "1.00"))[0].status == "missed"


def test_before_effectiveness_every_discounted_sale_since_the_agreement_is_inside_the_limit():
    # Filed, never effective: the projected end (2000-03-23 + 90 days = 2000-06-21) does not close the
    # limit; a discounted sale on 2000-07-03 is still inside it as of 2000-08-01.
    result = evaluate_focus(log(CLOSING, FILED, financing("2000-07-03", 1000, "1.00")), "2000-08-01")
    [limit] = [o for o in result.all_obligations if o.id == "discounted_financing:primary"]
    assert limit.status == "missed"
    assert [b.date for b in result.breaches if b.code == "SPA69-DISCOUNTED-SALE"] == [D("2000-07-03")]


def test_an_employee_plan_issue_below_the_bid_is_exempt():
    limit, breaches, _ = limit_of(financing("2000-03-01", 10000, "1.00", exemption="employee_plan"))
    assert (limit.status, breaches) == ("met", [])
    assert any("exempt (employee_plan)" in step.text for step in limit.steps)


def test_a_strategic_issue_without_the_investors_approval_is_not_exempt_under_focus():
    # SPA 6.9(iv) exempts a strategic transaction only "with the prior approval of a majority in interest".
    assert limit_of(financing("2000-03-01", 10000, "1.00", exemption="strategic"))[0].status == "missed"
    assert limit_of(financing("2000-03-01", 10000, "1.00", exemption="investor_approval"))[0].status == "met"


def test_existing_warrants_are_exempt_up_to_300000_shares_in_aggregate_and_the_rest_is_a_breach():
    # 250,000 on 03-01 use 250,000 of the 300,000; of 100,000 on 04-03, 50,000 are exempt, 50,000 are not.
    limit, breaches, _ = limit_of(financing("2000-03-01", 250000, "1.00", exemption="existing_warrants"),
                                  financing("2000-04-03", 100000, "1.00", exemption="existing_warrants"))
    assert limit.status == "missed"
    [breach] = breaches
    assert breach.date == D("2000-04-03")
    assert "50,000 shares beyond the existing-warrants cap" in breach.message


def test_existing_warrants_within_the_cap_are_exempt():
    limit, breaches, _ = limit_of(financing("2000-03-01", 300000, "1.00", exemption="existing_warrants"))
    assert (limit.status, breaches) == ("met", [])


def test_a_sale_at_the_bid_is_no_discount():
    assert limit_of(financing("2000-03-01", 10000, "1.50"))[0].status == "met"


def test_without_the_events_bid_the_quote_files_closing_bid_that_day_decides():
    # Flat quotes: every bid is $2.00; $1.90 is below it, $2.00 is not.
    quotes = flat_quotes("2.00")
    assert limit_of(financing("2000-03-01", 1000, "1.90", bid=None), quotes=quotes)[0].status == "missed"
    assert limit_of(financing("2000-03-01", 1000, "2.00", bid=None), quotes=quotes)[0].status == "met"


def test_without_any_bid_the_financing_is_reported_not_judged():
    # 2000-03-04 is a Saturday: no quote, and the event gives no bid.
    limit, breaches, result = limit_of(financing("2000-03-04", 1000, "1.00", bid=None), quotes=flat_quotes())
    assert breaches == []
    assert [p.code for p in result.problems if p.code == "SPA69-NO-BID"] == ["SPA69-NO-BID"]
    assert limit.status == "unconfirmed"  # not met: whether that sale was discounted is unknown


# --- the lifecycle: met, missed, met late, waived, not applicable -----------------------------------------

NOTICE = "effectiveness_notice:primary:2000-02-16"


def test_a_notice_sent_the_next_trading_day_is_met():
    found = obligations({"type": "rs_effective_notice", "date": "2000-02-17"})[NOTICE]
    assert (found.status, found.met_on, found.met_by) == ("met", D("2000-02-17"), "rs_effective_notice")


def test_an_obligation_is_pending_until_its_due_day_and_missed_after():
    assert obligations(as_of="2000-02-17")[NOTICE].status == "pending"
    found = obligations(as_of="2000-02-18")[NOTICE]
    assert (found.status, found.met_on) == ("missed", None)


def test_a_notice_sent_late_stays_missed_and_shows_when_it_was_met():
    # RULES §5: "An obligation performed late stays missed and shows met_on".
    found = obligations({"type": "rs_effective_notice", "date": "2000-02-18"})[NOTICE]
    assert (found.status, found.met_on) == ("missed", D("2000-02-18"))


def test_obligation_met_by_id_performs_a_duty():
    found = obligations({"type": "obligation_met", "date": "2000-02-22",
                         "obligation": "transfer_agent:primary:2000-02-16"})["transfer_agent:primary:2000-02-16"]
    assert (found.status, found.met_on, found.met_by) == ("met", D("2000-02-22"), "obligation_met")


def test_a_w3_delivery_recorded_with_obligation_met_is_met():
    # W 3: exercised Mon 2000-03-06, certificates due Thu 03-09 (3 Trading Days); delivered 03-08.
    events = ({"type": "warrant_exercise", "date": "2000-03-06", "warrant": "W-1", "shares": 1000,
               "method": "cash"},
              {"type": "obligation_met", "date": "2000-03-08", "obligation": "warrant_share_delivery:W-1:2000-03-06"})
    found = obligations(*events)["warrant_share_delivery:W-1:2000-03-06"]
    assert (found.due, found.status, found.met_on) == (D("2000-03-09"), "met", D("2000-03-08"))
    assert obligations(events[0])["warrant_share_delivery:W-1:2000-03-06"].status == "unconfirmed"


def test_a_waiver_signed_by_every_investor_waives_the_duty():
    waiver = {"type": "waiver", "date": "2000-02-25", "obligation": "transfer_agent:primary:2000-02-16",
              "signed_by": list(INVESTORS)}
    found = obligations(waiver)["transfer_agent:primary:2000-02-16"]
    assert (found.status, found.waived_by, found.waived_on) == ("waived", INVESTORS, D("2000-02-25"))


def test_a_press_release_answer_is_waived_by_the_company_it_is_owed_to():
    events = ({"type": "press_release_draft", "date": "1999-11-24"},
              {"type": "press_release_answer", "date": "1999-11-26", "investor": "raptor"},
              {"type": "waiver", "date": "1999-11-30", "obligation": "press_release:1999-11-24:1:roseworth",
               "signed_by": ["focus"]})
    found = obligations(*events, as_of="1999-12-31")
    assert found["press_release:1999-11-24:1:raptor"].status == "met"
    assert found["press_release:1999-11-24:1:altar-rock"].status == "missed"
    assert found["press_release:1999-11-24:1:roseworth"].status == "waived"


def test_a_duty_met_on_time_stays_met_whatever_a_later_waiver_says():
    events = ({"type": "rs_effective_notice", "date": "2000-02-17"},
              {"type": "waiver", "date": "2000-02-25", "obligation": NOTICE, "signed_by": list(INVESTORS)})
    assert obligations(*events)[NOTICE].status == "met"


def test_the_payment_for_a_void_repurchase_election_is_not_applicable_and_no_waiver_changes_that():
    # RRA 3(e)(A): filing due 1999-12-27, damages from 12-28; elected 2000-01-05, the 6th Trading Day
    # after: void. The payment is owed by nobody.
    events = [CLOSING, {"type": "repurchase_elected", "date": "2000-01-05"},
              {"type": "repurchase_paid", "date": "2000-01-06"},
              {"type": "waiver", "date": "2000-01-07", "obligation": "repurchase_payment", "signed_by": ["raptor"]}]
    result = evaluate_focus(log(*events), "2000-01-10")
    [payment] = [o for o in result.all_obligations if o.id == "repurchase_payment"]
    assert payment.status == "not_applicable"


# --- bad input: clear errors with location ---------------------------------------------------------------

def test_obligation_met_for_an_unknown_id_is_refused_naming_the_line():
    # Line 6: after the five docket events.
    assert problems({"type": "obligation_met", "date": "2000-02-17",
                     "obligation": "effectiveness_notice:primary:2000-02-17"}) == [
        ("OBLIGATION-UNKNOWN", 6, "obligation")]


def test_a_waiver_signed_by_the_company_of_a_duty_owed_to_the_investors_is_refused():
    assert problems({"type": "waiver", "date": "2000-02-25", "obligation": NOTICE, "signed_by": ["focus"]}) == [
        ("WAIVER-SIGNER", 6, "signed_by")]


def test_a_waiver_missing_one_investors_signature_is_refused():
    with pytest.raises(InputError) as caught:
        evaluate_focus(log(*DOCKET, {"type": "waiver", "date": "2000-02-25", "obligation": NOTICE,
                                     "signed_by": ["raptor", "altar-rock"]}), "2000-06-01")
    [problem] = caught.value.problems
    assert "not signed by roseworth" in problem.message


def test_obligation_met_for_a_filing_is_refused_the_filing_event_performs_it():
    assert problems({"type": "obligation_met", "date": "2000-01-13", "obligation": "rs_filing"}) == [
        ("OBLIGATION-MET-BY-EVENT", 6, "obligation")]


def test_obligation_met_before_the_duty_arises_is_refused():
    # A notice of the 2000-02-16 effectiveness cannot be given on 2000-02-15.
    assert problems({"type": "obligation_met", "date": "2000-02-15", "obligation": NOTICE}) == [
        ("OBLIGATION-MET-EARLY", 6, "date")]


def test_a_press_release_answer_from_an_unknown_investor_is_refused():
    assert problems({"type": "press_release_answer", "date": "2000-03-01", "investor": "tudor"}) == [
        ("EVENT-UNKNOWN-PARTY", 6, "investor")]


def test_a_waiver_signed_by_an_unknown_party_is_refused():
    assert problems({"type": "waiver", "date": "2000-02-25", "obligation": NOTICE,
                     "signed_by": ["raptor", "tudor"]}) == [("EVENT-UNKNOWN-PARTY", 6, "signed_by[1]")]


def test_an_id_not_yet_arisen_as_of_an_earlier_date_is_no_error():
    # As of 2000-02-20 the 03-06 exercise (and its delivery duty) is not yet folded, nor the
    # obligation_met after it; as of 2000-06-01 both are, and the id is known.
    events = ({"type": "warrant_exercise", "date": "2000-03-06", "warrant": "W-1", "shares": 1000,
               "method": "cash"},
              {"type": "obligation_met", "date": "2000-03-08", "obligation": "warrant_share_delivery:W-1:2000-03-06"})
    assert evaluate_focus(log(*DOCKET, *events), "2000-02-20").closing_date == D("1999-11-24")


# --- the terms: [covenants] --------------------------------------------------------------------------------

def test_a_terms_file_without_a_covenant_is_refused_naming_the_key():
    text = (BUNDLED_DEALS / "focus-1999" / "terms.toml").read_text()
    start = text.index("draft_review = {")
    text = text[:start] + text[text.index("\n", start) + 1:]
    with pytest.raises(InputError) as caught:
        parse_terms(text, "deal.toml")
    [problem] = caught.value.problems
    assert (problem.code, problem.field) == ("TERMS-MISSING", "covenants.draft_review")
    assert "covenants" in problem.message


def test_a_covenant_the_agreement_lacks_is_none_and_gives_no_obligation():
    text = (BUNDLED_DEALS / "focus-1999" / "terms.toml").read_text()
    start = text.index("transfer_agent = {")
    text = text[:start] + 'transfer_agent = "none"\n' + text[text.index("\n", start) + 1:]
    terms = parse_terms(text, "deal.toml")
    result = evaluate_focus(log(*DOCKET), "2000-06-01", terms=terms)
    assert not [o for o in result.all_obligations if o.kind == "transfer_agent"]
    assert focus_terms().covenants.transfer_agent != "none"


def test_lumen_reviews_drafts_two_trading_days_ahead_and_cites_its_own_clause():
    terms = parse_terms((BUNDLED_DEALS / "lumen-2023" / "terms.toml").read_text(), "lumen.toml")
    rule = terms.covenants.draft_review
    assert (rule.days, rule.unit, rule.when, rule.clause) == (2, "trading", "before", "RRA 3(h)")
    assert terms.covenants.comment_letters == "none"
    limit = terms.covenants.discounted_financing
    assert (limit.days, limit.existing_warrants_cap) == (30, "none")


def test_the_focus_spa_6_9_exemptions_and_cap_are_the_texts():
    limit = focus_terms().covenants.discounted_financing
    assert limit.exemptions == ("employee_plan", "compensatory", "existing_warrants", "investor_approval")
    assert limit.existing_warrants_cap == 300000
    assert Decimal(limit.days) == 90


def test_an_illustrative_deal_cites_its_own_covenant_clauses_and_words():
    # lumen-2023 quotes no FOCUS slot for its covenants: each obligation cites its [covenants] block.
    from pipedeal.engine.evaluate import evaluate
    from pipedeal.storage.workspace import calendars_for, load_inputs

    inputs = load_inputs("lumen-2023")
    result = evaluate(inputs.terms, inputs.events, inputs.quotes, calendars_for(inputs.terms), D("2024-12-31"))
    found = {o.kind: o for o in result.covenant_obligations}
    assert found["effectiveness_notice"].clause == "RRA 3(d)"
    assert found["effectiveness_notice"].quote.startswith('"The Company shall notify the Holders via e-mail')
    assert found["discounted_financing"].clause == "SPA 4.12(a)"
    assert "transfer_agent" not in found and "comment_letters" not in found  # "none" in lumen's terms


def test_ids_stay_the_same_when_an_earlier_letter_is_recorded_later():
    # Two letters on 2000-01-28 are :1 and :2 of that day; a letter of 2000-01-20 recorded after them
    # takes its own day's number and renames neither.
    first = {"type": "comment_letter_received", "date": "2000-01-28"}
    earlier = {"type": "comment_letter_received", "date": "2000-01-20"}
    before = {k for k in obligations(first, first) if k.startswith("comment_letters:")}
    after = {k for k in obligations(first, first, earlier) if k.startswith("comment_letters:")}
    assert before == {"comment_letters:primary:2000-01-28:1", "comment_letters:primary:2000-01-28:2"}
    assert after == before | {"comment_letters:primary:2000-01-20:1"}
