"""Reports by period over the loaded ledger: the waterfall, the roll-forward, the corrections.

They read the ledger as Beancount loaded it (the user's entries and what the
plugin added), so every figure is a sum of postings that bean-query and Fava's
own reports show too.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from beancount.core.data import Posting, Transaction

from beancount_revrec.config import Config
from beancount_revrec.errors import OutOfRangeError
from beancount_revrec.meta import CAUSE, CORRECTS, FROZEN, KEY, KIND, RECOMPUTED, RULE, parse_key
from beancount_revrec.reports.rows import ROLL_COLUMNS, CorrectionRow, PostingRow, RollRow, WaterfallRow
from beancount_revrec.schedule import ZERO, add_months
from beancount_revrec.sources import Membership

GROUPS = ("account", "product", "customer", "contract", "invoice", "rule")
"""What revenue can be broken down by: a generated entry's metadata (``revrec-rule`` for the rule), else the line's."""
NONE = "(none)"
OTHER = "(other)"
"""The group of what the groups beyond the largest ones hold together (``reports.breakdown``); last in a pivot."""
RuleOf = Mapping[tuple[int, str], str]
"""The rule each of the user's revenue postings follows, by the id of its metadata and its account."""
_COLUMN_OF_KIND = {"deferral": "deferred", "billing": "billed", "recognition": "recognised",
                   "correction": "corrections"}
_BILLED_RECLASS = "unbilled"  # the reclass of a line's unbilled revenue on its date: the line bills it


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


_LAST_MONTH = datetime.date(datetime.MAXYEAR, 12, 1)  # a roll-forward's months cannot step past it
BEYOND_LAST_MONTH = ("reaches into December 9999, the last month a date can have: choose a period that ends by "
                     "9999-11-30")


def period_end(as_of: datetime.date) -> datetime.date:
    """The exclusive end of a report through ``as_of``.

    Raises:
        OutOfRangeError: ``as_of`` is in December 9999, whose month has no end Beancount can date.
    """
    if as_of >= _LAST_MONTH:
        raise OutOfRangeError(f"the report {BEYOND_LAST_MONTH}")
    return as_of + datetime.timedelta(days=1)


