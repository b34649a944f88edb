"""A real workspace server for the web tests: ``pipedeal serve`` in its own process, on a fresh SQLite
file or PostgreSQL database holding the three bundled deals, with one user per role and per investor.

That ledger is built once per test process and database (``pipedeal init`` of each bundled deal, as
``serve --init-bundled`` does, then ``accounts.add_user`` for each user: 16 argon2 hashes, ~2.5 s of
CPU) and each module's server gets a copy of its own: the SQLite file copied, the PostgreSQL database
created from it as a template."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from conftest import built_ledgers, copy_ledger, pipedeal_cli

from pipedeal.deal.terms_file import bundled_deal_names
from pipedeal.interfaces.web import security
from pipedeal.storage import accounts
from pipedeal.storage.workspace import resolve_terms

PASSWORD = "correct horse battery staple"

LOCAL_TLS = ssl.create_default_context()
"""The TLS context of every test client. httpx builds a new one for each client it is not given one,
loading the CA bundle (~25 ms of CPU): over the web tests' 1,000-odd clients and polls, an eighth of the
suite's CPU. The servers speak plain HTTP on 127.0.0.1, so the context is never used for a handshake."""


def http_get(url: str, **options) -> httpx.Response:
    return httpx.get(url, verify=LOCAL_TLS, **options)


def http_post(url: str, **options) -> httpx.Response:
    return httpx.post(url, verify=LOCAL_TLS, **options)


def http_client(**options) -> httpx.Client:
    return httpx.Client(verify=LOCAL_TLS, **options)


@dataclass
class User:
    email: str
    role: str
    deal: str | None = None
    investor: str | None = None


@dataclass
class WebServer:
    """A running workspace: its address, ledger, users and the bundled deals' terms."""

    base_url: str
    db_url: str
    process: subprocess.Popen
    log: Path
    users: dict[str, User] = field(default_factory=dict)
    terms: dict = field(default_factory=dict)

    def client(self, user: str | None = None, *, sign_in: bool = False) -> httpx.Client:
        """An HTTP client as ``users[user]`` (a session cookie; ``client.csrf`` its token). ``sign_in`` goes
        through POST /api/login; else the session is opened in the server's database as the sign-in opens it
        once the password is checked (``accounts.open_session``): the tests of signing in sign in, and every
        other test saves the argon2 check (~0.16 s of CPU each, a tenth of the web tests' time)."""
        client = http_client(base_url=self.base_url, timeout=60, follow_redirects=False)
        client.csrf = None  # type: ignore[attr-defined]
        if user is None:
            return client
        if sign_in:
            answer = client.post("/api/login", json={"email": self.users[user].email, "password": PASSWORD})
            assert answer.status_code == 200, answer.text
            client.csrf = answer.json()["csrf_token"]  # type: ignore[attr-defined]
            return client
        from sqlalchemy import select

        from pipedeal.storage import database
        from pipedeal.storage.models import User as UserRow

        with database.transaction(self.db_url, write=True) as connection:
            user_id = connection.execute(select(UserRow.id).where(UserRow.email == self.users[user].email)).scalar_one()
            token, client.csrf = accounts.open_session(connection, user_id, accounts._now())  # type: ignore[attr-defined]
        client.cookies.set(security.SESSION_COOKIE, token)
        return client

    def investor_users(self) -> list[User]:
        return [user for user in self.users.values() if user.role == "investor"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _users() -> dict[str, User]:
    users = {"admin": User("admin@pipedeal.test", "admin")}
    for deal in bundled_deal_names():
        terms = resolve_terms(deal)[0]
        users[f"company:{deal}"] = User(f"cfo@{deal}.test", "company", deal)
        users[f"counsel:{deal}"] = User(f"counsel@{deal}.test", "counsel", deal)
        for investor in terms.investors:
            users[f"investor:{deal}:{investor.id}"] = User(f"ops-{investor.id}@{deal}.test", "investor", deal,
                                                            investor.id)
    return users


def start_server(db_url: str, workdir: Path, cache_dir: Path, workers: int = 1) -> WebServer:
    """``pipedeal serve --init-bundled`` on ``db_url`` (a copy of ``ledger_templates``': its deals and users
    are there, so it initialises nothing), once it answers."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "PIPEDEAL_DB"}
    env["PIPEDEAL_CACHE_DIR"] = str(cache_dir)
    log = workdir / "serve.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "pipedeal.interfaces.cli", "serve", "--db", db_url, "--port", str(port),
         "--init-bundled", "--workers", str(workers)], cwd=workdir, env=env, stdout=log.open("w"),
        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = WebServer(f"http://127.0.0.1:{port}", db_url, process, log)
    deadline = time.monotonic() + 180
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"pipedeal serve stopped: {log.read_text()}")
        try:
            if http_get(server.base_url + "/login", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"pipedeal serve did not answer: {log.read_text()}")
        time.sleep(0.1)
    server.users = _users()
    server.terms = {deal: resolve_terms(deal)[0] for deal in bundled_deal_names()}
    return server


def stop_server(server: WebServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()


def build_ledger(db_url: str, workdir: Path, cache_dir: Path) -> None:
    """The web tests' ledger: the bundled deals recorded by ``pipedeal init`` (as ``serve --init-bundled``
    records them) and every user of ``_users()``, with ``PASSWORD``."""
    from pipedeal.storage import database

    run = pipedeal_cli(workdir, cache_dir)
    for deal in bundled_deal_names():
        run("init", "--deal", deal, "--db", db_url)
    kept = database._keep_engines
    database._keep_engines = False  # no pooled connection may outlive the build (a template is copied)
    try:
        for user in _users().values():
            accounts.add_user(db_url, user.email, user.role, PASSWORD, user.deal, user.investor)
    finally:
        database._keep_engines = kept


@pytest.fixture(scope="session")
def ledger_templates(tmp_path_factory, cache_dir) -> Iterator[Callable[[str], str]]:
    """Per database, the URL of the built ledger that the servers copy, built when first asked for."""
    yield from built_ledgers(tmp_path_factory, "ledger", lambda url, workdir: build_ledger(url, workdir, cache_dir))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def web(request, tmp_path_factory, ledger_templates, cache_dir) -> Iterator[WebServer]:
    """The workspace server, once per test module on each database, on a ledger of its own."""
    workdir = tmp_path_factory.mktemp(f"web-{request.param}")
    ledgers = copy_ledger(ledger_templates(request.param), workdir)
    server = start_server(next(ledgers), workdir, cache_dir)
    try:
        yield server
    finally:
        stop_server(server)
        ledgers.close()
