"""Reports on sources and rules: explain a number, each rule's use, the lines waiting for a payment.

Explain and rule usage need what only the engine knows (the rules considered
for each line); ``Books.analysis`` computes it on first use, for them alone.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from beancount.core.data import Transaction

from beancount_revrec.contracts import CONTRACT_RULE
from beancount_revrec.engine import OVERRIDE_RULE, Analysis
from beancount_revrec.meta import KEY, KIND, corrected_key, parse_key, source_of
from beancount_revrec.records import Treated
from beancount_revrec.reports.books import Books
from beancount_revrec.reports.periods import posting_rows
from beancount_revrec.reports.rows import CreditRow, EntryRow, Explained, RuleRow, Verdict, Waiting
from beancount_revrec.rules import Rule, applies, mismatch
from beancount_revrec.sources import Line


def location(meta: dict[str, Any]) -> str:
    """``file:line`` of a directive's meta."""
    return f"{meta.get('filename')}:{meta.get('lineno')}"


def explain(books: Books, ident: str) -> list[Explained]:
    """For each source ``ident`` names: the line, each rule considered, the treatment and its booked entries.

    ``ident`` is a line id, an invoice id, a line key, a contract item (``CONTRACT/ITEM``) or any
    generated entry's ``revrec-key``. A source is an invoice line or other payment, a contract item,
    a recorded contract billing or a contract's billing schedule.
    """
    analysis = books.analysis
    sources = {line.key: line for line in analysis.lines}
    sources.update((movement.source.key, movement.source) for movement in analysis.movements)
    found = [line for line in sources.values() if ident in (line.line_id, line.invoice, line.key)]
    if not found:
        key = source_of(ident)
        found = [sources[key]] if key in sources else []
    treated = {item.line.key: item for item in analysis.treated}
    return [_explain_line(line, treated.get(line.key), _entries_of(line, books), analysis) for line in found]


def _entries_of(line: Line, books: Books) -> list[Transaction]:
    """The entries the ledger books for a source, by date: frozen by a close, generated, and their corrections.

    A credited line's list has its credits' entries too, so that they add up.
    """
    keys = {line.key}
    if _kind_of(line) == "line" and line.line_id is not None:
        keys |= {other.key for other in books.analysis.lines if other.credit_for == line.line_id}
    return sorted((entry for entry in books.booked if source_of(corrected_key(entry.meta)) in keys),
                  key=lambda entry: entry.date)


def _explain_line(line: Line, item: Treated | None, entries: list[Transaction], analysis: Analysis) -> Explained:
    crediting = [other for other in analysis.lines if line.line_id is not None and other.credit_for == line.line_id]
    kind = _kind_of(line)
    contract = kind != "line"
    return Explained(
        line=line.key, kind=kind, source=location(line.meta), date=line.date, account=line.account,
        amount=line.amount if kind == "billing schedule" else -line.amount, currency=line.currency,
        attributes=_attributes(line),
        rules=() if contract else _considered(line, analysis.rules, item),
        rule=item.rule if item else (CONTRACT_RULE if contract else None),
        treatment=item.treatment.text if item else ("billing" if contract else None),
        status=_status_of(line, item, contract),
        entries=tuple(_entry_row(entry) for entry in entries),
        credited_by=tuple(CreditRow(credit.key, credit.date, credit.amount, credit.currency) for credit in crediting),
    )


def _kind_of(line: Line) -> str:
    """What a source is: a line, a contract item, a recorded contract billing or a billing schedule."""
    if line.source == "contract":
        return "contract item" if line.line_id is not None else "billing schedule"
    return "line" if line.contract is None else "contract billing"


def _status_of(line: Line, item: Treated | None, contract: bool) -> str:  # noqa: FBT001
    if item is not None:
        return "treated"
    if contract:
        return "contract billing: no rule applies to it"
    return "stays as booked: see the error at " + location(line.meta)


def _attributes(line: Line) -> dict[str, str]:
    values = {"invoice": line.invoice, "line": line.line_id, "customer": line.customer, "product": line.product,
              "price": line.price, "source": line.source, "override": line.override,
              "credit-for": line.credit_for,
              "service": f"{line.service[0]} to {line.service[1]} (exclusive)" if line.service else None,
              "paid": str(line.payment_date) if line.payment_date else None}
    return {key: str(value) for key, value in values.items() if value is not None}


def _considered(line: Line, rules: Sequence[Rule], item: Treated | None) -> tuple[Verdict, ...]:
    """Each rule in priority order with why it applies or not to ``line``."""
    rows = []
    winner = item.rule if item else None
    for rule in rules:
        reason = mismatch(rule, line)
        if reason is not None:
            verdict = f"no: {reason}"
        elif line.credit_for is not None:
            verdict = "matches, not used: a credit line follows the line it credits"
        elif winner == OVERRIDE_RULE:
            verdict = "matches, not used: the line's revrec: override beats every rule"
        elif rule.name == winner:
            verdict = "matches: applied (the first matching rule)"
        else:
            verdict = f'matches, not used: "{winner}" is written first'
        rows.append(Verdict(rule.name, location(rule.meta), verdict))
    return tuple(rows)


def _entry_row(entry: Transaction) -> EntryRow:
    """A booked entry as a row: the accounts it debits and credits (joined by "+") and the amount it moves."""
    moves = posting_rows(entry)
    return EntryRow(entry.date, entry.meta[KIND], entry.meta[KEY],
                    " + ".join(move.account for move in moves if move.number > 0),
                    " + ".join(move.account for move in moves if move.number < 0),
                    sum((move.number for move in moves if move.number > 0), Decimal(0)),
                    moves[0].currency if moves else "")


def rule_usage(books: Books, last_date: datetime.date | None = None) -> list[RuleRow]:
    """Per rule: effective period, lines matched, won and lost, and whether it ever wins.

    ``last_date`` (the ledger's last date) tells expired rules from unused ones.
    """
    analysis = books.analysis
    winners = {item.line.key: item.rule for item in analysis.treated}
    rows = []
    for rule in analysis.rules:
        matched = [line for line in analysis.lines if line.credit_for is None and applies(rule, line)]
        won = [line for line in matched if winners.get(line.key) == rule.name]
        lost = [line for line in matched if winners.get(line.key) != rule.name]
        rows.append(RuleRow(
            rule.name, location(rule.meta), f"{rule.start} to {rule.until or 'open'}", rule.treatment.text,
            len(matched), len(won), len(lost), tuple(sorted({winners.get(line.key) or "error" for line in lost})),
            tuple(line.key for line in lost), _status(rule, won, lost, last_date)))
    return rows


def _status(rule: Rule, won: list[Line], lost: list[Line], last_date: datetime.date | None) -> str:
    if won:
        return "active"
    if lost:
        return "never wins: shadowed"
    if rule.until is not None and last_date is not None and rule.until <= last_date:
        return "never wins: expired"
    return "matches no line"


def waiting_for_payment(books: Books) -> list[Waiting]:
    """Lines deferred with nothing booked to recognise them: treated "from payment", they wait for one."""
    deferrals: dict[str, Transaction] = {}
    recognised: set[str] = set()
    for entry in books.booked:
        key = parse_key(corrected_key(entry.meta))
        if key.kind == "deferral":
            deferrals.setdefault(key.source, entry)
        elif key.kind == "recognition":
            recognised.add(key.source)
    return [Waiting(source, entry.meta.get("invoice"), entry.date, location(entry.meta))
            for source, entry in deferrals.items() if source not in recognised]
