"""What each side of the books is called in the reports: one table, so one code path prints both sides.

The revenue side defers revenue and recognises it; the expense side prepays
costs (and capitalises contract costs) and expenses them. The reports compute
both the same way (``Books.for_side``); only their words and the sign of the
income statement differ, and they come from here.
"""

from __future__ import annotations

from typing import NamedTuple

from beancount_revrec.config import Side
from beancount_revrec.reports.rows import Status


class Words(NamedTuple):
    """A side's words in the reports, and the sign that turns a posting into its income-statement amount."""

    title: str  # "Revenue": what the waterfall's heading calls the side's amounts
    amount: str  # "revenue": the waterfall's amount column, what a rule governs
    done: Status  # a month's status up to the as-of date's: "recognised", "expensed"
    sign: int  # a posting's number times ``sign`` is the income statement's amount (revenue: a credit is positive)
    roll: tuple[tuple[str, str], ...]  # the roll-forward's columns: (RollRow field, the column's name)
    nothing: str  # the summary of a month with nothing in it
    where: str  # after "LEDGER has no revrec-rule": which side has none
    party: str  # who a line's payee is: the customer, the vendor


_REVENUE_ROLL = tuple((column, column) for column in
                      ("opening", "deferred", "billed", "recognised", "corrections", "other", "closing"))
_EXPENSE_ROLL = (("opening", "opening"), ("deferred", "prepaid"), ("recognised", "expensed"),
                 ("corrections", "corrections"), ("other", "other"), ("closing", "closing"))
"""A cost is never billed: its roll-forward has no billed column (``periods._column`` puts none there)."""

SIDES: dict[Side, Words] = {
    "revenue": Words("Revenue", "revenue", "recognised", -1, _REVENUE_ROLL,
                     "nothing recognised, deferred or billed", "", "customer"),
    "expense": Words("Expenses", "expense", "expensed", 1, _EXPENSE_ROLL,
                     "nothing expensed or prepaid", " for its expenses", "vendor"),
}
