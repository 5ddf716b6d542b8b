"""Property tests for the expense side (issue 18): prepaid costs beside revenue lines, with partial refunds.

A random ledger holds a few sales (ratable by day, by month or prorated) and a few prepaid costs, each on an
expense account of its own with a random service period, method and amount, and up to two partial refunds
(``credit-for:``, together at most the cost). Loaded with the plugin, the books must hold:

1. no error, and every generated transaction balances;
2. per cost, what it put in ``Assets:Prepaid`` is back to zero by the end of its last service month, and
   nothing of it moves there later;
3. per cost, its expense account ends at the cost less its refunds: no cent lost or made;
4. each refund's share off prepaid is the refund's fraction of what the cost still stood at, applied to what
   was still prepaid just before it (its own day's expense counted), rounded half up;
5. the revenue side's generated entries are the very same as those of the ledger without the costs.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from beancount import loader
from beancount.core.data import Transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from beancount_revrec.meta import KEY, KIND, SIDE
from beancount_revrec.schedule import month_end

START = datetime.date(2024, 1, 1)
CENT = Decimal("0.01")
PREPAID, BANK, AR = "Assets:Prepaid", "Assets:Bank", "Assets:AccountsReceivable"
METHODS = ("daily", "monthly", "monthly-prorated")
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Refund(NamedTuple):
    day: datetime.date
    amount: Decimal


class Item(NamedTuple):
    """A sale or a cost: its amount, service period (end exclusive) and method; a cost's refunds."""

    amount: Decimal
    start: datetime.date
    end: datetime.date
    method: str
    refunds: list[Refund]


class Case(NamedTuple):
    sales: list[Item]
    costs: list[Item]


def days(number: int) -> datetime.timedelta:
    return datetime.timedelta(days=number)


@st.composite
def items(draw: st.DrawFn, *, refunds: bool) -> Item:
    amount = Decimal(draw(st.integers(1, 10**7))) * CENT
    start = START + days(draw(st.integers(0, 120)))
    end = start + days(draw(st.integers(1, 500)))
    made, left, day = [], amount, start
    for _ in range(draw(st.integers(0, 2)) if refunds else 0):
        day += days(draw(st.integers(0 if not made else 1, 200)))  # refunds on different days, in order
        if left <= 0:
            break
        refund = Decimal(draw(st.integers(1, int(left / CENT)))) * CENT
        made.append(Refund(day, refund))
        left -= refund
    return Item(amount, start, end, draw(st.sampled_from(METHODS)), made)


cases = st.builds(Case, st.lists(items(refunds=False), max_size=3), st.lists(items(refunds=True), min_size=1,
                                                                              max_size=3))


def render(case: Case, *, costs: bool = True) -> str:
    accounts = [BANK, AR, PREPAID, *(f"Income:Sale{n}" for n in range(len(case.sales))),
                *(f"Expenses:Cost{n}" for n in range(len(case.costs)))]
    text = ['option "operating_currency" "USD"', 'plugin "beancount_revrec"',
            *(f"2023-01-01 open {account}" for account in accounts)]
    for n, sale in enumerate(case.sales):
        text.append(f'{sale.start} * "Customer" "Sale {n}"\n  invoice: "in_{n}"\n  {AR}  {sale.amount} USD\n'
                    f'  Income:Sale{n}  {-sale.amount} USD\n    service-start: {sale.start}\n'
                    f'    service-end: {sale.end}\n    revrec: "ratable {sale.method}"')
    for n, cost in enumerate(case.costs if costs else []):
        text.append(f'{cost.start} * "Vendor" "Cost {n}"\n  Expenses:Cost{n}  {cost.amount} USD\n'
                    f'    line: "cost_{n}"\n    service-start: {cost.start}\n    service-end: {cost.end}\n'
                    f'    revrec: "ratable {cost.method}"\n  {BANK}')
        text += [f'{refund.day} * "Vendor" "Refund {n}.{r}"\n  {BANK}  {refund.amount} USD\n'
                 f'  Expenses:Cost{n}  {-refund.amount} USD\n    credit-for: "cost_{n}"'
                 for r, refund in enumerate(cost.refunds)]
    return "\n\n".join(text) + "\n"


def generated(entries: list[Any]) -> list[Transaction]:
    return [entry for entry in entries if isinstance(entry, Transaction) and KIND in entry.meta]


def on(entries: list[Any], account: str) -> list[tuple[datetime.date, Decimal, Any]]:
    """(date, number, entry) of every posting to ``account``."""
    return [(entry.date, posting.units.number, entry) for entry in entries if isinstance(entry, Transaction)
            for posting in entry.postings if posting.account == account]


def prepaid_of(entries: list[Transaction], cost: int) -> list[tuple[datetime.date, Decimal, Transaction]]:
    """The prepaid postings of the generated entries of cost ``cost`` (each posts to its expense account)."""
    mine = [entry for entry in entries if any(p.account == f"Expenses:Cost{cost}" for p in entry.postings)]
    return on(mine, PREPAID)


def revenue_side(entries: list[Any]) -> list[tuple[Any, ...]]:
    return [(entry.date, entry.narration, entry.meta[KEY], [(p.account, p.units) for p in entry.postings])
            for entry in generated(entries) if SIDE not in entry.meta]


ONE_DAY_REFUND = Case([], [Item(Decimal("366.00"), START, datetime.date(2025, 1, 1), "daily",
                                [Refund(datetime.date(2024, 7, 1), Decimal("100.00")),
                                 Refund(datetime.date(2024, 7, 2), Decimal("266.00"))])])
"""Two refunds a day apart that together refund the whole cost: the second takes everything left."""


@PROPERTY
@given(cases)
@example(ONE_DAY_REFUND)
def test_prepaid_costs_beside_revenue_are_exact(case: Case) -> None:
    entries, errors, _ = loader.load_string(render(case))
    assert errors == []
    made = generated(entries)
    for entry in made:
        assert sum(posting.units.number for posting in entry.postings) == 0, entry
    for n, cost in enumerate(case.costs):
        prepaid = prepaid_of(made, n)
        last = month_end(cost.end - days(1))
        assert sum(number for _, number, _ in prepaid) == 0
        assert all(day <= last for day, _, _ in prepaid), (last, prepaid)
        refunded = sum((refund.amount for refund in cost.refunds), Decimal(0))
        assert sum(number for _, number, _ in on(entries, f"Expenses:Cost{n}")) == cost.amount - refunded
        standing = cost.amount
        for refund in cost.refunds:
            off = -sum((number for day, number, entry in prepaid
                        if day == refund.day and entry.meta[KIND] == "reclass"), Decimal(0))
            before = sum((number for day, number, entry in prepaid
                          if day < refund.day or (day == refund.day and entry.meta[KIND] != "reclass")), Decimal(0))
            assert off == (before * refund.amount / standing).quantize(CENT, rounding=ROUND_HALF_UP)
            standing -= refund.amount
    assert sum(number for _, number, _ in on(entries, PREPAID)) == 0
    without, errors, _ = loader.load_string(render(case, costs=False))
    assert errors == []
    assert revenue_side(entries) == revenue_side(without)
