"""The workspace as the web serves it: every deal read from the ledger, evaluated once per state,
and cut to what the viewer may see.

Evaluation is pure, so its result is a function of the ledger's state (the deal's event head, its
quote head and its terms), the as-of date and the known-on instant: the cache is keyed by exactly
those, and a write moves the head, so no entry is ever stale. Every figure a page or the API shows
is read from the report JSON of that evaluation (``outputs.report``), filtered for the viewer
(``outputs.visibility``): the web never reads events itself.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import bindparam, select

from pipedeal.base.diagnostics import Diagnostic, InputError
from pipedeal.outputs.visibility import Others, for_investor, leaks, others_of
from pipedeal.storage.accounts import Viewer, storable
from pipedeal.storage.database import transaction
from pipedeal.storage.models import Deal

CACHE_ENTRIES = 256
PAGE_ENTRIES = 256  # rendered pages (a deal page is some 100 kB)
_HEAD = (Deal.head_seq, Deal.head_hash, Deal.quotes_seq, Deal.quotes_hash, Deal.terms_hash)  # a deal's state
# Built once: read on every request (SQLAlchemy builds and keys a statement anew each time it is written).
_HEAD_QUERY = select(*_HEAD).where(Deal.name == bindparam("deal"))
_HEADS_QUERY = select(Deal.name, *_HEAD).order_by(Deal.name)
AUDIT_SECONDS = 5.0  # how stale "verified" on a page may be after a row is edited behind the ledger's back


class NotVisible(Exception):
    """A deal, investor or document the viewer may not see, or that does not exist: the web answers
    both the same way (404), so a name is never confirmed to someone who may not see it."""


@dataclass
class DealState:
    """One deal evaluated at one state of its ledger: the inputs, the evaluation (None when the
    history is refused) and the report JSON every view reads."""

    name: str
    inputs: Any
    evaluation: Any
    problems: list[Diagnostic]
    head: tuple
    key: tuple = ()  # the cache's key of this state: (deal, head, as_of, known_on, what verify found)
    _views: dict[tuple, Any] = field(default_factory=dict)

    @property
    def terms(self):
        return self.inputs.terms

    @property
    def findings(self) -> list[Diagnostic]:
        """What ``verify`` found wrong with the ledger (a broken chain blocks writes)."""
        return list(self.inputs.ledger_warnings)

    @property
    def verified(self) -> bool:
        return not self.inputs.ledger_warnings

    @cached_property
    def report(self) -> dict[str, Any] | None:
        from pipedeal.outputs.report import to_json

        return None if self.evaluation is None else to_json(self.evaluation)

    def view(self, key: tuple, build: Callable[[], Any]) -> Any:
        """A derived document, built once for this state (ld explanations, obligations, ...)."""
        if key not in self._views:
            self._views[key] = build()
        return self._views[key]


class Workspace:
    """The ledger at ``url`` as the web reads it."""

    def __init__(self, url: str) -> None:
        from pipedeal.storage.database import keep_engines, resolve_url

        keep_engines()
        self.url = resolve_url(url)
        self._cache: OrderedDict[tuple, DealState] = OrderedDict()
        self._pages: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._others: dict[tuple[str, str], Others] = {}
        self._audits: dict[str, tuple[tuple, float, tuple]] = {}

    # The ledger ------------------------------------------------------------------------------------

    def deal_names(self) -> list[str]:
        with transaction(self.url, write=False, one_statement=True) as connection:
            return list(connection.execute(select(Deal.name).order_by(Deal.name)).scalars())

    def visible_deals(self, viewer: Viewer) -> list[str]:
        return [name for name in self.deal_names() if viewer.sees_deal(name)]

    def visible_heads(self, viewer: Viewer) -> dict[str, tuple]:
        """Each deal the viewer may see, by name, with its head (what ``state(..., head=)`` takes): one
        SELECT for every deal, where ``visible_deals`` and then ``state`` would make one per deal more."""
        with transaction(self.url, write=False, one_statement=True) as connection:
            rows = connection.execute(_HEADS_QUERY).all()
        return {row[0]: tuple(row[1:]) for row in rows if viewer.sees_deal(row[0])}

    def _head(self, deal: str) -> tuple | None:
        if storable(deal) != deal:  # a NUL or a lone surrogate from a URL: no deal is named so
            return None
        with transaction(self.url, write=False, one_statement=True) as connection:
            row = connection.execute(_HEAD_QUERY, {"deal": deal}).one_or_none()
        return None if row is None else tuple(row)

    def _audit(self, deal: str, head: tuple, known_only: bool = False) -> tuple | None:
        """What ``verify`` finds in the deal's ledger now (as of at most ``AUDIT_SECONDS`` ago); with
        ``known_only``, None when it is due (verifying reads the whole ledger: not on the event loop).

        A write moves the head, but a row edited in the database behind the ledger's back does not:
        so the whole chain is verified again every few seconds, and what it finds is part of the
        cache key (a ledger found broken is evaluated afresh, with its banner)."""
        from pipedeal.storage import ledger as store

        now = time.monotonic()
        with self._lock:
            known = self._audits.get(deal)
        if known is not None and known[0] == head and now - known[1] < AUDIT_SECONDS:
            return known[2]
        if known_only:
            return None
        findings = tuple(sorted({f"{finding.code}:{finding.seq}" for finding in store.verify(self.url, deal)}))
        with self._lock:
            self._audits[deal] = (head, now, findings)
        return findings

    def verify_now(self, deal: str) -> list[Diagnostic]:
        """The ledger's findings read now, not cached: what a write must check first."""
        from pipedeal.storage import ledger as store

        findings = store.verify(self.url, deal)
        with self._lock:
            self._audits.pop(deal, None)
        return findings

    def head_seq(self, deal: str) -> int:
        head = self._head(deal)
        return 0 if head is None else head[0]

    def state(self, viewer: Viewer, deal: str, as_of: dt.date, known_on: dt.datetime | None = None,
              head: tuple | None = None) -> DealState:
        """The deal evaluated as of ``as_of`` (as known on ``known_on``), if the viewer may see it; ``head``:
        the deal's head as ``visible_heads`` read it a moment ago (else it is read now)."""
        key, cached = self._cached(viewer, deal, as_of, known_on, head)
        if cached is not None:
            return cached
        from pipedeal.base.calendars import CalendarRangeError

        try:
            state = self._evaluate(deal, key[1], as_of, known_on)
        except CalendarRangeError as exc:
            raise InputError([Diagnostic("CALENDAR-RANGE", str(exc), field="as_of")]) from None
        except OverflowError:  # a date near 9999-12-31: the deal's windows run past the last date there is
            raise InputError([Diagnostic("CALENDAR-RANGE", f"{as_of.isoformat()} is too far in the future to "
                                         "evaluate", field="as_of")]) from None
        state.key = key
        with self._lock:
            self._cache[key] = state
            while len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
        return state

    def page(self, key: tuple, build: Callable[[], Any]) -> Any:
        """A rendered page kept by ``key``, which must name everything the page shows (the viewer, the
        ``DealState.key`` of each deal it reads, the query): built once, then served from memory until a
        write moves a head (a new key) or newer pages push it out."""
        with self._lock:
            found = self._pages.get(key)
            if found is not None:
                self._pages.move_to_end(key)
                return found
        built = build()
        with self._lock:
            self._pages[key] = built
            while len(self._pages) > PAGE_ENTRIES:
                self._pages.popitem(last=False)
        return built

    def peek(self, viewer: Viewer, deal: str, as_of: dt.date, known_on: dt.datetime | None = None
             ) -> DealState | None:
        """``state(...)`` when it is cached and its ledger's audit is not due (one indexed SELECT at most,
        no evaluation, no verify), else None: what an async endpoint may call on the event loop before
        handing a miss to a thread."""
        return self._cached(viewer, deal, as_of, known_on, known_only=True)[1]

    def _cached(self, viewer: Viewer, deal: str, as_of: dt.date, known_on: dt.datetime | None,
                head: tuple | None = None, known_only: bool = False) -> tuple[tuple, DealState | None]:
        if not viewer.sees_deal(deal):
            raise NotVisible(deal)
        head = head or self._head(deal)
        if head is None:
            raise NotVisible(deal)
        audit = self._audit(deal, head, known_only)
        if audit is None:
            return (), None
        key = (deal, head, as_of, known_on, audit)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
        return key, cached

    def _evaluate(self, deal: str, head: tuple, as_of: dt.date, known_on: dt.datetime | None) -> DealState:
        from pipedeal.engine.evaluate import evaluate
        from pipedeal.storage.workspace import calendars_for, load_inputs

        inputs = load_inputs(deal, db_url=self.url, allow_broken_ledger=True, known_on=known_on)
        try:
            evaluation = evaluate(inputs.terms, inputs.events, inputs.quotes, calendars_for(inputs.terms), as_of)
            problems: list[Diagnostic] = []
        except InputError as refused:
            evaluation, problems = None, refused.problems
        return DealState(deal, inputs, evaluation, problems, head)

    # What the viewer may see -----------------------------------------------------------------------

    def others(self, state: DealState, viewer: Viewer) -> Others | None:
        """The marks of the investors the viewer may not see (None: it sees the whole deal)."""
        investor = viewer.investor_in(state.name)
        if investor is None:
            return None
        key = (state.name, investor)
        if key not in self._others:
            self._others[key] = others_of(state.terms, investor)
        return self._others[key]

    def seen(self, state: DealState, viewer: Viewer, document: Any) -> Any:
        """``document`` as the viewer may see it."""
        others = self.others(state, viewer)
        return document if others is None else for_investor(document, others)

    def visible_investors(self, state: DealState, viewer: Viewer) -> list[str]:
        investor = viewer.investor_in(state.name)
        every = [entry.id for entry in state.terms.investors]
        return every if investor is None else [investor]

    def investor(self, state: DealState, viewer: Viewer, investor: str) -> str:
        if investor not in self.visible_investors(state, viewer):
            raise NotVisible(investor)
        return investor

    def checked_body(self, state: DealState | None, viewer: Viewer | None, body: str) -> str:
        """The last guard before a body leaves: nothing of an investor the viewer may not see."""
        if state is None or viewer is None:
            return body
        others = self.others(state, viewer)
        if others is not None and leaks(body, others):
            raise RuntimeError(f"a page of {state.name} for {viewer.email} named another investor; withheld")
        return body

    # Documents -------------------------------------------------------------------------------------

    def evaluation_document(self, state: DealState, viewer: Viewer) -> dict[str, Any]:
        """The ``evaluate --json`` document the viewer may see."""
        if state.report is None:
            return self.seen(state, viewer, {"deal": state.name, "problems": [p.as_dict() for p in state.problems]})
        return self.seen(state, viewer, _with_ledger(state, state.report))

    def obligations(self, state: DealState, viewer: Viewer) -> list[dict[str, Any]]:
        from pipedeal.outputs.report import obligation_rows

        if state.evaluation is None:
            return []
        rows = state.view(("obligations",), lambda: obligation_rows(state.evaluation)[0])
        return self.seen(state, viewer, rows)

    def damages(self, state: DealState, viewer: Viewer, investor: str) -> dict[str, Any]:
        """``pipedeal ld --json --explain`` for one investor the viewer may see."""
        from pipedeal.outputs.explain import explain_json

        self.investor(state, viewer, investor)
        if state.evaluation is None:
            raise NotVisible(investor)
        document = state.view(("ld", investor), lambda: explain_json(state.evaluation, [investor], True))
        return self.seen(state, viewer, document)

    def ambiguities(self, state: DealState, viewer: Viewer) -> Any:
        """What each reading of the deal's [[ambiguities]] is worth, to the investors the viewer sees."""
        from pipedeal.engine.ambiguity import money_at_stake
        from pipedeal.storage.workspace import calendars_for

        if state.evaluation is None:
            return None
        inputs = state.inputs
        table = state.view(("ambiguities",), lambda: money_at_stake(
            inputs.terms, inputs.events, inputs.quotes, calendars_for(inputs.terms), state.evaluation.as_of,
            state.evaluation.readings))
        return self.seen(state, viewer, table)


    def calendar(self, state: DealState, viewer: Viewer):
        """The deal's obligations as calendar entries (``outputs.calendar``), those the viewer may see."""
        from dataclasses import replace

        from pipedeal.outputs.calendar import deal_calendar

        whole = state.view(("calendar",), lambda: deal_calendar(state.evaluation))
        if self.others(state, viewer) is None:
            return whole
        visible = {row["id"] for row in self.obligations(state, viewer)}
        kept = [(entry, ics) for entry, ics in zip(whole.entries, whole.events, strict=True)
                if entry.obligation in visible]
        return replace(whole, parties=tuple(self.visible_investors(state, viewer)),
                       entries=tuple(entry for entry, _ in kept), events=tuple(ics for _, ics in kept))


def _with_ledger(state: DealState, report: dict[str, Any]) -> dict[str, Any]:
    history = state.inputs.history
    extra: dict[str, Any] = {"ledger": {"anchor": state.inputs.ledger_anchor, "verified": state.verified}}
    if state.findings:
        extra["ledger_warnings"] = [finding.as_dict() for finding in state.findings]
    if history is not None and history.known_on is not None:
        extra.update(known_on=history.known_on.isoformat(), events_known=history.known,
                     events_recorded=history.recorded)
    return {**report, **extra}
