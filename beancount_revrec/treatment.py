"""The treatment language of SPEC section 5, parsed into a typed value.

A treatment says how an amount is recognised::

    TREATMENT := PART ( "+" PART )*
    PART      := [SHARE] ACTION
    ACTION    := immediate | ratable [METHOD] | amortize DURATION [from ANCHOR] [METHOD]
               | defer DURATION [from ANCHOR] | on DATE
               | fulfillment [DURATION] [from ANCHOR]
               | tax | fee | passthrough | exclude [on DATE]

Each action is a record type of its own (``Immediate``, ``Reclass``, ``Ratable``,
``On``, ``Amortize``, ``Defer``, ``Fulfillment``; ``Action`` is their union), so
that code dispatches on the type and mypy checks every field it reads.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache, partial
from typing import ClassVar, Literal, NamedTuple, TypeAlias

from beancount_revrec.errors import Problem

Method = Literal["daily", "monthly", "monthly-prorated"]
AnchorName = Literal["invoice", "payment", "service-start"]
ReclassKind = Literal["tax", "fee", "passthrough", "exclude"]
Unit = Literal["day", "month"]

METHODS: tuple[Method, ...] = ("daily", "monthly", "monthly-prorated")
ANCHORS: tuple[AnchorName, ...] = ("invoice", "payment", "service-start")
RECLASSES: tuple[ReclassKind, ...] = ("tax", "fee", "passthrough", "exclude")
ACTIONS = ("immediate", "ratable", "amortize", "defer", "on", "fulfillment", *RECLASSES)
UNITS: dict[str, tuple[Unit, int]] = {"day": ("day", 1), "days": ("day", 1), "month": ("month", 1),
                                      "months": ("month", 1), "year": ("month", 12), "years": ("month", 12)}
"""Each unit word: the unit it counts in and how many of it one makes (a year is 12 months)."""
HUNDRED = Decimal(100)


class Duration(NamedTuple):
    """A length of time: ``number`` days or months (a year is 12 months)."""

    number: int
    unit: Unit


YEAR = Duration(12, "month")

Anchor: TypeAlias = AnchorName | datetime.date
"""``"invoice"``, ``"payment"``, ``"service-start"`` or a date."""


# One record type per action: its fields are exactly what the action needs, none optional.
# ``kind`` (the action's word), ``defers`` and, where the action has none of its own, ``anchor``
# are constants of the type. Frozen dataclasses, not NamedTuples: two kinds never compare equal.


@dataclass(frozen=True, slots=True)
class Immediate:
    """Recognised on the line's date: nothing is deferred."""

    kind: ClassVar[Literal["immediate"]] = "immediate"
    defers: ClassVar[bool] = False
    anchor: ClassVar[Anchor] = "invoice"


@dataclass(frozen=True, slots=True)
class Reclass:
    """Moved out of revenue on the line's date, or on ``day`` (``exclude on DATE``), to its ``kind``'s account."""

    kind: ReclassKind
    day: datetime.date | None = None  # only an exclusion: until then the line is revenue, as Stripe books it
    defers: ClassVar[bool] = False
    anchor: ClassVar[Anchor] = "invoice"


@dataclass(frozen=True, slots=True)
class Ratable:
    """Recognised over the line's service period, by ``method``."""

    method: Method = "daily"
    kind: ClassVar[Literal["ratable"]] = "ratable"
    defers: ClassVar[bool] = True
    anchor: ClassVar[Anchor] = "invoice"  # the service period, never a payment


@dataclass(frozen=True, slots=True)
class On:
    """Recognised in full on ``day``."""

    day: datetime.date
    kind: ClassVar[Literal["on"]] = "on"
    defers: ClassVar[bool] = True
    anchor: ClassVar[Anchor] = "invoice"  # a fixed date, never a payment


@dataclass(frozen=True, slots=True)
class Amortize:
    """Recognised over ``duration`` from ``anchor``, by ``method``."""

    duration: Duration
    anchor: Anchor = "invoice"
    method: Method = "daily"
    kind: ClassVar[Literal["amortize"]] = "amortize"
    defers: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class Defer:
    """Recognised in full ``duration`` after ``anchor``."""

    duration: Duration
    anchor: Anchor = "invoice"
    kind: ClassVar[Literal["defer"]] = "defer"
    defers: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class Fulfillment:
    """Recognised on fulfillment events; what remains ``duration`` after ``anchor``."""

    duration: Duration = YEAR
    anchor: Anchor = "invoice"
    kind: ClassVar[Literal["fulfillment"]] = "fulfillment"
    defers: ClassVar[bool] = True


