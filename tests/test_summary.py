"""The monthly summary through Fava's test client: it ties to Fava's income statement and balance sheet, to the CLI
and to the roll-forward, and each figure's link opens a query that gives the same amounts."""

from __future__ import annotations

import calendar
import datetime
import json
import shutil
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.conftest import LEDGERS, assert_one_error_line, invoke, ok
from tests.test_fava import EXTENSION, PAGE, Fava

# The ledgers, and the income accounts each holds that are no revenue: the plugin's fee, exclusion and
# recoverables accounts (written out here, not read from the plugin's configuration).
NOT_REVENUE = {
    "credit-kinds.beancount": (),
    "voids-and-write-offs.beancount": ("Income:Exclusion", "Income:Recoverables"),
    "catch-up-off.beancount": (),
    "contracts.beancount": (),
    "every-treatment.beancount": ("Income:Fees",),
    "demo.beancount": ("Income:Fees",),
    "example-8.1.beancount": (),
}
CASES = [
    ("credit-kinds.beancount", "2019-02"), ("credit-kinds.beancount", "2019-03"),
    ("voids-and-write-offs.beancount", "2019-02"), ("voids-and-write-offs.beancount", "2019-04"),
    ("catch-up-off.beancount", "2024-10"), ("catch-up-off.beancount", "2024-11"),
    ("contracts.beancount", "2022-03"), ("contracts.beancount", "2022-07"),
    ("every-treatment.beancount", "2022-03"),
    ("demo.beancount", "2022-06"),  # a closed month: frozen entries
    ("demo.beancount", "2023-01"),  # the first open month: the correction of the close
    ("demo.beancount", "2023-03"),
    ("example-8.1.beancount", "2022-07"),
]
DEFERRED_MOVES = ("deferred_deferred", "deferred_billed", "deferred_recognised", "deferred_corrections",
                  "deferred_other")
BALANCES = {"deferred": "Liabilities:DeferredRevenue", "contract_asset": "Assets:ContractAssets",
            "unbilled": "Assets:UnbilledReceivables"}
Amounts = dict[str, dict[str, Decimal]]  # figure -> currency -> amount


