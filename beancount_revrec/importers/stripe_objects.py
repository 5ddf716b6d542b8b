"""Stripe API objects (JSON, as the API returns them) to Beancount entries: pure functions.

What is booked:

- ``invoice`` (open, paid, uncollectible, void): a transaction on its finalization date, one revenue
  posting per line (net of its ``discount_amounts`` and included tax), tax postings, the receivable debited by
  their sum (which must be the invoice's ``total``); ``paid`` adds a payment on ``paid_at``
  (``stripe_payments``); ``void`` and ``uncollectible`` add ``custom "revrec-void"`` /
  ``"revrec-uncollectible"`` (a paid or void invoice marked uncollectible first keeps that write-off, on
  its ``marked_uncollectible_at``). A draft is an error. Lines beyond the first page come from
  ``line_item`` objects of the export.
- ``credit_note`` (issued): positive revenue postings with ``credit-for`` (the invoice line) against
  the receivable (``pre_payment``, kind ``credit-note``); a ``post_payment`` one is split by kind:
  ``refund`` against cash, ``credit-note`` against out of band and the customer balance. The refunds
  it names are booked with it, not again as ``refund`` objects.
- ``refund`` and ``dispute`` of a charge whose invoice (or one-time payment) is in the export or the
  ledger (``stripe_links``): the amount is split over its lines and tax in proportion to their amounts
  (as Stripe books refunds), rounded half up on the running sum; of any other charge, an error. A
  dispute's fees go to the fees account; a won dispute's returned cash is credited to recoverables.
- ``charge``: its processing fee, and a one-time payment's sale (``stripe_payments``).
  ``payment_intent`` and ``invoice_payment`` book nothing: they tie charges to invoices.

Every entry has ``stripe-id`` metadata for deduplication.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path

from beancount.core import data
from beancount.parser.grammar import ValueType

from beancount_revrec.importers.config import ImporterConfig
from beancount_revrec.importers.stripe_base import (
    ImportResult,
    InvoiceLine,
    InvoiceParts,
    Obj,
    StripeError,
    entry_meta,
    exponent,
    included_tax,
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
    credit_note_entries,
    dispute_outcome_entries,
)
from beancount_revrec.importers.stripe_links import Known, known_links
from beancount_revrec.importers.stripe_payments import fee_entries, invoice_payment_entries, one_time_entries

__all__ = ["KNOWN", "StripeError", "convert", "convert_files", "import_text", "read_files", "read_objects",
           "split_in_proportion", "to_date", "to_decimal"]



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
        net -= included_tax(line, currency)  # revenue is net of the tax the amount includes
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


def _invoice_lines(invoice: Obj, pages: dict[str, list[Obj]]) -> list[Obj]:
    """An invoice's lines: those it embeds, then those of later pages the export holds as ``line_item`` objects."""
    lines = invoice.get("lines") or {}
    found = [line for line in lines.get("data") or [] if isinstance(line, dict)]
    if lines.get("has_more"):
        seen = {line.get("id") for line in found}
        found += [line for line in pages.get(str(invoice.get("id")), []) if line.get("id") not in seen]
        count = lines.get("total_count")
        if len(found) == len(seen) or (isinstance(count, int) and len(found) < count):
            raise StripeError(f"its lines are paginated (has_more) and the export holds {len(found)} of them: add the "
                              "rest as line_item objects (stripe get /v1/invoices/ID/lines), or fetch with --api-key")
    return found


