"""The Revenue page's figures for one time filter: every report read from the ledger's books.

Its Expenses section reads the same books as the expense side (``Books.for_side("expense")``): the
roll-forward of prepaid expenses and contract costs and the cost expensed per month by account.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any, NamedTuple

from fava.util.date import Interval

from beancount_revrec.reports import (
    Books,
    Pivot,
    correction_rows,
    metric_totals,
    month_start,
    period_end,
    pivot,
    revenue_by,
    rollforward_of,
)
from beancount_revrec.reports.rows import CorrectionRow, MetricRow, RollRow, RuleRow, WaterfallRow
from beancount_revrec.reports.summary import Summary, monthly_summary
from fava_revrec.charts import Chart, balances_chart, waterfall_chart
from fava_revrec.window import Window


class Page(NamedTuple):
    """Everything the Revenue page shows for one time filter."""

    as_of: datetime.date
    as_of_reason: str  # "filter": the end of Fava's time filter; "default": the last entry the user wrote
    start: datetime.date
    by: str
    top: int  # groups shown in the waterfall per currency, the rest as "(other)"; 0: all
    metrics: list[MetricRow]
    metric_totals: list[MetricRow]
    waterfall: list[WaterfallRow]
    pivot: Pivot
    chart: Chart
    rollforward: list[RollRow]
    corrections: list[CorrectionRow]
    closed_through: datetime.date | None
    rules: list[RuleRow]
    summary: Summary  # the month of the as-of date: the last month of Fava's time filter
    balances: list[dict[str, Any]]  # Fava's line chart of the roll-forward's closing balances
    expenses: Expenses | None  # None: the plugin generated nothing on the expense side

    def rollforward_by_account(self) -> dict[str, list[RollRow]]:
        """The roll-forward's rows per account and currency, as the page shows them."""
        return by_account(self.rollforward)


class Expenses(NamedTuple):
    """The Expenses section: prepaid expenses and contract costs rolled forward, cost expensed by month and account."""

    rollforward: list[RollRow]
    waterfall: list[WaterfallRow]  # ``revenue`` is the cost expensed

    def rollforward_by_account(self) -> dict[str, list[RollRow]]:
        """The roll-forward's rows per account and currency, as the page shows them."""
        return by_account(self.rollforward)

    def pivot(self) -> Pivot:
        """The waterfall as the page's table: months down, accounts across."""
        return pivot(self.waterfall)


def by_account(rows: list[RollRow]) -> dict[str, list[RollRow]]:
    """A roll-forward's rows per account and currency."""
    grouped: dict[str, list[RollRow]] = defaultdict(list)
    for row in rows:
        grouped[f"{row.account} ({row.currency})"].append(row)
    return dict(grouped)


def waterfall_of(books: Books, window: Window, by: str, top: int) -> list[WaterfallRow]:
    """The page's waterfall: the months of the window, then its scheduled ones."""
    return revenue_by(books, window.first_month, window.waterfall_end, by, window.as_of, top)


def rollforward_in(books: Books, window: Window) -> list[RollRow]:
    """The page's roll-forward: the months of the window."""
    return rollforward_of(books.movements, window.start, period_end(window.as_of))


def build_page(books: Books, expense_books: Books | None, window: Window, by: str, top: int, interval: Interval,
               metrics: list[MetricRow], rules: list[RuleRow]) -> Page:
    """The page of a window, broken down ``by`` (``top`` groups); the as-of date's metrics and rules given.

    ``expense_books`` are the expense side's, None when the plugin generated nothing there (no Expenses section).
    """
    rows = waterfall_of(books, window, by, top)
    roll = rollforward_in(books, window)
    since = min(window.start, books.default_start(window.as_of))  # a line over a year, however short the filter
    balances = roll if since == window.start else rollforward_of(books.movements, since, period_end(window.as_of))
    return Page(window.as_of, window.reason, window.start, by, top, metrics, metric_totals(metrics), rows,
                pivot(rows), waterfall_chart(rows, interval, window.as_of), roll, correction_rows(books.booked),
                books.closed_through, rules, summary_of(books, window.start, window.as_of, roll),
                balances_chart(balances), expenses_of(expense_books, window, top))


def expenses_of(books: Books | None, window: Window, top: int) -> Expenses | None:
    """The Expenses section of a window from the expense side's books (None: no section), by account."""
    if books is None:
        return None
    return Expenses(rollforward_in(books, window), waterfall_of(books, window, "account", top))


def summary_of(books: Books, start: datetime.date, as_of: datetime.date, roll: list[RollRow]) -> Summary:
    """The monthly summary of the as-of date's month, its opening balances from the page's roll-forward if it has."""
    return monthly_summary(books, as_of, roll if start <= month_start(as_of) else None)
