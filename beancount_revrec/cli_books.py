"""``bean-revrec close``, ``reopen`` and ``corrections``: the period close.

The commands write only the closed-books file and one ``include`` line in the
main file, atomically, and check the result: the ledger is loaded again and
must have no new error and the very same balances (closing moves generated
entries into text; it never changes a number). Otherwise every file gets its
old text back.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import click
from beancount import loader
from beancount.core.data import Custom
from beancount.parser import printer

from beancount_revrec.cli_support import Loaded, balances, format_option, load
from beancount_revrec.close import CLOSE
from beancount_revrec.output import render
from beancount_revrec.revenue import correction_row
from beancount_revrec.writer import (
    closed_books_text,
    default_closed_file,
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
@click.option("--force", is_flag=True, help="Close even though the ledger has errors.")
@click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
def close(ledger: str, through: datetime.datetime, closed_file: str | None, force: bool, dry_run: bool) -> None:  # noqa: FBT001
    """Freeze every generated entry dated on or before --through into the closed-books file."""
    loaded = load(ledger, allow_errors=force)
    day, current = through.date(), loaded.result.closed_through
    if current is not None and day < current:
        raise click.ClickException(f"books are closed through {current}; to move the close back run "
                                   f"bean-revrec reopen {ledger} --through {day}")
    path = _closed_path(loaded, Path(ledger), closed_file)
    new = [entry for entry in loaded.result.generated if entry.date <= day]
    if day == current and not new:
        click.echo(f"Books already closed through {day}: nothing to write.")
        return
    files = {path: closed_books_text([*loaded.result.frozen, *new], day)}
    main = Path(ledger)
    main_text = with_include(main.read_text(encoding="utf-8"), main, path)
    if main_text is not None:
        files[main] = main_text
    if dry_run:
        click.echo(f"Would freeze {len(new)} entries into {path} and close through {day}"
                   + (f', and add include "{path.name}" to {main}' if main_text is not None else "") + ":\n")
        click.echo("".join(printer.format_entry(entry) + "\n" for entry in new), nl=False)
        return
    _write_checked(files, loaded, main)
    click.echo(f"Closed through {day}: froze {len(new)} entries into {path}.")


@click.command()
@click.argument("ledger")
@click.option("--through", required=True, type=DATE, help="The new close date, earlier than the current one.")
@click.option("--dry-run", is_flag=True, help="Show what would be removed; write nothing.")
def reopen(ledger: str, through: datetime.datetime, dry_run: bool) -> None:  # noqa: FBT001
    """Move the close back: remove the frozen entries after --through, so the plugin regenerates them."""
    loaded = load(ledger)
    day, current = through.date(), loaded.result.closed_through
    if current is None:
        raise click.ClickException(f"{ledger} has no {CLOSE}: the books are open")
    if day >= current:
        raise click.ClickException(f"books are closed through {current}; reopen moves the close back, so give a "
                                   f"date before it (bean-revrec close moves it forward)")
    keep = [entry for entry in loaded.result.frozen if entry.date <= day]
    path = _closed_path(loaded, Path(ledger), None)
    removed = len(loaded.result.frozen) - len(keep)
    if dry_run:
        click.echo(f"Would remove {removed} frozen entries after {day} from {path} and close through {day}.")
        return
    _write_checked({path: closed_books_text(keep, day)}, loaded, Path(ledger))
    click.echo(f"Reopened after {day}: removed {removed} frozen entries from {path}.")


@click.command()
@click.argument("ledger")
@format_option
def corrections(ledger: str, fmt: str) -> None:
    """List the corrections the ledger books now, in the first open period, with their causes."""
    result = load(ledger).result
    if result.closed_through is None:
        raise click.ClickException(f"{ledger} has no {CLOSE}: without a close there are no corrections")
    rows = [correction_row(entry) for entry in result.corrections]
    if fmt == "table":
        click.echo(f"Books closed through {result.closed_through}; {len(rows)} correction(s).")
        if not rows:
            return
    columns = ["date", "corrects", "frozen", "recomputed", "cause"]
    if fmt != "table":
        columns = [*columns, "postings"]
    click.echo(render(rows, columns, fmt), nl=False)


def _closed_path(loaded: Loaded, main: Path, chosen: str | None) -> Path:
    """The closed-books file: where the close directive already is, else ``chosen`` or the default.

    Only a file bean-revrec wrote (or a new one) is ever rewritten.
    """
    closes = [entry for entry in loaded.entries if isinstance(entry, Custom) and entry.type == CLOSE]
    path = Path(chosen) if chosen is not None else default_closed_file(main)
    if closes:
        latest = max(closes, key=lambda entry: entry.date)
        existing = Path(latest.meta["filename"])
        if chosen is not None and path.resolve() != existing.resolve():
            raise click.ClickException(f"the books are already closed in {existing}; keep using that file")
        if not is_closed_books(existing):
            raise click.ClickException(f"{existing}:{latest.meta['lineno']} holds the {CLOSE} directive but was not "
                                       "written by bean-revrec; remove that directive and close again")
        return existing
    if path.exists() and not is_closed_books(path):
        raise click.ClickException(f"{path} exists and was not written by bean-revrec; choose another with --file")
    return path


def _write_checked(files: dict[Path, str], loaded: Loaded, main: Path) -> None:
    """Write the files, then load the ledger again: same balances and no new error, or undo."""
    try:
        previous = replace_files(files)
    except OSError as exc:
        raise click.ClickException(f"nothing was written: {exc}") from None
    entries, errors, _ = loader.load_file(str(main))
    problem = None
    if len(errors) > len(loaded.errors):
        problem = f"the ledger would have errors, first: {errors[0].message.splitlines()[0]}"
    elif balances(entries) != balances(loaded.entries):
        problem = "the ledger's balances would change"
    if problem is not None:
        restore(previous)
        raise click.ClickException(f"{problem}; every file was left as it was")
