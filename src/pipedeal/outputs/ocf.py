"""Open Cap Format (OCF 1.2) export: the deal's issuer, holders, Common Stock and every
transaction on the Shares and Warrants, as the JSON files of an OCF package.

``build_bundle`` maps an evaluation and its event log to ``{file name: JSON object}``;
``write_bundle`` writes them (pretty-printed, sorted keys, so the manifest's MD5s are
reproducible); ``validate_bundle`` checks them against the official OCF JSON schemas,
offline: every schema's ``$id`` is mapped to the local file, and a ``$ref`` that is not
there is an error, never a download.

Where OCF has no transaction for a Warrant event (a partial exercise leaving a new
Warrant for the rest, a W 11 adjustment, a W 12 price reduction, a W 7(b) division or
combination, a W 9 replacement, a W 11 reorganization), the Warrant is exported as
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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from pipedeal import __version__
from pipedeal.base.money import fraction_to_decimal, money_str, plain, to_ten_places
from pipedeal.deal.terms import Party
from pipedeal.engine import events as ev
from pipedeal.engine.evaluate import Evaluation
from pipedeal.engine.timeline import CertificateView as Certificate
from pipedeal.engine.warrants import AdjustmentNotice, ExerciseResult, price_in_force

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
_RECAPITALIZATIONS = (ev.StockSplit, ev.StockDividend, ev.ReverseSplit, ev.Reclassification)


class OcfExportError(ValueError):
    """The export disagrees with the warrant register it was built from."""


@dataclass(frozen=True)
class IssuerFacts:
    """What OCF's Issuer object requires that a terms file does not record."""

    country_of_formation: str
    subdivision_of_formation: str | None
    formation_date: dt.date | None
    source: str


# Facts of the bundled deals, each quoted from the agreement.
KNOWN_ISSUERS: dict[str, IssuerFacts] = {
    "focus-1999": IssuerFacts(
        "US", "DE", None,
        'SPA preamble: "a corporation organized and existing under the laws of the State of Delaware"; '
        "SPA 4.1"),
}


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


def _count(value: Fraction | Decimal | int) -> str:
    """A share count for comments: 87,150 or 112,501.5 or 1/3 when it does not terminate."""
    value = Fraction(value)
    if value.denominator == 1:
        return f"{value.numerator:,}"
    exact = fraction_to_decimal(value)
    whole, _, places = plain(exact).partition(".")
    text = f"{int(whole):,}.{places}"
    return text if Fraction(exact) == value else f"{text} (exactly {value.numerator}/{value.denominator})"


def _usd(value: Decimal | Fraction) -> str:
    """A price as computed, at least to the cent: $1.50, $1.80125, $1.2008333333."""
    return f"${money_str(Decimal(numeric(value)))}"


def _dollars(amount: Decimal) -> str:
    """An amount of money: $1,394,400.00."""
    return f"${Decimal(money_str(Decimal(amount))):,}"


# --- the export ----------------------------------------------------------------------------

@dataclass
class _Version:
    """One OCF warrant security: a register certificate between two reissuances."""

    security_id: str
    cert: str
    holder: str
    shares: Fraction
    price: Decimal


