"""What every ``bean-revrec`` command shares: loading a ledger, the format option."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, TypeVar, get_args

import click
from beancount import loader

from beancount_revrec.config import Side
from beancount_revrec.output import ALIASES, FORMATS, TEXT, render
from beancount_revrec.reports import Books, read_books, waiting_for_payment
from beancount_revrec.reports.tables import Table

F = TypeVar("F", bound=Callable[..., Any])


class Format(click.Choice):  # type: ignore[type-arg]  # generic only from click 8.2
    """One of ``FORMATS``; an alias (``table``, text's old name) is taken for the format it names."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:  # noqa: ANN401
        """The format ``value`` names."""
        return super().convert(ALIASES.get(value, value), param, ctx)


def format_option(function: F) -> F:
    """The ``--format text|csv|json`` option (``table`` is text too)."""
    return click.option("--format", "fmt", type=Format(FORMATS), default=TEXT, show_default=True,
                        help="Output format: text (aligned tables; 'table' still works), csv or json.")(function)


def echo_table(table: Table, fmt: str) -> None:
    """Print a report's table as CSV or JSON (``--format csv|json``), as the Revenue page's downloads hold it."""
    click.echo(render(table.rows, table.columns, fmt), nl=False)


class Loaded(NamedTuple):
    """A ledger as Beancount loaded it, and its books (what every report reads)."""

    books: Books
    entries: list[Any]
    errors: list[Any]
    options_map: dict[str, Any]


def load(
    ledger: str, *, allow_errors: bool = False, allowed: tuple[type, ...] = (), side: Side = "revenue",
) -> Loaded:
    """Load a ledger (the plugin runs) and read the books of one ``side``, or stop with a one-line error.

    A ledger with errors is refused, unless ``allow_errors``, or unless every
    error is one of the ``allowed`` kinds (those the command itself fixes).
    """
    path = Path(ledger)
    if not path.is_file():
        raise click.ClickException(f"no such ledger file: {ledger}")
    entries, errors, options_map = loader.load_file(str(path))
    if not allow_errors and not all(isinstance(error, allowed) for error in errors):
        first = next(error for error in errors if not isinstance(error, allowed))
        where = f"{first.source.get('filename')}:{first.source.get('lineno')}" if first.source else ledger
        message = first.message.splitlines()[0] if first.message else ""
        raise click.ClickException(f"{ledger} has {len(errors)} error(s), first {where}: {message} "
                                   f"(run bean-check {ledger})")
    books, problems = read_books(entries, options_map)
    if books is None:
        raise click.ClickException(f"{ledger}: {problems[0]}")
    books = books.for_side(side)
    _warn_unpaid(books)
    return Loaded(books, entries, errors, options_map)


def as_of_date(books: Books, chosen: datetime.datetime | None) -> datetime.date:
    """The as-of date a command reports at: the one chosen, else the ledger's default (its last entry of the user's)."""
    if chosen is not None:
        return chosen.date()
    if books.as_of is None:
        raise click.ClickException("the ledger has no entries yet")
    return books.as_of


def side_option(function: F) -> F:
    """The ``--side revenue|expense`` option: which side of the books a report reads."""
    return click.option("--side", type=click.Choice(get_args(Side)), default="revenue", show_default=True,
                        help="revenue (deferred revenue, recognised) or expense (prepaid expenses and contract "
                             "costs, expensed).")(function)


def as_of_option(function: F) -> F:
    """The ``--as-of`` option, whose default every command and the Fava page share."""
    return click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                        help="Report as of this date (inclusive). Default: the date of the last entry you wrote "
                             "(generated entries do not count).")(function)


WARNINGS = "revrec-warnings"


def warn(message: str) -> None:
    """A line for standard error once the command has succeeded (a failure is only its one ``Error:`` line)."""
    context = click.get_current_context(silent=True)
    if context is not None:
        context.find_root().meta.setdefault(WARNINGS, []).append(message)


def _warn_unpaid(books: Books) -> None:
    """A warning about the lines that wait for a payment that has not come."""
    waiting = waiting_for_payment(books)
    if waiting:
        shown = ", ".join(f"{row.line} ({row.source})" for row in waiting[:3])
        more = f" and {len(waiting) - 3} more" if len(waiting) > 3 else ""
        warn(f'Warning: {len(waiting)} line(s) treated "from payment" have no payment yet and stay deferred: '
             f"{shown}{more}. A payment credits {books.config.receivable} and shares a link or the invoice: id "
             "with its invoice.")

