"""Fava extension: the Revenue page of beancount_revrec.

Enable it in the ledger, next to the plugin::

    plugin "beancount_revrec"
    2022-01-01 custom "fava-extension" "fava_revrec"
    2022-01-01 custom "fava-extension" "fava_revrec" "{'months': 24}"   ; scheduled months shown

The page shows, as of the end of Fava's time filter (without one: the date of
the last entry the user wrote, ``bean-revrec``'s default too, and the twelve
months through it): the monthly summary of that date's month (``bean-revrec
summary``), the contract metrics, the revenue waterfall (recognised months in
the filter, then scheduled ones) by account, product, customer, contract,
invoice or rule (``revrec_by``), its ten largest groups and the rest as
"(other)" (``revrec_top``, 0: all), the roll-forward of deferred revenue,
contract assets and unbilled revenue, the corrections and the rules with their
match keys, match counts and the revenue they govern. It reads what the plugin generated in the
loaded ledger with the same functions as ``bean-revrec`` (``beancount_revrec.reports``)
and serves the same figures as JSON (``report_json``); each table downloads as CSV or XLSX
(``download?table=schedule&format=csv``), what ``bean-revrec`` prints with ``--format csv`` for the same
dates. A filter Fava cannot parse (``time=garbage``) shows Fava's own error page, as Fava's reports do.
"""

from __future__ import annotations

import ast
import datetime
import re
import shlex
from collections import defaultdict
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar, cast

from fava.application import url_for
from fava.context import g
from fava.core import FavaLedger
from fava.core.filters import AdvancedFilter, TimeFilter
from fava.ext import FavaExtensionBase, extension_endpoint
from fava.helpers import FavaAPIError
from fava.util.date import DateRange
from flask import Response, jsonify, request

from beancount_revrec.errors import OutOfRangeError, RevrecError
from beancount_revrec.output import plain, render, workbook
from beancount_revrec.reports import (
    DEFAULT_TOP,
    GROUPS,
    REVENUE_METRICS,
    ROLL_COLUMNS,
    Books,
    Pivot,
    contract_metrics,
    correction_rows,
    metric_totals,
    month_start,
    period_end,
    pivot,
    read_books,
    revenue_by,
    rollforward_of,
    rule_usage,
)
from beancount_revrec.reports.periods import BEYOND_LAST_MONTH
from beancount_revrec.reports.rows import CorrectionRow, MetricRow, RollRow, RuleRow, WaterfallRow
from beancount_revrec.reports.summary import SECTIONS, Summary, monthly_summary
from beancount_revrec.reports.tables import (
    Table,
    corrections_table,
    metrics_table,
    rollforward_table,
    rules_table,
    summary_table,
    waterfall_table,
)
from fava_revrec.charts import Chart, balances_chart, waterfall_chart
from fava_revrec.window import Window

T = TypeVar("T")
DEFAULT_MONTHS = 12
DOWNLOADS = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


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
    chart: Chart
    rollforward: list[RollRow]
    corrections: list[CorrectionRow]
    closed_through: datetime.date | None
    rules: list[RuleRow]
    summary: Summary  # the month of the as-of date: the last month of Fava's time filter
    balances: list[dict[str, Any]]  # Fava's line chart of the roll-forward's closing balances

    def rollforward_by_account(self) -> dict[str, list[RollRow]]:
        """The roll-forward's rows per account and currency, as the page shows them."""
        grouped: dict[str, list[RollRow]] = defaultdict(list)
        for row in self.rollforward:
            grouped[f"{row.account} ({row.currency})"].append(row)
        return dict(grouped)


