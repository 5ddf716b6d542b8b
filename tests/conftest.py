"""Shared helpers: run the real bean-query and bean-check on ledgers."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from beancount import loader
from click.testing import CliRunner, Result

from beancount_revrec.cli import main

# Beancount pickles a slow-to-load ledger next to it and reuses the pickle until the ledger's
# files change: a change to the plugin would go unseen. Every load here is fresh, in process
# and in the bean-query / bean-check subprocesses (which inherit the environment).
os.environ["BEANCOUNT_DISABLE_LOAD_CACHE"] = "1"
loader.initialize(use_cache=False)

ROOT = Path(__file__).resolve().parent.parent
LEDGERS = ROOT / "ledgers"
BIN = Path(sys.executable).parent


def run_tool(name: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run an installed console script (bean-query, bean-check, bean-revrec)."""
    return subprocess.run([str(BIN / name), *map(str, args)], capture_output=True, text=True, check=False)


def bean_query(ledger: Path, query: str) -> list[dict[str, str]]:
    """Rows of a BQL query (or ``.run NAME``) run by the real bean-query, as CSV dicts."""
    result = run_tool("bean-query", "-f", "csv", ledger, query)
    assert result.returncode == 0, result.stderr
    return [{key: value.strip() for key, value in row.items()}
            for row in csv.DictReader(io.StringIO(result.stdout))]


def monthly_table(ledger: Path, currency: str = "USD") -> dict[tuple[str, str], Decimal]:
    """The stored ``monthly`` query: {(YYYY-MM, account): sum of postings}, zeros dropped."""
    table = {}
    for row in bean_query(ledger, ".run monthly"):
        amount = Decimal(row["amount"])
        if row["currency"] == currency and amount:
            table[f"{int(row['year']):04d}-{int(row['month']):02d}", row["account"]] = amount
    return table


def lineno(text: str, needle: str) -> int:
    """The 1-based number of the only line of ``text`` containing ``needle``."""
    found = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(found) == 1, f"{needle!r} is on lines {found}"
    return found[0]


class Loaded(NamedTuple):
    """A ledger written to a file and loaded by Beancount."""

    path: Path
    text: str
    entries: list[Any]
    errors: list[Any]
    options_map: dict[str, Any]


def load_text(tmp_path: Path, text: str, name: str = "ledger.beancount") -> Loaded:
    """Write ``text`` to ``tmp_path / name`` and load it (errors then carry that file name)."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    entries, errors, options_map = loader.load_file(str(path))
    return Loaded(path, text, entries, errors, options_map)


def invoke(*args: str | Path) -> Result:
    """Run ``bean-revrec ARGS`` in-process."""
    return CliRunner().invoke(main, [str(arg) for arg in args])


def ok(*args: str | Path) -> str:
    """Run ``bean-revrec ARGS``, which must succeed; its output."""
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert result.exception is None, result.exception
    return result.stdout  # warnings go to standard error


def tables(text: str) -> list[list[list[str]]]:
    """Every aligned table in ``text``: header row first; wrapped cells joined back with spaces."""
    lines = text.splitlines()
    found = []
    for index in range(len(lines) - 1):
        rule = lines[index + 1]
        if not lines[index].strip() or not re.fullmatch(r"-+(  -+)*", rule):
            continue
        starts = [match.start() for match in re.finditer(r"-+", rule)]
        bounds = list(zip(starts, [*starts[1:], None], strict=True))
        rows = [[lines[index][start:end].strip() for start, end in bounds]]
        for line in lines[index + 2:]:
            if not line.strip():
                break
            cells = [line[start:end].strip() for start, end in bounds]
            if cells[0]:
                rows.append(cells)
            else:  # a wrapped cell continues on this line
                rows[-1] = [f"{old} {new}".strip() for old, new in zip(rows[-1], cells, strict=True)]
        found.append(rows)
    return found


def table(rows: dict[str, dict[str, str]]) -> dict[tuple[str, str], Decimal]:
    """{account: {month: amount}} written compactly -> {(month, account): Decimal}."""
    return {(month, account): Decimal(amount)
            for account, months in rows.items() for month, amount in months.items()}


def assert_one_error_line(output: str, *words: str) -> None:
    """``output`` is one ``Error:`` line, without a traceback, holding every word."""
    assert "Traceback" not in output
    lines = output.splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith("Error: "), output
    for word in words:
        assert word in lines[0], (word, lines[0])
