"""The expense side (issue 18): prepaid expenses with every treatment, rules, refunds, bad input, close and locks.

Ledgers are ledgers/household.beancount (read through the real ``bean-query``) and small ones written to
``tmp_path``; every figure is the exact number the plugin must book. Each bad input is an error at its
file and line, ``bean-check`` exits with its text, and the rest of the ledger still generates.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from beancount.core.data import Transaction

from beancount_revrec.meta import KIND, RULE, SIDE
from tests.conftest import LEDGERS, Loaded, bean_query, lineno, load_text, ok, run_tool

D = Decimal
HOUSEHOLD = LEDGERS / "household.beancount"
PREPAID = "Assets:Prepaid"
HEAD = """\
option "operating_currency" "USD"
plugin "beancount_revrec"

2024-01-01 open Assets:Bank
2024-01-01 open Assets:Prepaid
2024-01-01 open Equity:RevRec:Exclusions
"""


# --- helpers ----------------------------------------------------------------------------------------


def ledger(tmp_path: Path, body: str, accounts: tuple[str, ...], head: str = HEAD) -> Loaded:
    """``head``, an Open for each of ``accounts`` and ``body``, written and loaded."""
    opens = "".join(f"2024-01-01 open {account}\n" for account in accounts)
    return load_text(tmp_path, f"{head}{opens}\n{body}")


def monthly(entries: list[object], *accounts: str) -> dict[str, dict[str, Decimal]]:
    """{account: {YYYY-MM: sum of its postings}} of ``accounts``, months that sum to zero left out."""
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for entry in entries:
        if isinstance(entry, Transaction):
            for posting in entry.postings:
                if posting.account in accounts and posting.units.number is not None:
                    sums[posting.account][f"{entry.date:%Y-%m}"] += posting.units.number
    return {account: {month: number for month, number in months.items() if number}
            for account, months in sums.items()}


def months(**amounts: str) -> dict[str, Decimal]:
    """{"2024-01": D(...)} from keyword arguments ``m2024_01="..."``."""
    return {f"{key[1:5]}-{key[6:]}": D(value) for key, value in amounts.items()}


def errors_of(loaded: Loaded) -> list[tuple[str, int, str]]:
    return [(error.source["filename"], error.source["lineno"], error.message) for error in loaded.errors]


def generated(loaded: Loaded) -> list[Transaction]:
    return [entry for entry in loaded.entries if isinstance(entry, Transaction) and KIND in entry.meta]


def assert_bean_check_fails_with(path: Path, *messages: str) -> None:
    result = run_tool("bean-check", path)
    assert result.returncode == 1, result.stdout + result.stderr
    for message in messages:
        assert message in result.stderr, (message, result.stderr)


# --- the household ledger, through bean-query ----------------------------------------------------------


def test_household_prepaid_balance_by_month() -> None:
    rows = bean_query(HOUSEHOLD, ".run prepaid")
    found = {f"{int(row['year'])}-{int(row['month']):02d}": row["prepaid"] for row in rows}
    assert found == {
        "2024-01": "2335.00 USD", "2024-02": "1306.00 USD", "2024-03": "1419.11 USD", "2024-04": "3290.48 USD",
        "2024-05": "2157.56 USD", "2024-06": "1028.93 USD", "2024-07": "896.01 USD", "2024-08": "763.10 USD",
        "2024-09": "634.47 USD", "2024-10": "501.55 USD", "2024-11": "372.92 USD", "2024-12": "240.00 USD",
        "2025-01": "138.08 USD", "2025-02": "46.03 USD", "2025-03": "",  # nothing left after 2025-03-15
    }
    last = bean_query(HOUSEHOLD, f"SELECT date, number WHERE account = '{PREPAID}' AND date > 2025-02-28")
    assert last == [{"date": "2025-03-14", "number": "-46.03"}]  # the last fourteen days of insurance
    assert bean_query(HOUSEHOLD, f"SELECT sum(number) AS n WHERE account = '{PREPAID}' AND date <= 2025-03-15") == [
        {"n": "0.00"}]


def test_household_expenses_by_month() -> None:
    rows = bean_query(HOUSEHOLD, "SELECT year, month, account, sum(number) AS n WHERE account ~ '^Expenses' "
                                 "GROUP BY year, month, account ORDER BY year, month, account")
    found: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for row in rows:
        if D(row["n"]):
            found[row["account"]][f"{int(row['year'])}-{int(row['month']):02d}"] = D(row["n"])
    assert found["Expenses:Rent"] == {f"2024-{month:02d}": D("1000.00") for month in range(1, 7)}
    # 366.00 over the 366 days of 2024: 1.00 a day
    assert found["Expenses:Software"] == {f"2024-{month:02d}": D(days) for month, days in enumerate(
        (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31), start=1)}
    # 1200.00 over the 365 days from 2024-03-15, by day; March has 17 of them, March 2025 14
    assert found["Expenses:Insurance"] == {
        "2024-03": D("55.89"), "2024-04": D("98.63"), "2024-05": D("101.92"), "2024-06": D("98.63"),
        "2024-07": D("101.92"), "2024-08": D("101.91"), "2024-09": D("98.63"), "2024-10": D("101.92"),
        "2024-11": D("98.63"), "2024-12": D("101.92"), "2025-01": D("101.92"), "2025-02": D("92.05"),
        "2025-03": D("46.03")}
    assert sum(found["Expenses:Insurance"].values()) == D("1200.00")
    assert found["Expenses:Groceries"] == {"2024-01": D("85.40")}  # an ordinary expense, untouched


def test_household_generated_entries_are_the_expense_side() -> None:
    rows = bean_query(HOUSEHOLD, "SELECT any_meta('revrec-side') AS side, any_meta('revrec-rule') AS rule, "
                                 "count(position) AS n WHERE 'revrec' IN tags GROUP BY side, rule ORDER BY rule")
    # two postings an entry: the licence and the insurance a deferral each and 12 and 13 recognitions; the
    # rent two deferrals and six recognitions
    assert rows == [{"side": "expense", "rule": "default", "n": "54"},
                    {"side": "expense", "rule": "rent-by-month", "n": "16"}]
    check = run_tool("bean-check", HOUSEHOLD)
    assert (check.returncode, check.stdout, check.stderr) == (0, "", "")


# --- every treatment on a cost ---------------------------------------------------------------------------

TREATMENTS = """\
2024-01-15 * "Vendor" "By day"
  Expenses:Daily          300.00 USD
    revrec: "ratable daily"
    service-start: 2024-01-15
    service-end: 2024-04-15
  Assets:Bank

