"""RRA 3: the registration deadlines, each an obligation with its computation.

Only facts dated on or before the as-of date are known: a deadline computed
as of a date is the deadline a careful docket clerk would have had that day
(SEC clearance, once it happens, can pull the effectiveness deadline earlier).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipedeal.base.calendars import BusinessCalendar, days_after, roll_forward
from pipedeal.deal.terms import Terms
from pipedeal.engine import events as ev


@dataclass(frozen=True)
class Step:
    """One line of a computation: what was done, under which clause."""

    clause: str
    text: str
    date: dt.date | None = None


@dataclass(frozen=True)
class Deadline:
    id: str
    clause: str
    party: str
    duty: str
    due: dt.date
    unrolled_due: dt.date
    status: str  # pending | met | missed
    met_on: dt.date | None
    met_by: str | None
    steps: tuple[Step, ...] = field(default=())
    ref: str | None = None  # what the obligation answers (e.g. the notice it follows)


def _first(events: Sequence[ev.EventBase], kind: type, statement: str = "primary",
           on_or_after: dt.date | None = None):
    for event in events:
        if (isinstance(event, kind) and getattr(event, "statement", statement) == statement
                and (on_or_after is None or event.date >= on_or_after)):
            return event
    return None


def _roll(day: dt.date, sec: BusinessCalendar, terms: Terms, steps: list[Step]) -> dt.date:
    """RULES §1 / Securities Act Rule 0-3: an SEC-facing deadline on a day the SEC
    is closed moves to the next SEC business day (``roll_deadlines``)."""
    if sec.is_open(day):
        return day
    why = sec.holiday_name(day) or day.strftime("%A")
    if not terms.interpretations.roll_deadlines:
        steps.append(Step("RULES §1", f"{day} is not an SEC business day ({why}); "
                          "roll_deadlines=false keeps it", day))
        return day
    rolled = roll_forward(day, sec)
    steps.append(Step("RULES §1; Rule 0-3",
                      f"{day} is not an SEC business day ({why}); rolled to {rolled} "
                      "(roll_deadlines=true)", rolled))
    return rolled


def _status(due: dt.date, met: ev.EventBase | None, as_of: dt.date) -> str:
    if met is not None:
        return "met" if met.date <= due else "missed"
    return "missed" if as_of > due else "pending"


def filing_deadline(
    terms: Terms, closing: dt.date, events: Sequence[ev.EventBase], sec: BusinessCalendar,
    as_of: dt.date,
) -> Deadline:
    """RRA 3(a): "file ... within thirty (30) days after the Closing Date a
    registration statement"; RRA 3(g): a Potential Material Event before that date
    delays the filing "without penalty for not more than twenty (20) days"."""
    reg = terms.registration
    steps = [Step("RRA 3(a)", f"Closing {closing} + {reg.filing_days} days = "
                  f"{days_after(closing, reg.filing_days)}", days_after(closing, reg.filing_days))]
    due = days_after(closing, reg.filing_days)
    extension = 0
    for blackout in sorted((e for e in events if isinstance(e, ev.Blackout)),
                           key=lambda e: e.start):
        if blackout.start >= due or extension >= reg.blackout_filing_extension_max_days:
            continue
        length = (blackout.end - blackout.start).days + 1
        granted = min(length, reg.blackout_filing_extension_max_days - extension)
        extension += granted
        due = days_after(due, granted)
        steps.append(Step("RRA 3(g)", f"blackout {blackout.start} to {blackout.end} began before "
                          f"the filing date: +{granted} days (at most "
                          f"{reg.blackout_filing_extension_max_days} in all) = {due}", due))
    unrolled = due
    due = _roll(due, sec, terms, steps)
    filed = _first(events, ev.RsFiled)
    if filed is not None:
        steps.append(Step("RRA 3(a)", f"Registration Statement filed {filed.date}", filed.date))
    return Deadline(
        id="rs_filing", clause="RRA 3(a)", party=terms.company.id,
        duty="file the Registration Statement with the Commission",
        due=due, unrolled_due=unrolled, status=_status(due, filed, as_of),
        met_on=filed.date if filed else None, met_by="rs_filed" if filed else None,
        steps=tuple(steps),
    )


def effectiveness_deadline(
    terms: Terms, closing: dt.date, events: Sequence[ev.EventBase], sec: BusinessCalendar,
    as_of: dt.date,
) -> Deadline:
    """RRA 3(a), 3(e)(ii): effective "within one hundred fifty (120) days from the
    Closing Date (or, if ... a "full review" ..., 150 days ...) or, if earlier,
    within five (5) days of SEC clearance to request acceleration"."""
    reg = terms.registration
    full_review = _first(events, ev.FullReview)
    if full_review is not None:
        days = reg.full_review_effectiveness_days
        why = f"full review noticed {full_review.date}: {days} days"
        clause = "RRA 3(a)"
    else:
        days = terms.interpretations.effectiveness_days
        why = f"effectiveness_days={days}"
        clause = "RRA 3(a), 3(e)(ii)"
    by_closing = days_after(closing, days)
    steps = [Step(clause, f"Closing {closing} + {days} days ({why}) = {by_closing}", by_closing)]
    due = by_closing
    clearance = _first(events, ev.SecClearance)
    if clearance is not None:
        by_clearance = days_after(clearance.date, reg.clearance_effectiveness_days)
        steps.append(Step("RRA 3(a)", f"SEC clearance {clearance.date} + "
                          f"{reg.clearance_effectiveness_days} days = {by_clearance}", by_clearance))
        if by_clearance < due:
            due = by_clearance
            steps.append(Step("RRA 3(a)", f"the earlier date governs: {due}", due))
    unrolled = due
    due = _roll(due, sec, terms, steps)
    effective = _first(events, ev.RsEffective)
    if effective is not None:
        steps.append(Step("SPA 1.7", f"declared effective {effective.date}", effective.date))
    return Deadline(
        id="rs_effectiveness", clause=clause, party=terms.company.id,
        duty="cause the Registration Statement to be declared effective",
        due=due, unrolled_due=unrolled, status=_status(due, effective, as_of),
        met_on=effective.date if effective else None,
        met_by="rs_effective" if effective else None, steps=tuple(steps),
    )


