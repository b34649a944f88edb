"""RRA 3(e): one investor's statement of liquidated damages, and the demand letter.

``render_statement_html`` typesets what the evaluation already holds: the
default periods, the excluded days, one computation row per rate segment, the
exact total, the single half-up rounding to the cent, demands, payments and the
balance, and the interpretation keys the figure depends on. The clause quoted
beside each step is the one ``explain_damages`` cites for it. With
``letter=True`` a demand letter from the investor to the Company comes first
and the statement follows as its schedule.

The core has no clock: a letter's date (``today``) is passed in, and so is any
note about where the data came from (``data_note``, e.g. that the quotes are
the bundled illustrative ones), which is printed at the foot of every page.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.resources
import threading
from dataclasses import dataclass
from typing import Any

import jinja2

from pipedeal.base import intervals as iv
from pipedeal.base.formats import count_words, exact_fraction, exact_money, long_date, money, percent, share_count
from pipedeal.deal.clauses import (
    block_citation,
    cite,
    cite_all,
    cited_quote,
    deal_words,
    quoted,
    section_words,
)
from pipedeal.deal.readings import affects_damages, shown, values
from pipedeal.deal.terms import Terms
from pipedeal.engine.damages import COLLECTION_WORDS, collection_costs_owed
from pipedeal.engine.defaults import SLOT_OF_KIND, runs_of
from pipedeal.engine.evaluate import Evaluation
from pipedeal.engine.registration import UNIT_WORDS, count
from pipedeal.outputs.explain import base_text, cap_text, period_word

TEMPLATE = "ld_statement.html.j2"

KIND_NAMES = {
    "filing": "Filing",
    "effectiveness": "Effectiveness",
    "lapse": "Lapse of effectiveness",
    "blackout": "Blackout beyond the cap",
    "additional_filing": "Additional statement: filing",
    "additional_effectiveness": "Additional statement: effectiveness",
}


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


# --- the document's data ------------------------------------------------------------------------

@dataclass(frozen=True)
class Cited:
    """A clause and the words of it that a step applies."""

    clause: str
    quote: str


def _cited(terms: Terms, slot: str, words_key: str | None = None, block: str | None = None) -> Cited:
    """The deal's own clause for the FOCUS slot ``slot`` and its words (those of ``words_key``
    when given), as ``explain_damages`` cites them for the same step."""
    words = quoted(words_key, deal_words(terms)) if words_key else cited_quote(terms, slot, block)
    return Cited(cite(terms, slot, block), words)


def agreement_section(clause: str) -> str:
    """A clause of the Registration Rights Agreement as the letter's prose names it ("Section 3(e) of
    the Agreement": the letter calls that agreement "the Agreement"); any other clause as cited."""
    return f"{section_words(clause)} of the Agreement" if clause.startswith("RRA ") else clause


def _letter_delivery(terms: Terms) -> str:
    """How the demand letter is sent: by the quick means the deal's notice clause allows (a fax, or
    an e-mail where it counts as one) to the Company, with a courier copy."""
    company = terms.company
    if company.fax:
        return "BY FACSIMILE AND OVERNIGHT COURIER"
    if company.email and terms.notices.email == "as_fax":
        return "BY E-MAIL AND OVERNIGHT COURIER"
    return "BY OVERNIGHT COURIER"


def _wording(terms: Terms) -> dict[str, str]:
    """The words of the letter and statement that depend on the deal: the clauses each part rests on,
    in its own numbering, and how a demand is sent."""
    registration = terms.registration
    kinds = ["RRA 3(e)(i)", "RRA 3(e)(ii)", "RRA 3(e)(iii)",
             *(["RRA 3(e)(iv)"] if registration.additional != "none" else []), ("RRA 3(g)", "registration.grace")]
    excused = [*(["RRA 3(e) financial statements"] if registration.financial_statements_window != "none" else []),
               ("RRA 3(g) cap", "registration.grace"), "RRA 4"]
    damages = cite(terms, "RRA 3(e)")
    return {
        "ld_clause": damages,
        "letter_delivery": _letter_delivery(terms),
        "ld_heading": (f"Registration Rights Agreement, {section_words(damages)} ({damages})"
                       if damages.startswith("RRA ") else damages),
        "ld_where": agreement_section(damages),
        "defaults_heading": cite_all(terms, *kinds, abbreviate=True, dash="–"),
        "excluded_heading": cite_all(terms, *excused, abbreviate=True),
        "rate_where": agreement_section(cite(terms, "RRA 3(e)(B) rate")),
    }


