"""``bean-revrec ... --side expense`` on ledgers/household.beancount: the expense side's reports, in real numbers.

The household prepays rent a quarter at a time (3,000.00, expensed by whole months by a rule), a licence of
366.00 for the 366 days of 2024 and, from 15 March, a year's insurance of 1,200.00. Its prepaid balance by month
is bean-query's ``.run prepaid``: January 2,335.00, February 1,306.00, March 1,419.11.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from beancount import loader

from beancount_revrec.reports import monthly_summary, read_books
from tests.conftest import LEDGERS, assert_one_error_line, bean_query, invoke, ok

HOUSEHOLD = LEDGERS / "household.beancount"
YEAR = ("--from", "2024-01", "--as-of", "2024-12-31")


def json_of(command: str, *args: str) -> Any:
    """A command's JSON output on the household ledger's expense side."""
    return json.loads(ok(command, HOUSEHOLD, *args, "--side", "expense", "--format", "json"))


def prepaid_by_month() -> dict[str, Decimal]:
    """The stored query ``prepaid``, run by the real bean-query: the balance of Assets:Prepaid at each month's end."""
    return {f"{int(row['year']):04d}-{int(row['month']):02d}": Decimal(row["prepaid"].split()[0])
            for row in bean_query(HOUSEHOLD, ".run prepaid") if row["prepaid"]}


def test_rollforward_of_january():
    """January: rent 3,000.00 and the licence 366.00 prepaid; 1,000.00 rent and 31 days of licence expensed."""
    rows = json_of("rollforward", *YEAR)
    assert rows[0] == {"account": "Assets:Prepaid", "currency": "USD", "month": "2024-01", "opening": "0",
                       "prepaid": "3366.00", "expensed": "-1031.00", "corrections": "0", "other": "0",
                       "closing": "2335.00"}
    assert {row["account"] for row in rows} == {"Assets:Prepaid"}  # no contract cost in a household


def test_rollforward_closing_is_the_prepaid_balance_every_month():
    """Each month's closing is what bean-query says Assets:Prepaid holds at the month's end; each row adds up."""
    rows = json_of("rollforward", *YEAR)
    balances = prepaid_by_month()
    assert [balances[month] for month in ("2024-01", "2024-02", "2024-03")] == [
        Decimal("2335.00"), Decimal("1306.00"), Decimal("1419.11")]
    assert {row["month"]: Decimal(row["closing"]) for row in rows} == {
        month: balance for month, balance in balances.items() if month.startswith("2024")}
    assert len(rows) == 12
    for row in rows:
        moved = sum(Decimal(row[column]) for column in ("opening", "prepaid", "expensed", "corrections", "other"))
        assert moved == Decimal(row["closing"]), row
    assert [(row["month"], row["prepaid"]) for row in rows if Decimal(row["prepaid"])] == [
        ("2024-01", "3366.00"), ("2024-03", "1200.00"), ("2024-04", "3000.00")]


def test_rollforward_text_and_csv_use_the_expense_columns():
    """The text table and the CSV name the columns as an accountant expects them: prepaid, expensed."""
    text = ok("rollforward", HOUSEHOLD, "--side", "expense", *YEAR)
    header = text.splitlines()[0].split()
    assert header == ["account", "month", "opening", "prepaid", "expensed", "corrections", "other", "closing"]
    assert "Assets:Prepaid  2024-03  1306.00    1200.00    -1086.89" in text
    table = list(csv.DictReader(io.StringIO(ok("rollforward", HOUSEHOLD, "--side", "expense", *YEAR,
                                               "--format", "csv"))))
    assert table[2] == {"account": "Assets:Prepaid", "currency": "USD", "month": "2024-03", "opening": "1306.00",
                        "prepaid": "1200.00", "expensed": "-1086.89", "corrections": "0", "other": "0",
                        "closing": "1419.11"}


def test_revenue_side_of_a_household_is_empty():
    """Nothing of the household is revenue: the default side has no roll-forward row, no revenue, no rule."""
    assert json.loads(ok("rollforward", HOUSEHOLD, *YEAR, "--format", "json")) == []
    schedule = json.loads(ok("schedule", HOUSEHOLD, "--from", "2024-01", "--format", "json"))
    assert schedule == []
    assert_one_error_line(invoke("rules", HOUSEHOLD).output, "has no revrec-rule")
    assert_one_error_line(invoke("explain", HOUSEHOLD, "home-2024").output, "home-2024")