2024-01-15 * "Vendor" "By month"
  Expenses:Monthly        300.00 USD
    revrec: "ratable monthly"
    service-start: 2024-01-15
    service-end: 2024-04-15
  Assets:Bank

2024-01-15 * "Vendor" "By month, prorated"
  Expenses:Prorated       300.00 USD
    revrec: "ratable monthly-prorated"
    service-start: 2024-01-15
    service-end: 2024-04-15
  Assets:Bank

2024-01-20 * "Vendor" "Amortised"
  Expenses:Amortized     1200.00 USD
    revrec: "amortize 12 months from 2024-02-01"
  Assets:Bank

2024-01-20 * "Vendor" "On a date"
  Expenses:On             500.00 USD
    revrec: "on 2024-06-30"
  Assets:Bank

2024-01-20 * "Vendor" "Deferred"
  Expenses:Deferred        90.00 USD
    revrec: "defer 90 days"
  Assets:Bank

2024-01-20 * "Vendor" "Used as delivered"
  Expenses:Fulfilled      100.00 USD
    revrec: "fulfillment"
    line: "pack"
  Assets:Bank

2024-03-10 custom "revrec-fulfill" "pack" 30.00 USD

2024-01-20 * "Vendor" "Not ours"
  Expenses:Excluded        40.00 USD
    revrec: "exclude"
  Assets:Bank
