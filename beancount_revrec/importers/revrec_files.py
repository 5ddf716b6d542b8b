"""beangulp importers of Stripe Revenue Recognition's import CSVs and of fulfillment events.

``RevenueCsvImporter`` reads both of Stripe's data-import CSVs (``revenue_csv``), told
apart by the header (``kind``): the general import (``source``, ``transaction_id``, ...)
and the exclusion import (one column, ``transaction_id``). ``FulfillmentImporter`` reads
Performance-Obligations-style events (``fulfillment_events``) as CSV, JSON or JSON Lines.

What they write carries a stable identity (``identity``): a rule its name
(``import-ID``, ``exclude-ID``), an external transaction its ``import-id``, a
``revrec-fulfill`` directive its date, line and value. ``deduplicate`` drops what the
ledger already holds by it, and says so when the ledger's rule of that name has
another treatment (a corrected row is not imported over the rule it corrects).
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path
from typing import TypeGuard

import beangulp
from beancount.core import data

from beancount_revrec.importers.fulfillment_events import import_fulfillments, is_events
from beancount_revrec.importers.revenue_csv import (
    COLUMNS,
    ID_PREFIXES,
    IMPORT_ID,
    Accounts,
    import_exclusions,
    import_general,
)
from beancount_revrec.importers.stripe_base import ImportProblem

__all__ = ["FulfillmentImporter", "RevenueCsvImporter", "identity", "kind", "read_revenue_csv"]

Read = tuple[list[data.Directive], list[ImportProblem]]
RULE, FULFILL = "revrec-rule", "revrec-fulfill"


def kind(text: str) -> str | None:
    """Which of Stripe's imports a CSV is, by its first line.

    Args:
        text: The CSV's text.

    Returns:
        ``general`` for a header with ``source`` and ``transaction_id``; ``exclusion`` for one column named
        ``transaction_id`` or ``id``, or a first line that is an id; None for anything else.
    """
    first = text.removeprefix("\ufeff").lstrip().split("\n", 1)[0]
    header = [name for name in (cell.strip().strip('"').strip().lower() for cell in first.split(",")) if name]
    if {"source", "transaction_id"} <= set(header):
        return "general"
    if len(header) == 1 and (header[0] in {"id", "transaction_id"} or header[0].startswith(ID_PREFIXES)):
        return "exclusion"
    return None


def read_revenue_csv(text: str, filename: str = "<import>", accounts: Accounts | None = None) -> Read:
    """Read a general or an exclusion import, told apart by ``kind``.

    Args:
        text: The CSV's text.
        filename: Its name, for errors and metadata.
        accounts: The accounts a general import's external transactions book to.

    Returns:
        The directives and the errors of the rows left out (one error for a CSV of neither kind).
    """
    found = kind(text)
    if found == "general":
        return import_general(text, filename, accounts)
    if found == "exclusion":
        return import_exclusions(text, filename)
    return [], [ImportProblem(filename, 1, "neither of Stripe's imports: a general import's header is "
                              f"{','.join(COLUMNS)}; an exclusion import's is transaction_id")]


def identity(entry: data.Directive) -> tuple[str, ...] | None:
    """What makes an imported entry the same as one already in a ledger.

    Args:
        entry: A directive.

    Returns:
        A rule's name, a ``revrec-fulfill``'s date, line and value, an external transaction's ``import-id``;
        None for anything else.
    """
    if _is_rule(entry) and entry.values:
        return RULE, str(entry.values[0].value)
    if isinstance(entry, data.Custom) and entry.type == FULFILL:
        return FULFILL, entry.date.isoformat(), *(str(value.value) for value in entry.values)
    if isinstance(entry, data.Transaction) and IMPORT_ID in entry.meta:
        return IMPORT_ID, str(entry.meta[IMPORT_ID])
    return None


def _is_rule(entry: data.Directive) -> TypeGuard[data.Custom]:
    return isinstance(entry, data.Custom) and entry.type == RULE


class FiledImporter(beangulp.Importer):  # type: ignore[misc]
    """What every importer here files its files under: one account, and a name after the importer's kind."""

    def __init__(self, account: str) -> None:
        """Keep the account files are filed under."""
        self.filing_account = account
        self.errors: list[str] = []

    def filename(self, filepath: str) -> str:
        """The name beangulp's ``archive`` files it under: the file's, after the importer's kind.

        Args:
            filepath: The file.

        Returns:
            For example ``stripe-invoices.json``.
        """
        kind = str(self.name).rsplit(".", 1)[-1].replace("_", "-")
        name = Path(filepath).name
        return name if name.startswith(f"{kind}-") else f"{kind}-{name}"

    def report(self, entries: data.Entries, errors: list[str]) -> data.Entries:
        """Keep a file's problems in ``errors`` and print each on standard error; return its entries."""
        self.errors = errors
        for message in errors:
            sys.stderr.write(f"Error: {message}\n")
        return entries

    def account(self, filepath: str) -> str:  # noqa: ARG002 - one account for every file
        """The account files are filed under.

        Args:
            filepath: The file.

        Returns:
            The importer's account.
        """
        return self.filing_account


