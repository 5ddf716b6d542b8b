"""The Fava Revenue page through Fava's own test client, against the CLI and Fava's balances."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fava.application import create_app

from tests.conftest import LEDGERS, ok

EXTENSION = '\n2022-01-01 custom "fava-extension" "fava_revrec"\n'
PAGE = "extension/FavaRevrec/"


class Tables(HTMLParser):
    """Every <table> of a page: its class and its rows of cell texts (``data-*`` of a row kept too)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[str, Any]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table":
            self.tables.append({"class": found.get("class"), "account": found.get("data-account"), "rows": []})
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append({"contract": found.get("data-contract"), "cells": []})
        elif tag in {"td", "th"}:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"} and self.cell is not None and self.tables:
            self.tables[-1]["rows"][-1]["cells"].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def tables_of(html: str, name: str) -> list[dict[str, Any]]:
    parser = Tables()
    parser.feed(html)
    return [table for table in parser.tables if table["class"] == name]


def number(text: str) -> Decimal:
    return Decimal(text.replace(",", "")) if text else Decimal(0)


class Fava:
    """A Fava app on one ledger file, with its test client."""

    def __init__(self, path: Path) -> None:
        self.app = create_app([str(path)], load=True)
        self.app.testing = True
        self.client = self.app.test_client()
        self.slug = self.app.config["LEDGERS"].first_slug()
        self.ledger = self.app.config["LEDGERS"][self.slug]

    def page(self, query: str = "") -> str:
        response = self.client.get(f"/{self.slug}/{PAGE}{query}")
        assert response.status_code == 200, response.status_code
        return response.get_data(as_text=True)

    def balance(self, account: str, time: str) -> Decimal:
        """The balance Fava's balance sheet shows for ``account`` at the end of the time filter."""
        with self.app.test_request_context():
            tree = self.ledger.get_filtered(time=time).root_tree_closed
            balance = tree[account].balance_children  # {(currency, cost): number}
            return sum((number for (currency, _), number in balance.items() if currency == "USD"), Decimal(0))


def with_extension(tmp_path: Path, ledger: str, extra: str = EXTENSION) -> Path:
    path = tmp_path / ledger
    path.write_text((LEDGERS / ledger).read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def contracts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Fava, Path]:
    path = with_extension(tmp_path_factory.mktemp("fava"), "contracts.beancount")
    return Fava(path), path


@pytest.mark.parametrize("time", ["2022-03", "2022-Q2", "2022"])
def test_metrics_equal_the_cli_for_the_end_of_the_time_filter(contracts: tuple[Fava, Path], time: str) -> None:
    fava, path = contracts
    html = fava.page(f"?time={time}")
    as_of = html.split('id="revrec-as-of">')[1].split("<")[0]
    expected = json.loads(ok("contracts", path, "--as-of", as_of, "--format", "json"))
    rows = [row for row in tables_of(html, "revrec-metrics")[0]["rows"] if row["contract"]]
    names = ["tcv", "acv", "billed", "revenue", "deferred", "contract_asset", "future_billings", "unbilled_deferred"]
    assert [[row["contract"], *map(number, row["cells"][3:])] for row in rows] == [
        [metric["contract"], *(Decimal(metric[name]) for name in names)] for metric in expected]
    total = tables_of(html, "revrec-metrics")[0]["rows"][-1]["cells"]
    assert total[0] == "Total"
    assert number(total[3]) == sum(Decimal(metric["tcv"]) for metric in expected) == Decimal("22000.00")


def test_as_of_follows_the_time_filter(contracts: tuple[Fava, Path]) -> None:
    fava, _ = contracts
    assert 'id="revrec-as-of">2022-03-31<' in fava.page("?time=2022-03")
    assert 'id="revrec-as-of">2022-06-30<' in fava.page("?time=2022-Q2")
    # no filter: the last entry written in the ledger, not the last generated one (the CLI's default too)
    html = fava.page()
    assert 'id="revrec-as-of">2022-07-05<' in html
    assert 'id="revrec-as-of-default">the date of the last entry you wrote<' in html


