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
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from pipedeal.base.calendars import BusinessCalendar, local_calendar
from pipedeal.deal.clauses import cite
from pipedeal.deal.terms import Terms
from pipedeal.engine import events as ev


@dataclass(frozen=True)
class Delivery:
    """How a notice travelled: the method, when it was sent, and (by mail) when it arrived."""

    method: str  # hand | fax | courier | mail | email
    sent_at: dt.datetime  # aware
    received_at: dt.datetime | None = None
    confirmed: bool = True  # a fax without the machine's confirmation never takes effect


@dataclass(frozen=True)
class Effect:
    """The day a notice takes effect (None: never) and why, in words."""

    day: dt.date | None
    reason: str


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
    if delivery.method == "email":
        if rules.email != "as_fax":
            return Effect(None, "the agreement does not allow notice by email")
        delivery = Delivery("fax", delivery.sent_at, delivery.received_at, delivery.confirmed)
    if delivery.method in ("hand", "fax"):
        if delivery.method == "fax" and not delivery.confirmed:
            return Effect(None, f"a fax without accurate confirmation never takes effect ({_by_hand(terms)})")
        local = delivery.sent_at.astimezone(zone)
        day, time = local.date(), local.time()
        shown = f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
        if calendar.is_open(day) and opening <= time < closing:
            return Effect(day, f"{delivery.method} delivery {shown}: a business day during business hours "
                               f"where received ({_by_hand(terms)})")
        if calendar.is_open(day) and time < opening and before_hours == "same_day_opening":
            return Effect(day, f"{delivery.method} delivery {shown}, before opening: effective at the opening "
                               "(notice_before_hours=same_day_opening)")
        following = calendar.next_open(day, inclusive=False)
        return Effect(following, f"{delivery.method} delivery {shown}: not during business hours on a business "
                                 f"day where received, so the first business day following, {following} "
                                 f"({_by_hand(terms)})")
    if delivery.method == "courier":
        sent = delivery.sent_at.date()
        days = rules.courier_business_days
        day = calendar.add_open_days(sent, days) if days else sent
        return Effect(day, f"sent by courier {sent}: {days} business day(s) after, {day} "
                           f"({cite(terms, 'SPA 12.1(b)', 'notices')})")
    if rules.mail != "on_receipt":
        sent = delivery.sent_at.date()
        days = rules.mail.business_days
        day = calendar.add_open_days(sent, days) if days else sent
        return Effect(day, f"mailed {sent}: effective {days} business day(s) after, {day}")
    if delivery.received_at is None:
        return Effect(None, "a mailed notice takes effect on actual receipt, which is not recorded "
                            f"({cite(terms, 'SPA 12.1(c)', 'notices')})")
    received = delivery.received_at.astimezone(zone).date()
    return Effect(received, f"mailed, received {received} ({cite(terms, 'SPA 12.1(c)', 'notices')})")


def _by_hand(terms: Terms) -> str:
    """The deal's clause for a notice handed over or faxed (SPA 12.1(a))."""
    return cite(terms, "SPA 12.1(a)", "notices")


def notice_effect(terms: Terms, notice: ev.Notice) -> Effect:
    """PIPE-TERMS "Notices": "A recipient's business days are those of its country and
    subdivision in the terms file." The day a ``notice`` event takes effect where its recipient
    (``to``) is: that party's local business days (``local_calendar``) and time zone, under the
    deal's ``[notices]`` (a demand, always to the Company, is ``damages.demand_effect``)."""
    party = terms.party(notice.to)
    if party is None:
        raise KeyError(notice.to)  # the fold refuses a notice to an unknown party first (EVENT-UNKNOWN-PARTY)
    delivery = Delivery(notice.method, notice.sent_at, notice.received_at, notice.confirmed)
    return takes_effect(delivery, local_calendar(party.country, party.subdivision), party.timezone, terms)
