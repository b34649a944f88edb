"""The terms and the quotes under verify: a terms hash, and a hash-chained log of quote imports.

Revision ID: 0003
Revises: 0002

Until 0002 only the events were chained: the deal's terms text and the
``quotes`` table could be edited with SQL unnoticed. Now

- ``deals.terms_hash`` is the SHA-256 of ``terms_toml``, and a trigger
  refuses any UPDATE of either (the terms are fixed when the deal is
  registered, as the events are once recorded);
- every quote import is also appended to ``quote_imports`` (append-only by
  trigger, like ``events``): the quotes it wrote, as canonical JSON, chained
  by hash, with the newest import's seq and hash on the deal row
  (``quotes_seq``, ``quotes_hash``, forward only). ``verify`` replays the
  imports and compares the result with the ``quotes`` table row by row, so an
  edited, inserted or deleted quote is named by its date.

Existing ledgers are backfilled from their current content: the terms as
they are, and one import holding every quote row as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pipedeal.storage.chain import GENESIS_HASH, canonical_json, quote_import_hash, quote_json, terms_hash

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TERMS_FIXED = "pipedeal deal terms are fixed once registered"
APPEND_ONLY = "pipedeal quote import log is append-only"
BACKWARDS = "pipedeal quotes head only moves forward"
PRICE_COLUMNS = ("open", "high", "low", "close", "bid", "ask")


def upgrade() -> None:
    with op.batch_alter_table("deals") as batch:
        batch.add_column(sa.Column("terms_hash", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("quotes_seq", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("quotes_hash", sa.String(64), nullable=False,
                                   server_default=GENESIS_HASH))
    op.create_table(
        "quote_imports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("deal_id", sa.Integer(), sa.ForeignKey("deals.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("quotes", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("deal_id", "seq", name="uq_quote_imports_deal_seq"),
    )
    _backfill()
    postgres = op.get_context().dialect.name == "postgresql"
    if postgres:
        op.execute(
            f"""
            CREATE FUNCTION pipedeal_deal_guard() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.terms_toml IS DISTINCT FROM OLD.terms_toml
                   OR NEW.terms_hash IS DISTINCT FROM OLD.terms_hash THEN
                    RAISE EXCEPTION '{TERMS_FIXED}' USING ERRCODE = 'restrict_violation';
                END IF;
                IF NEW.quotes_seq < OLD.quotes_seq THEN
                    RAISE EXCEPTION '{BACKWARDS}' USING ERRCODE = 'restrict_violation';
                END IF;
                RETURN NEW;
            END;
            $$
            """
        )
        op.execute("CREATE TRIGGER deals_guard BEFORE UPDATE ON deals "
                   "FOR EACH ROW EXECUTE FUNCTION pipedeal_deal_guard()")
        op.execute(
            f"""
            CREATE FUNCTION pipedeal_quote_imports_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{APPEND_ONLY}' USING ERRCODE = 'restrict_violation';
            END;
            $$
            """
        )
        op.execute("CREATE TRIGGER quote_imports_append_only BEFORE UPDATE OR DELETE ON quote_imports "
                   "FOR EACH ROW EXECUTE FUNCTION pipedeal_quote_imports_append_only()")
        op.execute("CREATE TRIGGER quote_imports_no_truncate BEFORE TRUNCATE ON quote_imports "
                   "FOR EACH STATEMENT EXECUTE FUNCTION pipedeal_quote_imports_append_only()")
    else:
        op.execute("CREATE TRIGGER deals_terms_fixed BEFORE UPDATE OF terms_toml, terms_hash ON deals "
                   "WHEN NEW.terms_toml IS NOT OLD.terms_toml OR NEW.terms_hash IS NOT OLD.terms_hash "
                   f"BEGIN SELECT RAISE(ABORT, '{TERMS_FIXED}'); END")
        op.execute("CREATE TRIGGER deals_quotes_forward_only BEFORE UPDATE OF quotes_seq ON deals "
                   "WHEN NEW.quotes_seq < OLD.quotes_seq "
                   f"BEGIN SELECT RAISE(ABORT, '{BACKWARDS}'); END")
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER quote_imports_no_{action.lower()} BEFORE {action} ON quote_imports "
                       f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")


def _backfill() -> None:
    """Hash each deal's terms as they are, and record its quotes as they are as import 1."""
    bind = op.get_bind()
    deals = sa.table("deals", sa.column("id", sa.Integer()), sa.column("name", sa.String()),
                     sa.column("terms_toml", sa.Text()), sa.column("terms_hash", sa.String()),
                     sa.column("quotes_seq", sa.Integer()), sa.column("quotes_hash", sa.String()))
    quotes = sa.table("quotes", sa.column("deal_id", sa.Integer()), sa.column("date", sa.Date()),
                      *(sa.column(name, sa.Text()) for name in PRICE_COLUMNS),
                      sa.column("volume", sa.BigInteger()))
    imports = sa.table("quote_imports", sa.column("deal_id", sa.Integer()), sa.column("seq", sa.Integer()),
                       sa.column("imported_at", sa.DateTime(timezone=True)), sa.column("quotes", sa.Text()),
                       sa.column("prev_hash", sa.String()), sa.column("hash", sa.String()))
    now = dt.datetime.now(dt.UTC)
    for deal in bind.execute(sa.select(deals.c.id, deals.c.name, deals.c.terms_toml)).all():
        values: dict[str, object] = {"terms_hash": terms_hash(deal.terms_toml)}
        rows = bind.execute(sa.select(quotes).where(quotes.c.deal_id == deal.id)
                            .order_by(quotes.c.date)).mappings().all()
        if rows:
            written = [quote_json({key: row[key] for key in ("date", *PRICE_COLUMNS, "volume")})
                       for row in rows]
            digest = quote_import_hash(GENESIS_HASH, deal.name, 1, now, written)
            bind.execute(sa.insert(imports).values(
                deal_id=deal.id, seq=1, imported_at=now, quotes=canonical_json(written),
                prev_hash=GENESIS_HASH, hash=digest))
            values.update(quotes_seq=1, quotes_hash=digest)
        bind.execute(sa.update(deals).where(deals.c.id == deal.id).values(**values))


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS quote_imports_no_truncate ON quote_imports")
        op.execute("DROP TRIGGER IF EXISTS quote_imports_append_only ON quote_imports")
        op.execute("DROP FUNCTION IF EXISTS pipedeal_quote_imports_append_only()")
        op.execute("DROP TRIGGER IF EXISTS deals_guard ON deals")
        op.execute("DROP FUNCTION IF EXISTS pipedeal_deal_guard()")
    else:
        for name in ("quote_imports_no_update", "quote_imports_no_delete", "deals_terms_fixed",
                     "deals_quotes_forward_only"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("quote_imports")
    # Plain DROP COLUMN (SQLite 3.35+): batch mode would rebuild ``deals``, which the
    # events' foreign keys forbid, and drop 0002's trigger with it.
    for column in ("quotes_hash", "quotes_seq", "terms_hash"):
        op.execute(f"ALTER TABLE deals DROP COLUMN {column}")
