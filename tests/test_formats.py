"""base/formats: how every output writes shares, prices, money, dates and periods."""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipedeal.base.formats import (
    count_words,
    exact_fraction,
    exact_money,
    grouped,
    long_date,
    money,
    percent,
    price,
    share_count,
)
from pipedeal.base.money import terminates

GROUPED = re.compile(r"^-?\$?\d{1,3}(?:,\d{3})*(?:\.\d+)?…?$")


def _value(shown: str) -> Decimal:
    """What a reader's spreadsheet gets back: the separators, ``$`` and ``…`` dropped."""
    return Decimal(shown.replace(",", "").replace("$", "").replace("…", ""))


# --- the figures of the FOCUS deal -----------------------------------------------------------------

@pytest.mark.parametrize(("value", "shown"), [
    (871_500, "871,500"), (Fraction(130_725), "130,725"), (Fraction(43_575, 2), "21,787.5"),
    ("33394051.5", "33,394,051.5"), (Decimal("0.5"), "0.5"),
    (Fraction(23_975, 6), "3,995.8333333333…"), (Fraction(5, 6), "0.8333333333…"),
])
def test_share_counts_are_exact_with_separators_and_a_cut_marker(value, shown):
    assert share_count(value) == shown


@pytest.mark.parametrize(("value", "shown"), [
    (Decimal("1.80125"), "$1.80125"), (Decimal("3"), "$3.00"), (Decimal("1.2008333333"), "$1.2008333333"),
    (Decimal("1234.5"), "$1,234.50"), ("1.6375", "$1.6375"),
])
def test_prices_keep_every_digit_and_at_least_the_cents(value, shown):
    assert price(value) == shown


@pytest.mark.parametrize(("value", "shown"), [
    (Fraction(705, 32), "$22.03125"), (Fraction(17430), "$17,430.00"),
    (Fraction(6144075, 992), "$6,193.6239919355…"), (Fraction(-5, 2), "-$2.50"),
])
def test_an_exact_amount_keeps_every_digit_and_marks_a_cut(value, shown):
    assert exact_money(value) == shown


@pytest.mark.parametrize(("value", "shown"), [
    (Decimal("6193.62"), "$6,193.62"), (Decimal("1394400"), "$1,394,400.00"),
    (Decimal("-1234567.5"), "-$1,234,567.50"), ("600000", "$600,000.00"),
    (Fraction(6144075, 992), "$6,193.62"), (Decimal("0.005"), "$0.01"), (Decimal("2.675"), "$2.68"),
    (Decimal("-0.001"), "$0.00"),
])
def test_an_amount_due_is_to_the_cent_half_up(value, shown):
    assert money(value) == shown


def test_a_value_just_under_a_half_cent_is_not_rounded_up_through_its_ten_place_approximation():
    # 0.0049999999996... is 0.0050000000 to 10 places; rounding that again would give a cent.
    assert money(Fraction(1, 200) - Fraction(1, 3 * 10**12)) == "$0.00"


def test_a_float_is_refused_rather_than_shown_with_digits_it_never_had():
    with pytest.raises(TypeError, match="float"):
        share_count(0.1)  # type: ignore[arg-type]


def test_exact_fraction_only_when_the_decimal_is_cut():
    assert exact_fraction(Fraction(23_975, 6)) == "23,975/6"
    assert exact_fraction(Fraction(6144075, 992)) == "6,144,075/992"
    assert exact_fraction(Fraction(43_575, 2)) is None


def test_rates_dates_and_periods_as_the_agreement_writes_them():
    assert percent(Decimal("0.01")) == "1%"
    assert percent(Decimal("0.015")) == "1.5%"
    assert long_date(dt.date(1999, 11, 24)) == "November 24, 1999"
    assert long_date(dt.date(2000, 3, 1)) == "March 1, 2000"
    assert count_words(5) == "five (5)"
    assert count_words(30) == "thirty (30)"
    assert count_words(120) == "120"


# --- properties ----------------------------------------------------------------------------------

terminating = st.builds(lambda units, places: Decimal(units).scaleb(-places),
                        st.integers(-10**15, 10**15), st.integers(0, 12))
repeating = st.builds(Fraction, st.integers(-10**12, 10**12),
                      st.sampled_from([3, 6, 7, 9, 11, 12, 13, 30, 31, 992])).filter(
    lambda value: not terminates(value.denominator))


@given(terminating)
def test_property_dropping_the_separators_and_the_dollar_gives_back_the_exact_value(value):
    for shown in (grouped(value), share_count(value), exact_money(value), price(value)):
        assert _value(shown) == value, shown
        assert "…" not in shown


@given(st.one_of(terminating, repeating))
def test_property_the_whole_part_is_grouped_every_three_digits(value):
    for shown in (grouped(value), share_count(value), exact_money(value), money(value)):
        assert GROUPED.match(shown), shown


@given(repeating)
def test_property_a_value_with_no_finite_decimal_is_marked_and_within_half_a_ten_place_unit(value):
    for shown in (share_count(value), exact_money(value)):
        assert shown.endswith("…"), shown
        assert abs(Fraction(_value(shown)) - value) <= Fraction(1, 2 * 10**10)


@given(terminating)
def test_property_an_amount_due_is_the_exact_value_rounded_half_up_to_the_cent(value):
    shown = money(value)
    assert re.search(r"\.\d{2}$", shown), shown
    assert _value(shown) == value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@given(repeating)
def test_property_an_amount_due_from_a_repeating_value_is_within_half_a_cent(value):
    assert abs(Fraction(_value(money(value))) - value) <= Fraction(1, 200)


@given(st.integers(-10**18, 10**18))
def test_property_a_whole_number_of_shares_reads_as_python_groups_it(count):
    assert share_count(count) == f"{count:,}"
