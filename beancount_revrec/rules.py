"""Recognition rules (SPEC section 6): ``custom "revrec-rule"`` directives and matching.

Each line gets exactly one rule: among the rules that match it, the one written
first in the ledger (files in include order, then line number) wins.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from beancount.core import account as account_lib
from beancount.core.data import Custom

from beancount_revrec.directives import values_of
from beancount_revrec.errors import Problem, RevrecError
from beancount_revrec.sources import Line, is_under
from beancount_revrec.treatment import Treatment, read_treatment

RULE = "revrec-rule"
MATCH_KEYS = ("product", "price", "customer", "invoice", "line", "account", "source", "tag")
OTHER_KEYS = ("treatment", "effective-until", "filename", "lineno")
SOURCES = ("invoice", "payment")


class Rule(NamedTuple):
    """A named rule: the lines it matches, when, and their treatment."""

    name: str
    meta: dict[str, Any]
    start: datetime.date
    until: datetime.date | None  # exclusive
    match: tuple[tuple[str, str], ...]
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
    match = tuple((key, str(meta[key]).lstrip("#") if key == "tag" else str(meta[key]))
                  for key in MATCH_KEYS if key in meta)
    _check_match(match)
    _check_until(entry.date, meta.get("effective-until"))
    if "treatment" not in meta:
        raise Problem('needs a treatment: write e.g. treatment: "ratable"')
    treatment = read_treatment(meta["treatment"], "treatment")
    return Rule(values[0], meta, entry.date, meta.get("effective-until"), match, treatment)


def _check_match(match: tuple[tuple[str, str], ...]) -> None:
    if not match:
        raise Problem(f"needs at least one match key ({', '.join(MATCH_KEYS)})")
    for key, value in match:
        if key == "source" and value not in SOURCES:
            raise Problem(f'source: must be "invoice" or "payment", got "{value}"')
        if key == "account" and not (account_lib.is_valid(value) or account_lib.is_valid(value + ":X")):
            raise Problem(f'account: must be an account name like Income:Sales, got "{value}"')


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
    for key, wanted in rule.match:
        if not _key_matches(line, key, wanted):
            return _key_problem(line, key, wanted)
    return None


def applies(rule: Rule, line: Line) -> bool:
    """Whether ``rule`` applies to ``line``: ``mismatch`` without its reasons, for speed."""
    return (rule.start <= line.date and (rule.until is None or line.date < rule.until)
            and all(_key_matches(line, key, wanted) for key, wanted in rule.match))


def _key_matches(line: Line, key: str, wanted: str) -> bool:
    if key == "tag":
        return line.entry is not None and wanted in (line.entry.tags or ())
    if key == "account":
        return is_under(line.account, (wanted,))
    return (line.line_id if key == "line" else getattr(line, key)) == wanted


def _key_problem(line: Line, key: str, wanted: str) -> str:
    if key == "tag":
        return f'the transaction has no tag "#{wanted}"'
    if key == "account":
        return f"account {line.account} is not {wanted} or under it"
    actual = line.line_id if key == "line" else getattr(line, key)
    return f'{key} is {_show(actual)}, not "{wanted}"'


def _show(value: object) -> str:
    return "missing" if value is None else f'"{value}"'


def first_match(rules: Sequence[Rule], line: Line) -> Rule | None:
    """The rule that applies to ``line``: the first that matches."""
    return next((rule for rule in rules if applies(rule, line)), None)
