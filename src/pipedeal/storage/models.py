"""The tables of a pipedeal workspace, as SQLAlchemy 2 typed declarative models.

The models describe the schema for queries; the schema itself is created only
by the Alembic migrations beside this file, so a database is always at a known
revision. Money and prices are stored as exact decimal TEXT: SQLite has no
exact numeric type and a float would silently round a price such as 1 13/16.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pipedeal.storage.chain import as_utc

# Alembic's bookkeeping table, named so a shared PostgreSQL schema can also
# hold another application's ``alembic_version``.
VERSION_TABLE = "pipedeal_alembic_version"
SCHEMA_REVISION = "0006"
"""The newest migration (``migrations/versions``), which every read requires of a workspace; a test holds
it equal to alembic's own head, so a migration cannot be added without it."""
MAX_NAME = 200
MAX_EMAIL = 254


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC instant on every backend.

    PostgreSQL keeps ``timestamptz``; SQLite keeps text without an offset, so
    values are converted to UTC on the way in and marked UTC on the way out.
    A naive datetime is taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        return None if value is None else as_utc(value)


class DecimalText(TypeDecorator[Decimal]):
    """An exact decimal stored as its plain digits (``1.8125``, ``1234.50``), never a float."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal) or not value.is_finite():
            raise ValueError(f"{value!r} is not a finite Decimal")
        return format(value, "f")

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class Base(DeclarativeBase):
    pass


class Deal(Base):
    """One deal of the workspace and the terms file text it was initialised with."""

    __tablename__ = "deals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME), unique=True)
    terms_toml: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # The newest event's seq and hash (migration 0002): a cut tail shows against it.
    head_seq: Mapped[int] = mapped_column(Integer, server_default="0")
    head_hash: Mapped[str] = mapped_column(String(64), server_default="0" * 64)
    # Migration 0003: the terms text's hash (the text itself may not change), and the
    # newest quote import's seq and hash (the head of ``quote_imports``).
    terms_hash: Mapped[str] = mapped_column(String(64), server_default="")
    quotes_seq: Mapped[int] = mapped_column(Integer, server_default="0")
    quotes_hash: Mapped[str] = mapped_column(String(64), server_default="0" * 64)


class EventRow(Base):
    """One ledger entry: the event's canonical JSON, where it came from, and its chain link.

    ``type`` and ``date`` repeat fields of ``payload`` so they can be queried;
    ``verify`` checks they still agree with it.
    """

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("deal_id", "seq", name="uq_events_deal_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"))
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(40))
    date: Mapped[dt.date] = mapped_column(Date)
    payload: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    source_file: Mapped[str | None] = mapped_column(Text)
    source_line: Mapped[int | None] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # Migration 0006: the web user who wrote the row (hashed into the chain); NULL from the command line.
    recorded_by: Mapped[str | None] = mapped_column(String(MAX_EMAIL))


class QuoteImportRow(Base):
    """One quote import as it was written: the quotes it gave (canonical JSON) and its chain link.

    Replaying the log in seq order gives what the ``quotes`` table must hold;
    ``verify`` compares the two.
    """

    __tablename__ = "quote_imports"
    __table_args__ = (UniqueConstraint("deal_id", "seq", name="uq_quote_imports_deal_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"))
    seq: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    quotes: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class FoldCheckpoint(Base):
    """The fold's state after the deal's head (migration 0004): a cache for appends, never a figure."""

    __tablename__ = "fold_checkpoints"

    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), primary_key=True)
    head_seq: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(Text)


class QuoteRow(Base):
    """One day's quote of the deal's Common Stock; prices are exact decimal text."""

    __tablename__ = "quotes"

    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    open: Mapped[Decimal | None] = mapped_column(DecimalText)
    high: Mapped[Decimal | None] = mapped_column(DecimalText)
    low: Mapped[Decimal | None] = mapped_column(DecimalText)
    close: Mapped[Decimal | None] = mapped_column(DecimalText)
    bid: Mapped[Decimal | None] = mapped_column(DecimalText)
    ask: Mapped[Decimal | None] = mapped_column(DecimalText)
    vwap: Mapped[Decimal | None] = mapped_column(DecimalText)  # migration 0005
    volume: Mapped[int | None] = mapped_column(BigInteger)


# The web workspace's accounts (migration 0006). Secrets are stored only as hashes: passwords
# with argon2id, session ids and API tokens with sha256 (they are long random values).


class User(Base):
    """A person who signs in to the workspace, with one role."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(MAX_EMAIL), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class UserGrant(Base):
    """A deal the user may see; for an investor, as which investor of it."""

    __tablename__ = "user_grants"
    __table_args__ = (UniqueConstraint("user_id", "deal_name", name="uq_user_grants_user_deal"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    deal_name: Mapped[str] = mapped_column(String(MAX_NAME))
    investor: Mapped[str | None] = mapped_column(String(MAX_NAME))


class WebSession(Base):
    """A signed-in browser: the sha256 of its cookie, its CSRF token and when it lapses."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ApiToken(Base):
    """A bearer token for the JSON API, shown once and kept as its sha256."""

    __tablename__ = "api_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class LoginFailure(Base):
    """One wrong password for an account (the login rate limit counts them)."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(MAX_EMAIL), index=True)
    address: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class WorkspaceSecret(Base):
    """The workspace's random key (per-user calendar feed tokens are derived from it)."""

    __tablename__ = "workspace_secrets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
