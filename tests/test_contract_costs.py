"""Capitalised contract costs (ASC 340-40): sales commissions on ``ledgers/saas-commissions.beancount``.

A commission (an expense posting with ``contract: "ct_..."``) is capitalised to
``Assets:ContractCosts`` on its payment date and amortised by day over its
contract's term (the first item's service start to the last item's end), each
month's days on the month's last day; what falls before the payment date is
caught up on it. A clawback (``credit-for:`` the commission's ``line:``) takes
its still-capitalised share off the asset, the rest of the schedule shrinking in
proportion. With ``cost-expedient: on`` a cost over a term of a year or less is
expensed at once. The contract metrics read all of it from the generated entries.
"""

from __future__ import annotations

import calendar
import datetime
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from beancount import loader
from beancount.core.data import Transaction

from tests.conftest import LEDGERS, bean_query, lineno, load_text, ok

SAAS = LEDGERS / "saas-commissions.beancount"
COSTS = "Assets:ContractCosts"
COMMISSIONS = "Expenses:Commissions"
D = Decimal
Moves = list[tuple[datetime.date, str, Decimal]]  # (date, revrec-kind, amount on the contract-cost account)


def month_ends(start: datetime.date, end: datetime.date) -> list[tuple[datetime.date, int]]:
    """Each month of [start, end) as (its last day in the term, the term's days in it): the schedule's hand rule."""
    pieces = []
    day = start
    while day < end:
        last = min(day.replace(day=calendar.monthrange(day.year, day.month)[1]), end - datetime.timedelta(days=1))
        pieces.append((last, (last - day).days + 1))
        day = last + datetime.timedelta(days=1)
    return pieces


def amortisation(start: datetime.date, end: datetime.date, per_day: Decimal, paid: datetime.date) -> Moves:
    """The recognitions by hand: each month's days times the daily amount, caught up on the payment date."""
    return [(max(last, paid), "recognition", -per_day * days) for last, days in month_ends(start, end)]


def cost_moves(entries: list[Any], contract: str) -> Moves:
    """What the generated entries of ``contract`` move on the contract-cost account, in date order."""
    return [(entry.date, entry.meta["revrec-kind"], posting.units.number) for entry in entries
            if isinstance(entry, Transaction) and entry.meta.get("revrec-side") == "expense"
            and entry.meta.get("contract") == contract for posting in entry.postings if posting.account == COSTS]


@pytest.fixture(scope="module")
def saas() -> list[Any]:
    entries, errors, _ = loader.load_file(str(SAAS))
    assert errors == []
    return entries


def test_acme_capitalised_on_payment_and_january_caught_up(saas: list[Any]) -> None:
    # two years from 2024-01-01 (731 days): 7310.00 is 10.00 a day; paid 2024-02-15, after the term started
    moves = cost_moves(saas, "ct_acme")
    paid = datetime.date(2024, 2, 15)
    assert moves[0] == (paid, "deferral", D("7310.00"))
    assert moves[1] == (paid, "recognition", D("-310.00"))  # January's 31 days, on the payment date
    assert moves[1:] == amortisation(datetime.date(2024, 1, 1), datetime.date(2026, 1, 1), D("10.00"), paid)
    assert moves[2] == (datetime.date(2024, 2, 29), "recognition", D("-290.00"))
    assert moves[-1] == (datetime.date(2025, 12, 31), "recognition", D("-310.00"))
    assert sum(amount for _, _, amount in moves) == 0
    for entry in saas:
        if isinstance(entry, Transaction) and entry.meta.get("contract") == "ct_acme" \
                and entry.meta.get("revrec-side") == "expense":
            assert entry.meta["revrec-rule"] == "contract-cost"
            assert {posting.account for posting in entry.postings} == {COSTS, COMMISSIONS}


