"""Property tests: exact totals, balanced entries and sane schedules over random ledgers.

Random ledgers (amounts of both signs in currencies with 0 to 3 decimal places,
service periods over leap years and month ends, every treatment of SPEC section 5
alone or mixed, fulfillment events by amount, units and percent) are loaded with
the plugin, and the generated transactions are checked against an independent
oracle written from SPEC sections 1, 4, 5 and 6.1:

1. every generated transaction balances per currency;
2. per line, deferral + reclasses equal the treated parts and recognitions add up
   to the deferral; over the whole ledger (the user's entries included), revenue,
   deferred revenue and every reclass account hold exactly what the oracle says, so
   the deferred account ends at zero when nothing waits for a payment;
   with ``{'catch-up': 'off'}`` (the ledger-level plugin option) what a schedule dates
   before its line is recognised on its own date against unbilled revenue, which the
   line bills on its date (so unbilled revenue ends at zero, line by line), and
   fulfillment events dated before their line are valid;
3. recognised-to-date is monotone and never exceeds the line's amount;
4. generated amounts keep the currency's decimal places.

The pure functions of ``schedule`` are tested directly as well.
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from beancount import loader
from beancount.core.data import Transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from treatment_model import Part, plain, round_half_up, split_by_shares, treatment_text, with_shares

from beancount_revrec import schedule

PLACES = {"JPY": 0, "USD": 2, "BHD": 3, "XXX": 1}
CURRENCIES = sorted(PLACES)
HEADER = f'plugin "beancount_revrec" "{{\'precision\': {PLACES!r}}}"\n'
HEADER_OFF = f'plugin "beancount_revrec" "{{\'precision\': {PLACES!r}, \'catch-up\': \'off\'}}"\n'
AR = "Assets:AccountsReceivable"
BANK = "Assets:Bank"
SALES = "Income:Sales"
DEFERRED = "Liabilities:DeferredRevenue"
UNBILLED = "Assets:UnbilledReceivables"
RECLASS_ACCOUNTS = {
    "tax": "Liabilities:TaxLiability",
    "fee": "Income:Fees",
    "passthrough": "Liabilities:PassthroughFees",
    "exclude": "Equity:RevRec:Exclusions",
}
KINDS = {"deferral", "recognition", "reclass", "billing", "correction"}
METHODS = ("daily", "monthly", "monthly-prorated")
ONE_DAY = datetime.timedelta(days=1)
QUANTITY = 1000  # units on every pure-fulfillment line, so unit events are thousandths
FIRST_DAY = datetime.date(2019, 1, 1)
LAST_DAY = datetime.date(2026, 12, 31)
SPECIAL_DAYS = sorted(
    {datetime.date(year, month, day) for year in range(2019, 2027)
     for month, day in ((1, 1), (1, 31), (2, 28), (3, 1), (3, 31), (4, 30), (12, 31))}
    | {datetime.date(2020, 2, 29), datetime.date(2024, 2, 29), datetime.date(2024, 2, 1)}
)
PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PURE = settings(max_examples=150, deadline=None)


# ---------------------------------------------------------------- the oracle


def reach(amount: Decimal, fraction: Fraction, places: int) -> Decimal:
    """Cumulative recognition at ``fraction`` of ``amount`` (SPEC section 1).

    The exact cumulative amount rounded half up to the currency's places, but never
    past the amount itself (which may carry more decimals than the currency).
    """
    rounded = round_half_up(Fraction(amount) * fraction, places)
    return amount if abs(rounded) > abs(amount) else rounded


def add_months(day: datetime.date, months: int) -> datetime.date:
    """SPEC 5 DURATION: ``months`` calendar months after ``day``, clamped to that month's last day.

    Walks one month at a time (the 1st of a month plus 31 days is in the next month) rather than
    computing a month index, so as not to repeat ``schedule.add_months``.
    """
    assert months >= 0
    first = day.replace(day=1)
    for _ in range(months):
        first = (first + datetime.timedelta(days=31)).replace(day=1)
    last = (first + datetime.timedelta(days=31)).replace(day=1) - ONE_DAY
    return first.replace(day=min(day.day, last.day))


def add_duration(day: datetime.date, count: int, unit: str) -> datetime.date:
    if unit.startswith("day"):
        return day + datetime.timedelta(days=count)
    if unit.startswith("year"):
        return add_months(day, 12 * count)
    return add_months(day, count)


def service_days_by_month(start: datetime.date, end: datetime.date) -> dict[tuple[int, int], list[datetime.date]]:
    """Every day of [start, end), one by one, grouped by calendar (year, month)."""
    months: dict[tuple[int, int], list[datetime.date]] = defaultdict(list)
    day = start
    while day < end:
        months[day.year, day.month].append(day)
        day += ONE_DAY
    return months


def month_shares(months: dict[tuple[int, int], list[datetime.date]], end: datetime.date,
                 method: str) -> dict[tuple[int, int], Fraction]:
    """Each calendar month's share of the amount, from SPEC 5's definition of the methods.

    daily: the month's days of service over all the days of service. monthly: the months from
    the start's up to, not including, the end date's share evenly (at least one: the start's).
    monthly-prorated: a month not wholly in service (the first, the last) takes its days at the
    daily rate, the whole months share the rest evenly; with no whole month that is daily.
    """
    days = sum(len(served) for served in months.values())
    daily = {month: Fraction(len(served), days) for month, served in months.items()}
    if method == "monthly":
        counted = [month for month in months if month < (end.year, end.month)] or [min(months)]
        return {month: Fraction(1, len(counted)) for month in counted}
    whole = [month for month, served in months.items() if len(served) == calendar.monthrange(*month)[1]]
    if method == "monthly-prorated" and whole:
        rest = 1 - sum((share for month, share in daily.items() if month not in whole), Fraction(0))
        return {month: rest / len(whole) if month in whole else share for month, share in daily.items()}
    return daily


def spread_steps(amount: Decimal, start: datetime.date, end: datetime.date, method: str,
                 places: int) -> list[tuple[datetime.date, Decimal]]:
    """Cumulative recognition at each month's last day of service (SPEC 4), rounded per SPEC 1."""
    months = service_days_by_month(start, end)
    steps = []
    reached = Fraction(0)
    for month, share in sorted(month_shares(months, end, method).items()):
        reached += share
        steps.append((months[month][-1], amount if reached == 1 else reach(amount, reached, places)))
    return steps


@dataclass
class Event:
    day: datetime.date
    kind: str  # "amount", "units" or "percent"
    value: Decimal


@dataclass
class Line:
    ident: str
    amount: Decimal  # revenue-positive
    currency: str
    service: tuple[datetime.date, datetime.date] | None
    parts: list[Part] | None  # None: no revrec: override
    quantity: bool = False
    events: list[Event] = field(default_factory=list)

    @property
    def places(self) -> int:
        return PLACES[self.currency]

    def effective_parts(self) -> list[Part]:
        if self.parts is not None:
            return self.parts
        return [Part("ratable")] if self.service else [Part("immediate")]


@dataclass
class Source:
    index: int
    day: datetime.date
    invoice: bool
    currency: str
    lines: list[Line]
    payment: datetime.date | None = None


def split(amount: Decimal, parts: list[Part], places: int) -> list[Decimal]:
    """The parts' amounts (a part without a share has 100%)."""
    return split_by_shares([part.share if part.share is not None else Decimal(100) for part in parts],
                           amount, places)


def anchor_day(source: Source, line: Line, anchor: str | datetime.date | None) -> datetime.date | None:
    if isinstance(anchor, datetime.date):
        return anchor
    if anchor in (None, "invoice"):
        return source.day
    if anchor == "payment":
        return source.payment if source.invoice else source.day
    assert line.service is not None
    return line.service[0]


def fallback_day(source: Source, line: Line, part: Part) -> datetime.date | None:
    start = anchor_day(source, line, part.anchor)
    if start is None:
        return None
    count, unit = (12, "months") if part.count is None else (part.count, part.unit)
    return add_duration(start, count, unit)


def event_value(event: Event, total: Fraction) -> Fraction:
    if event.kind == "amount":
        return (-1 if total < 0 else 1) * Fraction(event.value)
    if event.kind == "percent":
        return total * Fraction(event.value) / 100
    return total * Fraction(event.value) / QUANTITY


def fulfil_steps(source: Source, line: Line, amount: Decimal, fallback: datetime.date | None, *,
                 catch_up: bool = True) -> tuple[list[tuple[datetime.date, Decimal]], int]:
    """Cumulative recognition of a fulfillment part (SPEC 6.1) and how many events are errors.

    With catch-up, an event before the line is an error; without, it is recognised on its date.
    """
    total = Fraction(amount)
    done = Fraction(0)
    steps: list[tuple[datetime.date, Decimal]] = []
    rejected = 0
    for event in sorted(line.events, key=lambda event: event.day):
        if (catch_up and event.day < source.day) or (fallback is not None and event.day > fallback):
            rejected += 1
            continue
        value = event_value(event, total)
        if abs(value) > abs(total - done):
            rejected += 1
            value = total - done
        done += value
        steps.append((event.day, amount if done == total else reach(amount, done / total, line.places)))
    if fallback is not None:
        steps.append((fallback, amount))
    return steps, rejected


@dataclass
class Expected:
    deferred: Decimal
    reclasses: dict[str, Decimal]
    immediate: Decimal
    steps: list[list[tuple[datetime.date, Decimal]]]  # one cumulative step function per deferred part
    rejected: int
    waiting: bool  # some part waits for a payment that never came
    unbilled: Decimal = Decimal(0)  # catch-up off: recognised before the line, billed on the line's date

    def recognised(self, day: datetime.date) -> Decimal:
        total = Decimal(0)
        for steps in self.steps:
            reached = [cumulative for step_day, cumulative in steps if step_day <= day]
            if reached:
                total += reached[-1]
        return total

    def final(self) -> Decimal:
        return self.recognised(datetime.date.max)


def expect(source: Source, line: Line, *, catch_up: bool = True) -> Expected:
    parts = line.effective_parts()
    amounts = split(line.amount, parts, line.places)
    result = Expected(Decimal(0), defaultdict(Decimal), Decimal(0), [], 0, waiting=False)
    for part, amount in zip(parts, amounts, strict=True):
        if part.kind == "immediate":
            result.immediate += amount
            continue
        if part.kind in RECLASS_ACCOUNTS:
            result.reclasses[part.kind] += amount
            continue
        result.deferred += amount
        if part.kind == "ratable":
            assert line.service is not None
            steps = spread_steps(amount, *line.service, part.method or "daily", line.places)
        elif part.kind == "on":
            steps = [(part.on, amount)]
        elif part.kind == "fulfillment":
            fallback = fallback_day(source, line, part)
            steps, rejected = fulfil_steps(source, line, amount, fallback, catch_up=catch_up)
            result.rejected += rejected
            result.waiting |= fallback is None
        else:
            start = anchor_day(source, line, part.anchor)
            if start is None:
                result.waiting = True
                steps = []
            elif part.kind == "defer":
                steps = [(add_duration(start, part.count, part.unit), amount)]
            else:
                end = add_duration(start, part.count, part.unit)
                steps = spread_steps(amount, start, end, part.method or "daily", line.places)
        result.steps.append(steps)
    if not catch_up:  # what falls before the line stays in its own months, unbilled until the line
        result.unbilled = result.recognised(source.day - ONE_DAY)
    return result


# ---------------------------------------------------------------- ledgers


def number(value: Decimal) -> str:
    return format(value, "f") if value else format(abs(value), "f")


def render(sources: list[Source], *, catch_up: bool = True) -> str:
    chunks = [HEADER if catch_up else HEADER_OFF,
              f"1990-01-01 open {AR}\n1990-01-01 open {SALES}\n1990-01-01 open {BANK}\n"]
    for source in sources:
        chunks.append(render_source(source))
        if source.payment is not None:
            chunks.append(f'{source.payment} * "Customer {source.index}" "Payment {source.index}"\n'
                          f'  invoice: "in_{source.index}"\n'
                          f"  {BANK}  1 {source.currency}\n  {AR}  -1 {source.currency}\n")
        for line in source.lines:
            for event in line.events:
                value = {"amount": f"{event.value} {line.currency}", "units": f"{event.value}",
                         "percent": f'"{event.value}%"'}[event.kind]
                chunks.append(f'{event.day} custom "revrec-fulfill" "{line.ident}" {value}\n')
    return "\n".join(chunks)


def render_source(source: Source) -> str:
    total = sum((line.amount for line in source.lines), Decimal(0))
    text = [f'{source.day} * "Customer {source.index}" "Sale {source.index}"']
    if source.invoice:
        text.append(f'  invoice: "in_{source.index}"')
    if total:
        text.append(f"  {AR if source.invoice else BANK}  {number(total)} {source.currency}")
    for line in source.lines:
        text += [f"  {SALES}  {number(-line.amount)} {line.currency}", f'    line: "{line.ident}"']
        if line.service is not None:
            text += [f"    service-start: {line.service[0]}", f"    service-end: {line.service[1]}"]
        if line.quantity:
            text.append(f"    quantity: {QUANTITY}")
        if line.parts is not None:
            text.append(f'    revrec: "{treatment_text(line.parts)}"')
    return "\n".join(text) + "\n"


def load_all(sources: list[Source], *, catch_up: bool = True) -> tuple[list[Any], list[Any], str]:
    """Every entry of the rendered ledger after the plugin ran, its errors, and its text."""
    text = render(sources, catch_up=catch_up)
    entries, errors, _ = loader.load_string(text)
    return entries, errors, text


def revrec_transactions(entries: list[Any]) -> list[Transaction]:
    return [entry for entry in entries if isinstance(entry, Transaction) and "revrec" in entry.tags]


def load(sources: list[Source], *, catch_up: bool = True) -> tuple[list[Transaction], list[Any], str]:
    entries, errors, text = load_all(sources, catch_up=catch_up)
    return revrec_transactions(entries), errors, text


# ---------------------------------------------------------------- strategies

days = st.one_of(st.dates(FIRST_DAY, LAST_DAY), st.sampled_from(SPECIAL_DAYS))


@st.composite
def service_periods(draw: st.DrawFn) -> tuple[datetime.date, datetime.date]:
    start = draw(days)
    end = draw(st.one_of(
        st.just(start + ONE_DAY),
        st.integers(1, 900).map(lambda n: start + datetime.timedelta(days=n)),
        st.integers(1, 30).map(lambda n: add_months(start, n)),
        st.integers(1, 30).map(lambda n: add_months(start.replace(day=1), n)),
    ))
    return start, max(end, start + ONE_DAY)


def amounts(places: int, extra: int = 0) -> st.SearchStrategy[Decimal]:
    units = st.one_of(st.integers(-200, 200), st.integers(-10**9, 10**9))
    return units.map(lambda n: Decimal(n).scaleb(-(places + extra)))


@st.composite
def durations(draw: st.DrawFn, minimum: int = 0) -> tuple[int, str]:
    unit = draw(st.sampled_from(["day", "days", "month", "months", "year", "years"]))
    top = {"day": 400, "month": 36, "year": 3}[unit.rstrip("s")]
    return draw(st.integers(minimum, top)), unit


@st.composite
def anchors(draw: st.DrawFn, has_service: bool) -> str | datetime.date | None:  # noqa: FBT001
    choices: list[Any] = [None, "invoice", "payment", draw(days)]
    if has_service:
        choices.append("service-start")
    return draw(st.sampled_from(choices))


@st.composite
def actions(draw: st.DrawFn, has_service: bool, fulfillment: bool) -> Part:  # noqa: FBT001
    kinds = ["immediate", "amortize", "defer", "on", *RECLASS_ACCOUNTS]
    kinds += ["ratable"] * 3 if has_service else []
    kinds += ["fulfillment"] * 2 if fulfillment else []
    kind = draw(st.sampled_from(kinds))
    method = st.sampled_from([None, *METHODS])
    if kind == "ratable":
        return Part(kind, method=draw(method))
    if kind == "amortize":
        count, unit = draw(durations(minimum=1))
        return Part(kind, count=count, unit=unit, anchor=draw(anchors(has_service)), method=draw(method))
    if kind == "defer":
        anchor = draw(anchors(has_service))  # no time from the invoice is an error: that is "immediate"
        count, unit = draw(durations(minimum=int(anchor in (None, "invoice"))))
        return Part(kind, count=count, unit=unit, anchor=anchor)
    if kind == "on":
        return Part(kind, on=draw(days))
    if kind == "fulfillment":
        anchor = draw(anchors(has_service))
        count, unit = draw(st.one_of(st.just((None, None)), durations(minimum=int(anchor in (None, "invoice")))))
        return Part(kind, count=count, unit=unit, anchor=anchor)
    return Part(kind)


@st.composite
def treatments(draw: st.DrawFn, has_service: bool) -> list[Part] | None:  # noqa: FBT001
    size = draw(st.sampled_from([0, 1, 1, 1, 2, 2, 3]))
    if size == 0:
        return None
    parts: list[Part] = []
    for _ in range(size):
        parts.append(draw(actions(has_service, fulfillment=not any(p.kind == "fulfillment" for p in parts))))
    return with_shares(draw, parts)


@st.composite
def fulfillment_events(draw: st.DrawFn, source: Source, line: Line, *, exceed: bool = False,
                       early: int = 0) -> list[Event]:
    """Events inside [line date - ``early`` days, fallback] that never fulfil more than remains (unless ``exceed``).

    Events before the line (``early``) are valid with catch-up off only.
    """
    parts = line.effective_parts()
    found = [(part, amount) for part, amount in zip(parts, split(line.amount, parts, line.places), strict=True)
             if part.kind == "fulfillment"]
    if not found or not found[0][1]:
        return []
    part, amount = found[0]
    fallback = fallback_day(source, line, part)
    if fallback is None or fallback < source.day:
        return []
    budget = 3000 if exceed else 1000
    shares = draw(st.lists(st.integers(1, 1000), max_size=4))
    pure = len(parts) == 1
    events = []
    used = 0
    for share in shares:
        if used + share > budget:
            break
        used += share
        offset = draw(st.integers(-early, (fallback - source.day).days))
        kind = draw(st.sampled_from(["amount", "units", "percent"])) if pure else "amount"
        if kind == "amount":
            value = round_floor(abs(Fraction(amount)) * share / 1000, line.places)
            if not value:
                continue
        elif kind == "units":
            value = Decimal(share)
        else:
            value = plain(Decimal(share).scaleb(-1))
        events.append(Event(source.day + datetime.timedelta(days=offset), kind, value))
    return events


def round_floor(value: Fraction, places: int) -> Decimal:
    return Decimal(int(value * 10**places)).scaleb(-places)


@st.composite
def ledgers(draw: st.DrawFn, *, extra_places: int = 0, exceed: bool = False, early: int = 0) -> list[Source]:
    sources = []
    counter = 0
    for index in range(draw(st.integers(1, 4))):
        day = draw(days)
        invoice = draw(st.integers(0, 4)) > 0
        paid = invoice and draw(st.integers(0, 4)) > 0
        payment = day + datetime.timedelta(days=draw(st.integers(1, 200))) if paid else None
        currency = draw(st.sampled_from(CURRENCIES))
        source = Source(index, day, invoice, currency, [], payment)
        for _ in range(draw(st.integers(1, 2))):
            counter += 1
            service = draw(st.one_of(st.none(), service_periods(), service_periods()))
            parts = draw(treatments(service is not None))
            line = Line(f"il_{counter}", draw(amounts(PLACES[currency], extra_places)), currency, service, parts)
            line.quantity = parts is not None and len(parts) == 1
            line.events = draw(fulfillment_events(source, line, exceed=exceed, early=early))
            source.lines.append(line)
        sources.append(source)
    return sources


# ---------------------------------------------------------------- checks


def by_line(generated: list[Transaction]) -> dict[str, list[Transaction]]:
    grouped: dict[str, list[Transaction]] = defaultdict(list)
    for entry in generated:
        grouped[entry.meta["line"]].append(entry)
    return grouped


def posted(entry: Transaction, account: str) -> Decimal:
    return sum((p.units.number for p in entry.postings if p.account == account), Decimal(0))


def recognitions(entries: list[Transaction]) -> list[tuple[datetime.date, Decimal]]:
    """Revenue-positive recognition amounts by date, in date order (from deferred or, before the line, unbilled)."""
    return sorted((entry.date, posted(entry, DEFERRED) + posted(entry, UNBILLED))
                  for entry in entries if entry.meta["revrec-kind"] == "recognition")


def cumulative(steps: list[tuple[datetime.date, Decimal]]) -> list[tuple[datetime.date, Decimal]]:
    running = Decimal(0)
    result = []
    for day, amount in steps:
        running += amount
        result.append((day, running))
    return result


def check_balanced(generated: list[Transaction]) -> None:
    for entry in generated:
        assert entry.meta["revrec-kind"] in KINDS
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for posting in entry.postings:
            totals[posting.units.currency] += posting.units.number
        assert all(total == 0 for total in totals.values()), entry


def check_line(source: Source, line: Line, entries: list[Transaction], *, catch_up: bool = True) -> Expected:
    expected = expect(source, line, catch_up=catch_up)
    for entry in entries:
        assert entry.meta["revrec-key"].startswith(f"{line.ident}/")
        assert all(p.units.currency == line.currency for p in entry.postings)
        if source.invoice:
            assert f"in_{source.index}" in entry.links
    deferrals = [entry for entry in entries if entry.meta["revrec-kind"] == "deferral"]
    deferred = sum((posted(entry, SALES) for entry in deferrals), Decimal(0))
    assert deferred == expected.deferred - expected.unbilled
    assert -sum((posted(entry, DEFERRED) for entry in deferrals), Decimal(0)) == expected.deferred - expected.unbilled
    assert all(entry.date == source.day for entry in deferrals)
    reclasses = [entry for entry in entries if entry.meta["revrec-kind"] == "reclass"]
    for kind, account in RECLASS_ACCOUNTS.items():
        assert -sum((posted(entry, account) for entry in reclasses), Decimal(0)) == expected.reclasses.get(kind, 0)
    assert sum((posted(entry, SALES) for entry in reclasses), Decimal(0)) == (sum(expected.reclasses.values())
                                                                            + expected.unbilled)
    check_unbilled(source, line, entries, expected, catch_up=catch_up)
    assert expected.deferred + sum(expected.reclasses.values()) + expected.immediate == line.amount

    steps = recognitions(entries)
    dates = [day for day, _ in steps]
    assert len(set(dates)) == len(dates), "one recognition per date"
    recognised = sum((amount for _, amount in steps), Decimal(0))
    # Property 2: what is deferred is recognised, unless it waits for a payment.
    assert recognised == expected.final()
    if not expected.waiting:
        assert recognised == expected.deferred
    # The schedule itself, at every date the plugin or the oracle recognises something.
    reached = dict(cumulative(steps))
    oracle_days = {day for part in expected.steps for day, _ in part}
    for day in sorted(oracle_days | set(dates)):
        if day >= source.day or not catch_up:
            actual = sum((amount for step_day, amount in steps if step_day <= day), Decimal(0))
            assert actual == expected.recognised(day), (day, steps, expected.steps)
    # Property 3: recognised-to-date is monotone and bounded by the line's amount.
    check_monotone(line.amount, list(reached.values()))
    # Revenue account: original posting plus generated ones leave what was not deferred or reclassified.
    sales = -line.amount + sum((posted(entry, SALES) for entry in entries), Decimal(0))
    assert sales == -(expected.immediate + recognised)
    # Property 4: the currency's decimal places are kept.
    for entry in entries:
        for posting in entry.postings:
            assert -posting.units.number.as_tuple().exponent <= line.places, posting
    return expected


def check_unbilled(source: Source, line: Line, entries: list[Transaction], expected: Expected, *,
                   catch_up: bool) -> None:
    """Before its date a line only recognises, against unbilled revenue (catch-up off); its date bills that."""
    early = [entry for entry in entries if entry.date < source.day]
    assert not (catch_up and early), "with catch-up nothing is dated before the line"
    assert all(entry.meta["revrec-kind"] == "recognition" and not posted(entry, DEFERRED) for entry in early)
    billed = [entry for entry in entries if entry.meta["revrec-key"] == f"{line.ident}/unbilled"]
    assert all(entry.date == source.day and entry.meta["revrec-kind"] == "reclass" for entry in billed)
    assert -sum((posted(entry, UNBILLED) for entry in billed), Decimal(0)) == expected.unbilled
    assert sum((posted(entry, UNBILLED) for entry in early), Decimal(0)) == expected.unbilled
    assert not any(posted(entry, UNBILLED) for entry in entries if entry.date >= source.day and entry not in billed)


def check_monotone(amount: Decimal, reached: list[Decimal]) -> None:
    previous = Decimal(0)
    for value in reached:
        assert abs(value) <= abs(amount), (amount, reached)
        if amount >= 0:
            assert value >= previous, (amount, reached)
        else:
            assert value <= previous, (amount, reached)
        previous = value


def ledger_balances(entries: list[Any]) -> dict[tuple[str, str], Decimal]:
    """Non-zero balances of revenue and of the accounts the plugin posts to, over every transaction."""
    balances: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, Transaction):
            for posting in entry.postings:
                if posting.account in {SALES, DEFERRED, UNBILLED, *RECLASS_ACCOUNTS.values()}:
                    balances[posting.account, posting.units.currency] += posting.units.number
    return {key: balance for key, balance in balances.items() if balance}


