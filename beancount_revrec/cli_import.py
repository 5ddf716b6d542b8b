"""``bean-revrec import stripe``: Stripe exports as entries the plugin reads, printed and never written.

The shortcut for users who do not run beangulp: the same ``StripeImporter`` reads each
file; the entries are deduplicated by their ``stripe-id`` (against ``--ledger`` and across
the files), sorted by date and printed on standard output. Problems go to standard error;
the command fails only when nothing usable remains.
"""

from __future__ import annotations

import ast
from typing import Any

import click
from beancount import loader
from beancount.core import data
from beancount.parser import printer

from beancount_revrec.importers import ImporterConfig, StripeImporter

_CONFIG_EXAMPLE = "\"{'cash': 'Assets:Stripe', 'revenue': 'Income:Sales', 'timezone': 'Europe/Paris'}\""


@click.group(name="import")
def import_() -> None:
    """Import a billing platform's export as ledger entries (printed, never written to a file)."""


@import_.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--ledger", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Skip the Stripe objects this ledger already holds (by their stripe-id).")
@click.option("--config", "config_text", default=None,
              help=f"Accounts and time zone as a Python literal dict, e.g. {_CONFIG_EXAMPLE}.")
def stripe(files: tuple[str, ...], ledger: str | None, config_text: str | None) -> None:
    """Stripe API objects (JSON: a list object, one object or JSON Lines) as entries, sorted by date."""
    importer = StripeImporter(_config(config_text))
    existing: data.Entries = loader.load_file(ledger)[0] if ledger else []
    entries: data.Entries = []
    problems = 0
    for path in files:
        found = importer.extract(path, existing + entries)
        problems += len(importer.errors)
        importer.deduplicate(found, existing + entries)  # an object in two exports is imported once
        entries += found
    entries.sort(key=data.entry_sortkey)
    click.echo("".join(printer.format_entry(entry) + "\n" for entry in entries), nl=False)
    if problems and not entries:
        raise click.ClickException(f"nothing usable in {', '.join(files)} ({problems} problem(s) above)")


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
