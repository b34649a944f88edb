"""The exact figures of the outputs are spelled on the integers (base/money ``exact_text``,
``ten_places``, ``plain``, ``money_str``) for speed: every digit must be the one the Decimal
way gives (RULES §2: exact when the value terminates, else 10 places half-up). The reference
here is the Decimal way itself, written out: a 60-digit division, then a quantize."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pipedeal.base.money import exact_text, money_str, plain, ten_places
from pipedeal.base.records import quick_init
from pipedeal.engine.damages import Installment, LatePortion, Segment

SIXTY = Context(prec=60, rounding=ROUND_HALF_UP)
UNBOUNDED = Context(prec=999_999, rounding=ROUND_HALF_UP, Emax=999_999, Emin=-999_999)


def _decimal_way(value: Fraction) -> Decimal:
    """What ``fraction_to_decimal`` did before: exact when 1/denominator terminates, else the
    60-digit quotient rounded half-up to 10 places (in the default context, which refuses a
    result beyond 28 digits)."""
    rest = value.denominator
    for prime in (2, 5):
        while rest % prime == 0:
            rest //= prime
    if rest == 1:
        return UNBOUNDED.divide(Decimal(value.numerator), Decimal(value.denominator))
    return SIXTY.divide(Decimal(value.numerator), Decimal(value.denominator)).quantize(
        Decimal("1E-10"), rounding=ROUND_HALF_UP)


def _spelled_the_decimal_way(value: Fraction) -> str:
    return format(_decimal_way(value).normalize(SIXTY), "f")


def _outcome(function, value):
    try:
        return function(value)
    except (InvalidOperation, ArithmeticError) as refused:
        return type(refused).__name__


denominators = st.one_of(
    st.sampled_from([1, 2, 3, 4, 7, 8, 12, 30, 31, 100, 365, 2_500, 10**10]),
    st.integers(min_value=1, max_value=10**30),
    st.builds(lambda a, b: 2**a * 5**b, st.integers(0, 60), st.integers(0, 30)),
)
fractions = st.builds(Fraction, st.integers(min_value=-(10**40), max_value=10**40), denominators)


# A value just short of half a unit in the 11th place, one just over, and one a long run of 9s
# away from it: the cases where rounding twice could differ from rounding once.
@example(Fraction(5, 10**11) - Fraction(1, 3 * 10**30))
@example(Fraction(5, 10**11) + Fraction(1, 7 * 10**25))
@example(Fraction(-1, 3 * 10**11))
@example(Fraction(1_234_567, 31))
@example(Fraction(6144075, 992))
@given(fractions)
def test_an_exact_figure_reads_the_digits_the_decimal_division_gives(value):
    assert _outcome(exact_text, value) == _outcome(_spelled_the_decimal_way, value)


@example(Fraction(600_000 * 275, 256))  # warrant shares x $2.75 / $2.56
@example(Fraction(1, 3))
@given(fractions)
def test_adjusted_warrant_shares_keep_the_ten_places_the_decimal_rounding_keeps(value):
    def kept_to_ten_places(v: Fraction) -> Fraction:  # to_ten_places(fraction_to_decimal(v)), as a Fraction
        return Fraction(_decimal_way(v).quantize(Decimal("1E-10"), rounding=ROUND_HALF_UP))

    assert _outcome(ten_places, value) == _outcome(kept_to_ten_places, value)


amounts = st.builds(lambda digits, exponent: Decimal(digits).scaleb(exponent),
                    st.integers(min_value=-(10**40), max_value=10**40), st.integers(min_value=-12, max_value=6))


@example(Decimal("130000.00"))
@example(Decimal("-0.00"))
@example(Decimal("0E+3"))
@example(Decimal("1.50"))
@given(amounts)
def test_an_amount_reads_as_its_normalized_decimal(amount):
    expected = format(amount.normalize(SIXTY), "f")
    assert plain(amount) == expected
    whole, _, cents = expected.partition(".")
    assert money_str(amount) == f"{whole}.{cents.ljust(2, '0')}"


def test_a_segment_of_damages_is_still_a_frozen_record():
    day = dt.date(2024, 3, 4)
    segment = Segment(day, day, 1, 0, day, dt.date(2024, 4, 4), Decimal("0.02"), Fraction(31), 0, Fraction(1), 0, 1,
                      130_000, 31, "amount_invested", Fraction(6_500_000))
    assert segment == dataclasses.replace(segment) and hash(segment) == hash(dataclasses.replace(segment))
    assert segment.replaced(days=2).days == 2 and segment.days == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        segment.days = 2  # type: ignore[misc]
    portion = LatePortion(Decimal("32500.00"), day, day, 4, day, Fraction(117, 1))
    row = Installment("period", day, day, 1, 0, Fraction(1), Fraction(1), Decimal("0.01"), False, day, day,
                      late=(portion,))
    assert row.paid == Decimal("0.00") and row.status == "pending" and row.late_interest == Fraction(117)


def test_a_record_quick_init_cannot_serve_keeps_its_own_init():
    @quick_init
    @dataclasses.dataclass(frozen=True)
    class WithFactory:
        names: list[str] = dataclasses.field(default_factory=list)

    @quick_init
    @dataclasses.dataclass(frozen=True)
    class Plain:
        a: int
        b: str = "b"

    first, second = WithFactory(), WithFactory()
    assert first.names == [] and first.names is not second.names  # the factory still runs per record
    assert Plain(1) == Plain(1, "b") and Plain(a=2).a == 2
    with pytest.raises(TypeError):
        Plain()  # type: ignore[call-arg]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Plain(1).a = 3  # type: ignore[misc]