def expected_balances(sources: list[Source], results: list[Expected]) -> dict[tuple[str, str], Decimal]:
    """What the oracle leaves in those accounts: revenue recognised, deferred not yet, reclassified (unbilled: 0)."""
    balances: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    lines = [line for source in sources for line in source.lines]
    for line, result in zip(lines, results, strict=True):
        balances[SALES, line.currency] -= result.immediate + result.final()
        balances[DEFERRED, line.currency] -= result.deferred - result.final()
        for kind, amount in result.reclasses.items():
            balances[RECLASS_ACCOUNTS[kind], line.currency] -= amount
    return {key: balance for key, balance in balances.items() if balance}


def check_ledger(sources: list[Source], *, catch_up: bool = True) -> tuple[list[Any], list[Expected]]:
    entries, errors, text = load_all(sources, catch_up=catch_up)
    generated = revrec_transactions(entries)
    check_balanced(generated)
    grouped = by_line(generated)
    lines = {line.ident for source in sources for line in source.lines}
    assert set(grouped) <= lines
    results = [check_line(source, line, grouped.get(line.ident, []), catch_up=catch_up)
               for source in sources for line in source.lines]
    deferred_total = sum((posted(entry, DEFERRED) for entry in generated), Decimal(0))
    assert -deferred_total == sum((r.deferred - r.final() for r in results), Decimal(0)), text
    # The whole ledger as Beancount sums it (the user's entries, and anything generated without the
    # #revrec tag or a line's key, which the checks above never see): the deferred account holds only
    # what waits for a payment, revenue what was recognised, each reclass account its part.
    assert ledger_balances(entries) == expected_balances(sources, results), text
    return errors, results


