"""Recognition rules (SPEC section 6): ``custom "revrec-rule"`` directives and matching.

Each line gets exactly one rule: among the rules that match it, the one written
first in the ledger (files in include order, then line number) wins.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple, TypeAlias

from beancount.core import account as account_lib
from beancount.core.amount import Amount
from beancount.core.data import Custom

from beancount_revrec.config import Side
from beancount_revrec.directives import values_of
from beancount_revrec.errors import Problem, RevrecError
from beancount_revrec.sources import Line, is_under
from beancount_revrec.treatment import Treatment, read_treatment

RULE = "revrec-rule"
MATCH_KEYS = ("product", "price", "customer", "vendor", "invoice", "line", "account", "source", "tag", "description",
              "min-amount", "max-amount")
OTHER_KEYS = ("treatment", "effective-until", "filename", "lineno")
SOURCES = ("invoice", "payment")


# One record type per kind of condition, each with its own test (``matches``) and, for a line it
# does not match, why not (``problem``): code dispatches on the type, never on the key's name.


@dataclass(frozen=True, slots=True)
class Equals:
    """A line attribute equal to ``wanted``: ``key`` is product, price, customer, vendor, invoice, line or source."""

    key: str
    wanted: str

    def matches(self, line: Line) -> bool:
        """Whether the line's attribute is ``wanted``."""
        return _attribute(line, self.key) == self.wanted

    def problem(self, line: Line) -> str:
        """Why the line does not match."""
        return f'{self.key} is {_show(_attribute(line, self.key))}, not "{self.wanted}"'


@dataclass(frozen=True, slots=True)
class Tagged:
    """The line's transaction carries ``tag`` (without its ``#``)."""

    tag: str

    def matches(self, line: Line) -> bool:
        """Whether the line's transaction has the tag."""
        return line.entry is not None and self.tag in (line.entry.tags or ())

    def problem(self, line: Line) -> str:  # noqa: ARG002 - the same signature as every condition's
        """Why the line does not match."""
        return f'the transaction has no tag "#{self.tag}"'


@dataclass(frozen=True, slots=True)
class Under:
    """The line's account is ``account`` or one of its descendants."""

    account: str

    def matches(self, line: Line) -> bool:
        """Whether the line's account is the account or under it."""
        return is_under(line.account, (self.account,))

    def problem(self, line: Line) -> str:
        """Why the line does not match."""
        return f"account {line.account} is not {self.account} or under it"


@dataclass(frozen=True, slots=True)
class Contains:
    """The line's description contains ``text``, ignoring case (Stripe: "Line item description contains")."""

    text: str

    def matches(self, line: Line) -> bool:
        """Whether the line's description contains the text."""
        return self.text.casefold() in line.description.casefold()

    def problem(self, line: Line) -> str:
        """Why the line does not match."""
        return f'description "{line.description}" does not contain "{self.text}"'


@dataclass(frozen=True, slots=True)
class AmountRange:
    """The line's amount without its sign lies from ``low`` to ``high``, both inclusive, in ``currency``.

    Either bound may be missing (None), not both.
    """

    currency: str
    low: Decimal | None
    high: Decimal | None

    def matches(self, line: Line) -> bool:
        """Whether the line is in the currency and its amount in the range."""
        size = abs(line.amount)
        return (line.currency == self.currency and (self.low is None or size >= self.low)
                and (self.high is None or size <= self.high))

    def problem(self, line: Line) -> str:
        """Why the line does not match."""
        shown = f"amount {abs(line.amount)} {line.currency}"
        if line.currency != self.currency:
            bound, number = ("min-amount", self.low) if self.low is not None else ("max-amount", self.high)
            return f"{shown} is not in {self.currency} ({bound} {number} {self.currency})"
        if self.low is not None and abs(line.amount) < self.low:
            return f"{shown} is below min-amount {self.low} {self.currency}"
        return f"{shown} is above max-amount {self.high} {self.currency}"


class Bound(NamedTuple):
    """A bound of an amount range: a number, not negative, in a currency."""

    number: Decimal
    currency: str

    def __str__(self) -> str:
        """As Beancount writes an amount: ``10.00 USD``."""
        return f"{self.number} {self.currency}"


Condition: TypeAlias = Equals | Tagged | Under | Contains | AmountRange
"""What a rule's match key asks of a line."""


