"""What ties Stripe objects together: invoices and their lines, and the charges that paid them.

Credit notes, refunds and disputes credit invoice lines; a refund or dispute names only its
charge (or payment intent). ``Known`` gathers, before anything is converted, every invoice and
payment link the ledger (entries imported earlier, by their ``stripe-id``) and the export hold:

- an invoice's lines and tax, from the ledger's imported invoices (the file's are added as they
  are converted);
- charge and payment intent ids to the invoice they paid, from ``invoice_payment`` objects, a
  charge's or payment intent's ``invoice`` (API versions before 2025-03-31), an invoice's
  ``charge``, ``payment_intent`` or expanded ``payments``, and the ledger's payments (their
  ``charge:`` and ``payment-intent:`` metadata);
- one-time payments (a charge that paid no invoice): a one-line "invoice" of their own, keyed by
  the charge id, so their refunds and disputes credit them like any line;
- the refunds credit notes made (booked with their credit note, not again), and the ``line_item``
  objects of invoices whose lines span several pages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from beancount.core import data

from beancount_revrec.importers.config import ImporterConfig
from beancount_revrec.importers.stripe_base import InvoiceLine, InvoiceParts, Obj, StripeError

PAYER_KEYS = ("charge", "payment-intent")


@dataclass
class Known:
    """Invoices and payment links from the ledger and the export.

    Attributes:
        invoices: Imported invoices (and one-time payments) by id.
        payers: Charge and payment intent ids to the id of the invoice they paid.
        linked_exports: Whether the export says which charges paid invoices (it holds invoice payments).
        noted_refunds: Ids of the refunds the export's credit notes made.
        pages: The export's ``line_item`` objects, by invoice id.
    """

    invoices: dict[str, InvoiceParts] = field(default_factory=dict)
    payers: dict[str, str] = field(default_factory=dict)
    linked_exports: bool = False
    noted_refunds: set[str] = field(default_factory=set)
    pages: dict[str, list[Obj]] = field(default_factory=dict)
    _paid_by: dict[str, dict[str, str]] | None = None  # payers by invoice, once every link is read

    def payers_of(self, invoice_id: str) -> dict[str, str]:
        """The ``charge`` and ``payment-intent`` ids known to have paid an invoice, for its payment's metadata."""
        if self._paid_by is None:
            self._paid_by = {}
            for payer, paid in sorted(self.payers.items()):
                key = "charge" if payer.startswith(("ch_", "py_")) else "payment-intent"
                self._paid_by.setdefault(paid, {}).setdefault(key, payer)
        return self._paid_by.get(invoice_id, {})

    def credited(self, credit: Obj) -> InvoiceParts:
        """The invoice (or one-time payment) a refund or dispute takes back, through its charge or payment intent.

        Raises:
            StripeError: Neither the export nor the ledger ties its charge to an imported invoice or payment.
        """
        for key in ("charge", "payment_intent"):
            payer = credit.get(key)
            if isinstance(payer, str):
                target = self.payers.get(payer, payer)
                if target in self.invoices:
                    return self.invoices[target]
        payer = credit.get("charge") or credit.get("payment_intent")
        raise StripeError(
            f"its payment {payer} is not tied to an invoice or payment in the export or the ledger: export the "
            "invoice with its invoice payments (stripe get /v1/invoice_payments), or pass the ledger that holds them"
        )


def known_links(objects: Iterable[Obj], existing: Iterable[data.Directive], config: ImporterConfig) -> Known:
    """The invoices and payment links the ledger's imported entries and the export's objects hold.

    Args:
        objects: The export's objects.
        existing: Entries already in the ledger (only those with a ``stripe-id`` are read).
        config: The importer configuration (its tax account).

    Returns:
        The links; the export's invoices are added by the conversion.
    """
    known = Known()
    for entry in existing:
        if isinstance(entry, data.Transaction) and "stripe-id" in entry.meta:
            _read_entry(entry, config, known)
    objects = list(objects)
    for obj in objects:
        _read_object(obj, known)
    for obj in objects:  # a charge and its payment intent paid the same invoice, whichever of them is linked
        charge, intent = obj.get("id"), obj.get("payment_intent")
        if obj.get("object") == "charge" and isinstance(charge, str) and isinstance(intent, str):
            paid = known.payers.get(charge) or known.payers.get(intent)
            if paid is not None:
                known.payers.setdefault(charge, paid)
                known.payers.setdefault(intent, paid)
    return known


def _read_entry(entry: data.Transaction, config: ImporterConfig, known: Known) -> None:
    invoice = entry.meta.get("invoice")
    numbers = [(p, p.units.number) for p in entry.postings if p.units is not None and p.units.number is not None]
    lines = [InvoiceLine(str(p.meta["line"]), p.account, -number) for p, number in numbers
             if p.meta and "line" in p.meta]
    if isinstance(invoice, str) and lines:
        tax = sum((-number for p, number in numbers if p.account == config.tax), Decimal(0))
        known.invoices[invoice] = InvoiceParts(invoice, lines, tax)
    for key in PAYER_KEYS:
        payer = entry.meta.get(key)
        if isinstance(payer, str) and len(entry.links) == 1:
            known.payers[payer] = next(iter(entry.links))


def _read_object(obj: Obj, known: Known) -> None:
    kind, invoice = obj.get("object"), obj.get("invoice")
    if kind in {"charge", "payment_intent"} and isinstance(invoice, str) and obj.get("status") != "failed":
        known.payers[str(obj.get("id"))] = invoice
    elif kind == "invoice_payment" and isinstance(invoice, str):
        _read_payment(obj, invoice, known)
    elif kind == "line_item" and isinstance(invoice, str):
        known.pages.setdefault(invoice, []).append(obj)
    elif kind == "credit_note":
        items = [item for item in obj.get("refunds") or [] if isinstance(item, dict)]
        refunds = [obj.get("refund")] + [item.get("refund") for item in items]
        known.noted_refunds.update(refund for refund in refunds if isinstance(refund, str))
    elif kind == "invoice":
        _read_invoice(obj, known)


def _read_invoice(invoice: Obj, known: Known) -> None:
    """An invoice's ``charge`` and ``payment_intent`` (API versions before 2025-03-31), or expanded ``payments``."""
    invoice_id = str(invoice.get("id"))
    for key in ("charge", "payment_intent"):
        if isinstance(invoice.get(key), str):
            known.payers[invoice[key]] = invoice_id
    payments = invoice.get("payments")
    for payment in payments.get("data") or [] if isinstance(payments, dict) else []:
        if isinstance(payment, dict):
            _read_payment(payment, invoice_id, known)


def _read_payment(payment: Obj, invoice: str, known: Known) -> None:
    """An ``invoice_payment``: its charge or payment intent paid ``invoice``."""
    known.linked_exports = True
    details = payment.get("payment") or {}
    for key in ("charge", "payment_intent"):
        payer = details.get(key)
        if isinstance(payer, dict):
            payer = payer.get("id")
        if isinstance(payer, str):
            known.payers[payer] = invoice
