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

from beancount_revrec.contract_directives import Billing
from beancount_revrec.contracts import CONTRACT_RULE
from beancount_revrec.credits import CREDIT_RULE
from beancount_revrec.engine import OVERRIDE_RULE
from beancount_revrec.meta import KEY, KIND, corrected_key, source_of
from beancount_revrec.records import Treated
from beancount_revrec.reports.books import Books
from beancount_revrec.reports.periods import posting_rows
from beancount_revrec.reports.rows import CreditRow, EntryRow, Explained, Money, RuleRow, Verdict, Waiting
from beancount_revrec.reports.sides import SIDES
from beancount_revrec.rules import MATCH_KEYS, Rule, applies, mismatch, rule_side
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
    sources: dict[str, Line | Billing] = {line.key: line for line in analysis.lines}
    sources.update((_key_of(movement.source), movement.source) for movement in analysis.movements)
    found = [source for key, source in sources.items()
             if ident == key or (isinstance(source, Line) and ident in (source.line_id, source.invoice))]
    treated = {item.line.key: item for item in analysis.treated}
    if not found:
        key = source_of(ident)
        made = treated.get(key)  # a void's, a write-off's or a recovery's: explained with the line it credits
        if key not in sources and made is not None and made.rule == CREDIT_RULE:
            key = next((line.key for line in analysis.lines if made.line.credit_for in (line.key, line.line_id)), key)
        found = [sources[key]] if key in sources else []
    return [_explain_billing(source, books) if isinstance(source, Billing)
            else _explain_line(source, treated.get(source.key), books) for source in found]


def _key_of(source: Line | Billing) -> str:
    """The key of a contract movement's source: a billing schedule's is its contract."""
    return source.contract if isinstance(source, Billing) else source.key


def _entries_of(keys: set[str], books: Books) -> tuple[EntryRow, ...]:
    """The entries the ledger books for sources, by date: frozen by a close, generated, and their corrections."""
    booked = [entry for entry in books.booked if source_of(corrected_key(entry.meta)) in keys]
    return tuple(_entry_row(entry) for entry in sorted(booked, key=lambda entry: entry.date))


def _explain_line(line: Line, item: Treated | None, books: Books) -> Explained:
    """A line, contract item or recorded contract billing; a credited line's entries include its credits'."""
    crediting = [other for other in books.analysis.lines
                 if line.line_id is not None and other.credit_for == line.line_id]
    made = {credit.key for credit in crediting}
    crediting += [item.line for item in books.analysis.treated  # voids, write-offs and recoveries
                  if item.line.key != line.key and item.line.credit_for in (line.line_id, line.key)
                  and item.line.key not in made and item.rule == CREDIT_RULE]
    kind = _kind_of(line)
    contract = kind != "line"
    return Explained(
        line=line.key, kind=kind, source=location(line.meta), date=line.date, account=line.account,
        amount=SIDES[line.side].sign * line.amount, currency=line.currency, attributes=_attributes(line),
        rules=() if contract else _considered(line, [rule for rule in books.analysis.rules
                                                     if rule_side(rule, books.plugin.expenses) == line.side], item),
        rule=item.rule if item else (CONTRACT_RULE if contract else None),
        treatment=item.treatment.text if item else ("billing" if contract else None),
        status=_status_of(line, item, contract),
        entries=_entries_of({line.key} | {credit.key for credit in crediting}, books),
        credited_by=tuple(CreditRow(credit.key, credit.date, credit.amount, credit.currency) for credit in crediting),
    )


def _explain_billing(billing: Billing, books: Books) -> Explained:
    """A contract's billing schedule and every billing it books."""
    customer = books.contracts.contracts[billing.contract].customer
    return Explained(
        line=billing.contract, kind="billing schedule", source=location(billing.meta), date=billing.date, account="",
        amount=billing.amount, currency=billing.currency,
        attributes={"customer": customer, "source": "contract"} if customer else {"source": "contract"},
        rules=(), rule=CONTRACT_RULE, treatment="billing", status=_CONTRACT_BILLING,
        entries=_entries_of({billing.contract}, books), credited_by=())


