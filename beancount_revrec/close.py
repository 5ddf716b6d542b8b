"""Closed periods and corrections (SPEC sections 6.3 and 8).

With books closed through D, the entries generated on or before D are frozen
text in the ledger. The plugin recomputes what it would generate through D,
compares it per ``revrec-key``, account and currency with the frozen entries,
and books each difference as a ``correction`` dated D + 1. Nothing it generates
is dated on or before D.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import partial
from typing import Any, NamedTuple

from beancount.core.amount import Amount
from beancount.core.data import Custom, Posting, Transaction

from beancount_revrec.directives import values_of
from beancount_revrec.errors import RevrecError, guarded
from beancount_revrec.meta import (
    CAUSE,
    CORRECTS,
    FROZEN,
    KEY,
    KIND,
    RECOMPUTED,
    RULE,
    SIDE,
    SOURCE_FIELDS,
    corrected_key,
    correction_key,
    is_generated,
    source_of,
)
from beancount_revrec.schedule import ONE_DAY

CLOSE = "revrec-close"
CLOSE_NOTE = "books closed"
Totals = dict[tuple[str, str], Decimal]  # (account, currency) -> number


class Closing(NamedTuple):
    """The close of a ledger: the date books are closed through, its directives and its frozen entries."""

    through: datetime.date | None  # the latest close, or None
    closes: list[Custom]
    frozen: list[Transaction]
    errors: list[RevrecError]


def read_closing(entries: Iterable[Any]) -> Closing:
    """The latest valid ``revrec-close`` and the frozen entries, checked.

    Frozen entries without a close, or with a ``revrec-key`` present twice, are
    errors. Without a close, books count as closed through the latest frozen
    entry, so that nothing is booked twice.
    """
    closes: list[Custom] = []
    frozen: list[Transaction] = []
    errors: list[RevrecError] = []
    keys: set[str] = set()
    for entry in entries:
        if isinstance(entry, Custom) and entry.type == CLOSE:
            problem = _close_problem(entry)
            if problem:
                errors.append(RevrecError(entry.meta, problem, entry))
            else:
                closes.append(entry)
        elif isinstance(entry, Transaction) and KIND in entry.meta:  # frozen
            key = entry.meta.get(KEY)
            if isinstance(key, str) and key and key not in keys:
                keys.add(key)
                frozen.append(entry)
            else:
                errors.append(RevrecError(entry.meta, _frozen_problem(key, keys), entry))
    through = max((close.date for close in closes), default=None)
    if through is None and frozen:
        through = max(entry.date for entry in frozen)
        errors.append(RevrecError(frozen[0].meta, (
            f"{len(frozen)} frozen revenue recognition entries (#revrec with revrec-key, like this one, up to "
            f'{through}) but no custom "{CLOSE}": the plugin would book them again. Put back the custom "{CLOSE}" '
            f"line (dated {through} or later, the close date), or delete the frozen entries with it"), frozen[0]))
    errors += [RevrecError(entry.meta, (f"frozen entry dated {entry.date}, after the close through {through}: "
                                        "a frozen entry belongs to a closed period; delete it (the plugin generates "
                                        "it) or close through its date"), entry)
               for entry in frozen if through is not None and entry.date > through]
    return Closing(through, closes, [entry for entry in frozen if through is None or entry.date <= through], errors)


def closed_through(entries: Iterable[Any]) -> datetime.date | None:
    """The date of the latest ``revrec-close`` (as written; ``read_closing`` checks it), or None."""
    return max((entry.date for entry in entries if isinstance(entry, Custom) and entry.type == CLOSE), default=None)


def _close_problem(entry: Custom) -> str | None:
    values = values_of(entry)
    if len(values) > 1 or (values and not isinstance(values[0], str)):
        return f'{CLOSE} takes at most a note: write {entry.date} custom "{CLOSE}" "closed by bean-revrec"'
    if entry.date == datetime.date.max:
        return (f"books cannot be closed through {entry.date}: corrections are booked the day after the close, "
                "and Beancount has no later date; close through an earlier date")
    return None


def _frozen_problem(key: object, keys: set[str]) -> str:
    """What is wrong with a frozen entry's ``revrec-key``: missing, or already frozen."""
    if isinstance(key, str) and key in keys:
        return (f'{KEY} "{key}" is frozen twice (the closed-books file included twice, or an entry copied): '
                "delete the copy")
    return (f"a transaction with {KIND} but no {KEY}: the plugin marks what it generates with both; "
            f"remove {KIND}: from your own transaction, or restore the {KEY}: of a frozen entry")


def is_frozen(entry: object) -> bool:
    """Whether an input entry is a frozen generated transaction (from the closed-books file)."""
    return isinstance(entry, Transaction) and is_generated(entry.meta)


