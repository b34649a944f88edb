"""Storage of pipedeal workspaces in SQLite or PostgreSQL.

Only this package imports SQLAlchemy and Alembic; import it lazily from the
CLI so commands that need no database stay fast.
"""

from . import ledger
from .database import resolve_url
from .ledger import *  # noqa: F403 - the package's API is the ledger module's

__all__ = [*ledger.__all__, "resolve_url"]
