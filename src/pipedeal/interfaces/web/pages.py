"""The workspace's pages: server-rendered Jinja2 (autoescaped), readable without JavaScript.

Each page reads the same documents as the API (``service.Workspace``), cut to what the viewer may
see, and every body passes ``Workspace.checked_body`` before it leaves. A form that changes
anything carries the session's CSRF token; the sign-in form, before any session exists, carries
a token also set as a cookie (double submit).
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from pipedeal.interfaces.web import security
from pipedeal.interfaces.web.app import HERE, parse_as_of, parse_known_on
from pipedeal.interfaces.web.security import Caller
from pipedeal.interfaces.web.service import DealState, Workspace
from pipedeal.storage import accounts

router = APIRouter(include_in_schema=False)
templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                        trim_blocks=True, lstrip_blocks=True)


def workspace(request: Request) -> Workspace:
    return request.app.state.workspace


class SignInFirst(Exception):
    pass


def page_caller(request: Request) -> Caller | None:
    return security.caller_of(workspace(request).url, request.headers, request.cookies)


def render(request: Request, name: str, caller: Caller | None, state: DealState | None = None,
           http_status: int = 200, **context: Any) -> HTMLResponse:
    body = templates.get_template(name).render(
        request=request, caller=caller, viewer=caller.viewer if caller else None,
        csrf_token=caller.csrf_token if caller else None, state=state, **context)
    ws = workspace(request)
    return HTMLResponse(ws.checked_body(state, caller.viewer if caller else None, body), status_code=http_status)


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    caller = None
    try:
        caller = page_caller(request)
    except Exception:  # the error page must render even when the database is what failed
        caller = None
    if status == 401:
        return RedirectResponse("/login", status_code=303)  # type: ignore[return-value]
    return render(request, "error.html", caller, http_status=status, status_code=status, detail=detail)


def require(request: Request) -> Caller:
    caller = page_caller(request)
    if caller is None:
        raise HTTPException(401, "sign in first")
    return caller


def require_csrf(caller: Caller, token: str | None) -> None:
    if not caller.csrf_ok(token):
        raise HTTPException(403, "this form has expired: reload the page and try again")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", None, login_token=token, error=None)
    response.set_cookie(security.LOGIN_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/login")
    return response


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, email: Annotated[str, Form(max_length=accounts.MAX_EMAIL)],
          password: Annotated[str, Form(max_length=accounts.MAX_PASSWORD)],
          login_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    from pipedeal.interfaces.web.api import open_session

    expected = request.cookies.get(security.LOGIN_COOKIE, "")
    if not expected or not secrets.compare_digest(expected.encode(), login_token.encode()):
        return _login_again(request, "this form has expired: please sign in again", 403)
    response = RedirectResponse("/", status_code=303)
    try:
        open_session(request, response, email, password)
    except HTTPException as refused:
        return _login_again(request, str(refused.detail), refused.status_code)
    response.delete_cookie(security.LOGIN_COOKIE, path="/login")
    return response


def _login_again(request: Request, error: str, status: int) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", None, http_status=status, login_token=token, error=error)
    response.set_cookie(security.LOGIN_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/login")
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    caller = require(request)
    require_csrf(caller, csrf_token)
    if caller.session:
        accounts.sign_out(workspace(request).url, caller.session)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(security.SESSION_COOKIE, path="/")
    return response


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, deal: str | None = None, party: str | None = None, status: str | None = None,
              as_of: str | None = None) -> Response:
    """Every obligation the viewer may see across its deals, the soonest due first."""
    caller = require(request)
    ws = workspace(request)
    day = parse_as_of(as_of)
    rows = []
    deals = ws.visible_deals(caller.viewer)
    for name in deals:
        if deal and name != deal:
            continue
        state = ws.state(caller.viewer, name, day)
        for row in ws.obligations(state, caller.viewer):
            if (party and party != row.get("party")) or (status and status != row.get("status")):
                continue
            rows.append(row)
    rows.sort(key=lambda row: (row.get("due") or "9999-12-31", row.get("deal", ""), row.get("id", "")))
    feed = f"{request.base_url}feed/{accounts.feed_token(ws.url, caller.viewer)}.ics"
    return render(request, "dashboard.html", caller, rows=rows, deals=deals, chosen_deal=deal, party=party,
                  status=status, as_of=day, feed=feed, today=dt.date.today().isoformat())


@router.get("/deals/{deal}", response_class=HTMLResponse)
def deal_page(request: Request, deal: str, as_of: str | None = None, known_on: str | None = None) -> Response:
    caller = require(request)
    ws = workspace(request)
    state = ws.state(caller.viewer, deal, parse_as_of(as_of), parse_known_on(known_on))
    document = ws.evaluation_document(state, caller.viewer)
    return render(request, "deal.html", caller, state, deal=deal, report=document,
                  investors=ws.visible_investors(state, caller.viewer), as_of=as_of or "", known_on=known_on or "")


@router.get("/feed/{token}.ics")
def calendar_feed(request: Request, token: str) -> Response:
    """The viewer's obligations as an RFC 5545 calendar (a secret URL per user, for calendar apps)."""
    from pipedeal.outputs.calendar import calendar_ics

    ws = workspace(request)
    viewer = accounts.feed_viewer(ws.url, token) if len(token) < 200 else None
    if viewer is None:
        raise HTTPException(404, "not found")
    day = dt.date.today()
    views, states = [], []
    for name in ws.visible_deals(viewer):
        state = ws.state(viewer, name, day)
        if state.evaluation is not None:
            views.append(ws.calendar(state, viewer))
            states.append(state)
    body = calendar_ics(views).decode("utf-8")
    for state in states:
        body = ws.checked_body(state, viewer, body)
    return Response(body.encode("utf-8"), media_type="text/calendar")
