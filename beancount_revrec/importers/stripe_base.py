"""Stripe objects: reading a file, minor units, timestamps, and the records and helpers the converters share."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from beancount.core import data
from beancount.core.amount import Amount

ZERO_DECIMAL = frozenset(
    ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"]
)
THREE_DECIMAL = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])
# ISO 4217's codes (2025), and the withdrawn ones Stripe still writes for old objects (std, mro, hrk, sll, ...).
CURRENCIES = frozenset([
    "aed", "afn", "all", "amd", "ang", "aoa", "ars", "aud", "awg", "azn", "bam", "bbd", "bdt", "bgn", "bhd", "bif",
    "bmd", "bnd", "bob", "bov", "brl", "bsd", "btn", "bwp", "byn", "byr", "bzd", "cad", "cdf", "che", "chf", "chw",
    "clf", "clp", "cny", "cop", "cou", "crc", "cuc", "cup", "cve", "czk", "djf", "dkk", "dop", "dzd", "eek", "egp",
    "ern", "etb", "eur", "fjd", "fkp", "gbp", "gel", "ghs", "gip", "gmd", "gnf", "gtq", "gyd", "hkd", "hnl", "hrk",
    "htg", "huf", "idr", "ils", "inr", "iqd", "irr", "isk", "jmd", "jod", "jpy", "kes", "kgs", "khr", "kmf", "kpw",
    "krw", "kwd", "kyd", "kzt", "lak", "lbp", "lkr", "lrd", "lsl", "ltl", "lvl", "lyd", "mad", "mdl", "mga", "mkd",
    "mmk", "mnt", "mop", "mro", "mru", "mur", "mvr", "mwk", "mxn", "mxv", "myr", "mzn", "nad", "ngn", "nio", "nok",
    "npr", "nzd", "omr", "pab", "pen", "pgk", "php", "pkr", "pln", "pyg", "qar", "ron", "rsd", "rub", "rwf", "sar",
    "sbd", "scr", "sdg", "sek", "sgd", "shp", "sle", "sll", "sos", "srd", "ssp", "std", "stn", "svc", "syp", "szl",
    "thb", "tjs", "tmt", "tnd", "top", "try", "ttd", "twd", "tzs", "uah", "ugx", "usd", "usn", "uyi", "uyu", "uyw",
    "uzs", "ved", "vef", "ves", "vnd", "vuv", "wst", "xaf", "xag", "xau", "xba", "xbb", "xbc", "xbd", "xcd", "xcg",
    "xdr", "xof", "xpd", "xpf", "xpt", "xsu", "xts", "xua", "yer", "zar", "zmk", "zmw", "zwg", "zwl",
])

Obj = dict[str, Any]


@dataclass(frozen=True)
class ImportProblem:
    """A row, line or object of an import file that could not be imported.

    Attributes:
        filename: The file's name.
        where: The CSV row (1 is the header), JSON Lines line or list index (1-based), 0 for the whole file.
        message: What is wrong, for a person.
    """

    filename: str
    where: int
    message: str

    def __str__(self) -> str:
        """Return ``file:where: message``."""
        return f"{self.filename}:{self.where}: {self.message}"


class StripeError(Exception):
    """A problem with one Stripe object: its message names the object."""


class ImportResult(NamedTuple):
    """What a file gave: entries, and one message per problem (with the file and object id)."""

    entries: list[data.Directive]
    errors: list[str]


class InvoiceLine(NamedTuple):
    """An imported invoice line: what refunds and disputes are split over."""

    line_id: str
    account: str
    units: Decimal


class InvoiceParts(NamedTuple):
    """An imported invoice: its lines and tax, for proportional credits."""

    invoice_id: str
    lines: list[InvoiceLine]
    tax: Decimal


def read_objects(text: str) -> list[Obj]:
    """Parse a file's Stripe objects.

    Args:
        text: A list object (``{"object": "list", "data": [...]}``), one object, or JSON Lines.

    Returns:
        The objects, in file order.

    Raises:
        StripeError: Malformed JSON, or a value that is not an object.
    """
    try:
        parsed: Any = json.loads(text)
        values = [parsed]
    except json.JSONDecodeError as first:
        values = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                values.append(json.loads(line))
            except json.JSONDecodeError as error:
                where = f"line {number}" if number > 1 else f"line {first.lineno} column {first.colno}"
                raise StripeError(f"malformed JSON at {where}: {error.msg}") from None
    objects: list[Obj] = []
    for value in values:
        if isinstance(value, dict) and value.get("object") == "list" and isinstance(value.get("data"), list):
            objects.extend(value["data"])
        else:
            objects.append(value)
    for value in objects:
        if not isinstance(value, dict):
            raise StripeError(f"not a Stripe object: {str(value)[:40]}")
    return objects


def exponent(currency: object) -> int:
    """The number of decimals of a currency's minor unit, per Stripe's list.

    Args:
        currency: A three-letter ISO code, any case.

    Returns:
        0, 2 or 3.

    Raises:
        StripeError: Not an ISO 4217 currency code.
    """
    code = currency.lower() if isinstance(currency, str) else None
    if code not in CURRENCIES:
        raise StripeError(f"unknown currency {currency!r}: not an ISO 4217 code")
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def to_decimal(minor: object, currency: object) -> Decimal:
    """Minor units to a Decimal in major units.

    Args:
        minor: An integer amount in the currency's minor unit.
        currency: Its currency.

    Returns:
        The amount, with the currency's number of decimals.

    Raises:
        StripeError: No integer amount, or an unknown currency.
    """
    if not isinstance(minor, int) or isinstance(minor, bool):
        raise StripeError(f"no amount (found {minor!r})")
    return Decimal(minor).scaleb(-exponent(currency))


def to_date(timestamp: object, zone: datetime.tzinfo) -> datetime.date:
    """A unix timestamp (a UTC instant) to its date in the reporting time zone.

    Args:
        timestamp: Seconds since the epoch.
        zone: The reporting time zone.

    Returns:
        The date in ``zone``.

    Raises:
        StripeError: Not a timestamp.
    """
    if not isinstance(timestamp, int) or isinstance(timestamp, bool):
        raise StripeError(f"no timestamp (found {timestamp!r})")
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC).astimezone(zone).date()


def entry_meta(filename: str, index: int, stripe_id: str, **extra: object) -> data.Meta:
    """An imported entry's metadata: where it comes from, its ``stripe-id``, and ``extra`` (None left out)."""
    meta = data.new_metadata(filename, index)
    meta["stripe-id"] = stripe_id
    meta.update({key.replace("_", "-"): value for key, value in extra.items() if value is not None})
    return meta


