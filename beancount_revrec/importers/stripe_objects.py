"""Stripe API objects (JSON, as the API returns them) to Beancount entries: pure functions.

What is booked:

- ``invoice`` (open, paid, uncollectible, void): a transaction on its finalization date, one revenue
  posting per line (net of the line's ``discount_amounts``), tax postings, the receivable debited by
  their sum; ``paid`` adds a payment (cash debit, receivable credit, linked) on ``paid_at``; ``void``
  and ``uncollectible`` add ``custom "revrec-void"`` / ``"revrec-uncollectible"``. A draft is an error.
- ``credit_note`` (issued): positive revenue postings with ``credit-for`` (the invoice line) against
  the receivable (``pre_payment``, kind ``credit-note``); a ``post_payment`` one is split by kind:
  ``refund`` against cash (and out of band), ``credit-note`` against the customer balance. The refunds
  it names are booked with it, not again as ``refund`` objects.
- ``refund`` and ``dispute`` of a charge whose invoice is in the same file: the amount is split over
  the invoice's lines and tax in proportion to their amounts (as Stripe books refunds), rounded half up
  on the running sum; without a known invoice, one revenue debit with no ``credit-for``. A dispute's
  fees go to the fees account; a won dispute's returned cash is credited to recoverables.
- ``charge``, ``payment_intent`` and ``invoice_payment`` book nothing themselves (the invoice's
  ``paid`` transition books the payment); they link refunds and disputes to invoices.

Every entry has ``stripe-id`` metadata for deduplication.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from beancount.core import data
from beancount.core.amount import Amount
from beancount.parser.grammar import ValueType

from beancount_revrec.importers.config import ImporterConfig

ZERO_DECIMAL = frozenset(
    ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"]
)
THREE_DECIMAL = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])
PASSIVE = frozenset({"charge", "payment_intent", "invoice_payment"})
KNOWN = PASSIVE | {"invoice", "credit_note", "refund", "dispute"}

Obj = dict[str, Any]


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
        StripeError: Not a three-letter currency code.
    """
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
        raise StripeError(f"unknown currency {currency!r}")
    code = currency.lower()
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


def _meta(filename: str, index: int, stripe_id: str, **extra: object) -> data.Meta:
    meta = data.new_metadata(filename, index)
    meta["stripe-id"] = stripe_id
    meta.update({key.replace("_", "-"): value for key, value in extra.items() if value is not None})
    return meta


def _posting(account: str, number: Decimal, currency: str, meta: data.Meta | None = None) -> data.Posting:
    return data.Posting(account, Amount(number, currency.upper()), None, None, None, meta)


def _sum_amounts(items: object, currency: str, key: str = "amount") -> Decimal:
    if not isinstance(items, list):
        return Decimal(0)
    return sum((to_decimal(item.get(key), currency) for item in items if isinstance(item, dict)), Decimal(0))


def _line_tax(line: Obj, currency: str) -> Decimal:
    taxes = line.get("taxes")
    if taxes is None:
        taxes = line.get("tax_amounts")
    return _sum_amounts(taxes, currency)


def _price_product(line: Obj) -> tuple[str | None, str | None]:
    price = line.get("price")
    if isinstance(price, dict):
        product = price.get("product")
        return price.get("id"), product if isinstance(product, str) else None
    details = (line.get("pricing") or {}).get("price_details") or {}
    return details.get("price"), details.get("product")


def _period(line: Obj, zone: datetime.tzinfo) -> tuple[datetime.date | None, datetime.date | None]:
    period = line.get("period") or {}
    start, end = period.get("start"), period.get("end")
    if start is None or end is None or end <= start:
        return None, None
    return to_date(start, zone), to_date(end, zone)


def _line_posting(line: Obj, currency: str, config: ImporterConfig) -> tuple[data.Posting, InvoiceLine]:
    line_id = str(line.get("id"))
    try:
        net = to_decimal(line.get("amount"), currency) - _sum_amounts(line.get("discount_amounts"), currency)
    except StripeError as error:
        raise StripeError(f"line {line_id}: {error}") from None
    price, product = _price_product(line)
    start, end = _period(line, config.zone())
    quantity = line.get("quantity")
    meta: data.Meta = {"line": line_id}
    for key, value in (("product", product), ("price", price), ("service-start", start), ("service-end", end)):
        if value is not None:
            meta[key] = value
    if isinstance(quantity, int):
        meta["quantity"] = Decimal(quantity)
    account = config.revenue_account(product, price)
    return _posting(account, -net, currency, meta), InvoiceLine(line_id, account, net)