class Rule(NamedTuple):
    """A named rule: the lines it matches, when, and their treatment."""

    name: str
    meta: dict[str, Any]
    start: datetime.date
    until: datetime.date | None  # exclusive
    match: tuple[Condition, ...]  # all must match
    treatment: Treatment


def read_rules(
    entries: Iterable[Any], positions: Mapping[str, tuple[int, ...]],
) -> tuple[list[Rule], list[RevrecError]]:
    """Every valid rule, in priority order: as if every include were written out in place.

    ``positions`` gives each file the line numbers of the include lines that lead
    to it from the main file (the main file: ``()``).
    """
    customs = sorted((entry for entry in entries if isinstance(entry, Custom) and entry.type == RULE),
                     key=lambda entry: (*positions.get(str(entry.meta.get("filename")), ()),
                                        entry.meta.get("lineno", 0)))
    rules: list[Rule] = []
    errors: list[RevrecError] = []
    names: set[str] = set()
    for entry in customs:
        try:
            rule = _read_rule(entry)
        except Problem as problem:
            errors.append(RevrecError(entry.meta, f"revrec-rule: {problem}", entry))
            continue
        if rule.name in names:
            errors.append(RevrecError(entry.meta, f'revrec-rule: a rule named "{rule.name}" already exists: '
                                      "give each rule its own name", entry))
        else:
            names.add(rule.name)
            rules.append(rule)
    return rules, errors


def _read_rule(entry: Custom) -> Rule:
    """The rule a directive declares.

    Raises:
        Problem: the directive is no valid rule.
    """
    values = values_of(entry)
    if len(values) != 1 or not isinstance(values[0], str) or not values[0].strip():
        raise Problem('needs exactly one name: write custom "revrec-rule" "NAME" with its keys below')
    meta = entry.meta
    unknown = [key for key in meta if key not in MATCH_KEYS and key not in OTHER_KEYS and not key.startswith("__")]
    if unknown:
        raise Problem(f'unknown key "{unknown[0]}": match on {", ".join(MATCH_KEYS)}; '
                      "set treatment and effective-until")
    match = _conditions(meta)
    _check_until(entry.date, meta.get("effective-until"))
    if "treatment" not in meta:
        raise Problem('needs a treatment: write e.g. treatment: "ratable"')
    treatment = read_treatment(meta["treatment"], "treatment")
    return Rule(values[0], meta, entry.date, meta.get("effective-until"), match, treatment)


def _conditions(meta: dict[str, Any]) -> tuple[Condition, ...]:
    """The conditions of a rule's match keys, in the order of ``MATCH_KEYS`` (the amount range last).

    Raises:
        Problem: there is none, or a key's value is no condition.
    """
    if not any(key in meta for key in MATCH_KEYS):
        raise Problem(f"needs at least one match key ({', '.join(MATCH_KEYS)})")
    conditions = [_condition(key, meta[key]) for key in MATCH_KEYS[:-2] if key in meta]
    if "min-amount" in meta or "max-amount" in meta:
        conditions.append(_amount_range(meta))
    return tuple(conditions)


def _condition(key: str, value: object) -> Condition:
    """The condition of one match key but the amount range's.

    Raises:
        Problem: the value is no condition for that key.
    """
    reader = _READERS.get(key)
    return Equals(key, str(value)) if reader is None else reader(value)


def _source(value: object) -> Equals:
    if value not in SOURCES:
        raise Problem(f'source: must be "invoice" or "payment", got "{value}"')
    return Equals("source", str(value))


def _account(value: object) -> Under:
    name = str(value)
    if not (account_lib.is_valid(name) or account_lib.is_valid(name + ":X")):
        raise Problem(f'account: must be an account name like Income:Sales, got "{name}"')
    return Under(name)


def _description(value: object) -> Contains:
    if not isinstance(value, str):
        raise Problem(f'description: must be text in quotes, e.g. description: "AvaTax", got {value!r}')
    if not value.strip():
        raise Problem(f'description: "{value}" is in every description: write the text to look for, '
                      'e.g. description: "AvaTax"')
    return Contains(value)


_READERS: dict[str, Callable[[object], Condition]] = {
    "source": _source, "account": _account, "description": _description,
    "tag": lambda value: Tagged(str(value).lstrip("#")),
}
"""The match keys whose value is checked or read otherwise than as the text it must equal."""


