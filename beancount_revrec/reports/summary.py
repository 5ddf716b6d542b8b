"""The monthly summary, as Stripe Revenue Recognition opens with it: one month's revenue and deferred revenue.

For one calendar month and per currency: the revenue recognised, split by
where it comes from (a schedule over a service period, at once on the line's
date, fulfillment, revenue contracts, corrections of closed periods), the
contra revenue of each credit kind, the net revenue; then the deferred revenue
roll-forward (opening, deferred, billed, recognised, corrections, credits and
other postings, closing) and the contract asset and unbilled revenue balances.

Every figure is a sum of postings of the loaded ledger, the user's and what the
plugin generated, told apart by their ``revrec-*`` metadata; ``figure_query``
gives the BQL that sums the same postings (for Fava's query page and
bean-query). Revenue figures are the income statement's credit balance
(positive); balances keep Beancount's signs, as Fava's balance sheet and the
roll-forward show them (deferred revenue, a liability, is negative). The
balances are the roll-forward's own rows (``periods.rollforward``).

The expense side's summary (``Books.for_side("expense")``, ``LAYOUTS``) has
the same figures in its own words: what was expensed by origin (a cost is
positive), the prepaid expenses' roll-forward and the capitalised contract
costs; a cost has no contra account and is never billed.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from beancount.core.data import Posting, Transaction

from beancount_revrec.config import Config, Side
from beancount_revrec.contracts import CONTRACT_RULE
from beancount_revrec.credits import CONTRA, CREDIT_RULE, KINDS, CreditKind
from beancount_revrec.engine import CONTRACT_COST_RULE
from beancount_revrec.errors import OutOfRangeError
from beancount_revrec.meta import KEY, KIND, RULE, TREATMENT, parse_key
from beancount_revrec.reports.books import Books
from beancount_revrec.reports.periods import BEYOND_LAST_MONTH, month_text, months_after, rollforward
from beancount_revrec.reports.rows import RollRow
from beancount_revrec.reports.sides import SIDES
from beancount_revrec.schedule import ZERO
from beancount_revrec.sources import Membership


class Figure(NamedTuple):
    """One line of the summary: its section, its name in CSV and JSON, and its label.

    A balance figure names its account (a ``Config`` attribute) and its roll-forward column (a ``RollRow``
    field); an income-statement figure names neither.
    """

    section: str  # "revenue", "deferred" or "assets"; on the expense side "expense", "prepaid" or "costs"
    name: str
    label: str
    account: str = ""
    column: str = ""


_CONTRA_LABELS: dict[CreditKind, str] = {"refund": "Less refunds", "credit-note": "Less credit notes",
                                         "dispute": "Less disputes", "write-off": "Less bad debt (write-offs)",
                                         "void": "Less voided billings"}
REVENUE_FIGURES = (
    Figure("revenue", "scheduled", "Recognised over a service period or schedule"),
    Figure("revenue", "immediate", "Recognised at once, on the line's date"),
    Figure("revenue", "fulfillment", "Recognised on fulfillment"),
    Figure("revenue", "contracts", "Recognised from revenue contracts"),
    Figure("revenue", "corrections", "Corrections of closed periods"),
    Figure("revenue", "credits", "Credits on revenue lines"),
    *(Figure("revenue", f"contra:{kind}", _CONTRA_LABELS[kind]) for kind in KINDS),
    Figure("revenue", "net", "Net revenue"),
)
DEFERRED_FIGURES = (
    Figure("deferred", "deferred_opening", "Opening deferred revenue", "deferred", "opening"),
    Figure("deferred", "deferred_deferred", "Deferred from lines billed this month", "deferred", "deferred"),
    Figure("deferred", "deferred_billed", "Billed by revenue contracts", "deferred", "billed"),
    Figure("deferred", "deferred_recognised", "Released to revenue", "deferred", "recognised"),
    Figure("deferred", "deferred_corrections", "Corrections of closed periods", "deferred", "corrections"),
    Figure("deferred", "deferred_other", "Credits, voids, write-offs and other postings", "deferred", "other"),
    Figure("deferred", "deferred_closing", "Closing deferred revenue", "deferred", "closing"),
)
ASSET_FIGURES = (
    Figure("assets", "contract_asset_opening", "Opening contract assets", "contract_asset", "opening"),
    Figure("assets", "contract_asset_closing", "Closing contract assets", "contract_asset", "closing"),
    Figure("assets", "unbilled_opening", "Opening unbilled revenue", "unbilled", "opening"),
    Figure("assets", "unbilled_closing", "Closing unbilled revenue", "unbilled", "closing"),
)
FIGURES = REVENUE_FIGURES + DEFERRED_FIGURES + ASSET_FIGURES
ALWAYS_SHOWN = ("net", "deferred_opening", "deferred_closing")
SECTIONS = {"revenue": "Recognised revenue", "deferred": "Deferred revenue",
            "assets": "Contract assets and unbilled revenue"}
EXPENSE_FIGURES = (
    Figure("expense", "scheduled", "Expensed over a service period or schedule"),
    Figure("expense", "immediate", "Expensed at once, on the line's date"),
    Figure("expense", "fulfillment", "Expensed on fulfillment"),
    Figure("expense", "contracts", "Amortised contract costs"),
    Figure("expense", "corrections", "Corrections of closed periods"),
    Figure("expense", "credits", "Refunds and credit notes on costs"),
    Figure("expense", "net", "Net expense"),
    Figure("prepaid", "prepaid_opening", "Opening prepaid expenses", "deferred", "opening"),
    Figure("prepaid", "prepaid_additions", "Prepaid by costs paid this month", "deferred", "deferred"),
    Figure("prepaid", "prepaid_expensed", "Expensed", "deferred", "recognised"),
    Figure("prepaid", "prepaid_corrections", "Corrections of closed periods", "deferred", "corrections"),
    Figure("prepaid", "prepaid_other", "Refunds and other postings", "deferred", "other"),
    Figure("prepaid", "prepaid_closing", "Closing prepaid expenses", "deferred", "closing"),
    Figure("costs", "contract_cost_opening", "Opening capitalised contract costs", "contract_cost", "opening"),
    Figure("costs", "contract_cost_closing", "Closing capitalised contract costs", "contract_cost", "closing"),
)
"""The expense side's figures: a cost is a debit (positive), never billed, and has no contra account."""


