"""Bad input gets a clear error naming file, line and field (terms, events, quotes)."""

from __future__ import annotations

import pytest
from scenario import focus_terms_text, jsonl

from pipedeal.base.diagnostics import InputError
from pipedeal.base.quotes import parse_quotes
from pipedeal.deal.terms_file import parse_terms
from pipedeal.engine.events import parse_events


def where(exc: InputError):
    return [(p.code, p.line, p.field) for p in exc.problems]


def test_a_terms_file_with_a_bad_value_and_an_unknown_key_names_both_lines():
    text = focus_terms_text().replace('subscription = "5600.00"', 'subscription = "lots"\ncolour = 1')
    with pytest.raises(InputError) as caught:
        parse_terms(text, "deal.toml")
    lines = text.splitlines()
    found = where(caught.value)
    assert ("TERMS-INVALID", lines.index('subscription = "lots"') + 1,
            "investors[1].subscription") in found
    assert ("TERMS-UNKNOWN-KEY", lines.index("colour = 1") + 1, "investors[1].colour") in found
    assert all(p.file == "deal.toml" for p in caught.value.problems)


def test_a_terms_file_missing_a_required_key_points_at_its_table():
    text = focus_terms_text().replace("common_authorized = 30000000\n", "")
    with pytest.raises(InputError) as caught:
        parse_terms(text, "deal.toml")
    [(_, line, field)] = where(caught.value)
    assert field == "capitalization.common_authorized"
    assert text.splitlines()[line - 1].startswith("[capitalization]")


def test_a_terms_file_that_is_not_toml_names_the_line():
    with pytest.raises(InputError) as caught:
        parse_terms('[deal]\nname = "x"\nbroken = \n', "deal.toml")
    assert where(caught.value) == [("TERMS-SYNTAX", 3, None)]


def test_a_proration_the_language_does_not_have_is_refused_at_its_line():
    text = focus_terms_text().replace('proration = "actual_days_in_period"', 'proration = "banker"', 1)
    with pytest.raises(InputError) as caught:
        parse_terms(text, "deal.toml")
    code, line, field = where(caught.value)[0]
    assert (code, field) == ("TERMS-INVALID", "liquidated_damages.proration")
    assert text.splitlines()[line - 1].startswith('proration = "banker"')


def test_every_bad_event_line_is_reported_with_its_field():
    text = jsonl(
        {"type": "closing", "date": "1999-11-24"},
        {"type": "rs_filled", "date": "2000-01-13"},
        {"type": "shares_sold", "date": "2000-02-30", "investor": "raptor", "shares": 10},
        {"type": "shares_sold", "date": "2000-03-01", "investor": "raptor", "shares": 10, "price": 2},
        {"type": "shares_sold", "date": "2000-03-01", "investor": "raptor", "shares": -5},
        {"type": "warrant_exercise", "date": "2000-03-01", "warrant": "W-1", "shares": 5}, bare=True,
    ) + "{not json\n"
    with pytest.raises(InputError) as caught:
        parse_events(text, "log.jsonl")
    assert where(caught.value) == [
        ("EVENT-UNKNOWN-TYPE", 2, "type"),
        ("EVENT-BAD-DATE", 3, "date"),
        ("EVENT-UNKNOWN-FIELD", 4, "price"),
        ("EVENT-INVALID", 5, "shares"),
        ("EVENT-MISSING-FIELD", 6, "method"),
        ("EVENT-JSON", 7, None),
    ]


def test_a_blackout_that_ends_before_it_starts_is_refused():
    with pytest.raises(InputError) as caught:
        parse_events(jsonl({"type": "blackout", "date": "2000-03-01", "start": "2000-03-10",
                            "end": "2000-03-05"}), "log.jsonl")
    assert "before start" in caught.value.problems[0].message


def test_a_bad_quote_cell_names_line_and_column():
    text = "date,close,bid\n1999-11-22,1 5/8,1 19/32\n1999-11-23,1 5/8,1 1/3\n1999-11-3,2,2\n"
    with pytest.raises(InputError) as caught:
        parse_quotes(text, "q.csv")
    assert where(caught.value) == [("QUOTES-BAD-PRICE", 3, "bid"), ("QUOTES-BAD-DATE", 4, "date")]


def test_an_unknown_quote_column_is_refused():
    with pytest.raises(InputError) as caught:
        parse_quotes("date,closing_bid\n1999-11-22,1\n", "q.csv")
    assert where(caught.value) == [("QUOTES-UNKNOWN-COLUMN", 1, "closing_bid")]


def test_a_date_given_twice_is_refused():
    with pytest.raises(InputError) as caught:
        parse_quotes("date,bid\n1999-11-22,1\n1999-11-22,2\n", "q.csv")
    assert where(caught.value) == [("QUOTES-DUPLICATE-DATE", 3, "date")]
