"""A deal's words, and every operative clause of the FOCUS agreement.

**The clause registry.** Every word of an agreement that pipedeal prints (the
steps of ``ld --explain``, the LD statement, the warrant forms, the
ambiguities, ``pipedeal clauses``) is a ``Quotation`` of the deal's own terms
file (PIPE-TERMS principle 2): its ``[quotes]`` table, by stable slot keys
(``"RRA 3(e)(B) rate"``), and each block's ``clause``/``quote``.
``deal_words(terms)`` builds the table; ``quote``, ``text_of`` and ``quoted`` look
words up in it and, where the deal quotes none, say so, never falling back to
another deal's words. A quotation is verbatim: fragments of the agreement in
their order, joined by `` ... `` where words are elided (in a form's entry, where
the form is filled in). For the bundled FOCUS deal
``tests/test_clause_registry.py`` holds every quotation to the agreement file.

**The deal's clause numbers.** The engine names each duty by FOCUS's clause for it, a slot key
(``"RRA 3(e)(i)"``, the filing default; ``"W 3 delivery"``): a name, never a label. Every clause
an output prints is ``cite(terms, slot, block)``, the deal's own clause for that slot (its
``[quotes]`` entry keyed by the slot, else the terms block that governs the duty), and
``cited_quote`` its words; ``cite_all`` joins several into one citation (``"SPA 4.3, 6.2; W
15"``). FOCUS's ``[quotes]`` quote every bare slot the code cites, so each resolves to itself and
FOCUS's output is FOCUS's numbering. A rule of pipedeal or of the law that holds for every deal
(the SEC roll of RULES §1 and Rule 0-3) is labelled as such where the deal's text has no clause
for it (``cite_or_rule``).

**The catalogue.** ``CLAUSES`` lists each duty, number or date, its words (a
registry key), the rule that implements it and the tests that hold it to the
text. ``rule`` is the dotted path of the implementing function (its docstring
starts with the clause); ``tests`` are pytest node ids. ``None`` and ``()`` mean
"not yet": the list is the plan as much as the record. ``tests/test_clauses.py``
checks that every rule and test named here exists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipedeal.deal.terms import Terms

ELISION = " ... "


@dataclass(frozen=True)
class Quotation:
    """Words of the agreement: ``text`` is verbatim, `` ... `` marking elided words."""

    key: str
    clause: str
    text: str

    @property
    def fragments(self) -> tuple[str, ...]:
        """The verbatim runs between the elisions (a form's text between its fills)."""
        return tuple(part.strip() for part in self.text.split("..."))

    @property
    def quoted(self) -> str:
        """The words in quotation marks, as a citation prints them. Words that open with a
        defined term in quotation marks (``"Trading Day" shall mean``) are shown as they are."""
        return self.text if self.text.startswith('"') else f'"{self.text}"'


def registry(quotations: Iterable[Quotation]) -> dict[str, Quotation]:
    """A lookup table of ``quotations`` by key; a key given twice is an error."""
    table: dict[str, Quotation] = {}
    for entry in quotations:
        if entry.key in table:
            raise ValueError(f"clause text {entry.key!r} is given twice")
        table[entry.key] = entry
    return table


NO_WORDS = "the terms file quotes no words of this clause"


def deal_words(terms: Terms) -> dict[str, Quotation]:
    """The deal's own words: its ``[quotes]`` by key, and each block's ``quote`` under the block's
    path (``registration.filing``); built once per terms."""
    cached = terms.__pydantic_private__["_words"]  # as in _cited: not through BaseModel.__getattr__
    if cached is not None:
        return cached
    entries = [Quotation(key, entry.clause, entry.text) for key, entry in terms.quotes.items()]
    for path, block in _blocks(terms):
        if block.quote:
            entries.append(Quotation(path, block.clause or "", block.quote))
    table = registry(entries)
    terms._words = table
    return table


def _blocks(terms: Terms):
    from pydantic import BaseModel

    from pipedeal.deal.terms import Words

    def walk(node: BaseModel, path: str):
        if isinstance(node, Words):
            yield path, node
        for name in type(node).model_fields:
            child = getattr(node, name)
            if isinstance(child, BaseModel):
                yield from walk(child, f"{path}.{name}" if path else name)
            elif isinstance(child, tuple):  # a list of blocks ([[closing.conditions]]): each by its id
                for index, item in enumerate(child):
                    if isinstance(item, Words):
                        yield from walk(item, f"{path}.{name}[{getattr(item, 'id', index)}]")

    yield from walk(terms, "")


# The terms block that governs what FOCUS numbers each clause, for a deal whose [quotes]
# do not cite it: the longest matching prefix wins. A slot no block governs (the SPA's legend,
# organization and financing covenants) cites "terms", and an output leaves it out (``is_numbered``).
SLOT_BLOCKS: tuple[tuple[str, str], ...] = (
    ("SPA 1.10", "pricing"), ("SPA 1.15", "pricing"), ("SPA 2.1", "pricing"),
    ("SPA 1.7", "registration.effectiveness"), ("SPA 4.3", "capitalization"), ("SPA 6.2", "capitalization"),
    ("SPA 12.1", "notices"), ("RRA 8", "notices"), ("RRA 4", "registration"),
    ("RRA 3(a)", "registration"), ("RRA 3(b)", "registration.effectiveness_period"),
    ("RRA 3(g)", "registration.grace"), ("RRA 3(e)(A)", "liquidated_damages.repurchase"),
    ("RRA 3(e)", "liquidated_damages"), ("RRA 3", "registration"),
    ("W 15", "capitalization"), ("W", "warrants"),
)


def cite(terms: Terms, slot: str, block: str | None = None) -> str:
    """The deal's own clause for what the FOCUS agreement numbers ``slot`` (``"RRA 3(e)(i)"``:
    the filing default): the clause of the deal's ``[quotes]`` entry keyed ``slot``; else the
    clause of the terms block that governs it (``block``, or the one ``SLOT_BLOCKS`` names,
    or its nearest ancestor that names a clause); else ``"terms: <block>"``, never FOCUS's
    numbering for another deal's paper."""
    return _cited(terms, slot, block)[0]


def cited_quote(terms: Terms, slot: str, block: str | None = None) -> str:
    """The words, in quotation marks, of the clause ``cite`` gives for ``slot``: the deal's
    ``[quotes]`` entry keyed ``slot``, else the ``quote`` of the block whose clause it cites; or a
    note that the deal's terms quote none (never FOCUS's words)."""
    key = _cited(terms, slot, block)[1]
    return quoted(key or slot, deal_words(terms))


def _cited(terms: Terms, slot: str, block: str | None) -> tuple[str, str | None]:
    """``cite``'s clause and the registry key of that clause's words (None: no words), cached per terms."""
    # The private attributes live in __pydantic_private__; ``terms._cites`` would reach it through
    # BaseModel.__getattr__ (a Python call and a hasattr) on every citation.
    private = terms.__pydantic_private__
    cache = private["_cites"]
    if cache is None:
        cache = private["_cites"] = {}
    found = cache.get((slot, block))
    if found is None:
        found = cache[(slot, block)] = _resolve(terms, slot, block)
    return found


def _resolve(terms: Terms, slot: str, block: str | None) -> tuple[str, str | None]:
    words = deal_words(terms)
    entry = words.get(slot)
    if entry is not None and entry.clause:
        return entry.clause, slot
    path = block or next((path for prefix, path in SLOT_BLOCKS if slot.startswith(prefix)), "")
    parts = path.split(".") if path else []
    while parts:
        governing = ".".join(parts)
        try:
            clause = getattr(terms.value_at(governing), "clause", None)
        except KeyError:
            clause = None
        if clause:
            return clause, governing if governing in words else None
        parts.pop()
    return (f"terms: {path}" if path else "terms"), None


Slot = str | tuple[str, str | None]
"""A FOCUS slot, or a slot and the terms block that governs it (``("RRA 3(a)", "registration.filing")``)."""


def cite_all(terms: Terms, *slots: Slot, sep: str = ", ", abbreviate: bool = False, dash: str | None = None) -> str:
    """One citation of several clauses: the deal's own clause for each FOCUS slot (``cite``), each
    once, in order, joined by ``sep``. With ``abbreviate`` a clause of the same part as the one
    before it drops the part's name and follows a comma (``"RRA 3(a), 3(e)(iv)"``; ``sep`` then
    only separates parts: ``"SPA 4.3, 6.2; W 15"``). With ``dash`` three or more consecutive
    numbered sub-clauses of one clause become a range (``"RRA 3(e)(i)–(iv)"``)."""
    clauses: list[str] = []
    for slot in slots:
        name, block = (slot, None) if isinstance(slot, str) else slot
        clause = cite(terms, name, block)
        if clause not in clauses:
            clauses.append(clause)
    if dash is not None:
        clauses = _ranges(clauses, dash)
    text = ""
    for index, clause in enumerate(clauses):
        part = _part(clause)
        if index == 0:
            text = clause
        elif abbreviate and part is not None and part == _part(clauses[index - 1]):
            text += ", " + clause[len(part) + 1:]
        else:
            text += sep + clause
    return text


_NUMBERED = re.compile(r"^([A-Za-z]+) (?=[0-9(]|preamble|recitals)")
_SUBCLAUSE = re.compile(r"^(.*\S)\(([ivx]+)\)$")
_ROMAN = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x")


def _part(clause: str) -> str | None:
    """The agreement part a clause is numbered in (``"RRA"`` of ``"RRA 3(a)"``, ``"Warrant"`` of
    ``"Warrant 2(c)"``); None for a clause that is not numbered so (``"terms: notices"``)."""
    match = _NUMBERED.match(clause)
    return match[1] if match else None


def _ranges(clauses: list[str], dash: str) -> list[str]:
    """Runs of three or more sub-clauses (i), (ii), (iii) ... of one clause, as one range."""
    out: list[str] = []
    index = 0
    while index < len(clauses):
        match = _SUBCLAUSE.match(clauses[index])
        end = index + 1
        if match and match[2] in _ROMAN:
            stem, number = match[1], _ROMAN.index(match[2])
            while end < len(clauses) and number + end - index < len(_ROMAN) and \
                    clauses[end] == f"{stem}({_ROMAN[number + end - index]})":
                end += 1
        if end - index >= 3:
            out.append(f"{clauses[index]}{dash}({_SUBCLAUSE.match(clauses[end - 1])[2]})")  # type: ignore[index]
        else:
            out.extend(clauses[index:end])
        index = end
    return out


def cite_or_rule(terms: Terms, slot: str, rule: str) -> str:
    """The deal's own clause for ``slot`` where its ``[quotes]`` cite one, else ``rule``: a rule of
    pipedeal or of the law that holds for every deal ("RULES §1; Rule 0-3" moves a due day off a
    day the SEC is closed; PIPE-TERMS moves a termination date off a holiday), never a block's
    clause that does not say it."""
    entry = deal_words(terms).get(slot)
    return entry.clause if entry is not None and entry.clause else rule


def is_numbered(clause: str) -> bool:
    """Whether ``cite`` found the deal's own clause number (not ``"terms: <block>"``)."""
    return not clause.startswith("terms")


def section_words(clause: str) -> str:
    """A numbered clause as prose names it inside its own agreement: ``"RRA 3(e)"`` is
    "Section 3(e)" of the Registration Rights Agreement, ``"Warrant 3(e)"`` "Section 3(e)" of the
    Warrant; a clause not numbered so is named as cited."""
    part = _part(clause)
    number = clause[len(part) + 1:] if part is not None else ""
    return f"Section {number}" if number[:1].isdigit() else clause


def quote(key: str, table: Mapping[str, Quotation]) -> Quotation | None:
    """The deal's words for ``key`` (``"RRA 3(e)(B) rate"``), or None where its terms quote none."""
    return table.get(key)


def text_of(key: str, table: Mapping[str, Quotation]) -> str:
    """The verbatim words of ``key``, without quotation marks; where the terms quote none, says so."""
    entry = table.get(key)
    return entry.text if entry is not None else f"[{NO_WORDS}]"


def quoted(key: str, table: Mapping[str, Quotation]) -> str:
    """The words of ``key`` in quotation marks, as a citation prints them; or a note that the deal's
    terms quote none (never another deal's words)."""
    entry = table.get(key)
    return entry.quoted if entry is not None else f"({NO_WORDS})"


def quoted_or_empty(key: str, table: Mapping[str, Quotation]) -> str:
    """The words of ``key`` in quotation marks, or ``""`` for a clause cited without words."""
    entry = table.get(key)
    return entry.quoted if entry is not None else ""


def block_citation(terms: Terms, path: str) -> tuple[str, str]:
    """The clause and words of the terms block at ``path`` (``"liquidated_damages.cap"``): the
    block's own ``clause`` (else the nearest enclosing block's, else ``"terms: <path>"``) and its
    own ``quote`` in quotation marks (else a note that the deal's terms quote none): the deal's
    words, never another deal's."""
    return cite(terms, path, path), quoted(path, deal_words(terms))


# --- the catalogue of operative clauses ---------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    id: str
    kind: str  # duty | number | date | definition | calendar
    quote: str | None  # the registry key of its words; None for a rule that is not the agreement's
    rule: str | None = None
    tests: tuple[str, ...] = ()
    note: str = ""  # words of pipedeal's own, after the quotation (or instead of it)

    def text(self, words: Mapping[str, Quotation]) -> str:
        """The clause's words as the deal's terms quote them, then pipedeal's note."""
        shown = quoted(self.quote, words) if self.quote else ""
        return " ".join(part for part in (shown, self.note) if part)

    def as_dict(self, words: Mapping[str, Quotation]) -> dict[str, object]:
        return {"clause": self.id, "kind": self.kind, "text": self.text(words), "quote": self.quote,
                "rule": self.rule, "tests": list(self.tests),
                "status": "implemented" if self.rule else "not yet"}


P = "tests/test_pricing.py::"
R = "tests/test_registration_deadlines.py::"
L = "tests/test_ledger_rules.py::"
C = "tests/test_calendars.py::"
Q = "tests/test_quotes.py::"
D = "tests/test_liquidated_damages.py::"
W = "tests/test_warrants.py::"
F = "tests/test_warrant_forms.py::"

H = "tests/test_ld_reference.py::"
T = "tests/test_one_timeline.py::"
A = "tests/test_anti_dilution.py::"
N = "tests/test_notices.py::"
OB = "tests/test_obligations.py::"

K = "tests/test_closing.py::"
FOCUS_CLOSING = (K + "test_the_focus_checklist_closes_with_nine_conditions_three_wires_of_2000000_a_30000_fee_and_"
                 "1970000_net")

CLAUSES: tuple[Clause, ...] = (
    Clause("SPA 2.1(b)", "duty", "closing", "pipedeal.engine.closing.Checklist.close",
           (FOCUS_CLOSING,
            K + "test_an_early_closing_is_refused_naming_the_open_conditions_and_the_short_wire",
            K + "test_an_early_closing_imported_into_a_ledger_is_refused_and_nothing_is_written"),
           note="(each condition of [[closing.conditions]], SPA 2.1(b)(i)-(ix); `pipedeal closing`)"),
    Clause("SPA 2.1(b) (waiver)", "duty", "closing.conditions[2.1(b)(iv)]", "pipedeal.engine.closing.Checklist._waive",
           (K + "test_the_investors_may_waive_their_own_condition_and_the_closing_then_happens",
            K + "test_the_company_cannot_waive_a_condition_that_protects_the_investors",
            K + "test_a_condition_for_both_sides_needs_both_to_waive_it")),
    Clause("SPA 2.1(a)(i), 2.1(b)(ii)", "number", "closing.deliverables[purchase-price]",
           "pipedeal.engine.closing.Checklist._wire",
           (K + "test_a_wire_beyond_the_subscription_is_refused_before_any_closing",
            K + "test_lumen_closes_on_its_own_conditions_with_a_waived_lock_up_and_a_7_percent_placement_fee")),
    Clause("SPA 13.9", "number", "closing.finder", "pipedeal.engine.closing.finder_fee",
           (FOCUS_CLOSING,),
           note="(the fee rate and the investors introduced are inputs: the agreement states neither)"),
    Clause("SPA 1.4, 2.1(a)(i)", "date",
           "SPA 2.1(a)(i) closing",
           "pipedeal.engine.timeline.Fold._close",
           (L + "test_the_closing_issues_one_warrant_per_investor_in_terms_order",
            L + "test_a_second_closing_is_refused")),
    Clause("SPA 1.10", "number",
           "SPA 1.10 market price",
           "pipedeal.engine.pricing.market_price",
           (P + "test_the_market_price_averages_the_closing_bids_of_the_five_trading_days_before_closing",
            P + "test_a_closing_after_a_holiday_skips_it_in_the_five_trading_days",
            P + "test_a_missing_closing_bid_is_an_error_naming_the_dates",
            C + "test_market_price_window_is_the_5_trading_days_ending_the_day_before_closing")),
    Clause("SPA 1.15, 2.1(a)", "number", "SPA 1.15 purchase price",
           "pipedeal.engine.pricing.allocate",
           (P + "test_focus_investors_receive_871500_3500_and_375000_shares_with_10_percent_warrants",
            P + "test_a_subscription_that_buys_a_fractional_share_is_an_error")),
    Clause("SPA 1.25", "calendar",
           "SPA 1.25 trading day",
           "pipedeal.base.calendars.load_trading_calendar",
           (C + "test_nasdaq_closed_from_september_11_through_14_2001_and_reopens_monday_17",
            C + "test_nasdaq_closed_for_the_reagan_funeral_on_2004_06_11")),
    Clause("SPA 4.3", "number",
           "SPA 4.3 capitalization",
           "pipedeal.engine.pricing.capitalization_after_closing",
           (P + "test_capitalization_after_the_closing_and_the_warrant_reserve",)),
    Clause("SPA 4.2, 6.2; W 15", "duty",
           "SPA 6.2 reserve",
           "pipedeal.engine.pricing.capitalization_after_closing",
           (P + "test_an_under_reserved_warrant_pool_is_a_reported_breach",)),
    Clause("SPA 6.2; W 15 (after every event)", "duty",
           "SPA 6.2 reserve adjusted", "pipedeal.engine.timeline.Fold._check_reserve",
           (W + "test_a_split_without_more_authorized_shares_leaves_too_few_authorized_shares",
            W + "test_a_cash_exercise_draws_the_delivered_shares_from_the_reserve",
            W + "test_a_reverse_split_that_scales_reserve_and_warrants_alike_is_not_a_reserve_shortfall",
            A + "test_the_issued_shares_count_in_the_capitalization_and_can_exceed_the_authorized")),
    Clause("SPA 6.3", "duty", "SPA 6.3 delisting", "pipedeal.engine.obligations.covenant_obligations",
           (OB + "test_delisting_correspondence_is_copied_within_three_trading_days_across_thanksgiving",)),
    Clause("SPA 6.9", "duty", "SPA 6.9 discounted sales", "pipedeal.engine.obligations.financing_limit",
           (OB + "test_the_spa_6_9_limit_ends_90_days_after_effectiveness",
            OB + "test_a_discounted_financing_inside_the_window_is_a_breach",
            OB + "test_a_discounted_financing_on_the_last_day_is_a_breach_and_the_day_after_is_not",
            OB + "test_an_employee_plan_issue_below_the_bid_is_exempt",
            OB + "test_existing_warrants_are_exempt_up_to_300000_shares_in_aggregate_and_the_rest_is_a_breach",
            OB + "test_without_the_events_bid_the_quote_files_closing_bid_that_day_decides")),
    Clause("SPA 12.1; RRA 8", "duty", "SPA 12.1 notices effective", "pipedeal.engine.notices.takes_effect",
           (T + "test_a_demand_faxed_on_a_saturday_takes_effect_on_monday_and_is_due_the_saturday_after",
            T + "test_a_fax_before_opening_takes_effect_the_next_business_day_as_written",
            T + "test_a_fax_without_confirmation_never_takes_effect",
            N + "test_a_fax_at_half_past_six_new_york_time_on_a_friday_takes_effect_on_monday_at_opening",
            N + "test_a_courier_sent_from_vaduz_before_christmas_counts_the_recipients_business_days",
            N + "test_a_fax_received_in_boston_on_patriots_day_takes_effect_on_tuesday",
            N + "test_a_fax_around_the_daylight_saving_changes_is_read_in_the_recipients_local_time"),
           note="(every notice: a notice event, a demand, a blackout, W 14, insufficient-shares and repurchase "
                "notices; `pipedeal notices`)"),
    Clause("SPA 13.6", "definition", "SPA 13.6 reporting entity", "pipedeal.base.quotes.parse_quotes",
           (Q + "test_a_quote_row_of_1999_fractions_is_stored_as_exact_decimals_with_a_comma_volume",
            Q + "test_a_non_terminating_bid_is_refused_naming_file_line_and_column")),
    Clause("SPA 13.10", "duty", "SPA 13.10 consent", "pipedeal.engine.obligations.covenant_obligations",
           (OB + "test_each_investor_answers_a_draft_press_release_within_two_trading_days",
            OB + "test_a_press_release_answer_is_waived_by_the_company_it_is_owed_to")),
    Clause("W preamble (price)", "number", "W preamble exercise price",
           "pipedeal.engine.pricing.price_the_deal",
           (P + "test_exercise_price_rounding_alternatives",
            P + "test_a_half_tenth_of_a_cent_rounds_up_not_to_even")),
    Clause("W preamble (window), W 3", "date",
           "W preamble exercise window",
           "pipedeal.engine.warrants.exercise_window",
           (L + "test_exercising_outside_the_window_is_refused",
            L + "test_the_first_and_last_days_of_the_window_are_inside_it")),
    Clause("W 1, 7(a)", "duty", "W 1 transferable", "pipedeal.engine.timeline.Fold._transfer",
           (L + "test_a_partial_transfer_splits_the_warrant_between_assignee_and_assignor",
            L + "test_a_transfer_to_a_party_not_in_the_terms_is_refused")),
    Clause("W 3 (exercise)", "duty", "W 3 new warrant", "pipedeal.engine.timeline.Fold._exercise",
           (L + "test_a_partial_cash_exercise_leaves_a_new_warrant_for_the_rest",
            L + "test_exercising_beyond_the_balance_is_refused")),
    Clause("W 3 (delivery)", "duty", "W 3 delivery days", "pipedeal.engine.evaluate.delivery_obligations",
           (W + "test_certificates_are_due_three_trading_days_after_the_exercise",)),
    Clause("W 3 (cashless)", "number", "W 3 cashless formula", "pipedeal.engine.warrants.cashless_shares",
           (W + "test_a_cashless_exercise_of_10000_at_a_3_dollar_market_delivers_3995_shares_and_cash_for_five_sixths",
            W + "test_cashless_a_is_taken_on_the_trading_day_before_the_election_across_new_years_day",
            W + "test_cashless_is_refused_when_a_is_not_above_the_exercise_price",
            W + "test_cashless_before_the_first_anniversary_is_refused",
            W + "test_cashless_while_the_registration_statement_is_effective_is_refused_at_election",
            W + "test_cashless_after_a_lapse_is_cured_is_refused_at_election_but_allowed_ever_after_one_year")),
    Clause("W 4", "number", "W 4 cash adjustment", "pipedeal.engine.warrants.fraction_cash",
           (W + "test_a_cashless_exercise_of_10000_at_a_3_dollar_market_delivers_3995_shares_and_cash_for_five_sixths",
            W + "test_cashless_fraction_cash_on_the_literal_reading_of_w4_is_the_whole_exercise_price",
            W + "test_an_odd_balance_left_by_a_split_is_exercised_whole_with_cash_for_the_half_share")),
    Clause("W 7(b)", "duty", "W 7(b) divided or combined",
           "pipedeal.engine.timeline.Fold._combine",
           (L + "test_a_division_must_add_up_to_the_warrant",
            W + "test_a_division_issues_new_warrants_of_the_stated_denominations",
            W + "test_a_combination_of_one_holders_warrants_makes_one_warrant_with_both_parents",
            W + "test_warrants_of_different_holders_cannot_be_combined")),
    Clause("W 7(d)", "duty", "W 7(d) books", "pipedeal.engine.timeline.Fold.step",
           (W + "test_lineage_is_followed_through_transfer_division_and_combination",
            W + "test_property_warrant_shares_are_conserved_by_transfer_division_combination_and_replacement",
            W + "test_property_the_register_rebuilt_from_the_ledger_equals_the_register_kept_incrementally")),
    Clause("W (Notice of Exercise)", "duty", "W Notice of Exercise tender",
           "pipedeal.outputs.documents.warrant_forms.exercise_notice_html",
           (F + "test_cash_exercise_notice_in_three_formats",
            F + "test_cashless_exercise_notice_shows_the_formula_and_the_fraction")),
    Clause("W (Assignment Form)", "duty", "W Assignment Form assignment",
           "pipedeal.outputs.documents.warrant_forms.assignment_form_html",
           (F + "test_assignment_form_in_part_in_three_formats", F + "test_assignment_of_the_whole_warrant")),
    Clause("W 9", "duty", "W 9 like tenor",
           "pipedeal.engine.timeline.Fold._replace_lost",
           (W + "test_a_lost_warrant_is_replaced_by_one_of_like_tenor_dated_as_of_the_cancellation",
            W + "test_a_replacement_warrant_keeps_the_original_anniversary_for_cashless_exercise")),
    Clause("W 10", "calendar", "W 10 next day", "pipedeal.base.calendars.warrant_roll",
           (C + "test_warrant_action_due_saturday_before_patriots_day_2004_moves_to_tuesday",)),
    Clause("W 11(a)", "number", "W 11(a) multiplying",
           "pipedeal.engine.timeline.Fold._recapitalize",
           (L + "test_a_3_for_2_split_multiplies_warrants_and_holdings",
            W + "test_a_3_for_2_split_multiplies_warrant_shares_by_3_2_and_the_price_by_2_3",
            W + "test_a_1_for_5_reverse_split_divides_warrant_shares_by_5_and_multiplies_the_price_by_5",
            W + "test_a_ten_percent_stock_dividend_adds_a_tenth_and_brings_the_price_back_to_the_market_price",
            W + "test_a_split_is_retroactive_to_its_record_date_for_an_exercise_before_the_effective_date",
            W + "test_property_an_adjustment_keeps_shares_times_price_up_to_the_ten_place_rounding")),
    Clause("W 11 (reorganization)", "number", "W 11 other property", "pipedeal.engine.timeline.Fold._merge",
           (W + "test_after_a_merger_an_exercise_delivers_the_other_property_for_each_warrant_share",)),
    Clause("W 12", "number", "W 12 reduce", "pipedeal.engine.timeline.Fold._reduce_price",
           (W + "test_a_w12_reduction_applies_inside_its_period_and_not_after",
            W + "test_a_reduction_that_is_not_lower_is_refused",
            W + "test_a_split_during_a_reduction_adjusts_the_reduced_price_too",
            W + "test_a_deeper_reduction_inside_an_earlier_one_applies_for_its_own_period")),
    Clause('PIPE-TERMS "Warrants" (issue below the price)', "number", None,
           "pipedeal.engine.timeline.Fold._adjust_for_issue",
           (A + "test_a_full_ratchet_issue_at_one_dollar_sets_the_exercise_price_to_one_dollar",
            A + "test_broad_and_narrow_weighted_averages_of_the_same_issue_differ_by_the_warrant_shares_in_a",
            A + "test_an_exempt_employee_plan_issue_does_not_adjust_but_counts_in_the_next_issues_a",
            A + "test_an_issue_at_or_above_the_exercise_price_does_not_adjust",
            A + "test_successive_weighted_average_issues_each_start_from_the_price_the_last_one_set",
            A + "test_with_share_adjustment_a_full_ratchet_keeps_each_warrants_aggregate_price_and_the_reserve_follows",
            A + "test_on_one_day_the_recorded_order_of_a_split_and_an_issue_decides",
            A + "test_exercise_price_rounding_rounds_the_ten_place_weighted_average_half_up",
            A + "test_the_structural_focus_deal_ignores_every_financing"),
           note="price-based anti-dilution on an issue of Common below the Exercise Price (full_ratchet, "
                "weighted_average_broad or _narrow; exempt kinds; adjust_shares_on_price_adjustment). FOCUS is "
                "structural: its Warrant has no such clause; a deal that has one quotes it as \"W anti-dilution\""),
    Clause("W 13", "duty", "W 13 computation",
           "pipedeal.engine.warrants.AdjustmentNotice",
           (W + "test_the_notice_of_adjustment_states_the_facts_and_the_computation",
            W + "test_each_adjustment_gets_its_own_notice",
            F + "test_adjustment_notice_to_one_holder_in_three_formats",
            W + "test_a_w12_reduction_gets_a_notice_of_adjustment_with_its_period",
            A + "test_the_notice_sets_forth_a_b_c_the_formula_and_the_ten_place_price",
            A + "test_the_notice_of_an_issue_in_html_pdf_and_docx_says_the_focus_variant_quotes_no_words")),
    Clause("W 15 (par value)", "duty", "W 15 par value", "pipedeal.engine.timeline.Fold._check_par",
           (T + "test_an_exercise_price_reduced_below_par_is_a_reported_problem",)),
    Clause("W preamble (expiry); SPA 6.2", "date", "W preamble exercise window",
           "pipedeal.engine.timeline.Fold._expire",
           (T + "test_the_reserve_is_released_the_day_after_the_warrants_expire",
            L + "test_exercising_outside_the_window_is_refused"),
           note="(unexercised Warrants expire; their reserve is released the next day)"),
    Clause("W 14", "duty", "W 14 notice", "pipedeal.engine.timeline.Fold._late_action_notices",
           (W + "test_a_split_noticed_30_days_before_its_record_date_is_not_a_breach",
            W + "test_a_split_noticed_29_days_before_its_record_date_is_a_breach",
            W + "test_a_merger_noticed_29_days_before_it_takes_place_is_a_breach_of_the_effective_date_notice",
            W + "test_a_merger_notice_less_than_30_days_before_its_voting_record_date_is_a_breach",
            N + "test_a_corporate_action_notice_by_courier_reaches_vaduz_after_may_day_and_is_just_in_time",
            N + "test_a_corporate_action_notice_faxed_after_hours_on_the_last_day_is_late",
            OB + "test_the_w14_notice_of_a_split_is_due_30_days_before_its_record_date")),
    Clause("RRA 3(a) (filing)", "date", "RRA 3(a) filing", "pipedeal.engine.registration.filing_deadline",
           (R + "test_filing_due_on_christmas_eve_1999_rolls_to_monday_the_27th",
            R + "test_the_real_s3_filed_on_2000_01_13_missed_the_filing_deadline",
            R + "test_filing_on_the_rolled_deadline_is_on_time",
            R + "test_an_unfiled_statement_is_missed_once_the_deadline_passes")),
    Clause("RRA 3(a), 3(e)(ii) (effectiveness)", "date", "RRA 3(a) effectiveness",
           "pipedeal.engine.registration.effectiveness_deadline",
           (R + "test_effectiveness_is_due_120_or_150_days_after_closing",
            R + "test_a_full_review_gives_150_days_whatever_the_effectiveness_days_reading",
            R + "test_sec_clearance_plus_five_days_governs_when_earlier")),
    Clause("RRA 3(a) (notice of effectiveness)", "duty", "RRA 3(a) notice of effectiveness",
           "pipedeal.engine.obligations.covenant_obligations",
           (OB + "test_notice_of_effectiveness_is_due_the_next_trading_day",
            OB + "test_a_notice_sent_the_next_trading_day_is_met",
            OB + "test_a_notice_sent_late_stays_missed_and_shows_when_it_was_met")),
    Clause("RRA 3(a) (additional statement)", "date", "RRA 3(a) additional statement",
           "pipedeal.engine.registration.additional_deadlines",
           (D + "test_additional_statement_deadlines",
            D + "test_a_full_review_of_the_additional_statement_gives_it_150_days",
            D + "test_additional_statement_effective_late_under_90_days",
            N + "test_an_insufficient_shares_notice_by_courier_from_vaduz_counts_from_its_arrival")),
    Clause("RRA 3(b)", "date", "RRA 3(b) effectiveness period", "pipedeal.engine.defaults.effectiveness_period",
           (D + "test_as_written_a_lapse_after_the_rule_144k_date_is_still_a_default",
            D + "test_per_lot_rule144_stops_the_shares_damages_at_their_rule_144k_date",
            D + "test_all_securities_rule144_ends_the_period_once_the_warrants_are_gone_too",
            D + "test_rule144k_years_decides_whether_a_november_2000_lapse_bears_damages",
            D + "test_an_effectiveness_period_end_event_ends_the_lapse_default"),
           note="(the Effectiveness Period)"),
    Clause("RRA 3(c) (review)", "duty", "RRA 3(c) review", "pipedeal.engine.obligations.covenant_obligations",
           (OB + "test_the_draft_is_due_five_trading_days_before_the_s3_and_before_the_amendment",)),
    Clause("RRA 3(c) (comment letters)", "duty", "RRA 3(c) comment letters",
           "pipedeal.engine.obligations.covenant_obligations",
           (OB + "test_a_comment_letter_is_copied_within_two_trading_days",)),
    Clause("RRA 3(e)(i)-(iv)", "definition", "RRA 3(e) registration default",
           "pipedeal.engine.defaults.default_days",
           (D + "test_the_real_s3_filed_2000_01_13_leaves_16_default_days_the_cure_day_not_counted",
            D + "test_effective_2000_04_10_is_17_days_late_under_120_days",
            D + "test_a_lapse_for_any_other_reason_counts_every_day",
            D + "test_additional_statement_filed_late_is_an_additional_filing_default",
            D + "test_filing_and_effectiveness_defaults_overlapping_are_counted_once",
            H + "test_a_random_focus_docket_accrues_exactly_what_a_day_by_day_reading_of_the_spec_accrues")),
    Clause("RRA 3(e)(A)", "duty", "RRA 3(e)(A) election",
           "pipedeal.engine.damages.repurchase_election",
           (D + "test_a_timely_repurchase_replaces_the_damages_at_the_purchase_price",
            D + "test_an_election_on_the_fifth_trading_day_paid_on_the_fifth_trading_day_after_is_valid",
            D + "test_a_late_election_is_void_and_damages_accrue_as_usual",
            D + "test_a_late_payment_voids_the_election",
            D + "test_an_election_awaiting_payment_is_pending_and_damages_show_as_if_it_fails",
            N + "test_a_repurchase_election_faxed_after_hours_is_made_the_next_day_and_its_payment_counts_from_then")),
    Clause("RRA 3(e)(B)", "number", "RRA 3(e)(B) rate",
           "pipedeal.engine.damages.investor_damages",
           (D + "test_no_filing_by_2000_01_10_is_a_14_day_filing_default",
            D + "test_a_filing_default_into_its_third_month_steps_up_to_two_percent",
            D + "test_a_lapse_from_january_31_has_months_starting_feb_28_and_then_march_31_not_march_28",
            D + "test_thirty_day_count_keeps_the_month_boundaries_but_divides_by_30",
            D + "test_actual_365_day_count_keeps_the_month_boundaries_and_pays_rate_x_12_over_365",
            D + "test_per_default_period_clock_restarts_the_one_percent_months_at_the_lapse",
            D + "test_cumulative_clock_lays_the_lapse_after_the_filing_default_and_reaches_two_percent",
            D + "test_shares_sold_during_a_default_reduce_the_shares_held_from_the_sale_date",
            D + "test_an_exact_half_cent_rounds_up")),
    Clause("RRA 3(e) (market value)", "number", "RRA 3(e) market value daily_close",
           "pipedeal.engine.damages.MarketValues",
           (D + "test_daily_close_values_each_default_day_at_that_days_close",
            D + "test_closing_date_values_every_default_day_at_the_1999_11_24_close",
            D + "test_a_3_for_2_split_with_the_price_falling_to_two_thirds_changes_no_dollars",
            D + "test_a_trading_day_without_a_close_during_a_default_is_an_error_naming_it")),
    Clause("RRA 3(e) (payment)", "date", "RRA 3(e) payment days",
           "pipedeal.engine.damages._demands",
           (D + "test_a_demand_paid_in_full_before_due_is_not_overdue",
            D + "test_an_unpaid_demand_is_not_overdue_on_its_due_day",
            D + "test_a_second_demand_demands_the_whole_accrual_through_its_date")),
    Clause("RRA 3(e) (financial statements)", "definition", "RRA 3(e) financial statements window",
           "pipedeal.engine.defaults._fiscal_windows",
           (D + "test_a_financial_statements_lapse_is_excused_only_inside_the_window",
            D + "test_in_2001_the_financial_statements_window_runs_through_march_31")),
    Clause("RRA 3(e) (collection)", "duty", "RRA 3(e) collection costs",
           "pipedeal.engine.damages.InvestorDamages.collection_costs_payable",
           (D + "test_a_partly_paid_demand_past_due_is_overdue_and_costs_of_collection_are_payable",)),
    Clause("RRA 3(g) (filing delay)", "date", "RRA 3(g) filing delay",
           "pipedeal.engine.registration.filing_deadline",
           (R + "test_a_blackout_before_the_filing_date_extends_it_by_its_length",
            R + "test_blackouts_extend_the_filing_date_by_at_most_20_days_in_all",
            R + "test_a_blackout_beginning_after_the_filing_date_does_not_extend_it")),
    Clause("RRA 3(g) (cap)", "number", "RRA 3(g) cap", "pipedeal.engine.defaults.blackout_default_days",
           (D + "test_a_30_day_blackout_is_free",
            D + "test_the_31st_blackout_day_is_a_default_day",
            D + "test_blackout_days_are_counted_in_a_rolling_year")),
    Clause("RRA 3(g) (notice)", "duty", "RRA 3(g) notice", "pipedeal.engine.timeline.Fold._blackout",
           (D + "test_a_late_blackout_notice_is_a_breach_not_a_default",
            D + "test_a_blackout_notice_two_trading_days_ahead_is_on_time",
            N + "test_a_blackout_notice_faxed_on_patriots_day_is_given_when_the_last_investor_has_it")),
    Clause("RRA 4", "definition", "RRA 4 investor delay", "pipedeal.engine.defaults.default_days",
           (D + "test_an_investor_delay_of_all_investors_splits_the_filing_default_in_two",
            D + "test_an_investor_delay_naming_one_investor_excuses_only_that_investor")),
    Clause("RRA 3(e)(ii) (underwriters)", "definition", "RRA 3(e)(ii) underwriters request",
           "pipedeal.engine.defaults.default_days",
           (D + "test_an_underwriter_request_before_the_deadline_excuses_the_whole_failure_to_become_effective",
            D + "test_an_underwriter_request_while_overdue_excuses_the_rest_of_the_failure_too",
            D + "test_an_underwriter_request_excludes_only_its_days_when_read_so",
            D + "test_an_underwriter_request_does_not_excuse_a_filing_default")),
    Clause("RRA 5(g)", "duty", "RRA 5(g) transfer agent", "pipedeal.engine.obligations.covenant_obligations",
           (OB + "test_the_transfer_agent_instruction_is_due_three_trading_days_later_skipping_presidents_day",
            OB + "test_a_waiver_signed_by_every_investor_waives_the_duty")),
    Clause("Rule 0-3; RULES §1", "calendar", None, "pipedeal.engine.registration._roll",
           (R + "test_filing_due_on_christmas_eve_1999_rolls_to_monday_the_27th",
            R + "test_without_the_roll_the_filing_is_due_on_christmas_eve",
            C + "test_christmas_eve_1999_is_an_sec_holiday_but_a_massachusetts_business_day"),
           note="a filing due on a day the SEC is closed may be made on the next business day"),
)
