"""The plugin's pipeline (engine, generation, close, locks) and what the faces share with it: config, places."""

from __future__ import annotations

import datetime
import gc
import glob
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from beancount.core.data import Custom, Open, Transaction
from beancount.core.display_context import DisplayContext, Precision

from beancount_revrec.close import CLOSE, close_books, read_closing
from beancount_revrec.config import LAST_ENTRY, Config, parse_config
from beancount_revrec.contract_directives import Item
from beancount_revrec.engine import Analysis, Places, treat
from beancount_revrec.entries import GENERATED_FILE, generate
from beancount_revrec.errors import RevrecError
from beancount_revrec.locks import Attempt, ClosedPeriodError, Locked, check_locks, read_locks
from beancount_revrec.meta import KIND, RULE, corrected_key, source_of
from beancount_revrec.sources import Line, Membership

PLUGIN_NAMES = ("beancount_revrec", "beancount_revrec.plugin")
DEFAULT_PLACES = 2


class Result(NamedTuple):
    """What the plugin adds to a ledger, with the configuration it used and its errors."""

    config: Config
    generated: list[Transaction]  # dated after the close, corrections included
    frozen: list[Transaction]  # the closed period's entries, as written in the ledger
    errors: list[RevrecError]


def analyse(
    entries: Sequence[Any], options_map: dict[str, Any], config_str: str | None,
) -> tuple[Result | None, list[str]]:
    """Run the engine over the entries the plugin sees; None and the config's problems if it is bad.

    ``entries`` are the user's entries and the frozen ones of the closed-books file.

    Returns:
        The result and the config's warnings (a bad ``book-until``, then ignored), or None and its problems.
    """
    config, problems, warnings = parse_config(config_str, options_map)
    if problems:
        return None, problems
    return _analyse(entries, options_map, config), warnings


def _analyse(entries: Sequence[Any], options_map: dict[str, Any], config: Config) -> Result:
    places = currency_places(config, options_map.get("dcontext"))
    analysis = treat(entries, config, places, include_positions(options_map))
    generated, generate_errors = generate(analysis, config)
    closing = read_closing(entries)
    errors = analysis.errors + generate_errors + closing.errors
    through = closing.through
    until = book_until(config, entries)
    if through is None:
        return Result(config, booked_until(generated, until), [], errors)
    errors += _close_beyond_horizon(until, closing.closes)
    later, corrections, correction_errors = close_books(generated, closing.frozen, through)
    lock_errors: list[RevrecError] = []
    if closing.closes:  # locks lock what a close closed
        locks, lock_errors = read_locks(entries)
        latest = max(closing.closes, key=lambda close: close.date)
        suspects = partial(_changed_in_closed_period, analysis, generated, closing.frozen, through)
        locked = locked_accounts(config, analysis.contracts.items, analysis.lines)
        lock_errors += check_locks(entries, locks, latest, locked, suspects, str(options_map.get("filename", "LEDGER")),
                                   frozen=bool(closing.frozen))
    return Result(config, booked_until(later, booking_horizon(until, through)) + corrections, closing.frozen,
                  errors + correction_errors + lock_errors)


def last_entry_date(entries: Iterable[Any]) -> datetime.date | None:
    """The date of the last entry the user wrote, None if there is none.

    Generated entries (frozen ones too) and the Open directives the plugin adds do not count.
    """
    return max((entry.date for entry in entries if KIND not in entry.meta
                and not (isinstance(entry, Open) and entry.meta.get("filename") == GENERATED_FILE)), default=None)


def book_until(config: Config, entries: Iterable[Any]) -> datetime.date | None:
    """The ``book-until`` date of the config (``last-entry``: the date of the last entry the user wrote), or None."""
    return last_entry_date(entries) if config.book_until == LAST_ENTRY else config.book_until


def booking_horizon(until: datetime.date | None, through: datetime.date | None) -> datetime.date | None:
    """The date after which the plugin books no generated entry but corrections; None: it books everything.

    It is the ``book-until`` date, or the close if that is later (an error: ``_close_beyond_horizon``): the
    closed period's entries are frozen text, and a close's corrections are always booked.
    """
    return None if until is None else max(until, through or until)


def booked_until(generated: list[Transaction], horizon: datetime.date | None) -> list[Transaction]:
    """The generated entries dated on or before the horizon (all of them without one)."""
    return generated if horizon is None else [entry for entry in generated if entry.date <= horizon]


def _close_beyond_horizon(until: datetime.date | None, closes: list[Custom]) -> list[RevrecError]:
    """The error of a close after the ``book-until`` date (one ``bean-revrec reopen`` fixes, as a closed period's)."""
    if until is None or not closes:
        return []
    close = max(closes, key=lambda close: close.date)
    if close.date <= until:
        return []
    return [ClosedPeriodError(close.meta, (
        f"{CLOSE} through {close.date} is after the booking horizon (book-until {until}): the closed period's "
        f"entries are frozen text, so the books run to {close.date} (the plugin then books its corrections and "
        f"nothing later); set book-until to {close.date} or later, or '{LAST_ENTRY}', or reopen the books through "
        f"{until}"), close)]


