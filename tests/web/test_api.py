"""The JSON API as its users meet it: signing in and out, what each role reads and records, a broken
ledger, the sign-in throttle, malformed requests and the security headers on every kind of answer."""

from __future__ import annotations

import datetime as dt
import json
import socket
import time

import httpx
import pytest
from conftest import pipedeal_cli
from sqlalchemy import create_engine, select, update

from pipedeal.storage import accounts
from pipedeal.storage.models import Deal, EventRow
from tests.web.conftest import PASSWORD, http_client, http_get, http_post

SECURITY = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}


def assert_secured(answer: httpx.Response) -> None:
    """The headers every answer carries: a CSP with no inline script or style, no framing, no sniffing."""
    csp = answer.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, (answer.request.url, answer.headers)
    assert "unsafe-inline" not in csp and "default-src 'none'" in csp
    for name, value in SECURITY.items():
        assert answer.headers.get(name) == value, (answer.request.url, name, answer.headers)


def assert_short_refusal(answer: httpx.Response, *statuses: int) -> None:
    """A 4xx with a short JSON message: never a 5xx, never a stack frame."""
    assert answer.status_code in statuses, (answer.request.method, answer.request.url, answer.status_code,
                                            answer.text[:500])
    assert answer.headers["content-type"].startswith("application/json"), answer.headers
    assert len(answer.content) < 4000, answer.text[:500]
    assert "Traceback" not in answer.text and 'File "' not in answer.text and ".py" not in answer.text
    assert answer.json()["detail"]
    assert_secured(answer)


def ledger_rows(web, cache_dir, tmp_path, deal: str) -> list[dict]:
    run = pipedeal_cli(tmp_path, cache_dir)
    return json.loads(run("events", "list", "--deal", deal, "--db", web.db_url, "--json",
                          "--allow-broken-ledger").stdout)


def head_seq(web, deal: str) -> int:
    engine = create_engine(web.db_url)
    try:
        with engine.connect() as connection:
            return connection.execute(select(Deal.head_seq).where(Deal.name == deal)).scalar_one()
    finally:
        engine.dispose()


def test_signing_in_sets_a_new_http_only_session_each_time_and_signing_out_ends_it(web):
    client = web.client()
    answer = client.post("/api/login", json={"email": web.users["company:focus-1999"].email, "password": PASSWORD})
    assert answer.status_code == 200
    assert_secured(answer)
    body = answer.json()
    assert body["role"] == "company" and len(body["csrf_token"]) >= 32
    cookie = answer.headers["set-cookie"]
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert "secure" not in flags  # served over plain http on 127.0.0.1: a Secure cookie would never come back
    first = client.cookies["pipedeal_session"]
    assert client.get("/api/deals").status_code == 200

    again = client.post("/api/login", json={"email": web.users["company:focus-1999"].email, "password": PASSWORD})
    assert again.status_code == 200
    second = client.cookies["pipedeal_session"]
    assert second != first and again.json()["csrf_token"] != body["csrf_token"]
    stale = http_client(base_url=web.base_url, cookies={"pipedeal_session": first})
    assert_short_refusal(stale.get("/api/deals"), 401)  # the session planted before the sign-in is dead

    # Signing out is a state change: the cookie alone (a cross-site form could send it) is not enough.
    assert_short_refusal(client.post("/api/logout"), 403)
    assert client.get("/api/deals").status_code == 200
    assert client.post("/api/logout", headers={"X-CSRF-Token": again.json()["csrf_token"]}).status_code == 204
    replay = http_client(base_url=web.base_url, cookies={"pipedeal_session": second})
    assert_short_refusal(replay.get("/api/deals"), 401)

    wrong = web.client().post("/api/login", json={"email": web.users["admin"].email, "password": "not it at all"})
    unknown = web.client().post("/api/login", json={"email": "nobody@pipedeal.test", "password": PASSWORD})
    assert_short_refusal(wrong, 401)
    assert_short_refusal(unknown, 401)
    assert wrong.json() == unknown.json()  # the answer must not tell a user that exists from one that does not
    # What JSON can say and a database cannot store (NUL, a lone surrogate) is just a wrong email or password.
    for odd in ({"email": "a\u0000@b.test", "password": PASSWORD}, {"email": "\udadf@b.test", "password": "\udb46x"},
                {"email": web.users["admin"].email, "password": "\ud800" * 20}):
        assert_short_refusal(web.client().post("/api/login", content=json.dumps(odd).encode(),
                                               headers={"Content-Type": "application/json"}), 401, 422)