def _amount_range(meta: dict[str, Any]) -> AmountRange:
    """The range of ``min-amount:`` and ``max-amount:``, at least one of which ``meta`` has.

    Raises:
        Problem: a bound is no amount or is negative, the two are in different currencies, or min > max.
    """
    least = _bound("min-amount", meta["min-amount"]) if "min-amount" in meta else None
    most = _bound("max-amount", meta["max-amount"]) if "max-amount" in meta else None
    if least is not None and most is not None:
        if least.currency != most.currency:
            raise Problem(f"min-amount is in {least.currency} but max-amount in {most.currency}: a line has one "
                          f"currency; write both in the same one, e.g. max-amount: {most.number} {least.currency}")
        if least.number > most.number:
            raise Problem(f"min-amount {least} is above max-amount {most}: the rule could never match; "
                          f"swap them: min-amount: {most} and max-amount: {least}")
    (currency,) = {bound.currency for bound in (least, most) if bound is not None}
    return AmountRange(currency, None if least is None else least.number, None if most is None else most.number)


def _bound(key: str, value: object) -> Bound:
    """A bound of the amount range.

    Raises:
        Problem: it is no amount, or negative.
    """
    if not (isinstance(value, Amount) and isinstance(value.number, Decimal) and isinstance(value.currency, str)):
        raise Problem(f"{key}: must be an amount like 10.00 USD (a number and a currency, without quotes), "
                      f"got {value!r}")
    if value.number < 0:
        size = Bound(-value.number, value.currency)
        raise Problem(f"{key}: {value.number} {value.currency} is negative: a line's amount is compared without "
                      f"its sign (a credit of {value.number} {value.currency} counts as {size}); "
                      f"write {key}: {size}")
    return Bound(value.number, value.currency)


def _check_until(start: datetime.date, until: object) -> None:
    if until is None:
        return
    if not isinstance(until, datetime.date):
        raise Problem(f"effective-until: must be a date like 2024-01-01 (without quotes), got {until!r}")
    if until <= start:
        raise Problem(f"effective-until {until} must be after the rule's date {start}: "
                      "the rule could never apply")


def mismatch(rule: Rule, line: Line) -> str | None:
    """Why ``rule`` does not apply to ``line``; None when it does."""
    if line.date < rule.start:
        return f"line dated {line.date}, before the rule's effective date {rule.start}"
    if rule.until is not None and line.date >= rule.until:
        return f"line dated {line.date}, on or after effective-until {rule.until}"
    return next((condition.problem(line) for condition in rule.match if not condition.matches(line)), None)


def applies(rule: Rule, line: Line) -> bool:
    """Whether ``rule`` applies to ``line``: ``mismatch`` without its reasons, for speed."""
    return (rule.start <= line.date and (rule.until is None or line.date < rule.until)
            and all(condition.matches(line) for condition in rule.match))


def _attribute(line: Line, key: str) -> object:
    """The line's value of an ``Equals`` key: ``line:`` for line, the payee for vendor, else the attribute."""
    return line.line_id if key == "line" else line.payee if key == "vendor" else getattr(line, key)


def _show(value: object) -> str:
    return "missing" if value is None else f'"{value}"'


def rule_side(rule: Rule, expenses: tuple[str, ...]) -> Side:
    """The side whose lines ``rule`` treats: the expense side's if it names a ``vendor:`` or an expense ``account:``.

    Every other rule treats revenue lines only, so that a rule on a customer, a product, a description or an
    amount never reaches a cost (and a cost rule never a sale).
    """
    for condition in rule.match:
        if (isinstance(condition, Under) and is_under(condition.account, expenses)) or (
                isinstance(condition, Equals) and condition.key == "vendor"):
            return "expense"
    return "revenue"


def rule_accounts(rules: Sequence[Rule], roots: tuple[str, ...]) -> tuple[str, ...]:
    """The accounts under ``roots`` (the expense side's) that rules match on: their postings are lines."""
    return tuple(sorted({condition.account for rule in rules for condition in rule.match
                         if isinstance(condition, Under) and is_under(condition.account, roots)}))


def first_match(rules: Sequence[Rule], line: Line) -> Rule | None:
    """The rule that applies to ``line``: the first that matches."""
    return next((rule for rule in rules if applies(rule, line)), None)
