"""Property tests for rules: whatever the rules, every line is treated exactly once and totals stay exact.

Random ledgers (invoices and other payments whose lines have random products,
prices, customers, line ids, accounts, tags, service periods and ``revrec:``
overrides) get a random list of ``custom "revrec-rule"`` directives: dated
randomly, some with ``effective-until``, matching on every key of SPEC section 6
(``account`` also on parents such as ``Income``, and on ``Income:Sale``, a prefix
that is not a parent; ``description`` on a line's ``description:`` or its
transaction's narration, in any case; ``min-amount``/``max-amount`` on the line's
amount without its sign, in USD or EUR) and treating with every action of SPEC
section 5, alone or mixed. The rule directives sit between the transactions at random places, so
their dates do not follow the order they are written in.

An independent oracle, written from SPEC sections 4 to 6, picks each line's
winner (override, else the first rule written whose effective period
``[date, effective-until)`` contains the line's date and whose keys all match,
else the default rules) and the amounts of its treatment. For each ledger:

1. each line gets exactly one rule: every generated entry of the line carries the
   winner's name in ``revrec-rule``; lines treated ``immediate`` generate nothing;
   a line's own ``revrec:`` of ratable alone, or a part ``from service-start``,
   without a service period is one error at the line, which stays as booked; a
   rule's or a mixed treatment's ratable part without one is recognised at once; the engine's analysis and ``rule_usage`` agree;
2. totals are exact: the deferral equals what the treatment defers, reclasses
   match the shares, recognitions add up to the deferral (unless a part waits for
   an unpaid invoice's payment), every generated transaction balances, and the
   line's revenue account keeps exactly what is immediate or recognised;
3. permuting the rule directives moves each winner as the hierarchy says.

A deterministic test checks that rules rank by include order before line number.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from beancount import loader
from beancount.core.data import Transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from treatment_model import Part, split_by_shares, treatment_text, with_shares

from beancount_revrec.errors import RevrecError
from beancount_revrec.reports import Books, read_books, rule_usage

AR = "Assets:AccountsReceivable"
BANK = "Assets:Bank"
DEFERRED = "Liabilities:DeferredRevenue"
RECLASS_ACCOUNTS = {
    "tax": "Liabilities:TaxLiability",
    "fee": "Income:Fees",
    "passthrough": "Liabilities:PassthroughFees",
    "exclude": "Equity:RevRec:Exclusions",
}
ACCOUNTS = ("Income:Sales", "Income:Sales:Services", "Income:Other")
PRODUCTS = ("prod_a", "prod_b", "prod_c")
PRICES = ("price_1", "price_2")
PAYEES = ("Acme", "Globex")
CUSTOMERS = ("cus_1", "Globex")
MATCH_KEYS = ("product", "price", "customer", "invoice", "line", "account", "source", "tag", "description", "amount")
# A line's description: metadata (or none: its transaction's narration "Sale N"), and texts rules look for.
DESCRIPTIONS = ("Sales Tax calculated by AvaTax", "Monthly plan", "Setup fee")
SEARCHED = ("AvaTax", "avatax", "PLAN", "sale", "Fee", "tax", "nothing like it")
METHODS = ("daily", "monthly", "monthly-prorated")
WAITS = ("amortize", "defer", "fulfillment")  # actions that can run "from payment"
ONE_DAY = datetime.timedelta(days=1)
# Dates lines and rules share often, so lines fall exactly on rule boundaries.
BOUNDARIES = [datetime.date(2022, 1, 1), datetime.date(2022, 3, 1), datetime.date(2022, 3, 31),
              datetime.date(2022, 6, 30), datetime.date(2022, 7, 1), datetime.date(2022, 12, 31),
              datetime.date(2023, 1, 1), datetime.date(2023, 2, 28), datetime.date(2023, 3, 1)]
PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------- the model


@dataclass
class Line:
    account: str
    amount: Decimal  # revenue-positive: the posting is -amount
    product: str | None
    price: str | None
    line_id: str | None
    service: tuple[datetime.date, datetime.date] | None
    override: list[Part] | None
    description: str | None = None  # the posting's description: metadata


@dataclass
class Source:
    index: int
    day: datetime.date
    invoice: bool
    payee: str
    customer: str | None  # customer: metadata; the payee otherwise
    test: bool  # tagged #test
    payment: datetime.date | None
    lines: list[Line] = field(default_factory=list)

    @property
    def invoice_id(self) -> str | None:
        return f"in_{self.index}" if self.invoice else None

    @property
    def who(self) -> str:
        return self.customer if self.customer is not None else self.payee


@dataclass
class Rule:
    name: str
    day: datetime.date
    until: datetime.date | None
    match: dict[str, Any]  # "amount": (min or None, max or None, currency); every other key: its text
    parts: list[Part]
    bare_account: bool = False  # write account: unquoted


@dataclass
class Ledger:
    sources: list[Source]
    rules: list[Rule]  # in the order they are written
    slots: list[int]  # rule k is written just before source slots[k] (ascending)


# ---------------------------------------------------------------- the oracle


def matches(rule: Rule, source: Source, line: Line) -> bool:
    """SPEC 6: inside the effective period, and every match key matches."""
    if source.day < rule.day or (rule.until is not None and source.day >= rule.until):
        return False
    return all(key_matches(key, wanted, source, line) for key, wanted in rule.match.items())


def key_matches(key: str, wanted: Any, source: Source, line: Line) -> bool:
    """One match key of SPEC 6 (and the README's description and amount range)."""
    if key == "account":
        return line.account == wanted or line.account.startswith(wanted + ":")
    if key == "tag":
        return source.test and wanted.lstrip("#") == "test"
    if key == "description":
        return wanted.lower() in (line.description or f"Sale {source.index}").lower()
    if key == "amount":
        return in_range(line.amount, *wanted)
    actual: dict[str, Any] = {
        "product": line.product, "price": line.price, "customer": source.who, "invoice": source.invoice_id,
        "line": line.line_id, "source": "invoice" if source.invoice else "payment",
    }
    return actual[key] == wanted


def in_range(amount: Decimal, low: Decimal | None, high: Decimal | None, currency: str) -> bool:
    """Every line is in USD: its amount without its sign from ``low`` to ``high``, both inclusive."""
    return currency == "USD" and (low is None or abs(amount) >= low) and (high is None or abs(amount) <= high)


def winner(source: Source, line: Line, rules: list[Rule]) -> tuple[str, list[Part]]:
    """Override, else the first matching rule in file order, else the default rules (SPEC 4, 6)."""
    if line.override is not None:
        return "override", line.override
    for rule in rules:
        if matches(rule, source, line):
            return rule.name, rule.parts
    return "default", [Part("ratable")] if line.service else [Part("immediate")]


@dataclass
class Outcome:
    rule: str
    error: bool = False
    deferred: Decimal = Decimal(0)
    reclasses: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    immediate: Decimal = Decimal(0)
    recognised: Decimal = Decimal(0)  # eventually, by the generated recognitions

    @property
    def generates(self) -> bool:
        return bool(self.deferred) or any(self.reclasses.values())


def outcome(source: Source, line: Line, rules: list[Rule]) -> Outcome:
    rule, parts = winner(source, line, rules)
    if line.service is None and (any(part.anchor == "service-start" for part in parts)
                                 or (rule == "override" and [part.kind for part in parts] == ["ratable"])):
        return Outcome(rule, error=True, immediate=line.amount)  # stays as booked
    result = Outcome(rule)
    shares = [Decimal(100) if part.share is None else part.share for part in parts]
    for part, amount in zip(parts, split_by_shares(shares, line.amount, 2), strict=True):
        if part.kind == "immediate" or (part.kind == "ratable" and line.service is None):  # at once, as Stripe
            result.immediate += amount
        elif part.kind in RECLASS_ACCOUNTS:
            result.reclasses[part.kind] += amount
        else:
            result.deferred += amount
            unpaid = source.invoice and source.payment is None
            if not (part.kind in WAITS and part.anchor == "payment" and unpaid):
                result.recognised += amount
    return result


# ---------------------------------------------------------------- ledgers as text


class Text:
    """Ledger text that knows the line number of what it adds."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, *lines: str) -> int:
        self.lines.extend(lines)
        return len(self.lines)

    def __str__(self) -> str:
        return "\n".join(self.lines) + "\n"


def money(value: Decimal) -> str:
    return f"{value:.2f} USD"


def render_rule(text: Text, rule: Rule) -> None:
    text.add("", f'{rule.day} custom "revrec-rule" "{rule.name}"')
    for key, value in rule.match.items():
        if key == "amount":
            low, high, currency = value
            text.add(*(f"  {bound}: {number} {currency}" for bound, number in (("min-amount", low),
                                                                              ("max-amount", high)) if number is not None))
        else:
            text.add(f"  {key}: {value}" if key == "account" and rule.bare_account else f'  {key}: "{value}"')
    text.add(f'  treatment: "{treatment_text(rule.parts)}"')
    if rule.until is not None:
        text.add(f"  effective-until: {rule.until}")


def render_source(text: Text, source: Source, where: dict[int, tuple[Source, Line]]) -> None:
    total = sum((line.amount for line in source.lines), Decimal(0))
    tags = " #test" if source.test else ""
    text.add("", f'{source.day} * "{source.payee}" "Sale {source.index}"{tags}')
    if source.invoice:
        text.add(f'  invoice: "{source.invoice_id}"')
    if source.customer is not None:
        text.add(f'  customer: "{source.customer}"')
    text.add(f"  {AR if source.invoice else BANK}  {money(total)}")
    for line in source.lines:
        where[text.add(f"  {line.account}  {money(-line.amount)}")] = (source, line)
        render_line_meta(text, line)
    if source.payment is not None:
        text.add("", f'{source.payment} * "{source.payee}" "Payment {source.index}"',
                 f'  invoice: "{source.invoice_id}"', f"  {BANK}  1.00 USD", f"  {AR}  -1.00 USD")


def render_line_meta(text: Text, line: Line) -> None:
    for key in ("product", "price"):
        if getattr(line, key) is not None:
            text.add(f'    {key}: "{getattr(line, key)}"')
    if line.line_id is not None:
        text.add(f'    line: "{line.line_id}"')
    if line.service is not None:
        text.add(f"    service-start: {line.service[0]}", f"    service-end: {line.service[1]}")
    if line.override is not None:
        text.add(f'    revrec: "{treatment_text(line.override)}"')
    if line.description is not None:
        text.add(f'    description: "{line.description}"')


def render(ledger: Ledger) -> tuple[str, dict[int, tuple[Source, Line]]]:
    """The ledger's text and, by the line number of its posting, each revenue line."""
    text = Text()
    text.add('plugin "beancount_revrec"', "")
    text.add(*(f"1990-01-01 open {account}" for account in (AR, BANK, *ACCOUNTS)))
    where: dict[int, tuple[Source, Line]] = {}
    next_rule = 0
    for index, source in enumerate(ledger.sources):
        while next_rule < len(ledger.rules) and ledger.slots[next_rule] <= index:
            render_rule(text, ledger.rules[next_rule])
            next_rule += 1
        render_source(text, source, where)
    for rule in ledger.rules[next_rule:]:
        render_rule(text, rule)
    return str(text), where


# ---------------------------------------------------------------- strategies

line_days = st.one_of(st.sampled_from(BOUNDARIES), st.dates(datetime.date(2022, 1, 1), datetime.date(2023, 6, 30)))
rule_days = st.one_of(st.sampled_from(BOUNDARIES), st.dates(datetime.date(2021, 6, 1), datetime.date(2023, 6, 30)),
                      st.dates(datetime.date(2021, 1, 1), datetime.date(2022, 1, 1)))


@st.composite
def durations(draw: st.DrawFn, minimum: int) -> tuple[int, str]:
    unit = draw(st.sampled_from(["day", "days", "month", "months", "year", "years"]))
    top = {"day": 400, "month": 24, "year": 2}[unit.rstrip("s")]
    return draw(st.integers(minimum, top)), unit


@st.composite
def actions(draw: st.DrawFn, *, fulfillment: bool) -> Part:
    kinds = ["immediate", "ratable", "ratable", "amortize", "amortize", "defer", "defer", "on",
             "tax", "fee", "passthrough", "exclude"]
    kinds += ["fulfillment"] if fulfillment else []
    kind = draw(st.sampled_from(kinds))
    method = st.sampled_from([None, *METHODS])
    anchor = st.one_of(st.sampled_from([None, "invoice", "payment", "payment", "service-start"]),
                       st.dates(datetime.date(2021, 6, 1), datetime.date(2023, 12, 31)))
    if kind == "ratable":
        return Part(kind, method=draw(method))
    if kind in ("amortize", "defer"):
        start = draw(anchor)  # no time from the invoice is an error: that is "immediate"
        count, unit = draw(durations(minimum=1 if kind == "amortize" or start in (None, "invoice") else 0))
        return Part(kind, count=count, unit=unit, anchor=start, method=draw(method) if kind == "amortize" else None)
    if kind == "fulfillment":
        start = draw(anchor)
        count, unit = draw(st.one_of(st.just((None, None)), durations(minimum=int(start in (None, "invoice")))))
        return Part(kind, count=count, unit=unit, anchor=start)
    if kind == "on":
        return Part(kind, on=draw(st.dates(datetime.date(2021, 6, 1), datetime.date(2024, 12, 31))))
    return Part(kind)


@st.composite
def treatments(draw: st.DrawFn) -> list[Part]:
    size = draw(st.sampled_from([1, 1, 1, 2, 2, 3]))
    parts: list[Part] = []
    for _ in range(size):
        parts.append(draw(actions(fulfillment=not any(part.kind == "fulfillment" for part in parts))))
    return with_shares(draw, parts)


@st.composite
def service_periods(draw: st.DrawFn, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    start = day + datetime.timedelta(days=draw(st.integers(-60, 60)))
    return start, start + datetime.timedelta(days=draw(st.integers(1, 800)))


@st.composite
def sources(draw: st.DrawFn) -> list[Source]:
    result = []
    counter = 0
    for index in range(draw(st.integers(1, 5))):
        day = draw(line_days)
        invoice = draw(st.integers(0, 3)) > 0
        paid = invoice and draw(st.integers(0, 2)) > 0
        source = Source(
            index, day, invoice, draw(st.sampled_from(PAYEES)),
            draw(st.one_of(st.none(), st.none(), st.sampled_from(CUSTOMERS))), draw(st.booleans()),
            day + datetime.timedelta(days=draw(st.integers(1, 120))) if paid else None)
        for _ in range(draw(st.integers(1, 3))):
            counter += 1
            cents = draw(st.one_of(st.integers(1, 10**7), st.integers(-10**5, 10**3)))
            source.lines.append(Line(
                account=draw(st.sampled_from(ACCOUNTS)),
                amount=Decimal(cents).scaleb(-2),
                product=draw(st.one_of(st.none(), st.sampled_from(PRODUCTS))),
                price=draw(st.one_of(st.none(), st.sampled_from(PRICES))),
                line_id=None if draw(st.integers(0, 3)) == 0 else f"il_{counter}",
                service=draw(st.one_of(st.none(), service_periods(day), service_periods(day))),
                override=draw(treatments()) if draw(st.integers(0, 7)) == 0 else None,
                description=draw(st.one_of(st.none(), st.sampled_from(DESCRIPTIONS))),
            ))
        result.append(source)
    return result


def attributes(source: Source, line: Line) -> dict[str, list[Any]]:
    """Match values aimed at ``line``: its own attributes, its account's parents and a near miss."""
    size = abs(line.amount)
    cent = Decimal("0.01")
    values: dict[str, list[Any]] = {
        "product": [line.product] if line.product else [],
        "price": [line.price] if line.price else [],
        "customer": [source.who],
        "invoice": [source.invoice_id] if source.invoice_id else [],
        "line": [line.line_id] if line.line_id else [],
        # its parents, itself, and a prefix that is no parent (Income:Sale is not above Income:Sales)
        "account": [line.account.rsplit(":", 1)[0], line.account, "Income", line.account[:-1]],
        "source": ["invoice" if source.invoice else "payment"],
        "tag": ["test", "#test"] if source.test else [],
        # a word of its description in another case, and the whole of it
        "description": [word.swapcase() for word in (line.description or f"Sale {source.index}").split()]
        + [line.description or f"Sale {source.index}"],
        # ranges just around its amount: equal to it, from it, up to it, and a cent off either side
        "amount": [(size, size, "USD"), (size, None, "USD"), (None, size, "USD"), (size + cent, None, "USD"),
                   (None, max(size - cent, Decimal(0)), "USD"), (size, size, "EUR")],
    }
    return values


@st.composite
def rule_lists(draw: st.DrawFn, drawn: list[Source]) -> list[Rule]:
    lines = [(source, line) for source in drawn for line in source.lines]
    line_ids = [line.line_id for _, line in lines if line.line_id is not None]
    invoices = [source.invoice_id for source in drawn if source.invoice_id is not None]
    pools = {
        "product": [*PRODUCTS, "prod_none"],
        "price": list(PRICES),
        "customer": [*PAYEES, *CUSTOMERS],
        "invoice": [*invoices, "in_none"],
        "line": [*line_ids, "il_none"],
        "account": [*ACCOUNTS, "Income", "Income:Sales", "Income:Sale"],
        "source": ["invoice", "payment"],
        "tag": ["test", "#test"],
        "description": list(SEARCHED),
        "amount": [(Decimal(0), None, "USD"), (None, Decimal("100.00"), "USD"), (Decimal("50.00"), Decimal("5000.00"),
                                                                                 "USD"), (Decimal(1), None, "EUR")],
    }
    rules = []
    for number in range(draw(st.integers(0, 6))):
        # Most rules aim at some line, so that rules often win and often compete.
        target = attributes(*draw(st.sampled_from(lines)))
        keys = draw(st.sets(st.sampled_from(MATCH_KEYS), min_size=1, max_size=draw(st.sampled_from([1, 1, 2, 3]))))
        match = {}
        for key in MATCH_KEYS:
            if key in keys:
                aimed = target[key] and draw(st.integers(0, 3)) > 0
                match[key] = draw(st.sampled_from(target[key] if aimed else pools[key]))
        day = draw(rule_days)
        later = [boundary for boundary in BOUNDARIES if boundary > day]
        until = draw(st.one_of(
            st.none(), st.none(),
            st.integers(1, 500).map(lambda n, day=day: day + datetime.timedelta(days=n)),
            st.sampled_from(later) if later else st.none(),
        ))
        rules.append(Rule(f"rule-{number}", day, until, match, draw(treatments()),
                          bare_account="account" in match and "Sales" in match["account"] and draw(st.booleans())))
    return rules


@st.composite
def ledgers(draw: st.DrawFn) -> Ledger:
    drawn = draw(sources())
    rules = draw(rule_lists(drawn))
    slots = sorted(draw(st.lists(st.integers(0, len(drawn)), min_size=len(rules), max_size=len(rules))))
    return Ledger(drawn, rules, slots)


# ---------------------------------------------------------------- checks


def posted(entry: Transaction, account: str) -> Decimal:
    return sum((p.units.number for p in entry.postings if p.account == account), Decimal(0))


def check_balanced(entry: Transaction) -> None:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for posting in entry.postings:
        totals[posting.units.currency] += posting.units.number
    assert all(total == 0 for total in totals.values()), entry


def check_line(source: Source, line: Line, expected: Outcome, entries: list[Transaction], text: str) -> None:
    where = f"line {line} of source {source.index}:\n{text}"
    # Exactly one rule: the winner's name on every generated entry of the line.
    assert {entry.meta["revrec-rule"] for entry in entries} <= {expected.rule}, where
    if expected.error or not expected.generates:
        assert entries == [], where  # stays as booked, or immediate: nothing generated
        return
    for entry in entries:
        assert entry.meta.get("line") == line.line_id, where
        assert entry.meta.get("invoice") == source.invoice_id, where
        assert entry.meta.get("product") == line.product, where
        assert entry.meta.get("customer") == source.who, where
        assert all(p.units.currency == "USD" for p in entry.postings), where
    kinds = Counter(entry.meta["revrec-kind"] for entry in entries)
    assert set(kinds) <= {"deferral", "reclass", "recognition"}, where
    # The deferral: what the treatment defers, on the line's date.
    deferrals = [entry for entry in entries if entry.meta["revrec-kind"] == "deferral"]
    assert len(deferrals) == (1 if expected.deferred else 0), where
    for entry in deferrals:
        assert entry.date == source.day, where
        assert posted(entry, line.account) == expected.deferred, where
        assert posted(entry, DEFERRED) == -expected.deferred, where
    # Reclasses: one per category with an amount, matching the shares.
    reclasses = [entry for entry in entries if entry.meta["revrec-kind"] == "reclass"]
    wanted = {RECLASS_ACCOUNTS[kind]: amount for kind, amount in expected.reclasses.items() if amount}
    got: dict[str, Decimal] = defaultdict(Decimal)
    for entry in reclasses:
        assert entry.date == source.day, where
        accounts = {posting.account for posting in entry.postings}
        assert line.account in accounts, where
        assert len(accounts) == 2, where
        (other,) = accounts - {line.account}
        got[other] -= posted(entry, other)
    assert dict(got) == wanted, where
    assert len(reclasses) == len(wanted), where
    assert sum((posted(entry, line.account) for entry in reclasses), Decimal(0)) == sum(wanted.values()), where
    # Recognitions add up to the deferral, except what waits for an unpaid invoice's payment.
    recognitions = [entry for entry in entries if entry.meta["revrec-kind"] == "recognition"]
    dates = [entry.date for entry in recognitions]
    assert len(set(dates)) == len(dates), where
    assert all(day >= source.day for day in dates), where
    assert all({posting.account for posting in entry.postings} == {DEFERRED, line.account}
               for entry in recognitions), where
    assert sum((posted(entry, DEFERRED) for entry in recognitions), Decimal(0)) == expected.recognised, where
    # The revenue account keeps exactly what is immediate or recognised.
    revenue = -line.amount + sum((posted(entry, line.account) for entry in entries), Decimal(0))
    assert revenue == -(expected.immediate + expected.recognised), where


def load(ledger: Ledger) -> tuple[list[Any], list[Any], dict[str, Any], str, dict[int, tuple[Source, Line]]]:
    text, where = render(ledger)
    entries, errors, options_map = loader.load_string(text)
    return entries, errors, options_map, text, where


def check(ledger: Ledger) -> dict[int, str]:
    """Load the ledger and check every property against the oracle.

    Returns:
        The winner the engine chose for each line, by ``id()`` of the model's line
        ("error" for a line left as booked).
    """
    entries, errors, options_map, text, where = load(ledger)
    expected = {lineno: outcome(source, line, ledger.rules) for lineno, (source, line) in where.items()}

    # Errors: one per line whose treatment needs a service period it lacks, at that line; no other.
    assert all(isinstance(error, RevrecError) for error in errors), (errors, text)
    assert all("service" in error.message for error in errors), (errors, text)
    assert sorted(error.source["lineno"] for error in errors) == sorted(
        lineno for lineno, result in expected.items() if result.error), (errors, text)

    generated = [entry for entry in entries if isinstance(entry, Transaction) and "revrec" in entry.tags]
    grouped: dict[int, list[Transaction]] = defaultdict(list)
    for entry in generated:
        check_balanced(entry)
        grouped[entry.meta["lineno"]].append(entry)
    assert set(grouped) <= set(where), text
    for lineno, (source, line) in where.items():
        check_line(source, line, expected[lineno], grouped.get(lineno, []), text)
    deferred = sum((posted(entry, DEFERRED) for entry in generated), Decimal(0))
    assert -deferred == sum((r.deferred - r.recognised for r in expected.values()), Decimal(0)), text

    # The engine's own analysis: each line treated once, by the expected rule.
    result, _ = read_books(entries, options_map)
    assert isinstance(result, Books)
    assert [rule.name for rule in result.analysis.rules] == [rule.name for rule in ledger.rules], text
    treated = Counter(item.line.meta["lineno"] for item in result.analysis.treated)
    assert all(count == 1 for count in treated.values()), text
    assert set(treated) == {lineno for lineno, r in expected.items() if not r.error}, text
    actual = {item.line.meta["lineno"]: item.rule for item in result.analysis.treated}
    assert actual == {lineno: r.rule for lineno, r in expected.items() if not r.error}, text
    keys = {item.line.meta["lineno"]: item.line.key for item in result.analysis.treated}
    for entry in generated:
        assert entry.meta["revrec-key"].startswith(keys[entry.meta["lineno"]] + "/"), text
    assert sorted(entry.meta["revrec-key"] for entry in result.generated) == sorted(
        entry.meta["revrec-key"] for entry in generated), text

    # rule_usage: lines each rule matches, wins (it is the rule chosen, even where the line's treatment then
    # fails: that is the line's own error) and loses.
    rows = {row.rule: row._asdict() for row in rule_usage(result)}
    for rule in ledger.rules:
        matched = [lineno for lineno, (source, line) in where.items() if matches(rule, source, line)]
        won = [lineno for lineno in matched if expected[lineno].rule == rule.name]
        row = rows[rule.name]
        assert (row["matched"], row["won"], row["lost"]) == (len(matched), len(won), len(matched) - len(won)), (
            row, text)
        assert (row["status"] == "active") == bool(won), (row, text)
    return {id(line): actual.get(lineno, "error") for lineno, (_, line) in where.items()}


@PROPERTY
@given(ledgers())
def test_every_line_gets_exactly_one_rule_and_totals_stay_exact(ledger: Ledger) -> None:
    check(ledger)


@PROPERTY
@given(ledgers(), st.data())
def test_reordering_rules_moves_winners_as_the_hierarchy_says(ledger: Ledger, data: st.DataObject) -> None:
    order = data.draw(st.permutations(range(len(ledger.rules))), label="order")
    permuted = replace(ledger, rules=[ledger.rules[index] for index in order])
    before = check(ledger)
    after = check(permuted)
    text, _ = render(ledger)
    for source in ledger.sources:
        for line in source.lines:
            contenders = [rule for rule in ledger.rules if matches(rule, source, line)]
            if line.override is not None or not contenders:
                assert after[id(line)] == before[id(line)], text
            elif after[id(line)] != "error":
                # The first of the matching rules in the new order, whoever won before.
                assert after[id(line)] == next(rule.name for rule in permuted.rules if rule in contenders), text
            if after[id(line)] != before[id(line)]:
                # only a line without override that two or more rules match can change hands
                assert line.override is None, text
                assert len(contenders) >= 2, text


# ---------------------------------------------------------------- include order


RULE_FILE = """{padding}2022-01-01 custom "revrec-rule" "{name}"
  product: "prod_x"
  treatment: "{treatment}"
"""


def write_ledger(tmp_path: Path, first: str, second: str) -> Path:
    main = tmp_path / "main.beancount"
    main.write_text(f"""plugin "beancount_revrec"
include "{first}"
include "{second}"

1990-01-01 open {AR}
1990-01-01 open Income:Sales

2022-03-01 * "Acme" "Widget"
  invoice: "in_1"
  {AR}  100.00 USD
  Income:Sales  -100.00 USD
    product: "prod_x"
    line: "il_1"
""", encoding="utf-8")
    return main


def test_rule_in_the_first_included_file_wins(tmp_path: Path) -> None:
    """SPEC 6: files in include order, then line number: rule-a sits on a later line yet wins from a.beancount."""
    (tmp_path / "a.beancount").write_text(
        RULE_FILE.format(padding="; rule a\n" * 10, name="rule-a", treatment="tax"), encoding="utf-8")
    # rule-b is dated earlier and written on line 1: neither date nor line number may decide
    (tmp_path / "b.beancount").write_text(
        RULE_FILE.format(padding="", name="rule-b", treatment="defer 30 days").replace("2022-01-01", "2021-01-01"),
        encoding="utf-8")
    for first, second, name, kinds in (("a.beancount", "b.beancount", "rule-a", ["reclass"]),
                                       ("b.beancount", "a.beancount", "rule-b", ["deferral", "recognition"])):
        main = write_ledger(tmp_path, first, second)
        entries, errors, options_map = loader.load_file(str(main))
        assert errors == []
        generated = [entry for entry in entries if isinstance(entry, Transaction) and "revrec" in entry.tags]
        assert sorted(entry.meta["revrec-kind"] for entry in generated) == kinds
        assert {entry.meta["revrec-rule"] for entry in generated} == {name}
        result, _ = read_books(entries, options_map)
        assert isinstance(result, Books)
        assert [rule.name for rule in result.analysis.rules] == [name, ({"rule-a", "rule-b"} - {name}).pop()]
        usage = {row.rule: row.status for row in rule_usage(result)}
        assert usage == {name: "active", ({"rule-a", "rule-b"} - {name}).pop(): "never wins: shadowed"}