def test_rollforward_ties_out_month_to_month_and_to_favas_balances(contracts: tuple[Fava, Path]) -> None:
    fava, _ = contracts
    html = fava.page("?time=2022")
    rolls = {table["account"]: table["rows"][1:] for table in tables_of(html, "revrec-rollforward")}
    assert set(rolls) == {"Assets:ContractAssets (USD)", "Liabilities:DeferredRevenue (USD)"}
    for name, rows in rolls.items():
        values = [[number(cell) for cell in row["cells"][1:]] for row in rows]
        assert len(values) == 12
        for month, (opening, *moves, closing) in enumerate(values):
            assert opening + sum(moves) == closing
            if month:
                assert opening == values[month - 1][-1]
            account = name.split(" ")[0]
            assert closing == fava.balance(account, f"2022-{month + 1:02d}")
    deferred = [[number(cell) for cell in row["cells"][1:]] for row in rolls["Liabilities:DeferredRevenue (USD)"]]
    assert sum(row[2] for row in deferred) < 0  # billing in advance credits deferred revenue
    assert sum(row[3] for row in deferred) == -sum(row[2] for row in deferred)  # and is all recognised
    assert deferred[-1][-1] == 0  # all recognised by the year end


def test_waterfall_equals_bean_revrec_schedule(contracts: tuple[Fava, Path]) -> None:
    fava, path = contracts
    html = fava.page("?time=2022-03&revrec_by=contract")
    table = tables_of(html, "revrec-waterfall")[0]
    header = table["rows"][0]["cells"]
    assert header[:2] == ["Month", "Status"]
    assert header[2:] == ["ct_arrears (USD)", "ct_multi (USD)", "Total (USD)"]
    shown = {(row["cells"][0], header[i].split(" ")[0]): number(cell)
             for row in table["rows"][1:] for i, cell in enumerate(row["cells"]) if i in {2, 3} and cell}
    cli = json.loads(ok("schedule", path, "--from", "2022-03", "--months", "13", "--by", "contract",
                        "--format", "json"))
    assert shown == {(row["month"], row["contract"]): Decimal(row["revenue"]) for row in cli}
    statuses = {row["cells"][0]: row["cells"][1] for row in table["rows"][1:]}
    assert statuses["2022-03"] == "recognised"
    assert statuses["2022-04"] == "scheduled"  # after the time filter: scheduled recognition
    assert shown["2022-03", "ct_multi"] == Decimal("2000.00")
    assert '<svelte-component type="charts">' in html


def test_rules_and_corrections_of_a_closed_ledger(tmp_path: Path) -> None:
    source = LEDGERS / "example-8.1.beancount"
    for name in ("example-8.1.beancount", "example-8.1.closed.beancount"):
        (tmp_path / name).write_text((LEDGERS / name).read_text(encoding="utf-8"), encoding="utf-8")
    path = tmp_path / source.name
    path.write_text(path.read_text(encoding="utf-8") + EXTENSION, encoding="utf-8")
    html = Fava(path).page()
    expected = json.loads(ok("corrections", path, "--format", "json"))
    rows = tables_of(html, "revrec-corrections")[0]["rows"][1:]
    assert len(rows) == len(expected) == 6
    assert [row["cells"][1] for row in rows] == [item["corrects"] for item in expected]
    assert 'id="revrec-closed-through">2022-06-30<' in html


def test_rule_usage_matches_bean_revrec_rules(tmp_path: Path) -> None:
    path = with_extension(tmp_path, "rules-tax-and-fee.beancount")
    html = Fava(path).page()
    expected = json.loads(ok("rules", path, "--format", "json"))
    rows = tables_of(html, "revrec-rules")[0]["rows"]
    assert rows[0]["cells"] == ["Rule", "Match keys", "Treatment", "Effective", "Matched", "Won", "Lost", "Governs",
                                "Status"]
    assert [(row["cells"][0], row["cells"][1], row["cells"][2], int(row["cells"][4]), int(row["cells"][5]),
             row["cells"][7]) for row in rows[1:]] == [
        (rule["rule"], rule["match"], rule["treatment"], rule["matched"], rule["won"],
         " ".join(f"{item['number']} {item['currency']}" for item in rule["governs"])) for rule in expected]
    assert rows[1:]
    assert all(rule["governs"] for rule in expected)


