"""The treatment model the property tests share: a part of a treatment, its ``revrec:`` text, and how shares split."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from hypothesis import strategies as st


@dataclass
class Part:
    """One part of a treatment."""

    kind: str
    share: Decimal | None = None
    method: str | None = None
    count: int | None = None
    unit: str | None = None
    anchor: str | datetime.date | None = None
    on: datetime.date | None = None

    def text(self) -> str:
        words = [self.kind]
        if self.on is not None:
            words.append(self.on.isoformat())
        if self.count is not None:
            words += [str(self.count), str(self.unit)]
        if self.anchor is not None:
            words += ["from", str(self.anchor)]
        if self.method is not None:
            words.append(self.method)
        share = "" if self.share is None else f"{self.share}% "
        return share + " ".join(words)

    @property
    def needs_service(self) -> bool:
        return self.kind == "ratable" or self.anchor == "service-start"


def treatment_text(parts: list[Part]) -> str:
    return " + ".join(part.text() for part in parts)


def with_shares(draw: st.DrawFn, parts: list[Part]) -> list[Part]:
    """``parts`` with random percentage shares adding up to 100 (a single part: 100% or no share)."""
    if len(parts) == 1:
        if draw(st.booleans()):
            parts[0].share = Decimal(100)
        return parts
    step = draw(st.sampled_from([1, 100]))  # hundredths of a percent, or whole percents
    cuts = sorted(draw(st.sets(st.integers(1, 10000 // step - 1), min_size=len(parts) - 1, max_size=len(parts) - 1)))
    bounds = [0, *(cut * step for cut in cuts), 10000]
    for part, low, high in zip(parts, bounds, bounds[1:], strict=False):
        part.share = plain(Decimal(high - low).scaleb(-2))
    return parts


def plain(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and without an exponent: 37.50 -> 37.5, 100.00 -> 100."""
    return Decimal(format(value.normalize(), "f"))


def round_half_up(value: Fraction, places: int) -> Decimal:
    """``value`` rounded half away from zero to ``places`` decimals."""
    scaled = abs(value) * 10**places
    units = int(scaled + Fraction(1, 2))
    return Decimal(-units if value < 0 else units).scaleb(-places)


def split_by_shares(shares: list[Decimal], amount: Decimal, places: int) -> list[Decimal]:
    """Each share rounded half up, the last part takes the residual (SPEC section 5).

    A rounded share never takes the running total past the amount (possible only
    for amounts with more decimals than the currency).
    """
    pieces: list[Decimal] = []
    total = Decimal(0)
    for share in shares[:-1]:
        piece = round_half_up(Fraction(amount) * Fraction(share) / 100, places)
        if abs(total + piece) > abs(amount):
            piece = amount - total
        pieces.append(piece)
        total += piece
    return [*pieces, amount - total]
