"""The cross-tenant probe: every route of the app, as every user, against every deal and investor.

The routes are read from the app itself (``create_app(url)``), so a page or download added later is
probed too: each path parameter is filled with every value it could name (every deal, every
investor of every deal, every warrant, every user's feed token). Each user must be refused (404, the
same answer as for what does not exist) wherever it may not look, and no answer it gets, refused or
allowed, HTML, JSON, calendar or download, may hold another party's id, name or notice address: an
investor sees the company and counsel of its own deal and itself, never a fellow investor (an
address it shares with one is its own, as ``outputs.visibility.others_of`` has it); a company or
counsel user sees nothing of any deal it has not been granted.
"""

from __future__ import annotations

import functools
import html
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import create_engine, select
from starlette.routing import Mount, Route

from pipedeal.deal.terms_file import bundled_deal_names
from pipedeal.interfaces.web.app import create_app
from pipedeal.outputs.visibility import others_of
from pipedeal.storage import accounts, database
from pipedeal.storage.models import Deal, User
from tests.web.conftest import _users

NO_SUCH_DEAL = "no-such-deal"
SIGN_IN_ROUTES = {"/api/login", "/login", "/api/logout", "/logout"}  # probed by test_api; a probe must not sign out
PARTY_QUERY = ("investor", "party", "holder")


@dataclass(frozen=True)
class Probe:
    method: str
    path: str
    params: tuple[tuple[str, str], ...]
    deal: str | None  # what the path names
    investor: str | None
    warrant: str | None
    feed_of: str | None  # a feed URL acts as the user whose token it holds (None: a token of nobody)
    feed: bool  # a URL signed by a token in its path, not by a session
    filtered: bool  # a query filter (?deal=, ?party=): may answer empty, never with another's data
    needs_query: bool = False  # a document link without its required query: a 400 to whoever may see the deal


def _parties(terms) -> list:
    return [terms.company, *terms.investors, *terms.parties]


class Marks:
    """Marks that must not be shown, found as one pattern finds them: an id as a whole word, a text anywhere.
    Python's ``re`` tries each of the ~35 alternatives at each character (~0.3 ms a KB, 4,000 answers a
    run); a mark that is not in the text at all cannot match, so the pattern run is the one of the marks
    the text holds (the same matches: the absent alternatives never matched) and none when it holds none."""

    def __init__(self, parts: list[tuple[str, str]]) -> None:
        self.parts = parts  # (the literal, its alternative in the pattern), in the pattern's order
        self.pattern = re.compile("|".join(part for _, part in parts))

    def _present(self, text: str) -> re.Pattern[str] | None:
        present = tuple(part for literal, part in self.parts if literal in text)
        return _alternatives(present) if present else None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        pattern = self._present(text)
        return pattern.finditer(text) if pattern is not None else iter(())

    def search(self, text: str) -> re.Match[str] | None:
        pattern = self._present(text)
        return pattern.search(text) if pattern is not None else None


@functools.cache
def _alternatives(parts: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(parts))


def _marks_pattern(ids: set[str], texts: set[str]) -> Marks | None:
    texts = {variant for text in texts if text for variant in (text, html.escape(text), html.escape(text, False))}
    parts = [(one, rf"(?<![\w-]){re.escape(one)}(?![\w-])") for one in sorted(ids)]
    parts += [(text, re.escape(text)) for text in sorted(texts, key=len, reverse=True)]
    return Marks(parts) if parts else None


def forbidden_marks(web, key: str | None) -> Marks | None:
    """What of other parties the user ``key`` must never be shown (None: an admin sees everything)."""
    user = web.users[key] if key else None
    if user is not None and user.role == "admin":
        return None
    ids: set[str] = set()
    texts: set[str] = set()
    own_texts: set[str] = set()
    for deal, terms in web.terms.items():
        if user is not None and deal == user.deal:
            visible = [party for party in _parties(terms) if user.investor is None or party.id == user.investor
                       or party not in terms.investors]
            own_texts.update(text for party in visible for text in (party.name, party.address) if text)
            if user.investor is not None:
                others = others_of(terms, user.investor)
                ids.update(others.ids)
                texts.update(others.texts)
            continue
        ids.add(deal)
        for party in _parties(terms):
            ids.add(party.id)
            texts.update(text for text in (party.name, party.address) if text)
    return _marks_pattern(ids, texts - own_texts)


