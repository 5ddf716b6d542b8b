"""The page's tables as downloads: what ``bean-revrec TABLE LEDGER --format csv`` prints for the same dates."""

from __future__ import annotations

import datetime
import shlex
from collections.abc import Callable

from flask import Response

from beancount_revrec.output import render, workbook
from beancount_revrec.reports import Books, correction_rows
from beancount_revrec.reports.rows import MetricRow, RuleRow
from beancount_revrec.reports.summary import monthly_summary
from beancount_revrec.reports.tables import (
    Table,
    corrections_table,
    metrics_table,
    rollforward_table,
    rules_table,
    summary_table,
    waterfall_table,
)
from fava_revrec.page import Page, rollforward_in, waterfall_of
from fava_revrec.window import Window

DOWNLOADS = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
TABLES = ("summary", "contracts", "schedule", "rollforward", "corrections", "rules")
"""The page's tables, by the ``bean-revrec`` command that prints each."""
EXPENSE_TABLES = ("schedule", "rollforward")
"""The tables of the page's Expenses section (``side=expense``): ``bean-revrec TABLE --side expense``."""


def tables(books: Books, window: Window, by: str, top: int, metrics: Callable[[], list[MetricRow]],
           rules: Callable[[], list[RuleRow]]) -> dict[str, Callable[[], Table]]:
    """Each table of the page, computed on demand, as the CLI's ``--format csv`` prints it."""
    return {
        "contracts": lambda: metrics_table(metrics()),
        "schedule": lambda: waterfall_table(waterfall_of(books, window, by, top), by),
        "rollforward": lambda: rollforward_table(rollforward_in(books, window)),
        "corrections": lambda: corrections_table(correction_rows(books.booked)),
        "rules": lambda: rules_table(rules()),
        "summary": lambda: summary_table(monthly_summary(books, window.as_of)),
    }


def expense_tables(books: Books, window: Window, top: int) -> dict[str, Callable[[], Table]]:
    """The tables of the Expenses section from the expense side's books, named ``expense-TABLE``."""
    return {
        "schedule": lambda: waterfall_table(waterfall_of(books, window, "account", top), "account",
                                            books.side)._replace(name="expense-schedule"),
        "rollforward": lambda: rollforward_table(rollforward_in(books, window), books.side)._replace(
            name="expense-rollforward"),
    }


def command(name: str, page: Page, ledger_path: str, months: int, side: str = "revenue") -> str:
    """The ``bean-revrec`` command whose ``--format csv`` output a table's CSV download is (``--side expense``)."""
    window = Window(page.start, page.as_of, page.as_of_reason, months)
    by = "account" if side == "expense" else page.by
    options = {"contracts": f"--as-of {page.as_of}",
               "schedule": f"--from {window.first_month:%Y-%m} --months {window.months_shown} --by {by} "
                           f"--top {page.top} --as-of {page.as_of}",
               "rollforward": f"--from {page.start} --as-of {page.as_of}",
               "corrections": "",
               "rules": f"--as-of {page.as_of}",
               "summary": f"--month {page.as_of:%Y-%m}"}[name]
    side_option = " --side expense" if side == "expense" else ""
    return f"bean-revrec {name} {shlex.quote(ledger_path)}{side_option} {options} --format csv".replace("  ", " ")


def download(table: Table, fmt: str, as_of: datetime.date) -> Response:
    """A table as a file to save: CSV as the command prints it, or XLSX with the same cells, amounts as numbers."""
    body: str | bytes = (render(table.rows, table.columns, "csv") if fmt == "csv"
                         else workbook(table.rows, table.columns, table.name))
    filename = f"{table.name}-{as_of}.{fmt}"
    return Response(body, headers={"Content-Type": DOWNLOADS[fmt],
                                   "Content-Disposition": f'attachment; filename="{filename}"'})
