"""Open Cap Format (OCF 1.2) export: the deal's issuer, holders, Common Stock and every
transaction on the Shares and Warrants, as the JSON files of an OCF package.

``build_bundle`` maps an evaluation to ``{file name: JSON object}``; ``write_bundle``
writes them (pretty-printed, sorted keys, so the manifest's MD5s are reproducible);
``validate_bundle`` checks them against the official OCF JSON schemas, offline: every
schema's ``$id`` is mapped to the local file, and a ``$ref`` that is not there is an
error, never a download.

**What it reads.** The evaluation, and of the deal's history only its timeline
(``evaluation.timeline``, the fold's dated state): the register's certificates (their
origin and parents, when and how each left the register and the shares it had then),
the exercise figures, the Notices of Adjustment (W 13) and their rows, the W 12
reduction periods, the Exercise Price in force (``Timeline.exercise_price``), the
factors, the authorized Common and the financings. It walks no event log and keeps no
price, split factor or share count of its own: each figure it writes is one the timeline
holds, and the export checks that its securities end where the register does.

**Dates.** Each transaction carries the day the timeline gives its effect:

- the Closing issuances: the Closing Date;
- exercises, transfers, divisions, combinations and replacements: the day the
  certificate left the register;
- a Warrant cancelled and reissued for a W 11 adjustment (a split, stock dividend,
  reverse split, reclassification or merger): the adjustment's ``effective_from``, the
  record date when there is one (W 11: "retroactive to the record date");
- the stock class split: the effective date of the split (the notice's ``date``), when
  the new shares are distributed and the Common outstanding changes
  (``Timeline.capital_factor``). A split with a record date before its effective date
  therefore shows the Warrants adjusted on the record date and the Common split on the
  effective date; one whose effective date is after the as-of date is noted, not split;
- the authorized shares: the day ``Timeline.authorized`` changes (with the adjustment);
- a Warrant reissued for a W 12 reduction: the reduction's first day and the day after
  its last, from the start of the day (the price in force is a price for the day);
- a Warrant reissued for a price-based anti-dilution adjustment: the day of the issue
  below the Exercise Price (the financing), with its Notice's computation.

On one day, the register's changes and the day's W 11 adjustments are written in the
order the fold applied them, which the Notices record: a certificate in a notice's rows
was outstanding when the adjustment applied.

Where OCF has no transaction for a Warrant event (a partial exercise leaving a new
Warrant for the rest, a W 11 adjustment, a W 12 price reduction, an anti-dilution
adjustment, a W 7(b) division or combination, a W 9 replacement, a W 11
reorganization), the Warrant is exported as
cancelled and reissued, the computation in the new security's ``comments``. Ids are
stable: ``<deal>:W-4`` is certificate W-4, ``<deal>:W-1:v2`` the second OCF security of
W-1 (after an adjustment), ``<deal>:issuance:raptor`` the Closing issuance to Raptor.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from pipedeal import __version__
from pipedeal.base import formats
from pipedeal.base.money import fraction_to_decimal, money_str, plain, to_ten_places
from pipedeal.deal.clauses import cite, cite_all, cite_or_rule, deal_words, is_numbered, quoted
from pipedeal.deal.terms import Party, Terms
from pipedeal.engine.evaluate import Evaluation
from pipedeal.engine.pricing import PURCHASE_SLOTS, RESERVE_SLOTS
from pipedeal.engine.timeline import Certificate, Timeline
from pipedeal.engine.warrants import (
    ANTI_DILUTION_WORDS,
    CASHLESS_PRICE_WORDS,
    TERMINATION_ROLL_RULE,
    AdjustmentNotice,
    AdjustmentRow,
    ExerciseResult,
    cashless_start,
    window_clause,
)

# The ``ocf_version`` the official schemas accept (OCFManifestFile.schema.json, const).
OCF_VERSION = "1.2.1-alpha+main"
MANIFEST_FILE = "Manifest.ocf.json"
STAKEHOLDERS_FILE = "Stakeholders.ocf.json"
STOCK_CLASSES_FILE = "StockClasses.ocf.json"
TRANSACTIONS_FILE = "Transactions.ocf.json"
CURRENCY = "USD"

_FILE_TYPES = {
    MANIFEST_FILE: "OCF_MANIFEST_FILE",
    STAKEHOLDERS_FILE: "OCF_STAKEHOLDERS_FILE",
    STOCK_CLASSES_FILE: "OCF_STOCK_CLASSES_FILE",
    TRANSACTIONS_FILE: "OCF_TRANSACTIONS_FILE",
}
_SUBDIVISION = re.compile(r"^[A-Z0-9]{1,3}$")
# The W 11(a) adjustments that change the count (the notice kinds); a merger (W 11
# reorganization) keeps it and changes what a warrant share buys.
_RECAPITALIZATIONS = frozenset({"stock_split", "stock_dividend", "reverse_split", "reclassification"})
_W12 = "price_reduction"
_ANTI_DILUTION = "anti_dilution"
_ONE_DAY = dt.timedelta(days=1)


class OcfExportError(ValueError):
    """The export disagrees with the warrant register it was built from."""


@dataclass(frozen=True)
class IssuerFacts:
    """What OCF's Issuer object requires that a terms file does not record."""

    country_of_formation: str
    subdivision_of_formation: str | None
    formation_date: dt.date | None
    source: str


# Facts of the bundled deals that no key of the terms records: (country, subdivision, the
# key of the deal's words that say so, and the FOCUS slots of the clauses that do).
KNOWN_ISSUERS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "focus-1999": ("US", "DE", "SPA preamble Delaware", ("SPA preamble Delaware", "SPA 4.1")),
}

# The securities-law exemption of a bundled deal's sale, which no key of the terms records: its
# description, and the FOCUS slots of the clauses that state it. A deal not listed exports none.
KNOWN_EXEMPTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "focus-1999": ("Section 4(2) and/or 4(6) of the Securities Act and/or Regulation D",
                   ("SPA recitals exemption", "SPA 4.6")),
}

# Where each investor's subscription is stated in a bundled deal's agreement.
KNOWN_SUBSCRIPTIONS: dict[str, str] = {"focus-1999": "signature page"}


def known_issuer(evaluation: Evaluation) -> IssuerFacts | None:
    terms = evaluation.terms
    entry = KNOWN_ISSUERS.get(terms.deal.name)
    if entry is None:
        return None
    country, subdivision, key, slots = entry
    return IssuerFacts(country, subdivision, None,
                       f"{cite_all(terms, *slots, sep='; ')}: {quoted(key, deal_words(terms))}")


def _exemptions(terms: Terms) -> list[dict[str, str]]:
    entry = KNOWN_EXEMPTIONS.get(terms.deal.name)
    if entry is None:
        return []
    description, slots = entry
    return [{"description": f"{description} ({cite_all(terms, *slots, sep='; ')})", "jurisdiction": "US"}]


def reorganization(terms: Terms) -> str:
    """The clause of a merger's adjustment, "W 11 (reorganization)" in FOCUS's numbering."""
    return f"{cite(terms, 'W 11 merger')} (reorganization)"


# --- numbers -------------------------------------------------------------------------------

def numeric(value: Fraction | Decimal | int) -> str:
    """OCF ``Numeric``: a plain decimal string with at most 10 places (half-up beyond)."""
    exact = fraction_to_decimal(Fraction(value))
    if exact.as_tuple().exponent < -10:  # type: ignore[operator]
        exact = to_ten_places(exact)
    return plain(exact)


def monetary(amount: Fraction | Decimal | int) -> dict[str, str]:
    """OCF ``Monetary``: ``{amount, currency}``, at least two places ("1.60", "1.80125")."""
    return {"amount": money_str(Decimal(numeric(amount))), "currency": CURRENCY}


# Comments are prose: they spell figures as every other output does (base.formats).
_shares = formats.share_count
_price = formats.price
_money = formats.money


def _ratio(factor: Fraction) -> tuple[str, str]:
    """``(new, old)`` of a W 11(a) factor: 3/2 is a 3-for-2 split."""
    return str(factor.numerator), str(factor.denominator)


# --- reading one day of the timeline -----------------------------------------------------------

