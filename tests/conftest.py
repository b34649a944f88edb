"""Shared fixtures: a fresh SQLite file and a fresh PostgreSQL schema per test."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

# The CLI tests run pipedeal in fresh processes whose working directory is a temporary one: they
# must import this checkout's pipedeal, as the tests do, even when PYTHONPATH is relative
# (``PYTHONPATH=src`` in a worktree; the venv's editable install may point at another checkout).
SRC = Path(__file__).resolve().parents[1] / "src"
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(SRC), *(str(Path(part).resolve()) for part in os.environ.get("PYTHONPATH", "").split(os.pathsep) if part)])

POSTGRES_URL = os.environ.get(
    "PIPEDEAL_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "pipedeal.db"


@pytest.fixture
def sqlite_url(sqlite_path: Path) -> str:
    """A SQLite database file of its own (not created until used)."""
    return f"sqlite:///{sqlite_path}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose connections see only a new, empty schema, dropped after the test.

    The schema is chosen with ``options=-csearch_path=...``, so tables,
    triggers and functions created through the URL land in it and tests never
    see each other. No server: skip locally, fail in CI (``CI=true``).
    """
    yield from postgres_schema()


def postgres_schema() -> Iterator[str]:
    """``postgres_url``'s schema, for fixtures of any scope."""
    base = make_url(POSTGRES_URL)
    admin = _postgres_admin()
    schema = f"pipedeal_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
                hide_password=False
            )
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


def postgres_database(template: str | None = None) -> Iterator[str]:
    """The URL of a new database of its own, dropped after use; ``template``: a copy of that database
    (``CREATE DATABASE ... TEMPLATE``, a file copy: ~0.1 s for a workspace holding the bundled deals),
    which no one may be connected to meanwhile. For fixtures of any scope."""
    base = make_url(POSTGRES_URL)
    admin = _postgres_admin()
    name = f"pipedeal_test_{uuid.uuid4().hex[:12]}"
    with admin:
        copy = f' TEMPLATE "{make_url(template).database}"' if template else ""
        admin.execute(f'CREATE DATABASE "{name}"{copy}')
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def _postgres_admin() -> psycopg.Connection:
    """An autocommit connection to the test server's database; no server: skip locally, fail in CI."""
    base = make_url(POSTGRES_URL)
    conninfo = base.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        return psycopg.connect(conninfo, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL at {base.render_as_string(hide_password=True)} unreachable: {exc}"
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)


def pipedeal_cli(cwd: Path, cache_dir: Path, *, process: bool | None = None):
    """Run the CLI as a user does: in ``cwd``, no $PIPEDEAL_DB, a wide terminal; a user's mistake must
    never show a traceback.

    By default the CLI's ``main()`` runs in this process (``cli_in_process``: the same code, its
    standard streams captured, its exit status from ``sys.exit``), which spares the ~0.4 s of CPU a
    fresh interpreter costs to import typer, rich, pydantic and SQLAlchemy. ``process=True`` (or
    ``PIPEDEAL_TEST_CLI=process`` for the whole suite) runs ``python -m pipedeal.interfaces.cli`` in a
    fresh process instead; tests about the process itself use that (test_cli_files, test_serve,
    test_progress, test_cli_process)."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PIPEDEAL_DB"}
    env["PIPEDEAL_CACHE_DIR"] = str(cache_dir)
    env["COLUMNS"] = "200"
    fresh = process if process is not None else os.environ.get("PIPEDEAL_TEST_CLI") == "process"

    def run(*args: str, expect: int = 0, input: str = "") -> subprocess.CompletedProcess:
        if fresh:
            done = subprocess.run([sys.executable, "-m", "pipedeal.interfaces.cli", *args], cwd=cwd, env=env,
                                  input=input, capture_output=True, text=True, timeout=180)
        else:
            done = cli_in_process(list(args), cwd, env, input)
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode == expect, (done.stdout, done.stderr)
        return done

    run.cwd = cwd
    return run


def cli_in_process(args: list[str], cwd: Path, env: dict[str, str], input: str = ""):
    """``python -m pipedeal.interfaces.cli ARGS`` in ``cwd`` with ``env``, run by this process: ``main()``
    with ``sys.argv``, the environment, the working directory and the standard streams (stdin ``input``,
    not a terminal, as in a pipe) set as a fresh process would have them, then put back. The state a
    fresh process starts without is reset: the CLI's consoles (built from $COLUMNS at import), the
    database module's kept engines (a web ``Workspace`` built in this process keeps them), Python's
    default warning filters and logging's last-resort handler (both print to stderr). What is left is
    what a fresh process would rebuild identically: the imported modules and caches keyed by content."""
    import io
    import logging
    import subprocess
    import sys
    import traceback
    import types
    import warnings

    from pipedeal.interfaces import cli
    from pipedeal.storage import database

    stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    stderr = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    saved_streams = sys.stdin, sys.stdout, sys.stderr, sys.argv, sys.modules["__main__"]
    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    saved_cli = cli.out, cli.err, list(cli._human_lines)
    saved_db = database._keep_engines, database._CURRENT
    root = logging.getLogger()
    saved_logging = root.handlers[:], root.level, logging.root.manager.disable
    code: int | str | None = 0
    try:
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        sys.stdin, sys.stdout, sys.stderr = io.StringIO(input), stdout, stderr
        # As ``python -m pipedeal.interfaces.cli``: click names the program after them ("python -m ...").
        sys.argv = [cli.__file__, *args]
        sys.modules["__main__"] = types.ModuleType("__main__")
        sys.modules["__main__"].__package__ = "pipedeal.interfaces"
        cli.out, cli.err = cli._console(), cli._console(stderr=True)
        cli._human_lines[:] = [cli.out]
        database._keep_engines, database._CURRENT = False, set()
        root.handlers, root.level = [], logging.WARNING
        logging.disable(logging.NOTSET)
        with warnings.catch_warnings():
            warnings.resetwarnings()
            for action, category in (("ignore", DeprecationWarning), ("ignore", PendingDeprecationWarning),
                                     ("ignore", ImportWarning), ("ignore", ResourceWarning)):
                warnings.simplefilter(action, category)
            try:
                cli.main()
            except SystemExit as exit_:
                code = exit_.code
            except BaseException:  # what a fresh process would print on its way out
                traceback.print_exc(file=stderr)
                code = 1
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        sys.stdin, sys.stdout, sys.stderr, sys.argv, sys.modules["__main__"] = saved_streams
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        cli.out, cli.err, cli._human_lines[:] = saved_cli
        database._keep_engines, database._CURRENT = saved_db
        root.handlers, root.level = saved_logging[0], saved_logging[1]
        logging.disable(saved_logging[2])
    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"): printed to stderr, status 1
        print(code, file=stderr)
        code = 1

    def text(stream: io.TextIOWrapper) -> str:
        return stream.buffer.getvalue().decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # text=True

    return subprocess.CompletedProcess(["pipedeal", *args], code, text(stdout), text(stderr))


# The CLI tests' shared fixtures: a cache directory per test process, the CLI run in the test's own
# folder, and a ledger on each database.
@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    """The user's cache directory (the XNAS sessions, the holidays, parsed terms) for every CLI run and web
    server of this test process, as a user's machine has one: each new directory rebuilds them from
    exchange_calendars and holidays (~0.1 s in a warm process, ~0.8 s in a fresh server). The tests of
    the cache itself give their own directories."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def pipedeal(tmp_path, cache_dir):
    return pipedeal_cli(tmp_path, cache_dir)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return request.getfixturevalue("postgres_url")


