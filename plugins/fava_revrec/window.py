"""The dates a Revenue page covers.

From the start of Fava's time filter (without one, of the twelve months through
the as-of date) through the as-of date, then the waterfall's scheduled months.
"""

from __future__ import annotations

import datetime
from typing import NamedTuple

from beancount_revrec.reports import month_start, months_after


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
