"""The demo ledger for Fava (ledgers/demo.beancount), checked with the real bean-check and bean-query.

Every figure asserted here is computed two ways: by the stored queries over the plugin's
postings, and independently (another query, the CLI's contract metrics, or the treatment
recomputed from the source lines with Decimal arithmetic).
"""

from __future__ import annotations

import datetime
import os
import re
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.conftest import LEDGERS, bean_query, ok, run_tool

DEMO = LEDGERS / "demo.beancount"
TEXT = DEMO.read_text(encoding="utf-8")
QUERIES = ["monthly", "monthly-debits-credits", "revenue-by-product", "revenue-by-customer",
           "revenue-by-contract", "deferred-rollforward", "waterfall"]
DEFERRED = "Liabilities:DeferredRevenue"
CONTRACT_ASSETS = "Assets:ContractAssets"
CENT = Decimal("0.01")

Month = tuple[int, int]
Rows = list[dict[str, str]]

# Ad hoc queries, for figures computed another way than by the stored queries.
AD_HOC = {
    # the invoice lines as written in the ledger, not the plugin's entries
    "source lines": "SELECT date, payee, any_meta('product') AS product, number WHERE account ~ '^Income:' "
                    "AND NOT 'revrec' IN tags ORDER BY date",
    # balances on 2023-06-30 by contract (none for the invoice lines)
    "balances": "SELECT account, any_meta('contract') AS contract, sum(number) AS balance WHERE date < 2023-07-01 "
                f"AND account IN ('{DEFERRED}', '{CONTRACT_ASSETS}') GROUP BY account, contract",
    "il_000223": "SELECT date, entry_meta('revrec-kind') AS kind, number WHERE any_meta('line') = 'il_000223' "
                 "AND account ~ '^Income:' AND 'revrec' IN tags ORDER BY date",
}


@pytest.fixture(scope="module")
def runs() -> dict[str, Rows]:
    """Every stored query (by name) and ad hoc query, each run once by bean-query.

    In parallel, as each run loads the ledger.
    """
    commands = {name: f".run {name}" for name in QUERIES} | AD_HOC
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        return dict(zip(commands, pool.map(lambda query: bean_query(DEMO, query), commands.values()), strict=True))


@pytest.fixture(scope="module")
def metrics() -> dict[str, dict[str, str]]:
    """The CLI's contract metrics as of 2023-06-30, by contract."""
    lines = [line.split(",") for line in ok("contracts", DEMO, "--as-of", "2023-06-30", "--format", "csv").splitlines()]
    return {row[0]: dict(zip(lines[0], row, strict=True)) for row in lines[1:]}


def month(row: dict[str, str]) -> Month:
    return int(row["year"]), int(row["month"])


def by(rows: Rows, *keys: str, column: str) -> dict[tuple[str | Month, ...], Decimal]:
    """{(month, row[key], ...): sum of row[column]}, zeros dropped."""
    sums: dict[tuple[str | Month, ...], Decimal] = defaultdict(Decimal)
    for row in rows:
        sums[(month(row), *(row[key] for key in keys))] += Decimal(row[column])
    return {key: amount for key, amount in sums.items() if amount}


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def add_months(when: datetime.date, months: int) -> Month:
    index = when.year * 12 + when.month - 1 + months
    return index // 12, index % 12 + 1


def source_lines(runs: dict[str, Rows], product: str) -> Rows:
    return [row for row in runs["source lines"] if row["product"] == product]


def test_header() -> None:
    assert 'option "title" "Revrec demo: a SaaS company"' in TEXT
    assert 'option "operating_currency" "USD"' in TEXT
    assert re.findall(r'^plugin "([^"]+)"', TEXT, re.MULTILINE) == ["beancount_revrec"]
    assert re.search(r'^\d{4}-\d\d-\d\d custom "fava-extension" "fava_revrec"$', TEXT, re.MULTILINE)
    assert "fava ledgers/demo.beancount" in TEXT
    for directive in ("revrec-rule", "revrec-contract", "revrec-item", "revrec-billing", "revrec-fulfill",
                      "revrec-close"):
        assert f'custom "{directive}"' in TEXT, directive
    assert "credit-for:" in TEXT


def test_bean_check_is_clean() -> None:
    result = run_tool("bean-check", DEMO)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_every_stored_query_runs_and_returns_rows(runs: dict[str, Rows]) -> None:
    assert re.findall(r'^\d{4}-\d\d-\d\d query "([^"]+)" "[^"]+"$', TEXT, re.MULTILINE) == QUERIES
    for name in QUERIES:
        rows = runs[name]
        assert rows, name
        assert {month(row) for row in rows} >= {(2022, 12), (2023, 1), (2024, 12)}, name