# ---------------------------------------------------------------- ledger properties


@PROPERTY
@given(ledgers())
def test_generated_entries_are_exact(sources: list[Source]) -> None:
    errors, _ = check_ledger(sources)
    assert errors == [], (errors, render(sources))


@PROPERTY
@given(ledgers(exceed=True))
def test_events_beyond_what_remains_are_errors_and_totals_stay_exact(sources: list[Source]) -> None:
    errors, results = check_ledger(sources)
    assert len(errors) == sum(result.rejected for result in results), (errors, render(sources))
    assert all("revrec-fulfill" in error.message for error in errors)


@PROPERTY
@given(ledgers(early=90))
def test_generated_entries_are_exact_without_catch_up(sources: list[Source]) -> None:
    """``{'catch-up': 'off'}``: schedules and events before their line (billing in arrears, usage reported before
    its invoice) stay in their own months, against unbilled revenue; every total is as exact."""
    errors, _ = check_ledger(sources, catch_up=False)
    assert errors == [], (errors, render(sources, catch_up=False))


@PROPERTY
@given(ledgers(exceed=True, early=90))
def test_events_beyond_what_remains_without_catch_up(sources: list[Source]) -> None:
    errors, results = check_ledger(sources, catch_up=False)
    assert len(errors) == sum(result.rejected for result in results), (errors, render(sources, catch_up=False))
    assert all("revrec-fulfill" in error.message for error in errors)