def _party(party) -> dict[str, Any]:
    return {"name": party.name, "address": party.address, "attention": party.attention, "fax": party.fax}


def _default_rows(evaluation: Evaluation, investor: str) -> list[dict[str, Any]]:
    """Each kind's runs of this investor's default days (a day may carry two kinds;
    the periods below count it once)."""
    defaults = evaluation.default_days
    result = evaluation.damages[investor]
    if defaults is None:
        return []
    counted = iv.normalize((p.first.toordinal(), p.last.toordinal()) for p in result.periods)
    rows = []
    for kind, days in defaults.kinds.items():
        for exclusion in defaults.exclusions:
            if exclusion.applies(kind, investor):
                days = iv.subtract(days, exclusion.days)
        cited = _cited(evaluation.terms, SLOT_OF_KIND[kind])
        for run in iv.intersect(days, counted):
            first, last = iv.dates(run)
            rows.append({"kind": KIND_NAMES.get(kind, kind), "first": first, "last": last,
                         "days": run[1] - run[0] + 1, "cited": cited})
    rows.sort(key=lambda row: (row["first"], row["kind"]))
    return rows


def _excluded_rows(evaluation: Evaluation, investor: str) -> list[dict[str, Any]]:
    """Days that would be default days but are not (RRA 3(e), 3(g), 4), with the reason."""
    defaults = evaluation.default_days
    if defaults is None:
        return []
    rows = []
    terms = evaluation.terms
    for lapse in defaults.lapse_exclusions:
        for first, last, days in runs_of(lapse.days):
            rows.append({"first": first, "last": last, "days": days,
                         "reason": f"{lapse.reason}: not a Registration Default",
                         "cited": Cited(lapse.clause, cited_quote(terms, lapse.words))})
    raw = iv.union(*defaults.kinds.values())
    for exclusion in defaults.exclusions:
        if exclusion.investor not in (None, investor):
            continue
        kinds = "" if exclusion.kinds is None else " (effectiveness defaults only)"
        for first, last, days in runs_of(iv.intersect(raw, exclusion.days)):
            rows.append({"first": first, "last": last, "days": days, "reason": exclusion.reason + kinds,
                         "cited": Cited(exclusion.clause, cited_quote(terms, exclusion.words))})
    rows.sort(key=lambda row: row["first"])
    return rows


def _segment_rows(evaluation: Evaluation, investor: str) -> list[dict[str, Any]]:
    proration = evaluation.terms.liquidated_damages.proration
    rows = []
    for segment in evaluation.damages[investor].segments:
        if segment.full_period:
            divisor, divisor_note = "—", "whole first period (first_period = full)"
        elif proration == "actual_days_in_period":
            divisor, divisor_note = str(segment.divisor.numerator), "days in the period"
        elif proration == "thirty":
            divisor, divisor_note = "30", "proration = thirty"
        else:
            divisor, divisor_note = "365/12", "proration = actual_365"
        note = ""
        if segment.full_period:
            note = (f"owed whole on {segment.charged_on}" if segment.charged_on == segment.first else
                    f"charged whole on {segment.charged_on}")
        if segment.uncapped is not None:
            capped = f"cap reached {segment.last} (uncapped {exact_money(segment.uncapped)})"
            note = f"{note}; {capped}" if note else capped
        rows.append({
            "first": segment.first, "last": segment.last, "days": segment.days, "month": segment.month + 1,
            "month_first": segment.month_start, "month_last": segment.month_end - dt.timedelta(days=1),
            "rate": percent(segment.rate), "shares": share_count(segment.shares),
            "price_total": exact_money(segment.price_total), "divisor": divisor,
            "divisor_note": divisor_note, "amount": exact_money(segment.amount),
            "base": exact_money(segment.base_per_day), "note": note,
        })
    return rows


