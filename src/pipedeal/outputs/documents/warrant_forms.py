"""Exhibit A's three warrant documents, prefilled from the register: the Notice of
Exercise (W 3, 4), the Assignment Form (W 1, 7) and the Company's Notice of
Adjustment (W 13, for an adjustment under W 11, a reduction under W 12 or the deal's
price-based anti-dilution clause).

Each is typeset as HTML (a Jinja2 template shipped as package data, autoescaped),
as PDF (``ld_statement.render_pdf`` of that HTML) and as DOCX (python-docx, built
here in code). The HTML and the DOCX print one context: the figures are those of
the ``ExerciseResult`` / ``AdjustmentNotice`` the engine computed, the names and
addresses those of the terms file, the warrant's size and issue date those of
the register (``evaluation.state.certificates``). Nothing here computes a figure;
the one product shown, a merger's Other Property per warrant (the basket per
Warrant Share × the warrant's shares before the event), is what W 13 requires
the notice to state.

Where the agreement has a form (the Notice of Exercise and the Assignment Form
annexed to the Warrant) its wording is kept and the blanks are filled; text the
register fills in is marked (underlined) as a fill. Every word taken from the
agreement (the forms' wording, the clauses quoted beside them) is read from the
clause registry, ``deal.clauses``. The core has no clock: the
Notice of Adjustment is dated only when ``today`` is passed.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from pipedeal.base.formats import count_words, exact_fraction, long_date, money, price, share_count
from pipedeal.deal.clauses import (
    NO_WORDS,
    cite,
    cite_all,
    cited_quote,
    deal_words,
    is_numbered,
    quote,
    quoted,
    section_words,
    text_of,
)
from pipedeal.deal.readings import shown, values
from pipedeal.deal.terms import Party, Terms
from pipedeal.engine.evaluate import Evaluation
from pipedeal.engine.registration import UNIT_WORDS
from pipedeal.engine.timeline import CertificateView as Certificate
from pipedeal.engine.warrants import (
    ANTI_DILUTION_UNNUMBERED,
    ANTI_DILUTION_WORDS,
    AdjustmentNotice,
    AdjustmentRow,
    ExerciseResult,
    anti_dilution_clause,
)
from pipedeal.outputs.documents.ld_statement import Cited, environment

EXERCISE_TEMPLATE = "warrant_exercise_notice.html.j2"
ASSIGNMENT_TEMPLATE = "warrant_assignment_form.html.j2"
ADJUSTMENT_TEMPLATE = "warrant_adjustment_notice.html.j2"

ADJUSTMENT_KINDS = {
    "stock_split": "Stock split: subdivision of the outstanding Common Stock",
    "stock_dividend": "Dividend or distribution in shares of Common Stock",
    "reverse_split": "Reverse split: combination of the outstanding Common Stock",
    "reclassification": "Reclassification of the Common Stock",
    "merger": "Reorganization, merger or consolidation: Other Property",
    "price_reduction": "Voluntary reduction of the Exercise Price",
    "anti_dilution": "Issue of Common Stock below the Exercise Price (anti-dilution)",
}
RECAPITALIZATIONS = frozenset({"stock_split", "stock_dividend", "reverse_split", "reclassification"})

# A blank of a form, to be written in by hand.
BLANK = "_" * 30
LONG_BLANK = "_" * 40

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Fill(str):
    """Text the register fills into a blank of the agreement's form."""

    __slots__ = ()


def _runs(*parts: str) -> list[dict[str, Any]]:
    """A sentence as runs; a ``Fill`` is shown as a filled-in blank."""
    return [{"text": str(part), "fill": isinstance(part, Fill)} for part in parts if part]


def _plain(runs: Iterable[dict[str, Any]]) -> str:
    return "".join(run["text"] for run in runs)


def _party(party: Party) -> dict[str, Any]:
    return {"id": party.id, "name": party.name, "address": party.address, "attention": party.attention,
            "fax": party.fax}


def _cite(terms: Terms, key: str) -> Cited:
    """The deal's words ``key``, in quotation marks, cited by the deal's own clause for them (or a
    note that its terms quote none)."""
    return Cited(cite(terms, key), cited_quote(terms, key))


def _anti_dilution_cite(terms: Terms) -> Cited:
    """The deal's price-based anti-dilution clause and its words; FOCUS, structural, has neither,
    and a Warrant's other clauses are never quoted for it."""
    return Cited(anti_dilution_clause(terms), quoted(ANTI_DILUTION_WORDS, deal_words(terms)))


def _sections(terms: Terms, *slots: str) -> str:
    """The Warrant's sections for FOCUS slots, as prose names them: "Section 3", "Sections 1 and
    7(a)"; a clause the deal does not number is named as cited."""
    clauses = list(dict.fromkeys(cite(terms, slot) for slot in slots))
    if not all(is_numbered(clause) and section_words(clause) != clause for clause in clauses):
        return ", ".join(clauses)
    numbers = [section_words(clause).removeprefix("Section ") for clause in clauses]
    if len(numbers) == 1:
        return f"Section {numbers[0]}"
    return f"Sections {', '.join(numbers[:-1])} and {numbers[-1]}"