def _invoice_lines(invoice: Obj) -> list[Obj]:
    lines = invoice.get("lines") or {}
    if lines.get("has_more"):
        raise StripeError("its lines are paginated (has_more): fetch every line into the file")
    return [line for line in lines.get("data") or [] if isinstance(line, dict)]


def invoice_entries(
    invoice: Obj, config: ImporterConfig, filename: str, index: int
) -> tuple[list[data.Directive], InvoiceParts]:
    """An invoice's transaction, and its payment, void or write-off.

    Args:
        invoice: A Stripe ``invoice`` object.
        config: The importer configuration.
        filename: The file, for entries' metadata.
        index: The object's position in the file (the entries' ``lineno``).

    Returns:
        The entries, and the invoice's lines and tax for later credits.

    Raises:
        StripeError: A draft, a line without an amount, an unknown currency, a bad timestamp.
    """
    invoice_id, status, currency = str(invoice.get("id")), invoice.get("status"), invoice.get("currency")
    if status not in {"open", "paid", "uncollectible", "void"}:
        raise StripeError(f"invoice in status {status!r}: only finalized invoices are imported")
    exponent(currency)
    assert isinstance(currency, str)
    zone, transitions = config.zone(), invoice.get("status_transitions") or {}
    postings, parts = [], []
    tax = Decimal(0)
    for line in _invoice_lines(invoice):
        posting, part = _line_posting(line, currency, config)
        postings.append(posting)
        parts.append(part)
        tax += _line_tax(line, currency)
    if tax:
        postings.append(_posting(config.tax, -tax, currency))
    total = sum((part.units for part in parts), tax)
    postings.insert(0, _posting(config.receivable, total, currency))
    date = to_date(transitions.get("finalized_at") or invoice.get("created"), zone)
    customer = invoice.get("customer")
    customer_id = customer if isinstance(customer, str) else None
    meta = _meta(filename, index, invoice_id, invoice=invoice_id, customer=customer_id)
    narration = invoice.get("description") or f"Invoice {invoice.get('number') or invoice_id}"
    links = frozenset({invoice_id})
    entries: list[data.Directive] = [
        data.Transaction(meta, date, "*", invoice.get("customer_name"), narration, data.EMPTY_SET, links, postings)
    ]
    entries.extend(_transition_entries(invoice, config, filename, index, total))
    return entries, InvoiceParts(invoice_id, parts, tax)


def _transition_entries(
    invoice: Obj, config: ImporterConfig, filename: str, index: int, total: Decimal
) -> list[data.Directive]:
    invoice_id, status, currency = str(invoice.get("id")), invoice.get("status"), str(invoice.get("currency"))
    zone, transitions = config.zone(), invoice.get("status_transitions") or {}
    if status == "paid":
        date = to_date(transitions.get("paid_at") or transitions.get("finalized_at") or invoice.get("created"), zone)
        postings = [_posting(config.cash, total, currency), _posting(config.receivable, -total, currency)]
        meta = _meta(filename, index, f"{invoice_id}/payment")
        narration = f"Payment of {invoice.get('number') or invoice_id}"
        links = frozenset({invoice_id})
        payee = invoice.get("customer_name")
        return [data.Transaction(meta, date, "*", payee, narration, data.EMPTY_SET, links, postings)]
    kinds = {"void": ("revrec-void", "voided_at"), "uncollectible": ("revrec-uncollectible", "marked_uncollectible_at")}
    if status in kinds:
        kind, key = kinds[status]
        date = to_date(transitions.get(key), zone)
        value = ValueType(invoice_id, str)
        return [data.Custom(_meta(filename, index, f"{invoice_id}/{status}"), date, kind, [value])]
    return []