class Layout(NamedTuple):
    """A side's summary: its figures in order, its sections' titles and the figures shown even when zero."""

    figures: tuple[Figure, ...]
    sections: dict[str, str]
    always: tuple[str, ...]


LAYOUTS: dict[Side, Layout] = {
    "revenue": Layout(FIGURES, SECTIONS, ALWAYS_SHOWN),
    "expense": Layout(EXPENSE_FIGURES, {"expense": "Expensed", "prepaid": "Prepaid expenses",
                                        "costs": "Capitalised contract costs"},
                      ("net", "prepaid_opening", "prepaid_closing")),
}
SUMMARY_COLUMNS = ("month", "section", "figure", "label", "currency", "amount")


class SummaryRow(NamedTuple):
    """One figure of the summary in one currency."""

    month: str  # YYYY-MM
    section: str
    figure: str
    label: str
    currency: str
    amount: Decimal


class Summary(NamedTuple):
    """The monthly summary: its month, its currencies and every figure in each of them (zeros included)."""

    month: str  # YYYY-MM
    start: datetime.date
    end: datetime.date  # exclusive
    currencies: list[str]
    rows: list[SummaryRow]  # the side's figures' order, then currency
    queries: dict[str, str]  # figure name -> the BQL that gives its amount per currency (``figure_query``)
    side: Side = "revenue"

    @property
    def sections(self) -> dict[str, str]:
        """Each section's title, in order."""
        return LAYOUTS[self.side].sections

    @property
    def last_day(self) -> datetime.date:
        """The month's last day."""
        return self.end - datetime.timedelta(days=1)

    def table(self) -> list[tuple[Figure, list[Decimal]]]:
        """The summary as the CLI and the page lay it out, as Stripe's: each figure with its amounts by currency.

        A figure zero in every currency is left out, but for net revenue (expense) and the deferred revenue
        (prepaid expenses) balances; an opening balance and its closing one show together.
        """
        layout = LAYOUTS[self.side]
        found = {(row.figure, row.currency): row.amount for row in self.rows}
        table = [(figure, [found[figure.name, currency] for currency in self.currencies]) for figure in layout.figures]
        balances = {(figure.account, figure.column): amounts for figure, amounts in table if figure.account}
        return [(figure, amounts) for figure, amounts in table
                if figure.name in layout.always or any(amounts)
                or any(balances.get((figure.account, _PAIRS.get(figure.column, "")), ()))]


