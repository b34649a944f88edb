"""Liquidated damages explained clause by clause, as data.

``explain_damages`` turns one investor's computation into the steps a lawyer
would check: each default period and why, each excluded day and why, each
rate segment with the market value it used, the exact subtotal, the one
rounding, and the total, each citing its clause and the line of text it
applies. The CLI prints it, the LD statement typesets it; neither computes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from pipedeal.base import intervals as iv
from pipedeal.base.formats import exact_money, money, percent, share_count
from pipedeal.base.money import fraction_to_decimal, plain
from pipedeal.deal.clauses import block_citation, cite, cited_quote, deal_words, quoted
from pipedeal.engine.damages import (
    COLLECTION_WORDS,
    Installment,
    InvestorDamages,
    LatePortion,
    Segment,
    collection_costs_owed,
)
from pipedeal.engine.defaults import SLOT_OF_KIND
from pipedeal.engine.evaluate import Evaluation
from pipedeal.engine.registration import UNIT_WORDS


@dataclass(frozen=True)
class Line:
    """One step of an explanation: the clause, its words, and what was done."""

    section: str  # defaults | exclusions | segments | total | payments
    clause: str
    quote: str
    text: str
    amount: Decimal | None = None
    # The exact value behind ``amount`` when ``amount`` is cut to 10 places (a segment).
    exact: Fraction | None = None

    @property
    def amount_shown(self) -> str | None:
        """The amount as a reader sees it: every digit, ``…`` where a segment's exact value is cut."""
        if self.exact is not None:
            return exact_money(self.exact)
        return None if self.amount is None else exact_money(self.amount)


BASE_WORDS = {
    "market_value_held": "the market value of the registrable shares still held",
    "purchase_price_held": "the price paid for the registrable shares still held",
    "amount_invested": "the amount invested at the Closing",
    "fixed": "the fixed amount",
}


def _days(count: int) -> str:
    return f"{count} day{'s' * (count != 1)}"


def _capped(segment: Segment) -> str:
    if segment.uncapped is None:
        return ""
    return (f"; the cap is reached on {segment.last}: {exact_money(segment.amount)} of the "
            f"{exact_money(segment.uncapped)} these days would accrue")


def period_word(period: str) -> str:
    """PIPE-TERMS liquidated_damages.period, as a row names its period: a month (from the first
    default day, or a calendar month) or a 30-day period."""
    return "30-day period" if period == "thirty_days" else "month"


def segment_text(segment: Segment, proration: str, period: str) -> str:
    span = f"{segment.first} to {segment.last} ({_days(segment.days)}), {period_word(period)} {segment.month + 1}"
    if segment.full_period:
        if segment.charged_on != segment.first:
            return (f"{span}: nothing more: the whole first period was charged on {segment.charged_on} "
                    "(first_period = full)")
        if segment.base == "market_value_held":
            base = (f"{share_count(segment.shares)} shares x {exact_money(segment.price_total)} "
                    f"(the price on {segment.first}) = {exact_money(segment.base_total)}")
        else:
            base = f"{exact_money(segment.base_total)} ({BASE_WORDS[segment.base]})"
        return (f"{span}: the whole first period, owed on its first day {segment.first} (first_period = full, "
                f"prorated never): {percent(segment.rate)} x {base}{_capped(segment)}")
    if proration == "actual_days_in_period":
        per = (f"{segment.divisor.numerator} days in the period {segment.month_start} to "
               f"{segment.month_end - dt.timedelta(days=1)}")
    else:
        per = "30 (proration = thirty)" if proration == "thirty" else "365/12 (proration = actual_365)"
    if segment.base != "market_value_held":
        held = (f" for {share_count(segment.shares)} shares" if segment.base == "purchase_price_held" else "")
        return (f"{span}: {percent(segment.rate)} x {exact_money(segment.base_per_day)} a day "
                f"({BASE_WORDS[segment.base]}{held}) x {_days(segment.days)} / {per}{_capped(segment)}")
    average = segment.shares * segment.price_total / segment.days
    return (f"{span}: {percent(segment.rate)} x {share_count(segment.shares)} "
            f"shares x {exact_money(segment.price_total)} (sum of the day prices; market value "
            f"{exact_money(average)} a day on average) / {per}{_capped(segment)}")