@st.composite
def early_and_late_events(draw: st.DrawFn) -> list[Source]:
    """One fulfillment line with events before its date and after its fallback date."""
    day = draw(days)
    currency = draw(st.sampled_from(CURRENCIES))
    count, unit = draw(durations(minimum=1))  # "fulfillment 0 days" from the invoice is an error
    part = Part("fulfillment", count=count, unit=unit)
    line = Line("il_1", draw(amounts(PLACES[currency])), currency, None, [part], quantity=True)
    fallback = add_duration(day, count, unit)
    source = Source(0, day, invoice=True, currency=currency, lines=[line])
    wrong = st.one_of(st.integers(1, 60).map(lambda n: day - datetime.timedelta(days=n)),
                      st.integers(1, 60).map(lambda n: fallback + datetime.timedelta(days=n)))
    line.events = [Event(draw(wrong), "percent", Decimal(draw(st.integers(1, 100))))
                   for _ in range(draw(st.integers(1, 3)))]
    line.events += draw(fulfillment_events(source, line))
    return [source]


@pytest.mark.parametrize("catch_up", [True, False], ids=["catch-up", "no-catch-up"])
@PROPERTY
@given(sources=early_and_late_events())
def test_events_outside_the_line_window_are_errors(sources: list[Source], catch_up: bool) -> None:  # noqa: FBT001
    """Events after the fallback date are errors; before the line, only with catch-up (usage billed later)."""
    errors, results = check_ledger(sources, catch_up=catch_up)
    [source] = sources
    [line] = source.lines
    fallback = fallback_day(source, line, line.effective_parts()[0])
    assert fallback is not None
    early = sum(event.day < source.day for event in line.events)
    late = sum(event.day > fallback for event in line.events)
    assert results[0].rejected >= late + (early if catch_up else 0)
    assert early + late >= 1
    assert len(errors) == results[0].rejected, (errors, render(sources, catch_up=catch_up))


