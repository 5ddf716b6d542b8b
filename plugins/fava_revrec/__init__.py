"""Fava extension: the Revenue page of beancount_revrec.

Enable it in the ledger, next to the plugin::

    plugin "beancount_revrec"
    2022-01-01 custom "fava-extension" "fava_revrec"
    2022-01-01 custom "fava-extension" "fava_revrec" "{'months': 24}"   ; scheduled months shown

The page shows, as of the end of Fava's time filter: the contract metrics, the
revenue waterfall (recognised months in the filter, then scheduled ones), the
deferred revenue and contract asset roll-forward, the corrections of the first
open period and the rules with their match counts. Its numbers come from the
same functions as ``bean-revrec``'s. A filter Fava cannot parse (``time=garbage``)
shows Fava's own error page, as Fava's reports do.
"""

from __future__ import annotations

import ast
import datetime
import re
from collections import defaultdict
from decimal import Decimal
from typing import Any, NamedTuple

from beancount.core.data import Transaction
from fava.context import g
from fava.core import FavaLedger
from fava.core.filters import TimeFilter
from fava.ext import FavaExtensionBase
from fava.helpers import FavaAPIError
from fava.util.date import DateRange, Interval
from flask import request

from beancount_revrec.close import closed_through
from beancount_revrec.errors import RevrecError
from beancount_revrec.ledger import Result, analyse, plugin_config, user_entries
from beancount_revrec.reports import METRIC_COLUMNS, contract_metrics, rule_usage
from beancount_revrec.revenue import (
    GROUPS,
    ROLL_COLUMNS,
    Pivot,
    correction_rows,
    month_start,
    months_after,
    pivot,
    rollforward,
    waterfall,
)
from beancount_revrec.schedule import ONE_DAY

DEFAULT_MONTHS = 12
LAST_MONTH = datetime.date(datetime.MAXYEAR, 12, 1)  # the roll-forward's months cannot step past it
BEYOND_LAST_MONTH = ("the time filter reaches into December 9999, the last month a date can have: "
                     "choose a period that ends by 9999-11-30")
METRICS = METRIC_COLUMNS[3:]  # the amounts, after contract, customer and currency


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
    start: datetime.date
    by: str
    metrics: list[dict[str, Any]]
    metric_totals: list[dict[str, Any]]
    pivot: Pivot
    chart: list[dict[str, Any]]
    rollforward: dict[str, list[dict[str, Any]]]
    corrections: list[dict[str, Any]]
    closed_through: datetime.date | None
    rules: list[dict[str, Any]]


class FavaRevrec(FavaExtensionBase):
    """The Revenue page: contract metrics, waterfall, roll-forward, corrections and rules."""

    report_title = "Revenue"

    def __init__(self, ledger: FavaLedger, config: str | None = None) -> None:
        """Read the config ourselves, so that a bad one shows on the page instead of failing the load."""
        super().__init__(ledger)
        self.settings, self.config_problem = read_settings(config)
        self._result: Result | str = "fava_revrec: the ledger is not loaded yet"
        self._rules: list[dict[str, Any]] | None = None

    def after_load_file(self) -> None:
        """Analyse the newly loaded ledger now, so that the page's first render is quick."""
        self._result = _analyse(self.ledger)
        self._rules = None

    def plugin_errors(self) -> list[Any]:
        """The plugin's errors in the loaded ledger."""
        return [error for error in self.ledger.load_errors if isinstance(error, RevrecError)]

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

    def _page(self, by: str | None) -> Page | str:
        if self.config_problem:
            return f"{_extension_line(self.ledger)}: fava_revrec: {self.config_problem}"
        result = self._result
        if isinstance(result, str):
            return result
        entries = self.ledger.all_entries
        date_range = _time_filter(self.ledger)
        if date_range is not None:
            start, end = date_range.begin, date_range.end
        else:
            dated = [entry.date for entry in entries if isinstance(entry, Transaction)]
            if not dated:
                return "the ledger has no transactions yet: add invoices to see their revenue here"
            start, end = min(dated), max(dated) + ONE_DAY
        if end > LAST_MONTH:
            return BEYOND_LAST_MONTH
        as_of = end - ONE_DAY
        by = by if by in GROUPS else "account"
        rows = waterfall(entries, result.config, month_start(start),
                         months_after(month_start(as_of), 1 + self.settings.months), by, as_of)
        roll = rollforward(entries, [result.config.deferred, result.config.contract_asset], start, end)
        metrics = contract_metrics(result, as_of)
        by_account: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in roll:
            by_account[f"{row['account']} ({row['currency']})"].append(row)
        if self._rules is None:  # the same for every time filter
            self._rules = rule_usage(result, max((e.date for e in user_entries(entries)), default=as_of))
        chart = _chart(rows, by, g.interval)
        return Page(as_of, start, by, metrics, _totals(metrics), pivot(rows, by), chart,
                    dict(by_account), correction_rows(entries), closed_through(entries), self._rules)

    def journal_filter(self, contract: str) -> str:
        """Fava's filter for a contract's entries: its own ``contract:`` metadata, exactly."""
        return f'contract:"^{re.escape(contract)}$"'

    def amount(self, value: str) -> Decimal:
        """A report's decimal string as a number, for Fava's ``format_currency``."""
        return Decimal(value)

    def metrics(self) -> tuple[str, ...]:
        """The metrics' amount columns, in order."""
        return METRICS

    def roll_columns(self) -> tuple[str, ...]:
        """The roll-forward's columns, in order."""
        return ROLL_COLUMNS


def _analyse(ledger: FavaLedger) -> Result | str:
    options: dict[str, Any] = dict(ledger.options)
    try:
        config = plugin_config(options)
        result = analyse(user_entries(ledger.all_entries), options, config, transactions=False)
    except LookupError as exc:
        return f"fava_revrec: {exc}"
    except Exception as exc:  # noqa: BLE001 - the page reports it; Fava's load must not fail
        return _internal_error(exc)
    if isinstance(result, list):
        return "beancount_revrec: " + "; ".join(result)
    return result


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


def _totals(metrics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The metrics summed per currency."""
    totals: dict[str, dict[str, Decimal]] = {}
    for row in metrics:
        total = totals.setdefault(row["currency"], defaultdict(Decimal))
        for name in METRICS:
            total[name] += Decimal(row[name])
    return [{"currency": currency, **{name: str(value) for name, value in total.items()}}
            for currency, total in sorted(totals.items())]


def _chart(rows: list[dict[str, Any]], by: str, interval: Interval) -> list[dict[str, Any]]:
    """The waterfall as data for Fava's bar chart, in Fava's chosen interval: per period, the total and each group's."""
    periods: dict[datetime.date, dict[str, Any]] = {}
    for row in rows:
        day = interval.get_prev(datetime.date.fromisoformat(row["month"] + "-01"))
        period = periods.setdefault(day, {"date": day, "balance": defaultdict(Decimal),
                                          "account_balances": defaultdict(lambda: defaultdict(Decimal)), "budgets": {}})
        period["balance"][row["currency"]] += row["revenue"]
        period["account_balances"][row[by]][row["currency"]] += row["revenue"]
    return [{"type": "bar", "label": "Revenue", "data": [periods[day] for day in sorted(periods)]}]
