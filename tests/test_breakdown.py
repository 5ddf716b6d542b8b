"""Revenue broken down by any group (``reports.breakdown``, ``bean-revrec schedule --by --top``).

Every breakdown sums, month by month, to the income statement bean-query gives; by
product, customer, contract and invoice it equals bean-query's own grouping of the
revenue postings by their metadata (the customer: else the payee, as the plugin reads
it); by rule the numbers are worked out by hand from the ledgers' text. The top N
groups keep the totals to the cent, the rest summed as "(other)".
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections import defaultdict
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from beancount import loader

from beancount_revrec.reports import GROUPS, OTHER, Books, read_books, revenue_by
from beancount_revrec.reports.rows import WaterfallRow
from tests.conftest import LEDGERS, bean_query, ok

DESCRIPTION_AMOUNT = LEDGERS / "rules-description-amount.beancount"
LEDGERS_SHOWN = ["demo", "contracts", "credits", "every-treatment", "voids-and-write-offs", "catch-up-off",
                 "example-8.1"]
EVERYTHING = datetime.date(1, 1, 1)


@cache
def books_of(name: str) -> Books:
    entries, errors, options_map = loader.load_file(str(LEDGERS / f"{name}.beancount"))
    assert errors == []
    books, problems = read_books(entries, options_map)
    assert books is not None, problems
    return books


def revenue_accounts(books: Books) -> str:
    """A BQL condition: the posting is to one of the ledger's revenue accounts (the plugin config's ``revenue``)."""
    return " OR ".join(f"account ~ '^{root}(:|$)'" for root in books.config.revenue)


def by_month(rows: list[WaterfallRow]) -> dict[tuple[str, str], Decimal]:
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in rows:
        totals[row.month, row.currency] += row.revenue
    return {key: total for key, total in totals.items() if total}


def cells(rows: list[WaterfallRow]) -> dict[tuple[str, str, str], Decimal]:
    return {(row.month, row.group, row.currency): row.revenue for row in rows}


@pytest.mark.parametrize("name", LEDGERS_SHOWN)
def test_every_breakdown_sums_to_the_income_statement(name: str) -> None:
    books = books_of(name)
    income: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in bean_query(LEDGERS / f"{name}.beancount", "SELECT year, month, currency, sum(number) AS amount "
                          f"WHERE {revenue_accounts(books)} GROUP BY year, month, currency"):
        income[f"{int(row['year']):04d}-{int(row['month']):02d}", row["currency"]] -= Decimal(row["amount"])
    expected = {key: amount for key, amount in income.items() if amount}
    assert expected
    for by in GROUPS:
        assert by_month(revenue_by(books, EVERYTHING, None, by, books.as_of)) == expected, by


@pytest.mark.parametrize("name", LEDGERS_SHOWN)
@pytest.mark.parametrize(("by", "group"), [
    ("product", "any_meta('product')"), ("contract", "any_meta('contract')"), ("invoice", "any_meta('invoice')"),
    ("customer", "coalesce(str(any_meta('customer')), payee)")])
def test_a_breakdown_by_metadata_is_bean_querys(name: str, by: str, group: str) -> None:
    books = books_of(name)
    expected: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    query = (f"SELECT year, month, str({group}) AS grp, currency, sum(number) AS amount "
             f"WHERE {revenue_accounts(books)} GROUP BY year, month, grp, currency")
    for row in bean_query(LEDGERS / f"{name}.beancount", query):
        month = f"{int(row['year']):04d}-{int(row['month']):02d}"
        expected[month, row["grp"] or "(none)", row["currency"]] -= Decimal(row["amount"])
    assert cells(revenue_by(books, EVERYTHING, None, by, books.as_of)) == {
        key: amount for key, amount in expected.items() if amount}


def test_by_rule_each_line_with_the_rule_it_follows() -> None:
    # il_da1 1200.00 "large-implementations": amortized Apr-Jul, 300.00 a month (its revenue and its deferral
    # both in the rule's group); il_da2 10.00 "avatax": all tax, no revenue; il_da3 600.00 "invoice-lines":
    # 540.00 at once, 60.00 passed through; il_da4 2.50 "card-surcharge": a fee, Income:Fees is revenue too
    rows = json.loads(ok("schedule", DESCRIPTION_AMOUNT, "--from", "2022-04", "--months", "6", "--by", "rule",
                         "--format", "json"))
    assert [(row["month"], row["rule"], row["revenue"], row["status"]) for row in rows] == [
        ("2022-04", "card-surcharge", "2.50", "recognised"),
        ("2022-04", "invoice-lines", "540.00", "recognised"),
        ("2022-04", "large-implementations", "300.00", "recognised"),
        ("2022-05", "large-implementations", "300.00", "scheduled"),
        ("2022-06", "large-implementations", "300.00", "scheduled"),
        ("2022-07", "large-implementations", "300.00", "scheduled"),
    ]


def test_by_customer_the_payee_where_no_customer_is_written() -> None:
    # no customer: metadata in this ledger: Acme's 1200.00 and its deferral are both Acme's
    rows = json.loads(ok("schedule", DESCRIPTION_AMOUNT, "--from", "2022-04", "--months", "2", "--by", "customer",
                         "--format", "json"))
    assert [(row["month"], row["customer"], row["revenue"]) for row in rows] == [
        ("2022-04", "Acme", "300.00"), ("2022-04", "Globex", "540.00"), ("2022-04", "Initech", "2.50"),
        ("2022-05", "Acme", "300.00")]


CREDITED = """\
plugin "beancount_revrec"
2022-01-01 open Assets:AccountsReceivable
2022-01-01 open Income:Sales
2022-01-01 open Income:Refunds

