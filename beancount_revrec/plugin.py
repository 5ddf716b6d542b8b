"""The Beancount plugin: adds deferral, reclass and recognition transactions.

Enable it with::

    plugin "beancount_revrec"
    plugin "beancount_revrec" "{'deferred': 'Liabilities:DeferredRevenue'}"

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
from pathlib import Path
from typing import Any

from beancount.core import data
from beancount.core.display_context import DisplayContext, Precision

from beancount_revrec.config import Config, parse_config
from beancount_revrec.engine import Places, treat
from beancount_revrec.entries import generate, missing_opens
from beancount_revrec.errors import RevrecError

__plugins__ = ("revrec",)

DEFAULT_PLACES = 2


def revrec(
    entries: list[data.Directive], options_map: dict[str, Any], config_str: str | None = None,
) -> tuple[list[data.Directive], list[RevrecError]]:
    """Add the revenue recognition transactions of the ledger's revenue lines."""
    config, problems = parse_config(config_str, options_map)
    if problems:
        source = _plugin_line(options_map)
        return entries, [RevrecError(source, f"beancount_revrec: {problem}; nothing was generated")
                         for problem in problems]
    try:
        analysis = treat(entries, config, currency_places(config, options_map.get("dcontext")),
                         options_map.get("include") or ())
        generated = generate(analysis.treated, config)
    except Exception as exc:  # noqa: BLE001 - the plugin reports, it never raises
        return entries, [RevrecError(_plugin_line(options_map),
                                     f"beancount_revrec: internal error {exc!r}; nothing was generated")]
    return [*entries, *missing_opens(entries, generated), *generated], analysis.errors


def currency_places(config: Config, dcontext: DisplayContext | None) -> Places:
    """Decimal places per currency: the config's, else the ledger's most common, else 2."""
    known: dict[str, int] = dict(config.precision)

    def places(currency: str) -> int:
        if currency not in known:
            context = dcontext.ccontexts.get(currency) if dcontext is not None else None
            found = context.get_fractional(Precision.MOST_COMMON) if context is not None else None
            known[currency] = DEFAULT_PLACES if found is None else found
        return known[currency]

    return places


_PLUGIN_LINE = re.compile(r'^\s*plugin\s+"beancount_revrec(\.plugin)?"')


def _plugin_line(options_map: dict[str, Any]) -> dict[str, Any]:
    """The file and line of the ``plugin "beancount_revrec"`` directive (Beancount keeps none)."""
    for filename in options_map.get("include") or [options_map.get("filename", "<unknown>")]:
        try:
            text = Path(filename).read_text(encoding="utf-8")
        except (OSError, TypeError):
            continue
        for lineno, line in enumerate(text.splitlines(), start=1):
            if _PLUGIN_LINE.match(line):
                return data.new_metadata(filename, lineno)
    return data.new_metadata(options_map.get("filename") or "<beancount_revrec>", 0)
