"""Reports over a loaded ledger, shared by the CLI and the Fava page: one computation, many views.

``read_books`` reads a ledger as Beancount loaded it (the plugin's output in
it); every report takes those ``Books`` and returns typed rows
(``reports.rows``) that only the CLI's output module and Fava's template format.
"""

from beancount_revrec.reports.books import Books, default_as_of, read_books
from beancount_revrec.reports.breakdown import DEFAULT_TOP, revenue_by
from beancount_revrec.reports.explain import explain, location, rule_usage, waiting_for_payment
from beancount_revrec.reports.metrics import contract_metrics, metric_totals
from beancount_revrec.reports.periods import (
    GROUPS,
    OTHER,
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
from beancount_revrec.reports.rows import METRIC_COLUMNS, METRICS, REVENUE_METRICS, ROLL_COLUMNS
from beancount_revrec.reports.summary import SUMMARY_COLUMNS, Summary, figure_query, monthly_summary

__all__ = [
    "DEFAULT_TOP",
    "GROUPS",
    "METRICS",
    "METRIC_COLUMNS",
    "OTHER",
    "REVENUE_METRICS",
    "ROLL_COLUMNS",
    "SUMMARY_COLUMNS",
    "Books",
    "Pivot",
    "Summary",
    "contract_metrics",
    "correction_rows",
    "default_as_of",
    "explain",
    "figure_query",
    "location",
    "metric_totals",
    "month_start",
    "month_text",
    "monthly_summary",
    "months_after",
    "period_end",
    "pivot",
    "read_books",
    "revenue_by",
    "rollforward",
    "rollforward_of",
    "rule_usage",
    "waiting_for_payment",
    "waterfall",
]
