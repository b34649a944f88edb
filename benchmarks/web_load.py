"""Load the web workspace: 50 concurrent clients on 127.0.0.1 against `pipedeal serve` on PostgreSQL.

    python benchmarks/web_load.py [--clients 50] [--seconds 20] [--workers 1] [--postgres URL]
                                  [--as-user company|investor] [--profile FILE] [--src DIR]

The server: ``pipedeal serve --db URL --init-bundled --workers N`` in a process of its own, on a new
schema of the PostgreSQL database (``--postgres``, default the test server's ``test`` database),
dropped afterwards; the three bundled deals; one user (the FOCUS company, or ``--as-user investor``:
Raptor, whose every page is cut to its own) signed in once, its session cookie shared by every client
(a session is one row whatever the number of tabs). The load: ``--clients`` asyncio tasks, each with
its own HTTP/1.1 keep-alive connection (httpx), each looping over the four requests below in turn,
for ``--seconds`` after a 3 s warm-up (the evaluations cached, the connections open):

- ``GET /login``: the trivial page of the same server (a template, no database): the reference;
- ``GET /``: the dashboard (every obligation the user may see across its deals);
- ``GET /deals/focus-1999``: a deal page;
- ``GET /api/deals/focus-1999/evaluation``: the evaluation JSON.

Printed for each: requests, requests/s, p50 / p95 / p99 latency and each over the trivial page's
(pair by pair in one run: the same clients, the same moments of the shared machine), and the errors
(any status but 200, any exception: must be 0); then the CPU time the server's processes and the
client spent per request over the measured window (what other loads on the machine change least).
The client runs on the same 2 cores as the server, so the absolute figures include its own cost; the
ratios are what compares across runs.
``--profile FILE`` runs the server under cProfile (one worker) and writes its stats there on stop (the
main thread only: the sync endpoints' threads are not in it). ``--src DIR`` runs the server from another
tree's ``src`` (e.g. ``git archive <commit> src | tar -x -C /tmp/before``): a before/after, run back to back.

Target (issue 10): p95 <= 100 ms for each of the three pages; no error.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
if importlib.util.find_spec("pipedeal") is None:
    sys.path.insert(0, str(SRC))

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import schema_url  # noqa: E402

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "a benchmark password"
TARGET_P95_MS = 100.0
PAGES = {"trivial (/login)": "/login", "dashboard (/)": "/", "deal page": "/deals/focus-1999",
         "evaluation JSON": "/api/deals/focus-1999/evaluation"}
REFERENCE = "trivial (/login)"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(url: str, port: int, workers: int, workdir: Path, profile: str | None,
                 src: Path = SRC) -> subprocess.Popen:
    import httpx

    env = {k: v for k, v in os.environ.items() if k != "PIPEDEAL_DB"}
    env["PYTHONPATH"] = os.pathsep.join([str(src), *filter(None, [env.get("PYTHONPATH")])])
    command = [sys.executable, "-m", "pipedeal.interfaces.cli"]
    if profile:
        command = [sys.executable, "-m", "cProfile", "-o", profile, "-m", "pipedeal.interfaces.cli"]
    log = (workdir / "serve.log").open("w")
    process = subprocess.Popen([*command, "serve", "--db", url, "--port", str(port), "--workers", str(workers),
                                "--init-bundled"], cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=log,
                               stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"pipedeal serve stopped:\n{(workdir / 'serve.log').read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.kill()
    raise SystemExit("pipedeal serve did not answer")


def spare_the_client() -> None:
    """httpcore asks which async library runs it by ``import sniffio`` on every lock and request; without
    sniffio installed (anyio no longer needs it) each ask is a failed import, a search of the whole
    sys.path: some 4 per request, half a millisecond of this client's CPU on the cores the server shares.
    ``None`` in sys.modules makes that import fail at once, with the same answer (asyncio)."""
    if importlib.util.find_spec("sniffio") is None:
        sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]


async def client_loop(base: str, cookies: dict[str, str], until: float, warm_until: float,
                      latencies: dict[str, list[float]], errors: list[str], offset: int) -> None:
    import httpx

    names = list(PAGES)
    # The session cookie as a header, not through httpx's cookie jar (urllib's cookie policy run on every
    # request, for one cookie that never changes); the /login form's own cookie is dropped as it comes:
    # GET /login does not read it. The same requests reach the server, for less of the shared CPU.
    session = "; ".join(f"{name}={value}" for name, value in cookies.items())
    async with httpx.AsyncClient(base_url=base, headers={"cookie": session}, timeout=30,
                                 limits=httpx.Limits(max_connections=1)) as client:
        turn = offset
        while True:
            now = time.perf_counter()
            if now >= until:
                return
            name = names[turn % len(names)]
            turn += 1
            started = time.perf_counter()
            try:
                answer = await client.get(PAGES[name])
                client.cookies.clear()
                ok = answer.status_code == 200
                why = f"{name}: {answer.status_code}"
            except httpx.HTTPError as exc:
                ok, why = False, f"{name}: {type(exc).__name__}"
            elapsed = time.perf_counter() - started
            if started >= warm_until:
                if ok:
                    latencies[name].append(elapsed)
                else:
                    errors.append(why)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def cpu_seconds(server: int) -> tuple[float, float]:
    """CPU time (user + system) used so far by the server (its process and its workers) and by this client."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if entry.name == str(server) or fields[1] == str(server):  # the server, or one of its workers
            used += int(fields[11]) + int(fields[12])
    return used / ticks, time.process_time()


