"""The revenue waterfall of a ledger's books by any group, the largest groups shown and the rest summed as "(other)".

By account, product, customer, contract or invoice the waterfall reads only
the loaded ledger's postings and metadata. By rule it needs, for the user's own
revenue postings (a line recognised at once, or before its deferral), the rule
the engine chose for their line: the choice rule usage computes too
(``Books.choices``), without any schedule.
"""

from __future__ import annotations

import datetime

from beancount_revrec.contracts import CONTRACT_RULE
from beancount_revrec.credits import CREDIT_RULE
from beancount_revrec.engine import Choices
from beancount_revrec.reports.books import Books
from beancount_revrec.reports.periods import RuleOf, waterfall
from beancount_revrec.reports.rows import WaterfallRow
from beancount_revrec.reports.sides import SIDES

DEFAULT_TOP = 10


def revenue_by(
    books: Books, start: datetime.date, end: datetime.date | None, by: str, as_of: datetime.date, top: int = 0,
) -> list[WaterfallRow]:
    """The waterfall in [start, end) by ``by`` (one of ``GROUPS``), with at most ``top`` groups per currency (0: all).

    Groups beyond the ``top`` largest are summed as ``(other)``: every month's
    total is unchanged. On the expense side (``books.side``) the amounts are the
    income statement's costs (a debit is positive) and the months up to the
    as-of date's are expensed.
    """
    rule_of = posting_rules(books.choices) if by == "rule" else None
    rows = waterfall(books.scheduled_between(start, end), books.config, start, end, by, as_of, rule_of, top)
    words = SIDES[books.side]
    flip = -words.sign  # the waterfall's amounts are credits (revenue's sign, -1)
    return [row._replace(revenue=flip * row.revenue, status=words.done if row.status == "recognised" else row.status)
            for row in rows]


def posting_rules(choices: Choices) -> RuleOf:
    """The rule of each line's posting: the engine's choice; a credit's ``credit``, a contract billing's ``contract``.

    A line whose ``revrec:`` is no treatment has none (it stays as booked, with its error). A posting is known by
    its metadata, which Beancount's parser gives each posting, and its account.
    """
    rules = {}
    for line in choices.lines:
        rule = choices.chosen.get(line.key) or (CREDIT_RULE if line.credit_for is not None
                                                else CONTRACT_RULE if line.contract is not None else None)
        if rule is not None:
            rules[id(line.meta), line.account] = rule
    return rules
