"""``bean-revrec``: the command line face of beancount_revrec."""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="beancount_revrec")
def main() -> None:
    """Revenue recognition for Beancount ledgers."""
