"""RRA 3: the registration deadlines, each an obligation with its computation.

Read from the timeline: only facts dated on or before the as-of date are in it,
so a deadline computed as of a date is the deadline a careful docket clerk
would have had that day (SEC clearance, once it happens, can pull the
effectiveness deadline earlier).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipedeal.base.calendars import BusinessCalendar, days_after, roll_forward
from pipedeal.deal.terms import Terms
from pipedeal.engine import events as ev
from pipedeal.engine.timeline import Statement, Timeline


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
    status: str  # pending | met | missed | not_applicable | unconfirmed
    met_on: dt.date | None
    met_by: str | None
    steps: tuple[Step, ...] = field(default=())
    ref: str | None = None  # what the obligation answers (e.g. the notice it follows)


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


def _status(due: dt.date, met_on: dt.date | None, as_of: dt.date) -> str:
    if met_on is not None:
        return "met" if met_on <= due else "missed"
    return "missed" if as_of > due else "pending"


def _blackout_extension(terms: Terms, blackouts: Sequence[ev.Blackout], start: dt.date, due: dt.date,
                        which: str, steps: list[Step]) -> dt.date:
    """RRA 3(g): "If a Potential Material Event shall occur prior to the date a Registration
    Statement is required to be filed, then the Company's obligation to file such Registration
    Statement shall be delayed without penalty for not more than twenty (20) days" — for each
    statement separately (RULES §3): a blackout running when or after the duty to file arose
    (``start``) and beginning before the (extended) filing date extends it by its length."""
    cap = terms.registration.blackout_filing_extension_max_days
    extension = 0
    for blackout in sorted(blackouts, key=lambda b: b.start):
        if blackout.end < start or blackout.start >= due or extension >= cap:
            continue
        length = (blackout.end - blackout.start).days + 1
        granted = min(length, cap - extension)
        extension += granted
        due = days_after(due, granted)
        steps.append(Step("RRA 3(g)", f"blackout {blackout.start} to {blackout.end} began before the {which} "
                          f"filing date: +{granted} days (at most {cap} in all for this statement) = {due}", due))
    return due


def filing_deadline(terms: Terms, timeline: Timeline, sec: BusinessCalendar, as_of: dt.date) -> Deadline:
    """RRA 3(a): "file ... within thirty (30) days after the Closing Date a
    registration statement"; RRA 3(g): a Potential Material Event before that date
    delays the filing "without penalty for not more than twenty (20) days"."""
    closing = timeline.closing_date
    assert closing is not None
    reg = terms.registration
    due = days_after(closing, reg.filing_days)
    steps = [Step("RRA 3(a)", f"Closing {closing} + {reg.filing_days} days = {due}", due)]
    due = _blackout_extension(terms, timeline.blackouts, closing, due, "primary", steps)
    unrolled = due
    due = _roll(due, sec, terms, steps)
    primary = timeline.statement("primary")
    filed = primary.first("filed") if primary else None
    if filed is not None:
        steps.append(Step("RRA 3(a)", f"Registration Statement filed {filed}", filed))
    return Deadline(
        id="rs_filing", clause="RRA 3(a)", party=terms.company.id,
        duty="file the Registration Statement with the Commission",
        due=due, unrolled_due=unrolled, status=_status(due, filed, as_of),
        met_on=filed, met_by="rs_filed" if filed else None, steps=tuple(steps),
    )


def effectiveness_deadline(terms: Terms, timeline: Timeline, sec: BusinessCalendar, as_of: dt.date) -> Deadline:
    """RRA 3(a), 3(e)(ii): effective "within one hundred fifty (120) days from the
    Closing Date (or, if ... a "full review" ..., 150 days ...) or, if earlier,
    within five (5) days of SEC clearance to request acceleration"."""
    closing = timeline.closing_date
    assert closing is not None
    reg = terms.registration
    primary = timeline.statement("primary") or Statement("primary")
    full_review = primary.first("full_review")
    if full_review is not None:
        days = reg.full_review_effectiveness_days
        why = f"full review noticed {full_review}: {days} days"
        clause = "RRA 3(a)"
    else:
        days = terms.interpretations.effectiveness_days
        why = f"effectiveness_days={days}"
        clause = "RRA 3(a), 3(e)(ii)"
    by_closing = days_after(closing, days)
    steps = [Step(clause, f"Closing {closing} + {days} days ({why}) = {by_closing}", by_closing)]
    due = by_closing
    clearance = primary.first("clearance")
    if clearance is not None:
        by_clearance = days_after(clearance, reg.clearance_effectiveness_days)
        steps.append(Step("RRA 3(a)", f"SEC clearance {clearance} + {reg.clearance_effectiveness_days} days = "
                          f"{by_clearance}", by_clearance))
        if by_clearance < due:
            due = by_clearance
            steps.append(Step("RRA 3(a)", f"the earlier date governs: {due}", due))
    unrolled = due
    due = _roll(due, sec, terms, steps)
    effective = primary.first("effective")
    if effective is not None:
        steps.append(Step("SPA 1.7", f"declared effective {effective}", effective))
    return Deadline(
        id="rs_effectiveness", clause=clause, party=terms.company.id,
        duty="cause the Registration Statement to be declared effective",
        due=due, unrolled_due=unrolled, status=_status(due, effective, as_of),
        met_on=effective, met_by="rs_effective" if effective else None, steps=tuple(steps),
    )