def close_books(
    generated: list[Transaction], frozen: Sequence[Transaction], through: datetime.date,
) -> tuple[list[Transaction], list[Transaction], list[RevrecError]]:
    """Split what the engine generates at the close.

    Returns:
        The generated entries dated after ``through``, the corrections (dated
        ``through`` + 1 day) that bring the frozen entries to what is recomputed
        for the closed period, and the errors of keys that could not be compared.
    """
    later = [entry for entry in generated if entry.date > through]
    new, old = _by_key(entry for entry in generated if entry.date <= through), _by_key(frozen)
    keys = [*new, *(key for key in old if key not in new)]  # in the order made: fewer cache misses than a set's
    changed = sorted(key for key in keys if not _same(new.get(key, ()), old.get(key, ())))
    if not changed:  # the usual case
        return later, [], []
    sources = ({source_of(key) for key in new}, {source_of(key) for key in old})
    corrections, errors = [], []
    for key in changed:
        model = (new.get(key) or old[key])[0]
        made = guarded(model.meta, model, f"the correction of {key}", "no correction is booked for it",
                       partial(_corrected, key, new.get(key, []), old.get(key, []), through, sources))
        if isinstance(made, RevrecError):
            errors.append(made)
        elif made is not None:
            corrections.append(made)
    return later, corrections, errors


def _corrected(
    key: str, new: list[Transaction], old: list[Transaction], through: datetime.date,
    sources: tuple[set[str], set[str]],
) -> Transaction | None:
    """The correction of one key: what was recomputed minus what was frozen; None if they sum the same."""
    difference = _difference(totals(new), totals(old))
    if not difference:
        return None
    cause = _cause(key, new or None, old or None, *sources)
    return _correction(key, difference, new or old, through + ONE_DAY, new, old, cause)


def _by_key(entries: Iterable[Transaction]) -> dict[str, list[Transaction]]:
    grouped: dict[str, list[Transaction]] = defaultdict(list)
    for entry in entries:
        grouped[corrected_key(entry.meta)].append(entry)
    return grouped


def _same(new: Sequence[Transaction], old: Sequence[Transaction]) -> bool:
    """Whether the entries post the same units to the same accounts in the same order (decided without summing)."""
    if len(new) != len(old):
        return False
    for new_entry, old_entry in zip(new, old, strict=True):
        if len(new_entry.postings) != len(old_entry.postings):
            return False
        for posting, frozen in zip(new_entry.postings, old_entry.postings, strict=True):
            if posting.account != frozen.account or posting.units != frozen.units:
                return False
    return True


def totals(entries: Iterable[Any]) -> Totals:
    """The sum of the transactions' postings per account and currency."""
    sums: Totals = defaultdict(Decimal)
    for entry in entries:
        for posting in entry.postings if isinstance(entry, Transaction) else ():
            if posting.units is not None and posting.units.number is not None:
                sums[posting.account, posting.units.currency] += posting.units.number
    return sums


def _difference(new: Totals, old: Totals) -> Totals:
    return {key: new.get(key, Decimal(0)) - old.get(key, Decimal(0))
            for key in sorted(new.keys() | old.keys()) if new.get(key, Decimal(0)) != old.get(key, Decimal(0))}


def _size(entries: list[Transaction], currency: str, zero: Decimal = Decimal(0)) -> str:
    """The amount entries move: the sum of their debits (``zero`` when none, with its decimals)."""
    debits = sum((n for (_, c), n in totals(entries).items() if c == currency and n > 0), zero)
    return f"{debits} {currency}"


def _cause(
    key: str, new: list[Transaction] | None, old: list[Transaction] | None, new_sources: set[str],
    old_sources: set[str],
) -> str:
    sample = (new or old or [])[0]
    what = "contract" if "contract" in sample.meta else "line"
    source = source_of(key)
    if source not in new_sources:
        return f"{what} {source} removed or no longer generates entries in the closed period"
    if source not in old_sources:
        return f"{what} {source} added since the close, with entries in the closed period"
    if new and old and new[0].meta.get(RULE) != old[0].meta.get(RULE):
        return f"rule changed: {old[0].meta.get(RULE)} -> {new[0].meta.get(RULE)}"
    return f"{what} {source}: {_entry_change(sample, new, old)}"


def _entry_change(sample: Transaction, new: list[Transaction] | None, old: list[Transaction] | None) -> str:
    kind = sample.meta[KIND]
    if old is None:
        return f"new {kind} on {sample.date} (treatment, schedule or event changed)"
    if new is None:
        return f"{kind} on {sample.date} no longer generated (treatment, schedule or event changed)"
    currency = sample.postings[0].units.currency if sample.postings[0].units else ""
    if _size(new, currency) == _size(old, currency):
        return f"{kind} split between deferred revenue and contract asset changed"
    return f"{kind} amount changed ({'amount' if kind == 'deferral' else 'amount, event or item'})"


def _correction(
    key: str, difference: Totals, model: list[Transaction], day: datetime.date,
    new: list[Transaction], old: list[Transaction], cause: str,
) -> Transaction:
    sample = model[0]
    (_, currency), number = next(iter(difference.items()))
    zero = Decimal(0).quantize(number)  # "0.00 USD" where nothing was frozen or nothing remains
    keep = ("filename", "lineno", RULE, SIDE, *SOURCE_FIELDS)  # an expense line's correction is the expense side's
    meta = {name: sample.meta[name] for name in keep if name in sample.meta}
    meta.update({KIND: "correction", KEY: correction_key(key, day), CORRECTS: key,
                 FROZEN: _size(old, currency, zero), RECOMPUTED: _size(new, currency, zero), CAUSE: cause})
    location = {"filename": meta.get("filename"), "lineno": meta.get("lineno")}
    postings = [Posting(account, Amount(number, currency), None, None, None, location)
                for (account, currency), number in sorted(difference.items(), key=lambda item: -item[1])]
    return Transaction(meta, day, "*", sample.payee, f"Correction: {sample.narration}", sample.tags, sample.links,
                       postings)