def may_see(web, key: str | None, probe: Probe, warrant_holders: dict) -> bool:
    """Whether the user ``key`` may see what ``probe`` names (the ground truth, from the fixture's grants)."""
    if probe.deal is not None and probe.deal not in web.terms:
        return False
    if key is None:
        return False
    user = web.users[key]
    if probe.deal is None:
        return True
    if user.role != "admin" and user.deal != probe.deal:
        return False
    investors = {entry.id for entry in web.terms[probe.deal].investors}
    if probe.investor is not None and (probe.investor not in investors
                                       or (user.investor is not None and probe.investor != user.investor)):
        return False
    if probe.warrant is not None:
        holder = warrant_holders.get((probe.deal, probe.warrant))
        if holder is None or (user.investor is not None and holder != user.investor):
            return False
    return True


def probes(web, feed_tokens: dict[str, str], warrants: dict[str, list[str]]) -> list[Probe]:
    kept = database._keep_engines
    app = create_app(web.db_url).app  # the Guard's FastAPI app: its routes as they are now, pages included
    database._keep_engines = kept  # its Workspace would have this test process pool connections from now on
    deals = [*web.terms, NO_SUCH_DEAL]
    investors = [*sorted({entry.id for terms in web.terms.values() for entry in terms.investors}), "nobody"]
    every_warrant = [*sorted({warrant for ids in warrants.values() for warrant in ids}), "W-none"]
    fillings = {"deal": deals, "investor": investors, "holder": investors, "party": investors,
                "warrant": every_warrant, "token": [*feed_tokens.values(), "1-" + "0" * 64, "garbage"],
                "number": ["1"]}
    # A document's kind: the damages documents by name, the warrant forms by format.
    kinds = {"damages": ["statement", "demand"], "warrants": ["pdf", "docx"]}
    found: list[Probe] = []
    for path_pattern, methods, query, required in app_routes(app):
        if path_pattern in SIGN_IN_ROUTES:
            continue
        names = re.findall(r"\{(\w+)(?::[^}]*)?\}", path_pattern)
        section = next((part for part in kinds if f"/{part}/" in path_pattern), None)
        route_fillings = {**fillings, "kind": kinds.get(section, ["x"])}
        for method in sorted(methods - {"HEAD"}):
            for values in itertools.product(*(route_fillings.get(name, ["x"]) for name in names)):
                chosen = dict(zip(names, values, strict=True))
                path = path_pattern
                for name, value in chosen.items():
                    path = re.sub(r"\{" + name + r"(:[^}]*)?\}", value, path)
                investor = chosen.get("investor") or chosen.get("holder") or chosen.get("party")
                feed_of = next((user for user, token in feed_tokens.items() if token == chosen.get("token")), None)
                found.append(Probe(method, path, (), chosen.get("deal"), investor, chosen.get("warrant"),
                                   feed_of, "token" in chosen, False, bool(required)))
                if method == "GET" and not names:
                    for name in query:
                        for value in (deals if name == "deal" else investors if name in PARTY_QUERY else []):
                            found.append(Probe(method, path, ((name, value),), None, None, None, None, False, True))
    return found


def app_routes(app) -> list[tuple[str, set[str], list[str], list[str]]]:
    """(path, methods, query parameter names, those required) of every route, those of included routers too
    (FastAPI keeps them behind the router it includes: flattened here as it matches them). A warrant form's
    link (``....{kind}``) checks its own query once the deal is known to be visible."""
    found = []

    def walk(routes) -> None:
        for route in routes:
            if hasattr(route, "effective_route_contexts"):
                for context in route.effective_route_contexts():
                    add(context.path, context.original_route)
            elif isinstance(route, Mount):
                continue  # /static: probed by test_api
            elif isinstance(route, Route | APIRoute):
                add(route.path, route)

    def add(path: str, route) -> None:
        dependant = getattr(route, "dependant", None)
        params = dependant.query_params if dependant is not None else []
        query = [param.name for param in params]
        required = [param.name for param in params if param.field_info.is_required()] + (
            ["(in the handler)"] if path.endswith((".{kind}",)) else [])
        found.append((path, set(getattr(route, "methods", None) or {"GET"}), query, required))

    walk(app.routes)
    return found


