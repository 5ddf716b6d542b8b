"""Fulfillment (SPEC 6.1): a line recognised on its ``revrec-fulfill`` events, and what remains on a fallback date.

Each event fulfils an amount, a number of the line's units or a share of the line; the
running total is rounded half up to the currency's places, so the pieces add up to the
line exactly. An event beyond what remains, or after the fallback, is refused with why.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction

from beancount_revrec.directives import ByAmount, ByPercent, ByUnits, Event
from beancount_revrec.errors import Problem
from beancount_revrec.schedule import ZERO, Schedule
from beancount_revrec.sources import Line


def fulfil(
    line: Line, amount: Decimal, events: list[Event], fallback: datetime.date | None,
    places: int, refused: list[tuple[Event, str]],
) -> Schedule:
    """Recognise on events, and what remains at ``fallback``."""
    total = Fraction(amount)
    done = Fraction(0)
    booked = ZERO
    schedule: Schedule = []
    for event in sorted(events, key=lambda event: event.date):
        show = f"{{:.{places}f}} {line.currency}".format
        try:
            part = _event_part(line, event, total)
        except Problem as problem:
            refused.append((event, str(problem)))
            continue
        left = total - done
        if fallback is not None and event.date > fallback:
            refused.append((event, (f"revrec-fulfill after the fallback date {fallback}, when the rest "
                                    "was recognised: nothing remains to fulfil")))
            continue
        if abs(part) > abs(left):
            refused.append((event, (f"revrec-fulfill of {show(abs(_round(part, places)))} exceeds the "
                                    f"{show(abs(_round(left, places)))} that remains; the excess is not recognised")))
            part = left
        done += part
        reached = amount if done == total else _round(done, places)
        if abs(reached) > abs(amount):  # an amount with more decimals than its currency
            reached = amount
        _book(schedule, event.date, reached - booked)
        booked = reached
    if fallback is not None and booked != amount:
        _book(schedule, fallback, amount - booked)
    return schedule


def _book(schedule: Schedule, day: datetime.date, amount: Decimal) -> None:
    """Add ``amount`` on ``day``, the schedule's last date or a later one."""
    if schedule and schedule[-1][0] == day:
        schedule[-1] = (day, schedule[-1][1] + amount)
    else:
        schedule.append((day, amount))


def _event_part(line: Line, event: Event, total: Fraction) -> Fraction:
    """The exact revenue an event fulfils.

    Raises:
        Problem: the event cannot fulfil this line.
    """
    match event.by:
        case ByAmount(number=number, currency=currency):
            if currency != line.currency:
                raise Problem(f'revrec-fulfill in {currency}, but line "{event.target}" is in {line.currency}')
            return (-1 if total < 0 else 1) * Fraction(number)
        case ByPercent(percent=percent):
            return total * Fraction(percent) / 100
        case ByUnits(units=units):
            if line.quantity is None:
                raise Problem(f'revrec-fulfill by units needs quantity: on line "{event.target}"')
            return total * Fraction(units) / Fraction(line.quantity)


def _round(value: Fraction, places: int) -> Decimal:
    scaled = abs(value) * 10**places
    units = int(scaled + Fraction(1, 2))
    return Decimal(-units if value < 0 else units).scaleb(-places)