class _Day:
    """One day of the timeline and the W 11 adjustments that applied on it, in order.

    A register change at *position* ``p`` came after ``p`` of the day's adjustments. The
    notices' rows say where each change falls: a certificate in the rows of adjustment
    ``j`` was outstanding when it applied, so it left the register after it; one in no
    row left before the first adjustment after its issue."""

    def __init__(self, day: dt.date, adjustments: list[AdjustmentNotice], timeline: Timeline):
        self.day = day
        self.adjustments = adjustments
        self.timeline = timeline
        self.rows: list[dict[str, AdjustmentRow]] = [{row.warrant: row for row in notice.rows}
                                                     for notice in adjustments]

    def closed_at(self, cert: Certificate) -> int:
        """The position at which ``cert`` left the register on this day."""
        outstanding_at = [j for j, rows in enumerate(self.rows) if cert.id in rows]
        return outstanding_at[-1] + 1 if outstanding_at else self.issued_at(cert)

    def issued_at(self, cert: Certificate) -> int:
        """The position at which ``cert`` was issued (0 when issued on an earlier day)."""
        if cert.issue_date != self.day or not cert.parents:
            return 0
        return self.closed_at(self.timeline.certificates[cert.parents[0]])

    def shares(self, cert: Certificate, position: int) -> Fraction:
        """The warrant shares of ``cert`` at ``position``: the next adjustment's row, else
        (gone before it) the shares it left with, else the register's at the end of the day."""
        if position < len(self.rows):
            row = self.rows[position].get(cert.id)
            if row is not None:
                return row.shares_before
            if cert.closing_shares is None:
                raise OcfExportError(f"{cert.id} is missing from the Notice of Adjustment of "
                                     f"{self.adjustments[position].date} while outstanding")
            return cert.closing_shares
        return self.timeline.certificate_on(cert, self.day).shares

    def price(self, position: int) -> Decimal | None:
        """The Exercise Price in force at ``position``: before an adjustment, the price its
        Notice adjusts (None when no Warrant was outstanding to show it); after the day's
        last, the timeline's price for the day."""
        if position < len(self.adjustments):
            rows = self.adjustments[position].rows
            return rows[0].price_before if rows else None
        return self.timeline.exercise_price(self.day)


# --- the export ----------------------------------------------------------------------------

@dataclass
class _Version:
    """One OCF warrant security: a register certificate between two reissuances."""

    security_id: str
    cert: str
    holder: str
    shares: Fraction
    price: Decimal


# (position, kind: Closing, register change, adjustment, certificate number), the change
_Step = tuple[tuple[int, int, int], Callable[[], None]]


