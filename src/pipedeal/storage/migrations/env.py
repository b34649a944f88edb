"""Alembic environment for pipedeal: migrations run only on a connection pipedeal hands over.

``pipedeal.storage.database.upgrade`` builds the Alembic ``Config`` in code and
passes its open connection (already inside a write transaction) as
``config.attributes["connection"]``, so users need no ``alembic.ini``.
"""

from __future__ import annotations

from alembic import context

from pipedeal.storage.models import VERSION_TABLE, Base

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError(
        "pipedeal migrations run through pipedeal.storage.database.upgrade, "
        "which passes an open connection"
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
