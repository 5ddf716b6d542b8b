"""Locked closed months (SPEC section 8): a transaction added or changed in a closed month is an error.

``bean-revrec close`` writes, beside the frozen entries, what each account the
plugin reads or posts to moved in each closed period::

    2022-01-31 custom "revrec-locked" Income:Sales -1017.00 USD

A period is a calendar month, cut at the close date (books closed through
2022-06-15 lock June 1-15, a later close the rest of June); a lock is dated
the period's last day and holds the sum of the account's postings in it. No
lock means the account moved nothing then. The locks' dates are the periods'
ends: a month cut by an earlier close keeps its cut only where something moved
before it (otherwise the whole month moved what its second part did). On every
load the plugin sums the same postings again: where they differ, a closed month
changed after its close.
"""

from __future__ import annotations

import bisect
import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from beancount.core.account import TYPE as ACCOUNT_TYPE
from beancount.core.amount import Amount
from beancount.core.data import Custom, Transaction
from beancount.parser.grammar import ValueType

from beancount_revrec.directives import values_of
from beancount_revrec.errors import RevrecError
from beancount_revrec.schedule import ONE_DAY, month_end

LOCKED = "revrec-locked"
Movements = dict[tuple[datetime.date, str, str], Decimal]  # (period end, account, currency) -> sum of postings


class ClosedPeriodError(RevrecError):
    """A closed period changed after its close: reopening the books before it is one fix."""

    __slots__ = ()


class Locked(dict[str, datetime.date | None]):
    """The day from which a close locks an account's postings, looked up as ``locked[account]``; None: never.

    Accounts under ``always`` (revenue, the plugin's own, contract items') are locked from the start; an expense
    line's account from its first line's day (``since``): its ordinary expenses before that are none of the
    close's business, also when its first prepaid cost comes after a close.
    """

    def __init__(self, always: Mapping[str, bool], since: Mapping[str, datetime.date]) -> None:
        """Lock the accounts of ``always`` from the start, and each of ``since`` from its day."""
        super().__init__()
        self.always = always
        self.since = since

    def __missing__(self, account: str) -> datetime.date | None:
        """The day from which ``account`` is locked, or None."""
        found = self[account] = datetime.date.min if self.always[account] else self.since.get(account)
        return found


def is_locked(locked: Mapping[str, datetime.date | None], account: str, day: datetime.date) -> bool:
    """Whether a posting to ``account`` dated ``day`` is locked."""
    since = locked[account]
    return since is not None and day >= since


class Lock(NamedTuple):
    """What ``account`` moved in ``currency`` in the closed period ending on ``date``."""

    entry: Custom
    date: datetime.date
    account: str
    number: Decimal
    currency: str


def read_locks(entries: Iterable[Any]) -> tuple[list[Lock], list[RevrecError]]:
    """Every ``revrec-locked`` directive."""
    locks, errors = [], []
    for entry in entries:
        if isinstance(entry, Custom) and entry.type == LOCKED:
            values = values_of(entry)
            if len(values) == 2 and isinstance(values[0], str) and isinstance(values[1], Amount) \
                    and values[1].number is not None:
                locks.append(Lock(entry, entry.date, values[0], values[1].number, values[1].currency))
            else:
                errors.append(RevrecError(entry.meta, f'{LOCKED} needs an account and an amount, as '
                                          f'bean-revrec close writes it: {entry.date} custom "{LOCKED}" '
                                          "Income:Sales -1017.00 USD", entry))
    return locks, errors


class PeriodEnds(dict[datetime.date, datetime.date]):
    """Memoised: the last day of a date's closed period, its month's end or a cut before it in that month."""

    def __init__(self, cuts: Iterable[datetime.date]) -> None:
        """Periods cut at the month ends and at ``cuts``."""
        super().__init__()
        self.cuts = sorted(set(cuts))

    def __missing__(self, day: datetime.date) -> datetime.date:
        """The end of ``day``'s period."""
        index = bisect.bisect_left(self.cuts, day)
        found = month_end(day)
        if index < len(self.cuts) and self.cuts[index] < found:
            found = self.cuts[index]
        self[day] = found
        return found


def movements(
    entries: Iterable[Any], locked: Mapping[str, datetime.date | None], after: datetime.date | None,
    through: datetime.date,
    cuts: Sequence[datetime.date],
) -> Movements:
    """The sums of the postings of ``locked`` accounts per period, for transactions dated in (after, through]."""
    end = PeriodEnds([*cuts, through])
    sums: Movements = defaultdict(Decimal)
    first = after or datetime.date.min
    for entry in entries:
        if first < entry.date <= through and isinstance(entry, Transaction):
            for posting in entry.postings:
                units = posting.units
                if is_locked(locked, posting.account, entry.date) and units is not None and units.number is not None:
                    sums[end[entry.date], posting.account, units.currency] += units.number
    return {key: number for key, number in sums.items() if number}


def lock_entries(moved: Movements, meta: dict[str, Any]) -> list[Custom]:
    """The ``revrec-locked`` directives that record ``moved``, by date, account and currency."""
    return [Custom(meta, day, LOCKED, [ValueType(account, ACCOUNT_TYPE),  # type: ignore[arg-type] # as Beancount's
                                       ValueType(Amount(number, currency), Amount)])  # parser marks an account
            for (day, account, currency), number in sorted(moved.items())]


