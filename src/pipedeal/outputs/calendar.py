"""Every obligation of one or more deals as an RFC 5545 calendar (``pipedeal calendar``).

A pure function of evaluations: the same evaluations give the same bytes (no clock; DTSTAMP is
the evaluation's as-of date), so a file re-exported from the same ledger is identical, and a
file exported later differs only where the deals did.

Choices a calendar client makes visible, and why:

- **All-day** on the due date (``DTSTART;VALUE=DATE``, ``DTEND`` the next day, ``TRANSP:
  TRANSPARENT``): a deadline is a day, not a meeting, and must not block anyone's free/busy time.
- **UID**: the obligation's id, then a hash of the deal's name and that id, at a fixed domain
  (``ld_payment:raptor:2000-04-16-<24 hex>@obligations.pipedeal.invalid``). The id is unique in
  its deal and names the duty's kind and what gives rise to it (the demand, notice or filing it
  answers), never its due date; so the UID never depends on the due date, the order or the clock.
  A due date that moves (a blackout extends the filing deadline, SEC clearance pulls the
  effectiveness deadline and the end of the SPA 6.9 limit earlier) updates the same event on
  re-import instead of adding one. The deal's name is in the hash because two deals share ids.
  One case gives one id twice: the same demand recorded twice (``events import
  --allow-duplicates``: two ``ld_demand`` of one investor on one day). The calendar still shows
  two events, the second with its repeat number in the hash (``#1``), so neither hides the other.
- **X-PIPEDEAL-KIND** is the duty's kind (the id's first part: ``ld_payment``, ``draft_review``),
  for a client's filter; ``X-PIPEDEAL-OBLIGATION`` the id itself, as ``obligation_met`` names it.
- **STATUS** says whether the *deadline* stands, not whether it was met: ``CONFIRMED`` for a
  pending, met, missed or unconfirmed duty (the date is fixed in every case, and clients show a
  CONFIRMED event plainly), ``CANCELLED`` only for a duty that no longer applies (a void
  repurchase election): clients strike such an event through or remove it on re-import, which
  is what a docket clerk wants. Whether the duty was performed is in the SUMMARY's prefix
  (``[MET 1999-12-20]``, ``[MISSED]``, ``[UNCONFIRMED]``; nothing while pending), in CATEGORIES
  and in ``X-PIPEDEAL-STATUS``: every client shows the SUMMARY, few show STATUS at all.
- **Alarm** (``VALARM``, ``ACTION:DISPLAY``) at the opening of business (the deal's
  ``[notices].business_hours``) 5 business days before the due date, counted on the business
  calendar of the party that owes the duty: its country and subdivision in the terms file
  (``local_calendar``, as notices to it are read, RULES §5). The alarm is for the people who must
  act, so their own holidays count, for SEC-facing duties too (the due date itself was already
  counted and rolled on the SEC's calendar by the engine). A duty met or no longer applicable
  has no alarm: a reminder of something done is noise.
  The trigger is relative to the start of the all-day event (``-P6DT15H``: 09:00 seven calendar
  days before), so it fires at that local time wherever the client is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipedeal.base.calendars import BusinessCalendar, local_calendar
from pipedeal.engine.evaluate import Evaluation

UID_DOMAIN = "obligations.pipedeal.invalid"  # RFC 2606: reserved, so it can never name a real host
PRODID = "-//pipedeal//obligations calendar//EN"
ALARM_BUSINESS_DAYS = 5
NO_ALARM = frozenset({"met", "not_applicable"})
CANCELLED = frozenset({"not_applicable"})


@dataclass(frozen=True)
class Entry:
    """One obligation as the calendar shows it (what the tests and ``--json`` read)."""

    deal: str
    uid: str
    obligation: str  # the obligation's id, unique in its deal
    kind: str  # the duty's kind, the id's first part
    party: str
    party_name: str
    duty: str
    clause: str
    due: dt.date
    status: str
    met_on: dt.date | None
    alarm_on: dt.date | None
    alarm_calendar: str
    summary: str
    description: str
    as_of: dt.date  # DTSTAMP
    opening: str  # the deal's business hours open (the reminder's time)

    def as_dict(self) -> dict[str, object]:
        return {"deal": self.deal, "uid": self.uid, "obligation": self.obligation, "kind": self.kind,
                "party": self.party, "duty": self.duty, "clause": self.clause, "due": self.due.isoformat(),
                "status": self.status,
                "met_on": self.met_on.isoformat() if self.met_on else None,
                "alarm_on": self.alarm_on.isoformat() if self.alarm_on else None,
                "alarm_calendar": self.alarm_calendar, "summary": self.summary}


def obligation_uid(deal: str, obligation_id: str, repeat: int = 0) -> str:
    """The obligation's UID: the same deal and obligation id (unique in the deal) give the same UID
    in every export, whatever the as-of date, the due date or the order of the obligations;
    ``repeat`` counts the earlier obligations of the deal with the same id (see the module's
    docstring: only a duplicated event gives one)."""
    key = f"{deal}\x1f{obligation_id}" + (f"\x1f#{repeat}" if repeat else "")
    return f"{obligation_id}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:24]}@{UID_DOMAIN}"


def _party_calendar(evaluation: Evaluation, party_id: str) -> BusinessCalendar:
    """The business calendar of the party that owes the duty (RULES §5: its country and
    subdivision); a party the terms do not name falls back to the deal's Business Day calendar."""
    party = evaluation.terms.party(party_id)
    if party is not None:
        return local_calendar(party.country, party.subdivision)
    assert evaluation.calendars is not None
    return evaluation.calendars.business


