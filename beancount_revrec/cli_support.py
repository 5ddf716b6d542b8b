"""What every ``bean-revrec`` command shares: loading a ledger, the format option."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import click
from beancount import loader

from beancount_revrec.close import totals
from beancount_revrec.ledger import Result, analyse, plugin_config, user_entries
from beancount_revrec.output import FORMATS

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


def load(ledger: str, *, allow_errors: bool = False) -> Loaded:
    """Load and analyse a ledger, or stop with a one-line error."""
    path = Path(ledger)
    if not path.is_file():
        raise click.ClickException(f"no such ledger file: {ledger}")
    entries, errors, options_map = loader.load_file(str(path))
    if errors and not allow_errors:
        first = errors[0]
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
    return Loaded(result, entries, errors, options_map)


def balances(entries: list[Any]) -> dict[tuple[str, str], Decimal]:
    """The non-zero sums of every transaction's postings per account and currency."""
    return {key: value for key, value in totals(entries).items() if value}
