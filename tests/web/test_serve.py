"""``pipedeal serve`` and ``pipedeal users`` as an operator meets them: refusing to start on no ledger
without a terminal to ask on, initialising the bundled deals when told to, never asking when a ledger
exists, stopping cleanly on SIGTERM (one worker or several), and refusing bad users in one line."""

from __future__ import annotations

import json
import os
import pty
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from conftest import pipedeal_cli
from scenario import FOCUS_LOG

from pipedeal.storage import accounts
from tests.web.conftest import PASSWORD, http_get, http_post


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(tmp_path: Path, cache_dir: Path, *args: str, stdin=subprocess.DEVNULL) -> tuple[subprocess.Popen, Path]:
    env = {k: v for k, v in os.environ.items() if k != "PIPEDEAL_DB"}
    env["PIPEDEAL_CACHE_DIR"] = str(cache_dir)
    log = tmp_path / f"serve-{time.monotonic_ns()}.log"
    process = subprocess.Popen([sys.executable, "-m", "pipedeal.interfaces.cli", "serve", *args], cwd=tmp_path,
                               env=env, stdin=stdin, stdout=log.open("w"), stderr=subprocess.STDOUT)
    return process, log


def _answers(process: subprocess.Popen, log: Path, url: str) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if http_get(url + "/login", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"pipedeal serve did not answer: {log.read_text()}")


def _stops_cleanly(process: subprocess.Popen, log: Path) -> None:
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0, log.read_text()
    assert time.monotonic() - started < 10
    assert "Traceback" not in log.read_text()


def test_serve_refuses_no_ledger_without_a_terminal_initialises_when_told_and_never_asks_again(db, tmp_path,
                                                                                              cache_dir):
    refused, log = _serve(tmp_path, cache_dir, "--db", db, "--port", str(_port()))
    assert refused.wait(timeout=120) == 2
    said = log.read_text()
    assert "holds no deal yet" in said and "--init-bundled" in said and "Traceback" not in said, said

    port = _port()
    first, log = _serve(tmp_path, cache_dir, "--db", db, "--port", str(port), "--init-bundled")
    _answers(first, log, f"http://127.0.0.1:{port}")
    _stops_cleanly(first, log)
    run = pipedeal_cli(tmp_path, cache_dir)
    assert len(json.loads(run("events", "list", "--deal", "focus-1999", "--db", db, "--json").stdout)) == FOCUS_LOG

    # On a terminal, with the ledger there, it starts at once: no question, two workers, a clean stop.
    # Behind a TLS-terminating load balancer (trusted by its address), the session cookie is Secure.
    accounts.add_user(db, "cfo@focus.test", "company", PASSWORD, "focus-1999")
    controller, terminal = pty.openpty()
    port = _port()
    again, log = _serve(tmp_path, cache_dir, "--db", db, "--port", str(port), "--workers", "2",
                        "--forwarded-allow-ips", "127.0.0.1", stdin=terminal)
    os.close(terminal)
    try:
        _answers(again, log, f"http://127.0.0.1:{port}")
        assert "Initialise" not in log.read_text() and "[Y/n]" not in log.read_text()
        credentials = {"email": "cfo@focus.test", "password": PASSWORD}
        behind = http_post(f"http://127.0.0.1:{port}/api/login", json=credentials,
                            headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"})
        assert behind.status_code == 200 and "secure" in behind.headers["set-cookie"].lower()
        direct = http_post(f"http://127.0.0.1:{port}/api/login", json=credentials)
        assert direct.status_code == 200 and "secure" not in direct.headers["set-cookie"].lower()
        _stops_cleanly(again, log)
    finally:
        os.close(controller)
        if again.poll() is None:
            again.kill()


def test_users_add_refuses_bad_users_in_one_line_and_writes_nothing(db, tmp_path, cache_dir):
    run = pipedeal_cli(tmp_path, cache_dir)
    run("init", "--db", db)

    def add(*args: str, password: str = PASSWORD, expect: int = 0) -> subprocess.CompletedProcess:
        return run("users", "add", *args, "--db", db, "--password-stdin", input=password + "\n", expect=expect)

    assert add("cfo@focus.test", "--role", "company", "--deal", "focus-1999").returncode == 0
    before = run("users", "list", "--db", db, "--json").stdout
    for args, password, words in (
        (("short@focus.test", "--role", "company", "--deal", "focus-1999"), "too short", "at least 12"),
        (("who@focus.test", "--role", "company", "--deal", "no-such-deal"), PASSWORD, "no-such-deal"),
        (("who@focus.test", "--role", "investor", "--deal", "focus-1999", "--investor", "nobody"), PASSWORD,
         "nobody"),
        (("who@focus.test", "--role", "investor", "--deal", "focus-1999"), PASSWORD, "--investor"),
        (("CFO@focus.test", "--role", "counsel", "--deal", "focus-1999"), PASSWORD, "already a user"),
        (("not-an-email", "--role", "admin"), PASSWORD, "not an email address"),
        (("who@focus.test", "--role", "admin", "--deal", "focus-1999"), PASSWORD, "every deal"),
    ):
        done = add(*args, password=password, expect=2)
        problems = [line for line in done.stderr.splitlines() if line.startswith("  ")]
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr and len(problems) == 1 and words in problems[0], done.stderr
    assert run("users", "list", "--db", db, "--json").stdout == before
    missing = run("users", "token", "nobody@focus.test", "--db", db, expect=2)
    assert "no user" in missing.stderr
