"""A realistic, valid synthetic SaaS ledger (``bean-revrec example``), deterministic for a seed.

Customers, products, invoices with and without service periods, fulfillment
lines and their events, payments, credits, rules of every kind, revenue
contracts billed by schedule and by recorded invoices, and a period close whose
frozen entries are written into the same ledger.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from beancount import loader

from beancount_revrec.config import parse_config
from beancount_revrec.locks import lock_entries, movements
from beancount_revrec.reports import Books
from beancount_revrec.schedule import add_months, month_end
from beancount_revrec.writer import close_directive, directives_text

HEAD = """\
; A synthetic SaaS ledger written by `bean-revrec example` (seed {seed}).
option "title" "Example SaaS company: revenue recognition"
option "operating_currency" "USD"
plugin "beancount_revrec"

{start} open Assets:AccountsReceivable
{start} open Assets:Bank
{start} open Income:Subscriptions
{start} open Income:Services
{start} open Income:Usage
{start} open Income:Sales
{start} open Income:Refunds
"""

QUERIES = {
    "monthly": "SELECT year, month, account, currency, sum(number) AS amount "
               "GROUP BY year, month, account, currency ORDER BY year, month, account, currency",
    "revenue-by-product": "SELECT year, month, any_meta('product') AS product, currency, neg(sum(number)) AS revenue "
                          "WHERE account ~ '^Income:' GROUP BY year, month, product, currency "
                          "ORDER BY year, month, product, currency",
    "revenue-by-customer": "SELECT year, month, entry_meta('customer') AS customer, currency, "
                           "neg(sum(number)) AS revenue WHERE account ~ '^Income:' "
                           "GROUP BY year, month, customer, currency ORDER BY year, month, customer, currency",
    "revenue-by-contract": "SELECT year, month, entry_meta('contract') AS contract, currency, "
                           "neg(sum(number)) AS revenue WHERE account ~ '^Income:' AND entry_meta('contract') "
                           "IS NOT NULL GROUP BY year, month, contract, currency ORDER BY year, month, contract",
    "deferred-roll-forward": "SELECT year, month, entry_meta('revrec-kind') AS kind, currency, sum(number) AS amount "
                             "WHERE account = 'Liabilities:DeferredRevenue' GROUP BY year, month, kind, currency "
                             "ORDER BY year, month, kind, currency",
    "waterfall": "SELECT year, month, account, currency, neg(sum(number)) AS recognised "
                 "WHERE entry_meta('revrec-kind') = 'recognition' AND account ~ '^Income:' "
                 "GROUP BY year, month, account, currency ORDER BY year, month, account, currency",
}

RULES = [
    ("sales-tax", 'product: "prod_tax"', "tax", None),
    ("card-fees", 'product: "prod_fee"', "fee", None),
    ("shipping-passthrough", 'product: "prod_shipping"', "passthrough", None),
    ("exclude-internal", 'customer: "Internal"', "exclude", None),
    ("exclude-test-invoices", 'tag: "test"', "exclude", None),
    ("onboarding-3-months", 'product: "prod_onboarding"', "amortize 3 months monthly", None),
    ("training-from-payment", 'product: "prod_training"', "amortize 2 months from payment", None),
    ("warranty-after-90-days", 'product: "prod_warranty"', "defer 90 days", None),
    ("bundle-allocation", 'product: "prod_bundle"', "70% ratable monthly + 30% immediate", None),
    ("prepaid-usage", 'product: "prod_prepaid"', "fulfillment", None),
    ("cash-basis-first-half-year", 'customer: "Cash Basis Co"', "defer 0 days from payment", 6),
]

# product, account, service length in days (0: none, -1: a calendar month, -12: a year), price range
PRODUCTS = [
    ("prod_monthly", "Income:Subscriptions", -1, (20, 500)),
    ("prod_annual", "Income:Subscriptions", -12, (500, 9000)),
    ("prod_custom_term", "Income:Subscriptions", 1, (100, 3000)),
    ("prod_setup", "Income:Services", 0, (100, 1500)),
    ("prod_tax", "Income:Sales", 0, (5, 300)),
    ("prod_fee", "Income:Sales", 0, (1, 50)),
    ("prod_shipping", "Income:Sales", 0, (5, 80)),
    ("prod_onboarding", "Income:Services", 0, (300, 3000)),
    ("prod_training", "Income:Services", 0, (200, 2000)),
    ("prod_warranty", "Income:Sales", 0, (50, 600)),
    ("prod_bundle", "Income:Subscriptions", -12, (1000, 12000)),
    ("prod_prepaid", "Income:Usage", 0, (100, 5000)),
]
WEIGHTS = [30, 12, 6, 6, 8, 5, 3, 4, 3, 3, 3, 6]


def example_ledger(lines: int = 1000, contracts: int = 10, seed: int = 1, years: int = 2) -> str:
    """The text of a synthetic ledger with about ``lines`` invoice lines and ``contracts`` contracts."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, reproducible by seed
    start = datetime.date(2022, 1, 1)
    days = 365 * years
    parts = [HEAD.format(seed=seed, start=start - datetime.timedelta(days=1))]
    parts += [f'{start} query "{name}" "{query}"\n' for name, query in QUERIES.items()]
    parts += [_rule(name, match, treatment, start, until) for name, match, treatment, until in RULES]
    customers = ["Internal", "Cash Basis Co"] + [f"Customer {n:04d}" for n in range(max(10, lines // 20))]
    parts += _invoices(rng, lines, customers, start, days)
    parts += [_contract(rng, n, customers, start, years) for n in range(contracts)]
    text = "".join(parts)
    return text + _close(text, month_end(add_months(start, 6 * years) - datetime.timedelta(days=1)))


def _rule(name: str, match: str, treatment: str, start: datetime.date, until: int | None) -> str:
    text = f'\n{start} custom "revrec-rule" "{name}"\n  {match}\n  treatment: "{treatment}"\n'
    return text + (f"  effective-until: {add_months(start, until)}\n" if until else "")


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100 + 1)).scaleb(-2)


def _invoices(rng: random.Random, lines: int, customers: list[str], start: datetime.date, days: int) -> list[str]:
    parts: list[str] = []
    made = 0
    number = 0
    while made < lines:
        number += 1
        day = start + datetime.timedelta(days=rng.randrange(days))
        count = min(rng.choice((1, 1, 1, 2, 3)), lines - made)
        parts.append(_invoice(rng, number, made, count, rng.choice(customers), day))
        made += count
    return parts


def _invoice(rng: random.Random, number: int, first: int, count: int, customer: str, day: datetime.date) -> str:
    invoice = f"in_{number:06d}"
    tag = " #test" if rng.random() < 0.01 else ""
    body, total, extras = [], Decimal(0), []
    for index in range(count):
        line = f"il_{first + index + 1:06d}"
        product, account, length, (low, high) = rng.choices(PRODUCTS, WEIGHTS)[0]
        amount = _money(rng, low, high)
        total += amount
        body.append(f'  {account}  -{amount} USD\n    line: "{line}"\n    product: "{product}"\n')
        body.append(_service(rng, day, length))
        if product == "prod_prepaid":
            body.append("    quantity: 100\n")
            if not tag and customer != "Internal":  # excluded lines are not fulfilled
                extras += _events(rng, line, day)
        if product in ("prod_annual", "prod_bundle") and rng.random() < 0.05:
            extras.append(_credit(rng, line, amount, customer, day, account))
    head = f'{day} * "{customer}" "Invoice {invoice}"{tag}\n  invoice: "{invoice}"\n'
    text = head + f"  Assets:AccountsReceivable  {total} USD\n" + "".join(body)
    if rng.random() < 0.85:
        paid = day + datetime.timedelta(days=rng.randrange(3, 45))
        text += (f'\n{paid} * "{customer}" "Payment of {invoice}"\n  invoice: "{invoice}"\n'
                 f"  Assets:Bank  {total} USD\n  Assets:AccountsReceivable  -{total} USD\n")
    return "\n" + text + "".join(extras)


def _service(rng: random.Random, day: datetime.date, length: int) -> str:
    if length == 0:
        return ""
    end = add_months(day, -length) if length < 0 else day + datetime.timedelta(days=rng.randrange(10, 400))
    return f"    service-start: {day}\n    service-end: {end}\n"


def _events(rng: random.Random, line: str, day: datetime.date) -> list[str]:
    events = []
    left = 100
    for _ in range(rng.randrange(4)):
        units = rng.randrange(1, 40)
        if units > left:
            break
        left -= units
        day += datetime.timedelta(days=rng.randrange(5, 60))
        value = rng.choice((f"{units}", f'"{units}%"'))
        events.append(f'{day} custom "revrec-fulfill" "{line}" {value}\n')
    return ["\n", *events] if events else []


def _credit(rng: random.Random, line: str, amount: Decimal, customer: str, day: datetime.date, account: str) -> str:
    credited = (amount * Decimal(rng.randrange(10, 101)) / 100).quantize(Decimal("0.01"))
    when = day + datetime.timedelta(days=rng.randrange(20, 300))
    return (f'\n{when} * "{customer}" "Credit note for {line}"\n  Assets:AccountsReceivable  -{credited} USD\n'
            f'  {account}  {credited} USD\n    credit-for: "{line}"\n')


def _contract(rng: random.Random, number: int, customers: list[str], start: datetime.date, years: int) -> str:
    contract = f"ct_{number + 1:04d}"
    signed = start + datetime.timedelta(days=rng.randrange(0, 365 * max(1, years - 1)))
    months = rng.choice((12, 24, 36))
    end = add_months(signed, months)
    platform = _money(rng, 5000, 60000)
    text = (f'\n{signed} custom "revrec-contract" "{contract}"\n  customer: "{rng.choice(customers[2:])}"\n'
            f'\n{signed} custom "revrec-item" "{contract}" {platform} USD\n  item: "platform"\n'
            f"  account: Income:Subscriptions\n  service-start: {signed}\n  service-end: {end}\n")
    total = platform
    if rng.random() < 0.6:
        services = _money(rng, 2000, 20000)
        total += services
        text += (f'\n{signed} custom "revrec-item" "{contract}" {services} USD\n  item: "services"\n'
                 f'  account: Income:Services\n  treatment: "fulfillment 6 months"\n'
                 f'\n{signed + datetime.timedelta(days=rng.randrange(10, 150))} custom "revrec-fulfill" '
                 f'"{contract}/services" "{rng.randrange(10, 90)}%"\n')
    if rng.random() < 0.5:
        setup = _money(rng, 500, 5000)
        total += setup
        text += (f'\n{signed} custom "revrec-item" "{contract}" {setup} USD\n  item: "setup"\n'
                 f'  account: Income:Services\n  treatment: "immediate"\n')
    if rng.random() < 0.7:
        every = rng.choice(("month", "quarter", "year"))
        return text + (f'\n{signed} custom "revrec-billing" "{contract}" {total} USD\n'
                       f'  every: "{every}"\n  until: {end}\n')
    return text + _recorded_billing(contract, total, signed, months)


def _recorded_billing(contract: str, total: Decimal, signed: datetime.date, months: int) -> str:
    """Invoices in arrears, one a quarter after each quarter: the contract asset builds up."""
    quarters = months // 3
    amounts = [(total / quarters).quantize(Decimal("0.01"))] * (quarters - 1)
    amounts.append(total - sum(amounts, Decimal(0)))
    return "".join(
        f'\n{add_months(signed, 3 * (index + 1)) + datetime.timedelta(days=4)} * "Contract billing" '
        f'"{contract}, quarter {index + 1}"\n  contract: "{contract}"\n  invoice: "{contract}-q{index + 1}"\n'
        f"  Assets:AccountsReceivable  {amount} USD\n  Income:Subscriptions  -{amount} USD\n"
        for index, amount in enumerate(amounts))


def _close(text: str, through: datetime.date) -> str:
    """The close through ``through`` as ``bean-revrec close`` writes it: frozen entries, locks and directive."""
    entries, _, options_map = loader.load_string(text)
    books = Books(entries, options_map, parse_config(None, options_map)[0])
    frozen = [entry for entry in books.booked if entry.date <= through]
    locks = lock_entries(movements(entries, books.locked, None, through, []), {})
    return (f"\n; --- Books closed through {through}: the entries below are frozen. ---\n"
            + directives_text([*frozen, *locks, close_directive(through)]))
