"""Sources (SPEC section 3): revenue lines of invoices and other payments.

Reads the user's transactions once, in date order, and returns one typed
``Line`` per posting to a revenue account, with its invoice's payment date.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from beancount.core.data import Posting, Transaction

from beancount_revrec.config import Config, Side
from beancount_revrec.errors import Problem, RevrecError
from beancount_revrec.meta import KIND

Origin = Literal["invoice", "payment", "contract"]
"""Where a line comes from: an invoice, another payment, or a revenue contract's item."""


class Line(NamedTuple):
    """A revenue line: one posting to a revenue account.

    ``amount`` is revenue-positive: the negation of the posting's number, so an
    ordinary income credit is positive and a debit (a credit note) negative. A
    contract item is treated as a line too (``contracts.item_line``): it has no
    transaction, its payee is the contract's customer. ``description`` is what a
    rule's ``description:`` searches: the posting's ``description:`` metadata, else
    the transaction's narration.
    """

    key: str
    entry: Transaction | None  # the line's transaction; None for a contract item
    payee: str | None
    narration: str
    description: str
    meta: dict[str, Any]
    date: datetime.date
    account: str
    amount: Decimal
    currency: str
    line_id: str | None
    invoice: str | None
    customer: str | None
    product: str | None
    price: str | None
    service: tuple[datetime.date, datetime.date] | None
    quantity: Decimal | None
    override: str | None
    source: Origin
    payment_date: datetime.date | None
    credit_for: str | None = None
    credit_kind: str | None = None  # what kind of credit a credit_for line is (refund, credit-note...)
    contract: str | None = None  # a recorded billing line's contract, or an item's; a contract cost's contract
    side: Side = "revenue"  # an expense line's amount is cost-positive: the posting's number (a debit is positive)


def is_under(account: str, roots: Iterable[str]) -> bool:
    """Whether ``account`` is one of ``roots`` or a descendant of one."""
    return any(account == root or account.startswith(root + ":") for root in roots)


_OPT_IN = frozenset({"service-start", "service-end", "revrec", "credit-for", "contract"})
"""A posting's metadata that makes an expense posting a line (a prepaid expense, a refund, a contract cost)."""
_ENTRY_OPT_IN = frozenset({"service-start", "service-end", "contract"})
"""A transaction's metadata that makes its expense postings lines, when it has no revenue lines."""


def read_lines(
    entries: Iterable[Any], config: Config, ruled: tuple[str, ...] = (),
) -> tuple[list[Line], list[RevrecError]]:
    """Every revenue and expense line of the user's transactions, in ledger order; a bad posting is an error.

    Every posting to a revenue account is a line. A posting to an expense account (``config.expenses``) is one
    when it opts in: its own service period, ``revrec:``, ``credit-for:`` or ``contract:``, a service period or
    ``contract:`` on its transaction when that has no revenue lines, or an account under one a rule names (``ruled``).
    """
    transactions = [entry for entry in entries
                    if isinstance(entry, Transaction) and KIND not in entry.meta]  # generated: never a source
    is_revenue = Membership(config.revenue)
    is_expense, is_ruled = Membership(config.expenses), Membership(ruled)
    is_receivable = Membership((config.receivable,))
    sources = [(entry, [p for p in entry.postings if is_revenue[p.account]]) for entry in transactions]
    paid = _payment_dates(sources, is_receivable)
    kinds: list[Origin] = ["invoice" if "invoice" in entry.meta or any(is_receivable[p.account] for p in entry.postings)
             else "payment" for entry, _ in sources]
    found: list[tuple[int, Transaction, Posting, bool]] = []
    add = found.append
    for index, (entry, postings) in enumerate(sources):  # loops, not comprehensions: a call each, per transaction
        for posting in postings:
            add((index, entry, posting, False))
        for posting in entry.postings:
            if is_expense[posting.account] and (
                    is_ruled[posting.account] or not _OPT_IN.isdisjoint(posting.meta or _NO_META)
                    or (not postings and not _ENTRY_OPT_IN.isdisjoint(entry.meta))):
                add((index, entry, posting, True))
    todo = iter(found)
    lines: list[Line] = []
    errors: list[RevrecError] = []
    keys = _KeyMaker()
    while True:  # the try is around the loop, not in it (it runs for every line): a bad line, and on with the next
        try:
            for index, entry, posting, cost in todo:
                line = _read_line(entry, posting, "payment" if cost else kinds[index], paid.get(index), keys, cost=cost)
                if line is not None:
                    lines.append(line)
        except Problem as problem:
            errors.append(RevrecError(posting.meta or entry.meta, str(problem), entry))
        else:
            return lines, errors