def test_globex_paid_before_its_one_year_term(saas: list[Any]) -> None:
    # 2024-03-01 to 2025-03-01 (365 days): 1825.00 is 5.00 a day; nothing amortised before the term
    moves = cost_moves(saas, "ct_globex")
    assert moves[0] == (datetime.date(2024, 2, 20), "deferral", D("1825.00"))
    assert moves[1:] == amortisation(datetime.date(2024, 3, 1), datetime.date(2025, 3, 1), D("5.00"),
                                     datetime.date(2024, 2, 20))
    assert moves[1] == (datetime.date(2024, 3, 31), "recognition", D("-155.00"))
    assert moves[-1] == (datetime.date(2025, 2, 28), "recognition", D("-140.00"))
    assert sum(amount for _, _, amount in moves) == 0


def test_initech_clawback_halves_what_is_still_capitalised(saas: list[Any]) -> None:
    # 2024-04-01 to 2027-04-01 over two items (1095 days): 2190.00 is 2.00 a day. On 2025-04-01, 730.00 is
    # amortised and 1460.00 capitalised; the clawback of 1095.00 (half) takes 730.00 off the asset and leaves
    # 365.00 on the expense; the remaining 730.00 over the last 730 days is 1.00 a day.
    moves = cost_moves(saas, "ct_initech")
    clawed = datetime.date(2025, 4, 1)
    before = amortisation(datetime.date(2024, 4, 1), clawed, D("2.00"), datetime.date(2024, 4, 1))
    after = amortisation(clawed, datetime.date(2027, 4, 1), D("1.00"), clawed)
    assert moves == [(datetime.date(2024, 4, 1), "deferral", D("2190.00")), *before,
                     (clawed, "reclass", D("-730.00")), *after]
    assert sum(amount for _, _, amount in before) == D("-730.00")
    assert after[0] == (datetime.date(2025, 4, 30), "recognition", D("-30.00"))
    assert sum(amount for _, _, amount in after) == D("-730.00")
    on_the_day = [posting.units.number for entry in saas if isinstance(entry, Transaction) and entry.date == clawed
                  for posting in entry.postings if posting.account == COMMISSIONS]
    assert sorted(on_the_day) == [D("-1095.00"), D("730.00")]  # 365.00 of the clawback stays off the expense


def test_stored_queries_show_the_balance_by_month() -> None:
    balances = {(int(row["year"]), int(row["month"])): row["capitalised"]
                for row in bean_query(SAAS, ".run contract-costs")}
    # 2024-12: Acme 7310 - 366 days * 10 = 3650, Globex 1825 - 306 * 5 = 295, Initech 2190 - 275 * 2 = 1640
    assert balances[2024, 12] == "5585.00 USD"
    # 2025-06: Acme 184 days * 10 = 1840, Globex 0, Initech 730 - 91 = 639
    assert balances[2025, 6] == "2479.00 USD"
    assert balances[2026, 12] == "90.00 USD"  # Initech's last 90 days at 1.00
    assert balances[2027, 3] == ""  # all amortised
    changes = {(row["year"], row["month"], row["contract"]): D(row["change"].split()[0])
               for row in bean_query(SAAS, ".run contract-costs-by-contract")}
    assert changes["2024", "2", "ct_acme"] == D("6710.00")  # 7310.00 capitalised, January and February amortised
    assert changes["2025", "4", "ct_initech"] == D("-760.00")  # the clawback's 730.00 and April's 30.00


def metrics(path: Path, as_of: str) -> dict[str, dict[str, str]]:
    rows = json.loads(ok("contracts", path, "--as-of", as_of, "--format", "json"))
    return {row["contract"]: {name: row[name] for name in ("cost", "cost_amortised", "cost_capitalised")}
            for row in rows}


