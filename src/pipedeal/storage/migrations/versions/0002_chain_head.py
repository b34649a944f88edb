"""The chain head on each deal: the seq and hash of its newest event.

Revision ID: 0002
Revises: 0001

Without it, deleting the newest rows leaves a chain that is intact as far as
it goes. ``verify`` compares the last row with the head, and a trigger lets
the head only move forward, so a tail cut must also rewrite the head
backwards, which the trigger refuses.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64
BACKWARDS = "pipedeal ledger head only moves forward"


def upgrade() -> None:
    with op.batch_alter_table("deals") as batch:
        batch.add_column(sa.Column("head_seq", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("head_hash", sa.String(64), nullable=False,
                                   server_default=GENESIS_HASH))
    # Ledgers made before this revision: their newest row is their head.
    op.execute(
        "UPDATE deals SET "
        "head_seq = COALESCE((SELECT MAX(seq) FROM events WHERE events.deal_id = deals.id), 0), "
        f"head_hash = COALESCE((SELECT hash FROM events WHERE events.deal_id = deals.id "
        f"ORDER BY seq DESC LIMIT 1), '{GENESIS_HASH}')"
    )
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION pipedeal_head_forward_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.head_seq < OLD.head_seq THEN
                    RAISE EXCEPTION '{BACKWARDS}' USING ERRCODE = 'restrict_violation';
                END IF;
                RETURN NEW;
            END;
            $$
            """
        )
        op.execute("CREATE TRIGGER deals_head_forward_only BEFORE UPDATE ON deals "
                   "FOR EACH ROW EXECUTE FUNCTION pipedeal_head_forward_only()")
    else:
        op.execute("CREATE TRIGGER deals_head_forward_only BEFORE UPDATE OF head_seq ON deals "
                   "WHEN NEW.head_seq < OLD.head_seq "
                   f"BEGIN SELECT RAISE(ABORT, '{BACKWARDS}'); END")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS deals_head_forward_only ON deals")
        op.execute("DROP FUNCTION IF EXISTS pipedeal_head_forward_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS deals_head_forward_only")
    with op.batch_alter_table("deals") as batch:
        batch.drop_column("head_hash")
        batch.drop_column("head_seq")
