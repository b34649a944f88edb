"""The quote importer (RULES.md §2, §6): 1999 Nasdaq fractions read as exact decimals.

"Pre-2001 Nasdaq quotes are fractions: the price importer accepts ``1 13/16``,
``1-13/16``, ``29/32`` as well as decimals, and stores exact decimals."
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipedeal.base.diagnostics import InputError
from pipedeal.base.money import PriceFormatError, parse_price, plain
from pipedeal.base.quotes import PRICE_COLUMNS, Quote, QuoteBook, parse_quotes, quotes_to_csv


def where(exc: InputError) -> list[tuple[str, str | None, int | None, str | None]]:
    return [(p.code, p.file, p.line, p.field) for p in exc.problems]


def refused(text: str) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_quotes(text, "fcse.csv")
    return caught.value


# --- the price parser -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "exact"),
    [
        ("1 13/16", "1.8125"),
        ("1-13/16", "1.8125"),
        ("29/32", "0.90625"),
        ("1.8125", "1.8125"),
        (".5", "0.5"),
        ("2", "2"),
        ("1 21/32", "1.65625"),
        ("  1 5/8  ", "1.625"),
        ("1   1/2", "1.5"),
        ("0 1/256", "0.00390625"),
    ],
)
def test_a_1999_nasdaq_price_cell_reads_as_an_exact_decimal(cell, exact):
    price = parse_price(cell)
    assert isinstance(price, Decimal)
    assert price == Decimal(exact)
    assert Fraction(price) == Fraction(exact)


def test_the_focus_market_price_days_read_exactly_from_their_fractions():
    bids = ["1 21/32", "1 11/16", "1 5/8", "1 19/32", "1 5/8"]  # 1999-11-17 .. 1999-11-23
    assert [parse_price(bid) for bid in bids] == [
        Decimal("1.65625"), Decimal("1.6875"), Decimal("1.625"), Decimal("1.59375"),
        Decimal("1.625"),
    ]
    assert sum(parse_price(bid) for bid in bids) / 5 == Decimal("1.6375")


@pytest.mark.parametrize("cell", ["1/3", "1 1/3", "2-2/3", "1 1/7", "5/6"])
def test_a_fraction_with_no_exact_decimal_is_refused_rather_than_rounded(cell):
    with pytest.raises(PriceFormatError, match="no exact decimal"):
        parse_price(cell)


@pytest.mark.parametrize(
    "cell",
    ["", "abc", "1,8125", "$1.80", "1 13/16 bid", "1e5", "1/", "/16", "1 13/", "1..5",
     "1 16/16", "1 17/16", "0/0", "1 1/0", "one and 13/16", "+1.5"],
)
def test_garbage_in_a_price_cell_is_refused(cell):
    with pytest.raises(PriceFormatError):
        parse_price(cell)


def test_a_whole_and_a_proper_fraction_may_reduce_to_a_terminating_value():
    """3/6 is 1/2: exact, so accepted, though 6 is not a power of two."""
    assert parse_price("1 3/6") == Decimal("1.5")
    assert parse_price("3/2") == Decimal("1.5")


@pytest.mark.parametrize("cell", ["1.234567890123456789012345678901234", f"1/{2 ** 50}"])
def test_a_long_exact_price_is_not_silently_rounded(cell):
    price = parse_price(cell)
    expected = Fraction(cell) if "/" in cell else Fraction(Decimal(cell))
    assert Fraction(price) == expected


# --- the quote file ---------------------------------------------------------------------


def test_a_quote_row_of_1999_fractions_is_stored_as_exact_decimals_with_a_comma_volume():
    [quote] = parse_quotes(
        'date,open,high,low,close,bid,ask,volume\n'
        '1999-11-23,1 5/8,1-23/32,1 5/8,29/32,1.625,.5,"31,500"\n',
        "fcse.csv",
    )
    assert quote == Quote(
        date=dt.date(1999, 11, 23), open=Decimal("1.625"), high=Decimal("1.71875"),
        low=Decimal("1.625"), close=Decimal("0.90625"), bid=Decimal("1.625"),
        ask=Decimal("0.5"), volume=31500,
    )


def test_a_volume_of_a_million_with_thousands_separators_is_a_whole_number():
    [quote] = parse_quotes('date,volume\n1999-11-23,"1,234,567"\n', "fcse.csv")
    assert quote.volume == 1234567


def test_a_header_may_be_any_subset_of_the_columns_in_any_order_and_case():
    [quote] = parse_quotes("Bid, DATE\n1 19/32,1999-11-22\n", "fcse.csv")
    assert quote == Quote(date=dt.date(1999, 11, 22), bid=Decimal("1.59375"))


def test_blank_lines_are_skipped_and_line_numbers_still_count_them():
    error = refused("date,bid\n\n1999-11-22,1 19/32\n\n1999-11-23,1/3\n")
    assert where(error) == [("QUOTES-BAD-PRICE", "fcse.csv", 5, "bid")]


def test_a_non_terminating_bid_is_refused_naming_file_line_and_column():
    error = refused("date,close,bid\n1999-11-22,1 5/8,1 19/32\n1999-11-23,1 5/8,1 1/3\n")
    assert where(error) == [("QUOTES-BAD-PRICE", "fcse.csv", 3, "bid")]
    assert "1 1/3" in error.problems[0].message


def test_every_bad_cell_of_a_file_is_reported_at_once():
    error = refused(
        "date,high,low,close,bid,volume\n"
        "1999-11-22,1 11/16,1 17/32,1 5/8,1 19/32,36800\n"
        "1999-11-23,1 23/32,1 5/8,garbage,1 5/8,31500\n"
        "1999-11-24,1 25/32,1 19/32,1 23/32,1 11/16,lots\n"
        "1999-11-26,1 25/32,1 5/8,-1 3/4,0,6300\n"
        "26/11/1999,1 25/32,1 5/8,1 3/4,1 23/32,6300\n"
    )
    assert where(error) == [
        ("QUOTES-BAD-PRICE", "fcse.csv", 3, "close"),
        ("QUOTES-BAD-VOLUME", "fcse.csv", 4, "volume"),
        ("QUOTES-BAD-PRICE", "fcse.csv", 5, "close"),
        ("QUOTES-BAD-PRICE", "fcse.csv", 5, "bid"),
        ("QUOTES-BAD-DATE", "fcse.csv", 6, "date"),
    ]


def test_a_negative_or_fractional_volume_is_refused():
    error = refused("date,volume\n1999-11-22,-100\n1999-11-23,100.5\n")
    assert where(error) == [
        ("QUOTES-BAD-VOLUME", "fcse.csv", 2, "volume"),
        ("QUOTES-BAD-VOLUME", "fcse.csv", 3, "volume"),
    ]


def test_a_superscript_digit_in_the_volume_is_a_problem_not_a_crash():
    error = refused("date,volume\n1999-11-22,²\n")
    assert where(error) == [("QUOTES-BAD-VOLUME", "fcse.csv", 2, "volume")]


def test_a_low_above_the_high_is_refused_on_the_low():
    error = refused("date,high,low\n1999-11-22,1 11/16,1 23/32\n")
    assert where(error) == [("QUOTES-LOW-ABOVE-HIGH", "fcse.csv", 2, "low")]


def test_a_low_equal_to_the_high_is_a_quiet_day_not_an_error():
    [quote] = parse_quotes("date,high,low\n1999-11-22,1 11/16,1-11/16\n", "fcse.csv")
    assert quote.high == quote.low == Decimal("1.6875")


def test_a_row_of_the_wrong_width_is_refused_with_its_line():
    error = refused("date,bid\n1999-11-22,1 19/32,1 5/8\n")
    assert where(error) == [("QUOTES-ROW-WIDTH", "fcse.csv", 2, None)]


def test_a_header_without_date_or_with_an_unknown_column_is_refused_on_line_one():
    error = refused("day,bid,closing_bid\n1999-11-22,1,1\n")
    assert where(error) == [
        ("QUOTES-NO-DATE", "fcse.csv", 1, None),
        ("QUOTES-UNKNOWN-COLUMN", "fcse.csv", 1, "day"),
        ("QUOTES-UNKNOWN-COLUMN", "fcse.csv", 1, "closing_bid"),
    ]


def test_an_empty_quote_file_is_refused():
    assert where(refused("")) == [("QUOTES-EMPTY", "fcse.csv", 1, None)]


def test_a_day_given_twice_in_one_file_names_the_first_line():
    error = refused("date,bid\n1999-11-22,1\n1999-11-23,1\n1999-11-22,2\n")
    assert where(error) == [("QUOTES-DUPLICATE-DATE", "fcse.csv", 4, "date")]
    assert "line 2" in error.problems[0].message


# --- merging imports --------------------------------------------------------------------


def test_a_later_import_replaces_only_the_fields_it_gives():
    first = parse_quotes(
        "date,high,low,close,bid,volume\n"
        "1999-11-22,1 11/16,1 17/32,1 5/8,1 19/32,36800\n"
        "1999-11-23,1 23/32,1 5/8,1 21/32,1 5/8,31500\n",
        "bloomberg.csv",
    )
    correction = parse_quotes("date,bid\n1999-11-23,1 11/16\n1999-11-24,1 11/16\n", "fix.csv")
    book = QuoteBook(first).merged(correction)
    assert book.dates() == [dt.date(1999, 11, 22), dt.date(1999, 11, 23), dt.date(1999, 11, 24)]
    assert book.get(dt.date(1999, 11, 22)) == first[0]
    assert book.get(dt.date(1999, 11, 23)) == Quote(
        date=dt.date(1999, 11, 23), high=Decimal("1.71875"), low=Decimal("1.625"),
        close=Decimal("1.65625"), bid=Decimal("1.6875"), volume=31500,
    )
    assert book.get(dt.date(1999, 11, 24)) == Quote(date=dt.date(1999, 11, 24),
                                                    bid=Decimal("1.6875"))


def test_merging_leaves_the_earlier_book_unchanged():
    book = QuoteBook(parse_quotes("date,bid\n1999-11-23,1 5/8\n", "a.csv"))
    newer = book.merged(parse_quotes("date,bid\n1999-11-23,1 11/16\n", "b.csv"))
    assert book.value(dt.date(1999, 11, 23), "bid") == Decimal("1.625")
    assert newer.value(dt.date(1999, 11, 23), "bid") == Decimal("1.6875")


def test_an_empty_cell_in_a_later_import_does_not_erase_a_known_price():
    book = QuoteBook(parse_quotes("date,close,bid\n1999-11-23,1 21/32,1 5/8\n", "a.csv"))
    book = book.merged(parse_quotes("date,close,bid\n1999-11-23,,1 11/16\n", "b.csv"))
    assert book.get(dt.date(1999, 11, 23)) == Quote(
        date=dt.date(1999, 11, 23), close=Decimal("1.65625"), bid=Decimal("1.6875"))


def test_a_book_built_from_one_list_with_a_repeated_day_merges_in_order():
    day = dt.date(1999, 11, 23)
    book = QuoteBook([Quote(day, bid=Decimal("1.625"), volume=10),
                      Quote(day, bid=Decimal("1.6875")), Quote(day, ask=Decimal("1.75"))])
    assert len(book) == 1
    assert book.get(day) == Quote(day, bid=Decimal("1.6875"), ask=Decimal("1.75"), volume=10)
    assert book.value(dt.date(1999, 11, 24), "bid") is None


# --- properties -------------------------------------------------------------------------

POWERS_OF_TWO = [2**k for k in range(9)]  # 1 .. 256
DECIMAL_DENOMINATORS = [5, 10, 20, 25, 50, 100]


@st.composite
def mixed_numbers(draw) -> tuple[int, int, int]:
    whole = draw(st.integers(0, 500))
    denominator = draw(st.sampled_from(POWERS_OF_TWO + DECIMAL_DENOMINATORS))
    numerator = draw(st.integers(0, denominator - 1))
    return whole, numerator, denominator


@settings(max_examples=300, deadline=None)
@given(mixed_numbers(), st.sampled_from([" ", "-", "  "]))
def test_any_mixed_number_of_eighths_to_256ths_or_decimal_fractions_parses_exactly(
    number, separator
):
    whole, numerator, denominator = number
    price = parse_price(f"{whole}{separator}{numerator}/{denominator}")
    assert price == Decimal(whole) + Decimal(numerator) / Decimal(denominator)
    assert Fraction(price) == whole + Fraction(numerator, denominator)


@settings(max_examples=300, deadline=None)
@given(mixed_numbers())
def test_a_parsed_price_written_plain_reads_back_as_the_same_decimal(number):
    whole, numerator, denominator = number
    price = parse_price(f"{whole} {numerator}/{denominator}")
    text = plain(price)
    assert "E" not in text and "e" not in text
    assert parse_price(text) == price


@settings(max_examples=200, deadline=None)
@given(mixed_numbers())
def test_a_bare_fraction_equals_the_same_value_as_a_mixed_number(number):
    whole, numerator, denominator = number
    improper = whole * denominator + numerator
    assert parse_price(f"{improper}/{denominator}") == parse_price(
        f"{whole} {numerator}/{denominator}")


def prices(minimum: str = "0.00390625") -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=Decimal(minimum), max_value=Decimal("10000"), places=8,
                       allow_nan=False, allow_infinity=False)


@st.composite
def quotes_of_a_day(draw, day: dt.date) -> Quote:
    values: dict[str, object] = {}
    for column in PRICE_COLUMNS:
        if draw(st.booleans()):
            values[column] = draw(prices())
    high, low = values.get("high"), values.get("low")
    if high is not None and low is not None and low > high:  # type: ignore[operator]
        values["high"], values["low"] = low, high
    if draw(st.booleans()):
        values["volume"] = draw(st.integers(0, 10**9))
    return Quote(date=day, **values)  # type: ignore[arg-type]


@st.composite
def quote_lists(draw) -> list[Quote]:
    days = draw(st.lists(st.dates(dt.date(1990, 1, 1), dt.date(2040, 12, 31)),
                         unique=True, max_size=12))
    return [draw(quotes_of_a_day(day)) for day in days]


@settings(max_examples=200, deadline=None)
@given(quote_lists())
def test_quotes_written_to_csv_read_back_equal(quotes):
    text = quotes_to_csv(quotes)
    assert parse_quotes(text, "roundtrip.csv") == quotes
    assert [q.as_row() for q in parse_quotes(text, "roundtrip.csv")] == [
        q.as_row() for q in quotes]


# --- bounds -----------------------------------------------------------------------------


@pytest.mark.parametrize(("cell", "why"), [
    ("12345678901", "more than 10 digits before the decimal point"),
    ("99999999999999999999.99", "more than 10 digits before the decimal point"),
    ("1.23456789012", "more than 10 digits after the decimal point"),
    ("1/2048", "more than 10 digits after the decimal point"),
    ("0", "not a positive price"),
])
def test_a_price_out_of_bounds_is_refused_naming_line_and_column(cell, why):
    with pytest.raises(InputError) as caught:
        parse_quotes(f"date,close,bid\n2000-01-13,2,{cell}\n", "q.csv")
    (problem,) = caught.value.problems
    assert (problem.code, problem.file, problem.line, problem.field) == ("QUOTES-BAD-PRICE", "q.csv", 2, "bid")
    assert why in problem.message


def test_prices_and_volumes_at_the_bounds_are_kept_exactly():
    [quote] = parse_quotes("date,close,bid,volume\n2000-01-13,9999999999.9999999999,1 13/16,"
                           "1000000000000000\n", "q.csv")
    assert quote.close == Decimal("9999999999.9999999999") and quote.bid == Decimal("1.8125")
    assert quote.volume == 10**15
    [quote] = parse_quotes("date,close\n2000-01-13,1/1024\n", "q.csv")
    assert quote.close == Decimal("0.0009765625")


@pytest.mark.parametrize("cell", ["1000000000000001", "1,000,000,000,000,001", "9" * 5000])
def test_a_volume_above_a_quadrillion_is_refused(cell):
    with pytest.raises(InputError) as caught:
        parse_quotes(f'date,volume\n2000-01-13,"{cell}"\n', "q.csv")
    (problem,) = caught.value.problems
    assert (problem.code, problem.line, problem.field) == ("QUOTES-BAD-VOLUME", 2, "volume")
    assert "from 0 to 1,000,000,000,000,000 shares" in problem.message


@pytest.mark.parametrize(("field", "value"), [
    ("close", Decimal("12345678901")), ("bid", Decimal("0.00000000001")), ("ask", Decimal(-1)),
    ("open", 1.5), ("high", Decimal("NaN")), ("volume", 10**15 + 1), ("volume", -1), ("volume", True),
])
def test_a_quote_out_of_bounds_cannot_be_built_so_cannot_be_stored(field, value):
    with pytest.raises(ValueError, match=f"2000-01-13 {field}"):
        Quote(dt.date(2000, 1, 13), **{field: value})
