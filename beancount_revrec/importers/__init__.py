"""Importers of payment-platform data into Beancount entries the revrec plugin reads.

``StripeImporter`` is a ``beangulp.Importer`` (the ecosystem's importer framework) over
``stripe_objects``: Stripe API objects as JSON (a list object, one object, or JSON Lines), read from a
file or fetched live (``stripe_fetch``). ``RevenueCsvImporter`` (Stripe Revenue Recognition's import
CSVs) and ``FulfillmentImporter`` (fulfillment events) are in ``revrec_files``, re-exported here.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from beancount.core import data

from beancount_revrec.importers.config import ImporterConfig
from beancount_revrec.importers.revenue_csv import Accounts
from beancount_revrec.importers.revrec_files import FiledImporter, FulfillmentImporter, RevenueCsvImporter
from beancount_revrec.importers.stripe_base import ImportResult, Obj
from beancount_revrec.importers.stripe_objects import (
    KNOWN,
    StripeError,
    convert,
    convert_files,
    read_files,
    read_objects,
)

__all__ = ["Accounts", "FulfillmentImporter", "ImporterConfig", "RevenueCsvImporter", "StripeImporter"]

_SUFFIXES = frozenset({".json", ".jsonl"})
_NO_LEDGER: data.Entries = []  # what ``date`` converts with: one list, so that its conversion is kept


def _stamp(path: str) -> tuple[int, int] | None:
    """A file's modification time and size (None for a file that cannot be read): whether it changed."""
    try:
        status = Path(path).stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


class StripeImporter(FiledImporter):
    """Stripe invoices, credit notes, refunds and disputes as revenue-recognition entries."""

    def __init__(self, config: ImporterConfig | None = None) -> None:
        """Keep the configuration.

        Args:
            config: Accounts and time zone; the documented defaults when omitted.
        """
        self.config = config or ImporterConfig()
        super().__init__(self.config.cash)  # files are filed under the Stripe balance
        self._export: tuple[list[tuple[str, tuple[int, int] | None]], data.Entries, ImportResult] | None = None

    @property
    def name(self) -> str:
        """The importer's name."""
        return "beancount_revrec.stripe"

    def identify(self, filepath: str) -> bool:
        """Whether the file is Stripe objects: .json or .jsonl holding at least one known object.

        Args:
            filepath: The file.

        Returns:
            True for a Stripe file.
        """
        path = Path(filepath)
        if path.suffix.lower() not in _SUFFIXES:
            return False
        try:
            objects = read_objects(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, StripeError):
            return False
        return any(obj.get("object") in KNOWN for obj in objects)

    def date(self, filepath: str) -> datetime.date | None:
        """The file's date: the latest of the entries ``extract`` gives it (without a ledger).

        Args:
            filepath: The file.

        Returns:
            The date, or None for a file with no entries.
        """
        return max((entry.date for entry in self._of_file(filepath, _NO_LEDGER).entries), default=None)

    def extract(self, filepath: str, existing: data.Entries) -> data.Entries:
        """The file's entries, its folder's Stripe files read as one export; problems on standard error.

        ``stripe invoices list``, ``stripe charges list`` and the others write one file each: a refund in
        one file finds its invoice in another, a charge the invoice payment that ties it to its invoice.
        Only this file's objects are booked; an object in two files is the later file's (by name).

        Args:
            filepath: The file.
            existing: Entries already in the ledger: the invoices and payments its credit notes, refunds and
                disputes may credit.

        Returns:
            The entries of everything usable in the file.
        """
        return self.report(*self._of_file(filepath, existing))

    def _of_file(self, filepath: str, existing: data.Entries) -> ImportResult:
        """The entries and problems of a file's own objects, its folder's Stripe files converted as one export.

        beangulp asks for each file of a folder (and for its date) in turn: the folder is converted once, and
        again only when one of its files or the ledger given changes.
        """
        candidates = sorted({str(path) for path in Path(filepath).parent.iterdir()
                             if path.suffix.lower() in _SUFFIXES} | {filepath})
        stamps = [(path, _stamp(path)) for path in candidates]
        if self._export is None or self._export[0] != stamps or self._export[1] is not existing:
            sources, errors = read_files([path for path in candidates if path == filepath or self.identify(path)])
            result = convert_files(sources, self.config, existing)
            self._export = (stamps, existing, ImportResult(result.entries, errors + result.errors))
        result = self._export[2]
        return ImportResult([entry for entry in result.entries if entry.meta.get("filename") == filepath],
                            [error for error in result.errors if error.startswith(f"{filepath}: ")])

    def extract_files(self, paths: list[str], existing: data.Entries) -> data.Entries:
        """The entries of files read as one export; problems as for ``extract``.

        Args:
            paths: The files, in order (an object in two of them is the later one's).
            existing: Entries already in the ledger, as for ``extract``.

        Returns:
            The entries of everything usable in the files.
        """
        sources, errors = read_files(paths)
        result = convert_files(sources, self.config, existing)
        return self.report(result.entries, errors + result.errors)

    def extract_objects(self, objects: list[Obj], source: str, existing: data.Entries) -> data.Entries:
        """The entries of Stripe objects already read (a live fetch); problems as for ``extract``.

        Args:
            objects: Stripe objects, as ``read_objects`` or ``stripe_fetch.fetch_objects`` give them.
            source: Where they come from, for the entries' metadata and the messages.
            existing: Entries already in the ledger, as for ``extract``.

        Returns:
            The entries of everything usable.
        """
        return self.report(*convert(objects, self.config, source, existing))

    def deduplicate(self, entries: data.Entries, existing: data.Entries) -> None:
        """Drop the entries whose ``stripe-id`` is already in ``existing``.

        Args:
            entries: The extracted entries, changed in place.
            existing: Entries already in the ledger.
        """
        known = {entry.meta.get("stripe-id") for entry in existing} - {None}
        entries[:] = [entry for entry in entries if entry.meta.get("stripe-id") not in known]