_PAIRS = {"opening": "closing", "closing": "opening"}


class _Accounts(NamedTuple):
    """The accounts the revenue figures sum: the revenue accounts (without the plugin's own) and the contra accounts."""

    revenue: Membership
    own: frozenset[str]
    contra: dict[str, tuple[CreditKind, ...]]  # account -> the credit kinds booked to it, in KINDS' order

    def holds(self, account: str) -> bool:
        """Whether the revenue figures count ``account``."""
        return account in self.contra or (self.revenue[account] and account not in self.own)


def summary_accounts(config: Config) -> _Accounts:
    """The revenue and contra accounts of ``config``."""
    contra: dict[str, list[CreditKind]] = defaultdict(list)
    for kind in KINDS:
        account = config.reclass_account(CONTRA[kind])
        if account:  # the expense side has none: what was expensed stays on the expense account
            contra[account].append(kind)
    return _Accounts(Membership(config.revenue), frozenset(config.own_accounts()),
                     {account: tuple(kinds) for account, kinds in contra.items()})


def monthly_summary(books: Books, month: datetime.date, roll: Sequence[RollRow] | None = None) -> Summary:
    """The summary of ``month`` (any day of it), the whole month, in the loaded ledger.

    ``roll``: the roll-forward (``rollforward`` of ``books.rolled_forward``) of a period that starts on or
    before the month's first day and reaches into the month, if the caller has it (the Revenue page does):
    its row of the month gives the opening balances, which otherwise take a pass over the whole ledger.

    Raises:
        OutOfRangeError: the month is December 9999, whose end Beancount cannot date.
    """
    start = month.replace(day=1)
    end = months_after(start, 1)
    if end is None:
        raise OutOfRangeError(f"the summary of {month_text(start)} {BEYOND_LAST_MONTH}")
    month_entries = books.between(start, end)
    revenue = _revenue(month_entries, summary_accounts(books.config))
    balances = _month_rows(books, month_entries, start, end, roll)
    currencies = sorted({currency for _, currency in revenue} | {currency for _, currency in balances})
    shown = LAYOUTS[books.side].figures
    sign = SIDES[books.side].sign
    figures = []
    for currency in currencies:
        amounts = {name: sign * number for (name, cur), number in revenue.items() if cur == currency}
        amounts["net"] = sum(amounts.values(), ZERO)
        amounts |= _balances(books.config, shown, balances, currency)
        zero = ZERO.scaleb(-books.places(currency))  # 0.00: a zero written as the currency's amounts are
        figures += [(figure, currency, amounts.get(figure.name, ZERO) + zero) for figure in shown]
    order = {figure: index for index, figure in enumerate(shown)}
    return Summary(month_text(start), start, end, currencies,
                   [SummaryRow(month_text(start), figure.section, figure.name, figure.label, currency, amount)
                    for figure, currency, amount in sorted(figures, key=lambda row: (order[row[0]], row[1]))],
                   {figure.name: figure_query(books.config, figure, start, end, books.side) for figure in shown},
                   books.side)


def _month_rows(
    books: Books, month_entries: Sequence[Any], start: datetime.date, end: datetime.date,
    roll: Sequence[RollRow] | None,
) -> dict[tuple[str, str], RollRow]:
    """The roll-forward's row of the month per account and currency.

    Without ``roll``, the roll-forward of the month over the whole ledger. With it, the movements are the
    roll-forward of the month's entries alone, the opening balances ``roll``'s (at the month's first day).
    """
    month = month_text(start)
    if roll is None:
        return {(row.account, row.currency): row for row in rollforward(books.entries, books.rolled_forward,
                                                                         start, end)}
    opening = {(row.account, row.currency): row.opening for row in roll if row.month == month}
    moves = {(row.account, row.currency): row for row in rollforward(month_entries, books.rolled_forward, start, end)}
    rows = {}
    for account, currency in opening.keys() | moves.keys():
        row = moves.get((account, currency), RollRow(account, currency, month, *(ZERO,) * 7))
        balance = opening.get((account, currency), ZERO)
        rows[account, currency] = row._replace(opening=balance, closing=balance + row.closing)
    return rows


