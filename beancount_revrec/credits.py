"""Credits and refunds (SPEC section 6.4): a positive line with ``credit-for:``.

A credit splits in proportion, as Stripe books credit notes and refunds: of
the credited line as it stands on the credit's date, the share still deferred
comes off deferred revenue (and the remaining schedule shrinks by as much), the
share reclassified (tax, fee...) comes off its account, and the share already
recognised goes to the contra account of the credit's kind. With
``credit-split: deferred-first`` the credit comes off what is still deferred
first and only the excess goes to contra. A dispute may take more than is left
of its line: the excess is a loss (``other-loss``).

``revrec-void`` and ``revrec-uncollectible`` credit what is left of each of an
invoice's lines against the receivable (kinds ``void`` and ``write-off``); a
payment of a written-off invoice is a recovery on its own date (the write-off's
contra account back first, the rest to ``recoverables``), and a void after a
write-off moves the write-off's contra to the void's. All of these are events
applied in date order, each to what the earlier ones left::

    2019-02-01 custom "revrec-uncollectible" "in_1"
"""

from __future__ import annotations

import datetime
import heapq
import itertools
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import partial
from typing import Any, Literal, NamedTuple, get_args

from beancount.core.data import Custom

from beancount_revrec.config import Config, CreditSplit
from beancount_revrec.directives import StatusChange, read_status_changes
from beancount_revrec.errors import Problem, RevrecError, guarded
from beancount_revrec.records import Treated
from beancount_revrec.schedule import ZERO, Schedule, allocate, split_shares
from beancount_revrec.sources import Line, Receipt, receipts, references
from beancount_revrec.treatment import Treatment

CREDIT_RULE = "credit"
CreditKind = Literal["refund", "credit-note", "dispute", "write-off", "void"]
KINDS: tuple[CreditKind, ...] = get_args(CreditKind)
COST_KINDS: tuple[CreditKind, ...] = ("refund", "credit-note")
CONTRA: dict[CreditKind, str] = {"refund": "contra", "credit-note": "credit-note", "dispute": "dispute",
                                 "write-off": "write-off", "void": "void"}
"""The reclass category (and config key) of each kind's contra account: a refund's is ``contra``."""
OTHER_LOSS, RECOVERABLES = "other-loss", "recoverables"
Places = Callable[[str], int]


def apply_credits(
    entries: Sequence[Any], customs: list[Custom], lines: list[Line], sales: list[Treated], places: Places,
    config: Config,
) -> tuple[list[Treated], list[RevrecError]]:
    """Apply credits, voids and write-offs to the sales lines they concern, in date order.

    Each credit line (``lines`` with ``credit-for:``) and each invoice's void or write-off (``customs``)
    becomes a treated line of its own (rule ``credit``) and shrinks the schedule of the line it credits. What a
    written-off invoice receives later (a transaction of ``entries`` that credits the receivable and shares
    the invoice's link or id) is a recovery.
    """
    changes, errors = read_status_changes(customs)
    changed = {change.invoice for change in changes}
    refs = {ref for item in sales if item.line.invoice in changed and item.line.entry is not None
            for ref in references(item.line.entry)}
    found = receipts(entries, config, refs) if refs else {}
    order = itertools.count()  # after the date and the kind of event, ledger order: never an event compared
    todo: list[tuple[datetime.date, int, int, Line | StatusChange | _Recovery]] = [
        (line.date, 0, next(order), line) for line in lines
        if line.credit_for and not (line.contract and line.side == "revenue")]  # a contract's credits: contracts
    todo += [(change.date, 1, next(order), change) for change in changes]  # on a day: credits, then changes
    if not todo:
        return sales, errors
    heapq.heapify(todo)
    book = _Book(sales, changed, places, config)
    while todo:
        event = heapq.heappop(todo)[3]
        if isinstance(event, Line):
            book.credit(event)
        elif isinstance(event, StatusChange):  # a write-off's later payments are recoveries, each on its date
            for receipt in book.change(event, found):
                heapq.heappush(todo, (receipt.date, 2, next(order), _Recovery(event.invoice, receipt)))
        else:
            book.recover(event)
    return book.result, errors + book.errors


class _Recovery(NamedTuple):
    """A payment of a written-off invoice."""

    invoice: str
    receipt: Receipt


