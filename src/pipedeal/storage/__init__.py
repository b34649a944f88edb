"""Storage of pipedeal workspaces in SQLite or PostgreSQL.

Only this package imports SQLAlchemy and Alembic; import it lazily from the
CLI so commands that need no database stay fast.
"""

from pipedeal.storage import ledger
from pipedeal.storage.database import resolve_url
from pipedeal.storage.ledger import *  # noqa: F403 - the package's API is the ledger module's

__all__ = [*ledger.__all__, "resolve_url"]
