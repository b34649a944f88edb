"""The workspace's pages: server-rendered Jinja2 (autoescaped), readable without JavaScript.

Each page reads the same documents as the API (``service.Workspace``), cut to what the viewer may
see, and every body passes ``Workspace.checked_body`` before it leaves. A form that changes
anything carries the session's CSRF token; the sign-in form, before any session exists, carries
a token also set as a cookie (double submit).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from pipedeal.base import formats
from pipedeal.base.diagnostics import Diagnostic, InputError
from pipedeal.interfaces.web import security
from pipedeal.interfaces.web.app import HERE, parse_as_of, parse_known_on
from pipedeal.interfaces.web.security import Caller
from pipedeal.interfaces.web.service import DealState, NotVisible, Workspace
from pipedeal.storage import accounts

router = APIRouter(include_in_schema=False)
templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                        trim_blocks=True, lstrip_blocks=True)


def _figure(spell):
    """A ``base.formats`` speller as a template filter: an absent figure is a dash."""
    def shown(value: Any) -> str:
        return "—" if value is None or value == "" else spell(value)

    return shown


# The project's one spelling of figures (base.formats), thousands separators included.
templates.filters.update(money=_figure(formats.money), exact_money=_figure(formats.exact_money),
                         price=_figure(formats.price), shares=_figure(formats.share_count),
                         percent=_figure(formats.percent))


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


# Where a cached page's CSRF token goes: a value no page could hold otherwise (a new one each process).
CSRF_SLOT = f"csrf-slot-{secrets.token_hex(16)}"


def who(viewer: accounts.Viewer) -> tuple:
    """All of the viewer a page may show or depend on: part of a cached page's key."""
    return viewer.user_id, viewer.email, viewer.role, tuple(sorted(viewer.grants.items()))


def render_cached(request: Request, name: str, caller: Caller, key: tuple, context: Callable[[], dict[str, Any]],
                  state: DealState | None = None) -> HTMLResponse:
    """``render`` of a page that is a pure function of ``key`` and of the session's CSRF token: rendered and
    checked once per key, the token put in at each request (never cached). ``key`` must name everything
    the page shows: ``who`` is asking, the ``DealState.key`` of each deal it reads, its query."""
    ws = workspace(request)

    def build() -> tuple[bytes, ...]:
        body = templates.get_template(name).render(request=request, caller=caller, viewer=caller.viewer,
                                                   csrf_token=CSRF_SLOT, state=state, **context())
        return tuple(ws.checked_body(state, caller.viewer, body).encode().split(CSRF_SLOT.encode()))

    parts = ws.page((name, who(caller.viewer), *key), build)
    return HTMLResponse(str(escape(caller.csrf_token or "")).encode().join(parts))


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
async def login_form(request: Request) -> Response:  # no I/O: on the event loop
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
    heads = ws.visible_heads(caller.viewer)
    deals = list(heads)
    states = [ws.state(caller.viewer, name, day, head=heads[name]) for name in deals if not deal or name == deal]
    feed = f"{request.base_url}feed/{accounts.feed_token(ws.url, caller.viewer)}.ics"
    today = dt.date.today().isoformat()

    def context() -> dict[str, Any]:
        rows = [row for state in states for row in ws.obligations(state, caller.viewer)
                if not (party and party != row.get("party")) and not (status and status != row.get("status"))]
        rows.sort(key=lambda row: (row.get("due") or "9999-12-31", row.get("deal", ""), row.get("id", "")))
        return {"rows": rows, "deals": deals, "chosen_deal": deal, "party": party, "status": status, "as_of": day,
                "feed": feed, "today": today}

    key = (tuple(state.key for state in states), tuple(deals), deal, party, status, day, feed, today)
    return render_cached(request, "dashboard.html", caller, key, context)


# A deal's pages -------------------------------------------------------------------------------------
#
# Every deal page reads one DealState (the deal as of ``as_of``, as known on ``known_on``) and keeps
# both values in its links, so moving between a deal's pages keeps the point in time.

