"""The one reader of history: the deal's events folded into a dated timeline of state.

Like beancount's ledger of directives or FINOS CDM's primitive events, every fact
is an immutable event, and one transition, ``Fold.step``, turns the state before
an event into the state after it. The fold is the only code that reads events:
deadlines, Registration Defaults, damages, the report, the OCF export, statements
and forms all read the ``Timeline`` it returns, never the raw events.

The timeline holds, for every day on which something changes: the holdings of
each party by lot (shares bought at the Closing or on an exercise, sold,
repurchased, split-adjusted), the cumulative split factors, each registration
statement's facts and status, the warrant register, the capitalization
(authorized, outstanding, reserved) and the Exercise Price in force; and, in
date order, every fact the registration clauses read (blackouts, delays,
requests, notices, demands, payments).

**Order** (documented, like CDM's). Effects apply in date order. An event has
one effect on its date, with two exceptions:

- a split, stock dividend, reverse split or reclassification whose record date
  precedes its effective date: the Warrant's W 11 adjustment ("retroactive to
  the record date") applies on the record date, and the shares themselves (the
  holdings and the Common outstanding) change at the start of the effective
  date, when the new shares are distributed and trade (RULES.md §3 "still held");
- the Warrants' expiry: at the start of the day after the Termination Date
  (moved per W 10) every outstanding certificate is expired and its reserve
  released.

On one day, those start-of-day effects come first, then the Closing's checklist events
(``condition_satisfied``, ``condition_waived``, ``funds_received``, ``deliverable_delivered``:
SPA 2.1(b)'s conditions are met before the Closing they condition, so a checklist recorded
after a same-day ``closing`` still precedes it), then the other events in the order they
were recorded (ledger sequence, or file line).

A ``financing`` is one event with two effects, in this order: first the price-based
anti-dilution adjustment of the Warrants (PIPE-TERMS "Warrants": not for a
``structural`` deal, nor for an issue at or above the Exercise Price in force, nor
for an exempt kind), whose A counts the Common outstanding *just before* the issue;
then the shares issued join the Common outstanding, where the reserve and
authorized-share checks (SPA 4.3, 6.2; W 15) see them. Against a split on the same
day the recorded order decides, as for any two events: a split recorded before the
financing has already adjusted the price the financing is compared with (the
financing's shares and price are then post-split figures); a split recorded after
it adjusts the price the financing set. A split whose record date precedes its
effective date adjusts the Warrants on the record date and the Common on the
effective date; a financing between the two is compared with the adjusted price
while its A counts the Common not yet split (the fold's figures that day).

**Cost.** The fold owns its state and changes it in place, so a step costs O(1)
in the size of the history (a split is O(outstanding certificates)); every
figure that moves is kept as a ``Steps`` series, so the state on any day is a
binary search away. Nothing outside ``fold`` ever sees a state change.

Share counts: holdings and the Common outstanding are whole (RULES §4: a split
of an odd count pays cash in lieu of the fraction); warrant shares are exact
rationals (W 4 pays for a fraction only at exercise). An anti-dilution share
adjustment keeps each Warrant's shares to 10 decimal places (PIPE-TERMS "Precise
readings"); the fraction stays on the Warrant, counts in the warrant shares but not
in the whole shares the reserve must cover, and is paid in cash under W 4 when
the Warrant is exercised, as a split's fraction is.
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from pipedeal.base.calendars import BusinessCalendar, TradingCalendar
from pipedeal.base.diagnostics import Diagnostic, InputError
from pipedeal.base.formats import money, share_count
from pipedeal.base.formats import price as price_text
from pipedeal.base.money import fraction_to_decimal, to_cent
from pipedeal.base.quotes import QuoteBook
from pipedeal.base.steps import Steps
from pipedeal.deal.clauses import Slot, cite, cite_all
from pipedeal.deal.terms import Terms
from pipedeal.engine import events as ev
from pipedeal.engine.closing import Checklist, Refusal, Tick, expected_funds
from pipedeal.engine.notices import Clock, Noticed, Sent
from pipedeal.engine.pricing import RESERVE_SLOTS, Allocation, Pricing, allocate, price_the_deal
from pipedeal.engine.warrants import (
    AdjustmentNotice,
    AdjustmentRow,
    ExerciseResult,
    anti_dilution_clause,
    cashless_shares,
    cashless_start,
    exercise_window,
    fraction_cash,
    needs_no_registration,
    price_after_issue,
    price_in_force,
    shares_after_price_adjustment,
    whole_and_fraction,
    window_clause,
)

# Events that may be dated before the Closing (they do not presuppose it).
# SPA 13.10: a press release may be proposed (and answered) at signing; a waiver may be signed then;
# SPA 2.1(b): the Closing's checklist precedes it.
PRE_CLOSING_TYPES = frozenset({"closing", "notice", "corporate_action_notice", "financing", "press_release_draft",
                               "press_release_answer", "waiver", "condition_satisfied", "condition_waived",
                               "funds_received", "deliverable_delivered"})
# RULES §5: the facts that trigger or perform a covenant; read by engine/obligations.py.
COVENANT_EVENTS = (ev.RsEffectiveNotice, ev.TransferAgentInstruction, ev.DraftRsDelivered, ev.CommentLetterReceived,
                   ev.CommentLetterForwarded, ev.DelistingNoticeReceived, ev.DelistingNoticeForwarded,
                   ev.PressReleaseDraft, ev.PressReleaseAnswer)
STATEMENT_EVENTS = (ev.RsFiled, ev.RsAmended, ev.FullReview, ev.SecClearance, ev.RsEffective,
                    ev.EffectivenessLapsed, ev.EffectivenessRestored)
RECAPITALIZATIONS = (ev.StockSplit, ev.StockDividend, ev.ReverseSplit, ev.Reclassification)
ONE_DAY = dt.timedelta(days=1)

UNIT_WORDS = {"calendar": "days", "business": "Business Days", "trading": "Trading Days"}

# Phases within a day (see the module docstring).
START_OF_DAY, CHECKLIST, EVENT, END_OF_DAY = 0, 1, 2, 3


class Rejected(Exception):
    """An event the state makes impossible."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Located:
    """An event and where it came from: a file line, or a ledger row's sequence number."""

    event: ev.EventBase
    file: str | None = None
    line: int | None = None
    seq: int | None = None

    def diagnostic(self, code: str, message: str, field: str | None = None, *, clause: str | None = None,
                   date: dt.date | None = None) -> Diagnostic:
        return Diagnostic(code, message, self.file, self.line, field, clause=clause, date=date, seq=self.seq)


@dataclass(frozen=True)
class Context:
    """What the fold reads besides the events: the terms, the deal's Business Days (W 10),
    and the quotes."""

    terms: Terms
    business: BusinessCalendar
    # For the prices (the Market Price, W 3's A): without them the fold still checks
    # balances and windows, and leaves prices to the caller.
    quotes: QuoteBook | None = None
    trading: TradingCalendar | None = None
    # RRA 3(e)(A): a repurchase the evaluation found valid; its payment takes the
    # Shares (evaluate's second pass; the fold cannot judge the election itself).
    repurchase_paid_on: dt.date | None = None


def make_context(terms: Terms, business: BusinessCalendar, quotes: QuoteBook | None = None,
                 trading: TradingCalendar | None = None) -> Context:
    return Context(terms, business, quotes, trading)


# --- the parts of the state ---------------------------------------------------------------------

@dataclass
class Lot:
    """Shares a party acquired together: the Closing Shares, or the Warrant Shares of one exercise.

    ``holding_from`` starts the Rule 144 holding period (Rule 144(d): a cash exercise
    starts anew, a cashless one tacks to the Warrant's issue date). ``cost`` is the price
    paid per share when acquired (PIPE-TERMS "Holdings": the Purchase Price at the Closing,
    the Exercise Price paid on a cash exercise, zero on a cashless one); None when unknown
    (a fold without prices)."""

    id: str
    party: str
    kind: str  # closing | warrant_cash | warrant_cashless
    acquired: dt.date
    holding_from: dt.date
    acquired_shares: int
    held: Steps[int]
    sold: int = 0
    repurchased: int = 0
    label: str = ""
    cost: Decimal | None = None

    @property
    def purchased(self) -> bool:
        """RRA 3(e)(B): "shares of Common Stock purchased from the Company" at the Closing."""
        return self.kind == "closing"

    def held_on(self, day: dt.date) -> int:
        return self.held.on(day)


@dataclass
class Certificate:
    """A warrant certificate on the register (W 7(d)); ``base_shares`` are in Closing terms,
    so its shares on a day are ``base_shares`` x the W 11 factor then. An anti-dilution
    share adjustment changes ``base_shares`` itself; ``rebased`` keeps each earlier base
    (the first day of the new one, the base before it) so the register's history stays."""

    id: str
    holder: str
    base_shares: Fraction
    issue_date: dt.date
    parents: tuple[str, ...]
    origin: str
    original_issue_date: dt.date
    status: str = "outstanding"
    closed_on: dt.date | None = None  # the day it left the register (expiry: the Termination Date)
    closed_from: dt.date | None = None  # the first day it shows closed (expiry: the day after)
    closing_price: Decimal | None = None  # the Exercise Price when it left the register
    closing_shares: Fraction | None = None
    rebased: list[tuple[dt.date, Fraction]] = field(default_factory=list)

    @property
    def parent(self) -> str | None:
        return self.parents[0] if self.parents else None

    def base_on(self, day: dt.date) -> Fraction:
        """``base_shares`` as it stood on ``day`` (before any later anti-dilution share adjustment)."""
        base = self.base_shares
        for since, before in reversed(self.rebased):
            if day >= since:
                break
            base = before
        return base

    def rebase(self, day: dt.date, base: Fraction) -> None:
        self.rebased.append((day, self.base_shares))
        self.base_shares = base


@dataclass(frozen=True)
class CertificateView:
    """A certificate as of a day: what the register showed then."""

    id: str
    holder: str
    shares: Fraction
    issue_date: dt.date
    parent: str | None
    origin: str
    status: str
    closed_on: dt.date | None
    parents: tuple[str, ...]
    closing_price: Decimal | None
    original_issue_date: dt.date


@dataclass
class Lapse:
    """RRA 3(b), 3(e)(iii): effectiveness not maintained, from ``start`` to the day before
    ``restored``; a further lapse while one is open adds its reason (RRA 3(e) "solely")."""

    start: dt.date
    reasons: frozenset[str]
    restored: dt.date | None = None