def _interpretations(evaluation: Evaluation, *keys: str) -> list[dict[str, Any]]:
    """The readings of the deal's [[ambiguities]] a form's figures rest on (only those it declares)."""
    rows = []
    for key in keys:
        entry = evaluation.terms.ambiguity(key)
        if entry is None:
            continue
        others = ", ".join(shown(v) for v in values(entry) if v != entry.value)
        rows.append({"key": key, "value": shown(entry.value), "alternatives": others, "clause": entry.clause,
                     "question": entry.question or entry.why})
    return rows


def _deal(evaluation: Evaluation) -> dict[str, Any]:
    terms = evaluation.terms
    return {"title": terms.deal.title, "agreement_date": long_date(terms.deal.agreement_date),
            "security": terms.deal.security, "company_upper": terms.company.name.upper()}


def _party_of(evaluation: Evaluation, party_id: str, what: str) -> Party:
    party = evaluation.terms.party(party_id)
    if party is None:
        raise ValueError(f"no party {party_id!r} ({what}) in the terms file")
    return party


def _certificate(evaluation: Evaluation, warrant_id: str, day: dt.date, closing_status: str) -> Certificate:
    """The warrant on the register: outstanding, or closed by this very act on ``day``
    (the form for an exercise or transfer the ledger already records)."""
    cert = evaluation.state.certificates.get(warrant_id)
    if cert is None:
        known = ", ".join(evaluation.state.certificates) or "none yet: is the Closing recorded?"
        raise ValueError(f"no warrant {warrant_id!r} on the register (known: {known})")
    if cert.status != "outstanding" and not (cert.status == closing_status and cert.closed_on == day):
        raise ValueError(f"warrant {warrant_id} was {cert.status} on {cert.closed_on}")
    if day < cert.issue_date:
        raise ValueError(f"{day} is before warrant {warrant_id} was issued ({cert.issue_date})")
    return cert


def _as_shares(value: int | Fraction | Decimal | str) -> Fraction:
    shares = Fraction(value)
    if shares <= 0:
        raise ValueError(f"the number of Warrant Shares must be positive, not {value}")
    return shares


# --- 1. Notice of Exercise (W 3, W 4) ------------------------------------------------------------