def invoice_entries(invoice: Obj, config: ImporterConfig, known: Known, where: tuple[str, int]) -> list[data.Directive]:
    """An invoice's transaction, and its payment, void or write-off; its lines are added to ``known``.

    Args:
        invoice: A Stripe ``invoice`` object.
        config: The importer configuration.
        known: The invoices and payment links so far.
        where: The file and the object's position in it (the entries' ``lineno``).

    Returns:
        The entries.

    Raises:
        StripeError: A draft, a line without an amount, an unknown currency, a bad timestamp, lines and tax
            that do not add up to the invoice's total.
    """
    invoice_id, status, currency = str(invoice.get("id")), invoice.get("status"), invoice.get("currency")
    if status not in {"open", "paid", "uncollectible", "void"}:
        raise StripeError(f"invoice in status {status!r}: only finalized invoices are imported")
    exponent(currency)
    assert isinstance(currency, str)
    zone, transitions = config.zone(), invoice.get("status_transitions") or {}
    postings, parts = [], []
    tax = Decimal(0)
    for line in _invoice_lines(invoice, known.pages):
        posting, part = _line_posting(line, currency, config)
        postings.append(posting)
        parts.append(part)
        tax += line_tax(line, currency)
    if tax:
        postings.append(make_posting(config.tax, -tax, currency))
    total = sum((part.units for part in parts), tax)
    if "total" in invoice and to_decimal(invoice["total"], currency) != total:
        raise StripeError(f"its lines and tax add up to {total}, its total is {to_decimal(invoice['total'], currency)}"
                          " (shipping or credits the importer does not read): book it yourself")
    postings.insert(0, make_posting(config.receivable, total, currency))
    date = to_date(transitions.get("finalized_at") or invoice.get("created"), zone)
    customer = invoice.get("customer")
    customer_id = customer if isinstance(customer, str) else None
    meta = entry_meta(where[0], where[1], invoice_id, invoice=invoice_id, customer=customer_id)
    narration = invoice.get("description") or f"Invoice {invoice.get('number') or invoice_id}"
    links = frozenset({invoice_id})
    entries: list[data.Directive] = [
        data.Transaction(meta, date, "*", invoice.get("customer_name"), narration, data.EMPTY_SET, links, postings)
    ]
    entries.extend(_earlier_write_off(invoice, config, where))
    entries.extend(invoice_payment_entries(invoice, total, config, known, where))
    entries.extend(_transition_entries(invoice, config, where))
    known.invoices[invoice_id] = InvoiceParts(invoice_id, parts, tax)
    return entries


def _transition_entries(invoice: Obj, config: ImporterConfig, where: tuple[str, int]) -> list[data.Directive]:
    """A void or uncollectible invoice's ``revrec-void`` / ``revrec-uncollectible`` on its transition date."""
    invoice_id, status = str(invoice.get("id")), invoice.get("status")
    kinds = {"void": ("revrec-void", "voided_at"), "uncollectible": ("revrec-uncollectible", "marked_uncollectible_at")}
    if status not in kinds:
        return []
    kind, key = kinds[status]
    date = to_date((invoice.get("status_transitions") or {}).get(key), config.zone())
    value = ValueType(invoice_id, str)
    return [data.Custom(entry_meta(where[0], where[1], f"{invoice_id}/{status}"), date, kind, [value])]


def _earlier_write_off(invoice: Obj, config: ImporterConfig, where: tuple[str, int]) -> list[data.Directive]:
    """The write-off of a paid or void invoice marked uncollectible first (before its ``paid_at`` or ``voided_at``)."""
    transitions = invoice.get("status_transitions") or {}
    marked = transitions.get("marked_uncollectible_at")
    later = transitions.get({"paid": "paid_at", "void": "voided_at"}.get(str(invoice.get("status")), ""))
    if not isinstance(marked, int) or not isinstance(later, int) or marked >= later:
        return []
    invoice_id = str(invoice.get("id"))
    meta = entry_meta(where[0], where[1], f"{invoice_id}/uncollectible")
    return [data.Custom(meta, to_date(marked, config.zone()), "revrec-uncollectible", [ValueType(invoice_id, str)])]


_ORDER = {"invoice": 0, "charge": 1}  # invoices, then charges (one-time payments), then what credits them
_BOOKS: dict[str, tuple[Callable[[Obj, ImporterConfig, Known, tuple[str, int]], list[data.Directive]], ...]] = {
    "payment_intent": (), "invoice_payment": (), "line_item": (),  # they tie objects together (stripe_links)
    "invoice": (invoice_entries,),
    "charge": (one_time_entries, fee_entries),
    "credit_note": (credit_note_entries,),
    "refund": (charge_credit_entries,),
    "dispute": (charge_credit_entries, dispute_outcome_entries),  # its fees and outcome even if its charge is unknown
}