@pytest.mark.parametrize(("as_of", "expected"), [
    ("2024-12-31", {"ct_acme": ("7310.00", "3660.00", "3650.00"), "ct_globex": ("1825.00", "1530.00", "295.00"),
                    "ct_initech": ("2190.00", "550.00", "1640.00")}),
    ("2025-06-30", {"ct_acme": ("7310.00", "5470.00", "1840.00"), "ct_globex": ("1825.00", "1825.00", "0.00"),
                    "ct_initech": ("1460.00", "821.00", "639.00")}),  # capitalised net of the clawback's 730.00
    ("2024-01-31", {"ct_acme": ("0.00", "0.00", "0.00"), "ct_globex": ("0.00", "0.00", "0.00"),
                    "ct_initech": ("0.00", "0.00", "0.00")}),  # nothing paid yet
])
def test_contract_metrics_show_the_costs(as_of: str, expected: dict[str, tuple[str, str, str]]) -> None:
    got = metrics(SAAS, as_of)
    assert {contract: tuple(row.values()) for contract, row in got.items()} == expected
    rows = bean_query(SAAS, f"SELECT sum(number) AS n WHERE account = '{COSTS}' AND date <= {as_of}")
    balance = D(rows[0]["n"] or "0") if rows else D(0)
    assert sum(D(row["cost_capitalised"]) for row in got.values()) == balance  # the metrics tie to the books


def test_contract_metrics_text_and_csv_show_the_costs() -> None:
    text = ok("contracts", SAAS, "--as-of", "2025-06-30")
    block = text.split("ct_initech (Initech, USD)")[1]
    for label, amount in (("Contract cost capitalised", "1460.00"), ("Contract cost amortised", "821.00"),
                          ("Contract cost still capitalised", "639.00")):
        (line,) = [line for line in block.splitlines() if line.startswith(label + " ")]
        assert line.split() == [*label.split(), amount, "USD"]
    csv_lines = ok("contracts", SAAS, "--as-of", "2025-06-30", "--format", "csv").splitlines()
    assert csv_lines[0].endswith(",unbilled_deferred,cost,cost_amortised,cost_capitalised")
    assert csv_lines[3].split(",") == ["ct_initech", "Initech", "USD", "32000.00", "10666.67", "22000.00", "14500.00",
                                       "7500.00", "0.00", "10000.00", "10000.00", "1460.00", "821.00", "639.00"]


def test_a_ledger_without_costs_keeps_its_columns() -> None:
    path = LEDGERS / "contracts.beancount"
    assert "cost" not in ok("contracts", path)
    assert ok("contracts", path, "--format", "csv").splitlines()[0] == (
        "contract,customer,currency,tcv,acv,billed,revenue,deferred,contract_asset,future_billings,unbilled_deferred")
    assert all(value == "0.00" for row in metrics(path, "2022-12-31").values() for value in row.values())


# --- the practical expedient ----------------------------------------------------------------------------------


def with_expedient(tmp_path: Path) -> list[Any]:
    text = SAAS.read_text(encoding="utf-8").replace(
        'plugin "beancount_revrec"\n', "plugin \"beancount_revrec\" \"{'cost-expedient': 'on'}\"\n")
    loaded = load_text(tmp_path, text, "saas.beancount")
    assert loaded.errors == []
    return loaded.entries


def test_expedient_expenses_a_one_year_cost_at_once(tmp_path: Path) -> None:
    entries = with_expedient(tmp_path)
    assert cost_moves(entries, "ct_globex") == []  # nothing capitalised: 1825.00 stays on the expense
    paid = [posting.units.number for entry in entries if isinstance(entry, Transaction)
            and entry.date == datetime.date(2024, 2, 20) for posting in entry.postings if posting.account == COMMISSIONS]
    assert paid == [D("1825.00")]
    # the two- and three-year terms are still capitalised and amortised as without the expedient
    saas, _, _ = loader.load_file(str(SAAS))
    for contract in ("ct_acme", "ct_initech"):
        assert cost_moves(entries, contract) == cost_moves(saas, contract)
    rows = json.loads(ok("contracts", tmp_path / "saas.beancount", "--as-of", "2024-12-31", "--format", "json"))
    assert {row["contract"]: row["cost"] for row in rows} == {"ct_acme": "7310.00", "ct_globex": "0.00",
                                                               "ct_initech": "2190.00"}


