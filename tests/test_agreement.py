"""One truth, tested (issue 14): every figure of the Fava Revenue page is bean-revrec's, for the same date.

For every ledger in ``ledgers/`` (a closed-books file that another ledger includes is part of that ledger, not
one of its own) and three as-of dates each (the default, with no time filter; a month in the middle of the
ledger's activity; a quarter or a year), the page's figures, as its ``report_json`` endpoint serves them through
Fava's own test client, equal the CLI's ``--format json`` output for the same dates: the contract metrics (every
column) and their totals, the waterfall (by account, contract and product), the roll-forward (every row), the
corrections (and the close date) and the rules (every field). Amounts are compared as the text both print
("416.67"), never approximately.

Each ledger is copied to a temporary directory, with the ``custom "fava-extension" "fava_revrec"`` line added
where it is missing, and loaded into Fava once for the module; the CLI reads the very same copy, in-process
(``tests.conftest.ok``: click's ``CliRunner``). A close, an edit, a second close and a second edit follow on a
copy of ``contracts.beancount``: after each step Fava reloads the changed files and its page still equals the CLI.
"""

from __future__ import annotations

import datetime
import json
import os
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlencode

import fava_revrec
import pytest
from beancount.core.data import Transaction
from fava.application import create_app

import beancount_revrec
from beancount_revrec.reports import GROUPS, METRIC_COLUMNS, METRICS, default_as_of
from tests.conftest import LEDGERS, ROOT, invoke, ok
from tests.test_close import edit

ENDPOINT = "extension/FavaRevrec/report_json"
EXTENSION_LINE = re.compile(r'^\d{4}-\d\d-\d\d custom "fava-extension" "fava_revrec"', flags=re.MULTILINE)
INCLUDE = re.compile(r'^include "([^"]+)"', flags=re.MULTILINE)
FIRST_DATE = re.compile(r"^(\d{4}-\d\d-\d\d) ", flags=re.MULTILINE)

LEDGER_FILES = sorted(LEDGERS.glob("*.beancount"))
INCLUDED = {name for path in LEDGER_FILES for name in INCLUDE.findall(path.read_text(encoding="utf-8"))}
NAMES = [path.name for path in LEDGER_FILES if path.name not in INCLUDED]
KINDS = ("default", "month", "period")


# --- dates ---------------------------------------------------------------------------------------------------


def month_end(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)


class When(NamedTuple):
    """An as-of date of the page: Fava's time filter (None: the default) and the dates it stands for."""

    kind: str
    time: str | None
    start: datetime.date
    as_of: datetime.date

    def as_of_args(self) -> list[str]:
        """The CLI's ``--as-of``: none for the default, so that the CLI's own default is what is compared."""
        return [] if self.time is None else ["--as-of", str(self.as_of)]


def month_filter(day: datetime.date) -> When:
    return When("month", f"{day:%Y-%m}", day.replace(day=1), month_end(day))


def quarter_filter(day: datetime.date) -> When:
    quarter = (day.month - 1) // 3 + 1
    return When("period", f"{day.year}-Q{quarter}", datetime.date(day.year, 3 * quarter - 2, 1),
                month_end(datetime.date(day.year, 3 * quarter, 1)))


def year_filter(day: datetime.date) -> When:
    return When("period", str(day.year), datetime.date(day.year, 1, 1), datetime.date(day.year, 12, 31))


