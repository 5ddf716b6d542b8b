"""``bean-revrec import stripe``: Stripe exports as entries the plugin reads, printed and never written.

The shortcut for users who do not run beangulp: the same ``StripeImporter`` reads each
file, or the objects fetched live from Stripe's API with ``--api-key`` (``stripe_fetch``);
the entries are deduplicated by their ``stripe-id`` (against ``--ledger`` and across the
files), sorted by date and printed on standard output. Problems go to standard error; the
command fails only when nothing usable remains, or when the fetch fails (then nothing is
printed).
"""

from __future__ import annotations

import ast
import datetime
from collections.abc import Iterator
from typing import Any

import click
from beancount import loader
from beancount.core import data
from beancount.parser import printer

from beancount_revrec.importers import ImporterConfig, StripeImporter
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
    existing: data.Entries = loader.load_file(ledger)[0] if ledger else []
    entries: data.Entries = []
    problems = 0
    pool = list(existing)  # the ledger, then each file's entries: what a later file's credits may refer to
    for found in _extracted(importer, files, pool, api_key, since):
        problems += len(importer.errors)
        importer.deduplicate(found, pool)  # an object in two exports is imported once
        entries += found
        pool += found
    entries.sort(key=data.entry_sortkey)
    click.echo("".join(printer.format_entry(entry) + "\n" for entry in entries), nl=False)
    if problems and not entries:
        raise click.ClickException(f"nothing usable in {', '.join(files or [SOURCE])} ({problems} problem(s) above)")


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
        yield from (importer.extract(path, existing) for path in files)
        return
    assert api_key
    start = since.replace(tzinfo=importer.config.zone()) if since else None
    try:
        objects = fetch_objects(api_key, start)
    except FetchError as error:
        raise click.ClickException(str(error)) from None
    yield importer.extract_objects(objects, SOURCE, existing)


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