"""
TREATED = ("Expenses:Daily", "Expenses:Monthly", "Expenses:Prorated", "Expenses:Amortized", "Expenses:On",
           "Expenses:Deferred", "Expenses:Fulfilled", "Expenses:Excluded")


def test_every_treatment_on_a_cost(tmp_path: Path) -> None:
    loaded = ledger(tmp_path, TREATMENTS, TREATED)
    assert errors_of(loaded) == []
    found = monthly(loaded.entries, *TREATED, PREPAID, "Equity:RevRec:Exclusions")
    # 300.00 over the 91 days from 2024-01-15: 17, 29, 31 and 14 days
    assert found["Expenses:Daily"] == months(m2024_01="56.04", m2024_02="95.61", m2024_03="102.20",
                                             m2024_04="46.15")
    assert found["Expenses:Monthly"] == months(m2024_01="100.00", m2024_02="100.00", m2024_03="100.00")
    assert found["Expenses:Prorated"] == months(m2024_01="56.04", m2024_02="98.91", m2024_03="98.90",
                                                m2024_04="46.15")
    # 1200.00 over the 366 days from 2024-02-01 (February 29 days, January 2025 31)
    amortized = found["Expenses:Amortized"]
    assert (amortized["2024-02"], amortized["2024-03"], amortized["2024-04"], amortized["2025-01"]) == (
        D("95.08"), D("101.64"), D("98.36"), D("101.64"))
    assert sorted(amortized) == [f"2024-{month:02d}" for month in range(2, 13)] + ["2025-01"]
    assert found["Expenses:On"] == months(m2024_06="500.00")
    assert found["Expenses:Deferred"] == months(m2024_04="90.00")  # 2024-01-20 + 90 days: 2024-04-19
    # 30.00 used on 2024-03-10; the rest a year after the purchase
    assert found["Expenses:Fulfilled"] == months(m2024_03="30.00", m2025_01="70.00")
    assert found["Expenses:Excluded"] == {}  # moved out on its date
    assert found["Equity:RevRec:Exclusions"] == months(m2024_01="40.00")
    for account in TREATED[:-1]:
        assert sum(found[account].values()) == D({"Expenses:Amortized": "1200.00", "Expenses:On": "500.00",
                                                  "Expenses:Deferred": "90.00",
                                                  "Expenses:Fulfilled": "100.00"}.get(account, "300.00"))
    prepaid = found[PREPAID]
    assert prepaid["2024-01"] == D("2577.92")  # everything deferred, less January's share
    assert sum(prepaid.values()) == 0
    assert {entry.meta[SIDE] for entry in generated(loaded)} == {"expense"}


def test_deferral_debits_prepaid_and_recognition_credits_it(tmp_path: Path) -> None:
    loaded = ledger(tmp_path, TREATMENTS, TREATED)
    [deferral] = [entry for entry in generated(loaded)
                  if entry.meta[KIND] == "deferral" and entry.narration == "Defer: On a date"]
    assert [(p.account, p.units.number) for p in deferral.postings] == [
        (PREPAID, D("500.00")), ("Expenses:On", D("-500.00"))]
    [recognition] = [entry for entry in generated(loaded)
                     if entry.meta[KIND] == "recognition" and entry.narration == "Recognise: On a date"]
    assert recognition.date.isoformat() == "2024-06-30"
    assert [(p.account, p.units.number) for p in recognition.postings] == [
        ("Expenses:On", D("500.00")), (PREPAID, D("-500.00"))]


# --- rules on account, vendor and product ---------------------------------------------------------------

RULES = """\
2024-01-01 custom "revrec-rule" "subscriptions"
  account: "Expenses:Subscriptions"
  treatment: "amortize 6 months"

2024-01-01 custom "revrec-rule" "insurer-by-month"
  vendor: "Insurer"
  treatment: "ratable monthly"

2024-01-01 custom "revrec-rule" "seats-at-quarter-end"
  account: "Expenses:Software"
  product: "seat"
  treatment: "on 2024-03-31"

2024-01-01 custom "revrec-rule" "big-sales-at-once"
  min-amount: 100.00 USD
  treatment: "immediate"

2024-01-01 * "Streamer" "Six months of streaming"
  Expenses:Subscriptions   600.00 USD
  Assets:Bank

2024-01-01 * "Insurer" "Policy 2024"
  service-start: 2024-01-01
  service-end: 2025-01-01
  Expenses:Insurance      1200.00 USD
  Assets:Bank

2024-01-01 * "Tools Inc" "Seats"
  Expenses:Software        450.00 USD
    product: "seat"
    service-start: 2024-01-01
    service-end: 2025-01-01
  Assets:Bank

2024-01-05 * "Market" "Groceries"
  Expenses:Groceries        85.40 USD
  Assets:Bank
"""
RULED = ("Expenses:Subscriptions", "Expenses:Insurance", "Expenses:Software", "Expenses:Groceries")


def test_rules_match_account_vendor_and_product(tmp_path: Path) -> None:
    loaded = ledger(tmp_path, RULES, RULED)
    assert errors_of(loaded) == []
    found = monthly(loaded.entries, *RULED, PREPAID)
    # a rule's account makes its postings lines, with no metadata: 600.00 over the 182 days to 2024-07-01;
    # big-sales-at-once (no vendor:, no expense account:) is a revenue rule: it never treats a cost
    assert found["Expenses:Subscriptions"] == months(m2024_01="102.20", m2024_02="95.60", m2024_03="102.20",
                                                     m2024_04="98.90", m2024_05="102.20", m2024_06="98.90")
    assert found["Expenses:Insurance"] == {f"2024-{month:02d}": D("100.00") for month in range(1, 13)}
    assert found["Expenses:Software"] == months(m2024_03="450.00")
    assert found["Expenses:Groceries"] == months(m2024_01="85.40")
    assert sum(found[PREPAID].values()) == 0
    rules = {entry.narration.split(": ", 1)[1]: entry.meta[RULE] for entry in generated(loaded)}
    assert rules == {"Six months of streaming": "subscriptions", "Policy 2024": "insurer-by-month",
                     "Seats": "seats-at-quarter-end"}


# --- refunds -------------------------------------------------------------------------------------------

POLICY = """\
2024-01-01 * "Insurer" "Policy 2024"
  Expenses:Insurance   1200.00 USD
    service-start: 2024-01-01
    service-end: 2025-01-01
    line: "pol"
  Assets:Bank

