"""Connections to a workspace database: URL, transactions, migrations, friendly errors.

SQLite and PostgreSQL differ in how a writer shuts others out: SQLite takes
the database write lock at ``BEGIN IMMEDIATE`` (so two appenders cannot both
read the same chain head), PostgreSQL locks the deal's row. Every database
failure a user can cause (no server, no workspace, a locked file) becomes an
``InputError`` with a Diagnostic, never a driver traceback.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import NullPool

from pipedeal.base.diagnostics import Diagnostic, InputError
from pipedeal.storage.models import SCHEMA_REVISION, VERSION_TABLE, Deal

ENV_VAR = "PIPEDEAL_DB"
DEFAULT_URL = "sqlite:///pipedeal.db"
MIGRATIONS = Path(__file__).parent / "migrations"
INIT_HINT = "run `pipedeal init` first"

# The drivers this package installs; a bare postgres:// or postgresql:// means psycopg 3.
_DRIVERS = {"sqlite": "sqlite", "sqlite+pysqlite": "sqlite", "postgres": "postgresql+psycopg",
            "postgresql": "postgresql+psycopg", "postgresql+psycopg": "postgresql+psycopg"}
_URL_HINT = "use sqlite:///FILE or postgresql+psycopg://USER@HOST:PORT/DATABASE"
_WRITE = "pipedeal_write"  # execution option: this transaction will write
_SQLITE_BUSY_SECONDS = 30
_INIT_LOCK = 0x70697065  # PostgreSQL advisory lock serialising concurrent `init`s


def resolve_url(url: str | None) -> str:
    """The database URL: the explicit one, else ``$PIPEDEAL_DB``, else ./pipedeal.db."""
    return _resolved(url or os.environ.get(ENV_VAR) or DEFAULT_URL)


@lru_cache(maxsize=64)
def _resolved(chosen: str) -> str:
    # Cached: every transaction of the web workspace resolves the same URL again (a refused URL raises,
    # and an exception is never cached).
    try:
        parsed = make_url(chosen)
    except ArgumentError:
        raise InputError([Diagnostic("DB-URL", f"not a database URL: {_URL_HINT}")]) from None
    driver = _DRIVERS.get(parsed.drivername)
    if driver is None:
        raise InputError([_db_problem(
            "DB-URL", f"{parsed.drivername!r} is not supported: {_URL_HINT}",
            parsed.render_as_string(hide_password=True))])
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def shown(url: str) -> str:
    """The URL fit for a message: no password."""
    return make_url(url).render_as_string(hide_password=True)


def _db_problem(code: str, message: str, url: str) -> Diagnostic:
    """A problem located at the database: its URL (password hidden) stands for the file."""
    return Diagnostic(code, message, file=url)


@lru_cache(maxsize=64)
def _backend(url: str) -> str:
    return make_url(url).get_backend_name()


@lru_cache(maxsize=64)
def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


@contextmanager
def transaction(url: str | None, *, write: bool, create: bool = False,
                one_statement: bool = False) -> Iterator[Connection]:
    """One transaction on the workspace at ``url``, committed if the block succeeds.

    Unless ``create`` (only ``init`` creates a workspace), the database must
    exist and be migrated to the current revision. Each call has its own
    engine, disposed at the end: a CLI command makes one call, and a held pool
    would keep SQLite files open.

    ``one_statement``: a read of a single statement, atomic on its own. On PostgreSQL it runs
    without BEGIN and COMMIT (autocommit): two round trips fewer, which is most of the cost of a
    lookup the web workspace makes on every request (benchmarks/web_load.py). Its connections are
    an engine's of their own, in autocommit from the start (switching a pooled connection to
    autocommit and back costs as much CPU as the rest of such a lookup).
    """
    if one_statement and write:
        raise ValueError("one_statement is for a read")
    resolved = resolve_url(url)
    path = sqlite_file(resolved)
    if not create and path is not None and not path.exists():
        raise InputError([_db_problem(
            "WORKSPACE-MISSING", f"there is no pipedeal workspace here: {INIT_HINT}", str(path))])
    autocommit = one_statement and _backend(resolved) == "postgresql"
    kept = _KEPT_ENGINES.get((resolved, autocommit)) if _keep_engines else None
    engine = kept or _create_engine(resolved, pooled=_keep_engines, autocommit=autocommit)
    try:
        try:
            connection = engine.connect()
        except DBAPIError as exc:
            raise InputError([_db_problem(
                "DB-UNREACHABLE", f"cannot open the database: {_reason(exc)}", shown(resolved)
            )]) from None
        with connection, connection.execution_options(**{_WRITE: write}).begin():
            if not create and resolved not in _CURRENT:
                _require_current(connection, resolved)
                if _keep_engines:
                    _CURRENT.add(resolved)
            yield connection
    except DBAPIError as exc:
        raise InputError([_db_problem(
            "DB-ERROR", f"the database refused: {_reason(exc)}", shown(resolved)
        )]) from exc
    finally:
        if _keep_engines:
            _KEPT_ENGINES.setdefault((resolved, autocommit), engine)
        else:
            engine.dispose()


# A long-running process (the web workspace) keeps one pooled engine per database and checks the
# schema revision once: a command line run opens, uses and closes its own.
_keep_engines = False
_KEPT_ENGINES: dict[tuple[str, bool], Engine] = {}  # by URL and autocommit
_CURRENT: set[str] = set()


def keep_engines() -> None:
    """Pool connections for the life of the process (call before the first transaction)."""
    global _keep_engines
    _keep_engines = True


def _create_engine(url: str, pooled: bool = False, autocommit: bool = False) -> Engine:
    if _backend(url) != "sqlite":
        isolation = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
        if pooled:
            engine = create_engine(url, pool_size=8, max_overflow=8, **isolation)
            event.listen(engine, "checkout", _alive_or_replaced)
            return engine
        return create_engine(url, poolclass=NullPool, **isolation)
    if pooled:
        engine = create_engine(url, pool_size=8, max_overflow=8,
                               connect_args={"timeout": _SQLITE_BUSY_SECONDS, "check_same_thread": False})
    else:
        engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": _SQLITE_BUSY_SECONDS})

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself: the driver's own is always DEFERRED.
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _alive_or_replaced(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pooled PostgreSQL connection checked before use, without a round trip when it is idle and sound.

    What ``pool_pre_ping`` is for (a server restarted, a backend terminated) costs a ``SELECT 1`` on
    every checkout, that is on every transaction. A server that ends a connection says so on its
    socket (a FATAL message, then the close): an idle connection's socket that is readable, or a
    connection psycopg already knows is broken, is pinged for real, and one that fails is replaced
    (``DisconnectionError``: the pool opens a new one)."""
    import select as polling

    from sqlalchemy.exc import DisconnectionError

    try:
        broken = dbapi_connection.closed
        if not broken and not polling.select([dbapi_connection.fileno()], [], [], 0)[0]:
            return  # nothing waiting on an idle connection: it is as the server left it
        if not broken:
            autocommit = dbapi_connection.autocommit
            dbapi_connection.autocommit = True
            try:
                dbapi_connection.execute("SELECT 1")
            finally:
                dbapi_connection.autocommit = autocommit
            return
    except Exception:  # any failure of the ping: the connection is replaced
        pass
    raise DisconnectionError("the database closed this pooled connection")


