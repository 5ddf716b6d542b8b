"""``bean-revrec close``, ``reopen`` and ``corrections``: the period close.

The commands write only the closed-books file and one ``include`` line in the
main file, atomically, and check the result: the ledger is loaded again and
must have no new error and the very same balances (closing moves generated
entries into text; it never changes a number). Otherwise every file gets its
old text back.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, get_args

import click
from beancount import loader
from beancount.core.data import Custom, Transaction

from beancount_revrec.cli_support import Loaded, echo_table, format_option, load, side_option
from beancount_revrec.close import CLOSE, is_frozen, totals
from beancount_revrec.config import LAST_ENTRY, Side
from beancount_revrec.directives import is_custom
from beancount_revrec.locks import LOCKED, ClosedPeriodError, lock_entries, movements, read_locks
from beancount_revrec.output import TEXT, render
from beancount_revrec.reports import Books, correction_rows, month_start, read_books
from beancount_revrec.reports.tables import corrections_table
from beancount_revrec.schedule import ONE_DAY
from beancount_revrec.writer import (
    close_directive,
    closed_books_directives,
    closed_books_text,
    decode_ledger,
    default_closed_file,
    directives_text,
    encode_ledger,
    is_closed_books,
    replace_files,
    restore,
    with_include,
)

DATE = click.DateTime(formats=["%Y-%m-%d"])


@click.command()
@click.argument("ledger")
@click.option("--through", required=True, type=DATE, help="Close the books through this date (inclusive).")
@click.option("--file", "closed_file", type=click.Path(dir_okay=False), default=None,
              help="The closed-books file. Default: LEDGER's name with .closed before its extension.")
@click.option("--force", is_flag=True, help="Close even though the ledger has errors, or through a future date.")
@click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
def close(ledger: str, through: datetime.datetime, closed_file: str | None, force: bool, dry_run: bool) -> None:  # noqa: FBT001
    """Freeze every generated entry dated on or before --through into the closed-books file, and lock those months."""
    day, today = through.date(), datetime.date.today()  # noqa: DTZ011 - the user's calendar day
    if day > today and not force:
        raise click.ClickException(f"--through {day} is after today ({today}): closing the future would freeze "
                                   "revenue not yet earned; check the date, or add --force")
    loaded = load(ledger, allow_errors=force)
    current = loaded.books.closed_through
    if current is not None and day < current:
        raise click.ClickException(f"books are closed through {current}; to move the close back run "
                                   f"bean-revrec reopen {ledger} --through {day}")
    _check_horizon(loaded, ledger, day)
    main = Path(ledger)
    path = _closed_path(loaded, main, closed_file)
    new = [entry for books in _sides(loaded.books) for entry in (*books.generated, *books.unbooked)
           if entry.date <= day]
    cuts = [lock.date for lock in read_locks(loaded.entries)[0]]
    locks = _locks(loaded, current if cuts else None, day, cuts)
    if day == current and not new and not locks:
        click.echo(f"Books already closed through {day}: nothing to write.")
        return
    added = [*new, *locks, close_directive(day)]
    kept = [entry for entry in _own_directives(path) if not is_custom(entry, CLOSE)]  # the new close replaces it
    files = {path: encode_ledger(closed_books_text([*kept, *added]))}
    main_text = with_include(decode_ledger(main.read_bytes()), main, path)
    if main_text is not None:
        files[main] = encode_ledger(main_text)
    if dry_run:
        click.echo(f"Would freeze {len(new)} entries into {path} and lock {len(locks)} monthly account movements, "
                   f"closing through {day}"
                   + (f', and add include "{path.name}" to {main}' if main_text is not None else "") + ":\n")
        click.echo(directives_text(added), nl=False)
        return
    _write_checked(files, loaded, main)
    click.echo(f"Closed through {day}: froze {len(new)} entries into {path} and locked {len(locks)} monthly "
               "account movements.")


@click.command()
@click.argument("ledger")
@click.option("--through", required=True, type=DATE, help="The new close date, earlier than the current one.")
@click.option("--dry-run", is_flag=True, help="Show what would be removed; write nothing.")
def reopen(ledger: str, through: datetime.datetime, dry_run: bool) -> None:  # noqa: FBT001
    """Move the close back: remove the frozen entries after --through, so the plugin regenerates them.

    A ledger whose only errors are changes to closed months reopens: reopening is how to make such a change.
    """
    loaded = load(ledger, allowed=(ClosedPeriodError,))
    day, current = through.date(), loaded.books.closed_through
    if current is None:
        raise click.ClickException(f"{ledger} has no {CLOSE}: the books are open")
    if day >= current:
        raise click.ClickException(f"books are closed through {current}; reopen moves the close back, so give a "
                                   f"date before it (bean-revrec close moves it forward)")
    path = _closed_path(loaded, Path(ledger), None, reopening=True)
    frozen = [entry for books in _sides(loaded.books) for entry in books.frozen]
    written_elsewhere: list[Any] = [*frozen, *(entry for entry in loaded.entries
                                                             if is_custom(entry, CLOSE) or is_custom(entry, LOCKED))]
    elsewhere = [entry for entry in written_elsewhere
                 if entry.date > day and Path(entry.meta.get("filename", "")).resolve() != path.resolve()]
    if elsewhere:
        first = elsewhere[0]
        raise click.ClickException(
            f"{first.meta['filename']}:{first.meta['lineno']} closes or freezes {first.date}, after {day}, in a file "
            f"bean-revrec does not write: reopen through {max(entry.date for entry in elsewhere)} or later")
    written = _own_directives(path)
    keep = [entry for entry in written
            if not is_custom(entry, CLOSE) and not (_closing_part(entry) and entry.date > day)]
    cuts = [lock.date for lock in read_locks(loaded.entries)[0] if lock.date <= day]  # the locks that stay
    straddle = [] if day in cuts else _locks(loaded, max([month_start(day) - ONE_DAY, *cuts]), day, cuts)
    removed = sum(1 for entry in written if is_frozen(entry)) - sum(1 for entry in keep if is_frozen(entry))
    if dry_run:
        click.echo(f"Would remove {removed} frozen entries after {day} from {path} and close through {day}.")
        return
    _write_checked({path: encode_ledger(closed_books_text([*keep, *straddle, close_directive(day)]))}, loaded,
                   Path(ledger), day)
    click.echo(f"Reopened after {day}: removed {removed} frozen entries from {path}.")


def _check_horizon(loaded: Loaded, ledger: str, day: datetime.date) -> None:
    """Refuse a close after a ``book-until`` date: the plugin books nothing after it to freeze.

    With ``last-entry`` the close is the last entry once written, so the horizon moves to it: what the engine
    scheduled up to the close (``Books.unbooked``) is frozen with the rest.
    """
    books = loaded.books
    if books.horizon is not None and books.config.book_until != LAST_ENTRY and day > books.horizon:
        raise click.ClickException(f"--through {day} is after the booking horizon (book-until {books.horizon} in the "
                                   f"plugin line of {ledger}): nothing after it is booked, so nothing there can be "
                                   f"frozen; set book-until to {day} or later (or '{LAST_ENTRY}') first")


def _locks(
    loaded: Loaded, after: datetime.date | None, through: datetime.date, cuts: list[datetime.date],
) -> list[Custom]:
    """The locks of what the locked accounts moved in (after, through], by closed period (cut at ``cuts``).

    Movements are those of the ledger as booked without a horizon (``Books.scheduled``): what the close freezes.
    """
    moved = movements(_scheduled(loaded.books), loaded.books.locked, after, through, cuts)
    return lock_entries(moved, {"filename": "<bean-revrec>", "lineno": 0})


def _sides(books: Books) -> list[Books]:
    """The books of each side, revenue and expense: a close freezes and locks what both generated."""
    return [books.for_side(side) for side in get_args(Side)]


def _scheduled(books: Books) -> list[Any]:
    """The ledger as the plugin books it without a horizon, both sides: its entries and each side's unbooked."""
    unbooked: list[Transaction] = [entry for side in _sides(books) for entry in side.unbooked]
    return [*books.entries, *unbooked]