@dataclass
class Statement:
    """A Registration Statement's facts, as the ledger records them (RRA 3(a), 3(b))."""

    name: str  # primary | additional
    filed: list[dt.date] = field(default_factory=list)
    amended: list[dt.date] = field(default_factory=list)
    full_review: list[dt.date] = field(default_factory=list)
    clearance: list[dt.date] = field(default_factory=list)
    effective: list[dt.date] = field(default_factory=list)
    lapses: list[Lapse] = field(default_factory=list)
    in_effect: Steps[bool] = field(default_factory=lambda: Steps(False))

    def first(self, kind: str, on_or_after: dt.date | None = None) -> dt.date | None:
        for day in getattr(self, kind):
            if on_or_after is None or day >= on_or_after:
                return day
        return None


@dataclass(frozen=True)
class Holding:
    """A party's shares on a day: purchased at the Closing and still held, and other shares."""

    purchased_held: int = 0
    other_held: int = 0
    sold: int = 0

    @property
    def total(self) -> int:
        return self.purchased_held + self.other_held


@dataclass(frozen=True)
class Capitalization:
    """SPA 4.3, 6.2; W 15: one consistent snapshot of the Common on a day."""

    day: dt.date
    authorized: int
    outstanding: int
    reserved: Fraction
    warrant_shares_outstanding: Fraction  # after every W 11 adjustment in force
    required: int  # whole warrant shares the reserve must cover (W 4 pays fractions in cash)

    @property
    def headroom(self) -> Fraction:
        return self.authorized - self.outstanding - self.reserved


@dataclass(frozen=True)
class Reservation:
    """SPA 6.2, W 15: shares reserved for the Warrants against what they need."""

    as_of: dt.date
    reserved: Fraction
    required: Fraction
    authorized: int
    outstanding: Fraction
    headroom: Fraction


@dataclass(frozen=True)
class Snapshot:
    """The state as of the end of one day, every figure taken from the same day."""

    day: dt.date
    closing_date: dt.date | None
    holdings: dict[str, Holding]
    certificates: dict[str, CertificateView]
    capitalization: Capitalization
    warrant_factor: Fraction
    capital_factor: Fraction
    exercises: tuple[ExerciseResult, ...]
    adjustments: tuple[AdjustmentNotice, ...]
    breaches: tuple[Diagnostic, ...]
    timeline: Timeline

    @property
    def reserved(self) -> Fraction:
        return self.capitalization.reserved

    @property
    def common_outstanding(self) -> int:
        return self.capitalization.outstanding

    @property
    def authorized(self) -> int:
        return self.capitalization.authorized

    @property
    def share_factor(self) -> Fraction:
        return self.warrant_factor

    def exercise_price(self, day: dt.date) -> Decimal | None:
        return self.timeline.exercise_price(day)

    def outstanding_certificates(self) -> list[CertificateView]:
        return [c for c in self.certificates.values() if c.status == "outstanding"]

    def warrant_shares_outstanding(self) -> Fraction:
        return self.capitalization.warrant_shares_outstanding

    def whole_warrantshare_count(self) -> Fraction:
        return Fraction(self.capitalization.required)

    def holding(self, party: str) -> Holding:
        return self.holdings.get(party, Holding())


# --- the timeline -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ActionNoticeDuty:
    """W 14: a date of a corporate action the Warrant holders must have notice of, ``due`` the
    last day to give it, and the notices that name the action (by date sent)."""

    action: ev.EventBase
    label: str  # record_date | effective_date
    day: dt.date
    due: dt.date
    notices: tuple[ev.CorporateActionNotice, ...]


@dataclass(frozen=True)
class Timeline:
    """Everything the deal's history says, by day; read by every figure and every output."""

    terms: Terms
    until: dt.date | None
    closing_date: dt.date | None
    pricing: Pricing | None
    base_exercise_price: Decimal | None  # the Closing's Exercise Price
    # The Exercise Price in Closing-share terms before W 12 reductions: the Closing's, then
    # each anti-dilution adjustment's (x the W 11 factor of its day).
    exercise_base: Steps[Fraction]
    lots: tuple[Lot, ...]
    certificates: dict[str, Certificate]
    warrant_factor: Steps[Fraction]
    capital_factor: Steps[Fraction]
    authorized: Steps[int]
    outstanding: Steps[int]
    reserved: Steps[Fraction]
    required: Steps[int]
    warrant_shares: Steps[Fraction]
    reductions: tuple[tuple[dt.date, dt.date, Fraction], ...]  # W 12, in Closing-share terms
    other_property: Steps[tuple[ev.Asset, ...] | None]
    statements: tuple[Statement, ...]  # the primary first, then each additional, in filing order
    exercises: tuple[ExerciseResult, ...]
    adjustments: tuple[AdjustmentNotice, ...]
    findings: tuple[Diagnostic, ...]  # reported breaches and warnings, in date order
    problems: tuple[Diagnostic, ...]  # refused events (errors)
    blackouts: tuple[ev.Blackout, ...]
    investor_delays: tuple[ev.InvestorDelay, ...]
    underwriter_requests: tuple[ev.UnderwriterRequest, ...]
    insufficient_notices: tuple[ev.InsufficientSharesNotice, ...]
    repurchase_elections: tuple[ev.RepurchaseElected, ...]
    repurchase_payments: tuple[ev.RepurchasePaid, ...]
    demands: tuple[ev.LdDemand, ...]
    payments: tuple[ev.LdPaid, ...]
    period_ends: tuple[ev.EffectivenessPeriodEnd, ...]
    notices: tuple[ev.Notice, ...]
    financings: tuple[ev.Financing, ...]  # every issue recorded, adjusting or not (the adjustments are notices)
    sales: dict[str, tuple[tuple[dt.date, int], ...]]  # lot id -> (day, shares sold)
    allocations: tuple[Allocation, ...]  # what each investor bought at the Closing
    exercise_window: tuple[dt.date, dt.date] | None  # W preamble, W 10: fixed at the Closing
    events_applied: int
    change_days: tuple[dt.date, ...]  # every day on which something changed
    expired_on: dt.date | None  # the last exercise day (W 10-moved Termination Date), once it has passed
    # RULES §5: the covenant facts in date order, the obligation_met and waiver events with where they were
    # recorded (an unknown obligation id is named at its line), and the corporate actions W 14 notices precede.
    covenant_events: tuple[ev.EventBase, ...] = ()
    lifecycle: tuple[Located, ...] = ()
    action_notice_duties: tuple[ActionNoticeDuty, ...] = ()
    # SPA 12.1, RRA 8: every notice (a ``notice`` event, and every fact that is itself a notice), in the
    # order applied, with the day it took effect for each recipient.
    noticed: tuple[Noticed, ...] = ()
    notice_memo: dict = field(default_factory=dict, compare=False, repr=False)  # notices.sent's memo
    # SPA 2.1(b), 13.9: the Closing's checklist as the events left it (engine/closing.py).
    checklist: Checklist | None = None

    @functools.cached_property
    def sent(self) -> tuple[Sent, ...]:
        """Every notice, worked out: who sent it to whom, how, and when it took effect for each."""
        return tuple(entry.worked_out(self.terms, self.notice_memo) for entry in self.noticed)

    def notice_of(self, event: ev.EventBase) -> Sent | None:
        """The timeline's record of the notice ``event`` (None: not a notice, or refused)."""
        entry = self._noticed_by_event.get(id(event))
        return entry.worked_out(self.terms, self.notice_memo) if entry is not None else None

    def effective_day(self, event: ev.EventBase) -> dt.date | None:
        """SPA 12.1: the day the notice ``event`` took effect (for every recipient); None: never."""
        if isinstance(event, ev.SentAsNotice) and not event.delivered:
            return event.date  # no delivery recorded: effective on its date
        record = self.notice_of(event)
        return record.effective if record is not None else event.date

    @functools.cached_property
    def _noticed_by_event(self) -> dict[int, Noticed]:
        return {id(entry.event): entry for entry in self.noticed}

    @property
    def last_exercise_day(self) -> dt.date | None:
        """W preamble, W 10: the Termination Date, moved past a day that is not a business day."""
        return self.exercise_window[1] if self.exercise_window else None

    # -- reading the state on a day ----------------------------------------------------------
    def statement(self, name: str = "primary") -> Statement | None:
        return next((s for s in self.statements if s.name == name), None)

    def additional_statements(self) -> list[Statement]:
        return [s for s in self.statements if s.name == "additional"]

    def registered_on(self, day: dt.date) -> bool:
        """W 3: whether a registration permitting resale (the primary statement) is in effect."""
        primary = self.statement("primary")
        return bool(primary and primary.in_effect.on(day))

    def exercise_price(self, day: dt.date) -> Decimal | None:
        """W preamble, W 11, W 12 and the anti-dilution adjustments: the Exercise Price in force on ``day``."""
        if self.base_exercise_price is None:
            return None
        return price_in_force(self.exercise_base.on(day), self.warrant_factor.on(day), self.reductions, day)

    def lots_of(self, party: str) -> list[Lot]:
        return [lot for lot in self.lots if lot.party == party]

    def purchased_lot(self, investor: str) -> Lot | None:
        return next((lot for lot in self.lots if lot.party == investor and lot.purchased), None)

    def holding_on(self, party: str, day: dt.date) -> Holding:
        purchased = other = sold = 0
        for lot in self.lots_of(party):
            if lot.acquired > day:
                continue
            held = lot.held.on(day)
            if lot.purchased:
                purchased += held
            else:
                other += held
        for lot in self.lots_of(party):
            sold += sum(count for when, count in self.sales.get(lot.id, ()) if when <= day)
        return Holding(purchased, other, sold)

    def capitalization_on(self, day: dt.date) -> Capitalization:
        return Capitalization(day, self.authorized.on(day), self.outstanding.on(day), self.reserved.on(day),
                              self.warrant_shares.on(day), self.required.on(day))

    def certificate_on(self, cert: Certificate, day: dt.date) -> CertificateView:
        closed = cert.closed_from is not None and cert.closed_from <= day
        shares = cert.closing_shares if closed and cert.closing_shares is not None else (
            cert.base_on(day) * self.warrant_factor.on(day))
        return CertificateView(cert.id, cert.holder, shares, cert.issue_date, cert.parent, cert.origin,
                               cert.status if closed else "outstanding", cert.closed_on if closed else None,
                               cert.parents, cert.closing_price if closed else None, cert.original_issue_date)

    def register_on(self, day: dt.date) -> dict[str, CertificateView]:
        return {cid: self.certificate_on(cert, day) for cid, cert in self.certificates.items()
                if cert.issue_date <= day}

    def at(self, day: dt.date) -> Snapshot:
        """The state as of the end of ``day``."""
        parties = dict.fromkeys(lot.party for lot in self.lots if lot.acquired <= day)
        return Snapshot(
            day=day, closing_date=self.closing_date if self.closing_date and self.closing_date <= day else None,
            holdings={party: self.holding_on(party, day) for party in parties},
            certificates=self.register_on(day), capitalization=self.capitalization_on(day),
            warrant_factor=self.warrant_factor.on(day), capital_factor=self.capital_factor.on(day),
            exercises=tuple(r for r in self.exercises if r.date <= day),
            adjustments=tuple(n for n in self.adjustments if min(n.date, n.effective_from) <= day),
            breaches=tuple(b for b in self.findings if b.date is None or b.date <= day),
            timeline=self)

    def dated_states(self) -> list[tuple[dt.date, Snapshot]]:
        """The timeline as a list: the state as of every day on which something changed."""
        return [(day, self.at(day)) for day in self.change_days]

    def reservation(self, day: dt.date) -> Reservation:
        cap = self.capitalization_on(day)
        return Reservation(day, cap.reserved, Fraction(cap.required), cap.authorized, Fraction(cap.outstanding),
                           cap.headroom)