def _reason(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)


def _alembic_config(connection: Connection | None = None) -> Any:
    """Alembic's configuration built in code: users need no alembic.ini. Alembic is imported only
    by the commands that migrate (``init``) and by the test that checks ``SCHEMA_REVISION``: at
    about 100 ms, it was a third of the start of every read of a ledger."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrations_head() -> str | None:
    """The newest migration script shipped (alembic's own reading of ``migrations/``)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The workspace's schema revision, as alembic records it (None: no pipedeal workspace), read
    without alembic."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    found = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    return ",".join(found) or None  # several rows (branches pipedeal never makes) match no revision


def upgrade(connection: Connection) -> None:
    """Bring the schema to the newest migration inside the caller's transaction.

    On PostgreSQL concurrent upgrades would race to create the same tables, so
    they queue on an advisory lock (SQLite's BEGIN IMMEDIATE already does).
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _INIT_LOCK})
    from alembic import command

    command.upgrade(_alembic_config(connection), "head")


def downgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    command.downgrade(_alembic_config(connection), revision)


def _require_current(connection: Connection, url: str) -> None:
    revision = current_revision(connection)
    if revision is None:
        raise InputError([_db_problem(
            "WORKSPACE-MISSING", f"the database holds no pipedeal workspace: {INIT_HINT}",
            shown(url))])
    if revision != SCHEMA_REVISION:
        raise InputError([_db_problem(
            "WORKSPACE-OUTDATED",
            f"the workspace is at schema revision {revision}, this pipedeal needs "
            f"{SCHEMA_REVISION}: run `pipedeal init` to upgrade it", shown(url))])


def deal_id(connection: Connection, name: str, *, lock: bool = False) -> int:
    """The id of deal ``name``; ``lock`` holds its row until commit (PostgreSQL appenders)."""
    query = select(Deal.id).where(Deal.name == name)
    if lock and connection.dialect.name == "postgresql":
        query = query.with_for_update()
    found = connection.execute(query).scalar_one_or_none()
    if found is None:
        raise InputError([Diagnostic(
            "DEAL-MISSING", f"deal {name!r} is not in this workspace: {INIT_HINT}", field="deal")])
    return found