def _revenue(entries: Iterable[Any], accounts: _Accounts) -> dict[tuple[str, str], Decimal]:
    """The postings of ``entries`` to the revenue and contra accounts, per figure and currency (Beancount's signs)."""
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, Transaction):
            for posting in entry.postings:
                if accounts.holds(posting.account) and posting.units is not None and posting.units.number is not None:
                    sums[figure_of(entry, posting, accounts), posting.units.currency] += posting.units.number
    return sums


def figure_of(entry: Transaction, posting: Posting, accounts: _Accounts) -> str:
    """The revenue figure a posting to a revenue or contra account counts in (``_CONDITIONS`` in BQL)."""
    meta = entry.meta
    kind, rule = meta.get(KIND), meta.get(RULE)
    if kind == "correction":
        return "corrections"
    if kind == "reclass" and rule == CREDIT_RULE and posting.account in accounts.contra:
        return f"contra:{_contra_kind(posting.account, parse_key(str(meta.get(KEY))).part, accounts)}"
    if ((rule == CONTRACT_RULE and kind in ("recognition", "billing")) or rule == CONTRACT_COST_RULE
            or (kind is None and _contract(entry, posting) is not None)):
        return "contracts"
    if kind == "recognition":
        return "fulfillment" if "fulfillment" in str(meta.get(TREATMENT, "")) else "scheduled"
    if (kind == "reclass" and rule == CREDIT_RULE) or (kind is None and _credit_for(entry, posting) is not None):
        return "credits"
    return "immediate"


def _credit_for(entry: Transaction, posting: Posting) -> object:
    return (posting.meta or {}).get("credit-for", entry.meta.get("credit-for"))


def _contract(entry: Transaction, posting: Posting) -> object:
    """The contract of a user's posting: the transaction's, or the posting's own (a contract cost's)."""
    return (posting.meta or {}).get("contract", entry.meta.get("contract"))


_PART_OF_KIND: dict[CreditKind, str] = {kind: CONTRA[kind] for kind in KINDS}  # a refund's key ends in /contra
_KIND_OF_PART = {part: kind for kind, part in _PART_OF_KIND.items()}


def _contra_kind(account: str, part: str, accounts: _Accounts) -> CreditKind:
    """The credit kind of a posting to a contra account: its key's, where that kind books to the account.

    Otherwise (a void moving a write-off's contra revenue to its own account, a recovery giving it back)
    the first kind that books to the account: the account's own kind.
    """
    kinds = accounts.contra[account]
    kind = _KIND_OF_PART.get(part)
    return kind if kind in kinds else kinds[0]


def _balances(
    config: Config, figures: Iterable[Figure], balances: dict[tuple[str, str], RollRow], currency: str,
) -> dict[str, Decimal]:
    """The balance figures in ``currency``: the roll-forward's rows of the month."""
    empty = RollRow("", currency, "", *(ZERO,) * 7)
    return {figure.name: getattr(balances.get((getattr(config, figure.account), currency), empty), figure.column)
            for figure in figures if figure.account}


# --- The same figures in BQL -----------------------------------------------------------------------------------

def _meta(name: str) -> str:
    return f"entry_meta('{name}')"


_KIND_IS, _RULE_IS = _meta(KIND), _meta(RULE)
_CONTRACT_RULES = f"('{CONTRACT_RULE}', '{CONTRACT_COST_RULE}')"
_USER = f"{_KIND_IS} IS NULL"
_CONDITIONS = {
    "corrections": f"{_KIND_IS} = 'correction'",
    "contracts": f"(({_RULE_IS} = '{CONTRACT_RULE}' AND {_KIND_IS} IN ('recognition', 'billing')) "
                 f"OR ({_RULE_IS} = '{CONTRACT_COST_RULE}' AND {_KIND_IS} != 'correction') "
                 f"OR ({_USER} AND any_meta('contract') IS NOT NULL))",
    "fulfillment": f"({_KIND_IS} = 'recognition' AND {_RULE_IS} NOT IN {_CONTRACT_RULES} "
                   f"AND {_meta(TREATMENT)} ~ 'fulfillment')",
    "scheduled": f"({_KIND_IS} = 'recognition' AND {_RULE_IS} NOT IN {_CONTRACT_RULES} "
                 f"AND ({_meta(TREATMENT)} IS NULL OR NOT ({_meta(TREATMENT)} ~ 'fulfillment')))",
    "immediate": f"(({_USER} AND any_meta('contract') IS NULL AND any_meta('credit-for') IS NULL) "
                 f"OR ({_KIND_IS} IN ('deferral', 'reclass') AND {_RULE_IS} NOT IN ('{CREDIT_RULE}', "
                 f"'{CONTRACT_RULE}', '{CONTRACT_COST_RULE}')))",
}
"""The condition on a posting of each revenue figure: ``figure_of`` in BQL."""