2022-01-01 custom "revrec-rule" "widgets"
  product: "widget"
  treatment: "amortize 2 months monthly"

2022-01-10 * "Acme" "Setup"
  invoice: "in_1"
  Assets:AccountsReceivable   100.00 USD
  Income:Sales               -100.00 USD
    line: "il_1"

2022-01-10 * "Acme" "Widgets"
  invoice: "in_2"
  Assets:AccountsReceivable   300.00 USD
  Income:Sales               -300.00 USD
    product: "widget"
    line: "il_2"

2022-02-05 * "Acme" "Credit: setup"
  invoice: "cn_1"
  Assets:AccountsReceivable   -40.00 USD
  Income:Sales                 40.00 USD
    credit-for: "il_1"

2022-03-01 * "Acme" "Setup, custom"
  invoice: "in_3"
  Assets:AccountsReceivable    90.00 USD
  Income:Sales                -90.00 USD
    line: "il_3"
    revrec: "defer 1 month"
"""


def test_by_rule_the_default_rule_an_override_and_a_credit(tmp_path: Path) -> None:
    # il_1 100.00 at once (default: no service period), its credit of 40.00 a month later ("credit", to
    # Income:Refunds: revenue too); il_2 300.00 "widgets": 150.00 in January and February; il_3 90.00 by its
    # revrec: override, on 2022-04-01
    path = tmp_path / "credited.beancount"
    path.write_text(CREDITED, encoding="utf-8")
    rows = json.loads(ok("schedule", path, "--from", "2022-01", "--months", "4", "--by", "rule", "--format", "json"))
    assert {(row["month"], row["rule"]): row["revenue"] for row in rows} == {
        ("2022-01", "default"): "100.00", ("2022-01", "widgets"): "150.00",
        ("2022-02", "credit"): "-40.00", ("2022-02", "widgets"): "150.00",
        ("2022-04", "override"): "90.00"}


@pytest.mark.parametrize("name", LEDGERS_SHOWN)
def test_no_revenue_without_a_rule_in_a_ledger_without_errors(name: str) -> None:
    books = books_of(name)
    assert [row for row in revenue_by(books, EVERYTHING, None, "rule", books.as_of) if row.group == "(none)"] == []


# --- the top N groups and "(other)" --------------------------------------------------------------


@pytest.mark.parametrize(("by", "top"), [("invoice", 5), ("customer", 3), ("product", 1), ("account", 2)])
def test_the_top_groups_keep_every_total_to_the_cent(by: str, top: int) -> None:
    books = books_of("demo")
    every = revenue_by(books, EVERYTHING, None, by, books.as_of, 0)
    shown = revenue_by(books, EVERYTHING, None, by, books.as_of, top)
    assert by_month(shown) == by_month(every)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in every:
        totals[row.group] += row.revenue
    assert len(totals) > top + 1
    largest = sorted(totals, key=lambda group: abs(totals[group]), reverse=True)[:top]
    assert {row.group for row in shown} == {*largest, OTHER}
    rest: dict[str, Decimal] = defaultdict(Decimal)
    for row in every:
        if row.group not in largest:
            rest[row.month] += row.revenue
    assert {row.month: row.revenue for row in shown if row.group == OTHER} == {
        month: revenue for month, revenue in rest.items() if revenue}
    assert all(row in every for row in shown if row.group != OTHER)


def sale(day: str, invoice: str, number: str, currency: str) -> str:
    return (f'{day} * "Acme" "Sale"\n  invoice: "{invoice}"\n  Assets:AccountsReceivable  {number} {currency}\n'
            f"  Income:Sales  -{number} {currency}\n\n")


def test_the_top_groups_in_each_currency(tmp_path: Path) -> None:
    # recognised at once (no service period): USD in_a 100.00 and in_c 20.00 in January, in_b 50.00 in February;
    # EUR in_d 30.00 in January, in_e 80.00 in February. The largest of each currency, the rest as its "(other)"
    path = tmp_path / "currencies.beancount"
    path.write_text('plugin "beancount_revrec"\n2022-01-01 open Assets:AccountsReceivable\n2022-01-01 open Income:Sales\n\n'
                    + sale("2022-01-05", "in_a", "100.00", "USD") + sale("2022-01-06", "in_c", "20.00", "USD")
                    + sale("2022-02-07", "in_b", "50.00", "USD") + sale("2022-01-08", "in_d", "30.00", "EUR")
                    + sale("2022-02-09", "in_e", "80.00", "EUR"), encoding="utf-8")
    rows = json.loads(ok("schedule", path, "--from", "2022-01", "--months", "2", "--by", "invoice", "--top", "1",
                         "--format", "json"))
    assert [(row["month"], row["invoice"], row["currency"], row["revenue"]) for row in rows] == [
        ("2022-01", "in_a", "USD", "100.00"), ("2022-01", OTHER, "EUR", "30.00"), ("2022-01", OTHER, "USD", "20.00"),
        ("2022-02", "in_e", "EUR", "80.00"), ("2022-02", OTHER, "USD", "50.00")]


def test_as_many_groups_as_the_top_change_nothing() -> None:
    books = books_of("contracts")
    every = revenue_by(books, EVERYTHING, None, "contract", books.as_of, 0)
    assert revenue_by(books, EVERYTHING, None, "contract", books.as_of, len({row.group for row in every})) == every


def test_schedule_top_as_csv_equals_every_group_as_json() -> None:
    demo = LEDGERS / "demo.beancount"
    args = ("schedule", demo, "--from", "2022-01", "--months", "24", "--by", "invoice")
    every = json.loads(ok(*args, "--top", "0", "--format", "json"))
    shown = list(csv.DictReader(io.StringIO(ok(*args, "--top", "4", "--format", "csv"))))
    assert len({row["invoice"] for row in every}) > 100
    assert {row["invoice"] for row in shown} - {OTHER} == set(
        sorted({row["invoice"] for row in every},
               key=lambda invoice: -abs(sum(Decimal(row["revenue"]) for row in every if row["invoice"] == invoice)))[:4])

    def month_totals(rows: list[dict[str, str]]) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for row in rows:
            totals[row["month"]] += Decimal(row["revenue"])
        return dict(totals)

    assert month_totals(shown) == month_totals(every)
    assert len(month_totals(every)) == 24


def test_schedule_shows_ten_groups_by_default_and_other_last() -> None:
    output = ok("schedule", LEDGERS / "demo.beancount", "--from", "2022-01", "--months", "3", "--by", "invoice")
    header = output.splitlines()[1].split()
    assert header[-4:] == [OTHER, "USD", "total", "USD"]
    assert header.count("USD") == 12  # ten invoices, (other) and the total


def test_schedule_help_names_every_group() -> None:
    assert "[account|product|customer|contract|invoice|rule]" in ok("schedule", "--help")