2024-07-01 * "Insurer" "Partial refund"
  Assets:Bank          600.00 USD
  Expenses:Insurance  -600.00 USD
    credit-for: "pol"
"""
INSURANCE = "Expenses:Insurance"


def test_refund_of_a_prepaid_cost_is_proportional(tmp_path: Path) -> None:
    loaded = ledger(tmp_path, POLICY, (INSURANCE,))
    assert errors_of(loaded) == []
    # on 2024-07-01, 596.72 of 1200.00 is expensed (182 of 366 days) and 603.28 prepaid: the refund of 600.00
    # takes 600.00 x 603.28 / 1200.00 = 301.64 off prepaid; its other 298.36 stays on the expense account
    [credit] = [entry for entry in generated(loaded) if entry.meta[KIND] == "reclass"]
    assert (credit.date.isoformat(), credit.narration) == (
        "2024-07-01", "Credit against prepaid expense: Partial refund")
    assert [(p.account, p.units.number) for p in credit.postings] == [(INSURANCE, D("301.64")),
                                                                      (PREPAID, D("-301.64"))]
    found = monthly(loaded.entries, INSURANCE, PREPAID)
    expensed = found[INSURANCE]
    assert sum(amount for month, amount in expensed.items() if month < "2024-07") == D("596.72")
    # July: the refund (-600.00), its share off prepaid back (+301.64) and July's half rate (50.82)
    assert expensed["2024-07"] == D("-247.54")
    # the 301.64 left prepaid runs over July-December, at half the rate
    assert [expensed[f"2024-{month:02d}"] for month in range(8, 13)] == [
        D("50.82"), D("49.18"), D("50.82"), D("49.18"), D("50.82")]
    assert sum(expensed.values()) == D("600.00")  # the cost less the refund
    assert sum(found[PREPAID].values()) == 0


def test_refund_larger_than_what_remains(tmp_path: Path) -> None:
    body = POLICY + """
2024-09-01 * "Insurer" "Refund of too much"
  Assets:Bank          900.00 USD
  Expenses:Insurance  -900.00 USD
    credit-for: "pol"
"""
    loaded = ledger(tmp_path, body, (INSURANCE,))
    message = ('credit-for "pol": credit of 900.00 USD is larger than the 600.00 USD left to credit on its line: '
               "credit at most 600.00 USD")
    assert errors_of(loaded) == [(str(loaded.path), lineno(loaded.text, "-900.00 USD"), message)]
    # the rest still generates: the first refund and the schedule, as without the bad one
    found = monthly(loaded.entries, INSURANCE, PREPAID)
    assert found[INSURANCE]["2024-07"] == D("-247.54")
    assert found[INSURANCE]["2024-09"] == D("49.18") - D("900.00")  # the bad refund stays as written
    assert sum(found[PREPAID].values()) == 0
    assert_bean_check_fails_with(loaded.path, f"{loaded.path}:{lineno(loaded.text, '-900.00 USD')}: {message}")


@pytest.mark.parametrize("kind", ["dispute", "write-off", "void"])
def test_a_sales_credit_kind_on_a_cost(tmp_path: Path, kind: str) -> None:
    body = POLICY.replace('    credit-for: "pol"\n', f'    credit-for: "pol"\n    credit-kind: "{kind}"\n')
    loaded = ledger(tmp_path, body, (INSURANCE,))
    message = f'credit-for "pol": unknown credit-kind "{kind}": use one of refund, credit-note (a cost\'s kinds)'
    assert errors_of(loaded) == [(str(loaded.path), lineno(loaded.text, "-600.00 USD"), message)]
    found = monthly(loaded.entries, INSURANCE, PREPAID)  # the policy as without the refund
    assert found[INSURANCE]["2024-07"] == D("101.64") - D("600.00")
    assert sum(found[INSURANCE].values()) == D("600.00")
    assert_bean_check_fails_with(loaded.path, message)


def test_credit_note_on_a_cost_is_a_refund(tmp_path: Path) -> None:
    body = POLICY.replace('    credit-for: "pol"\n', '    credit-for: "pol"\n    credit-kind: "credit-note"\n')
    loaded = ledger(tmp_path, body, (INSURANCE,))
    assert errors_of(loaded) == []
    found = monthly(loaded.entries, INSURANCE, PREPAID)  # as the refund's: no contra account for a cost
    assert found[INSURANCE]["2024-07"] == D("-247.54")
    assert sum(found[INSURANCE].values()) == D("600.00")
    assert sum(found[PREPAID].values()) == 0


# --- bad input: an error at its line, the rest still generates ---------------------------------------------

GOOD = """
2024-01-01 * "Editor Inc" "Licence 2024"
  Expenses:Software   366.00 USD
    service-start: 2024-01-01
    service-end: 2025-01-01
  Assets:Bank
