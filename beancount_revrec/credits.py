"""Credits and refunds (SPEC section 6.4): a positive line with ``credit-for:``.

A credit splits in proportion, as Stripe books credit notes and refunds: of
the credited line as it stands on the credit's date, the share still deferred
comes off deferred revenue (and the remaining schedule shrinks by as much), the
share reclassified (tax, fee...) comes off its account, and the share already
recognised goes to the contra account of the credit's kind. With
``credit-split: deferred-first`` the credit comes off what is still deferred
first and only the excess goes to contra.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Literal, get_args

from beancount_revrec.config import CreditSplit
from beancount_revrec.errors import Problem, RevrecError, guarded
from beancount_revrec.records import Treated
from beancount_revrec.schedule import ZERO, Schedule, allocate
from beancount_revrec.sources import Line
from beancount_revrec.treatment import Treatment

CREDIT_RULE = "credit"
CreditKind = Literal["refund", "credit-note", "dispute", "write-off"]
KINDS: tuple[CreditKind, ...] = get_args(CreditKind)
CONTRA: dict[CreditKind, str] = {"refund": "contra", "credit-note": "credit-note", "dispute": "dispute",
                                 "write-off": "write-off"}
"""The reclass category (and config key) of each kind's contra account: a refund's is ``contra``."""


def apply_credits(
    treated: list[Treated], credit_lines: list[Line], places: Callable[[str], int], split: CreditSplit,
) -> tuple[list[Treated], list[RevrecError]]:
    """Shrink credited lines' schedules and treat the credit lines themselves, in date order."""
    by_id: dict[str, int] = {}
    for index, item in enumerate(treated):
        if item.line.line_id is not None:
            by_id.setdefault(item.line.line_id, index)
    result = list(treated)
    reclassed = {index: dict(item.reclasses) for index, item in enumerate(treated) if item.reclasses}
    errors: list[RevrecError] = []
    for credit in sorted(credit_lines, key=lambda line: line.date):
        index = by_id.get(str(credit.credit_for), -1)
        try:
            _check(credit, None if index < 0 else result[index])
        except Problem as problem:
            errors.append(RevrecError(credit.meta, f'credit-for "{credit.credit_for}": {problem}', credit.entry))
            continue
        done = guarded(credit.meta, credit.entry, f'credit-for "{credit.credit_for}"', "the credit stays as booked",
                       partial(_credit, result[index], reclassed.get(index, {}), credit, places(credit.currency),
                               split))
        if isinstance(done, RevrecError):
            errors.append(done)
        else:
            result[index], own = done
            result.append(own)
    return result, errors


def _check(credit: Line, target: Treated | None) -> None:
    """Check that ``credit`` can credit ``target``, the line its ``credit-for:`` names.

    Raises:
        Problem: it cannot.
    """
    if credit.credit_kind is not None and credit.credit_kind not in KINDS:
        raise Problem(f'unknown credit-kind "{credit.credit_kind}": use one of {", ".join(KINDS)}')
    if credit.amount >= 0:
        raise Problem("goes on a positive posting (a debit to revenue) that credits the line")
    if target is None:
        raise Problem('no line has this id: put line: "ID" on the line being credited')
    line = target.line
    if line.amount <= 0:
        raise Problem("the credited line is itself a debit to revenue: credit-for goes on the credit of a sale")
    if line.currency != credit.currency:
        raise Problem(f"the credited line is in {line.currency}, this credit in {credit.currency}: "
                      f"book it in {line.currency}")
    if credit.date < line.date:
        raise Problem(f"the credit ({credit.date}) is dated before the line it credits ({line.date}): "
                      f"date it on or after {line.date}")
    if -credit.amount > line.amount - target.credited:
        left = line.amount - target.credited
        raise Problem(f"credit of {-credit.amount} {credit.currency} is larger than the {left} {line.currency} "
                      f"left to credit on its line: credit at most {left} {line.currency}")


def _credit(
    target: Treated, reclassed: dict[str, Decimal], credit: Line, places: int, split: CreditSplit,
) -> tuple[Treated, Treated]:
    """The credited line with its schedule shrunk, and the credit line's own treatment.

    ``reclassed`` holds what the line's reclasses (tax, fee...) still hold after earlier credits; it is updated.
    """
    amount = -credit.amount
    past = [(day, piece) for day, piece in target.schedule if day <= credit.date]
    future = [(day, piece) for day, piece in target.schedule if day > credit.date]
    still_deferred = target.deferred - target.reversed - sum((piece for _, piece in past), ZERO)
    if split == "deferred-first":
        shares = {"deferred": min(amount, still_deferred)}
    else:
        shares = _in_proportion({"deferred": still_deferred, **reclassed}, amount,
                                target.line.amount - target.credited, places)
    for part, share in shares.items():
        if part in reclassed:
            reclassed[part] -= share
    taken = shares["deferred"]
    contra = CONTRA[credit.credit_kind or "refund"]  # type: ignore[index]  # _check read the kind
    shares[contra] = amount - sum(shares.values(), ZERO)
    scheduled = sum((piece for _, piece in future), ZERO)
    shrunk = _rescale(future, max(scheduled - taken, ZERO), places)
    updated = target._replace(schedule=past + shrunk, credited=target.credited + amount,
                              reversed=target.reversed + taken)
    reclasses = tuple((part, -value) for part, value in shares.items() if value)
    own = Treated(credit, CREDIT_RULE, Treatment(f'credit-for "{credit.credit_for}"', ()), ZERO, reclasses, [])
    return updated, own


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