class FavaRevrec(FavaExtensionBase):
    """The Revenue page: contract metrics, waterfall, roll-forward, corrections and rules."""

    report_title = "Revenue"
    has_js_module = True  # FavaRevrec.js: the waterfall chart's legend of groups and its hatched scheduled bars

    def __init__(self, ledger: FavaLedger, config: str | None = None) -> None:
        """Read the config ourselves, so that a bad one shows on the page instead of failing the load."""
        super().__init__(ledger)
        self.settings, self.config_problem = read_settings(config)
        self._books: Books | str = "fava_revrec: the ledger is not loaded yet"
        self._dated: _Dated = _Dated(datetime.date.min, {})

    def after_load_file(self) -> None:
        """Read the newly loaded ledger's books (what the plugin generated is in them: nothing is recomputed)."""
        books, problems = read_books(self.ledger.all_entries, dict(self.ledger.options))
        self._books = books if books is not None else "fava_revrec: " + "; ".join(problems)
        self._dated = _Dated(datetime.date.min, {})
        if books is not None and books.as_of is not None:  # once per load what every render reads (see README)
            _ = books.dates, books.movements, books.booked
            self._metrics(books.as_of)
            self._rules(books.as_of)

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
        return jsonify(plain({name: getattr(page, name) for name in Page._fields
                              if name not in ("pivot", "chart", "balances")}))

    @extension_endpoint
    def download(self) -> Response:
        """A table of the page as CSV or XLSX: ``download?table=schedule&format=csv`` (the page's filter and breakdown).

        The CSV is what ``bean-revrec TABLE LEDGER --format csv`` prints for the
        same dates (``command``); the XLSX holds the same cells, amounts as numbers.
        """
        name, fmt = request.args.get("table", ""), request.args.get("format", "csv")
        if name not in TABLES or fmt not in DOWNLOADS:
            return _plain_text(f"download?table=NAME&format=FORMAT: NAME is one of {', '.join(TABLES)}, FORMAT one "
                               f"of {', '.join(DOWNLOADS)}", 400)
        try:
            window = self._window()
            if isinstance(window, str):
                return _plain_text(window, 400)
            table = self._tables(window, _breakdown(request.args.get("revrec_by")),
                                 _top(request.args.get("revrec_top")))[name]()
        except FavaAPIError:
            raise
        except Exception as exc:  # noqa: BLE001 - a message, never a server error
            return _plain_text(_internal_error(exc), 500)
        body: str | bytes = (render(table.rows, table.columns, "csv") if fmt == "csv"
                             else workbook(table.rows, table.columns, table.name))
        filename = f"{table.name}-{window.as_of}.{fmt}"
        return Response(body, headers={"Content-Type": DOWNLOADS[fmt],
                                       "Content-Disposition": f'attachment; filename="{filename}"'})

    def download_url(self, name: str, fmt: str, page: Page) -> str:
        """The address of a table's download, for the page's time filter (Fava adds it) and breakdown."""
        page_url = url_for("extension_report", extension_name=self.name, table=name, format=fmt, revrec_by=page.by,
                           revrec_top=str(page.top))
        path, _, query = page_url.partition("?")  # Fava's url_for takes no value named "endpoint"
        return f"{path}download?{query}"

    def command(self, name: str, page: Page) -> str:
        """The ``bean-revrec`` command whose ``--format csv`` output a table's CSV download is."""
        window = Window(page.start, page.as_of, page.as_of_reason, self.settings.months)
        ledger = shlex.quote(self.ledger.beancount_file_path)
        options = {"contracts": f"--as-of {page.as_of}",
                   "schedule": f"--from {window.first_month:%Y-%m} --months {window.months_shown} --by {page.by} "
                               f"--top {page.top} --as-of {page.as_of}",
                   "rollforward": f"--from {page.start} --as-of {page.as_of}",
                   "corrections": "",
                   "rules": f"--as-of {page.as_of}",
                   "summary": f"--month {page.as_of:%Y-%m}"}[name]
        return f"bean-revrec {name} {ledger} {options} --format csv".replace("  ", " ")

    def _window(self) -> Window | str:
        """The dates of the page for Fava's time filter, or the problem that prevents a page."""
        if self.config_problem:
            return f"{_extension_line(self.ledger)}: fava_revrec: {self.config_problem}"
        books = self._books
        if isinstance(books, str):
            return books
        date_range = _time_filter(self.ledger)
        if date_range is not None:
            window = Window(date_range.begin, date_range.end - datetime.timedelta(days=1), "filter",
                             self.settings.months)
        elif books.as_of is None or books.first_transaction is None:
            return "the ledger has no transactions yet: add invoices to see their revenue here"
        else:
            window = Window(books.default_start(books.as_of), books.as_of, "default", self.settings.months)
        try:
            period_end(window.as_of)
        except OutOfRangeError:
            which = "the time filter" if window.reason == "filter" else f"the default as-of date {window.as_of}"
            return f"{which} {BEYOND_LAST_MONTH}"
        return window

    def _waterfall(self, window: Window, by: str, top: int) -> list[WaterfallRow]:
        return revenue_by(self.books(), window.first_month, window.waterfall_end, by, window.as_of, top)

    def _tables(self, window: Window, by: str, top: int) -> dict[str, Callable[[], Table]]:
        """Each table of the page, computed on demand, as the CLI's ``--format csv`` prints it."""
        books = self.books()
        return {
            "contracts": lambda: metrics_table(self._metrics(window.as_of)),
            "schedule": lambda: waterfall_table(self._waterfall(window, by, top), by),
            "rollforward": lambda: rollforward_table(rollforward_of(books.movements, window.start,
                                                                    period_end(window.as_of))),
            "corrections": lambda: corrections_table(correction_rows(books.booked)),
            "rules": lambda: rules_table(self._rules(window.as_of)),
            "summary": lambda: summary_table(monthly_summary(books, window.as_of)),
        }

    def _metrics(self, as_of: datetime.date) -> list[MetricRow]:
        return self._as_of(as_of, "metrics", lambda: contract_metrics(self.books(), as_of))

    def _rules(self, as_of: datetime.date) -> list[RuleRow]:
        return self._as_of(as_of, "rules", lambda: rule_usage(self.books(), as_of))

    def _as_of(self, as_of: datetime.date, name: str, compute: Callable[[], T]) -> T:
        """A report that depends on the as-of date alone, kept for the last date asked until the next load.

        The page's breakdowns and downloads of one date then compute it once; another date replaces it.
        """
        if self._dated.as_of != as_of:
            self._dated = _Dated(as_of, {})
        reports = self._dated.reports
        if name not in reports:
            reports[name] = compute()
        return cast("T", reports[name])

    def books(self) -> Books:
        """The loaded ledger's books (only once ``_window`` has found them)."""
        assert not isinstance(self._books, str)
        return self._books

    def _page(self, by: str | None) -> Page | str:
        window = self._window()
        if isinstance(window, str):
            return window
        books, by, top = self.books(), _breakdown(by), _top(request.args.get("revrec_top"))
        rows = self._waterfall(window, by, top)
        end = period_end(window.as_of)
        roll = rollforward_of(books.movements, window.start, end)
        since = min(window.start, books.default_start(window.as_of))  # a line over a year, however short the filter
        balances = roll if since == window.start else rollforward_of(books.movements, since, end)
        metrics = self._metrics(window.as_of)
        return Page(window.as_of, window.reason, window.start, by, top, metrics, metric_totals(metrics), rows,
                    pivot(rows), waterfall_chart(rows, g.interval, window.as_of), roll, correction_rows(books.booked),
                    books.closed_through, self._rules(window.as_of), _summary(books, window.start, window.as_of, roll),
                    balances_chart(balances))

    def summary_sections(self) -> dict[str, str]:
        """The monthly summary's sections and their titles, in order."""
        return SECTIONS

    def journal_filter(self, contract: str) -> str:
        """Fava's filter for a contract's entries: its own ``contract:`` metadata, exactly."""
        return f'contract:"^{re.escape(contract)}$"'

    def metrics(self) -> tuple[str, ...]:
        """The metrics' amount columns the page shows, in order: the revenue metrics (the costs: in the download)."""
        return REVENUE_METRICS

    def roll_columns(self) -> tuple[str, ...]:
        """The roll-forward's columns, in order."""
        return ROLL_COLUMNS