def _credit_parts(note: Obj, total: Decimal, currency: str, config: ImporterConfig) -> list[tuple[str, str, Decimal]]:
    """A credit note's parts: (credit-kind, account credited, amount), each non-zero."""
    if note.get("type") == "pre_payment":
        return [("credit-note", config.receivable, total)]
    out_of_band = to_decimal(note.get("out_of_band_amount") or 0, currency)
    refunds = note.get("refunds")
    if isinstance(refunds, list) and refunds:
        refunded = _sum_amounts(refunds, currency, "amount_refunded")
    elif note.get("customer_balance_transaction") is None:  # older API: one `refund`, or none at all
        refunded = total - out_of_band
    else:
        refunded = Decimal(0)
    balance = total - refunded - out_of_band
    if balance < 0:
        raise StripeError(f"refunded {refunded} and out of band {out_of_band} exceed its total {total}")
    parts = [
        ("refund", config.cash, refunded),
        ("refund", config.out_of_band, out_of_band),
        ("credit-note", config.customer_balance, balance),
    ]
    return [part for part in parts if part[2]]


def _credit_note_lines(note: Obj, currency: str) -> list[tuple[str | None, Decimal, Decimal]]:
    """A credit note's lines: (invoice line credited, amount net of discounts, tax)."""
    found = []
    for line in (note.get("lines") or {}).get("data") or []:
        try:
            net = to_decimal(line.get("amount"), currency) - to_decimal(line.get("discount_amount") or 0, currency)
        except StripeError as error:
            raise StripeError(f"line {line.get('id')}: {error}") from None
        credited = line.get("invoice_line_item")
        found.append((credited if isinstance(credited, str) else None, net, _line_tax(line, currency)))
    return found


def credit_note_entries(
    note: Obj, config: ImporterConfig, filename: str, index: int, accounts: dict[str, str] | None = None
) -> list[data.Directive]:
    """A credit note's transaction: positive revenue postings crediting their invoice lines.

    A post-payment credit note is split by kind: what it refunds (``refunds``, else, in the older
    API, all but the out-of-band amount unless it credits the customer's balance) is ``refund``
    against cash, the out-of-band amount ``refund`` against ``out_of_band``, the rest ``credit-note``
    against the customer balance. Each part is spread over the lines (and tax, and whatever the
    lines leave of the total, such as shipping) in proportion to their amounts.

    Args:
        note: A Stripe ``credit_note`` object.
        config: The importer configuration.
        filename: The file, for entries' metadata.
        index: The object's position in the file.
        accounts: Revenue accounts of invoice lines already imported, by line id.

    Returns:
        The transaction, or nothing for a voided credit note.

    Raises:
        StripeError: A line without an amount, an unknown currency, a bad timestamp, refunds beyond the total.
    """
    if note.get("status") == "void":
        return []
    note_id, currency = str(note.get("id")), note.get("currency")
    places = exponent(currency)
    assert isinstance(currency, str)
    total = to_decimal(note.get("total"), currency)
    lines = _credit_note_lines(note, currency)
    tax = sum((line[2] for line in lines), Decimal(0))
    rest = total - tax - sum((line[1] for line in lines), Decimal(0))
    weights = [line[1] for line in lines] + [tax, rest]
    postings = []
    for kind, counter, amount in _credit_parts(note, total, currency, config):
        postings.append(_posting(counter, -amount, currency))
        shares = split_in_proportion(amount, weights, places) if any(weights) else [Decimal(0)] * len(weights)
        for (credited, _net, _tax), share in zip(lines, shares, strict=False):
            if share and credited:
                account = (accounts or {}).get(credited, config.revenue)
                postings.append(_posting(account, share, currency, {"credit-for": credited, "credit-kind": kind}))
            elif share:
                postings.append(_posting(config.revenue, share, currency))
        if shares[-2]:
            postings.append(_posting(config.tax, shares[-2], currency))
        if shares[-1] or not any(weights):
            postings.append(_posting(config.revenue, shares[-1] if any(weights) else amount, currency))
    invoice_id = note.get("invoice")
    customer = note.get("customer")
    meta = _meta(filename, index, note_id, invoice=note_id, customer=customer if isinstance(customer, str) else None)
    date = to_date(note.get("effective_at") or note.get("created"), config.zone())
    links = frozenset({invoice_id}) if isinstance(invoice_id, str) else data.EMPTY_SET
    narration = f"Credit note {note.get('number') or note_id}"
    return [data.Transaction(meta, date, "*", None, narration, data.EMPTY_SET, links, postings)]


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