OVER_PRECISE_EXAMPLES = [
    # daily over 366 days: the cumulative 1.00624 rounds to 1.01 > 1.009
    [Source(0, datetime.date(2022, 1, 1), invoice=True, currency="USD", lines=[
        Line("il_1", Decimal("1.009"), "USD", (datetime.date(2022, 1, 1), datetime.date(2023, 1, 2)), None)])],
    # fulfilled 99.9%: the cumulative 1.007991 rounds to 1.01 > 1.009
    [Source(0, datetime.date(2022, 6, 1), invoice=True, currency="USD", lines=[
        Line("il_1", Decimal("1.009"), "USD", None, [Part("fulfillment")], quantity=True,
             events=[Event(datetime.date(2022, 7, 29), "percent", Decimal("99.9"))])])],
    # 56% of 0.0009 rounds to 0.001 > 0.0009, leaving -0.0001 for the other part
    [Source(0, datetime.date(2019, 1, 1), invoice=False, currency="BHD", lines=[
        Line("il_1", Decimal("0.0009"), "BHD", None,
             [Part("immediate", share=Decimal(56)), Part("on", share=Decimal(44), on=datetime.date(2019, 2, 1))])])],
]


@PROPERTY
@example(OVER_PRECISE_EXAMPLES[0])
@example(OVER_PRECISE_EXAMPLES[1])
@example(OVER_PRECISE_EXAMPLES[2])
@given(ledgers(extra_places=1) | ledgers(extra_places=3))
def test_over_precise_amounts_stay_exact_and_bounded(sources: list[Source]) -> None:
    """Amounts with more decimals than the currency's: totals exact, nothing overshoots the line."""
    generated, errors, text = load(sources)
    assert errors == [], (errors, text)
    check_balanced(generated)
    grouped = by_line(generated)
    for source in sources:
        for line in source.lines:
            entries = grouped.get(line.ident, [])
            deferred = sum((posted(entry, SALES) for entry in entries
                            if entry.meta["revrec-kind"] == "deferral"), Decimal(0))
            reclassed = [posted(entry, SALES) for entry in entries if entry.meta["revrec-kind"] == "reclass"]
            # no part of the line goes the other way or takes more than the line
            for part in [deferred, *reclassed]:
                assert part == 0 or (part > 0) == (line.amount > 0), text
            assert abs(deferred + sum(reclassed, Decimal(0))) <= abs(line.amount), text
            steps = recognitions(entries)
            if not expect(source, line).waiting:
                assert sum((amount for _, amount in steps), Decimal(0)) == deferred, text
            check_monotone(line.amount, [value for _, value in cumulative(steps)])