"""
SALE = """
2024-01-01 * "Customer" "Annual plan"
  invoice: "in_1"
  Assets:AccountsReceivable   120.00 USD
  Income:Sales               -120.00 USD
    line: "il_1"
    service-start: 2024-01-01
    service-end: 2025-01-01
"""
BAD_LINES = {
    "backwards": ("""
2024-01-01 * "Insurer" "Backwards"
  Expenses:Insurance   1200.00 USD
    service-start: 2024-06-01
    service-end: 2024-01-01
  Assets:Bank
""", "1200.00 USD", ("service-end 2024-01-01 must be after service-start 2024-06-01: service-end is the "
     "first day after service (exclusive)")),
    "tax": ("""
2024-01-01 * "Vendor" "A tax share"
  Expenses:Insurance   100.00 USD
    revrec: "90% ratable + 10% tax"
    service-start: 2024-01-01
    service-end: 2025-01-01
  Assets:Bank
""", "100.00 USD", ('treatment "90% ratable + 10% tax": a cost has no tax share (that is a sale\'s): write the '
     "cost's own treatment, e.g. revrec: \"ratable\" with a service period, or book the share to its own account")),
    "fee": ("""
2024-01-01 * "Vendor" "A fee share"
  Expenses:Insurance   100.00 USD
    revrec: "fee"
  Assets:Bank
""", "100.00 USD", ('treatment "fee": a cost has no fee share (that is a sale\'s): write the cost\'s own treatment, '
     'e.g. revrec: "ratable" with a service period, or book the share to its own account')),
    "passthrough": ("""
2024-01-01 * "Vendor" "Passed through"
  Expenses:Insurance   100.00 USD
    revrec: "50% passthrough + 50% immediate"
  Assets:Bank
""", "100.00 USD", ('treatment "50% passthrough + 50% immediate": a cost has no passthrough share (that is a '
     'sale\'s): write the cost\'s own treatment, e.g. revrec: "ratable" with a service period, or book the share '
     "to its own account")),
    "credit naming a sale": (SALE + """
2024-02-01 * "Vendor" "Refund naming a sale"
  Assets:Bank          10.00 USD
  Expenses:Insurance  -10.00 USD
    credit-for: "il_1"
