"""The treatment engine: lines and directives in, treated lines out.

For each line: choose its treatment (override, then rules, then the default
rules), split its amount between the treatment's parts, and compute what is
deferred, reclassified and recognised when.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from beancount.core.data import Custom

from beancount_revrec.config import Config
from beancount_revrec.contract_directives import ContractDirectives, read_contracts
from beancount_revrec.contracts import CONTRACT_RULE, billing_styles, item_line, present, schedulable
from beancount_revrec.credits import apply_credits
from beancount_revrec.directives import Event, read_events
from beancount_revrec.errors import Problem, RevrecError, failure
from beancount_revrec.fulfillment import fulfil
from beancount_revrec.records import Movement, Treated
from beancount_revrec.rules import Rule, first_match, read_rules, rule_accounts, rule_side
from beancount_revrec.schedule import ZERO, Schedule, add_duration, add_months, split_shares, spread
from beancount_revrec.sources import Line, read_lines
from beancount_revrec.treatment import (
    Action,
    Amortize,
    Anchor,
    Anchored,
    Defer,
    Fulfillment,
    Immediate,
    On,
    Ratable,
    Reclass,
    Treatment,
    parse_treatment,
    read_treatment,
)

DEFAULT_RULE = "default"
CONTRACT_COST_RULE = "contract-cost"
OVERRIDE_RULE = "override"
RATABLE = parse_treatment("ratable")
IMMEDIATE = parse_treatment("immediate")
AT_ONCE = Immediate()


Places = Callable[[str], int]
"""Decimal places of a currency."""
_STAYS = "the line stays as booked (recognised on its date)"


class Analysis(NamedTuple):
    """Everything the engine read and computed from a ledger."""

    lines: list[Line]
    rules: list[Rule]
    treated: list[Treated]
    errors: list[RevrecError]
    contracts: ContractDirectives
    movements: list[Movement]


def treat(
    entries: Sequence[Any], config: Config, places: Places, positions: Mapping[str, tuple[int, ...]] | None = None,
) -> Analysis:
    """Treat every revenue line of ``entries``; ``positions`` ranks rules across included files."""
    customs = [entry for entry in entries if isinstance(entry, Custom)]  # one pass over a large ledger, not three
    rules, rule_errors = read_rules(customs, positions or {})
    lines, errors = read_lines(entries, config, rule_accounts(rules, config.expenses))
    rejected = {str(error.source["line"]): error for error in errors if error.source and "line" in error.source}
    events, event_errors = read_events(customs)
    directives, contract_errors = read_contracts(customs)
    errors.extend(rule_errors + event_errors + contract_errors)
    chosen = _choose_all(lines, rules, errors, rejected, config.expenses)
    chosen += contract_costs(lines, directives, config, errors)
    chosen += [(item_line(item, directives.contracts[item.contract].customer), CONTRACT_RULE, item.treatment)
               for item in directives.items]
    treated = _treat_all(chosen, _events_by_line(chosen, events, rejected, errors), places, errors,
                         catch_up=config.catch_up == "on")
    items = [item for item in treated if item.line.source == "contract"]
    kept = {item.line.key for item in items}  # an item that could not be treated is left out, with its error
    directives = directives._replace(items=[item for item in directives.items if item.ident in kept])
    sales = [item for item in treated if item.line.source != "contract"]
    sales, credit_errors = apply_credits(entries, customs, lines, sales, places, config)
    directives, recorded, style_errors = billing_styles(
        directives, [line for line in lines if line.contract and line.side == "revenue"])
    directives, calendar_errors = schedulable(directives, places)
    movements = present(directives, items, recorded, config, places)
    return Analysis(lines, rules, sales + items, errors + credit_errors + style_errors + calendar_errors, directives,
                    movements)


class Choices(NamedTuple):
    """The rule each line follows, without computing any schedule: what rule usage needs."""

    lines: list[Line]
    rules: list[Rule]
    chosen: dict[str, str]  # line key -> its rule: "override", a rule's name or "default"; none for a bad revrec:


def choose(
    entries: Sequence[Any], config: Config, positions: Mapping[str, tuple[int, ...]] | None = None,
) -> Choices:
    """Which rule each sale line of ``entries`` follows, as ``treat`` chooses it (credits and contract lines: none)."""
    rules, _ = read_rules([entry for entry in entries if isinstance(entry, Custom)], positions or {})
    lines, errors = read_lines(entries, config, rule_accounts(rules, config.expenses))
    chosen = _choose_all(lines, rules, errors, {}, config.expenses)
    return Choices(lines, rules, {line.key: rule for line, rule, _ in chosen})


def _choose_all(
    lines: list[Line], rules: Sequence[Rule], errors: list[RevrecError], rejected: dict[str, RevrecError],
    expenses: tuple[str, ...],
) -> list[tuple[Line, str, Treatment]]:
    """Each sale line and cost (not a credit, nor a contract's) with its rule and treatment.

    A line follows only its side's rules (``rules.rule_side``).

    A line whose ``revrec:`` is no treatment is an error instead, and ``rejected`` by its line id.
    """
    chosen = []
    todo = iter(lines)
    by_side: dict[str, list[Rule]] = {"revenue": [], "expense": []}
    for rule in rules:
        by_side[rule_side(rule, expenses)].append(rule)
    while True:  # the try is around the loop, not in it (it runs for every line): a bad line, and on with the next
        try:
            for line in todo:
                if line.credit_for is None and line.contract is None:
                    chosen.append((line, *choose_treatment(line, by_side[line.side])))
        except Problem as problem:
            errors.append(RevrecError(line.meta, str(problem), line.entry))
            if line.line_id is not None:
                rejected.setdefault(line.line_id, errors[-1])
        else:
            return chosen


def contract_costs(
    lines: list[Line], directives: ContractDirectives, config: Config, errors: list[RevrecError],
) -> list[tuple[Line, str, Treatment]]:
    """Each cost of obtaining a contract (an expense line with ``contract:``), to amortise over the contract's term.

    The term runs from the first service day of the contract's items to the last (ASC 340-40: over the transfer
    of the goods or services the asset relates to); the cost is capitalised (``contract-cost``) and recognised
    ratably by day. With ``cost-expedient: on``, a cost whose term is a year or less is expensed at once
    (ASC 340-40-25-4). The line's own ``revrec:`` wins, as on any line.
    """
    terms: dict[str, tuple[datetime.date, datetime.date]] = {}
    for item in directives.items:
        if item.service is not None:
            start, end = terms.get(item.contract, item.service)
            terms[item.contract] = (min(start, item.service[0]), max(end, item.service[1]))
    chosen = []
    for line in lines:
        if line.side != "expense" or line.contract is None or line.credit_for is not None:
            continue
        term = terms.get(line.contract)
        if line.contract not in directives.contracts or term is None:
            missing = "no contract has this id" if line.contract not in directives.contracts else \
                "the contract has no item with a service period to amortise it over"
            errors.append(RevrecError(line.meta, (
                f'contract "{line.contract}": {missing}: write the id of a custom "revrec-contract" whose items have '
                'service periods, or amortise the cost on its own with service-start: and service-end:'), line.entry))
        elif line.override is not None:
            try:
                chosen.append((line, *choose_treatment(line, ())))
            except Problem as problem:
                errors.append(RevrecError(line.meta, str(problem), line.entry))
        elif config.cost_expedient == "on" and term[1] <= add_months(term[0], 12):
            chosen.append((line, CONTRACT_COST_RULE, IMMEDIATE))
        else:
            chosen.append((line._replace(service=term), CONTRACT_COST_RULE, RATABLE))
    return chosen


def _treat_all(
    chosen: list[tuple[Line, str, Treatment]], by_line: dict[str, list[Event]], places: Places,
    errors: list[RevrecError], *, catch_up: bool,
) -> list[Treated]:
    """Each chosen line treated; a line that cannot be stays as booked, with an error, and so do its events.

    With ``catch_up`` (and always for a contract item), what a line's schedule dates before the line is
    recognised on the line's date; without it, on its own date (``entries`` books it against unbilled revenue).
    """
    treated = []
    for line, rule, treatment in chosen:
        events = by_line.get(line.key, [])
        try:  # inline, not guarded(): it runs for every line
            item, refused = _treat_line(line, rule, treatment, events, places(line.currency),
                                        catch_up=catch_up or line.source == "contract" or line.side == "expense")
        except Problem as problem:
            error = RevrecError(line.meta, f'treatment "{treatment.text}": {problem}', line.entry)
        except Exception as exc:  # noqa: BLE001 - one line's failure must not stop the plugin
            error = failure(line.meta, line.entry, f'treatment "{treatment.text}"', _STAYS, exc)
        else:
            treated.append(item)
            if refused:
                errors.extend(RevrecError(event.meta, message) for event, message in refused)
            continue
        errors += [error, *(_for_rejected_line(event, error) for event in events)]
    return treated


def _for_rejected_line(event: Event, error: RevrecError) -> RevrecError:
    """The error of an event whose line was rejected with ``error``."""
    source = error.source or {}
    return RevrecError(event.meta, f'revrec-fulfill: line "{event.target}" was rejected (see the error at '
                                   f"{source.get('filename')}:{source.get('lineno')}), so it is not recognised on "
                                   "events: fix that line")


def choose_treatment(line: Line, rules: Sequence[Rule]) -> tuple[str, Treatment]:
    """The rule name and treatment that apply to ``line``.

    The line's ``revrec:`` override beats every rule; the first matching rule
    beats the default rules.

    Raises:
        Problem: the line's ``revrec:`` is no treatment; the message says what to write instead.
    """
    if line.override is not None:
        return OVERRIDE_RULE, read_treatment(line.override, "revrec")
    rule = first_match(rules, line)
    if rule is not None:
        return rule.name, rule.treatment
    return DEFAULT_RULE, RATABLE if line.service else IMMEDIATE


def _events_by_line(
    chosen: list[tuple[Line, str, Treatment]], events: list[Event], rejected: Mapping[str, RevrecError],
    errors: list[RevrecError],
) -> dict[str, list[Event]]:
    """Events grouped by the key of the line they target; bad targets are errors."""
    targets: dict[str, tuple[Line, Treatment]] = {}
    for line, _, treatment in chosen:
        if line.line_id is not None and line.line_id not in targets:
            targets[line.line_id] = (line, treatment)
        elif line.line_id is not None:
            errors.append(RevrecError(line.meta, f'line id "{line.line_id}" is used twice: fulfillment '
                                      "events go to the first; give each line its own line:"))
    bare_ids = {line.key: line.key.split("/", 1)[1] for line, _, _ in chosen if line.source == "contract"}
    uses = Counter(bare_ids.values())
    for line, _, treatment in chosen:  # an item's own id targets it too, where no other item shares it
        bare = bare_ids.get(line.key)
        if bare is not None and uses[bare] == 1:
            targets.setdefault(bare, (line, treatment))
    by_line: dict[str, list[Event]] = {}
    for event in events:
        target = targets.get(event.target)
        if target is None and event.target in rejected:
            errors.append(_for_rejected_line(event, rejected[event.target]))
        elif target is None:
            errors.append(RevrecError(event.meta, f'revrec-fulfill: unknown line "{event.target}": '
                                      'put line: "ID" on the invoice line it fulfills'))
        elif not any(isinstance(part.action, Fulfillment) for part in target[1].parts):
            errors.append(RevrecError(event.meta, (
                f'revrec-fulfill: line "{event.target}" is treated as "{target[1].text}", '
                'not "fulfillment": give it revrec: "fulfillment" or a rule')))
        else:
            by_line.setdefault(target[0].key, []).append(event)
    return by_line


def _treat_line(
    line: Line, rule: str, treatment: Treatment, events: list[Event], places: int, *, catch_up: bool,
) -> tuple[Treated, list[tuple[Event, str]]]:
    """The line treated, and the events refused with why.

    With ``catch_up``, events dated before the line are refused and what the schedule dates before
    the line is recognised on the line's date.

    Raises:
        Problem: a part of the treatment cannot be recognised for this line.
    """
    amounts = split_shares(line.amount, [part.share for part in treatment.parts], places)
    deferred = ZERO
    reclasses: dict[str, Decimal] = {}
    dates: dict[str, datetime.date] = {}
    schedules: list[Schedule] = []
    events, refused = _not_before(line, events) if catch_up and events else (events, [])
    for part, amount in zip(treatment.parts, amounts, strict=True):
        match _action_for(line, rule, treatment, part.action):
            case Immediate():
                pass
            case Reclass(kind=category) if line.side == "expense" and category != "exclude":
                raise Problem(f"a cost has no {category} share (that is a sale's): write the cost's own treatment, "
                              'e.g. revrec: "ratable" with a service period, or book the share to its own account')
            case Reclass(kind=category, day=day):
                reclasses[category] = reclasses.get(category, ZERO) + amount
                if day is not None:
                    dates[category] = _on_or_after(line, day)
            case action:
                deferred += amount
                schedules.append(_part_schedule(line, action, amount, events, places, refused))
    schedule = _combined(schedules, line.date if catch_up else datetime.date.min)
    return Treated(line, rule, treatment, deferred, tuple(reclasses.items()), schedule,
                   reclass_dates=tuple(dates.items())), refused


def _on_or_after(line: Line, day: datetime.date) -> datetime.date:
    """``day``, checked to be no earlier than ``line``'s date.

    Raises:
        Problem: it is earlier.
    """
    if day < line.date:
        raise Problem(f"exclude on {day} is before the line's date {line.date}: exclude it on or after {line.date}")
    return day


def _action_for(line: Line, rule: str, treatment: Treatment, action: Action) -> Action:
    """The action one part of ``line``'s treatment takes: without a service period, ``ratable`` is ``immediate``.

    Stripe recognises a line without a period when its invoice finalizes, so a rule's ratable
    share (``90% ratable + 10% passthrough`` on a one-off line) is recognised on the line's date,
    and so is the ratable part of a mixed ``revrec:``. A line's own ``revrec: "ratable"`` alone
    stays ratable: asked for on that very line, it needs the period, and ``_part_schedule`` says so.
    """
    if isinstance(action, Ratable) and line.service is None and (rule != OVERRIDE_RULE or len(treatment.parts) > 1):
        return AT_ONCE
    return action


def _not_before(line: Line, events: list[Event]) -> tuple[list[Event], list[tuple[Event, str]]]:
    """The events dated on or after ``line``, and those before it refused: catch-up recognises nothing earlier."""
    refused = [(event, (f"revrec-fulfill on {event.date} is before its line's date {line.date}: date it on or "
                        f"after {line.date}, or recognise usage before its invoice with the plugin option "
                        "{'catch-up': 'off'}"))
               for event in sorted(events, key=lambda event: event.date) if event.date < line.date]
    return [event for event in events if event.date >= line.date], refused


def _combined(schedules: list[Schedule], first: datetime.date) -> Schedule:
    """The parts' schedules as one, without zero amounts; what falls before ``first`` is caught up on it."""
    if len(schedules) == 1 and schedules[0] and schedules[0][0][0] >= first:
        return [(day, amount) for day, amount in schedules[0] if amount]
    recognised: dict[datetime.date, Decimal] = {}
    for schedule in schedules:
        for scheduled, piece in schedule:
            day = max(scheduled, first)
            recognised[day] = recognised.get(day, ZERO) + piece
    return sorted((day, amount) for day, amount in recognised.items() if amount)