class _Export:
    """The transactions of the package, written day by day from the timeline."""

    def __init__(self, evaluation: Evaluation):
        self.evaluation = evaluation
        self.timeline = timeline = evaluation.timeline
        self.terms = evaluation.terms
        self.deal = self.terms.deal.name
        self.as_of = evaluation.as_of
        self.window = timeline.exercise_window or (evaluation.as_of, evaluation.as_of)
        if timeline.closing_date is not None and timeline.base_exercise_price is None:
            raise OcfExportError("no Exercise Price: the deal has no pricing (Closing bids missing?)")
        self.items: list[dict[str, Any]] = []
        self.ids: set[str] = set()
        self.current: dict[str, _Version] = {}  # the security of each certificate on the register
        self.closed: set[str] = set()  # certificates whose security was cancelled, exercised or transferred
        self.version_numbers: dict[str, int] = {}
        self.notes: list[str] = []
        self.basket: tuple[tuple[str, Decimal], ...] = ()  # W 11 (reorganization): what a warrant share buys
        self.results: dict[tuple[str, dt.date], ExerciseResult] = {
            (result.warrant, result.date): result for result in timeline.exercises}
        self.children: dict[str, list[Certificate]] = {}  # in number order: the register numbers in issue order
        for cert in timeline.certificates.values():
            for parent in cert.parents:
                self.children.setdefault(parent, []).append(cert)
        # The timeline's changes by day (``run``).
        self.adjustments: dict[dt.date, list[AdjustmentNotice]] = {}  # W 11, on their effective_from
        self.distributions: dict[dt.date, list[AdjustmentNotice]] = {}  # shares split after the record date
        self.closures: dict[dt.date, list[Certificate]] = {}
        self.authorized: dict[dt.date, int] = {}
        self.boundaries: set[dt.date] = set()
        self.common = f"{self.deal}:common"
        self.exemptions = _exemptions(self.terms)

    def cite(self, slot: str, block: str | None = None) -> str:
        """The deal's own clause for the FOCUS slot ``slot`` (``clauses.cite``)."""
        return cite(self.terms, slot, block)

    # ids ----------------------------------------------------------------------------------
    def local(self, security_id: str) -> str:
        return security_id.removeprefix(f"{self.deal}:")

    def tx_id(self, kind: str, subject: str) -> str:
        base = f"{self.deal}:{kind}:{subject}"
        candidate, n = base, 1
        while candidate in self.ids:
            n += 1
            candidate = f"{base}-{n}"
        self.ids.add(candidate)
        return candidate

    def next_security_id(self, cert_id: str) -> tuple[str, int]:
        """``<deal>:W-1`` for a certificate's first OCF security, ``<deal>:W-1:v2`` after."""
        number = self.version_numbers.get(cert_id, 0) + 1
        return f"{self.deal}:{cert_id}" + (f":v{number}" if number > 1 else ""), number

    def stakeholder_id(self, party: str) -> str:
        return f"{self.deal}:stakeholder:{party}"

    # the walk -------------------------------------------------------------------------------
    def run(self) -> list[dict[str, Any]]:
        """Every day on which the timeline changes something the package shows, in order."""
        timeline, as_of = self.timeline, self.as_of
        for notice in timeline.adjustments:
            if notice.kind == _W12:
                continue  # a W 12 reduction moves the price on its boundaries, not on its notice's day
            self.adjustments.setdefault(notice.effective_from, []).append(notice)
            if notice.kind in _RECAPITALIZATIONS and notice.effective_from < notice.date:
                if notice.date <= as_of:
                    self.distributions.setdefault(notice.date, []).append(notice)
                else:
                    self.notes.append(
                        f"The {notice.kind.replace('_', ' ')} of {notice.date} (record date {notice.record_date}) "
                        f"takes effect after {as_of}: the Warrants are adjusted from the record date "
                        f"({self.cite('W 11')}), "
                        "the Common Stock is not yet split.")
        for cert in timeline.certificates.values():
            # An expiry has no OCF transaction: the warrant_expiration_date says it.
            if cert.closed_on is not None and cert.status != "expired":
                self.closures.setdefault(cert.closed_on, []).append(cert)
        self.authorized = {day: shares for day, shares in timeline.authorized.changes() if day <= as_of}
        self.boundaries = self.w12_boundaries()
        days = {*self.adjustments, *self.distributions, *self.closures, *self.authorized, *self.boundaries}
        if timeline.closing_date is not None:
            days.add(timeline.closing_date)
        for day in sorted(d for d in days if d <= as_of):
            self.one_day(_Day(day, self.adjustments.get(day, []), timeline))
        self.check_register()
        return self.items

    def one_day(self, order: _Day) -> None:
        """The fold's order within a day: what happens at its start (a W 12 boundary, the
        shares of a split with an earlier record date distributed), then the Closing, the
        register's changes and the W 11 adjustments, each change at its position."""
        day = order.day
        if day in self.boundaries:
            self.reprice(order)
        for notice in self.distributions.get(day, ()):
            self.split(notice)
        if day in self.authorized:
            self.authorize(day, self.authorized[day], order)
        steps: list[_Step] = []
        if day == self.timeline.closing_date:
            steps.append(((0, 0, 0), functools.partial(self.closing, order)))
        for cert in self.closures.get(day, ()):
            position = order.closed_at(cert)
            steps.append(((position, 1, _number(cert.id)[0]), functools.partial(self.close, cert, order, position)))
        for position, notice in enumerate(order.adjustments):
            steps.append(((position, 2, 0), functools.partial(self.adjust, notice, order)))
        for _, step in sorted(steps, key=lambda found: found[0]):
            step()

    def w12_boundaries(self) -> set[dt.date]:
        """W 12: the days the price in force moves, the first day of each reduction and the day
        after its last; none after the last exercise day (the Warrants have expired)."""
        last = self.timeline.last_exercise_day
        return {day for start, end, _ in self.timeline.reductions for day in (start, end + _ONE_DAY)
                if day <= last}

    def close(self, cert: Certificate, order: _Day, position: int) -> None:
        """The register's change that took ``cert`` off it, by how it left."""
        if cert.id in self.closed:
            return  # a combination takes all its Warrants at once
        status = cert.status
        if status == "exercised":
            self.exercise(cert, order, position)
        elif status == "transferred":
            self.transfer(cert, order, position)
        elif status == "divided":
            self.divide(cert, order, position)
        elif status == "combined":
            self.combine(cert, order, position)
        elif status.startswith("replaced"):
            self.replace(cert, order, position)
        else:
            raise OcfExportError(f"{cert.id} left the register on {cert.closed_on} as {status!r}, "
                                 "which the export does not know")

    def made_from(self, cert: Certificate, origin: str) -> list[Certificate]:
        """The certificates the register issued in exchange for ``cert``, of one origin."""
        return [child for child in self.children.get(cert.id, ()) if child.origin == origin]

    def take(self, cert: Certificate) -> _Version:
        """The security of ``cert``, leaving the register with the shares it had then."""
        version = self.current.pop(cert.id, None)
        if version is None:
            raise OcfExportError(f"{cert.id} is not an outstanding warrant in the export when it leaves the register")
        if version.shares != cert.closing_shares:
            raise OcfExportError(f"{cert.id} left the register with {_shares(cert.closing_shares or 0)} shares; "
                                 f"the export has {_shares(version.shares)}")
        self.closed.add(cert.id)
        return version

    def outstanding(self) -> list[_Version]:
        return sorted(self.current.values(), key=lambda version: _number(version.cert))

    # closing --------------------------------------------------------------------------------
    def closing(self, order: _Day) -> None:
        """SPA 2.1(a)(i): each Investor's Shares at the Purchase Price and one Warrant."""
        day = order.day
        price = self.evaluation.pricing.purchase_price if self.evaluation.pricing else (
            self.terms.pricing.purchase_price)
        by_holder = {cert.holder: cert for cert in self.timeline.certificates.values()
                     if cert.origin == "closing"}
        pricing = self.timeline.pricing
        exercise_price = order.price(0)
        if exercise_price is None:
            exercise_price = self.timeline.exercise_price(day)
        assert exercise_price is not None  # the base price was checked when the export began
        coverage = numeric(self.terms.pricing.warrant_coverage * 100)
        closing = self.cite("SPA 2.1(a)(i)", "pricing")
        legend = self.cite("SPA 9.1")
        for allocation in self.evaluation.allocations:
            investor = allocation.investor
            cert = by_holder.get(investor)
            if cert is None:
                raise OcfExportError(f"no Closing warrant for {investor} in the register")
            self.items.append({
                "object_type": "TX_STOCK_ISSUANCE",
                "id": self.tx_id("issuance", investor),
                "security_id": f"{self.deal}:shares:{investor}",
                "date": day.isoformat(),
                "custom_id": f"CS-{investor}",
                "stakeholder_id": self.stakeholder_id(investor),
                "stock_class_id": self.common,
                "share_price": monetary(price),
                "quantity": numeric(allocation.shares),
                "stock_legend_ids": [],
                "security_law_exemptions": self.exemptions,
                "consideration_text": f"{_money(allocation.subscription)} subscription ({closing}), for "
                                      f"the Shares and a Warrant",
                "comments": [
                    f"{cite_all(self.terms, *reversed(PURCHASE_SLOTS), abbreviate=True)}: "
                    f"{_money(allocation.subscription)} / {_price(price)} = "
                    f"{allocation.shares:,} Shares at the Purchase Price"
                    if allocation.warrant_purchase_price is None else
                    f"{cite(self.terms, 'SPA 2.1(a)', 'pricing')}: {_money(allocation.subscription)} = "
                    f"{allocation.shares:,} Shares x {_price(price)} + {allocation.warrant_shares:,} warrant shares "
                    f"x {_price(allocation.warrant_purchase_price)}",
                    f"Issued with Warrant {cert.id} for {allocation.warrant_shares:,} shares ({coverage}% coverage)",
                    *([f"The certificates bear the Legend of {legend} (not exported as a stock legend template)"]
                      if is_numbered(legend) else []),
                ],
            })
            price_text = _price(exercise_price)
            if pricing is not None and pricing.exercise_price_exact != pricing.exercise_price:
                price_text = f"{_price(pricing.exercise_price_exact)}, rounded to {price_text}"
            multiple = self.terms.warrants.exercise_price_multiple
            exercise_clause = self.cite("W preamble exercise price", "warrants")
            basis = (f"{exercise_clause}: Exercise Price = {numeric(multiple * 100)}% of the Market Price "
                     f"{_price(pricing.market_price) if pricing and pricing.market_price else '?'} = {price_text} "
                     f"(exercise_price_rounding = {self.terms.warrants.exercise_price_rounding})"
                     if multiple is not None else f"{exercise_clause}: Exercise Price fixed by the terms: {price_text}")
            unit_price = allocation.warrant_purchase_price
            if unit_price is None:
                consideration = (f"Issued at the Closing with the Shares for the Investor's subscription ({closing}); "
                                 "the agreement allocates no separate price to the Warrant")
                paid = Decimal(0)
            else:
                paid = unit_price * allocation.warrant_shares
                consideration = (f"Issued at the Closing with the Shares for the Investor's subscription ({closing}), "
                                 f"of which {_money(paid)} ({allocation.warrant_shares:,} warrant shares x "
                                 f"{_price(unit_price)}) is the Warrant's purchase price")
            self.issue(cert, order.shares(cert, 0), exercise_price, day, [
                basis,
                f"{self.cite('SPA recitals', 'pricing')}: {coverage}% of {allocation.shares:,} Shares = "
                f"{allocation.warrant_shares:,} warrant shares",
            ], consideration=consideration, purchase_price=paid)

    # warrant securities ---------------------------------------------------------------------
    def issue(self, cert: Certificate, shares: Fraction, price: Decimal, day: dt.date, comments: list[str], *,
              consideration: str | None = None, part_of: _Version | None = None,
              purchase_price: Decimal = Decimal(0)) -> _Version:
        """A TX_WARRANT_ISSUANCE for the next OCF security of ``cert`` (or, with ``part_of``,
        for the part of a Warrant exercised, which the register does not number); ``purchase_price``:
        what the Warrant itself cost (a unit deal's Closing issuance; a reissue costs nothing)."""
        if part_of is not None:
            security_id = f"{part_of.security_id}:exercised"
        else:
            security_id, self.version_numbers[cert.id] = self.next_security_id(cert.id)
        version = _Version(security_id, cert.id, cert.holder, shares, price)
        item: dict[str, Any] = {
            "object_type": "TX_WARRANT_ISSUANCE",
            "id": self.tx_id("issuance", self.local(security_id)),
            "security_id": security_id,
            "date": day.isoformat(),
            "custom_id": cert.id,
            "stakeholder_id": self.stakeholder_id(version.holder),
            "security_law_exemptions": self.exemptions,
            "quantity": numeric(shares),
            "quantity_source": "INSTRUMENT_FIXED",
            "exercise_price": monetary(price),
            "purchase_price": monetary(purchase_price),
            "exercise_triggers": self.triggers(version, cert),
            "warrant_expiration_date": self.window[1].isoformat(),
            "comments": comments,
        }
        if consideration:
            item["consideration_text"] = consideration
        self.items.append(item)
        if part_of is None:
            self.current[cert.id] = version
        return version

    def triggers(self, version: _Version, cert: Certificate) -> list[dict[str, Any]]:
        warrants = self.terms.warrants
        if self.basket:
            other = ", ".join(f"{plain(quantity)} {asset}" for asset, quantity in self.basket)
            cash_mechanism: dict[str, Any] = {
                "type": "CUSTOM_CONVERSION",
                "custom_conversion_description": f"{reorganization(self.terms)}: each warrant share buys the "
                                                 f"Other Property a share of Common Stock received: {other}",
            }
        else:
            cash_mechanism = {"type": "FIXED_AMOUNT_CONVERSION", "converts_to_quantity": numeric(version.shares)}
        price_rule = warrants.cashless_price or "prior_day_high_low_mean"
        cash_right: dict[str, Any] = {"type": "WARRANT_CONVERSION_RIGHT", "conversion_mechanism": cash_mechanism}
        cashless_right: dict[str, Any] = {
            "type": "WARRANT_CONVERSION_RIGHT",
            "conversion_mechanism": {
                "type": "CUSTOM_CONVERSION",
                "custom_conversion_description":
                    f"{self.cite('W 3 cashless')}: (A - B) x X / A shares of Common Stock, where A = "
                    f"{CASHLESS_PRICE_WORDS[price_rule]} (cashless_price = {price_rule}), B = the Exercise Price and "
                    f"X = the warrant shares surrendered (up to {_shares(version.shares)}); {self.cite('W 4')}: no "
                    f"fractional shares, cash instead (fraction_cash = {self.terms.warrants.fraction_cash})",
            },
        }
        if not self.basket:
            cash_right["converts_to_stock_class_id"] = self.common
            cashless_right["converts_to_stock_class_id"] = self.common
        test = warrants.cashless_test or "at_election"
        rule = warrants.cashless
        start = cashless_start(self.terms, cert.original_issue_date)
        since = f"{self.cite('W 3 cashless')}: on and after {start} (the Warrant was issued {cert.original_issue_date})"
        if rule == "never":
            condition = "never: the Warrant has no cashless exercise (cashless = never)"
        elif rule == "anytime":
            condition = f"{since}, at any time (cashless = anytime)"
        else:
            condition = (f"{since}, if no registration permitting the resale of the Warrant Shares is in effect at "
                         "the election (cashless_test = at_election)" if test == "at_election" else
                         f"{since}, if at any time since then no registration permitting the resale of the "
                         "Warrant Shares was in effect (cashless_test = ever_after_one_year)")
        return [
            {
                "trigger_id": f"{version.security_id}:cash",
                "type": "ELECTIVE_IN_RANGE",
                "nickname": f"Cash exercise ({self.cite('W 3 payment')})",
                "trigger_description": f"Exercisable in whole or in part for cash at the Exercise Price from "
                                       f"{self.window[0]} to the close of business on {self.window[1]} "
                                       f"({self.cite('W preamble exercise window', 'warrants')}; a last day that "
                                       "is not a business day moved to the next one, "
                                       f"{cite_or_rule(self.terms, 'W 10 next day', TERMINATION_ROLL_RULE)})",
                "start_date": self.window[0].isoformat(),
                "end_date": self.window[1].isoformat(),
                "conversion_right": cash_right,
            },
            {
                "trigger_id": f"{version.security_id}:cashless",
                "type": "ELECTIVE_ON_CONDITION",
                "nickname": f"Cashless exercise ({self.cite('W 3 cashless')})",
                "trigger_condition": condition,
                "trigger_description": "Net exercise: the holder surrenders warrant shares instead of paying cash",
                "conversion_right": cashless_right,
            },
        ]

    def cancel(self, version: _Version, day: dt.date, reason: str, comments: list[str] | None = None) -> None:
        item: dict[str, Any] = {
            "object_type": "TX_WARRANT_CANCELLATION",
            "id": self.tx_id("cancellation", self.local(version.security_id)),
            "security_id": version.security_id,
            "date": day.isoformat(),
            "quantity": numeric(version.shares),
            "reason_text": reason,
        }
        if comments:
            item["comments"] = comments
        self.items.append(item)

    def reissue(self, version: _Version, day: dt.date, shares: Fraction, price: Decimal, reason: str,
                computation: list[str]) -> _Version:
        """OCF has no transaction for the change: cancel the security and issue its successor."""
        cert = self.timeline.certificates[version.cert]
        self.current.pop(version.cert, None)
        successor, _ = self.next_security_id(cert.id)
        self.cancel(version, day, reason, [f"Reissued as {successor} (OCF has no transaction for this change)"])
        return self.issue(cert, shares, price, day, [reason, *computation, f"Replaces {version.security_id}"])

    # exercises ------------------------------------------------------------------------------
    def exercise(self, cert: Certificate, order: _Day, position: int) -> None:
        """W 3: cash or cashless; a partial exercise leaves a new Warrant for the rest."""
        day = order.day
        result = self.results.get((cert.id, day))
        if result is None:
            raise OcfExportError(f"{cert.id} was exercised on {day}; the timeline has no exercise figures for it")
        version = self.take(cert)
        surrendered = result.shares_exercised
        target = version
        if surrendered < version.shares:
            remainder = self.timeline.certificates.get(result.remainder_certificate or "")
            if remainder is None:
                raise OcfExportError(f"the partial exercise of {cert.id} on {day} left no remainder warrant")
            rest = order.shares(remainder, position)
            if surrendered + rest != version.shares:
                raise OcfExportError(f"{cert.id}: {_shares(surrendered)} exercised and {_shares(rest)} on "
                                     f"{remainder.id} are not the {_shares(version.shares)} it had")
            self.cancel(version, day,
                        f"{self.cite('W 3 partial')}: partial exercise of {_shares(surrendered)} of "
                        f"{_shares(version.shares)} warrant "
                        f"shares; the Warrant is surrendered for the part exercised and a new Warrant "
                        f"{remainder.id} for the rest",
                        ["OCF's warrant exercise has no quantity, so the part exercised is issued as its own "
                         "security and exercised in full"])
            target = self.issue(cert, surrendered, version.price, day, [
                f"The {_shares(surrendered)} warrant shares of {cert.id} exercised on {day} "
                f"(of {_shares(version.shares)})"], part_of=version)
            self.issue(remainder, rest, version.price, day, [
                f"{self.cite('W 3 partial')}: a new Warrant for the unexercised rest: {_shares(version.shares)} - "
                f"{_shares(surrendered)} "
                f"= {_shares(rest)} warrant shares", f"Replaces part of {version.security_id}"])
        resulting: list[str] = []
        consideration = self.consideration(result)
        if result.shares_issued > 0:
            stock_id = f"{self.deal}:shares:{cert.id}"
            resulting.append(stock_id)
            self.items.append({
                "object_type": "TX_STOCK_ISSUANCE",
                "id": self.tx_id("issuance", self.local(stock_id)),
                "security_id": stock_id,
                "date": day.isoformat(),
                "custom_id": f"CS-{cert.id}",
                "stakeholder_id": self.stakeholder_id(target.holder),
                "stock_class_id": self.common,
                "share_price": monetary(result.exercise_price if result.method == "cash" else 0),
                "quantity": numeric(result.shares_issued),
                "stock_legend_ids": [],
                "security_law_exemptions": self.exemptions,
                "consideration_text": consideration,
                "comments": [
                    f"Warrant Shares on the {result.method} exercise of {cert.id} ({self.cite('W 3')})",
                    f"Holding period from {result.holding_period_start} (Rule 144(d): cash starts anew, "
                    "cashless tacks to the Warrant's issue date)",
                    f"Certificates due by {result.delivery_due} ({self.cite('W 3 delivery', 'warrants')})",
                ],
            })
        self.items.append({
            "object_type": "TX_WARRANT_EXERCISE",
            "id": self.tx_id("exercise", self.local(target.security_id)),
            "security_id": target.security_id,
            "date": day.isoformat(),
            "trigger_id": f"{target.security_id}:{result.method}",
            "resulting_security_ids": resulting,
            "consideration_text": consideration,
            "comments": list(result.computation),
        })

    def consideration(self, result: ExerciseResult) -> str:
        surrendered = _shares(result.shares_exercised)
        if result.method == "cash":
            text = (f"{_money(result.aggregate_price)} in cash: {surrendered} warrant shares x "
                    f"{_price(result.exercise_price)} ({self.cite('W 3 payment')})")
        else:
            text = f"Cashless: {surrendered} warrant shares surrendered, no cash paid ({self.cite('W 3 cashless')})"
        if result.fraction:
            text += (f"; the Company paid {_money(result.fraction_cash)} for the fraction of a share "
                     f"({self.cite('W 4')})")
        return text

    # transfers, divisions, combinations, replacements ---------------------------------------
    def transfer(self, cert: Certificate, order: _Day, position: int) -> None:
        """W 1, 7(a): OCF's warrant transfer, with new securities for the assignee and the rest."""
        day = order.day
        version = self.take(cert)
        assigned = self.made_from(cert, "transfer")
        kept = self.made_from(cert, "transfer_remainder")
        if len(assigned) != 1 or len(kept) > 1:
            raise OcfExportError(f"the transfer of {cert.id} on {day} does not match the register")
        to, rest_cert = assigned[0], (kept[0] if kept else None)
        moved = order.shares(to, position)
        rest = order.shares(rest_cert, position) if rest_cert is not None else Fraction(0)
        if moved + rest != version.shares:
            raise OcfExportError(f"the transfer of {cert.id} on {day}: {_shares(moved)} + {_shares(rest)} is not "
                                 f"the {_shares(version.shares)} it had")
        item: dict[str, Any] = {
            "object_type": "TX_WARRANT_TRANSFER",
            "id": self.tx_id("transfer", self.local(version.security_id)),
            "security_id": version.security_id,
            "date": day.isoformat(),
            "quantity": numeric(moved),
            "resulting_security_ids": [f"{self.deal}:{to.id}"],
            "comments": [f"{cite_all(self.terms, 'W 1', 'W 7(a)', abbreviate=True)}: {_shares(moved)} of "
                         f"{_shares(version.shares)} warrant shares of {cert.id} "
                         f"assigned by {version.holder} to {to.holder} with the Assignment Form"],
        }
        if rest_cert is not None:
            item["balance_security_id"] = f"{self.deal}:{rest_cert.id}"
        self.items.append(item)
        self.issue(to, moved, version.price, day, [f"{self.cite('W 7(a)')}: new Warrant to the assignee {to.holder} "
                                                   f"for {_shares(moved)} warrant shares of {cert.id}"])
        if rest_cert is not None:
            self.issue(rest_cert, rest, version.price, day, [
                f"{self.cite('W 7(a) assignor')}: new Warrant to the assignor {version.holder} for the rest: "
                f"{_shares(version.shares)} - "
                f"{_shares(moved)} = {_shares(rest)}"])

    def divide(self, cert: Certificate, order: _Day, position: int) -> None:
        day = order.day
        version = self.take(cert)
        new = [(child, order.shares(child, position)) for child in self.made_from(cert, "division")]
        if not new or sum(shares for _, shares in new) != version.shares:
            raise OcfExportError(f"the division of {cert.id} on {day} does not match the register")
        parts = " + ".join(_shares(shares) for _, shares in new)
        names = ", ".join(f"{child.id} ({_shares(shares)})" for child, shares in new)
        division = self.cite("W 7(b) divided or combined")
        self.cancel(version, day, f"{division}: divided into Warrants {names}",
                    [f"{_shares(version.shares)} = {parts}"])
        for child, shares in new:
            self.issue(child, shares, version.price, day, [
                f"{division}: one of the Warrants {cert.id} was divided into: {_shares(version.shares)} = {parts}",
                f"Replaces part of {version.security_id}"])

    def combine(self, cert: Certificate, order: _Day, position: int) -> None:
        day = order.day
        new = self.made_from(cert, "combination")
        if len(new) != 1:
            raise OcfExportError(f"the combination of {cert.id} on {day} does not match the register")
        combined = new[0]
        versions = [self.take(self.timeline.certificates[parent]) for parent in combined.parents]
        total = order.shares(combined, position)
        if sum(v.shares for v in versions) != total:
            raise OcfExportError(f"the combination of {', '.join(combined.parents)} on {day} does not match "
                                 "the register")
        names = ", ".join(combined.parents)
        parts = " + ".join(_shares(v.shares) for v in versions)
        combination = self.cite("W 7(b) divided or combined")
        for version in versions:
            self.cancel(version, day, f"{combination}: Warrants {names} combined into {combined.id}",
                        [f"{parts} = {_shares(total)}"])
        self.issue(combined, total, versions[0].price, day, [
            f"{combination}: Warrants {names} combined: {parts} = {_shares(total)}",
            "Replaces " + ", ".join(v.security_id for v in versions)])

    def replace(self, cert: Certificate, order: _Day, position: int) -> None:
        day = order.day
        version = self.take(cert)
        new = self.made_from(cert, "replacement")
        if len(new) != 1:
            raise OcfExportError(f"the replacement of {cert.id} on {day} does not match the register")
        # The register records why as the status: "replaced (lost)".
        reason = cert.status.removeprefix("replaced").strip().removeprefix("(").removesuffix(")") or "replaced"
        replacement = self.cite("W 9 like tenor")
        self.cancel(version, day, f"{replacement}: Warrant {cert.id} {reason}; replaced by {new[0].id} of like tenor")
        self.issue(new[0], order.shares(new[0], position), version.price, day, [
            f"{replacement}: new Warrant of like tenor for {cert.id} ({reason}), {_shares(version.shares)} warrant "
            "shares",
            f"Replaces {version.security_id}"])

    # adjustments ----------------------------------------------------------------------------
    def adjust(self, notice: AdjustmentNotice, order: _Day) -> None:
        """A W 11 adjustment on its ``effective_from``: every Warrant in its Notice reissued."""
        if notice.kind == "merger":
            self.merge(notice, order.day)
            return
        if notice.kind == _ANTI_DILUTION:
            self.anti_dilution(notice, order.day)
            return
        if notice.kind in _RECAPITALIZATIONS and notice.effective_from == notice.date:
            self.split(notice)  # no earlier record date: the Common and the Warrants change together
        factor = self.factor(notice)
        if factor != 1:
            new, old = _ratio(factor)
            label = notice.kind.replace("_", " ")
            reduction = self.reduction_on(order.day)
            clause = self.cite("W 11(a)")
            for row in notice.rows:
                version = self.adjusted(row, notice)
                computation = [
                    f"{clause}: warrant shares {_shares(row.shares_before)} x {new}/{old} = "
                    f"{_shares(row.shares_after)}",
                    f"{clause}: Exercise Price {_price(row.price_before)} x {old}/{new} = {_price(row.price_after)} "
                    "(10 places, half-up, where it does not terminate)",
                ]
                if reduction is not None:
                    computation.append(f"{self.cite('W 12')}: the reduced Exercise Price stays in force for its "
                                       f"period ({reduction[0]} to {reduction[1]}), adjusted with it")
                computation.append(f"Notice of Adjustment ({self.cite('W 13')}) of {notice.date}")
                self.reissue(version, order.day, row.shares_after, row.price_after,
                             f"{clause}: adjustment for the {label} {new}:{old} of {notice.date}", computation)

    def adjusted(self, row: AdjustmentRow, notice: AdjustmentNotice) -> _Version:
        version = self.current.get(row.warrant)
        if version is None or version.shares != row.shares_before:
            raise OcfExportError(
                f"{row.warrant}: the Notice of Adjustment of {notice.date} adjusts {_shares(row.shares_before)} "
                f"shares; the export has {_shares(version.shares) if version else 'no outstanding security'}")
        return version

    def factor(self, notice: AdjustmentNotice) -> Fraction:
        """The W 11(a) factor of one adjustment, as the timeline records it: the change of the
        Warrants' factor on its day when it is the day's only one, else its rows (shares
        after / before), else the change of the shares' factor on its effective date."""
        timeline = self.timeline
        day = notice.effective_from
        same_record_day = [n for n in timeline.adjustments if n.kind in _RECAPITALIZATIONS and n.effective_from == day]
        if len(same_record_day) == 1:
            return timeline.warrant_factor.on(day) / timeline.warrant_factor.on(day - _ONE_DAY)
        row = next((row for row in notice.rows if row.shares_before), None)
        if row is not None:
            return row.shares_after / row.shares_before
        same_effective_day = [n for n in timeline.adjustments if n.kind in _RECAPITALIZATIONS and n.date == notice.date]
        if len(same_effective_day) == 1 and notice.date <= self.as_of:
            return timeline.capital_factor.on(notice.date) / timeline.capital_factor.on(notice.date - _ONE_DAY)
        raise OcfExportError(f"the timeline does not give the ratio of the {notice.kind} of {notice.date}: "
                             "several adjustments share its day and no Warrant was outstanding to show it")

    def split(self, notice: AdjustmentNotice) -> None:
        """The Common's side of a W 11(a) adjustment: OCF's stock class split, on the effective date."""
        factor = self.factor(notice)
        new, old = _ratio(factor)
        label = notice.kind.replace("_", " ")
        if factor == 1:
            self.notes.append(f"{label.capitalize()} of {notice.date} at {new}:{old}: no change in counts; "
                              "not exported as a split.")
            return
        facts = [notice.facts]
        if notice.effective_from < notice.date:
            facts.append(f"Exported on the effective date {notice.date}, when the new shares are distributed; the "
                         f"Warrants were adjusted on the record date {notice.effective_from} ({self.cite('W 11')} "
                         "makes the adjustment retroactive to it)")
        kind_note = {
            "stock_dividend": f"A stock dividend, exported as OCF's split: both multiply each share by {new}/{old}",
            "reverse_split": "A reverse split, exported as OCF's split with a ratio below one",
            "reclassification": "A reclassification that changes the count, exported as OCF's split",
        }.get(notice.kind)
        self.items.append({
            "object_type": "TX_STOCK_CLASS_SPLIT",
            "id": self.tx_id("split", notice.date.isoformat()),
            "date": notice.date.isoformat(),
            "stock_class_id": self.common,
            "split_ratio": {"numerator": new, "denominator": old},
            "comments": [*facts, *([kind_note] if kind_note else []),
                         *(f"{self.cite('W 13')}: {step}" for step in notice.computation),
                         f"The Warrants are reissued with their adjusted shares and price ({self.cite('W 11(a)')}); "
                         "OCF's split does not adjust them"],
        })

    def authorize(self, day: dt.date, shares: int, order: _Day) -> None:
        causes = [f"the {n.kind.replace('_', ' ')} of {n.date}" for n in order.adjustments
                  if n.kind in _RECAPITALIZATIONS]
        self.items.append({
            "object_type": "TX_STOCK_CLASS_AUTHORIZED_SHARES_ADJUSTMENT",
            "id": self.tx_id("authorized", day.isoformat()),
            "date": day.isoformat(),
            "stock_class_id": self.common,
            "new_shares_authorized": numeric(shares),
            "comments": [f"The authorized Common after {' and '.join(causes)}" if causes else
                         f"The authorized Common from {day}"],
        })

    def merge(self, notice: AdjustmentNotice, day: dt.date) -> None:
        """W 11 (reorganization): each Warrant reissued to buy the Other Property."""
        self.basket = notice.other_property
        other = ", ".join(f"{plain(quantity)} {asset}" for asset, quantity in self.basket)
        for row in notice.rows:
            self.reissue(self.adjusted(row, notice), day, row.shares_after, row.price_after,
                         f"{reorganization(self.terms)} of {notice.date}: the Warrant now buys Other Property",
                         [f"Each warrant share buys {other} instead of a share of Common Stock", notice.facts])

    def anti_dilution(self, notice: AdjustmentNotice, day: dt.date) -> None:
        """The deal's price-based anti-dilution clause (PIPE-TERMS): each Warrant of the Notice
        reissued at the new Exercise Price (and, where the clause scales them, the new shares)."""
        for row in notice.rows:
            computation = [notice.facts, *notice.computation,
                           f"Notice of Adjustment ({self.cite('W 13')}) of {notice.date}"]
            self.reissue(self.adjusted(row, notice), day, row.shares_after, row.price_after,
                         f"Anti-dilution ({notice.clause}): Exercise Price {_price(row.price_before)} -> "
                         f"{_price(row.price_after)}, warrant shares {_shares(row.shares_before)} -> "
                         f"{_shares(row.shares_after)}, for the issue of {notice.date}", computation)

    def reduction_on(self, day: dt.date) -> tuple[dt.date, dt.date] | None:
        """The W 12 reduction in force on ``day`` (the latest, as the timeline applies them)."""
        for start, end, _ in reversed(self.timeline.reductions):
            if start <= day <= end:
                return start, end
        return None

    def reprice(self, order: _Day) -> None:
        """At a W 12 boundary: every Warrant whose Exercise Price moves is reissued at the price
        the timeline has in force from the start of the day."""
        day = order.day
        price = order.price(0)
        if price is None:
            return  # every Warrant left the register that day before its first adjustment
        notices = {(n.effective_from, n.until): n for n in self.timeline.adjustments if n.kind == _W12}
        reduction = self.reduction_on(day)
        for version in self.outstanding():
            if version.price == price:
                continue
            computation = [f"Exercise Price {_price(version.price)} -> {_price(price)} from {day}"]
            if reduction is not None:
                start, end = reduction
                reason = (f"{self.cite('W 12')}: the Board reduced the Exercise Price to {_price(price)} from "
                          f"{start} through {end}")
                notice = notices.get(reduction)
                if notice is not None:
                    computation.append(f"Notice of Adjustment ({self.cite('W 13')}): {notice.facts}")
            else:
                reason = (f"{self.cite('W 12')}: the reduction ended on {day - _ONE_DAY}; the Exercise Price in "
                          "force returns")
            self.reissue(version, day, version.shares, price, reason, computation)

    # the self-check -------------------------------------------------------------------------
    def check_register(self) -> None:
        """Every certificate of the register exported, each security still open with the shares
        and Exercise Price the timeline gives it on the as-of date."""
        problems = []
        for cert in self.timeline.certificates.values():
            version = self.current.get(cert.id)
            if version is None:
                if cert.id not in self.closed:
                    problems.append(f"{cert.id} ({cert.origin}) was never exported")
                continue
            shown = self.timeline.certificate_on(cert, self.as_of)
            if version.shares != shown.shares:
                problems.append(f"{cert.id}: register {_shares(shown.shares)} shares, export {_shares(version.shares)}")
            in_force = self.timeline.exercise_price(self.as_of)
            if shown.status == "outstanding" and version.price != in_force:
                problems.append(f"{cert.id}: Exercise Price {_price(in_force or 0)} in force, export "
                                f"{_price(version.price)}")
        if problems:
            raise OcfExportError("the OCF export disagrees with the warrant register: " + "; ".join(problems))


