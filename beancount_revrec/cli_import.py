"""``bean-revrec import stripe|revenue-csv|fulfillment``: exports as entries the plugin reads, printed, never written.

The shortcut for users who do not run beangulp: the same importer classes read each
file (or, for Stripe, the objects fetched live from its API with ``--api-key``:
``stripe_fetch``); the entries are deduplicated (by ``stripe-id``; by rule name,
``import-id`` or a fulfillment's date, line and value) against ``--ledger`` and across the
files, sorted by date and printed on standard output. Problems go to standard error; a
command fails only when nothing usable remains, or when a fetch fails (then nothing is
printed).
"""

from __future__ import annotations

import ast
import datetime
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import click
from beancount import loader
from beancount.core import account as account_lib
from beancount.core import data
from beancount.parser import printer

from beancount_revrec.importers import Accounts, FulfillmentImporter, ImporterConfig, RevenueCsvImporter, StripeImporter
from beancount_revrec.importers.revrec_files import FileImporter
from beancount_revrec.importers.stripe_fetch import SOURCE, FetchError, fetch_objects

_CONFIG_EXAMPLE = "\"{'cash': 'Assets:Stripe', 'revenue': 'Income:Sales', 'timezone': 'Europe/Paris'}\""


@click.group(name="import")
def import_() -> None:
    """Import a billing platform's export as ledger entries (printed, never written to a file)."""


@import_.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--ledger", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Skip the Stripe objects this ledger already holds (by their stripe-id).")
@click.option("--config", "config_text", default=None,
              help=f"Accounts and time zone as a Python literal dict, e.g. {_CONFIG_EXAMPLE}.")