def _feed_tokens(web) -> dict[str, str]:
    engine = create_engine(web.db_url)
    with engine.connect() as connection:
        ids = dict(connection.execute(select(User.email, User.id)).all())
    engine.dispose()
    return {key: accounts.feed_token(web.db_url, accounts.Viewer(ids[user.email], user.email, user.role))
            for key, user in web.users.items()}


def _heads(web) -> dict[str, int]:
    engine = create_engine(web.db_url)
    with engine.connect() as connection:
        heads = dict(connection.execute(select(Deal.name, Deal.head_seq)).all())
    engine.dispose()
    return heads


@dataclass(frozen=True)
class Probing:
    """What every user's probe shares, read once per server: the probes, who holds which warrant, which deal
    has a Notice of Adjustment, and the ledger's heads before any probe."""

    every: list[Probe]
    holders: dict[tuple[str, str], str]
    adjusted: dict[str, bool]
    heads: dict[str, int]


# Every user of the workspace (conftest's ``_users``) and nobody signed in: one test each, so that the
# test processes share the probing out between them. The admin may see every deal and download every
# document (40% of the probing's time): one test per deal its probes name (``None``: no deal).
USERS: list[str | None] = [None, *_users()]
DEALS_NAMED: list[str | None] = [None, *bundled_deal_names(), NO_SUCH_DEAL]
SHARES = [(key, deal) for key in USERS for deal in (DEALS_NAMED if key == "admin" else ["every"])]


@pytest.fixture(scope="module")
def probing(web) -> Probing:
    admin = web.client("admin")
    warrants: dict[str, list[str]] = {}
    holders: dict[tuple[str, str], str] = {}
    adjusted: dict[str, bool] = {}  # a deal with a Notice of Adjustment (W 13) to download
    for deal in web.terms:
        evaluation = admin.get(f"/api/deals/{deal}/evaluation").json()
        adjusted[deal] = bool(evaluation.get("adjustments"))
        for warrant in evaluation.get("warrants", []):
            warrants.setdefault(deal, []).append(warrant["id"])
            holders[(deal, warrant["id"])] = warrant["holder"]
    admin.close()
    every = probes(web, _feed_tokens(web), warrants)
    return Probing(every, holders, adjusted, _heads(web))


@pytest.fixture(scope="module")
def signed_in(web) -> Iterator[Callable[[str | None], httpx.Client]]:
    """One client per user, signed in when first asked for (a sign-in costs an argon2 hash)."""
    clients: dict[str | None, httpx.Client] = {}

    def client(key: str | None) -> httpx.Client:
        if key not in clients:
            clients[key] = web.client(key) if key else web.client()
        return clients[key]

    yield client
    for one in clients.values():
        one.close()


def test_the_probe_covers_every_route_user_and_party_and_knows_what_each_must_not_see(web, probing):
    assert list(web.users) == USERS[1:]
    # The probe's own eyes: what the whole deal shows holds every mark an investor must not see.
    admin = web.client("admin")
    whole = admin.get("/api/deals/focus-1999/evaluation").text
    admin.close()
    assert {match.group(0) for match in forbidden_marks(web, "investor:focus-1999:raptor").finditer(whole)} >= {
        "roseworth", "altar-rock", "Roseworth Group, Ltd."}
    assert forbidden_marks(web, "company:lumen-2023").search(whole)
    for key in ("investor:focus-1999:raptor", "company:lumen-2023", None):  # as the whole pattern finds them
        marks = forbidden_marks(web, key)
        assert [(m.start(), m.group(0)) for m in marks.finditer(whole)] == [
            (m.start(), m.group(0)) for m in marks.pattern.finditer(whole)]
    assert {probe.path for probe in probing.every} >= {
        "/api/deals", "/api/deals/focus-1999/evaluation", "/api/deals/lumen-2023/investors/aurora/ld",
        "/deals/meridian-2006"}
    assert {probe.deal for probe in probing.every} >= {*web.terms, NO_SUCH_DEAL}
    assert {probe.investor for probe in probing.every} >= {
        entry.id for terms in web.terms.values() for entry in terms.investors}
    assert {probe.feed_of for probe in probing.every if probe.feed} >= set(web.users)
    # Each user's test below sends every probe meant for it (checked there): in all, more than 500.
    assert sum(len(_meant_for(key, probing.every, deal)) for key, deal in SHARES) > 500


