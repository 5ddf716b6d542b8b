"""A ledger as Beancount loaded it, the plugin's output in it: the one truth every report reads.

The CLI and the Fava page load the ledger (so the plugin runs) and read what
it generated: entries carry ``revrec-kind``, ``revrec-key`` and their source's
attributes (``beancount_revrec.meta``). Only what the generated entries cannot
say (the rules considered for a line, each rule's matches, and with a booking
horizon what is scheduled after it) comes from the engine, run again on the
same entries on first use, for those reports alone.
"""

from __future__ import annotations

import bisect
import datetime
from collections.abc import Sequence
from functools import cached_property
from typing import Any

from beancount.core.data import Custom, Transaction

from beancount_revrec.close import closed_through
from beancount_revrec.config import Config, Side, parse_config
from beancount_revrec.contract_directives import ContractDirectives, read_contracts
from beancount_revrec.engine import Analysis, Choices, Places, choose, treat
from beancount_revrec.entries import generate_after
from beancount_revrec.ledger import (
    book_until,
    booking_horizon,
    collector_paused,
    currency_places,
    include_positions,
    last_entry_date,
    locked_accounts,
    plugin_config,
)
from beancount_revrec.locks import Locked
from beancount_revrec.meta import KIND, SIDE
from beancount_revrec.reports.periods import Movements, month_start, months_after, movements
from beancount_revrec.sources import Membership

HISTORY_MONTHS = 12
"""The months through the as-of date's month that reports by month show by default."""