def _kind_of(line: Line) -> str:
    """What a line is: an invoice line or payment, a contract item, a recorded contract billing or a contract cost."""
    if line.source == "contract":
        return "contract item"
    if line.contract is None:
        return "line"
    return "contract cost" if line.side == "expense" else "contract billing"


def _status_of(line: Line, item: Treated | None, contract: bool) -> str:  # noqa: FBT001
    if item is not None:
        return "treated"
    if contract:
        return _CONTRACT_BILLING
    return "stays as booked: see the error at " + location(line.meta)


_CONTRACT_BILLING = "contract billing: no rule applies to it"


def _attributes(line: Line) -> dict[str, str]:
    values = {"invoice": line.invoice, "line": line.line_id, SIDES[line.side].party: line.customer,
              "product": line.product,
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
    """Per rule of the books' side: match keys, effective period, lines matched, won and lost, what it governs.

    ``last_date`` (the ledger's last date) tells expired rules from unused ones. A rule treats one side's
    lines only (``rules.rule_side``).
    """
    choices = books.choices
    winners = choices.chosen
    rows = []
    for rule in choices.rules:
        if rule_side(rule, books.plugin.expenses) != books.side:
            continue
        matched = [line for line in choices.lines if line.credit_for is None and applies(rule, line)]
        won = [line for line in matched if winners.get(line.key) == rule.name]
        lost = [line for line in matched if winners.get(line.key) != rule.name]
        rows.append(RuleRow(
            rule.name, location(rule.meta), match_keys(rule), f"{rule.start} to {rule.until or 'open'}",
            rule.treatment.text, len(matched), len(won), len(lost),
            tuple(sorted({winners.get(line.key) or "error" for line in lost})), tuple(line.key for line in lost),
            _governed(won), _status(rule, won, lost, last_date)))
    return rows


def match_keys(rule: Rule) -> str:
    """A rule's match keys as its directive writes them, in its order: ``account: Income:Sales, product: prod_1``."""
    return ", ".join(f"{key}: {value}" for key, value in rule.meta.items() if key in MATCH_KEYS)


def _governed(lines: list[Line]) -> tuple[Money, ...]:
    """The revenue (on the expense side, the cost) of ``lines`` per currency, in currency order."""
    totals: dict[str, Decimal] = {}
    for line in lines:
        totals[line.currency] = totals.get(line.currency, Decimal(0)) + line.amount
    return tuple(Money(totals[currency], currency) for currency in sorted(totals))


def _status(rule: Rule, won: list[Line], lost: list[Line], last_date: datetime.date | None) -> str:
    if won:
        return "active"
    if lost:
        return "never wins: shadowed"
    if rule.until is not None and last_date is not None and rule.until <= last_date:
        return "never wins: expired"
    return "matches no line"


def waiting_for_payment(books: Books) -> list[Waiting]:
    """Lines deferred with nothing booked to recognise them: treated "from payment", they wait for one.

    Beyond a booking horizon, a recognition the engine schedules there counts too (looked up only if some
    line has none booked).
    """
    deferrals: dict[str, Transaction] = {}
    recognised: set[str] = set()
    for entry in books.booked:  # a correction corrects a deferral or recognition that is booked too
        kind = entry.meta[KIND]
        if kind == "deferral":
            deferrals.setdefault(source_of(entry.meta[KEY]), entry)
        elif kind == "recognition":
            recognised.add(source_of(entry.meta[KEY]))
    if books.horizon is not None and not deferrals.keys() <= recognised:
        recognised.update(source_of(entry.meta[KEY]) for entry in books.unbooked if entry.meta[KIND] == "recognition")
    return [Waiting(source, entry.meta.get("invoice"), entry.date, location(entry.meta))
            for source, entry in deferrals.items() if source not in recognised]
