"""RULES §5: every dated duty of the deal as one obligation with a lifecycle.

The covenants of the terms' ``[covenants]`` table (RRA 3(a) notice of effectiveness, RRA 3(c)
draft review and comment letters, RRA 5(g) transfer-agent instruction, SPA 6.3 delisting
correspondence, SPA 13.10 press-release answers, SPA 6.9 the financing limit) and the Warrant's
W 14 notice become ``Deadline`` obligations beside the ones the engine already had (registration
deadlines, damages and repurchase payments, W 3 deliveries): one type, one lifecycle.

**Ids.** Each obligation's id is stable for the deal: its kind, then what triggers it
(``effectiveness_notice:primary:2000-02-16``, ``press_release:2000-03-01:raptor``), so an
``obligation_met`` or ``waiver`` recorded today still names it tomorrow.

**Lifecycle.** ``pending`` until due; ``met`` when performed on or before the due day; ``missed``
when the due day passed unperformed, and still ``missed`` when performed late (RULES §5: "An
obligation performed late stays ``missed`` and shows ``met_on``"); ``waived`` when every party it
is owed to signed a waiver (a duty performed on time stays ``met``); ``not_applicable`` where the
engine says so (a void repurchase election). Performance is the natural event (``rs_effective_notice``
...) or an ``obligation_met`` naming the id; where a duty's performance is a fact the figures read
(a filing, a damages payment) only that fact performs it, so the two can never disagree.

Pure: the timeline, the terms, the calendars and the quotes in; obligations and breaches out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from pipedeal.base.calendars import Calendars, add_years
from pipedeal.base.diagnostics import Diagnostic
from pipedeal.base.formats import money, share_count
from pipedeal.base.quotes import QuoteBook
from pipedeal.deal.clauses import cite, cited_quote
from pipedeal.deal.terms import Duty, Terms
from pipedeal.engine import events as ev
from pipedeal.engine.registration import UNIT_WORDS, Deadline, Step, count, investor_ids
from pipedeal.engine.timeline import Located, Timeline

STATUSES = ("pending", "met", "missed", "waived", "not_applicable", "unconfirmed")

# Duties whose performance is a fact the figures read (the default days read the filing, the
# damages read the payment): that event performs them, never an ``obligation_met``.
PERFORMED_BY_FACT = {
    "rs_filing": "rs_filed", "rs_effectiveness": "rs_effective",
    "additional_rs_filing": "rs_filed", "additional_rs_effectiveness": "rs_effective",
    "ld_payment": "ld_paid", "repurchase_payment": "repurchase_paid",
}

# Each covenant of [covenants]: FOCUS's slot for its words, the natural event that performs it.
COVENANT_SLOTS = {
    "effectiveness_notice": "RRA 3(a) notice of effectiveness",
    "draft_review": "RRA 3(c) review",
    "comment_letters": "RRA 3(c) comment letters",
    "transfer_agent": "RRA 5(g) transfer agent",
    "delisting_correspondence": "SPA 6.3 delisting",
    "press_release": "SPA 13.10 consent",
    "discounted_financing": "SPA 6.9 discounted sales",
}
PERFORMED_BY = {
    "effectiveness_notice": "rs_effective_notice",
    "draft_review": "draft_rs_delivered",
    "comment_letters": "comment_letter_forwarded",
    "transfer_agent": "transfer_agent_instruction",
    "delisting_correspondence": "delisting_notice_forwarded",
    "press_release": "press_release_answer",
    "corporate_action_notice": "corporate_action_notice",
}


def clause_of(terms: Terms, name: str) -> str:
    """The deal's own clause for covenant ``name`` (its [quotes] entry, else the duty's ``clause``)."""
    return cite(terms, COVENANT_SLOTS[name], f"covenants.{name}")


def quote_of(terms: Terms, name: str) -> str:
    return cited_quote(terms, COVENANT_SLOTS[name], f"covenants.{name}")


@dataclass(frozen=True)
class Trigger:
    """One event that gives rise to a duty: its day, what it is, and the key its performance must match."""

    day: dt.date
    text: str
    key: str  # the statement, the investor, or "" (any performance of the kind serves it)
    qualifier: str  # the id's part after the kind


def _match(triggers: Sequence[Trigger], performed: Iterable[tuple[dt.date, str]], when: str) -> list[dt.date | None]:
    """Which performance serves which trigger: each performance serves the oldest trigger of its key not yet
    served that it can serve (after: a trigger on or before it; before: the next trigger on or after it)."""
    served: list[dt.date | None] = [None] * len(triggers)
    order = sorted(range(len(triggers)), key=lambda index: triggers[index].day)
    for day, key in sorted(performed):
        for index in order:
            trigger = triggers[index]
            if served[index] is not None or trigger.key != key:
                continue
            if (when == "after" and trigger.day <= day) or (when == "before" and day <= trigger.day):
                served[index] = day
                break
    return served


def _status(due: dt.date, met_on: dt.date | None, as_of: dt.date) -> str:
    if met_on is not None:
        return "met" if met_on <= due else "missed"
    return "missed" if as_of > due else "pending"


def _performance_step(clause: str, what: str, due: dt.date, met_on: dt.date | None, as_of: dt.date) -> Step:
    if met_on is None:
        text = f"no {what} recorded" + (f"; due {due} has passed: missed" if as_of > due else f"; due {due}")
        return Step(clause, text, None)
    if met_on <= due:
        return Step(clause, f"{what} {met_on}: on time (due {due})", met_on)
    return Step(clause, f"{what} {met_on}: after the due day {due}; a late performance stays missed (RULES §5)",
                met_on)


def _duties(terms: Terms, calendars: Calendars, as_of: dt.date, name: str, triggers: Sequence[Trigger],
            performed: Iterable[tuple[dt.date, str]], party: Callable[[Trigger], str],
            owed_to: Callable[[Trigger], tuple[str, ...]], duty: Callable[[Trigger], str]) -> list[Deadline]:
    """The obligations one covenant of [covenants] gives rise to, one per trigger."""
    rule = getattr(terms.covenants, name)
    if rule == "none" or not triggers:
        return []
    assert isinstance(rule, Duty)
    clause, words = clause_of(terms, name), quote_of(terms, name)
    served = _match(triggers, performed, rule.when)
    sign = 1 if rule.when == "after" else -1
    obligations = []
    for trigger, met_on in zip(triggers, served, strict=True):
        due = count(trigger.day, sign * rule.days, rule.unit, calendars)
        word = "+" if sign > 0 else "-"
        steps = [Step(clause, f"{trigger.text} {word} {_days(rule.days, rule.unit)} = {due}", due),
                 _performance_step(clause, PERFORMED_BY[name], due, met_on, as_of)]
        obligations.append(Deadline(
            id=f"{name}:{trigger.qualifier}", clause=clause, party=party(trigger), duty=duty(trigger), due=due,
            unrolled_due=due, status=_status(due, met_on, as_of), met_on=met_on,
            met_by=PERFORMED_BY[name] if met_on else None, steps=tuple(steps), ref=trigger.text,
            trigger=trigger.text, owed_to=owed_to(trigger), quote=words,
            performable_from=trigger.day if rule.when == "after" else None))
    return obligations


def _days(days: int, unit: str) -> str:
    """``1 Trading Day``, ``5 Trading Days``, ``90 days``."""
    words = UNIT_WORDS[unit]
    return f"{days} {words[:-1] if days == 1 else words}"


def _facts(timeline: Timeline, kind: type) -> list[ev.EventBase]:
    return [event for event in timeline.covenant_events if isinstance(event, kind)]


def _numbered(facts: Sequence[ev.EventBase], key: Callable[[ev.EventBase], str]) -> list[tuple[ev.EventBase, int]]:
    """Each fact with its number among the facts of its key and date (1, 2, ...): the id's last part, stable
    when a fact of another day is recorded later."""
    seen: dict[tuple[str, dt.date], int] = {}
    numbered = []
    for fact in facts:
        seen[(key(fact), fact.date)] = seen.get((key(fact), fact.date), 0) + 1
        numbered.append((fact, seen[(key(fact), fact.date)]))
    return numbered


def _statement_key(event: ev.EventBase) -> str:
    return getattr(event, "statement", "")


def covenant_obligations(terms: Terms, timeline: Timeline, calendars: Calendars, as_of: dt.date) -> list[Deadline]:
    """RULES §5: the dated duties of [covenants] and W 14, each with its computation and clause: RRA 3(a)
    "notify the Investors of the effectiveness ... within one Trading Day"; RRA 3(c) the Investors' review of a
    draft "prior to filing" and copies of comment letters "within two (2) Trading Days of receipt"; RRA 5(g) the
    transfer agent's instruction "within three (3) Trading Days after" effectiveness; SPA 6.3 copies of delisting
    correspondence "within three (3) Trading Days"; SPA 13.10 each Investor's answer to a proposed press release,
    not "delayed by more than two (2) Trading Days". The words are the deal's own ([covenants], [quotes])."""
    company, investors = terms.company.id, investor_ids(terms)

    def by_company(_: Trigger) -> str:
        return company

    def to_investors(_: Trigger) -> tuple[str, ...]:
        return investors

    obligations: list[Deadline] = []
    effective = [Trigger(day, f"rs_effective {day} ({statement.name})", statement.name, f"{statement.name}:{day}")
                 for statement in timeline.statements for day in statement.effective[:1]]
    obligations += _duties(
        terms, calendars, as_of, "effectiveness_notice", effective,
        [(e.date, _statement_key(e)) for e in _facts(timeline, ev.RsEffectiveNotice)], by_company, to_investors,
        lambda t: f"notify the Investors that the {t.key} Registration Statement is effective")
    obligations += _duties(
        terms, calendars, as_of, "transfer_agent", effective,
        [(e.date, _statement_key(e)) for e in _facts(timeline, ev.TransferAgentInstruction)], by_company,
        to_investors, lambda t: f"deliver the transfer agent its instruction (and opinion) for the {t.key} statement")
    filings = sorted((Trigger(day, f"{kind} {day} ({statement.name})", statement.name,
                              f"{statement.name}:{day}")
                      for statement in timeline.statements
                      for kind, days in (("rs_filed", statement.filed[:1]), ("rs_amended", statement.amended))
                      for day in days), key=lambda t: t.day)
    obligations += _duties(
        terms, calendars, as_of, "draft_review", filings,
        [(e.date, _statement_key(e)) for e in _facts(timeline, ev.DraftRsDelivered)], by_company, to_investors,
        lambda t: ("give the Investors the draft " + ("amendment of the " if t.text.startswith("rs_amended") else "")
                   + f"{t.key} Registration Statement to review before it is filed"))
    letters = [Trigger(e.date, f"comment_letter_received {e.date} ({_statement_key(e)})", _statement_key(e),
                       f"{_statement_key(e)}:{e.date}:{number}")
               for e, number in _numbered(_facts(timeline, ev.CommentLetterReceived), _statement_key)]
    obligations += _duties(
        terms, calendars, as_of, "comment_letters", letters,
        [(e.date, _statement_key(e)) for e in _facts(timeline, ev.CommentLetterForwarded)], by_company,
        to_investors, lambda t: "send each Investor copies of the SEC comment letter")
    delisting = [Trigger(e.date, f"delisting_notice_received {e.date}", "", f"{e.date}:{number}")
                 for e, number in _numbered(_facts(timeline, ev.DelistingNoticeReceived), lambda _: "")]
    obligations += _duties(
        terms, calendars, as_of, "delisting_correspondence", delisting,
        [(e.date, "") for e in _facts(timeline, ev.DelistingNoticeForwarded)], by_company, to_investors,
        lambda t: "send the Investors copies of the Principal Market's delisting correspondence")
    drafts = [Trigger(e.date, f"press_release_draft {e.date}", investor, f"{e.date}:{number}:{investor}")
              for e, number in _numbered(_facts(timeline, ev.PressReleaseDraft), lambda _: "")
              for investor in investors]
    obligations += _duties(
        terms, calendars, as_of, "press_release", drafts,
        [(e.date, e.investor) for e in _facts(timeline, ev.PressReleaseAnswer)],  # type: ignore[attr-defined]
        lambda t: t.key, lambda _: (company,), lambda t: "consent to, or object to, the proposed press release")
    obligations += action_notice_obligations(terms, timeline, as_of)
    return obligations