def test_expedient_capitalises_a_term_a_day_over_a_year(tmp_path: Path) -> None:
    text = """plugin "beancount_revrec" "{'cost-expedient': 'on'}"
2024-01-01 open Assets:Bank USD
2024-01-01 open Income:Subscriptions USD
2024-01-01 open Expenses:Commissions USD
2024-01-01 custom "revrec-contract" "ct_long"
2024-01-01 custom "revrec-item" "ct_long" 3670.00 USD
  item: "platform"
  account: Income:Subscriptions
  service-start: 2024-01-01
  service-end: 2025-01-02
2024-01-01 * "Rep" "Commission"
  Expenses:Commissions   367.00 USD
    contract: "ct_long"
  Assets:Bank
"""
    entries = load_text(tmp_path, text).entries
    moves = cost_moves(entries, "ct_long")  # 367 days: 1.00 a day
    assert moves[0] == (datetime.date(2024, 1, 1), "deferral", D("367.00"))
    assert moves[1:] == amortisation(datetime.date(2024, 1, 1), datetime.date(2025, 1, 2), D("1.00"),
                                     datetime.date(2024, 1, 1))
    assert moves[-1] == (datetime.date(2025, 1, 1), "recognition", D("-1.00"))  # the term's last day


# --- bad input: an error at the commission's line, the rest still generates -------------------------------------

BAD = """plugin "beancount_revrec"
2024-01-01 open Assets:Bank USD
2024-01-01 open Income:Services USD
2024-01-01 open Income:Subscriptions USD
2024-01-01 open Expenses:Commissions USD
2024-01-01 custom "revrec-contract" "ct_setup"
2024-01-01 custom "revrec-item" "ct_setup" 500.00 USD
  item: "setup"
  account: Income:Services
  treatment: "immediate"
2024-01-01 custom "revrec-contract" "ct_ok"
2024-01-01 custom "revrec-item" "ct_ok" 3660.00 USD
  item: "platform"
  account: Income:Subscriptions
  service-start: 2024-01-01
  service-end: 2025-01-01
2024-01-10 * "Rep" "Commissions"
  Expenses:Commissions   100.00 USD
    contract: "ct_nope"
  Expenses:Commissions    50.00 USD
    contract: "ct_setup"
  Expenses:Commissions   366.00 USD
    contract: "ct_ok"
  Assets:Bank  -516.00 USD
"""


def test_commissions_on_unknown_or_periodless_contracts_are_errors_at_their_line(tmp_path: Path) -> None:
    loaded = load_text(tmp_path, BAD)
    found = sorted((error.source["filename"], error.source["lineno"], error.message) for error in loaded.errors)
    path = str(loaded.path)
    assert [(name, number) for name, number, _ in found] == [
        (path, lineno(BAD, "100.00 USD")), (path, lineno(BAD, "50.00 USD"))]
    assert found[0][2].startswith('contract "ct_nope": no contract has this id: write the id of a custom '
                                  '"revrec-contract"')
    assert found[1][2].startswith('contract "ct_setup": the contract has no item with a service period')
    assert "service-start: and service-end:" in found[1][2]  # what to write instead
    # the two stay on the expense as booked; the good one is capitalised, 1.00 a day over 2024
    assert cost_moves(loaded.entries, "ct_nope") == cost_moves(loaded.entries, "ct_setup") == []
    moves = cost_moves(loaded.entries, "ct_ok")
    assert moves[0] == (datetime.date(2024, 1, 10), "deferral", D("366.00"))
    assert moves[1:] == amortisation(datetime.date(2024, 1, 1), datetime.date(2025, 1, 1), D("1.00"),
                                     datetime.date(2024, 1, 10))
    by_month: dict[str, Decimal] = defaultdict(Decimal)
    for day, _, amount in moves[1:]:
        by_month[f"{day:%Y-%m}"] += amount
    assert by_month["2024-01"] == D("-31.00")
    assert sum(by_month.values()) == D("-366.00")
