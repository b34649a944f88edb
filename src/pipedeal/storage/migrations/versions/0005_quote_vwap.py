"""A quote's volume-weighted average price: a deal's Market Price may be a VWAP.

Revision ID: 0005
Revises: 0004

PIPE-TERMS.md: ``pricing.market_price.quote`` may be ``vwap`` (a column of the
quote file) and ``warrants.cashless_price`` may be ``prior_day_vwap``. The column
is nullable text like the other prices; the quote log (migration 0003) writes it
only when a quote has one, so the hashes of quotes logged before it stand.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("quotes") as batch:
        batch.add_column(sa.Column("vwap", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("quotes") as batch:
        batch.drop_column("vwap")