class Attempt(NamedTuple):
    """A line in the closed period that was added after the close, or whose amount changed since."""

    meta: dict[str, Any]
    key: str
    entry: Transaction
    account: str
    currency: str
    change: tuple[Decimal, Decimal] | None = None  # what it deferred and reclassified: frozen, now; None: added


def check_locks(
    entries: Sequence[Any], locks: list[Lock], latest: Custom, locked: Mapping[str, datetime.date | None],
    suspects: Callable[[], list[Attempt]], ledger: str, *, frozen: bool,
) -> list[RevrecError]:
    """Errors where a closed period's postings no longer sum to what the close locked.

    ``frozen`` says whether the close froze anything. ``suspects`` finds the
    lines in the closed period added or changed since the close, as their
    frozen entries tell (only if something changed). Where one explains a
    difference, the error is at that line; the rest name the account, period
    and difference.
    """
    through = latest.date
    boundaries = [lock.date for lock in locks if lock.date <= through]
    differences = movements(entries, locked, None, through, boundaries)
    for lock in locks:
        if lock.date <= through:
            key = (lock.date, lock.account, lock.currency)
            differences[key] = differences.get(key, Decimal(0)) - lock.number
    differences = {key: number for key, number in differences.items() if number}
    if not differences:
        return []
    if not locks:
        return [_unlocked(latest, ledger, frozen=frozen)]
    end = PeriodEnds([*boundaries, through])
    lines = suspects()
    errors = [error for suspect in lines if suspect.change is not None
              for error in _changed(suspect, suspect.change, differences, end, through, ledger)]
    errors += _added(lines, differences, end, locked, through, ledger)
    where = {(lock.date, lock.account, lock.currency): lock for lock in locks}
    for (day, account, currency), difference in sorted(differences.items()):
        if not difference:
            continue
        found = where.get((day, account, currency))
        was = found.number if found else Decimal(0)
        source = found.entry if found else latest
        errors.append(ClosedPeriodError(source.meta, (
            f"the closed period ending {day} changed after the close: {account} moves "
            f"{was + difference} {currency} in it, the close locked {was} {currency} (a difference of "
            f"{difference} {currency}). A transaction dated on or before {through} was added, changed or "
            f"removed: date it after {through}, or reopen the books first "
            f"(bean-revrec reopen {ledger} --through {_before(day)})"), source))
    return errors


def _unlocked(latest: Custom, ledger: str, *, frozen: bool) -> RevrecError:
    """The error of a close without locks: an older close, or one written by hand."""
    through = latest.date
    fix = (f"lock them with bean-revrec close {ledger} --through {through} --force" if frozen else
           f"a close written by hand freezes nothing (what the plugin generated through {through} moves to the "
           f"next day): delete it and run bean-revrec close {ledger} --through {through}")
    return ClosedPeriodError(latest.meta, f"books are closed through {through} but their months are not locked "
                                          f"(no {LOCKED} directive): {fix}", latest)


def _added(
    suspects: list[Attempt], differences: dict[tuple[datetime.date, str, str], Decimal], end: PeriodEnds,
    locked: Mapping[str, datetime.date | None], through: datetime.date, ledger: str,
) -> list[RevrecError]:
    """Errors at the lines added after the close whose transactions explain a difference (then taken off it)."""
    errors: list[RevrecError] = []
    explained: set[int] = set()
    for suspect in suspects:
        entry = suspect.entry
        if suspect.change is not None:
            continue
        if id(entry) not in explained:
            moved = [((end[entry.date], p.account, p.units.currency), p.units.number) for p in entry.postings
                     if is_locked(locked, p.account, entry.date) and p.units is not None and p.units.number is not None]
            if not moved or not all(_within(number, differences.get(key, Decimal(0))) for key, number in moved):
                continue
            explained.add(id(entry))
            for key, number in moved:
                differences[key] -= number
        errors.append(ClosedPeriodError(suspect.meta, (
            f"line {suspect.key} is dated {entry.date}, in the closed period (books closed through {through}), "
            f"and was added after the close: date it after {through}, or reopen the books first "
            f"(bean-revrec reopen {ledger} --through {_before(end[entry.date])})"), entry))
    return errors


def _changed(
    suspect: Attempt, change: tuple[Decimal, Decimal], differences: dict[tuple[datetime.date, str, str], Decimal],
    end: PeriodEnds, through: datetime.date, ledger: str,
) -> list[RevrecError]:
    """The error at a closed line whose amount changed, if its account's closed balance moved.

    A changed rule or ``revrec:`` treatment moves none: that is a correction.
    """
    day = end[suspect.entry.date]
    if not differences.get((day, suspect.account, suspect.currency)):
        return []
    frozen, now = change
    return [ClosedPeriodError(suspect.meta, (
        f"line {suspect.key} is dated {suspect.entry.date}, in the closed period (books closed through {through}), "
        f"and its amount changed after the close (it deferred or reclassified {frozen} {suspect.currency} then, "
        f"{now} {suspect.currency} now): undo the change and book the difference after {through} (an invoice or a "
        f"credit note), or reopen the books first (bean-revrec reopen {ledger} --through {_before(day)})"),
        suspect.entry)]


def _within(number: Decimal, difference: Decimal) -> bool:
    """Whether a posting can be part of a difference: same sign, no larger."""
    return bool(number) and (number > 0) == (difference > 0) and abs(number) <= abs(difference)


def _before(period_end: datetime.date) -> datetime.date:
    """The last day before the month of the period that ends on ``period_end`` (a day to reopen through)."""
    first = period_end.replace(day=1)
    return first - ONE_DAY if first > datetime.date.min else first