def charge_credit_entries(
    credit: Obj, invoice: InvoiceParts | None, config: ImporterConfig, filename: str, index: int
) -> list[data.Directive]:
    """A refund's or dispute's transaction: cash out, credits of the invoice's lines in proportion.

    Args:
        credit: A Stripe ``refund`` or ``dispute`` object.
        invoice: The invoice its charge paid, if it is in the file.
        config: The importer configuration.
        filename: The file, for entries' metadata.
        index: The object's position in the file.

    Returns:
        The transaction, or nothing for a failed or canceled refund.

    Raises:
        StripeError: No amount, an unknown currency, a bad timestamp.
    """
    if credit.get("status") in {"failed", "canceled"}:
        return []
    credit_id, currency, kind = str(credit.get("id")), credit.get("currency"), str(credit.get("object"))
    amount = to_decimal(credit.get("amount"), currency)
    assert isinstance(currency, str)
    postings = [_posting(config.cash, -amount, currency)]
    weights = [line.units for line in invoice.lines] + [invoice.tax] if invoice else []
    if invoice and any(weights):
        shares = split_in_proportion(amount, weights, exponent(currency))
        for line, share in zip(invoice.lines, shares, strict=False):
            if share:
                meta: data.Meta = {"credit-for": line.line_id, "credit-kind": kind}
                postings.append(_posting(line.account, share, currency, meta))
        if shares[-1]:
            postings.append(_posting(config.tax, shares[-1], currency))
    else:
        postings.append(_posting(config.revenue, amount, currency))
    links = frozenset({invoice.invoice_id}) if invoice else data.EMPTY_SET
    date = to_date(credit.get("created"), config.zone())
    meta = _meta(filename, index, credit_id, invoice=credit_id)
    narration = f"{kind.capitalize()} of {credit.get('charge') or credit.get('payment_intent')}"
    return [data.Transaction(meta, date, "*", None, narration, data.EMPTY_SET, links, postings)]


def dispute_outcome_entries(dispute: Obj, config: ImporterConfig, filename: str, index: int) -> list[data.Directive]:
    """A dispute's fees, and the cash a won dispute returns (against recoverables, as Stripe books it).

    Both come from the dispute's expanded ``balance_transactions``: the withdrawal's ``fee`` goes to the
    fees account; a won dispute's reinstatement (a positive balance transaction) is dated its ``created``.

    Args:
        dispute: A Stripe ``dispute`` object.
        config: The importer configuration.
        filename: The file, for entries' metadata.
        index: The object's position in the file.

    Returns:
        The fee and reinstatement transactions.

    Raises:
        StripeError: A won dispute without its reinstatement balance transaction.
    """
    dispute_id = str(dispute.get("id"))
    entries: list[data.Directive] = []
    moves = [item for item in dispute.get("balance_transactions") or [] if isinstance(item, dict)]
    for move in moves:
        fee, currency = move.get("fee"), move.get("currency")
        if isinstance(fee, int) and fee:
            number = to_decimal(fee, currency)
            postings = [_posting(config.fees, number, str(currency)), _posting(config.cash, -number, str(currency))]
            meta = _meta(filename, index, f"{dispute_id}/fee/{move.get('id')}")
            date = to_date(move.get("created"), config.zone())
            entries.append(data.Transaction(meta, date, "*", None, f"Dispute fee of {dispute_id}",
                                            data.EMPTY_SET, data.EMPTY_SET, postings))
    if dispute.get("status") != "won":
        return entries
    returned = [move for move in moves if isinstance(move.get("amount"), int) and move["amount"] > 0]
    if not returned:
        raise StripeError("won, but its reinstatement is not in balance_transactions: book the returned cash yourself")
    currency = dispute.get("currency")
    number = to_decimal(dispute.get("amount"), currency)
    postings = [_posting(config.cash, number, str(currency)), _posting(config.recoverables, -number, str(currency))]
    meta = _meta(filename, index, f"{dispute_id}/won")
    date = to_date(returned[0].get("created"), config.zone())
    entries.append(data.Transaction(meta, date, "*", None, f"Dispute {dispute_id} won",
                                    data.EMPTY_SET, data.EMPTY_SET, postings))
    return entries