def dates_of(entries: list[Any]) -> dict[str, When]:
    """The three dates of a ledger, from its transactions (the user's and the plugin's).

    The default: the twelve months through the last entry the user wrote (from the first transaction if
    the ledger is younger). A month: the middle of the
    ledger's activity (its first transaction to its last scheduled recognition). A period: the quarter of the
    first transaction (a year's when the activity spans years), or another quarter or year where that would
    end on the same day as the month or the default.
    """
    days = [entry.date for entry in entries if isinstance(entry, Transaction)]
    first, last = min(days), max(days)
    as_of = default_as_of(entries)
    assert as_of is not None
    months = as_of.year * 12 + as_of.month - 1 - 11
    default = When("default", None, max(first, datetime.date(months // 12, months % 12 + 1, 1)), as_of)
    month = month_filter(first + (last - first) / 2)
    candidates = [year_filter(first), year_filter(last)] if first.year != last.year else []
    candidates += [quarter_filter(first), year_filter(first)]
    period = next(when for when in candidates if when.as_of not in {month.as_of, default.as_of})
    return {"default": default, "month": month, "period": period}


def months_shown(when: When, scheduled: int) -> int:
    """The waterfall's months on the page: the start's month to the as-of month, then ``scheduled`` months."""
    return (when.as_of.year - when.start.year) * 12 + when.as_of.month - when.start.month + 1 + scheduled


# --- the page and the CLI ------------------------------------------------------------------------------------


class Site:
    """A Fava app on one ledger file with the Revenue extension, its test client, and its pages' JSON."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.app = create_app([str(path)], load=True, poll_watcher=True)
        self.app.testing = True
        self.client = self.app.test_client()
        self.slug = self.app.config["LEDGERS"].first_slug()
        self.ledger = self.app.config["LEDGERS"][self.slug]
        self.cache: dict[tuple[str | None, str | None], dict[str, Any]] = {}
        self.dates = dates_of(self.ledger.all_entries)

    def report(self, time: str | None = None, by: str | None = None) -> dict[str, Any]:
        """The page's figures as JSON for a time filter and a breakdown (None: none given)."""
        if (time, by) not in self.cache:
            query = urlencode({key: value for key, value in (("time", time), ("revrec_by", by)) if value})
            response = self.client.get(f"/{self.slug}/{ENDPOINT}" + (f"?{query}" if query else ""))
            assert response.status_code == 200, response.get_data(as_text=True)
            self.cache[time, by] = response.get_json()
        return self.cache[time, by]

    def scheduled_months(self) -> int:
        """The months the page schedules after the as-of month (its config's ``months``)."""
        extension = self.ledger.extensions.get_extension("FavaRevrec")
        assert extension is not None
        return int(extension.settings.months)

    def reload(self) -> None:
        """Make the next request find the main file changed (Fava reloads then), whatever the clock's resolution."""
        mtime = max(self.path.stat().st_mtime_ns, self.ledger.watcher.last_checked + 1)
        os.utime(self.path, ns=(mtime, mtime))
        self.cache.clear()
        before = self.ledger.all_entries
        self.report()
        assert self.ledger.all_entries is not before, "Fava did not reload the changed ledger"
        self.dates = dates_of(self.ledger.all_entries)


def cli(*args: str | Path) -> Any:
    """``bean-revrec ARGS --format json``, parsed."""
    return json.loads(ok(*args, "--format", "json"))


def cli_or_empty(refusal: str, *args: str | Path) -> Any:
    """Like ``cli``; a ledger the command refuses with ``refusal`` (nothing to report) gives an empty list."""
    result = invoke(*args, "--format", "json")
    if result.exit_code == 0:
        return json.loads(result.stdout)
    assert result.output == f"Error: {refusal}\n", result.output
    return []


def with_extension(text: str) -> str:
    """A ledger's text that enables the Revenue page, dated as its first entry (so that no default date moves)."""
    if EXTENSION_LINE.search(text):
        return text
    first = FIRST_DATE.search(text)
    assert first is not None
    return f'{text.rstrip()}\n\n{first.group(1)} custom "fava-extension" "fava_revrec"\n'


class Sites:
    """The ledgers' copies, each loaded into Fava on first use, once for the module."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        for path in LEDGER_FILES:
            text = path.read_text(encoding="utf-8")
            (directory / path.name).write_text(with_extension(text) if path.name in NAMES else text,
                                               encoding="utf-8")
        self.loaded: dict[str, Site] = {}

    def __getitem__(self, name: str) -> Site:
        if name not in self.loaded:
            self.loaded[name] = Site(self.directory / name)
        return self.loaded[name]


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Sites:
    return Sites(tmp_path_factory.mktemp("agreement"))


# --- the comparisons, each for one figure: the scenario of closes and edits uses them too --------------------


def check_dates(site: Site, when: When) -> dict[str, Any]:
    """The page's dates are the ones ``when`` stands for; its JSON for that date."""
    page = site.report(when.time)
    assert (page["as_of"], page["start"], page["as_of_reason"]) == (
        str(when.as_of), str(when.start), "default" if when.time is None else "filter")
    return page


def check_metrics(site: Site, when: When) -> None:
    page = check_dates(site, when)
    expected = cli_or_empty(f"{site.path} has no revrec-contract with items",
                            "contracts", site.path, *when.as_of_args())
    assert [sorted(row) for row in page["metrics"]] == [sorted(METRIC_COLUMNS)] * len(page["metrics"])  # every column
    assert page["metrics"] == expected
    totals: dict[str, dict[str, Decimal]] = {}
    for row in expected:
        total = totals.setdefault(row["currency"], dict.fromkeys(METRICS, Decimal(0)))
        for name in METRICS:
            total[name] += Decimal(row[name])
    assert page["metric_totals"] == [{"contract": "", "customer": None, "currency": currency,
                                      **{name: str(total[name]) for name in METRICS}}
                                     for currency, total in sorted(totals.items())]


def check_waterfall(site: Site, when: When, by: str) -> None:
    page = check_dates(site, when) if by == "account" else site.report(when.time, by)
    assert page["by"] == by
    expected = cli("schedule", site.path, "--from", f"{when.start:%Y-%m}", "--months",
                   str(months_shown(when, site.scheduled_months())), "--by", by, *when.as_of_args())
    assert page["waterfall"] == [{"month": row["month"], "group": row[by], "currency": row["currency"],
                                  "revenue": row["revenue"], "status": row["status"]} for row in expected]


def check_rollforward(site: Site, when: When) -> None:
    page = check_dates(site, when)
    dates = [] if when.time is None else ["--from", str(when.start), "--as-of", str(when.as_of)]
    assert page["rollforward"] == cli("rollforward", site.path, *dates)


def check_corrections(site: Site, when: When) -> None:
    page = check_dates(site, when)
    assert page["corrections"] == cli("corrections", site.path)
    if when.time is not None:
        return
    header = ok("corrections", site.path).splitlines()[0]  # the close date, where the CLI says it
    if page["closed_through"] is None:
        assert header.startswith(f"The books of {site.path} are not closed"), header
    else:
        assert header == f"Books closed through {page['closed_through']}; {len(page['corrections'])} correction(s)."


def check_rules(site: Site, when: When) -> None:
    page = check_dates(site, when)
    expected = cli_or_empty(f"{site.path} has no revrec-rule", "rules", site.path, *when.as_of_args())
    # every field: rule, location, effective, treatment, matched, won, lost, lost_to, lost_lines, status
    assert page["rules"] == expected


def check_all(site: Site, when: When) -> None:
    check_metrics(site, when)
    for by in GROUPS:
        check_waterfall(site, when, by)
    check_rollforward(site, when)
    check_corrections(site, when)
    check_rules(site, when)


# --- every ledger, three dates --------------------------------------------------------------------------------


def test_the_page_and_the_cli_are_this_trees() -> None:
    """Fava imports the extension by name: an installed copy elsewhere would be tested instead of this one."""
    for module in (beancount_revrec, fava_revrec):
        assert Path(str(module.__file__)).resolve().is_relative_to(ROOT), (
            f"{module.__name__} is imported from {module.__file__}, not from {ROOT}: put {ROOT} and {ROOT / 'plugins'} "
            "on PYTHONPATH")


def test_every_ledger_is_compared_but_the_closed_books_files_it_includes() -> None:
    assert {"example-8.1.closed.beancount"} == INCLUDED
    assert all(name.endswith(".closed.beancount") for name in INCLUDED)
    assert len(NAMES) == len(LEDGER_FILES) - 1 >= 24  # every ledger of ledgers/ but the closed-books file
    assert {"demo.beancount", "credit-kinds.beancount", "voids-and-write-offs.beancount",
            "catch-up-off.beancount"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_three_distinct_dates(sites: Sites, name: str) -> None:
    site = sites[name]
    dates = site.dates
    assert len({when.as_of for when in dates.values()}) == 3, dates
    for when in dates.values():
        assert when.start <= when.as_of


@pytest.mark.parametrize("name", NAMES)
def test_the_default_date_is_the_clis(sites: Sites, name: str) -> None:
    site = sites[name]
    when = site.dates["default"]
    check_dates(site, when)
    # the CLI's own default as-of, where its text output names it: the month in the schedule's header...
    month = f"{when.as_of:%Y-%m}"
    assert ok("schedule", site.path).splitlines()[0] == (
        f"Revenue by month and account, from {month}; months after {month} are scheduled")
    # ... and the day in the metrics' header
    if site.report()["metrics"]:
        assert ok("contracts", site.path).splitlines()[0] == f"Contract metrics as of {when.as_of}"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", NAMES)
def test_metrics(sites: Sites, name: str, kind: str) -> None:
    check_metrics(sites[name], sites[name].dates[kind])


@pytest.mark.parametrize("by", GROUPS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", NAMES)
def test_waterfall(sites: Sites, name: str, kind: str, by: str) -> None:
    check_waterfall(sites[name], sites[name].dates[kind], by)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", NAMES)
def test_rollforward(sites: Sites, name: str, kind: str) -> None:
    check_rollforward(sites[name], sites[name].dates[kind])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", NAMES)
def test_corrections(sites: Sites, name: str, kind: str) -> None:
    check_corrections(sites[name], sites[name].dates[kind])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", NAMES)
def test_rules(sites: Sites, name: str, kind: str) -> None:
    check_rules(sites[name], sites[name].dates[kind])


def test_the_comparisons_are_not_empty(sites: Sites) -> None:
    """Each figure is compared on ledgers that have some: agreement on empty lists alone would prove little."""
    pages = {name: [sites[name].report(when.time) for when in sites[name].dates.values()] for name in NAMES}

    def having(figure: str) -> set[str]:
        return {name for name, reports in pages.items() if any(report[figure] for report in reports)}

    assert having("metrics") == {"book-until.beancount", "contracts.beancount", "demo.beancount", "example-7.1.beancount",
                                 "saas-commissions.beancount"}
    assert having("corrections") == {"demo.beancount", "example-8.1.beancount"}
    assert len(having("rules")) >= 10
    no_revenue = {"household.beancount", "periodic-migration.beancount"}  # prepaid expenses only
    # the page's Expenses section: costs the plugin expensed
    assert having("expenses") == no_revenue | {"saas-commissions.beancount"}

    def either(figure: str) -> set[str]:  # the revenue side's figure or the Expenses section's
        return having(figure) | {name for name, reports in pages.items()
                                 if any((report["expenses"] or {}).get(figure) for report in reports)}

    assert either("waterfall") == set(NAMES)
    assert having("waterfall") == set(NAMES) - no_revenue
    # all but the ledgers whose every line is recognised at once (nothing deferred, no contract asset)
    assert either("rollforward") == set(NAMES) - {
        "rules-exclude.beancount", "rules-passthrough.beancount", "rules-tax-and-fee.beancount"}
    assert {name for name, reports in pages.items() if reports[0]["closed_through"]} == {
        "demo.beancount", "example-8.1.beancount"}


# --- close, edit, close again, edit again --------------------------------------------------------------------

PLATFORM = '"revrec-item" "ct_multi" 12000.00 USD'
ONBOARDING_EVENT = '2022-03-20 custom "revrec-fulfill" "onboarding" 1000.00 USD'


def test_close_edit_close_again(tmp_path: Path) -> None:
    path = tmp_path / "contracts.beancount"
    path.write_text(with_extension((LEDGERS / "contracts.beancount").read_text(encoding="utf-8")), encoding="utf-8")
    site = Site(path)
    seen: list[tuple[str, str | None, list[tuple[str, str]]]] = []
    steps: list[tuple[str, Callable[[], object]]] = [
        ("open books", lambda: None),
        ("closed through March", lambda: ok("close", path, "--through", "2022-03-31")),
        ("an item's amount edited in the closed months",
         lambda: edit(path, PLATFORM, PLATFORM.replace("12000.00", "13200.00"))),
        ("closed again through June", lambda: ok("close", path, "--through", "2022-06-30")),
        ("a fulfillment event edited in the closed months",
         lambda: edit(path, ONBOARDING_EVENT, ONBOARDING_EVENT.replace("1000.00", "1500.00"))),
    ]
    for step, change in steps:
        change()
        if seen:
            site.reload()
        for when in (site.dates["default"], quarter_filter(datetime.date(2022, 4, 1)), month_filter(
                datetime.date(2022, 7, 1))):
            try:
                check_all(site, when)
            except AssertionError as exc:
                raise AssertionError(f"after {step}, {when}: {exc}") from exc
        page = site.report()
        seen.append((step, page["closed_through"], [(row["date"], row["corrects"]) for row in page["corrections"]]))
    # what the steps did: the closes and the corrections, frozen by the second close and kept listed
    assert [(step, through) for step, through, _ in seen] == [
        ("open books", None), ("closed through March", "2022-03-31"),
        ("an item's amount edited in the closed months", "2022-03-31"),
        ("closed again through June", "2022-06-30"),
        ("a fulfillment event edited in the closed months", "2022-06-30")]
    corrections = [rows for _, _, rows in seen]
    assert corrections[0] == corrections[1] == []
    assert corrections[2]
    assert {day for day, _ in corrections[2]} == {"2022-04-01"}
    assert all("ct_multi/platform" in key for _, key in corrections[2])
    assert corrections[3] == corrections[2]  # frozen now, dated in the period they were booked in
    assert set(corrections[2]) < set(corrections[4])
    assert {day for day, _ in set(corrections[4]) - set(corrections[2])} == {"2022-07-01"}
    assert (tmp_path / "contracts.closed.beancount").exists()