def _number(cert_id: str) -> tuple[int, str]:
    prefix, _, number = cert_id.rpartition("-")
    return (int(number), prefix) if number.isdigit() else (0, cert_id)


# --- files ---------------------------------------------------------------------------------

def _holders(evaluation: Evaluation) -> list[Party]:
    """The Investors, then any other party of the terms that holds a Warrant."""
    terms = evaluation.terms
    holders = {cert.holder for cert in evaluation.state.certificates.values()}
    others = [party for party in terms.parties if party.id in holders]
    return [*terms.investors, *others]


def _address(party: Party) -> dict[str, str]:
    address = {"address_type": "CONTACT", "street_suite": party.address, "country": party.country}
    if party.subdivision and _SUBDIVISION.match(party.subdivision):
        address["country_subdivision"] = party.subdivision
    return address


def _stakeholder(evaluation: Evaluation, party: Party, deal: str) -> dict[str, Any]:
    terms = evaluation.terms
    investor = terms.investor(party.id)
    notices = cite_all(terms, ("SPA 12.1 notices effective", "notices"), ("RRA 8", "notices"))
    comments = [f"Notice address ({notices})" + (f", attention {party.attention}" if party.attention else "")
                + (f", fax {party.fax}" if party.fax else "") + f"; time zone {party.timezone}"]
    allocation = next((a for a in evaluation.allocations if a.investor == party.id), None)
    if investor is not None and allocation is not None:
        stated = KNOWN_SUBSCRIPTIONS.get(deal)
        comments.append(f"Subscription {_money(allocation.subscription)}{f' ({stated})' if stated else ''}: "
                        f"{allocation.shares:,} Shares and a Warrant for {allocation.warrant_shares:,} shares")
    holding = evaluation.state.holdings.get(party.id)
    if holding is not None and holding.sold:
        comments.append(f"Sold {_shares(holding.sold)} shares by {evaluation.as_of} "
                        f"({cite(terms, 'RRA 3(e)(B) held')}); market sales "
                        "have no identified transferee and are not exported as OCF transfers")
    return {
        "object_type": "STAKEHOLDER",
        "id": f"{deal}:stakeholder:{party.id}",
        "name": {"legal_name": party.name},
        "stakeholder_type": "INSTITUTION",
        "issuer_assigned_id": party.id,
        "current_relationships": ["INVESTOR"] if investor is not None else ["OTHER"],
        "addresses": [_address(party)],
        "comments": comments,
    }


