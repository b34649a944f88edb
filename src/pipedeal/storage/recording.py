"""Appending to a deal's ledger: the one path every writer takes (the CLI's `events add` and
`events import`, the web workspace's forms and API), so an event refused in one is refused in all,
with the same problems, and nothing is written."""

from __future__ import annotations

from pipedeal.base.diagnostics import Diagnostic, InputError


def ledger_validator(url: str, deal: str):
    """The checks every append to a deal's ledger passes (events add, events import, the web):
    the events' own rules against the history and the quotes (``check_ledger_append``), then the
    obligation lifecycle (RULES §5), which only the whole history can tell."""
    from pipedeal.base.quotes import QuoteBook
    from pipedeal.engine.append import check_ledger_append
    from pipedeal.engine.history import Recorded, known_history
    from pipedeal.engine.timeline import Located, make_context
    from pipedeal.storage import ledger as store
    from pipedeal.storage.workspace import cached_terms, calendars_for, ledger_terms_label

    terms = cached_terms(store.deal_terms(url, deal), ledger_terms_label(deal, url))
    calendars = calendars_for(terms)
    # With the quotes the check covers W 3 too: a cashless exercise needs A > B.
    quotes = QuoteBook(store.load_quotes(url, deal), f"quotes of {deal} in {url}")
    ctx = make_context(terms, calendars.business, quotes, calendars.trading)

    def validate(history, located):
        def recorded():
            return [Recorded(Located(row.event, f"ledger of {deal}", None, row.seq), row.seq, row.recorded_at)
                    for row in history.events()]

        new = [Located(event, file, line) for file, line, event in located]
        checked = check_ledger_append(ctx, new, head_seq=history.head_seq, recorded=recorded,
                                      checkpoint=history.checkpoint)
        if not any(problem.severity == "error" for problem in checked.problems):
            def after():
                return known_history([*recorded(), *(Recorded(item, history.head_seq + number, None)
                                                     for number, item in enumerate(new, start=1))]).events

            lifecycle = lifecycle_problems(terms, calendars, quotes, after, new)
            if lifecycle:
                return store.Verdict([*checked.problems, *lifecycle], None)
        return store.Verdict(checked.problems, checked.checkpoint)

    return validate


def lifecycle_problems(terms, calendars, quotes, after, new) -> list[Diagnostic]:
    """RULES §5: an ``obligation_met`` or ``waiver`` must name an obligation the deal has (and a waiver be
    signed by the parties it is owed to): known only from the whole history, evaluated once every event is in."""
    from pipedeal.engine import events as ev
    from pipedeal.engine.evaluate import evaluate

    if not any(isinstance(item.event, ev.ObligationMet | ev.Waiver) for item in new):
        return []
    everything = after()
    last = max(item.event.applies_on for item in everything)
    try:
        evaluate(terms, everything, quotes, calendars, last)
    except InputError as exc:
        return [problem for problem in exc.problems
                if problem.code in ("OBLIGATION-UNKNOWN", "OBLIGATION-MET-BY-EVENT", "OBLIGATION-MET-EARLY",
                                    "WAIVER-SIGNER")]
    return []


def record_events(url: str, deal: str, located: list, *, allow_duplicates: bool = False, if_empty: bool = False,
                  recorded_by: str | None = None) -> int:
    """Append ``located`` ((file, line, event) triples) to the deal's ledger, all or nothing, after
    every check; a file repeating recorded events is refused unless ``allow_duplicates``.
    ``recorded_by``: the web user writing them (kept in each row and its hash)."""
    from pipedeal.storage import ledger as store

    validate = ledger_validator(url, deal)
    if not allow_duplicates:
        checks = validate

        def validate(history, new):
            duplicates = store.duplicate_events([row.event for row in history.events()], new)
            return store.Verdict(duplicates) if duplicates else checks(history, new)

    return store.append_events(url, deal, located, validate, if_empty=if_empty, recorded_by=recorded_by)