Anchored: TypeAlias = Amortize | Defer | Fulfillment
"""The actions that run from an anchor."""
Action: TypeAlias = Immediate | Reclass | Ratable | On | Anchored
"""One way of recognising an amount."""


class Part(NamedTuple):
    """A share (percent) of the amount and the action applied to it."""

    share: Decimal
    action: Action


class Treatment(NamedTuple):
    """A parsed treatment: its text and its parts, whose shares add up to 100."""

    text: str
    parts: tuple[Part, ...]


def read_treatment(text: object, key: str) -> Treatment:
    """The treatment a metadata value ``key:`` holds.

    Raises:
        Problem: ``text`` is no treatment; the message names ``key`` and says what to write instead.
    """
    if not isinstance(text, str):
        raise Problem(f'{key}: must be a treatment string, e.g. {key}: "ratable"')
    try:
        return parse_treatment(text)
    except Problem as problem:
        raise Problem(f'{key}: "{text}": {problem}') from None


@lru_cache(maxsize=1024)
def parse_treatment(text: str) -> Treatment:
    """Parse a treatment string.

    Raises:
        Problem: the text does not follow the grammar; the message says what
            to write instead.
    """
    if not text.strip():
        raise Problem('empty treatment: write e.g. "ratable" or "immediate"')
    parts = tuple(_parse_part(chunk.split()) for chunk in text.split("+"))
    _check_shares(parts)
    return Treatment(text, tuple(p if p.share else p._replace(share=HUNDRED) for p in parts))


def _check_shares(parts: tuple[Part, ...]) -> None:
    if len(parts) > 1 and not all(part.share for part in parts):
        raise Problem('every part of a mixed treatment needs a share: write e.g. "80% ratable + 20% immediate"')
    total = sum((part.share for part in parts), Decimal(0))
    if total and total != HUNDRED:
        raise Problem(f"shares add up to {total}%, not 100%")
    if sum(isinstance(part.action, Fulfillment) for part in parts) > 1:
        raise Problem('a treatment can have only one "fulfillment" part')


def _parse_part(tokens: list[str]) -> Part:
    if not tokens:
        raise Problem('empty part around "+": write e.g. "50% ratable + 50% immediate"')
    share = Decimal(0)
    if tokens[0].endswith("%"):
        share = _parse_share(tokens[0])
        tokens = tokens[1:]
        if not tokens:
            raise Problem(f'share {share}% has no action: write e.g. "{share}% ratable"')
    kind, rest = tokens[0], tokens[1:]
    if kind not in ACTIONS:
        raise Problem(f'unknown action "{kind}": use one of {", ".join(ACTIONS)}')
    return Part(share, _ACTION_PARSERS[kind](rest))


def _parse_share(token: str) -> Decimal:
    try:
        share = Decimal(token[:-1])
    except InvalidOperation:
        share = Decimal(-1)
    if not share.is_finite() or not Decimal(0) < share <= HUNDRED:
        raise Problem(f'bad share "{token}": write a percentage above 0 and at most 100, e.g. "80%"')
    return share


def _parse_immediate(rest: list[str]) -> Immediate:
    _expect_end(Immediate.kind, rest)
    return Immediate()


def _parse_reclass(kind: ReclassKind, rest: list[str]) -> Reclass:
    if kind == "exclude" and rest and rest[0] == "on":  # "exclude on 2022-02-05": excluded on that date
        day = _parse_date(rest[1] if len(rest) > 1 else "", '"exclude on" needs a date like 2022-02-05')
        _expect_end(kind, rest[2:])
        return Reclass(kind, day)
    _expect_end(kind, rest)
    return Reclass(kind)


def _parse_ratable(rest: list[str]) -> Ratable:
    method, rest = _take_method(rest)
    _expect_end(Ratable.kind, rest)
    return Ratable(method)


def _parse_amortize(rest: list[str]) -> Amortize:
    duration, rest = _take_duration(Amortize.kind, rest)
    anchor, rest = _take_anchor(rest)
    method, rest = _take_method(rest)
    _expect_end(Amortize.kind, rest)
    if not duration.number:
        instead = "immediate" if anchor == "invoice" else f"defer 0 days from {anchor}"
        raise Problem(f'"amortize" over no time recognises nothing over a period: write "{instead}"')
    return Amortize(duration, anchor, method)


