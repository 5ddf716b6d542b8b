"""Fava extension: the Revenue page of beancount_revrec.

Enable it in the ledger, next to the plugin::

    plugin "beancount_revrec"
    2022-01-01 custom "fava-extension" "fava_revrec"
    2022-01-01 custom "fava-extension" "fava_revrec" "{'months': 24}"   ; scheduled months shown

The page shows, as of the end of Fava's time filter (without one: the date of
the last entry the user wrote, ``bean-revrec``'s default too): the monthly
summary of that date's month (``bean-revrec summary``), the contract metrics,
the revenue waterfall (recognised months in the filter, then scheduled ones) by
account, product, customer, contract, invoice or rule (``revrec_by``), its ten
largest groups and the rest as "(other)" (``revrec_top``, 0: all), the
roll-forward of deferred revenue, contract assets and unbilled revenue, the
corrections and the rules with their match keys, match counts and the revenue
they govern. It reads what the plugin generated in the
loaded ledger with the same functions as ``bean-revrec`` (``beancount_revrec.reports``)
and serves the same figures as JSON (``report_json``). A filter Fava cannot parse
(``time=garbage``) shows Fava's own error page, as Fava's reports do.
"""

from __future__ import annotations

import ast
import datetime
import re
from collections import defaultdict
from decimal import Decimal
from typing import Any, NamedTuple

from fava.context import g
from fava.core import FavaLedger
from fava.core.charts import DateAndBalanceWithBudget
from fava.core.filters import TimeFilter
from fava.core.inventory import SimpleCounterInventory
from fava.ext import FavaExtensionBase, extension_endpoint
from fava.helpers import FavaAPIError
from fava.util.date import DateRange, Interval
from flask import Response, jsonify, request

from beancount_revrec.errors import OutOfRangeError, RevrecError
from beancount_revrec.output import plain
from beancount_revrec.reports import (
    DEFAULT_TOP,
    GROUPS,
    METRICS,
    ROLL_COLUMNS,
    Books,
    Pivot,
    contract_metrics,
    correction_rows,
    metric_totals,
    month_start,
    months_after,
    period_end,
    pivot,
    read_books,
    revenue_by,
    rollforward,
    rule_usage,
)
from beancount_revrec.reports.periods import BEYOND_LAST_MONTH
from beancount_revrec.reports.rows import CorrectionRow, MetricRow, RollRow, RuleRow, WaterfallRow
from beancount_revrec.reports.summary import SECTIONS, Summary, monthly_summary

DEFAULT_MONTHS = 12


class Settings(NamedTuple):
    """The extension's configuration (the optional second value of its ``custom`` line)."""

    months: int = DEFAULT_MONTHS  # scheduled months the waterfall shows after the time filter


def read_settings(config: str | None) -> tuple[Settings, str | None]:
    """The settings a config string gives, or the defaults and what is wrong with it."""
    if not config:
        return Settings(), None
    example = "{'months': 24}"
    try:
        value = ast.literal_eval(config)
    except (SyntaxError, ValueError):
        return Settings(), f"the config {config!r} is not a Python dict literal such as {example}"
    if not isinstance(value, dict):
        return Settings(), f"the config {config!r} must be a dict such as {example}"
    unknown = sorted(set(value) - set(Settings._fields))
    if unknown:
        return Settings(), f"unknown config key {unknown[0]!r}; the only key is 'months', e.g. {example}"
    months = value.get("months", DEFAULT_MONTHS)
    if not isinstance(months, int) or isinstance(months, bool) or not 0 <= months <= 600:
        return Settings(), f"'months' must be a whole number of months from 0 to 600, got {months!r}"
    return Settings(months), None


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
    chart: list[dict[str, Any]]
    rollforward: list[RollRow]
    corrections: list[CorrectionRow]
    closed_through: datetime.date | None
    rules: list[RuleRow]
    summary: Summary  # the month of the as-of date: the last month of Fava's time filter

    def rollforward_by_account(self) -> dict[str, list[RollRow]]:
        """The roll-forward's rows per account and currency, as the page shows them."""
        grouped: dict[str, list[RollRow]] = defaultdict(list)
        for row in self.rollforward:
            grouped[f"{row.account} ({row.currency})"].append(row)
        return dict(grouped)


