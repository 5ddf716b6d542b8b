"""The Revenue page's Expenses section (the plugin's expense side) through Fava's test client, against bean-query."""

from __future__ import annotations

import csv
import io
import re
import shlex
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import bean_query, ok
from tests.test_fava import PAGE, Fava, number, tables_of, with_extension

PREPAID_CLOSING = {"2024-01": Decimal("2335.00"), "2024-02": Decimal("1306.00"), "2024-03": Decimal("1419.11"),
                   "2024-04": Decimal("4419.11")}
"""Assets:Prepaid at the end of each month of household.beancount's page (as of 2024-04-01, its last entry)."""


@pytest.fixture(scope="module")
def household(tmp_path_factory: pytest.TempPathFactory) -> tuple[Fava, Path]:
    path = with_extension(tmp_path_factory.mktemp("expenses"), "household.beancount")
    return Fava(path), path


def rows_of(html: str, name: str) -> list[dict[str, str]]:
    """A table's body rows as {heading: cell}; every table of that class, one after the other."""
    return [dict(zip(table["rows"][0]["cells"], row["cells"], strict=True))
            for table in tables_of(html, name) for row in table["rows"][1:]]


def test_the_prepaid_rollforward_ties_to_bean_query(household: tuple[Fava, Path]) -> None:
    fava, path = household
    html = fava.page()
    assert 'id="revrec-expenses"' in html
    [table] = tables_of(html, "revrec-expense-rollforward")
    assert table["account"] == "Assets:Prepaid (USD)"  # no contract costs in a household
    rows = rows_of(html, "revrec-expense-rollforward")
    assert list(rows[0]) == ["Month", "Opening", "Prepaid", "Expensed", "Corrections", "Other", "Closing"]
    closing = {row["Month"]: number(row["Closing"]) for row in rows}
    assert closing == PREPAID_CLOSING
    # the real bean-query's balance of Assets:Prepaid at the end of each month (the ledger's stored query);
    # April's is the page's through its as-of date, 2024-04-01
    balances = prepaid_by_month(path)
    assert {month: balances[month] for month in ("2024-01", "2024-02", "2024-03")} == {
        month: closing[month] for month in ("2024-01", "2024-02", "2024-03")}
    [as_of] = bean_query(path, "SELECT sum(number) AS prepaid WHERE account = 'Assets:Prepaid' AND date <= 2024-04-01")
    assert Decimal(as_of["prepaid"]) == closing["2024-04"]
    for row in rows:  # each month rolls forward: opening + prepaid + expensed + ... = closing
        moved = sum(number(row[column]) for column in ("Opening", "Prepaid", "Expensed", "Corrections", "Other"))
        assert moved == number(row["Closing"])
    assert [(row["Month"], number(row["Prepaid"]), number(row["Expensed"])) for row in rows] == [
        ("2024-01", Decimal("3366.00"), Decimal("-1031.00")),  # rent's quarter and the licence; 1000.00 + 31 days
        ("2024-02", Decimal(0), Decimal("-1029.00")),
        ("2024-03", Decimal("1200.00"), Decimal("-1086.89")),  # the insurance from 15 March: 55.89 of it
        ("2024-04", Decimal("3000.00"), Decimal(0))]  # the second quarter's rent, paid on the as-of date


def prepaid_by_month(path: Path) -> dict[str, Decimal]:
    """The stored query ``prepaid``, run by bean-query: Assets:Prepaid at the end of each month (empty: zero)."""
    return {f"{int(row['year']):04d}-{int(row['month']):02d}": number(row["prepaid"].split(" ")[0])
            for row in bean_query(path, ".run prepaid")}


def test_a_years_rollforward_is_bean_querys_every_month(household: tuple[Fava, Path]) -> None:
    fava, path = household
    rows = rows_of(fava.page("?time=2024"), "revrec-expense-rollforward")
    closing = {row["Month"]: number(row["Closing"]) for row in rows}
    assert list(closing) == [f"2024-{month:02d}" for month in range(1, 13)]
    balances = prepaid_by_month(path)
    assert closing == {month: balances[month] for month in closing}
    assert closing["2024-12"] == Decimal("240.00")  # what is left of the insurance: 1200.00 * 73/365


def test_the_amortisation_waterfall_is_the_expense_accounts_by_month(household: tuple[Fava, Path]) -> None:
    fava, path = household
    rows = rows_of(fava.page(), "revrec-expense-waterfall")
    months = [row["Month"] for row in rows]
    assert months == [f"2024-{month:02d}" for month in range(1, 13)] + ["2025-01", "2025-02", "2025-03"]
    assert [row["Status"] for row in rows] == ["expensed"] * 4 + ["scheduled"] * 11
    shown = {(row["Month"], heading.removesuffix(" (USD)")): number(cell)
             for row in rows for heading, cell in row.items() if heading.startswith("Expenses:") and cell}
    # what the income statement shows: bean-query's expenses by month and account (the plugin booked every month)
    expensed = {(f"{int(row['year']):04d}-{int(row['month']):02d}", row["account"]): Decimal(row["cost"])
                for row in bean_query(path, "SELECT year, month, account, sum(number) AS cost "
                                            "WHERE account ~ '^Expenses:' GROUP BY year, month, account")}
    assert shown == {key: cost for key, cost in expensed.items() if cost and key[1] != "Expenses:Groceries"}
    assert shown["2024-03", "Expenses:Insurance"] == Decimal("55.89")
    assert shown["2024-01", "Expenses:Rent"] == Decimal("1000.00")
    assert ("2024-01", "Expenses:Groceries") not in shown  # an ordinary expense: never prepaid, not the plugin's
    totals = {row["Month"]: number(row["Total (USD)"]) for row in rows}
    assert totals["2024-02"] == Decimal("1029.00")  # what the roll-forward's February expensed
    assert totals["2025-03"] == Decimal("46.03")  # the insurance's last 14 days


