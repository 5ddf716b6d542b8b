"""Fulfillment events in the shape of Stripe's Performance Obligations API, as ``revrec-fulfill`` directives.

The API request (docs.stripe.com, "Performance obligations API") is::

    target[type]=invoice_line_item  target[invoice_line_item]=il_AAA
    period[start]=1659078000  amount=1000  currency=usd      (or quantity=10)

Accepted here as a JSON object, a JSON list of objects, JSON Lines, or CSV. Keys
(JSON, nested or flat) and CSV columns: ``target[invoice_line_item]`` (or
``target.invoice_line_item``, or ``invoice_line_item``), ``period[start]`` (or
``period.start``, or ``period_start``: a unix timestamp), ``amount`` (minor units)
with ``currency``, or ``quantity`` (units).

An amount in minor units becomes a Decimal by its currency's exponent (0 for
zero-decimal currencies, 3 for BHD JOD KWD OMR TND, else 2); a quantity stays a
plain number; ``period[start]`` becomes a date in UTC or in a given IANA zone.
Errors name the file and the CSV row, JSON Lines line, or list index.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from beancount.core import data
from beancount.core.amount import Amount
from beancount.parser.grammar import ValueType

from beancount_revrec.importers.stripe_base import ImportProblem, StripeError
from beancount_revrec.importers.stripe_base import exponent as stripe_exponent

TARGET_KEYS = ("target[invoice_line_item]", "target.invoice_line_item", "invoice_line_item")
START_KEYS = ("period[start]", "period.start", "period_start")


class EventError(Exception):
    """A bad value in an event."""


class BadJsonError(Exception):
    """Text that does not parse as JSON, at a line."""

    def __init__(self, line: int, message: str) -> None:
        """Keep the line and the parser's message."""
        super().__init__(message)
        self.line = line


def exponent(currency: str) -> int:
    """Return the number of decimals of a currency's minor unit (``stripe_base.exponent``).

    Args:
        currency: An ISO 4217 code, any case.

    Returns:
        0, 2 or 3.

    Raises:
        EventError: The code is not three letters.
    """
    try:
        return stripe_exponent(currency.strip())
    except StripeError:
        raise EventError(f'unknown currency "{currency}": write an ISO code such as usd') from None


