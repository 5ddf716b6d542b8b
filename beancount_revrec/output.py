"""Rows to text: aligned tables (tabulate) that fit a terminal, CSV and JSON; and to an XLSX workbook (openpyxl)."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from tabulate import MIN_PADDING, tabulate

FORMATS = ("text", "csv", "json")
TEXT = "text"
ALIASES = {"table": TEXT}
"""Other names a format is known by: ``table``, text's name before ``text``."""
WIDTH = 80
NARROWEST = 20  # in a table too wide anyway, a column that wraps keeps this much room
_AMOUNT = re.compile(r"-?[\d,]*\.?\d+ [A-Z][A-Z0-9'._-]*")  # "416.67 USD": one word in a table


def render(rows: Sequence[Any], columns: Sequence[str], fmt: str) -> str:
    """Report rows (NamedTuples or dicts) as a text table, CSV (``columns`` only) or JSON (whole rows)."""
    rows = [plain(row) for row in rows]
    if fmt == "json":
        return json.dumps(rows, indent=2) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_cell(row.get(column)) for column in columns] for row in rows])
        return buffer.getvalue()
    return table([[_cell(row.get(column)) for column in columns] for row in rows], columns)


def amounts_text(amounts: Iterable[tuple[Decimal, str]]) -> str:
    """Amounts in several currencies as one cell: ``1200.00 USD; 50.00 EUR`` (empty for none)."""
    return "; ".join(f"{number} {currency}" for number, currency in amounts)


def workbook(rows: Sequence[Any], columns: Sequence[str], title: str) -> bytes:
    """Report rows as an XLSX workbook of one sheet: the CSV's columns and cells, amounts and counts as numbers.

    An amount keeps its places (the CSV's ``1000.00`` shows as ``1,000.00``), a date is a date;
    every other cell is the CSV's text.
    """
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]  # Excel's limit for a sheet's name
    sheet.append(list(columns))
    for row in rows:
        values = row._asdict() if hasattr(row, "_asdict") else row
        sheet.append([_sheet_cell(values.get(column)) for column in columns])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            cell.number_format = _number_format(cell.value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_cell(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, Decimal | datetime.date) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    return _cell(plain(value))


def _number_format(value: object) -> str:
    if isinstance(value, Decimal):
        places = max(0, -int(value.as_tuple().exponent))
        return "#,##0" + ("." + "0" * places if places else "")
    if isinstance(value, datetime.date):
        return "yyyy-mm-dd"
    return "General"


def plain(value: object) -> object:
    """A report value as JSON holds it: rows as objects, amounts and dates as their text (``"10.00"``)."""
    as_dict = getattr(value, "_asdict", None)
    if as_dict is not None:
        value = as_dict()
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, Decimal | datetime.date):
        return str(value)
    return value


def _cell(value: object) -> str:
    if isinstance(value, dict):
        return " ".join(map(_cell, value.values()))
    if isinstance(value, list | tuple):
        return " ".join(map(_cell, value))
    return "" if value is None else str(value)


def table(cells: Sequence[Sequence[str]], header: Sequence[str], width: int = WIDTH) -> str:
    """An aligned table (tabulate's "simple" layout) fitted to ``width`` where it can be.

    Cells wrap at spaces only, never inside a word: an account, a key, a date or an amount
    (with its currency) longer than its column widens the column instead. The first column
    never wraps, so a line whose first cell is blank continues the row above. Cells are
    printed as given: "10.00" stays "10.00".
    """
    text = tabulate(cells, list(header), tablefmt="simple", disable_numparse=True,
                    maxcolwidths=_max_widths(cells, header, width), break_long_words=False, break_on_hyphens=False)
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


def _max_widths(cells: Sequence[Sequence[str]], header: Sequence[str], width: int) -> list[int | None]:
    """Each column's wrap width, or None where it needs none: the widest wrapping column gives way first.

    No column gets narrower than its longest word or its header (which tabulate pads by
    ``MIN_PADDING``). A table that cannot fit even so keeps ``NARROWEST`` columns too, rather
    than columns of a word a line.
    """
    natural = [max([len(name) + MIN_PADDING] + [len(row[i]) for row in cells]) for i, name in enumerate(header)]
    floors = [max([len(name) + MIN_PADDING] + [len(word) for row in cells for word in _words(row[i])])
              for i, name in enumerate(header)]
    room = width - 2 * (len(header) - 1)
    if natural[0] + sum(floors[1:]) > room:
        floors = [max(floor, min(full, NARROWEST)) for floor, full in zip(floors, natural, strict=True)]
    widths = list(natural)
    while sum(widths) > room:
        narrowable = [i for i in range(1, len(widths)) if widths[i] > floors[i]]
        if not narrowable:
            break
        widths[max(narrowable, key=widths.__getitem__)] -= 1
    return [fitted if fitted < full else None for fitted, full in zip(widths, natural, strict=True)]


def _words(cell: str) -> list[str]:
    """The parts of ``cell`` that a line break may not split: an amount keeps its currency."""
    return [cell] if _AMOUNT.fullmatch(cell) else cell.split()
