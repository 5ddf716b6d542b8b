"""Expenses beside revenue: a ledger's revenue reports do not change when prepaid expenses are added to it.

For every revenue ledger of ``ledgers/`` (the household's is all expenses), a copy gets a few expense lines at
its end, dated within its own dates (so no default as-of date moves): a year's insurance of 1,200.00 with a
service period, a refund of 300.00 of it (``credit-for:``) half-way through the ledger's dates, and a licence
of 120.00 that a rule on ``account: "Expenses:Software"`` amortises over 12 months; where the ledger has a
revenue contract with service periods, a commission of 600.00 capitalised on it (``contract:``). Every revenue
report's JSON (the contract metrics too) is the same with and without them; the expense side reports exactly
what was added.

Each ledger is loaded once per variant: the commands run in-process and share the load (``loads``).
"""

from __future__ import annotations

import datetime
import json
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from beancount import loader
from beancount.core.data import Open, Transaction

from beancount_revrec.close import closed_through
from beancount_revrec.contract_directives import read_contracts
from beancount_revrec.ledger import last_entry_date
from beancount_revrec.meta import KIND
from beancount_revrec.reports import monthly_summary, read_books
from tests.conftest import LEDGERS, bean_query, invoke

REVENUE_LEDGERS = sorted(path.name for path in LEDGERS.glob("*.beancount")
                         if path.name not in ("household.beancount", "periodic-migration.beancount")
                         and 'plugin "beancount_revrec"' in path.read_text(encoding="utf-8"))
COSTED = ("saas-commissions.beancount",)  # has costs of its own: its expense side is tested in test_contract_costs
PREMIUM, REFUND, LICENCE, COMMISSION = Decimal("1200.00"), Decimal("300.00"), Decimal("120.00"), Decimal("600.00")


def expense_lines(first: datetime.date, refund: datetime.date, currency: str, contract: str | None) -> str:
    """The expense lines appended to a revenue ledger: insurance, its partial refund, a licence a rule amortises.

    With a ``contract``: a commission capitalised as a cost of obtaining it.
    """
    commission = "" if contract is None else f"""
{first} open Expenses:SalesCommissions
{first} * "Sales team" "Commission"
  Expenses:SalesCommissions  {COMMISSION} {currency}
    contract: "{contract}"
  Assets:Bank:Costs
"""
    return commission + f"""
{first} open Expenses:Insurance
{first} open Expenses:Software
{first} open Assets:Bank:Costs

{first} custom "revrec-rule" "software-yearly"
  account: "Expenses:Software"
  treatment: "amortize 12 months monthly"

{first} * "Insurer" "Insurance premium"
  Expenses:Insurance  {PREMIUM} {currency}
    service-start: {first}
    service-end: {first.replace(year=first.year + 1)}
    line: "x-insurance"
  Assets:Bank:Costs

{first} * "Editor Inc" "Licence"
  Expenses:Software  {LICENCE} {currency}
  Assets:Bank:Costs

{refund} * "Insurer" "Insurance premium, part refunded"
  Expenses:Insurance  -{REFUND} {currency}
    credit-for: "x-insurance"
  Assets:Bank:Costs
"""


class Pair(NamedTuple):
    """A revenue ledger, its copy with expense lines, and the dates the reports cover."""

    base: Path
    variant: Path
    currency: str
    contract: str | None  # the contract a commission is linked to
    first: datetime.date  # the first month
    refund: datetime.date
    until: datetime.date  # an as-of date after every schedule of the expense lines


@pytest.fixture(scope="module")
def loads() -> Iterator[dict[str, Any]]:
    """``loader.load_file`` remembered per path for the module: one load per ledger and variant."""
    cache: dict[str, Any] = {}
    original = loader.load_file

    def load_file(path: str, *args: Any, **kwargs: Any) -> Any:
        if path not in cache:
            cache[path] = original(path, *args, **kwargs)
        return cache[path]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loader, "load_file", load_file)
        yield cache


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of ``ledgers/``' ledger files: includes (a closed-books file) stay beside their ledger."""
    copied = tmp_path_factory.mktemp("ledgers")
    for path in LEDGERS.glob("*.beancount"):
        shutil.copy(path, copied / path.name)
    return copied