def _closing_part(entry: object) -> bool:
    """Whether an entry is part of a close: a frozen entry, a lock or a close directive."""
    return is_frozen(entry) or is_custom(entry, CLOSE) or is_custom(entry, LOCKED)


def _own_directives(path: Path) -> list[Any]:
    """The directives already in the closed-books file (none if it is new): a rewrite keeps every one."""
    if not path.exists():
        return []
    try:
        return closed_books_directives(path)
    except OSError as exc:
        raise click.ClickException(f"nothing was written: {exc}") from None


@click.command()
@click.argument("ledger")
@side_option
@format_option
def corrections(ledger: str, side: Side, fmt: str) -> None:
    """List the corrections the ledger books, with their causes: those of earlier closes (frozen) and the open period's.

    A correction is dated the day after the close it follows; the open period's are the latest. With --side
    expense, the corrections of prepaid expenses and contract costs.
    """
    books = load(ledger, side=side).books
    rows = correction_rows(books.booked)
    if books.closed_through is None and fmt == TEXT:
        click.echo(f"The books of {ledger} are not closed (no {CLOSE}), so there are no corrections; "
                   f"close them with bean-revrec close {ledger} --through DATE.")
        return
    if fmt == TEXT:
        click.echo(f"Books closed through {books.closed_through}; {len(rows)} correction(s).")
        if not rows:
            return
    if fmt != TEXT:
        echo_table(corrections_table(rows), fmt)
        return
    click.echo(render(rows, ["date", "corrects", "frozen", "recomputed", "cause"], fmt), nl=False)


