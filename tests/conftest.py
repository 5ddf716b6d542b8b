"""Shared helpers: run the real bean-query and bean-check on ledgers."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

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