def test_over_precise_fulfillment_never_recognises_more_than_its_amount() -> None:
    """1.009 USD at 2 places, 99.9% fulfilled: the cumulative 1.007991 must not round past 1.009."""
    line = Line("il_1", Decimal("1.009"), "USD", None, [Part("fulfillment")], quantity=True,
                events=[Event(datetime.date(2022, 7, 29), "percent", Decimal("99.9"))])
    source = Source(0, datetime.date(2022, 6, 1), invoice=True, currency="USD", lines=[line])
    generated, errors, _ = load([source])
    assert errors == []
    steps = recognitions(generated)
    assert sum((amount for _, amount in steps), Decimal(0)) == Decimal("1.009")
    check_monotone(line.amount, [value for _, value in cumulative(steps)])


def test_over_precise_mixed_line_keeps_every_part_on_the_line_side() -> None:
    """0.0009 BHD at 3 places, "56% immediate + 44% on ...": 56% rounds to 0.001, past the line."""
    line = Line("il_1", Decimal("0.0009"), "BHD", None,
                [Part("immediate", share=Decimal(56)), Part("on", share=Decimal(44), on=datetime.date(2019, 2, 1))])
    generated, errors, _ = load([Source(0, datetime.date(2019, 1, 1), invoice=False, currency="BHD", lines=[line])])
    assert errors == []
    check_balanced(generated)
    assert all(posted(entry, DEFERRED) >= 0 for entry in generated if entry.meta["revrec-kind"] == "recognition")
    assert all(posted(entry, SALES) >= 0 for entry in generated if entry.meta["revrec-kind"] == "deferral")