def test_debits_minus_credits_is_the_monthly_sum(runs: dict[str, Rows]) -> None:
    monthly = by(runs["monthly"], "account", "currency", column="amount")
    debit_sums = by(runs["monthly-debits-credits"], "account", "currency", column="debits")
    credit_sums = by(runs["monthly-debits-credits"], "account", "currency", column="credits")
    assert all(amount > 0 for amount in [*debit_sums.values(), *credit_sums.values()])
    net = {key: debit_sums.get(key, Decimal(0)) - credit_sums.get(key, Decimal(0))
           for key in debit_sums.keys() | credit_sums.keys()}
    assert {key: amount for key, amount in net.items() if amount} == monthly
    # January 2022: AR 7608.47 invoiced (debits) less 271.75 paid (credits) is the monthly 7336.72.
    ar = ((2022, 1), "Assets:AccountsReceivable", "USD")
    assert (debit_sums[ar], credit_sums[ar], monthly[ar]) == (Decimal("7608.47"), Decimal("271.75"), Decimal("7336.72"))


def test_revenue_views_agree_month_by_month(runs: dict[str, Rows]) -> None:
    income = {key: -amount for key, amount in by(
        [row for row in runs["monthly"] if row["account"].startswith("Income:")], column="amount").items()}
    assert len(income) > 40  # 2022-01 .. 2025-11, scheduled recognition included
    assert max(income) == ((2025, 11),)
    for name in ("revenue-by-product", "revenue-by-customer", "waterfall"):
        assert by(runs[name], column="revenue") == income, name
    # the waterfall per revenue account is the monthly table's Income rows, negated
    waterfall = by(runs["waterfall"], "account", column="revenue")
    assert waterfall == {key: -amount for key, amount in by(runs["monthly"], "account", column="amount").items()
                         if key[1].startswith("Income:")}
    # December 2023, four ways
    assert income[(2023, 12),] == Decimal("21161.89")
    assert sum(amount for (when, _), amount in waterfall.items() if when == (2023, 12)) == Decimal("21161.89")


def test_waterfall_scheduled_is_what_leaves_deferred_revenue_and_enters_contract_assets(runs: dict[str, Rows]) -> None:
    scheduled = by(runs["waterfall"], column="scheduled")
    released = by([row for row in runs["deferred-rollforward"] if row["kind"] in {"recognition", "correction"}],
                  column="amount")
    assert scheduled == released
    # after the last invoice line (2023-12-30), revenue is only the scheduled recognition of what was
    # invoiced or billed before, or by a contract, and the contra revenue of later credits (their share of
    # what their line had recognised: a credit note of 2024-03-24 books 301.46 to Income:Refunds)
    late = [row for row in runs["waterfall"] if month(row) >= (2024, 1)]
    assert by([row for row in late if row["account"] != "Income:Refunds"], column="revenue") \
        == {key: amount for key, amount in scheduled.items() if key[0] >= (2024, 1)}
    assert by([row for row in late if row["account"] == "Income:Refunds"], column="revenue") == {
        ((2024, 3),): Decimal("-301.46")}


def test_deferred_revenue_balance_at_2023_06_30(runs: dict[str, Rows], metrics: dict[str, dict[str, str]]) -> None:
    per_contract = {(row["contract"], row["account"]): Decimal(row["balance"]) for row in runs["balances"]}
    balances = {account: sum(amount for (_, name), amount in per_contract.items() if name == account)
                for account in (DEFERRED, CONTRACT_ASSETS)}
    # with credit-split: deferred-first (the method before issue 15) this is -91776.93
    assert balances == {DEFERRED: Decimal("-92342.63"), CONTRACT_ASSETS: Decimal("6752.09")}
    # opening (zero in 2022-01) + the roll-forward's movements through June 2023 = closing
    rollforward = by([row for row in runs["deferred-rollforward"] if month(row) <= (2023, 6)], "account",
                     column="amount")
    for account, balance in balances.items():
        assert sum(amount for (_, name), amount in rollforward.items() if name == account) == balance
    # the contracts' share, from the CLI's contract metrics
    for contract, row in metrics.items():
        assert -per_contract.get((contract, DEFERRED), Decimal(0)) == Decimal(row["deferred"]), contract
        assert per_contract.get((contract, CONTRACT_ASSETS), Decimal(0)) == Decimal(row["contract_asset"]), contract
    assert sum(Decimal(row["contract_asset"]) for row in metrics.values()) == balances[CONTRACT_ASSETS]
    assert sum(Decimal(row["deferred"]) for row in metrics.values()) == Decimal("2774.20")


def test_contract_revenue_totals_are_the_contract_values(runs: dict[str, Rows],
                                                        metrics: dict[str, dict[str, str]]) -> None:
    tcv: dict[str, Decimal] = defaultdict(Decimal)
    for contract, amount in re.findall(r'^\d{4}-\d\d-\d\d custom "revrec-item" "(ct_\d+)" ([\d.]+) USD$', TEXT,
                                       re.MULTILINE):
        tcv[contract] += Decimal(amount)
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for row in runs["revenue-by-contract"]:
        revenue[row["contract"]] += Decimal(row["revenue"])
    assert revenue == tcv == {contract: Decimal(row["tcv"]) for contract, row in metrics.items()}
    assert revenue["ct_0001"] == Decimal("17730.90") + Decimal("2100.31") == Decimal("19831.21")