EVENT_SOURCE = "web form"
DOCUMENT_FORMATS = {"pdf": "application/pdf",
                    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


@dataclass
class DealPage:
    """What every deal page needs: who asks, the deal's state, and the point in time to keep in links."""

    caller: Caller
    state: DealState
    deal: str
    as_of: str
    known_on: str

    @property
    def query(self) -> str:
        kept = {key: value for key, value in (("as_of", self.as_of), ("known_on", self.known_on)) if value}
        return "?" + urlencode(kept) if kept else ""


def deal_page(request: Request, deal: str, as_of: str | None, known_on: str | None,
              day: dt.date | None = None) -> DealPage:
    caller = require(request)
    ws = workspace(request)
    state = ws.state(caller.viewer, deal, day or parse_as_of(as_of), parse_known_on(known_on))
    return DealPage(caller, state, deal, as_of or "", known_on or "")


def render_deal(request: Request, name: str, page: DealPage, section: str, http_status: int = 200,
                **context: Any) -> HTMLResponse:
    return render(request, name, page.caller, page.state, http_status, **deal_context(request, page, section),
                  **context)


def deal_context(request: Request, page: DealPage, section: str) -> dict[str, Any]:
    """What every deal page's template reads beside its own figures."""
    ws = workspace(request)
    return {"deal": page.deal, "as_of": page.as_of, "known_on": page.known_on, "query": page.query,
            "section": section, "path": request.url.path,
            "investors": ws.visible_investors(page.state, page.caller.viewer),
            "whole_deal": page.caller.viewer.investor_in(page.deal) is None}


def _parties(ws: Workspace, state: DealState, viewer) -> list[dict[str, Any]]:
    """The deal's parties the viewer may see: the Company, counsel and other parties, and the investors it sees."""
    terms = state.terms
    visible = set(ws.visible_investors(state, viewer))
    rows = [terms.company, *terms.parties, *(entry for entry in terms.investors if entry.id in visible)]
    return [{"id": party.id, "name": party.name, "role": party.role, "address": party.address,
             "attention": party.attention, "fax": party.fax, "email": party.email} for party in rows]


def _damages_by_month(ws: Workspace, state: DealState, viewer, report: dict[str, Any]) -> dict[str, Any]:
    """RRA 3(e)(B): each visible investor's damages by month, as a chart and as the same figures in a table."""
    from pipedeal.outputs.charts import damages_by_month, damages_by_month_svg

    # before the Closing no investor has a damages account yet: ``explain_json`` has nothing to explain
    investors = [one for one in ws.visible_investors(state, viewer) if one in (state.report or {}).get(
        "liquidated_damages", {})]
    explanations = {investor: ws.damages(state, viewer, investor)["explanations"][investor] for investor in investors}
    names = {row["investor"]: row["name"] for row in report.get("allocations") or []}
    return {"svg": Markup(damages_by_month_svg(report, explanations, investors)),
            "rows": damages_by_month(explanations, investors),
            "names": [names.get(investor, investor) for investor in investors], "investors": investors}


@router.get("/deals/{deal}", response_class=HTMLResponse)
def deal_overview(request: Request, deal: str, as_of: str | None = None, known_on: str | None = None) -> Response:
    """A deal: parties, pricing and allocations, capitalization and warrants, deadlines with their computation,
    the Registration Defaults and each visible investor's damages by month (charts with the same figures
    as tables)."""
    from pipedeal.outputs.charts import defaults_timeline_svg

    page = deal_page(request, deal, as_of, known_on)
    ws, viewer, state = workspace(request), page.caller.viewer, page.state

    def context() -> dict[str, Any]:
        document = ws.evaluation_document(state, viewer)

        def drawn() -> dict[str, Any]:
            if state.report is None:
                return {}
            return {"timeline": Markup(defaults_timeline_svg(document)),
                    "damages": _damages_by_month(ws, state, viewer, document)}

        # Drawn once per ledger state and visibility (the timeline alone is most of the page's time).
        charts = state.view(("overview charts", viewer.investor_in(deal)), drawn)
        return {**deal_context(request, page, "overview"), "report": document,
                "parties": _parties(ws, state, viewer), "obligations": ws.obligations(state, viewer), "charts": charts}

    # The whole page, once per ledger state, viewer and point in time (its links keep as_of and known_on).
    key = (state.key, page.deal, page.as_of, page.known_on, request.url.path)
    return render_cached(request, "deal.html", page.caller, key, context, state)


@router.get("/deals/{deal}/damages/{investor}", response_class=HTMLResponse)
def damages_page(request: Request, deal: str, investor: str, as_of: str | None = None,
                 known_on: str | None = None) -> Response:
    """RRA 3(e): one investor's damages step by step (``ld --explain``), what each open reading is worth,
    and the statement and demand letter to download."""
    page = deal_page(request, deal, as_of, known_on)
    ws, viewer, state = workspace(request), page.caller.viewer, page.state
    ws.investor(state, viewer, investor)
    name = _investor_name(state, investor)
    if investor not in (state.report or {}).get("liquidated_damages", {}):  # refused history, or before the Closing
        return render_deal(request, "damages.html", page, f"damages:{investor}", investor=investor,
                           investor_name=name, damages=None, explanation=None, ambiguities=None)
    document = ws.damages(state, viewer, investor)
    return render_deal(request, "damages.html", page, f"damages:{investor}", investor=investor,
                       investor_name=name, damages=document["liquidated_damages"][investor],
                       explanation=document["explanations"][investor], ambiguities=ws.ambiguities(state, viewer))


def _investor_name(state: DealState, investor: str) -> str:
    return next(entry.name for entry in state.terms.investors if entry.id == investor)


@router.get("/deals/{deal}/damages/{investor}/{kind}.pdf")
def damages_document(request: Request, deal: str, investor: str, kind: str, as_of: str | None = None,
                     known_on: str | None = None) -> Response:
    """The statement (``statement.pdf``) or the demand letter before it (``demand.pdf``): ``pipedeal statement``."""
    from pipedeal.interfaces.shared import statement_html

    if kind not in ("statement", "demand"):
        raise HTTPException(404, "not found")
    page = deal_page(request, deal, as_of, known_on)
    ws, viewer, state = workspace(request), page.caller.viewer, page.state
    ws.investor(state, viewer, investor)
    if state.evaluation is None:
        raise InputError(state.problems)
    letter, today = kind == "demand", dt.date.today()
    html = state.view(("statement", investor, letter, today), lambda: statement_html(
        state.inputs, state.evaluation, investor, letter=letter, today=today, source="web"))
    name = f"ld-{kind}-{deal}-{investor}-{state.evaluation.as_of}.pdf"
    return _download(_pdf(state, ws.checked_body(state, viewer, html)), "pdf", name)


def _pdf(state: DealState, html: str) -> bytes:
    """``html`` typeset, once per document and ledger state: every viewer of the same document gets the same
    bytes, and WeasyPrint takes most of a download's time."""
    import hashlib

    from pipedeal.outputs.documents import render_pdf

    return state.view(("pdf", hashlib.sha256(html.encode()).hexdigest()), lambda: render_pdf(html))


def _download(data: bytes, kind: str, name: str) -> Response:
    return Response(data, media_type=DOCUMENT_FORMATS[kind],
                    headers={"content-disposition": f'attachment; filename="{name}"'})


# Warrants -------------------------------------------------------------------------------------------


@router.get("/deals/{deal}/warrants", response_class=HTMLResponse)
def warrants_page(request: Request, deal: str, as_of: str | None = None, known_on: str | None = None,
                  warrant: str | None = None, shares: str | None = None, exercise_date: str | None = None,
                  method: str = "cash") -> Response:
    """W 3, W 4, W 7(d): the register (an investor: its own certificates), an exercise preview with cash and
    cashless side by side, and the warrant forms to download."""
    page = deal_page(request, deal, as_of, known_on)
    ws, viewer, state = workspace(request), page.caller.viewer, page.state
    document = ws.evaluation_document(state, viewer)
    register = document.get("warrants") or []
    preview, errors = None, {}
    if warrant is not None:
        preview, errors = _exercise_outcomes(request, page, register, warrant, shares or "", exercise_date or "")
    asked = {"warrant": warrant or "", "shares": shares or "", "exercise_date": exercise_date or "",
             "method": method if method in ("cash", "cashless") else "cash"}
    return render_deal(request, "warrants.html", page, "warrants", report=document, register=register,
                       preview=preview, errors=errors, asked=asked, parties=_parties(ws, state, viewer),
                       adjustments=[(number, notice.kind, notice.date) for number, notice in
                                    enumerate(state.evaluation.adjustments if state.evaluation else (), start=1)],
                       http_status=400 if errors else 200)


@router.get("/deals/{deal}/closing", response_class=HTMLResponse)
def closing_page(request: Request, deal: str, as_of: str | None = None, known_on: str | None = None) -> Response:
    """SPA 2.1(b), 13.9: the Closing's checklist (each condition and delivery, its status, evidence and who), the
    funds flow and what is still open, read from the report's ``closing`` section as the viewer may see it (an
    investor: its own wires and deliveries); conditions are ticked by recording events on the events page."""
    page = deal_page(request, deal, as_of, known_on)
    ws, viewer, state = workspace(request), page.caller.viewer, page.state
    document = ws.evaluation_document(state, viewer)
    return render_deal(request, "closing.html", page, "closing", closing=document.get("closing"))


@router.get("/deals/{deal}/closing/statement.pdf")
def closing_statement(request: Request, deal: str, as_of: str | None = None, known_on: str | None = None) -> Response:
    """The closing statement (``pipedeal documents closing-statement``): the whole funds flow for the Company and
    counsel; an investor's shows its own wire and deliveries (the ``closing`` section as it may see it), no totals."""
    from pipedeal.outputs.documents.closing_statement import closing_statement_html

    page = deal_page(request, deal, as_of, known_on)
    ws, viewer, state = workspace(request), page.caller.viewer, page.state
    if state.evaluation is None:
        raise InputError(state.problems)
    whole = viewer.investor_in(deal) is None
    seen = ws.evaluation_document(state, viewer).get("closing")
    html = closing_statement_html(state.evaluation, data_note="Written by the pipedeal web workspace.",
                                  closing=seen, whole=whole)
    name = f"closing-statement-{deal}-{state.evaluation.as_of}.pdf"
    return _download(_pdf(state, ws.checked_body(state, viewer, html)), "pdf", name)


def _own_warrant(register: list[dict[str, Any]], warrant: str) -> dict[str, Any] | None:
    return next((row for row in register if row["id"] == warrant), None)


def _exercise_outcomes(request: Request, page: DealPage, register, warrant: str, shares: str, date: str):
    """The exercise both ways (``interfaces.shared.exercise_outcomes``), or the field errors that refuse it."""
    from pipedeal.interfaces.shared import exercise_outcomes
    from pipedeal.storage.workspace import calendars_for

    if _own_warrant(register, warrant) is None:
        return None, {"warrant": [f"no warrant {warrant!r} in the register you see"]}
    try:
        day = parse_as_of(date or None, "exercise_date")
        at = workspace(request).state(page.caller.viewer, page.deal, day)
        outcomes = exercise_outcomes(at.inputs, calendars_for(at.terms), warrant, shares, day.isoformat(),
                                     shares_field="shares", source="web")
    except InputError as refused:
        return None, _field_errors(refused.problems, {"date": "exercise_date"})
    return {way: {"result": result, "problems": problems} for way, (_, result, problems) in outcomes.items()}, {}


def _field_errors(problems, renamed: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Each problem's message under the form field it names (``""``: the form as a whole)."""
    errors: dict[str, list[str]] = {}
    for problem in problems:
        field_name = (problem.field or "").lstrip("-")
        field_name = (renamed or {}).get(field_name, field_name)
        errors.setdefault(field_name, []).append(problem.message)
    return errors


def _seen_deal(request: Request, deal: str, **needed: str | None) -> None:
    """Who asks and whether they may see the deal come first (401 / 404), before the query is checked: a
    document's missing or malformed parameters are refused only to someone who may see the deal."""
    caller = require(request)
    if not caller.viewer.sees_deal(deal) or deal not in workspace(request).visible_deals(caller.viewer):
        raise NotVisible(deal)
    missing = [name for name, value in needed.items() if not value]
    if missing:
        raise InputError([Diagnostic("WEB-MISSING-FIELD", f"give {', '.join(missing)}", "web", field=missing[0])])


@router.get("/deals/{deal}/warrants/exercise.{kind}")
def exercise_form(request: Request, deal: str, kind: str, warrant: str | None = None, shares: str | None = None,
                  exercise_date: str | None = None, method: str = "cash") -> Response:
    """The Notice of Exercise (W 3), prefilled: ``pipedeal documents exercise``."""
    from pipedeal.interfaces.shared import exercise_preview
    from pipedeal.outputs.documents.warrant_forms import exercise_notice_docx, exercise_notice_html
    from pipedeal.storage.workspace import calendars_for

    _seen_deal(request, deal, warrant=warrant, shares=shares, exercise_date=exercise_date)
    page = deal_page(request, deal, None, None, day=parse_as_of(exercise_date, "exercise_date"))
    ws, viewer, state = workspace(request), page.caller.viewer, page.state
    _document_kind(kind)
    if _own_warrant(ws.evaluation_document(state, viewer).get("warrants") or [], warrant) is None:
        raise NotVisible(warrant)
    if state.evaluation is None:
        raise InputError(state.problems)
    evaluation, result, note = exercise_preview(state.inputs, state.evaluation, calendars_for(state.terms), warrant,
                                                shares, method, exercise_date, shares_field="shares", source="web")
    return _form_download(ws, page, kind, f"notice-of-exercise-{warrant}-{result.date}-{method}",
                          lambda: exercise_notice_html(evaluation, result, data_note=note),
                          lambda: exercise_notice_docx(evaluation, result, data_note=note))


@router.get("/deals/{deal}/warrants/assignment.{kind}")
def assignment_form(request: Request, deal: str, kind: str, warrant: str | None = None, to: str | None = None,
                    shares: str | None = None, assignment_date: str | None = None) -> Response:
    """The Assignment Form (W 1, W 7), prefilled: ``pipedeal documents assignment``."""
    from pipedeal.interfaces.shared import data_note, share_number
    from pipedeal.outputs.documents.warrant_forms import assignment_form_docx, assignment_form_html

    _seen_deal(request, deal, warrant=warrant, to=to, shares=shares, assignment_date=assignment_date)

    day = parse_as_of(assignment_date, "assignment_date")
    page = deal_page(request, deal, None, None, day=day)
    ws, viewer, state = workspace(request), page.caller.viewer, page.state
    _document_kind(kind)
    if _own_warrant(ws.evaluation_document(state, viewer).get("warrants") or [], warrant) is None:
        raise NotVisible(warrant)
    if to not in {party["id"] for party in _parties(ws, state, viewer)}:
        raise NotVisible(to)  # an assignee the viewer may not see is no more named than one that does not exist
    if state.evaluation is None:
        raise InputError(state.problems)
    count, note = share_number(shares, "shares", "web"), data_note(state.inputs)
    return _form_download(ws, page, kind, f"assignment-form-{warrant}-to-{to}-{day}",
                          lambda: assignment_form_html(state.evaluation, warrant, to, count, day, data_note=note),
                          lambda: assignment_form_docx(state.evaluation, warrant, to, count, day, data_note=note))


@router.get("/deals/{deal}/warrants/adjustments/{number}.{kind}")
def adjustment_form(request: Request, deal: str, number: str, kind: str, as_of: str | None = None,
                    known_on: str | None = None) -> Response:
    """The Notice of Adjustment (W 13) of the deal's ``number``-th adjustment (from 1): ``pipedeal documents
    adjustments``; an investor's is addressed to it alone."""
    from pipedeal.outputs.documents.warrant_forms import adjustment_notice_docx, adjustment_notice_html

    page = deal_page(request, deal, as_of, known_on)
    ws, viewer, state = workspace(request), page.caller.viewer, page.state
    _document_kind(kind)
    if state.evaluation is None or not number.isdigit() or not 1 <= int(number) <= len(state.evaluation.adjustments):
        raise NotVisible(number)
    notice = state.evaluation.adjustments[int(number) - 1]
    holder = viewer.investor_in(deal)
    note = " ".join(state.inputs.warning_lines()) or None
    name = f"notice-of-adjustment-{notice.kind}-{notice.date}" + (f"-{holder}" if holder else "")
    return _form_download(ws, page, kind, name,
                          lambda: adjustment_notice_html(state.evaluation, notice, holder, today=notice.date,
                                                         data_note=note),
                          lambda: adjustment_notice_docx(state.evaluation, notice, holder, today=notice.date,
                                                         data_note=note))


def _document_kind(kind: str) -> None:
    if kind not in DOCUMENT_FORMATS:
        raise HTTPException(404, "not found")


def _form_download(ws: Workspace, page: DealPage, kind: str, name: str, html_of, docx_of) -> Response:
    """A warrant form as PDF or DOCX. The HTML is built and checked first in both cases: the DOCX holds the
    same words, so a form that would show another investor is withheld whichever format is asked."""
    try:
        html = ws.checked_body(page.state, page.caller.viewer, html_of())
        data = _pdf(page.state, html) if kind == "pdf" else docx_of()
    except ValueError as exc:
        raise InputError([Diagnostic("DOCUMENT-REFUSED", str(exc), "web")]) from None
    return _download(data, kind, f"{name}.{kind}")


# Events -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormField:
    """One input of an event form, read from the event's JSON Schema."""

    name: str
    title: str
    kind: str  # date, datetime, integer, number, select, boolean, json, text
    required: bool
    options: tuple[str, ...] = ()
    default: Any = None


@dataclass(frozen=True)
class EventForm:
    type: str
    description: str
    fields: tuple[FormField, ...]


SKIPPED_FIELDS = frozenset({"type", "recorded_at", "source"})


def _field_kind(spec: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    """The input a JSON Schema property needs: its kind, and the choices of an enum."""
    branches = [branch for branch in spec.get("anyOf", [spec]) if branch.get("type") != "null"]
    enums = [value for branch in branches for value in branch.get("enum", ())]
    if enums:
        return "select", tuple(enums)
    formats = {branch.get("format") for branch in branches}
    types = {branch.get("type") for branch in branches}
    if "date" in formats:
        return "date", ()
    if "date-time" in formats:
        return "datetime", ()
    if types == {"boolean"}:
        return "boolean", ()
    if types == {"integer"}:
        return "integer", ()
    if types and types <= {"integer", "number", "string"} and types & {"integer", "number"}:
        return "number", ()
    if types == {"string"}:
        return "text", ()
    return "json", ()  # arrays, nested objects (a correction's event): typed as JSON


@functools.cache
def event_forms() -> tuple[EventForm, ...]:
    """One form per event type, generated from ``engine.events.event_json_schema()``."""
    from pipedeal.engine.events import event_json_schema

    schema = event_json_schema()
    forms = []
    for ref in schema["oneOf"]:
        model = schema["$defs"][ref["$ref"].rsplit("/", 1)[1]]
        required = set(model.get("required", ()))
        fields = []
        for name, spec in model["properties"].items():
            if name in SKIPPED_FIELDS:
                continue
            kind, options = _field_kind(spec)
            fields.append(FormField(name, spec.get("title", name), kind, name in required, options,
                                    spec.get("default")))
        # the date first, the note last: the order a clerk fills them in
        fields.sort(key=lambda one: (one.name != "date", one.name == "note", not one.required))
        forms.append(EventForm(model["properties"]["type"]["const"], model.get("description", ""), tuple(fields)))
    return tuple(sorted(forms, key=lambda form: form.type))


def _forms_for(viewer, deal: str) -> tuple[EventForm, ...]:
    from pipedeal.interfaces.web.recording import INVESTOR_TYPES

    if viewer.investor_in(deal) is None:
        return event_forms()
    return tuple(form for form in event_forms() if form.type in INVESTOR_TYPES)


def _ledger_rows(ws: Workspace, state: DealState, viewer) -> list[dict[str, Any]]:
    """The ledger's events, each with who recorded it and when, as the viewer may see them."""
    from pipedeal.engine.events import event_to_json
    from pipedeal.storage import ledger as store

    history = state.inputs.history
    known_on = history.known_on if history is not None else None

    def build() -> list[dict[str, Any]]:
        rows = []
        for row in store.load_deal(ws.url, state.name).events:
            data = event_to_json(row.event)
            details = ", ".join(f"{key}={value}" for key, value in data.items()
                                if key not in {"type", "date", "source", "recorded_at"})
            rows.append({**data, "seq": row.seq, "details": details, "recorded_by": row.recorded_by,
                         "recorded_at": row.recorded_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
                         # read "as known on" an instant, an event recorded later is not in the figures
                         "known": known_on is None or row.recorded_at <= known_on})
        return rows

    rows = ws.seen(state, viewer, state.view(("ledger",), build))
    investor = viewer.investor_in(state.name)
    if investor is not None:  # another user's address is not an investor's to see
        rows = [{**row, "recorded_by": row["recorded_by"] if row["recorded_by"] in (None, viewer.email)
                 else "another user"} for row in rows]
    return rows


@router.get("/deals/{deal}/events", response_class=HTMLResponse)
def events_page(request: Request, deal: str, as_of: str | None = None, known_on: str | None = None,
                recorded: int | None = None) -> Response:
    """The ledger (who recorded what, when) and a form per event type the viewer may record."""
    page = deal_page(request, deal, as_of, known_on)
    return _events(request, page, recorded=recorded)


def _events(request: Request, page: DealPage, *, http_status: int = 200, chosen: str | None = None,
            values: dict[str, str] | None = None, errors: dict[str, list[str]] | None = None,
            recorded: int | None = None) -> HTMLResponse:
    ws, viewer = workspace(request), page.caller.viewer
    investor = viewer.investor_in(page.deal)
    own_warrants = []
    if investor is not None and page.state.report is not None:
        own_warrants = [row["id"] for row in ws.evaluation_document(page.state, viewer).get("warrants") or []]
    return render_deal(request, "events.html", page, "events", http_status, rows=_ledger_rows(ws, page.state, viewer),
                       forms=_forms_for(viewer, page.deal), chosen=chosen, values=values or {}, errors=errors or {},
                       recorded=recorded, fixed_investor=investor, own_warrants=own_warrants)


@router.post("/deals/{deal}/events", response_class=HTMLResponse)
async def record_event(request: Request, deal: str, as_of: str | None = None,
                       known_on: str | None = None) -> Response:
    """One event from its form, checked as ``pipedeal events add`` checks it (``recording.record_one``): refused,
    the page comes back with each error beside its field, the values kept, and nothing written."""
    from fastapi.concurrency import run_in_threadpool

    form = await request.form()
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    return await run_in_threadpool(_record_event, request, deal, as_of, known_on, values)


def _record_event(request: Request, deal: str, as_of: str | None, known_on: str | None,
                  values: dict[str, str]) -> Response:
    from pipedeal.interfaces.web.recording import record_one

    page = deal_page(request, deal, as_of, known_on)
    viewer = page.caller.viewer
    require_csrf(page.caller, values.pop("csrf_token", None))
    chosen = values.get("type", "")
    form = next((one for one in _forms_for(viewer, deal) if one.type == chosen), None)
    if form is None:
        return _events(request, page, http_status=400, errors={"": [f"no form for the event type {chosen!r}"]})
    investor = viewer.investor_in(deal)
    if investor is not None and any(one.name == "investor" for one in form.fields):
        values["investor"] = investor  # an investor records only its own events: the field is fixed
    try:
        data = _event_data(form, values)
        head = record_one(workspace(request), viewer, deal, data, source=f"{EVENT_SOURCE} {chosen}")
    except InputError as refused:
        return _events(request, page, http_status=400, chosen=chosen, values=values,
                       errors=_field_errors(refused.problems))
    except HTTPException as refused:
        if refused.status_code != 403:
            raise
        return _events(request, page, http_status=403, chosen=chosen, values=values, errors={"": [refused.detail]})
    return RedirectResponse(f"/deals/{deal}/events{_with(page.query, recorded=head)}#ledger", status_code=303)


def _with(query: str, **extra: Any) -> str:
    kept = dict(parse_qsl(query.lstrip("?")))
    kept.update({key: str(value) for key, value in extra.items()})
    return "?" + urlencode(kept)


def _event_data(form: EventForm, values: dict[str, str]) -> dict[str, Any]:
    """The event object a form's values describe: empty optional fields left out, numbers and booleans read,
    JSON fields decoded. What is not a valid value is passed on as typed, for the event's own check to name."""
    data: dict[str, Any] = {"type": form.type}
    problems = []
    for one in form.fields:
        text = values.get(one.name, "").strip()
        if not text:
            continue
        if one.kind == "integer" and text.lstrip("-").isdigit():
            data[one.name] = int(text)
        elif one.kind == "boolean":
            data[one.name] = {"true": True, "false": False}.get(text, text)
        elif one.kind == "json":
            try:
                data[one.name] = json.loads(text, parse_float=Decimal)
            except (json.JSONDecodeError, RecursionError):
                problems.append(Diagnostic("EVENT-INVALID", f"{one.name}: not valid JSON", EVENT_SOURCE,
                                           field=one.name))
        else:
            data[one.name] = text
    if problems:
        raise InputError(problems)
    return data

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
    for name, head in ws.visible_heads(viewer).items():
        state = ws.state(viewer, name, day, head=head)
        if state.evaluation is not None:
            views.append(ws.calendar(state, viewer))
            states.append(state)
    body = calendar_ics(views).decode("utf-8")
    for state in states:
        body = ws.checked_body(state, viewer, body)
    return Response(body.encode("utf-8"), media_type="text/calendar")