class FavaRevrec(FavaExtensionBase):
    """The Revenue page: contract metrics, waterfall, roll-forward, corrections and rules."""

    report_title = "Revenue"

    def __init__(self, ledger: FavaLedger, config: str | None = None) -> None:
        """Read the config ourselves, so that a bad one shows on the page instead of failing the load."""
        super().__init__(ledger)
        self.settings, self.config_problem = read_settings(config)
        self._books: Books | str = "fava_revrec: the ledger is not loaded yet"

    def after_load_file(self) -> None:
        """Read the newly loaded ledger's books (what the plugin generated is in them: nothing is recomputed)."""
        books, problems = read_books(self.ledger.all_entries, dict(self.ledger.options))
        self._books = books if books is not None else "fava_revrec: " + "; ".join(problems)

    def plugin_errors(self) -> list[Any]:
        """The plugin's errors in the loaded ledger."""
        return [error for error in self.ledger.load_errors if isinstance(error, RevrecError)]

    def horizon(self) -> datetime.date | None:
        """The booking horizon (``book-until``) of the loaded ledger: nothing generated after it is booked."""
        return self._books.horizon if isinstance(self._books, Books) else None

    def groups(self) -> tuple[str, ...]:
        """What the waterfall can be broken down by."""
        return GROUPS

    def page(self, by: str | None) -> Page | str:
        """The page for Fava's current time filter, or the problem that prevents it."""
        try:
            return self._page(by)
        except FavaAPIError:  # a bad filter: Fava's own error page and message, as for its own reports
            raise
        except Exception as exc:  # noqa: BLE001 - a helpful page, never a server error
            return _internal_error(exc)

    @extension_endpoint
    def report_json(self) -> Response:
        """The page's figures as JSON, for the same time filter and breakdown (``?time=2023&revrec_by=product``).

        ``revrec_top`` sets the number of groups shown, the rest summed as ``(other)`` (0: all).
        """
        page = self.page(request.args.get("revrec_by"))
        if isinstance(page, str):
            response = jsonify({"error": page})
            response.status_code = 400
            return response
        return jsonify(plain({name: getattr(page, name) for name in Page._fields if name not in ("pivot", "chart")}))

    def _page(self, by: str | None) -> Page | str:
        if self.config_problem:
            return f"{_extension_line(self.ledger)}: fava_revrec: {self.config_problem}"
        books = self._books
        if isinstance(books, str):
            return books
        date_range = _time_filter(self.ledger)
        if date_range is not None:
            start, as_of, reason = date_range.begin, date_range.end - datetime.timedelta(days=1), "filter"
        elif books.as_of is None or books.first_transaction is None:
            return "the ledger has no transactions yet: add invoices to see their revenue here"
        else:
            start, as_of, reason = books.first_transaction, books.as_of, "default"
        try:
            end = period_end(as_of)
        except OutOfRangeError:
            which = "the time filter" if reason == "filter" else f"the default as-of date {as_of}"
            return f"{which} {BEYOND_LAST_MONTH}"
        by, top = by if by in GROUPS else "account", _top(request.args.get("revrec_top"))
        rows = revenue_by(books, month_start(start), months_after(month_start(as_of), 1 + self.settings.months), by,
                          as_of, top)
        roll = rollforward(books.entries, books.rolled_forward, start, end)
        metrics = contract_metrics(books, as_of)
        return Page(as_of, reason, start, by, top, metrics, metric_totals(metrics), rows, pivot(rows),
                    _chart(rows, g.interval), roll, correction_rows(books.booked), books.closed_through,
                    rule_usage(books, as_of), _summary(books, start, as_of, roll))

    def summary_sections(self) -> dict[str, str]:
        """The monthly summary's sections and their titles, in order."""
        return SECTIONS

    def journal_filter(self, contract: str) -> str:
        """Fava's filter for a contract's entries: its own ``contract:`` metadata, exactly."""
        return f'contract:"^{re.escape(contract)}$"'

    def metrics(self) -> tuple[str, ...]:
        """The metrics' amount columns, in order."""
        return METRICS

    def roll_columns(self) -> tuple[str, ...]:
        """The roll-forward's columns, in order."""
        return ROLL_COLUMNS


def _top(value: str | None) -> int:
    """The ``revrec_top`` URL argument: the groups the waterfall shows (0: all); ``DEFAULT_TOP`` unless a count."""
    return int(value) if value is not None and value.isdigit() and len(value) < 6 else DEFAULT_TOP


def _summary(books: Books, start: datetime.date, as_of: datetime.date, roll: list[RollRow]) -> Summary:
    """The monthly summary of the as-of date's month, its opening balances from the page's roll-forward if it has."""
    return monthly_summary(books, as_of, roll if start <= month_start(as_of) else None)


def _time_filter(ledger: FavaLedger) -> DateRange | None:
    """The dates of Fava's time filter (None without one); a bad filter raises Fava's own error."""
    try:
        return g.filtered.date_range
    except OverflowError:  # Beancount's clamp steps back from 0001-01-01 (Fava's reports fail too): dates suffice
        return TimeFilter(ledger.options, ledger.fava_options, request.args.get("time", "")).date_range


def _extension_line(ledger: FavaLedger) -> str:
    """Where the ledger enables this extension, as ``file:line``."""
    for entry in ledger.all_entries_by_type.Custom:
        if entry.type == "fava-extension" and entry.values and entry.values[0].value == __name__:
            return f"{entry.meta['filename']}:{entry.meta['lineno']}"
    return "<fava-extension>"


def _internal_error(exc: Exception) -> str:
    return f"fava_revrec: internal error {exc!r}; please report it with the ledger that causes it"


def _chart(rows: list[WaterfallRow], interval: Interval) -> list[dict[str, Any]]:
    """The waterfall as Fava's bar chart data, in Fava's chosen interval: per period, the total and each group's."""
    totals: dict[datetime.date, SimpleCounterInventory] = defaultdict(SimpleCounterInventory)
    groups: dict[datetime.date, dict[str, SimpleCounterInventory]] = defaultdict(dict)
    for row in rows:
        day = interval.get_prev(datetime.date.fromisoformat(row.month + "-01"))
        totals[day][row.currency] = totals[day].get(row.currency, Decimal(0)) + row.revenue
        group = groups[day].setdefault(row.group, SimpleCounterInventory())
        group[row.currency] = group.get(row.currency, Decimal(0)) + row.revenue
    data = [DateAndBalanceWithBudget(day, totals[day], groups[day], {}) for day in sorted(totals)]
    return [{"type": "bar", "label": "Revenue", "data": data}]
