"""What the ledger refuses, and why: each refusal names the line and the field."""

from __future__ import annotations

from fractions import Fraction

import pytest
from scenario import CLOSING, focus_context, log, recorded

from pipedeal.engine.append import check_append
from pipedeal.engine.events import parse_event
from pipedeal.engine.timeline import Located, fold


def problems(*events):
    found = fold(log(*events), focus_context()).problems
    return [(p.code, p.line, p.field) for p in found]


def state(*events):
    timeline = fold(log(*events), focus_context())
    assert timeline.problems == ()
    last = max(item.event.applies_on for item in log(*events))
    return timeline.at(last)


def test_the_closing_issues_one_warrant_per_investor_in_terms_order():
    register = state(CLOSING).certificates
    assert [(c.id, c.holder, c.shares) for c in register.values()] == [
        ("W-1", "raptor", 87_150), ("W-2", "altar-rock", 350), ("W-3", "roseworth", 37_500)]


def test_selling_more_than_held_is_refused_naming_line_and_field():
    assert problems(
        CLOSING,
        {"type": "shares_sold", "date": "2000-03-01", "investor": "altar-rock", "shares": 3000},
        {"type": "shares_sold", "date": "2000-03-02", "investor": "altar-rock", "shares": 501},
    ) == [("EVENT-SOLD-BEYOND-HOLDINGS", 3, "shares")]


def test_an_unknown_investor_is_refused():
    assert problems(CLOSING, {"type": "ld_demand", "date": "2000-01-05", "investor": "tudor"}) == [
        ("EVENT-UNKNOWN-PARTY", 2, "investor")]


def test_an_unknown_warrant_is_refused():
    assert problems(CLOSING, {"type": "warrant_exercise", "date": "2000-03-01", "warrant": "W-9",
                              "shares": 10, "method": "cash"}) == [
        ("EVENT-UNKNOWN-WARRANT", 2, "warrant")]


def test_exercising_beyond_the_balance_is_refused():
    assert problems(CLOSING, {"type": "warrant_exercise", "date": "2000-03-01", "warrant": "W-2",
                              "shares": 351, "method": "cash"}) == [
        ("EVENT-EXERCISE-BEYOND-BALANCE", 2, "shares")]


@pytest.mark.parametrize("day", ["1999-11-30", "2004-12-02"])
def test_exercising_outside_the_window_is_refused(day):
    assert problems(CLOSING, {"type": "warrant_exercise", "date": day, "warrant": "W-2",
                              "shares": 10, "method": "cash"}) == [
        ("EVENT-OUTSIDE-EXERCISE-WINDOW", 2, "date")]


@pytest.mark.parametrize("day", ["1999-12-01", "2004-12-01"])
def test_the_first_and_last_days_of_the_window_are_inside_it(day):
    state(CLOSING, {"type": "warrant_exercise", "date": day, "warrant": "W-2", "shares": 10,
                    "method": "cash"})


def test_a_partial_cash_exercise_leaves_a_new_warrant_for_the_rest():
    register = state(CLOSING, {"type": "warrant_exercise", "date": "2000-06-01", "warrant": "W-1",
                               "shares": 50_000, "method": "cash"})
    assert register.certificates["W-1"].status == "exercised"
    rest = register.certificates["W-4"]
    assert (rest.holder, rest.shares, rest.parent) == ("raptor", 37_150, "W-1")
    assert register.holdings["raptor"].other_held == 50_000


def test_a_partial_transfer_splits_the_warrant_between_assignee_and_assignor():
    register = state(CLOSING, {"type": "warrant_transfer", "date": "2000-06-01", "warrant": "W-3",
                               "to": "raptor", "shares": 7_500}).certificates
    assert register["W-3"].status == "transferred"
    assert (register["W-4"].holder, register["W-4"].shares) == ("raptor", 7_500)
    assert (register["W-5"].holder, register["W-5"].shares) == ("roseworth", 30_000)


def test_a_transfer_to_a_party_not_in_the_terms_is_refused():
    assert problems(CLOSING, {"type": "warrant_transfer", "date": "2000-06-01", "warrant": "W-3",
                              "to": "stranger", "shares": 10}) == [
        ("EVENT-UNKNOWN-PARTY", 2, "to")]


def test_a_division_must_add_up_to_the_warrant():
    assert problems(CLOSING, {"type": "warrant_divide", "date": "2000-06-01", "warrant": "W-2",
                              "into": [100, 200]}) == [("EVENT-DIVIDE-MISMATCH", 2, "into")]


def test_a_3_for_2_split_multiplies_warrants_and_holdings():
    register = state(CLOSING, {"type": "stock_split", "date": "2000-06-01", "ratio": "3:2"})
    assert register.certificates["W-2"].shares == 525
    assert register.holdings["altar-rock"].purchased_held == 5_250
    assert register.share_factor == Fraction(3, 2)


def test_an_event_before_the_closing_is_refused():
    assert problems({"type": "rs_filed", "date": "1999-11-20"}, CLOSING) == [
        ("EVENT-BEFORE-CLOSING", 1, "date")]


def test_a_second_closing_is_refused():
    assert problems(CLOSING, {"type": "closing", "date": "1999-11-25"}) == [
        ("EVENT-DUPLICATE-CLOSING", 2, "type")]


def test_a_backdated_sale_that_makes_a_recorded_sale_impossible_is_refused():
    existing = recorded(CLOSING, {"type": "shares_sold", "date": "2000-03-10", "investor": "altar-rock",
                                  "shares": 3000}, source="ledger")
    new = [Located(parse_event({"type": "shares_sold", "date": "2000-03-01",
                                "investor": "altar-rock", "shares": 1000}), "new.jsonl", 1)]
    found = check_append(focus_context(), new, existing=lambda: existing).problems
    assert [(p.code, p.file, p.seq) for p in found] == [
        ("EVENT-SOLD-BEYOND-HOLDINGS", "ledger", 2)]
    assert "ledger event #2 would become invalid" in found[0].message


def test_a_valid_append_has_no_problems():
    existing = recorded(CLOSING, source="ledger")
    new = [Located(parse_event({"type": "rs_filed", "date": "2000-01-13"}), "new.jsonl", 1)]
    assert check_append(focus_context(), new, existing=lambda: existing).problems == []


def test_unexercised_warrants_expire_after_the_termination_date():
    from scenario import evaluate_focus

    before = evaluate_focus(log(CLOSING), "2004-12-01").state.certificates
    after = evaluate_focus(log(CLOSING), "2004-12-02").state.certificates
    assert {c.status for c in before.values()} == {"outstanding"}
    assert {c.status for c in after.values()} == {"expired"}
