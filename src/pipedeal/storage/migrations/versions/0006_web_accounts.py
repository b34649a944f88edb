"""The web workspace: users and what each may see, sessions, API tokens, who wrote each event.

Revision ID: 0006
Revises: 0005

``events.recorded_by`` is the web user who appended the row; the chain hash covers it only when
it is set, so every row written before this revision keeps its hash. Passwords are argon2id
hashes; session ids and API tokens are kept as their sha256 only. ``workspace_secrets`` holds
one random key, from which each user's calendar feed token is derived (HMAC), so the feed URL
can be shown again without storing it.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("recorded_by", sa.String(254), nullable=True))
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
    )
    op.create_table(
        "user_grants",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("deal_name", sa.String(200), nullable=False),
        sa.Column("investor", sa.String(200), nullable=True),
        sa.UniqueConstraint("user_id", "deal_name", name="uq_user_grants_user_deal"),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("expires_at", _UTC, nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(254), nullable=False, index=True),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("at", _UTC, nullable=False),
    )
    secrets_table = op.create_table(
        "workspace_secrets",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
    )
    op.bulk_insert(secrets_table, [{"name": "feed", "value": secrets.token_hex(32)}])


def downgrade() -> None:
    for table in ("workspace_secrets", "login_failures", "api_tokens", "web_sessions", "user_grants", "users"):
        op.drop_table(table)
    with op.batch_alter_table("events") as batch:
        batch.drop_column("recorded_by")