def test_the_waterfall_by_any_group_shows_the_largest_and_other(tmp_path: Path) -> None:
    path = with_extension(tmp_path, "demo.beancount")
    fava = Fava(path)
    html = fava.page("?time=2022&revrec_by=customer&revrec_top=3")
    assert re.findall(r'<option value="(\w+)"', html) == ["account", "product", "customer", "contract", "invoice",
                                                           "rule"]
    assert '<option value="customer" selected>' in html
    assert 'name="revrec_top" min="0" max="99999" value="3"' in html
    table = tables_of(html, "revrec-waterfall")[0]
    header = table["rows"][0]["cells"]
    assert len(header) == 2 + 3 + 1 + 1
    assert header[-2:] == ["(other) (USD)", "Total (USD)"]
    # the CLI for the same months: 2022 recognised, then the 12 scheduled months the page shows by default
    cli = json.loads(ok("schedule", path, "--from", "2022-01", "--months", "24", "--by", "customer", "--top", "3",
                        "--as-of", "2022-12-31", "--format", "json"))
    shown = {(row["cells"][0], header[i].rsplit(" ", 1)[0]): number(cell)
             for row in table["rows"][1:] for i, cell in enumerate(row["cells"][2:-1], start=2) if cell}
    assert shown == {(row["month"], row["customer"]): Decimal(row["revenue"]) for row in cli}
    every = json.loads(ok("schedule", path, "--from", "2022-01", "--months", "24", "--by", "customer", "--top", "0",
                          "--as-of", "2022-12-31", "--format", "json"))
    totals = {row["cells"][0]: number(row["cells"][-1]) for row in table["rows"][1:]}
    assert totals == {month: sum(Decimal(row["revenue"]) for row in every if row["month"] == month)
                      for month in {row["month"] for row in every}}
    data = fava.client.get(f"/{fava.slug}/{PAGE}report_json?time=2022&revrec_by=rule&revrec_top=0").get_json()
    assert (data["by"], data["top"]) == ("rule", 0)
    assert "(none)" not in {row["group"] for row in data["waterfall"]}
    assert {row["group"] for row in data["waterfall"]} >= {"default", "bundle-allocation", "prepaid-usage"}


@pytest.mark.parametrize(("config", "message"), [
    ('"{\'monhts\': 3}"', "unknown config key &#39;monhts&#39;"),
    ('"not a dict"', "is not a Python dict literal"),
    ('"{\'months\': -1}"', "must be a whole number of months"),
])
def test_a_bad_extension_config_renders_a_helpful_page(tmp_path: Path, config: str, message: str) -> None:
    path = with_extension(tmp_path, "contracts.beancount",
                          f'\n2022-01-01 custom "fava-extension" "fava_revrec" {config}\n')
    html = Fava(path).page()
    assert "The Revenue page cannot be shown" in html
    assert message in html
    line = len((LEDGERS / "contracts.beancount").read_text(encoding="utf-8").splitlines()) + 2
    assert f"{path}:{line}: fava_revrec: " in html  # where to fix it


def test_a_ledger_without_contracts_or_rules(tmp_path: Path) -> None:
    html = Fava(with_extension(tmp_path, "example-4.1.beancount")).page()
    assert "This ledger has no revenue contracts" in html
    assert "No <code>revrec-rule</code> in this ledger" in html
    waterfall = tables_of(html, "revrec-waterfall")[0]["rows"]
    assert [row["cells"][2] for row in waterfall[1:]] == ["17.00", "14.00"]  # SPEC example 4.1


def test_a_time_filter_without_data(contracts: tuple[Fava, Path]) -> None:
    fava, _ = contracts
    html = fava.page("?time=2030")
    assert 'id="revrec-as-of">2030-12-31<' in html
    assert "No revenue from 2030-01-01 to 2030-12-31" in html
    assert "No deferred revenue, contract asset or unbilled revenue from 2030-01-01" in html