class Membership(dict[str, bool]):
    """Memoised ``is_under``, looked up as ``membership[account]``, for the few accounts a ledger has."""

    def __init__(self, roots: tuple[str, ...]) -> None:
        """Membership of ``roots`` and their descendants."""
        super().__init__()
        self.roots = roots

    def __missing__(self, account: str) -> bool:
        """Whether ``account`` is one of the roots or under one."""
        known = self[account] = is_under(account, self.roots)
        return known


def _payment_dates(
    sources: list[tuple[Transaction, list[Posting]]], is_receivable: Membership,
) -> dict[int, datetime.date]:
    """Index of each paid invoice -> its payment date.

    A payment is a transaction without revenue lines that credits the receivable
    and shares a link or the ``invoice:`` id with the invoice, wherever it is in
    the ledger: the first one on or after the invoice's date gives the date; a
    payment before the invoice (a prepayment) counts from the invoice's date.
    """
    payments: dict[str, list[datetime.date]] = {}  # in date order: the sources are
    invoices: list[tuple[int, datetime.date, list[str]]] = []
    for index, (entry, postings) in enumerate(sources):
        refs = references(entry)
        if postings:
            if refs:
                invoices.append((index, entry.date, refs))
        elif refs and any(is_receivable[p.account] and p.units is not None and p.units.number is not None
                          and p.units.number < 0 for p in entry.postings):
            for ref in refs:
                payments.setdefault(ref, []).append(entry.date)
    paid: dict[int, datetime.date] = {}
    for index, day, refs in invoices:
        dates = [paid_on for ref in refs for paid_on in payments.get(ref, ())]
        if dates:
            later = [paid_on for paid_on in dates if paid_on >= day]
            paid[index] = min(later) if later else day
    return paid


class Receipt(NamedTuple):
    """Money received for an invoice: a transaction without revenue lines that credits the receivable."""

    date: datetime.date
    amount: Decimal  # what it credits to the receivable
    currency: str
    entry: Transaction


def receipts(entries: Iterable[Any], config: Config, refs: set[str]) -> dict[str, list[Receipt]]:
    """The receipts of each of ``refs`` (``^LINK`` or ``invoice:ID``, as ``references`` gives them), in date order."""
    is_revenue = Membership(config.revenue)
    found: dict[str, list[Receipt]] = {}
    for entry in entries:
        if not isinstance(entry, Transaction) or KIND in entry.meta:
            continue
        if any(is_revenue[p.account] for p in entry.postings):
            continue
        mine = refs.intersection(references(entry))
        credited = [p.units for p in entry.postings if p.account == config.receivable and p.units is not None
                    and p.units.number is not None and p.units.number < 0]
        for ref in mine:
            found.setdefault(ref, []).extend(Receipt(entry.date, -units.number, units.currency, entry)
                                             for units in credited if units.number is not None)
    return found


def references(entry: Transaction) -> list[str]:
    """What ties a transaction to an invoice: its links (``^LINK``) and its ``invoice:`` id (``invoice:ID``)."""
    refs = [f"^{link}" for link in entry.links or ()]
    invoice = entry.meta.get("invoice")
    if invoice is not None:
        refs.append(f"invoice:{invoice}")
    return refs


