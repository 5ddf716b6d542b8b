"""Each report as a table of named columns: what ``--format csv|json`` prints and the Revenue page downloads.

One function per table turns a report's rows into a ``Table``; the CLI and the
Fava page's downloads both write it (``output.render``, ``output.workbook``),
so a download holds the numbers the command prints for the same dates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from beancount_revrec.config import Side
from beancount_revrec.output import amounts_text
from beancount_revrec.reports.rows import (
    METRIC_COLUMNS,
    METRICS,
    CorrectionRow,
    MetricRow,
    RollRow,
    RuleRow,
    WaterfallRow,
    shown_metrics,
)
from beancount_revrec.reports.sides import SIDES
from beancount_revrec.reports.summary import SUMMARY_COLUMNS, Summary


class Table(NamedTuple):
    """A report's columns and rows (NamedTuples or dicts), and the name its files take."""

    name: str
    columns: tuple[str, ...]
    rows: list[Any]


def metrics_table(rows: Sequence[MetricRow]) -> Table:
    """``bean-revrec contracts``: the metrics per contract and currency.

    The contract costs' columns only when some contract has costs: a ledger without keeps the revenue columns alone.
    """
    return Table("contracts", (*METRIC_COLUMNS[:-len(METRICS)], *shown_metrics(rows)), list(rows))


def waterfall_table(rows: Sequence[WaterfallRow], by: str, side: Side = "revenue") -> Table:
    """``bean-revrec schedule --by BY``: revenue (or expense) per month, group (a column named ``by``) and currency."""
    amount = SIDES[side].amount
    shown = [{"month": row.month, by: row.group, "currency": row.currency, amount: row.revenue,
              "status": row.status} for row in rows]
    return Table("schedule", ("month", by, "currency", amount, "status"), shown)


def rollforward_table(rows: Sequence[RollRow], side: Side = "revenue") -> Table:
    """``bean-revrec rollforward``: per account, currency and month, the opening, movements and closing.

    The columns are the side's (``SIDES``): on the expense side opening, prepaid, expensed, corrections, other
    and closing.
    """
    columns = SIDES[side].roll
    shown = [{"account": row.account, "currency": row.currency, "month": row.month,
              **{name: getattr(row, field) for field, name in columns}} for row in rows]
    return Table("rollforward", ("account", "currency", "month", *(name for _, name in columns)), shown)


def corrections_table(rows: Sequence[CorrectionRow]) -> Table:
    """``bean-revrec corrections``: what each correction corrects, why, and its postings."""
    return Table("corrections", ("date", "corrects", "frozen", "recomputed", "cause", "postings"), list(rows))


def rules_table(rows: Sequence[RuleRow]) -> Table:
    """``bean-revrec rules``: each rule's match keys, treatment and use, what it governs as one cell per rule."""
    shown = [{**row._asdict(), "governs": amounts_text(row.governs)} for row in rows]
    return Table("rules", ("rule", "location", "match", "effective", "treatment", "matched", "won", "lost",
                           "lost_to", "governs", "status"), shown)


def summary_table(summary: Summary) -> Table:
    """``bean-revrec summary``: every figure of the month per currency."""
    return Table("summary", SUMMARY_COLUMNS, list(summary.rows))
