"""``custom "revrec-*"`` directives parsed into typed records.

Parsing only: each directive becomes a record or a located error; nothing is
computed here.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from beancount.core.amount import Amount
from beancount.core.data import Custom

from beancount_revrec.errors import RevrecError

FULFILL = "revrec-fulfill"


class Event(NamedTuple):
    """A fulfillment event: part of a line recognised on ``date``.

    Exactly one of ``amount`` (with ``currency``), ``units`` and ``percent`` is set.
    """

    meta: dict[str, Any]
    date: datetime.date
    target: str
    amount: Decimal | None = None
    currency: str | None = None
    units: Decimal | None = None
    percent: Decimal | None = None


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
            event = _read_event(entry)
            if isinstance(event, str):
                errors.append(RevrecError(entry.meta, event, entry))
            else:
                events.append(event)
    return events, errors


_USAGE = ('write e.g. custom "revrec-fulfill" "il_AAA" 10.00 USD '
          '(an amount), ... "il_AAA" 10 (units) or ... "il_AAA" "25%" (a share)')


def _read_event(entry: Custom) -> Event | str:
    values = values_of(entry)
    if len(values) != 2 or not isinstance(values[0], str):
        return f"revrec-fulfill needs a target line id and what was fulfilled: {_USAGE}"
    target, value = values
    event = Event(entry.meta, entry.date, target)
    if isinstance(value, Amount) and value.number is not None:
        event = event._replace(amount=value.number, currency=value.currency)
        quantity = value.number
    elif isinstance(value, Decimal):
        event = event._replace(units=value)
        quantity = value
    elif isinstance(value, str) and value.endswith("%"):
        try:
            quantity = Decimal(value[:-1])
        except InvalidOperation:
            quantity = Decimal("NaN")
        if not quantity.is_finite():
            return f'revrec-fulfill share "{value}" is not a percentage: {_USAGE}'
        if quantity > 100:
            return f'revrec-fulfill share "{value}" is above 100%'
        event = event._replace(percent=quantity)
    else:
        return f"revrec-fulfill value {value!r} is not an amount, a number of units or a percentage: {_USAGE}"
    if not quantity > 0:
        return f"revrec-fulfill needs a positive amount, got {value}"
    return event