def _installment_rows(evaluation: Evaluation, investor: str) -> list[dict[str, Any]]:
    """PIPE-TERMS liquidated_damages.payment: each amount that falls due, paid oldest first."""
    rows = []
    for row in evaluation.damages[investor].installments:
        rows.append({"first": row.first, "last": row.last, "days": row.days,
                     "period": "" if row.period is None else row.period + 1, "amount": money(row.amount),
                     "exact": exact_money(row.exact), "projected": row.projected,
                     "accrued": exact_money(row.accrued_exact), "counted_from": row.counted_from, "due": row.due,
                     "paid": money(row.paid), "settled_on": row.settled_on, "status": row.status,
                     "source": row.source})
    return rows


def _late_rows(evaluation: Evaluation, investor: str) -> list[dict[str, Any]]:
    """PIPE-TERMS liquidated_damages.late_interest: each part paid late or unpaid, its days and interest."""
    rows = []
    for row in evaluation.damages[investor].installments:
        for portion in row.late:
            rows.append({"amount": money(portion.amount), "due": row.due, "start": portion.start,
                         "end": portion.end, "days": portion.days, "paid_on": portion.paid_on,
                         "interest": exact_money(portion.interest)})
    return rows


def _variants(evaluation: Evaluation, investor: str) -> dict[str, Any]:
    """What a deal's liquidated-damages terms add to the statement beyond FOCUS's: the base used, a
    cap, a payment schedule with its installments and credit, and late interest."""
    terms = evaluation.terms
    ld = terms.liquidated_damages
    result = evaluation.damages[investor]
    payment_unit = "calendar days" if ld.payment.unit == "calendar" else UNIT_WORDS[ld.payment.unit]
    counted = {"on_demand": "after the demand takes effect", "period_end": "after each period's last day (the "
               "last default day for a period the cure cuts short)", "period_start": "after each period's first day"}
    late = ld.late_interest
    return {
        "base": ld.base,
        "base_line": base_text(evaluation, investor),
        "base_cited": Cited(*block_citation(terms, "liquidated_damages")),
        "first_period_full": ld.first_period == "full",
        "cap": None if result.cap is None else {
            "text": cap_text(result), "reached_on": result.cap.reached_on,
            "amount": None if result.cap.amount is None else exact_money(result.cap.amount),
            "uncapped": exact_money(result.cap.uncapped),
            "cited": Cited(*block_citation(terms, "liquidated_damages.cap"))},
        "schedule": ld.payment.due,
        "schedule_words": f"{count_words(ld.payment.days)} {payment_unit} {counted[ld.payment.due]}",
        "schedule_cited": Cited(*block_citation(terms, "liquidated_damages.payment")),
        "installments": _installment_rows(evaluation, investor) if ld.payment.due != "on_demand" else [],
        "fallen_due": money(result.fallen_due),
        "credit": money(result.credit),
        "credit_any": result.credit > 0,
        "late": None if late == "none" else {
            "rate": percent(late.rate), "per": late.per,
            "daily": "rate / 365 a day" if late.per == "year" else "rate x 12 / 365 a day",
            "rows": _late_rows(evaluation, investor), "total": money(result.late_interest),
            "exact": exact_money(result.late_interest_exact),
            "cited": Cited(*block_citation(terms, "liquidated_damages.late_interest"))},
    }


def _reading_rows(evaluation: Evaluation) -> list[dict[str, Any]]:
    """The readings of the deal's [[ambiguities]] the damages rest on (none for a deal with none)."""
    rows = []
    for entry in evaluation.terms.ambiguities:
        if not affects_damages(entry):
            continue
        others = ", ".join(shown(v) for v in values(entry) if v != entry.value)
        rows.append({"key": entry.key, "value": shown(entry.value), "alternatives": others, "clause": entry.clause,
                     "question": entry.question or "", "text": entry.why,
                     "source": "command line" if entry.key in evaluation.readings else "terms file"})
    return rows