def _part_schedule(
    line: Line, action: Ratable | On | Anchored, amount: Decimal, events: list[Event], places: int,
    refused: list[tuple[Event, str]],
) -> Schedule:
    """When a deferred part is recognised.

    Raises:
        Problem: the line lacks what the action needs.
    """
    match action:
        case Ratable(method=method):
            if line.service is None:
                raise Problem("ratable needs a service period: add service-start: and service-end: to the line, "
                              'or write revrec: "immediate" to recognise it on its date')
            return spread(amount, *line.service, method, places)
        case On(day=day):
            return [(day, amount)]
        case _:
            return _anchored_schedule(line, action, amount, events, places, refused)


def _anchored_schedule(
    line: Line, action: Anchored, amount: Decimal, events: list[Event], places: int,
    refused: list[tuple[Event, str]],
) -> Schedule:
    """Schedules that run from an anchor: amortize, defer and fulfillment; none while the payment is awaited."""
    start = anchor_date(line, action.anchor)
    end = None if start is None else add_duration(start, action.duration)
    match action:
        case Fulfillment():
            return fulfil(line, amount, events, end, places, refused)
        case Amortize(method=method) if start is not None and end is not None:
            return spread(amount, start, end, method, places)
        case Defer() if end is not None:
            return [(end, amount)]
    return []  # waiting for the payment: stays deferred


def anchor_date(line: Line, anchor: Anchor) -> datetime.date | None:
    """The date an anchor names for ``line``: None if it is unpaid.

    Raises:
        Problem: the line has no such date (``service-start``).
    """
    if isinstance(anchor, datetime.date):
        return anchor
    if anchor == "invoice":
        return line.date
    if anchor == "payment":
        return line.payment_date if line.source == "invoice" else line.date
    if line.service is None:
        raise Problem('"from service-start" needs service-start: on the line')
    return line.service[0]
