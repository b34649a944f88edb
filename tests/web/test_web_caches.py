"""What the web workspace keeps in memory never outlives what it was made of: a page rendered once per
viewer and ledger state shows a write at once, on every worker; a session signed out is refused at once
by every worker, cached page or not; each session's page carries its own CSRF token; and a pooled
database connection the server ended is replaced without the request noticing."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.web.conftest import PASSWORD, WebServer, copy_ledger, http_get, http_post, start_server, stop_server

WORKERS = 2
FRESH_CONNECTIONS = 24  # each request on a new connection: the workers share the listening socket
DEAL = "focus-1999"
NOTICE = "effectiveness_notice:primary:2000-02-16"  # missed in the bundled history


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request, tmp_path_factory, ledger_templates, cache_dir) -> Iterator[tuple[WebServer, str | None]]:
    """A workspace of two workers on a copy of the web tests' ledger; on PostgreSQL its connections carry an
    application_name of their own."""
    workdir = tmp_path_factory.mktemp(f"caches-{request.param}")
    ledgers = copy_ledger(ledger_templates(request.param), workdir)
    url, name = next(ledgers), None
    if request.param == "postgresql":
        name = f"pipedeal-test-{uuid.uuid4().hex[:8]}"
        url = make_url(url).update_query_dict({"application_name": name}).render_as_string(hide_password=False)
    server = start_server(url, workdir, cache_dir, workers=WORKERS)
    try:
        yield server, name
    finally:
        stop_server(server)
        ledgers.close()


def signed_in(server: WebServer, user: str) -> tuple[dict[str, str], str]:
    answer = http_post(server.base_url + "/api/login", json={"email": server.users[user].email,
                                                              "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return dict(answer.cookies), answer.json()["csrf_token"]


def fresh(server: WebServer, path: str, cookies: dict[str, str]) -> httpx.Response:
    """One request on a connection of its own (so that, over many, every worker answers some), as a browser."""
    return http_get(server.base_url + path, cookies=cookies, headers={"accept": "text/html"},
                     follow_redirects=False, timeout=60)


def row_class(dashboard: str, obligation: str) -> str:
    [found] = re.findall(r'<tr class="([^"]*)">(?:(?!</tr>).)*#' + re.escape(obligation) + '"', dashboard, re.S)
    return found


def test_a_write_moves_the_head_and_the_next_page_on_every_worker_shows_it(served):
    server, _ = served
    cookies, csrf = signed_in(server, f"company:{DEAL}")
    before = [fresh(server, path, cookies) for path in ("/", f"/deals/{DEAL}") for _ in range(FRESH_CONNECTIONS)]
    assert all(answer.status_code == 200 for answer in before)
    assert "missed" in row_class(before[0].text, NOTICE).split()
    head = int(re.search(rf"{DEAL} seq (\d+)", before[-1].text).group(1))

    written = http_post(server.base_url + f"/api/deals/{DEAL}/events", cookies=cookies,
                         headers={"X-CSRF-Token": csrf},
                         json={"type": "obligation_met", "date": "2000-02-17", "obligation": NOTICE})
    assert written.status_code == 201, written.text

    for _ in range(FRESH_CONNECTIONS):
        dashboard, page = fresh(server, "/", cookies), fresh(server, f"/deals/{DEAL}", cookies)
        assert "missed" not in row_class(dashboard.text, NOTICE).split()
        assert f"{DEAL} seq {head + 1} " in page.text and f"{DEAL} seq {head} " not in page.text


def test_each_session_of_one_user_gets_the_same_page_with_its_own_csrf_token(served):
    server, _ = served
    pages = []
    for _ in range(2):
        cookies, csrf = signed_in(server, f"company:{DEAL}")
        for path in ("/", f"/deals/{DEAL}"):
            body = fresh(server, path, cookies).text
            assert re.findall(r'name="csrf_token" value="([^"]*)"', body) == [csrf]
            pages.append(body.replace(csrf, "CSRF"))
    assert pages[0] == pages[2] and pages[1] == pages[3]


def test_a_session_signed_out_is_refused_at_once_by_every_worker(served):
    server, _ = served
    cookies, csrf = signed_in(server, f"company:{DEAL}")
    paths = ("/", f"/deals/{DEAL}", f"/api/deals/{DEAL}/evaluation")
    for _ in range(FRESH_CONNECTIONS // 2):  # every page rendered and kept by both workers
        assert all(fresh(server, path, cookies).status_code == 200 for path in paths)

    out = http_post(server.base_url + "/logout", cookies=cookies, data={"csrf_token": csrf},
                     follow_redirects=False)
    assert out.status_code == 303

    for _ in range(FRESH_CONNECTIONS):
        assert [fresh(server, path, cookies).status_code for path in paths] == [303, 303, 401]
    assert fresh(server, "/", cookies).headers["location"] == "/login"


def test_a_pooled_connection_the_database_ended_is_replaced_without_an_error(served):
    server, name = served
    if name is None:
        pytest.skip("a SQLite file has no server to end a connection")
    cookies, _ = signed_in(server, f"company:{DEAL}")
    paths = ("/", f"/deals/{DEAL}", f"/api/deals/{DEAL}/evaluation")
    for _ in range(FRESH_CONNECTIONS // 2):
        assert all(fresh(server, path, cookies).status_code == 200 for path in paths)

    conninfo = make_url(server.db_url).set(drivername="postgresql", query={}).render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as admin:
        pids = [pid for (pid,) in admin.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                                                (name,))]
        assert len(pids) >= WORKERS  # each worker has its pool open
        admin.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", (pids,))
        deadline = time.monotonic() + 10
        while admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,)).fetchone()[0]:
            assert time.monotonic() < deadline, "the backends did not end"
            time.sleep(0.1)

    for _ in range(FRESH_CONNECTIONS):
        assert [fresh(server, path, cookies).status_code for path in paths] == [200, 200, 200]
    assert "Traceback" not in server.log.read_text()
