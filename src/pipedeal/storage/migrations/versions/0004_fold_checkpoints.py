"""Fold checkpoints: where the fold stood after the head, so an append need not refold.

Revision ID: 0004
Revises: 0003

``fold_checkpoints`` holds, per deal, the JSON of the fold's state after the
event at ``head_seq`` (hash ``head_hash``). It is derived data, a cache: an
append uses it only while its seq and hash are still the deal's recorded head,
and writes the next one in the same transaction as the events it appends.
Nothing is read from it but the check of new events; every figure is folded
from the events themselves.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fold_checkpoints",
        sa.Column("deal_id", sa.Integer, sa.ForeignKey("deals.id"), primary_key=True),
        sa.Column("head_seq", sa.Integer, nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("fold_checkpoints")
