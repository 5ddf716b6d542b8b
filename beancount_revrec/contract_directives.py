"""Revenue contract directives (SPEC section 7) parsed into typed records.

``revrec-contract``, ``revrec-item`` and ``revrec-billing`` become records or
located errors; cross-references (unknown contracts, duplicate ids, currencies
no item uses) are checked here too, since they need only the directives.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

from beancount.core import account as account_lib
from beancount.core.amount import Amount
from beancount.core.data import Custom

from beancount_revrec.directives import values_of
from beancount_revrec.errors import Problem, RevrecError
from beancount_revrec.sources import check_digits, service_period
from beancount_revrec.treatment import Immediate, On, Ratable, Reclass, Treatment, read_treatment

CONTRACT, ITEM, BILLING = "revrec-contract", "revrec-item", "revrec-billing"
PERIODS = {"month": 1, "quarter": 3, "year": 12}


class Contract(NamedTuple):
    """A revenue contract: an id and its customer."""

    meta: dict[str, Any]
    date: datetime.date
    contract: str
    customer: str | None


class Item(NamedTuple):
    """A contract item: the revenue it carries and how it is recognised."""

    meta: dict[str, Any]
    date: datetime.date
    contract: str
    item: str
    amount: Decimal
    currency: str
    account: str
    price: str | None
    service: tuple[datetime.date, datetime.date] | None
    treatment: Treatment
    quantity: Decimal | None

    @property
    def ident(self) -> str:
        """``CONTRACT/ITEM``: the item's id as events and keys name it."""
        return f"{self.contract}/{self.item}"


class Billing(NamedTuple):
    """A billing schedule: ``amount`` billed evenly every ``months`` from ``date`` until ``until`` (exclusive)."""

    meta: dict[str, Any]
    date: datetime.date
    contract: str
    amount: Decimal
    currency: str
    months: int
    until: datetime.date


class ContractDirectives(NamedTuple):
    """The valid contract directives of a ledger."""

    contracts: dict[str, Contract]
    items: list[Item]
    billings: list[Billing]


def read_contracts(entries: Iterable[Any]) -> tuple[ContractDirectives, list[RevrecError]]:
    """Every valid contract, item and billing schedule, in ledger order."""
    errors: list[RevrecError] = []
    contracts: dict[str, Contract] = {}
    items: list[Item] = []
    billings: list[Billing] = []
    for entry in entries:
        if not isinstance(entry, Custom) or entry.type not in (CONTRACT, ITEM, BILLING):
            continue
        try:
            record = _PARSERS[entry.type](entry)
        except Problem as problem:
            errors.append(RevrecError(entry.meta, f"{entry.type}: {problem}", entry))
            continue
        if isinstance(record, Contract):
            _add_contract(record, contracts, errors, entry)
        elif isinstance(record, Item):
            items.append(record)
        else:
            billings.append(record)
    items = _known(items, contracts, errors, ITEM)
    items = _unique_items(items, errors)
    # an immediate item without service-start is recognised on its contract's date
    items = [item._replace(treatment=_immediate_on(item.treatment, contracts[item.contract].date)) for item in items]
    billings = _billed_in_item_currencies(_known(billings, contracts, errors, BILLING), items, errors)
    return ContractDirectives(contracts, items, billings), errors


def _add_contract(record: Contract, contracts: dict[str, Contract], errors: list[RevrecError], entry: Custom) -> None:
    if record.contract in contracts:
        errors.append(RevrecError(entry.meta, f'{CONTRACT}: contract "{record.contract}" already exists: '
                                  "give each contract its own id", entry))
    else:
        contracts[record.contract] = record


R = TypeVar("R", Item, Billing)


def _known(
    records: list[R], contracts: dict[str, Contract], errors: list[RevrecError], kind: str,
) -> list[R]:
    known = []
    for record in records:
        if record.contract in contracts:
            known.append(record)
        else:
            errors.append(RevrecError(record.meta, f'{kind}: unknown contract "{record.contract}": '
                                      f'declare it with custom "{CONTRACT}" "{record.contract}"'))
    return known


def _unique_items(items: list[Item], errors: list[RevrecError]) -> list[Item]:
    seen: set[str] = set()
    unique = []
    for item in items:
        if item.ident in seen:
            errors.append(RevrecError(item.meta, f'{ITEM}: item "{item.item}" already exists in contract '
                                      f'"{item.contract}": give each item its own item: id'))
        else:
            seen.add(item.ident)
            unique.append(item)
    return unique


