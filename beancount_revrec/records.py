"""The record a treated line becomes: what the engine computes and entries are made from."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import NamedTuple

from beancount_revrec.contract_directives import Billing
from beancount_revrec.schedule import ZERO, Schedule
from beancount_revrec.sources import Line
from beancount_revrec.treatment import Treatment


class Treated(NamedTuple):
    """A line with its treatment and everything it recognises.

    Amounts are revenue-positive. ``deferred`` goes to deferred revenue on the
    line's date, ``reclasses`` leave the revenue account on the line's date, and
    ``schedule`` brings deferred revenue back to revenue. With catch-up off, the
    schedule may date pieces before the line: they are unbilled revenue until the
    line's date, which bills them out of ``deferred`` (``entries.recognised_before``).
    """

    line: Line
    rule: str
    treatment: Treatment
    deferred: Decimal
    reclasses: tuple[tuple[str, Decimal], ...]
    schedule: Schedule
    credited: Decimal = ZERO  # credit lines applied to this line (section 6.4)
    reversed: Decimal = ZERO  # the part of those credits taken off deferred revenue
    reclass_dates: tuple[tuple[str, datetime.date], ...] = ()  # reclasses booked later than the line's date


class Movement(NamedTuple):
    """A generated contract transaction: postings (account, number) that sum to zero.

    ``source`` is what the movement comes from (a contract item, a recorded
    billing line, or a billing schedule) and gives its metadata.
    """

    key: str
    kind: str
    date: datetime.date
    currency: str
    amount: Decimal  # billed or recognised
    postings: tuple[tuple[str, Decimal], ...]
    source: Line | Billing
    payee: str | None  # the contract's customer, or the recorded billing's payee
