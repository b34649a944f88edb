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

from pipedeal.base.calendars import BusinessCalendar, Calendars, days_after, roll_forward
from pipedeal.base.records import quick_init
from pipedeal.deal.clauses import cite, cite_all, cite_or_rule
from pipedeal.deal.terms import Effectiveness, Filing, Terms
from pipedeal.engine import events as ev
from pipedeal.engine.timeline import Statement, Timeline


@dataclass(frozen=True)
class Step:
    """One line of a computation: what was done, under which clause."""

    clause: str
    text: str
    date: dt.date | None = None


@quick_init  # an investor's installments each make one
@dataclass(frozen=True)
class Deadline:
    """One obligation of the deal (RULES §5), whatever its clause: a registration deadline, a
    payment, a delivery, a covenant's dated duty. ``id`` is stable for the deal (the duty's kind,
    then what triggers it: ``effectiveness_notice:primary:2000-02-16``); an ``obligation_met`` or
    ``waiver`` event names it."""

    id: str
    clause: str
    party: str
    duty: str
    due: dt.date
    unrolled_due: dt.date
    status: str  # pending | met | missed | waived | not_applicable | unconfirmed
    met_on: dt.date | None
    met_by: str | None
    steps: tuple[Step, ...] = field(default=())
    ref: str | None = None  # what the obligation answers (e.g. the notice it follows)
    trigger: str | None = None  # the event that gives rise to the duty ("rs_effective 2000-02-16")
    owed_to: tuple[str, ...] = ()  # the parties the duty is owed to: only they can waive it
    waived_by: tuple[str, ...] = ()
    waived_on: dt.date | None = None
    quote: str | None = None  # the clause's words, in quotation marks (or a note that the terms quote none)
    # The first day a performance can count: a notice of effectiveness is no notice before the effectiveness.
    performable_from: dt.date | None = None

    @property
    def kind(self) -> str:
        """The duty's kind, the id's first part (``ld_payment`` of ``ld_payment:raptor:2000-02-01``)."""
        return self.id.split(":", 1)[0]


def investor_ids(terms: Terms) -> tuple[str, ...]:
    """The Investors, in the terms' order: the parties a Company duty to "the Investors" is owed to."""
    return tuple(investor.id for investor in terms.investors)


# The roll is pipedeal's rule (RULES §1, reading Securities Act Rule 0-3), valid for every deal,
# unless the deal's own text moves a due day itself: its [quotes] then cite that clause under
# the slot ``ROLL_SLOT`` (meridian's "RRA 1").
ROLL_SLOT = "Rule 0-3"
ROLL_RULE = "RULES §1; Rule 0-3"
NO_ROLL_RULE = "RULES §1"


def roll_clause(terms: Terms) -> str:
    """The clause that moves a registration due day off a day the SEC is closed: the deal's own
    where its terms quote one, else pipedeal's rule (not a clause of any agreement)."""
    return cite_or_rule(terms, ROLL_SLOT, ROLL_RULE)


def _roll(day: dt.date, sec: BusinessCalendar, terms: Terms, steps: list[Step]) -> dt.date:
    """RULES §1 / Securities Act Rule 0-3: an SEC-facing deadline on a day the SEC
    is closed moves to the next SEC business day (``roll_deadlines``)."""
    if sec.is_open(day):
        return day
    why = sec.holiday_name(day) or day.strftime("%A")
    if terms.registration.roll == "none":
        steps.append(Step(NO_ROLL_RULE, f"{day} is not an SEC business day ({why}); "
                          "roll = none keeps it", day))
        return day
    rolled = roll_forward(day, sec)
    steps.append(Step(roll_clause(terms),
                      f"{day} is not an SEC business day ({why}); rolled to {rolled} "
                      "(roll = next_business_day)", rolled))
    return rolled


UNIT_WORDS = {"calendar": "days", "business": "Business Days", "trading": "Trading Days"}


def count(start: dt.date, days: int, unit: str, calendars: Calendars) -> dt.date:
    """RULES §1: "within N days after X" is the end of day X + N; "within N Trading (or
    Business) Days after X" is the N-th such day after X."""
    if unit == "calendar" or days == 0:
        return days_after(start, days)
    calendar: BusinessCalendar = calendars.trading if unit == "trading" else calendars.business
    return calendar.add_open_days(start, days)


