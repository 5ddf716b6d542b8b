"""Money in: a paid invoice's payment, a charge's processing fee, and one-time payments (charges of no invoice)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from beancount.core import data

from beancount_revrec.importers.config import ImporterConfig
from beancount_revrec.importers.stripe_base import (
    InvoiceLine,
    InvoiceParts,
    Obj,
    StripeError,
    entry_meta,
    make_posting,
    to_date,
    to_decimal,
)
from beancount_revrec.importers.stripe_links import Known


def invoice_payment_entries(
    invoice: Obj, total: Decimal, config: ImporterConfig, known: Known, where: tuple[str, int]
) -> list[data.Directive]:
    """The customer balance an invoice used when it was finalized, and a paid invoice's payment on ``paid_at``.

    Stripe applies the customer's balance at finalization: what the total (less pre-payment credit notes,
    which credit the receivable themselves) leaves of ``amount_due`` is a receipt from the customer balance
    on the finalization date (a debit of the balance; a credit where the customer owed it). The payment
    credits the receivable by ``amount_due``; cash (the out-of-band account for an invoice paid out of band)
    is debited by ``amount_paid``, and an overpayment is left on the customer balance.

    Args:
        invoice: A finalized Stripe ``invoice`` object.
        total: Its total (lines and tax), as booked.
        config: The importer configuration.
        known: The payment links, for the payment's ``charge:`` / ``payment-intent:`` metadata.
        where: The file and the object's position in it.

    Returns:
        The balance's and the payment's transactions, each only when it moves something.

    Raises:
        StripeError: A bad amount, currency or timestamp.
    """
    invoice_id, currency = str(invoice.get("id")), str(invoice.get("currency"))
    owed = total - to_decimal(invoice.get("pre_payment_credit_notes_amount") or 0, currency)
    due = to_decimal(invoice["amount_due"], currency) if "amount_due" in invoice else owed
    transitions, zone = invoice.get("status_transitions") or {}, config.zone()
    finalized = transitions.get("finalized_at") or invoice.get("created")
    entries: list[data.Directive] = []
    if owed != due:
        postings = [make_posting(config.customer_balance, owed - due, currency),
                    make_posting(config.receivable, due - owed, currency)]
        entries.append(_receipt(invoice, f"{invoice_id}/balance", to_date(finalized, zone), postings,
                                f"Customer balance applied to {invoice.get('number') or invoice_id}", where))
    paid = to_decimal(invoice["amount_paid"], currency) if "amount_paid" in invoice else due
    if invoice.get("status") == "paid" and (due or paid):
        cash = config.out_of_band if invoice.get("paid_out_of_band") else config.cash
        postings = [make_posting(cash, paid, currency)] if paid else []
        if due != paid:
            postings.append(make_posting(config.customer_balance, due - paid, currency))
        postings.append(make_posting(config.receivable, -due, currency))
        date = to_date(transitions.get("paid_at") or finalized, zone)
        entries.append(_receipt(invoice, f"{invoice_id}/payment", date, postings,
                                f"Payment of {invoice.get('number') or invoice_id}", where,
                                known.payers_of(invoice_id)))
    return entries


def _receipt(invoice: Obj, stripe_id: str, date: datetime.date, postings: list[data.Posting], narration: str,
             where: tuple[str, int], payers: dict[str, str] | None = None) -> data.Transaction:
    """A transaction linked to its invoice, the customer's name its payee."""
    meta = entry_meta(where[0], where[1], stripe_id, **(payers or {}))
    links = frozenset({str(invoice.get("id"))})
    return data.Transaction(meta, date, "*", invoice.get("customer_name"), narration, data.EMPTY_SET, links, postings)


def _captured(charge: Obj) -> object:
    """What a charge took: its ``amount_captured``; 0 for a charge that failed or was not captured."""
    if charge.get("status") not in {None, "succeeded"}:
        return 0
    return charge.get("amount_captured", charge.get("amount") if charge.get("captured", True) else 0)


def one_time_entries(charge: Obj, config: ImporterConfig, known: Known, where: tuple[str, int]) -> list[data.Directive]:
    """A one-time payment (a charge that paid no invoice) as a sale of one line, its id the charge's.

    Cash is debited and revenue credited, recognised as the plugin's rules say (a ``revrec-rule`` keyed by
    ``line:`` gives it a service period, as Stripe's data import does); the sale is added to ``known`` so
    its refunds and disputes credit it. A charge is one when nothing ties it to an invoice and the export
    says so: the charge itself in API versions before 2025-03-31 (``"invoice": null``), or, in later ones,
    an export that holds invoice payments (they name every charge that paid an invoice).

    Args:
        charge: A Stripe ``charge`` object.
        config: The importer configuration.
        known: The payment links; the sale is added.
        where: The file and the object's position in it.

    Returns:
        The sale; nothing for a charge that paid an invoice, failed or was not captured.

    Raises:
        StripeError: Nothing says whether it paid an invoice; a bad amount, currency or timestamp.
    """
    charge_id, intent, captured = str(charge.get("id")), charge.get("payment_intent"), _captured(charge)
    if not captured or charge_id in known.payers or (isinstance(intent, str) and intent in known.payers):
        return []
    if not ("invoice" in charge and charge["invoice"] is None) and not known.linked_exports:
        raise StripeError("nothing says whether it paid an invoice: export the invoice payments with it (stripe "
                          "get /v1/invoice_payments), so that a one-time payment is imported as a sale")
    currency = str(charge.get("currency"))
    amount = to_decimal(captured, currency)
    postings = [make_posting(config.cash, amount, currency),
                make_posting(config.revenue, -amount, currency, {"line": charge_id})]
    customer = charge.get("customer")
    meta = entry_meta(where[0], where[1], charge_id, invoice=charge_id,
                      customer=customer if isinstance(customer, str) else None)
    narration = charge.get("description") or f"Payment {charge_id}"
    known.invoices[charge_id] = InvoiceParts(charge_id, [InvoiceLine(charge_id, config.revenue, amount)], Decimal(0))
    date = to_date(charge.get("created"), config.zone())
    return [data.Transaction(meta, date, "*", None, narration, data.EMPTY_SET, data.EMPTY_SET, postings)]


def fee_entries(
    charge: Obj, config: ImporterConfig, known: Known, where: tuple[str, int]  # noqa: ARG001 - a booker's signature
) -> list[data.Directive]:
    """A charge's processing fee, from its expanded ``balance_transaction`` (``--expand data.balance_transaction``).

    Args:
        charge: A Stripe ``charge`` object.
        config: The importer configuration.
        known: Unused: every booker of ``convert`` takes it.
        where: The file and the object's position in it.

    Returns:
        The fees account debited and cash credited on the balance transaction's date; nothing without a fee.

    Raises:
        StripeError: A bad amount, currency or timestamp.
    """
    move = charge.get("balance_transaction")
    if not _captured(charge) or not isinstance(move, dict) or not isinstance(move.get("fee"), int) or not move["fee"]:
        return []
    charge_id, currency = str(charge.get("id")), str(move.get("currency"))
    fee = to_decimal(move["fee"], currency)
    postings = [make_posting(config.fees, fee, currency), make_posting(config.cash, -fee, currency)]
    meta = entry_meta(where[0], where[1], f"{charge_id}/fee")
    date = to_date(move.get("created"), config.zone())
    return [data.Transaction(meta, date, "*", None, f"Stripe fee of {charge_id}", data.EMPTY_SET, data.EMPTY_SET,
                             postings)]