""", "-10.00 USD", ('credit-for "il_1": the credited line is on the revenue side, this credit on the expense side: '
     "book the credit to Income:Sales")),
}


@pytest.mark.parametrize("case", list(BAD_LINES))
def test_bad_expense_line(tmp_path: Path, case: str) -> None:
    body, needle, message = BAD_LINES[case]
    accounts = ("Expenses:Insurance", "Expenses:Software", "Assets:AccountsReceivable", "Income:Sales")
    loaded = ledger(tmp_path, body + GOOD, accounts)
    line = lineno(loaded.text, needle)
    assert errors_of(loaded) == [(str(loaded.path), line, message)]
    # the bad line generates nothing; the licence does, 1.00 a day
    title = [line for line in body.splitlines() if ' * "' in line][-1].split('"')[3]  # the bad transaction's
    assert not [entry for entry in generated(loaded) if entry.narration.endswith(title)]
    found = monthly(loaded.entries, "Expenses:Software", PREPAID)
    assert found["Expenses:Software"]["2024-02"] == D("29.00")
    assert sum(found["Expenses:Software"].values()) == D("366.00")
    assert_bean_check_fails_with(loaded.path, f"{loaded.path}:{line}: {message}")


def test_prepaid_account_that_is_not_an_asset(tmp_path: Path) -> None:
    head = HEAD.replace('plugin "beancount_revrec"',
                        "plugin \"beancount_revrec\" \"{'prepaid': 'Liabilities:Prepaid'}\"")
    loaded = ledger(tmp_path, GOOD, ("Expenses:Software", "Liabilities:Prepaid"), head=head)
    message = ('beancount_revrec: config key "prepaid" must be an asset account (under Assets), e.g. "Assets:Prepaid", '
               "got 'Liabilities:Prepaid'; nothing was generated")
    assert errors_of(loaded) == [(str(loaded.path), 2, message)]
    assert generated(loaded) == []  # a bad config generates nothing: the licence stays as written
    assert_bean_check_fails_with(loaded.path, f"{loaded.path}:2: {message}")


def test_revenue_under_expenses_on_a_second_plugin_line(tmp_path: Path) -> None:
    # the old way to book prepaid expenses: a second plugin line whose "revenue" is an expense account
    head = HEAD.replace('plugin "beancount_revrec"\n', 'plugin "beancount_revrec"\nplugin "beancount_revrec" '
                        "\"{'revenue': 'Expenses:Software', 'deferred': 'Assets:Prepaid'}\"\n")
    loaded = ledger(tmp_path, GOOD, ("Expenses:Software",), head=head)
    message = ('beancount_revrec: config key "revenue" names an expense account: prepaid expenses are configured on '
               "the same plugin line, e.g. \"{'expenses': 'Expenses', 'prepaid': 'Assets:Prepaid'}\" (the default): "
               "remove the second plugin line; nothing was generated")
    assert errors_of(loaded) == [(str(loaded.path), 3, message)]  # the second line, not the first
    # the first plugin line books the licence once, on the expense side
    found = monthly(loaded.entries, "Expenses:Software", PREPAID)
    assert found["Expenses:Software"] == {f"2024-{month:02d}": D(days) for month, days in enumerate(
        (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31), start=1)}
    assert_bean_check_fails_with(loaded.path, f"{loaded.path}:3: {message}")


# --- close, locks and corrections --------------------------------------------------------------------------

THROUGH = "2024-03-31"
INSURANCE_LINE = "  Expenses:Insurance    1200.00 USD"


@pytest.fixture
def household(tmp_path: Path) -> Path:
    """A copy of the household ledger, closed through March 2024."""
    path = tmp_path / "household.beancount"
    shutil.copy(HOUSEHOLD, path)
    assert ok("close", path, "--through", THROUGH) == (
        f"Closed through {THROUGH}: froze 10 entries into {tmp_path / 'household.closed.beancount'} and locked 10 "
        "monthly account movements.\n")
    return path


BALANCES = ("SELECT year, month, account, sum(number) AS n GROUP BY year, month, account "
            "ORDER BY year, month, account")


def test_close_freezes_the_expense_side(household: Path) -> None:
    closed = household.with_name("household.closed.beancount").read_text(encoding="utf-8")
    # two deferrals (rent and licence on 2024-01-01), one of insurance and seven recognitions
    assert closed.count('revrec-side: "expense"') == 10
    assert closed.count('revrec-kind: "deferral"') == 3
    assert '2024-03-31 custom "revrec-locked" Expenses:Insurance 55.89 USD' in closed
    assert '2024-01-31 custom "revrec-locked" Assets:Prepaid 2335.00 USD' in closed
    assert "Expenses:Groceries" not in closed  # an ordinary expense is not the close's business
    # reloading gives the very same balances, month by month
    assert bean_query(household, BALANCES) == bean_query(HOUSEHOLD, BALANCES)
    check = run_tool("bean-check", household)
    assert (check.returncode, check.stderr) == (0, "")
    assert ok("corrections", household) == f"Books closed through {THROUGH}; 0 correction(s).\n"


def test_closed_prepaid_cost_changed(household: Path) -> None:
    text = household.read_text(encoding="utf-8")
    household.write_text(text.replace(INSURANCE_LINE, "  Expenses:Insurance    1300.00 USD"), encoding="utf-8")
    line = lineno(text, INSURANCE_LINE)
    closed = household.with_name("household.closed.beancount")
    lock = lineno(closed.read_text(encoding="utf-8"), "Expenses:Insurance 55.89 USD")
    assert_bean_check_fails_with(
        household,
        f"{household}:{line}: line home-2024 is dated 2024-03-15, in the closed period (books closed through "
        f"{THROUGH}), and its amount changed after the close (it deferred or reclassified 1200.00 USD then, "
        "1300.00 USD now): undo the change and book the difference after 2024-03-31 (an invoice or a credit "
        f"note), or reopen the books first (bean-revrec reopen {household} --through 2024-02-29)",
        f"{closed}:{lock}: the closed period ending 2024-03-31 changed after the close: Expenses:Insurance moves "
        "155.89 USD in it, the close locked 55.89 USD (a difference of 100.00 USD)")
    # never a silent change: the closed months stay as frozen
    rows = bean_query(household, f"SELECT sum(number) AS n WHERE account = '{PREPAID}' AND date <= {THROUGH}")
    assert rows == [{"n": "1419.11"}]


def test_prepaid_cost_added_in_the_closed_period(household: Path) -> None:
    added = """