def exercise_context(evaluation: Evaluation, result: ExerciseResult, *,
                     data_note: str | None = None) -> dict[str, Any]:
    """Everything the Notice of Exercise prints, formatted; the figures are ``result``'s."""
    words = deal_words(evaluation.terms)
    if result.method not in ("cash", "cashless"):
        raise ValueError(f"unknown exercise method {result.method!r} (cash or cashless)")
    cert = _certificate(evaluation, result.warrant, result.date, "exercised")
    if cert.holder != result.holder:
        raise ValueError(f"warrant {cert.id} is registered to {cert.holder!r}, not {result.holder!r}")
    terms = evaluation.terms
    company, holder = terms.company, _party_of(evaluation, result.holder, "the holder")
    deal = _deal(evaluation)
    cash = result.method == "cash"
    x = share_count(result.shares_exercised)
    b = price(result.exercise_price)
    warrant_fill = Fill(f"Warrant {cert.id}")

    # The form's blanks: the shares, the Company, the Warrant (a cashless election names its
    # shares later, with the words of W 3).
    form = quote("W Notice of Exercise election", words)
    elects, shares_of, pursuant, tenders = form.fragments if form is not None else (
        f"[{NO_WORDS}] The holder exercises this Warrant for", "Warrant Shares of", "under", ".")
    if cash:
        election = _runs(f"{elects} ", Fill(x), f" {shares_of} {company.name} {pursuant} (", warrant_fill,
                         f"){tenders}")
        method = "Cash exercise"
    else:
        election = _runs(f"{elects} {shares_of} {company.name} {pursuant} (", warrant_fill,
                         f') by a "cashless exercise" under {_sections(terms, "W 3 cashless")} of the Warrant as '
                         'to ', Fill(x),
                         f" Warrant Shares, and {text_of('W 3 cashless quotient', words)}")
        method = "Cashless exercise"

    payment_rows: list[dict[str, str]] = []
    formula_rows: list[dict[str, str]] = []
    if cash:
        payment_rows = [
            {"label": "Warrant Shares purchased", "value": x, "clause": cite(terms, "W 3")},
            {"label": "Exercise Price per share", "value": b,
             "clause": cite_all(terms, ("W preamble exercise price", "warrants"), "W 11")},
            {"label": "Aggregate Exercise Price tendered",
             "value": f"{money(result.aggregate_price)} ({x} × {b})", "clause": cite_all(terms, "W 3 payment", "W 8")},
            {"label": "Payment", "value": text_of("W 3 payment method", words), "clause": cite(terms, "W 3 payment")},
        ]
    else:
        if result.average_price is None:
            raise ValueError("a cashless exercise needs A, the average price (ExerciseResult.average_price)")
        a = price(result.average_price)
        a_day = result.average_price_day
        due = share_count(result.shares_due)
        exact = exact_fraction(result.shares_due)
        formula_rows = [
            {"symbol": "(A)", "words": text_of("W 3 cashless A", words),
             "value": a + (f" (Trading Day {a_day.isoformat()})" if a_day else "")},
            {"symbol": "(B)", "words": text_of("W 3 cashless B", words), "value": b},
            {"symbol": "(X)", "words": text_of("W 3 cashless X", words), "value": x},
            {"symbol": "[(A-B) (X)] / (A)", "words": f"({a} − {b}) × {x} ÷ {a}",
             "value": f"{due} shares" + (f" (= {exact})" if exact else "")},
        ]

    issued = share_count(result.shares_issued)
    exercised = "W 3 payment" if cash else "W 3 cashless"
    delivery_rows = [{"label": "Shares of Common Stock to be issued", "value": issued,
                      "clause": cite_all(terms, exercised, "W 4") if result.fraction else cite(terms, exercised)}]
    if result.fraction:
        rule = evaluation.terms.warrants.fraction_cash
        basis = {"fraction_times_exercise_price": f"the fraction × the Exercise Price of {b}, to the cent",
                 "literal_exercise_price": f"{quoted('W 4 amount', words)}: the whole Exercise Price, {b}, "
                                           "read literally",
                 "fraction_times_market": "the fraction × the market price of the day, to the cent"}[rule]
        delivery_rows.append({
            "label": "Fraction of a share paid in cash instead (no fractional shares)",
            "value": f"{share_count(result.fraction)} share: {money(result.fraction_cash)} "
                     f"({basis}; fraction_cash = {rule})",
            "clause": cite(terms, "W 4")})
    if cash:
        delivery_rows.append({"label": "Exercise Price paid", "value": money(result.aggregate_price),
                              "clause": cite(terms, exercised)})
    else:
        delivery_rows.append({"label": "Exercise Price paid", "value": "none: cashless exercise",
                              "clause": cite(terms, exercised)})
    for asset, amount in result.other_property:
        delivery_rows.append({"label": f"Other Property: {asset}", "value": share_count(amount),
                              "clause": cite(terms, "W 11 merger")})

    register_rows = [
        {"label": "Warrant surrendered",
         "value": f"{cert.id}, issued {cert.issue_date.isoformat()}, for {share_count(cert.shares)} Warrant Shares",
         "clause": cite_all(terms, "W 3", "W 7(d)")},
        {"label": "Certificates due",
         "value": f"{result.delivery_due.isoformat()} (within "
                  f"{count_words(terms.warrants.delivery.days)} {UNIT_WORDS[terms.warrants.delivery.unit]})",
         "clause": cite(terms, "W 3 delivery")},
    ]
    if result.remainder_certificate:
        remainder = evaluation.state.certificates.get(result.remainder_certificate)
        rest = remainder.shares if remainder is not None else cert.shares - result.shares_exercised
        register_rows.append({"label": "New Warrant for the unpurchased shares",
                              "value": f"{result.remainder_certificate} for {share_count(rest)} Warrant Shares",
                              "clause": cite(terms, "W 3 partial")})
    register_rows.append({"label": "Rule 144(d) holding period of the shares from",
                          "value": result.holding_period_start.isoformat()
                          + (" (cash: starts at exercise)" if cash else " (cashless: tacks to the issue date)"),
                          "clause": "RULES.md §3"})

    quotes = [_cite(terms, exercised), _cite(terms, "W 3 delivery")]
    if result.remainder_certificate:
        quotes.append(_cite(terms, "W 3 partial"))
    if result.fraction:
        quotes.append(_cite(terms, "W 4"))
    interpretations = _interpretations(evaluation, *(("cashless_test",) if not cash else ()),
                                       *(("fraction_cash",) if result.fraction else ()))

    return {
        "doc_title": f"Notice of Exercise — {cert.id} — {holder.name}",
        "data_note": data_note,
        "deal": deal,
        "company": _party(company),
        "holder": _party(holder),
        "warrant_id": cert.id,
        "warrant_line": (f"Stock Purchase Warrant {cert.id} of {company.name}, issued "
                         f"{long_date(cert.issue_date)} to purchase {share_count(cert.shares)} Warrant Shares, "
                         f"registered to {holder.name}"),
        "cash": cash,
        "method_line": f"{method} — Warrant {_sections(terms, exercised)} ({cite(terms, exercised)})"
                       + (f", {_sections(terms, 'W 4')} ({cite(terms, 'W 4')})" if result.fraction else ""),
        "formula_clause": cite(terms, "W 3 cashless"),
        "election": election,
        "payment_rows": payment_rows,
        "formula_rows": formula_rows,
        "delivery_rows": delivery_rows,
        "issue_words": text_of("W Notice of Exercise issue", words),
        "issue_name": holder.name,
        "issue_address": holder.address,
        "date": result.date.isoformat(),
        "dated": long_date(result.date),
        "register_rows": register_rows,
        "computation": list(result.computation),
        "quotes": quotes,
        "interpretations": interpretations,
    }


