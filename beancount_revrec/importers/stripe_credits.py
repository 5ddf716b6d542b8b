"""Stripe credit notes, refunds and disputes as credits of the invoice lines they concern (``credit-for``)."""

from __future__ import annotations

from decimal import Decimal

from beancount.core import data

from beancount_revrec.importers.config import ImporterConfig
from beancount_revrec.importers.stripe_base import (
    InvoiceLine,
    Obj,
    StripeError,
    entry_meta,
    exponent,
    included_tax,
    line_tax,
    make_posting,
    split_in_proportion,
    sum_amounts,
    to_date,
    to_decimal,
)
from beancount_revrec.importers.stripe_links import Known


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
        ("credit-note", config.out_of_band, out_of_band),
        ("credit-note", config.customer_balance, balance),
    ]
    return [part for part in parts if part[2]]


def _credit_note_lines(note: Obj, currency: str, accounts: dict[str, str]) -> list[tuple[str | None, Decimal, Decimal]]:
    """A credit note's lines (of lines in ``accounts``): (line credited, net of discounts and included tax, tax)."""
    found = []
    if (note.get("lines") or {}).get("has_more"):
        raise StripeError("its lines are paginated (has_more): fetch with --api-key, which pages them in")
    for line in (note.get("lines") or {}).get("data") or []:
        try:
            net = to_decimal(line.get("amount"), currency) - to_decimal(line.get("discount_amount") or 0, currency)
            net -= included_tax(line, currency)
        except StripeError as error:
            raise StripeError(f"line {line.get('id')}: {error}") from None
        credited = line.get("invoice_line_item")
        if isinstance(credited, str) and credited not in accounts:
            raise StripeError(f"it credits line {credited}, which invoice {note.get('invoice')} does not have")
        found.append((credited if isinstance(credited, str) else None, net, line_tax(line, currency)))
    return found


def credit_note_entries(
    note: Obj, config: ImporterConfig, known: Known, where: tuple[str, int]
) -> list[data.Directive]:
    """A credit note's transaction: positive revenue postings crediting their invoice lines.

    A post-payment credit note is split by kind: what it refunds (``refunds``, else, in the older
    API, all but the out-of-band amount unless it credits the customer's balance) is ``refund``
    against cash; the out-of-band amount is ``credit-note`` against ``out_of_band`` and the rest
    ``credit-note`` against the customer balance (Stripe's CreditNotes, as its "Credit note after a
    payment" table books both). Each part is spread over the lines (and tax, and whatever the
    lines leave of the total, such as shipping) in proportion to their amounts.

    Args:
        note: A Stripe ``credit_note`` object.
        config: The importer configuration.
        known: The invoices imported so far (the export's and the ledger's). A credit note without line
            items is spread over its invoice's lines and tax in proportion, as a refund is.
        where: The file and the object's position in it.

    Returns:
        The transaction, or nothing for a voided credit note.

    Raises:
        StripeError: An invoice or line in neither the export nor the ledger, a line without an amount, an
            unknown currency, a bad timestamp, refunds beyond the total.
    """
    if note.get("status") == "void":
        return []
    invoice_id = note.get("invoice")
    if not isinstance(invoice_id, str) or invoice_id not in known.invoices:
        raise StripeError(f"it credits invoice {invoice_id}, which is in neither the export nor the ledger: import "
                          "the invoice with it, or pass the ledger that holds it (--ledger, or beangulp's -e)")
    accounts = {line.line_id: line.account for line in known.invoices[invoice_id].lines}
    note_id, currency = str(note.get("id")), note.get("currency")
    places = exponent(currency)
    assert isinstance(currency, str)
    total = to_decimal(note.get("total"), currency)
    lines = _credit_note_lines(note, currency, accounts)
    tax = sum((line[2] for line in lines), Decimal(0))
    rest = total - tax - sum((line[1] for line in lines), Decimal(0))
    if not lines:  # no line items: all of it over the invoice's lines and tax, as a refund
        invoice = known.invoices[invoice_id]
        lines = [(line.line_id, _weight(line), Decimal(0)) for line in invoice.lines]
        tax, rest = invoice.tax, Decimal(0)
    weights = [line[1] for line in lines] + [tax, rest]
    postings = []
    for kind, counter, amount in _credit_parts(note, total, currency, config):
        postings.append(make_posting(counter, -amount, currency))
        shares = split_in_proportion(amount, weights, places) if any(weights) else [Decimal(0)] * len(weights)
        for (credited, _net, _tax), share in zip(lines, shares, strict=False):
            if share and credited:
                meta = {"credit-for": credited, "credit-kind": kind}
                postings.append(make_posting(accounts[credited], share, currency, meta))
            elif share:
                postings.append(make_posting(config.revenue, share, currency))
        if shares[-2]:
            postings.append(make_posting(config.tax, shares[-2], currency))
        if shares[-1] or not any(weights):
            postings.append(make_posting(config.revenue, shares[-1] if any(weights) else amount, currency))
    customer = note.get("customer")
    meta = entry_meta(where[0], where[1], note_id, invoice=note_id,
                      customer=customer if isinstance(customer, str) else None)
    date = to_date(note.get("effective_at") or note.get("created"), config.zone())
    links = frozenset({invoice_id})
    narration = f"Credit note {note.get('number') or note_id}"
    return [data.Transaction(meta, date, "*", None, narration, data.EMPTY_SET, links, postings)]