def _repurchase(evaluation: Evaluation, investor: str) -> dict[str, Any] | None:
    """RRA 3(e)(A): the Company's election to repurchase, and what it did to the damages."""
    repurchase = evaluation.repurchase
    if repurchase is None:
        return None
    if repurchase.status == "valid":
        amount = repurchase.amounts.get(investor)
        effect = (f"The repurchase replaces the liquidated damages of the default period that began "
                  f"{repurchase.default_start}" + (f"; the repurchase price for this investor is {money(amount)}"
                                                   if amount is not None else "") + ".")
    elif repurchase.status == "pending":
        effect = "Until it is paid, the damages are shown as if the election will fail."
    else:
        effect = "The damages accrue as if it had not been made."
    return {"elected_on": repurchase.elected_on, "status": repurchase.status, "reason": repurchase.reason,
            "effect": effect,
            "cited": _cited(evaluation.terms, "RRA 3(e)(A)", "RRA 3(e)(A) repurchase", "liquidated_damages.repurchase")}


def statement_context(
    evaluation: Evaluation, investor: str, *, letter: bool = False, today: dt.date | None = None,
    data_note: str | None = None, ledger_anchor: str | None = None,
) -> dict[str, Any]:
    """Everything the template prints, already formatted; no figure is computed here.

    ``ledger_anchor``: the head of the ledger the figures were read from
    (``pipedeal ledger anchor``), printed so a reader can later check with
    ``pipedeal verify --anchor`` that the ledger was not rolled back."""
    terms = evaluation.terms
    party = terms.investor(investor)
    if party is None:
        known = ", ".join(inv.id for inv in terms.investors)
        raise ValueError(f"no investor {investor!r} in the terms (investors: {known})")
    if investor not in evaluation.damages:
        raise ValueError(f"no liquidated damages were computed for {investor!r} as of "
                         f"{evaluation.as_of}: the Closing is not recorded")
    result = evaluation.damages[investor]
    if letter:
        if today is None:
            raise ValueError("a demand letter needs its date: pass today=")
        if today < evaluation.as_of:
            raise ValueError(f"the letter is dated {today}, before the figures' as-of date "
                             f"{evaluation.as_of}")
        if result.balance <= 0:
            raise ValueError(f"nothing to demand: {party.name}'s balance as of {evaluation.as_of} "
                             f"is {money(result.balance)}")
    ld = terms.liquidated_damages
    allocation = next((a for a in evaluation.allocations if a.investor == investor), None)
    defaults = evaluation.default_days
    periods = [{"first": p.first, "last": p.last, "days": p.days} for p in result.periods]
    continuing = bool(result.periods) and result.periods[-1].last == evaluation.as_of
    payment = ld.payment
    payment_days = payment.days
    demands = [{"date": d.date, "amount": money(d.amount), "due": d.due, "paid_by_due": money(d.paid_by_due),
                "status": d.status, "met_on": d.met_on} for d in result.demands]
    exact_total = result.accrued_exact
    payment_clause = _cited(terms, "RRA 3(e) payment", block="liquidated_damages.payment")
    return {
        "letter": letter,
        "today": today,
        "today_long": long_date(today) if today else None,
        "data_note": data_note,
        "ledger_anchor": ledger_anchor,
        "as_of": evaluation.as_of,
        "as_of_long": long_date(evaluation.as_of),
        "deal": {"title": terms.deal.title, "agreement_date": terms.deal.agreement_date,
                 "agreement_date_long": long_date(terms.deal.agreement_date),
                 "security": terms.deal.security, "ticker": terms.deal.issuer_ticker,
                 "market": terms.deal.principal_market_name or terms.deal.principal_market},
        "company": _party(terms.company),
        "investor": _party(party),
        "closing_date": evaluation.closing_date,
        "closing_shares": share_count(allocation.shares) if allocation else None,
        "default_rows": _default_rows(evaluation, investor),
        "periods": periods,
        "period_total_days": sum(p.days for p in result.periods),
        "overlap": _cited(terms, "RRA 3(e) overlap"),
        "continuing": continuing,
        "effectiveness_period": (
            {"end": defaults.period.end, "reason": defaults.period.reason,
             "cited": _cited(terms, "RRA 3(b)", block="registration.effectiveness_period")} if defaults else None),
        "excluded_rows": _excluded_rows(evaluation, investor),
        "repurchase": _repurchase(evaluation, investor),
        "segments": _segment_rows(evaluation, investor),
        "damages_chart": damages_chart(evaluation, [investor]),
        "rate_clause": _cited(terms, "RRA 3(e)(B) rate"),
        "market_clause": _cited(terms, "RRA 3(e)", f"RRA 3(e) market value {ld.market_value}" if ld.market_value
                                else "RRA 3(e)(B) rate"),
        "daily_clause": _cited(terms, "RRA 3(e)(B) daily"),
        "held_clause": _cited(terms, "RRA 3(e)(B) held"),
        "market_value": ld.market_value or ld.base,
        "day_count": ld.proration,
        "schedule_clock": ld.clock,
        "period_word": period_word(ld.period),
        "exact_total": exact_money(exact_total),
        "exact_total_fraction": exact_fraction(exact_total),
        "accrued": money(result.accrued),
        "demands": demands,
        "demanded": money(result.demanded),
        "paid": money(result.paid),
        "paid_any": result.paid > 0,
        "balance": money(result.balance),
        "due": result.due,
        "overdue": result.overdue,
        "payment_clause": payment_clause,
        "payment_where": agreement_section(payment_clause.clause),
        "collection": COLLECTION_WORDS in deal_words(terms),
        "collection_owed": collection_costs_owed(terms, result),
        "collection_clause": _cited(terms, COLLECTION_WORDS),
        "collection_where": agreement_section(cite(terms, COLLECTION_WORDS)),
        "payment_days": payment_days,
        "payment_days_words": f"{count_words(payment_days)} "
                              f"{'calendar days' if payment.unit == 'calendar' else UNIT_WORDS[payment.unit]}",
        "letter_due": count(today, payment_days, payment.unit, evaluation.calendars) if today else None,
        "letter_due_long": long_date(count(today, payment_days, payment.unit, evaluation.calendars))
        if today else None,
        "interpretations": _reading_rows(evaluation),
        "days_label": _plural,
        **_wording(terms),
        **_variants(evaluation, investor),
    }