def _revenue_condition(figure: str, accounts: _Accounts) -> str:
    contra = tuple(accounts.contra)
    if figure == "net":
        return _accounts_condition(accounts)
    if figure == "credits":
        return (f"{_accounts_condition(accounts)} AND (({_KIND_IS} = 'reclass' AND {_RULE_IS} = '{CREDIT_RULE}' "
                f"AND NOT (account IN {_strings(contra)})) OR ({_USER} AND any_meta('contract') IS NULL "
                "AND any_meta('credit-for') IS NOT NULL))")
    if figure in _CONTRA_FIGURES:
        return _contra_condition(_CONTRA_FIGURES[figure], accounts)
    return f"{_accounts_condition(accounts)} AND {_CONDITIONS[figure]}"


_CONTRA_FIGURES: dict[str, CreditKind] = {f"contra:{kind}": kind for kind in KINDS}


def _contra_condition(kind: CreditKind, accounts: _Accounts) -> str:
    account = next((account for account, kinds in accounts.contra.items() if kind in kinds), "")
    kinds = accounts.contra.get(account, ())
    others = "|".join(_PART_OF_KIND[other] for other in kinds if other != kind)
    base = f"account = '{account}' AND {_KIND_IS} = 'reclass' AND {_RULE_IS} = '{CREDIT_RULE}'"
    if kinds and kinds[0] == kind:  # the account's own kind: every posting not of another kind booked to it
        return base + (f" AND NOT ({_meta(KEY)} ~ '/({others})$')" if others else "")
    return f"{base} AND {_meta(KEY)} ~ '/{_PART_OF_KIND[kind]}$'"


def _accounts_condition(accounts: _Accounts) -> str:
    roots = "|".join(accounts.revenue.roots)
    own = tuple(account for account in sorted(accounts.own) if accounts.revenue[account])
    revenue = f"account ~ '^({roots})(:|$)'" + (f" AND NOT (account IN {_strings(own)})" if own else "")
    return f"(({revenue}) OR account IN {_strings(tuple(accounts.contra))})"


def _strings(values: tuple[str, ...]) -> str:
    """A BQL list of strings; none is ``('')``, which no account is (BQL has no empty list)."""
    return "(" + ", ".join(f"'{value}'" for value in values or ("",)) + ")"


_DEFERRED_CONDITIONS = {
    "deferred": f"{_KIND_IS} = 'deferral'",
    "billed": f"({_KIND_IS} = 'billing' OR ({_KIND_IS} = 'reclass' AND {_meta(KEY)} ~ '/unbilled$'))",
    "recognised": f"{_KIND_IS} = 'recognition'",
    "corrections": f"{_KIND_IS} = 'correction'",
    "other": f"({_USER} OR ({_KIND_IS} = 'reclass' AND NOT ({_meta(KEY)} ~ '/unbilled$')))",
}
"""The roll-forward's columns (``periods._column``) in BQL."""


def figure_query(
    config: Config, figure: Figure, start: datetime.date, end: datetime.date, side: Side = "revenue",
) -> str:
    """The BQL query whose result is ``figure`` of the month [start, end) per currency, as the summary shows it.

    ``config`` is the ``side``'s (``Config.for_side``).
    """
    if not figure.account:
        words = SIDES[side]
        total = "sum(number)" if words.sign > 0 else "neg(sum(number))"
        return (f"SELECT currency, {total} AS {words.amount} WHERE date >= {start} AND date < {end} AND "
                f"{_revenue_condition(figure.name, summary_accounts(config))} GROUP BY currency ORDER BY currency")
    account, column = getattr(config, figure.account), figure.column
    if column in ("opening", "closing"):
        return (f"SELECT currency, sum(number) AS balance WHERE account = '{account}' "
                f"AND date < {start if column == 'opening' else end} GROUP BY currency ORDER BY currency")
    return (f"SELECT currency, sum(number) AS {column} WHERE account = '{account}' AND date >= {start} "
            f"AND date < {end} AND {_DEFERRED_CONDITIONS[column]} GROUP BY currency ORDER BY currency")
