"""Daily quotes of the Common Stock, read exactly (RULES.md §2, §6).

SPA 13.6 names Bloomberg as the reporting entity; pipedeal takes whatever the
user imports from it (or elsewhere) as a CSV with a header: ``date`` and any
of ``open, high, low, close, bid, ask, volume``. Pre-2001 Nasdaq prices are
fractions (``1 13/16``); they are stored as exact decimals.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from decimal import Decimal

from pipedeal.base.diagnostics import Diagnostic, InputError
from pipedeal.base.money import PriceFormatError, parse_price, plain

PRICE_COLUMNS = ("open", "high", "low", "close", "bid", "ask", "vwap")
# Bounds of a quote: wide for any share price ever quoted, narrow enough that a
# typo (a volume pasted into a price, a price with 30 decimals) is caught. A
# price has at most 10 digits before the point and 10 after (OCF's precision,
# and 1/1024 = 0.0009765625 still fits); a volume is a whole number of shares
# from 0 to 10^15 (no exchange has traded a quadrillion shares of one stock in a
# day, and it stays exact in a JavaScript number for the web).
MAX_PRICE_DIGITS = 10
MAX_PRICE_PLACES = 10
MAX_VOLUME = 10**15
_PRICE_LIMIT = Decimal(10) ** MAX_PRICE_DIGITS
_GOOD_PRICES: set[Decimal] = set()
_GOOD_PRICES_MAX = 1 << 16
# ASCII digits only (str.isdigit accepts "²"), thousands separators only in threes.
_VOLUME = re.compile(r"^(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)$")
COLUMNS = ("date", *PRICE_COLUMNS, "volume")


@dataclass(frozen=True)
class Quote:
    date: dt.date
    open: Decimal | None = None
    high: Decimal | None = None
    low: Decimal | None = None
    close: Decimal | None = None
    bid: Decimal | None = None
    ask: Decimal | None = None
    vwap: Decimal | None = None  # the day's volume-weighted average price, where a deal's terms use it
    volume: int | None = None

    def __post_init__(self) -> None:
        """A quote out of bounds cannot exist, so none can reach the ledger by any path."""
        for column in PRICE_COLUMNS:
            value = getattr(self, column)
            if value is None or (value.__class__ is Decimal and value.is_finite() and value in _GOOD_PRICES):
                continue
            problem = price_problem(value)
            if problem:
                raise ValueError(f"{self.date} {column}: {problem}")
            if len(_GOOD_PRICES) < _GOOD_PRICES_MAX and value.__class__ is Decimal:
                # Whether a price is within bounds depends on its value alone (equal Decimals are
                # equally valid), and a ledger of many deals repeats the same prices.
                _GOOD_PRICES.add(value)
        if self.volume is not None:
            problem = volume_problem(self.volume)
            if problem:
                raise ValueError(f"{self.date} volume: {problem}")

    def as_row(self) -> dict[str, str]:
        row = {"date": self.date.isoformat()}
        for column in PRICE_COLUMNS:
            value = getattr(self, column)
            row[column] = "" if value is None else plain(value)
        row["volume"] = "" if self.volume is None else str(self.volume)
        return row

    def merged(self, newer: Quote) -> Quote:
        """This day's quote with the fields ``newer`` gives replacing ours."""
        changes = {
            f.name: getattr(newer, f.name)
            for f in fields(newer)
            if f.name != "date" and getattr(newer, f.name) is not None
        }
        return replace(self, **changes)


class QuoteBook:
    """The quotes of one security, by date; immutable once built."""

    def __init__(self, quotes: Iterable[Quote] = (), source: str | None = None):
        self.source = source  # where the quotes came from, to name in errors
        self._by_date: dict[dt.date, Quote] = {}
        for quote in quotes:
            known = self._by_date.get(quote.date)
            self._by_date[quote.date] = known.merged(quote) if known else quote
        self._dates = sorted(self._by_date)
        self._pending: dict[dt.date, object] = {}
        self._read: Callable[[object], Quote] | None = None

    @classmethod
    def deferred(cls, rows: Mapping[dt.date, object], read: Callable[[object], Quote],
                 source: str | None = None) -> QuoteBook:
        """A book of one quote per date whose ``Quote``s are built on first use: ``read(rows[day])``.

        For quotes already known to be what was imported (a ledger's table proven equal to its
        import log, where every quote was validated as a ``Quote``): an evaluation reads the
        pricing window and the default days, not every day of every deal of a ledger, so the
        others are never parsed. ``rows`` has one row per date; ``read`` raises
        what an unreadable row deserves (it is the same ``Quote`` validation as ever).
        """
        book = cls((), source)
        book._pending = dict(rows)
        book._dates = sorted(book._pending)  # already in order: a linear pass
        book._read = read
        return book

    def __len__(self) -> int:
        return len(self._dates)

    def get(self, day: dt.date) -> Quote | None:
        quote = self._by_date.get(day)
        if quote is None and self._pending:
            row = self._pending.pop(day, None)
            if row is not None:
                assert self._read is not None
                quote = self._by_date[day] = self._read(row)
        return quote

    def value(self, day: dt.date, column: str) -> Decimal | None:
        quote = self.get(day)
        return None if quote is None else getattr(quote, column)

    def between(self, first: dt.date, last: dt.date, column: str) -> list[tuple[dt.date, Decimal]]:
        """The days from ``first`` through ``last`` that have ``column``, with its value."""
        low, high = bisect_left(self._dates, first), bisect_right(self._dates, last)
        found = []
        for day in self._dates[low:high]:
            value = getattr(self.get(day), column)
            if value is not None:
                found.append((day, value))
        return found

    def dates(self) -> list[dt.date]:
        return list(self._dates)

    def quotes(self) -> list[Quote]:
        return [self.get(day) for day in self._dates]  # type: ignore[misc]

    def merged(self, newer: Iterable[Quote]) -> QuoteBook:
        return QuoteBook([*self.quotes(), *newer], self.source)

    def as_mapping(self) -> Mapping[dt.date, Quote]:
        return {day: self.get(day) for day in self._dates}  # type: ignore[misc]