class _Book:
    """The lines as credits, voids and write-offs leave them, and the treated credits themselves."""

    def __init__(self, treated: list[Treated], changed: set[str], places: Places, config: Config) -> None:
        """The sales lines ``treated``; ``changed``: the invoices voided or written off."""
        self.result = list(treated)
        self.places, self.config = places, config
        self.by_id: dict[str, int] = {}
        self.by_invoice: dict[str, list[int]] = {}
        for index, item in enumerate(treated):
            if item.line.line_id is not None:
                self.by_id.setdefault(item.line.line_id, index)
            if item.line.invoice in changed and item.line.source == "invoice" and item.line.side == "revenue":
                self.by_invoice.setdefault(item.line.invoice, []).append(index)
        self.reclassed = {index: dict(item.reclasses) for index, item in enumerate(treated) if item.reclasses}
        self.status: dict[str, StatusChange] = {}
        self.written_off: dict[int, tuple[Decimal, Decimal]] = {}  # line -> (still open to recover, contra)
        self.errors: list[RevrecError] = []
        self.keys: dict[str, int] = {}  # the recoveries' keys so far

    def credit(self, credit: Line) -> None:
        """Apply a user's credit line to the line its ``credit-for:`` names."""
        index = self.by_id.get(str(credit.credit_for), -1)
        what = f'credit-for "{credit.credit_for}"'
        try:
            _check(credit, None if index < 0 else self.result[index])
        except Problem as problem:
            self.errors.append(RevrecError(credit.meta, f"{what}: {problem}", credit.entry))
            return
        if credit.side == "expense" and credit.contract is None:  # a clawback: off the contract cost it credits
            credit = credit._replace(contract=self.result[index].line.contract)
        self._apply(index, credit, what, "the credit stays as booked")

    def _apply(self, index: int, credit: Line, what: str, outcome: str) -> Treated | None:
        """Credit line ``index`` with ``credit``; the credit's own treatment, or None (an error) if it fails."""
        done = guarded(credit.meta, credit.entry, what, outcome,
                       partial(_credit, self.result[index], self.reclassed.setdefault(index, {}), credit,
                               self.places(credit.currency), self.config.credit_split))
        if isinstance(done, RevrecError):
            self.errors.append(done)
            return None
        self.result[index], own = done
        self.result.append(own)
        return own

    def change(self, change: StatusChange, receipts: dict[str, list[Receipt]]) -> list[Receipt]:
        """Void an invoice, or write it off, on the change's date; a write-off's later receipts, to recover."""
        directive = f'revrec-{change.status} "{change.invoice}"'
        indices = self.by_invoice.get(change.invoice, [])
        earlier = self.status.get(change.invoice)
        refs = {ref for index in indices[:1] for ref in _references_of(self.result[index].line)}
        got = sorted((receipt for ref in refs for receipt in receipts.get(ref, ())), key=lambda receipt: receipt.date)
        try:
            _check_change(change, [self.result[index].line for index in indices], earlier, got)
        except Problem as problem:
            self.errors.append(RevrecError(change.meta, f"{directive}: {problem}"))
            return []
        self.status[change.invoice] = change
        for index in indices:
            if earlier is not None:  # a void after a write-off: what the write-off holds moves to voids
                self._move_write_off(index, change)
            else:
                self._close_line(index, change, directive)
        return got if change.status == "uncollectible" else []

    def _close_line(self, index: int, change: StatusChange, directive: str) -> None:
        """Credit what is left of line ``index`` against the receivable: all of it leaves the books."""
        line = self.result[index].line
        left = line.amount - self.result[index].credited
        if not left:
            return
        kind: CreditKind = "void" if change.status == "void" else "write-off"
        credit = _synthetic(line, change, f"{line.key}/{change.status}", self.config.receivable, -left, kind,
                            f"Invoice {change.invoice} {'voided' if kind == 'void' else 'written off'}")
        own = self._apply(index, credit, directive, "the line stays as booked")
        if own is not None and kind == "write-off":
            self.written_off[index] = (left, -dict(own.reclasses).get("write-off", ZERO))

    def _move_write_off(self, index: int, change: StatusChange) -> None:
        """Move what line ``index``'s write-off still holds in contra revenue to the void's."""
        held = self.written_off.pop(index, (ZERO, ZERO))[1]
        if held:
            line = self.result[index].line
            account = self.config.reclass_account("write-off")
            self.result.append(_own(_synthetic(line, change, f"{line.key}/void", account, ZERO, "void",
                                               f"Invoice {change.invoice} voided"), (("void", -held),)))

    def recover(self, recovery: _Recovery) -> None:
        """Book a payment of a written-off invoice: the write-off's contra revenue back first, the rest a gain."""
        indices, receipt = self.by_invoice[recovery.invoice], recovery.receipt
        open_lines = [index for index in indices if self.written_off.get(index, (ZERO, ZERO))[0]]
        total = sum((self.written_off[index][0] for index in open_lines), ZERO)
        currency = self.result[indices[0]].line.currency
        if receipt.currency != currency or receipt.amount > total:
            self.errors.append(RevrecError(receipt.entry.meta, (
                f"a payment of {receipt.amount} {receipt.currency} for an invoice written off, of which "
                f"{total} {currency} is open: book at most {total} {currency} to its receivable, and the rest "
                "elsewhere"), receipt.entry))
            return
        weights = [self.written_off[index][0] for index in open_lines]
        parts = split_shares(receipt.amount, [weight * 100 / total for weight in weights], self.places(currency))
        for index, part in zip(open_lines, parts, strict=True):
            left, contra = self.written_off[index]
            back = min(part, contra)
            self.written_off[index] = (left - part, contra - back)
            item = self.result[index]  # the line stands again at what was paid, its gain held in recoverables
            self.result[index] = item._replace(credited=item.credited - part)
            held = self.reclassed.setdefault(index, {})
            held[RECOVERABLES] = held.get(RECOVERABLES, ZERO) + part - back
            line = item.line
            key = f"{line.key}/recovery/{receipt.date}"
            self.keys[key] = seen = self.keys.get(key, 0) + 1  # two payments on one day: #2
            key += f"#{seen}" if seen > 1 else ""
            credit = _synthetic(line, receipt, key, self.config.receivable, part, "write-off",
                                f"Payment of written-off invoice {line.invoice}")
            self.result.append(_own(credit, tuple((part_, value) for part_, value in (
                ("write-off", back), (RECOVERABLES, part - back)) if value)))