class _Export:
    def __init__(self, evaluation: Evaluation, events: Sequence[Any]):
        self.evaluation = evaluation
        self.terms = evaluation.terms
        self.deal = self.terms.deal.name
        self.register: dict[str, Certificate] = dict(evaluation.state.certificates)
        self.items: list[dict[str, Any]] = []
        self.ids: set[str] = set()
        self.current: dict[str, _Version] = {}
        self.closed_shares: dict[str, Fraction] = {}
        self.notes: list[str] = []
        self.factor = Fraction(1)
        self.reductions: list[tuple[dt.date, dt.date, Fraction]] = []  # as the fold keeps them
        self.basket: tuple[tuple[str, Decimal], ...] = ()
        self.checkpoints: list[dt.date] = []
        self.version_numbers: dict[str, int] = {}
        self.reduction_facts: dict[tuple[dt.date, dt.date], str] = {}
        pricing = evaluation.pricing
        self.base: Decimal | None = getattr(evaluation.state, "base_exercise_price", None) or (
            pricing.exercise_price if pricing else None)
        self.exercises: dict[tuple[str, dt.date], ExerciseResult] = {
            (result.warrant, result.date): result for result in getattr(evaluation, "exercises", ())}
        self.notices: list[AdjustmentNotice] = list(getattr(evaluation, "adjustments", ()))
        plain_events = [getattr(item, "event", item) for item in events]
        self.timeline = sorted((event for event in plain_events if event.applies_on <= evaluation.as_of),
                               key=lambda event: event.applies_on)
        self.common = f"{self.deal}:common"
        self.exemptions = [{
            "description": "Section 4(2) and/or 4(6) of the Securities Act and/or Regulation D "
                           "(SPA recitals; SPA 4.6)",
            "jurisdiction": "US",
        }]

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

    # prices ---------------------------------------------------------------------------------
    def price_on(self, day: dt.date) -> Decimal:
        if self.base is None:
            raise OcfExportError("no Exercise Price: the deal has no pricing (Closing bids missing?)")
        return price_in_force(self.base, self.factor, tuple(self.reductions), day)

    # the walk -------------------------------------------------------------------------------
    def run(self) -> list[dict[str, Any]]:
        for event in self.timeline:
            day = event.applies_on
            self.reprice_through(day)
            self.apply(event)
            self.reprice_through(day)
        self.reprice_through(self.evaluation.as_of)
        self.check_register()
        return self.items

    def apply(self, event: ev.EventBase) -> None:
        if isinstance(event, ev.Closing):
            self.closing(event)
        elif isinstance(event, ev.WarrantExercise):
            self.exercise(event)
        elif isinstance(event, ev.WarrantTransfer):
            self.transfer(event)
        elif isinstance(event, ev.WarrantDivide):
            self.divide(event)
        elif isinstance(event, ev.WarrantCombine):
            self.combine(event)
        elif isinstance(event, ev.WarrantReplace):
            self.replace(event)
        elif isinstance(event, _RECAPITALIZATIONS):
            self.recapitalize(event)
        elif isinstance(event, ev.Merger):
            self.merge(event)
        elif isinstance(event, ev.PriceReduction):
            self.reduce(event)
        elif isinstance(event, ev.Financing):
            self.notes.append(
                f"Financing of {event.date} (SPA 6.9): {event.shares:,} shares at {_usd(event.price)} to buyers "
                "the event log does not name; counted in the Common Stock outstanding, not exported as issuances.")

    def notice_for(self, kind: str) -> AdjustmentNotice | None:
        """The fold appends one Notice of Adjustment (W 13) per adjusting event, in order."""
        if self.notices and self.notices[0].kind == kind:
            return self.notices.pop(0)
        return None

    def children(self, parent: str) -> list[Certificate]:
        """The certificates the register issued in exchange for ``parent``, in number order."""
        found = [cert for cert in self.register.values() if parent in _parents(cert)]
        return sorted(found, key=lambda cert: _number(cert.id))

    def take(self, cert_id: str) -> _Version:
        version = self.current.pop(cert_id, None)
        if version is None:
            raise OcfExportError(f"{cert_id} is not an outstanding warrant when the log uses it")
        self.closed_shares[cert_id] = version.shares
        return version

    # closing --------------------------------------------------------------------------------
    def closing(self, event: ev.Closing) -> None:
        """SPA 2.1(a)(i): each Investor's Shares at the Purchase Price and one Warrant."""
        price = self.terms.pricing.purchase_price
        closing_certs = sorted((c for c in self.register.values() if c.origin == "closing"),
                               key=lambda cert: _number(cert.id))
        by_holder = {cert.holder: cert for cert in closing_certs}
        pricing = self.evaluation.pricing
        for allocation in self.evaluation.allocations:
            investor = allocation.investor
            cert = by_holder.get(investor)
            if cert is None:
                raise OcfExportError(f"no Closing warrant for {investor} in the register")
            self.items.append({
                "object_type": "TX_STOCK_ISSUANCE",
                "id": self.tx_id("issuance", investor),
                "security_id": f"{self.deal}:shares:{investor}",
                "date": event.date.isoformat(),
                "custom_id": f"CS-{investor}",
                "stakeholder_id": self.stakeholder_id(investor),
                "stock_class_id": self.common,
                "share_price": monetary(price),
                "quantity": numeric(allocation.shares),
                "stock_legend_ids": [],
                "security_law_exemptions": self.exemptions,
                "consideration_text": f"{_dollars(allocation.subscription)} subscription (SPA 2.1(a)(i)), for "
                                      f"the Shares and a Warrant",
                "comments": [
                    f"SPA 1.15, 2.1(a): {_dollars(allocation.subscription)} / ${money_str(price)} = "
                    f"{allocation.shares:,} Shares at the Purchase Price",
                    f"Issued with Warrant {cert.id} for {allocation.warrant_shares:,} shares "
                    f"({numeric(self.terms.pricing.warrant_coverage * 100)}% coverage)",
                    "The certificates bear the Legend of SPA 9.1 (not exported as a stock legend template)",
                ],
            })
            price_text = _usd(self.price_on(event.date))
            if pricing is not None and pricing.exercise_price_exact != pricing.exercise_price:
                price_text = f"{_usd(pricing.exercise_price_exact)}, rounded to {price_text}"
            self.issue(cert, Fraction(allocation.warrant_shares), event.date, [
                f"W preamble: Exercise Price = {numeric(self.terms.pricing.exercise_price_multiple * 100)}% of "
                f"the Market Price {_usd(pricing.market_price) if pricing else '?'} (SPA 1.10) = {price_text} "
                f"(exercise_price_rounding={self.terms.interpretations.exercise_price_rounding})",
                f"SPA recitals: {numeric(self.terms.pricing.warrant_coverage * 100)}% of "
                f"{allocation.shares:,} Shares = {allocation.warrant_shares:,} warrant shares",
            ], consideration="Issued at the Closing with the Shares for the Investor's subscription "
                             "(SPA 2.1(a)(i)); the agreement allocates no separate price to the Warrant")

    # warrant securities ---------------------------------------------------------------------
    def issue(self, cert: Certificate, shares: Fraction, day: dt.date, comments: list[str], *,
              consideration: str | None = None, part_of: _Version | None = None) -> _Version:
        """A TX_WARRANT_ISSUANCE for the next OCF security of ``cert`` (or, with ``part_of``,
        for the part of a Warrant exercised, which the register does not number)."""
        price = part_of.price if part_of else self.price_on(day)
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
            "purchase_price": monetary(0),
            "exercise_triggers": self.triggers(version),
            "warrant_expiration_date": self.terms.warrants.termination_date.isoformat(),
            "comments": comments,
        }
        if consideration:
            item["consideration_text"] = consideration
        self.items.append(item)
        if part_of is None:
            self.current[cert.id] = version
        return version

    def triggers(self, version: _Version) -> list[dict[str, Any]]:
        warrants = self.terms.warrants
        if self.basket:
            other = ", ".join(f"{plain(quantity)} {asset}" for asset, quantity in self.basket)
            cash_mechanism: dict[str, Any] = {
                "type": "CUSTOM_CONVERSION",
                "custom_conversion_description": f"W 11 (reorganization): each warrant share buys the Other "
                                                 f"Property a share of Common Stock received: {other}",
            }
        else:
            cash_mechanism = {"type": "FIXED_AMOUNT_CONVERSION", "converts_to_quantity": numeric(version.shares)}
        cash_right: dict[str, Any] = {"type": "WARRANT_CONVERSION_RIGHT", "conversion_mechanism": cash_mechanism}
        cashless_right: dict[str, Any] = {
            "type": "WARRANT_CONVERSION_RIGHT",
            "conversion_mechanism": {
                "type": "CUSTOM_CONVERSION",
                "custom_conversion_description":
                    "W 3: (A - B) x X / A shares of Common Stock, where A = the average of the high and low "
                    "prices on the Trading Day before the election, B = the Exercise Price and X = the warrant "
                    f"shares surrendered (up to {_count(version.shares)}); W 4: no fractional shares, cash "
                    f"instead (fraction_cash={self.terms.interpretations.fraction_cash})",
            },
        }
        if not self.basket:
            cash_right["converts_to_stock_class_id"] = self.common
            cashless_right["converts_to_stock_class_id"] = self.common
        test = self.terms.interpretations.cashless_test
        years = warrants.cashless_after_years
        cert = self.register.get(version.cert)
        original = (getattr(cert, "original_issue_date", None) or cert.issue_date) if cert else None
        since = (f"W 3: from and after {years} year{'s' if years != 1 else ''} from the issuance date of the "
                 f"Warrant" + (f" (issued {original})" if original else ""))
        condition = (f"{since}, if no registration permitting the resale of the Warrant Shares is in effect at "
                     "the election (cashless_test=at_election)" if test == "at_election" else
                     f"{since}, if at any time since then no registration permitting the resale of the Warrant "
                     "Shares was in effect (cashless_test=ever_after_one_year)")
        return [
            {
                "trigger_id": f"{version.security_id}:cash",
                "type": "ELECTIVE_IN_RANGE",
                "nickname": "Cash exercise (W 3)",
                "trigger_description": f"Exercisable in whole or in part for cash at the Exercise Price from "
                                       f"{warrants.initial_exercise_date} to the close of business on "
                                       f"{warrants.termination_date} (W preamble; a last day that is a Saturday, "
                                       "Sunday or legal holiday moves to the next day that is none of those, W 10)",
                "start_date": warrants.initial_exercise_date.isoformat(),
                "end_date": warrants.termination_date.isoformat(),
                "conversion_right": cash_right,
            },
            {
                "trigger_id": f"{version.security_id}:cashless",
                "type": "ELECTIVE_ON_CONDITION",
                "nickname": "Cashless exercise (W 3)",
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

    def reissue(self, version: _Version, day: dt.date, shares: Fraction, reason: str,
                computation: list[str]) -> _Version:
        """OCF has no transaction for the change: cancel the security and issue its successor."""
        cert = self.register[version.cert]
        self.current.pop(version.cert, None)
        successor, _ = self.next_security_id(cert.id)
        self.cancel(version, day, reason, [f"Reissued as {successor} (OCF has no transaction for this change)"])
        return self.issue(cert, shares, day, [reason, *computation, f"Replaces {version.security_id}"])

    # exercises ------------------------------------------------------------------------------
    def exercise(self, event: ev.WarrantExercise) -> None:
        """W 3: cash or cashless; a partial exercise leaves a new Warrant for the rest."""
        version = self.take(event.warrant)
        surrendered = Fraction(event.shares)
        cert = self.register[event.warrant]
        result = self.exercises.get((event.warrant, event.date))
        target = version
        if surrendered < version.shares:
            rest = version.shares - surrendered
            remainder = [c for c in self.children(cert.id) if c.origin == "exercise_remainder"]
            if len(remainder) != 1:
                raise OcfExportError(f"the partial exercise of {cert.id} on {event.date} left no remainder warrant")
            self.cancel(version, event.date,
                        f"W 3: partial exercise of {_count(surrendered)} of {_count(version.shares)} warrant "
                        f"shares; the Warrant is surrendered for the part exercised and a new Warrant "
                        f"{remainder[0].id} for the rest",
                        ["OCF's warrant exercise has no quantity, so the part exercised is issued as its own "
                         "security and exercised in full"])
            target = self.issue(cert, surrendered, event.date, [
                f"The {_count(surrendered)} warrant shares of {cert.id} exercised on {event.date} "
                f"(of {_count(version.shares)})"], part_of=version)
            self.issue(remainder[0], rest, event.date, [
                f"W 3: a new Warrant for the unexercised rest: {_count(version.shares)} - {_count(surrendered)} "
                f"= {_count(rest)} warrant shares", f"Replaces part of {version.security_id}"])
        resulting: list[str] = []
        price = result.exercise_price if result else target.price
        if result is not None and result.shares_issued > 0:
            stock_id = f"{self.deal}:shares:{cert.id}"
            resulting.append(stock_id)
            self.items.append({
                "object_type": "TX_STOCK_ISSUANCE",
                "id": self.tx_id("issuance", self.local(stock_id)),
                "security_id": stock_id,
                "date": event.date.isoformat(),
                "custom_id": f"CS-{cert.id}",
                "stakeholder_id": self.stakeholder_id(target.holder),
                "stock_class_id": self.common,
                "share_price": monetary(price if event.method == "cash" else 0),
                "quantity": numeric(result.shares_issued),
                "stock_legend_ids": [],
                "security_law_exemptions": self.exemptions,
                "consideration_text": self.consideration(event, result, price),
                "comments": [
                    f"Warrant Shares on the {event.method} exercise of {cert.id} (W 3)",
                    f"Holding period from {result.holding_period_start} (Rule 144(d): cash starts anew, "
                    "cashless tacks to the Warrant's issue date)",
                    f"Certificates due by {result.delivery_due} (W 3)",
                ],
            })
        comments = list(result.computation) if result else [
            f"W 3: {event.method} exercise of {_count(surrendered)} warrant shares; the evaluation has no "
            "exercise figures (no quotes), so the shares delivered are not exported"]
        self.items.append({
            "object_type": "TX_WARRANT_EXERCISE",
            "id": self.tx_id("exercise", self.local(target.security_id)),
            "security_id": target.security_id,
            "date": event.date.isoformat(),
            "trigger_id": f"{target.security_id}:{event.method}",
            "resulting_security_ids": resulting,
            "consideration_text": self.consideration(event, result, price),
            "comments": comments,
        })

    def consideration(self, event: ev.WarrantExercise, result: ExerciseResult | None, price: Decimal) -> str:
        surrendered = Fraction(event.shares)
        if event.method == "cash":
            aggregate = result.aggregate_price if result else None
            text = (f"{_dollars(aggregate)} in cash: " if aggregate is not None else "Cash: ") + (
                f"{_count(surrendered)} warrant shares x {_usd(price)} (W 3)")
        else:
            text = f"Cashless: {_count(surrendered)} warrant shares surrendered, no cash paid (W 3)"
        if result is not None and result.fraction:
            text += f"; the Company paid {_dollars(result.fraction_cash)} for the fraction of a share (W 4)"
        return text

    # transfers, divisions, combinations, replacements ---------------------------------------
    def transfer(self, event: ev.WarrantTransfer) -> None:
        """W 1, 7(a): OCF's warrant transfer, with new securities for the assignee and the rest."""
        version = self.take(event.warrant)
        cert = self.register[event.warrant]
        made = {c.origin: c for c in self.children(cert.id)}
        to, rest_cert = made.get("transfer"), made.get("transfer_remainder")
        if to is None:
            raise OcfExportError(f"the transfer of {cert.id} on {event.date} made no new warrant")
        moved = Fraction(event.shares)
        rest = version.shares - moved
        new = f"{self.deal}:{to.id}"
        item: dict[str, Any] = {
            "object_type": "TX_WARRANT_TRANSFER",
            "id": self.tx_id("transfer", self.local(version.security_id)),
            "security_id": version.security_id,
            "date": event.date.isoformat(),
            "quantity": numeric(moved),
            "resulting_security_ids": [new],
            "comments": [f"W 1, 7(a): {_count(moved)} of {_count(version.shares)} warrant shares of {cert.id} "
                         f"assigned by {version.holder} to {event.to} with the Assignment Form"],
        }
        if rest_cert is not None:
            item["balance_security_id"] = f"{self.deal}:{rest_cert.id}"
        self.items.append(item)
        self.issue(to, moved, event.date, [f"W 7(a): new Warrant to the assignee {event.to} for "
                                           f"{_count(moved)} warrant shares of {cert.id}"])
        if rest_cert is not None:
            self.issue(rest_cert, rest, event.date, [
                f"W 7(a): new Warrant to the assignor {version.holder} for the rest: {_count(version.shares)} - "
                f"{_count(moved)} = {_count(rest)}"])

    def divide(self, event: ev.WarrantDivide) -> None:
        version = self.take(event.warrant)
        new = [c for c in self.children(event.warrant) if c.origin == "division"]
        if len(new) != len(event.into):
            raise OcfExportError(f"the division of {event.warrant} on {event.date} does not match the register")
        parts = " + ".join(f"{shares:,}" for shares in event.into)
        names = ", ".join(f"{c.id} ({shares:,})" for c, shares in zip(new, event.into, strict=True))
        self.cancel(version, event.date, f"W 7(b): divided into Warrants {names}",
                    [f"{_count(version.shares)} = {parts}"])
        for cert, shares in zip(new, event.into, strict=True):
            self.issue(cert, Fraction(shares), event.date, [
                f"W 7(b): one of the Warrants {event.warrant} was divided into: {_count(version.shares)} = {parts}",
                f"Replaces part of {version.security_id}"])

    def combine(self, event: ev.WarrantCombine) -> None:
        versions = [self.take(cert_id) for cert_id in event.warrants]
        new = [c for c in self.register.values()
               if c.origin == "combination" and set(_parents(c)) == set(event.warrants)]
        if len(new) != 1:
            raise OcfExportError(f"the combination of {', '.join(event.warrants)} on {event.date} "
                                 "does not match the register")
        total = sum((v.shares for v in versions), Fraction(0))
        parts = " + ".join(_count(v.shares) for v in versions)
        for version in versions:
            self.cancel(version, event.date, f"W 7(b): Warrants {', '.join(event.warrants)} combined into {new[0].id}",
                        [f"{parts} = {_count(total)}"])
        self.issue(new[0], total, event.date, [
            f"W 7(b): Warrants {', '.join(event.warrants)} combined: {parts} = {_count(total)}",
            "Replaces " + ", ".join(v.security_id for v in versions)])

    def replace(self, event: ev.WarrantReplace) -> None:
        version = self.take(event.warrant)
        new = [c for c in self.children(event.warrant) if c.origin == "replacement"]
        if len(new) != 1:
            raise OcfExportError(f"the replacement of {event.warrant} on {event.date} does not match the register")
        self.cancel(version, event.date, f"W 9: Warrant {event.warrant} {event.reason}; replaced by {new[0].id} "
                                         "of like tenor")
        self.issue(new[0], version.shares, event.date, [
            f"W 9: new Warrant of like tenor for {event.warrant} ({event.reason}), {_count(version.shares)} "
            "warrant shares", f"Replaces {version.security_id}"])

    # adjustments ----------------------------------------------------------------------------
    def recapitalize(self, event: ev._Recapitalization) -> None:
        """W 11(a): OCF's stock class split for the Common; each Warrant reissued with its
        shares x new/old and its Exercise Price x old/new."""
        notice = self.notice_for(event.type)
        factor = event.factor
        new, old = event.ratio.split(":")
        day = event.applies_on
        label = event.type.replace("_", " ")
        facts = [notice.facts] if notice else [f"{label} {new}:{old} effective {event.date}"]
        if event.record_date:
            facts.append(f"Exported on the record date {event.record_date}: W 11 makes the adjustment retroactive "
                         f"to it (effective date {event.date})")
        if factor != 1:
            kind_note = {
                "stock_dividend": "A stock dividend, exported as OCF's split: both multiply each share by "
                                  f"{new}/{old}",
                "reverse_split": "A reverse split, exported as OCF's split with a ratio below one",
                "reclassification": "A reclassification that changes the count, exported as OCF's split",
            }.get(event.type)
            self.items.append({
                "object_type": "TX_STOCK_CLASS_SPLIT",
                "id": self.tx_id("split", day.isoformat()),
                "date": day.isoformat(),
                "stock_class_id": self.common,
                "split_ratio": {"numerator": new, "denominator": old},
                "comments": [*facts, *([kind_note] if kind_note else []),
                             *(f"W 13: {step}" for step in (notice.computation if notice else ())),
                             "The Warrants are reissued with their adjusted shares and price (W 11(a)); OCF's "
                             "split does not adjust them"],
            })
        else:
            self.notes.append(f"{label.capitalize()} of {event.date} at {new}:{old}: no change in counts; "
                              "not exported as a split.")
        if event.authorized:
            self.items.append({
                "object_type": "TX_STOCK_CLASS_AUTHORIZED_SHARES_ADJUSTMENT",
                "id": self.tx_id("authorized", day.isoformat()),
                "date": day.isoformat(),
                "stock_class_id": self.common,
                "new_shares_authorized": numeric(event.authorized),
                "comments": [f"The authorized Common after the {label} of {event.date}"],
            })
        if factor == 1:
            return
        if self.base is None:
            raise OcfExportError("no Exercise Price to adjust: the deal has no pricing")
        price_before = fraction_to_decimal(Fraction(self.base) / self.factor)
        self.factor *= factor
        price_after = fraction_to_decimal(Fraction(self.base) / self.factor)
        in_force = self.price_on(day)
        rows = {row.warrant: row for row in notice.rows} if notice else {}
        for version in self.outstanding():
            shares = version.shares * factor
            row = rows.get(version.cert)
            if row is not None and (Fraction(row.shares_after) != shares or row.price_after != price_after):
                raise OcfExportError(
                    f"{version.cert}: the Notice of Adjustment gives {_count(row.shares_after)} shares at "
                    f"{_usd(row.price_after)} after the {label}; the export computes {_count(shares)} at "
                    f"{_usd(price_after)}")
            computation = [
                f"W 11(a): warrant shares {_count(version.shares)} x {new}/{old} = {_count(shares)}",
                f"W 11(a): Exercise Price {_usd(price_before)} x {old}/{new} = {_usd(price_after)} "
                "(10 places, half-up, where it does not terminate)",
            ]
            if in_force != price_after:
                computation.append(f"W 12: the reduced Exercise Price {_usd(in_force)} stays in force for its period")
            computation.append(f"Notice of Adjustment (W 13) of {event.date}")
            self.reissue(version, day, shares, f"W 11(a): adjustment for the {label} {new}:{old} of {event.date}",
                         computation)

    def merge(self, event: ev.Merger) -> None:
        notice = self.notice_for("merger")
        self.basket = tuple((asset.asset, asset.quantity) for asset in event.per_share)
        other = ", ".join(f"{plain(quantity)} {asset}" for asset, quantity in self.basket)
        for version in self.outstanding():
            self.reissue(version, event.date, version.shares,
                         f"W 11 (reorganization) of {event.date}: the Warrant now buys Other Property", [
                             f"Each warrant share buys {other} instead of a share of Common Stock",
                             *([notice.facts] if notice else [])])

    def reduce(self, event: ev.PriceReduction) -> None:
        """W 12: the reduced price from ``start`` through ``end``, then the price in force."""
        notice = self.notice_for("price_reduction")
        self.reduction_facts[(event.start, event.end)] = (
            notice.facts if notice else f"The Board reduced the Exercise Price on {event.date}")
        self.reductions.append((event.start, event.end, Fraction(event.price) * self.factor))
        self.checkpoints.extend([event.start, event.end + dt.timedelta(days=1)])
        self.checkpoints.sort()

    def reprice_through(self, day: dt.date) -> None:
        """At each W 12 boundary on or before ``day``: reissue every Warrant whose price changed."""
        while self.checkpoints and self.checkpoints[0] <= day:
            when = self.checkpoints.pop(0)
            if when > self.terms.warrants.termination_date:
                continue
            price = self.price_on(when)
            active = [(start, end, price_in_force(Decimal(0), self.factor, ((start, end, reduced),), start))
                      for start, end, reduced in reversed(self.reductions) if start <= when <= end]
            for version in self.outstanding():
                if version.price == price:
                    continue
                computation = [f"Exercise Price {_usd(version.price)} -> {_usd(price)} from {when}"]
                if active:
                    start, end, reduced = active[0]
                    reason = f"W 12: the Board reduced the Exercise Price to {_usd(reduced)} from {start} through {end}"
                    computation.append(f"Notice of Adjustment (W 13): {self.reduction_facts.get((start, end), '')}")
                else:
                    reason = (f"W 12: the reduction ended on {when - dt.timedelta(days=1)}; the Exercise Price "
                              "in force returns")
                self.reissue(version, when, version.shares, reason, computation)

    def outstanding(self) -> list[_Version]:
        return sorted(self.current.values(), key=lambda version: _number(version.cert))

    # the self-check -------------------------------------------------------------------------
    def check_register(self) -> None:
        """Every certificate of the register, with the shares it has (or had when closed)."""
        problems = []
        for cert in self.register.values():
            if cert.id in self.current:
                exported = self.current[cert.id].shares
            elif cert.id in self.closed_shares:
                exported = self.closed_shares[cert.id]
            else:
                problems.append(f"{cert.id} ({cert.origin}) was never exported")
                continue
            if exported != cert.shares:
                problems.append(f"{cert.id}: register {_count(cert.shares)} shares, export {_count(exported)}")
        if problems:
            raise OcfExportError("the OCF export disagrees with the warrant register: " + "; ".join(problems))


def _parents(cert: Certificate) -> tuple[str, ...]:
    return tuple(getattr(cert, "parents", ()) or ((cert.parent,) if cert.parent else ()))


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
    comments = ["Notice address (SPA 12.1, RRA 8)" + (f", attention {party.attention}" if party.attention else "")
                + (f", fax {party.fax}" if party.fax else "") + f"; time zone {party.timezone}"]
    allocation = next((a for a in evaluation.allocations if a.investor == party.id), None)
    if investor is not None and allocation is not None:
        comments.append(f"Subscription {_dollars(investor.subscription)} (signature page): "
                        f"{allocation.shares:,} Shares and a Warrant for {allocation.warrant_shares:,} shares")
    holding = evaluation.state.holdings.get(party.id)
    if holding is not None and holding.sold:
        comments.append(f"Sold {_count(holding.sold)} shares by {evaluation.as_of} (RRA 3(e)(B)); market sales "
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
        comments.append(f"formation_date: OCF requires one and the terms do not record it; the agreement date "
                        f"{formation} stands in (the Company existed then, SPA 4.1). It is not the date of "
                        "incorporation")
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
    comments = [
        f"SPA 4.3: {cap.common_outstanding:,} shares outstanding on {cap.as_of}; "
        f"{capitalization.shares_issued_at_closing:,} issued at the Closing",
        f"Outstanding as of {evaluation.as_of}: {_count(evaluation.state.common_outstanding)} "
        "(after exercises, financings and adjustments); OCF has no field for it",
    ]
    reservation = getattr(evaluation, "reservation", None)
    if reservation is not None:
        comments.append(f"SPA 6.2, W 15: {_count(reservation.reserved)} shares reserved for the Warrants "
                        f"(required {_count(reservation.required)}); authorized headroom "
                        f"{_count(reservation.headroom)} as of {reservation.as_of}")
    if cap.preferred_authorized:
        comments.append(f"SPA 4.3: {cap.preferred_authorized:,} shares of preferred stock authorized, "
                        f"{cap.preferred_outstanding:,} outstanding; not exported as a class")
    comments.append("votes_per_share: one vote per share, the Delaware default (DGCL 212(a)); the agreement does "
                    "not state it")
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


def build_bundle(evaluation: Evaluation, events: Iterable[Any], *, generated_at: dt.datetime | None = None,
                 issuer: IssuerFacts | None = None) -> dict[str, dict[str, Any]]:
    """The OCF package of the deal as of ``evaluation.as_of``: ``{file name: JSON object}``.

    ``events`` is the log the evaluation was computed from (``Located`` items or events);
    ``generated_at`` defaults to now (UTC), ``issuer`` to the deal's entry in ``KNOWN_ISSUERS``.
    Raises ``OcfExportError`` if the transactions do not reproduce the warrant register.
    """
    terms = evaluation.terms
    deal = terms.deal.name
    export = _Export(evaluation, list(events))
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
    readings = terms.interpretations
    comments = [
        f"{terms.deal.title}: the Shares and Warrants sold under it, exported by pipedeal {__version__} as of "
        f"{evaluation.as_of}",
        f"Only the deal's securities are exported: the {terms.capitalization.common_outstanding:,} shares "
        f"outstanding before the Closing (SPA 4.3) and their holders are not in the deal's records",
        f"Readings in force: exercise_price_rounding={readings.exercise_price_rounding}, "
        f"cashless_test={readings.cashless_test}, fraction_cash={readings.fraction_cash}",
        "Where OCF has no transaction for a Warrant event (partial exercise, W 11 adjustment, W 12 price reduction, "
        "W 7(b) division or combination, W 9 replacement, W 11 reorganization) the Warrant is cancelled and "
        "reissued, with the computation in the new security's comments",
        "Warrants expire at the close of business on the warrant_expiration_date (W preamble, W 10); OCF records "
        "no expiry transaction",
        *export.notes,
    ]
    manifest: dict[str, Any] = {
        "ocf_version": OCF_VERSION,
        "file_type": _FILE_TYPES[MANIFEST_FILE],
        "issuer": _issuer(evaluation, issuer or KNOWN_ISSUERS.get(deal)),
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


def write_bundle(evaluation: Evaluation, events: Iterable[Any], directory: Path, *,
                 generated_at: dt.datetime | None = None, issuer: IssuerFacts | None = None) -> list[Path]:
    """Write one JSON file per OCF file into ``directory`` (created); the paths, manifest first."""
    bundle = build_bundle(evaluation, events, generated_at=generated_at, issuer=issuer)
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
