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

from beancount_revrec.contract_directives import Item
from beancount_revrec.contracts import scheduled_billings
from beancount_revrec.engine import OVERRIDE_RULE
from beancount_revrec.entries import line_entries
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
    """For each line ``ident`` names: the line, each rule considered, the treatment and its entries.

    ``ident`` is a line id, an invoice id, a line key or a generated entry's ``revrec-key``.
    """
    treated = {item.line.key: item for item in result.analysis.treated}
    entries = {item.line.key: list(line_entries(item, result.config)) for item in result.analysis.treated}
    lines = result.analysis.lines
    found = [line for line in lines if ident in (line.line_id, line.invoice, line.key)] or [
        line for line in lines if any(entry.meta["revrec-key"] == ident for entry in entries.get(line.key, ()))]
    return [_explain_line(line, treated.get(line.key), entries.get(line.key, []), result) for line in found]


def _explain_line(line: Line, item: Treated | None, entries: list[Transaction], result: Result) -> Row:
    crediting = [other for other in result.analysis.lines
               if line.line_id is not None and other.credit_for == line.line_id]
    return {
        "line": line.key,
        "source": location(line.meta),
        "date": str(line.date),
        "account": line.account,
        "amount": str(-line.amount),
        "currency": line.currency,
        "attributes": _attributes(line),
        "rules": _considered(line, result.analysis.rules, item),
        "rule": item.rule if item else None,
        "treatment": item.treatment.text if item else None,
        "status": "treated" if item else "stays as booked: see the error at " + location(line.meta),
        "entries": [_entry_row(entry) for entry in entries],
        "credited_by": [{"line": credit.key, "date": str(credit.date), "amount": str(credit.amount),
                         "currency": credit.currency} for credit in crediting],
    }


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
    first = entry.postings[0]
    assert first.units is not None
    return {
        "date": str(entry.date), "kind": entry.meta["revrec-kind"], "key": entry.meta["revrec-key"],
        "debit": first.account, "credit": entry.postings[1].account,
        "amount": str(first.units.number), "currency": first.units.currency,
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