def test_each_role_lists_and_reads_only_the_deals_and_investors_it_may_see(web):
    admin = web.client("admin").get("/api/deals").json()
    assert [row["deal"] for row in admin] == sorted(web.terms) and all(row["investor"] is None for row in admin)
    assert web.client("counsel:lumen-2023").get("/api/deals").json() == [{"deal": "lumen-2023", "investor": None}]
    raptor = web.client("investor:focus-1999:raptor")
    assert raptor.get("/api/deals").json() == [{"deal": "focus-1999", "investor": "raptor"}]

    every = sorted(entry.id for entry in web.terms["focus-1999"].investors)
    for key in ("admin", "company:focus-1999", "counsel:focus-1999"):
        client = web.client(key)
        evaluation = client.get("/api/deals/focus-1999/evaluation", params={"as_of": "2000-06-30"}).json()
        assert sorted(evaluation["liquidated_damages"]) == every
        assert evaluation["ledger"]["verified"] is True
        for investor in every:
            ld = client.get(f"/api/deals/focus-1999/investors/{investor}/ld", params={"as_of": "2000-06-30"})
            assert ld.status_code == 200, ld.text
        owed = {party for row in client.get("/api/deals/focus-1999/obligations", params={"as_of": "2000-06-30"}
                                            ).json() for party in row["owed_to"]}
        assert owed == set(every), owed
    assert web.client("company:focus-1999").get("/api/deals/lumen-2023/evaluation").status_code == 404

    own = raptor.get("/api/deals/focus-1999/evaluation", params={"as_of": "2000-06-30"}).json()
    assert list(own["liquidated_damages"]) == ["raptor"]
    ld = raptor.get("/api/deals/focus-1999/investors/raptor/ld", params={"as_of": "2000-06-30"})
    assert ld.status_code == 200 and "raptor" in ld.text
    rows = raptor.get("/api/deals/focus-1999/obligations", params={"as_of": "2000-06-30"}).json()
    assert rows and {party for row in rows for party in row["owed_to"]} == {"raptor"}
    for path in ("/api/deals/focus-1999/investors/roseworth/ld", "/api/deals/lumen-2023/evaluation",
                 "/api/deals/lumen-2023/investors/aurora/ld", "/api/deals/no-such-deal/obligations"):
        refused = raptor.get(path)
        assert_short_refusal(refused, 404)
        assert refused.json() == {"detail": "not found"}  # the same words for hidden and missing

    # known_on: the bundled events were recorded when the server started, so yesterday none was known.
    company = web.client("company:focus-1999")
    yesterday = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).date().isoformat()
    then = company.get("/api/deals/focus-1999/evaluation", params={"as_of": "2000-06-30", "known_on": yesterday})
    assert then.status_code == 200 and then.json()["events_known"] == 0 and then.json()["events_recorded"] >= 5
    assert then.json()["liquidated_damages"] != own["liquidated_damages"]