KNOWN = frozenset(_BOOKS)


def convert(
    objects: list[Obj], config: ImporterConfig, filename: str, existing: data.Entries | None = None
) -> ImportResult:
    """One file's Stripe objects as Beancount entries (``convert_files`` of that file alone).

    Args:
        objects: The file's objects, as ``read_objects`` returns them.
        config: The importer configuration.
        filename: The file, for metadata and messages.
        existing: Entries already in the ledger: the invoices and payments credits may refer to.

    Returns:
        The entries and the error messages.
    """
    return convert_files([(filename, objects)], config, existing)


def convert_files(
    sources: Sequence[tuple[str, list[Obj]]], config: ImporterConfig, existing: data.Entries | None = None
) -> ImportResult:
    """Files of Stripe objects, read as one export: every problem is a message and the rest is imported.

    An object found in two files is the later file's (an export taken later holds its newer state); one
    found twice in a file, or of an unknown type, is a message. Each entry's metadata names its object's
    file and position (``filename``, ``lineno``); each message starts with them.

    Args:
        sources: Each file's name and objects, in order.
        config: The importer configuration.
        existing: Entries already in the ledger: the invoices and payments credits may refer to.

    Returns:
        The entries and the error messages.
    """
    problems: list[tuple[int, int, str]] = []  # (file, position, message): messages in the files' order
    latest: dict[str, tuple[int, str, int, Obj]] = {}
    for order, (filename, objects) in enumerate(sources):
        seen: set[str] = set()
        for index, obj in enumerate(objects):
            kind, obj_id = obj.get("object"), str(obj.get("id"))
            if kind not in KNOWN:
                problems.append((order, index, f"{filename}: {obj_id}: unknown object type {kind!r}"))
            elif obj_id in seen:
                problems.append((order, index, (f"{filename}: {obj_id}: duplicate id: imported once, this copy is "
                                 "skipped")))
            else:
                seen.add(obj_id)
                latest[obj_id] = (order, filename, index, obj)
    known = known_links([obj for *_, obj in latest.values()], existing or [], config)
    entries: list[data.Directive] = []
    for order, filename, index, obj in sorted(latest.values(), key=lambda item: (
            _ORDER.get(str(item[3]["object"]), 2), item[0], item[2])):
        for book in _BOOKS[str(obj["object"])]:
            try:
                entries.extend(book(obj, config, known, (filename, index)))
            except StripeError as error:
                problems.append((order, index, f"{filename}: {obj.get('id')}: {error}"))
    errors = [message for *_, message in sorted(problems)]
    entries.sort(key=data.entry_sortkey)
    return ImportResult(entries, errors)


def read_files(paths: Sequence[str]) -> tuple[list[tuple[str, list[Obj]]], list[str]]:
    """Read files of Stripe objects; one that cannot be read or parsed is a message.

    Args:
        paths: The files.

    Returns:
        Each readable file's name and objects, and the messages of the others.
    """
    sources, errors = [], []
    for path in paths:
        try:
            sources.append((path, read_objects(Path(path).read_text(encoding="utf-8"))))
        except (OSError, UnicodeDecodeError) as error:
            errors.append(f"{path}: cannot read: {error}")
        except StripeError as error:
            errors.append(f"{path}: {error}")
    return sources, errors


def import_text(text: str, config: ImporterConfig, filename: str, existing: data.Entries | None = None) -> ImportResult:
    """Parse and convert a file's text.

    Args:
        text: The file's contents.
        config: The importer configuration.
        filename: The file, for metadata and messages.
        existing: Entries already in the ledger.

    Returns:
        The entries and the error messages (a malformed file: no entries, one message).
    """
    try:
        objects = read_objects(text)
    except StripeError as error:
        return ImportResult([], [f"{filename}: {error}"])
    return convert(objects, config, filename, existing)