def locked_accounts(config: Config, items: Iterable[Item], lines: Iterable[Line] = ()) -> Locked:
    """From which day a close locks an account (``locked[account]``): the plugin reads or posts to it.

    Every revenue account, the plugin's own and the contract items' are locked from the start; the account of
    an expense line from its first line's day (not every expense account: an ordinary expense is none of the
    close's business).
    """
    since: dict[str, datetime.date] = {}
    for line in lines:
        if line.side == "expense" and line.date < since.get(line.account, datetime.date.max):
            since[line.account] = line.date
    return Locked(Membership((*config.revenue, *config.own_accounts(), *sorted({item.account for item in items}))),
                  since)


def _changed_in_closed_period(
    analysis: Analysis, generated: list[Transaction], frozen: list[Transaction], through: datetime.date,
) -> list[Attempt]:
    """Lines in the closed period added after the close, or whose amount changed since.

    Added: they generate entries there, none frozen. Changed: under the same rule, what they defer and
    reclassify on their date differs from what was frozen.
    """
    made, kept = _on_line_dates(entry for entry in generated if entry.date <= through), _on_line_dates(frozen)
    attempts = []
    for item in analysis.treated:
        line = item.line
        if line.date > through or line.entry is None or line.key not in made:  # a contract item has no line
            continue
        new, old = made[line.key], kept.get(line.key)
        change = None if old is None else (old[1], new[1])
        if old is None or (old[0] == new[0] and old[1] != new[1]):
            attempts.append(Attempt(line.meta, line.key, line.entry, line.account, line.currency, change))
    return attempts


def _on_line_dates(entries: Iterable[Transaction]) -> dict[str, tuple[str, Decimal]]:
    """Per source line: its rule and what its deferral and reclasses move (their debits)."""
    found: dict[str, tuple[str, Decimal]] = {}
    for entry in entries:
        source = source_of(corrected_key(entry.meta))
        rule, moved = found.get(source, ("", Decimal(0)))
        if entry.meta.get(KIND) in ("deferral", "reclass"):
            rule = str(entry.meta.get(RULE))
            moved += sum((number for number in (p.units.number for p in entry.postings if p.units) if number
                          and number > 0), Decimal(0))
        found[source] = (rule, moved)
    return found


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector during the plugin's run, and restore it after.

    The plugin makes hundreds of thousands of small, acyclic tuples; each
    collection during the run would walk the whole ledger again for nothing
    (the benchmark shows it). Nothing else changes: no freeze, which would
    outlive the load in Fava's server.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def plugin_config(options_map: dict[str, Any]) -> str | None:
    """The config string of the ledger's ``plugin "beancount_revrec"``.

    Raises:
        LookupError: the ledger does not enable the plugin.
    """
    for name, config in options_map.get("plugin", ()):
        if name in PLUGIN_NAMES:
            return str(config) if config is not None else None
    raise LookupError('the ledger does not enable the plugin: add plugin "beancount_revrec"')


def currency_places(config: Config, dcontext: DisplayContext | None) -> Places:
    """Decimal places per currency: the config's, else the ledger's most common, else 2."""
    known: dict[str, int] = dict(config.precision)

    def places(currency: str) -> int:
        if currency not in known:
            context = dcontext.ccontexts.get(currency) if dcontext is not None else None
            found = context.get_fractional(Precision.MOST_COMMON) if context is not None else None
            known[currency] = DEFAULT_PLACES if found is None else found
        return known[currency]

    return places


_INCLUDE = re.compile(r'^include\s+"([^"]+)"', re.MULTILINE)


def include_positions(options_map: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """For each file of the ledger, the include line numbers that lead to it from the main file.

    Sorting by these, then by line number, orders directives as if every include
    were written out in place (Beancount keeps no include order: its list is
    sorted). Paths are resolved as Beancount's loader resolves them. A ledger of
    one file needs none (and is not read again).
    """
    positions: dict[str, tuple[int, ...]] = {}
    main = options_map.get("filename")
    if len(options_map.get("include") or ()) <= 1:
        return positions
    pending: list[tuple[str, tuple[int, ...]]] = [(os.path.abspath(main), ())] if main else []
    while pending:
        name, position = pending.pop()
        if name in positions or not os.path.isfile(name):
            continue
        positions[name] = position
        try:
            text = Path(name).read_text(encoding="utf-8", errors="replace")
        except OSError:  # Beancount reports a file it cannot read
            continue
        for match in _INCLUDE.finditer(text):
            lineno = text.count("\n", 0, match.start()) + 1
            pattern = os.path.join(os.path.dirname(name), match.group(1))
            pending += [(os.path.normpath(found), (*position, lineno))
                        for found in sorted(glob.glob(pattern, recursive=True))]
    return positions