def test_recording_events_checks_the_token_the_role_and_the_event_and_stores_who_wrote_it(web, cache_dir,
                                                                                         tmp_path):
    deal = "focus-1999"
    url = f"/api/deals/{deal}/events"
    sale = {"type": "shares_sold", "date": "2000-03-01", "investor": "raptor", "shares": 1000,
            "source": "broker confirmation"}
    company = web.client(f"company:{deal}")
    before = head_seq(web, deal)

    assert_short_refusal(company.post(url, json=sale), 403)  # a cookie session without its CSRF token
    assert_short_refusal(company.post(url, json=sale, headers={"X-CSRF-Token": "forged"}), 403)
    assert head_seq(web, deal) == before

    written = company.post(url, json=sale, headers={"X-CSRF-Token": company.csrf})
    assert written.status_code == 201, written.text
    assert written.json() == {"deal": deal, "recorded": 1, "head_seq": before + 1}
    rows = ledger_rows(web, cache_dir, tmp_path, deal)
    assert rows[-1]["recorded_by"] == web.users[f"company:{deal}"].email and rows[-1]["event"]["shares"] == 1000
    assert "recorded_by" not in rows[0]  # the command line's own rows name no web user

    # A bearer token (a script) needs no CSRF token: no browser sends it on its own.
    run = pipedeal_cli(tmp_path, cache_dir)
    counsel = web.users[f"counsel:{deal}"].email
    token = run("users", "token", counsel, "--db", web.db_url).stdout.strip()
    script = http_client(base_url=web.base_url, headers={"Authorization": f"Bearer {token}"})
    notice = {"type": "rs_amended", "date": "2000-02-20", "statement": "primary", "form": "S-3/A"}
    assert script.post(url, json=notice).status_code == 201
    assert ledger_rows(web, cache_dir, tmp_path, deal)[-1]["recorded_by"] == counsel
    assert_short_refusal(http_post(web.base_url + url, json=notice, headers={"Authorization": "Bearer pd_nope"}),
                         401)

    # An investor records its own sale, but not another investor's, nor the company's filings.
    raptor = web.client(f"investor:{deal}:raptor")
    own = raptor.post(url, json={**sale, "shares": 500}, headers={"X-CSRF-Token": raptor.csrf})
    assert own.status_code == 201, own.text
    assert ledger_rows(web, cache_dir, tmp_path, deal)[-1]["recorded_by"] == web.users[f"investor:{deal}:raptor"].email
    middle = head_seq(web, deal)
    for other in ({**sale, "investor": "roseworth"}, {"type": "rs_filed", "date": "2000-02-01",
                                                     "statement": "primary", "form": "S-3"}):
        refused = raptor.post(url, json=other, headers={"X-CSRF-Token": raptor.csrf})
        assert_short_refusal(refused, 403)
        assert "roseworth" not in refused.text
    assert head_seq(web, deal) == middle
    assert_short_refusal(raptor.post("/api/deals/lumen-2023/events", json=sale,
                                     headers={"X-CSRF-Token": raptor.csrf}), 404)

    # An event the CLI would refuse is refused here with the same problems, field by field; nothing written.
    for bad, field in (({**sale, "shares": -5}, "shares"), ({**sale, "date": "2000-02-30"}, "date"),
                       ({**sale, "investor": "nobody"}, "investor"), ({"date": "2000-03-01"}, "type"),
                       ({**sale, "colour": "red"}, "colour")):
        refused = company.post(url, json=bad, headers={"X-CSRF-Token": company.csrf})
        assert_short_refusal(refused, 400)
        assert field in {problem["field"] for problem in refused.json()["problems"]}, refused.json()
    assert head_seq(web, deal) == middle