def base_text(evaluation: Evaluation, investor: str) -> str:
    """PIPE-TERMS liquidated_damages.base and first_period, as a reader checks them."""
    ld = evaluation.terms.liquidated_damages
    result = evaluation.damages[investor]
    text = f"base: {ld.base}"
    if ld.base == "market_value_held":
        text += f" ({ld.market_value})" if ld.market_value else ""
    elif ld.base == "amount_invested":
        text += (f" ({exact_money(result.base_amount or 0)}: the investor's whole purchase price at the Closing, "
                 "not reduced by sales)")
    elif ld.base == "fixed":
        text += f" ({exact_money(result.base_amount or 0)} a period)"
    else:
        text += " (the price paid per registrable share still held: the Purchase Price, a cash exercise's " \
                "Exercise Price, zero for a cashless exercise)"
    text += f"; periods: {ld.period}, clock {ld.clock}; proration: {ld.proration}"
    if ld.first_period == "full":
        text += ("; first period: full (the whole first period " +
                 ("of the joined timeline" if ld.clock == "cumulative" else "of each run") +
                 " on its first day)")
    return text


def cap_text(result: InvestorDamages) -> str:
    """PIPE-TERMS liquidated_damages.cap: "per investor, over all defaults; accrual stops at the cap"."""
    cap = result.cap
    assert cap is not None
    measure = "" if cap.measure is None else f" {exact_money(cap.measure)}"
    amount = "" if cap.amount is None else f" = {exact_money(cap.amount)}"
    if cap.of != "amount_invested" and cap.measure is not None:
        measure += f" (on {cap.reached_on or 'the last default day'})"
    head = f"cap: {percent(cap.rate)} of {cap.of}{measure}{amount}"
    if cap.reached_on is None:
        return f"{head}; not reached: {exact_money(result.accrued_exact)} accrued"
    return (f"{head}; reached on {cap.reached_on}: accrual stops there ({_days(cap.days_after)} of default "
            f"after it accrue nothing; without the cap {exact_money(cap.uncapped)})")


def installment_text(row: Installment, payment) -> str:
    """PIPE-TERMS liquidated_damages.payment: one amount that falls due."""
    if row.source == "demand":
        head = f"demand of {row.first}: {money(row.amount)} beyond the demands before it"
    else:
        head = (f"period {row.period + 1 if row.period is not None else ''} default days {row.first} to {row.last} "
                f"({_days(row.days)}): {money(row.amount)} (exact {exact_money(row.exact)})")
        if row.projected:
            head += (f", projected to the period's end while the default runs on ({exact_money(row.accrued_exact)} "
                     "accrued so far)")
    if row.due is None:
        return head + "; not yet due"
    unit = "calendar days" if payment.unit == "calendar" else UNIT_WORDS[payment.unit]
    if row.source == "demand":
        counted = f"{payment.days} {unit} after the demand took effect {row.counted_from}"
    elif payment.due == "period_start":
        counted = f"{payment.days} {unit} after its first day {row.counted_from}"
    else:
        which = "the period's projected last day" if row.projected else "its last default day"
        counted = f"{payment.days} {unit} after {which} {row.counted_from}"
    settled = f", settled {row.settled_on}" if row.settled_on else ""
    return f"{head}; due {row.due} ({counted}); paid {money(row.paid)}{settled} ({row.status})"