2024-01-01 open Expenses:Sport
2024-02-10 * "Gym" "Membership"
  Expenses:Sport   120.00 USD
    service-start: 2024-02-01
    service-end: 2024-08-01
  Assets:Bank:Checking
"""
    household.write_text(household.read_text(encoding="utf-8") + added, encoding="utf-8")
    text = household.read_text(encoding="utf-8")
    result = run_tool("bean-check", household)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith(str(household.parent))]
    assert errors == [
        (f"{household}:{lineno(text, 'Expenses:Sport   120.00 USD')}: line 2024-02-10/Expenses:Sport/f53e08fa is dated "
        f"2024-02-10, in the closed period (books closed through {THROUGH}), and was added after the close: date it "
        f"after {THROUGH}, or reopen the books first (bean-revrec reopen {household} --through 2024-01-31)")]


def test_a_change_to_later_months_only_is_no_error(household: Path) -> None:
    text = household.read_text(encoding="utf-8")
    household.write_text(text.replace('Rent, second quarter"\n  service-start: 2024-04-01\n  service-end: 2024-07-01\n'
                                      "  Expenses:Rent          3000.00 USD",
                                      'Rent, second quarter"\n  service-start: 2024-04-01\n  service-end: 2024-07-01\n'
                                      "  Expenses:Rent          3300.00 USD"), encoding="utf-8")
    check = run_tool("bean-check", household)
    assert (check.returncode, check.stderr) == (0, "")
    assert ok("corrections", household) == f"Books closed through {THROUGH}; 0 correction(s).\n"
    rows = bean_query(household, "SELECT month, sum(number) AS n WHERE account = 'Expenses:Rent' GROUP BY month "
                                 "ORDER BY month")
    assert [(row["month"], row["n"]) for row in rows] == [
        ("1", "1000.00"), ("2", "1000.00"), ("3", "1000.00"), ("4", "1100.00"), ("5", "1100.00"), ("6", "1100.00")]


def test_rule_change_after_the_close_is_a_correction(household: Path) -> None:
    text = household.read_text(encoding="utf-8")
    household.write_text(text.replace('treatment: "ratable monthly"', 'treatment: "ratable"'), encoding="utf-8")
    check = run_tool("bean-check", household)
    assert (check.returncode, check.stderr) == (0, "")
    # by day, the first quarter's 3000.00 is 1021.98 in January (31 of 91 days), 956.04 in February and
    # 1021.98 in March: the differences to the frozen 1000.00 a month are booked on 2024-04-01
    rows = bean_query(household, "SELECT any_meta('revrec-corrects') AS corrects, account, number "
                                 "WHERE any_meta('revrec-kind') = 'correction' ORDER BY corrects, account")
    rent = "2024-01-01/Expenses:Rent/758f4c5e/recognition"
    assert [(row["corrects"], row["account"], row["number"]) for row in rows] == [
        (f"{rent}/2024-01-31", PREPAID, "-21.98"), (f"{rent}/2024-01-31", "Expenses:Rent", "21.98"),
        (f"{rent}/2024-02-29", PREPAID, "43.96"), (f"{rent}/2024-02-29", "Expenses:Rent", "-43.96"),
        (f"{rent}/2024-03-31", PREPAID, "-21.98"), (f"{rent}/2024-03-31", "Expenses:Rent", "21.98")]
    dates = bean_query(household, "SELECT DISTINCT date WHERE any_meta('revrec-kind') = 'correction'")
    assert dates == [{"date": "2024-04-01"}]
    closed = bean_query(household, f"SELECT sum(number) AS n WHERE account = 'Expenses:Rent' AND date <= {THROUGH}")
    assert closed == [{"n": "3000.00"}]  # the closed months as frozen


def test_treatment_change_after_the_close_is_a_correction(household: Path) -> None:
    text = household.read_text(encoding="utf-8")
    monthly_line = '    line: "home-2024"\n    revrec: "ratable monthly"\n'
    household.write_text(text.replace('    line: "home-2024"\n', monthly_line), encoding="utf-8")
    check = run_tool("bean-check", household)
    assert (check.returncode, check.stderr) == (0, "")
    # by month, 1200.00 over twelve months is 100.00 a month, from March: 44.11 more than March's frozen 55.89
    rows = bean_query(household, "SELECT date, account, sum(number) AS n WHERE any_meta('revrec-kind') = 'correction' "
                                 "GROUP BY date, account ORDER BY account")
    assert rows == [{"date": "2024-04-01", "account": PREPAID, "n": "-44.11"},
                    {"date": "2024-04-01", "account": INSURANCE, "n": "44.11"}]


CATCH_UP = """\
2024-02-10 * "Landlord" "Rent, first quarter, paid late"
  Expenses:Rent   3000.00 USD
    revrec: "ratable monthly"
    service-start: 2024-01-01
    service-end: 2024-04-01
  Assets:Bank