class SummaryTable(HTMLParser):
    """The page's summary table: per figure (``data-figure``), its cells' texts and links."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[tuple[str, str]]] = {}
        self.currencies: list[str] = []
        self.inside = False
        self.figure: str | None = None
        self.href = ""
        self.text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table":
            self.inside = found.get("class") == "revrec-summary"
        elif self.inside and tag == "tr":
            self.figure = found.get("data-figure")
        elif self.inside and tag == "a":
            self.href = found.get("href") or ""
        elif self.inside and tag in ("td", "th"):
            self.text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.text is not None:
            text, self.text = "".join(self.text).strip(), None
            if self.figure is not None:
                self.rows.setdefault(self.figure, []).append((text, self.href))
            elif tag == "th" and text.isupper():
                self.currencies.append(text)
            self.href = ""

    def handle_data(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)


def copy_ledger(directory: Path, name: str) -> Path:
    """``name`` with the Revenue page enabled, its closed-books file beside it."""
    text = (LEDGERS / name).read_text(encoding="utf-8")
    if '"fava-extension" "fava_revrec"' not in text:
        text += EXTENSION
    closed = LEDGERS / name.replace(".beancount", ".closed.beancount")
    if closed.exists():
        shutil.copy(closed, directory / closed.name)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Fava, Path]]:
    directory = tmp_path_factory.mktemp("summary")
    return {name: (Fava(path), path) for name in NOT_REVENUE for path in [copy_ledger(directory, name)]}


def decimal(value: Any) -> Decimal:
    return Decimal(str(value))


def api(fava: Fava, endpoint: str, **args: str) -> Any:
    response = fava.client.get(f"/{fava.slug}/api/{endpoint}", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["data"]


def report_json(fava: Fava, time: str) -> dict[str, Any]:
    response = fava.client.get(f"/{fava.slug}/{PAGE}report_json", query_string={"time": time})
    assert response.status_code == 200
    return response.get_json()  # type: ignore[no-any-return]


def amounts(rows: list[dict[str, str]]) -> Amounts:
    found: Amounts = {}
    for row in rows:
        found.setdefault(row["figure"], {})[row["currency"]] = Decimal(row["amount"])
    return found


def tree_balances(node: dict[str, Any], found: dict[str, dict[str, Decimal]]) -> dict[str, dict[str, Decimal]]:
    """Each account of a Fava tree report with its own balance (not its children's)."""
    found[node["account"]] = {currency: decimal(number) for currency, number in node["balance"].items()}
    for child in node["children"]:
        tree_balances(child, found)
    return found


def month_end(month: str) -> str:
    year, number = map(int, month.split("-"))
    return f"{month}-{calendar.monthrange(year, number)[1]:02d}"


def previous(month: str) -> str:
    day = datetime.date.fromisoformat(month + "-01") - datetime.timedelta(days=1)
    return day.isoformat()[:7]


@pytest.mark.parametrize(("name", "month"), CASES)
def test_every_figure_ties_to_favas_reports_the_cli_and_the_rollforward(
    apps: dict[str, tuple[Fava, Path]], name: str, month: str,
) -> None:
    fava, path = apps[name]
    assert_ties(fava, path, NOT_REVENUE[name], month)


def assert_ties(fava: Fava, path: Path, not_revenue: tuple[str, ...], month: str) -> None:
    """The page's summary is the CLI's, its net revenue the income statement's, its balances the balance sheet's."""
    summary = report_json(fava, month)["summary"]
    assert summary["month"] == month
    shown = amounts(summary["rows"])
    currencies = summary["currencies"]
    assert currencies
    # the CLI prints the same rows for the same month
    assert json.loads(ok("summary", path, "--month", month, "--format", "json")) == summary["rows"]
    income = tree_balances(api(fava, "income_statement", time=month)["trees"][0], {})
    sheet = tree_balances({"account": "", "balance": {}, "children": api(fava, "balance_sheet", time=month)["trees"]}, {})
    before = tree_balances({"account": "", "balance": {}, "children": api(fava, "balance_sheet", time=previous(month))
                            ["trees"]}, {})
    for currency in currencies:
        figure = {name: by_currency[currency] for name, by_currency in shown.items()}
        # net revenue: the income statement's income accounts, less those that are not revenue
        revenue = -sum((balance.get(currency, Decimal(0)) for account, balance in income.items()
                        if account.startswith("Income:") and account not in not_revenue), Decimal(0))
        assert figure["net"] == revenue
        parts = {row["figure"] for row in summary["rows"] if row["section"] == "revenue"} - {"net"}
        assert sum(figure[key] for key in parts) == figure["net"]
        # balances: the balance sheet at the month's end and at the previous month's
        for prefix, account in BALANCES.items():
            assert figure[f"{prefix}_closing"] == sheet.get(account, {}).get(currency, Decimal(0)), account
            assert figure[f"{prefix}_opening"] == before.get(account, {}).get(currency, Decimal(0)), account
        assert figure["deferred_opening"] + sum(figure[key] for key in DEFERRED_MOVES) == figure["deferred_closing"]


@pytest.mark.parametrize(("name", "month"), CASES)
def test_the_summary_is_the_rollforward_of_the_month(apps: dict[str, tuple[Fava, Path]], name: str,
                                                     month: str) -> None:
    fava, path = apps[name]
    page = report_json(fava, month)
    figures = amounts(page["summary"]["rows"])
    cli = json.loads(ok("rollforward", path, "--from", f"{month}-01", "--as-of", month_end(month), "--format", "json"))
    assert cli == page["rollforward"]
    for row in cli:
        prefix = next(key for key, account in BALANCES.items() if account == row["account"])
        columns = ("opening", "closing") if prefix != "deferred" else (
            "opening", "deferred", "billed", "recognised", "corrections", "other", "closing")
        for column in columns:
            assert figures[f"{prefix}_{column}"][row["currency"]] == Decimal(row[column])


@pytest.mark.parametrize(("name", "month"), CASES)
def test_each_link_opens_a_query_with_the_same_amounts(apps: dict[str, tuple[Fava, Path]], name: str,
                                                       month: str) -> None:
    assert_links(apps[name][0], month)


def assert_links(fava: Fava, month: str) -> None:
    """Each figure on the page links to Fava's query page with a query that gives its amounts."""
    table = SummaryTable()
    table.feed(fava.page(f"?time={month}"))
    figures = amounts(report_json(fava, month)["summary"]["rows"])
    assert table.currencies == sorted(next(iter(figures.values())))
    assert {"net", "deferred_opening", "deferred_closing"} <= set(table.rows)
    for figure, cells in table.rows.items():
        label, *links = cells
        assert label
        assert len(links) == len(table.currencies)
        href = links[0][1]
        assert all(link == href for _, link in links)  # one query, a row per currency
        url = urlsplit(href)
        assert url.path == f"/{fava.slug}/query/"
        assert fava.client.get(href).status_code == 200  # Fava's query page
        args = dict(parse_qsl(url.query, keep_blank_values=True))
        assert args["time"] == args["filter"] == ""  # the query holds its dates
        result = api(fava, "query", **args)
        got = {row[0]: decimal(row[1]) for row in result["rows"]}
        for currency, (text, _) in zip(table.currencies, links, strict=True):
            assert got.get(currency, Decimal(0)) == figures[figure][currency], (figure, currency)
            assert Decimal(text.replace(",", "")) == figures[figure][currency]
    # figures left off the page are zero in every currency
    assert all(not any(by_currency.values()) for figure, by_currency in figures.items() if figure not in table.rows)


# Amounts worked out by hand from the examples (README, SPEC), beside the ties above.
KNOWN = [
    # Stripe's credit note (15.00 refunded, 30.00 credited on 45.00 of a 90.00 line over Jan-Mar) and the refund of
    # a 100.00 line after one month (8.00 recognised): refunds 5.17 + 8.00, credit notes 10.33
    ("credit-kinds.beancount", "2019-02", {"contra:refund": "-13.17", "contra:credit-note": "-10.33"}),
    ("credit-kinds.beancount", "2019-03", {"contra:dispute": "-4.00"}),  # the dispute beyond the line
    # two invoices written off (31.00 recognised each), one voided (31.00); the exclusion of a 10.00 payment
    ("voids-and-write-offs.beancount", "2019-02", {"contra:write-off": "-62.00", "contra:void": "-31.00",
                                                   "immediate": "-10.00", "deferred_other": "177.00"}),
    # the written-off invoice paid (its 31.00 back), the other voided (its 31.00 moved from bad debt to voids)
    ("voids-and-write-offs.beancount", "2019-04", {"contra:write-off": "62.00", "contra:void": "-31.00"}),
    # Stripe's catch-up revenue: October's 31.00 before the invoice is unbilled revenue, billed on 2024-11-01
    ("catch-up-off.beancount", "2024-10", {"scheduled": "31.00", "unbilled_closing": "31.00"}),
    ("catch-up-off.beancount", "2024-11", {"scheduled": "30.00", "unbilled_opening": "31.00",
                                           "unbilled_closing": "0.00", "deferred_deferred": "-61.00"}),
    # March: 2000.00 of the onboarding fulfilled from deferred revenue, 1000.00 of services in arrears
    ("contracts.beancount", "2022-03", {"contracts": "3000.00", "deferred_recognised": "2000.00",
                                        "contract_asset_closing": "3000.00"}),
    ("example-8.1.beancount", "2022-07", {"corrections": "604.93", "net": "604.93", "deferred_closing": "0.00"}),
]


@pytest.mark.parametrize(("name", "month", "expected"), KNOWN)
def test_known_amounts(apps: dict[str, tuple[Fava, Path]], name: str, month: str, expected: dict[str, str]) -> None:
    figures = amounts(report_json(apps[name][0], month)["summary"]["rows"])
    assert {figure: figures[figure]["USD"] for figure in expected} == {
        figure: Decimal(amount) for figure, amount in expected.items()}


def test_a_line_on_fulfillment_and_one_over_its_period(apps: dict[str, tuple[Fava, Path]]) -> None:
    # every-treatment: 15.00 of a fulfillment line's 10 units (of 100 at 150.00) in September, the rest ratable
    figures = amounts(report_json(apps["every-treatment.beancount"][0], "2022-09")["summary"]["rows"])
    assert figures["fulfillment"]["USD"] == Decimal("15.00")
    assert figures["scheduled"]["USD"] + figures["fulfillment"]["USD"] == figures["net"]["USD"]


def test_one_column_per_currency(apps: dict[str, tuple[Fava, Path]]) -> None:
    fava, path = apps["every-treatment.beancount"]
    summary = report_json(fava, "2022-03")["summary"]
    assert summary["currencies"] == ["EUR", "JPY", "USD"]
    figures = amounts(summary["rows"])
    # 600.00 EUR monthly over six months; 10000 JPY over a quarter (daily: 3444 in March, no decimals)
    assert figures["scheduled"]["EUR"] == Decimal("100.00")
    assert figures["deferred_closing"]["JPY"] == 0
    assert str(figures["scheduled"]["JPY"]) == "3444"
    text = ok("summary", path, "--month", "2022-03")
    assert "Recognised over a service period or schedule  100.00  3444   " in text


def test_a_filter_of_several_months_shows_its_last(apps: dict[str, tuple[Fava, Path]]) -> None:
    fava, _ = apps["credit-kinds.beancount"]
    html = fava.page("?time=2019-Q1")
    assert 'id="revrec-summary-title">Monthly summary for 2019-03<' in html
    assert "Fava's time filter covers several months: this is its last month, 2019-03." in html
    html = fava.page("?time=2019-03")
    assert "covers several months" not in html
    assert "The whole month" not in html
    assert report_json(fava, "2019-Q1")["summary"] == report_json(fava, "2019-03")["summary"]


def test_without_a_filter_the_month_of_the_default_as_of_date(apps: dict[str, tuple[Fava, Path]]) -> None:
    fava, path = apps["contracts.beancount"]
    html = fava.page()
    assert 'id="revrec-summary-title">Monthly summary for 2022-07<' in html  # last entry: 2022-07-05
    assert "The whole month of the as-of date: what it dates after 2022-07-05 is scheduled." in html
    assert "covers several months" not in html
    assert ok("summary", path).startswith("Monthly summary for 2022-07\n")
    # the whole month, past the as-of date: the page's roll-forward stops on 2022-07-05, the summary does not
    rows = report_json(fava, "")["summary"]["rows"]
    assert rows == json.loads(ok("summary", path, "--format", "json"))
    assert amounts(rows)["deferred_closing"]["USD"] == Decimal("-5000.00")  # as on the balance sheet of 2022-07
    last = report_json(fava, "")["rollforward"][-1]
    sheet = api(fava, "balance_sheet", time="2022-07-01 - 2022-07-05")["trees"][1]  # Liabilities
    on_the_fifth = tree_balances(sheet, {})["Liabilities:DeferredRevenue"]["USD"]
    assert (last["account"], last["month"], Decimal(last["closing"])) == (
        "Liabilities:DeferredRevenue", "2022-07", on_the_fifth)
    assert on_the_fifth != Decimal("-5000.00")


def test_the_cli_table_csv_and_json_agree(apps: dict[str, tuple[Fava, Path]]) -> None:
    path = apps["credit-kinds.beancount"][1]
    rows = json.loads(ok("summary", path, "--month", "2019-02", "--format", "json"))
    csv_lines = ok("summary", path, "--month", "2019-02", "--format", "csv").splitlines()
    assert csv_lines[0] == "month,section,figure,label,currency,amount"
    assert len(csv_lines) == len(rows) + 1
    assert csv_lines[1] == "2019-02,revenue,scheduled,Recognised over a service period or schedule,USD,16.00"
    text = ok("summary", path, "--month", "2019-02")
    assert text.splitlines()[:7] == [
        "Monthly summary for 2019-02",
        "Recognised revenue                            USD",
        "--------------------------------------------  ------",
        "Recognised over a service period or schedule  16.00",
        "Less refunds                                  -13.17",
        "Less credit notes                             -10.33",
        "Net revenue                                   -7.50",
    ]
    assert "Contract assets" not in text  # a section with nothing in it is left out
    quiet = ok("summary", path, "--month", "2030-01")
    assert quiet == "Monthly summary for 2030-01: nothing recognised, deferred or billed\n"


# Without accounts of their own, every credit kind books to the contra account (Income:Refunds): its key says which.
SHARED = {
    "credit-kinds.beancount": "{'revenue': 'Income:Revenue'}",
    "voids-and-write-offs.beancount": "{'revenue': 'Income:Revenue', 'exclude': 'Income:Exclusion'}",
}


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Fava, Path]]:
    directory = tmp_path_factory.mktemp("shared")
    found = {}
    for name, config in SHARED.items():
        path = copy_ledger(directory, name)
        text = path.read_text(encoding="utf-8")
        start = text.index('plugin "beancount_revrec"')
        path.write_text(text[:start] + f'plugin "beancount_revrec" "{config}"' + text[text.index("\n", start):],
                        encoding="utf-8")
        found[name] = Fava(path), path
    return found