# --- 2. Assignment Form (W 1, W 7) ---------------------------------------------------------------

def assignment_context(evaluation: Evaluation, warrant_id: str, assignee: str,
                       shares: int | Fraction | Decimal | str, date: dt.date, *,
                       data_note: str | None = None) -> dict[str, Any]:
    """The Assignment Form for ``shares`` of warrant ``warrant_id``'s shares to the party ``assignee``."""
    words = deal_words(evaluation.terms)
    cert = _certificate(evaluation, warrant_id, date, "transferred")
    count = _as_shares(shares)
    if count > cert.shares:
        raise ValueError(f"{cert.id} is for {share_count(cert.shares)} Warrant Shares; cannot assign "
                         f"{share_count(count)}")
    terms = evaluation.terms
    termination = evaluation.timeline.last_exercise_day
    if termination is not None and date > termination:
        raise ValueError(f"{cite(terms, 'W 1')}: transferable only prior to the Termination Date {termination}")
    holder = _party_of(evaluation, cert.holder, "the holder")
    to = _party_of(evaluation, assignee, "the assignee")
    if to.id == holder.id:
        raise ValueError(f"{to.name} already holds {cert.id}: an assignment needs another party")
    whole = count == cert.shares
    n, total = share_count(count), share_count(cert.shares)
    rest = cert.shares - count
    transfer = _sections(terms, "W 1", "W 7(a)")
    if whole:
        extent = _runs("in whole: as to all ", Fill(n), " Warrant Shares of ", Fill(f"Warrant {cert.id}"),
                       f" ({transfer} of the Warrant).")
    else:
        extent = _runs("in part: as to ", Fill(n), " of the ", Fill(total), " Warrant Shares of ",
                       Fill(f"Warrant {cert.id}"), f" ({transfer} of the Warrant); the Company is to "
                       f"{text_of('W 7(a) assignor', words)}, ", Fill(share_count(rest)), " Warrant Shares.")
    assignment = cite(terms, "W 7(a)")
    register_rows = [
        {"label": "Warrant surrendered", "value": f"{cert.id} for {total} Warrant Shares, issued "
                                                  f"{cert.issue_date.isoformat()}, cancelled on registration",
         "clause": assignment},
        {"label": f"New Warrant to {to.name}", "value": f"{n} Warrant Shares", "clause": assignment},
    ]
    if not whole:
        register_rows.append({"label": f"New Warrant to {holder.name} (the portion not assigned)",
                              "value": f"{share_count(rest)} Warrant Shares", "clause": assignment})
    register_rows.append({"label": "Transfer taxes", "value": "payable by the assignor with the surrender",
                          "clause": cite_all(terms, "W 7(a) taxes", "W 7(c)")})
    return {
        "doc_title": f"Assignment Form — {cert.id} — {holder.name} to {to.name}",
        "data_note": data_note,
        "deal": _deal(evaluation),
        "company": _party(terms.company),
        "holder": _party(holder),
        "assignee": _party(to),
        "warrant_id": cert.id,
        "warrant_line": (f"Stock Purchase Warrant {cert.id} of {terms.company.name}, issued "
                         f"{long_date(cert.issue_date)} to purchase {total} Warrant Shares, registered to "
                         f"{holder.name}"),
        "whole": whole,
        "shares": n,
        "instruction": text_of("W Assignment Form instruction", words),
        "words": text_of("W Assignment Form assignment", words),
        "extent": extent,
        "date": date.isoformat(),
        "dated": long_date(date),
        "note": text_of("W Assignment Form note", words),
        "register_rows": register_rows,
        "sections_line": f"Warrant {_sections(terms, 'W 1', 'W 7')} ({cite_all(terms, 'W 1', 'W 7')})",
        "quotes": [_cite(terms, "W 1"), _cite(terms, "W 7(a) taxes"), _cite(terms, "W 7(a)"), _cite(terms, "W 7(d)")],
    }


# --- 3. Notice of Adjustment (W 13) --------------------------------------------------------------

def _holder_name(evaluation: Evaluation, party_id: str) -> str:
    party = evaluation.terms.party(party_id)
    return party.name if party is not None else party_id


def _adjustment_row(evaluation: Evaluation, notice: AdjustmentNotice, row: AdjustmentRow) -> dict[str, Any]:
    # W 11: the Other Property "receivable ... by a holder of the number of shares of Common Stock for
    # which this Warrant is exercisable immediately prior to such event"
    basket = [{"asset": asset, "quantity": share_count(Fraction(amount) * row.shares_before)}
              for asset, amount in notice.other_property]
    return {"warrant": row.warrant, "holder": _holder_name(evaluation, row.holder),
            "shares_before": share_count(row.shares_before), "shares_after": share_count(row.shares_after),
            "price_before": price(row.price_before), "price_after": price(row.price_after),
            "other_property": basket,
            "other_property_text": "; ".join(f"{item['quantity']} {item['asset']}" for item in basket)}