def _charge_invoices(objects: Iterable[Obj]) -> dict[str, str]:
    """Charge and payment intent ids to the invoice they paid."""
    found: dict[str, str] = {}
    for obj in objects:
        kind, invoice = obj.get("object"), obj.get("invoice")
        if kind in {"charge", "payment_intent"} and isinstance(invoice, str):
            found[str(obj.get("id"))] = invoice
        if kind == "invoice_payment" and isinstance(invoice, str):
            payment = obj.get("payment") or {}
            for key in ("charge", "payment_intent"):
                if isinstance(payment.get(key), str):
                    found[payment[key]] = invoice
    return found


def _credit_note_refunds(objects: Iterable[Obj]) -> set[str]:
    """Ids of the refunds credit notes made: booked with their credit note, not again."""
    found: set[str] = set()
    for obj in objects:
        if obj.get("object") != "credit_note":
            continue
        if isinstance(obj.get("refund"), str):
            found.add(obj["refund"])
        for item in obj.get("refunds") or []:
            refund = item.get("refund") if isinstance(item, dict) else None
            if isinstance(refund, str):
                found.add(refund)
    return found


def _credited_invoice(credit: Obj, payers: dict[str, str], invoices: dict[str, InvoiceParts]) -> InvoiceParts | None:
    for key in ("charge", "payment_intent"):
        payer = credit.get(key)
        if isinstance(payer, str) and payers.get(payer) in invoices:
            return invoices[payers[payer]]
    return None


def _check_new(kind: object, obj_id: str, seen: set[str]) -> None:
    """Record an object's id, or raise for an unknown type or an id seen before."""
    if kind not in KNOWN:
        raise StripeError(f"unknown object type {kind!r}")
    if obj_id in seen:
        raise StripeError("duplicate id: imported once, this copy is skipped")
    seen.add(obj_id)


def convert(objects: list[Obj], config: ImporterConfig, filename: str) -> ImportResult:
    """Stripe objects to Beancount entries; every problem is a message and the rest is imported.

    Args:
        objects: The file's objects, as ``read_objects`` returns them.
        config: The importer configuration.
        filename: The file, for metadata and messages.

    Returns:
        The entries and the error messages.
    """
    entries: list[data.Directive] = []
    errors: list[str] = []
    invoices: dict[str, InvoiceParts] = {}
    payers, noted = _charge_invoices(objects), _credit_note_refunds(objects)
    accounts: dict[str, str] = {}
    seen: set[str] = set()
    ordered = sorted(enumerate(objects), key=lambda pair: pair[1].get("object") != "invoice")
    for index, obj in ordered:
        kind, obj_id = obj.get("object"), str(obj.get("id"))
        try:
            _check_new(kind, obj_id, seen)
            if kind == "invoice":
                made, parts = invoice_entries(obj, config, filename, index)
                invoices[obj_id] = parts
                accounts.update((line.line_id, line.account) for line in parts.lines)
            elif kind == "credit_note":
                made = credit_note_entries(obj, config, filename, index, accounts)
            elif kind == "refund" and obj_id in noted:
                made = []  # booked with its credit note
            elif kind in {"refund", "dispute"}:
                made = charge_credit_entries(obj, _credited_invoice(obj, payers, invoices), config, filename, index)
            else:
                made = []
        except StripeError as error:
            errors.append(f"{filename}: {obj_id}: {error}")
            continue
        entries.extend(made)
        if kind == "dispute":
            try:
                entries.extend(dispute_outcome_entries(obj, config, filename, index))
            except StripeError as error:
                errors.append(f"{filename}: {obj_id}: {error}")
    entries.sort(key=data.entry_sortkey)
    return ImportResult(entries, errors)


def import_text(text: str, config: ImporterConfig, filename: str) -> ImportResult:
    """Parse and convert a file's text.

    Args:
        text: The file's contents.
        config: The importer configuration.
        filename: The file, for metadata and messages.

    Returns:
        The entries and the error messages (a malformed file: no entries, one message).
    """
    try:
        objects = read_objects(text)
    except StripeError as error:
        return ImportResult([], [f"{filename}: {error}"])
    return convert(objects, config, filename)