def _status_prefix(status: str, met_on: dt.date | None) -> str:
    if status == "met":
        return f"[MET {met_on}] " if met_on else "[MET] "
    if status == "pending":
        return ""
    return f"[{status.replace('_', ' ').upper()}] "


@dataclass(frozen=True)
class DealCalendar:
    """What the calendar needs of one deal's evaluation: small, so a worker process can send it."""

    deal: str
    as_of: dt.date
    parties: tuple[str, ...]
    entries: tuple[Entry, ...]
    events: tuple[bytes, ...] = ()  # each entry's VEVENT as ``calendar_ics`` writes it, when rendered


def deal_calendar(evaluation: Evaluation) -> DealCalendar:
    """One deal's obligations as calendar entries (every party's), for ``evaluate_ledger(then=...)``,
    each with its VEVENT's bytes already rendered: with many deals the rendering is most of the
    export's time, and done here it is shared between ``evaluate_ledger``'s worker processes."""
    terms = evaluation.terms
    parties = tuple(party.id for party in (terms.company, *terms.investors, *terms.parties))
    found = tuple(_deal_entries(evaluation))
    return DealCalendar(terms.deal.name, evaluation.as_of, parties, found,
                        tuple(_event_ics(entry) for entry in found))


def _deal_entries(evaluation: Evaluation) -> list[Entry]:
    deal = evaluation.terms.deal.name
    opening = evaluation.terms.notices.business_hours[0]
    found = []
    repeats: dict[str, int] = {}
    # A duty with no due day (an open covenant) has no place in a calendar.
    for obligation in sorted((item for item in evaluation.all_obligations if item.due is not None),
                             key=lambda item: item.due):
        repeat = repeats.get(obligation.id, 0)
        repeats[obligation.id] = repeat + 1
        who = evaluation.terms.party(obligation.party)
        name = who.name if who is not None else obligation.party
        calendar = _party_calendar(evaluation, obligation.party)
        alarm_on = (None if obligation.status in NO_ALARM
                    else calendar.add_open_days(obligation.due, -ALARM_BUSINESS_DAYS))
        summary = f"{_status_prefix(obligation.status, obligation.met_on)}{name}: {obligation.duty} ({deal})"
        lines = [f"{obligation.clause}: {name} must {obligation.duty}.",
                 f"Due {obligation.due} (deal {deal}, as of {evaluation.as_of}: {obligation.status}"
                 + (f"; performed {obligation.met_on}" if obligation.met_on else "") + ").",
                 "How the due date was computed:" if obligation.steps else "No computation recorded."]
        lines.extend(f"- {step.clause}: {step.text}" + (f" [{step.date}]" if step.date else "")
                     for step in obligation.steps)
        if obligation.ref:
            lines.append(f"Answers: {obligation.ref}.")
        if alarm_on is not None:
            lines.append(f"Reminder {alarm_on} at {opening}: {ALARM_BUSINESS_DAYS} business days before, "
                         f"on {name}'s business calendar ({calendar.name}).")
        found.append(Entry(deal, obligation_uid(deal, obligation.id, repeat), obligation.id, obligation.kind,
                           obligation.party, name, obligation.duty, obligation.clause, obligation.due,
                           obligation.status, obligation.met_on, alarm_on, calendar.name, summary,
                           "\n".join(lines), evaluation.as_of, opening))
    return found


