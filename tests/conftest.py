"""Shared fixtures: a fresh SQLite file and a fresh PostgreSQL schema per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
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
    conninfo = base.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        admin = psycopg.connect(conninfo, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL at {base.render_as_string(hide_password=True)} unreachable: {exc}"
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    schema = f"pipedeal_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
                hide_password=False
            )
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


def pipedeal_cli(cwd: Path, cache_dir: Path):
    """Run the installed CLI as a user does: a fresh process in ``cwd``, no $PIPEDEAL_DB,
    a wide terminal; a user's mistake must never show a traceback."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PIPEDEAL_DB"}
    env["PIPEDEAL_CACHE_DIR"] = str(cache_dir)
    env["COLUMNS"] = "200"

    def run(*args: str, expect: int = 0) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "pipedeal.interfaces.cli", *args], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=180)
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode == expect, (done.stdout, done.stderr)
        return done

    run.cwd = cwd
    return run


# The CLI tests' shared fixtures: a cache directory per module, the CLI run in the test's own
# folder, and a ledger on each database.
@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def pipedeal(tmp_path, cache_dir):
    return pipedeal_cli(tmp_path, cache_dir)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return request.getfixturevalue("postgres_url")