def _read_line(
    entry: Transaction, posting: Posting, source: Origin, payment_date: datetime.date | None, keys: _KeyMaker, *,
    cost: bool,
) -> Line | None:
    """The line of a revenue posting, or of an expense posting (``cost``); None for a posting without an amount.

    Raises:
        Problem: its service period, amount or quantity is not one a line can have.
    """
    units = posting.units
    if units is None or units.number is None or units.currency is None:
        return None
    own, shared = posting.meta or _NO_META, entry.meta
    service = service_period(own.get("service-start", shared.get("service-start")),
                             own.get("service-end", shared.get("service-end")))
    check_digits(units.number)
    quantity = own.get("quantity")
    if quantity is not None and (not isinstance(quantity, Decimal) or quantity <= 0):
        raise Problem(f"quantity: must be a positive number, e.g. quantity: 100, got {quantity!r}")
    customer = shared.get("customer", entry.payee)
    line_id, invoice, product = _text(own, "line"), _text(shared, "invoice"), _text(own, "product")
    credit_for, description = _text(own, "credit-for"), own.get("description")
    return Line(
        key=keys.make(entry, posting.account, line_id, invoice, product), entry=entry, payee=entry.payee,
        narration=entry.narration or "", description=entry.narration or "" if description is None else str(description),
        meta=posting.meta or shared,
        date=entry.date, account=posting.account,
        amount=units.number if cost else -units.number, currency=units.currency,
        line_id=line_id, invoice=invoice, customer=None if customer is None else str(customer),
        product=product, price=_text(own, "price"),
        service=service, quantity=quantity, override=_text(own, "revrec"),
        source=source, payment_date=payment_date, credit_for=credit_for,
        credit_kind=_text(own if "credit-kind" in own else shared, "credit-kind") if credit_for else None,
        contract=_text(own if cost and "contract" in own else shared, "contract"),
        side="expense" if cost else "revenue",
    )


_NO_META: dict[str, Any] = {}  # a posting without metadata; never written to


def _text(meta: dict[str, Any], key: str) -> str | None:
    value = meta.get(key)
    return None if value is None else str(value)


MAX_DIGITS = 24


def check_digits(number: Decimal) -> None:
    """Check that an amount is short enough for exact arithmetic (Python's decimals hold 28 digits).

    Raises:
        Problem: it is too long.
    """
    _, shown, exponent = number.as_tuple()
    places = -exponent if isinstance(exponent, int) else 0
    digits = max(len(shown) - places, 0) + max(places, 0)  # before and after the point
    if digits > MAX_DIGITS:
        raise Problem(f"amount {number} has {digits} digits: revenue recognition splits amounts exactly only up "
                      f"to {MAX_DIGITS} digits (e.g. 9999999999999999999999.99); book it in smaller amounts")


def service_period(start: object, end: object) -> tuple[datetime.date, datetime.date] | None:
    """The service period of ``service-start:`` and ``service-end:``; None without one.

    Raises:
        Problem: the two values are no service period.
    """
    if start is None and end is None:
        return None
    if not isinstance(start, datetime.date) or not isinstance(end, datetime.date):
        key, value = ("service-start", start) if not isinstance(start, datetime.date) else ("service-end", end)
        shown = "missing" if value is None else repr(value)
        raise Problem(f"{key}: must be a date like 2022-01-15 (without quotes), got {shown}")
    if end <= start:
        raise Problem(f"service-end {end} must be after service-start {start}: "
                      "service-end is the first day after service (exclusive)")
    return start, end


class _KeyMaker:
    """Stable line keys that depend only on the line's own content.

    The key is the ``line:`` id; else the invoice id, account and product; else
    the date, account and a digest of payee and narration. A repeat of the same
    key gets ``#2``, ``#3``... in ledger order.
    """

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def make(self, entry: Transaction, account: str, line_id: str | None, invoice: str | None,
             product: str | None) -> str:
        if line_id is not None:
            base = line_id
        elif invoice is not None:
            base = "/".join(filter(None, (invoice, account, product)))
        else:
            text = f"{entry.payee}|{entry.narration}".encode()
            base = f"{entry.date}/{account}/{hashlib.sha1(text).hexdigest()[:8]}"  # noqa: S324
        count = self.seen[base] = self.seen.get(base, 0) + 1
        return base if count == 1 else f"{base}#{count}"
