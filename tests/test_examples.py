"""The worked examples of SPEC sections 4.1, 5.1 and 6.1, through the real bean-query."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import LEDGERS, bean_query, monthly_table, run_tool, table

AR = "Assets:AccountsReceivable"
DEFERRED = "Liabilities:DeferredRevenue"
SALES = "Income:Sales"


def test_example_4_1_service_period_daily() -> None:
    assert monthly_table(LEDGERS / "example-4.1.beancount") == table({
        AR: {"2022-01": "31.00"},
        SALES: {"2022-01": "-17.00", "2022-02": "-14.00"},
        DEFERRED: {"2022-01": "-14.00", "2022-02": "14.00"},
    })


def test_example_4_1_generated_transactions() -> None:
    rows = bean_query(LEDGERS / "example-4.1.beancount",
                      "SELECT date, entry_meta('revrec-kind') AS kind, number, entry_meta('invoice') AS invoice, "
                      f"links WHERE 'revrec' IN tags AND account = '{DEFERRED}' ORDER BY date")
    assert [(r["date"], r["kind"], r["number"], r["invoice"], r["links"]) for r in rows] == [
        ("2022-01-15", "deferral", "-31.00", "in_31", "in_31"),
        ("2022-01-31", "recognition", "17.00", "in_31", "in_31"),
        ("2022-02-14", "recognition", "14.00", "in_31", "in_31"),
    ]


@pytest.mark.parametrize(("method", "revenue"), [
    ("daily", ["16.00", "31.00", "31.00", "30.00", "12.00"]),
    ("monthly", ["30.00", "30.00", "30.00", "30.00"]),
    ("monthly-prorated", ["16.00", "30.67", "30.66", "30.67", "12.00"]),
])
def test_example_5_1_methods(method: str, revenue: list[str]) -> None:
    months = ["2022-06", "2022-07", "2022-08", "2022-09", "2022-10"]
    sales = {month: f"-{amount}" for month, amount in zip(months, revenue, strict=False)}
    deferred = dict(zip(months, revenue, strict=False))
    deferred["2022-06"] = str(Decimal(revenue[0]) - Decimal("120.00"))
    got = monthly_table(LEDGERS / f"example-5.1-{method}.beancount")
    assert got == table({
        AR: {"2022-06": "120.00"}, SALES: sales, DEFERRED: deferred,
    })


def test_example_5_1_calendar_year_daily() -> None:
    got = monthly_table(LEDGERS / "example-5.1-calendar-year.beancount")
    assert {month: -amount for (month, account), amount in got.items() if account == SALES} == {f"2022-{m:02d}": Decimal(d) for m, d in enumerate(
        ["31", "28", "31", "30", "31", "30", "31", "31", "30", "31", "30", "31"], start=1)}


@pytest.mark.parametrize(("case", "expected"), [
    ("no-event", {
        AR: {"2022-06": "100.00"},
        DEFERRED: {"2022-06": "-100.00", "2023-06": "100.00"},
        SALES: {"2023-06": "-100.00"},
    }),
    ("partial", {
        AR: {"2022-06": "100.00"},
        DEFERRED: {"2022-06": "-100.00", "2022-07": "10.00", "2023-06": "90.00"},
        SALES: {"2022-07": "-10.00", "2023-06": "-90.00"},
    }),
    ("full", {
        AR: {"2022-06": "100.00"},
        DEFERRED: {"2022-06": "-100.00", "2022-07": "10.00", "2022-08": "90.00"},
        SALES: {"2022-07": "-10.00", "2022-08": "-90.00"},
    }),
])
def test_example_6_1_fulfillment(case: str, expected: dict[str, dict[str, str]]) -> None:
    ledger = LEDGERS / f"example-6.1-{case}.beancount"
    assert monthly_table(ledger) == table(expected)
    # June nets to zero in Sales: the invoice's -100.00 and the deferral's +100.00.
    june = bean_query(ledger, f"SELECT sum(number) AS n WHERE account = '{SALES}' AND year = 2022 AND month = 6")
    assert Decimal(june[0]["n"]) == 0


def test_example_6_1_fallback_date() -> None:
    rows = bean_query(LEDGERS / "example-6.1-partial.beancount",
                      f"SELECT date, number WHERE 'revrec' IN tags AND account = '{SALES}' "
                      "AND entry_meta('revrec-kind') = 'recognition' ORDER BY date")
    assert [(r["date"], r["number"]) for r in rows] == [("2022-07-29", "-10.00"), ("2023-06-01", "-90.00")]


MAIN_LEDGERS = sorted(path for path in LEDGERS.glob("*.beancount") if not path.name.endswith(".closed.beancount"))


@pytest.mark.parametrize("ledger", MAIN_LEDGERS, ids=lambda p: p.name)
def test_bean_check_passes(ledger) -> None:
    result = run_tool("bean-check", ledger)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout + result.stderr == ""


# Revenue per product and month (revenue-positive) on the ledger that uses every treatment.
EVERY_TREATMENT = {
    "setup": {"2022-01": "50.00"},
    "annual": {f"2022-{m:02d}": d for m, d in enumerate(
        ["31.00", "28.00", "31.00", "30.00", "31.00", "30.00", "31.00", "31.00", "30.00", "31.00", "30.00",
         "31.00"], start=1)},
    "annual-monthly": {f"2022-{m:02d}": "100.00" for m in range(1, 13)},
    "prorated": {"2022-06": "16.00", "2022-07": "30.67", "2022-08": "30.66", "2022-09": "30.67",
                 "2022-10": "12.00"},
    "amortize-invoice": {"2022-02": "30.00", "2022-03": "30.00", "2022-04": "30.00"},
    "amortize-payment": {"2022-04": "30.00", "2022-05": "30.00"},
    "unpaid": {},
    "cash-basis": {"2022-06": "75.00"},
    "defer": {"2022-02": "30.00"},
    "on-date": {"2022-09": "45.00"},
    "prepaid": {"2022-07": "10.00", "2022-08": "25.00", "2022-09": "15.00", "2023-06": "50.00"},
    "widget": {"2022-01": "100.00"},
    "tax": {}, "passthrough": {}, "excluded": {},
    "fee": {"2022-01": "5.00"},  # reclassified to Income:Fees, still income
    "mixed": {"2022-01": "40.00", "2022-02": "20.00", "2022-03": "20.00", "2022-04": "20.00"},
    "service-start": {"2022-03": "12.00"},
    "cash-sale": {"2022-03": "31.51", "2022-04": "30.49"},
    "euro": {f"2022-{m:02d}": "100.00" for m in range(1, 7)},
    "yen": {"2022-01": "3444", "2022-02": "3112", "2022-03": "3444"},
    "proration": {"2022-02": "-14.00", "2022-03": "-14.00"},
}


def test_every_treatment_revenue_by_product() -> None:
    got: dict[str, dict[str, str]] = {product: {} for product in EVERY_TREATMENT}
    for row in bean_query(LEDGERS / "every-treatment.beancount", ".run revenue-by-product"):
        if Decimal(row["revenue"]):
            got[row["product"]][f"{int(row['year']):04d}-{int(row['month']):02d}"] = row["revenue"]
    assert got == EVERY_TREATMENT


def test_every_treatment_reclassified_and_deferred_balances() -> None:
    rows = bean_query(LEDGERS / "every-treatment.beancount",
                      "SELECT account, currency, sum(number) AS balance WHERE account ~ '^(Liabilities|Equity)' "
                      "GROUP BY account, currency ORDER BY account, currency")
    assert {(r["account"], r["currency"]): r["balance"] for r in rows} == {
        ("Equity:RevRec:Exclusions", "USD"): "-20.00",
        ("Liabilities:DeferredRevenue", "EUR"): "0.00",
        ("Liabilities:DeferredRevenue", "JPY"): "0",
        # never-paid in_106 stays deferred
        ("Liabilities:DeferredRevenue", "USD"): "-40.00",
        ("Liabilities:PassthroughFees", "USD"): "-3.00",
        ("Liabilities:TaxLiability", "USD"): "-8.00",
    }