def action_notice_obligations(terms: Terms, timeline: Timeline, as_of: dt.date) -> list[Deadline]:
    """W 14: "at least 30 days' prior written notice of the date on which a record date shall be selected ...
    and ... of the date when the same shall take place": one obligation per date noticed, owed to the holders
    of the Warrants outstanding that day."""
    days = terms.warrants.corporate_action_notice_days
    if days == 0:
        return []
    clause = cite(terms, "W 14 notice", "warrants")
    words = cited_quote(terms, "W 14 notice", "warrants")
    obligations = []
    for duty in timeline.action_notice_duties:
        action, label, day, due = duty.action, duty.label, duty.day, duty.due
        kind = action.type  # type: ignore[attr-defined]
        register = timeline.register_on(action.applies_on)
        holders = tuple(dict.fromkeys(cert.holder for cert in register.values() if cert.status == "outstanding"))
        # SPA 12.1: a notice is given when it takes effect (for the last holder to receive it).
        met_on = min(filter(None, (timeline.effective_day(notice) for notice in duty.notices)), default=None)
        trigger = f"{kind} of {action.date} ({label.replace('_', ' ')} {day})"
        steps = (Step(clause, f"{label.replace('_', ' ')} {day} - {days} days = {due}", due),
                 _performance_step(clause, "corporate_action_notice", due, met_on, as_of))
        obligations.append(Deadline(
            id=f"corporate_action_notice:{kind}:{action.date}:{label}", clause=clause, party=terms.company.id,
            duty=f"give the Warrant holders notice of the {label.replace('_', ' ')} of the {kind}", due=due,
            unrolled_due=due, status=_status(due, met_on, as_of), met_on=met_on,
            met_by="corporate_action_notice" if met_on else None, steps=steps, ref=trigger, trigger=trigger,
            owed_to=holders or investor_ids(terms), quote=words))
    return obligations


