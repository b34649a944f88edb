"""The JSON API under ``/api``: the same documents as the command line's ``--json``, cut to what the
caller may see. A deal, investor or document the caller may not see is 404, exactly as one that
does not exist."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, HTTPException, Path, Query, Request, Response
from fastapi.security import APIKeyCookie, HTTPBearer
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from pipedeal.interfaces.web import security
from pipedeal.interfaces.web.security import Caller
from pipedeal.interfaces.web.service import NotVisible, Workspace
from pipedeal.storage import accounts

router = APIRouter(prefix="/api", tags=["api"])

class Problem(BaseModel):
    """One thing wrong with a request, named by its field (as ``pipedeal`` names it on the command line)."""

    code: str | None = None
    message: str
    field: str | None = None
    line: int | None = None


class Refusal(BaseModel):
    """Every 4xx and 5xx answer: a short message, and for a refused input the problems, field by field."""

    detail: str
    problems: list[Problem] | None = None


def _refusal(description: str) -> dict[str, Any]:
    return {"description": description, "model": Refusal}


# Every operation may answer these: a malformed request, a body over 1 MB (refused before it is read).
COMMON = {422: _refusal("The request is malformed (not JSON, a missing field, a value too long, ...)"),
          413: _refusal("The request body is over 1 MB")}
NOT_SIGNED_IN = {**COMMON, 401: _refusal("Not signed in (no session cookie, or no valid Bearer token)")}
HIDDEN = {404: _refusal("No such deal or investor, or not one the caller may see")}
BAD_DATE = {400: _refusal("A bad as_of or known_on date")}


def workspace(request: Request) -> Workspace:
    return request.app.state.workspace


# Declared so that the OpenAPI document says how to authenticate (either one); read by ``caller_of``.
_bearer = HTTPBearer(auto_error=False, description="An API token from `pipedeal users token EMAIL`")
_cookie = APIKeyCookie(name=security.SESSION_COOKIE, auto_error=False,
                       description="The session cookie POST /api/login sets (state-changing requests also "
                       "send X-CSRF-Token)")


async def signed_in(request: Request, _token: Annotated[Any, Depends(_bearer)] = None,
                    _session: Annotated[Any, Depends(_cookie)] = None) -> Caller:
    # async, on the event loop: one indexed SELECT is cheaper than a hop to the thread pool and back,
    # which under load queues behind every other request's hops (measured: benchmarks/web_load.py).
    caller = security.caller_of(workspace(request).url, request.headers, request.cookies)
    if caller is None:
        raise HTTPException(401, "sign in first (POST /api/login) or send Authorization: Bearer TOKEN",
                            headers={"WWW-Authenticate": "Bearer"})
    return caller


async def writing(request: Request, caller: Annotated[Caller, Depends(signed_in)],
                  x_csrf_token: Annotated[str | None, Header()] = None) -> Caller:
    if not caller.csrf_ok(x_csrf_token):
        raise HTTPException(403, "a request signed in by the session cookie needs its X-CSRF-Token")
    return caller


class Login(BaseModel):
    email: Annotated[str, Field(max_length=accounts.MAX_EMAIL)]
    password: Annotated[str, Field(max_length=accounts.MAX_PASSWORD)]


class SignedIn(BaseModel):
    email: str
    role: str
    csrf_token: str


class DealListing(BaseModel):
    deal: str
    investor: str | None = Field(description="The investor the caller sees the deal as (null: the whole deal)")


class Recorded(BaseModel):
    deal: str
    recorded: int
    head_seq: int


def open_session(request: Request, response: Response, email: str, password: str) -> accounts.Viewer:
    """Sign in and set the session cookie (a new session id every time: rotation at sign-in)."""
    ws = workspace(request)
    address = request.client.host if request.client else None
    try:
        viewer, token, csrf = accounts.sign_in(ws.url, email, password, address,
                                               replaces=request.cookies.get(security.SESSION_COOKIE))
    except accounts.LoginThrottled:
        raise HTTPException(429, "too many wrong passwords for this account: try again in 15 minutes",
                            headers={"Retry-After": "900"}) from None
    except accounts.LoginRefused:
        raise HTTPException(401, "wrong email or password") from None
    response.set_cookie(security.SESSION_COOKIE, token, max_age=accounts.SESSION_HOURS * 3600, httponly=True,
                        secure=request.url.scheme == "https", samesite="lax", path="/")
    request.state.csrf_token = csrf
    return viewer


@router.post("/login", response_model=SignedIn, responses={**COMMON, 401: _refusal("Wrong email or password"),
                                                            429: _refusal("Too many wrong passwords for this "
                                                                          "account: wait 15 minutes")})
def login(request: Request, response: Response, credentials: Login) -> SignedIn:
    """Sign in: a session cookie (HttpOnly, SameSite=Lax, Secure over TLS) and the CSRF token that every
    state-changing request signed in by it must send as ``X-CSRF-Token``."""
    viewer = open_session(request, response, credentials.email, credentials.password)
    return SignedIn(email=viewer.email, role=viewer.role, csrf_token=request.state.csrf_token)


@router.post("/logout", status_code=204, response_class=Response,
             responses={**NOT_SIGNED_IN, 403: _refusal("A session cookie without its X-CSRF-Token")})
def logout(request: Request, caller: Annotated[Caller, Depends(writing)]) -> Response:
    response = Response(status_code=204)
    if caller.session:
        accounts.sign_out(workspace(request).url, caller.session)
        response.delete_cookie(security.SESSION_COOKIE, path="/")
    return response


@router.get("/deals", response_model=list[DealListing], responses=NOT_SIGNED_IN)
async def deals(request: Request, caller: Annotated[Caller, Depends(signed_in)]) -> list[DealListing]:
    viewer = caller.viewer
    return [DealListing(deal=name, investor=viewer.investor_in(name))
            for name in workspace(request).visible_deals(viewer)]


# Strings, read by the command line's own parsers (the same words for the same mistakes): a bad date is a
# 400 naming the field. The schema still says what a good one looks like.
AsOf = Annotated[str | None, Query(description="Evaluate as of this date (YYYY-MM-DD; default today)",
                                   min_length=10, max_length=40, json_schema_extra={"format": "date"})]
KnownOn = Annotated[str | None, Query(description="Read the history as recorded by this instant "
                                      "(YYYY-MM-DDTHH:MM[:SS][+HH:MM], or a date: the end of that day, UTC)",
                                      min_length=10, max_length=40, pattern=r"^\d{4}-\d{2}-\d{2}")]


# Examples in the OpenAPI document: placeholders, never a real deal or party (the document is public).
DealName = Annotated[str, Path(description="The deal's name in the ledger", examples=["a-deal-2024"], max_length=200)]
InvestorId = Annotated[str, Path(description="The investor's id in the deal's terms", examples=["an-investor"],
                                 max_length=200)]


def _state(request: Request, caller: Caller, deal: str, as_of: str | None, known_on: str | None):
    from pipedeal.interfaces.web.app import parse_as_of, parse_known_on

    return workspace(request).state(caller.viewer, deal, parse_as_of(as_of), parse_known_on(known_on))


def _json(document: Any, request: Request, state, caller: Caller, key: tuple | None = None) -> Response:
    """The document as JSON, checked for leaks; with ``key``, written and checked once per state and per
    what the viewer may see (every company user of a deal reads the same bytes)."""
    ws = workspace(request)

    def body() -> bytes:
        text = json.dumps(document() if callable(document) else document, indent=1, ensure_ascii=False,
                          default=_plain)
        return ws.checked_body(state, caller.viewer, text).encode()

    if key is None:
        return Response(body(), media_type="application/json")
    return Response(state.view((*key, caller.viewer.investor_in(state.name)), body), media_type="application/json")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


@router.get("/deals/{deal}/evaluation", response_model=dict[str, Any],
            responses={**NOT_SIGNED_IN, **HIDDEN, **BAD_DATE})
async def evaluation(request: Request, caller: Annotated[Caller, Depends(signed_in)], deal: DealName,
                     as_of: AsOf = None, known_on: KnownOn = None) -> Response:
    """The ``pipedeal evaluate --json`` document, as the caller may see it (an investor: its own figures only)."""
    # The most read document: served from the cache on the event loop; only an evaluation goes to a thread.
    from pipedeal.interfaces.web.app import parse_as_of, parse_known_on

    day, instant = parse_as_of(as_of), parse_known_on(known_on)
    state = workspace(request).peek(caller.viewer, deal, day, instant) or await run_in_threadpool(
        workspace(request).state, caller.viewer, deal, day, instant)
    return _json(lambda: workspace(request).evaluation_document(state, caller.viewer), request, state, caller,
                 key=("evaluation.json",))


@router.get("/deals/{deal}/obligations", response_model=list[dict[str, Any]],
            responses={**NOT_SIGNED_IN, **HIDDEN, **BAD_DATE})
def obligations(request: Request, caller: Annotated[Caller, Depends(signed_in)], deal: DealName,
                as_of: AsOf = None, known_on: KnownOn = None) -> Response:
    """Every obligation of the deal the caller may see (``pipedeal obligations --json`` rows)."""
    state = _state(request, caller, deal, as_of, known_on)
    return _json(workspace(request).obligations(state, caller.viewer), request, state, caller)


@router.get("/deals/{deal}/investors/{investor}/ld", response_model=dict[str, Any],
            responses={**NOT_SIGNED_IN, **HIDDEN, **BAD_DATE})
def liquidated_damages(request: Request, caller: Annotated[Caller, Depends(signed_in)], deal: DealName,
                       investor: InvestorId,
                       as_of: AsOf = None, known_on: KnownOn = None) -> Response:
    """One investor's liquidated damages with every step explained (``pipedeal ld --json --explain``)."""
    state = _state(request, caller, deal, as_of, known_on)
    return _json(workspace(request).damages(state, caller.viewer, investor), request, state, caller)


@router.post("/deals/{deal}/events", response_model=Recorded, status_code=201,
             responses={**NOT_SIGNED_IN, **HIDDEN, 400: _refusal("The event is refused (or the ledger does not "
                                                                  "verify): nothing was written"),
                        403: _refusal("Missing X-CSRF-Token, or an event this role may not record")})
def record_event(request: Request, caller: Annotated[Caller, Depends(writing)], deal: DealName,
                 event: Annotated[dict[str, Any], Body(description="One event: exactly one line of an events file "
                                                       "(`pipedeal schema events`)")]) -> Recorded:
    """Append one event to the deal's ledger, checked exactly as ``pipedeal events add`` checks it."""
    from pipedeal.interfaces.web.recording import record_one

    head = record_one(workspace(request), caller.viewer, deal, event, source=f"web POST /api/deals/{deal}/events")
    return Recorded(deal=deal, recorded=1, head_seq=head)


__all__ = ["NotVisible", "router"]
