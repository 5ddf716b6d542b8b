"""Stripe credit notes, refunds and disputes as credits of the invoice lines they concern (``credit-for``)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from beancount.core import data

from beancount_revrec.importers.config import ImporterConfig
from beancount_revrec.importers.stripe_base import (
    InvoiceParts,
    Obj,
    StripeError,
    entry_meta,
    exponent,
    line_tax,
    make_posting,
    split_in_proportion,
    sum_amounts,
    to_date,
    to_decimal,
)


def _credit_parts(note: Obj, total: Decimal, currency: str, config: ImporterConfig) -> list[tuple[str, str, Decimal]]:
    """A credit note's parts: (credit-kind, account credited, amount), each non-zero."""
    if note.get("type") == "pre_payment":
        return [("credit-note", config.receivable, total)]
    out_of_band = to_decimal(note.get("out_of_band_amount") or 0, currency)
    refunds = note.get("refunds")
    if isinstance(refunds, list) and refunds:
        refunded = sum_amounts(refunds, currency, "amount_refunded")
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
        found.append((credited if isinstance(credited, str) else None, net, line_tax(line, currency)))
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
        postings.append(make_posting(counter, -amount, currency))
        shares = split_in_proportion(amount, weights, places) if any(weights) else [Decimal(0)] * len(weights)
        for (credited, _net, _tax), share in zip(lines, shares, strict=False):
            if share and credited:
                account = (accounts or {}).get(credited, config.revenue)
                postings.append(make_posting(account, share, currency, {"credit-for": credited, "credit-kind": kind}))
            elif share:
                postings.append(make_posting(config.revenue, share, currency))
        if shares[-2]:
            postings.append(make_posting(config.tax, shares[-2], currency))
        if shares[-1] or not any(weights):
            postings.append(make_posting(config.revenue, shares[-1] if any(weights) else amount, currency))
    invoice_id = note.get("invoice")
    customer = note.get("customer")
    meta = entry_meta(filename, index, note_id, invoice=note_id,
                      customer=customer if isinstance(customer, str) else None)
    date = to_date(note.get("effective_at") or note.get("created"), config.zone())
    links = frozenset({invoice_id}) if isinstance(invoice_id, str) else data.EMPTY_SET
    narration = f"Credit note {note.get('number') or note_id}"
    return [data.Transaction(meta, date, "*", None, narration, data.EMPTY_SET, links, postings)]


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
    postings = [make_posting(config.cash, -amount, currency)]
    weights = [line.units for line in invoice.lines] + [invoice.tax] if invoice else []
    if invoice and any(weights):
        shares = split_in_proportion(amount, weights, exponent(currency))
        for line, share in zip(invoice.lines, shares, strict=False):
            if share:
                meta: data.Meta = {"credit-for": line.line_id, "credit-kind": kind}
                postings.append(make_posting(line.account, share, currency, meta))
        if shares[-1]:
            postings.append(make_posting(config.tax, shares[-1], currency))
    else:
        postings.append(make_posting(config.revenue, amount, currency))
    links = frozenset({invoice.invoice_id}) if invoice else data.EMPTY_SET
    date = to_date(credit.get("created"), config.zone())
    meta = entry_meta(filename, index, credit_id, invoice=credit_id)
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
            postings = [make_posting(config.fees, number, str(currency)),
                        make_posting(config.cash, -number, str(currency))]
            meta = entry_meta(filename, index, f"{dispute_id}/fee/{move.get('id')}")
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
    postings = [make_posting(config.cash, number, str(currency)),
                make_posting(config.recoverables, -number, str(currency))]
    meta = entry_meta(filename, index, f"{dispute_id}/won")
    date = to_date(returned[0].get("created"), config.zone())
    entries.append(data.Transaction(meta, date, "*", None, f"Dispute {dispute_id} won",
                                    data.EMPTY_SET, data.EMPTY_SET, postings))
    return entries


def charge_invoices(objects: Iterable[Obj]) -> dict[str, str]:
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


def credit_note_refunds(objects: Iterable[Obj]) -> set[str]:
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


def credited_invoice(credit: Obj, payers: dict[str, str], invoices: dict[str, InvoiceParts]) -> InvoiceParts | None:
    """The imported invoice a refund or dispute takes back, through its charge or payment intent; None if unknown."""
    for key in ("charge", "payment_intent"):
        payer = credit.get(key)
        if isinstance(payer, str) and payers.get(payer) in invoices:
            return invoices[payers[payer]]
    return None
