"""Revenue contracts (SPEC section 7): items carry the revenue, billing is presentation.

Per contract and currency, billed-to-date minus revenue-to-date is deferred
revenue when positive and a contract asset when negative. Billing credits the
contract asset first, then deferred revenue; recognition debits deferred
revenue first, then the contract asset. So at every date at most one of the two
balances is non-zero.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import partial
from typing import NamedTuple

from beancount_revrec.config import Config
from beancount_revrec.contract_directives import Billing, ContractDirectives, Item
from beancount_revrec.errors import RevrecError, guarded
from beancount_revrec.meta import billing_key, recognition_key, scheduled_billing_key
from beancount_revrec.records import Movement, Treated
from beancount_revrec.schedule import ZERO, add_months, allocate
from beancount_revrec.sources import Line

CONTRACT_RULE = "contract"


def item_line(item: Item, customer: str | None) -> Line:
    """A contract item as a line the engine can treat (its key and line id are ``CONTRACT/ITEM``; no transaction)."""
    title = f"Contract {item.contract}, item {item.item}"
    return Line(key=item.ident, entry=None, payee=customer, narration=title, description=title,
                meta=item.meta, date=item.date, account=item.account,
                amount=item.amount, currency=item.currency, line_id=item.ident, invoice=None, customer=customer,
                product=None, price=item.price, service=item.service, quantity=item.quantity,
                override=item.treatment.text, source="contract", payment_date=None, contract=item.contract)


def scheduled_billings(billing: Billing, places: int) -> list[tuple[datetime.date, Decimal]]:
    """The billing dates of a schedule and their amounts, summing exactly to its total."""
    dates: list[datetime.date] = []
    while (day := add_months(billing.date, billing.months * len(dates))) < billing.until:
        dates.append(day)
    amounts = allocate(billing.amount, range(1, len(dates) + 1), len(dates), places)
    return list(zip(dates, amounts, strict=True))


class _Event(NamedTuple):
    day: datetime.date
    order: int  # billing (0) before recognition (1) on the same day
    key: str
    kind: str
    amount: Decimal  # billed or recognised, revenue-positive
    other: str  # the receivable or billed revenue account, or the item's account
    source: Line | Billing
    payee: str | None


def schedulable(directives: ContractDirectives, places: Callable[[str], int]) -> tuple[ContractDirectives,
                                                                                       list[RevrecError]]:
    """The directives without the billing schedules whose dates leave the calendar, and their errors."""
    errors, kept = [], []
    for billing in directives.billings:
        problem = guarded(billing.meta, None, f"revrec-billing until {billing.until}", "the schedule bills nothing",
                          partial(scheduled_billings, billing, places(billing.currency)))
        if isinstance(problem, RevrecError):
            errors.append(problem)
        else:
            kept.append(billing)
    return directives._replace(billings=kept), errors


def billing_styles(
    directives: ContractDirectives, recorded: list[Line],
) -> tuple[ContractDirectives, list[Line], list[RevrecError]]:
    """Keep one billing style per contract: recorded billings win over a schedule.

    Returns:
        The directives without the rejected schedules, the valid recorded billing
        lines, and the errors.
    """
    errors: list[RevrecError] = []
    recorded = _recorded_billings(directives, recorded, errors)
    styled = {line.contract for line in recorded}
    errors.extend(RevrecError(billing.meta, f'revrec-billing: contract "{billing.contract}" is already billed by '
                              "transactions with contract: metadata; use one billing style per contract")
                  for billing in directives.billings if billing.contract in styled)
    billings = [billing for billing in directives.billings if billing.contract not in styled]
    return directives._replace(billings=billings), recorded, errors


def present(
    directives: ContractDirectives, items: list[Treated], recorded: list[Line], config: Config,
    places: Callable[[str], int],
) -> list[Movement]:
    """The billing and recognition movements of every contract.

    Schedules of one contract and currency billing on the same date make one billing.
    """
    timelines: dict[tuple[str, str], list[_Event]] = {}
    customers = {key: contract.customer for key, contract in directives.contracts.items()}
    billed: dict[tuple[str, str, datetime.date], tuple[Decimal, Billing]] = {}
    for billing in directives.billings:
        for day, amount in scheduled_billings(billing, places(billing.currency)):
            when = (billing.contract, billing.currency, day)
            previous = billed.get(when, (ZERO, billing))  # the first schedule billing that day gives the metadata
            billed[when] = (previous[0] + amount, previous[1])
    for (contract, currency, day), (amount, billing) in billed.items():
        _add(timelines, _Event(day, 0, scheduled_billing_key(contract, currency, day), "billing", amount,
                               config.receivable, billing, customers.get(contract)))
    for line in recorded:
        _add(timelines, _Event(line.date, 0, billing_key(line.key), "billing", line.amount, line.account, line,
                               line.payee))
    for item in items:
        for day, amount in item.schedule:
            _add(timelines, _Event(day, 1, recognition_key(item.line.key, day), "recognition", amount,
                                   item.line.account, item.line, item.line.payee))
    return [movement for events in timelines.values() for movement in _movements(events, config)]


def _add(timelines: dict[tuple[str, str], list[_Event]], event: _Event) -> None:
    timelines.setdefault((str(event.source.contract), event.source.currency), []).append(event)


def _recorded_billings(directives: ContractDirectives, recorded: list[Line], errors: list[RevrecError]) -> list[Line]:
    """Recorded billing lines of known contracts in a currency their items use."""
    currencies = {(item.contract, item.currency) for item in directives.items}
    valid = []
    for line in recorded:
        if line.contract not in directives.contracts:
            errors.append(RevrecError(line.meta, f'contract: unknown contract "{line.contract}": declare it with '
                                      f'custom "revrec-contract" "{line.contract}"', line.entry))
        elif (line.contract, line.currency) not in currencies:
            errors.append(RevrecError(line.meta, f'contract "{line.contract}" has no item in {line.currency}: '
                                      "bill in the currency of its items", line.entry))
        else:
            customer = directives.contracts[str(line.contract)].customer
            valid.append(line._replace(customer=customer or line.customer))
    return valid


def _movements(events: list[_Event], config: Config) -> Iterable[Movement]:
    balance = ZERO  # billed minus recognised
    for event in sorted(events, key=lambda event: (event.day, event.order)):
        after = balance + event.amount if event.kind == "billing" else balance - event.amount
        deferred = -(max(after, ZERO) - max(balance, ZERO))
        asset = max(-after, ZERO) - max(-balance, ZERO)
        if event.kind == "billing":
            legs = ((event.other, event.amount), (config.contract_asset, asset), (config.deferred, deferred))
        else:
            legs = ((config.deferred, deferred), (config.contract_asset, asset), (event.other, -event.amount))
        postings = tuple(leg for leg in legs if leg[1])
        balance = after
        if postings:
            yield Movement(event.key, event.kind, event.day, event.source.currency, event.amount, postings,
                           event.source, event.payee)
