"""The Beancount plugin: adds deferral, reclass and recognition transactions.

Enable it with::

    plugin "beancount_revrec"
    plugin "beancount_revrec" "{'deferred': 'Liabilities:DeferredRevenue'}"
    plugin "beancount_revrec" "{'catch-up': 'off'}"   ; service before the invoice: in its own months, unbilled
    plugin "beancount_revrec" "{'book-until': 'last-entry'}"   ; book nothing dated after your last entry

Before::

    2022-01-15 * "Acme" "Monthly plan"
      invoice: "in_31"
      Assets:AccountsReceivable   31.00 USD
      Income:Sales               -31.00 USD
        service-start: 2022-01-15
        service-end: 2022-02-15

After, added and tagged #revrec: 2022-01-15 deferral of 31.00 USD from
Income:Sales to Liabilities:DeferredRevenue, and recognitions of 17.00 USD on
2022-01-31 and 14.00 USD on 2022-02-14 back to Income:Sales.
"""

from __future__ import annotations

import re
import traceback
from pathlib import Path
from typing import Any

from beancount.core import data

from beancount_revrec.entries import GENERATED_FILE, missing_opens
from beancount_revrec.errors import RevrecError
from beancount_revrec.ledger import analyse, collector_paused

__plugins__ = ("revrec",)


def revrec(
    entries: list[data.Directive], options_map: dict[str, Any], config_str: str | None = None,
) -> tuple[list[data.Directive], list[RevrecError]]:
    """Add the revenue recognition transactions of the ledger's revenue lines."""
    with collector_paused():
        return _revrec(_with_values(entries), options_map, config_str)


def _revrec(
    entries: list[data.Directive], options_map: dict[str, Any], config_str: str | None,
) -> tuple[list[data.Directive], list[RevrecError]]:
    try:
        result, problems = analyse(entries, options_map, config_str)
    except Exception as exc:  # noqa: BLE001 - the plugin reports, it never raises
        trace = traceback.format_exc().rstrip()
        return entries, [RevrecError(_plugin_line(options_map, config_str), f"beancount_revrec: internal error "
                                     f"{exc!r}; nothing was generated. Please report it with this message:\n{trace}")]
    if result is None:
        source = _plugin_line(options_map, config_str)
        return entries, [RevrecError(source, f"beancount_revrec: {problem}; nothing was generated")
                         for problem in problems]
    added, errors = result.generated, result.errors
    if problems:  # warnings of the config (a bad book-until): what it says is ignored
        errors = [*errors, *(RevrecError(_plugin_line(options_map, config_str), f"beancount_revrec: {warning}")
                             for warning in problems)]
    return [*entries, *missing_opens(entries, [*result.frozen, *added], result.config), *added], errors


def _with_values(entries: list[data.Directive]) -> list[data.Directive]:
    """Give value-less ``revrec-*`` customs (``custom "revrec-close"``) an empty list of values.

    Beancount 3 parses them with ``values=None``, on which its own ``pad`` plugin
    (realization) raises; an empty list means the same and loads.
    """
    if not any(isinstance(entry, data.Custom) and entry.values is None for entry in entries):
        return entries
    return [entry._replace(values=[]) if isinstance(entry, data.Custom) and entry.values is None
            and entry.type.startswith("revrec-") else entry for entry in entries]


_PLUGIN_LINE = re.compile(r'^\s*plugin\s+"beancount_revrec(\.plugin)?"')


def _plugin_line(options_map: dict[str, Any], config_str: str | None) -> dict[str, Any]:
    """The file and line of the ``plugin "beancount_revrec"`` directive (Beancount keeps none).

    Of several such lines, the one whose text holds ``config_str`` (the run's own), else the first.
    """
    found = []
    for filename in options_map.get("include") or [options_map.get("filename", "<unknown>")]:
        try:
            text = Path(filename).read_bytes().decode("utf-8", errors="replace")
        except (OSError, TypeError):
            continue
        found += [(filename, lineno, line) for lineno, line in enumerate(text.splitlines(), start=1)
                  if _PLUGIN_LINE.match(line)]
    own = [place for place in found if config_str and config_str.strip() in place[2]]
    if own or found:
        filename, lineno, _ = (own or found)[0]
        return data.new_metadata(filename, lineno)
    return data.new_metadata(options_map.get("filename") or GENERATED_FILE, 0)