def entries(deals: Iterable[Evaluation | DealCalendar], party: str | None = None) -> list[Entry]:
    """Every obligation of every deal (only ``party``'s, when given), in due-date order."""
    found = [entry for deal in deals
             for entry in (deal if isinstance(deal, DealCalendar) else deal_calendar(deal)).entries
             if party is None or entry.party == party]
    return sorted(found, key=lambda entry: (entry.due, entry.deal, entry.uid))


def calendar_ics(deals: Sequence[Evaluation | DealCalendar], party: str | None = None) -> bytes:
    """The RFC 5545 bytes of ``entries(deals, party)`` (see the module's docstring): the calendar's
    own lines, then each entry's VEVENT (rendered by ``deal_calendar``, else here) in ``entries``'
    order; ``icalendar`` writes a calendar as exactly that concatenation."""
    from icalendar import Calendar

    views = [deal if isinstance(deal, DealCalendar) else deal_calendar(deal) for deal in deals]
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    names = sorted({view.deal for view in views})
    title = "pipedeal obligations: " + (", ".join(names) if len(names) <= 3 else f"{len(names)} deals")
    cal.add("x-wr-calname", title + (f" ({party})" if party else ""))
    rendered = [(entry, ics) for view in views
                for entry, ics in zip(view.entries, view.events or (None,) * len(view.entries), strict=True)
                if party is None or entry.party == party]
    rendered.sort(key=lambda item: (item[0].due, item[0].deal, item[0].uid))
    end = b"END:VCALENDAR\r\n"
    head = cal.to_ical()
    assert head.endswith(end)
    return b"".join([head[:-len(end)], *(ics or _event_ics(entry) for entry, ics in rendered), end])


def _event_ics(entry: Entry) -> bytes:
    """One entry's VEVENT (``BEGIN:VEVENT`` to ``END:VEVENT``, CRLF-terminated lines)."""
    from icalendar import Alarm, Event, vText

    # DTSTAMP and LAST-MODIFIED: midnight UTC of the as-of date, in RFC 5545's UTC form. Written
    # as the text icalendar writes for that datetime: it looks up the time zone's names on every
    # datetime (~170 us each, a third of the export's time), for a zone that is always UTC.
    stamp = vText(f"{entry.as_of.year:04d}{entry.as_of.month:02d}{entry.as_of.day:02d}T000000Z")
    event = Event()
    event.add("uid", entry.uid)
    event.add("dtstamp", stamp)
    event.add("last-modified", stamp)
    event.add("dtstart", entry.due)
    event.add("dtend", entry.due + dt.timedelta(days=1))
    event.add("summary", entry.summary)
    event.add("description", entry.description)
    event.add("status", "CANCELLED" if entry.status in CANCELLED else "CONFIRMED")
    event.add("transp", "TRANSPARENT")
    event.add("categories", ["pipedeal", entry.deal, entry.party, entry.status])
    event.add("x-pipedeal-deal", entry.deal)
    event.add("x-pipedeal-obligation", entry.obligation)
    event.add("x-pipedeal-kind", entry.kind)
    event.add("x-pipedeal-clause", entry.clause)
    event.add("x-pipedeal-status", entry.status)
    if entry.alarm_on is not None:
        at = dt.datetime.combine(entry.alarm_on, dt.time.fromisoformat(entry.opening))
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"In {ALARM_BUSINESS_DAYS} business days ({entry.due}): {entry.summary}")
        # Relative to the all-day event's start (midnight of the due day, floating).
        alarm.add("trigger", at - dt.datetime.combine(entry.due, dt.time(0, 0)))
        event.add_component(alarm)
    # ``event.to_ical()`` folds each line a character at a time (half of the export's time for a
    # thousand deals); the same folding on the line's bytes gives the same bytes.
    return b"".join(_folded(line) + b"\r\n" for line in event.content_lines() if line)


def _folded(line: str) -> bytes:
    """RFC 5545 3.1 folding of one content line, as ``icalendar`` folds it: at most 74 octets a
    line (the continuation's leading space aside), never inside a UTF-8 character, and a fold that
    would fall just after a backslash or a caret (an escape) falls just before it."""
    data = line.encode("utf-8")
    if len(data) < 75:
        return data
    pieces, start = [], 0
    while len(data) - start > 74:
        end = start + 74
        while 0x80 <= data[end] < 0xC0:  # a UTF-8 continuation byte: back to the character's start
            end -= 1
        if data[end - 1] in b"\\^":
            end -= 1
        pieces.append(data[start:end])
        start = end
    pieces.append(data[start:])
    return b"\r\n ".join(pieces)