def _shares_changed(notice: AdjustmentNotice) -> bool:
    return any(row.shares_after != row.shares_before for row in notice.rows)


def _intro(terms: Terms, kind: str, clause: str, plural: bool, shares_changed: bool = False) -> str:
    company = terms.company.name
    warrants = "each Warrant listed below" if plural else "the Warrant listed below"
    opening = (f"{company} (the \"Company\") gives notice under {_sections(terms, 'W 13')} of the Stock Purchase "
               f"Warrant{'s' if plural else ''} ({cite(terms, 'W 13')}) that")
    if kind == "anti_dilution":
        what = "the Exercise Price and the Warrant Shares" if shares_changed else "the Exercise Price"
        numbered = "" if clause == ANTI_DILUTION_UNNUMBERED else f" ({clause})"
        verb = "have" if shares_changed else "has"
        return (f"{opening} {what} of {warrants} {verb} been adjusted under the anti-dilution provisions of the "
                f"Warrant{numbered}, the Company having issued Common Stock below the Exercise Price then in "
                "force, as set forth below.")
    if kind == "price_reduction":
        return (f"{opening} the Board of Directors of the Company has reduced the Exercise Price of {warrants} "
                f"under {_sections(terms, 'W 12')} of the Warrant ({clause}) for the period stated below.")
    if kind == "merger":
        return (f"{opening} the securities and other property for which {warrants} may be exercised have been "
                f"adjusted under {_sections(terms, 'W 11 merger')} of the Warrant ({clause}), as set forth below.")
    return (f"{opening} the Warrant Shares of {warrants} and their Exercise Price have been adjusted under "
            f"{_sections(terms, 'W 11')} of the Warrant ({clause}), as set forth below.")


def adjustment_context(evaluation: Evaluation, notice: AdjustmentNotice, holder: str | None = None, *,
                       today: dt.date | None = None, data_note: str | None = None) -> dict[str, Any]:
    """The Company's W 13 notice: to one holder (its rows only) or, with ``holder=None``, all rows."""
    words = deal_words(evaluation.terms)
    terms = evaluation.terms
    rows = notice.rows
    addressee = None
    if holder is not None:
        addressee = _party_of(evaluation, holder, "the holder")
        rows = tuple(row for row in rows if row.holder == holder)
        if not rows:
            held = ", ".join(sorted({row.holder for row in notice.rows})) or "none"
            raise ValueError(f"this adjustment lists no warrant of {holder!r} (holders: {held})")
    if not rows:
        raise ValueError("the notice lists no warrant")
    if today is not None and today < notice.date:
        raise ValueError(f"the notice is dated {today}, before the adjustment's effective date {notice.date}")
    kind = notice.kind
    merger = kind == "merger"
    reduction = kind == "price_reduction"
    recap = kind in RECAPITALIZATIONS
    anti_dilution = kind == "anti_dilution"

    if recap:
        if notice.record_date is not None:
            effective = (f"The adjustment took effect immediately after the event's effective date, "
                         f"{long_date(notice.date)}, retroactive to its record date, {long_date(notice.record_date)}"
                         f": it applies from {notice.effective_from.isoformat()}.")
        else:
            effective = (f"The adjustment took effect immediately after the event's effective date, "
                         f"{long_date(notice.date)} (no record date was taken): it applies from "
                         f"{notice.effective_from.isoformat()}.")
        effective_cite = _cite(terms, "W 11(a) effective")
    elif reduction:
        until = f" through {long_date(notice.until)}" if notice.until else ""
        after = ("; from the day after, the Exercise Price in force before the reduction applies again"
                 if notice.until else "")
        effective = (f"The reduced Exercise Price applies from {long_date(notice.effective_from)}{until}{after}.")
        effective_cite = _cite(terms, "W 12")
    elif anti_dilution:
        adjusted = ("Exercise Price and Warrant Shares apply" if _shares_changed(notice)
                    else "Exercise Price applies")
        effective = (f"The adjusted {adjusted} from {long_date(notice.effective_from)}, the date of the issue, "
                     "until a later adjustment.")
        effective_cite = _anti_dilution_cite(terms)
    else:
        effective = (f"From {long_date(notice.effective_from)}, each Warrant is exercisable for the Other Property "
                     "received for as many shares of Common Stock as the Warrant was exercisable for immediately "
                     "before the event.")
        effective_cite = _cite(terms, "W 11 merger")

    price_after_label = "Exercise Price after"
    if reduction:
        period = notice.effective_from.isoformat() + (f" to {notice.until.isoformat()}" if notice.until else "")
        price_after_label = f"Reduced Exercise Price ({period})"

    quotes = [_cite(terms, "W 13")]
    if recap:
        quotes.insert(0, _cite(terms, "W 11(a)"))
    if anti_dilution:
        quotes.insert(0, _anti_dilution_cite(terms))
    plural = len(rows) > 1
    notice_clause = cite(terms, "W 13")
    basket = [{"asset": asset, "quantity": share_count(amount)} for asset, amount in notice.other_property]
    return {
        "doc_title": f"Notice of Adjustment — {ADJUSTMENT_KINDS.get(kind, kind)} — {notice.date.isoformat()}",
        "data_note": data_note,
        "deal": _deal(evaluation),
        "company": _party(terms.company),
        "addressee": _party(addressee) if addressee is not None else None,
        "kind": kind,
        "kind_label": ADJUSTMENT_KINDS.get(kind, kind.replace("_", " ")),
        "clause": notice.clause,
        "event_date": notice.date.isoformat(),
        "record_date": notice.record_date.isoformat() if notice.record_date else None,
        "effective_from": notice.effective_from.isoformat(),
        "until": notice.until.isoformat() if notice.until else None,
        "facts": notice.facts,
        "computation": list(notice.computation),
        "intro": _intro(terms, kind, notice.clause, plural, _shares_changed(notice)),
        "rows": [_adjustment_row(evaluation, notice, row) for row in rows],
        "merger": merger,
        "reduction": reduction,
        "basket": basket,
        "price_after_label": price_after_label,
        "effective": effective,
        "effective_cite": effective_cite,
        "banner": text_of("W 13 delivery", words).upper(),
        "delivery": f"Sent {text_of('W 13 delivery', words)} ({notice_clause})",
        "notice_clause": notice_clause,
        "notice_line": f"Warrant {_sections(terms, 'W 13')} ({notice_clause})",
        "conclusive": text_of("W 13 conclusive", words),
        "today": today.isoformat() if today else None,
        "dated": long_date(today) if today else None,
        "quotes": quotes,
    }