def damages_chart(evaluation: Evaluation, investors: list[str]):
    """The damages accruing by month of ``investors`` (``outputs.charts``), as markup for a template:
    the statement shows its investor's, the deal summary every investor's."""
    from markupsafe import Markup

    from pipedeal.outputs.charts import damages_by_month_svg
    from pipedeal.outputs.explain import explain_json
    from pipedeal.outputs.report import to_json

    explained = explain_json(evaluation, investors, True)
    return Markup(damages_by_month_svg(to_json(evaluation), explained["explanations"], investors))


# --- rendering ----------------------------------------------------------------------------------

def _load_template(name: str) -> str:
    """A template shipped as package data (works from a wheel, a zip, an editable install)."""
    resource = importlib.resources.files("pipedeal.outputs.documents").joinpath("templates", name)
    if not resource.is_file():
        raise jinja2.TemplateNotFound(name)
    return resource.read_text(encoding="utf-8")


@functools.cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment of every pipedeal document: package templates, autoescape on."""
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_load_template),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["long_date"] = long_date
    return env


def render_statement_html(
    evaluation: Evaluation, investor: str, *, letter: bool = False, today: dt.date | None = None,
    data_note: str | None = None, ledger_anchor: str | None = None,
) -> str:
    """The LD statement of ``investor`` as of ``evaluation.as_of`` as one HTML document
    (styles inlined); with ``letter=True``, preceded by a demand letter dated ``today``.

    Raises ``ValueError`` for an unknown investor, a deal with no Closing, and a
    letter with no date, dated before the as-of date, or with nothing to demand.
    """
    context = statement_context(evaluation, investor, letter=letter, today=today, data_note=data_note,
                                ledger_anchor=ledger_anchor)
    return environment().get_template(TEMPLATE).render(**context)


def render_pdf(html: str) -> bytes:
    """Typeset ``html`` (as ``render_statement_html`` makes it) to PDF with WeasyPrint."""
    import weasyprint  # heavy, and needs Pango: only when a PDF is asked for

    return weasyprint.HTML(string=html).write_pdf(font_config=_font_config())


_FONTS = threading.local()


def _font_config() -> Any:
    """This thread's WeasyPrint font configuration, kept: a new one per document loads the fonts again,
    ~60 ms of a statement's ~300. One per thread, as Pango's font maps are not shared between threads
    (the web server typesets in its thread pool); no document declares a font of its own (@font-face)."""
    from weasyprint.text.fonts import FontConfiguration

    if getattr(_FONTS, "config", None) is None:
        _FONTS.config = FontConfiguration()
    return _FONTS.config
