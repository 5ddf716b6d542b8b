"""Reports shared by the CLI and the Fava extension: explain a number, rule usage.

Every report returns plain rows (dicts of strings, lists and numbers) so the
faces only format them.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from beancount.core.data import Transaction

from beancount_revrec.close import corrected_key, source_of
from beancount_revrec.contract_directives import Item
from beancount_revrec.contracts import CONTRACT_RULE, scheduled_billings
from beancount_revrec.credits import CREDIT_RULE
from beancount_revrec.engine import OVERRIDE_RULE
from beancount_revrec.entries import line_entries, movement_entry
from beancount_revrec.ledger import Result
from beancount_revrec.records import Treated
from beancount_revrec.rules import Rule, applies, mismatch
from beancount_revrec.schedule import months_between
from beancount_revrec.sources import Line

Row = dict[str, Any]


def location(meta: dict[str, Any]) -> str:
    """``file:line`` of a directive's meta."""
    return f"{meta.get('filename')}:{meta.get('lineno')}"


def explain(result: Result, ident: str) -> list[Row]:
    """For each source ``ident`` names: the line, each rule considered, the treatment and its entries.

    ``ident`` is a line id, an invoice id, a line key, a contract item (``CONTRACT/ITEM``) or any
    generated entry's ``revrec-key``. A source is an invoice line or other payment, a contract item,
    a recorded contract billing or a contract's billing schedule.
    """
    analysis = result.analysis
    sources = {line.key: line for line in analysis.lines}
    sources.update((movement.source.key, movement.source) for movement in analysis.movements)
    found = [line for line in sources.values() if ident in (line.line_id, line.invoice, line.key)]
    if not found:
        key = ident
        while source_of(key) != key:
            key = source_of(key)
        found = [sources[key]] if key in sources else []
    treated = {item.line.key: item for item in analysis.treated}
    return [_explain_line(line, treated.get(line.key), _entries_of(line, result), result) for line in found]


def _entries_of(line: Line, result: Result) -> list[Transaction]:
    """The entries the ledger books for a source, by date: generated, or frozen by a close, and its corrections.

    A credited line's list has its credits' entries too, so that they add up.
    """
    analysis = result.analysis
    if _kind_of(line) != "line":  # a contract's item or billing: its movements
        keys = {line.key}
        made = [movement_entry(movement) for movement in analysis.movements if movement.source.key == line.key]
    else:
        items = [item for item in analysis.treated if item.line.key == line.key or (
            line.line_id is not None and item.line.credit_for == line.line_id and item.rule == CREDIT_RULE)]
        keys = {item.line.key for item in items} | {line.key}
        made = [entry for item in items for entry in line_entries(item, result.config)]
    through = result.closed_through or datetime.date.min
    booked = [entry for entry in [*result.frozen, *result.corrections] if source_of(corrected_key(entry)) in keys]
    return sorted([*(entry for entry in made if entry.date > through), *booked], key=lambda entry: entry.date)


def _explain_line(line: Line, item: Treated | None, entries: list[Transaction], result: Result) -> Row:
    crediting = [other for other in result.analysis.lines
                 if line.line_id is not None and other.credit_for == line.line_id]
    kind = _kind_of(line)
    contract = kind != "line"
    return {
        "line": line.key,
        "kind": kind,
        "source": location(line.meta),
        "date": str(line.date),
        "account": line.account,
        "amount": str(line.amount if kind == "billing schedule" else -line.amount),
        "currency": line.currency,
        "attributes": _attributes(line),
        "rules": [] if contract else _considered(line, result.analysis.rules, item),
        "rule": item.rule if item else (CONTRACT_RULE if contract else None),
        "treatment": item.treatment.text if item else ("billing" if contract else None),
        "status": _status_of(line, item, contract),
        "entries": [_entry_row(entry) for entry in entries],
        "credited_by": [{"line": credit.key, "date": str(credit.date), "amount": str(credit.amount),
                         "currency": credit.currency} for credit in crediting],
    }


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


def _considered(line: Line, rules: Sequence[Rule], item: Treated | None) -> list[Row]:
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
        rows.append({"rule": rule.name, "location": location(rule.meta), "verdict": verdict})
    return rows


