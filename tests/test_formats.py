"""Every report of ``bean-revrec`` in every format: ``--format text|csv|json`` (``table``: text's old name).

On a real ledger each: the CSV parses with the csv module and its totals equal the
JSON's; every amount of the CSV is in the text (but a correction's postings); ``text``, ``table`` and the default print
the same. Commands that write ledgers (close, reopen, import, example) print entries, not
reports, and have no ``--format``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from beancount_revrec.reports import METRICS, REVENUE_METRICS, ROLL_COLUMNS
from tests.conftest import LEDGERS, ok

AMOUNT = re.compile(r"(-?\d+\.\d+) ([A-Z][A-Z0-9'._-]*)")
Totals = dict[str, Decimal]


def column_sums(columns: tuple[str, ...]) -> Callable[[list[dict[str, Any]]], Totals]:
    """The sum of each column; the same for CSV rows and JSON objects, whose amounts are decimal strings."""
    def sums(rows: list[dict[str, Any]]) -> Totals:
        return {column: sum((Decimal(str(row[column])) for row in rows), Decimal(0)) for column in columns}
    return sums


def amounts_in(text: str) -> Totals:
    """Per currency, the sum of the amounts written in ``text`` ("600.00 USD; 5.00 EUR")."""
    totals: Totals = defaultdict(Decimal)
    for number, currency in AMOUNT.findall(text):
        totals[currency] += Decimal(number)
    return dict(totals)


def money(items: list[dict[str, str]]) -> Totals:
    """Per currency, the sum of JSON amounts ({"number", "currency"})."""
    totals: Totals = defaultdict(Decimal)
    for item in items:
        totals[item["currency"]] += Decimal(item["number"])
    return dict(totals)


def rules_totals(rows: list[dict[str, Any]], *, from_csv: bool) -> Totals:
    governs = amounts_in(" ".join(row["governs"] for row in rows)) if from_csv else money(
        [item for row in rows for item in row["governs"]])
    return {**column_sums(("matched", "won", "lost"))(rows), **{f"governs {key}": value
                                                                 for key, value in governs.items()}}


def corrections_totals(rows: list[dict[str, Any]], *, from_csv: bool) -> Totals:
    """Per currency, the sum of the postings' positive numbers (each correction balances)."""
    if from_csv:
        numbers = [(Decimal(number), currency) for row in rows for number, currency in AMOUNT.findall(row["postings"])]
    else:
        numbers = [(Decimal(p["number"]), p["currency"]) for row in rows for p in row["postings"]]
    totals: Totals = defaultdict(Decimal)
    for number, currency in numbers:
        totals[currency] += max(number, Decimal(0))
    return {**dict(totals), **amounts_in(" ".join(row["frozen"] + " " + row["recomputed"] for row in rows))}


def explain_totals(rows: list[dict[str, Any]], *, from_csv: bool) -> Totals:
    """Per currency, what the entries move and the line's amount."""
    if from_csv:
        entries = amounts_in(" ".join(row["amount"] for row in rows if row["section"] == "entry"))
        line = amounts_in(" ".join(row["amount"] for row in rows if row["section"] == "source"))
    else:
        entries = money([{"number": entry["amount"], "currency": entry["currency"]}
                         for row in rows for entry in row["entries"]])
        line = money([{"number": row["amount"], "currency": row["currency"]} for row in rows])
    return {**{f"entries {key}": value for key, value in entries.items()},
            **{f"line {key}": value for key, value in line.items()}}


def plain(sums: Callable[[list[dict[str, Any]]], Totals]) -> Callable[..., Totals]:
    def totals(rows: list[dict[str, Any]], *, from_csv: bool) -> Totals:
        del from_csv  # the same in both formats
        return sums(rows)
    return totals


REPORTS = [
    pytest.param(["contracts", LEDGERS / "contracts.beancount"], plain(column_sums(REVENUE_METRICS)), id="contracts"),
    pytest.param(["contracts", LEDGERS / "saas-commissions.beancount", "--as-of", "2025-06-30"],
                 plain(column_sums(METRICS)), id="contracts-with-costs"),
    pytest.param(["schedule", LEDGERS / "demo.beancount", "--from", "2022-01", "--months", "24", "--by", "product"],
                 plain(column_sums(("revenue",))), id="schedule"),
    pytest.param(["schedule", LEDGERS / "demo.beancount", "--from", "2022-01", "--by", "rule", "--top", "3"],
                 plain(column_sums(("revenue",))), id="schedule-by-rule"),
    pytest.param(["rollforward", LEDGERS / "contracts.beancount"], plain(column_sums(ROLL_COLUMNS)), id="rollforward"),
    pytest.param(["corrections", LEDGERS / "example-8.1.beancount"], corrections_totals, id="corrections"),
    # (the text leaves out each correction's postings: the difference of its frozen and recomputed amounts)
    pytest.param(["rules", LEDGERS / "demo.beancount"], rules_totals, id="rules"),
    pytest.param(["explain", LEDGERS / "demo.beancount", "in_000002"], explain_totals, id="explain"),
]


@pytest.mark.parametrize(("args", "totals"), REPORTS)
def test_csv_totals_equal_the_jsons_and_the_text_shows_them(args: list[str | Path],
                                                            totals: Callable[..., Totals]) -> None:
    as_csv = list(csv.DictReader(io.StringIO(ok(*args, "--format", "csv"))))
    as_json = json.loads(ok(*args, "--format", "json"))
    assert as_csv
    assert as_json
    expected = totals(as_json, from_csv=False)
    assert any(expected.values())
    assert totals(as_csv, from_csv=True) == expected
    text = ok(*args, "--format", "text")
    words = set(text.split())
    shown = {number for row in as_csv for column, cell in row.items() if column != "postings"
             for number in re.findall(r"-?\d+\.\d+", cell or "")}
    assert shown
    assert shown <= words, sorted(shown - words)[:5]


@pytest.mark.parametrize(("args", "totals"), REPORTS)
def test_text_is_the_default_and_table_its_old_name(args: list[str | Path], totals: Callable[..., Totals]) -> None:
    del totals
    text = ok(*args, "--format", "text")
    assert text == ok(*args) == ok(*args, "--format", "table")


@pytest.mark.parametrize("command", ["contracts", "schedule", "rollforward", "corrections", "rules", "explain"])
def test_every_report_offers_the_three_formats(command: str) -> None:
    assert "--format [text|csv|json]" in ok(command, "--help")
