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
from decimal import Decimal

from beancount.core import data
from beancount.parser.grammar import ValueType

from beancount_revrec.importers.config import ImporterConfig
from beancount_revrec.importers.stripe_base import (
    KNOWN,
    ImportResult,
    InvoiceLine,
    InvoiceParts,
    Obj,
    StripeError,
    entry_meta,
    exponent,
    line_tax,
    make_posting,
    read_objects,
    split_in_proportion,
    sum_amounts,
    to_date,
    to_decimal,
)
from beancount_revrec.importers.stripe_credits import (
    charge_credit_entries,
    charge_invoices,
    credit_note_entries,
    credit_note_refunds,
    credited_invoice,
    dispute_outcome_entries,
)

__all__ = ["KNOWN", "StripeError", "convert", "import_text", "read_objects", "split_in_proportion", "to_date",
           "to_decimal"]



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
        net = to_decimal(line.get("amount"), currency) - sum_amounts(line.get("discount_amounts"), currency)
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
    return make_posting(account, -net, currency, meta), InvoiceLine(line_id, account, net)


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
        tax += line_tax(line, currency)
    if tax:
        postings.append(make_posting(config.tax, -tax, currency))
    total = sum((part.units for part in parts), tax)
    postings.insert(0, make_posting(config.receivable, total, currency))
    date = to_date(transitions.get("finalized_at") or invoice.get("created"), zone)
    customer = invoice.get("customer")
    customer_id = customer if isinstance(customer, str) else None
    meta = entry_meta(filename, index, invoice_id, invoice=invoice_id, customer=customer_id)
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
        postings = [make_posting(config.cash, total, currency), make_posting(config.receivable, -total, currency)]
        meta = entry_meta(filename, index, f"{invoice_id}/payment")
        narration = f"Payment of {invoice.get('number') or invoice_id}"
        links = frozenset({invoice_id})
        payee = invoice.get("customer_name")
        return [data.Transaction(meta, date, "*", payee, narration, data.EMPTY_SET, links, postings)]
    kinds = {"void": ("revrec-void", "voided_at"), "uncollectible": ("revrec-uncollectible", "marked_uncollectible_at")}
    if status in kinds:
        kind, key = kinds[status]
        date = to_date(transitions.get(key), zone)
        value = ValueType(invoice_id, str)
        return [data.Custom(entry_meta(filename, index, f"{invoice_id}/{status}"), date, kind, [value])]
    return []


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
    payers, noted = charge_invoices(objects), credit_note_refunds(objects)
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
                made = charge_credit_entries(obj, credited_invoice(obj, payers, invoices), config, filename, index)
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