def _entry_row(entry: Transaction) -> Row:
    """A generated entry as a row: the accounts it debits and credits (joined by "+") and the amount it moves."""
    moves = [(posting.account, posting.units.number, posting.units.currency) for posting in entry.postings
             if posting.units is not None and posting.units.number is not None]
    return {
        "date": str(entry.date), "kind": entry.meta["revrec-kind"], "key": entry.meta["revrec-key"],
        "debit": " + ".join(account for account, number, _ in moves if number > 0),
        "credit": " + ".join(account for account, number, _ in moves if number < 0),
        "amount": str(sum((number for _, number, _ in moves if number > 0), Decimal(0))),
        "currency": moves[0][2] if moves else "",
    }


def rule_usage(result: Result, last_date: datetime.date | None = None) -> list[Row]:
    """Per rule: effective period, lines matched, won and lost, and whether it ever wins.

    ``last_date`` (the ledger's last date) tells expired rules from unused ones.
    """
    rules = result.analysis.rules
    winners = {item.line.key: item.rule for item in result.analysis.treated}
    rows = []
    for rule in rules:
        matched = [line for line in result.analysis.lines
                   if line.credit_for is None and applies(rule, line)]
        won = [line for line in matched if winners.get(line.key) == rule.name]
        lost = [line for line in matched if winners.get(line.key) != rule.name]
        rows.append({
            "rule": rule.name, "location": location(rule.meta),
            "effective": f"{rule.start} to {rule.until or 'open'}",
            "treatment": rule.treatment.text,
            "matched": len(matched), "won": len(won), "lost": len(lost),
            "lost_to": sorted({winners.get(line.key) or "error" for line in lost}),
            "lost_lines": [line.key for line in lost],
            "status": _status(rule, won, lost, last_date),
        })
    return rows


def _status(rule: Rule, won: list[Line], lost: list[Line], last_date: datetime.date | None) -> str:
    if won:
        return "active"
    if lost:
        return "never wins: shadowed"
    if rule.until is not None and last_date is not None and rule.until <= last_date:
        return "never wins: expired"
    return "matches no line"


def waiting_for_payment(result: Result) -> list[Row]:
    """Invoice lines treated "from payment" whose invoice has no payment: they stay deferred until one comes."""
    return [{"line": item.line.key, "invoice": item.line.invoice, "date": str(item.line.date),
             "source": location(item.line.meta), "treatment": item.treatment.text}
            for item in result.analysis.treated
            if item.line.source == "invoice" and item.line.payment_date is None
            and any(part.action.anchor == "payment" and part.action.defers for part in item.treatment.parts)]


METRIC_COLUMNS = ("contract", "customer", "currency", "tcv", "acv", "billed", "revenue", "deferred",
                  "contract_asset", "future_billings", "unbilled_deferred")


def contract_metrics(result: Result, as_of: datetime.date, contract: str | None = None) -> list[Row]:
    """The eight metrics of SPEC section 7 per contract and currency, as of a date (inclusive)."""
    directives = result.analysis.contracts
    billed: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    revenue: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for movement in result.analysis.movements:
        if movement.date <= as_of:
            totals = billed if movement.kind == "billing" else revenue
            totals[str(movement.source.contract), movement.currency] += movement.amount
    future: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for billing in directives.billings:
        for day, amount in scheduled_billings(billing, result.places(billing.currency)):
            if day > as_of:
                future[billing.contract, billing.currency] += amount
    groups: dict[tuple[str, str], list[Item]] = defaultdict(list)
    for item in directives.items:
        if contract in (None, item.contract):
            groups[item.contract, item.currency].append(item)
    return [_metrics(key, items, directives.contracts[key[0]].customer, billed[key], revenue[key], future[key],
                     result.places(key[1]))
            for key, items in sorted(groups.items())]


def _metrics(key: tuple[str, str], items: list[Item], customer: str | None, billed: Decimal, revenue: Decimal,
             future: Decimal, places: int) -> Row:
    tcv = sum((item.amount for item in items), Decimal(0))
    start = min(item.service[0] if item.service else item.date for item in items)
    end = max(item.service[1] if item.service else item.date for item in items)
    acv = Fraction(tcv) * 12 / max(months_between(start, end), Fraction(12))
    quantum = Decimal(1).scaleb(-places)
    values = {
        "tcv": tcv,
        "acv": (Decimal(acv.numerator) / Decimal(acv.denominator)).quantize(quantum, rounding="ROUND_HALF_UP"),
        "billed": billed, "revenue": revenue,
        "deferred": max(billed - revenue, Decimal(0)), "contract_asset": max(revenue - billed, Decimal(0)),
        "future_billings": future, "unbilled_deferred": tcv - max(billed, revenue),
    }
    return {"contract": key[0], "customer": customer, "currency": key[1],
            **{name: str(value.quantize(quantum)) for name, value in values.items()}}
