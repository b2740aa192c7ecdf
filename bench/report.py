"""How every benchmark reports: a rich table, then one JSON line of its figures."""

from __future__ import annotations

import json
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print `rows` as a table titled `title`."""
    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(*(f"{v:,.3f}" if isinstance(v, float) else str(v) for v in row))
    Console(width=140).print(table)


def print_report(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[object]], figures: dict[str, object]
) -> None:
    """Print `rows` as a table titled `title`, then `figures` as a single JSON line on stdout."""
    print_table(title, columns, rows)
    print(json.dumps(figures, sort_keys=True))
