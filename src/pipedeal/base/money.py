"""Exact money and price arithmetic.

RULES.md §2: money is ``Decimal``, never float; payments round half-up to the
cent once, at the amount due; a division that does not terminate keeps 10
decimal places, half-up (OCF's own precision).
"""

from __future__ import annotations

import functools
import re
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_HALF_UP, Context, Decimal, InvalidOperation
from fractions import Fraction

CENT = Decimal("0.01")
TENTH_CENT = Decimal("0.001")
TEN_PLACES = Decimal("1E-10")

# Wide enough that no product or quotient of deal figures is silently rounded
# before the single rounding RULES.md allows.
EXACT = Context(prec=60, rounding=ROUND_HALF_UP)
# For operations that only shift an exact value (scaleb): never round.
EXACT_UNBOUNDED = Context(prec=MAX_PREC, rounding=ROUND_HALF_UP, Emax=MAX_EMAX, Emin=MIN_EMIN)


def to_cent(amount: Decimal) -> Decimal:
    """Round half-up to the cent: the one rounding of an amount due."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def to_ten_places(value: Decimal) -> Decimal:
    """Round half-up to 10 decimal places, for a quotient that does not terminate."""
    return value.quantize(TEN_PLACES, rounding=ROUND_HALF_UP)


def exact_div(numerator: Decimal, denominator: Decimal) -> Decimal:
    """Divide exactly when the quotient terminates, else keep 10 places half-up."""
    ratio = Fraction(Decimal(numerator)) / Fraction(Decimal(denominator))
    return fraction_to_decimal(ratio)


def fraction_to_decimal(value: Fraction) -> Decimal:
    """An exact rational as a Decimal: exact when it terminates, else 10 places half-up."""
    denominator = value.denominator
    if denominator == 1:
        return Decimal(value.numerator)
    places = _places(denominator)
    if places is not None:
        # n / (2^a 5^b) = n * 10^k / (2^a 5^b) * 10^-k with k = max(a, b): integer
        # arithmetic, so no context precision can round a long exact value.
        scaled = value.numerator * 10**places // denominator
        return Decimal(scaled).scaleb(-places, EXACT_UNBOUNDED)
    return to_ten_places(EXACT.divide(Decimal(value.numerator), Decimal(denominator)))


@functools.lru_cache(maxsize=4096)  # a deal has few denominators: 100, 10^10, a month's days, ...
def _places(denominator: int) -> int | None:
    """The decimal places of 1/denominator when it terminates (max of its powers of 2 and 5),
    else None."""
    twos = (denominator & -denominator).bit_length() - 1  # the trailing zero bits: the 2s
    rest = denominator >> twos
    fives = 0
    while rest % 5 == 0:
        rest //= 5
        fives += 1
    return (twos if twos > fives else fives) if rest == 1 else None


def _decimal_places(denominator: int) -> int:
    places = _places(denominator)
    assert places is not None
    return places


def terminates(denominator: int) -> bool:
    """Whether 1/denominator has a finite decimal expansion (only 2s and 5s)."""
    return denominator == 1 or _places(denominator) is not None


_SIXTY_DIGITS = 10**60  # what EXACT (60 digits) holds without rounding
_WHOLE_LIMIT = 10**17  # to_ten_places keeps 28 digits (the default context): 17 whole + 10 places fit
_DENOMINATOR_LIMIT = 10**25


def ten_places(value: Fraction) -> Fraction:
    """``Fraction(to_ten_places(fraction_to_decimal(value)))``: a quotient kept to 10 places,
    half-up (RULES §2), on the integers within the bounds ``spell_exact`` gives (the same
    digits); outside them, the Decimal way."""
    numerator, denominator = value.numerator, value.denominator
    magnitude = -numerator if numerator < 0 else numerator
    if magnitude < _WHOLE_LIMIT * denominator and denominator < _DENOMINATOR_LIMIT:
        scaled, rest = divmod(magnitude * 10**10, denominator)
        if 2 * rest >= denominator:  # half-up, on the magnitude (ROUND_HALF_UP)
            scaled += 1
        return Fraction(-scaled if numerator < 0 else scaled, 10**10)
    return Fraction(to_ten_places(fraction_to_decimal(value)))


def exact_text(value: Fraction) -> str:
    """``plain(fraction_to_decimal(value))`` (``spell_exact``)."""
    return spell_exact(value)[0]


def spell_exact(value: Fraction) -> tuple[str, bool]:
    """``plain(fraction_to_decimal(value))``, and whether the value terminates (else the text is
    its 10 places, half-up); the text is, the JSON spelling of an exact figure, made on the
    integers (no Decimal is built): every digit of a value that terminates; else half-up to 10
    places, as ``fraction_to_decimal`` rounds. The Decimal way keeps the values outside the
    bounds below, where its own limits show: more than 60 digits (``plain`` rounds them to
    EXACT), a whole part past 10^17 (``to_ten_places`` refuses it).

    Why the two roundings agree: ``fraction_to_decimal`` divides to 60 digits, then rounds to
    10 places. The first rounding can only move the second when the digits after the 11th
    place are a run of 9s as long as the digits it kept past the 11th (here at least 60 - 17
    - 11 = 32); a run of k 9s at that place needs a denominator above 10^k, and the
    denominators taken here are below 10^25."""
    numerator, denominator = value.numerator, value.denominator
    if denominator == 1:
        if -_SIXTY_DIGITS < numerator < _SIXTY_DIGITS:
            return str(numerator), True
        return plain(fraction_to_decimal(value)), True
    magnitude = -numerator if numerator < 0 else numerator
    sign = "-" if numerator < 0 else ""
    places = _places(denominator)
    if places is not None:
        scaled = magnitude * 10**places // denominator
        if scaled < _SIXTY_DIGITS:
            # Not a whole number (the denominator is not 1), so some fraction digit is not 0.
            digits = str(scaled).rjust(places + 1, "0")
            return f"{sign}{digits[:-places]}.{digits[-places:].rstrip('0')}", True
        return plain(fraction_to_decimal(value)), True
    if magnitude < _WHOLE_LIMIT * denominator and denominator < _DENOMINATOR_LIMIT:
        scaled, rest = divmod(magnitude * 10**10, denominator)
        if 2 * rest >= denominator:  # half-up, on the magnitude (ROUND_HALF_UP)
            scaled += 1
        digits = str(scaled).rjust(11, "0")
        fraction = digits[-10:].rstrip("0")
        return (f"{sign}{digits[:-10]}.{fraction}" if fraction else f"{sign}{digits[:-10]}"), False
    return plain(fraction_to_decimal(value)), False


def exact_mul(*factors: Decimal) -> Decimal:
    result = Decimal(1)
    for factor in factors:
        result = EXACT.multiply(result, Decimal(factor))
    return result


def plain(value: Decimal) -> str:
    """A decimal as a plain string with no exponent and no needless trailing zeros."""
    text = format(value, "f")
    # The digits as written, less the trailing zeros: what normalize() gives, unless the value
    # has more digits than EXACT holds (60), which normalize() rounds.
    if len(text) <= 60:
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    return format(value.normalize(EXACT), "f")


def money_str(value: Decimal) -> str:
    """An amount of money as a string with at least two decimal places."""
    text = format(value, "f")
    if len(text) <= 60 and text[-3:-2] == ".":
        return text  # already to the cent (an amount due): what the steps below give it back
    text = plain(value)
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


_FRACTION = re.compile(
    r"""^\s*
    (?P<sign>-)?
    (?:
        (?P<whole>\d+)(?:\s+|-)(?P<num>\d+)/(?P<den>\d+)   # 1 13/16, 1-13/16
      | (?P<num_only>\d+)/(?P<den_only>\d+)              # 29/32
      | (?P<decimal>\d+(?:\.\d*)?|\.\d+)                 # 1.8125
    )\s*$""",
    re.VERBOSE,
)


class PriceFormatError(ValueError):
    """A price cell that is neither a decimal nor a fraction."""


@functools.lru_cache(maxsize=8192)  # a quote file repeats its prices ("1 5/8"); a Decimal is immutable
def parse_price(text: str) -> Decimal:
    """Read a quoted price exactly.

    RULES.md §2: "Pre-2001 Nasdaq quotes are fractions: the price importer
    accepts ``1 13/16``, ``1-13/16``, ``29/32`` as well as decimals, and stores
    exact decimals." A fraction whose denominator is not a product of 2s and 5s
    has no exact decimal and is refused rather than rounded.
    """
    match = _FRACTION.match(text)
    if not match:
        raise PriceFormatError(f"{text!r} is not a price (use 1.8125, 1 13/16, 1-13/16 or 29/32)")
    negative = bool(match["sign"])
    if match["decimal"] is not None:
        try:
            value = Decimal(match["decimal"])  # the constructor is exact; arithmetic would round
        except InvalidOperation as exc:  # pragma: no cover - the pattern admits only digits
            raise PriceFormatError(f"{text!r} is not a price") from exc
        return value.copy_negate() if negative else value
    whole = int(match["whole"] or 0)
    numerator = int(match["num"] or match["num_only"])
    denominator = int(match["den"] or match["den_only"])
    if denominator == 0:
        raise PriceFormatError(f"{text!r} divides by zero")
    if match["whole"] is not None and numerator >= denominator:
        raise PriceFormatError(f"{text!r}: the fraction part must be less than one")
    fraction = whole + Fraction(numerator, denominator)
    if not terminates(fraction.denominator):
        raise PriceFormatError(f"{text!r} has no exact decimal value")
    exact = fraction_to_decimal(fraction)
    return exact.copy_negate() if negative else exact