def _flatten(event: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in event.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(_flatten(value, name))
        elif value is not None:
            flat[name] = str(value)
    return flat


def _first(event: dict[str, str], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = (event.get(key) or "").strip()
        if value:
            return value
    raise EventError(f"missing {keys[0]}")


def _number(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise EventError(f'bad {what} "{text}"') from None
    if not value.is_finite():
        raise EventError(f'bad {what} "{text}"')
    return value


def _date(text: str, zone: ZoneInfo) -> datetime.date:
    try:
        stamp = int(text)
        return datetime.datetime.fromtimestamp(stamp, tz=zone).date()
    except (ValueError, OverflowError, OSError):
        raise EventError(f'bad period[start] "{text}": write a unix timestamp') from None


def _value(event: dict[str, str]) -> Amount | Decimal:
    amount = (event.get("amount") or "").strip()
    quantity = (event.get("quantity") or "").strip()
    if amount and quantity:
        raise EventError("give amount or quantity, not both")
    if quantity:
        return _number(quantity, "quantity")
    if not amount:
        raise EventError("missing amount (with currency) or quantity")
    minor = _number(amount, "amount")
    if minor != minor.to_integral_value():
        raise EventError(f'amount "{amount}" is in minor units: write a whole number')
    currency = (event.get("currency") or "").strip()
    if not currency:
        raise EventError("an amount needs a currency")
    places = exponent(currency)
    return Amount(minor.scaleb(-places), currency.upper())


def event_directive(event: dict[str, Any], filename: str, where: int, zone: ZoneInfo | None = None) -> data.Custom:
    """Turn one Performance-Obligations-style event into a ``revrec-fulfill`` directive.

    Args:
        event: The request's fields, nested (``{"target": {...}}``) or flat.
        filename: The file's name, for the directive's metadata.
        where: Its row, line or index, for the metadata.
        zone: The zone the date is taken in (UTC if None).

    Returns:
        ``DATE custom "revrec-fulfill" "il_..." VALUE``.

    Raises:
        EventError: A field is missing or bad.
    """
    flat = _flatten(event)
    kind_of_target = (flat.get("target[type]") or flat.get("target.type") or "invoice_line_item").strip()
    if kind_of_target != "invoice_line_item":
        raise EventError(f'target type "{kind_of_target}": only invoice_line_item targets are read')
    target = _first(flat, TARGET_KEYS)
    day = _date(_first(flat, START_KEYS), zone or ZoneInfo("UTC"))
    value = _value(flat)
    kind = Amount if isinstance(value, Amount) else Decimal
    values = [ValueType(target, str), ValueType(value, kind)]
    return data.Custom(data.new_metadata(filename, where), day, "revrec-fulfill", values)


def _json_lines(text: str) -> list[tuple[int, dict[str, Any]]]:
    records: list[tuple[int, dict[str, Any]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                records.append((number, json.loads(line)))
            except json.JSONDecodeError as error:
                raise BadJsonError(number, error.msg) from None
    return records


def _records(text: str) -> list[tuple[int, dict[str, Any]]]:
    text = text.removeprefix("\ufeff")
    stripped = text.strip()
    if stripped.startswith("["):
        return [(index + 1, item) for index, item in enumerate(json.loads(stripped))]
    if stripped.startswith("{"):
        try:
            return [(1, json.loads(stripped))]
        except json.JSONDecodeError:
            return _json_lines(text)
    reader = csv.DictReader(io.StringIO(text))
    reader.fieldnames = [name.strip().lstrip("\ufeff").strip().lower() for name in reader.fieldnames or []]
    return [(reader.line_num, {k: v for k, v in row.items() if k is not None}) for row in reader]


def is_events(text: str) -> bool:
    """Whether a text holds fulfillment events: its first record names a target line and a period start.

    Args:
        text: A JSON object, a JSON list, JSON Lines, or CSV.

    Returns:
        True if the first record (CSV row, JSON object) has a target and a period start, by any of their names.
    """
    try:
        records = _records(text)
    except (json.JSONDecodeError, BadJsonError, csv.Error):
        return False
    if not records or not isinstance(records[0][1], dict):
        return False
    keys = set(_flatten(records[0][1]))
    return bool(keys & set(TARGET_KEYS)) and bool(keys & set(START_KEYS))


def import_fulfillments(
    text: str, filename: str = "<events>", zone: str = "UTC"
) -> tuple[list[data.Directive], list[ImportProblem]]:
    """Read fulfillment events.

    Args:
        text: A JSON object, a JSON list, JSON Lines, or CSV.
        filename: Its name, for errors and metadata.
        zone: The IANA zone ``period[start]`` is read in.

    Returns:
        The directives, and the errors of the events left out.
    """
    try:
        zone_info = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return [], [ImportProblem(filename, 0, f'unknown time zone "{zone}": write an IANA name such as UTC')]
    try:
        records = _records(text)
    except json.JSONDecodeError as error:
        return [], [ImportProblem(filename, error.lineno, f"bad JSON: {error.msg}")]
    except BadJsonError as error:
        return [], [ImportProblem(filename, error.line, f"bad JSON: {error}")]
    entries: list[data.Directive] = []
    problems: list[ImportProblem] = []
    for where, record in records:
        if not isinstance(record, dict):
            problems.append(ImportProblem(filename, where, "an event is an object"))
            continue
        try:
            entries.append(event_directive(record, filename, where, zone_info))
        except EventError as error:
            problems.append(ImportProblem(filename, where, str(error)))
    return entries, problems