def _issuer(evaluation: Evaluation, facts: IssuerFacts | None) -> dict[str, Any]:
    terms = evaluation.terms
    company, cap = terms.company, terms.capitalization
    comments = [f"{terms.deal.title} dated as of {terms.deal.agreement_date}"]
    if facts is None:
        facts = IssuerFacts(company.country, None, None, "")
        comments.append("The state of incorporation is not in the terms file; country_of_formation is the "
                        "Company's notice country")
    else:
        comments.append(f"Formation: {facts.source}")
    formation = facts.formation_date
    if formation is None:
        formation = terms.deal.agreement_date
        existed = cite(terms, "SPA 4.1")
        comments.append(f"formation_date: OCF requires one and the terms do not record it; the agreement date "
                        f"{formation} stands in (the Company existed then"
                        f"{f', {existed}' if is_numbered(existed) else ''}). It is not the date of incorporation")
    if terms.deal.issuer_ticker:
        market = terms.deal.principal_market_name or terms.deal.principal_market
        comments.append(f"Common Stock quoted as {terms.deal.issuer_ticker} on the {market}")
    issuer: dict[str, Any] = {
        "object_type": "ISSUER",
        "id": f"{terms.deal.name}:issuer",
        "legal_name": company.name,
        "formation_date": formation.isoformat(),
        "country_of_formation": facts.country_of_formation,
        "initial_shares_authorized": numeric(cap.common_authorized + cap.preferred_authorized),
        "address": _address(company),
        "comments": comments,
    }
    if facts.subdivision_of_formation:
        issuer["country_subdivision_of_formation"] = facts.subdivision_of_formation
    return issuer