def _weight(line: InvoiceLine) -> Decimal:
    """A line's weight in a credit spread over its invoice: its amount, 0 for a negative line.

    A negative line (a proration's unused time) is already a credit: a refund takes back what was sold.
    """
    return max(line.units, Decimal(0))


def charge_credit_entries(
    credit: Obj, config: ImporterConfig, known: Known, where: tuple[str, int]
) -> list[data.Directive]:
    """A refund's or dispute's transaction: cash out, credits of the invoice's lines in proportion.

    Args:
        credit: A Stripe ``refund`` or ``dispute`` object.
        config: The importer configuration.
        known: The invoices, one-time payments and payment links of the export and the ledger.
        where: The file and the object's position in it.

    Returns:
        The transaction, or nothing for a failed or canceled refund or one a credit note made.

    Raises:
        StripeError: A charge tied to no imported invoice or payment, no amount, an unknown currency, a bad
            timestamp.
    """
    if credit.get("status") in {"failed", "canceled"} or credit.get("id") in known.noted_refunds:
        return []
    invoice = known.credited(credit)
    credit_id, currency, kind = str(credit.get("id")), credit.get("currency"), str(credit.get("object"))
    amount = to_decimal(credit.get("amount"), currency)
    assert isinstance(currency, str)
    postings = [make_posting(config.cash, -amount, currency)]
    weights = [_weight(line) for line in invoice.lines] + [invoice.tax]
    if not any(weights):
        raise StripeError(f"{invoice.invoice_id} has no amount to take back: book it yourself")
    shares = split_in_proportion(amount, weights, exponent(currency))
    for line, share in zip(invoice.lines, shares, strict=False):
        if share:
            meta: data.Meta = {"credit-for": line.line_id, "credit-kind": kind}
            postings.append(make_posting(line.account, share, currency, meta))
    if shares[-1]:
        postings.append(make_posting(config.tax, shares[-1], currency))
    links = frozenset({invoice.invoice_id})
    date = to_date(credit.get("created"), config.zone())
    meta = entry_meta(where[0], where[1], credit_id, invoice=credit_id)
    narration = f"{kind.capitalize()} of {credit.get('charge') or credit.get('payment_intent')}"
    return [data.Transaction(meta, date, "*", None, narration, data.EMPTY_SET, links, postings)]


def dispute_outcome_entries(
    dispute: Obj, config: ImporterConfig, known: Known, where: tuple[str, int]  # noqa: ARG001 - a booker's signature
) -> list[data.Directive]:
    """A dispute's fees, and the cash a won dispute returns (against recoverables, as Stripe books it).

    Both come from the dispute's expanded ``balance_transactions``: the withdrawal's ``fee`` goes to the
    fees account; a won dispute's reinstatement (a positive balance transaction) is dated its ``created``.

    Args:
        dispute: A Stripe ``dispute`` object.
        config: The importer configuration.
        known: Unused: every booker of ``convert`` takes it.
        where: The file and the object's position in it.

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
            meta = entry_meta(where[0], where[1], f"{dispute_id}/fee/{move.get('id')}")
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
    meta = entry_meta(where[0], where[1], f"{dispute_id}/won")
    date = to_date(returned[0].get("created"), config.zone())
    entries.append(data.Transaction(meta, date, "*", None, f"Dispute {dispute_id} won",
                                    data.EMPTY_SET, data.EMPTY_SET, postings))
    return entries