# --- SPA 6.9: the financing limit -----------------------------------------------------------------------


def financing_window(terms: Terms, timeline: Timeline, calendars: Calendars,
                     effectiveness_due: dt.date | None) -> tuple[dt.date, dt.date, bool, list[Step]] | None:
    """SPA 6.9: the limit runs from the agreement date "until 90 days after the effective date of the
    Registration Statement" (its last day, RULES §5: 2000-05-16 for effectiveness on 2000-02-16); before
    effectiveness its end is projected from the effectiveness deadline. (start, end, projected, steps)."""
    rule = terms.covenants.discounted_financing
    if rule == "none":
        return None
    clause = clause_of(terms, "discounted_financing")
    start = terms.deal.agreement_date
    primary = timeline.statement("primary")
    effective = primary.first("effective") if primary else None
    base, projected = (effective, False) if effective is not None else (effectiveness_due, True)
    if base is None:
        return None
    end = count(base, rule.days, rule.unit, calendars)
    what = "effective date" if not projected else "effectiveness deadline (projected: not yet effective)"
    steps = [Step(clause, f"from the agreement date {start}; {what} {base} + {_days(rule.days, rule.unit)} "
                          f"= {end}, the limit's last day", end)]
    return start, end, projected, steps


def financing_limit(terms: Terms, timeline: Timeline, calendars: Calendars, quotes: QuoteBook | None,
                    effectiveness_due: dt.date | None, as_of: dt.date) -> tuple[list[Deadline], list[Diagnostic]]:
    """SPA 6.9: "will not enter into any sale of its securities for cash at a discount to its then-current bid
    price until 90 days after the effective date": a ``financing`` inside the window below the bid (the event's
    ``bid``, else the quote file's closing bid that day) is a breach unless exempt; exemption (iii) covers at
    most 300,000 shares over all ``existing_warrants`` financings, and shares beyond it are a breach."""
    window = financing_window(terms, timeline, calendars, effectiveness_due)
    if window is None:
        return [], []
    rule = terms.covenants.discounted_financing
    assert rule != "none"
    start, end, projected, steps = window
    clause = clause_of(terms, "discounted_financing")
    breaches: list[Diagnostic] = []
    used = 0  # shares exempt so far as existing warrants
    # Not yet effective: the limit runs on whatever the projection says, so every sale so far is inside it.
    last = max(end, as_of) if projected else end
    for financing in timeline.financings:
        if not start <= financing.date <= last:
            continue
        shares, exempt = financing.shares, 0
        label = f"financing {financing.date} of {share_count(shares)} shares at {money(financing.price)}"
        if financing.exemption in rule.exemptions:
            exempt = shares
            if financing.exemption == "existing_warrants" and rule.existing_warrants_cap != "none":
                exempt = max(0, min(shares, rule.existing_warrants_cap - used))
                used += exempt
                cap = share_count(rule.existing_warrants_cap)
                steps.append(Step(clause, f"{label}: existing warrants, {share_count(used)} of {cap} exempt shares "
                                          "used", financing.date))
        if exempt == shares:
            steps.append(Step(clause, f"{label}: exempt ({financing.exemption})", financing.date))
            continue
        rest = shares - exempt
        bid = financing.bid if financing.bid is not None else (quotes.value(financing.date, "bid") if quotes else None)
        source = "the event's bid" if financing.bid is not None else "the closing bid of the quotes"
        if bid is None:
            breaches.append(Diagnostic("SPA69-NO-BID", f"{label}: no bid that day (neither the event's bid nor a "
                                       "closing bid in the quotes): whether it was at a discount is unknown",
                                       clause=clause, date=financing.date))
            steps.append(Step(clause, f"{label}: no bid known; not judged", financing.date))
            continue
        if financing.price >= bid:
            steps.append(Step(clause, f"{label}: not below {source} {money(bid)}", financing.date))
            continue
        beyond = f" ({share_count(rest)} shares beyond the existing-warrants cap)" if exempt else ""
        kind = "not exempt" if financing.exemption == "none" else f"{financing.exemption} is not exempt"
        window = f"{start} to {end}" if not projected else f"from {start}; the statement is not yet effective"
        message = (f"{label}{beyond}: below {source} {money(bid)}, inside the limit ({window}), "
                   f"{kind if not exempt else 'beyond the cap'}")
        breaches.append(Diagnostic("SPA69-DISCOUNTED-SALE", message, clause=clause, date=financing.date))
        steps.append(Step(clause, f"{message}: a breach", financing.date))
    broken = [b for b in breaches if b.code == "SPA69-DISCOUNTED-SALE"]
    if broken:
        status, met_on = "missed", None
    elif breaches and as_of > end:
        status, met_on = "unconfirmed", None  # a financing with no bid known: the limit's keeping is not shown
    elif as_of > end and not projected:
        status, met_on = "met", end
        steps.append(Step(clause, f"the limit ended {end} without a discounted sale", end))
    else:
        status, met_on = "pending", None
    obligation = Deadline(
        id="discounted_financing:primary", clause=clause, party=terms.company.id,
        duty="sell no securities for cash below the bid, unless exempt, until the limit ends", due=end,
        unrolled_due=end, status=status, met_on=met_on, met_by="limit kept" if met_on else None,
        steps=tuple(steps), ref=f"agreement {start}", trigger=f"agreement {start}", owed_to=investor_ids(terms),
        quote=quote_of(terms, "discounted_financing"))
    return [obligation], breaches