def price_problem(value: object) -> str | None:
    """Why ``value`` is not a price a quote may have, or None."""
    if not isinstance(value, Decimal) or not value.is_finite():
        return f"{value!r} is not an exact decimal price"
    if value <= 0:
        return f"{plain(value)} is not a positive price"
    if value >= _PRICE_LIMIT:
        return f"{plain(value)} has more than {MAX_PRICE_DIGITS} digits before the decimal point"
    # normalize() only strips trailing zeros, so a value within the places as written is within
    # them normalized too: normalize (the costly part, for a ledger's many quotes) only beyond.
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_PRICE_PLACES:
        exponent = value.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > MAX_PRICE_PLACES:
            return f"{plain(value)} has more than {MAX_PRICE_PLACES} digits after the decimal point"
    return None


def volume_problem(value: object) -> str | None:
    """Why ``value`` is not a day's volume, or None."""
    if not isinstance(value, int) or isinstance(value, bool):
        return f"{value!r} is not a whole number of shares"
    if not 0 <= value <= MAX_VOLUME:
        return f"{value:,} is not a volume from 0 to {MAX_VOLUME:,} shares"
    return None


def parse_quotes(text: str, filename: str) -> list[Quote]:
    """SPA 13.6: the reported prices, read from a CSV; a bad cell names its line and column."""
    reader = csv.reader(io.StringIO(text))
    problems: list[Diagnostic] = []
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise InputError([Diagnostic("QUOTES-EMPTY", "the file is empty", filename, 1)]) from None
    if "date" not in header:
        problems.append(Diagnostic("QUOTES-NO-DATE", "the header has no 'date' column", filename, 1))
    for name in header:
        if name not in COLUMNS:
            problems.append(
                Diagnostic("QUOTES-UNKNOWN-COLUMN",
                        f"unknown column {name!r} (known: {', '.join(COLUMNS)})",
                        filename, 1, name)
            )
    if len(set(header)) != len(header):
        problems.append(Diagnostic("QUOTES-DUPLICATE-COLUMN", "a column is named twice", filename, 1))
    if problems:
        raise InputError(problems)

    quotes: list[Quote] = []
    seen: dict[dt.date, int] = {}
    for row in reader:
        number = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(
                Diagnostic("QUOTES-ROW-WIDTH",
                        f"{len(row)} cells where the header has {len(header)}", filename, number)
            )
            continue
        cells = dict(zip(header, (cell.strip() for cell in row), strict=True))
        quote = _read_row(cells, filename, number, problems)
        if quote is None:
            continue
        if quote.date in seen:
            problems.append(
                Diagnostic("QUOTES-DUPLICATE-DATE",
                        f"{quote.date} is already given on line {seen[quote.date]}",
                        filename, number, "date")
            )
            continue
        seen[quote.date] = number
        quotes.append(quote)
    if problems:
        raise InputError(problems)
    return quotes


def _read_row(cells: dict[str, str], filename: str, line: int, problems: list[Diagnostic]):
    try:
        day = dt.date.fromisoformat(cells["date"])
    except ValueError:
        problems.append(
            Diagnostic("QUOTES-BAD-DATE", f"{cells['date']!r} is not an ISO date (YYYY-MM-DD)",
                    filename, line, "date")
        )
        return None
    values: dict[str, object] = {}
    ok = True
    for column in PRICE_COLUMNS:
        raw = cells.get(column, "")
        if not raw:
            continue
        try:
            price = parse_price(raw)
        except PriceFormatError as exc:
            problems.append(Diagnostic("QUOTES-BAD-PRICE", str(exc), filename, line, column))
            ok = False
            continue
        problem = price_problem(price)
        if problem:
            problems.append(Diagnostic("QUOTES-BAD-PRICE", f"{raw!r}: {problem}", filename, line, column))
            ok = False
            continue
        values[column] = price
    raw_volume = cells.get("volume", "")
    if raw_volume:
        volume, problem = _read_volume(raw_volume)
        if problem:
            problems.append(Diagnostic("QUOTES-BAD-VOLUME", problem, filename, line, "volume"))
            ok = False
        else:
            values["volume"] = volume
    high, low = values.get("high"), values.get("low")
    if ok and high is not None and low is not None and low > high:  # type: ignore[operator]
        problems.append(Diagnostic("QUOTES-LOW-ABOVE-HIGH", f"low {low} is above high {high}",
                                filename, line, "low"))
        ok = False
    return Quote(date=day, **values) if ok else None  # type: ignore[arg-type]


def _read_volume(raw: str) -> tuple[int | None, str | None]:
    """A volume cell as (shares, None) or (None, why not)."""
    if not _VOLUME.match(raw):
        return None, f"{raw[:40]!r} is not a whole number of shares"
    digits = raw.replace(",", "").lstrip("0") or "0"
    if len(digits) > len(str(MAX_VOLUME)):  # before int(): Python refuses 4,300+ digit strings
        return None, f"{raw[:40]!r} is not a volume from 0 to {MAX_VOLUME:,} shares"
    volume = int(digits)
    problem = volume_problem(volume)
    return (None, f"{raw!r}: {problem}") if problem else (volume, None)


def quotes_to_csv(quotes: Iterable[Quote]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    for quote in quotes:
        writer.writerow(quote.as_row())
    return buffer.getvalue()