@click.option("--api-key", envvar="STRIPE_API_KEY", default=None,
              help="Without FILES: fetch the objects from Stripe's API with this secret or restricted key "
                   "(default: $STRIPE_API_KEY).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="With the fetch: only objects created on or after this date (in the configured time zone).")
@click.pass_context
def stripe(ctx: click.Context, files: tuple[str, ...], ledger: str | None, config_text: str | None,
           api_key: str | None, since: datetime.datetime | None) -> None:
    """Stripe API objects (JSON: a list object, one object or JSON Lines) as entries, sorted by date.

    FILES are read; without FILES, the objects are fetched from Stripe with --api-key.
    """
    _check_sources(ctx, files, api_key, since)
    importer = StripeImporter(_config(config_text))
    _print_imported(importer, lambda pool: _extracted(importer, files, pool, api_key, since), ledger,
                    files or (SOURCE,))


def _check_sources(ctx: click.Context, files: tuple[str, ...], api_key: str | None,
                   since: datetime.datetime | None) -> None:
    """FILES, or else a key to fetch with: a usage error for neither, for both, or for --since with FILES."""
    if not files and not api_key:
        raise click.UsageError("give FILES to read, or --api-key (or STRIPE_API_KEY) to fetch from Stripe")
    if files and ctx.get_parameter_source("api_key") == click.core.ParameterSource.COMMANDLINE:
        raise click.UsageError("give FILES or --api-key, not both")
    if files and since:
        raise click.UsageError("--since selects what the fetch asks for: it does not apply to FILES")


def _extracted(importer: StripeImporter, files: tuple[str, ...], existing: data.Entries, api_key: str | None,
               since: datetime.datetime | None) -> Iterator[data.Entries]:
    """Each source's entries: every file, or else the fetch (whole before anything is printed).

    ``existing`` is read as each source is extracted: the caller adds each source's entries to it.
    """
    if files:
        yield importer.extract_files(list(files), existing)
        return
    assert api_key
    start = since.replace(tzinfo=importer.config.zone()) if since else None
    try:
        objects = fetch_objects(api_key, start)
    except FetchError as error:
        raise click.ClickException(str(error)) from None
    yield importer.extract_objects(objects, SOURCE, existing)


_FILES = click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
_LEDGER = click.option("--ledger", type=click.Path(exists=True, dir_okay=False), default=None,
                       help="Skip what this ledger already holds (rules by name, transactions by import-id, "
                            "fulfillments by date, line and value).")


@import_.command(name="revenue-csv")
@_FILES
@_LEDGER
@click.option("--cash", default=Accounts.cash, show_default=True, help="Debited by an external transaction.")
@click.option("--revenue", default=Accounts.revenue, show_default=True, help="Credited by an external transaction.")
def revenue_csv(files: tuple[str, ...], ledger: str | None, cash: str, revenue: str) -> None:
    """Stripe Revenue Recognition's import CSVs as rules and transactions, sorted by date.

    A general import (header source,transaction_id,split_transaction_id,...) or an exclusion
    import (header transaction_id), told apart by the header.
    """
    accounts = Accounts(_account(cash, "--cash"), _account(revenue, "--revenue"))
    importer = RevenueCsvImporter(accounts)
    _print_imported(importer, lambda pool: (importer.extract(path, pool) for path in files), ledger, files)


@import_.command()
@_FILES
@_LEDGER
@click.option("--timezone", default="UTC", show_default=True, help="The IANA zone period[start] becomes a date in.")
def fulfillment(files: tuple[str, ...], ledger: str | None, timezone: str) -> None:
    """Fulfillment events (Performance Obligations API requests; CSV, JSON or JSON Lines) as revrec-fulfill."""
    try:
        ZoneInfo(timezone)
    except Exception as exc:  # noqa: BLE001 - zoneinfo raises several kinds for a bad name
        raise click.BadParameter(f"unknown time zone {timezone!r} ({exc.__class__.__name__}): "
                                 "write an IANA name like 'Europe/Paris'", param_hint="--timezone") from None
    importer = FulfillmentImporter(timezone)
    _print_imported(importer, lambda pool: (importer.extract(path, pool) for path in files), ledger, files)


def _account(name: str, option: str) -> str:
    if not account_lib.is_valid(name):
        raise click.BadParameter(f"must be an account name like Income:Sales, got {name!r}", param_hint=option)
    return name


def _print_imported(importer: StripeImporter | FileImporter,
                    extracted: Callable[[data.Entries], Iterable[data.Entries]], ledger: str | None,
                    sources: tuple[str, ...]) -> None:
    """Print each source's entries in date order, without what the ledger or an earlier source holds.

    ``extracted`` is given the pool (the ledger's entries, then each earlier source's), which grows as it
    is iterated: what a later source's entries may refer to, and what they must not repeat.
    """
    pool: data.Entries = loader.load_file(ledger)[0] if ledger else []
    entries: data.Entries = []
    problems = 0
    for found in extracted(pool):
        problems += len(importer.errors)
        importer.deduplicate(found, pool)
        entries += found
        pool += found
    entries.sort(key=lambda entry: entry.date)  # stable: rules of a day keep their files' order, their priority
    click.echo("".join(printer.format_entry(entry) + "\n" for entry in entries), nl=False)
    if problems and not entries:
        raise click.ClickException(f"nothing usable in {', '.join(sources)} ({problems} problem(s) above)")


def _config(text: str | None) -> ImporterConfig:
    """The importer's configuration from ``--config``; a bad one is a usage error that names the keys."""
    if text is None:
        return ImporterConfig()
    try:
        raw: Any = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raw = None
    if not isinstance(raw, dict):
        raise click.BadParameter(f"must be a Python literal dict, e.g. {_CONFIG_EXAMPLE}", param_hint="--config")
    fields = {str(key).replace("-", "_"): value for key, value in raw.items()}
    unknown = sorted(set(fields) - set(ImporterConfig._fields))
    if unknown:
        raise click.BadParameter(f"unknown key {unknown[0]!r}: use one of {', '.join(ImporterConfig._fields)}",
                                 param_hint="--config")
    config = ImporterConfig(**fields)
    try:
        config.zone()
    except Exception as exc:  # noqa: BLE001 - zoneinfo raises several kinds for a bad name
        raise click.BadParameter(f"unknown time zone {config.timezone!r} ({exc.__class__.__name__}): "
                                 "write an IANA name like 'Europe/Paris'", param_hint="--config") from None
    return config
