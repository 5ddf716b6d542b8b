"""Credits and refunds (SPEC section 6.4): a positive line with ``credit-for:``.

The part of the credit still deferred at the credit's date comes off the
credited line's remaining schedule, which shrinks in proportion; the part
exceeding what is still deferred goes to the ``contra`` account.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import partial

from beancount_revrec.errors import Problem, RevrecError, guarded
from beancount_revrec.records import Treated
from beancount_revrec.schedule import ZERO, Schedule, allocate
from beancount_revrec.sources import Line
from beancount_revrec.treatment import Treatment

CREDIT_RULE = "credit"


def apply_credits(
    treated: list[Treated], credit_lines: list[Line], places: Callable[[str], int],
) -> tuple[list[Treated], list[RevrecError]]:
    """Shrink credited lines' schedules and treat the credit lines themselves."""
    by_id: dict[str, int] = {}
    for index, item in enumerate(treated):
        if item.line.line_id is not None:
            by_id.setdefault(item.line.line_id, index)
    result = list(treated)
    errors: list[RevrecError] = []
    for credit in sorted(credit_lines, key=lambda line: line.date):
        index = by_id.get(str(credit.credit_for), -1)
        try:
            _check(credit, None if index < 0 else result[index])
        except Problem as problem:
            errors.append(RevrecError(credit.meta, f'credit-for "{credit.credit_for}": {problem}', credit.entry))
            continue
        done = guarded(credit.meta, credit.entry, f'credit-for "{credit.credit_for}"',
                       "the credit stays as booked", partial(_credit, result[index], credit, places(credit.currency)))
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


def _credit(target: Treated, credit: Line, places: int) -> tuple[Treated, Treated]:
    """The credited line with its schedule shrunk, and the credit line's own treatment."""
    amount = -credit.amount
    past = [(day, piece) for day, piece in target.schedule if day <= credit.date]
    future = [(day, piece) for day, piece in target.schedule if day > credit.date]
    still_deferred = target.deferred - target.reversed - sum((piece for _, piece in past), ZERO)
    taken = min(amount, still_deferred)
    scheduled = sum((piece for _, piece in future), ZERO)
    shrunk = _rescale(future, max(scheduled - taken, ZERO), places)
    updated = target._replace(schedule=past + shrunk, credited=target.credited + amount,
                              reversed=target.reversed + taken)
    reclasses = tuple((account, -value) for account, value in (("deferred", taken), ("contra", amount - taken))
                      if value)
    own = Treated(credit, CREDIT_RULE, Treatment(f'credit-for "{credit.credit_for}"', ()), ZERO, reclasses, [])
    return updated, own


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