# --- the lifecycle: obligation_met and waivers ------------------------------------------------------------

# The words of the obligations the engine had before the covenants: FOCUS's slot and the governing block.
WORDS_OF_KIND = {
    "rs_filing": ("RRA 3(a) filing", "registration.filing"),
    "rs_effectiveness": ("RRA 3(a) effectiveness", "registration.effectiveness"),
    "additional_rs_filing": ("RRA 3(a) additional statement", "registration.additional.filing"),
    "additional_rs_effectiveness": ("RRA 3(a) additional statement", "registration.additional.effectiveness"),
    "ld_payment": ("RRA 3(e) payment days", "liquidated_damages.payment"),
    "repurchase_payment": ("RRA 3(e)(A) election", "liquidated_damages.repurchase"),
    "warrant_share_delivery": ("W 3 delivery", "warrants"),
}


def with_words(terms: Terms, obligations: Iterable[Deadline]) -> list[Deadline]:
    """Each obligation with its clause's words (the deal's own, or a note that its terms quote none)."""
    return [obligation if obligation.quote is not None or obligation.kind not in WORDS_OF_KIND
            else replace(obligation, quote=cited_quote(terms, *WORDS_OF_KIND[obligation.kind]))
            for obligation in obligations]



def settle(obligations: Iterable[Deadline], lifecycle: Sequence[Located]) -> list[Deadline]:
    """Each obligation after the ``obligation_met`` and ``waiver`` events recorded for it (by id)."""
    met: dict[str, ev.ObligationMet] = {}
    waived: dict[str, ev.Waiver] = {}
    for item in lifecycle:
        event = item.event
        if isinstance(event, ev.ObligationMet):
            met.setdefault(event.obligation, event)
        elif isinstance(event, ev.Waiver):
            waived.setdefault(event.obligation, event)
    settled = []
    for obligation in obligations:
        done = met.get(obligation.id)
        if done is not None and obligation.met_on is None and obligation.kind not in PERFORMED_BY_FACT:
            on_time = done.date <= obligation.due
            obligation = replace(
                obligation, met_on=done.date, met_by="obligation_met", status="met" if on_time else "missed",
                steps=(*[s for s in obligation.steps if not s.text.startswith("no ")],
                       _performance_step(obligation.clause, "obligation_met", obligation.due, done.date, done.date)))
        waiver = waived.get(obligation.id)
        # A duty met on time needs no waiver, and one that is not owed (a void election's payment) has none.
        if waiver is not None and obligation.status not in ("met", "not_applicable") \
                and set(obligation.owed_to) <= set(waiver.signed_by):
            obligation = replace(
                obligation, status="waived", waived_by=tuple(waiver.signed_by), waived_on=waiver.date,
                steps=(*obligation.steps, Step(obligation.clause, f"waived {waiver.date} by "
                                               f"{', '.join(waiver.signed_by)}", waiver.date)))
        settled.append(obligation)
    return settled


