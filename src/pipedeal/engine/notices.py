"""SPA 12.1, RRA 8: when a notice (or a demand) takes effect, on the recipient's calendar.

SPA 12.1 "deemed effective (a) upon hand delivery or delivery by facsimile ...
(if delivered on a business day during normal business hours where such notice
is to be received), or the first business day following such delivery (if
delivered other than on a business day during normal business hours ...) or
(b) on the first business day following the date of sending by reputable
courier service ... or (c) upon actual receipt of such mailing, if mailed."

Business days and hours are the recipient's: its country's and subdivision's
public holidays (``local_calendar``) and its IANA time zone, daylight saving
included (RULES.md §5).

The fold (``timeline.Fold``) records every notice with ``sent``: a ``notice`` event, and
every fact that is itself a notice (``ld_demand``, ``blackout``, ``corporate_action_notice``,
``insufficient_shares_notice``, ``repurchase_elected``), each with the day it takes effect
for each recipient. ``clocks`` reads the evaluation for what each notice started.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pipedeal.base.calendars import BusinessCalendar, HolidayCalendar, local_calendar
from pipedeal.deal.clauses import cite
from pipedeal.deal.terms import Terms
from pipedeal.engine import events as ev

if TYPE_CHECKING:  # the evaluation's parts, read by ``clocks`` (they import this module)
    from pipedeal.engine.damages import InvestorDamages, Repurchase
    from pipedeal.engine.registration import Deadline
    from pipedeal.engine.timeline import Timeline


@dataclass(frozen=True)
class Delivery:
    """How a notice travelled: the method, when it was sent, and (by mail) when it arrived."""

    method: str  # hand | fax | courier | mail | email
    sent_at: dt.datetime  # aware
    received_at: dt.datetime | None = None
    confirmed: bool = True  # a fax without the machine's confirmation never takes effect


@dataclass(frozen=True)
class Effect:
    """The day a notice takes effect (None: never) and why, in words; ``at`` is the deemed-effective
    moment in the recipient's local time (delivery in business hours, else the opening of the
    business day it takes effect; mail: its receipt), ``rule`` the clause applied."""

    day: dt.date | None
    reason: str
    at: dt.datetime | None = None
    rule: str = ""


def takes_effect(delivery: Delivery, calendar: BusinessCalendar, timezone: str, terms: Terms) -> Effect:
    """SPA 12.1: the day ``delivery`` is deemed effective where it is received, under the deal's
    ``[notices]``: business hours, the courier's business days, mail on receipt or N business
    days after mailing, email as a fax where the deal allows it.

    ``before_hours`` (RULES §5 ``notice_before_hours``) reads a hand delivery or fax
    received before opening on a business day: ``next_business_day`` (the FOCUS text: it
    was not delivered "during normal business hours", so the first business day following)
    or ``same_day_opening`` (effective at that day's opening; PIPE-TERMS' "the next
    recipient's business day at opening", and its meaning when the key is absent).
    """
    rules = terms.notices
    zone = ZoneInfo(timezone)
    opening, closing = (dt.time.fromisoformat(text) for text in rules.business_hours)
    before_hours = rules.before_hours or "same_day_opening"

    def at_opening(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, opening, zone)

    label = delivery.method
    if delivery.method == "email":
        label = "email (as a fax)"
        if rules.email != "as_fax":
            return Effect(None, "the agreement does not allow notice by email", rule=cite(terms, "SPA 12.1", "notices"))
        delivery = Delivery("fax", delivery.sent_at, delivery.received_at, delivery.confirmed)
    if delivery.method in ("hand", "fax"):
        rule = _by_hand(terms)
        if delivery.method == "fax" and not delivery.confirmed:
            return Effect(None, f"a fax without accurate confirmation never takes effect ({rule})", rule=rule)
        local = delivery.sent_at.astimezone(zone)
        day, time = local.date(), local.time()
        shown = f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
        if calendar.is_open(day) and opening <= time < closing:
            return Effect(day, f"{label} delivery {shown}: a business day during business hours "
                               f"where received ({rule})", local, rule)
        if calendar.is_open(day) and time < opening and before_hours == "same_day_opening":
            return Effect(day, f"{label} delivery {shown}, before opening: effective at the opening "
                               "(notice_before_hours=same_day_opening)", at_opening(day), rule)
        following = calendar.next_open(day, inclusive=False)
        return Effect(following, f"{label} delivery {shown}: not during business hours on a business "
                                 f"day where received{_closed_note(calendar, day)}, so the first business day "
                                 f"following, {following} ({rule})", at_opening(following), rule)
    if delivery.method == "courier":
        rule = cite(terms, "SPA 12.1(b)", "notices")
        sent = delivery.sent_at.date()
        days = rules.courier_business_days
        day = calendar.add_open_days(sent, days) if days else sent
        return Effect(day, f"sent by courier {sent}: {days} business day(s) after, {day}"
                           f"{_skipped(calendar, sent, day)} ({rule})", at_opening(day), rule)
    rule = cite(terms, "SPA 12.1(c)", "notices")
    if rules.mail != "on_receipt":
        sent = delivery.sent_at.date()
        days = rules.mail.business_days
        day = calendar.add_open_days(sent, days) if days else sent
        return Effect(day, f"mailed {sent}: effective {days} business day(s) after, {day}", at_opening(day), rule)
    if delivery.received_at is None:
        return Effect(None, f"a mailed notice takes effect on actual receipt, which is not recorded ({rule})",
                      rule=rule)
    received = delivery.received_at.astimezone(zone)
    return Effect(received.date(), f"mailed, received {received.date()} ({rule})", received, rule)


def _by_hand(terms: Terms) -> str:
    """The deal's clause for a notice handed over or faxed (SPA 12.1(a))."""
    return cite(terms, "SPA 12.1(a)", "notices")


def _closed_note(calendar: BusinessCalendar, day: dt.date) -> str:
    """Why ``day`` is no business day where received, when it is a holiday (a weekend says itself)."""
    if isinstance(calendar, HolidayCalendar) and day.weekday() < 5 and not calendar.is_open(day):
        return f" ({day} is {calendar.holiday_name(day)} there)"
    return ""


def _skipped(calendar: BusinessCalendar, after: dt.date, through: dt.date) -> str:
    """The holidays a count of business days stepped over (a weekend says itself)."""
    if not isinstance(calendar, HolidayCalendar):
        return ""
    names = [f"{day} {calendar.holiday_name(day)}"
             for day in (after + dt.timedelta(days=n) for n in range(1, (through - after).days))
             if day.weekday() < 5 and not calendar.is_open(day)]
    return f" (not a business day there: {'; '.join(names)})" if names else ""


@functools.cache
def recipient_calendar(country: str, subdivision: str | None) -> HolidayCalendar:
    """A recipient's business days (``local_calendar``), built once per place and process: the
    holidays are fixed data, and a deal's notices go to a handful of places."""
    return local_calendar(country, subdivision)


def notice_effect(terms: Terms, notice: ev.Notice) -> Effect:
    """PIPE-TERMS "Notices": "A recipient's business days are those of its country and
    subdivision in the terms file." The day a ``notice`` event takes effect where its recipient
    (``to``) is: that party's local business days (``local_calendar``) and time zone, under the
    deal's ``[notices]``."""
    party = terms.party(notice.to)
    if party is None:
        raise KeyError(notice.to)  # the fold refuses a notice to an unknown party first (EVENT-UNKNOWN-PARTY)
    delivery = Delivery(notice.method, notice.sent_at, notice.received_at, notice.confirmed)
    return takes_effect(delivery, recipient_calendar(party.country, party.subdivision), party.timezone, terms)


# --- every notice, as the fold records it ------------------------------------------------------------

NoticeEvent = ev.Notice | ev.SentAsNotice


@dataclass(frozen=True)
class Clock:
    """A period a notice started (or a duty it met), with its due day and clause."""

    what: str
    due: dt.date | None
    clause: str
    status: str | None = None  # met | missed | pending | not_applicable | None (nothing to perform)

    def text(self) -> str:
        due = f" due {self.due}" if self.due else ""
        status = f": {self.status.replace('_', ' ')}" if self.status else ""
        return f"{self.what}{due} ({self.clause}){status}"


@dataclass(frozen=True)
class Receipt:
    """One recipient's copy of a notice: the day (and moment) it took effect there, and why."""

    party: str
    day: dt.date | None  # None: never
    at: dt.datetime | None  # the deemed-effective moment, the recipient's local time
    reason: str
    rule: str  # the SPA 12.1 limb applied ("" when no delivery is recorded)
    calendar: str  # the recipient's business days: "US-MA public holidays"
    timezone: str


@dataclass(slots=True, eq=False)
class Sent:
    """A notice on the timeline: who sent what to whom, how, and when it took effect.

    ``effective`` is the day it had taken effect for every recipient (a notice "to the
    Investors" is given when the last of them has it); None when it never does for one."""

    kind: str  # the event type: notice, ld_demand, blackout, ...
    date: dt.date
    sender: str
    subject: str
    method: str | None  # None: no delivery recorded (it takes effect on ``date``)
    sent_at: dt.datetime | None
    received_at: dt.datetime | None
    receipts: tuple[Receipt, ...]
    event: ev.EventBase = field(repr=False)
    file: str | None = None
    line: int | None = None
    seq: int | None = None
    # The notice's own deadline, as the fold judged it (RRA 3(g): 2 Trading Days before the blackout).
    duties: list[Clock] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return self.method is not None

    @property
    def effective(self) -> dt.date | None:
        days = [receipt.day for receipt in self.receipts]
        if not days or any(day is None for day in days):
            return None
        return max(days)  # type: ignore[type-var]

    @property
    def recipients(self) -> tuple[str, ...]:
        return tuple(receipt.party for receipt in self.receipts)


@dataclass(slots=True, eq=False)
class Noticed:
    """A notice as the fold met it: the event, where it came from, the holders of the Warrants then
    (W 14's recipients) and, once worked out, its ``Sent`` record. The fold works a record out
    when a clause it applies counts from the notice (a blackout, W 14) and the timeline the rest
    when read (so a fold that only checks events pays for no notice it does not judge)."""

    event: ev.EventBase
    file: str | None
    line: int | None
    seq: int | None
    holders: tuple[str, ...]
    record: Sent | None = None
    duties: list[Clock] = field(default_factory=list)  # as the fold judged them (``Sent.duties``)

    def worked_out(self, terms: Terms, memo: dict) -> Sent:
        if self.record is None:
            self.record = sent(terms, self.event, self.holders, file=self.file, line=self.line,  # type: ignore[arg-type]
                               seq=self.seq, memo=memo)
            self.record.duties = self.duties
        return self.record


def _subject(event: NoticeEvent) -> str:
    if isinstance(event, ev.Notice):
        return event.subject
    if isinstance(event, ev.LdDemand):
        return "demand for payment of liquidated damages"
    if isinstance(event, ev.Blackout):
        return f"Potential Material Event: blackout {event.start} to {event.end}"
    if isinstance(event, ev.CorporateActionNotice):
        return f"{event.action}: record date {event.record_date}, effective date {event.effective_date}"
    if isinstance(event, ev.InsufficientSharesNotice):
        return "the registered shares are insufficient: register more"
    return "election to repurchase the Shares instead of paying liquidated damages"


def parties_of(terms: Terms, event: NoticeEvent, holders: Sequence[str] = (),
               memo: dict | None = None) -> tuple[str, tuple[str, ...]]:
    """(sender, recipients): a ``notice`` names both; a demand and an insufficient-shares notice go
    from the Investor to the Company; a blackout notice and a repurchase election from the Company
    to every Investor; a W 14 notice to the holders of the outstanding Warrants (``holders``;
    before any Warrant is issued, the Investors)."""
    company = terms.company.id
    investors = memo.get("investors") if memo is not None else None
    if investors is None:
        investors = tuple(inv.id for inv in terms.investors)
        if memo is not None:
            memo["investors"] = investors
    if isinstance(event, ev.Notice):
        return event.sender, (event.to,)
    if isinstance(event, ev.LdDemand | ev.InsufficientSharesNotice):
        return event.investor, (company,)
    if isinstance(event, ev.CorporateActionNotice):
        return company, tuple(holders) or investors
    return company, investors


def calendar_name(country: str, subdivision: str | None) -> str:
    return f"{country}-{subdivision} public holidays" if subdivision else f"{country} public holidays"


def sent(terms: Terms, event: NoticeEvent, holders: Sequence[str] = (), *, file: str | None = None,
         line: int | None = None, seq: int | None = None, memo: dict | None = None) -> Sent:
    """SPA 12.1, RRA 8: the notice ``event`` with the day it takes effect for each recipient, on that
    recipient's business days and in its time zone. A notice-like fact recorded without
    ``sent_at`` and ``method`` takes effect on its ``date`` (RULES §3: "without them takes effect on
    its ``date``"). The parties are known to the terms (the fold checks them first).

    ``memo`` (one per fold, so per terms) keeps each recipient's receipt by how the notice
    travelled: notices sent alike to the same party take effect alike, worked out once."""
    memo = {} if memo is None else memo
    sender, recipients = parties_of(terms, event, holders, memo)
    delivered = event.sent_at is not None and event.method is not None
    how = ((event.method, event.sent_at, event.received_at, event.confirmed is not False) if delivered
           else event.date)
    receipts = []
    for party_id in recipients:
        key = (party_id, how)
        receipt = memo.get(key)
        if receipt is None:
            receipt = memo[key] = _receipt(terms, party_id, event, delivered)
        receipts.append(receipt)
    return Sent(event.type, event.date, sender, _subject(event), event.method, event.sent_at,  # type: ignore[attr-defined]
                event.received_at, tuple(receipts), event, file, line, seq)


def _receipt(terms: Terms, party_id: str, event: NoticeEvent, delivered: bool) -> Receipt:
    party = terms.party(party_id)
    assert party is not None
    calendar = calendar_name(party.country, party.subdivision)
    if not delivered:
        return Receipt(party_id, event.date, None, f"dated {event.date}: no delivery recorded, effective that day",
                       "", calendar, party.timezone)
    delivery = Delivery(event.method, event.sent_at, event.received_at,  # type: ignore[arg-type]
                        event.confirmed is not False)
    effect = takes_effect(delivery, recipient_calendar(party.country, party.subdivision), party.timezone, terms)
    return Receipt(party_id, effect.day, effect.at, effect.reason, effect.rule, calendar, party.timezone)


# --- what each notice started, read from the evaluation --------------------------------------------

@dataclass(frozen=True)
class NoticeView:
    """A notice as of the evaluation date: the timeline's record and the clocks it started."""

    sent: Sent
    status: str  # in_effect | not_yet_in_effect | never
    clocks: tuple[Clock, ...]


def clocks(terms: Terms, timeline: Timeline, deadlines: Sequence[Deadline], damages: dict[str, InvestorDamages],
           repurchase: Repurchase | None, as_of: dt.date,
           obligations: Sequence[Deadline] = ()) -> tuple[NoticeView, ...]:
    """Every notice sent on or before ``as_of``, in the order sent, with what it started: the
    payment a demand makes due (RRA 3(e)), the blackout and the notice's own deadline (RRA 3(g)),
    the W 14 obligations the notice answers, the additional Registration Statement's
    deadlines (RRA 3(a)), the repurchase payment (RRA 3(e)(A)). Read from the evaluation's
    figures, never computed again here."""
    views = []
    demand_index: dict[str, int] = {}
    for record in timeline.sent:
        if record.date > as_of:
            continue
        effective = record.effective
        status = ("never" if effective is None else "not_yet_in_effect" if effective > as_of else "in_effect")
        found: list[Clock] = []
        event = record.event
        if isinstance(event, ev.LdDemand):
            index = demand_index.get(event.investor, 0)
            demand_index[event.investor] = index + 1
            result = damages.get(event.investor)
            made = result.demands[index] if result is not None and index < len(result.demands) else None
            if made is not None and made.due is not None:
                found.append(Clock(f"payment of liquidated damages of ${made.amount:,} to {event.investor}",
                                   made.due, cite(terms, "RRA 3(e)", "liquidated_damages"), made.status))
            elif made is not None and made.status == "not_applicable" and effective is not None:
                found.append(Clock(f"none: damages fall due by the payment schedule "
                                   f"(payment.due = {terms.liquidated_damages.payment.due})", None,
                                   cite(terms, "RRA 3(e)", "liquidated_damages")))
        elif isinstance(event, ev.Blackout):
            found.append(Clock(f"blackout period {event.start} to {event.end}", None,
                               cite(terms, "RRA 3(g)", "registration.grace")))
            found.extend(record.duties)
        elif isinstance(event, ev.CorporateActionNotice):
            found.extend(_w14(terms, record, event, obligations))
        elif isinstance(event, ev.InsufficientSharesNotice):
            ref = f"insufficient_shares_notice {event.date} from {event.investor}"
            found.extend(Clock(deadline.duty, deadline.due, deadline.clause, deadline.status)
                         for deadline in deadlines if deadline.ref == ref)
        elif isinstance(event, ev.RepurchaseElected) and repurchase is not None and effective is not None:
            if repurchase.election_deadline is not None:
                found.append(Clock("the election itself", repurchase.election_deadline,
                                   cite(terms, "RRA 3(e)(A)", "liquidated_damages.repurchase"),
                                   "met" if effective <= repurchase.election_deadline else "missed"))
            if repurchase.payment_deadline is not None:
                found.append(Clock(f"payment of the repurchase price ({repurchase.status}: {repurchase.reason})",
                                   repurchase.payment_deadline,
                                   cite(terms, "RRA 3(e)(A)", "liquidated_damages.repurchase"),
                                   "met" if repurchase.paid_on and repurchase.paid_on <= repurchase.payment_deadline
                                   else "missed" if as_of > repurchase.payment_deadline else "pending"))
        views.append(NoticeView(record, status, tuple(found)))
    return tuple(views)


def _w14(terms: Terms, record: Sent, event: ev.CorporateActionNotice,
         obligations: Sequence[Deadline]) -> list[Clock]:
    """W 14: "at least 30 days' prior written notice" of the record date (and, for a reorganization,
    reclassification, merger ..., of the day it takes place): the W 14 obligations this notice
    answers, as the evaluation worked them out. An action not yet in the log has none: then both
    dates the notice names are shown, unconfirmed, since which limbs apply is known only then."""
    days = terms.warrants.corporate_action_notice_days
    dates = {event.record_date - dt.timedelta(days=days), event.effective_date - dt.timedelta(days=days)}
    answered = [o for o in obligations if o.kind == "corporate_action_notice" and o.due in dates]
    if answered:
        return [Clock(o.duty, o.due, o.clause, o.status) for o in sorted(answered, key=lambda o: o.due)]
    clause = cite(terms, "W 14 notice")
    return [Clock(f"notice of the {label} {day}, {days} days before it (the action is not in the log yet)",
                  day - dt.timedelta(days=days), clause, "unconfirmed")
            for label, day in (("record date", event.record_date), ("effective date", event.effective_date))]