def month_starts(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The first days of the months from ``start``'s month up to (excluding) ``end``."""
    months, month = [], month_start(start)
    while month < end:
        months.append(month)
        month = add_months(month, 1)
    return months


GroupOf = Callable[[Transaction, Posting, RuleOf], object]


def _entry_meta(key: str) -> GroupOf:
    return lambda entry, _posting, _rules: entry.meta.get(key)


def _account(_entry: Transaction, posting: Posting, _rules: RuleOf) -> object:
    return posting.account


def _own_rule(entry: Transaction, posting: Posting, rules: RuleOf) -> object:
    return rules.get((id(posting.meta or entry.meta), posting.account))


_GENERATED: dict[str, GroupOf] = {"account": _account, "rule": _entry_meta(RULE),
                                  **{by: _entry_meta(by) for by in ("product", "customer", "contract", "invoice")}}
"""Each group of a generated entry's posting: its account, else the entry's metadata."""
_OWN: dict[str, GroupOf] = {
    "account": _account, "rule": _own_rule, "contract": _entry_meta("contract"), "invoice": _entry_meta("invoice"),
    "product": lambda _entry, posting, _rules: (posting.meta or {}).get("product"),
    "customer": lambda entry, _posting, _rules: entry.meta.get("customer", entry.payee),
}
"""Each group of the user's revenue posting, where the plugin reads its line's (``sources.read_lines``)."""


Cell = tuple[datetime.date, str, str]  # month, group, currency


def waterfall(
    entries: Iterable[Any], config: Config, start: datetime.date, end: datetime.date | None, by: str,
    as_of: datetime.date, rule_of: RuleOf | None = None, top: int = 0,
) -> list[WaterfallRow]:
    """Revenue per month in [start, end) (None: no end) per group (one of ``GROUPS``) and currency.

    Revenue is the credit balance of the revenue accounts: what the income
    statement shows. Months after ``as_of``'s month are ``scheduled``: their
    revenue is recognition the plugin has already dated in the future.

    A generated entry's revenue belongs to the group its metadata names; a
    posting of the user's to the group of its line, read as the plugin reads
    it (so a line's revenue and its deferral fall in one group). Only the
    engine knows the rule of a line: ``rule_of`` (``reports.breakdown``) tells
    it; without it the user's own postings are ``(none)`` by rule. With ``top``,
    only the ``top`` largest groups of each currency show, the rest as ``(other)``.
    """
    revenue = _revenue(entries, config, start, end, _GENERATED[by], _OWN[by], rule_of or {})
    if top:
        revenue = _largest(revenue, top)
    current = month_start(as_of)
    return [WaterfallRow(month_text(month), group, currency, amount, "recognised" if month <= current else "scheduled")
            for (month, group, currency), amount in sorted(revenue.items(), key=_shown_order)]


def _revenue(
    entries: Iterable[Any], config: Config, start: datetime.date, end: datetime.date | None,
    generated_group: GroupOf, own_group: GroupOf, rules: RuleOf,
) -> dict[Cell, Decimal]:
    """Revenue per month, group and currency, none zero."""
    revenue: dict[Cell, Decimal] = defaultdict(Decimal)
    is_revenue = Membership(config.revenue)
    for entry in _transactions(entries, start, end):
        group_of = generated_group if KIND in entry.meta else own_group
        for posting in entry.postings:
            if is_revenue[posting.account] and posting.units is not None and posting.units.number is not None:
                group = group_of(entry, posting, rules)
                key = month_start(entry.date), NONE if group is None else str(group), posting.units.currency
                revenue[key] -= posting.units.number
    return {cell: amount for cell, amount in revenue.items() if amount}


def _largest(revenue: dict[Cell, Decimal], top: int) -> dict[Cell, Decimal]:
    """Per currency, the ``top`` groups of the largest absolute revenue (ties by name), the rest summed as OTHER.

    A currency with ``top`` groups or fewer keeps them all. No month's total changes.
    """
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for (_, group, currency), amount in revenue.items():
        totals[currency, group] += amount
    ranked: dict[str, list[tuple[Decimal, str]]] = defaultdict(list)
    for (currency, group), total in totals.items():
        ranked[currency].append((-abs(total), group))
    kept = {(currency, group) for currency, groups in ranked.items()
            for _, group in (sorted(groups)[:top] if len(groups) > top else groups)}
    folded: dict[Cell, Decimal] = defaultdict(Decimal)
    for (month, group, currency), amount in revenue.items():
        folded[month, group if (currency, group) in kept else OTHER, currency] += amount
    return {cell: amount for cell, amount in folded.items() if amount}


def _shown_order(item: tuple[Cell, Decimal]) -> tuple[datetime.date, bool, str, str]:
    """Rows by month, then group ((other) last), then currency."""
    (month, group, currency), _ = item
    return month, group == OTHER, group, currency


class Pivot(NamedTuple):
    """The waterfall as a table: one line per month, one column per group and currency."""

    columns: list[tuple[str, str]]  # (group, currency)
    currencies: list[str]
    months: list[dict[Any, Any]]  # "month", "status"; revenue by (group, currency); total by currency


def pivot(rows: Sequence[WaterfallRow]) -> Pivot:
    """The waterfall's rows pivoted: months down, groups across, with each month's total per currency."""
    columns = sorted({(row.group, row.currency) for row in rows}, key=lambda column: (column[0] == OTHER, column))
    months: dict[str, dict[Any, Any]] = {}
    for row in rows:
        month = months.setdefault(row.month, {"month": row.month, "status": row.status})
        month[row.group, row.currency] = row.revenue
        month[row.currency] = month.get(row.currency, Decimal(0)) + row.revenue
    return Pivot(columns, sorted({currency for _, currency in columns}), [months[key] for key in sorted(months)])


Movements = dict[tuple[str, str, datetime.date, str], Decimal]
"""What the rolled-forward accounts move: by account, currency, day and roll-forward column."""


def movements(entries: Iterable[Any], accounts: Sequence[str], end: datetime.date | None = None) -> Movements:
    """The movements of ``accounts`` before ``end`` (None: all), per day and column, in one pass over the ledger."""
    moves: Movements = defaultdict(Decimal)
    for entry in _transactions(entries, None, end):
        for posting in entry.postings:
            if posting.account in accounts and posting.units is not None and posting.units.number is not None:
                moves[posting.account, posting.units.currency, entry.date, _column(entry.meta)] += posting.units.number
    return moves


def rollforward(
    entries: Iterable[Any], accounts: Sequence[str], start: datetime.date, end: datetime.date,
) -> list[RollRow]:
    """Per account, currency and month in [start, end): opening, movements by kind, closing.

    Amounts carry Beancount's signs, as Fava's balance sheet shows them (deferred
    revenue, a liability, is negative). The closing balance of a month is the
    opening of the next, and the balance of the account at the month's end.
    """
    return rollforward_of(movements(entries, accounts, end), start, end)


def rollforward_of(moves: Movements, start: datetime.date, end: datetime.date) -> list[RollRow]:
    """The roll-forward of [start, end) from the ledger's ``movements`` (those from ``end`` on are left out)."""
    opening: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    by_month: dict[tuple[str, str, datetime.date, str], Decimal] = defaultdict(Decimal)
    for (account, currency, day, column), number in moves.items():
        if day < start:
            opening[account, currency] += number
        elif day < end:
            by_month[account, currency, month_start(day), column] += number
    shown = {key for key, balance in opening.items() if balance} | {key[:2] for key, number in by_month.items()
                                                                     if number}
    rows = []
    for account, currency in sorted(shown):
        balance = opening[account, currency]
        for month in month_starts(start, end):
            deferred, billed, recognised, corrections, other = (by_month.get((account, currency, month, column), ZERO)
                                                                  for column in ROLL_COLUMNS[1:-1])
            closing = balance + deferred + billed + recognised + corrections + other
            rows.append(RollRow(account, currency, month_text(month), balance, deferred, billed, recognised,
                                corrections, other, closing))
            balance = closing
    return rows


def _column(meta: dict[str, Any]) -> str:
    """The roll-forward's column of a movement: by its kind; a line billing its unbilled revenue is billed."""
    kind = str(meta.get(KIND))
    if kind == "reclass" and parse_key(str(meta.get(KEY))).part == _BILLED_RECLASS:
        return "billed"
    return _COLUMN_OF_KIND.get(kind, "other")


def correction_rows(entries: Iterable[Any]) -> list[CorrectionRow]:
    """The corrections among ``entries``: what each corrects, why, and its postings."""
    return [CorrectionRow(entry.date, entry.meta[CORRECTS], entry.meta[KEY], entry.meta[FROZEN], entry.meta[RECOMPUTED],
                          entry.meta[CAUSE], posting_rows(entry))
            for entry in entries if isinstance(entry, Transaction) and entry.meta.get(KIND) == "correction"]


def posting_rows(entry: Transaction) -> tuple[PostingRow, ...]:
    """An entry's postings as rows."""
    return tuple(PostingRow(posting.account, posting.units.number, posting.units.currency)
                 for posting in entry.postings if posting.units is not None and posting.units.number is not None)


def _transactions(
    entries: Iterable[Any], start: datetime.date | None, end: datetime.date | None,
) -> Iterable[Transaction]:
    first = start or datetime.date.min
    return (entry for entry in entries
            if isinstance(entry, Transaction) and first <= entry.date and (end is None or entry.date < end))
