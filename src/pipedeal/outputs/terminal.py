"""What every terminal table shares (the CLI's and the report's): a light module, imported at start-up."""

from __future__ import annotations

from typing import Any

from rich import table as rich_table


class Table(rich_table.Table):
    """rich's Table, at least as wide as its title: a title is prose, and piped output (no width to fit) has the
    room to keep it on one line; a terminal narrower than the title still wraps it at word boundaries."""

    def __init__(self, *headers: Any, title: str | None = None, **options: Any) -> None:
        super().__init__(*headers, title=title, **options)
        if title and "min_width" not in options:
            from rich.cells import cell_len

            self.min_width = cell_len(title)
