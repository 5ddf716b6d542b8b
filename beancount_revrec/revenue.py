"""Revenue reports over a loaded ledger: the waterfall, the roll-forward, the corrections.

They read the ledger as Beancount loaded it (the user's entries and what the
plugin added), so every figure is a sum of postings that bean-query and Fava's
own reports show too. Shared by ``bean-revrec schedule`` and the Fava page.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from beancount.core.data import Posting, Transaction

from beancount_revrec.close import CORRECTS, KEY
from beancount_revrec.config import Config
from beancount_revrec.errors import OutOfRangeError
from beancount_revrec.schedule import add_months
from beancount_revrec.sources import KIND_KEY, Membership

Row = dict[str, Any]
GROUPS = ("account", "contract", "product")
NONE = "(none)"
ROLL_COLUMNS = ("opening", "deferred", "billed", "recognised", "corrections", "other", "closing")
_COLUMN_OF_KIND = {"deferral": "deferred", "billing": "billed", "recognition": "recognised",
                   "correction": "corrections"}


def month_start(day: datetime.date) -> datetime.date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def month_text(day: datetime.date) -> str:
    """``YYYY-MM`` of ``day``'s month, the year written with four digits even before 1000."""
    return day.isoformat()[:7]


def months_after(month: datetime.date, months: int) -> datetime.date | None:
    """``months`` after ``month``, or None beyond the calendar (a waterfall then runs to its end)."""
    try:
        return add_months(month, months)
    except OutOfRangeError:
        return None


def month_starts(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The first days of the months from ``start``'s month up to (excluding) ``end``."""
    months, month = [], month_start(start)
    while month < end:
        months.append(month)
        month = add_months(month, 1)
    return months


def waterfall(
    entries: Iterable[Any], config: Config, start: datetime.date, end: datetime.date | None, by: str,
    as_of: datetime.date,
) -> list[Row]:
    """Revenue per month in [start, end) (None: no end) per group (revenue account, contract or product) and currency.

    Revenue is the credit balance of the revenue accounts: what the income
    statement shows. Months after ``as_of``'s month are ``scheduled``: their
    revenue is recognition the plugin has already dated in the future.
    """
    revenue: dict[tuple[datetime.date, str, str], Decimal] = defaultdict(Decimal)
    is_revenue = Membership(config.revenue)
    for entry in _transactions(entries, start, end):
        for posting in entry.postings:
            if is_revenue[posting.account] and posting.units is not None and posting.units.number is not None:
                key = month_start(entry.date), _group(by, entry, posting), posting.units.currency
                revenue[key] -= posting.units.number
    current = month_start(as_of)
    return [{"month": month_text(month), by: group, "currency": currency, "revenue": amount,
             "status": "recognised" if month <= current else "scheduled"}
            for (month, group, currency), amount in sorted(revenue.items()) if amount]


class Pivot(NamedTuple):
    """The waterfall as a table: one line per month, one column per group and currency."""

    columns: list[tuple[str, str]]  # (group, currency)
    currencies: list[str]
    months: list[dict[Any, Any]]  # "month", "status"; revenue by (group, currency); total by currency


def pivot(rows: Sequence[Row], by: str) -> Pivot:
    """The waterfall's rows pivoted: months down, groups across, with each month's total per currency."""
    columns = sorted({(row[by], row["currency"]) for row in rows})
    months: dict[str, dict[Any, Any]] = {}
    for row in rows:
        month = months.setdefault(row["month"], {"month": row["month"], "status": row["status"]})
        month[row[by], row["currency"]] = row["revenue"]
        month[row["currency"]] = month.get(row["currency"], Decimal(0)) + row["revenue"]
    return Pivot(columns, sorted({currency for _, currency in columns}), [months[key] for key in sorted(months)])


def _group(by: str, entry: Transaction, posting: Posting) -> str:
    if by == "account":
        return str(posting.account)
    value = (posting.meta or {}).get(by, entry.meta.get(by))
    return NONE if value is None else str(value)


def rollforward(
    entries: Iterable[Any], accounts: Sequence[str], start: datetime.date, end: datetime.date,
) -> list[Row]:
    """Per account, currency and month in [start, end): opening, movements by kind, closing.

    Amounts carry Beancount's signs, as Fava's balance sheet shows them (deferred
    revenue, a liability, is negative). The closing balance of a month is the
    opening of the next, and the balance of the account at the month's end.
    """
    months = month_starts(start, end)
    opening: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    moves: dict[tuple[str, str, datetime.date, str], Decimal] = defaultdict(Decimal)
    for entry in _transactions(entries, None, end):
        for posting in entry.postings:
            if posting.account in accounts and posting.units is not None and posting.units.number is not None:
                key = posting.account, posting.units.currency
                if entry.date < start:
                    opening[key] += posting.units.number
                else:
                    column = _COLUMN_OF_KIND.get(str(entry.meta.get(KIND_KEY)), "other")
                    moves[(*key, month_start(entry.date), column)] += posting.units.number
    shown = {key for key, balance in opening.items() if balance} | {key[:2] for key, number in moves.items() if number}
    rows = []
    for account, currency in sorted(shown):
        balance = opening[account, currency]
        for month in months:
            row: Row = {"account": account, "currency": currency, "month": month_text(month),
                        "opening": balance}
            for column in ROLL_COLUMNS[1:-1]:
                row[column] = moves.get((account, currency, month, column), Decimal(0))
                balance += row[column]
            rows.append({**row, "closing": balance})
    return rows


def correction_rows(entries: Iterable[Any]) -> list[Row]:
    """The corrections among ``entries``: what each corrects, why, and its postings."""
    return [correction_row(entry) for entry in entries
            if isinstance(entry, Transaction) and entry.meta.get(KIND_KEY) == "correction"]


def correction_row(entry: Transaction) -> Row:
    """One correction: its date, the key it corrects, the frozen and recomputed amounts, the cause."""
    return {"date": str(entry.date), "corrects": entry.meta[CORRECTS], "key": entry.meta[KEY],
            "frozen": entry.meta["revrec-frozen"], "recomputed": entry.meta["revrec-recomputed"],
            "cause": entry.meta["revrec-cause"],
            "postings": [f"{p.account} {p.units.number} {p.units.currency}" for p in entry.postings if p.units]}


def _transactions(
    entries: Iterable[Any], start: datetime.date | None, end: datetime.date | None,
) -> Iterable[Transaction]:
    first = start or datetime.date.min
    return (entry for entry in entries
            if isinstance(entry, Transaction) and first <= entry.date and (end is None or entry.date < end))
