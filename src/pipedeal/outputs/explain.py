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
from pipedeal.deal.clauses import deal_words, quoted, quoted_or_empty
from pipedeal.engine.damages import Segment
from pipedeal.engine.defaults import CLAUSE_OF_KIND
from pipedeal.engine.evaluate import Evaluation


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


def segment_text(segment: Segment, proration: str) -> str:
    if proration == "actual_days_in_period":
        per = (f"{segment.divisor.numerator} days in the period {segment.month_start} to "
               f"{segment.month_end - dt.timedelta(days=1)}")
    else:
        per = "30 (proration = thirty)" if proration == "thirty" else "365/12 (proration = actual_365)"
    average = segment.shares * segment.price_total / segment.days
    return (f"{segment.first} to {segment.last} ({segment.days} day{'s' * (segment.days != 1)}), "
            f"month {segment.month + 1}: {percent(segment.rate)} x {share_count(segment.shares)} "
            f"shares x {exact_money(segment.price_total)} (sum of the day prices; market value "
            f"{exact_money(average)} a day on average) / {per}")


def explain_damages(evaluation: Evaluation, investor: str) -> list[Line]:
    result = evaluation.damages[investor]
    ld = evaluation.terms.liquidated_damages
    words = deal_words(evaluation.terms)
    defaults = evaluation.default_days
    lines: list[Line] = []
    if defaults is not None:
        runs = sorted((run, kind) for kind, days in defaults.kinds.items() for run in days)
        for run, kind in runs:
            clause = CLAUSE_OF_KIND[kind]
            first, last = iv.dates(run)
            lines.append(Line("defaults", clause, quoted(clause, words),
                              f"{kind} default: {first} to {last} ({run[1] - run[0] + 1} days)"))
        excused = sorted((run, exclusion) for exclusion in defaults.lapse_exclusions for run in exclusion.days)
        for run, exclusion in excused:
            first, last = iv.dates(run)
            key = "RRA 3(e) financial statements" if exclusion.window else "RRA 3(g) cap"
            lines.append(Line("exclusions", exclusion.clause, quoted(key, words),
                              f"{first} to {last} ({run[1] - run[0] + 1} lapse day(s)) not a default: "
                              f"{exclusion.reason}"))
        period = defaults.period
        ends = f"ends {period.end}" if period.end else "has not ended"
        lines.append(Line("defaults", "RRA 3(b)", quoted("RRA 3(b)", words),
                          f"Effectiveness Period {ends} ({period.reason})"))
    for reason, clause, count in result.excluded:
        key = "RRA 3(e)(ii) underwriters" if "underwriter" in reason else clause
        lines.append(Line("exclusions", clause, quoted_or_empty(key, words),
                          f"{count} day(s) excluded: {reason}"))
    for period in result.periods:
        lines.append(Line("defaults", "RRA 3(e)", quoted("RRA 3(e) overlap", words),
                          f"default period {period.first} to {period.last}: {period.days} day(s), "
                          "each counted once"))
    market_key = f"RRA 3(e) market value {ld.market_value}" if ld.market_value else "RRA 3(e)(B) rate"
    for segment in result.segments:
        lines.append(Line("segments", "RRA 3(e)(B)", quoted("RRA 3(e)(B) rate", words),
                          segment_text(segment, ld.proration),
                          fraction_to_decimal(segment.amount), segment.amount))
    if result.segments:
        lines.append(Line("segments", "RRA 3(e)", quoted(market_key, words),
                          f"base: {ld.base}" + (f" ({ld.market_value})" if ld.market_value else "")
                          + f"; periods: {ld.period}, clock {ld.clock}; proration: {ld.proration}"))
    lines.append(Line("total", "RRA 3(e)(B)", quoted("RRA 3(e)(B) daily", words),
                      f"sum of the segments {exact_money(result.accrued_exact)} "
                      "(exact; … marks a value cut at 10 places), rounded half-up once to the cent",
                      result.accrued))
    for demand in result.demands:
        due = f"due {demand.due}" if demand.due else "not due: the demand has not taken effect"
        lines.append(Line("payments", "RRA 3(e)", quoted("RRA 3(e) payment", words),
                          f"demanded {demand.date}: {money(demand.amount)}, {due} ({demand.status}); "
                          f"{demand.effect}", demand.amount))
    if result.paid:
        lines.append(Line("payments", "RRA 3(e)", quoted("RRA 3(e) payment", words),
                          f"paid {money(result.paid)}; balance {money(result.balance)}",
                          result.balance))
    if result.overdue:
        lines.append(Line("payments", "RRA 3(e)", quoted("RRA 3(e) collection", words),
                          f"overdue since {result.due}: costs of collection are payable"))
    return lines


def explain_json(evaluation: Evaluation, investors: list[str], with_steps: bool) -> dict[str, object]:
    """The ``pipedeal ld --json`` document: per investor the figures, and with
    ``--explain`` the segments and the cited steps."""
    from pipedeal.outputs.report import to_json

    data = to_json(evaluation)
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
                     "amount": plain(fraction_to_decimal(s.amount))}
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
