"""Rows to text: aligned tables that fit a terminal, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections.abc import Sequence
from typing import Any

FORMATS = ("table", "csv", "json")
WIDTH = 80


def render(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str) -> str:
    """``rows`` as a table, CSV (``columns`` only) or JSON (whole rows)."""
    if fmt == "json":
        return json.dumps(list(rows), indent=2, default=str) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_cell(row.get(column)) for column in columns] for row in rows])
        return buffer.getvalue()
    return table([[_cell(row.get(column)) for column in columns] for row in rows], columns)


def _cell(value: object) -> str:
    if isinstance(value, list | tuple):
        return " ".join(map(str, value))
    return "" if value is None else str(value)


def table(cells: Sequence[Sequence[str]], header: Sequence[str], width: int = WIDTH) -> str:
    """An aligned table no wider than ``width``: the widest columns wrap."""
    widths = [max([len(name)] + [len(row[i]) for row in cells]) for i, name in enumerate(header)]
    room = width - 2 * (len(widths) - 1)
    while sum(widths) > room and max(widths) > 8:
        widest = widths.index(max(widths))
        widths[widest] -= 1
    lines = [_table_row(header, widths), "  ".join("-" * w for w in widths)]
    lines += [_table_row(row, widths) for row in cells]
    return "\n".join(lines) + "\n"


def _table_row(row: Sequence[str], widths: Sequence[int]) -> str:
    wrapped = [textwrap.wrap(cell, w, break_on_hyphens=False) or [""] for cell, w in zip(row, widths, strict=True)]
    height = max(len(parts) for parts in wrapped)
    return "\n".join("  ".join((parts[i] if i < len(parts) else "").ljust(w)
                               for parts, w in zip(wrapped, widths, strict=True)).rstrip()
                     for i in range(height))