# --- the fold -----------------------------------------------------------------------------------

class Fold:
    """The fold in progress: feed it located events, run it, and take the timeline.

    ``step`` is the one transition; it refuses an event the state makes impossible
    (a sale beyond holdings, an exercise beyond a warrant's balance or outside its
    window, an unknown party or warrant, a second filing of a statement) with a
    ``Rejected`` carrying the field at fault; the fold records it and goes on, so
    one bad line does not hide the others.
    """

    def __init__(self, ctx: Context):
        self.ctx = ctx
        terms = ctx.terms
        cap = terms.capitalization
        # (day ordinal, phase, order, kind, item): tuples, so the heap compares in C.
        self.queue: list[tuple[int, int, int, str, Located | None]] = []
        self.order = 0
        self.last_key: tuple[int, int, int] | None = None
        self.last_event: int | None = None  # the latest day an added event applies on
        self.events_applied = 0
        self.problems: list[Diagnostic] = []
        self.breaches: list[Diagnostic] = []
        self.closing_date: dt.date | None = None
        self.pricing: Pricing | None = None
        self.base_price: Decimal | None = None
        self.exercise_base: Steps[Fraction] = Steps(Fraction(0))  # set at the Closing (Timeline.exercise_base)
        self.lots: list[Lot] = []
        self.lots_by_party: dict[str, list[Lot]] = {}
        self.sales: dict[str, list[tuple[dt.date, int]]] = {}
        self.certificates: dict[str, Certificate] = {}
        self.outstanding_ids: dict[str, None] = {}
        self.factor = Fraction(1)
        self.warrant_factor: Steps[Fraction] = Steps(Fraction(1))
        self.capital: Fraction = Fraction(1)
        self.capital_factor: Steps[Fraction] = Steps(Fraction(1))
        self.authorized: Steps[int] = Steps(cap.common_authorized)
        self.outstanding: Steps[int] = Steps(cap.common_outstanding)
        self.reserved: Steps[Fraction] = Steps(Fraction(0))
        self.required: Steps[int] = Steps(0)
        self.warrant_shares: Steps[Fraction] = Steps(Fraction(0))
        self.whole_required = 0
        self.base_outstanding = Fraction(0)  # outstanding warrant shares in Closing terms
        self.reductions: list[tuple[dt.date, dt.date, Fraction]] = []
        self.other_property: Steps[tuple[ev.Asset, ...] | None] = Steps(None)
        self.statements: list[Statement] = [Statement("primary")]
        self.exercises: list[ExerciseResult] = []
        self.adjustments: list[AdjustmentNotice] = []
        self.facts: dict[type, list[ev.EventBase]] = {}
        self.noticed: list[Noticed] = []  # every notice applied (SPA 12.1), for the timeline
        self.noticed_by_event: dict[int, Noticed] = {}
        self.notice_memo: dict = {}  # notices.sent's memo: (party, how sent) -> receipt
        self.change_days: set[int] = set()
        self.reserve_ok = True
        self.headroom_ok = True
        self.expired_on: dt.date | None = None
        self.allocations: tuple[Allocation, ...] = ()
        self.window: tuple[dt.date, dt.date] | None = None  # the exercise window, fixed at the Closing
        self.current: Located | None = None
        self.covenant_events: list[ev.EventBase] = []
        self.lifecycle: list[Located] = []
        self.action_notice_duties: list[ActionNoticeDuty] = []
        # Set by every step that moves the reserve, the warrant shares or the Common, so
        # the SPA 6.2 / W 15 check runs only after those (a sale or a demand moves none).
        self.capital_changed = False
        self.checklist = Checklist(terms)  # SPA 2.1(b), 13.9: the Closing's conditions, funds and deliveries
        self._funds_known: dict[str, Decimal] | None = None  # funds_due without a price from the quotes
        self._funds_priced: dict[dt.date, dict[str, Decimal]] = {}  # funds_due by the day the quotes price

    # -- feeding and running ---------------------------------------------------------------
    def add(self, items: Iterable[Located]) -> None:
        for item in items:
            event = item.event
            phase = CHECKLIST if isinstance(event, ev.CHECKLIST_EVENTS) else EVENT
            self._push(event.applies_on, phase, "event", item)
            self.last_event = max(self.last_event or 0, event.applies_on.toordinal())
            if isinstance(event, RECAPITALIZATIONS) and event.record_date and event.record_date < event.date:
                self._push(event.date, START_OF_DAY, "distribution", item)

    def _push(self, day: dt.date, phase: int, kind: str, item: Located | None) -> None:
        self.order += 1
        heapq.heappush(self.queue, (day.toordinal(), phase, self.order, kind, item))

    def run(self, until: dt.date | None = None) -> None:
        """Apply every queued effect dated on or before ``until`` (all, when None)."""
        limit = until.toordinal() if until else None
        queue = self.queue
        while queue and (limit is None or queue[0][0] <= limit):
            ordinal, phase, order, kind, item = heapq.heappop(queue)
            self.last_key = (ordinal, phase, order)
            self._apply(ordinal, kind, item)

    def _apply(self, ordinal: int, kind: str, item: Located | None) -> None:
        day = dt.date.fromordinal(ordinal)
        self.current = item
        try:
            if kind == "event":
                assert item is not None
                self.step(item.event, day)
                self.events_applied += 1
            elif kind == "distribution":
                assert item is not None
                self._distribute(item.event, day)  # type: ignore[arg-type]
            elif kind == "expiry":
                self._expire(day)
        except Rejected as refusal:
            self.problems.append(item.diagnostic(refusal.code, refusal.message, refusal.field) if item
                                 else Diagnostic(refusal.code, refusal.message, field=refusal.field))
            return
        self.change_days.add(ordinal)
        if self.capital_changed and self.closing_date is not None:
            self.capital_changed = False
            self._check_reserve(day)

    # -- the transition --------------------------------------------------------------------
    def step(self, event: ev.EventBase, day: dt.date) -> Fold:
        """``state_before + event -> state_after`` (in place; see the module docstring). W 7(d):
        the register ("books for the registration and the registration of transfer of the
        Warrants") is this fold."""
        self._check_parties(event)
        notice = isinstance(event, (ev.SentAsNotice, ev.Notice))
        if notice:
            self._check_mail_receipt(event)  # type: ignore[arg-type]
        kind = event.type  # type: ignore[attr-defined]
        if kind == "closing":
            self._close(event)  # type: ignore[arg-type]
            return self
        if self.closing_date is None and kind not in PRE_CLOSING_TYPES:
            raise Rejected("EVENT-BEFORE-CLOSING",
                           f"a {kind} event needs the Closing first (record the closing event)", "date")
        if self.closing_date is not None and event.date < self.closing_date and kind not in PRE_CLOSING_TYPES:
            raise Rejected("EVENT-BEFORE-CLOSING", f"dated {event.date}, before the Closing on {self.closing_date}",
                           "date")
        if isinstance(event, ev.Correction):  # engine.history applies corrections before any fold
            raise TypeError("a correction reached the fold: read events through engine.history.known_history")
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event, day)
        else:
            self.facts.setdefault(type(event), []).append(event)
        if notice:
            self._record_notice(event, day)  # type: ignore[arg-type]
        return self

    # -- helpers -----------------------------------------------------------------------------
    def _check_parties(self, event: ev.EventBase) -> None:
        terms = self.ctx.terms
        for name in _party_fields(type(event)):
            party = getattr(event, name)
            if party is None:
                continue
            if name == "investor":
                if terms.investor(party) is None:
                    known = ", ".join(inv.id for inv in terms.investors)
                    raise Rejected("EVENT-UNKNOWN-PARTY", f"no investor {party!r} (investors: {known})", "investor")
            elif terms.party(party) is None:
                raise Rejected("EVENT-UNKNOWN-PARTY",
                               f"no party {party!r} in the terms file (add it under [[parties]])",
                               "from" if name == "sender" else name)

    def notice(self, event: ev.SentAsNotice | ev.Notice) -> Sent:
        """SPA 12.1, RRA 8: the notice ``event`` and the day it takes effect for each recipient
        (``notices.sent``), worked out once; a W 14 notice goes to the Warrants' holders then."""
        return self._noticed(event).worked_out(self.ctx.terms, self.notice_memo)

    def _noticed(self, event: ev.SentAsNotice | ev.Notice) -> Noticed:
        found = self.noticed_by_event.get(id(event))
        if found is None:
            holders = tuple(dict.fromkeys(self.certificates[cert_id].holder for cert_id in self.outstanding_ids)
                            ) if isinstance(event, ev.CorporateActionNotice) else ()
            item = self.current if self.current is not None and self.current.event is event else None
            found = self.noticed_by_event[id(event)] = Noticed(
                event, item.file if item else None, item.line if item else None, item.seq if item else None,
                holders)
        return found

    def _record_notice(self, event: ev.SentAsNotice | ev.Notice, day: dt.date) -> None:
        """Keep the notice for the timeline; a fact sent as a notice that never takes effect (an
        unconfirmed fax, email the agreement does not allow) starts no clock, and a warning says so
        (a bare ``notice`` starts none anyway: ``pipedeal notices`` shows it as never effective)."""
        self.noticed.append(self._noticed(event))
        if not isinstance(event, ev.SentAsNotice) or not event.delivered:
            return  # without a delivery it takes effect on its date
        record = self.notice(event)
        if record.effective is None:
            never = "; ".join(f"{r.party}: {r.reason}" for r in record.receipts if r.day is None)
            self.report("NOTICE-NEVER-EFFECTIVE", f"{record.kind} sent {record.date} by {record.method} never takes "
                        f"effect ({never}): no clock starts from it", self.cite("SPA 12.1", "notices"), day,
                        severity="warning")

    def effective(self, event: ev.SentAsNotice) -> dt.date | None:
        """The day a notice-like fact took effect for every recipient (its date without a delivery)."""
        return self.notice(event).effective if event.delivered else event.date

    def _check_mail_receipt(self, event: ev.SentAsNotice | ev.Notice) -> None:
        """SPA 12.1(c): a mailed notice is effective "upon actual receipt of such mailing"; PIPE-TERMS
        ``mail = "on_receipt"`` or ``{ business_days = N }`` after mailing. Only on receipt does a
        mailed notice (or demand) need its ``received_at``."""
        if event.method == "mail" and event.received_at is None and self.ctx.terms.notices.mail == "on_receipt":
            what = event.notice_word if isinstance(event, ev.SentAsNotice) else "notice"
            raise Rejected("EVENT-MISSING-FIELD", f"a mailed {what} takes effect on actual receipt (notices.mail = "
                           "\"on_receipt\"): give received_at", "received_at")

    def cite(self, slot: str, block: str | None = None) -> str:
        """The deal's own clause for the FOCUS slot ``slot`` (``clauses.cite``)."""
        return cite(self.ctx.terms, slot, block)

    def cite_all(self, *slots: Slot, sep: str = ", ", abbreviate: bool = False) -> str:
        return cite_all(self.ctx.terms, *slots, sep=sep, abbreviate=abbreviate)

    def reorganization_clause(self) -> str:
        """The clause of a merger's adjustment, "W 11 (reorganization)" in FOCUS's numbering."""
        return f"{self.cite('W 11 merger')} (reorganization)"

    def report(self, code: str, message: str, clause: str, day: dt.date, severity: str | None = None) -> None:
        """A breach (or warning) found while folding, located at the event that caused it."""
        item = self.current
        self.breaches.append(Diagnostic(code, message, item.file if item else None, item.line if item else None,
                                        clause=clause, date=day, seq=item.seq if item else None,
                                        severity=severity))  # type: ignore[arg-type]

    def price(self, day: dt.date) -> Decimal | None:
        if self.base_price is None:
            return None
        return price_in_force(self.exercise_base.on(day), self.warrant_factor.on(day), tuple(self.reductions), day)

    def certificate(self, cert_id: str, *, if_expired=None) -> Certificate:
        """The outstanding certificate ``cert_id``; for an expired one, ``if_expired`` first
        says why the action comes too late (the window, W 1's Termination Date)."""
        cert = self.certificates.get(cert_id)
        if cert is None:
            known = ", ".join(self.certificates) or "none yet"
            raise Rejected("EVENT-UNKNOWN-WARRANT", f"no warrant {cert_id!r} (known: {known})", "warrant")
        if cert.status == "expired" and if_expired is not None:
            if_expired(cert)
        if cert.status != "outstanding":
            raise Rejected("EVENT-WARRANT-CLOSED", f"warrant {cert_id} was {cert.status} on {cert.closed_on}",
                           "warrant")
        return cert

    def shares_of(self, cert: Certificate) -> Fraction:
        return cert.base_shares * self.factor

    def _issue(self, holder: str, shares: Fraction, day: dt.date, parents: tuple[str, ...], origin: str,
               original: dt.date) -> str:
        """A new certificate takes the next number: the register never reuses or drops one."""
        cert_id = f"W-{len(self.certificates) + 1}"
        base = shares / self.factor
        self.certificates[cert_id] = Certificate(cert_id, holder, base, day, parents, origin, original)
        self.outstanding_ids[cert_id] = None
        self.capital_changed = True
        self.base_outstanding += base
        self.whole_required += _whole(shares)
        self._set_warrant_totals(day)
        return cert_id

    def _close_certificate(self, cert: Certificate, status: str, day: dt.date, shown_from: dt.date | None = None,
                           ) -> None:
        """A certificate leaves the register with the Exercise Price and shares it had that day,
        so a later adjustment does not rewrite its history."""
        shares = self.shares_of(cert)
        cert.status, cert.closed_on, cert.closed_from = status, day, shown_from or day
        cert.closing_price, cert.closing_shares = self.price(day), shares
        del self.outstanding_ids[cert.id]
        self.capital_changed = True
        self.base_outstanding -= cert.base_shares
        self.whole_required -= _whole(shares)
        self._set_warrant_totals(shown_from or day)

    def _set_warrant_totals(self, day: dt.date) -> None:
        self.required.set(day, self.whole_required)
        self.warrant_shares.set(day, self.base_outstanding * self.factor)

    def _add_lot(self, party: str, kind: str, day: dt.date, holding_from: dt.date, shares: int,
                 label: str, cost: Decimal | None) -> Lot:
        lots = self.lots_by_party.setdefault(party, [])
        held: Steps[int] = Steps(0)
        held.set(day, shares)
        lot = Lot(f"{party}:{len(lots) + 1}", party, kind, day, holding_from, shares, held, label=label, cost=cost)
        lots.append(lot)
        self.lots.append(lot)
        return lot

    def _check_reserve(self, day: dt.date) -> None:
        """SPA 6.2, W 15: after every change the reserve must cover the outstanding warrant
        shares, and the authorized Common the outstanding plus the reserve. A shortfall is
        reported when it begins (and again if it recurs), with the numbers."""
        required = self.whole_required
        reserved = self.reserved.last
        authorized, outstanding = self.authorized.last, self.outstanding.last
        headroom = authorized - outstanding - reserved
        reserve_ok, headroom_ok = reserved >= required, headroom >= 0
        if not reserve_ok and self.reserve_ok:
            self.report("RESERVE-SHORTFALL", f"{share_count(reserved)} shares reserved for {share_count(required)} "
                        f"outstanding warrant shares (short {share_count(required - reserved)})",
                        self.cite_all(*RESERVE_SLOTS, sep="; "), day)
        if not headroom_ok and self.headroom_ok:
            self.report("AUTHORIZED-SHORTFALL", f"{authorized:,} authorized < {share_count(outstanding)} outstanding "
                        f"+ {share_count(reserved)} reserved (short {share_count(-headroom)})",
                        self.cite_all("SPA 4.3 capitalization", *RESERVE_SLOTS, sep="; ", abbreviate=True), day)
        self.reserve_ok, self.headroom_ok = reserve_ok, headroom_ok

    def _check_par(self, day: dt.date, price: Decimal | None, why: str) -> None:
        """W 15: "Before taking any action which would cause an adjustment reducing the current
        Exercise Price below the then par value ... the Company shall take any corporate action
        which may be necessary in order that the Company may validly and legally issue fully paid
        and non-assessable shares" (RULES §4)."""
        par = self.ctx.terms.capitalization.par_value
        if price is not None and par and price < par:
            self.report("EXERCISE-PRICE-BELOW-PAR", f"{why}: the Exercise Price {price_text(price)} is below the par "
                        f"value {price_text(par)} of the Common Stock",
                        self.cite_all("W 15 par value", "W 2", sep="; "), day)

    # -- the handlers ------------------------------------------------------------------------
    def funds_due(self, day: dt.date) -> dict[str, Decimal]:
        """SPA 2.1(a)(i): what each investor wires at a Closing on ``day``: its subscription, or its shares at the
        Purchase Price; for a discount deal with an investor stated by shares, at the price the quotes give a
        Closing on that day (the Closing asks again on its own day)."""
        ctx = self.ctx
        if self._funds_known is None:
            self._funds_known = expected_funds(ctx.terms)
        known = self._funds_known
        if len(known) == len(ctx.terms.investors) or ctx.quotes is None or ctx.trading is None:
            return known
        rule = ctx.terms.pricing.market_price
        key = day if rule is None or rule.window_ends == "before_closing" else ctx.terms.deal.agreement_date
        if key not in self._funds_priced:  # a window counted from the agreement prices every Closing day alike
            try:
                price = price_the_deal(ctx.terms, ctx.quotes, ctx.trading, day).purchase_price
            except InputError:
                price = None  # no quotes for that day: the Closing names them
            self._funds_priced[key] = expected_funds(ctx.terms, price) if price is not None else known
        return self._funds_priced[key]

    def _tick(self, event: ev.EventBase, day: dt.date) -> None:
        """SPA 2.1(b): a checklist event (``engine/closing.py``); one the checklist refuses changes nothing."""
        item = self.current
        tick = Tick(event, item.file, item.line, item.seq) if item is not None else Tick(event)
        try:
            self.checklist.apply(event, tick, self.funds_due(day))
        except Refusal as refusal:
            raise Rejected(refusal.code, refusal.message, refusal.field) from None

    def _close(self, event: ev.Closing) -> None:
        """SPA 1.4, 2.1(a)(i): on the Closing each Investor receives its Shares and one
        Warrant (W-1, W-2, ... in the order of the terms file). SPA 1.4, 2.1(b): with a checklist
        in the terms, not while a condition is open or an investor's funds differ from its
        subscription (``engine/closing.py``)."""
        if self.closing_date is not None:
            raise Rejected("EVENT-DUPLICATE-CLOSING", f"the Closing already happened on {self.closing_date}", "type")
        ctx, day = self.ctx, event.date
        try:
            self.checklist.close(day, self.funds_due(day))
        except Refusal as refusal:
            raise Rejected(refusal.code, refusal.message, refusal.field) from None
        self.closing_date = day
        if ctx.quotes is not None and ctx.trading is not None:
            try:
                self.pricing = price_the_deal(ctx.terms, ctx.quotes, ctx.trading, day)
            except InputError as missing:
                if ctx.terms.pricing.purchase_price is None:  # a discount deal cannot allocate without it
                    raise Rejected(missing.problems[0].code, missing.problems[0].message, "date") from None
                self.pricing = None  # evaluate() reports the missing quotes; the register still folds
        price = self.pricing.purchase_price if self.pricing else ctx.terms.pricing.purchase_price
        if price is None:
            raise Rejected("PRICING-MISSING-QUOTE", "the Purchase Price is a discount to the Market Price, and "
                           "there are no quotes to compute it from", "date")
        try:
            self.allocations = tuple(allocate(ctx.terms, price))
        except InputError as refused:
            first = refused.problems[0]
            raise Rejected(first.code, first.message, first.field) from None
        self.window = exercise_window(ctx.terms, day, ctx.business)
        issued = 0
        for allocation in self.allocations:
            self._add_lot(allocation.investor, "closing", day, day, allocation.shares,
                          f"{allocation.shares:,} Shares bought at the Closing", allocation.purchase_price)
            issued += allocation.shares
            self._issue(allocation.investor, Fraction(allocation.warrant_shares), day, (), "closing", day)
        reserved = ctx.terms.capitalization.reserved_for_warrants
        warrant_shares = sum(a.warrant_shares for a in self.allocations)
        self.outstanding.set(day, self.outstanding.last + issued)
        self.reserved.set(day, Fraction(warrant_shares if reserved is None else reserved))
        self.base_price = self.pricing.exercise_price if self.pricing else None
        if self.base_price is not None:
            self.exercise_base = Steps(Fraction(self.base_price))
        # The Closing's own shortfalls are reported by pricing.capitalization_after_closing.
        self.reserve_ok = self.reserved.last >= self.whole_required
        self.headroom_ok = self.authorized.last - self.outstanding.last - self.reserved.last >= 0
        self._check_par(day, self.base_price, "the Exercise Price at the Closing")
        _, last = self.window
        if last + ONE_DAY > day:
            self._push(last + ONE_DAY, START_OF_DAY, "expiry", None)
        else:  # a Closing after the Termination Date issues Warrants that are already expired
            self._push(day, END_OF_DAY, "expiry", None)

    def _sell(self, event: ev.SharesSold, day: dt.date) -> None:
        """RRA 3(e)(B): shares sold are no longer "still held"; a sale draws on the lots in
        the order they were acquired (the Closing Shares first) and counts from its date."""
        lots = [lot for lot in self.lots_by_party.get(event.investor, ()) if lot.held.last > 0]
        total = sum(lot.held.last for lot in lots)
        if event.shares > total:
            raise Rejected("EVENT-SOLD-BEYOND-HOLDINGS",
                           f"{event.investor} holds {total:,} shares on {event.date}; cannot sell {event.shares:,}",
                           "shares")
        left = event.shares
        for lot in lots:
            taken = min(left, lot.held.last)
            lot.held.set(day, lot.held.last - taken)
            lot.sold += taken
            self.sales.setdefault(lot.id, []).append((day, taken))
            left -= taken
            if not left:
                break

    def _in_window(self, event: ev.EventBase) -> None:
        first, last = self.window
        if not first <= event.date <= last:
            raise Rejected("EVENT-OUTSIDE-EXERCISE-WINDOW",
                           f"{event.date} is outside the exercise window {first} to {last} "
                           f"({window_clause(self.ctx.terms)})",
                           "date")

    def _exercise(self, event: ev.WarrantExercise, day: dt.date) -> None:
        """W 3: exercise within the window, at most the warrant's balance; a partial
        exercise leaves a new Warrant for the unpurchased shares. W 4: whole shares,
        the fraction in cash. A cashless exercise must be allowed (``cashless_test``)
        and must leave something to receive (A > B)."""
        cert = self.certificate(event.warrant, if_expired=lambda _: self._in_window(event))
        self._in_window(event)
        balance = self.shares_of(cert)
        surrendered = _surrendered(event.shares, balance)
        if surrendered > balance:
            raise Rejected("EVENT-EXERCISE-BEYOND-BALANCE",
                           f"{cert.id} is for {share_count(balance)} shares; cannot exercise "
                           f"{share_count(surrendered)}", "shares")
        original = cert.original_issue_date
        if event.method == "cashless":
            self._cashless_allowed(event, original)
        result = self._exercise_result(event, cert, surrendered, original)
        self._close_certificate(cert, "exercised", day)
        rest = balance - surrendered
        remainder = self._issue(cert.holder, rest, day, (cert.id,), "exercise_remainder", original) if rest else None
        if result is not None:
            result = _with_remainder(result, remainder)
            self.exercises.append(result)
        issued = result.shares_issued if result is not None else (
            _whole(surrendered) if event.method == "cash" else 0)
        if issued:
            kind = "warrant_cash" if event.method == "cash" else "warrant_cashless"
            start = day if event.method == "cash" else original
            # PIPE-TERMS "Holdings": at the Exercise Price paid (cash), at zero cost (cashless).
            paid = (result.exercise_price if result is not None else self.price(day)) if event.method == "cash" \
                else Decimal(0)
            self._add_lot(cert.holder, kind, day, start, issued,
                          f"{issued:,} Warrant Shares ({cert.id}, {event.method})", paid)
        self.outstanding.set(day, self.outstanding.last + issued)
        self.reserved.set(day, max(Fraction(0), self.reserved.last - issued))
        self.capital_changed = True

    def _cashless_allowed(self, event: ev.WarrantExercise, issued_on: dt.date) -> None:
        """W 3: "If there is no registration in effect permitting the resale by the Holder of
        the Warrant Shares at any time from and after one year from the issuance date of this
        Warrant, then the Holder shall have the right to a 'cashless exercise'" (PIPE-TERMS
        ``cashless``: never, anytime, with no effective registration, and after one year)."""
        terms = self.ctx.terms
        after = cashless_start(terms, issued_on)
        if after is None:
            raise Rejected("EVENT-CASHLESS-NOT-ALLOWED", "this Warrant has no cashless exercise (cashless = never)",
                           "method")
        if event.date < after:
            raise Rejected("EVENT-CASHLESS-TOO-EARLY",
                           f"{self.cite('W 3 cashless')}: a cashless exercise is allowed from one year after the "
                           f"issue date {issued_on}, "
                           f"i.e. from {after}", "method")
        if not needs_no_registration(terms):
            return
        in_effect = self.statements[0].in_effect
        if (terms.warrants.cashless_test or "at_election") == "at_election":
            if in_effect.on(event.date):
                raise Rejected("EVENT-CASHLESS-REGISTERED",
                               f"{self.cite('W 3 cashless')}: a registration permitting resale of the Warrant "
                               f"Shares is in effect on "
                               f"{event.date} (cashless_test=at_election)", "method")
            return
        gap = any(not value for _, _, value in in_effect.runs(after.toordinal(), event.date.toordinal()))
        if not gap:
            raise Rejected("EVENT-CASHLESS-REGISTERED",
                           f"{self.cite('W 3 cashless')}: a registration was in effect every day from {after} to "
                           f"{event.date} "
                           "(cashless_test=ever_after_one_year)", "method")

    def _exercise_result(self, event: ev.WarrantExercise, cert: Certificate, surrendered: Fraction,
                         original: dt.date) -> ExerciseResult | None:
        ctx = self.ctx
        price = self.price(event.date)
        if price is None or ctx.trading is None:
            return None
        reading = ctx.terms.warrants.fraction_cash
        surrendered_text, price_shown = share_count(surrendered), price_text(price)  # spelled once
        steps = [f"{self.cite('W 3')}: exercise of {surrendered_text} warrant shares of {cert.id} on "
                 f"{event.date}"]
        average = average_day = None
        if event.method == "cash":
            aggregate = to_cent(fraction_to_decimal(surrendered * Fraction(price)))
            due = surrendered
            steps.append(f"{self.cite('W 3 payment')}: aggregate Exercise Price {surrendered_text} x "
                         f"{price_shown} = "
                         f"{money(aggregate)}")
        else:
            aggregate = Decimal("0.00")
            average_day, average, how = self._cashless_price(event)
            if average <= price:
                raise Rejected("EVENT-CASHLESS-UNDERWATER",
                               f"{self.cite('W 3 cashless')}: A = {price_text(average)} is not above B = "
                               f"{price_shown}: a cashless "
                               "exercise would deliver nothing", "method")
            due = cashless_shares(average, price, surrendered)
            cashless = self.cite("W 3 cashless")
            steps.append(f"{cashless}: A = {how} = {price_text(average)}; B = {price_shown}; "
                         f"X = {surrendered_text}")
            steps.append(f"{cashless}: (A - B) x X / A = {share_count(due)} shares")
        whole, fraction = whole_and_fraction(due)
        basket: tuple[tuple[str, Decimal], ...] = ()
        other = self.other_property.last
        if other is not None:
            basket = tuple((asset.asset, fraction_to_decimal(Fraction(asset.quantity) * due)) for asset in other)
            steps.append(f"{self.reorganization_clause()}: delivers the Other Property for each share: "
                         + ", ".join(f"{quantity} {name}" for name, quantity in basket))
            whole, fraction = 0, Fraction(0)
        market = average if average is not None else (self._market_price(event) if fraction and
                                                     reading == "fraction_times_market" else None)
        cash = fraction_cash(fraction, price, reading, market)
        if fraction:
            steps.append(f"{self.cite('W 4')}: {whole:,} whole shares; the fraction {share_count(fraction)} is paid "
                         f"in cash: {money(cash)} (fraction_cash={reading})")
        delivery_rule = ctx.terms.warrants.delivery
        delivery = self.due(event.date, delivery_rule.days, delivery_rule.unit)
        steps.append(f"{self.cite('W 3 delivery', 'warrants')}: certificates due within {delivery_rule.days} "
                     f"{UNIT_WORDS[delivery_rule.unit]}: "
                     f"by {delivery}")
        start = event.date if event.method == "cash" else original
        return ExerciseResult(
            warrant=cert.id, holder=cert.holder, date=event.date, method=event.method,
            shares_exercised=surrendered, exercise_price=price, aggregate_price=aggregate,
            average_price=average, average_price_day=average_day, shares_due=due, shares_issued=whole,
            fraction=fraction, fraction_cash=cash, other_property=basket, remainder_certificate=None,
            delivery_due=delivery, holding_period_start=start, computation=tuple(steps))

    def _cashless_price(self, event: ev.WarrantExercise) -> tuple[dt.date, Decimal, str]:
        """W 3's A (PIPE-TERMS ``cashless_price``): the mean of the high and low, the close or
        the VWAP of the Trading Day before the election, or the mean close of the five."""
        ctx = self.ctx
        assert ctx.trading is not None
        rule = ctx.terms.warrants.cashless_price or "prior_day_close"
        day = ctx.trading.previous_open(event.date, inclusive=False)
        quotes = ctx.quotes
        if rule == "mean_close_5":
            days = ctx.trading.open_days(ctx.trading.add_open_days(day, -4), day)
            closes = [quotes.value(d, "close") if quotes else None for d in days]
            if any(close is None for close in closes):
                raise Rejected("EVENT-CASHLESS-NO-QUOTE", f"{self.cite('W 3 cashless')}: A is the mean close of "
                               f"{days[0]} to {day}; the "
                               "quotes lack a close for one of them", "date")
            value = fraction_to_decimal(sum(Fraction(c) for c in closes) / len(closes))  # type: ignore[arg-type]
            return day, value, f"mean close of the 5 Trading Days {days[0]} to {day}"
        quote = quotes.get(day) if quotes else None
        if rule == "prior_day_high_low_mean":
            if quote is None or quote.high is None or quote.low is None:
                raise Rejected("EVENT-CASHLESS-NO-QUOTE",
                               f"{self.cite('W 3 cashless')}: A is the average of the high and low on {day}, "
                               "the Trading Day "
                               "before the election; the quotes have no high and low for it", "date")
            value = fraction_to_decimal((Fraction(quote.high) + Fraction(quote.low)) / 2)
            return day, value, f"(high {price_text(quote.high)} + low {price_text(quote.low)}) / 2 on {day}"
        column = "close" if rule == "prior_day_close" else "vwap"
        value = getattr(quote, column) if quote else None
        if value is None:
            raise Rejected("EVENT-CASHLESS-NO-QUOTE", f"{self.cite('W 3 cashless')}: A is the {column} on {day}, "
                           "the Trading Day before "
                           f"the election; the quotes have none", "date")
        return day, value, f"the {column} on {day}"

    def _market_price(self, event: ev.WarrantExercise) -> Decimal:
        """The market price a fraction is paid at (``fraction_times_market``): the cashless price."""
        return self._cashless_price(event)[1]

    def due(self, start: dt.date, days: int, unit: str) -> dt.date:
        """``days`` after ``start`` in ``unit`` (RULES §1): calendar days, the deal's Business Days,
        or Trading Days."""
        if unit == "calendar":
            return start + dt.timedelta(days=days)
        calendar = self.ctx.business if unit == "business" else self.ctx.trading
        assert calendar is not None
        return calendar.add_open_days(start, days) if days else start

    def _transfer(self, event: ev.WarrantTransfer, day: dt.date) -> None:
        """W 1, 7(a): a new Warrant to the assignee and, for a part, one to the
        assignor for the rest; the surrendered Warrant is cancelled."""
        cert = self.certificate(event.warrant, if_expired=lambda expired: self._transferable(event, expired))
        self._transferable(event, cert)
        balance = self.shares_of(cert)
        self._close_certificate(cert, "transferred", day)
        self._issue(event.to, Fraction(event.shares), day, (cert.id,), "transfer", cert.original_issue_date)
        rest = balance - event.shares
        if rest:
            self._issue(cert.holder, rest, day, (cert.id,), "transfer_remainder", cert.original_issue_date)

    def _transferable(self, event: ev.WarrantTransfer, cert: Certificate) -> None:
        balance = self.shares_of(cert)
        if event.shares > balance:
            raise Rejected("EVENT-TRANSFER-BEYOND-BALANCE",
                           f"{cert.id} is for {share_count(balance)} shares; cannot transfer {event.shares:,}",
                           "shares")
        termination = self.window[1] if self.window else None
        if termination is not None and event.date > termination:
            raise Rejected("EVENT-TRANSFER-AFTER-TERMINATION",
                           f"{self.cite('W 1')}: transferable only prior to the Termination Date {termination}",
                           "date")

    def _divide(self, event: ev.WarrantDivide, day: dt.date) -> None:
        """W 7(b): a Warrant divided into new Warrants of the stated denominations."""
        cert = self.certificate(event.warrant)
        balance = self.shares_of(cert)
        if sum(event.into) != balance:
            raise Rejected("EVENT-DIVIDE-MISMATCH",
                           f"{cert.id} is for {share_count(balance)} shares; the denominations "
                           f"{event.into} add up to {sum(event.into):,}", "into")
        self._close_certificate(cert, "divided", day)
        for shares in event.into:
            self._issue(cert.holder, Fraction(shares), day, (cert.id,), "division", cert.original_issue_date)

    def _combine(self, event: ev.WarrantCombine, day: dt.date) -> None:
        """W 7(b): "This Warrant may be divided or combined with other Warrants"; the
        Warrants combined must be one holder's, and the new one keeps the earliest issue date."""
        if len(set(event.warrants)) != len(event.warrants):
            raise Rejected("EVENT-COMBINE-REPEATED", "a warrant is named twice", "warrants")
        certs = [self.certificate(cid) for cid in event.warrants]
        holders = {c.holder for c in certs}
        if len(holders) != 1:
            raise Rejected("EVENT-COMBINE-HOLDERS",
                           f"{self.cite('W 7(b) divided or combined')}: warrants of different holders "
                           f"({', '.join(sorted(holders))}) cannot be "
                           "combined; transfer first", "warrants")
        original = min(c.original_issue_date for c in certs)
        total = sum((self.shares_of(c) for c in certs), Fraction(0))
        for cert in certs:
            self._close_certificate(cert, "combined", day)
        self._issue(certs[0].holder, total, day, tuple(event.warrants), "combination", original)

    def _replace_lost(self, event: ev.WarrantReplace, day: dt.date) -> None:
        """W 9: "a new Warrant ... of like tenor and dated as of such cancellation"."""
        cert = self.certificate(event.warrant)
        shares = self.shares_of(cert)
        self._close_certificate(cert, f"replaced ({event.reason})", day)
        self._issue(cert.holder, shares, day, (cert.id,), "replacement", cert.original_issue_date)

    def _recapitalize(self, event: ev._Recapitalization, day: dt.date) -> None:
        """W 11(a): the holder gets what it "would have owned ... had such Warrant been
        exercised in advance thereof": warrant shares x new/old, the Exercise Price x
        old/new, "retroactive to the record date"; the reserve follows (SPA 6.2)."""
        factor = event.factor
        price_before = self.price(day)
        new, old = event.ratio.split(":")
        rows = []
        for cert_id in self.outstanding_ids:
            cert = self.certificates[cert_id]
            rows.append((cert, self.shares_of(cert)))
        self.factor *= factor
        self.warrant_factor.set(day, self.factor)
        price_after = self.price(day)
        self.whole_required = sum(_whole(self.shares_of(cert)) for cert, _ in rows)
        self._set_warrant_totals(day)
        self.reserved.set(day, self.reserved.last * factor)
        self.capital_changed = True
        if event.authorized:
            self.authorized.set(day, event.authorized)
        label = event.type.replace("_", " ")
        clause = self.cite("W 11(a)")
        computation = [f"{clause}: ratio {new}:{old} ({label})", f"{clause}: warrant shares x {new}/{old}"]
        if price_before is not None and price_after is not None:
            computation.append(f"{clause}: Exercise Price {price_text(price_before)} x {old}/{new} = "
                               f"{price_text(price_after)} (10 places, half-up, where it does not terminate)")
        adjustment_rows = tuple(
            AdjustmentRow(cert.id, cert.holder, before, before * factor, price_before or Decimal(0),
                          price_after or Decimal(0)) for cert, before in rows)
        for row in adjustment_rows:
            computation.append(f"{row.warrant}: {share_count(row.shares_before)} x {new}/{old} = "
                               f"{share_count(row.shares_after)}")
        self.adjustments.append(AdjustmentNotice(
            kind=event.type, clause=clause, date=event.date, record_date=event.record_date,
            effective_from=day,
            facts=f"The Company effected a {label} of its Common Stock, {new} shares for each {old}, effective "
                  f"{event.date}" + (f" (record date {event.record_date})" if event.record_date else ""),
            computation=tuple(computation), rows=adjustment_rows))
        self._late_action_notices(event)
        self._check_par(day, price_after, f"the {label} of {event.date}")
        if not (event.record_date and event.record_date < event.date):
            self._distribute(event, day)

    def _distribute(self, event: ev._Recapitalization, day: dt.date) -> None:
        """RULES §3, §4: on the effective date the new shares are distributed: every lot and
        the Common outstanding x new/old, whole (cash in lieu of fractional shares)."""
        factor = event.factor
        self.capital *= factor
        self.capital_factor.set(day, self.capital)
        exact = self.outstanding.last * factor
        self.outstanding.set(day, _whole(exact))
        self.capital_changed = True
        if exact.denominator != 1:
            self.report("SPLIT-CASH-IN-LIEU",
                        f"the {event.type.replace('_', ' ')} of {event.date} makes {share_count(exact)} shares of "
                        f"{self.outstanding.last:,} outstanding-to-be: {_whole(exact):,} are outstanding and cash "
                        "is paid in lieu of the fraction (holder-level fractions are not known)",
                        self.cite_all("W 11(a)", "SPA 4.3 capitalization", sep="; "), day)
        for lot in self.lots:
            held = lot.held.last
            if held:
                lot.held.set(day, _whole(held * factor))

    def _late_action_notices(self, event: ev.EventBase) -> None:
        """W 14: "at least 30 days' prior written notice of the date on which a record date
        shall be selected ... and ... of the date when the same shall take place": the dates owed
        notice (``ActionNoticeDuty``, which the W 14 obligations read), and a breach for each
        noticed late."""
        days = self.ctx.terms.warrants.corporate_action_notice_days
        record = getattr(event, "record_date", None)
        notices = sorted((n for n in self.facts.get(ev.CorporateActionNotice, ())
                          if n.effective_date == event.date or (record is not None and n.record_date == record)),  # type: ignore[attr-defined]
                         key=lambda n: n.date)
        if record is None and notices:
            record = notices[0].record_date  # type: ignore[attr-defined]  # the record date the notice names
        takes_place = event.type in ("reclassification", "merger")  # type: ignore[attr-defined]
        checks = []
        if record is not None or not takes_place:
            checks.append(("record_date", record or event.date))
        if takes_place:
            checks.append(("effective_date", event.date))
        # SPA 12.1: a notice is given when it takes effect (for the last holder to receive it).
        given = [(n, self.effective(n)) for n in notices]  # type: ignore[arg-type]
        for label, day in checks:
            latest = day - dt.timedelta(days=days)
            self.action_notice_duties.append(ActionNoticeDuty(event, label, day, latest, tuple(notices)))  # type: ignore[arg-type]
            if any(effective is not None and effective <= latest for _, effective in given):
                continue
            first, effective = given[0] if given else (None, None)
            when = "not given" if first is None else f"given {first.date}" if not first.delivered else (  # type: ignore[attr-defined]
                f"sent {first.date}, " + (f"effective {effective}" if effective else "never effective"))
            self.report("W14-LATE-NOTICE", f"{event.type} of {event.date}: notice of the {label.replace('_', ' ')} "  # type: ignore[attr-defined]
                        f"{day} was {when}; due by {latest} ({days} days before)", self.cite("W 14 notice"), day)

    def _covenant_fact(self, event: ev.EventBase, day: dt.date) -> None:
        """RULES §5: a fact that triggers or performs a covenant; the obligations read them in date order."""
        self.covenant_events.append(event)

    def _lifecycle(self, event: ev.ObligationMet | ev.Waiver, day: dt.date) -> None:
        """RULES §5: an ``obligation_met`` or ``waiver``, kept with where it was recorded: whether its
        obligation exists is known only once the obligations are computed (engine/obligations.py)."""
        if isinstance(event, ev.Waiver):
            terms = self.ctx.terms
            for index, signer in enumerate(event.signed_by):
                if terms.party(signer) is None:
                    raise Rejected("EVENT-UNKNOWN-PARTY", f"no party {signer!r} in the terms file signed this waiver",
                                   f"signed_by[{index}]")
        self.lifecycle.append(self.current or Located(event))

    def _merge(self, event: ev.Merger, day: dt.date) -> None:
        """W 11 (reorganization): the Warrant then buys the Other Property per share."""
        basket = tuple((asset.asset, asset.quantity) for asset in event.per_share)
        price = self.price(day) or Decimal(0)
        rows = tuple(AdjustmentRow(c.id, c.holder, self.shares_of(c), self.shares_of(c), price, price)
                     for c in (self.certificates[cid] for cid in self.outstanding_ids))
        self.adjustments.append(AdjustmentNotice(
            kind="merger", clause=self.reorganization_clause(), date=event.date, record_date=None,
            effective_from=day,
            facts=f"The Company merged or reorganized on {event.date}; each share of Common Stock became "
                  + ", ".join(f"{quantity} {name}" for name, quantity in basket),
            computation=tuple(f"each warrant share now buys {quantity} {name}" for name, quantity in basket),
            rows=rows, other_property=basket))
        self._late_action_notices(event)
        self.other_property.set(day, tuple(event.per_share))

    def _reduce_price(self, event: ev.PriceReduction, day: dt.date) -> None:
        """W 12: "reduce the then current Exercise Price to any amount and for any period of time"."""
        current = self.price(event.start)
        if current is not None and event.price >= current:
            raise Rejected("EVENT-NOT-A-REDUCTION",
                           f"{self.cite('W 12')} allows only a reduction: {price_text(event.price)} is not below "
                           "the Exercise Price "
                           f"{price_text(current)} in force on {event.start}", "price")
        rows = tuple(AdjustmentRow(c.id, c.holder, self.shares_of(c), self.shares_of(c), current or Decimal(0),
                                   event.price) for c in (self.certificates[cid] for cid in self.outstanding_ids))
        self.adjustments.append(AdjustmentNotice(
            kind="price_reduction", clause=self.cite("W 12"), date=event.date, record_date=None,
            effective_from=event.start,
            facts=f"The Board of Directors reduced the Exercise Price to {price_text(event.price)} from {event.start} "
                  f"through {event.end}, after which it returns to the price then in force",
            computation=(f"{self.cite('W 12')}: {price_text(current) if current is not None else '?'} -> "
                         f"{price_text(event.price)} "
                         f"for {event.start} to {event.end}",),
            rows=rows, until=event.end))
        # Kept in Closing-share terms (x the split ratio so far) so that a later W 11
        # adjustment divides it exactly as it divides the original price.
        self.reductions.append((event.start, event.end, Fraction(event.price) * self.factor))
        self._check_par(event.start, event.price, f"the {self.cite('W 12')} reduction of {event.date}")
        self.change_days.update((event.start.toordinal(), (event.end + ONE_DAY).toordinal()))

    def _statement_event(self, event: ev.EventBase, day: dt.date) -> None:
        """RRA 3(a), 3(b): a Registration Statement's filing, review, effectiveness and lapses.

        A statement is filed once and declared effective once: a second ``rs_filed`` or
        ``rs_effective`` for the primary statement, or one more additional filing than
        insufficient-shares notices, is refused (a lapse is cured by ``effectiveness_restored``)."""
        name = getattr(event, "statement", "primary")
        statement = self._statement_for(event, name)
        if isinstance(event, ev.RsFiled):
            statement.filed.append(day)
        elif isinstance(event, ev.RsAmended):
            statement.amended.append(day)
        elif isinstance(event, ev.FullReview):
            statement.full_review.append(day)
        elif isinstance(event, ev.SecClearance):
            statement.clearance.append(day)
        elif isinstance(event, ev.RsEffective):
            if statement.effective:
                raise Rejected("EVENT-DUPLICATE-STATEMENT",
                               f"the {name} Registration Statement was already declared effective on "
                               f"{statement.effective[0]} (a lapse is cured by effectiveness_restored)", "type")
            statement.effective.append(day)
            statement.in_effect.set(day, True)
        elif isinstance(event, ev.EffectivenessLapsed):
            open_lapse = statement.lapses[-1] if statement.lapses and statement.lapses[-1].restored is None else None
            if open_lapse is not None:
                # A further lapse while one is open (a stop order during a financial-statement
                # update) starts a new span whose reasons include the earlier ones.
                open_lapse.restored = day
                reasons = open_lapse.reasons | {event.reason}
            else:
                reasons = frozenset({event.reason})
            statement.lapses.append(Lapse(day, reasons))
            statement.in_effect.set(day, False)
        elif isinstance(event, ev.EffectivenessRestored):
            if statement.lapses and statement.lapses[-1].restored is None:
                statement.lapses[-1].restored = day
            statement.in_effect.set(day, True)

    def _statement_for(self, event: ev.EventBase, name: str) -> Statement:
        if name == "primary":
            statement = self.statements[0]
            if isinstance(event, ev.RsFiled) and statement.filed:
                raise Rejected("EVENT-DUPLICATE-STATEMENT",
                               f"the primary Registration Statement was already filed on {statement.filed[0]} "
                               "(record an amendment as rs_amended)", "type")
            return statement
        # Each rs_filed of an additional statement (RRA 3(a)) files a new one; the other
        # facts belong to the latest, or to the one about to be filed.
        latest = self.statements[-1] if len(self.statements) > 1 else None
        if latest is None or (isinstance(event, ev.RsFiled) and latest.filed):
            latest = Statement("additional")
            self.statements.append(latest)
        return latest

    def _blackout(self, event: ev.Blackout, day: dt.date) -> None:
        """RRA 3(g): "The Company must, if lawful, give the Investors notice in writing at
        least two (2) Trading Days prior to the first day of the blackout period"; a later
        notice is a reported breach, not a Registration Default."""
        self.facts.setdefault(ev.Blackout, []).append(event)
        grace = self.ctx.terms.registration.grace
        if grace.notice_days == "none" or (grace.notice_unit == "trading" and self.ctx.trading is None):
            return
        needed, unit = grace.notice_days, grace.notice_unit or "calendar"
        latest = self.due(event.start, -needed, unit) if needed else event.start
        # SPA 12.1: the notice is given when it takes effect, for the last Investor to receive it.
        given = self.effective(event)
        clause = self.cite("RRA 3(g) notice", "registration.grace")
        self._noticed(event).duties.append(Clock(
            f"notice of the blackout, {needed} {UNIT_WORDS[unit][:-1] if needed == 1 else UNIT_WORDS[unit]} before its "
            f"first day {event.start}", latest, clause,
            "missed" if given is None or given > latest else "met"))
        if given is None or given > latest:
            when = f"given {event.date}" if not event.delivered else (
                f"sent {event.date}, never effective" if given is None else f"sent {event.date}, effective {given}")
            self.report("BLACKOUT-LATE-NOTICE", f"blackout from {event.start}: notice {when}, due by "
                        f"{latest} ({needed} {UNIT_WORDS[unit]} before the first blackout day)",
                        clause, event.date)

    def _insufficient_notice(self, event: ev.InsufficientSharesNotice, day: dt.date) -> None:
        """RRA 3(a) kind: an Investor's notice calls for an additional statement; PIPE-TERMS
        ``registration.additional = "none"``: "an agreement with no additional statement" -- the
        notice is kept, and a warning says that no deadline follows it (nothing silent)."""
        self.facts.setdefault(ev.InsufficientSharesNotice, []).append(event)
        if self.ctx.terms.registration.additional == "none":
            self.report("ADDITIONAL-STATEMENT-NONE",
                        f"insufficient_shares_notice of {event.date} from {event.investor}: the agreement provides "
                        "no additional Registration Statement (registration.additional = \"none\"), so no filing "
                        "or effectiveness deadline follows it", self.cite("RRA 3(a)", "registration"), event.date,
                        severity="warning")

    def _finance(self, event: ev.Financing, day: dt.date) -> None:
        """PIPE-TERMS "Warrants": "Price-based adjustment applies on a financing event ... whose
        price is below the Exercise Price in force, unless exempt"; then the shares issued are
        outstanding (SPA 4.3), and the reserve and authorized-share checks see them."""
        self._adjust_for_issue(event, day)  # first: A is the Common outstanding just before the issue
        self.facts.setdefault(ev.Financing, []).append(event)
        self.outstanding.set(day, self.outstanding.last + event.shares)
        self.capital_changed = True

    def _adjust_for_issue(self, event: ev.Financing, day: dt.date) -> None:
        """PIPE-TERMS "Warrants": "full_ratchet: new price = the issue price"; "weighted_average_*:
        new price = old × (A + B) / (A + C)"; with ``adjust_shares_on_price_adjustment`` each
        Warrant's shares become "old shares × old price / new price, kept to 10 decimals". A
        ``structural`` deal (FOCUS: W 11 and W 12 only) is never adjusted by an issue.

        "old" is the Exercise Price in force that day, a W 12 reduction included (the issue must
        be "below the Exercise Price in force"); the new price replaces the price from the issue
        on, also after the reduction's period. Each adjustment writes a Notice of Adjustment
        (W 13) with the computation; the reserve grows by the whole warrant shares added (SPA 6.2:
        "increased ... to reflect ... increases ... by reason of adjustments to the Warrants")."""
        warrants = self.ctx.terms.warrants
        rule = warrants.anti_dilution
        if rule == "structural" or not self.outstanding_ids:
            return  # no price-based clause, or no Warrant left to adjust
        old = self.price(day)
        if old is None or event.price >= old:
            return
        exempt, scale_shares = warrants.anti_dilution_exempt, warrants.adjust_shares_on_price_adjustment
        rounding = warrants.exercise_price_rounding
        for key, value in (("anti_dilution_exempt", exempt), ("adjust_shares_on_price_adjustment", scale_shares),
                           ("exercise_price_rounding", "none" if rule == "full_ratchet" else rounding)):
            if value is None:
                raise Rejected("TERMS-MISSING", f"warrants.{key} is not stated: the anti-dilution clause ({rule}) "
                               "needs it to adjust the Warrants for this issue below the Exercise Price "
                               f"{price_text(old)}")
        assert exempt is not None and scale_shares is not None
        if event.exemption in exempt:
            return
        clause = anti_dilution_clause(self.ctx.terms)
        warrant_shares = self.base_outstanding * self.factor  # "as adjusted so far"
        adjustment = price_after_issue(rule, old, event.price, event.shares, self.outstanding.last, warrant_shares,
                                       rounding or "none")
        issue = f"{event.shares:,} shares of Common Stock at {price_text(event.price)} a share"
        if not adjustment.lowers_the_price:
            self.report("ANTI-DILUTION-ROUNDED-AWAY",
                        f"the issue of {issue} on {event.date} is below the Exercise Price {price_text(old)}, but the "
                        f"{rule.replace('_', ' ')} price {price_text(adjustment.new_price)} (exercise_price_rounding = "
                        f"{rounding}) is not below it: no adjustment", clause, day)
            return
        new = adjustment.new_price
        old_text, new_text = price_text(old), price_text(new)  # spelled once for every line
        underlying = fraction_to_decimal(self.exercise_base.last / self.factor)
        kind = "" if event.exemption == "none" else f" (a {event.exemption.replace('_', ' ')} issue, not exempt)"
        facts = (f"On {event.date} the Company issued {issue}{kind}, below the Exercise Price of {old_text} "
                 "then in force")
        computation = [f"the issue price {price_text(event.price)} is below the Exercise Price {old_text} in "
                       f"force on {day} (anti_dilution = {rule}; exempt kinds: "
                       f"{', '.join(exempt) or 'none'}; this issue: {event.exemption})"]
        if old < underlying:
            computation.append(f"the price in force is the {self.cite('W 12')} reduced price {old_text} "
                               "(otherwise "
                               f"{price_text(underlying)}); the new price applies after the reduction's period too")
        computation.extend(adjustment.computation)
        certs = [self.certificates[cert_id] for cert_id in self.outstanding_ids]
        rows = []
        for cert in certs:
            before = self.shares_of(cert)
            after = shares_after_price_adjustment(before, old, new) if scale_shares else before
            rows.append(AdjustmentRow(cert.id, cert.holder, before, after, old, new))
        if scale_shares:
            computation.append("adjust_shares_on_price_adjustment = true: warrant shares x old price / new price, "
                               "kept to 10 places, half-up (the aggregate Exercise Price is unchanged; a fraction "
                               f"stays on the Warrant and is paid in cash at exercise, {self.cite('W 4')})")
            computation.extend(f"{row.warrant}: {share_count(row.shares_before)} x {old_text} / "
                               f"{new_text} = {share_count(row.shares_after)}" for row in rows)
            # The reserve covers whole shares (W 4 pays a fraction in cash), so it grows by the
            # whole warrant shares the adjustment adds.
            whole_added = 0
            for cert, row in zip(certs, rows, strict=True):
                cert.rebase(day, row.shares_after / self.factor)
                self.base_outstanding += (row.shares_after - row.shares_before) / self.factor
                whole_added += _whole(row.shares_after) - _whole(row.shares_before)
            self.whole_required += whole_added
            self._set_warrant_totals(day)
            self.reserved.set(day, self.reserved.last + whole_added)
            computation.append(f"{self.cite('SPA 6.2 reserve adjusted')}: the reserve grows by the {whole_added:,} "
                               "whole warrant shares added")
            self.capital_changed = True
        else:
            computation.append("adjust_shares_on_price_adjustment = false: the Warrant Shares are unchanged")
        # Kept in Closing-share terms, like the Closing's price, so a later W 11 adjustment divides it once.
        self.exercise_base.set(day, Fraction(new) * self.factor)
        self.adjustments.append(AdjustmentNotice(
            kind="anti_dilution", clause=clause, date=event.date, record_date=None, effective_from=day,
            facts=facts, computation=tuple(computation), rows=tuple(rows)))
        self._check_par(day, new, f"the anti-dilution adjustment for the issue of {event.date}")

    def _repurchase_paid(self, event: ev.RepurchasePaid, day: dt.date) -> None:
        """RRA 3(e)(A), SPA 1.12: a valid repurchase takes each Investor's purchased Shares
        on the payment day; held by the Company, they are no longer Outstanding."""
        self.facts.setdefault(ev.RepurchasePaid, []).append(event)
        if self.ctx.repurchase_paid_on != day:
            return
        taken = 0
        for lot in self.lots:
            if lot.purchased and lot.held.last:
                lot.repurchased += lot.held.last
                taken += lot.held.last
                lot.held.set(day, 0)
        self.outstanding.set(day, self.outstanding.last - taken)
        self.capital_changed = True

    def _expire(self, day: dt.date) -> None:
        """W preamble: exercisable "on or prior to the close of business on December 1, 2004
        ... but not thereafter"; the unexercised balance expires and, from the next day, its
        reserve is released (RULES §4)."""
        last = day - ONE_DAY
        self.expired_on = last
        released = Fraction(0)
        for cert_id in list(self.outstanding_ids):
            cert = self.certificates[cert_id]
            released += _whole(self.shares_of(cert))
            self._close_certificate(cert, "expired", last, shown_from=day)
        self.reserved.set(day, max(Fraction(0), self.reserved.last - released))
        self.capital_changed = True

    # -- the result --------------------------------------------------------------------------
    def timeline(self, until: dt.date | None = None) -> Timeline:
        facts = self.facts
        return Timeline(
            terms=self.ctx.terms, until=until, closing_date=self.closing_date, pricing=self.pricing,
            base_exercise_price=self.base_price, exercise_base=self.exercise_base, lots=tuple(self.lots),
            certificates=self.certificates,
            warrant_factor=self.warrant_factor, capital_factor=self.capital_factor, authorized=self.authorized,
            outstanding=self.outstanding, reserved=self.reserved, required=self.required,
            warrant_shares=self.warrant_shares, reductions=tuple(self.reductions),
            other_property=self.other_property, statements=tuple(self.statements),
            exercises=tuple(self.exercises), adjustments=tuple(self.adjustments),
            findings=tuple(sorted(self.breaches, key=lambda b: b.date or dt.date.min)),
            problems=tuple(self.problems),
            blackouts=tuple(facts.get(ev.Blackout, ())),  # type: ignore[arg-type]
            investor_delays=tuple(facts.get(ev.InvestorDelay, ())),  # type: ignore[arg-type]
            underwriter_requests=tuple(facts.get(ev.UnderwriterRequest, ())),  # type: ignore[arg-type]
            insufficient_notices=tuple(facts.get(ev.InsufficientSharesNotice, ())),  # type: ignore[arg-type]
            repurchase_elections=tuple(facts.get(ev.RepurchaseElected, ())),  # type: ignore[arg-type]
            repurchase_payments=tuple(facts.get(ev.RepurchasePaid, ())),  # type: ignore[arg-type]
            demands=tuple(facts.get(ev.LdDemand, ())),  # type: ignore[arg-type]
            payments=tuple(facts.get(ev.LdPaid, ())),  # type: ignore[arg-type]
            period_ends=tuple(facts.get(ev.EffectivenessPeriodEnd, ())),  # type: ignore[arg-type]
            notices=tuple(facts.get(ev.Notice, ())),  # type: ignore[arg-type]
            noticed=tuple(self.noticed), notice_memo=self.notice_memo,
            financings=tuple(facts.get(ev.Financing, ())),  # type: ignore[arg-type]
            sales={lot: tuple(sold) for lot, sold in self.sales.items()},
            allocations=self.allocations, exercise_window=self.window,
            events_applied=self.events_applied,
            change_days=tuple(dt.date.fromordinal(d) for d in sorted(self.change_days)),
            expired_on=self.expired_on, covenant_events=tuple(self.covenant_events),
            lifecycle=tuple(self.lifecycle), action_notice_duties=tuple(self.action_notice_duties),
            checklist=self.checklist)


