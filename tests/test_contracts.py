"""Revenue contracts (SPEC section 7): items, billing schedules, recorded billing, metrics.

1. Example 7.1 to the cent through the ``contracts`` command (in-process and as the
   installed console script) and through the real bean-query.
2. ``ledgers/contracts.beancount``: a several-item contract billed a year in advance
   and a contract billed in arrears whose contract asset builds up; the stored BQL
   queries agree with the command at several dates.
3. A hypothesis property over random contracts and billing patterns: balanced
   entries, at most one of deferred revenue and contract asset per contract and
   currency, billed - recognised = deferred - contract asset, exact totals.
4. Bad input: located errors while the rest of the ledger still loads; CLI errors.
"""

from __future__ import annotations

import calendar
import datetime
import json
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from beancount import loader
from beancount.core.data import Query, Transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from beancount_revrec.output import plain
from beancount_revrec.reports import contract_metrics, read_books
from tests.conftest import (
    LEDGERS,
    Loaded,
    assert_one_error_line,
    bean_query,
    invoke,
    lineno,
    monthly_table,
    ok,
    run_tool,
)

D = Decimal
date = datetime.date

EXAMPLE = LEDGERS / "example-7.1.beancount"
CONTRACTS = LEDGERS / "contracts.beancount"
AR = "Assets:AccountsReceivable"
DEFERRED = "Liabilities:DeferredRevenue"
ASSET = "Assets:ContractAssets"
METRICS = ("tcv", "acv", "billed", "revenue", "deferred", "contract_asset", "future_billings", "unbilled_deferred")


def metrics(path: Path, *args: str) -> dict[str, dict[str, str]]:
    """``contracts --format json``: the rows by contract id (every ledger here has one currency)."""
    rows = json.loads(ok("contracts", path, "--format", "json", *args))
    by_contract = {row["contract"]: row for row in rows}
    assert len(by_contract) == len(rows), rows
    return by_contract


def figures(row: dict[str, str]) -> dict[str, str]:
    return {name: row[name] for name in METRICS}


def bq_total(ledger: Path, where: str) -> Decimal:
    """``sum(number)`` of the postings ``where`` selects, by the real bean-query (0 without postings)."""
    rows = bean_query(ledger, f"SELECT currency, sum(number) AS total WHERE {where} GROUP BY currency")
    assert len(rows) <= 1, rows
    return D(rows[0]["total"]) if rows else D(0)


def bq_balances(ledger: Path, contract: str, as_of: str) -> dict[str, Decimal]:
    """Billed, recognised, deferred (a positive liability) and contract asset of ``contract`` by bean-query.

    Billed is what the generated billing entries debit to the receivable or take back from
    revenue (recorded billing); recognised is what the recognition entries credit to revenue.
    """
    rows = bean_query(ledger, (
        "SELECT account, entry_meta('revrec-kind') AS kind, currency, sum(number) AS total "
        f"WHERE entry_meta('contract') = '{contract}' AND date <= {as_of} "
        "GROUP BY account, kind, currency ORDER BY account, kind"))
    assert {row["currency"] for row in rows} <= {"USD"}
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in rows:
        totals[row["account"], row["kind"]] += D(row["total"])
    return {
        "billed": sum((value for (account, kind), value in totals.items()
                       if kind == "billing" and account not in (DEFERRED, ASSET)), D(0)),
        "revenue": -sum((value for (account, kind), value in totals.items()
                         if kind == "recognition" and account.startswith("Income")), D(0)),
        "deferred": -sum((value for (account, _), value in totals.items() if account == DEFERRED), D(0)),
        "contract_asset": sum((value for (account, _), value in totals.items() if account == ASSET), D(0)),
    }


# --- 1. Example 7.1 ------------------------------------------------------------------------------

EXAMPLE_JAN = {"tcv": "10000.00", "acv": "5000.00", "billed": "416.67", "revenue": "424.66", "deferred": "0.00",
               "contract_asset": "7.99", "future_billings": "9583.33", "unbilled_deferred": "9575.34"}
EXAMPLE_JUNE = {"tcv": "10000.00", "acv": "5000.00", "billed": "2500.00", "revenue": "2479.45", "deferred": "20.55",
                "contract_asset": "0.00", "future_billings": "7500.00", "unbilled_deferred": "7500.00"}


EXAMPLE_BEFORE = {"tcv": "10000.00", "acv": "5000.00", "billed": "0.00", "revenue": "0.00", "deferred": "0.00",
                  "contract_asset": "0.00", "future_billings": "10000.00", "unbilled_deferred": "10000.00"}
EXAMPLE_END = {"tcv": "10000.00", "acv": "5000.00", "billed": "10000.00", "revenue": "10000.00", "deferred": "0.00",
               "contract_asset": "0.00", "future_billings": "0.00", "unbilled_deferred": "0.00"}


@pytest.mark.parametrize(("as_of", "expected"), [("2022-01-31", EXAMPLE_JAN), ("2022-06-30", EXAMPLE_JUNE),
                                                 ("2021-12-31", EXAMPLE_BEFORE), ("2023-12-31", EXAMPLE_END)])
def test_example_7_1_metrics_json(as_of, expected):
    (row,) = json.loads(ok("contracts", EXAMPLE, "--as-of", as_of, "--format", "json"))
    assert (row["contract"], row["customer"], row["currency"]) == ("ct_1", "Acme", "USD")
    assert figures(row) == expected