async def drive(base: str, cookies: dict[str, str], clients: int, seconds: float, server: int
                ) -> tuple[dict[str, list[float]], list[str], float, tuple[float, float]]:
    latencies: dict[str, list[float]] = {name: [] for name in PAGES}
    errors: list[str] = []
    start = time.perf_counter()
    warm_until = start + 3.0
    until = warm_until + seconds
    spent: list[tuple[float, float]] = []

    async def meter() -> None:  # CPU used over the measured window only (not the warm-up)
        await asyncio.sleep(warm_until - time.perf_counter())
        spent.append(cpu_seconds(server))
        await asyncio.sleep(until - time.perf_counter())
        spent.append(cpu_seconds(server))

    await asyncio.gather(meter(), *(client_loop(base, cookies, until, warm_until, latencies, errors, number)
                                    for number in range(clients)))
    cpu = (spent[1][0] - spent[0][0], spent[1][1] - spent[0][1])
    return latencies, errors, time.perf_counter() - warm_until, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--postgres", default=POSTGRES_URL)
    parser.add_argument("--as-user", choices=("company", "investor"), default="company")
    parser.add_argument("--profile", help="run the server under cProfile (one worker); its stats go to this file")
    parser.add_argument("--src", type=Path, default=SRC, help="run the server from this tree's src (a before/after)")
    args = parser.parse_args()

    import httpx
    import psycopg

    from pipedeal.storage import accounts

    url, schema, conninfo = schema_url(args.postgres)
    with psycopg.connect(conninfo, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = None
    try:
        with tempfile.TemporaryDirectory() as workdir:
            process = start_server(url, port, 1 if args.profile else args.workers, Path(workdir), args.profile,
                                   args.src.resolve())
            if args.as_user == "company":
                accounts.add_user(url, "cfo@focus.bench", "company", PASSWORD, "focus-1999")
                email = "cfo@focus.bench"
            else:
                accounts.add_user(url, "ops@raptor.bench", "investor", PASSWORD, "focus-1999", "raptor")
                email = "ops@raptor.bench"
            signed = httpx.post(base + "/api/login", json={"email": email, "password": PASSWORD})
            signed.raise_for_status()
            cookies = dict(signed.cookies)
            load_before = os.getloadavg()[0]
            spare_the_client()
            latencies, errors, elapsed, cpu = asyncio.run(drive(base, cookies, args.clients, args.seconds,
                                                               process.pid))
            load_after = os.getloadavg()[0]
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
            served_log = (Path(workdir) / "serve.log").read_text()
    finally:
        if process is not None and process.poll() is None:
            process.kill()
        with psycopg.connect(conninfo, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')

    print(f"web_load: {os.cpu_count()} CPUs; pipedeal serve --workers {args.workers} on PostgreSQL, from "
          f"{args.src}; "
          f"{args.clients} clients as the {args.as_user} user for {args.seconds:.0f} s (after a 3 s warm-up); "
          f"load average {load_before:.2f} -> {load_after:.2f}")
    reference = latencies[REFERENCE]
    ref50, ref95 = (percentile(reference, 0.50), percentile(reference, 0.95)) if reference else (0, 0)
    print(f"{'request':<20} {'n':>6} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'p50 x':>6} {'p95 x':>6}  target")
    met = True
    for name, values in latencies.items():
        if not values:
            print(f"{name:<20} no successful request")
            met = False
            continue
        p50, p95, p99 = (percentile(values, q) * 1000 for q in (0.50, 0.95, 0.99))
        ok = name == REFERENCE or p95 <= TARGET_P95_MS
        met = met and ok
        print(f"{name:<20} {len(values):>6} {len(values) / elapsed:>7.1f} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} "
              f"{p50 / (ref50 * 1000):>6.2f} {p95 / (ref95 * 1000):>6.2f}  "
              f"{'-' if name == REFERENCE else ('ok' if ok else 'MISSED')} (p95 <= {TARGET_P95_MS:.0f} ms)")
    total = sum(len(values) for values in latencies.values())
    print(f"all: {total} requests, {total / elapsed:.1f}/s; mean latency "
          f"{statistics.fmean(v for values in latencies.values() for v in values) * 1000:.1f} ms; "
          f"errors: {len(errors)}" + (f" (first: {errors[:5]})" if errors else ""))
    print(f"CPU per request (all pages, the measured window): server {cpu[0] / total * 1000:.2f} ms, "
          f"this client {cpu[1] / total * 1000:.2f} ms (the database's own is not counted)")
    if "Traceback" in served_log:
        print("the server logged an internal error:\n" + served_log[-3000:])
    if errors or not met:
        sys.exit(1)


if __name__ == "__main__":
    main()