_HANDLERS = {
    ev.SharesSold: Fold._sell,
    ev.WarrantExercise: Fold._exercise,
    ev.WarrantTransfer: Fold._transfer,
    ev.WarrantDivide: Fold._divide,
    ev.WarrantCombine: Fold._combine,
    ev.WarrantReplace: Fold._replace_lost,
    ev.PriceReduction: Fold._reduce_price,
    ev.StockSplit: Fold._recapitalize,
    ev.StockDividend: Fold._recapitalize,
    ev.ReverseSplit: Fold._recapitalize,
    ev.Reclassification: Fold._recapitalize,
    ev.Merger: Fold._merge,
    ev.Financing: Fold._finance,
    ev.InsufficientSharesNotice: Fold._insufficient_notice,
    ev.RepurchasePaid: Fold._repurchase_paid,
    ev.Blackout: Fold._blackout,
    ev.ObligationMet: Fold._lifecycle,
    ev.Waiver: Fold._lifecycle,
    **{kind: Fold._tick for kind in ev.CHECKLIST_EVENTS},
    **{kind: Fold._covenant_fact for kind in COVENANT_EVENTS},
    **{kind: Fold._statement_event for kind in STATEMENT_EVENTS},
}


_PARTY_FIELDS: dict[type, tuple[str, ...]] = {}


