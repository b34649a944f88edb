"""Storage of pipedeal workspaces in SQLite or PostgreSQL.

Only this package imports SQLAlchemy and Alembic, and only when a ledger is
actually opened: the package's API (the ledger module's names and
``resolve_url``) is loaded on first use (PEP 562), so importing
``pipedeal.storage.workspace`` for a command that reads files (``pipedeal
report`` on a bundled deal, ``PIPEDEAL_DB`` unset) costs no database import.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the names below are, for type checkers and readers
    from pipedeal.storage.database import resolve_url as resolve_url
    from pipedeal.storage.ledger import *  # noqa: F403

# Where each name of the package's API lives; ``ledger`` is asked for its own ``__all__``.
_LEDGER = "pipedeal.storage.ledger"
_ELSEWHERE = {"resolve_url": "pipedeal.storage.database"}


def __getattr__(name: str) -> Any:
    if name == "__all__":
        return [*importlib.import_module(_LEDGER).__all__, *_ELSEWHERE]
    if name.startswith("_") or importlib.util.find_spec(f"{__name__}.{name}") is not None:
        # A private name, or a submodule not imported yet (``from pipedeal.storage import
        # workspace``): not the API, and no reason to load the ledger; for a submodule the
        # import system then imports it.
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name in _ELSEWHERE:
        value = getattr(importlib.import_module(_ELSEWHERE[name]), name)
    else:
        ledger = importlib.import_module(_LEDGER)
        if name not in ledger.__all__:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(ledger, name)
    globals()[name] = value  # the next access is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__getattr__("__all__")})