def test_contract_revenue_in_one_month(runs: dict[str, Rows]) -> None:
    """ct_0002 in July 2022: 67% of the services item fulfilled, plus July of the platform item, daily."""
    services = Decimal(re.search(r'"revrec-item" "ct_0002" ([\d.]+) USD\n  item: "services"', TEXT)[1])
    platform = Decimal(re.search(r'"revrec-item" "ct_0002" ([\d.]+) USD\n  item: "platform"', TEXT)[1])
    assert '2022-07-03 custom "revrec-fulfill" "ct_0002/services" "67%"' in TEXT
    assert "  service-start: 2022-04-22\n  service-end: 2023-04-22" in TEXT
    start, end = datetime.date(2022, 4, 22), datetime.date(2023, 4, 22)

    def recognised_before(day: datetime.date) -> Decimal:
        return cents(platform * (day - start).days / (end - start).days)

    expected = cents(services * 67 / 100) + recognised_before(datetime.date(2022, 8, 1)) \
        - recognised_before(datetime.date(2022, 7, 1))
    assert expected == Decimal("11447.54") + Decimal("1343.50")
    assert by(runs["revenue-by-contract"], "contract", column="revenue")[(2022, 7), "ct_0002"] == expected \
        == Decimal("12791.04")


def test_product_deferred_90_days(runs: dict[str, Rows]) -> None:
    """prod_warranty (rule "defer 90 days"): each line is recognised 90 days after its date."""
    expected: dict[tuple[str | Month, ...], Decimal] = defaultdict(Decimal)
    for line in source_lines(runs, "prod_warranty"):
        due = datetime.date.fromisoformat(line["date"]) + datetime.timedelta(days=90)
        expected[(due.year, due.month),] -= Decimal(line["number"])
    warranty = by([row for row in runs["revenue-by-product"] if row["product"] == "prod_warranty"], column="revenue")
    assert warranty == expected
    # 2022-04-16: two lines, 591.42 + 68.34, recognised on 2022-07-15
    assert warranty[(2022, 7),] == Decimal("659.76")


def test_product_amortized_over_3_months(runs: dict[str, Rows]) -> None:
    """prod_onboarding (rule "amortize 3 months monthly"): thirds, cumulative rounding, from the invoice's month."""
    expected: dict[tuple[str | Month, ...], Decimal] = defaultdict(Decimal)
    lines = source_lines(runs, "prod_onboarding")
    for line in lines:
        if line["payee"] == "Internal":  # the exclude-internal rule ranks first: never revenue
            continue
        amount, date = -Decimal(line["number"]), datetime.date.fromisoformat(line["date"])
        for index in range(3):
            expected[add_months(date, index),] += cents(amount * (index + 1) / 3) - cents(amount * index / 3)
    assert len(lines) == 10
    onboarding = by([row for row in runs["revenue-by-product"] if row["product"] == "prod_onboarding"],
                    column="revenue")
    assert onboarding == {key: amount for key, amount in expected.items() if amount}
    assert onboarding[(2023, 4),] == Decimal("982.33")


def test_late_fulfillment_event_is_a_correction_in_the_first_open_month(runs: dict[str, Rows]) -> None:
    """40 of il_000223's 100 prepaid units used in November 2022, entered after the close through 2022-12-31."""
    line = re.search(r'  Income:Usage  -([\d.]+) USD\n    line: "il_000223"\n    product: "prod_prepaid"\n'
                     r"    quantity: 100\n", TEXT)
    assert line
    assert TEXT.rstrip().endswith('2022-11-30 custom "revrec-fulfill" "il_000223" 40')
    correction = cents(Decimal(line[1]) * 40 / 100)
    assert correction == Decimal("1159.66")
    kinds = by(runs["deferred-rollforward"], "account", "kind", column="amount")
    assert {key: amount for key, amount in kinds.items() if key[2] == "correction"} \
        == {((2023, 1), DEFERRED, "correction"): correction}
    header, *corrections = ok("corrections", DEMO, "--format", "csv").splitlines()
    assert header.startswith("date,corrects,frozen,recomputed,")
    fields = [line.split(",") for line in corrections]
    assert [(date, corrects, recomputed) for date, corrects, _, recomputed, *_ in fields] \
        == [("2023-01-01", "il_000223/recognition/2022-11-30", "1159.66 USD")]
    # 2022 as frozen: deferred on the invoice's date; the rest of the line (60%) is recognised at the
    # fallback date, a year after the invoice
    assert [(row["date"], row["kind"], Decimal(row["number"])) for row in runs["il_000223"]] == [
        ("2022-02-17", "deferral", Decimal(line[1])),
        ("2023-01-01", "correction", -correction),
        ("2023-02-17", "recognition", correction - Decimal(line[1])),
    ]
    assert correction - Decimal(line[1]) == Decimal("-1739.48")