def _top(value: str | None) -> int:
    """The ``revrec_top`` URL argument: the groups the waterfall shows (0: all); ``DEFAULT_TOP`` unless a count."""
    return int(value) if value is not None and value.isdigit() and len(value) < 6 else DEFAULT_TOP


def _summary(books: Books, start: datetime.date, as_of: datetime.date, roll: list[RollRow]) -> Summary:
    """The monthly summary of the as-of date's month, its opening balances from the page's roll-forward if it has."""
    return monthly_summary(books, as_of, roll if start <= month_start(as_of) else None)


TABLES = ("summary", "contracts", "schedule", "rollforward", "corrections", "rules")
"""The page's tables, by the ``bean-revrec`` command that prints each."""


class _Dated(NamedTuple):
    """The reports of one as-of date (by name)."""

    as_of: datetime.date
    reports: dict[str, Any]


def _breakdown(by: str | None) -> str:
    return by if by in GROUPS else "account"


def _plain_text(text: str, status: int) -> Response:
    return Response(text + "\n", status=status, headers={"Content-Type": "text/plain; charset=utf-8"})


def _time_filter(ledger: FavaLedger) -> DateRange | None:
    """The dates of Fava's time filter (None without one); a bad filter raises Fava's own error.

    The filters are parsed as Fava parses them, not applied: the page reads the whole ledger, so Fava's
    filtering of its entries (a clamp of the whole ledger for a time filter) would be time spent for nothing.
    """
    advanced = request.args.get("filter", "")
    if advanced.strip():
        AdvancedFilter(advanced.strip())  # a filter Fava cannot parse: Fava's error, as on its own reports
    time = request.args.get("time", "")
    return TimeFilter(ledger.options, ledger.fava_options, time).date_range if time else None


def _extension_line(ledger: FavaLedger) -> str:
    """Where the ledger enables this extension, as ``file:line``."""
    for entry in ledger.all_entries_by_type.Custom:
        if entry.type == "fava-extension" and entry.values and entry.values[0].value == __name__:
            return f"{entry.meta['filename']}:{entry.meta['lineno']}"
    return "<fava-extension>"


def _internal_error(exc: Exception) -> str:
    return f"fava_revrec: internal error {exc!r}; please report it with the ledger that causes it"
