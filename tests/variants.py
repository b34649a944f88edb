"""Variant deals for scenario tests: the FOCUS terms file edited the way another PIPE's paper
differs from FOCUS's (PIPE-TERMS.md), then read by ``parse_terms`` so every variant is also
proved to be a valid terms file.

An edit replaces one exact piece of the FOCUS file; a piece that is not there exactly once
fails the test at once, so a variant never silently stays FOCUS. The calendars are the
variant's own (``calendars_for``): a deal whose Business Day is federal counts on the SEC's
calendar, one in Massachusetts on Patriots' Day too.
"""

from __future__ import annotations

from collections.abc import Sequence

from scenario import D, focus_quotes, focus_terms_text

from pipedeal.base.quotes import QuoteBook
from pipedeal.deal.terms import Terms
from pipedeal.deal.terms_file import parse_terms
from pipedeal.engine.evaluate import Evaluation, evaluate
from pipedeal.engine.timeline import Located
from pipedeal.storage.workspace import calendars_for

FILE = "variant.toml"

# The FOCUS Warrant's price is 110% of the Market Price; a fixed one needs no quotes at all.
FIXED_EXERCISE_PRICE = ('exercise_price_multiple = "1.10"', 'exercise_price = "2.00"')


def edited(*edits: tuple[str, str], drop: Sequence[str] = (), text: str | None = None) -> str:
    """The FOCUS terms text with each ``(old, new)`` replaced, and the ``[[ambiguities]]``
    entries with the keys in ``drop`` taken out (an entry must state the value its field has,
    so a variant that changes such a field drops the FOCUS entry)."""
    text = focus_terms_text() if text is None else text
    for old, new in edits:
        found = text.count(old)
        assert found == 1, f"{old!r} occurs {found} times in the terms text, not once"
        text = text.replace(old, new)
    for key in drop:
        start = text.find(f'[[ambiguities]]\nkey = "{key}"\n')
        assert start >= 0, f"no [[ambiguities]] entry {key!r}"
        end = text.find("\n[", start + 1)  # the next table, or the end of the file
        text = text[:start] + (text[end + 1:] if end >= 0 else "")
    return text


def variant(*edits: tuple[str, str], drop: Sequence[str] = ()) -> Terms:
    """A variant deal, validated as a terms file of its own."""
    return parse_terms(edited(*edits, drop=drop), FILE)


def line_of(text: str, needle: str) -> int:
    """The line (from 1) of the one line of ``text`` that contains ``needle``."""
    lines = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(lines) == 1, f"{needle!r} is on lines {lines}"
    return lines[0]


def evaluate_variant(terms: Terms, events: list[Located], as_of: str, quotes: QuoteBook | None = None,
                     **readings) -> Evaluation:
    """``evaluate`` on the variant's own calendars (its Trading Days, its Business Days)."""
    return evaluate(terms, events, quotes or focus_quotes(), calendars_for(terms), D(as_of), readings)