def _first_additional(timeline: Timeline, kind: str, on_or_after: dt.date) -> dt.date | None:
    days = sorted(day for statement in timeline.additional_statements() for day in getattr(statement, kind))
    return next((day for day in days if day >= on_or_after), None)


def additional_deadlines(terms: Terms, timeline: Timeline, notice: ev.InsufficientSharesNotice,
                         sec: BusinessCalendar, as_of: dt.date) -> list[Deadline]:
    """RRA 3(a): "file, within thirty (30) days of notice from any Investor, a further
    Registration Statement ... to effectiveness within ninety (120) days (or, if ... a
    "full review" ..., 150 days) of the date of such notice"."""
    reg = terms.registration
    start = notice.date
    ref = f"insufficient_shares_notice {start} from {notice.investor}"
    unrolled = days_after(start, reg.additional_filing_days)
    steps = [Step("RRA 3(a)", f"notice {start} + {reg.additional_filing_days} days = {unrolled}", unrolled)]
    unrolled = _blackout_extension(terms, timeline.blackouts, start, unrolled, "additional", steps)
    due = _roll(unrolled, sec, terms, steps)
    filed = _first_additional(timeline, "filed", start)
    filing = Deadline(
        id="additional_rs_filing", clause="RRA 3(a), 3(e)(iv)", party=terms.company.id,
        duty="file the additional Registration Statement", due=due, unrolled_due=unrolled,
        status=_status(due, filed, as_of), met_on=filed, met_by="rs_filed" if filed else None,
        steps=tuple(steps), ref=ref)
    full_review = _first_additional(timeline, "full_review", start)
    days = reg.additional_full_review_days if full_review else terms.interpretations.additional_effectiveness_days
    why = "full review" if full_review else f"additional_effectiveness_days={days}"
    unrolled = days_after(start, days)
    steps = [Step("RRA 3(a), 3(e)(iv)", f"notice {start} + {days} days ({why}) = {unrolled}", unrolled)]
    due = _roll(unrolled, sec, terms, steps)
    effective = _first_additional(timeline, "effective", start)
    effectiveness = Deadline(
        id="additional_rs_effectiveness", clause="RRA 3(a), 3(e)(iv)", party=terms.company.id,
        duty="cause the additional Registration Statement to be declared effective", due=due,
        unrolled_due=unrolled, status=_status(due, effective, as_of), met_on=effective,
        met_by="rs_effective" if effective else None, steps=tuple(steps), ref=ref)
    return [filing, effectiveness]


def registration_deadlines(terms: Terms, timeline: Timeline, sec: BusinessCalendar, as_of: dt.date) -> list[Deadline]:
    """RRA 3(a): the primary statement's two deadlines, then each additional statement's, by notice date."""
    deadlines = [filing_deadline(terms, timeline, sec, as_of), effectiveness_deadline(terms, timeline, sec, as_of)]
    for notice in sorted(timeline.insufficient_notices, key=lambda n: n.date):
        deadlines.extend(additional_deadlines(terms, timeline, notice, sec, as_of))
    return deadlines
