"""What every ``bean-revrec`` command shares: loading a ledger, the format option."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import click
from beancount import loader

from beancount_revrec.ledger import Result, analyse, plugin_config, user_entries
from beancount_revrec.output import FORMATS
from beancount_revrec.reports import waiting_for_payment

F = TypeVar("F", bound=Callable[..., Any])


def format_option(function: F) -> F:
    """The ``--format table|csv|json`` option."""
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
                        help="Output format.")(function)


class Loaded(NamedTuple):
    """A ledger as Beancount loaded it, and the engine's result."""

    result: Result
    entries: list[Any]
    errors: list[Any]
    options_map: dict[str, Any]


def load(ledger: str, *, allow_errors: bool = False, allowed: tuple[type, ...] = ()) -> Loaded:
    """Load and analyse a ledger, or stop with a one-line error.

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
    try:
        result = analyse(user_entries(entries), options_map, plugin_config(options_map))
    except LookupError as exc:
        raise click.ClickException(f"{ledger}: {exc}") from None
    if isinstance(result, list):
        raise click.ClickException(f"{ledger}: {result[0]}")
    _warn_unpaid(result)
    return Loaded(result, entries, errors, options_map)


WARNINGS = "revrec-warnings"


def warn(message: str) -> None:
    """A line for standard error once the command has succeeded (a failure is only its one ``Error:`` line)."""
    context = click.get_current_context(silent=True)
    if context is not None:
        context.find_root().meta.setdefault(WARNINGS, []).append(message)


def _warn_unpaid(result: Result) -> None:
    """A warning about the lines that wait for a payment that has not come."""
    waiting = waiting_for_payment(result)
    if waiting:
        shown = ", ".join(f"{row['line']} ({row['source']})" for row in waiting[:3])
        more = f" and {len(waiting) - 3} more" if len(waiting) > 3 else ""
        warn(f'Warning: {len(waiting)} line(s) treated "from payment" have no payment yet and stay deferred: '
             f"{shown}{more}. A payment credits {result.config.receivable} and shares a link or the invoice: id "
             "with its invoice.")