def lifecycle_problems(obligations: Iterable[Deadline], lifecycle: Sequence[Located],
                       complete: bool = True) -> list[Diagnostic]:
    """Errors in the ``obligation_met`` and ``waiver`` events: an unknown obligation id (only when
    ``complete``: every event is folded, so every obligation exists), an ``obligation_met`` for a duty its own
    fact performs, a waiver not signed by exactly the parties the duty is owed to."""
    known = {obligation.id: obligation for obligation in obligations}
    problems = []
    for item in lifecycle:
        event = item.event
        assert isinstance(event, ev.ObligationMet | ev.Waiver)
        obligation = known.get(event.obligation)
        if obligation is None:
            if complete:
                near = sorted(i for i in known if i.split(":")[0] == event.obligation.split(":")[0])
                hint = f" (obligations of that kind: {', '.join(near)})" if near else \
                    " (pipedeal obligations lists every id)"
                problems.append(item.diagnostic("OBLIGATION-UNKNOWN",
                                                f"no obligation {event.obligation!r} in this deal{hint}",
                                                "obligation"))
            continue
        if isinstance(event, ev.ObligationMet):
            fact = PERFORMED_BY_FACT.get(obligation.kind)
            if fact is not None:
                problems.append(item.diagnostic(
                    "OBLIGATION-MET-BY-EVENT", f"{obligation.id} is performed by the {fact} event the figures read: "
                    f"record that event instead", "obligation"))
            elif obligation.performable_from is not None and event.date < obligation.performable_from:
                problems.append(item.diagnostic(
                    "OBLIGATION-MET-EARLY", f"{obligation.id} arises from {obligation.trigger}: it cannot be performed "
                    f"on {event.date}, before that", "date"))
            continue
        owed, signed = set(obligation.owed_to), set(event.signed_by)
        if owed and signed != owed:
            strangers = [party for party in event.signed_by if party not in owed]
            missing = [party for party in obligation.owed_to if party not in signed]
            why = "; ".join(part for part in (
                f"{', '.join(strangers)} {'is' if len(strangers) == 1 else 'are'} not owed this duty"
                if strangers else "",
                f"not signed by {', '.join(missing)}" if missing else "") if part)
            problems.append(item.diagnostic(
                "WAIVER-SIGNER", f"{obligation.id} is owed to {', '.join(obligation.owed_to)}: only they can waive "
                f"it, each signing ({why})", "signed_by"))
    return problems