def test_the_expense_tables_download(household: tuple[Fava, Path]) -> None:
    fava, _ = household
    html = fava.page()
    assert 'data-table="rollforward" data-side="expense"' in html
    assert "--side expense --from 2024-01-01 --as-of 2024-04-01 --format csv" in html  # the command it mirrors
    response = fava.client.get(f"/{fava.slug}/{PAGE}download?table=rollforward&side=expense&format=csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="expense-rollforward-2024-04-01.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {row["month"]: Decimal(row["closing"]) for row in rows} == PREPAID_CLOSING
    assert {row["account"] for row in rows} == {"Assets:Prepaid"}
    response = fava.client.get(f"/{fava.slug}/{PAGE}download?table=schedule&side=expense&format=xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[0] == ("month", "account", "currency", "expense", "status")  # bean-revrec schedule --side expense's
    assert ("2024-03", "Expenses:Insurance", "USD", 55.89, "expensed") in cells
    refused = fava.client.get(f"/{fava.slug}/{PAGE}download?table=contracts&side=expense&format=csv")
    assert refused.status_code == 400
    assert "NAME is one of schedule, rollforward" in refused.get_data(as_text=True)


def test_the_json_holds_the_expenses(household: tuple[Fava, Path]) -> None:
    fava, _ = household
    data = fava.client.get(f"/{fava.slug}/{PAGE}report_json").get_json()
    assert {row["month"]: Decimal(row["closing"]) for row in data["expenses"]["rollforward"]} == PREPAID_CLOSING
    assert data["waterfall"] == []  # a household earns no revenue
    assert data["rollforward"] == []


def test_a_revenue_ledger_without_costs_has_no_expenses_section(tmp_path: Path) -> None:
    path = with_extension(tmp_path, "contracts.beancount")
    fava = Fava(path)
    html = fava.page("?time=2022-03&revrec_by=contract")
    assert "revrec-expense" not in html
    assert "Expenses: prepaid" not in html
    data = fava.client.get(f"/{fava.slug}/{PAGE}report_json?time=2022-03&revrec_by=contract").get_json()
    assert data["expenses"] is None
    # the revenue figures are the page's as before: the waterfall and the deferred revenue
    shown = {(row["month"], row["group"]): Decimal(row["revenue"]) for row in data["waterfall"]}
    assert shown["2022-03", "ct_multi"] == Decimal("2000.00")
    closing = {(row["account"], row["month"]): Decimal(row["closing"]) for row in data["rollforward"]}
    assert closing["Liabilities:DeferredRevenue", "2022-03"] == fava.balance("Liabilities:DeferredRevenue", "2022-03")
    response = fava.client.get(f"/{fava.slug}/{PAGE}download?table=schedule&side=expense&format=csv")
    assert response.status_code == 400
    assert "nothing on the expense side" in response.get_data(as_text=True)


def test_contract_metrics_show_the_costs_where_a_contract_has_them(tmp_path: Path) -> None:
    """saas-commissions: the page's contract metrics gain the cost columns, the CLI's figures as of 2025-06-30."""
    fava = Fava(with_extension(tmp_path, "saas-commissions.beancount"))
    rows = rows_of(fava.page("?time=2024-07-01+-+2025-06-30"), "revrec-metrics")
    assert list(rows[0])[-3:] == ["Cost", "Cost amortised", "Cost capitalised"]
    acme = next(row for row in rows if row["Contract"] == "ct_acme")
    assert (number(acme["Cost"]), number(acme["Cost amortised"]), number(acme["Cost capitalised"])) == (
        Decimal("7310.00"), Decimal("5470.00"), Decimal("1840.00"))
    without = rows_of(Fava(with_extension(tmp_path, "contracts.beancount")).page(), "revrec-metrics")
    assert "Cost" not in without[0]  # a ledger without costs keeps its columns


@pytest.mark.parametrize("table", ["rollforward", "schedule"])
def test_an_expense_download_is_what_the_command_prints(household: tuple[Fava, Path], table: str) -> None:
    """The Expenses section's CSV is the command its link names (``bean-revrec TABLE ... --side expense``)."""
    fava, _ = household
    found = {re.search(r"table=(\w+)", href)[1]: (href.replace("&amp;", "&"), title.split(" (")[0])
             for href, title in re.findall(r'<a href="([^"]*/download\?[^"]*)" data-remote download title="([^"]*)">',
                                           fava.page())
             if "side=expense" in href and "format=csv" in href}
    address, title = found[table]
    args = shlex.split(title)
    assert args[:2] == ["bean-revrec", table]
    assert args[args.index("--side") + 1] == "expense"
    body = fava.client.get(f"/{fava.slug}/{PAGE}download?" + address.split("download?", 1)[1]).get_data(as_text=True)
    assert body == ok(*args[1:])
    assert len(body.splitlines()) > 1