def pair(folder: Path, name: str) -> Pair:
    """The ledger ``name`` in ``folder`` and its copy with the expense lines, dated within its own dates."""
    base = folder / name
    entries, errors, _ = loader.load_file(str(base))
    first = min(entry.date for entry in entries if KIND not in entry.meta and not isinstance(entry, Open))
    closed = closed_through(entries)
    if closed is not None:  # a cost added in a closed month is an error (test_expenses): the lines come after
        first = max(first, closed + datetime.timedelta(days=1))
    last = last_entry_date(entries)
    assert last is not None
    refund = first + (last - first) / 2
    if refund < first:  # closed through its last entry: the lines come after it, and so does the as-of date of both
        refund = first + datetime.timedelta(days=30)
        marked = base.with_name(f"{base.stem}-as-of.beancount")  # a new path: loads are remembered per path
        marked.write_text(base.read_text(encoding="utf-8") + f'\n{refund} event "as-of" "the expense lines"\n',
                          encoding="utf-8")
        base = marked
        entries, errors, _ = loader.load_file(str(base))
    currency = next(posting.units.currency for entry in entries if isinstance(entry, Transaction)
                    for posting in entry.postings if posting.units is not None)
    contract = next((item.contract for item in read_contracts(entries)[0].items
                     if item.service is not None and item.currency == currency), None)
    variant = base.with_name(f"{base.stem}-with-expenses.beancount")
    variant.write_text(base.read_text(encoding="utf-8") + expense_lines(first, refund, currency, contract),
                       encoding="utf-8")
    assert len(loader.load_file(str(variant))[1]) == len(errors), loader.load_file(str(variant))[1][-1:]
    return Pair(base, variant, currency, contract, first.replace(day=1), refund, first.replace(year=first.year + 3))


def output(ledger: Path, *args: str) -> tuple[int, str, str]:
    """A command's exit code, output and standard error, the ledger's name written as the base ledger's."""
    result = invoke(args[0], ledger, *args[1:], "--format", "json")
    name = ledger.name.replace("-with-expenses", "")
    return result.exit_code, result.stdout.replace(ledger.name, name), result.stderr.replace(ledger.name, name)


def revenue_commands(ledgers: Pair) -> list[tuple[str, ...]]:
    """Every revenue report, over the months the expense lines touch."""
    first, refund = str(ledgers.first)[:7], str(ledgers.refund)[:7]
    return [
        *(("schedule", "--from", first, "--months", "36", "--by", by) for by in ("account", "rule", "customer")),
        ("rollforward", "--from", first, "--as-of", str(ledgers.until)),
        ("summary", "--month", first),
        ("summary", "--month", refund),
        ("rules",),
        ("corrections",),
        ("contracts",),
        ("explain", "x-insurance"),
    ]


@pytest.mark.usefixtures("loads")
@pytest.mark.parametrize("name", REVENUE_LEDGERS)
def test_revenue_reports_ignore_expense_lines(folder: Path, name: str) -> None:
    """Each revenue report prints the same JSON (or the same error) with the expense lines as without them."""
    ledgers = pair(folder, name)
    for command in revenue_commands(ledgers):
        with_costs, without = output(ledgers.variant, *command), output(ledgers.base, *command)
        if command == ("contracts",) and with_costs[0] == 0:  # the metrics' cost columns show the commission
            assert [revenue_metrics(row) for row in json.loads(with_costs[1])] == [
                revenue_metrics(row) for row in json.loads(without[1])]
            added = sum(Decimal(row["cost"]) for row in json.loads(with_costs[1])) - sum(
                Decimal(row["cost"]) for row in json.loads(without[1]))
            assert added == (COMMISSION if ledgers.contract else 0)
        elif command[0] == "explain":  # the revenue side finds no such line, and says which side has it
            assert with_costs == (1, "", without[2].replace("\n", ": it is on the expense side, add --side expense\n"))
        else:
            assert with_costs == without, command


def revenue_metrics(row: dict[str, str]) -> dict[str, str]:
    """A contract's metrics without its cost columns."""
    return {key: value for key, value in row.items() if not key.startswith("cost")}


def expense_json(ledger: Path, *args: str) -> Any:
    """A command's JSON on the expense side."""
    code, stdout, stderr = output(ledger, *args, "--side", "expense")
    assert code == 0, stdout + stderr
    return json.loads(stdout)


def totals(rows: list[dict[str, str]], key: str, amount: str) -> dict[str, Decimal]:
    """The rows' ``amount`` summed by ``key``."""
    found: dict[str, Decimal] = {}
    for row in rows:
        found[row[key]] = found.get(row[key], Decimal(0)) + Decimal(row[amount])
    return found