def additional_deadlines(
    terms: Terms, notice: ev.InsufficientSharesNotice, events: Sequence[ev.EventBase],
    sec: BusinessCalendar, as_of: dt.date,
) -> list[Deadline]:
    """RRA 3(a): "file, within thirty (30) days of notice from any Investor, a further
    Registration Statement ... to effectiveness within ninety (120) days (or, if ... a
    "full review" ..., 150 days) of the date of such notice"."""
    reg = terms.registration
    start = notice.date
    ref = f"insufficient_shares_notice {start} from {notice.investor}"
    steps = [Step("RRA 3(a)", f"notice {start} + {reg.additional_filing_days} days = "
                  f"{days_after(start, reg.additional_filing_days)}")]
    unrolled = days_after(start, reg.additional_filing_days)
    due = _roll(unrolled, sec, terms, steps)
    filed = _first(events, ev.RsFiled, "additional", start)
    filing = Deadline(
        id="additional_rs_filing", clause="RRA 3(a), 3(e)(iv)", party=terms.company.id,
        duty="file the additional Registration Statement", due=due, unrolled_due=unrolled,
        status=_status(due, filed, as_of), met_on=filed.date if filed else None,
        met_by="rs_filed" if filed else None, steps=tuple(steps), ref=ref)
    full_review = _first(events, ev.FullReview, "additional", start)
    days = reg.additional_full_review_days if full_review else terms.interpretations.additional_effectiveness_days
    why = "full review" if full_review else f"additional_effectiveness_days={days}"
    unrolled = days_after(start, days)
    steps = [Step("RRA 3(a), 3(e)(iv)", f"notice {start} + {days} days ({why}) = {unrolled}")]
    due = _roll(unrolled, sec, terms, steps)
    effective = _first(events, ev.RsEffective, "additional", start)
    effectiveness = Deadline(
        id="additional_rs_effectiveness", clause="RRA 3(a), 3(e)(iv)", party=terms.company.id,
        duty="cause the additional Registration Statement to be declared effective", due=due,
        unrolled_due=unrolled, status=_status(due, effective, as_of),
        met_on=effective.date if effective else None,
        met_by="rs_effective" if effective else None, steps=tuple(steps), ref=ref)
    return [filing, effectiveness]


def registration_deadlines(
    terms: Terms, closing: dt.date, events: Sequence[ev.EventBase], sec: BusinessCalendar,
    as_of: dt.date,
) -> list[Deadline]:
    known = [event for event in events if event.date <= as_of]
    deadlines = [
        filing_deadline(terms, closing, known, sec, as_of),
        effectiveness_deadline(terms, closing, known, sec, as_of),
    ]
    for event in known:
        if isinstance(event, ev.InsufficientSharesNotice):
            deadlines.extend(additional_deadlines(terms, event, known, sec, as_of))
    return deadlines
