"""What the page reads from Fava's request and ledger, and the plain answers it gives without a page."""

from __future__ import annotations

from fava.core import FavaLedger
from fava.core.filters import AdvancedFilter, TimeFilter
from fava.util.date import DateRange
from flask import Response, request

from beancount_revrec.reports import DEFAULT_TOP, GROUPS

EXTENSION = "fava_revrec"
"""The extension's name in the ledger's ``custom "fava-extension"`` line."""


def top_of(value: str | None) -> int:
    """The ``revrec_top`` URL argument: the groups the waterfall shows (0: all); ``DEFAULT_TOP`` unless a count."""
    return int(value) if value is not None and value.isdigit() and len(value) < 6 else DEFAULT_TOP


def breakdown_of(by: str | None) -> str:
    """The ``revrec_by`` URL argument: one of ``GROUPS``, else ``account``."""
    return by if by in GROUPS else "account"


def plain_text(text: str, status: int) -> Response:
    """A plain-text answer (a download's problem)."""
    return Response(text + "\n", status=status, headers={"Content-Type": "text/plain; charset=utf-8"})


def time_filter(ledger: FavaLedger) -> DateRange | None:
    """The dates of Fava's time filter (None without one); a bad filter raises Fava's own error.

    The filters are parsed as Fava parses them, not applied: the page reads the whole ledger, so Fava's
    filtering of its entries (a clamp of the whole ledger for a time filter) would be time spent for nothing.
    """
    advanced = request.args.get("filter", "")
    if advanced.strip():
        AdvancedFilter(advanced.strip())  # a filter Fava cannot parse: Fava's error, as on its own reports
    time = request.args.get("time", "")
    return TimeFilter(ledger.options, ledger.fava_options, time).date_range if time else None


def extension_line(ledger: FavaLedger) -> str:
    """Where the ledger enables this extension, as ``file:line``."""
    for entry in ledger.all_entries_by_type.Custom:
        if entry.type == "fava-extension" and entry.values and entry.values[0].value == EXTENSION:
            return f"{entry.meta['filename']}:{entry.meta['lineno']}"
    return "<fava-extension>"


def internal_error(exc: Exception) -> str:
    """The page's message for a bug: never a server error."""
    return f"fava_revrec: internal error {exc!r}; please report it with the ledger that causes it"
