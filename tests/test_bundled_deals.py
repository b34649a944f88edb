"""The two illustrative bundled deals besides FOCUS, run as a user runs them from the README:
`pipedeal report --deal meridian-2006` (mid-2000s paper) and `--deal lumen-2023` (today's).
Every figure below is worked by hand in the comments from the deal's terms.toml, events.jsonl
and quotes.csv."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

import pytest
from conftest import pipedeal_cli

from pipedeal.deal.terms_file import BUNDLED_DEALS, bundled_deal_names


@pytest.fixture(scope="module")
def pipedeal(tmp_path_factory, cache_dir):
    return pipedeal_cli(tmp_path_factory.mktemp("work"), cache_dir)


@pytest.fixture(scope="module")
def meridian(pipedeal):
    return json.loads(pipedeal("report", "--deal", "meridian-2006", "--as-of", "2007-12-31", "--json").stdout)


@pytest.fixture(scope="module")
def lumen(pipedeal):
    return json.loads(pipedeal("report", "--deal", "lumen-2023", "--as-of", "2024-12-31", "--json").stdout)


def test_the_package_bundles_three_complete_deals(pipedeal):
    assert bundled_deal_names() == ["focus-1999", "lumen-2023", "meridian-2006"]
    for name in bundled_deal_names():
        done = pipedeal("terms", "check", str(BUNDLED_DEALS / name / "terms.toml"))
        assert f"a complete deal, {name}" in done.stdout
        assert (BUNDLED_DEALS / name / "events.jsonl").is_file() and (BUNDLED_DEALS / name / "quotes.csv").is_file()


def test_each_illustrative_deal_says_so_on_its_report(pipedeal):
    for name in ("meridian-2006", "lumen-2023"):
        out = pipedeal("report", "--deal", name, "--as-of", "2024-12-31").stdout
        assert f"bundled {name}/quotes.csv (illustrative)" in out
        events = (BUNDLED_DEALS / name / "events.jsonl").read_text().splitlines()
        assert all('"source": "illustrative' in line for line in events)


# --- meridian-2006: a discount to a window before the agreement, weighted-average anti-dilution --------


def test_meridian_prices_at_85_percent_of_the_five_closes_before_the_agreement(meridian):
    # Agreement Tue 2006-03-14; the five Trading Days before it are 03-07 .. 03-13:
    # closes 2.38 + 2.42 + 2.41 + 2.39 + 2.40 = 12.00 / 5 = $2.40; 85% = $2.04 (to the cent).
    assert [q["date"] for q in meridian["pricing"]["quotes_used"]] == [
        "2006-03-07", "2006-03-08", "2006-03-09", "2006-03-10", "2006-03-13"]
    assert Decimal(meridian["pricing"]["market_price"]) == Decimal("2.40")
    assert Decimal(meridian["pricing"]["purchase_price"]) == Decimal("2.04")


def test_meridian_allocates_by_subscription_and_by_shares_with_warrants_rounded_down(meridian):
    # $2,040,000 / $2.04 = 1,000,000; $1,020,000 / $2.04 = 500,000; Pine Ridge states 300,001
    # shares: 50% = 150,000.5 warrant shares, rounded down to 150,000.
    assert [(a["investor"], a["shares"], a["warrant_shares"]) for a in meridian["allocations"]] == [
        ("harbor-street", 1_000_000, 500_000), ("crestline", 500_000, 250_000), ("pine-ridge", 300_001, 150_000)]


def test_meridian_deadlines_roll_off_weekends_and_count_120_days_after_the_full_review(meridian):
    deadlines = {d["id"]: d for d in meridian["deadlines"]}
    # Closing Fri 2006-03-17 + 30 = Sun 04-16 -> Mon 04-17; filed Thu 04-20.
    assert (deadlines["rs_filing"]["due"], deadlines["rs_filing"]["met_on"]) == ("2006-04-17", "2006-04-20")
    # Full review noticed 05-05: + 120 = Sat 07-15 -> Mon 07-17; effective Thu 08-03.
    assert (deadlines["rs_effectiveness"]["due"], deadlines["rs_effectiveness"]["met_on"]) == (
        "2006-07-17", "2006-08-03")


def test_meridian_grace_beyond_ten_consecutive_days_is_a_default(meridian):
    runs = [(r["kind"], r["start"], r["end"], r["days"]) for r in meridian["registration_defaults"]]
    # The blackout 11-01 .. 11-15 is 15 days: the 11th to the 15th exceed max_consecutive_days = 10.
    assert runs == [("filing", "2006-04-18", "2006-04-19", 2), ("effectiveness", "2006-07-18", "2006-08-02", 16),
                    ("blackout", "2006-11-11", "2006-11-15", 5), ("lapse", "2007-09-04", "2007-09-27", 24)]


def test_meridian_financing_below_the_exercise_price_adjusts_the_warrants_by_broad_weighted_average(meridian):
    [notice] = meridian["adjustments"]
    # A = 18,500,000 + 1,800,001 Closing shares + 900,000 warrant shares (broad) = 21,200,001;
    # C = 2,000,000; B = 1.90 x 2,000,000 / 2.75. New = 2.75 x (A + B) / (A + C).
    a, c = Fraction(21_200_001), Fraction(2_000_000)
    b = Fraction("1.90") * c / Fraction("2.75")
    exact = Fraction("2.75") * (a + b) / (a + c)
    assert f"${float(exact):.10f}" in " ".join(notice["computation"])  # $2.6767241411
    rows = {row["warrant"]: row for row in notice["rows"]}
    assert rows["W-1"]["price_after"] == "2.68"  # rounded to the cent, half-up
    # Shares adjusted so the aggregate price stays: 500,000 x 2.75 / 2.68 = 513,059.7014925373...
    assert Decimal(rows["W-1"]["shares_after"]) == Decimal("513059.7014925373")


def test_meridian_cashless_exercise_during_the_lapse_pays_the_fraction_at_market(meridian):
    cashless = next(e for e in meridian["exercises"] if e["method"] == "cashless")
    # A = the close of Fri 2007-09-07 = $2.73, B = $2.68, X = 50,000: 0.05 x 50,000 / 2.73 =
    # 915.7509157509...; 915 shares and 0.7509... x $2.73 = $2.05 (fraction_times_market).
    assert (cashless["average_price"], cashless["average_price_day"]) == ("2.73", "2007-09-07")
    assert (cashless["shares_issued"], cashless["fraction_cash"]) == (915, "2.05")


def test_meridian_damages_are_one_percent_of_the_price_paid_owed_whole_on_each_runs_first_day(meridian):
    harbor = meridian["liquidated_damages"]["harbor-street"]
    # Each run is shorter than 30 days and its first period is owed whole: 1% x $2,040,000 x 3
    # runs, then 1% x ($2,040,000 + 100,000 warrant shares x $2.68 paid) = $23,080 for the lapse.
    assert Decimal(harbor["accrued"]) == 3 * Decimal("20400.00") + Decimal("23080.00")
    assert harbor["cap"]["amount"] == "204000"  # 10% of $2,040,000 invested: not reached
    # Late interest at 18% a year: $20,400 due Mon 2006-04-24 (3 NY business days after 04-19), paid
    # 05-22: 28 days x 20,400 x 0.18 / 365 = $281.6876...
    first = harbor["installments"][0]
    assert (first["due"], first["settled_on"]) == ("2006-04-24", "2006-05-22")
    assert Decimal(first["late_interest"]).quantize(Decimal("0.0001")) == Decimal("281.6877")


# --- lumen-2023: a unit deal, warrant shares registrable, 2% a month of the amount invested, capped -----


def test_lumen_unit_deal_allocates_a_share_and_a_warrant_share_for_3_25(lumen):
    # $6,500,000 / ($3.125 + 1.00 x $0.125) = 2,000,000; Tidewater states 800,000 and $2,600,000
    # (800,000 x 3.25: they agree); $1,625,000 / 3.25 = 500,000.
    assert [(a["investor"], a["shares"], a["warrant_shares"]) for a in lumen["allocations"]] == [
        ("aurora", 2_000_000, 2_000_000), ("tidewater", 800_000, 800_000), ("birchfield", 500_000, 500_000)]


def test_lumen_deadlines_count_from_the_agreement_date(lumen):
    deadlines = {d["id"]: d for d in lumen["deadlines"]}
    # Agreement Mon 2023-06-12 + 30 = Wed 07-12 (filed 07-10); + 120 after the full review = Tue 10-10.
    assert (deadlines["rs_filing"]["due"], deadlines["rs_filing"]["status"]) == ("2023-07-12", "met")
    assert (deadlines["rs_effectiveness"]["due"], deadlines["rs_effectiveness"]["met_on"]) == (
        "2023-10-10", "2023-11-02")


def test_lumen_damages_stop_at_the_twelve_percent_cap_on_the_ninth_day_of_the_lapses_sixth_month(lumen):
    ld = lumen["liquidated_damages"]
    # Aurora: 12% x $6,500,000 = $780,000. The late effectiveness (10-11 .. 11-01, 22 of the
    # 31 days 10-11 .. 11-10) owes 2% x 6,500,000 x 22/31 = $92,258.06...; the lapse from
    # 2024-03-04 owes $130,000 a month: five months to 08-03 make $742,258.06, and the
    # remaining $37,741.94 is 9.0 of the 31 days from 08-04, reached on 08-12.
    for investor, invested in (("aurora", 6_500_000), ("tidewater", 2_600_000), ("birchfield", 1_625_000)):
        assert Decimal(ld[investor]["accrued"]) == Decimal(invested) * Decimal("0.12")
        assert ld[investor]["cap"]["reached_on"] == "2024-08-12"
        assert ld[investor]["default_days"] == 22 + 211


def test_lumen_unexercised_warrant_shares_keep_bearing_damages_after_a_cashless_exercise(lumen):
    # Tidewater's cashless lot (2024-04-15) tacks to the Warrant's issue and is free under Rule 144
    # at once, but 600,000 warrant shares remain unissued and registrable: the lapse still counts.
    tidewater = lumen["liquidated_damages"]["tidewater"]
    assert tidewater["excluded"] == []
    cashless = next(e for e in lumen["exercises"] if e["method"] == "cashless")
    # A = the VWAP of Fri 2024-04-12 = $4.32, B = $3.50, X = 200,000: 0.82 x 200,000 / 4.32 =
    # 37,962.96...; 37,962 shares and 0.96296... x $3.50 = $3.37.
    assert (cashless["average_price"], cashless["shares_issued"], cashless["fraction_cash"]) == (
        "4.32", 37_962, "3.37")


def test_lumen_each_months_amount_falls_due_three_trading_days_after_it_begins(lumen):
    birchfield = lumen["liquidated_damages"]["birchfield"]
    first = birchfield["installments"][0]
    # Period 1 begins Wed 2023-10-11: due Mon 10-16; the cure cut it to 22 days, owing
    # 2% x 1,625,000 x 22/31 = $23,064.52; paid $32,500 on 10-20, 4 days late:
    # 23,064.52 x 1.5% x 12 / 365 x 4 = $45.4971...; the $9,435.48 paid beyond it is a credit
    # that settles the oldest amount next (the lapse's first month).
    assert (first["due"], first["amount"], first["paid"]) == ("2023-10-16", "23064.52", "23064.52")
    assert Decimal(first["late_interest"]).quantize(Decimal("0.0001")) == Decimal("45.4971")
    assert birchfield["installments"][1]["paid"] == "9435.48"


def test_a_deal_with_one_ambiguity_lists_only_it(pipedeal):
    data = json.loads(pipedeal("ambiguities", "--deal", "lumen-2023", "--as-of", "2024-12-31", "--json").stdout)
    assert [entry["key"] for entry in data["keys"]] == ["ld_day_count"]
    strict = pipedeal("ld", "--deal", "lumen-2023", "--as-of", "2024-12-31", "--strict",
                      "--set", "ld_day_count=actual_days_in_period")
    assert "$780,000.00" in strict.stdout