class Books:
    """A loaded ledger and what reading it needs: its plugin config, places, close and default as-of date."""

    def __init__(self, entries: Sequence[Any], options_map: dict[str, Any], config: Config,
                 side: Side = "revenue") -> None:
        """Read what every report needs from a loaded ledger (cheap: no engine).

        ``config`` is the plugin's; the reports read one ``side`` of it: ``self.config`` is that side's
        (``Config.for_side``: on the expense side, ``revenue`` are the expense accounts and ``deferred`` is
        ``prepaid``), and only what that side's lines generated is ``booked``.
        """
        self.entries = entries
        self.options_map = options_map
        self.plugin = config
        self.side: Side = side
        self.config = config.for_side(side)
        self.sides: dict[Side, Books] = {side: self}
        self.places: Places = currency_places(config, options_map.get("dcontext"))
        self.closed_through = closed_through(entries)
        self.as_of = default_as_of(entries)

    def for_side(self, side: Side) -> Books:
        """The same ledger's books as ``side`` reads them.

        The expense side's accounts are those under ``expenses`` that its generated entries post to: the
        accounts of prepaid costs and contract costs, not every expense of the ledger (groceries, salaries),
        which the plugin never touches.
        """
        if side in self.sides:
            return self.sides[side]
        books = self.sides[side] = Books(self.entries, self.options_map, self.plugin, side)
        books.sides = self.sides  # each side once, whichever asks
        if side == "expense":
            is_cost = Membership(self.plugin.expenses)
            used = {posting.account for entry in books.booked for posting in entry.postings if is_cost[posting.account]}
            books.config = books.config._replace(revenue=tuple(sorted(used)))
        return books

    @cached_property
    def first_transaction(self) -> datetime.date | None:
        """The date of the ledger's first transaction, where its reports by period start by default."""
        return min((entry.date for entry in self.entries if isinstance(entry, Transaction)), default=None)

    def default_start(self, as_of: datetime.date) -> datetime.date:
        """Where reports by month start by default: the twelve months through ``as_of``'s month.

        The ledger's first transaction if it is later. The Revenue page without a
        filter and ``bean-revrec rollforward`` without ``--from`` start there.
        """
        history = months_after(month_start(as_of), 1 - HISTORY_MONTHS) or datetime.date.min
        return max(self.first_transaction or history, history)

    @cached_property
    def dates(self) -> list[datetime.date]:
        """The date of each entry, in the ledger's order (Beancount sorts entries by date)."""
        return [entry.date for entry in self.entries]

    def between(self, start: datetime.date, end: datetime.date | None) -> Sequence[Any]:
        """The entries dated in [start, end) (None: no end): a slice of the ledger, without a pass over it."""
        first = bisect.bisect_left(self.dates, start)
        return self.entries[first:len(self.entries) if end is None else bisect.bisect_left(self.dates, end)]

    @cached_property
    def movements(self) -> Movements:
        """What the rolled-forward accounts move, per day and column: every roll-forward of the ledger reads it."""
        return movements(self.entries, self.rolled_forward)

    @cached_property
    def booked(self) -> list[Transaction]:
        """Every transaction the plugin generated, frozen by a close or generated now (corrections included)."""
        side = None if self.side == "revenue" else self.side
        return [entry for entry in self.entries if isinstance(entry, Transaction) and KIND in entry.meta
                and entry.meta.get(SIDE) == side]

    @cached_property
    def generated(self) -> list[Transaction]:
        """What the plugin generated in this load: it generates nothing on or before the close date."""
        through = self.closed_through or datetime.date.min
        return [entry for entry in self.booked if entry.date > through]

    @cached_property
    def frozen(self) -> list[Transaction]:
        """The frozen entries of the closed period, as written in the closed-books file."""
        through = self.closed_through or datetime.date.min
        return [entry for entry in self.booked if entry.date <= through]

    @cached_property
    def horizon(self) -> datetime.date | None:
        """The booking horizon (``book-until``): the plugin booked no generated entry after it but corrections.

        None without one. ``last-entry`` is the default as-of date; a close after the horizon moves it there.
        """
        return booking_horizon(book_until(self.config, self.entries), self.closed_through)

    @cached_property
    def unbooked(self) -> list[Transaction]:
        """What the engine schedules after the horizon, which the plugin did not book (nothing without a horizon).

        With ``booked`` it is everything the plugin books without a horizon: the scheduled future of the reports.
        """
        horizon = self.horizon
        if horizon is None:
            return []
        analysis = self.analysis
        with collector_paused():
            return generate_after(analysis, self.plugin, horizon)

    @cached_property
    def scheduled(self) -> Sequence[Any]:
        """The loaded entries and the ``unbooked`` ones: the ledger as the plugin books it without a horizon."""
        return [*self.entries, *self.unbooked] if self.unbooked else self.entries

    def scheduled_between(self, start: datetime.date, end: datetime.date | None) -> Sequence[Any]:
        """The entries of ``scheduled`` dated in [start, end): the ledger's slice and what is unbooked in it."""
        booked = self.between(start, end)
        if not self.unbooked:
            return booked
        later = [entry for entry in self.unbooked if start <= entry.date and (end is None or entry.date < end)]
        return [*booked, *later]

    @property
    def rolled_forward(self) -> list[str]:
        """The accounts the roll-forward follows: deferred revenue, the contract asset and unbilled revenue.

        On the expense side: prepaid expenses and capitalised contract costs.
        """
        if self.side == "expense":
            return [self.plugin.prepaid, self.plugin.contract_cost]
        return [self.config.deferred, self.config.contract_asset, self.config.unbilled]

    @cached_property
    def contracts(self) -> ContractDirectives:
        """The ledger's contracts, items and billing schedules."""
        return read_contracts([entry for entry in self.entries if isinstance(entry, Custom)])[0]

    @cached_property
    def locked(self) -> Locked:
        """From which day a close locks an account (``locked[account]``): the plugin reads or posts to it."""
        return locked_accounts(self.plugin, self.contracts.items, self.every_choice.lines)

    @cached_property
    def every_choice(self) -> Choices:
        """The rule each line of either side follows (the engine's choice, no schedule computed).

        Chosen once per load for both sides: the expense side's books ask the revenue side's.
        """
        if self.side != "revenue":
            return self.for_side("revenue").every_choice
        with collector_paused():  # as in the plugin: the lines are many small objects, the ledger is large
            return choose(self.entries, self.plugin, include_positions(self.options_map))

    @cached_property
    def choices(self) -> Choices:
        """The rule each line of this side follows, for rule usage."""
        choices = self.every_choice
        return choices._replace(lines=[line for line in choices.lines if line.side == self.side])

    @cached_property
    def engine(self) -> Analysis:
        """The engine's analysis of both sides, run once per load: the expense side's books ask the revenue side's."""
        if self.side != "revenue":
            return self.for_side("revenue").engine
        with collector_paused():
            return treat(self.entries, self.plugin, self.places, include_positions(self.options_map))

    @cached_property
    def analysis(self) -> Analysis:
        """The engine's analysis of the same entries (generated ones are never sources), for explain: this side's."""
        analysis = self.engine
        return analysis._replace(lines=[line for line in analysis.lines if line.side == self.side],
                                 treated=[item for item in analysis.treated if item.line.side == self.side],
                                 movements=analysis.movements if self.side == "revenue" else [])  # contracts': revenue


def read_books(entries: Sequence[Any], options_map: dict[str, Any]) -> tuple[Books | None, list[str]]:
    """The books of a loaded ledger, or the problems that prevent reading them (no plugin, a bad config)."""
    try:
        config_str = plugin_config(options_map)
    except LookupError as exc:
        return None, [str(exc)]
    config, problems, _ = parse_config(config_str, options_map)  # its warnings are the plugin's errors already
    if problems:
        return None, problems
    return Books(entries, options_map, config), []


def default_as_of(entries: Sequence[Any]) -> datetime.date | None:
    """The default as-of date of every report: the date of the last entry the user wrote, None if there is none.

    Generated entries (dated up to the end of every schedule) do not count: the
    months after the last entry of the user's own are the scheduled ones. It is
    also the ``book-until`` date ``last-entry``.
    """
    return last_entry_date(entries)