def test_a_ledger_with_plugin_errors_lists_them_and_shows_the_rest(tmp_path: Path) -> None:
    bad = ('\n2022-03-01 * "Acme" "Bad line"\n  Assets:AccountsReceivable  5.00 USD\n  Income:Sales  -5.00 USD\n'
           '    revrec: "bogus"\n')
    html = Fava(with_extension(tmp_path, "example-4.1.beancount", EXTENSION + bad)).page()
    assert "The ledger has 1 beancount_revrec error" in html
    assert "example-4.1.beancount:" in html
    assert "unknown action &#34;bogus&#34;" in html
    assert tables_of(html, "revrec-waterfall")  # the good lines are still reported


def test_a_ledger_without_the_plugin(tmp_path: Path) -> None:
    path = tmp_path / "plain.beancount"
    path.write_text('option "title" "Plain"\n2022-01-01 open Income:Sales\n' + EXTENSION, encoding="utf-8")
    html = Fava(path).page()
    assert "The Revenue page cannot be shown" in html
    assert "the ledger does not enable the plugin" in html


def article(html: str) -> str:
    """The text of a page's <article> (Fava's content area), scripts and tags left out."""
    content = html.split("<article>")[1].split("</article>", maxsplit=1)[0]
    content = re.sub(r"<script.*?</script>", "", content, flags=re.DOTALL)
    return " ".join(re.sub(r"<[^>]+>", " ", content).split())


@pytest.mark.parametrize(("query", "message"), [
    ("?time=garbage", "Failed to parse date: garbage"),
    ("?time=10000", "Failed to parse date: 10000"),  # Fava's dates end with 9999
    ("?filter=(", "Failed to parse filter: ("),
])
def test_a_bad_filter_shows_favas_own_error(contracts: tuple[Fava, Path], query: str, message: str) -> None:
    fava, _ = contracts
    response = fava.client.get(f"/{fava.slug}/{PAGE}{query}")
    html = response.get_data(as_text=True)
    # Fava's handler of its FavaAPIError: the error page it renders for every server-side report
    assert response.status_code == 500
    assert article(html) == message
    assert '<script type="application/json" id="page-title">"Error"</script>' in html
    assert "internal error" not in html
    # the message Fava's own income statement shows (its data comes from the JSON API)
    api = fava.client.get(f"/{fava.slug}/api/income_statement{query}")
    assert (api.status_code, api.get_json()) == (400, {"error": message})


def test_a_time_filter_into_december_9999_says_so(contracts: tuple[Fava, Path]) -> None:
    fava, _ = contracts
    # Fava's range for 9999 is 9999-01-01 to 9999-12-31; its income statement renders it
    assert fava.client.get(f"/{fava.slug}/api/income_statement?time=9999").status_code == 200
    for time in ("9999", "9999-12", "2022 - 9999"):
        text = article(fava.page(f"?time={time}"))
        assert text.startswith("The Revenue page cannot be shown the time filter reaches into December 9999, the last "
                               "month a date can have: choose a period that ends by 9999-11-30 Enable the plugin"), text
        assert "internal error" not in text


@pytest.mark.parametrize(("time", "as_of", "revenue"), [
    ("0001", "0001-12-31", "0"),  # Fava's own income statement fails here (OverflowError in Beancount's clamp)
    ("0001-01", "0001-01-31", "0"),
    ("9998", "9998-12-31", "22000.00"),  # the scheduled months after it stop at 9999-12-31
    ("9999-11", "9999-11-30", "22000.00"),
])
def test_an_extreme_time_filter_renders_the_page(contracts: tuple[Fava, Path], time: str, as_of: str,
                                                 revenue: str) -> None:
    fava, _ = contracts
    html = fava.page(f"?time={time}")  # status 200
    assert f'id="revrec-as-of">{as_of}<' in html
    assert "internal error" not in html
    assert "The Revenue page cannot be shown" not in html
    totals = tables_of(html, "revrec-metrics")[0]["rows"][-1]["cells"]
    assert [totals[0], number(totals[3]), number(totals[6])] == ["Total", Decimal("22000.00"), Decimal(revenue)]