def _party_fields(kind: type) -> tuple[str, ...]:
    """The fields of an event type that name a party (looked up once per type: the fold is hot)."""
    fields = _PARTY_FIELDS.get(kind)
    if fields is None:
        fields = _PARTY_FIELDS[kind] = tuple(
            name for name in ("investor", "to", "sender") if name in kind.model_fields)  # type: ignore[attr-defined]
    return fields


def _whole(value: Fraction | int) -> int:
    return value.numerator // value.denominator  # an int is its own numerator over 1


def _with_remainder(result: ExerciseResult, remainder: str | None) -> ExerciseResult:
    # dataclasses.replace without its walk of the fields: the instance dict is the fields
    return ExerciseResult(**{**result.__dict__, "remainder_certificate": remainder})


def _surrendered(asked: int | Decimal | str, balance: Fraction) -> Fraction:
    """The shares an exercise surrenders: ``"all"``, or a number; a decimal that is the
    balance to its 10 shown places (116.6666666667 of 350/3) means the whole balance."""
    if asked == "all":
        return balance
    value = Fraction(asked)
    if value != balance and fraction_to_decimal(balance) == Decimal(asked):
        return balance
    return value


def fold(located: Sequence[Located], ctx: Context, *, until: dt.date | None = None) -> Timeline:
    """Fold events (in the documented order) into the deal's timeline, as of ``until``.

    Refused events are recorded in ``Timeline.problems`` and skipped."""
    folding = Fold(ctx)
    folding.add(located)
    folding.run(until)
    return folding.timeline(until)