class FileImporter(FiledImporter):
    """Reads one kind of file with a reader that returns ``(entries, problems)``."""

    suffixes: frozenset[str] = frozenset()

    def read(self, text: str, filepath: str) -> Read:
        """The file's entries and problems (each importer's reader)."""
        raise NotImplementedError

    def accepts(self, text: str) -> bool:
        """Whether the text is this importer's kind of file."""
        raise NotImplementedError

    def read_file(self, filepath: str) -> Read:
        """The file's entries and problems; a file that cannot be read is one problem."""
        try:
            text = Path(filepath).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            return [], [ImportProblem(filepath, 0, f"cannot read: {error}")]
        return self.read(text, filepath)

    def identify(self, filepath: str) -> bool:
        """Whether the file has one of the importer's suffixes and the header or shape of its kind.

        Args:
            filepath: The file.

        Returns:
            True for a file this importer reads.
        """
        path = Path(filepath)
        if path.suffix.lower() not in self.suffixes:
            return False
        try:
            return self.accepts(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            return False

    def date(self, filepath: str) -> datetime.date | None:
        """The file's date: the latest of its entries other than rules (which are dated 1970-01-01).

        Args:
            filepath: The file.

        Returns:
            The date, or None for a file of rules only.
        """
        entries, _ = self.read_file(filepath)
        return max((entry.date for entry in entries if not _is_rule(entry)), default=None)

    def extract(self, filepath: str, existing: data.Entries) -> data.Entries:  # noqa: ARG002 - deduplicate reads it
        """The file's entries; each problem is printed on standard error (file and row) and kept in ``errors``.

        Args:
            filepath: The file.
            existing: Entries already in the ledger.

        Returns:
            The entries of everything usable in the file.
        """
        entries, problems = self.read_file(filepath)
        return self.report(entries, [str(problem) for problem in problems])

    def deduplicate(self, entries: data.Entries, existing: data.Entries) -> None:
        """Drop the entries whose ``identity`` is already in ``existing``; warn where a rule's treatment differs.

        Args:
            entries: The extracted entries, changed in place.
            existing: Entries already in the ledger.
        """
        known = {key: entry for entry in existing if (key := identity(entry)) is not None}
        kept = []
        for entry in entries:
            key = identity(entry)
            old = known.get(key) if key is not None else None
            if old is None:
                kept.append(entry)
            elif _is_rule(old) and old.meta.get("treatment") != entry.meta.get("treatment"):
                sys.stderr.write(f"Warning: {entry.meta['filename']}:{entry.meta['lineno']}: the ledger's rule "
                                 f'"{old.values[0].value}" has treatment "{old.meta.get("treatment")}", this file '
                                 f'"{entry.meta.get("treatment")}": not imported; edit the ledger\'s rule to change '
                                 "it\n")
        entries[:] = kept


class RevenueCsvImporter(FileImporter):
    """Stripe Revenue Recognition's general and exclusion import CSVs as rules and transactions."""

    suffixes = frozenset({".csv"})

    def __init__(self, accounts: Accounts | None = None) -> None:
        """Keep the accounts.

        Args:
            accounts: Where external transactions book (cash and revenue; the revenue account files the CSVs).
        """
        self.accounts = accounts or Accounts()
        super().__init__(self.accounts.revenue)

    @property
    def name(self) -> str:
        """The importer's name."""
        return "beancount_revrec.revenue_csv"

    def accepts(self, text: str) -> bool:
        """Whether the text is a general or an exclusion import (``kind``)."""
        return kind(text) is not None

    def read(self, text: str, filepath: str) -> Read:
        """The CSV's rules and transactions."""
        return read_revenue_csv(text, filepath, self.accounts)


class FulfillmentImporter(FileImporter):
    """Fulfillment events (Stripe's Performance Obligations API requests) as ``revrec-fulfill`` directives."""

    suffixes = frozenset({".csv", ".json", ".jsonl"})

    def __init__(self, timezone: str = "UTC", account: str = "Income:Sales") -> None:
        """Keep the time zone and the filing account.

        Args:
            timezone: The IANA zone ``period[start]`` becomes a date in.
            account: The account the event files are filed under.
        """
        self.timezone = timezone
        super().__init__(account)

    @property
    def name(self) -> str:
        """The importer's name."""
        return "beancount_revrec.fulfillment"

    def accepts(self, text: str) -> bool:
        """Whether the text holds fulfillment events (``is_events``)."""
        return is_events(text)

    def read(self, text: str, filepath: str) -> Read:
        """The events' ``revrec-fulfill`` directives."""
        return import_fulfillments(text, filepath, self.timezone)