def _billed_in_item_currencies(billings: list[Billing], items: list[Item], errors: list[RevrecError]) -> list[Billing]:
    currencies = {(item.contract, item.currency) for item in items}
    valid = []
    for billing in billings:
        if (billing.contract, billing.currency) in currencies:
            valid.append(billing)
        else:
            errors.append(RevrecError(billing.meta, f'{BILLING}: no item of contract "{billing.contract}" is in '
                                      f"{billing.currency}: bill in the currency of its items"))
    return valid


def _parse_contract(entry: Custom) -> Contract:
    values = values_of(entry)
    if len(values) != 1 or not isinstance(values[0], str) or not values[0]:
        raise Problem(f'needs exactly one id: write custom "{CONTRACT}" "ct_1" with customer: below')
    customer = entry.meta.get("customer")
    return Contract(entry.meta, entry.date, values[0], None if customer is None else str(customer))


def _contract_and_amount(entry: Custom, usage: str) -> tuple[str, Decimal, str]:
    values = values_of(entry)
    if (len(values) != 2 or not isinstance(values[0], str) or not isinstance(values[1], Amount)
            or values[1].number is None):
        raise Problem(f"needs a contract id and an amount: {usage}")
    check_digits(values[1].number)
    return values[0], values[1].number, values[1].currency


def _parse_item(entry: Custom) -> Item:
    contract, number, currency = _contract_and_amount(
        entry, f'write custom "{ITEM}" "ct_1" 10000.00 USD with item: and account: below')
    meta = entry.meta
    item, account = meta.get("item"), meta.get("account")
    if not isinstance(item, str) or not item:
        raise Problem('needs item: "ID", the item\'s id within its contract')
    if not isinstance(account, str) or not account_lib.is_valid(account):
        raise Problem("needs account: the revenue account the item is recognised in, "
                      "e.g. account: Income:Subscriptions")
    treatment, service = _item_recognition(meta)
    quantity = meta.get("quantity")
    price = meta.get("price")
    return Item(meta, entry.date, contract, item, number, currency, account,
                None if price is None else str(price), service, treatment,
                quantity if isinstance(quantity, Decimal) else None)


def _item_recognition(meta: dict[str, Any]) -> tuple[Treatment, tuple[datetime.date, datetime.date] | None]:
    """The item's treatment and service period.

    ``immediate`` means on the service start; an immediate item needs no
    service-end, nor any date (then ``read_contracts`` gives it its contract's).

    Raises:
        Problem: they are not an item's.
    """
    treatment = read_treatment(meta.get("treatment", "ratable"), "treatment")
    start, end = meta.get("service-start"), meta.get("service-end")
    if all(isinstance(part.action, Immediate) for part in treatment.parts) and end is None:
        if start is not None and not isinstance(start, datetime.date):
            raise Problem(f"service-start: must be a date like 2022-01-15 (without quotes), got {start!r}")
        return _immediate_on(treatment, start), None
    service = service_period(start, end)
    _check_item_treatment(treatment, service)
    return _immediate_on(treatment, service[0] if service else None), service


def _check_item_treatment(treatment: Treatment, service: tuple[datetime.date, datetime.date] | None) -> None:
    if any(isinstance(part.action, Reclass) for part in treatment.parts):
        raise Problem(f'treatment: "{treatment.text}": an item is recognised, not reclassified: use ratable, '
                      "fulfillment or immediate")
    if any(isinstance(part.action, Ratable) for part in treatment.parts) and service is None:
        raise Problem("a ratable item needs service-start: and service-end:")


def _immediate_on(treatment: Treatment, day: datetime.date | None) -> Treatment:
    """``immediate`` parts recognised on ``day`` (None: left as they are)."""
    if day is None:
        return treatment
    on = On(day)
    return treatment._replace(parts=tuple(part._replace(action=on) if isinstance(part.action, Immediate) else part
                                          for part in treatment.parts))


def _parse_billing(entry: Custom) -> Billing:
    contract, number, currency = _contract_and_amount(
        entry, f'write custom "{BILLING}" "ct_1" 10000.00 USD with every: and until:')
    every, until = entry.meta.get("every"), entry.meta.get("until")
    if every not in PERIODS:
        raise Problem('every: must be "month", "quarter" or "year"')
    if not isinstance(until, datetime.date):
        raise Problem("needs until: the first date not billed (exclusive), e.g. until: 2024-01-01")
    if until <= entry.date:
        raise Problem(f"until {until} must be after the schedule's date {entry.date}")
    return Billing(entry.meta, entry.date, contract, number, currency, PERIODS[every], until)


_PARSERS: dict[str, Callable[[Custom], Contract | Item | Billing]] = {
    CONTRACT: _parse_contract, ITEM: _parse_item, BILLING: _parse_billing,
}