def _start(terms: Terms, timeline: Timeline, block: Filing | Effectiveness) -> tuple[dt.date, str]:
    if block.from_ == "agreement":
        return terms.deal.agreement_date, "the agreement date"
    assert timeline.closing_date is not None
    return timeline.closing_date, "Closing"


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
    cap = terms.registration.grace.filing_extension_max_days
    extension = 0
    for blackout in sorted(blackouts, key=lambda b: b.start):
        if blackout.end < start or blackout.start >= due or (cap != "none" and extension >= cap):
            continue
        length = (blackout.end - blackout.start).days + 1
        granted = length if cap == "none" else min(length, cap - extension)
        extension += granted
        due = days_after(due, granted)
        limit = "no limit" if cap == "none" else f"at most {cap} in all for this statement"
        steps.append(Step(cite(terms, "RRA 3(g) filing delay", "registration.grace"),
                          f"blackout {blackout.start} to {blackout.end} began before the {which} "
                          f"filing date: +{granted} days ({limit}) = {due}", due))
    return due


def filing_deadline(terms: Terms, timeline: Timeline, calendars: Calendars, as_of: dt.date) -> Deadline:
    """RRA 3(a): "file ... within thirty (30) days after the Closing Date a
    registration statement"; RRA 3(g): a Potential Material Event before that date
    delays the filing "without penalty for not more than twenty (20) days"."""
    rule = terms.registration.filing
    start, name = _start(terms, timeline, rule)
    due = count(start, rule.days, rule.unit, calendars)
    clause = cite(terms, "RRA 3(a)", "registration.filing")
    steps = [Step(clause, f"{name} {start} + {rule.days} {UNIT_WORDS[rule.unit]} = {due}", due)]
    due = _blackout_extension(terms, timeline.blackouts, start, due, "primary", steps)
    unrolled = due
    due = _roll(due, calendars.sec, terms, steps)
    primary = timeline.statement("primary")
    filed = primary.first("filed") if primary else None
    if filed is not None:
        steps.append(Step(clause, f"Registration Statement filed {filed}", filed))
    return Deadline(
        id="rs_filing", clause=clause, party=terms.company.id,
        duty="file the Registration Statement with the Commission",
        due=due, unrolled_due=unrolled, status=_status(due, filed, as_of),
        met_on=filed, met_by="rs_filed" if filed else None, steps=tuple(steps),
        trigger=f"{name} {start}", owed_to=investor_ids(terms),
    )


def _effective_by(rule: Effectiveness, start: dt.date, name: str, statement: Statement, calendars: Calendars,
                  clause: str) -> tuple[dt.date, list[Step]]:
    """The earlier of start + days (full_review_days instead once a full review is noticed)
    and SEC clearance + clearance_days, where the text has that limb."""
    full_review = statement.first("full_review", start)
    days = rule.full_review_days if full_review is not None else rule.days
    why = f"full review noticed {full_review}" if full_review is not None else "no full review"
    due = count(start, days, rule.unit, calendars)
    steps = [Step(clause, f"{name} {start} + {days} {UNIT_WORDS[rule.unit]} ({why}) = {due}", due)]
    clearance = statement.first("clearance", start)
    if clearance is not None and rule.clearance_days != "none":
        unit = rule.clearance_unit or "calendar"
        by_clearance = count(clearance, rule.clearance_days, unit, calendars)
        steps.append(Step(clause, f"SEC clearance {clearance} + {rule.clearance_days} {UNIT_WORDS[unit]} = "
                          f"{by_clearance}", by_clearance))
        if by_clearance < due:
            due = by_clearance
            steps.append(Step(clause, f"the earlier date governs: {due}", due))
    return due, steps


def effectiveness_deadline(terms: Terms, timeline: Timeline, calendars: Calendars, as_of: dt.date) -> Deadline:
    """RRA 3(a), 3(e)(ii): effective "within one hundred fifty (120) days from the
    Closing Date (or, if ... a "full review" ..., 150 days ...) or, if earlier,
    within five (5) days of SEC clearance to request acceleration"."""
    rule = terms.registration.effectiveness
    primary = timeline.statement("primary") or Statement("primary")
    start, name = _start(terms, timeline, rule)
    clause = cite(terms, "RRA 3(a)", "registration.effectiveness")
    due, steps = _effective_by(rule, start, name, primary, calendars, clause)
    unrolled = due
    due = _roll(due, calendars.sec, terms, steps)
    effective = primary.first("effective")
    if effective is not None:
        steps.append(Step(cite(terms, "SPA 1.7", "registration.effectiveness"), f"declared effective {effective}",
                          effective))
    return Deadline(
        id="rs_effectiveness", clause=clause, party=terms.company.id,
        duty="cause the Registration Statement to be declared effective",
        due=due, unrolled_due=unrolled, status=_status(due, effective, as_of),
        met_on=effective, met_by="rs_effective" if effective else None, steps=tuple(steps),
        trigger=f"{name} {start}", owed_to=investor_ids(terms),
    )