@pytest.mark.parametrize(("name", "month", "expected"), [
    ("credit-kinds.beancount", "2019-02", {"contra:refund": "-13.17", "contra:credit-note": "-10.33"}),
    ("credit-kinds.beancount", "2019-03", {"contra:dispute": "-4.00"}),
    ("voids-and-write-offs.beancount", "2019-02", {"contra:write-off": "-62.00", "contra:void": "-31.00"}),
    # the void after the write-off moves 31.00 within Income:Refunds: void revenue neither gained nor lost
    ("voids-and-write-offs.beancount", "2019-04", {"contra:write-off": "31.00", "contra:void": "0.00"}),
])
def test_kinds_sharing_one_contra_account(shared: dict[str, tuple[Fava, Path]], name: str, month: str,
                                          expected: dict[str, str]) -> None:
    fava, path = shared[name]
    figures = amounts(report_json(fava, month)["summary"]["rows"])
    assert {figure: figures[figure]["USD"] for figure in expected} == {
        figure: Decimal(amount) for figure, amount in expected.items()}
    assert_ties(fava, path, NOT_REVENUE[name], month)
    assert_links(fava, month)


def test_the_cli_refuses_a_month_it_cannot_end(apps: dict[str, tuple[Fava, Path]]) -> None:
    path = apps["credit-kinds.beancount"][1]
    result = invoke("summary", path, "--month", "9999-12")
    assert result.exit_code == 1
    assert_one_error_line(result.output, "the summary of 9999-12 reaches into December 9999", "9999-11-30")
    result = invoke("summary", path, "--month", "2019-02-01")
    assert result.exit_code == 2
    assert "'2019-02-01' does not match the format '%Y-%m'" in result.output


def test_zero_figures_are_left_off_but_a_balance_shows_with_its_pair(apps: dict[str, tuple[Fava, Path]]) -> None:
    fava, path = apps["contracts.beancount"]
    table = SummaryTable()
    table.feed(fava.page("?time=2022-07"))
    shown = {figure: text for figure, ((_, _), (text, _)) in table.rows.items()}
    assert shown == {"contracts": "1500.00", "net": "1500.00", "deferred_opening": "-6500.00",
                     "deferred_recognised": "1500.00", "deferred_closing": "-5000.00",
                     "contract_asset_opening": "3000.00", "contract_asset_closing": "0.00"}
    assert "Closing contract assets                 0.00" in ok("summary", path, "--month", "2022-07")
