"""All date and amount arithmetic: durations, recognition periods, exact allocation.

Amounts are split with the rounding rule of SPEC section 1: the exact
cumulative amount at the end of each bucket is rounded ROUND_HALF_UP to the
currency's places and each bucket books the difference from the previous one;
the last bucket reaches the amount exactly.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from itertools import pairwise

from beancount_revrec.errors import OutOfRangeError
from beancount_revrec.treatment import Duration, Method

ONE_DAY = datetime.timedelta(days=1)
ZERO = Decimal(0)

Schedule = list[tuple[datetime.date, Decimal]]
"""Recognition amounts by date, dates ascending and unique."""


def month_end(day: datetime.date) -> datetime.date:
    """The last day of ``day``'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@lru_cache(maxsize=8192)
def add_months(day: datetime.date, months: int) -> datetime.date:
    """Add months, clamping to the month's end: 2023-01-31 + 1 month = 2023-02-28."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if not datetime.MINYEAR <= year <= datetime.MAXYEAR:
        raise _beyond(f"{day} + {months} months")
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


def add_days(day: datetime.date, days: int) -> datetime.date:
    """``day`` plus a number of days (negative: minus), within the calendar Beancount can date."""
    try:
        return day + datetime.timedelta(days=days)
    except OverflowError:
        raise _beyond(f"{day} + {days} days") from None


def _beyond(date: str) -> OutOfRangeError:
    """The error of a date the calendar does not hold."""
    return OutOfRangeError(f"{date} is outside the calendar Beancount can date ({datetime.date.min} to "
                           f"{datetime.date.max})")


def add_duration(day: datetime.date, duration: Duration) -> datetime.date:
    """``day`` plus a duration of days or months."""
    if duration.unit == "day":
        return add_days(day, duration.number)
    return add_months(day, duration.number)


def months_between(start: datetime.date, end: datetime.date) -> Fraction:
    """The length of [start, end) in months: whole months, then the rest as a share of the next month."""
    whole = (end.year - start.year) * 12 + end.month - start.month
    while whole > 0 and add_months(start, whole) > end:
        whole -= 1
    reached = add_months(start, whole)
    following = add_months(start, whole + 1)
    return whole + Fraction((end - reached).days, (following - reached).days)


def _next_month(day: datetime.date) -> datetime.date:
    if day.month < 12:
        return datetime.date(day.year, day.month + 1, 1)
    if day.year < datetime.MAXYEAR:
        return datetime.date(day.year + 1, 1, 1)
    raise _beyond(f"the month after {day.isoformat()[:7]}")


def _months(start: datetime.date, end: datetime.date) -> list[tuple[datetime.date, int, bool]]:
    """Calendar-month buckets of [start, end): (recognition date, days, whole month)."""
    buckets = []
    first = start
    while first < end:
        following = _next_month(first)
        last = min(following, end)
        whole = first.day == 1 and last == following
        buckets.append((last - ONE_DAY, (last - first).days, whole))
        first = following
    return buckets


@lru_cache(maxsize=8192)
def period_weights(
    start: datetime.date, end: datetime.date, method: Method,
) -> tuple[tuple[datetime.date, ...], tuple[int, ...], int]:
    """Recognition dates of [start, end) (exclusive end) and cumulative weights.

    Returns:
        The bucket dates, the cumulative weight at each, and the total weight
        (equal to the last cumulative weight).
    """
    if end <= start:
        return (start,), (1,), 1
    buckets = _months(start, end)
    if method == "monthly":
        end_month = end.replace(day=1)
        dates = tuple(day for day, _, _ in buckets if day < end_month) or (buckets[0][0],)
        return dates, tuple(range(1, len(dates) + 1)), len(dates)
    weights = [days for _, days, _ in buckets]
    whole = sum(is_whole for _, _, is_whole in buckets)
    if method == "monthly-prorated" and whole:
        total_days = sum(weights)
        partial_days = sum(days for _, days, is_whole in buckets if not is_whole)
        weights = [total_days - partial_days if is_whole else days * whole
                   for _, days, is_whole in buckets]
    cumulative = []
    running = 0
    for weight in weights:
        running += weight
        cumulative.append(running)
    return tuple(day for day, _, _ in buckets), tuple(cumulative), running


def allocate(amount: Decimal, cumulative: Sequence[int], total: int, places: int) -> list[Decimal]:
    """Split ``amount`` by cumulative weights with the cumulative rounding rule.

    Piece k brings the running sum to ``amount * cumulative[k] / total`` rounded
    half up to ``places`` decimals; the last piece makes the sum exactly ``amount``.
    """
    exponent = amount.as_tuple().exponent
    scale = max(places, -exponent if isinstance(exponent, int) else 0)
    return list(_allocate(int(amount.scaleb(scale)), scale, places, tuple(cumulative), total))


@lru_cache(maxsize=8192)
def _allocate(units: int, scale: int, places: int, cumulative: tuple[int, ...], total: int) -> tuple[Decimal, ...]:
    """``allocate`` of ``units`` times 10**-scale; cached, because invoices repeat their prices."""
    sign, units = (-1 if units < 0 else 1), abs(units)
    step = 10 ** (scale - places)
    divisor = total * step
    twice, double = 2 * units, 2 * divisor
    reached = [(twice * weight + divisor) // double * step for weight in cumulative[:-1]]
    if step > 1:  # never past the amount itself, which carries more decimals than the currency
        reached = [min(units, running) for running in reached]
    reached.append(units)
    pieces = [running - previous for previous, running in pairwise([0, *reached])]
    # A piece is written with the currency's places unless it needs the amount's extra ones.
    # Equal pieces are one Decimal object, so that their transactions can share postings.
    fine, coarse = _unit(scale), _unit(places)
    numbers = {piece: coarse * (sign * piece // step) if piece % step == 0 else fine * (sign * piece)
               for piece in set(pieces)}
    return tuple(numbers[piece] for piece in pieces)


@lru_cache(maxsize=64)  # places of a currency: a handful
def _unit(places: int) -> Decimal:
    """10 to the power -places; multiplying an integer by it is the quickest exact Decimal."""
    return Decimal(1).scaleb(-places)


def split_shares(amount: Decimal, shares: Sequence[Decimal], places: int) -> list[Decimal]:
    """Split ``amount`` by percentage shares: each rounded, the last takes the residual.

    A rounded share never takes the running total past ``amount`` (which matters
    only for amounts below the currency's precision).
    """
    if len(shares) == 1:
        return [amount]
    quantum = Decimal(1).scaleb(-places)
    pieces = []
    total = ZERO
    for share in shares[:-1]:
        piece = (amount * share / 100).quantize(quantum, rounding="ROUND_HALF_UP")
        if abs(total + piece) > abs(amount):
            piece = amount - total
        pieces.append(piece)
        total += piece
    return [*pieces, amount - total]


def spread(amount: Decimal, start: datetime.date, end: datetime.date, method: Method, places: int) -> Schedule:
    """Recognise ``amount`` over [start, end) by ``method``, one date per month."""
    dates, cumulative, total = period_weights(start, end, method)
    return list(zip(dates, allocate(amount, cumulative, total, places), strict=True))