def test_schedule_expensed_and_scheduled():
    """By month and account: rent by whole months, the licence 1.00 a day, insurance by day from 15 March."""
    rows = json_of("schedule", "--from", "2024-01", "--months", "15", "--as-of", "2024-04-30")
    cells = {(row["month"], row["account"]): (row["expense"], row["status"]) for row in rows}
    assert cells["2024-01", "Expenses:Rent"] == ("1000.00", "expensed")
    assert cells["2024-01", "Expenses:Software"] == ("31.00", "expensed")
    assert cells["2024-02", "Expenses:Software"] == ("29.00", "expensed")
    assert ("2024-01", "Expenses:Groceries") not in cells  # an ordinary expense: the plugin never touches it
    assert cells["2024-03", "Expenses:Insurance"] == ("55.89", "expensed")  # 17 of 365 days of 1,200.00
    assert cells["2024-05", "Expenses:Rent"] == ("1000.00", "scheduled")
    assert cells["2025-03", "Expenses:Insurance"] == ("46.03", "scheduled")
    assert ("2024-07", "Expenses:Rent") not in cells
    totals: dict[str, Decimal] = {}
    for row in rows:
        totals[row["account"]] = totals.get(row["account"], Decimal(0)) + Decimal(row["expense"])
    assert totals == {"Expenses:Rent": Decimal("6000.00"), "Expenses:Software": Decimal("366.00"),
                      "Expenses:Insurance": Decimal("1200.00")}
    text = ok("schedule", HOUSEHOLD, "--side", "expense", "--from", "2024-01", "--months", "2")
    assert text.startswith("Expenses by month and account, from 2024-01; months after 2024-04 are scheduled\n")


def test_schedule_by_rule():
    """By rule: the rent follows its rule, the licence and the insurance the default (their service period)."""
    rows = json_of("schedule", "--from", "2024-03", "--months", "1", "--by", "rule")
    assert {row["rule"]: row["expense"] for row in rows} == {"rent-by-month": "1000.00", "default": "86.89"}


def test_summary_of_march():
    """March: 1,086.89 expensed over service periods; the insurance prepaid; prepaid 1,306.00 to 1,419.11."""
    rows = json_of("summary", "--month", "2024-03")
    figures = {row["figure"]: row["amount"] for row in rows}
    assert figures == {"scheduled": "1086.89", "immediate": "0.00", "fulfillment": "0.00", "contracts": "0.00",
                       "corrections": "0.00", "credits": "0.00", "net": "1086.89", "prepaid_opening": "1306.00",
                       "prepaid_additions": "1200.00", "prepaid_expensed": "-1086.89", "prepaid_corrections": "0.00",
                       "prepaid_other": "0.00", "prepaid_closing": "1419.11", "contract_cost_opening": "0.00",
                       "contract_cost_closing": "0.00"}
    assert {row["section"] for row in rows} == {"expense", "prepaid", "costs"}
    january = {row["figure"]: row["amount"] for row in json_of("summary", "--month", "2024-01")}
    assert (january["scheduled"], january["immediate"], january["net"]) == ("1031.00", "0.00", "1031.00")
    text = ok("summary", HOUSEHOLD, "--side", "expense", "--month", "2024-03")
    assert "Expensed over a service period or schedule  1086.89" in text
    assert "Prepaid by costs paid this month  1200.00" in text
    assert "Closing prepaid expenses          1419.11" in text
    assert "revenue" not in text.lower()


@pytest.mark.parametrize("figure", ["scheduled", "immediate", "net", "prepaid_additions", "prepaid_closing"])
def test_summary_figures_are_their_queries(figure):
    """Each figure's BQL (the Revenue page links it) gives the figure when the real bean-query runs it."""
    entries, _, options_map = loader.load_file(str(HOUSEHOLD))
    books = read_books(entries, options_map)[0]
    assert books is not None
    summary = monthly_summary(books.for_side("expense"), datetime.date(2024, 1, 1))
    expected = {row.currency: row.amount for row in summary.rows if row.figure == figure}
    found = {row["currency"]: Decimal(next(value for key, value in row.items() if key != "currency"))
             for row in bean_query(HOUSEHOLD, summary.queries[figure])}
    assert found == {currency: amount for currency, amount in expected.items() if amount or found}


def test_rules():
    """The rent rule matches both rent payments and governs 6,000.00 of cost."""
    rows = json_of("rules")
    assert [(row["rule"], row["matched"], row["won"], row["governs"], row["status"]) for row in rows] == [
        ("rent-by-month", 2, 2, [{"number": "6000.00", "currency": "USD"}], "active")]


def test_explain_a_prepaid_insurance():
    """The insurance: a cost of 1,200.00 from the vendor Insurer, prepaid and expensed over its year."""
    [row] = json_of("explain", "home-2024")
    assert (row["amount"], row["account"], row["attributes"]["vendor"]) == ("1200.00", "Expenses:Insurance", "Insurer")
    assert row["rule"] == "default"
    entries = [(entry["date"], entry["kind"], entry["debit"], entry["credit"], entry["amount"])
               for entry in row["entries"]]
    assert entries[:2] == [("2024-03-15", "deferral", "Assets:Prepaid", "Expenses:Insurance", "1200.00"),
                           ("2024-03-31", "recognition", "Expenses:Insurance", "Assets:Prepaid", "55.89")]
    assert sum(Decimal(entry[4]) for entry in entries[1:]) == Decimal("1200.00")


def test_corrections_of_an_open_ledger():
    """The household's books are not closed: no correction on the expense side either."""
    assert json_of("corrections") == []