def late_text(row: Installment, portion: LatePortion, rule) -> str:
    """PIPE-TERMS liquidated_damages.late_interest: "simple interest on an unpaid amount from the day
    after it is due to the day paid"."""
    per = ("rate / 365 a day" if rule.per == "year" else "rate x 12 / 365 a day")
    until = f"paid {portion.paid_on}" if portion.paid_on else "unpaid on the as-of date"
    return (f"late interest on {money(portion.amount)} due {row.due} ({until}): {portion.start} to {portion.end} "
            f"({_days(portion.days)}) x {percent(rule.rate)} per {rule.per} ({per})")


def explain_damages(evaluation: Evaluation, investor: str) -> list[Line]:
    result = evaluation.damages[investor]
    terms = evaluation.terms
    ld = terms.liquidated_damages
    words = deal_words(terms)
    defaults = evaluation.default_days
    lines: list[Line] = []
    if defaults is not None:
        runs = sorted((run, kind) for kind, days in defaults.kinds.items() for run in days)
        for run, kind in runs:
            slot = SLOT_OF_KIND[kind]
            first, last = iv.dates(run)
            lines.append(Line("defaults", cite(terms, slot), cited_quote(terms, slot),
                              f"{kind} default: {first} to {last} ({run[1] - run[0] + 1} days)"))
        excused = sorted((run, exclusion) for exclusion in defaults.lapse_exclusions for run in exclusion.days)
        for run, exclusion in excused:
            first, last = iv.dates(run)
            lines.append(Line("exclusions", exclusion.clause, cited_quote(terms, exclusion.words),
                              f"{first} to {last} ({run[1] - run[0] + 1} lapse day(s)) not a default: "
                              f"{exclusion.reason}"))
        period = defaults.period
        ends = f"ends {period.end}" if period.end else "has not ended"
        lines.append(Line("defaults", cite(terms, "RRA 3(b)", "registration.effectiveness_period"),
                          cited_quote(terms, "RRA 3(b)", "registration.effectiveness_period"),
                          f"Effectiveness Period {ends} ({period.reason})"))
    for excluded in result.excluded:
        lines.append(Line("exclusions", excluded.clause, cited_quote(terms, excluded.words),
                          f"{excluded.days} day(s) excluded: {excluded.reason}"))
    for period in result.periods:
        lines.append(Line("defaults", cite(terms, "RRA 3(e) overlap"), cited_quote(terms, "RRA 3(e) overlap"),
                          f"default period {period.first} to {period.last}: {period.days} day(s), "
                          "each counted once"))
    market_key = f"RRA 3(e) market value {ld.market_value}" if ld.market_value else "RRA 3(e)(B) rate"
    for segment in result.segments:
        lines.append(Line("segments", cite(terms, "RRA 3(e)(B) rate"), cited_quote(terms, "RRA 3(e)(B) rate"),
                          segment_text(segment, ld.proration, ld.period),
                          fraction_to_decimal(segment.amount), segment.amount))
    if result.segments:
        if ld.base == "market_value_held":
            lines.append(Line("segments", cite(terms, "RRA 3(e)"), quoted(market_key, words),
                              base_text(evaluation, investor)))
        else:
            lines.append(Line("segments", *block_citation(terms, "liquidated_damages"),
                              base_text(evaluation, investor), _exact_or_none(result.base_amount),
                              result.base_amount))
    if result.cap is not None:
        lines.append(Line("total", *block_citation(evaluation.terms, "liquidated_damages.cap"), cap_text(result),
                          _exact_or_none(result.cap.amount), result.cap.amount))
    lines.append(Line("total", cite(terms, "RRA 3(e)(B) daily"), cited_quote(terms, "RRA 3(e)(B) daily"),
                      f"sum of the segments {exact_money(result.accrued_exact)} "
                      "(exact; … marks a value cut at 10 places), rounded half-up once to the cent",
                      result.accrued))
    payment_clause = cite(terms, "RRA 3(e) payment", "liquidated_damages.payment")
    payment_words = cited_quote(terms, "RRA 3(e) payment", "liquidated_damages.payment")
    for demand in result.demands:
        due = f"due {demand.due}" if demand.due else "not due: the demand has not taken effect"
        if ld.payment.due != "on_demand":
            due = "no due date"
        lines.append(Line("payments", payment_clause, payment_words,
                          f"demanded {demand.date}: {money(demand.amount)}, {due} ({demand.status}); "
                          f"{demand.effect}", demand.amount))
    payment_cited = block_citation(evaluation.terms, "liquidated_damages.payment")
    if ld.payment.due != "on_demand":
        for row in result.installments:
            lines.append(Line("payments", *payment_cited, installment_text(row, ld.payment), row.amount))
    if result.paid:
        lines.append(Line("payments", payment_clause, payment_words,
                          f"paid {money(result.paid)}; balance {money(result.balance)}",
                          result.balance))
    if result.credit:
        lines.append(Line("payments", *payment_cited,
                          f"credit: {money(result.credit)} paid beyond the amounts owed (payments settle the oldest "
                          "amount first)", result.credit))
    if ld.late_interest != "none":
        late_cited = block_citation(evaluation.terms, "liquidated_damages.late_interest")
        for row in result.installments:
            for portion in row.late:
                lines.append(Line("payments", *late_cited, late_text(row, portion, ld.late_interest),
                                  fraction_to_decimal(portion.interest), portion.interest))
        lines.append(Line("payments", *late_cited,
                          f"late interest {exact_money(result.late_interest_exact)} (exact), rounded half-up once "
                          "to the cent", result.late_interest))
    if collection_costs_owed(terms, result):
        lines.append(Line("payments", cite(terms, COLLECTION_WORDS), cited_quote(terms, COLLECTION_WORDS),
                          f"overdue since {result.due}: costs of collection are payable"))
    elif result.overdue:
        lines.append(Line("payments", payment_clause, payment_words,
                          f"overdue since {result.due}"))
    return lines


