"""The treatment language of SPEC section 5, parsed into a typed value.

A treatment says how an amount is recognised::

    TREATMENT := PART ( "+" PART )*
    PART      := [SHARE] ACTION
    ACTION    := immediate | ratable [METHOD] | amortize DURATION [from ANCHOR] [METHOD]
               | defer DURATION [from ANCHOR] | on DATE
               | fulfillment [DURATION] [from ANCHOR]
               | tax | fee | passthrough | exclude
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import NamedTuple

METHODS = ("daily", "monthly", "monthly-prorated")
ANCHORS = ("invoice", "payment", "service-start")
RECLASSES = ("tax", "fee", "passthrough", "exclude")
ACTIONS = ("immediate", "ratable", "amortize", "defer", "on", "fulfillment", *RECLASSES)
UNITS = {"day": "day", "days": "day", "month": "month", "months": "month",
         "year": "year", "years": "year"}
HUNDRED = Decimal(100)


class TreatmentError(ValueError):
    """A treatment string that does not follow the grammar."""


class Duration(NamedTuple):
    """A length of time: ``number`` days or months (a year is 12 months)."""

    number: int
    unit: str  # "day" or "month"


Anchor = str | datetime.date
"""``"invoice"``, ``"payment"``, ``"service-start"`` or a date."""


class Action(NamedTuple):
    """One way of recognising an amount."""

    kind: str
    method: str = "daily"
    duration: Duration | None = None
    anchor: Anchor = "invoice"
    on: datetime.date | None = None

    @property
    def defers(self) -> bool:
        """Whether the amount goes to deferred revenue first."""
        return self.kind not in ("immediate", *RECLASSES)


class Part(NamedTuple):
    """A share (percent) of the amount and the action applied to it."""

    share: Decimal
    action: Action


class Treatment(NamedTuple):
    """A parsed treatment: its text and its parts, whose shares add up to 100."""

    text: str
    parts: tuple[Part, ...]


def read_treatment(text: object, key: str) -> Treatment | str:
    """The treatment a metadata value ``key:`` holds, or what is wrong with it."""
    if not isinstance(text, str):
        return f'{key}: must be a treatment string, e.g. {key}: "ratable"'
    try:
        return parse_treatment(text)
    except TreatmentError as exc:
        return f'{key}: "{text}": {exc}'


@lru_cache(maxsize=1024)
def parse_treatment(text: str) -> Treatment:
    """Parse a treatment string.

    Raises:
        TreatmentError: the text does not follow the grammar; the message says
            what to write instead.
    """
    if not text.strip():
        raise TreatmentError('empty treatment: write e.g. "ratable" or "immediate"')
    parts = tuple(_parse_part(chunk.split()) for chunk in text.split("+"))
    _check_shares(parts)
    return Treatment(text, tuple(p if p.share else p._replace(share=HUNDRED) for p in parts))


def _check_shares(parts: tuple[Part, ...]) -> None:
    if len(parts) > 1 and not all(part.share for part in parts):
        raise TreatmentError(
            'every part of a mixed treatment needs a share: write e.g. "80% ratable + 20% immediate"'
        )
    total = sum((part.share for part in parts), Decimal(0))
    if total and total != HUNDRED:
        raise TreatmentError(f"shares add up to {total}%, not 100%")
    if sum(part.action.kind == "fulfillment" for part in parts) > 1:
        raise TreatmentError('a treatment can have only one "fulfillment" part')


def _parse_part(tokens: list[str]) -> Part:
    if not tokens:
        raise TreatmentError('empty part around "+": write e.g. "50% ratable + 50% immediate"')
    share = Decimal(0)
    if tokens[0].endswith("%"):
        share = _parse_share(tokens[0])
        tokens = tokens[1:]
        if not tokens:
            raise TreatmentError(f'share {share}% has no action: write e.g. "{share}% ratable"')
    kind, rest = tokens[0], tokens[1:]
    if kind not in ACTIONS:
        raise TreatmentError(f'unknown action "{kind}": use one of {", ".join(ACTIONS)}')
    return Part(share, _ACTION_PARSERS[kind](kind, rest))


def _parse_share(token: str) -> Decimal:
    try:
        share = Decimal(token[:-1])
    except InvalidOperation:
        share = Decimal(-1)
    if not share.is_finite() or not Decimal(0) < share <= HUNDRED:
        raise TreatmentError(f'bad share "{token}": write a percentage above 0 and at most 100, e.g. "80%"')
    return share


def _parse_bare(kind: str, rest: list[str]) -> Action:
    _expect_end(kind, rest)
    return Action(kind)


def _parse_ratable(kind: str, rest: list[str]) -> Action:
    method, rest = _take_method(rest)
    _expect_end(kind, rest)
    return Action(kind, method=method)


def _parse_amortize(kind: str, rest: list[str]) -> Action:
    duration, rest = _take_duration(kind, rest, required=True)
    anchor, rest = _take_anchor(rest)
    method, rest = _take_method(rest)
    _expect_end(kind, rest)
    if duration is not None and not duration.number:
        instead = "immediate" if anchor == "invoice" else f"defer 0 days from {anchor}"
        raise TreatmentError(f'"amortize" over no time recognises nothing over a period: write "{instead}"')
    return Action(kind, method=method, duration=duration, anchor=anchor)


def _parse_defer(kind: str, rest: list[str]) -> Action:
    duration, rest = _take_duration(kind, rest, required=True)
    anchor, rest = _take_anchor(rest)
    _expect_end(kind, rest)
    _reject_zero_from_invoice(kind, duration, anchor)
    return Action(kind, duration=duration, anchor=anchor)


def _reject_zero_from_invoice(kind: str, duration: Duration | None, anchor: Anchor) -> None:
    """A zero duration from the invoice defers and recognises on the same day: that is ``immediate``."""
    if duration is not None and not duration.number and anchor == "invoice":
        raise TreatmentError(f'"{kind}" of no time from the invoice recognises it all on the invoice date: '
                             'write "immediate" (or "defer 0 days from payment" for cash basis)')


def _parse_on(kind: str, rest: list[str]) -> Action:
    if not rest:
        raise TreatmentError('"on" needs a date: write e.g. "on 2023-01-01"')
    day = _parse_date(rest[0], '"on" needs a date like 2023-01-01')
    _expect_end(kind, rest[1:])
    return Action(kind, on=day)


def _parse_fulfillment(kind: str, rest: list[str]) -> Action:
    duration, rest = _take_duration(kind, rest, required=False)
    anchor, rest = _take_anchor(rest)
    _expect_end(kind, rest)
    _reject_zero_from_invoice(kind, duration, anchor)
    return Action(kind, duration=Duration(12, "month") if duration is None else duration, anchor=anchor)


_ACTION_PARSERS = {
    "immediate": _parse_bare, "tax": _parse_bare, "fee": _parse_bare,
    "passthrough": _parse_bare, "exclude": _parse_bare, "ratable": _parse_ratable,
    "amortize": _parse_amortize, "defer": _parse_defer, "on": _parse_on,
    "fulfillment": _parse_fulfillment,
}


def _take_duration(kind: str, rest: list[str], *, required: bool) -> tuple[Duration | None, list[str]]:
    if not rest or (not required and not _is_count(rest[0])):
        if required:
            raise TreatmentError(f'"{kind}" needs a duration: write e.g. "{kind} 12 months"')
        return None, rest
    if not _is_count(rest[0]):
        raise TreatmentError(
            f'"{kind}" needs a whole number before the unit, e.g. "{kind} 12 months", got "{rest[0]}"')
    if len(rest) < 2 or rest[1] not in UNITS:
        got = rest[1] if len(rest) > 1 else "nothing"
        raise TreatmentError(f'duration "{rest[0]}" needs a unit (days, months or years), got "{got}"')
    count, unit = int(rest[0]), UNITS[rest[1]]
    if unit == "year":
        count, unit = count * 12, "month"
    if count > _LONGEST[unit]:
        raise TreatmentError(f'duration "{rest[0]} {rest[1]}" is longer than the calendar Beancount can date '
                             "(up to 9999-12-31): write at most 9999 years")
    return Duration(count, unit), rest[2:]


_LONGEST = {"day": 3_652_058, "month": 9999 * 12}  # from 0001-01-01 to 9999-12-31


def _is_count(token: str) -> bool:
    return token.isascii() and token.isdigit()


def _take_anchor(rest: list[str]) -> tuple[Anchor, list[str]]:
    if not rest or rest[0] != "from":
        return "invoice", rest
    if len(rest) < 2:
        raise TreatmentError('"from" needs an anchor: invoice, payment, service-start or a date')
    if rest[1] in ANCHORS:
        return rest[1], rest[2:]
    day = _parse_date(rest[1], f'unknown anchor "{rest[1]}": use invoice, payment, service-start '
                               "or a date like 2023-01-01")
    return day, rest[2:]


def _take_method(rest: list[str]) -> tuple[str, list[str]]:
    if rest and rest[0] in METHODS:
        return rest[0], rest[1:]
    return "daily", rest


def _expect_end(kind: str, rest: list[str]) -> None:
    if rest:
        if rest[0] in METHODS or rest[0] == "from":
            raise TreatmentError(f'"{rest[0]}" is out of place after "{kind}": write the anchor, then the method, '
                                 'e.g. "amortize 12 months from payment monthly"')
        raise TreatmentError(f'unexpected "{" ".join(rest)}" after "{kind}"')


def _parse_date(token: str, message: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(token)
    except ValueError:
        raise TreatmentError(f'{message}, got "{token}"') from None