def _meant_for(key: str | None, every: list[Probe], deal: str | None = "every") -> list[Probe]:
    """A feed URL needs no session: probed once, by nobody signed in, as the user whose token it holds.
    ``deal``: only the probes naming that deal (None: naming none), or every one."""
    return [probe for probe in every if (key is None or not probe.feed) and deal in ("every", probe.deal)]


def test_the_admins_shares_of_the_probing_are_every_probe_once(probing):
    shares = [_meant_for("admin", probing.every, deal) for key, deal in SHARES if key == "admin"]
    assert sorted(map(id, itertools.chain(*shares))) == sorted(map(id, _meant_for("admin", probing.every)))


@pytest.mark.parametrize(("key", "deal"), SHARES,
                         ids=[(key or "anonymous") + ("" if deal == "every" else f"-{deal or 'no-deal'}")
                              for key, deal in SHARES])
def test_every_route_as_every_user_refuses_what_it_may_not_see_and_shows_no_other_party(web, probing, signed_in,
                                                                                       key, deal):
    client = signed_in(key)
    marks = forbidden_marks(web, key)
    failures: list[str] = []
    checked = 0
    meant = _meant_for(key, probing.every, deal)
    for probe in meant:
        acting = probe.feed_of if probe.feed else key
        headers = {"Accept": "text/html,application/json;q=0.9"}
        content = None
        if probe.method != "GET":
            headers["X-CSRF-Token"] = client.csrf or ""
            content = b"{}" if probe.path.startswith("/api/") else f"csrf_token={client.csrf or ''}".encode()
            headers["Content-Type"] = ("application/json" if probe.path.startswith("/api/")
                                       else "application/x-www-form-urlencoded")
        answer = client.request(probe.method, probe.path, params=dict(probe.params), headers=headers,
                                content=content)
        checked += 1
        where = f"{key or 'anonymous'} {probe.method} {answer.request.url.raw_path.decode()}"
        if answer.status_code >= 500:
            failures.append(f"{where}: {answer.status_code}")
            continue
        if probe.feed:
            allowed = probe.feed_of is not None
        elif probe.filtered:
            allowed = None  # a filter may answer empty: only what it shows is checked
        elif key is None:
            allowed = probe.path.startswith("/api/openapi") or probe.path == "/login"
        else:
            allowed = may_see(web, key, probe, probing.holders)
        if allowed is False:
            if key is None and not probe.feed:
                if answer.status_code not in (401, 303, 404):
                    failures.append(f"{where}: {answer.status_code} for a caller not signed in")
            elif answer.status_code != 404:
                failures.append(f"{where}: {answer.status_code}, not 404")
        elif allowed is True and probe.method == "GET" and answer.status_code != 200 and not (
                probe.needs_query and answer.status_code == 400) and not (
                "/adjustments/" in probe.path and answer.status_code == 404
                and not probing.adjusted.get(probe.deal)):
            failures.append(f"{where}: {answer.status_code} where the user may look")
        acting_marks = marks if acting == key else forbidden_marks(web, acting)
        if acting_marks is not None:
            text = answer.content.decode("utf-8", "replace")
            for _, sent in probe.params:  # a filter form shows back what the user typed: not news to it
                text = text.replace(f'value="{html.escape(sent)}"', 'value=""')
            seen = sorted({match.group(0) for match in acting_marks.finditer(text)})
            if seen:
                failures.append(f"{where}: {answer.status_code} shows {seen[:5]}")
    assert checked == len(meant) > 10
    assert not failures, f"{len(failures)} of {checked} probes failed:\n" + "\n".join(failures[:60])
    assert _heads(web) == probing.heads  # no probe wrote anything