# --- HTML ---------------------------------------------------------------------------------------

def _render(template: str, context: dict[str, Any]) -> str:
    return environment().get_template(template).render(**context)


def exercise_notice_html(evaluation: Evaluation, result: ExerciseResult, *, data_note: str | None = None) -> str:
    """W (Notice of Exercise), W 3: the form for ``result``, prefilled, as one HTML document."""
    return _render(EXERCISE_TEMPLATE, exercise_context(evaluation, result, data_note=data_note))


def assignment_form_html(evaluation: Evaluation, warrant_id: str, assignee: str,
                         shares: int | Fraction | Decimal | str, date: dt.date, *,
                         data_note: str | None = None) -> str:
    """W (Assignment Form), W 1, W 7: ``shares`` of ``warrant_id`` assigned to the party ``assignee``."""
    return _render(ASSIGNMENT_TEMPLATE,
                   assignment_context(evaluation, warrant_id, assignee, shares, date, data_note=data_note))


def adjustment_notice_html(evaluation: Evaluation, notice: AdjustmentNotice, holder: str | None = None, *,
                           today: dt.date | None = None, data_note: str | None = None) -> str:
    """The Notice of Adjustment (W 13) to ``holder`` (a party id), or listing every warrant when None."""
    return _render(ADJUSTMENT_TEMPLATE,
                   adjustment_context(evaluation, notice, holder, today=today, data_note=data_note))


# --- DOCX ---------------------------------------------------------------------------------------

