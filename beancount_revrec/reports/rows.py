"""The rows every report returns: NamedTuples of Decimals, formatted only by the CLI's output and Fava's template."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Literal, NamedTuple

Status = Literal["recognised", "expensed", "scheduled"]
"""A waterfall month's: recognised (expensed on the expense side) up to the as-of month, scheduled after it."""


class MetricRow(NamedTuple):
    """The eight metrics of SPEC section 7 for one contract and currency, as of a date."""

    contract: str
    customer: str | None
    currency: str
    tcv: Decimal
    acv: Decimal
    billed: Decimal
    revenue: Decimal
    deferred: Decimal
    contract_asset: Decimal
    future_billings: Decimal
    unbilled_deferred: Decimal
    cost: Decimal  # costs of obtaining the contract capitalised (net of clawbacks), ASC 340-40
    cost_amortised: Decimal  # of which amortised to date
    cost_capitalised: Decimal  # of which still capitalised: the contract's share of the contract-cost account


METRIC_COLUMNS = MetricRow._fields
METRICS = METRIC_COLUMNS[3:]
"""The metrics' amounts, after contract, customer and currency."""
REVENUE_METRICS = METRICS[:8]
"""The eight revenue metrics of SPEC section 7."""
COST_METRICS = METRICS[8:]
"""The contract costs' metrics: capitalised, amortised to date, still capitalised."""


def shown_metrics(rows: Iterable[MetricRow]) -> tuple[str, ...]:
    """The metrics shown for ``rows``: the revenue metrics, and the costs' where one of them has costs."""
    return METRICS if any(getattr(row, name) for row in rows for name in COST_METRICS) else REVENUE_METRICS


class WaterfallRow(NamedTuple):
    """Revenue (on the expense side: cost) of one month, group (account, contract or product) and currency."""

    month: str  # YYYY-MM
    group: str
    currency: str
    revenue: Decimal
    status: Status


class RollRow(NamedTuple):
    """One month of an account's roll-forward, with Beancount's signs (a liability is negative)."""

    account: str
    currency: str
    month: str  # YYYY-MM
    opening: Decimal
    deferred: Decimal
    billed: Decimal
    recognised: Decimal
    corrections: Decimal
    other: Decimal
    closing: Decimal


ROLL_COLUMNS = RollRow._fields[3:]


class PostingRow(NamedTuple):
    """One posting of a generated entry."""

    account: str
    number: Decimal
    currency: str


class CorrectionRow(NamedTuple):
    """A correction: the key it corrects, what was frozen and what is recomputed (as booked), why, its postings."""

    date: datetime.date
    corrects: str
    key: str
    frozen: str  # "12.00 USD", as the correction's metadata says
    recomputed: str
    cause: str
    postings: tuple[PostingRow, ...]


class Money(NamedTuple):
    """An amount in one currency."""

    number: Decimal
    currency: str


class RuleRow(NamedTuple):
    """A rule and its use: match keys, treatment, effective period, lines matched, won and lost, what it governs."""

    rule: str
    location: str  # file:line
    match: str  # its match keys as written: "account: Income:Sales, product: prod_1"
    effective: str  # "2022-01-01 to open"
    treatment: str
    matched: int
    won: int
    lost: int
    lost_to: tuple[str, ...]
    lost_lines: tuple[str, ...]
    governs: tuple[Money, ...]  # per currency, the revenue of the lines it wins (an invoice line's amount)
    status: str


class Verdict(NamedTuple):
    """Why a rule applies to a line, or not."""

    rule: str
    location: str
    verdict: str


class EntryRow(NamedTuple):
    """A booked entry of a source: the accounts it debits and credits (joined by "+") and the amount it moves."""

    date: datetime.date
    kind: str
    key: str
    debit: str
    credit: str
    amount: Decimal
    currency: str


class CreditRow(NamedTuple):
    """A credit line of a credited line."""

    line: str
    date: datetime.date
    amount: Decimal
    currency: str


class Explained(NamedTuple):
    """A source explained: the line, the rules considered, its treatment and every entry the ledger books for it."""

    line: str
    kind: str  # line, contract item, contract billing, billing schedule
    source: str  # file:line
    date: datetime.date
    account: str
    amount: Decimal
    currency: str
    attributes: dict[str, str]
    rules: tuple[Verdict, ...]
    rule: str | None
    treatment: str | None
    status: str
    entries: tuple[EntryRow, ...]
    credited_by: tuple[CreditRow, ...]


class Waiting(NamedTuple):
    """A line deferred with nothing scheduled: it waits for its invoice's payment."""

    line: str
    invoice: str | None
    date: datetime.date
    source: str  # file:line
