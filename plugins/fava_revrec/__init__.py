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

import datetime
import re
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar, cast

from fava.application import url_for
from fava.context import g
from fava.core import FavaLedger
from fava.ext import FavaExtensionBase, extension_endpoint
from fava.helpers import FavaAPIError
from flask import Response, jsonify, request

from beancount_revrec.config import Side
from beancount_revrec.errors import RevrecError
from beancount_revrec.output import plain
from beancount_revrec.reports import (
    GROUPS,
    Books,
    contract_metrics,
    read_books,
    rule_usage,
)
from beancount_revrec.reports.rows import MetricRow, RuleRow, shown_metrics
from beancount_revrec.reports.sides import SIDES
from beancount_revrec.reports.summary import SECTIONS
from beancount_revrec.reports.tables import Table
from fava_revrec.downloads import DOWNLOADS, EXPENSE_TABLES, TABLES, command, download, expense_tables, tables
from fava_revrec.page import Page, build_page
from fava_revrec.settings import DEFAULT_MONTHS, Settings, read_settings
from fava_revrec.web import breakdown_of, extension_line, internal_error, plain_text, time_filter, top_of
from fava_revrec.window import Window, page_window

__all__ = ["DEFAULT_MONTHS", "DOWNLOADS", "TABLES", "FavaRevrec", "Page", "Settings", "read_settings"]

T = TypeVar("T")


class FavaRevrec(FavaExtensionBase):
    """The Revenue page: contract metrics, waterfall, roll-forward, corrections and rules."""

    report_title = "Revenue"
    has_js_module = True  # FavaRevrec.js: the waterfall chart's legend of groups and its hatched scheduled bars

    def __init__(self, ledger: FavaLedger, config: str | None = None) -> None:
        """Read the config ourselves, so that a bad one shows on the page instead of failing the load."""
        super().__init__(ledger)
        self.settings, self.config_problem = read_settings(config)
        self._books: Books | str = "fava_revrec: the ledger is not loaded yet"
        self._expenses: Books | None = None  # the expense side's books, if the plugin generated anything there
        self._dated: _Dated = _Dated(datetime.date.min, {})

    def after_load_file(self) -> None:
        """Read the newly loaded ledger's books (what the plugin generated is in them: nothing is recomputed)."""
        books, problems = read_books(self.ledger.all_entries, dict(self.ledger.options))
        self._books = books if books is not None else "fava_revrec: " + "; ".join(problems)
        self._dated = _Dated(datetime.date.min, {})
        self._expenses = None
        if books is None or books.as_of is None:  # no page: nothing to read ahead
            return
        expenses = books.for_side("expense")
        self._expenses = expenses if expenses.booked else None
        _ = books.dates, books.movements, books.booked  # once per load what every render reads (see README)
        if self._expenses is not None:
            _ = self._expenses.movements
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
            return internal_error(exc)

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
        ``side=expense``: a table of the Expenses section (``bean-revrec TABLE --side expense``).
        """
        name, fmt = request.args.get("table", ""), request.args.get("format", "csv")
        expense = request.args.get("side") == "expense"
        names = EXPENSE_TABLES if expense else TABLES
        if name not in names or fmt not in DOWNLOADS:
            return plain_text(f"download?table=NAME&format=FORMAT: NAME is one of {', '.join(names)}, FORMAT one "
                              f"of {', '.join(DOWNLOADS)}", 400)
        try:
            window = self._window()
            if isinstance(window, str):
                return plain_text(window, 400)
            found = self._tables(window, expense=expense)
            if found is None:
                return plain_text("the plugin generated nothing on the expense side of this ledger", 400)
            table = found[name]()
        except FavaAPIError:
            raise
        except Exception as exc:  # noqa: BLE001 - a message, never a server error
            return plain_text(internal_error(exc), 500)
        return download(table, fmt, window.as_of)

    def _tables(self, window: Window, *, expense: bool) -> dict[str, Callable[[], Table]] | None:
        """The page's tables, or its Expenses section's (None: the page has none), for the request's breakdown."""
        top = top_of(request.args.get("revrec_top"))
        if expense:
            return None if self._expenses is None else expense_tables(self._expenses, window, top)
        return tables(self.books(), window, breakdown_of(request.args.get("revrec_by")), top,
                      lambda: self._metrics(window.as_of), lambda: self._rules(window.as_of))

    def download_url(self, name: str, fmt: str, page: Page, side: str = "revenue") -> str:
        """The address of a table's download, for the page's time filter (Fava adds it), breakdown and side."""
        sides = {"side": side} if side == "expense" else {}
        page_url = url_for("extension_report", extension_name=self.name, table=name, format=fmt, revrec_by=page.by,
                           revrec_top=str(page.top), **sides)
        path, _, query = page_url.partition("?")  # Fava's url_for takes no value named "endpoint"
        return f"{path}download?{query}"

    def command(self, name: str, page: Page, side: str = "revenue") -> str:
        """The ``bean-revrec`` command whose ``--format csv`` output a table's CSV download is."""
        return command(name, page, self.ledger.beancount_file_path, self.settings.months, side)

    def _window(self) -> Window | str:
        """The dates of the page for Fava's time filter, or the problem that prevents a page."""
        if self.config_problem:
            return f"{extension_line(self.ledger)}: fava_revrec: {self.config_problem}"
        books = self._books
        if isinstance(books, str):
            return books
        return page_window(books, time_filter(self.ledger), self.settings.months)

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
        top = top_of(request.args.get("revrec_top"))
        return build_page(self.books(), self._expenses, window, breakdown_of(by), top, g.interval,
                          self._metrics(window.as_of), self._rules(window.as_of))

    def summary_sections(self) -> dict[str, str]:
        """The monthly summary's sections and their titles, in order."""
        return SECTIONS

    def journal_filter(self, contract: str) -> str:
        """Fava's filter for a contract's entries: its own ``contract:`` metadata, exactly."""
        return f'contract:"^{re.escape(contract)}$"'

    def metrics(self, page: Page) -> tuple[str, ...]:
        """The metrics' amount columns the page shows, in order: the costs' too where a contract has costs."""
        return shown_metrics(page.metrics)

    def roll_columns(self, side: Side = "revenue") -> dict[str, str]:
        """The roll-forward's columns (``RollRow`` fields), in order, and their headings: the CLI's names."""
        return {field: name.capitalize() for field, name in SIDES[side].roll}


class _Dated(NamedTuple):
    """The reports of one as-of date (by name)."""

    as_of: datetime.date
    reports: dict[str, Any]