@dataclass
class _Docx:
    """A Letter-size Word document built in code, in the forms' house style."""

    title: str
    data_note: str | None = None

    def __post_init__(self) -> None:
        import docx
        from docx.shared import Inches, Pt

        self.document = docx.Document()
        section = self.document.sections[0]
        section.page_width, section.page_height = Inches(8.5), Inches(11)
        for side in ("left_margin", "right_margin"):
            setattr(section, side, Inches(1))
        section.top_margin, section.bottom_margin = Inches(0.8), Inches(0.8)
        normal = self.document.styles["Normal"]
        normal.font.name = "Times New Roman"
        normal.font.size = Pt(11)
        normal.paragraph_format.space_after = Pt(6)
        for name, size in (("Title", 16), ("Heading 1", 12), ("Heading 2", 11)):
            style = self.document.styles[name]
            style.font.name = "Times New Roman"
            style.font.size = Pt(size)
            style.font.bold = True
            style.font.color.rgb = None
        # Word's core properties hold at most 255 characters (python-docx refuses more): an
        # Assignment Form between two parties of 200-character names would not fit.
        title = _xml(self.title)
        self.document.core_properties.title = title if len(title) <= 255 else title[:254] + "…"
        if self.data_note:
            footer = section.footer.paragraphs[0]
            footer.text = _xml(self.data_note)
            for run in footer.runs:
                run.font.size = Pt(8)

    def title_block(self, title: str, *subtitles: str) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH

        heading = self.document.add_heading(_xml(title), level=0)
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for text in subtitles:
            para = self.paragraph(text, italic=True, size=9.5)
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def heading(self, text: str, level: int = 1) -> None:
        self.document.add_heading(_xml(text), level=level)

    def paragraph(self, content: str | list[dict[str, Any]], *, bold: bool = False, italic: bool = False,
                  size: float | None = None, indent: float | None = None, style: str | None = None):
        from docx.shared import Inches, Pt

        para = self.document.add_paragraph(style=style)
        runs = _runs(content) if isinstance(content, str) else content
        for part in runs:
            run = para.add_run(_xml(part["text"]))
            run.bold = bold or part["fill"] or None
            run.underline = part["fill"] or None
            run.italic = italic or None
            if size:
                run.font.size = Pt(size)
        if indent:
            para.paragraph_format.left_indent = Inches(indent)
        return para

    def table(self, headers: list[str] | None, rows: list[list[str]], widths: list[float] | None = None,
              *, size: float = 9.5) -> None:
        from docx.shared import Inches, Pt

        columns = len(headers) if headers else len(rows[0])
        table = self.document.add_table(rows=0, cols=columns)
        table.style = "Table Grid"
        if headers:
            cells = table.add_row().cells
            for cell, text in zip(cells, headers, strict=True):
                cell.text = ""
                run = cell.paragraphs[0].add_run(_xml(text))
                run.bold = True
                run.font.size = Pt(size)
        for row in rows:
            cells = table.add_row().cells
            for cell, text in zip(cells, row, strict=True):
                cell.text = ""
                run = cell.paragraphs[0].add_run(_xml(text))
                run.font.size = Pt(size)
        if widths:
            for row in table.rows:
                for cell, width in zip(row.cells, widths, strict=True):
                    cell.width = Inches(width)
        self.document.add_paragraph()

    def quotes(self, quotes: list[Cited]) -> None:
        from docx.shared import Pt

        for cited in quotes:
            para = self.document.add_paragraph()
            clause = para.add_run(_xml(cited.clause) + ": ")
            clause.bold = True
            clause.font.size = Pt(8.5)
            words = para.add_run(_xml(cited.quote))
            words.italic = True
            words.font.size = Pt(8.5)

    def signature(self, *lines: str) -> None:
        from docx.shared import Inches

        for number, line in enumerate(lines):
            para = self.paragraph(line)
            para.paragraph_format.left_indent = Inches(3.2)
            para.paragraph_format.space_after = 0
            if number == 0:
                para.paragraph_format.space_before = Inches(0.3)

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()


def _xml(text: str) -> str:
    """Text Word can store: control characters (not XML) are dropped."""
    return _NOT_XML.sub("", text)


def _party_lines(party: dict[str, Any]) -> list[str]:
    lines = [party["name"]]
    if party.get("attention"):
        lines.append(f"Attention: {party['attention']}")
    lines.append(party["address"])
    if party.get("fax"):
        lines.append(f"Fax: {party['fax']}")
    return lines


def _label_rows(rows: list[dict[str, str]]) -> list[list[str]]:
    return [[row["label"], row["value"], row["clause"]] for row in rows]


def exercise_notice_docx(evaluation: Evaluation, result: ExerciseResult, *, data_note: str | None = None) -> bytes:
    """The Notice of Exercise (W 3) as a Word document, with the HTML's content."""
    c = exercise_context(evaluation, result, data_note=data_note)
    doc = _Docx(c["doc_title"], data_note)
    doc.title_block("NOTICE OF EXERCISE", c["warrant_line"], c["method_line"])
    doc.paragraph(f"To: {c['deal']['company_upper']}", bold=True)
    for line in _party_lines(c["company"])[1:]:
        doc.paragraph(line, indent=0.35).paragraph_format.space_after = 0
    doc.paragraph("")
    doc.paragraph([{"text": "(1) ", "fill": False}, *c["election"]])
    if c["cash"]:
        doc.table(["Payment", "Amount", "Clause"], _label_rows(c["payment_rows"]), [2.3, 3.2, 1.0])
    else:
        doc.table(["", f"The Warrant's words ({c['formula_clause']})", "Value"],
                  [[r["symbol"], r["words"], r["value"]] for r in c["formula_rows"]], [1.2, 3.3, 2.0])
    doc.table(["Delivery", "Value", "Clause"], _label_rows(c["delivery_rows"]), [2.3, 3.2, 1.0])
    doc.paragraph(f"(2) {c['issue_words']}")
    doc.paragraph([{"text": "Name: ", "fill": False}, {"text": c["issue_name"], "fill": True}], indent=0.5)
    doc.paragraph([{"text": "Address: ", "fill": False}, {"text": c["issue_address"], "fill": True}], indent=0.5)
    doc.paragraph([{"text": "Dated: ", "fill": False}, {"text": c["dated"], "fill": True}])
    doc.signature(BLANK, "Signature", c["holder"]["name"], "By:", "Name:", "Title:")
    doc.heading("Schedule: the register and the computation (not part of the form)", level=1)
    doc.table(["Item", "Value", "Clause"], _label_rows(c["register_rows"]), [2.3, 3.2, 1.0])
    if c["computation"]:
        doc.heading("Computation", level=2)
        for step in c["computation"]:
            doc.paragraph(step, style="List Number", size=9.5)
    if c["interpretations"]:
        doc.heading("Interpretations in force", level=2)
        doc.table(["Key", "Reading used", "Alternatives", "Clause"],
                  [[k["key"], k["value"], k["alternatives"], k["clause"]] for k in c["interpretations"]],
                  [1.6, 2.0, 2.0, 0.9])
    doc.quotes(c["quotes"])
    return doc.save()


