"""The dates a Revenue page covers.

From the start of Fava's time filter (without one, of the twelve months through
the as-of date) through the as-of date, then the waterfall's scheduled months.
"""

from __future__ import annotations

import datetime
from typing import NamedTuple

from fava.util.date import DateRange

from beancount_revrec.errors import OutOfRangeError
from beancount_revrec.reports import Books, month_start, months_after, period_end
from beancount_revrec.reports.periods import BEYOND_LAST_MONTH


class Window(NamedTuple):
    """The dates a page covers: from ``start`` through ``as_of``, and ``months`` scheduled after it."""

    start: datetime.date
    as_of: datetime.date
    reason: str
    months: int

    @property
    def first_month(self) -> datetime.date:
        """The waterfall's first month."""
        return month_start(self.start)

    @property
    def waterfall_end(self) -> datetime.date | None:
        """The waterfall's exclusive end: ``months`` after the as-of date's month (None: the calendar's end)."""
        return months_after(month_start(self.as_of), 1 + self.months)

    @property
    def months_shown(self) -> int:
        """The waterfall's number of months (``bean-revrec schedule --months``)."""
        last = self.waterfall_end or datetime.date(datetime.MAXYEAR, 12, 1)
        return (last.year - self.start.year) * 12 + last.month - self.start.month


def page_window(books: Books, date_range: DateRange | None, months: int) -> Window | str:
    """The dates of the page for Fava's time filter (None: none), or the problem that prevents a page."""
    if date_range is not None:
        window = Window(date_range.begin, date_range.end - datetime.timedelta(days=1), "filter", months)
    elif books.as_of is None or books.first_transaction is None:
        return "the ledger has no transactions yet: add invoices to see their revenue here"
    else:
        window = Window(books.default_start(books.as_of), books.as_of, "default", months)
    try:
        period_end(window.as_of)
    except OutOfRangeError:
        which = "the time filter" if window.reason == "filter" else f"the default as-of date {window.as_of}"
        return f"{which} {BEYOND_LAST_MONTH}"
    return window