def _closed_path(loaded: Loaded, main: Path, chosen: str | None, *, reopening: bool = False) -> Path:
    """The closed-books file: where the latest close is, if bean-revrec wrote it; else ``chosen`` or the default.

    Only a file bean-revrec wrote (or a new one) is ever rewritten. A close in
    another file (``bean-revrec example`` writes one into the ledger) stays
    there with its frozen entries; the next close goes to a closed-books file.
    """
    closes = [entry for entry in loaded.entries if is_custom(entry, CLOSE)]
    path = Path(chosen) if chosen is not None else default_closed_file(main)
    latest = max(closes, key=lambda entry: entry.date) if closes else None
    if latest is not None and is_closed_books(Path(latest.meta["filename"])):
        existing = Path(latest.meta["filename"])
        if chosen is not None and path.resolve() != existing.resolve():
            raise click.ClickException(f"the books are already closed in {existing}; keep using that file")
        return existing
    if latest is not None and reopening:
        raise click.ClickException(f"{latest.meta['filename']}:{latest.meta['lineno']} closes the books through "
                                   f"{latest.date} in a file bean-revrec does not write, so it cannot move that "
                                   "close back")
    if path.exists() and not is_closed_books(path):
        raise click.ClickException(f"{path} exists and was not written by bean-revrec; choose another with --file")
    return path


def _write_checked(
    files: dict[Path, bytes], loaded: Loaded, main: Path, closed: datetime.date = datetime.date.max,
) -> None:
    """Write the files, then load the ledger again: no new error and the same balances, or undo.

    The same balances: each month's, through ``closed`` (a reopen changes the
    months it opens, never a month still closed), and each account's in all.
    """
    try:
        previous = replace_files(files)
    except OSError as exc:
        raise click.ClickException(f"nothing was written: {exc}") from None
    entries, errors, options_map = loader.load_file(str(main))
    problem = None
    if len(errors) > len(loaded.errors):
        problem = f"the ledger would have errors, first: {errors[0].message.splitlines()[0]}"
    else:  # with a booking horizon, the ledger as booked without one: a close may move the horizon
        books = read_books(entries, options_map)[0]
        problem = _balance_change(_scheduled(loaded.books), _scheduled(books) if books else entries, closed)
    if problem is not None:
        restore(previous)
        raise click.ClickException(f"{problem}; every file was left as it was")


class _EveryAccount(dict[str, datetime.date | None]):
    """``locks.movements``' account filter that takes every account, from the start."""

    def __missing__(self, account: str) -> datetime.date | None:
        return datetime.date.min


def _balance_change(before: Sequence[Any], after: Sequence[Any], closed: datetime.date) -> str | None:
    """What a write changed in the ledger's balances (each month's through ``closed``, then each account's)."""
    every = _EveryAccount()
    for monthly, old, new in ((True, movements(before, every, None, closed, []),
                               movements(after, every, None, closed, [])),
                              (False, _in_all(before), _in_all(after))):
        changed = sorted(key for key in old.keys() | new.keys() if old.get(key) != new.get(key))
        if changed:
            when, account, currency = changed[0]
            was, now = old.get(changed[0], Decimal(0)), new.get(changed[0], Decimal(0))
            period = f"in the period ending {when}" if monthly else "in all"
            return (f"the ledger's balances would change ({len(changed)} in all), first {account} {period}: "
                    f"{was} {currency} before, {now} {currency} after. Closing and reopening only move generated "
                    "entries between the plugin and text, so the text written does not reproduce them (or a file "
                    "changed meanwhile); please report it")
    return None


def _in_all(entries: Sequence[Any]) -> dict[tuple[datetime.date, str, str], Decimal]:
    """Each account's balance over all dates (keyed like ``movements``; the date says nothing)."""
    return {(datetime.date.max, account, currency): number
            for (account, currency), number in totals(entries).items() if number}
