"""Recording an event from the web: the command line's checks, plus who may record what.

Company, counsel and admin users record any event of the deals they see. An investor records only
its own ``shares_sold`` and ``ld_demand``, and the ``warrant_exercise`` and ``warrant_transfer`` of
warrants it holds on the event's date. The event is read exactly as a line of an events file
(``engine.events.parse_events``) and appended through the one recording path
(``storage.recording``): refused, it names the field and nothing is written. A ledger that does
not verify takes no writes at all.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from fastapi import HTTPException

from pipedeal.base.diagnostics import Diagnostic, InputError
from pipedeal.interfaces.web.service import Workspace
from pipedeal.storage.accounts import Viewer

INVESTOR_TYPES = ("shares_sold", "ld_demand", "warrant_exercise", "warrant_transfer")


def parsed_event(data: dict[str, Any], source: str):
    """One event object, read as one line of an events file is."""
    from pipedeal.engine.events import parse_events

    line = json.dumps(data, default=lambda value: format(value, "f") if isinstance(value, Decimal) else str(value))
    if "\n" in line:
        raise InputError([Diagnostic("EVENT-INVALID", "one event is one line", source)])
    return parse_events(line, source)[0][1]


def record_one(workspace: Workspace, viewer: Viewer, deal: str, data: dict[str, Any], source: str) -> int:
    """Append one event for ``viewer``; returns the ledger's new head seq."""
    from pipedeal.storage.recording import record_events

    state = workspace.state(viewer, deal, dt.date.today())  # NotVisible when the viewer may not see the deal
    # The whole chain read now, not the cached state's word: the append itself checks only the head row.
    if not state.verified or workspace.verify_now(deal):
        raise InputError([Diagnostic("LEDGER-BROKEN", f"the ledger of {deal} does not verify: no event may be "
                                     "recorded until it is repaired (see `pipedeal verify`)", source)])
    event = parsed_event(data, source)
    investor = viewer.investor_in(deal)
    if investor is not None and not _own_event(workspace, viewer, deal, investor, event):
        raise HTTPException(403, "an investor records only its own shares_sold and ld_demand, and the "
                                 "warrant_exercise and warrant_transfer of a warrant it holds")
    record_events(workspace.url, deal, [(source, 1, event)], allow_duplicates=True, recorded_by=viewer.email)
    return workspace.head_seq(deal)


def _own_event(workspace: Workspace, viewer: Viewer, deal: str, investor: str, event) -> bool:
    if event.type not in INVESTOR_TYPES:
        return False
    if event.type in ("shares_sold", "ld_demand"):
        return event.investor == investor
    try:
        state = workspace.state(viewer, deal, event.date)
    except InputError:
        return False
    report = state.report or {}
    return any(warrant["id"] == event.warrant and warrant["holder"] == investor
               for warrant in report.get("warrants", []))