def make_posting(account: str, number: Decimal, currency: str, meta: data.Meta | None = None) -> data.Posting:
    """A posting of ``number`` in ``currency`` (Stripe writes it in lower case) to ``account``."""
    return data.Posting(account, Amount(number, currency.upper()), None, None, None, meta)


def sum_amounts(items: object, currency: str, key: str = "amount") -> Decimal:
    """The sum of the ``key`` minor-unit amounts of a list of Stripe objects (0 for no list)."""
    if not isinstance(items, list):
        return Decimal(0)
    return sum((to_decimal(item.get(key), currency) for item in items if isinstance(item, dict)), Decimal(0))


def split_in_proportion(amount: Decimal, weights: list[Decimal], places: int) -> list[Decimal]:
    """Split an amount in proportion to weights, rounded half up on the running sum.

    Args:
        amount: What to split.
        weights: The shares' weights (not all zero).
        places: Decimals of the result.

    Returns:
        One share per weight; they add up to ``amount`` exactly.
    """
    whole, quantum = sum(weights, Decimal(0)), Decimal(1).scaleb(-places)
    shares, running, done = [], Decimal(0), Decimal(0)
    for weight in weights:
        running += weight
        upto = (amount * running / whole).quantize(quantum, rounding=ROUND_HALF_UP)
        shares.append(upto - done)
        done = upto
    return shares


def _taxes(line: Obj) -> list[Obj]:
    """A line's tax amounts: its ``taxes`` (or the older ``tax_amounts``)."""
    taxes = line.get("taxes")
    if taxes is None:
        taxes = line.get("tax_amounts")
    return [tax for tax in taxes if isinstance(tax, dict)] if isinstance(taxes, list) else []


def line_tax(line: Obj, currency: str) -> Decimal:
    """The tax of an invoice or credit note line, inclusive and exclusive."""
    return sum_amounts(_taxes(line), currency)


def included_tax(line: Obj, currency: str) -> Decimal:
    """The part of a line's tax its ``amount`` already includes.

    Stripe's line amount is gross of inclusive tax (``tax_behavior: "inclusive"``, or the older
    ``inclusive: true``) and net of exclusive tax.
    """
    included = [tax for tax in _taxes(line) if tax.get("tax_behavior") == "inclusive" or tax.get("inclusive") is True]
    return sum_amounts(included, currency)