@pytest.mark.usefixtures("loads")
@pytest.mark.parametrize("name", [name for name in REVENUE_LEDGERS if name not in COSTED])
def test_expense_side_reports_what_was_added(folder: Path, name: str) -> None:
    """The expense side: 1,320.00 prepaid, 1,020.00 expensed in all, the rule's licence, the refund credited.

    The lines come after any close (a cost added in a closed month is an error), so nothing is a correction.
    """
    ledgers = pair(folder, name)
    first, cur = str(ledgers.first)[:7], ledgers.currency
    entries = loader.load_file(str(ledgers.variant))[0]
    closed = closed_through(entries) or datetime.date.min

    roll = expense_json(ledgers.variant, "rollforward", "--from", first, "--as-of", str(ledgers.until))
    assert expense_json(ledgers.base, "rollforward", "--from", first, "--as-of", str(ledgers.until)) == []
    assert {(row["account"], row["currency"]) for row in roll} <= {("Assets:Prepaid", cur), ("Assets:ContractCosts", cur)}
    for row in roll:
        moved = sum(Decimal(row[column]) for column in ("opening", "prepaid", "expensed", "corrections", "other"))
        assert moved == Decimal(row["closing"]), row
    for account in ("Assets:Prepaid", "Assets:ContractCosts"):
        rows = [row for row in roll if row["account"] == account]
        balance = sum((posting.units.number for entry in entries if isinstance(entry, Transaction)
                       and entry.date <= ledgers.until for posting in entry.postings
                       if posting.account == account), Decimal(0))
        assert Decimal(rows[-1]["closing"] if rows else 0) == balance, account

    corrections = expense_json(ledgers.variant, "corrections")
    assert not corrections
    assert closed < ledgers.first
    assert all(row["corrects"].startswith("x-") or "/Expenses:" in row["corrects"] for row in corrections)
    deferred = totals([{"account": posting["account"], "number": posting["number"]} for row in corrections
                       if row["corrects"].endswith("/deferral") for posting in row["postings"]], "account", "number")
    prepaid = totals(roll, "account", "prepaid")
    assert {account: prepaid.get(account, Decimal(0)) + deferred.get(account, Decimal(0))
            for account in ("Assets:Prepaid", "Assets:ContractCosts")} == {
        "Assets:Prepaid": PREMIUM + LICENCE, "Assets:ContractCosts": COMMISSION if ledgers.contract else 0}

    schedule = ("schedule", "--from", first, "--months", "36")
    added = totals(expense_json(ledgers.variant, *schedule), "account", "expense")
    before = totals(expense_json(ledgers.base, *schedule), "account", "expense")
    assert {account: amount - before.get(account, Decimal(0)) for account, amount in added.items()
            if amount != before.get(account)} == {"Expenses:Insurance": PREMIUM - REFUND, "Expenses:Software": LICENCE,
                                                  **({"Expenses:SalesCommissions": COMMISSION} if ledgers.contract else {})}

    rules = {row["rule"]: row for row in expense_json(ledgers.variant, "rules")}
    licence = rules["software-yearly"]
    assert (licence["matched"], licence["won"], licence["governs"]) == (1, 1, [{"number": str(LICENCE),
                                                                             "currency": cur}])
    [insurance] = expense_json(ledgers.variant, "explain", "x-insurance")
    assert (insurance["amount"], insurance["rule"]) == (str(PREMIUM), "default")
    assert [(credit["amount"], credit["date"]) for credit in insurance["credited_by"]] == [
        (f"-{REFUND}", str(ledgers.refund))]


@pytest.mark.usefixtures("loads")
def test_expense_summary_of_a_refund_and_a_commission(folder: Path) -> None:
    """contracts.beancount with the expense lines: a commission on ct_multi (2022) amortised by day, the refund.

    January: the insurance's 31 days of 365 (101.92) and the licence's month (10.00) expensed over their
    schedules, the commission's 31 days (50.96) as amortised contract costs. The refund of 300.00 on 3 April
    finds 904.11 of 1,200.00 still prepaid: 226.03 comes off prepaid, 73.97 stays expensed. Each figure is what
    its BQL gives in the real bean-query.
    """
    ledgers = pair(folder, "contracts.beancount")
    assert (ledgers.contract, ledgers.refund) == ("ct_multi", datetime.date(2022, 4, 3))
    january = {row["figure"]: row["amount"]
               for row in expense_json(ledgers.variant, "summary", "--month", "2022-01")}
    assert {name: january[name] for name in ("scheduled", "contracts", "net", "prepaid_additions", "prepaid_closing",
                                             "contract_cost_closing")} == {
        "scheduled": "111.92", "contracts": "50.96", "net": "162.88", "prepaid_additions": "1320.00",
        "prepaid_closing": "1208.08", "contract_cost_closing": "549.04"}
    entries, _, options_map = loader.load_file(str(ledgers.variant))
    books = read_books(entries, options_map)[0]
    assert books is not None
    april = monthly_summary(books.for_side("expense"), datetime.date(2022, 4, 1))
    amounts = {row.figure: row.amount for row in april.rows}
    assert {name: str(amounts[name]) for name in ("scheduled", "contracts", "credits", "net", "prepaid_other",
                                                  "contract_cost_closing")} == {
        "scheduled": "83.97", "contracts": "49.31", "credits": "-73.97", "net": "59.31", "prepaid_other": "-226.03",
        "contract_cost_closing": "402.74"}
    for name in ("contracts", "credits", "net", "prepaid_other", "contract_cost_closing"):
        [row] = bean_query(ledgers.variant, april.queries[name])
        assert (row["currency"], Decimal(next(value for key, value in row.items() if key != "currency"))) == (
            "USD", amounts[name]), name