def _stock_class(evaluation: Evaluation) -> dict[str, Any]:
    terms = evaluation.terms
    cap = terms.capitalization
    capitalization = evaluation.capitalization
    capitalization_clause = cite(terms, "SPA 4.3 capitalization")
    comments = [
        f"{capitalization_clause}: {cap.common_outstanding:,} shares outstanding on {cap.as_of}; "
        f"{capitalization.shares_issued_at_closing:,} issued at the Closing",
        f"Outstanding as of {evaluation.as_of}: {_shares(evaluation.state.common_outstanding)} "
        "(after exercises, financings and adjustments); OCF has no field for it",
    ]
    reservation = getattr(evaluation, "reservation", None)
    if reservation is not None:
        comments.append(f"{cite_all(terms, *RESERVE_SLOTS)}: {_shares(reservation.reserved)} shares reserved for the "
                        "Warrants "
                        f"(required {_shares(reservation.required)}); authorized headroom "
                        f"{_shares(reservation.headroom)} as of {reservation.as_of}")
    if cap.preferred_authorized:
        comments.append(f"{capitalization_clause}: {cap.preferred_authorized:,} shares of preferred stock authorized, "
                        f"{cap.preferred_outstanding:,} outstanding; not exported as a class")
    issuer = known_issuer(evaluation)
    if issuer is not None and issuer.subdivision_of_formation == "DE":
        comments.append("votes_per_share: one vote per share, the Delaware default (DGCL 212(a)); the agreement does "
                        "not state it")
    else:
        comments.append("votes_per_share: one vote per share; the agreement does not state it")
    return {
        "object_type": "STOCK_CLASS",
        "id": f"{terms.deal.name}:common",
        "name": "Common Stock",
        "class_type": "COMMON",
        "default_id_prefix": "CS-",
        "initial_shares_authorized": numeric(cap.common_authorized),
        "votes_per_share": "1",
        "par_value": monetary(cap.par_value),
        "seniority": "1",
        "comments": comments,
    }


