"""The Revenue page's charts, as the JSON of Fava's own chart components (``<svelte-component type="charts">``).

The waterfall is Fava's stacked bar chart, one series per group of the
breakdown. Fava's bar chart names only the currencies in its legend and fades
only the bars after today, so the page adds a legend of the groups and marks
the scheduled periods (after the as-of date) itself: ``Chart.groups`` and
``Chart.scheduled`` give them, in the order Fava draws the series and the bars
(``FavaRevrec.js`` colours the legend from the bars and hatches the scheduled
ones). The balances are Fava's line chart (``balances``), one line per
rolled-forward account and currency, named in Fava's own legend.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from fava.core.charts import DateAndBalanceWithBudget
from fava.core.inventory import SimpleCounterInventory
from fava.util.date import Interval

from beancount_revrec.reports import month_start
from beancount_revrec.reports.rows import RollRow, WaterfallRow
from beancount_revrec.schedule import ONE_DAY, add_months


class Chart(NamedTuple):
    """A chart's JSON for Fava, its series (as Fava orders them) and, per bar, whether it is scheduled."""

    json: list[dict[str, Any]]
    groups: list[str]
    scheduled: list[bool]


def waterfall_chart(rows: Sequence[WaterfallRow], interval: Interval, as_of: datetime.date) -> Chart:
    """The waterfall as Fava's stacked bar chart in Fava's interval: per period, the total and each group's.

    A period is scheduled when it starts after the as-of date's month (a period
    holding that month and later ones is drawn as recognised).
    """
    totals: dict[datetime.date, SimpleCounterInventory] = defaultdict(SimpleCounterInventory)
    groups: dict[datetime.date, dict[str, SimpleCounterInventory]] = defaultdict(dict)
    for row in rows:
        day = interval.get_prev(datetime.date.fromisoformat(row.month + "-01"))
        totals[day][row.currency] = totals[day].get(row.currency, Decimal(0)) + row.revenue
        group = groups[day].setdefault(row.group, SimpleCounterInventory())
        group[row.currency] = group.get(row.currency, Decimal(0)) + row.revenue
    days = sorted(totals)
    data = [DateAndBalanceWithBudget(day, totals[day], groups[day], {}) for day in days]
    current = month_start(as_of)
    return Chart([{"type": "bar", "label": "Revenue", "data": data}], sorted({row.group for row in rows}),
                 [day > current for day in days])


def balances_chart(rows: Sequence[RollRow]) -> list[dict[str, Any]]:
    """Each rolled-forward account's closing balance per month, one line per account and currency.

    A month's point is its last day (the as-of date for the last, partial month
    is the roll-forward's end, which the rows do not hold: the month's end stands for it).
    """
    data: dict[datetime.date, dict[str, Decimal]] = defaultdict(dict)
    for row in rows:
        month_end = add_months(datetime.date.fromisoformat(row.month + "-01"), 1) - ONE_DAY
        data[month_end][f"{row.account} ({row.currency})"] = row.closing
    return [{"type": "balances", "label": "Balances",
             "data": [{"date": day, "balance": data[day]} for day in sorted(data)]}]
