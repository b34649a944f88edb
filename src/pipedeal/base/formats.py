"""How every output writes shares, prices, money, dates and periods for a reader.

One spelling everywhere (terminal, LD statement, warrant forms, ``ld --explain``):
thousands separators in every figure (``871,500``, ``$1,394,400.00``); an exact
value keeps every digit it has, and a rational with no finite decimal is shown
to 10 places, half-up (RULES.md §2), followed by ``…`` so that no reader takes
it for the whole value. The JSON spellings without separators (``plain``,
``money_str``) stay in ``base.money``: they are data, not prose.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from pipedeal.base.money import plain, spell_exact, terminates

Number = int | Decimal | Fraction | str

CUT = "…"

_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                 "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
                 "nineteen", "twenty", "twenty-one", "twenty-two", "twenty-three", "twenty-four",
                 "twenty-five", "twenty-six", "twenty-seven", "twenty-eight", "twenty-nine", "thirty")


def _exact(value: Number) -> Fraction:
    # Fraction reads an int, a Decimal and a decimal string ("33394051.5") exactly; a float
    # would arrive already rounded, so it is refused rather than shown with false digits.
    kind = type(value)
    if kind is Fraction:
        return value  # already exact (immutable): no copy
    if kind is Decimal:
        return Fraction(*value.as_integer_ratio())  # what Fraction(value) does, without its type checks
    if isinstance(value, float):
        raise TypeError(f"{value!r} is a float: pass a Decimal, a Fraction or a decimal string")
    return Fraction(value)


def _grouped(value: Number) -> tuple[str, bool]:
    """``grouped``'s text, and whether the value terminates (else the text stops at 10 places)."""
    if type(value) is Decimal and value.is_finite():
        # A Decimal is its own exact spelling: its digits less the trailing zeros (a zero of any
        # sign or exponent is "0", as the Fraction it equals).
        text, exact = (plain(value) if value else "0"), True
    else:
        text, exact = spell_exact(_exact(value))
    sign = ""
    if text[0] == "-":
        sign, text = "-", text[1:]
    whole, dot, fraction = text.partition(".")
    if len(whole) > 3:
        whole = f"{int(whole):,}"
    return f"{sign}{whole}{dot}{fraction}", exact


def grouped(value: Number) -> str:
    """Every digit the value has, thousands separators in the whole part:
    ``33,394,051.5``, ``-1,200.25``. A rational with no finite decimal is shown to
    10 places with no marker; ``share_count`` and ``exact_money`` add the marker."""
    return _grouped(value)[0]


def share_count(value: Number) -> str:
    """A number of shares, exactly: ``871,500``, ``33,394,051.5``, ``0.5``; one with no
    finite decimal to 10 places marked ``…``: ``3,995.8333333333…``."""
    text, exact = _grouped(value)
    return text if exact else text + CUT


def exact_money(value: Number) -> str:
    """An exact amount of money: every digit, at least the cents (``$22.03125``,
    ``$17,430.00``); with no finite decimal, 10 places marked ``…``
    (``$6,193.6239919355…``)."""
    text, exact = _grouped(value)
    whole, _, fraction = text.partition(".")
    sign, whole = ("-", whole[1:]) if whole.startswith("-") else ("", whole)
    shown = f"{sign}${whole}.{fraction.ljust(2, '0')}"
    return shown if exact else shown + CUT


def price(value: Number) -> str:
    """A price per share: every digit it has, at least two decimals: ``$1.80125``,
    ``$3.00``, ``$1.2008333333`` (an Exercise Price adjusted to 10 places)."""
    return exact_money(value)


def money(value: Number) -> str:
    """An amount paid or due, to the cent (half-up, the one rounding RULES.md allows):
    ``$6,193.62``, ``$1,394,400.00``, ``-$5.00``."""
    exact = _exact(value)
    # Rounded from the exact value: rounding a 10-place approximation again could move a cent.
    # floor(|n/d| x 100 + 1/2) on the integers.
    numerator, denominator = exact.numerator, exact.denominator
    cents = (abs(numerator) * 200 + denominator) // (2 * denominator)
    sign = "-" if numerator < 0 and cents else ""
    return f"{sign}${cents // 100:,}.{cents % 100:02d}"


def exact_fraction(value: Number) -> str | None:
    """``23,975/6`` for a value with no finite decimal; ``None`` when the decimal is exact."""
    exact = _exact(value)
    if terminates(exact.denominator):
        return None
    return f"{exact.numerator:,}/{exact.denominator:,}"


def percent(rate: Number) -> str:
    """A rate as a percentage with every digit it has: ``0.01`` → ``1%``, ``0.015`` → ``1.5%``."""
    return f"{grouped(_exact(rate) * 100)}%"


def long_date(day: dt.date) -> str:
    """``November 24, 1999``."""
    return f"{day:%B} {day.day}, {day.year}"


def count_words(number: int) -> str:
    """A period as the agreement writes one: ``five (5)``, ``thirty (30)``; a number
    beyond the words known here is written in figures only."""
    if 0 <= number < len(_NUMBER_WORDS):
        return f"{_NUMBER_WORDS[number]} ({number})"
    return str(number)