def serialize(data: Mapping[str, Any]) -> bytes:
    """The bytes ``write_bundle`` writes (and the manifest's MD5s are of)."""
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def build_bundle(evaluation: Evaluation, *, generated_at: dt.datetime | None = None,
                 issuer: IssuerFacts | None = None) -> dict[str, dict[str, Any]]:
    """The OCF package of the deal as of ``evaluation.as_of``: ``{file name: JSON object}``.

    Read from ``evaluation.timeline`` (see the module docstring); ``generated_at`` defaults to
    now (UTC), ``issuer`` to the deal's entry in ``KNOWN_ISSUERS``. Raises ``OcfExportError``
    if the transactions do not reproduce the warrant register.
    """
    terms = evaluation.terms
    deal = terms.deal.name
    export = _Export(evaluation)
    transactions = export.run()
    stakeholders = [_stakeholder(evaluation, party, deal) for party in _holders(evaluation)]
    files: dict[str, dict[str, Any]] = {
        STAKEHOLDERS_FILE: {"file_type": _FILE_TYPES[STAKEHOLDERS_FILE], "items": stakeholders},
        STOCK_CLASSES_FILE: {"file_type": _FILE_TYPES[STOCK_CLASSES_FILE], "items": [_stock_class(evaluation)]},
        TRANSACTIONS_FILE: {"file_type": _FILE_TYPES[TRANSACTIONS_FILE], "items": transactions},
    }
    stamp = generated_at or dt.datetime.now(dt.UTC).replace(microsecond=0)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    readings = ", ".join(f"{entry.key} = {entry.value}" for entry in terms.ambiguities
                         if entry.field.startswith(("warrants.", "pricing.")))
    w11, w12 = cite(terms, "W 11"), cite(terms, "W 12")
    discounted_sales = cite(terms, "SPA 6.9 discounted sales")
    financing_clauses = "; ".join([*([discounted_sales] if is_numbered(discounted_sales) else []),
                                   cite_or_rule(terms, ANTI_DILUTION_WORDS, "the anti-dilution clause")])
    comments = [
        f"{terms.deal.title}: the Shares and Warrants sold under it, exported by pipedeal {__version__} as of "
        f"{evaluation.as_of}",
        f"Only the deal's securities are exported: the {terms.capitalization.common_outstanding:,} shares "
        f"outstanding before the Closing ({cite(terms, 'SPA 4.3 capitalization')}) and their holders are not in the "
        "deal's records",
        f"Readings in force: {readings or 'none declared'}",
        f"Where OCF has no transaction for a Warrant event (partial exercise, {w11} adjustment, {w12} price "
        f"reduction, anti-dilution adjustment, {cite(terms, 'W 7(b) divided or combined')} division or combination, "
        f"{cite(terms, 'W 9 like tenor')} replacement, {cite(terms, 'W 11 merger')} reorganization) the "
        "Warrant is cancelled and reissued, with the computation in the new security's comments",
        f"Warrants expire at the close of business on the warrant_expiration_date ({window_clause(terms)}); OCF "
        "records no expiry transaction",
        f"Dates: a {w11} adjustment reissues the Warrants on its record date (retroactive to it, {w11}) and splits "
        f"the Common on its effective date, when the new shares are distributed; a {w12} reduction reissues them on "
        "its first day and on the day after its last",
        *export.notes,
        *(f"Financing of {financing.date} ({financing_clauses}): {financing.shares:,} shares at "
          f"{_price(financing.price)} to buyers the records do not name; counted in the Common Stock outstanding, "
          "not exported as issuances."
          for financing in evaluation.timeline.financings),
    ]
    manifest: dict[str, Any] = {
        "ocf_version": OCF_VERSION,
        "file_type": _FILE_TYPES[MANIFEST_FILE],
        "issuer": _issuer(evaluation, issuer or known_issuer(evaluation)),
        "as_of": evaluation.as_of.isoformat(),
        "generated_at": stamp.isoformat(),
        "comments": comments,
        "stock_plans_files": [],
        "stock_legend_templates_files": [],
        "vesting_terms_files": [],
        "valuations_files": [],
        "stock_classes_files": [_file_ref(STOCK_CLASSES_FILE, files[STOCK_CLASSES_FILE])],
        "transactions_files": [_file_ref(TRANSACTIONS_FILE, files[TRANSACTIONS_FILE])],
        "stakeholders_files": [_file_ref(STAKEHOLDERS_FILE, files[STAKEHOLDERS_FILE])],
    }
    return {MANIFEST_FILE: manifest, **files}


def _file_ref(name: str, data: Mapping[str, Any]) -> dict[str, str]:
    return {"filepath": f"./{name}", "md5": hashlib.md5(serialize(data)).hexdigest()}


def write_bundle(evaluation: Evaluation, directory: Path, *,
                 generated_at: dt.datetime | None = None, issuer: IssuerFacts | None = None) -> list[Path]:
    """Write one JSON file per OCF file into ``directory`` (created); the paths, manifest first."""
    bundle = build_bundle(evaluation, generated_at=generated_at, issuer=issuer)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in bundle.items():
        path = directory / name
        path.write_bytes(serialize(data))
        paths.append(path)
    return paths


# --- validation ----------------------------------------------------------------------------

def default_schema_dir() -> Path | None:
    """``$PIPEDEAL_OCF_DIR`` (an OCF checkout or its ``schema/``), else ``../shared/ocf``
    beside a source checkout; None if neither exists."""
    candidates = []
    if os.environ.get("PIPEDEAL_OCF_DIR"):
        candidates.append(Path(os.environ["PIPEDEAL_OCF_DIR"]))
    candidates.append(Path(__file__).resolve().parents[3] / ".." / "shared" / "ocf")
    for candidate in candidates:
        found = _schema_root(candidate)
        if found is not None:
            return found
    return None


def _schema_root(path: Path) -> Path | None:
    path = Path(path)
    if (path / "schema" / "files").is_dir():
        return (path / "schema").resolve()
    if (path / "files").is_dir():
        return path.resolve()
    return None


@dataclass(frozen=True)
class Schemas:
    """The official schemas, offline: a registry of every ``$id`` and the schema of each
    ``file_type`` and ``object_type``."""

    root: Path
    registry: Any
    by_id: dict[str, dict[str, Any]]
    file_schemas: dict[str, str]
    object_schemas: dict[str, str]