def _exact_or_none(value: Fraction | None) -> Decimal | None:
    return None if value is None else fraction_to_decimal(value)


def explain_json(evaluation: Evaluation, investors: list[str], with_steps: bool) -> dict[str, object]:
    """The ``pipedeal ld --json`` document: per investor the figures, and with
    ``--explain`` the segments and the cited steps."""
    from pipedeal.outputs.report import to_json

    data = to_json(evaluation)
    # Before the Closing is known (``--known-on`` before it was recorded) no investor has damages yet.
    investors = [investor for investor in investors if investor in evaluation.damages]
    result: dict[str, object] = {
        "deal": data["deal"],
        "as_of": data["as_of"],
        "registration_defaults": data["registration_defaults"],
        "lapse_exclusions": data["lapse_exclusions"],
        "interpretations": data["interpretations"],
        "liquidated_damages": {investor: data["liquidated_damages"][investor] for investor in investors},
    }
    if with_steps:
        result["explanations"] = {
            investor: {
                "segments": [
                    {"start": s.first.isoformat(), "end": s.last.isoformat(), "days": s.days,
                     "month": s.month + 1, "month_start": s.month_start.isoformat(),
                     "month_end": (s.month_end - dt.timedelta(days=1)).isoformat(),
                     "rate": plain(s.rate), "divisor": plain(fraction_to_decimal(s.divisor)),
                     "shares": plain(fraction_to_decimal(s.shares)),
                     "price_total": plain(fraction_to_decimal(s.price_total)),
                     "amount": plain(fraction_to_decimal(s.amount)),
                     "base": s.base, "base_total": plain(fraction_to_decimal(s.base_total)),
                     "full_period": s.full_period, "charged_on": s.charged_on.isoformat() if s.charged_on else None,
                     "uncapped": None if s.uncapped is None else plain(fraction_to_decimal(s.uncapped))}
                    for s in evaluation.damages[investor].segments
                ],
                "steps": [
                    {"section": line.section, "clause": line.clause, "quote": line.quote, "text": line.text,
                     "amount": None if line.amount is None else plain(line.amount)}
                    for line in explain_damages(evaluation, investor)
                ],
            }
            for investor in investors
        }
    return result
