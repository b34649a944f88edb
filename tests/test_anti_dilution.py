"""Price-based anti-dilution (PIPE-TERMS "Warrants"): a ``financing`` below the Exercise Price
in force adjusts the Warrants of a ``full_ratchet`` or ``weighted_average_*`` deal, unless its
kind is exempt; a ``structural`` deal (FOCUS) is never adjusted by one.

The deals are FOCUS with its anti-dilution clause swapped (``variant``), on the real
calendars and the bundled quotes. Every figure is worked out by hand below from FOCUS's:

- Closing 1999-11-24: W-1 (Raptor) 87,150, W-2 (Altar Rock) 350, W-3 (Roseworth) 37,500
  warrant shares = 125,000; Exercise Price 110% x $1.6375 = $1.80125 (rounding "none");
- Common outstanding after the Closing: 21,012,701 + 1,250,000 = 22,262,701 (of 30,000,000).

The weighted average, new = old x (A + B) / (A + C) with B = p x C / old, is also
(old x A + p x C) / (A + C), since old x B = p x C: the old price on A shares averaged with
the issue price p on the C new ones. The issue most tests use: C = 1,000,000 at p = $0.7205,
which is 40% of $1.80125, so B = 0.4 x 1,000,000 = 400,000 exactly.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenario import (
    CLOSING,
    FOCUS_DIR,
    D,
    evaluate_focus,
    flat_quotes,
    focus_calendars,
    focus_terms,
    focus_terms_text,
    jsonl,
    log,
    recorded,
)
from test_ocf import outstanding_warrants, schema_dir  # noqa: F401 - schema_dir is a fixture
from test_warrant_forms import docx_text, html_text, pdf_text
from test_warrants import any_event

from pipedeal.base.diagnostics import InputError
from pipedeal.deal.clauses import NO_WORDS
from pipedeal.deal.terms import Terms
from pipedeal.deal.terms_file import check_terms, parse_terms
from pipedeal.engine.append import check_append
from pipedeal.engine.checkpoint import VERSION, resume, take
from pipedeal.engine.events import parse_event
from pipedeal.engine.timeline import Fold, Located, make_context
from pipedeal.outputs import ocf
from pipedeal.outputs.documents.warrant_forms import adjustment_notice_docx, adjustment_notice_html

B = Decimal("1.80125")
OUTSTANDING_AFTER_CLOSING = 22_262_701
WARRANT_SHARES = 125_000
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def variant(rule: str = "weighted_average_narrow", *, shares: bool = False, rounding: str = "none",
            exempt: tuple[str, ...] = ("employee_plan", "existing_warrants")) -> Terms:
    """FOCUS with a price-based anti-dilution clause instead of its structural one."""
    terms = focus_terms()
    return terms.model_copy(update={"warrants": terms.warrants.model_copy(update={
        "anti_dilution": rule, "anti_dilution_exempt": exempt, "adjust_shares_on_price_adjustment": shares,
        "exercise_price_rounding": rounding})})


def financing(day: str, shares: int, price: str, exemption: str = "none") -> dict:
    return {"type": "financing", "date": day, "shares": shares, "price": price, "exemption": exemption}


def exercise(day: str, warrant: str, shares, method: str = "cash") -> dict:
    return {"type": "warrant_exercise", "date": day, "warrant": warrant, "shares": shares, "method": method}


def split(day: str, ratio: str = "3:2", **extra) -> dict:
    return {"type": "stock_split", "date": day, "ratio": ratio, "authorized": 60_000_000, **extra}


def rows(notice) -> list[tuple]:
    return [(r.warrant, r.shares_before, r.shares_after, r.price_before, r.price_after) for r in notice.rows]


def price_on(evaluation, day: str) -> Decimal:
    return evaluation.timeline.exercise_price(D(day))


THE_ISSUE = financing("2001-03-01", 1_000_000, "0.7205")
# narrow: A = 22,262,701; (1.80125 x 22,262,701 + 0.7205 x 1,000,000) / (22,262,701 + 1,000,000)
#   = (40,100,690.17625 + 720,500) / 23,262,701 = 40,821,190.17625 / 23,262,701 = 1.75479150836... -> 1.7547915084
NARROW = Decimal("1.7547915084")
# broad: A = 22,262,701 + 125,000 warrant shares = 22,387,701;
#   (1.80125 x 22,387,701 + 720,500) / 23,387,701 = 41,046,346.42625 / 23,387,701 = 1.75503981458... -> 1.7550398146
BROAD = Decimal("1.7550398146")


# === the three rules ==============================================================================

def test_a_full_ratchet_issue_at_one_dollar_sets_the_exercise_price_to_one_dollar():
    evaluation = evaluate_focus(log(CLOSING, financing("2001-03-01", 1_000_000, "1.00"),
                                    exercise("2001-04-02", "W-2", 350)), "2001-06-01", terms=variant("full_ratchet"))
    notice, = evaluation.adjustments
    assert (notice.kind, notice.date, notice.effective_from, notice.record_date) == (
        "anti_dilution", D("2001-03-01"), D("2001-03-01"), None)
    assert rows(notice) == [("W-1", 87_150, 87_150, B, Decimal("1.00")),
                            ("W-2", 350, 350, B, Decimal("1.00")),
                            ("W-3", 37_500, 37_500, B, Decimal("1.00"))]
    # the day before keeps the Closing's price; from the issue on, $1.00
    assert (price_on(evaluation, "2001-02-28"), price_on(evaluation, "2001-03-01")) == (B, Decimal("1.00"))
    result, = evaluation.exercises
    # 350 x $1.00 = $350.00 (it was 350 x $1.80125 = $630.44)
    assert (result.exercise_price, result.aggregate_price) == (Decimal("1.00"), Decimal("350.00"))


def test_broad_and_narrow_weighted_averages_of_the_same_issue_differ_by_the_warrant_shares_in_a():
    narrow, = evaluate_focus(log(CLOSING, THE_ISSUE), "2001-06-01", terms=variant("weighted_average_narrow")
                             ).adjustments
    broad, = evaluate_focus(log(CLOSING, THE_ISSUE), "2001-06-01", terms=variant("weighted_average_broad")
                            ).adjustments
    assert narrow.rows[0].price_after == NARROW
    assert broad.rows[0].price_after == BROAD
    # Counting the 125,000 warrant shares in A weighs the old price more: broad is the higher
    # price, by 1.7550398146 - 1.7547915084 = $0.0002483062 a share.
    assert Decimal("0.0002483062") == BROAD - NARROW
    assert broad.computation[2] == ("A = 22,262,701 shares of Common Stock outstanding just before the issue + "
                                    "125,000 warrant shares of the outstanding Warrants (broad) = 22,387,701")
    assert "narrow: the warrant shares are not counted" in "\n".join(narrow.computation)


def test_the_notice_sets_forth_a_b_c_the_formula_and_the_ten_place_price():
    notice, = evaluate_focus(log(CLOSING, THE_ISSUE), "2001-06-01", terms=variant()).adjustments
    assert notice.facts == ("On 2001-03-01 the Company issued 1,000,000 shares of Common Stock at $0.7205 a share, "
                            "below the Exercise Price of $1.80125 then in force")
    assert notice.clause == "the Warrant's anti-dilution clause"  # the FOCUS variant quotes no such clause
    assert list(notice.computation) == [
        "the issue price $0.7205 is below the Exercise Price $1.80125 in force on 2001-03-01 (anti_dilution = "
        "weighted_average_narrow; exempt kinds: employee_plan, existing_warrants; this issue: none)",
        "weighted average narrow: new Exercise Price = old x (A + B) / (A + C)",
        "A = 22,262,701 shares of Common Stock outstanding just before the issue (narrow: the warrant shares are not "
        "counted)",
        # B = 0.7205 x 1,000,000 / 1.80125 = 400,000 exactly
        "B = issue price x C / old price = $0.7205 x 1,000,000 / $1.80125 = 400,000 (the shares the issue's "
        "consideration buys at the old price)",
        "C = 1,000,000 shares issued",
        "new = $1.80125 x (22,262,701 + 400,000) / (22,262,701 + 1,000,000) = $1.7547915084; kept to 10 places, "
        "half-up: $1.7547915084",
        "exercise_price_rounding = none: $1.7547915084",
        "adjust_shares_on_price_adjustment = false: the Warrant Shares are unchanged",
    ]


def test_an_exempt_employee_plan_issue_does_not_adjust_but_counts_in_the_next_issues_a():
    evaluation = evaluate_focus(log(CLOSING, financing("2001-02-01", 500_000, "1.00", "employee_plan"), THE_ISSUE),
                                "2001-06-01", terms=variant())
    notice, = evaluation.adjustments  # the exempt issue has none
    assert price_on(evaluation, "2001-02-28") == B
    # PIPE-TERMS: A counts "all Common outstanding just before the issue, earlier exempt issues included":
    # A = 22,262,701 + 500,000 = 22,762,701
    # (1.80125 x 22,762,701 + 720,500) / 23,762,701 = 41,721,315.67625 / 23,762,701 = 1.75576905909... -> 1.7557690591
    assert "A = 22,762,701 shares of Common Stock outstanding just before the issue" in notice.computation[2]
    assert notice.rows[0].price_after == Decimal("1.7557690591")


def test_an_issue_of_a_kind_the_deal_does_not_exempt_adjusts_and_the_notice_says_its_kind():
    notice, = evaluate_focus(log(CLOSING, {**THE_ISSUE, "exemption": "strategic"}), "2001-06-01",
                             terms=variant()).adjustments
    assert notice.rows[0].price_after == NARROW
    assert "(a strategic issue, not exempt)" in notice.facts


@pytest.mark.parametrize("price", ["1.80125", "2.00"])
def test_an_issue_at_or_above_the_exercise_price_does_not_adjust(price):
    # PIPE-TERMS: "whose price is below the Exercise Price in force"; equal is not below
    evaluation = evaluate_focus(log(CLOSING, financing("2001-03-01", 1_000_000, price)), "2001-06-01",
                                terms=variant("full_ratchet"))
    assert evaluation.adjustments == ()
    assert price_on(evaluation, "2001-06-01") == B


def test_successive_weighted_average_issues_each_start_from_the_price_the_last_one_set():
    evaluation = evaluate_focus(log(CLOSING, THE_ISSUE, financing("2001-09-04", 1_000_000, "0.50")), "2001-12-31",
                                terms=variant())
    first, second = evaluation.adjustments
    assert first.rows[0].price_after == NARROW == second.rows[0].price_before
    # A = 22,262,701 + 1,000,000 = 23,262,701 (the first issue's shares now outstanding)
    # (1.7547915084 x 23,262,701 + 0.50 x 1,000,000) / 24,262,701
    #   = (40,821,190.1772481884 + 500,000) / 24,262,701 = 1.70307461549... -> 1.7030746155
    assert second.rows[0].price_after == Decimal("1.7030746155")
    assert price_on(evaluation, "2001-09-03") == NARROW
    assert price_on(evaluation, "2001-09-04") == Decimal("1.7030746155")


def test_successive_full_ratchets_only_ever_lower_the_price():
    evaluation = evaluate_focus(log(CLOSING, financing("2001-03-01", 100_000, "1.00"),
                                    financing("2001-06-01", 100_000, "0.90"),
                                    financing("2001-09-04", 100_000, "0.95")),  # above $0.90: no adjustment
                                "2001-12-31", terms=variant("full_ratchet"))
    assert [(n.date, n.rows[0].price_before, n.rows[0].price_after) for n in evaluation.adjustments] == [
        (D("2001-03-01"), B, Decimal("1.00")), (D("2001-06-01"), Decimal("1.00"), Decimal("0.90"))]
    assert price_on(evaluation, "2001-12-31") == Decimal("0.90")
    # every issue's shares are outstanding: 22,262,701 + 3 x 100,000
    assert evaluation.state.common_outstanding == OUTSTANDING_AFTER_CLOSING + 300_000


# === adjust_shares_on_price_adjustment, and an exercise afterwards ====================================

def test_with_share_adjustment_a_full_ratchet_keeps_each_warrants_aggregate_price_and_the_reserve_follows():
    evaluation = evaluate_focus(log(CLOSING, financing("2001-03-01", 1_000_000, "1.00"),
                                    exercise("2001-04-02", "W-2", "all")), "2001-06-01",
                                terms=variant("full_ratchet", shares=True))
    notice, = evaluation.adjustments
    # shares x $1.80125 / $1.00: 87,150 -> 156,978.9375; 350 -> 630.4375; 37,500 -> 67,546.875
    assert rows(notice) == [
        ("W-1", 87_150, Fraction("156978.9375"), B, Decimal("1.00")),
        ("W-2", 350, Fraction("630.4375"), B, Decimal("1.00")),
        ("W-3", 37_500, Fraction("67546.875"), B, Decimal("1.00")),
    ]
    result, = evaluation.exercises
    # W 3: 630.4375 x $1.00 = $630.4375 -> $630.44, as 350 x $1.80125 did before the issue;
    # W 4: 630 whole shares, the 0.4375 share paid in cash: 0.4375 x $1.00 -> $0.44
    assert (result.shares_exercised, result.aggregate_price, result.shares_issued, result.fraction,
            result.fraction_cash) == (Fraction("630.4375"), Decimal("630.44"), 630, Fraction(7, 16), Decimal("0.44"))
    # SPA 6.2: the reserve grows by the whole warrant shares added,
    #   (156,978 + 630 + 67,546) - 125,000 = 225,154 - 125,000 = 100,154, then gives 630 to the exercise
    assert evaluation.reservation.reserved == 225_154 - 630
    assert evaluation.reservation.required == 156_978 + 67_546
    # Common: 22,262,701 + 1,000,000 issued + 630 on the exercise
    assert evaluation.state.common_outstanding == OUTSTANDING_AFTER_CLOSING + 1_000_000 + 630
    # No reserve or authorized-share breach. The one breach is SPA 6.9's: no statement was ever
    # effective, so the financing limit still runs, and $1.00 is below that day's closing bid.
    assert [b.code for b in evaluation.breaches] == ["SPA69-DISCOUNTED-SALE"]


def test_without_share_adjustment_the_warrant_shares_stay_and_an_exercise_pays_the_new_price():
    evaluation = evaluate_focus(log(CLOSING, financing("2001-03-01", 1_000_000, "1.00"),
                                    exercise("2001-04-02", "W-2", "all")), "2001-06-01",
                                terms=variant("full_ratchet", shares=False))
    result, = evaluation.exercises
    # 350 x $1.00 = $350.00; 350 whole shares, no fraction
    assert (result.shares_exercised, result.aggregate_price, result.shares_issued, result.fraction_cash) == (
        350, Decimal("350.00"), 350, Decimal("0.00"))
    assert evaluation.reservation.reserved == WARRANT_SHARES - 350


def test_a_weighted_share_adjustment_keeps_ten_places_and_the_fraction_is_paid_in_cash_at_exercise():
    evaluation = evaluate_focus(log(CLOSING, THE_ISSUE, exercise("2001-04-02", "W-2", "all")), "2001-06-01",
                                terms=variant(shares=True))
    notice, = evaluation.adjustments
    # 350 x 1.80125 / 1.7547915084 = 630.4375 / 1.7547915084 = 359.26632707203... -> 359.2663270720
    # 87,150 x 1.80125 / 1.7547915084 = 89,457.31544092756... -> 89,457.3154409276
    # 37,500 x 1.80125 / 1.7547915084 = 38,492.82075771411... -> 38,492.8207577141
    assert [row.shares_after for row in notice.rows] == [
        Fraction("89457.3154409276"), Fraction("359.2663270720"), Fraction("38492.8207577141")]
    assert "W-2: 350 x $1.80125 / $1.7547915084 = 359.266327072" in notice.computation
    result, = evaluation.exercises
    # 359.266327072 x 1.7547915084 = 630.4375000000026... -> $630.44
    # W 4: 359 shares; 0.266327072 x 1.7547915084 = 0.46734848440... -> $0.47
    assert (result.aggregate_price, result.shares_issued, result.fraction, result.fraction_cash) == (
        Decimal("630.44"), 359, Fraction("0.266327072"), Decimal("0.47"))


def test_the_register_keeps_each_warrants_shares_as_they_were_before_a_share_adjustment():
    evaluation = evaluate_focus(log(CLOSING, financing("2001-03-01", 1_000_000, "1.00")), "2001-06-01",
                                terms=variant("full_ratchet", shares=True))
    timeline = evaluation.timeline
    before, after = timeline.register_on(D("2001-02-28")), timeline.register_on(D("2001-03-01"))
    assert (before["W-1"].shares, after["W-1"].shares) == (87_150, Fraction("156978.9375"))
    assert (timeline.warrant_shares.on(D("2001-02-28")), timeline.warrant_shares.on(D("2001-03-01"))) == (
        WARRANT_SHARES, Fraction("156978.9375") + Fraction("630.4375") + Fraction("67546.875"))


def test_a_partial_exercise_after_a_share_adjustment_leaves_the_fraction_on_the_remainder():
    evaluation = evaluate_focus(log(CLOSING, financing("2001-03-01", 1_000_000, "1.00"),
                                    exercise("2001-04-02", "W-1", 10_000)), "2001-06-01",
                                terms=variant("full_ratchet", shares=True))
    result, = evaluation.exercises
    # 10,000 x $1.00 = $10,000.00; the remainder W-4 is 156,978.9375 - 10,000 = 146,978.9375
    assert (result.aggregate_price, result.remainder_certificate) == (Decimal("10000.00"), "W-4")
    assert evaluation.state.certificates["W-4"].shares == Fraction("146978.9375")


# === splits, reductions and the order of effects ====================================================

def test_a_split_before_the_issue_gives_the_price_and_shares_the_ratchet_adjusts():
    evaluation = evaluate_focus(log(CLOSING, split("2000-06-01"), financing("2001-03-01", 1_000_000, "1.00")),
                                "2001-06-01", terms=variant("full_ratchet", shares=True))
    split_notice, notice = evaluation.adjustments
    assert split_notice.kind == "stock_split"
    # after 3:2, W-2 = 525 at 1.80125 x 2/3 = 1.2008333333; then the $1.00 issue is below it:
    # 525 x 1.2008333333 / 1.00 = 630.4374999825 (the 10-place price, not the exact 630.4375)
    assert rows(notice)[1] == ("W-2", 525, Fraction("630.4374999825"), Decimal("1.2008333333"), Decimal("1.00"))
    # A would count 22,262,701 x 3/2 = 33,394,051.5 -> 33,394,051 (cash in lieu of the half share)
    assert evaluation.state.common_outstanding == 33_394_051 + 1_000_000


def test_a_split_after_the_issue_divides_the_ratcheted_price():
    evaluation = evaluate_focus(log(CLOSING, financing("2001-03-01", 1_000_000, "1.00"), split("2001-06-01"),
                                    exercise("2001-07-02", "W-2", 525)), "2001-08-01", terms=variant("full_ratchet"))
    _, split_notice = evaluation.adjustments
    # W 11(a): $1.00 x 2/3 = 0.6666666667 (10 places); W-2 350 x 3/2 = 525
    assert rows(split_notice)[1] == ("W-2", 350, 525, Decimal("1.00"), Decimal("0.6666666667"))
    result, = evaluation.exercises
    # 525 x 0.6666666667 = 350.0000000175 -> $350.00
    assert (result.exercise_price, result.aggregate_price) == (Decimal("0.6666666667"), Decimal("350.00"))
    # the timeline's history: the Closing price, the ratchet, then the split
    assert [price_on(evaluation, day) for day in ("2001-02-28", "2001-03-01", "2001-06-01")] == [
        B, Decimal("1.00"), Decimal("0.6666666667")]


@pytest.mark.parametrize(("split_first", "price"), [
    (True, "1.00"),  # the split recorded first: $1.00 is below 1.2008333333, and is the new price
    (False, "0.6666666667"),  # the issue first: 1.80125 -> $1.00, then the split: 1.00 x 2/3
])
def test_on_one_day_the_recorded_order_of_a_split_and_an_issue_decides(split_first, price):
    issue, recap = financing("2001-06-01", 1_000_000, "1.00"), split("2001-06-01")
    events = (recap, issue) if split_first else (issue, recap)
    evaluation = evaluate_focus(log(CLOSING, *events), "2001-07-01", terms=variant("full_ratchet"))
    assert price_on(evaluation, "2001-06-01") == Decimal(price)
    kinds = [n.kind for n in evaluation.adjustments]
    assert kinds == (["stock_split", "anti_dilution"] if split_first else ["anti_dilution", "stock_split"])


def test_an_issue_between_a_splits_record_and_effective_dates_meets_the_adjusted_price_and_the_unsplit_common():
    # The order of effects (timeline.py): the Warrants are split on the record date 2001-02-15, the
    # Common on the effective date 2001-03-15. On 2001-03-01: old = 1.80125 x 2/3 = 1.2008333333,
    # A = 22,262,701 (not yet split); (1.2008333333 x 22,262,701 + 0.50 x 1,000,000) / 23,262,701
    #   = (26,733,793.4500912433 + 500,000) / 23,262,701 = 1.17070642177... -> 1.1707064218
    evaluation = evaluate_focus(log(CLOSING, split("2001-03-15", record_date="2001-02-15"),
                                    financing("2001-03-01", 1_000_000, "0.50")), "2001-06-01", terms=variant())
    _, notice = evaluation.adjustments
    assert (notice.rows[0].price_before, notice.rows[0].price_after) == (Decimal("1.2008333333"),
                                                                          Decimal("1.1707064218"))
    assert notice.computation[2].startswith("A = 22,262,701 shares of Common Stock")


REDUCTION = {"type": "price_reduction", "date": "2001-01-02", "start": "2001-01-02", "end": "2001-06-29",
             "price": "1.50"}


def test_an_issue_below_the_closing_price_but_not_below_a_w12_reduced_price_does_not_adjust():
    # The literal reading: the issue must be "below the Exercise Price in force", the reduced $1.50
    evaluation = evaluate_focus(log(CLOSING, REDUCTION, financing("2001-03-01", 1_000_000, "1.60")), "2001-08-01",
                                terms=variant("full_ratchet"))
    assert [n.kind for n in evaluation.adjustments] == ["price_reduction"]
    assert price_on(evaluation, "2001-07-02") == B  # the reduction over, the Closing's price again


def test_an_issue_below_a_w12_reduced_price_sets_the_price_also_after_the_reduction():
    evaluation = evaluate_focus(log(CLOSING, REDUCTION, financing("2001-03-01", 1_000_000, "1.00")), "2001-08-01",
                                terms=variant("full_ratchet"))
    _, notice = evaluation.adjustments
    assert notice.rows[0].price_before == Decimal("1.50")  # old = the price in force, reduced
    assert "the W 12 reduced price $1.50 (otherwise $1.80125)" in notice.computation[1]
    assert [price_on(evaluation, day) for day in ("2001-02-28", "2001-03-01", "2001-07-02")] == [
        Decimal("1.50"), Decimal("1.00"), Decimal("1.00")]


# === deals and moments that adjust nothing ==========================================================

def test_the_structural_focus_deal_ignores_every_financing():
    evaluation = evaluate_focus(log(CLOSING, financing("2001-03-01", 1_000_000, "0.50")), "2001-06-01")
    assert focus_terms().warrants.anti_dilution == "structural"
    assert evaluation.adjustments == ()
    assert price_on(evaluation, "2001-06-01") == B
    assert evaluation.state.common_outstanding == OUTSTANDING_AFTER_CLOSING + 1_000_000


def test_an_issue_when_no_warrant_is_outstanding_adjusts_nothing():
    terms = variant("full_ratchet")
    before_closing = evaluate_focus(log(financing("1999-11-01", 1_000, "0.50"), CLOSING), "2000-06-01", terms=terms)
    after_expiry = evaluate_focus(log(CLOSING, financing("2004-12-02", 1_000, "0.50")), "2004-12-31", terms=terms)
    all_exercised = evaluate_focus(log(CLOSING, *(exercise("2000-06-01", w, "all") for w in ("W-1", "W-2", "W-3")),
                                       financing("2001-03-01", 1_000, "0.50")), "2001-06-01", terms=terms)
    for evaluation in (before_closing, after_expiry, all_exercised):
        assert [n for n in evaluation.adjustments if n.kind == "anti_dilution"] == []
    # the pre-Closing issue is Common outstanding all the same: 22,262,701 + 1,000
    assert before_closing.state.common_outstanding == OUTSTANDING_AFTER_CLOSING + 1_000


def test_the_issued_shares_count_in_the_capitalization_and_can_exceed_the_authorized():
    # 22,262,701 + 7,700,000 = 29,962,701 outstanding + 125,000 reserved = 30,087,701 > 30,000,000
    evaluation = evaluate_focus(log(CLOSING, financing("2001-03-01", 7_700_000, "2.50")), "2001-06-01")
    shortfall, = [b for b in evaluation.breaches if b.code == "AUTHORIZED-SHORTFALL"]
    assert shortfall.date == D("2001-03-01")
    assert "(short 87,701)" in shortfall.message


def test_a_ratchet_below_par_is_a_reported_problem():
    # W 15: par $0.01; an issue at $0.005 ratchets the price to $0.005
    evaluation = evaluate_focus(log(CLOSING, financing("2001-03-01", 1_000, "0.005")), "2001-06-01",
                                terms=variant("full_ratchet"))
    par, = [b for b in evaluation.breaches if b.code == "EXERCISE-PRICE-BELOW-PAR"]
    assert "the anti-dilution adjustment for the issue of 2001-03-01" in par.message


# === exercise_price_rounding ==========================================================================

@pytest.mark.parametrize(("rounding", "closing", "ten_places", "new"), [
    # none: the Closing's $1.80125; 1.7547915084 as above
    ("none", "1.80125", "1.7547915084", "1.7547915084"),
    # cent: the Closing's 1.80125 -> $1.80; (1.80 x 22,262,701 + 720,500) / 23,262,701
    #   = (40,072,861.8 + 720,500) / 23,262,701 = 1.75359524238... -> 1.7535952424 -> $1.75
    ("cent", "1.80", "1.7535952424", "1.75"),
    # tenth_cent: the Closing's -> $1.801; (1.801 x 22,262,701 + 720,500) / 23,262,701
    #   = (40,095,124.501 + 720,500) / 23,262,701 = 1.75455225518... -> 1.7545522552 -> $1.755
    ("tenth_cent", "1.801", "1.7545522552", "1.755"),
])
def test_exercise_price_rounding_rounds_the_ten_place_weighted_average_half_up(rounding, closing, ten_places, new):
    evaluation = evaluate_focus(log(CLOSING, THE_ISSUE), "2001-06-01", terms=variant(rounding=rounding))
    notice, = evaluation.adjustments
    assert (notice.rows[0].price_before, notice.rows[0].price_after) == (Decimal(closing), Decimal(new))
    assert f"kept to 10 places, half-up: ${ten_places}" in notice.computation[5]
    assert notice.computation[6].startswith(f"exercise_price_rounding = {rounding}: ")


def test_a_weighted_average_that_rounds_back_to_the_old_price_adjusts_nothing_and_says_so():
    # cent: the issue above sets $1.75; then 1,000 shares at $1.00:
    #   (1.75 x 23,262,701 + 1,000) / 23,263,701 = 40,710,726.75 / 23,263,701 = 1.74996776... -> $1.75, not lower
    evaluation = evaluate_focus(log(CLOSING, THE_ISSUE, financing("2001-09-04", 1_000, "1.00")), "2001-12-31",
                                terms=variant(rounding="cent"))
    assert len(evaluation.adjustments) == 1
    assert price_on(evaluation, "2001-12-31") == Decimal("1.75")
    warning, = [p for p in evaluation.problems if p.code == "ANTI-DILUTION-ROUNDED-AWAY"]
    assert (warning.severity, warning.date) == ("warning", D("2001-09-04"))
    assert "the weighted average narrow price $1.75 (exercise_price_rounding = cent) is not below it" in (
        warning.message)


def test_a_full_ratchet_is_the_issue_price_itself_whatever_the_rounding():
    # the issue price $0.995 is the new price; a cent rounding would make it $1.00, above the issue price
    notice, = evaluate_focus(log(CLOSING, financing("2001-03-01", 1_000, "0.995")), "2001-06-01",
                             terms=variant("full_ratchet", rounding="cent")).adjustments
    assert (notice.rows[0].price_before, notice.rows[0].price_after) == (Decimal("1.80"), Decimal("0.995"))


def test_a_weighted_average_deal_must_state_its_exercise_price_rounding():
    text = focus_terms_text().replace('anti_dilution = "structural"',
                                      'anti_dilution = "weighted_average_broad"\nanti_dilution_exempt = []\n'
                                      'adjust_shares_on_price_adjustment = false')
    assert parse_terms(text, "wa.toml").warrants.anti_dilution == "weighted_average_broad"
    # A fixed Exercise Price needs no rounding of its own; the weighted average still computes one.
    fixed = text.replace('exercise_price_multiple = "1.10"', 'exercise_price = "1.80"')
    fixed = re.sub(r'exercise_price_rounding = "none".*\n', "", fixed)
    fixed = re.sub(r'\[\[ambiguities\]\]\nkey = "exercise_price_rounding"\n(.+\n)+\n', "", fixed)
    assert "exercise_price_rounding" not in fixed
    assert parse_terms(fixed.replace("weighted_average_broad", "full_ratchet"), "ratchet.toml")
    terms, problems = check_terms(fixed, "wa.toml")
    assert terms is None
    assert [(p.code, p.field) for p in problems if p.code == "TERMS-MISSING"] == [
        ("TERMS-MISSING", "warrants.exercise_price_rounding")]


def test_a_financing_needs_no_bid_for_the_anti_dilution_clause():
    # RULES §5: the bid is SPA 6.9's figure only ("the event's bid, else the quote file's closing bid")
    event = parse_event(financing("2001-03-01", 1_000, "1.00"))
    assert (event.bid, event.exemption) == (None, "none")
    assert parse_event({**financing("2001-03-01", 1_000, "1.00"), "bid": "1.25"}).bid == Decimal("1.25")


# === the Notice of Adjustment (W 13) as a document ===================================================

NOTICE_STRINGS = (
    "NOTICE OF ADJUSTMENT",
    "Issue of Common Stock below the Exercise Price (anti-dilution)",
    "the Exercise Price of each Warrant listed below has been adjusted under the anti-dilution provisions of "
    "the Warrant, the Company having issued Common Stock below the Exercise Price then in force",
    "On 2001-03-01 the Company issued 1,000,000 shares of Common Stock at $0.7205 a share",
    "A = 22,262,701 shares of Common Stock outstanding just before the issue",
    "C = 1,000,000 shares issued",
    "kept to 10 places, half-up: $1.7547915084",
    "The adjusted Exercise Price applies from March 1, 2001, the date of the issue",
)


def test_the_notice_of_an_issue_in_html_pdf_and_docx_says_the_focus_variant_quotes_no_words():
    evaluation = evaluate_focus(log(CLOSING, THE_ISSUE), "2001-06-01", terms=variant())
    notice, = evaluation.adjustments
    html = adjustment_notice_html(evaluation, notice, today=D("2001-03-05"))
    text = html_text(html)
    for wanted in NOTICE_STRINGS:
        assert wanted in text, wanted
    assert "W-2 Altar Rock Fund L.P. 350 350 $1.80125 $1.7547915084" in text
    # never FOCUS's words, which have none, nor a FOCUS-style number for a clause it lacks
    assert f"the Warrant's anti-dilution clause: ({NO_WORDS})" in text
    assert "W anti-dilution" not in text
    assert "Re: Issue of Common Stock below the Exercise Price (anti-dilution) (the Warrant's anti-dilution clause)" \
        in text
    pdf = pdf_text(html)
    assert "kept to 10 places, half-up: $1.7547915084" in pdf and NO_WORDS in pdf
    words = docx_text(adjustment_notice_docx(evaluation, notice, "roseworth", today=D("2001-03-05")))
    assert "W-3 Roseworth Group, Ltd. 37,500 37,500 $1.80125 $1.7547915084" in words
    assert "W-1 Raptor" not in words  # one holder's notice: its rows only
    assert "B = issue price x C / old price = $0.7205 x 1,000,000 / $1.80125 = 400,000" in words


def test_a_deal_that_quotes_its_anti_dilution_clause_is_cited_in_its_own_words():
    words = ("the Exercise Price shall be reduced to the price determined by multiplying the Exercise Price then in "
             "effect by a fraction")
    text = focus_terms_text().replace(
        'anti_dilution = "structural"',
        'anti_dilution = "full_ratchet"\nanti_dilution_exempt = ["employee_plan"]\n'
        "adjust_shares_on_price_adjustment = true")
    text += f'"W anti-dilution" = {{ clause = "W 11(b)", text = "{words}" }}\n'
    terms = parse_terms(text, "ratchet.toml")
    evaluation = evaluate_focus(log(CLOSING, financing("2001-03-01", 1_000_000, "1.00")), "2001-06-01", terms=terms)
    notice, = evaluation.adjustments
    assert notice.clause == "W 11(b)"
    shown = html_text(adjustment_notice_html(evaluation, notice, "altar-rock", today=D("2001-03-05")))
    assert f'W 11(b): "{words}"' in shown
    assert "the Exercise Price and the Warrant Shares of the Warrant listed below have been adjusted" in shown
    assert "Re: Issue of Common Stock below the Exercise Price (anti-dilution) (W 11(b))" in shown
    assert NO_WORDS not in shown
    assert "W-2 Altar Rock Fund L.P. 350 630.4375 $1.80125 $1.00" in shown


# === OCF ==============================================================================================

def test_the_ocf_export_reissues_each_warrant_at_the_adjusted_price_and_shares_and_validates(schema_dir):  # noqa: F811
    evaluation = evaluate_focus(log(CLOSING, THE_ISSUE, exercise("2001-04-02", "W-2", "all")), "2001-06-01",
                                terms=variant(shares=True))
    bundle = ocf.build_bundle(evaluation, generated_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert ocf.validate_bundle(bundle, schema_dir) == []
    assert outstanding_warrants(bundle) == {
        "W-1": ("raptor", "89457.3154409276", "1.7547915084"),
        "W-3": ("roseworth", "38492.8207577141", "1.7547915084"),
    }
    items = {item["id"]: item for item in bundle[ocf.TRANSACTIONS_FILE]["items"]}
    reissued = items["focus-1999:issuance:W-2:v2"]
    assert (reissued["date"], reissued["quantity"], reissued["exercise_price"]["amount"]) == (
        "2001-03-01", "359.266327072", "1.7547915084")
    assert reissued["comments"][0].startswith("Anti-dilution (the Warrant's anti-dilution clause): Exercise Price "
                                              "$1.80125 -> $1.7547915084, warrant shares 350 -> 359.266327072")
    assert items["focus-1999:cancellation:W-2"]["date"] == "2001-03-01"


# === the checkpoint of the append fast path ===========================================================

def context(terms: Terms | None = None):
    calendars = focus_calendars()
    return make_context(terms or variant("full_ratchet", shares=True), calendars.business, flat_quotes("3.00"),
                        calendars.trading)


def new(*events: dict) -> list[Located]:
    return [Located(parse_event(event), "new.jsonl", line) for line, event in enumerate(events, 1)]


def checkpoint_of(events: list[Located], ctx=None) -> dict:
    folding = Fold(ctx or context())
    folding.add(events)
    folding.run(dt.date.fromordinal(folding.last_event))
    return json.loads(json.dumps(take(folding)))  # as the ledger stores it


def never_read() -> list[Located]:
    raise AssertionError("the fast path must not read the recorded events")


ADJUSTED = recorded(CLOSING, split("2000-06-01"), financing("2001-03-01", 1_000_000, "1.00"))


def test_a_checkpoint_after_an_anti_dilution_adjustment_survives_the_trip_through_json():
    saved = checkpoint_of(ADJUSTED)
    assert saved["version"] == VERSION == 4
    # the Exercise Price base in Closing-share terms: 1.80125 at the Closing, then $1.00 x 3/2 from the issue
    assert saved["exercise_base"] == ["1441/800", [[D("2001-03-01").toordinal(), "3/2"]]]
    assert take(resume(context(), saved)) == saved


def test_an_exercise_of_the_adjusted_balance_is_judged_from_the_checkpoint_alone():
    # W-2: 350 x 3/2 = 525 after the split; x 1.2008333333 / 1.00 = 630.4374999825 after the issue
    ok = check_append(context(), new(exercise("2001-04-02", "W-2", "630.4374999825")), existing=never_read,
                      checkpoint=checkpoint_of(ADJUSTED))
    assert ok.problems == [] and ok.checkpoint is not None
    refused = check_append(context(), new(exercise("2001-04-02", "W-2", 631)), existing=never_read,
                           checkpoint=checkpoint_of(ADJUSTED))
    assert [(p.code, p.line) for p in refused.problems] == [("EVENT-EXERCISE-BEYOND-BALANCE", 1)]


def test_a_reduction_whose_period_began_before_the_issue_reads_the_price_history_from_the_checkpoint():
    # W 12 checks the reduction against the price in force on its first day, 2001-01-02: 1.2008333333
    # (before the issue), so $1.10 is a reduction there although the issue has since set $1.00.
    reduction = {"type": "price_reduction", "date": "2001-04-02", "start": "2001-01-02", "end": "2001-12-31",
                 "price": "1.10"}
    fast = check_append(context(), new(reduction), existing=never_read, checkpoint=checkpoint_of(ADJUSTED))
    slow = check_append(context(), new(reduction), existing=lambda: ADJUSTED)
    assert fast.problems == slow.problems == []
    assert fast.checkpoint == slow.checkpoint


def any_event_or_issue(data, day: dt.date) -> dict:
    if data.draw(st.integers(0, 3)) == 0:
        return financing(day.isoformat(), data.draw(st.integers(1, 3_000_000)),
                         str(data.draw(st.decimals("0.05", "2.50", places=2))),
                         data.draw(st.sampled_from(["none", "employee_plan", "strategic"])))
    return any_event(data, day)


@PROPERTY
@given(st.data())
def test_property_the_checkpoint_and_the_whole_ledger_judge_every_append_alike_with_issues(data):
    rule = data.draw(st.sampled_from(["full_ratchet", "weighted_average_broad", "weighted_average_narrow"]))
    ctx = context(variant(rule, shares=data.draw(st.booleans()),
                          rounding=data.draw(st.sampled_from(["none", "cent", "tenth_cent"]))))
    days = sorted(D("2000-01-03") + dt.timedelta(days=data.draw(st.integers(0, 1_800)))
                  for _ in range(data.draw(st.integers(1, 12))))
    cut = data.draw(st.integers(0, len(days)))
    history = recorded(CLOSING, *(any_event_or_issue(data, day) for day in days[:cut]))
    appended = new(*(any_event_or_issue(data, day) for day in days[cut:]))
    if not appended or any(item.event.applies_on < max(e.event.applies_on for e in history) for item in appended):
        return
    fast = check_append(ctx, appended, existing=never_read, checkpoint=checkpoint_of(history, ctx))
    slow = check_append(ctx, appended, existing=lambda: history)
    assert [(p.code, p.line, p.field) for p in fast.problems] == [(p.code, p.line, p.field) for p in slow.problems]
    assert fast.checkpoint == slow.checkpoint


# === the command line =================================================================================

def test_documents_adjustments_writes_the_notice_of_an_issue_from_a_terms_file(tmp_path):
    from conftest import pipedeal_cli

    text = focus_terms_text().replace(
        'anti_dilution = "structural"',
        'anti_dilution = "weighted_average_broad"\nanti_dilution_exempt = ["employee_plan"]\n'
        "adjust_shares_on_price_adjustment = false")
    (tmp_path / "terms.toml").write_text(text)
    (tmp_path / "events.jsonl").write_text(jsonl(CLOSING, THE_ISSUE))
    run = pipedeal_cli(tmp_path, tmp_path / "cache")
    run("documents", "adjustments", "--deal", "terms.toml", "--events", "events.jsonl", "--prices",
        str(FOCUS_DIR / "quotes.csv"), "--as-of", "2001-06-01", "--format", "html", "--out", "out")
    html = (tmp_path / "out" / "notice-of-adjustment-anti_dilution-2001-03-01.html").read_text()
    assert "$1.7550398146" in html_text(html)  # BROAD
    done = run("evaluate", "--deal", "terms.toml", "--events", "events.jsonl", "--prices",
               str(FOCUS_DIR / "quotes.csv"), "--as-of", "2001-06-01", "--json")
    assert '"anti_dilution"' in done.stdout


def test_an_anti_dilution_deal_without_its_keys_is_refused_when_an_issue_needs_them():
    terms = focus_terms()
    bare = terms.model_copy(update={"warrants": terms.warrants.model_copy(update={"anti_dilution": "full_ratchet"})})
    with pytest.raises(InputError) as caught:
        evaluate_focus(log(CLOSING, financing("2001-03-01", 1_000, "1.00")), "2001-06-01", terms=bare)
    problem, = caught.value.problems
    assert (problem.code, problem.line) == ("TERMS-MISSING", 2)
    assert "warrants.anti_dilution_exempt is not stated" in problem.message