def test_over_precise_daily_line_never_recognises_more_than_its_amount() -> None:
    """1.009 USD at 2 places over 366 days: the cumulative 1.00624 must not round past 1.009."""
    line = Line("il_1", Decimal("1.009"), "USD",
                (datetime.date(2022, 1, 1), datetime.date(2023, 1, 2)), None)
    generated, errors, _ = load([Source(0, datetime.date(2022, 1, 1), invoice=True, currency="USD", lines=[line])])
    assert errors == []
    steps = recognitions(generated)
    assert sum((amount for _, amount in steps), Decimal(0)) == Decimal("1.009")
    check_monotone(line.amount, [value for _, value in cumulative(steps)])


def test_unpaid_fulfillment_from_payment_still_recognises_events() -> None:
    """SPEC 6.1: each event recognises its part on its date; only the fallback waits for the payment."""
    line = Line("il_1", Decimal("100.00"), "USD", None,
                [Part("fulfillment", anchor="payment")], quantity=True,
                events=[Event(datetime.date(2022, 7, 29), "amount", Decimal("10.00"))])
    source = Source(0, datetime.date(2022, 6, 1), invoice=True, currency="USD", lines=[line])
    generated, errors, _ = load([source])
    assert errors == []
    assert recognitions(generated) == [(datetime.date(2022, 7, 29), Decimal("10.00"))]
    assert sum((posted(entry, DEFERRED) for entry in generated), Decimal(0)) == Decimal("-90.00")


def keyed(generated: list[Transaction]) -> dict[str, list[tuple[Any, ...]]]:
    """Generated entries by ``revrec-key``."""
    result: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for entry in generated:
        result[entry.meta["revrec-key"]].append(
            (entry.date, entry.meta["revrec-kind"], tuple((p.account, p.units) for p in entry.postings)))
    return {key: sorted(values) for key, values in result.items()}


@pytest.mark.parametrize("catch_up", [True, False], ids=["catch-up", "no-catch-up"])
@PROPERTY
@given(sources=ledgers(), data=st.data())
def test_keys_do_not_change_when_unrelated_lines_are_added(sources: list[Source], data: st.DataObject,
                                                           catch_up: bool) -> None:  # noqa: FBT001
    """SPEC 1.4: inserting an unrelated source leaves every other generated entry as it was."""
    before, _, _ = load(sources, catch_up=catch_up)
    extra = Source(99, data.draw(days), invoice=True, currency="USD", lines=[
        Line("il_extra", Decimal("12.34"), "USD", data.draw(service_periods()), None)])
    position = data.draw(st.integers(0, len(sources)))
    after, _, _ = load([*sources[:position], extra, *sources[position:]], catch_up=catch_up)
    new = {key: value for key, value in keyed(after).items() if not key.startswith("il_extra/")}
    assert new == keyed(before)
    assert any(key.startswith("il_extra/") for key in keyed(after))


@pytest.mark.parametrize("catch_up", [True, False], ids=["catch-up", "no-catch-up"])
@PROPERTY
@given(sources=ledgers(early=90))
def test_every_generated_entry_has_its_own_key(sources: list[Source], catch_up: bool) -> None:  # noqa: FBT001
    """SPEC 1.4 / 4: a stable key identifies one generated transaction."""
    generated, _, text = load(sources, catch_up=catch_up)
    keys = [entry.meta["revrec-key"] for entry in generated]
    assert len(set(keys)) == len(keys), text


ISSUE_TREATMENTS = [
    [Part("ratable", share=Decimal(37), method="monthly"),
     Part("amortize", share=Decimal(63), count=5, unit="months", anchor="invoice")],
    [Part("defer", count=3, unit="months")],
    [Part("on", on=datetime.date(2022, 3, 1))],
    [Part("fulfillment")],
    [Part("tax")], [Part("fee")], [Part("passthrough")], [Part("exclude")], [Part("immediate")],
    [Part("ratable", share=Decimal("33.33"), method="monthly-prorated"), Part("tax", share=Decimal("0.5")),
     Part("fulfillment", share=Decimal("66.17"), count=40, unit="days", anchor="service-start")],
]


@pytest.mark.parametrize("catch_up", [True, False], ids=["catch-up", "no-catch-up"])
@pytest.mark.parametrize("parts", ISSUE_TREATMENTS, ids=treatment_text)
@pytest.mark.parametrize(("amount", "currency"), [("31.00", "USD"), ("-1000", "JPY"), ("12.345", "BHD")])
def test_issue_treatments(parts: list[Part], amount: str, currency: str, catch_up: bool) -> None:  # noqa: FBT001
    line = Line("il_1", Decimal(amount), currency, (datetime.date(2024, 1, 31), datetime.date(2024, 3, 1)),
                parts, quantity=len(parts) == 1)
    source = Source(0, datetime.date(2024, 1, 15), invoice=True, currency=currency, lines=[line],
                    payment=datetime.date(2024, 2, 29))
    if any(part.kind == "fulfillment" for part in parts):
        line.events = [Event(datetime.date(2024, 2, 29), "amount", Decimal(1)),
                       Event(datetime.date(2024, 1, 31), "percent" if len(parts) == 1 else "amount", Decimal(2))]
    errors, results = check_ledger([source], catch_up=catch_up)
    assert errors == []
    assert results[0].deferred + sum(results[0].reclasses.values()) + results[0].immediate == Decimal(amount)


# ---------------------------------------------------------------- SPEC examples through the oracle