@functools.cache
def load_schemas(schema_dir: Path) -> Schemas:
    """Read every ``*.schema.json`` under ``schema_dir`` into a ``referencing.Registry``.

    The registry has no ``retrieve`` hook: a ``$ref`` to a URL that is not one of the
    local files is unresolvable (an error), not fetched.
    """
    from referencing import Registry
    from referencing.jsonschema import DRAFT7

    root = _schema_root(Path(schema_dir))
    if root is None:
        raise FileNotFoundError(f"no OCF schemas under {schema_dir} (expected schema/files/*.schema.json)")
    by_id: dict[str, dict[str, Any]] = {}
    file_schemas: dict[str, str] = {}
    object_schemas: dict[str, str] = {}
    for path in sorted(root.rglob("*.schema.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        schema_id = contents["$id"]
        by_id[schema_id] = contents
        const = contents.get("properties", {})
        if "file_type" in const and "const" in const["file_type"]:
            file_schemas[const["file_type"]["const"]] = schema_id
        if "object_type" in const and "const" in const["object_type"]:
            object_schemas[const["object_type"]["const"]] = schema_id
    registry = Registry().with_resources(
        (schema_id, DRAFT7.create_resource(contents)) for schema_id, contents in by_id.items()).crawl()
    return Schemas(root, registry, by_id, file_schemas, object_schemas)


def _path(parts: Iterable[Any]) -> str:
    text = "$"
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def validate_bundle(bundle: Path | Mapping[str, Mapping[str, Any]], schema_dir: Path, *,
                    schemas_only: bool = False) -> list[str]:
    """Errors of an OCF package (a directory of ``*.json`` files or ``build_bundle``'s
    dict), each ``"<file>: <JSON path>: <message>"``; empty when valid.

    Each file is validated against the official schema of its ``file_type`` (a
    transaction that fails is validated again against the schema of its ``object_type``,
    so the error names the field). Unless ``schemas_only``, the package must also hold
    one manifest whose files exist with their MD5s, and every id an object names
    (stakeholder, stock class, security, exercise trigger) must be defined in it.
    """
    from jsonschema import Draft7Validator
    from jsonschema.exceptions import best_match
    from referencing.exceptions import Unresolvable

    schemas = load_schemas(Path(schema_dir))
    files, raw, errors = _read_bundle(bundle)

    def check(data: Any, schema_id: str, name: str, prefix: tuple[Any, ...] = ()) -> list[str]:
        validator = Draft7Validator(schemas.by_id[schema_id], registry=schemas.registry,
                                    format_checker=Draft7Validator.FORMAT_CHECKER)
        found = []
        try:
            problems = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
        except Unresolvable as exc:
            return [f"{name}: {_path(prefix)}: unresolvable $ref {exc} (no such schema in {schemas.root})"]
        for error in problems:
            where = (*prefix, *error.absolute_path)
            if (error.validator == "oneOf" and schema_id == schemas.file_schemas.get("OCF_TRANSACTIONS_FILE")
                    and len(error.absolute_path) == 2 and error.absolute_path[0] == "items"
                    and isinstance(error.instance, dict)):
                kind = error.instance.get("object_type")
                if kind in schemas.object_schemas:
                    found.extend(check(error.instance, schemas.object_schemas[kind], name, where))
                else:
                    found.append(f"{name}: {_path((*where, 'object_type'))}: unknown object_type {kind!r}")
                continue
            if error.context:
                found.extend(f"{name}: {_path((*where, *below))}: {message} (under {error.validator})"
                             for below, message in _leaf_errors(error, best_match))
                continue
            found.append(f"{name}: {_path(where)}: {error.message}")
        return found

    for name, data in files.items():
        kind = data.get("file_type") if isinstance(data, dict) else None
        if kind not in schemas.file_schemas:
            errors.append(f"{name}: $.file_type: not an OCF file type ({kind!r})")
            continue
        errors.extend(check(data, schemas.file_schemas[kind], name))
    if not schemas_only:
        errors.extend(_check_manifest(files, raw))
        errors.extend(_check_references(files))
    return list(dict.fromkeys(errors))  # one schema reached twice (allOf + anyOf) reports once


def _leaf_errors(error: Any, best_match: Any) -> list[tuple[tuple[Any, ...], str]]:
    """(path below ``error``'s instance, message) of what is wrong inside an ``anyOf`` or
    ``oneOf``: the errors of the one branch whose ``type`` or ``object_type`` matched,
    recursively; else jsonschema's best match."""
    if not error.context:
        return [((), error.message)]
    branches: dict[Any, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0] if sub.relative_schema_path else None, []).append(sub)
    meant = [subs for subs in branches.values()
             if not any(sub.validator == "const" and list(sub.relative_path) in (["type"], ["object_type"])
                        for sub in subs)]
    chosen = sorted(meant[0], key=lambda sub: [str(part) for part in sub.relative_path]) if len(meant) == 1 \
        else [best_match(error.context)]
    return [((*sub.relative_path, *path), message)
            for sub in chosen for path, message in _leaf_errors(sub, best_match)]


def _read_bundle(bundle: Path | Mapping[str, Mapping[str, Any]]) -> tuple[dict[str, Any], dict[str, bytes], list[str]]:
    errors: list[str] = []
    files: dict[str, Any] = {}
    raw: dict[str, bytes] = {}
    if isinstance(bundle, Mapping):
        for name, data in bundle.items():
            files[name] = data
            raw[name] = serialize(data)
        return files, raw, errors
    directory = Path(bundle)
    for path in sorted(directory.glob("*.json")):
        raw[path.name] = path.read_bytes()
        try:
            files[path.name] = json.loads(raw[path.name])
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            errors.append(f"{path.name}: $: not JSON ({exc})")
    if not files and not errors:
        errors.append(f"{directory}: $: no OCF files")
    return files, raw, errors


def _check_manifest(files: Mapping[str, Any], raw: Mapping[str, bytes]) -> list[str]:
    manifests = [name for name, data in files.items()
                 if isinstance(data, dict) and data.get("file_type") == "OCF_MANIFEST_FILE"]
    if len(manifests) != 1:
        return [f"(package): $: {len(manifests)} manifest files; OCF needs exactly one"]
    name = manifests[0]
    errors = []
    for key, refs in files[name].items():
        if not key.endswith("_files") or not isinstance(refs, list):
            continue
        for index, ref in enumerate(refs):
            if not isinstance(ref, dict) or "filepath" not in ref:
                continue
            target = ref["filepath"].removeprefix("./")
            where = f"{name}: {_path((key, index, 'md5'))}"
            if target not in raw:
                errors.append(f"{name}: {_path((key, index, 'filepath'))}: no file {ref['filepath']} in the package")
            elif hashlib.md5(raw[target]).hexdigest() != str(ref.get("md5", "")).lower():
                errors.append(f"{where}: MD5 {ref.get('md5')} does not match {target} "
                              f"({hashlib.md5(raw[target]).hexdigest()})")
    return errors


def _check_references(files: Mapping[str, Any]) -> list[str]:
    """Every id a transaction names is defined: stakeholders, stock classes, securities
    issued, exercise triggers; and no object id is used twice."""
    defined: dict[str, set[str]] = {"STAKEHOLDER": set(), "STOCK_CLASS": set()}
    securities: dict[str, set[str]] = {}
    seen: dict[str, str] = {}
    errors: list[str] = []
    located = []
    for name, data in files.items():
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            located.append((name, index, item))
            object_id, kind = item.get("id"), item.get("object_type")
            if object_id in seen:
                errors.append(f"{name}: {_path(('items', index, 'id'))}: id {object_id!r} is used twice "
                              f"(also in {seen[object_id]})")
            elif isinstance(object_id, str):
                seen[object_id] = name
            if kind in defined and isinstance(object_id, str):
                defined[kind].add(object_id)
            if isinstance(kind, str) and kind.endswith("_ISSUANCE") and isinstance(item.get("security_id"), str):
                triggers = {t.get("trigger_id") for t in item.get("exercise_triggers", []) if isinstance(t, dict)}
                securities[item["security_id"]] = triggers
    for name, index, item in located:
        kind = str(item.get("object_type", ""))
        wanted: list[tuple[tuple[Any, ...], Any, Iterable[str], str]] = [
            (("stakeholder_id",), item.get("stakeholder_id"), defined["STAKEHOLDER"], "stakeholder"),
            (("stock_class_id",), item.get("stock_class_id"), defined["STOCK_CLASS"], "stock class"),
            (("balance_security_id",), item.get("balance_security_id"), securities, "security"),
        ]
        if kind.startswith("TX_") and not kind.endswith("_ISSUANCE"):
            wanted.append((("security_id",), item.get("security_id"), securities, "security"))
        for key in ("resulting_security_ids", "security_ids"):
            wanted.extend(((key, position), value, securities, "security")
                          for position, value in enumerate(item.get(key) or []))
        if kind == "TX_WARRANT_EXERCISE" and item.get("security_id") in securities:
            wanted.append((("trigger_id",), item.get("trigger_id"), securities[item["security_id"]] - {None},
                           f"exercise trigger of {item['security_id']}"))
        errors.extend(f"{name}: {_path(('items', index, *at))}: unknown {what} {value!r}"
                      for at, value, pool, what in wanted if isinstance(value, str) and value not in pool)
    return errors