def _parse_defer(rest: list[str]) -> Defer:
    duration, rest = _take_duration(Defer.kind, rest)
    anchor, rest = _take_anchor(rest)
    _expect_end(Defer.kind, rest)
    _reject_zero_from_invoice(Defer.kind, duration, anchor)
    return Defer(duration, anchor)


def _reject_zero_from_invoice(kind: str, duration: Duration, anchor: Anchor) -> None:
    """A zero duration from the invoice defers and recognises on the same day: that is ``immediate``."""
    if not duration.number and anchor == "invoice":
        raise Problem(f'"{kind}" of no time from the invoice recognises it all on the invoice date: '
                      'write "immediate" (or "defer 0 days from payment" for cash basis)')


def _parse_on(rest: list[str]) -> On:
    if not rest:
        raise Problem('"on" needs a date: write e.g. "on 2023-01-01"')
    day = _parse_date(rest[0], '"on" needs a date like 2023-01-01')
    _expect_end(On.kind, rest[1:])
    return On(day)


def _parse_fulfillment(rest: list[str]) -> Fulfillment:
    """``fulfillment`` with or without a duration (then a year)."""
    duration, rest = _take_duration(Fulfillment.kind, rest) if rest and _is_count(rest[0]) else (YEAR, rest)
    anchor, rest = _take_anchor(rest)
    _expect_end(Fulfillment.kind, rest)
    _reject_zero_from_invoice(Fulfillment.kind, duration, anchor)
    return Fulfillment(duration, anchor)


_ACTION_PARSERS: dict[str, Callable[[list[str]], Action]] = {
    Immediate.kind: _parse_immediate, Ratable.kind: _parse_ratable, Amortize.kind: _parse_amortize,
    Defer.kind: _parse_defer, On.kind: _parse_on, Fulfillment.kind: _parse_fulfillment,
    **{kind: partial(_parse_reclass, kind) for kind in RECLASSES},
}


def _take_duration(kind: str, rest: list[str]) -> tuple[Duration, list[str]]:
    if not rest:
        raise Problem(f'"{kind}" needs a duration: write e.g. "{kind} 12 months"')
    if not _is_count(rest[0]):
        raise Problem(f'"{kind}" needs a whole number before the unit, e.g. "{kind} 12 months", got "{rest[0]}"')
    if len(rest) < 2 or rest[1] not in UNITS:
        got = rest[1] if len(rest) > 1 else "nothing"
        raise Problem(f'duration "{rest[0]}" needs a unit (days, months or years), got "{got}"')
    unit, times = UNITS[rest[1]]
    count = int(rest[0]) * times
    if count > _LONGEST[unit]:
        raise Problem(f'duration "{rest[0]} {rest[1]}" is longer than the calendar Beancount can date '
                      "(up to 9999-12-31): write at most 9999 years")
    return Duration(count, unit), rest[2:]


_LONGEST: dict[Unit, int] = {"day": 3_652_058, "month": 9999 * 12}  # from 0001-01-01 to 9999-12-31


def _is_count(token: str) -> bool:
    return token.isascii() and token.isdigit()


def _take_anchor(rest: list[str]) -> tuple[Anchor, list[str]]:
    if not rest or rest[0] != "from":
        return "invoice", rest
    if len(rest) < 2:
        raise Problem('"from" needs an anchor: invoice, payment, service-start or a date')
    for name in ANCHORS:
        if rest[1] == name:
            return name, rest[2:]
    day = _parse_date(rest[1], f'unknown anchor "{rest[1]}": use invoice, payment, service-start '
                               "or a date like 2023-01-01")
    return day, rest[2:]


def _take_method(rest: list[str]) -> tuple[Method, list[str]]:
    for method in METHODS:
        if rest and rest[0] == method:
            return method, rest[1:]
    return "daily", rest


def _expect_end(kind: str, rest: list[str]) -> None:
    if rest:
        if rest[0] in METHODS or rest[0] == "from":
            raise Problem(f'"{rest[0]}" is out of place after "{kind}": write the anchor, then the method, '
                          'e.g. "amortize 12 months from payment monthly"')
        raise Problem(f'unexpected "{" ".join(rest)}" after "{kind}"')


def _parse_date(token: str, message: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(token)
    except ValueError:
        raise Problem(f'{message}, got "{token}"') from None