"""


@pytest.mark.parametrize("config", ["", " \"{'catch-up': 'off'}\""])
def test_a_cost_is_always_caught_up(tmp_path: Path, config: str) -> None:
    head = HEAD.replace('plugin "beancount_revrec"', f'plugin "beancount_revrec"{config}')
    loaded = ledger(tmp_path, CATCH_UP, ("Expenses:Rent",), head=head)
    assert errors_of(loaded) == []
    recognitions = [(entry.date.isoformat(), entry.postings[0].account, entry.postings[0].units.number)
                    for entry in generated(loaded) if entry.meta[KIND] == "recognition"]
    assert recognitions == [("2024-02-10", "Expenses:Rent", D("1000.00")),  # January's, on the payment's date
                            ("2024-02-29", "Expenses:Rent", D("1000.00")),
                            ("2024-03-31", "Expenses:Rent", D("1000.00"))]


def test_first_prepaid_cost_of_an_account_after_the_close(household: Path) -> None:
    # Expenses:Groceries has an ordinary expense in the closed January; its first prepaid cost comes in May:
    # the close locks the account from then on, so January is no error, now or after the next close
    household.write_text(household.read_text(encoding="utf-8") + """
2024-05-01 * "Market" "Vegetable box, a year"
  Expenses:Groceries   365.00 USD
    service-start: 2024-05-01
    service-end: 2025-05-01
  Assets:Bank:Checking
""", encoding="utf-8")
    check = run_tool("bean-check", household)
    assert (check.returncode, check.stderr) == (0, "")
    ok("close", household, "--through", "2024-06-30")
    closed = household.with_name("household.closed.beancount").read_text(encoding="utf-8")
    assert '2024-05-31 custom "revrec-locked" Expenses:Groceries 31.00 USD' in closed
    assert '2024-01-31 custom "revrec-locked" Expenses:Groceries' not in closed
    check = run_tool("bean-check", household)
    assert (check.returncode, check.stderr) == (0, "")
    # a groceries expense added to the closed May is now an error; one in the closed January is not
    text = household.read_text(encoding="utf-8")
    household.write_text(text + '\n2024-05-20 * "Market" "Groceries"\n  Expenses:Groceries   10.00 USD\n'
                         "  Assets:Bank:Checking\n", encoding="utf-8")
    assert_bean_check_fails_with(household, "the closed period ending 2024-05-31 changed after the close: "
                                            "Expenses:Groceries moves 41.00 USD in it, the close locked 31.00 USD")
    household.write_text(text + '\n2024-01-20 * "Market" "Groceries"\n  Expenses:Groceries   10.00 USD\n'
                         "  Assets:Bank:Checking\n", encoding="utf-8")
    check = run_tool("bean-check", household)
    assert (check.returncode, check.stderr) == (0, "")


def test_reopen_and_close_with_a_booking_horizon(tmp_path: Path) -> None:
    path = tmp_path / "household.beancount"
    path.write_text(HOUSEHOLD.read_text(encoding="utf-8").replace(
        'plugin "beancount_revrec"\n', "plugin \"beancount_revrec\" \"{'book-until': '2024-06-30'}\"\n"),
        encoding="utf-8")
    query = BALANCES.replace(" GROUP BY", " WHERE date <= 2024-06-30 GROUP BY")
    before = bean_query(path, query)
    assert before == bean_query(HOUSEHOLD, query)  # through the horizon, as without one
    ok("close", path, "--through", THROUGH)
    closed = path.with_name("household.closed.beancount")
    assert ok("reopen", path, "--through", "2024-01-31") == (
        f"Reopened after 2024-01-31: removed 6 frozen entries from {closed}.\n")
    assert ok("close", path, "--through", "2024-06-30") == (
        f"Closed through 2024-06-30: froze 16 entries into {closed} and locked 19 monthly account movements.\n")
    assert closed.read_text(encoding="utf-8").count('revrec-side: "expense"') == 20
    assert bean_query(path, query) == before
    check = run_tool("bean-check", path)
    assert (check.returncode, check.stderr) == (0, "")
