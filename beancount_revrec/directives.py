"""``custom "revrec-*"`` directives parsed into typed records.

Parsing only: each directive becomes a record or a located error; nothing is
computed here.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, NamedTuple

from beancount.core.amount import Amount
from beancount.core.data import Custom

from beancount_revrec.errors import Problem, RevrecError

FULFILL = "revrec-fulfill"


@dataclass(frozen=True, slots=True)
class ByAmount:
    """Fulfilled: an amount of the line's revenue."""

    number: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class ByUnits:
    """Fulfilled: a number of the line's ``quantity:`` units."""

    units: Decimal


@dataclass(frozen=True, slots=True)
class ByPercent:
    """Fulfilled: a percentage of the line."""

    percent: Decimal


class Event(NamedTuple):
    """A fulfillment event: part of a line recognised on ``date``, measured ``by`` an amount, units or a share."""

    meta: dict[str, Any]
    date: datetime.date
    target: str
    by: ByAmount | ByUnits | ByPercent


def is_custom(entry: object, kind: str) -> bool:
    """Whether ``entry`` is a ``custom`` directive of type ``kind`` (``"revrec-close"``...)."""
    return isinstance(entry, Custom) and entry.type == kind


def values_of(entry: Custom) -> list[Any]:
    """The plain values of a custom directive (Beancount wraps them in ValueType)."""
    return [getattr(value, "value", value) for value in entry.values or ()]


def read_events(entries: Iterable[Any]) -> tuple[list[Event], list[RevrecError]]:
    """Every ``revrec-fulfill`` event, in ledger order."""
    events, errors = [], []
    for entry in entries:
        if isinstance(entry, Custom) and entry.type == FULFILL:
            try:
                events.append(_read_event(entry))
            except Problem as problem:
                errors.append(RevrecError(entry.meta, str(problem), entry))
    return events, errors


_USAGE = ('write e.g. custom "revrec-fulfill" "il_AAA" 10.00 USD '
          '(an amount), ... "il_AAA" 10 (units) or ... "il_AAA" "25%" (a share)')


def _read_event(entry: Custom) -> Event:
    values = values_of(entry)
    if len(values) != 2 or not isinstance(values[0], str):
        raise Problem(f"revrec-fulfill needs a target line id and what was fulfilled: {_USAGE}")
    return Event(entry.meta, entry.date, values[0], _fulfilled(values[1]))


def _fulfilled(value: object) -> ByAmount | ByUnits | ByPercent:
    """What an event's value says was fulfilled.

    Raises:
        Problem: it is no positive amount, number of units or percentage.
    """
    by: ByAmount | ByUnits | ByPercent
    if isinstance(value, Amount) and value.number is not None:
        by, quantity = ByAmount(value.number, value.currency), value.number
    elif isinstance(value, Decimal):
        by, quantity = ByUnits(value), value
    elif isinstance(value, str) and value.endswith("%"):
        try:
            quantity = Decimal(value[:-1])
        except InvalidOperation:
            quantity = Decimal("NaN")
        if not quantity.is_finite():
            raise Problem(f'revrec-fulfill share "{value}" is not a percentage: {_USAGE}')
        if quantity > 100:
            raise Problem(f'revrec-fulfill share "{value}" is above 100%')
        by = ByPercent(quantity)
    else:
        raise Problem(f"revrec-fulfill value {value!r} is not an amount, a number of units or a percentage: {_USAGE}")
    if not quantity > 0:
        raise Problem(f"revrec-fulfill needs a positive amount, got {value}")
    return by


VOID, UNCOLLECTIBLE = "revrec-void", "revrec-uncollectible"
Status = Literal["void", "uncollectible"]


class StatusChange(NamedTuple):
    """An invoice voided, or marked uncollectible, on ``date``."""

    meta: dict[str, Any]
    date: datetime.date
    invoice: str
    status: Status


def read_status_changes(entries: Iterable[Any]) -> tuple[list[StatusChange], list[RevrecError]]:
    """Every ``revrec-void`` and ``revrec-uncollectible`` directive, in ledger order."""
    changes, errors = [], []
    for entry in entries:
        if isinstance(entry, Custom) and entry.type in (VOID, UNCOLLECTIBLE):
            values = values_of(entry)
            if len(values) == 1 and isinstance(values[0], str) and values[0].strip():
                changes.append(StatusChange(entry.meta, entry.date, values[0],
                                            "void" if entry.type == VOID else "uncollectible"))
            else:
                errors.append(RevrecError(entry.meta, f'{entry.type} needs the invoice id: write custom '
                                          f'"{entry.type}" "in_1" (the invoice: of the invoice)', entry))
    return changes, errors