def test_example_7_1_metrics_subprocess():
    result = run_tool("bean-revrec", "contracts", EXAMPLE, "--as-of", "2022-06-30", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    (row,) = json.loads(result.stdout)
    assert figures(row) == EXAMPLE_JUNE
    assert result.stdout == ok("contracts", EXAMPLE, "--as-of", "2022-06-30", "--format", "json")


def test_example_7_1_metrics_table_and_csv():
    out = ok("contracts", EXAMPLE, "--as-of", "2022-06-30")
    lines = out.splitlines()
    assert lines[0] == "Contract metrics as of 2022-06-30"
    assert lines[1] == "ct_1 (Acme, USD)"
    for label, amount in (("Total contract value", "10000.00"), ("Annual contract value", "5000.00"),
                          ("Billing to date", "2500.00"), ("Revenue to date", "2479.45"),
                          ("Deferred revenue", "20.55"), ("Contract asset", "0.00"),
                          ("Future scheduled billings", "7500.00"), ("Unbilled deferred revenue", "7500.00")):
        (line,) = [line for line in lines if line.startswith(label + " ")]
        assert line.split() == [*label.split(), amount, "USD"], line
    csv_lines = ok("contracts", EXAMPLE, "--as-of", "2022-01-31", "--format", "csv").splitlines()
    assert csv_lines == [
        "contract,customer,currency,tcv,acv,billed,revenue,deferred,contract_asset,future_billings,unbilled_deferred",
        "ct_1,Acme,USD,10000.00,5000.00,416.67,424.66,0.00,7.99,9583.33,9575.34",
    ]


@pytest.mark.parametrize(("as_of", "expected"), [
    ("2022-01-31", {"billed": D("416.67"), "revenue": D("424.66"), "deferred": D(0), "contract_asset": D("7.99")}),
    ("2022-06-30", {"billed": D("2500.00"), "revenue": D("2479.45"), "deferred": D("20.55"), "contract_asset": D(0)}),
])
def test_example_7_1_bean_query(as_of, expected):
    assert bq_balances(EXAMPLE, "ct_1", as_of) == expected
    assert bq_total(EXAMPLE, f"account = '{ASSET}' AND date <= {as_of}") == expected["contract_asset"]
    assert bq_total(EXAMPLE, f"account = '{DEFERRED}' AND date <= {as_of}") == -expected["deferred"]
    assert bq_total(EXAMPLE, f"account = 'Income:Subscriptions' AND date <= {as_of}") == -expected["revenue"]
    assert bq_total(EXAMPLE, f"account = '{AR}' AND date <= {as_of}") == expected["billed"]


def test_example_7_1_billing_schedule():
    rows = bean_query(EXAMPLE, f"SELECT date, number, currency WHERE account = '{AR}' "
                               "AND entry_meta('revrec-kind') = 'billing' ORDER BY date")
    expected_dates = [str(date(2022 + month // 12, month % 12 + 1, 1)) for month in range(24)]
    assert [row["date"] for row in rows] == expected_dates
    assert {row["currency"] for row in rows} == {"USD"}
    amounts = [D(row["number"]) for row in rows]
    assert amounts[:7] == [D("416.67"), D("416.66"), D("416.67"), D("416.67"), D("416.66"), D("416.67"),
                           D("416.67")]
    assert sum(amounts) == D("10000.00")
    # the rounding rule: the cumulative billing after k invoices is 10000 * k / 24 rounded half up
    for count in range(1, 25):
        assert sum(amounts[:count]) == (D(10000) * count / 24).quantize(D("0.01"), "ROUND_HALF_UP")


def test_example_7_1_generated_entries():
    entries, errors, _ = loader.load_file(str(EXAMPLE))
    assert errors == []
    billings = [entry for entry in entries if isinstance(entry, Transaction)
                and entry.meta.get("revrec-kind") == "billing"]
    assert len(billings) == 24
    first = billings[0]
    assert "revrec" in first.tags
    assert first.meta["contract"] == "ct_1"
    assert first.meta["customer"] == "Acme"
    assert "ct_1" in first.links
    # billed 416.67 before anything is recognised: all of it is deferred revenue
    assert [(p.account, p.units.number) for p in first.postings] == [(AR, D("416.67")), (DEFERRED, D("-416.67"))]
    # on 2022-01-31 recognition of 424.66 (cumulative, daily) empties deferred and builds the contract asset
    (january,) = [entry for entry in entries if isinstance(entry, Transaction) and entry.date == date(2022, 1, 31)
                  and entry.meta.get("revrec-kind") == "recognition"]
    assert [(p.account, p.units.number) for p in january.postings] == [
        (DEFERRED, D("416.67")), (ASSET, D("7.99")), ("Income:Subscriptions", D("-424.66"))]
    # the next billing takes the contract asset back first
    february = billings[1]
    assert february.date == date(2022, 2, 1)
    assert [(p.account, p.units.number) for p in february.postings] == [
        (AR, D("416.66")), (ASSET, D("-7.99")), (DEFERRED, D("-408.67"))]


# --- 2. ledgers/contracts.beancount --------------------------------------------------------------

MULTI = {"tcv": "16000.00", "acv": "16000.00", "billed": "16000.00", "future_billings": "0.00",
         "contract_asset": "0.00", "unbilled_deferred": "0.00"}
ARREARS = {"tcv": "6000.00", "acv": "6000.00", "deferred": "0.00", "future_billings": "0.00"}
CONTRACT_METRICS = {
    "2022-03-31": {
        "ct_multi": {**MULTI, "revenue": "6500.00", "deferred": "9500.00"},
        "ct_arrears": {**ARREARS, "billed": "0.00", "revenue": "3000.00", "contract_asset": "3000.00",
                       "unbilled_deferred": "3000.00"},
    },
    "2022-04-30": {
        "ct_multi": {**MULTI, "revenue": "7500.00", "deferred": "8500.00"},
        "ct_arrears": {**ARREARS, "billed": "3000.00", "revenue": "4000.00", "contract_asset": "1000.00",
                       "unbilled_deferred": "2000.00"},
    },
    # the default: the last entry written in the ledger (2022-07-05), not the last generated one (2022-12-31):
    # platform 6 x 1000.00, onboarding 1500.00 + 1000.00 + the 500.00 left on 2022-07-01, setup 1000.00
    None: {
        "ct_multi": {**MULTI, "revenue": "10000.00", "deferred": "6000.00"},
        "ct_arrears": {**ARREARS, "billed": "6000.00", "revenue": "6000.00", "contract_asset": "0.00",
                       "unbilled_deferred": "0.00"},
    },
}


@pytest.mark.parametrize("as_of", list(CONTRACT_METRICS), ids=["2022-03-31", "2022-04-30", "default"])
def test_contracts_ledger_metrics(as_of):
    found = metrics(CONTRACTS, *(["--as-of", as_of] if as_of else []))
    assert sorted(found) == ["ct_arrears", "ct_multi"]
    assert (found["ct_multi"]["customer"], found["ct_arrears"]["customer"]) == ("Globex", "Initech")
    assert {contract: figures(row) for contract, row in found.items()} == CONTRACT_METRICS[as_of]


def test_contracts_default_as_of_is_the_last_entry_written():
    out = ok("contracts", CONTRACTS)
    assert out.splitlines()[0] == "Contract metrics as of 2022-07-05"
    assert metrics(CONTRACTS) == metrics(CONTRACTS, "--as-of", "2022-07-05")


def test_contracts_filter_one_contract():
    found = json.loads(ok("contracts", CONTRACTS, "--contract", "ct_arrears", "--as-of", "2022-04-30",
                          "--format", "json"))
    assert [row["contract"] for row in found] == ["ct_arrears"]
    assert figures(found[0]) == CONTRACT_METRICS["2022-04-30"]["ct_arrears"]
    out = ok("contracts", CONTRACTS, "--contract", "ct_arrears", "--as-of", "2022-04-30")
    assert "ct_arrears (Initech, USD)" in out
    assert "ct_multi" not in out
    assert "Contract asset             1000.00 USD" in out.splitlines()


def test_contracts_ledger_multi_item_revenue_by_month():
    rows = bean_query(CONTRACTS, (
        "SELECT year, month, account, sum(number) AS amount WHERE entry_meta('contract') = 'ct_multi' "
        "AND account ~ '^Income' GROUP BY year, month, account ORDER BY year, month, account"))
    by_month = {(f"{int(row['year'])}-{int(row['month']):02d}", row["account"]): D(row["amount"]) for row in rows}
    expected = {(f"2022-{month:02d}", "Income:Subscriptions"): D("-1000.00") for month in range(1, 13)}
    expected.update({  # setup on 2022-01-15; onboarding 50% on 02-15, 1000.00 on 03-20, the rest on 07-01
        ("2022-01", "Income:Services"): D("-1000.00"),
        ("2022-02", "Income:Services"): D("-1500.00"),
        ("2022-03", "Income:Services"): D("-1000.00"),
        ("2022-07", "Income:Services"): D("-500.00"),
    })
    assert by_month == expected
    recognised = bean_query(CONTRACTS, (
        "SELECT date, number WHERE entry_meta('contract') = 'ct_multi' AND account = 'Income:Services' "
        "ORDER BY date"))
    assert [(row["date"], D(row["number"])) for row in recognised] == [
        ("2022-01-15", D("-1000.00")), ("2022-02-15", D("-1500.00")), ("2022-03-20", D("-1000.00")),
        ("2022-07-01", D("-500.00"))]
    # the ledger's monthly table: ct_arrears adds 1000.00 of services a month to June; its recorded
    # billing lines are taken back out of revenue on their own dates
    table = monthly_table(CONTRACTS)
    services = {month: table.get((month, "Income:Services"), D(0)) for month in
                ("2022-01", "2022-02", "2022-03", "2022-04", "2022-05", "2022-06", "2022-07", "2022-08")}
    assert services == {"2022-01": D("-2000.00"), "2022-02": D("-2500.00"), "2022-03": D("-2000.00"),
                        "2022-04": D("-1000.00"), "2022-05": D("-1000.00"), "2022-06": D("-1000.00"),
                        "2022-07": D("-500.00"), "2022-08": D(0)}
    assert sum(value for (_, account), value in table.items() if account.startswith("Income")) == D("-22000.00")


def test_contracts_ledger_arrears_builds_a_contract_asset():
    rows = bean_query(CONTRACTS, (
        f"SELECT date, account, number WHERE entry_meta('contract') = 'ct_arrears' "
        f"AND account ~ '^({DEFERRED}|{ASSET})$' ORDER BY date, account"))
    assert [(row["date"], row["account"], D(row["number"])) for row in rows] == [
        ("2022-01-31", ASSET, D("1000.00")), ("2022-02-28", ASSET, D("1000.00")),
        ("2022-03-31", ASSET, D("1000.00")), ("2022-04-05", ASSET, D("-3000.00")),
        ("2022-04-30", ASSET, D("1000.00")), ("2022-05-31", ASSET, D("1000.00")),
        ("2022-06-30", ASSET, D("1000.00")), ("2022-07-05", ASSET, D("-3000.00")),
    ]


@pytest.mark.parametrize(("as_of", "asset"), [
    ("2022-01-30", "0"), ("2022-01-31", "1000.00"), ("2022-02-28", "2000.00"), ("2022-03-31", "3000.00"),
    ("2022-04-04", "3000.00"), ("2022-04-05", "0"), ("2022-06-30", "3000.00"), ("2022-07-05", "0"),
])
def test_contracts_ledger_arrears_asset_balance(as_of, asset):
    assert bq_total(CONTRACTS, f"entry_meta('contract') = 'ct_arrears' AND account = '{ASSET}' "
                               f"AND date <= {as_of}") == D(asset)
    assert bq_total(CONTRACTS, f"entry_meta('contract') = 'ct_arrears' AND account = '{DEFERRED}' "
                               f"AND date <= {as_of}") == D(0)


def test_contracts_ledger_recorded_billing_is_not_revenue():
    """The recorded invoices' revenue postings are billing: the plugin takes them back out of revenue."""
    balances = bq_balances(CONTRACTS, "ct_arrears", "2022-04-05")
    assert balances == {"billed": D("3000.00"), "revenue": D("3000.00"), "deferred": D(0), "contract_asset": D(0)}
    assert bq_total(CONTRACTS, "entry_meta('contract') = 'ct_arrears' AND account = 'Income:Services' "
                               "AND date <= 2022-04-05") == D("-3000.00")
    assert bq_total(CONTRACTS, "entry_meta('contract') = 'ct_arrears' AND account = 'Income:Services'") == D(
        "-6000.00")
    assert bq_total(CONTRACTS, f"entry_meta('contract') = 'ct_arrears' AND account = '{AR}'") == D("6000.00")


STORED = {"contract-billed": "billed", "contract-revenue": "revenue", "contract-deferred": "deferred",
          "contract-asset": "contract_asset"}


def stored_queries() -> dict[str, str]:
    entries, errors, _ = loader.load_file(str(CONTRACTS))
    assert errors == []
    return {entry.name: entry.query_string for entry in entries if isinstance(entry, Query)}


def stored_values(rows: list[dict[str, str]], column: str) -> dict[str, Decimal]:
    assert {row["currency"] for row in rows} <= {"USD"}
    values = {row["contract"]: D(row[column]) for row in rows}
    return {contract: values.get(contract, D(0)) for contract in ("ct_arrears", "ct_multi")}


def cli_values(found: dict[str, dict[str, str]], metric: str) -> dict[str, Decimal]:
    return {contract: D(found[contract][metric]) for contract in ("ct_arrears", "ct_multi")}


@pytest.mark.parametrize("as_of", ["2022-01-31", "2022-03-31", "2022-04-05", "2022-04-30", "2022-07-01"])
def test_stored_queries_agree_with_the_cli(as_of):
    queries = stored_queries()
    assert set(STORED) <= set(queries)
    found = metrics(CONTRACTS, "--as-of", as_of)
    for name, metric in STORED.items():
        sql = queries[name]
        assert sql.count(" WHERE ") == 1, sql
        dated = sql.replace(" WHERE ", f" WHERE date <= {as_of} AND ")
        assert stored_values(bean_query(CONTRACTS, dated), metric) == cli_values(found, metric), (name, as_of)


def test_stored_queries_run_agree_with_the_cli_at_the_end():
    found = metrics(CONTRACTS, "--as-of", "2022-12-31")  # the stored queries sum every date
    for name, metric in STORED.items():
        assert stored_values(bean_query(CONTRACTS, f".run {name}"), metric) == cli_values(found, metric), name
    assert stored_values(bean_query(CONTRACTS, ".run contract-billed"), "billed") == {
        "ct_arrears": D("6000.00"), "ct_multi": D("16000.00")}


def test_stored_queries_known_values_on_2022_03_31():
    queries = stored_queries()
    run = {name: stored_values(bean_query(CONTRACTS, queries[name].replace(" WHERE ", " WHERE date <= 2022-03-31 AND ")),
                               metric)
           for name, metric in STORED.items()}
    assert run == {
        "contract-billed": {"ct_arrears": D(0), "ct_multi": D("16000.00")},
        "contract-revenue": {"ct_arrears": D("3000.00"), "ct_multi": D("6500.00")},
        "contract-deferred": {"ct_arrears": D(0), "ct_multi": D("9500.00")},
        "contract-asset": {"ct_arrears": D("3000.00"), "ct_multi": D(0)},
    }


# --- 3. the invariant over random contracts -------------------------------------------------------

PLACES = {"USD": 2, "JPY": 0}
PROPERTY_HEADER = f"""\
plugin "beancount_revrec" "{{'precision': {PLACES!r}}}"
2020-01-01 open {AR}
2020-01-01 open Income:Sales
2020-01-01 open Income:Services
"""
EVERY = {"month": 1, "quarter": 3, "year": 12}
TREATMENTS = ("ratable", "ratable daily", "ratable monthly", "ratable monthly-prorated", "immediate",
              "fulfillment", "50% ratable monthly + 50% immediate", "25% immediate + 75% ratable")
FIRST = date(2022, 1, 1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    years, month = divmod(day.month - 1 + months, 12)
    year = day.year + years
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def round_half_up(value: Fraction, places: int) -> Decimal:
    units = int(abs(value) * 10**places + Fraction(1, 2))
    return Decimal(-units if value < 0 else units).scaleb(-places)


def show(amount: Decimal, currency: str) -> str:
    return f"{amount:.{PLACES[currency]}f} {currency}"


class Schedule(NamedTuple):
    day: datetime.date
    total: Decimal
    currency: str
    every: str
    until: datetime.date

    def billings(self) -> list[tuple[datetime.date, Decimal]]:
        """SPEC 7: the directive's date and every period after it before ``until``, total split evenly."""
        dates = []
        while (day := add_months(self.day, EVERY[self.every] * len(dates))) < self.until:
            dates.append(day)
        reached = [round_half_up(Fraction(self.total) * (k + 1) / len(dates), PLACES[self.currency])
                   for k in range(len(dates))]
        return list(zip(dates, [b - a for a, b in zip([D(0), *reached[:-1]], reached, strict=True)], strict=True))


class Random(NamedTuple):
    text: str
    items: dict[tuple[str, str], Decimal]  # (contract, currency) -> TCV
    billings: dict[tuple[str, str], list[tuple[datetime.date, Decimal]]]  # expected billing
    schedules: dict[tuple[str, str], Decimal]  # schedule totals


def days(draw: Any, low: datetime.date, high: datetime.date) -> datetime.date:
    return draw(st.dates(low, high))


def amount_in(draw: Any, currency: str, low: int = 1, high: int = 10**6) -> Decimal:
    return D(draw(st.integers(low, high))).scaleb(-PLACES[currency])


@st.composite
def random_ledgers(draw: Any) -> Random:
    text = [PROPERTY_HEADER]
    items: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    billings: dict[tuple[str, str], list[tuple[datetime.date, Decimal]]] = defaultdict(list)
    schedules: dict[tuple[str, str], Decimal] = {}
    for number in range(draw(st.integers(1, 2))):
        contract = f"ct_{number}"
        text.append(f'\n2022-01-01 custom "revrec-contract" "{contract}"\n  customer: "Customer {number}"\n')
        currencies = set()
        for index in range(draw(st.integers(1, 3))):
            currency = draw(st.sampled_from(sorted(PLACES)))
            currencies.add(currency)
            amount = amount_in(draw, currency)
            items[contract, currency] += amount
            day = days(draw, FIRST, date(2023, 6, 30))
            treatment = draw(st.sampled_from(TREATMENTS))
            meta = [f'item: "{contract}-i{index}"', f"account: {draw(st.sampled_from(['Income:Sales', 'Income:Services']))}"]
            if "ratable" in treatment or draw(st.booleans()):
                start = days(draw, date(2021, 10, 1), date(2023, 12, 31))
                end = start + datetime.timedelta(days=draw(st.integers(1, 800)))
                meta += [f"service-start: {start}", f"service-end: {end}"]
            events = []
            if treatment == "fulfillment":
                months = draw(st.integers(1, 18))
                treatment = f"fulfillment {months} months"
                deadline = add_months(day, months)
                left = 100
                for _ in range(draw(st.integers(0, 3))):
                    if left <= 0:
                        break
                    percent = draw(st.integers(1, left))
                    left -= percent
                    target = draw(st.sampled_from([f"{contract}/{contract}-i{index}", f"{contract}-i{index}"]))
                    part = (amount * percent / 100).quantize(D(1).scaleb(-PLACES[currency]), "ROUND_DOWN")
                    value = f'"{percent}%"' if not part or draw(st.booleans()) else show(part, currency)
                    events.append(f'{days(draw, day, deadline)} custom "revrec-fulfill" "{target}" {value}\n')
            meta.append(f'treatment: "{treatment}"')
            text.append(f'\n{day} custom "revrec-item" "{contract}" {show(amount, currency)}\n'
                        + "".join(f"  {line}\n" for line in meta) + "".join(events))
        scheduled = draw(st.booleans())  # one billing style per contract
        for currency in sorted(currencies):
            key = (contract, currency)
            if scheduled:
                day = days(draw, date(2021, 6, 1), date(2023, 12, 31))
                schedule = Schedule(day, amount_in(draw, currency), currency, draw(st.sampled_from(sorted(EVERY))),
                                    day + datetime.timedelta(days=draw(st.integers(1, 1100))))
                schedules[key] = schedule.total
                billings[key] = schedule.billings()
                text.append(f'\n{day} custom "revrec-billing" "{contract}" {show(schedule.total, currency)}\n'
                            f'  every: "{schedule.every}"\n  until: {schedule.until}\n')
            else:
                for invoice in range(draw(st.integers(0, 4))):
                    day = days(draw, date(2021, 6, 1), date(2024, 6, 30))
                    billed = amount_in(draw, currency) * draw(st.sampled_from([1, 1, 1, -1]))
                    billings[key].append((day, billed))
                    text.append(f'\n{day} * "Customer {number}" "Invoice"\n  invoice: "in_{contract}_{currency}_'
                                f'{invoice}"\n  contract: "{contract}"\n  {AR}  {show(billed, currency)}\n'
                                f"  Income:Sales  {show(-billed, currency)}\n")
    return Random("".join(text), dict(items), dict(billings), schedules)


PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(random_ledgers())
def test_contract_presentation_invariant(ledger):
    entries, errors, options_map = loader.load_string(ledger.text)
    assert errors == [], [error.message for error in errors]
    generated = [entry for entry in entries if isinstance(entry, Transaction) and "revrec" in entry.tags]
    for entry in generated:
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for posting in entry.postings:
            sums[posting.units.currency] += posting.units.number
            assert posting.units.number.as_tuple().exponent >= -PLACES[posting.units.currency], entry
        assert all(value == 0 for value in sums.values()), entry

    # per contract and currency: the postings of entries whose meta names the contract, by date
    moves: dict[tuple[str, str], list[tuple[datetime.date, str, Decimal, str | None]]] = defaultdict(list)
    for entry in entries:
        if isinstance(entry, Transaction) and "contract" in entry.meta:
            for posting in entry.postings:
                moves[entry.meta["contract"], posting.units.currency].append(
                    (entry.date, posting.account, posting.units.number, entry.meta.get("revrec-kind")))
    result, _ = read_books(entries, options_map)
    assert result is not None
    for key, tcv in ledger.items.items():
        contract, currency = key
        expected_billing = sorted(ledger.billings.get(key, []))
        generated_billing = sorted((day, number) for day, account, number, kind in moves[key]
                                   if kind == "billing" and account == AR)
        if key in ledger.schedules:
            # a billing that rounds to zero generates no entry
            assert generated_billing == [(day, amount) for day, amount in expected_billing if amount]
            assert sum(number for _, number in generated_billing) == ledger.schedules[key]
        else:
            assert generated_billing == []
        checked = sorted({day for day, _, _, _ in moves[key]} | {day for day, _ in expected_billing})
        for day in checked:
            deferred = -sum((n for d, account, n, _ in moves[key] if d <= day and account == DEFERRED), D(0))
            asset = sum((n for d, account, n, _ in moves[key] if d <= day and account == ASSET), D(0))
            recognised = -sum((n for d, account, n, _ in moves[key] if d <= day and account.startswith("Income")),
                              D(0))
            billed = sum((amount for d, amount in expected_billing if d <= day), D(0))
            assert deferred == 0 or asset == 0, (key, day, deferred, asset)
            assert deferred >= 0, (key, day, deferred, asset)
            assert asset >= 0, (key, day, deferred, asset)
            assert billed - recognised == deferred - asset, (key, day, billed, recognised, deferred, asset)
            (row,) = [plain(row) for row in contract_metrics(result, day, contract) if row.currency == currency]
            assert (D(row["billed"]), D(row["revenue"]), D(row["deferred"]), D(row["contract_asset"])) == (
                billed, recognised, deferred, asset), (key, day)
            assert D(row["tcv"]) == tcv
            assert D(row["future_billings"]) == sum((a for d, a in expected_billing if d > day and key
                                                     in ledger.schedules), D(0))
        # everything is recognised in the end: revenue equals the contract value
        recognised = -sum((n for _, account, n, _ in moves[key] if account.startswith("Income")), D(0))
        assert recognised == tcv, key
        assert -sum((n for _, account, n, kind in moves[key] if kind == "recognition" and account.startswith("Income")),
                    D(0)) == tcv, key


# --- 4. bad input ---------------------------------------------------------------------------------

GOOD = """\
plugin "beancount_revrec"
2022-01-01 open Assets:AccountsReceivable
2022-01-01 open Income:Subscriptions
2022-01-01 open Income:Services

2022-01-01 custom "revrec-contract" "ct_ok"
  customer: "Acme"

2022-01-01 custom "revrec-item" "ct_ok" 10000.00 USD
  item: "platform"
  account: Income:Subscriptions
  service-start: 2022-01-01
  service-end: 2024-01-01

2022-01-01 custom "revrec-billing" "ct_ok" 10000.00 USD
  every: "month"
  until: 2024-01-01

2022-01-01 custom "revrec-contract" "ct_2"
  customer: "Beta"

2022-01-01 custom "revrec-item" "ct_2" 1200.00 USD
  item: "support"
  account: Income:Services
  service-start: 2022-01-01
  service-end: 2023-01-01
  treatment: "ratable monthly"
"""


def load(tmp_path: Path, bad: str) -> Loaded:
    text = GOOD + bad
    path = tmp_path / "contracts.beancount"
    path.write_text(text, encoding="utf-8")
    entries, errors, options_map = loader.load_file(str(path))
    return Loaded(path, text, entries, errors, options_map)


def assert_located_error(loaded: Loaded, needle: str, *words: str) -> None:
    """The ledger's only error is at the line holding ``needle`` and says all ``words``."""
    shown = [(error.source and (error.source.get("filename"), error.source.get("lineno")), error.message)
             for error in loaded.errors]
    assert len(loaded.errors) == 1, shown
    (error,) = loaded.errors
    assert "Traceback" not in error.message, error.message
    assert "internal error" not in error.message, error.message
    assert error.source["filename"] == str(loaded.path), shown
    assert error.source["lineno"] == lineno(loaded.text, needle), shown
    for word in words:
        assert word in error.message, (word, error.message)


def contract_moves(entries: list[Any], contract: str) -> list[tuple[datetime.date, str, Decimal, str | None]]:
    return [(entry.date, posting.account, posting.units.number, entry.meta.get("revrec-kind"))
            for entry in entries if isinstance(entry, Transaction) and entry.meta.get("contract") == contract
            for posting in entry.postings]


def balances(entries: list[Any], contract: str, as_of: datetime.date) -> tuple[Decimal, ...]:
    """(billed, recognised, deferred, contract asset) of ``contract`` on ``as_of`` from the loaded entries."""
    moves = [move for move in contract_moves(entries, contract) if move[0] <= as_of]
    # generated billing debits the receivable (a schedule) or takes a recorded invoice's line out of revenue
    billed = sum((n for _, account, n, kind in moves
                  if kind == "billing" and (account == AR or account.startswith("Income"))), D(0))
    return (billed, -sum((n for _, account, n, kind in moves if kind == "recognition"
                          and account.startswith("Income")), D(0)),
            -sum((n for _, account, n, _ in moves if account == DEFERRED), D(0)),
            sum((n for _, account, n, _ in moves if account == ASSET), D(0)))


def assert_good_contract_still_works(entries: list[Any]) -> None:
    assert balances(entries, "ct_ok", date(2022, 1, 31)) == (D("416.67"), D("424.66"), D(0), D("7.99"))
    assert balances(entries, "ct_ok", date(2022, 6, 30)) == (D("2500.00"), D("2479.45"), D("20.55"), D(0))
    billing = [n for _, account, n, kind in contract_moves(entries, "ct_ok") if kind == "billing" and account == AR]
    assert len(billing) == 24
    assert sum(billing) == D("10000.00")


def ct_2_revenue(entries: list[Any]) -> Decimal:
    return -sum((n for _, account, n, kind in contract_moves(entries, "ct_2")
                 if kind == "recognition" and account.startswith("Income")), D(0))


BAD_INPUT = [
    pytest.param('\n2022-02-01 custom "revrec-item" "ct_nope" 500.00 USD\n  item: "x"\n  account: Income:Services\n'
                 '  treatment: "immediate"\n',
                 '"revrec-item" "ct_nope"', ('revrec-item: unknown contract "ct_nope"', 'custom "revrec-contract"'),
                 id="item-unknown-contract"),
    pytest.param('\n2022-02-01 custom "revrec-billing" "ct_nope" 500.00 USD\n  every: "month"\n  until: 2022-06-01\n',
                 '"revrec-billing" "ct_nope"', ('revrec-billing: unknown contract "ct_nope"',),
                 id="billing-unknown-contract"),
    pytest.param('\n2022-03-01 custom "revrec-contract" "ct_ok"\n  customer: "Someone else"\n',
                 '2022-03-01 custom "revrec-contract" "ct_ok"', ('contract "ct_ok" already exists',),
                 id="duplicate-contract"),
    pytest.param('\n2022-03-01 custom "revrec-item" "ct_ok" 99.00 USD\n  item: "platform"\n'
                 '  account: Income:Services\n  treatment: "immediate"\n',
                 '"revrec-item" "ct_ok" 99.00 USD', ('item "platform" already exists in contract "ct_ok"',),
                 id="duplicate-item"),
    pytest.param('\n2022-03-01 custom "revrec-item" "ct_2" 99.00 USD\n  item: "extra"\n  treatment: "immediate"\n',
                 '"revrec-item" "ct_2" 99.00 USD', ("revrec-item: needs account:",), id="item-without-account"),
    pytest.param('\n2022-03-01 custom "revrec-item" "ct_2" 99.00 USD\n  item: "extra"\n  account: Income:Services\n',
                 '"revrec-item" "ct_2" 99.00 USD', ("a ratable item needs service-start: and service-end:",),
                 id="ratable-without-service"),
    pytest.param('\n2022-03-01 custom "revrec-item" "ct_2" 99.00 USD\n  item: "extra"\n  account: Income:Services\n'
                 '  treatment: "ratable weekly"\n  service-start: 2022-03-01\n  service-end: 2022-04-01\n',
                 '"revrec-item" "ct_2" 99.00 USD', ('treatment: "ratable weekly"', 'unexpected "weekly"'),
                 id="malformed-treatment"),
    pytest.param('\n2022-03-01 custom "revrec-item" "ct_2" 99.00 USD\n  item: "extra"\n  account: Income:Services\n'
                 '  treatment: "tax"\n',
                 '"revrec-item" "ct_2" 99.00 USD', ('treatment: "tax"', "not reclassified"), id="treatment-tax"),
    pytest.param('\n2022-03-01 custom "revrec-billing" "ct_2" 1200.00 USD\n  every: "month"\n  until: 2022-03-01\n',
                 '"revrec-billing" "ct_2"', ("until 2022-03-01 must be after the schedule's date 2022-03-01",),
                 id="until-not-after-date"),
    pytest.param('\n2022-03-01 custom "revrec-billing" "ct_2" 1200.00 USD\n  every: "week"\n  until: 2023-03-01\n',
                 '"revrec-billing" "ct_2"', ('every: must be "month", "quarter" or "year"',), id="bad-every"),
    pytest.param('\n2022-03-01 custom "revrec-billing" "ct_2" 1200.00 EUR\n  every: "month"\n  until: 2023-03-01\n',
                 '"revrec-billing" "ct_2"', ('no item of contract "ct_2" is in EUR',), id="billing-currency"),
]


@pytest.mark.parametrize(("bad", "needle", "words"), BAD_INPUT)
def test_bad_contract_input(tmp_path, bad, needle, words):
    loaded = load(tmp_path, bad)
    assert_located_error(loaded, needle, *words)
    assert_good_contract_still_works(loaded.entries)
    assert ct_2_revenue(loaded.entries) == D("1200.00")
    assert not [entry for entry in loaded.entries if isinstance(entry, Transaction)
                and entry.meta.get("contract") in ("ct_nope", None) and "revrec" in entry.tags]
    # a duplicate item or contract does not change the first: TCV and customer stay
    result, _ = read_books(loaded.entries, loaded.options_map)
    assert result is not None
    rows = {row.contract: plain(row) for row in contract_metrics(result, date(2022, 6, 30))}
    assert (rows["ct_ok"]["customer"], rows["ct_ok"]["tcv"], rows["ct_ok"]["revenue"]) == ("Acme", "10000.00",
                                                                                           "2479.45")
    assert (rows["ct_2"]["tcv"], rows["ct_2"]["billed"], rows["ct_2"]["revenue"]) == ("1200.00", "0.00", "600.00")


@pytest.mark.parametrize(("dates", "day"), [
    ("  service-start: 2022-03-15\n", date(2022, 3, 15)),  # a start alone is enough for an immediate item
    ("  service-start: 2022-03-15\n  service-end: 2022-04-15\n", date(2022, 3, 15)),
    ("", date(2022, 2, 1)),  # no dates: the contract's date, not the item's (2022-01-20)
])
def test_immediate_item_dates(tmp_path, dates, day):
    loaded = load(tmp_path, '\n2022-02-01 custom "revrec-contract" "ct_3"\n  customer: "Gamma"\n'
                            '\n2022-01-20 custom "revrec-item" "ct_3" 500.00 USD\n  item: "setup"\n'
                            f'  account: Income:Services\n  treatment: "immediate"\n{dates}')
    assert loaded.errors == []
    assert [(when, account, number) for when, account, number, kind in contract_moves(loaded.entries, "ct_3")
            if kind == "recognition"] == [(day, ASSET, D("500.00")), (day, "Income:Services", D("-500.00"))]


RECORDED = """
2022-02-10 * "Beta" "Support invoice"
  invoice: "in_beta"
  contract: "{contract}"
  Assets:AccountsReceivable   {amount}
  Income:Services            -{amount}
"""


def test_both_billing_styles(tmp_path):
    bad = ('\n2022-01-01 custom "revrec-billing" "ct_2" 1200.00 USD\n  every: "quarter"\n  until: 2023-01-01\n'
           + RECORDED.format(contract="ct_2", amount="300.00 USD"))
    loaded = load(tmp_path, bad)
    assert_located_error(loaded, '"revrec-billing" "ct_2"', 'contract "ct_2" is already billed',
                         "one billing style per contract")
    assert_good_contract_still_works(loaded.entries)
    # the schedule is rejected: only the recorded invoice bills ct_2
    billing = [(day, account, n) for day, account, n, kind in contract_moves(loaded.entries, "ct_2")
               if kind == "billing"]
    assert billing == [(date(2022, 2, 10), "Income:Services", D("300.00")),
                       (date(2022, 2, 10), ASSET, D("-100.00")),
                       (date(2022, 2, 10), DEFERRED, D("-200.00"))]
    assert balances(loaded.entries, "ct_2", date(2022, 1, 31)) == (D(0), D("100.00"), D(0), D("100.00"))
    assert balances(loaded.entries, "ct_2", date(2022, 2, 28)) == (D("300.00"), D("200.00"), D("100.00"), D(0))
    assert balances(loaded.entries, "ct_2", date(2022, 3, 31)) == (D("300.00"), D("300.00"), D(0), D(0))
    assert balances(loaded.entries, "ct_2", date(2022, 6, 30)) == (D("300.00"), D("600.00"), D(0), D("300.00"))
    assert ct_2_revenue(loaded.entries) == D("1200.00")
    # the metrics follow the recorded billing too: the rejected schedule bills nothing, now or later
    result, _ = read_books(loaded.entries, loaded.options_map)
    assert result is not None
    (row,) = contract_metrics(result, date(2022, 6, 30), "ct_2")
    assert figures(plain(row)) == {"tcv": "1200.00", "acv": "1200.00", "billed": "300.00", "revenue": "600.00",
                            "deferred": "0.00", "contract_asset": "300.00", "future_billings": "0.00",
                            "unbilled_deferred": "600.00"}


@pytest.mark.parametrize(("contract", "amount", "words"), [
    pytest.param("ct_nope", "300.00 USD", ('contract: unknown contract "ct_nope"', 'custom "revrec-contract"'),
                 id="unknown-contract"),
    pytest.param("ct_2", "300.00 EUR", ('contract "ct_2" has no item in EUR',), id="currency"),
])
def test_bad_recorded_billing(tmp_path, contract, amount, words):
    loaded = load(tmp_path, RECORDED.format(contract=contract, amount=amount))
    assert_located_error(loaded, "Income:Services            -", *words)
    assert_good_contract_still_works(loaded.entries)
    assert ct_2_revenue(loaded.entries) == D("1200.00")
    # the recorded invoice stays as booked and bills nothing
    (invoice,) = [entry for entry in loaded.entries if isinstance(entry, Transaction)
                  and entry.meta.get("invoice") == "in_beta"]
    number, currency = amount.split()
    assert [(p.account, p.units.number, p.units.currency) for p in invoice.postings] == [
        (AR, D(number), currency), ("Income:Services", -D(number), currency)]
    assert not [entry for entry in loaded.entries if isinstance(entry, Transaction) and "revrec" in entry.tags
                and entry.meta.get("revrec-kind") == "billing" and entry.meta.get("contract") != "ct_ok"]


def test_two_schedules_on_one_contract(tmp_path):
    """A second schedule (e.g. a change order) bills on top of the first: one billing a date, one key each."""
    loaded = load(tmp_path, '\n2022-01-01 custom "revrec-billing" "ct_2" 600.00 USD\n  every: "quarter"\n'
                            '  until: 2023-01-01\n'
                            '\n2022-01-01 custom "revrec-billing" "ct_2" 600.00 USD\n  every: "quarter"\n'
                            '  until: 2023-01-01\n')
    assert loaded.errors == []
    assert_good_contract_still_works(loaded.entries)
    billing = sorted((day, n) for day, account, n, kind in contract_moves(loaded.entries, "ct_2")
                     if kind == "billing" and account == AR)
    assert billing == [(date(2022, month, 1), D("300.00")) for month in (1, 4, 7, 10)]
    assert balances(loaded.entries, "ct_2", date(2022, 6, 30)) == (D("600.00"), D("600.00"), D(0), D(0))
    keys = [entry.meta["revrec-key"] for entry in loaded.entries
            if isinstance(entry, Transaction) and "revrec" in entry.tags]
    duplicated = sorted({key for key in keys if keys.count(key) > 1})
    assert duplicated == [], duplicated


# --- CLI errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "words"), [
    pytest.param([CONTRACTS, "--contract", "ct_nope"], ['no contract "ct_nope"', str(CONTRACTS)],
                 id="unknown-contract"),
    pytest.param([LEDGERS / "example-4.1.beancount"], ["has no revrec-contract"], id="no-contracts"),
    pytest.param([LEDGERS / "example-4.1.beancount", "--format", "json"], ["has no revrec-contract"],
                 id="no-contracts-json"),
])
def test_contracts_cli_errors(args, words):
    result = invoke("contracts", *args)
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert_one_error_line(result.output, *words)
    process = run_tool("bean-revrec", "contracts", *args)
    assert process.returncode != 0
    assert process.stdout == ""
    assert_one_error_line(process.stderr, *words)


def test_contracts_cli_bad_as_of():
    result = invoke("contracts", EXAMPLE, "--as-of", "2022-13-01")
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    assert errors[0].startswith("Error: Invalid value for '--as-of'"), errors
    assert "2022-13-01" in errors[0]
    process = run_tool("bean-revrec", "contracts", EXAMPLE, "--as-of", "2022-13-01")
    assert process.returncode == 2
    assert process.stdout == ""
    assert "Traceback" not in process.stderr
    assert errors[0] in process.stderr.splitlines()


def test_contracts_cli_ledger_with_contract_errors(tmp_path):
    path = tmp_path / "bad.beancount"
    path.write_text(GOOD + '\n2022-02-01 custom "revrec-item" "ct_nope" 500.00 USD\n  item: "x"\n'
                    '  account: Income:Services\n  treatment: "immediate"\n', encoding="utf-8")
    result = invoke("contracts", path)
    assert result.exit_code != 0
    assert_one_error_line(result.output, "1 error(s)", f"{path}:{lineno(path.read_text(), 'ct_nope')}",
                          'unknown contract "ct_nope"')