def test_a_ledger_edited_behind_its_back_blocks_writes_and_reads_as_unverified(web, cache_dir, tmp_path):
    deal = "meridian-2006"
    company = web.client(f"company:{deal}")
    assert company.get(f"/api/deals/{deal}/evaluation").json()["ledger"]["verified"] is True
    engine = create_engine(web.db_url)
    with engine.begin() as connection:  # a row in the middle of the chain, not the head the append checks
        connection.exec_driver_sql("DROP TRIGGER events_no_update" if web.db_url.startswith("sqlite")
                                   else "DROP TRIGGER events_append_only ON events")  # as a tampering DBA does
        deal_id = connection.execute(select(Deal.id).where(Deal.name == deal)).scalar_one()
        payload = connection.execute(select(EventRow.payload).where(EventRow.deal_id == deal_id,
                                                                    EventRow.seq == 5)).scalar_one()
        connection.execute(update(EventRow).where(EventRow.deal_id == deal_id, EventRow.seq == 5)
                           .values(payload=payload.replace("20400.00", "2040.00")))
    engine.dispose()
    before = head_seq(web, deal)
    refused = company.post(f"/api/deals/{deal}/events", headers={"X-CSRF-Token": company.csrf},
                           json={"type": "notice", "sent_at": "2007-01-02T10:00:00-05:00", "method": "email",
                                 "from": "meridian", "to": "harbor-street", "subject": "other"})
    assert_short_refusal(refused, 400)
    assert refused.json()["problems"][0]["code"] == "LEDGER-BROKEN"
    assert head_seq(web, deal) == before
    deadline = time.monotonic() + 15  # the page's "verified" is at most a few seconds stale
    while True:
        evaluation = company.get(f"/api/deals/{deal}/evaluation").json()
        if evaluation["ledger"]["verified"] is False or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert evaluation["ledger"]["verified"] is False and evaluation["ledger_warnings"]


def test_five_wrong_passwords_throttle_that_account_only_and_a_team_still_signs_in(web):
    team = [f"analyst{number}@throttle.test" for number in range(accounts.FAILURES_PER_ACCOUNT + 1)]
    for email in ["victim@throttle.test", "bystander@throttle.test", *team]:
        accounts.add_user(web.db_url, email, "company", PASSWORD, "lumen-2023")
    client = web.client()
    for _ in range(accounts.FAILURES_PER_ACCOUNT):
        assert_short_refusal(client.post("/api/login", json={"email": "victim@throttle.test",
                                                             "password": "guess guess guess"}), 401)
    throttled = client.post("/api/login", json={"email": "victim@throttle.test", "password": PASSWORD})
    assert_short_refusal(throttled, 429)
    assert throttled.headers["retry-after"] == "900"
    assert client.post("/api/login", json={"email": "VICTIM@throttle.test", "password": PASSWORD}).status_code == 429
    assert client.post("/api/login", json={"email": "bystander@throttle.test", "password": PASSWORD}).status_code == 200
    # A team behind one address, each mistyping once before signing in: more mistakes from that address than
    # one account may make, and nobody is locked out (the address's own limit is far higher).
    for email in team:
        assert web.client().post("/api/login", json={"email": email, "password": "typo typo typo"}).status_code == 401
        assert web.client().post("/api/login", json={"email": email, "password": PASSWORD}).status_code == 200


def _chunks(size: int):
    sent = 0
    while sent < size:
        yield b"[" * 65536
        sent += 65536


@pytest.mark.parametrize("path", ["/api/login", "/api/deals/focus-1999/events"])
def test_malformed_requests_get_a_short_4xx_never_a_5xx_or_a_stack_frame(web, path):
    company = web.client("company:focus-1999")
    headers = {"X-CSRF-Token": company.csrf}
    json_type = {**headers, "Content-Type": "application/json"}
    for content, kind, statuses in (
        (b"{", json_type, (422,)),
        (b"[1, 2]", json_type, (422,)),
        (b'"an event"', json_type, (422,)),
        (b"\xff\xfe{}", json_type, (422,)),
        (b"[" * 100_000, json_type, (422,)),  # nested past any recursion limit
        (b'{"email": "a@b.c", "password": "x"}', {**headers, "Content-Type": "text/plain"}, (422,)),
        (b"email=a&password=b", {**headers, "Content-Type": "application/x-www-form-urlencoded"}, (422,)),
        (b"x" * (1024 * 1024 + 1), json_type, (413,)),
    ):
        assert_short_refusal(company.post(path, content=content, headers=kind), *statuses)
    chunked = company.post(path, content=_chunks(2 * 1024 * 1024), headers=json_type)  # no Content-Length
    assert "content-length" not in chunked.request.headers
    assert_short_refusal(chunked, 413)
    # A declared length over the limit is refused before a byte of the body is read.
    host, port = web.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as raw:
        raw.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: 99999999999\r\nX-CSRF-Token: {company.csrf}\r\n\r\n{{}}".encode())
        answer = ""
        while "}" not in answer and (chunk := raw.recv(65536)):
            answer += chunk.decode()
    assert answer.startswith("HTTP/1.1 413"), answer
    assert "frame-ancestors 'none'" in answer and "over 1 MB" in answer