def _references_of(line: Line) -> list[str]:
    return references(line.entry) if line.entry is not None else []


def _synthetic(
    line: Line, cause: StatusChange | Receipt, key: str, account: str, amount: Decimal, kind: CreditKind, title: str,
) -> Line:
    """A credit the plugin makes for ``line`` (a void, a write-off, a recovery), booked against ``account``.

    It is dated and located at its ``cause``: the void or write-off directive, or the payment recovered.
    """
    made_by = cause.entry if isinstance(cause, Receipt) else line.entry
    meta = cause.entry.meta if isinstance(cause, Receipt) else cause.meta
    return line._replace(key=key, entry=made_by, meta=meta, date=cause.date, account=account, amount=amount,
                         narration=f"{title}: {line.narration}", credit_for=line.line_id or line.key,
                         credit_kind=kind, override=None, service=None)


def _own(credit: Line, reclasses: tuple[tuple[str, Decimal], ...]) -> Treated:
    """The treatment of a credit: what it moves, each on its date."""
    return Treated(credit, CREDIT_RULE, Treatment(f'credit-for "{credit.credit_for}"', ()), ZERO, reclasses, [])


def _check_change(
    change: StatusChange, lines: list[Line], earlier: StatusChange | None, receipts: list[Receipt],
) -> None:
    """Check that an invoice of ``lines`` can be voided or written off.

    Raises:
        Problem: it cannot.
    """
    if not lines:
        raise Problem("no invoice line has this invoice: id: write the invoice: of an invoice with revenue lines")
    issued = min(line.date for line in lines)
    if change.date < issued:
        raise Problem(f"dated before the invoice ({issued}): date it on or after {issued}")
    if earlier is not None and (earlier.status == "void" or change.status == "uncollectible"):
        raise Problem(f"the invoice was already {_done(earlier)} on {earlier.date}: remove this directive")
    paid = [receipt for receipt in receipts if receipt.date <= change.date]
    if paid and earlier is None:
        raise Problem(f"the invoice received {paid[0].amount} {paid[0].currency} on {paid[0].date}: Stripe voids "
                      "or writes off only open invoices; credit what is still open instead (a posting with "
                      'credit-for: and credit-kind: "write-off" or "void")')
    later = [receipt for receipt in receipts if receipt.date > change.date]
    if later and change.status == "void":
        raise Problem(f"the invoice receives {later[0].amount} {later[0].currency} on {later[0].date}, after "
                      "this void: a void invoice is not paid; remove the payment or the void")


def _done(change: StatusChange) -> str:
    return "voided" if change.status == "void" else "marked uncollectible"


_WORDS = {"revenue": ("positive posting (a debit to revenue)", "a debit to revenue", "a sale"),
          "expense": ("negative posting (a credit to the expense)", "a credit to the expense", "a cost")}
"""How a credit of each side is written, and what it credits."""