# --- the covenants live on a day ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveCovenant:
    """A covenant in force on a day: its window, its clause and words, and what it leaves."""

    covenant: str
    clause: str
    quote: str
    start: dt.date | None
    end: dt.date | None  # its last day; None: runs on
    detail: str


def live_covenants(terms: Terms, timeline: Timeline, calendars: Calendars, day: dt.date,
                   effectiveness_due: dt.date | None, period_start: dt.date | None,
                   period_end: dt.date | None, period_reason: str) -> list[LiveCovenant]:
    """RULES §5: the covenants live on ``day``: SPA 6.9's window, the Effectiveness Period (RRA 3(b)), the
    blackout cap's remaining days (RRA 3(g)) while it runs, W 14 while a Warrant is outstanding."""
    live: list[LiveCovenant] = []
    window = financing_window(terms, timeline, calendars, effectiveness_due)
    if window is not None and window[0] <= day <= window[1]:
        start, end, projected, _ = window
        rule = terms.covenants.discounted_financing
        assert rule != "none"
        cap = "" if rule.existing_warrants_cap == "none" else \
            f"; existing warrants exempt up to {share_count(rule.existing_warrants_cap)} shares"
        live.append(LiveCovenant(
            "discounted_financing", clause_of(terms, "discounted_financing"), quote_of(terms, "discounted_financing"),
            start, end, f"no sale for cash below the bid until {end}{' (projected)' if projected else ''}; exempt: "
                        f"{', '.join(rule.exemptions) or 'nothing'}{cap}"))
    if period_start is not None and period_start <= day and (period_end is None or day < period_end):
        last = None if period_end is None else period_end - dt.timedelta(days=1)
        live.append(LiveCovenant(
            "effectiveness_period", cite(terms, "RRA 3(b) effectiveness period", "registration.effectiveness_period"),
            cited_quote(terms, "RRA 3(b) effectiveness period", "registration.effectiveness_period"), period_start,
            last, f"keep the Registration Statement effective ({period_reason})"))
        grace = terms.registration.grace
        if grace.max_days_per_year != "none":
            first = add_years(day, -1) + dt.timedelta(days=1) if grace.year == "rolling_12_months" else \
                dt.date(day.year, 1, 1)
            used = sum(max(0, (min(b.end, day) - max(b.start, first)).days + 1) for b in timeline.blackouts)
            left = max(0, grace.max_days_per_year - used)
            live.append(LiveCovenant(
                "blackout_cap", cite(terms, "RRA 3(g) cap", "registration.grace"),
                cited_quote(terms, "RRA 3(g) cap", "registration.grace"), first, day,
                f"{used} blackout day(s) from {first} to {day}: {left} of {grace.max_days_per_year} left"))
    window_w = timeline.exercise_window
    outstanding = [c for c in timeline.register_on(day).values() if c.status == "outstanding"] \
        if timeline.closing_date is not None and day >= timeline.closing_date else []
    if outstanding and terms.warrants.corporate_action_notice_days and window_w is not None:
        live.append(LiveCovenant(
            "corporate_action_notice", cite(terms, "W 14 notice", "warrants"),
            cited_quote(terms, "W 14 notice", "warrants"), timeline.closing_date, window_w[1],
            f"{terms.warrants.corporate_action_notice_days} days' notice before a record date or corporate action "
            f"to the holders of {len(outstanding)} outstanding Warrant(s)"))
    return live