def test_bad_dates_unknown_names_huge_values_and_bad_tokens_are_short_4xx(web):
    company = web.client("company:focus-1999")
    evaluation = "/api/deals/focus-1999/evaluation"
    for params in ({"as_of": "2000-13-01"}, {"as_of": "yesterday"}, {"as_of": "9999-12-31"},
{"known_on": "2000-02-30T25:00"}, {"known_on": "soon"},
                   {"as_of": "2000-01-01" * 4000}, {"known_on": "9" * 8000}):
        assert_short_refusal(company.get(evaluation, params=params), 400, 422)
    assert_short_refusal(company.get(evaluation, params={"as_of": "2000-13-01"}), 400)
    assert_short_refusal(company.get("/api/deals/" + "x" * 6000 + "/obligations"), 422)
    for path in ("/api/deals/no-such-deal/evaluation", "/api/deals/focus-1999/investors/nobody/ld",
                 "/api/deals/focus-1999/investors/%00/ld",
                 "/api/deals/..%2F..%2Fetc/evaluation", "/api/no-such-route"):
        assert_short_refusal(company.get(path), 404)
    assert_short_refusal(company.put(evaluation), 405)
    for authorization in ("Bearer garbage", "Bearer " + "x" * 6000, "Bearer", "Basic YTpi", "Bearer \u00e9t\u00e9"):
        answer = http_get(web.base_url + "/api/deals", headers={"Authorization": authorization.encode()})
        assert_short_refusal(answer, 401)
    assert_short_refusal(http_get(web.base_url + "/api/deals", cookies={"pipedeal_session": "z" * 3000}), 401)


def test_every_kind_of_answer_carries_the_security_headers(web):
    company = web.client("company:focus-1999")
    html = {"Accept": "text/html"}
    answers = [
        http_get(web.base_url + "/login"),  # a page
        company.get("/", headers=html),
        company.get("/api/deals"),  # the API
        company.get("/api/openapi.json"),
        company.get("/static/style.css"),  # a static file
        company.get("/static/no-such.css"),
        company.get("/api/deals/lumen-2023/evaluation"),  # 404, JSON and HTML
        company.get("/deals/lumen-2023", headers=html),
        http_get(web.base_url + "/api/deals"),  # 401
        company.post("/api/deals/focus-1999/events", content=b"x" * (1024 * 1024 + 10),
                     headers={"X-CSRF-Token": company.csrf}),  # 413
        company.post("/api/login", content=b"{", headers={"Content-Type": "application/json"}),  # 422
        company.get("/api/deals/focus-1999/evaluation", params={"as_of": "2000-13-01"}),  # 400
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 200, 200, 404, 404, 404, 401, 413, 422, 400]
    assert answers[4].headers["content-type"].startswith("text/css")
    assert "text/html" in answers[7].headers["content-type"]
    for answer in answers:
        assert_secured(answer)
    accounts.add_user(web.db_url, "locked@headers.test", "counsel", PASSWORD, "focus-1999")
    for _ in range(accounts.FAILURES_PER_ACCOUNT + 1):
        last = web.client().post("/api/login", json={"email": "locked@headers.test", "password": "wrong wrong wrong"})
    assert last.status_code == 429
    assert_secured(last)
