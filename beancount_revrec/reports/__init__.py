"""Reports over a loaded ledger, shared by the CLI and the Fava page: one computation, many views.

``read_books`` reads a ledger as Beancount loaded it (the plugin's output in
it); every report takes those ``Books`` and returns typed rows
(``reports.rows``) that only the CLI's output module and Fava's template format.
"""

from beancount_revrec.reports.books import Books, default_as_of, read_books
from beancount_revrec.reports.explain import explain, location, rule_usage, waiting_for_payment
from beancount_revrec.reports.metrics import contract_metrics, metric_totals
from beancount_revrec.reports.periods import (
    GROUPS,
    Pivot,
    correction_rows,
    month_start,
    month_text,
    months_after,
    period_end,
    pivot,
    rollforward,
    rollforward_of,
    waterfall,
)
from beancount_revrec.reports.rows import METRIC_COLUMNS, METRICS, ROLL_COLUMNS

__all__ = [
    "GROUPS",
    "METRICS",
    "METRIC_COLUMNS",
    "ROLL_COLUMNS",
    "Books",
    "Pivot",
    "contract_metrics",
    "correction_rows",
    "default_as_of",
    "explain",
    "location",
    "metric_totals",
    "month_start",
    "month_text",
    "months_after",
    "period_end",
    "pivot",
    "read_books",
    "rollforward",
    "rollforward_of",
    "rule_usage",
    "waiting_for_payment",
    "waterfall",
]