def assignment_form_docx(evaluation: Evaluation, warrant_id: str, assignee: str,
                         shares: int | Fraction | Decimal | str, date: dt.date, *,
                         data_note: str | None = None) -> bytes:
    """The Assignment Form (W 1, W 7) as a Word document, with the HTML's content."""
    c = assignment_context(evaluation, warrant_id, assignee, shares, date, data_note=data_note)
    doc = _Docx(c["doc_title"], data_note)
    doc.title_block("ASSIGNMENT FORM", c["instruction"], c["warrant_line"], c["sections_line"])
    doc.paragraph(c["words"])
    doc.paragraph([{"text": c["assignee"]["name"], "fill": True},
                   {"text": " whose address is ", "fill": False},
                   {"text": c["assignee"]["address"], "fill": True}, {"text": ",", "fill": False}], indent=0.35)
    doc.paragraph(c["extent"], indent=0.35)
    doc.paragraph([{"text": "Dated: ", "fill": False}, {"text": c["dated"], "fill": True}])
    doc.signature(f"Holder's Signature: {BLANK}", f"({c['holder']['name']})",
                  f"Holder's Address: {c['holder']['address']}")
    doc.paragraph("")
    doc.paragraph(f"Signature Guaranteed: {LONG_BLANK}")
    doc.paragraph([{"text": "NOTE: ", "fill": False}, {"text": c["note"], "fill": False}], size=9.5)
    doc.heading("Schedule: the register after the transfer (not part of the form)", level=1)
    doc.table(["Item", "Value", "Clause"], _label_rows(c["register_rows"]), [2.6, 2.9, 1.0])
    doc.quotes(c["quotes"])
    return doc.save()


def adjustment_notice_docx(evaluation: Evaluation, notice: AdjustmentNotice, holder: str | None = None, *,
                           today: dt.date | None = None, data_note: str | None = None) -> bytes:
    """The Notice of Adjustment (W 13) as a Word document, with the HTML's content."""
    c = adjustment_context(evaluation, notice, holder, today=today, data_note=data_note)
    doc = _Docx(c["doc_title"], data_note)
    doc.title_block("NOTICE OF ADJUSTMENT", f"Stock Purchase Warrants of {c['company']['name']} — "
                    f"{c['notice_line']}")
    doc.paragraph(c["banner"], bold=True, size=9)
    doc.paragraph("From: " + "; ".join(_party_lines(c["company"])))
    if c["addressee"]:
        doc.paragraph("To: " + "; ".join(_party_lines(c["addressee"])))
    else:
        doc.paragraph("To: the holder of each Warrant listed below, at its address on the books of the Company")
    doc.paragraph(f"Date: {c['dated'] or '____________________'}")
    doc.paragraph(f"Re: {c['kind_label']} ({c['clause']})", bold=True)
    doc.paragraph(c["intro"])
    doc.heading("1. The facts requiring the adjustment", level=1)
    doc.paragraph(c["facts"])
    dates = [f"Event effective: {c['event_date']}"]
    if c["record_date"]:
        dates.append(f"record date: {c['record_date']}")
    doc.paragraph("; ".join(dates) + ".")
    doc.heading("2. The computation", level=1)
    for step in c["computation"]:
        doc.paragraph(step, style="List Number", size=10)
    doc.heading("3. Warrant Shares and Exercise Price after the adjustment", level=1)
    headers = ["Warrant", "Holder", "Warrant Shares before", "Warrant Shares after", "Exercise Price before",
               c["price_after_label"]]
    if c["merger"]:
        headers.append("Other Property after")
    rows = []
    for row in c["rows"]:
        values = [row["warrant"], row["holder"], row["shares_before"], row["shares_after"], row["price_before"],
                  row["price_after"]]
        if c["merger"]:
            values.append(row["other_property_text"])
        rows.append(values)
    doc.table(headers, rows, size=9)
    if c["basket"]:
        doc.paragraph("Other Property per Warrant Share: "
                      + "; ".join(f"{b['quantity']} {b['asset']}" for b in c["basket"]) + ".")
    doc.heading("4. Effective date", level=1)
    doc.paragraph(c["effective"])
    doc.quotes([c["effective_cite"]])
    doc.heading("5. Effect of this notice", level=1)
    doc.paragraph(c["conclusive"] + f" ({c['notice_clause']})")
    doc.paragraph(c["delivery"] + ".", italic=True)
    doc.signature(c["company"]["name"].upper(), "", f"By: {BLANK}", "Name:", "Title:")
    doc.quotes(c["quotes"])
    return doc.save()