def test_oracle_agrees_with_spec_examples() -> None:
    service = (datetime.date(2022, 6, 15), datetime.date(2022, 10, 13))
    got = {method: [amount for _, amount in _pieces(spread_steps(Decimal("120.00"), *service, method, 2))]
           for method in METHODS}
    assert got["daily"] == [Decimal(x) for x in ("16.00", "31.00", "31.00", "30.00", "12.00")]
    assert got["monthly"] == [Decimal(x) for x in ("30.00", "30.00", "30.00", "30.00")]
    assert got["monthly-prorated"] == [Decimal(x) for x in ("16.00", "30.67", "30.66", "30.67", "12.00")]
    for method in METHODS:
        actual = schedule.spread(Decimal("120.00"), *service, method, 2)
        assert [amount for _, amount in actual] == got[method]
    # SPEC 4.1, and 5.1's calendar year: one piece per month, dated its last day of service
    assert _pieces(spread_steps(Decimal("31.00"), datetime.date(2022, 1, 15), datetime.date(2022, 2, 15), "daily",
                                2)) == [(datetime.date(2022, 1, 31), Decimal("17.00")),
                                        (datetime.date(2022, 2, 14), Decimal("14.00"))]
    year = _pieces(spread_steps(Decimal("365.00"), datetime.date(2022, 1, 1), datetime.date(2023, 1, 1), "daily", 2))
    assert [amount for _, amount in year] == [Decimal(days) for days in (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)]
    assert [day.day for day, _ in year] == [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def _pieces(steps: list[tuple[datetime.date, Decimal]]) -> list[tuple[datetime.date, Decimal]]:
    previous = Decimal(0)
    result = []
    for day, reached in steps:
        result.append((day, reached - previous))
        previous = reached
    return result


# ---------------------------------------------------------------- pure functions

weights = st.lists(st.integers(1, 1000), min_size=1, max_size=40).map(
    lambda sizes: [sum(sizes[: i + 1]) for i in range(len(sizes))])


@PURE
@given(st.integers(-10**12, 10**12), st.integers(0, 6), weights, st.integers(0, 4))
def test_allocate_sums_exactly_with_cumulative_rounding(units: int, exponent: int, cumulative: list[int],
                                                        places: int) -> None:
    amount = Decimal(units).scaleb(-exponent)
    total = cumulative[-1]
    pieces = schedule.allocate(amount, cumulative, total, places)
    assert len(pieces) == len(cumulative)
    assert sum(pieces, Decimal(0)) == amount
    running = Decimal(0)
    for index, (piece, weight) in enumerate(zip(pieces, cumulative, strict=True)):
        running += piece
        if index < len(pieces) - 1:
            assert running == reach(amount, Fraction(weight, total), places)
        if exponent <= places:
            assert -piece.as_tuple().exponent <= places
            assert piece == 0 or (piece > 0) == (amount > 0)


def test_allocate_keeps_the_amounts_own_decimals_though_it_caches() -> None:
    # equal values written differently are split as written: the cache is keyed on units and scale
    assert [str(piece) for piece in schedule.allocate(Decimal("0.125"), [1, 2], 2, 2)] == ["0.06", "0.065"]
    assert [str(piece) for piece in schedule.allocate(Decimal("0.1250"), [1, 2], 2, 2)] == ["0.06", "0.0650"]
    assert [str(piece) for piece in schedule.allocate(Decimal(1200), [1, 2, 3], 3, 2)] == ["400.00"] * 3
    assert [str(piece) for piece in schedule.allocate(Decimal("-1200.000"), [1, 2, 3], 3, 2)] == ["-400.00"] * 3


@PURE
@given(service_periods(), st.sampled_from(METHODS), st.sampled_from(CURRENCIES), st.data())
def test_spread_sums_exactly_and_follows_the_oracle(period: tuple[datetime.date, datetime.date], method: str,
                                                    currency: str, data: st.DataObject) -> None:
    places = PLACES[currency]
    amount = data.draw(amounts(places))
    start, end = period
    pieces = schedule.spread(amount, start, end, method, places)
    assert sum((amount for _, amount in pieces), Decimal(0)) == amount
    dates = [day for day, _ in pieces]
    assert dates == sorted(set(dates))
    assert all(start <= day < end for day in dates)
    assert all(day == schedule.month_end(day) or day == end - ONE_DAY for day in dates)
    assert _pieces(spread_steps(amount, start, end, method, places)) == pieces
    check_monotone(amount, [value for _, value in cumulative(pieces)])


@PURE
@given(st.integers(-10**12, 10**12), st.integers(0, 3), st.integers(0, 3),
       st.lists(st.integers(1, 10000), min_size=1, max_size=6))
def test_split_shares_sums_exactly(units: int, exponent: int, places: int, raw: list[int]) -> None:
    amount = Decimal(units).scaleb(-exponent)
    scale = sum(raw)
    shares = [Decimal(r * 10000 // scale).scaleb(-2) for r in raw]
    shares[-1] = Decimal(100) - sum(shares[:-1], Decimal(0))
    pieces = schedule.split_shares(amount, shares, places)
    assert len(pieces) == len(shares)
    assert sum(pieces, Decimal(0)) == amount
    assert pieces == split_by_shares(shares, amount, places)
    assert all(piece == 0 or (piece > 0) == (amount > 0) for piece in pieces)
    if exponent <= places:
        assert all(-piece.as_tuple().exponent <= places for piece in pieces)


@PURE
@given(st.one_of(st.dates(datetime.date(1900, 1, 1), datetime.date(2500, 12, 31)), st.sampled_from(SPECIAL_DAYS)),
       st.integers(0, 600))
def test_add_months_clamps_to_month_end(day: datetime.date, months: int) -> None:
    result = schedule.add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day == min(day.day, calendar.monthrange(result.year, result.month)[1])


def test_add_months_examples() -> None:
    assert schedule.add_months(datetime.date(2023, 1, 31), 1) == datetime.date(2023, 2, 28)
    assert schedule.add_months(datetime.date(2024, 1, 31), 1) == datetime.date(2024, 2, 29)
    assert schedule.add_months(datetime.date(2024, 2, 29), 12) == datetime.date(2025, 2, 28)
    assert schedule.add_months(datetime.date(2024, 2, 29), 48) == datetime.date(2028, 2, 29)
    assert schedule.add_months(datetime.date(2022, 12, 31), 2) == datetime.date(2023, 2, 28)
    assert schedule.add_months(datetime.date(2022, 11, 30), 1) == datetime.date(2022, 12, 30)
    assert schedule.add_months(datetime.date(2022, 3, 15), 0) == datetime.date(2022, 3, 15)