def _additional_facts(timeline: Timeline) -> Statement:
    """Every additional statement's facts, in date order: a notice is met by the first filing
    (effectiveness, review, clearance) of an additional statement on or after it."""
    merged = Statement("additional")
    for kind in ("filed", "full_review", "clearance", "effective"):
        getattr(merged, kind).extend(sorted(day for s in timeline.additional_statements() for day in getattr(s, kind)))
    return merged


def additional_deadlines(terms: Terms, timeline: Timeline, notice: ev.InsufficientSharesNotice,
                         calendars: Calendars, as_of: dt.date) -> list[Deadline]:
    """RRA 3(a): "file, within thirty (30) days of notice from any Investor, a further
    Registration Statement ... to effectiveness within ninety (120) days (or, if ... a
    "full review" ..., 150 days) of the date of such notice"."""
    additional = terms.registration.additional
    assert additional != "none"
    # RULES §3: the days run from the notice's effective date (SPA 12.1); its date without a delivery.
    start = timeline.effective_day(notice)
    ref = f"insufficient_shares_notice {notice.date} from {notice.investor}"
    if start is None:
        return []  # it never took effect: no deadline (the fold warned, NOTICE-NEVER-EFFECTIVE)
    named = "notice" if start == notice.date and not notice.delivered else f"notice sent {notice.date}, effective"
    facts = _additional_facts(timeline)
    rule = additional.filing
    clause = cite(terms, "RRA 3(a)", "registration.additional.filing")
    unrolled = count(start, rule.days, rule.unit, calendars)
    steps = [Step(clause, f"{named} {start} + {rule.days} {UNIT_WORDS[rule.unit]} = {unrolled}", unrolled)]
    unrolled = _blackout_extension(terms, timeline.blackouts, start, unrolled, "additional", steps)
    due = _roll(unrolled, calendars.sec, terms, steps)
    filed = facts.first("filed", start)
    filing = Deadline(
        id=f"additional_rs_filing:{start}:{notice.investor}",
        clause=cite_all(terms, ("RRA 3(a)", "registration.additional.filing"), "RRA 3(e)(iv)", abbreviate=True),
        party=terms.company.id, duty="file the additional Registration Statement", due=due, unrolled_due=unrolled,
        status=_status(due, filed, as_of), met_on=filed, met_by="rs_filed" if filed else None,
        steps=tuple(steps), ref=ref, trigger=ref, owed_to=investor_ids(terms))
    rule_e = additional.effectiveness
    clause = cite(terms, "RRA 3(a)", "registration.additional.effectiveness")
    unrolled, steps = _effective_by(rule_e, start, named, facts, calendars, clause)
    due = _roll(unrolled, calendars.sec, terms, steps)
    effective = facts.first("effective", start)
    effectiveness = Deadline(
        id=f"additional_rs_effectiveness:{start}:{notice.investor}",
        clause=cite_all(terms, ("RRA 3(a)", "registration.additional.effectiveness"), "RRA 3(e)(iv)",
                        abbreviate=True),
        party=terms.company.id, duty="cause the additional Registration Statement to be declared effective",
        due=due, unrolled_due=unrolled, status=_status(due, effective, as_of), met_on=effective,
        met_by="rs_effective" if effective else None, steps=tuple(steps), ref=ref, trigger=ref,
        owed_to=investor_ids(terms))
    return [filing, effectiveness]


def registration_deadlines(terms: Terms, timeline: Timeline, calendars: Calendars, as_of: dt.date) -> list[Deadline]:
    """RRA 3(a): the primary statement's two deadlines, then each additional statement's, by notice date."""
    deadlines = [filing_deadline(terms, timeline, calendars, as_of),
                 effectiveness_deadline(terms, timeline, calendars, as_of)]
    if terms.registration.additional != "none":
        for notice in sorted(timeline.insufficient_notices, key=lambda n: n.date):
            deadlines.extend(additional_deadlines(terms, timeline, notice, calendars, as_of))
    return deadlines
