"""Contract metrics (SPEC section 7), read from the contracts' booked entries."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from beancount.core.data import Transaction

from beancount_revrec.contract_directives import Item
from beancount_revrec.meta import corrected_key, parse_key
from beancount_revrec.reports.books import Books
from beancount_revrec.reports.rows import METRICS, MetricRow
from beancount_revrec.schedule import months_between

Totals = dict[tuple[str, str], Decimal]  # (contract, currency) -> amount


def contract_metrics(books: Books, as_of: datetime.date, contract: str | None = None) -> list[MetricRow]:
    """The eight revenue metrics and the three of contract costs, per contract and currency, as of a date (inclusive).

    Billed and recognised amounts are what the contracts' booked entries move on
    deferred revenue and the contract asset: a billing adds its amount to their
    net balance, a recognition takes it off (frozen entries and corrections
    included, as the books hold them). Future billings are the billing schedules'
    entries after the date. Beyond a booking horizon they are what the engine
    schedules (``Books.unbooked``), so the metrics are those without a horizon.
    The contract costs are what the expense side's entries move on the contract-cost
    account (``_costs``).
    """
    billed, revenue, future = _booked(books, as_of)
    capitalised, amortised = _costs(books.for_side("expense"), as_of)
    directives = books.contracts
    groups: dict[tuple[str, str], list[Item]] = defaultdict(list)
    for item in directives.items:
        if contract in (None, item.contract):
            groups[item.contract, item.currency].append(item)
    return [_metrics(key, items, directives.contracts[key[0]].customer,
                     (billed[key], revenue[key], future[key], capitalised[key], amortised[key]), books.places(key[1]))
            for key, items in sorted(groups.items())]


def _booked(books: Books, as_of: datetime.date) -> tuple[Totals, Totals, Totals]:
    """Per contract and currency: billed and recognised through ``as_of``, and scheduled billings after it."""
    billed: Totals = defaultdict(Decimal)
    revenue: Totals = defaultdict(Decimal)
    future: Totals = defaultdict(Decimal)
    balances = (books.config.deferred, books.config.contract_asset)
    for entry in (*books.booked, *books.unbooked):
        contract = entry.meta.get("contract")
        if contract is None:
            continue
        key = parse_key(corrected_key(entry.meta))
        if key.kind == "recognition" and entry.date <= as_of:
            totals, sign = revenue, 1  # recognition debits the balances
        elif key.kind == "billing" and (entry.date <= as_of or key.source == contract):
            totals, sign = (billed if entry.date <= as_of else future), -1  # billing credits them
        else:
            continue
        _add(totals, contract, entry, balances, sign)
    return billed, revenue, future


def _costs(books: Books, as_of: datetime.date) -> tuple[Totals, Totals]:
    """Per contract and currency: the costs capitalised and amortised through ``as_of`` (the expense side's books).

    Read from the generated entries of the contracts' costs (``revrec-side: "expense"``, with ``contract:``) on
    the contract-cost account: a deferral capitalises, a recognition amortises, a clawback's reclass takes its
    still-capitalised share off what was capitalised. What is still capitalised is their difference.
    """
    capitalised: Totals = defaultdict(Decimal)
    amortised: Totals = defaultdict(Decimal)
    account = books.plugin.contract_cost
    for entry in (*books.booked, *books.unbooked):
        contract = entry.meta.get("contract")
        if contract is None or entry.date > as_of:
            continue
        recognition = parse_key(corrected_key(entry.meta)).kind == "recognition"
        totals, sign = (amortised, -1) if recognition else (capitalised, 1)  # amortisation credits the asset
        _add(totals, contract, entry, (account,), sign)
    return capitalised, amortised


def _add(totals: Totals, contract: str, entry: Transaction, accounts: tuple[str, ...], sign: int) -> None:
    """Add what ``entry`` moves on ``accounts``, times ``sign``, to ``contract``'s totals per currency."""
    for posting in entry.postings:
        if posting.account in accounts and posting.units is not None and posting.units.number is not None:
            totals[contract, posting.units.currency] += sign * posting.units.number


def _metrics(key: tuple[str, str], items: list[Item], customer: str | None,
             booked: tuple[Decimal, Decimal, Decimal, Decimal, Decimal], places: int) -> MetricRow:
    """One contract's row; ``booked``: billed, recognised, future billings, cost capitalised and amortised."""
    billed, revenue, future, cost, amortised = booked
    tcv = sum((item.amount for item in items), Decimal(0))
    start = min(item.service[0] if item.service else item.date for item in items)
    end = max(item.service[1] if item.service else item.date for item in items)
    acv = Fraction(tcv) * 12 / max(months_between(start, end), Fraction(12))
    quantum = Decimal(1).scaleb(-places)
    values = (tcv, (Decimal(acv.numerator) / Decimal(acv.denominator)).quantize(quantum, rounding=ROUND_HALF_UP),
              billed, revenue, max(billed - revenue, Decimal(0)), max(revenue - billed, Decimal(0)), future,
              tcv - max(billed, revenue), cost, amortised, cost - amortised)
    return MetricRow(key[0], customer, key[1], *(value.quantize(quantum) for value in values))


def metric_totals(rows: list[MetricRow]) -> list[MetricRow]:
    """The metrics summed per currency, as rows of no contract."""
    totals: dict[str, list[Decimal]] = {}
    for row in rows:
        total = totals.setdefault(row.currency, [Decimal(0)] * len(METRICS))
        for index, name in enumerate(METRICS):
            total[index] += getattr(row, name)
    return [MetricRow("", None, currency, *total) for currency, total in sorted(totals.items())]