def _check(credit: Line, target: Treated | None) -> None:
    """Check that ``credit`` can credit ``target``, the line its ``credit-for:`` names.

    Raises:
        Problem: it cannot.
    """
    kinds = KINDS if credit.side == "revenue" else COST_KINDS
    if credit.credit_kind is not None and credit.credit_kind not in kinds:
        raise Problem(f'unknown credit-kind "{credit.credit_kind}": use one of {", ".join(kinds)}'
                      + (" (a cost's kinds)" if kinds is COST_KINDS else ""))
    words = _WORDS[credit.side]
    if credit.amount >= 0:
        raise Problem(f"goes on a {words[0]} that credits the line")
    if target is None:
        raise Problem('no line has this id: put line: "ID" on the line being credited')
    line = target.line
    if line.side != credit.side:
        raise Problem(f"the credited line is on the {line.side} side, this credit on the {credit.side} side: "
                      f"book the credit to {line.account}")
    if line.amount <= 0:
        raise Problem(f"the credited line is itself {words[1]}: credit-for goes on the credit of {words[2]}")
    if line.currency != credit.currency:
        raise Problem(f"the credited line is in {line.currency}, this credit in {credit.currency}: "
                      f"book it in {line.currency}")
    if credit.date < line.date:
        raise Problem(f"the credit ({credit.date}) is dated before the line it credits ({line.date}): "
                      f"date it on or after {line.date}")
    left = line.amount - target.credited
    if not left and credit.credit_kind != "dispute":
        raise Problem("nothing is left to credit on its line (credited in full, voided or written off): "
                      "remove this credit, or date it after a payment of the written-off invoice")
    if -credit.amount > left and credit.credit_kind != "dispute":
        raise Problem(f"credit of {-credit.amount} {credit.currency} is larger than the {left} {line.currency} "
                      f"left to credit on its line: credit at most {left} {line.currency}")


def _credit(
    target: Treated, reclassed: dict[str, Decimal], credit: Line, places: int, split: CreditSplit,
) -> tuple[Treated, Treated]:
    """The credited line with its schedule shrunk, and the credit line's own treatment.

    ``reclassed`` holds what the line's reclasses (tax, fee...) still hold after earlier credits; it is updated.
    """
    standing = target.line.amount - target.credited
    amount = min(-credit.amount, standing)  # a dispute can take more: the excess is a loss (Stripe's OtherLoss)
    past = [(day, piece) for day, piece in target.schedule if day <= credit.date]
    future = [(day, piece) for day, piece in target.schedule if day > credit.date]
    still_deferred = target.deferred - target.reversed - sum((piece for _, piece in past), ZERO)
    if split == "deferred-first" or not amount:  # deferred first, then what a payment of a write-off recovered
        shares = {"deferred": min(amount, still_deferred)}
        shares[RECOVERABLES] = min(amount - shares["deferred"], reclassed.get(RECOVERABLES, ZERO))
    else:
        shares = _in_proportion({"deferred": still_deferred, **reclassed}, amount, standing, places)
    for part, share in shares.items():
        if part in reclassed:
            reclassed[part] -= share
    later = [part for part, day in target.reclass_dates if day > credit.date and part in shares]
    for part in later:  # not yet reclassified (exclude on a later date): revenue until then, so the credit's
        moved = shares.pop(part)  # share of it goes to contra, and the later reclass shrinks by as much
        target = target._replace(reclasses=tuple((name, value - moved if name == part else value)
                                                 for name, value in target.reclasses))
    taken = shares["deferred"]
    contra = CONTRA[credit.credit_kind or "refund"]  # type: ignore[index]  # _check read the kind
    shares[contra] = amount - sum(shares.values(), ZERO)
    shares[OTHER_LOSS] = -credit.amount - amount
    scheduled = sum((piece for _, piece in future), ZERO)
    shrunk = _rescale(future, max(scheduled - taken, ZERO), places)
    updated = target._replace(schedule=past + shrunk, credited=target.credited + amount,
                              reversed=target.reversed + taken)
    return updated, _own(credit, tuple((part, -value) for part, value in shares.items() if value))


def _in_proportion(parts: dict[str, Decimal], amount: Decimal, standing: Decimal, places: int) -> dict[str, Decimal]:
    """Each part's share of a credit of ``amount`` on a line standing at ``standing`` (what is left of it).

    The shares' running sum is rounded half up (SPEC section 1), so they never add up to more than ``amount``.
    """
    quantum = Decimal(1).scaleb(-places)
    shares = {}
    exact = reached = ZERO
    for part, value in parts.items():
        exact += value * amount / standing
        rounded = min(exact.quantize(quantum, rounding="ROUND_HALF_UP"), amount)
        shares[part] = rounded - reached
        reached = rounded
    return shares


def _rescale(future: Schedule, total: Decimal, places: int) -> Schedule:
    """``future``'s dates carrying ``total`` in proportion to their amounts, exactly."""
    if not future or not total:
        return []
    scale = max([places] + [-int(piece.as_tuple().exponent) for _, piece in future])
    cumulative = []
    running = 0
    for _, piece in future:
        running += int(piece.scaleb(scale))
        cumulative.append(running)
    pieces = allocate(total, cumulative, running, places)
    return [(day, piece) for (day, _), piece in zip(future, pieces, strict=True) if piece]