def built_ledgers(tmp_path_factory, name: str, build: Callable[[str, Path], None]) -> Iterator[Callable[[str], str]]:
    """For a session fixture to ``yield from``: per database, the URL of a ledger that ``build(url, workdir)``
    fills, built when first asked for (a SQLite file, or a PostgreSQL database dropped at the end), for the
    tests to copy (``copy_ledger``)."""
    built: dict[str, str] = {}
    closing: list[Iterator[str]] = []

    def template(backend: str) -> str:
        if backend not in built:
            workdir = tmp_path_factory.mktemp(f"{name}-{backend}")
            if backend == "sqlite":
                url = f"sqlite:///{workdir / 'ledger.db'}"
            else:
                databases = postgres_database()
                url = next(databases)
                closing.append(databases)
            build(url, workdir)
            built[backend] = url
        return built[backend]

    yield template
    for databases in closing:
        databases.close()


@pytest.fixture(scope="session")
def focus_templates(tmp_path_factory, cache_dir) -> Iterator[Callable[[str], str]]:
    """Per database, a ledger that ``pipedeal init`` filled with the bundled FOCUS deal (terms, quotes and log),
    built once per test process: ``focus_db`` hands each test a copy."""
    yield from built_ledgers(tmp_path_factory, "focus",
                             lambda url, workdir: pipedeal_cli(workdir, cache_dir)("init", "--db", url))


@pytest.fixture(params=["sqlite", "postgresql"])
def focus_db(request, tmp_path, focus_templates) -> Iterator[str]:
    """A ledger of the test's own holding what ``pipedeal init`` records for the bundled FOCUS deal (a copy of
    ``focus_templates``', ~0.1 s, instead of an init each, ~0.5 s): for the tests of what comes after init."""
    ledgers = copy_ledger(focus_templates(request.param), tmp_path)
    yield next(ledgers)
    ledgers.close()


def copy_ledger(template: str, into: Path) -> Iterator[str]:
    """A copy of the ledger at ``template`` of its own (the SQLite file copied into ``into``), dropped after."""
    if template.startswith("sqlite"):
        path = into / "ledger.db"
        with sqlite3.connect(template.removeprefix("sqlite:///")) as source, sqlite3.connect(path) as target:
            source.backup(target)
        source.close()
        target.close()
        yield f"sqlite:///{path}"
    else:
        yield from postgres_database(template)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The web tests first, then the files with the most tests: scripts/test hands whole files to the xdist
    workers in this order (``--dist loadfile --no-loadscope-reorder``: each module's server starts once, not
    once per worker), and the web files are the longest; started last, one of them would run alone at the end
    while the other worker idles. (xdist's own order, by number of tests alone, put them last.)"""
    tests_in: dict[Path, int] = {}
    for item in items:
        tests_in[item.path] = tests_in.get(item.path, 0) + 1
    items.sort(key=lambda item: ("web" not in item.path.parent.name, -tests_in[item.path], str(item.path)))
