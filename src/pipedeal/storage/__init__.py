"""Storage of pipedeal workspaces in SQLite or PostgreSQL.

Only this package imports SQLAlchemy and Alembic; import it lazily from the
CLI so commands that need no database stay fast.
"""

from .database import resolve_url
from .ledger import (
    Finding,
    Located,
    StoredEvent,
    Validator,
    append_events,
    deal_terms,
    import_quotes,
    init_workspace,
    list_deals,
    list_events,
    load_quotes,
    verify,
)

__all__ = [
    "Finding",
    "Located",
    "StoredEvent",
    "Validator",
    "append_events",
    "deal_terms",
    "import_quotes",
    "init_workspace",
    "list_deals",
    "list_events",
    "load_quotes",
    "resolve_url",
    "verify",
]
