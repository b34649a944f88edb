"""A real workspace server for the web tests: ``pipedeal serve`` in its own process, on a fresh SQLite
file or PostgreSQL schema holding the three bundled deals, with one user per role and per investor."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from conftest import postgres_schema

from pipedeal.deal.terms_file import bundled_deal_names
from pipedeal.storage import accounts
from pipedeal.storage.workspace import resolve_terms

PASSWORD = "correct horse battery staple"


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

    def client(self, user: str | None = None) -> httpx.Client:
        """An HTTP client, signed in as ``users[user]`` (a session cookie; ``client.csrf`` its token)."""
        client = httpx.Client(base_url=self.base_url, timeout=60, follow_redirects=False)
        client.csrf = None  # type: ignore[attr-defined]
        if user is not None:
            answer = client.post("/api/login", json={"email": self.users[user].email, "password": PASSWORD})
            assert answer.status_code == 200, answer.text
            client.csrf = answer.json()["csrf_token"]  # type: ignore[attr-defined]
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
            if httpx.get(server.base_url + "/login", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"pipedeal serve did not answer: {log.read_text()}")
        time.sleep(0.2)
    server.users = _users()
    for user in server.users.values():
        accounts.add_user(db_url, user.email, user.role, PASSWORD, user.deal, user.investor)
    server.terms = {deal: resolve_terms(deal)[0] for deal in bundled_deal_names()}
    return server


def stop_server(server: WebServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def web(request, tmp_path_factory) -> Iterator[WebServer]:
    """The workspace server, once per test module on each database."""
    workdir = tmp_path_factory.mktemp(f"web-{request.param}")
    cache_dir = tmp_path_factory.mktemp("cache")
    if request.param == "sqlite":
        schemas: Iterator[str] | None = None
        url = f"sqlite:///{workdir / 'ledger.db'}"
    else:
        schemas = postgres_schema()
        url = next(schemas)
    server = start_server(url, workdir, cache_dir)
    try:
        yield server
    finally:
        stop_server(server)
        if schemas is not None:
            schemas.close()
