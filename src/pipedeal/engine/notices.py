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

from pipedeal.base.calendars import BusinessCalendar

BUSINESS_HOURS = (dt.time(9, 0), dt.time(17, 0))


@dataclass(frozen=True)
class Delivery:
    """How a notice travelled: the method, when it was sent, and (by mail) when it arrived."""

    method: str  # hand | fax | courier | mail
    sent_at: dt.datetime  # aware
    received_at: dt.datetime | None = None
    confirmed: bool = True  # a fax without the machine's confirmation never takes effect


@dataclass(frozen=True)
class Effect:
    """The day a notice takes effect (None: never) and why, in words."""

    day: dt.date | None
    reason: str


def takes_effect(delivery: Delivery, calendar: BusinessCalendar, timezone: str,
                 before_hours: str = "next_business_day",
                 hours: tuple[dt.time, dt.time] = BUSINESS_HOURS) -> Effect:
    """SPA 12.1: the day ``delivery`` is deemed effective where it is received.

    ``before_hours`` (RULES §5 ``notice_before_hours``) reads a hand delivery or fax
    received before opening on a business day: ``next_business_day`` (the text: it was
    not delivered "during normal business hours", so the first business day following)
    or ``same_day_opening`` (effective at that day's opening).
    """
    zone = ZoneInfo(timezone)
    opening, closing = hours
    if delivery.method in ("hand", "fax"):
        if delivery.method == "fax" and not delivery.confirmed:
            return Effect(None, "a fax without accurate confirmation never takes effect (SPA 12.1(a))")
        local = delivery.sent_at.astimezone(zone)
        day, time = local.date(), local.time()
        shown = f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
        if calendar.is_open(day) and opening <= time < closing:
            return Effect(day, f"{delivery.method} delivery {shown}: a business day during business hours "
                               f"where received (SPA 12.1(a))")
        if calendar.is_open(day) and time < opening and before_hours == "same_day_opening":
            return Effect(day, f"{delivery.method} delivery {shown}, before opening: effective at the opening "
                               "(notice_before_hours=same_day_opening)")
        following = calendar.next_open(day, inclusive=False)
        return Effect(following, f"{delivery.method} delivery {shown}: not during business hours on a business "
                                 f"day where received, so the first business day following, {following} "
                                 "(SPA 12.1(a))")
    if delivery.method == "courier":
        sent = delivery.sent_at.date()
        following = calendar.next_open(sent, inclusive=False)
        return Effect(following, f"sent by courier {sent}: the first business day following, {following} "
                                 "(SPA 12.1(b))")
    if delivery.received_at is None:
        return Effect(None, "a mailed notice takes effect on actual receipt, which is not recorded (SPA 12.1(c))")
    received = delivery.received_at.astimezone(zone).date()
    return Effect(received, f"mailed, received {received} (SPA 12.1(c))")
