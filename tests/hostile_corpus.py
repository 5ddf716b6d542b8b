"""A deterministic corpus of hostile ledgers for tests/test_hostile.py.

``corpus()`` builds every case from a seeded ``random.Random`` (no wall clock):
malformed and out-of-range values for every directive kind and metadata key,
unicode and HTML in names, non-UTF-8 bytes, currencies with 0 and 3 decimals,
closes in odd places and edits after a close. Random choices only vary the
surroundings (amounts, dates, payees, how many valid "filler" invoices there
are and where the hostile part sits among them), so line numbers move from
case to case.

Each ledger's text carries markers, stripped before it is written:

- ``⟦BAD⟧`` / ``⟦BAD:tag⟧``: an error is required at this line. Lines that share
  a tag are alternatives (one error at any of them satisfies the tag), for
  directives whose offending line is open to interpretation (a transaction's
  header or the posting that moves the balance).
- ``⟦MAY⟧``: an error is allowed at this line, not required.
- ``⟦GEN⟧``: a posting that must still generate entries (the rest of the ledger
  still loads whatever else is wrong in it).

Text is ``str``; a lone surrogate (``"\\udcff"``) is written as that raw byte
(``surrogateescape``): that is how non-UTF-8 bytes get into a file.

Cases with ``steps`` are closed with the real ``bean-revrec close`` (and
``reopen``) before their ``edit`` is applied to the files' text.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from beancount_revrec.cli import main as cli_main

SEED = 20220615
MAIN = "main.beancount"
CLOSED = "main.closed.beancount"
MARKER = re.compile(r"[ \t]*⟦(BAD|MAY|GEN)(?::([^⟧]*))?⟧")

Files = dict[str, str]


@dataclass(frozen=True)
class Case:
    """One hostile ledger: its files (the first is the main file) and what it must do."""

    name: str
    category: str
    files: tuple[tuple[str, str], ...]
    steps: tuple[tuple[str, ...], ...] = ()  # bean-revrec commands run on the files before ``edit``
    edit: Callable[[Files], Files] | None = None
    must_error: bool = False  # some error is required, its place is not fixed (a deleted line)
    loose: bool = False  # errors may also sit at unmarked lines of the case's files
    unpaid: tuple[str, ...] = ()  # line ids that wait for a payment that never comes: they stay deferred
    corrections: bool | None = None  # after the edit: corrections required (True) or forbidden (False)

    @property
    def closed_through(self) -> str | None:
        """The date the steps close the books through (the last close), if any."""
        dates = [step[step.index("--through") + 1] for step in self.steps if "--through" in step]
        return dates[-1] if dates else None


# --------------------------------------------------------------------------------------------
# Materializing a case: markers resolved, files written, close steps and the edit applied.


@dataclass
class Materialized:
    """A case written to disk."""

    root: Path  # the case's directory
    main: Path
    required: dict[str, tuple[str, frozenset[int]]]  # tag -> (relative file, lines any of which may hold it)
    allowed: set[tuple[str, int]]  # (relative file, line) where an error may be
    generates: set[tuple[str, int]]  # postings that must generate entries
    before: Path | None = None  # main file of the closed ledger before the edit (edit cases)
    files: dict[str, bytes] = field(default_factory=dict)


def strip_markers(files: Files) -> tuple[dict[str, str], dict[str, tuple[str, set[int]]], set, set]:
    """The files without markers, and the markers found: required tags, allowed and generating lines."""
    clean: dict[str, str] = {}
    required: dict[str, tuple[str, set[int]]] = {}
    allowed: set[tuple[str, int]] = set()
    generates: set[tuple[str, int]] = set()
    for name, text in files.items():
        lines = text.split("\n")
        for number, line in enumerate(lines, start=1):
            for match in MARKER.finditer(line):
                kind, tag = match.group(1), match.group(2)
                if kind == "GEN":
                    generates.add((name, number))
                    continue
                allowed.add((name, number))
                if kind == "BAD":
                    key = f"{name}:{tag}" if tag else f"{name}:{number}"
                    required.setdefault(key, (name, set()))[1].add(number)
            lines[number - 1] = MARKER.sub("", line)
        clean[name] = "\n".join(lines)
    return clean, required, allowed, generates


def write_files(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8", "surrogateescape"))


def read_files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative name -> bytes)."""
    return {path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*")) if path.is_file()}


def run_steps(case: Case, root: Path) -> None:
    main = root / MAIN
    for step in case.steps:
        args = [step[0], str(main), *(arg.replace("{dir}", str(root)) for arg in step[1:])]
        result = CliRunner().invoke(cli_main, args)
        problem = f"setting up {case.name}: bean-revrec {' '.join(args)} failed: {result.output}{result.exception!r}"
        assert result.exit_code == 0, problem
        assert result.exception is None, problem


def materialize(case: Case, root: Path) -> Materialized:
    """Write ``case`` under ``root``/ledger (and, for an edit case, the closed ledger before the edit under ``root``/before)."""
    work = root / "ledger"
    work.mkdir(parents=True)
    clean, required, allowed, generates = strip_markers(dict(case.files))
    write_files(work, clean)
    before = None
    if case.steps:
        run_steps(case, work)
    if case.edit is not None:
        snapshot = root / "before"
        snapshot.mkdir()
        current = {name: data.decode("utf-8", "surrogateescape") for name, data in read_files(work).items()}
        write_files(snapshot, current)
        before = snapshot / MAIN
        edited = case.edit(dict(current))
        clean, required, allowed, generates = strip_markers(edited)
        for name in set(current) - set(clean):
            (work / name).unlink()
        write_files(work, {name: text for name, text in clean.items() if current.get(name) != text})
    return Materialized(work, work / MAIN, {tag: (name, frozenset(lines)) for tag, (name, lines) in required.items()},
                        allowed, generates, before, read_files(work))


# --------------------------------------------------------------------------------------------
# Ledger text.

OPENS = ("Assets:AccountsReceivable", "Assets:Bank", "Equity:Opening", "Expenses:Misc",
         "Income:Sales", "Income:Services", "Income:Subscriptions")
PAYEES = ("Acme", "Beta GmbH", "Société Générale", "Ünïcødé Ltd", "株式会社テスト", "O'Brien & Sons",
          "شركة", "Zoë 🚀", "<b>Bold</b> Corp", "Ελληνικά")
NARRATIONS = ("Monthly plan", "Annual licence", "Support", "Ratenzahlung", "年間プラン", "Plan <i>pro</i>",
              "Abo ✓", "Serviço")


def q(text: str) -> str:
    """A Beancount string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def neg(amount: str) -> str:
    return amount[1:] if amount.startswith("-") else f"-{amount}"


def header(plugin: str = 'plugin "beancount_revrec"', opened: str = "2000-01-01", opens: tuple[str, ...] = OPENS,
           title: str = "Hostile ledger") -> str:
    lines = [f'option "title" {q(title)}', 'option "operating_currency" "USD"', plugin, ""]
    lines += [f"{opened} open {account}" for account in opens]
    return "\n".join(lines) + "\n"


def invoice(
    date: str, ident: str | None, amount: str, currency: str = "USD", *, account: str = "Income:Sales",
    payee: str = "Acme", narration: str = "Plan", line: str | None = None, service: tuple[str, str] | None = None,
    revrec: str | None = None, post: tuple[str, ...] = (), head: tuple[str, ...] = (), mark: str = "",
    pmark: str = "", debit: str = "Assets:AccountsReceivable", tags: str = "",
) -> str:
    """An invoice (or, with ``ident`` None and a bank debit, a cash sale) of one revenue line.

    ``revrec`` is the raw metadata value (quote it for a string); ``mark`` and
    ``pmark`` are markers for the header and for the revenue posting.
    """
    out = [f"{date} * {q(payee)} {q(narration)}{tags}{mark}"]
    if ident is not None:
        out.append(f"  invoice: {q(ident)}")
    out += [f"  {item}" for item in head]
    out.append(f"  {debit}   {amount} {currency}")
    out.append(f"  {account}   {neg(amount)} {currency}{pmark}")
    meta = [f"line: {q(line)}"] if line is not None else []
    if service is not None:
        meta += [f"service-start: {service[0]}", f"service-end: {service[1]}"]
    if revrec is not None:
        meta.append(f"revrec: {revrec}")
    out += [f"    {item}" for item in [*meta, *post]]
    return "\n".join(out) + "\n"


def payment(date: str, ident: str, amount: str, currency: str = "USD", *, link: str = "", mark: str = "") -> str:
    return (f'{date} * "Customer" "Payment"{link}{mark}\n  invoice: {q(ident)}\n'
            f"  Assets:Bank   {amount} {currency}\n  Assets:AccountsReceivable   {neg(amount)} {currency}\n")


def rule(name: str, *meta: str, date: str = "2022-01-01", mark: str = "", raw_name: str | None = None) -> str:
    name_text = raw_name if raw_name is not None else q(name)
    return f'{date} custom "revrec-rule" {name_text}{mark}\n' + "".join(f"  {item}\n" for item in meta)


def custom(date: str, kind: str, values: str, *meta: str, mark: str = "") -> str:
    values = f" {values}" if values else ""
    return f'{date} custom "{kind}"{values}{mark}\n' + "".join(f"  {item}\n" for item in meta)


def contract_block(ct: str = "ct_1", customer: str = "Contoso", amount: str = "1200.00", currency: str = "USD",
                   *, every: str = '"month"', until: str = "2023-01-01", item_meta: tuple[str, ...] = (),
                   billing: bool = True, item_mark: str = "", billing_mark: str = "", date: str = "2022-01-01",
                   service: tuple[str, str] = ("2022-01-01", "2023-01-01"), item: str = "platform") -> str:
    meta = item_meta or (f"item: {q(item)}", "account: Income:Subscriptions",
                         f"service-start: {service[0]}", f"service-end: {service[1]}")
    text = custom(date, "revrec-contract", q(ct), f"customer: {q(customer)}")
    text += custom(date, "revrec-item", f"{q(ct)} {amount} {currency}", *meta, mark=item_mark)
    if billing:
        text += custom(date, "revrec-billing", f"{q(ct)} {amount} {currency}", f"every: {every}",
                       f"until: {until}", mark=billing_mark)
    return text


class Gen:
    """The corpus builder: a seeded random source and the cases made so far."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - a reproducible corpus, not secrets
        self.cases: list[Case] = []
        self.fillers = 0

    def amount(self, low: int = 1000, high: int = 500000, places: int = 2) -> str:
        cents = self.rng.randint(low, high)
        return str(Decimal(cents).scaleb(-places)) if places else str(cents)

    def day(self, year: int = 2022, months: tuple[int, int] = (1, 12)) -> str:
        return f"{year}-{self.rng.randint(*months):02d}-{self.rng.randint(1, 28):02d}"

    def filler(self, currency: str = "USD") -> str:
        """A valid ratable invoice that must generate its entries."""
        self.fillers += 1
        start_month = self.rng.randint(1, 10)
        start = f"2022-{start_month:02d}-{self.rng.randint(1, 28):02d}"
        length = self.rng.randint(1, 14)
        end_month = start_month + length
        end = f"{2022 + (end_month - 1) // 12}-{(end_month - 1) % 12 + 1:02d}-{self.rng.randint(1, 28):02d}"
        places = 0 if currency == "JPY" else 2
        return invoice(start, f"in_f{self.fillers}", self.amount(places=places), currency,
                       payee=self.rng.choice(PAYEES), narration=self.rng.choice(NARRATIONS),
                       service=(start, end), pmark="⟦GEN⟧")

    def body(self, *chunks: str, fillers: int | None = None) -> str:
        """The chunks in order, with valid filler invoices before, between or after them."""
        count = self.rng.randint(1, 3) if fillers is None else fillers
        parts = list(chunks)
        for _ in range(count):
            parts.insert(self.rng.randint(0, len(parts)), self.filler())
        return "\n".join(parts)

    def add(self, category: str, label: str, main: str, *others: tuple[str, str], **options: object) -> None:
        name = f"{category}-{label}"
        assert all(case.name != name for case in self.cases), name
        self.cases.append(Case(name, category, ((MAIN, main), *others), **options))  # type: ignore[arg-type]

    def simple(self, category: str, label: str, *chunks: str, fillers: int | None = None,
               head: str | None = None, **options: object) -> None:
        """A one-file case: the header, then the chunks among fillers."""
        self.add(category, label, (head or header()) + "\n" + self.body(*chunks, fillers=fillers), **options)


# --------------------------------------------------------------------------------------------
# The categories.

SERVICE = ("2022-03-01", "2023-03-01")


def treatments(gen: Gen) -> None:
    """Line overrides (``revrec:``): garbage, out-of-range and zero durations, and valid oddities."""
    bad = {
        "empty": '""', "blank": '"   "', "ratable-twice": '"ratable ratable"', "misspelt": '"amortise 12 months"',
        "words-for-numbers": '"amortize twelve months"', "fortnights": '"amortize 12 fortnights"',
        "negative-duration": '"amortize -3 months"', "fractional-duration": '"amortize 1.5 months"',
        "fullwidth-digits": '"amortize \uff11\uff12 months"', "arabic-digits": '"amortize ١٢ months"',
        "anchor-tomorrow": '"defer 6 months from tomorrow"', "on-feb-30": '"on 2022-02-30"',
        "on-short-date": '"on 22-1-1"', "on-no-date": '"on"', "on-year-zero": '"on 0000-01-01"',
        "on-day-32": '"on 9999-12-32"', "share-50": '"50% ratable"',
        "shares-90": '"50% ratable + 40% immediate"', "share-zero": '"0% ratable + 100% immediate"',
        "share-150": '"150% ratable"', "share-negative": '"-20% ratable + 120% immediate"',
        "share-nan": '"NaN% ratable"', "share-infinity": '"Infinity% immediate"',
        "two-fulfillments": '"50% fulfillment + 50% fulfillment"', "trailing-plus": '"80% ratable +"',
        "only-plus": '"+"', "two-methods": '"ratable monthly daily"',
        "method-before-anchor": '"amortize 12 months monthly from payment"', "tax-tax": '"tax tax"',
        "html": '"<script>alert(1)</script>"', "cjk": '"即時"', "long": q("ratable " * 200),
        "anchor-year-zero": '"amortize 12 months from 0000-01-01"',
        "number": "12", "date": "2022-01-01", "bool": "TRUE", "currency": "USD", "amount": "10.00 USD",
        "account": "Income:Sales",
        # out of range: the end of the schedule is past 9999-12-31
        "defer-9000-years": '"defer 9000 years"', "defer-99999999999-days": '"defer 99999999999 days"',
        "amortize-from-9999-12-31": '"amortize 1 day from 9999-12-31"', "amortize-99999-months": '"amortize 99999 months"',
        "defer-7978-years": '"defer 7978 years"', "fulfillment-9000-years": '"fulfillment 9000 years"',
        "defer-9999-years-from-0001": '"defer 9999 years from 0001-01-01"',
        # zero durations
        "amortize-0-months": '"amortize 0 months"', "amortize-0-days": '"amortize 0 days"',
        "defer-0-days": '"defer 0 days"', "defer-0-months-from-invoice": '"defer 0 months from invoice"',
        "defer-0-years": '"defer 0 years"', "fulfillment-0-days": '"fulfillment 0 days"',
        "mixed-zero-duration": '"50% ratable + 50% amortize 0 months"',
    }
    for label, value in bad.items():
        gen.simple("treatment", label, invoice(gen.day(months=(3, 3)), f"in_t{label}", gen.amount(),
                                               line=f"il_{label}", service=SERVICE, revrec=value, pmark="⟦BAD⟧"))
    valid = {
        "tab-separated": q("ratable\tmonthly"), "padded": '"   ratable   "', "three-way": (
            '"33.33% ratable + 33.33% immediate + 33.34% tax"'), "hundred-percent": '"100% ratable"',
        "on-0001-01-01": '"on 0001-01-01"', "amortize-from-0001": '"amortize 12 months from 0001-01-01"',
        "fulfillment-7000-years": '"fulfillment 7000 years"', "monthly-prorated": '"ratable monthly-prorated"',
        "all-reclasses": '"25% tax + 25% fee + 25% passthrough + 25% exclude"',
        "fractional-shares": '"33.333% ratable + 66.667% amortize 3 months monthly"',
        "from-service-start": '"defer 1 month from service-start"', "immediate": '"immediate"',
    }
    for label, value in valid.items():
        mark = "" if label == "immediate" else "⟦GEN⟧"
        gen.simple("treatment", f"ok-{label}", invoice(gen.day(months=(3, 3)), f"in_t{label}", gen.amount(),
                                                        line=f"il_{label}", service=SERVICE, revrec=value, pmark=mark))
    # Representable, at the very end of the calendar: valid or an error at the line, never a crash.
    edge = {"on-9999-12-31": '"on 9999-12-31"', "defer-7977-years": '"defer 7977 years"',
            "amortize-from-9999-12-30": '"amortize 1 day from 9999-12-30"'}
    for label, value in edge.items():
        gen.simple("treatment", f"edge-{label}", invoice("2022-03-01", f"in_t{label}", gen.amount(),
                                                          line=f"il_{label}", revrec=value, pmark="⟦MAY⟧"))
    # Cash basis: `defer 0 days from payment` stays valid, paid or not.
    gen.simple("treatment", "ok-cash-basis-paid",
               invoice("2022-03-01", "in_cash", "50.00", line="il_cash", revrec='"defer 0 days from payment"',
                       pmark="⟦GEN⟧"), payment("2022-04-12", "in_cash", "50.00"))
    gen.simple("treatment", "ok-cash-basis-unpaid",
               invoice("2022-03-01", "in_unpaid", "50.00", line="il_unpaid", revrec='"defer 0 days from payment"',
                       pmark="⟦GEN⟧"), unpaid=("il_unpaid",))
    gen.simple("treatment", "ok-amortize-from-payment-unpaid",
               invoice("2022-03-01", "in_unpaid2", "75.00", line="il_unpaid2",
                       revrec='"amortize 12 months from payment"', pmark="⟦GEN⟧"), unpaid=("il_unpaid2",))


def services(gen: Gen) -> None:
    """Service periods and quantities: wrong order, wrong types, the ends of the calendar."""
    bad = {
        "end-before-start": ("service-start: 2022-06-01", "service-end: 2022-03-01"),
        "end-equals-start": ("service-start: 2022-06-01", "service-end: 2022-06-01"),
        "start-only": ("service-start: 2022-06-01",), "end-only": ("service-end: 2022-06-01",),
        "start-string": ('service-start: "2022-03-01"', "service-end: 2022-06-01"),
        "end-number": ("service-start: 2022-03-01", "service-end: 20220601"),
        "start-bool": ("service-start: TRUE", "service-end: 2022-06-01"),
        "end-amount": ("service-start: 2022-03-01", "service-end: 10.00 USD"),
        "end-html": ("service-start: 2022-03-01", 'service-end: "<script>2022-06-01</script>"'),
        "quantity-zero": ("quantity: 0",), "quantity-negative": ("quantity: -5",),
        "quantity-text": ('quantity: "ten"',),
    }
    for label, meta in bad.items():
        gen.simple("service", label, invoice("2022-03-01", f"in_s{label}", gen.amount(), post=meta, pmark="⟦BAD⟧"))
    # The service period on the transaction: the error may name the transaction or its revenue posting.
    gen.simple("service", "txn-level-end-before-start",
               invoice("2022-03-01", "in_stx", gen.amount(), head=("service-start: 2022-06-01",
                                                                   "service-end: 2022-03-01"),
                       mark="⟦BAD:svc⟧", pmark="⟦BAD:svc⟧"))
    gen.simple("service", "december-9999",
               invoice("9999-12-01", "in_s9999", gen.amount(), service=("9999-12-01", "9999-12-31"), pmark="⟦BAD⟧"))
    # valid oddities
    gen.simple("service", "november-9999",
               invoice("9999-10-15", "in_s9998", gen.amount(), service=("9999-11-01", "9999-12-01"),
                       pmark="⟦GEN⟧⟦MAY⟧"))
    gen.simple("service", "ok-year-one",
               invoice("0001-01-01", "in_s0001", gen.amount(), service=("0001-01-01", "0001-04-01"), pmark="⟦GEN⟧"),
               head=header(opened="0001-01-01"))
    gen.simple("service", "ok-start-before-invoice",
               invoice("2022-06-20", "in_sarrears", gen.amount(), service=("0001-01-01", "2022-07-01"),
                       pmark="⟦GEN⟧"))
    gen.simple("service", "ok-txn-level-period",
               invoice("2022-03-01", "in_stxok", gen.amount(), head=("service-start: 2022-03-01",
                                                                     "service-end: 2022-09-01"), pmark="⟦GEN⟧"))
    gen.simple("service", "ok-mixed-levels",
               invoice("2022-03-01", "in_smix", gen.amount(), head=("service-start: 2022-03-01",),
                       post=("service-end: 2022-05-17",), pmark="⟦GEN⟧"))
    gen.simple("service", "ok-one-day", invoice("2022-02-28", "in_s1d", "0.01", service=("2022-02-28", "2022-03-01"),
                                                pmark="⟦GEN⟧"))
    gen.simple("service", "ok-twenty-years", invoice("2022-01-01", "in_s20y", "1000000.00",
                                                     service=("2022-01-01", "2042-01-01"), pmark="⟦GEN⟧"))


def rules(gen: Gen) -> None:
    """``revrec-rule`` directives: every documented error, runtime overflow, and valid oddities."""
    target = invoice("2022-04-01", "in_r", gen.amount(), service=SERVICE, post=('product: "prod_h"',),
                     pmark="⟦GEN⟧")
    bad = {
        "unknown-key": ('prodct: "prod_h"', 'treatment: "immediate"'),
        "no-match-key": ('treatment: "immediate"',),
        "missing-treatment": ('product: "prod_h"',),
        "malformed-treatment": ('product: "prod_h"', 'treatment: "amortize banana"'),
        "until-before-date": ('product: "prod_h"', 'treatment: "immediate"', "effective-until: 2021-01-01"),
        "until-equal-date": ('product: "prod_h"', 'treatment: "immediate"', "effective-until: 2022-01-01"),
        "until-string": ('product: "prod_h"', 'treatment: "immediate"', 'effective-until: "2024-01-01"'),
        "until-number": ('product: "prod_h"', 'treatment: "immediate"', "effective-until: 2024"),
        "source-bogus": ('source: "bogus"', 'treatment: "immediate"'),
        "account-lowercase": ('account: "income:sales"', 'treatment: "immediate"'),
        "account-double-colon": ('account: "Income::Sales"', 'treatment: "immediate"'),
        "treatment-number": ('product: "prod_h"', "treatment: 12"),
        "treatment-date": ('product: "prod_h"', "treatment: 2022-01-01"),
        "treatment-html": ('product: "prod_h"', 'treatment: "<script>alert(1)</script>"'),
        "treatment-zero-duration": ('product: "prod_h"', 'treatment: "amortize 0 months"'),
        "revrec-kind-key": ('product: "prod_h"', 'treatment: "immediate"', 'revrec-kind: "deferral"'),
        "description-number": ("description: 12", 'treatment: "immediate"'),
        "description-blank": ('description: "   "', 'treatment: "immediate"'),
        "min-amount-string": ('min-amount: "10.00 USD"', 'treatment: "immediate"'),
        "max-amount-no-currency": ("max-amount: 120", 'treatment: "immediate"'),
        "max-amount-date": ("max-amount: 2022-01-01", 'treatment: "immediate"'),
        "min-amount-negative": ("min-amount: -10.00 USD", 'treatment: "immediate"'),
        "min-above-max": ("min-amount: 120.00 USD", "max-amount: 10.00 USD", 'treatment: "immediate"'),
        "amount-two-currencies": ("min-amount: 10.00 USD", "max-amount: 120.00 EUR", 'treatment: "immediate"'),
    }
    for label, meta in bad.items():
        gen.simple("rule", label, rule(f"r-{label}", *meta, mark="⟦BAD⟧"), target)
    names = {"name-empty": '""', "name-number": "12", "two-names": '"a" "b"', "no-name": "",
             "name-date": "2022-01-01"}
    for label, raw in names.items():
        gen.simple("rule", label, rule("", 'product: "prod_h"', 'treatment: "immediate"', mark="⟦BAD⟧", raw_name=raw),
                   target)
    gen.simple("rule", "duplicate-name", rule("dup", 'product: "prod_x"', 'treatment: "immediate"'),
               rule("dup", 'product: "prod_h"', 'treatment: "immediate"', mark="⟦BAD⟧"), target)
    # Out of range only once applied to a line: the rule or the line it meets may carry the error.
    for label, treatment in {"defer-9000-years": "defer 9000 years",
                             "amortize-from-9999-12-31": "amortize 1 day from 9999-12-31",
                             "fulfillment-0-days": "fulfillment 0 days", "defer-0-days": "defer 0 days"}.items():
        gen.simple("rule", f"applied-{label}", rule(f"r-{label}", 'product: "prod_o"', f"treatment: {q(treatment)}",
                                                    mark="⟦BAD:o⟧"),
                   invoice("2022-04-01", "in_ro", gen.amount(), post=('product: "prod_o"',), pmark="⟦BAD:o⟧"))
    # valid
    gen.simple("rule", "ok-unicode-name", rule("規則 1 ✓", 'product: "製品"', 'treatment: "amortize 3 months"'),
               invoice("2022-04-01", "in_ru", gen.amount(), post=('product: "製品"',), pmark="⟦GEN⟧"))
    gen.simple("rule", "ok-html-customer", rule("<b>rule</b>", 'customer: "<script>alert(1)</script>"',
                                                'treatment: "defer 2 months"'),
               invoice("2022-04-01", "in_rh", gen.amount(), head=('customer: "<script>alert(1)</script>"',),
                       pmark="⟦GEN⟧"))
    gen.simple("rule", "ok-tag", "pushtag #test\n" + invoice("2022-04-01", "in_rt", gen.amount(), pmark="⟦GEN⟧")
               + "poptag #test\n", rule("tests", 'tag: "test"', 'treatment: "exclude"'))
    gen.simple("rule", "ok-forever", rule("forever", 'product: "prod_f"', 'treatment: "defer 1 month"',
                                          "effective-until: 9999-12-31", date="0001-01-01"),
               invoice("2022-04-01", "in_rf", gen.amount(), post=('product: "prod_f"',), pmark="⟦GEN⟧"))
    gen.simple("rule", "ok-shadowed", rule("first", 'product: "prod_s"', 'treatment: "defer 1 month"'),
               rule("second", 'product: "prod_s"', 'treatment: "defer 2 months"'),
               invoice("2022-04-01", "in_rs", gen.amount(), post=('product: "prod_s"',), pmark="⟦GEN⟧"))
    gen.simple("rule", "ok-cash-sale-source", rule("cash", 'source: "payment"', 'account: "Income:Services"',
                                                   'treatment: "50% tax + 50% defer 10 days"'),
               invoice("2022-04-01", None, gen.amount(), account="Income:Services", debit="Assets:Bank",
                       pmark="⟦GEN⟧"))
    gen.simple("rule", "ok-description-and-amount",
               rule("avatax", 'description: "AVATAX"', "min-amount: 0 USD", 'treatment: "tax"'),
               invoice("2022-04-01", "in_rd", "10.00", post=('description: "Sales Tax calculated by AvaTax"',),
                       pmark="⟦GEN⟧"))
    gen.simple("rule", "ok-ratable-share-without-service-period",
               rule("passthrough", 'source: "invoice"', "max-amount: 1000000.00 USD",
                    'treatment: "90% ratable + 10% passthrough"'),
               invoice("2022-04-01", "in_rp", "100.00", pmark="⟦GEN⟧"))
    gen.simple("rule", "ok-price-and-line", rule("by-line", 'line: "il_rl"', 'price: "price 1"',
                                                 'treatment: "amortize 2 months monthly"'),
               invoice("2022-04-01", "in_rl", gen.amount(), line="il_rl", post=('price: "price 1"',), pmark="⟦GEN⟧"))
    gen.add("rule", "included-file-duplicate-name",
            header() + '\ninclude "rules/part.beancount"\n\n'
            + invoice("2022-04-01", "in_ri", gen.amount(), post=('product: "prod_i"',), pmark="⟦GEN⟧"),
            ("rules/part.beancount", rule("included", 'product: "prod_i"', 'treatment: "defer 3 months"')
             + rule("included", 'product: "prod_i"', 'treatment: "immediate"', mark="⟦BAD⟧")))


FULFIL_LINE = invoice("2022-03-01", "in_ful", "100.00", line="il_ful", revrec='"fulfillment 6 months"',
                      pmark="⟦GEN⟧")


def fulfillment(gen: Gen) -> None:
    """``revrec-fulfill`` events: bad targets, values, dates and amounts."""
    ratable = invoice("2022-03-01", "in_rat", "60.00", line="il_rat", service=SERVICE, pmark="⟦GEN⟧")
    bad = {
        "unknown-target": '"il_nope" 10.00 USD', "wrong-currency": '"il_ful" 10.00 EUR',
        "percent-150": '"il_ful" "150%"', "percent-zero": '"il_ful" "0%"', "percent-negative": '"il_ful" "-5%"',
        "percent-text": '"il_ful" "abc%"', "percent-bare": '"il_ful" "%"', "percent-nan": '"il_ful" "NaN%"',
        "units-without-quantity": '"il_ful" 10', "units-zero": '"il_ful" 0', "zero-amount": '"il_ful" 0.00 USD',
        "negative-amount": '"il_ful" -10.00 USD', "no-values": "", "one-value": '"il_ful"',
        "three-values": '"il_ful" 10.00 USD "x"', "target-number": "12 10.00 USD",
        "target-date": "2022-01-01 10.00 USD", "value-date": '"il_ful" 2022-05-01', "value-bool": '"il_ful" TRUE',
        "amount-28-digits": '"il_ful" 1234567890123456789012345678 USD',
        "target-not-fulfillment": '"il_rat" 10.00 USD',
    }
    for label, values in bad.items():
        gen.simple("fulfill", label, FULFIL_LINE, ratable,
                   custom("2022-04-01", "revrec-fulfill", values, mark="⟦BAD⟧"))
    dated = {"before-line": "2022-02-01", "after-fallback": "2022-12-01", "on-9999-12-31": "9999-12-31"}
    for label, date in dated.items():
        gen.simple("fulfill", label, FULFIL_LINE, custom(date, "revrec-fulfill", '"il_ful" 10.00 USD', mark="⟦BAD⟧"))
    gen.simple("fulfill", "before-line-year-one", FULFIL_LINE,
               custom("0001-01-01", "revrec-fulfill", '"il_ful" 10.00 USD', mark="⟦BAD⟧"),
               head=header(opened="0001-01-01"))
    gen.simple("fulfill", "beyond-remaining", FULFIL_LINE, custom("2022-04-01", "revrec-fulfill", '"il_ful" 60.00 USD'),
               custom("2022-05-01", "revrec-fulfill", '"il_ful" 60.00 USD', mark="⟦BAD⟧"))
    gen.simple("fulfill", "target-rejected-line",
               invoice("2022-03-01", "in_rej", "100.00", line="il_rej", revrec='"fulfilment"', pmark="⟦BAD⟧"),
               custom("2022-04-01", "revrec-fulfill", '"il_rej" 10.00 USD', mark="⟦BAD⟧"))
    gen.simple("fulfill", "line-invoiced-9999-06-01",
               invoice("9999-06-01", "in_f9999", "100.00", line="il_f9999", revrec='"fulfillment"', pmark="⟦BAD⟧"))
    gen.simple("fulfill", "duplicate-line-id", FULFIL_LINE,
               invoice("2022-03-05", "in_ful2", "40.00", line="il_ful", revrec='"fulfillment"', pmark="⟦BAD⟧"),
               custom("2022-04-01", "revrec-fulfill", '"il_ful" 10.00 USD'))
    # valid
    gen.simple("fulfill", "ok-units-with-quantity",
               invoice("2022-03-01", "in_q", "99.99", line="il_q", revrec='"fulfillment"', post=("quantity: 7",),
                       pmark="⟦GEN⟧"),
               custom("2022-03-15", "revrec-fulfill", '"il_q" 3'), custom("2022-04-15", "revrec-fulfill", '"il_q" 4'))
    gen.simple("fulfill", "ok-hundred-percent-on-line-date", FULFIL_LINE,
               custom("2022-03-01", "revrec-fulfill", '"il_ful" "100%"'))
    gen.simple("fulfill", "ok-quarters", FULFIL_LINE,
               *(custom(f"2022-0{month}-10", "revrec-fulfill", '"il_ful" "25%"') for month in (3, 4, 5, 6)))
    gen.simple("fulfill", "ok-below-precision", FULFIL_LINE, custom("2022-04-01", "revrec-fulfill",
                                                                   '"il_ful" 0.001 USD'))
    gen.add("fulfill", "event-in-included-file",
            header() + '\ninclude "events.beancount"\n\n' + FULFIL_LINE,
            ("events.beancount", custom("2022-04-01", "revrec-fulfill", '"il_ful" 33.33 USD')
             + custom("2022-05-01", "revrec-fulfill", '"il_nobody" 33.33 USD', mark="⟦BAD⟧")))
    gen.simple("fulfill", "ok-contract-item",
               contract_block("ct_f", item_meta=('item: "usage"', "account: Income:Subscriptions",
                                                 'treatment: "fulfillment 6 months"'), every='"quarter"'),
               custom("2022-02-01", "revrec-fulfill", '"ct_f/usage" 100.00 USD'),
               custom("2022-03-01", "revrec-fulfill", '"usage" "10%"'))


def credit_cases(gen: Gen) -> None:
    """``credit-for:`` credits: too large, wrong currency, too early, unknown, wrong sign."""
    line = invoice("2022-01-01", "in_c", "120.00", line="il_c", service=("2022-01-01", "2023-01-01"), pmark="⟦GEN⟧")

    def credit(date: str, amount: str, target: str = '"il_c"', currency: str = "USD", mark: str = "⟦BAD⟧",
               ident: str = "cn_1", line_id: str | None = None) -> str:
        post = (f"credit-for: {target}",)
        return invoice(date, ident, neg(amount), currency, line=line_id, post=post, pmark=mark)

    gen.simple("credit", "larger-than-line", line, credit("2022-03-01", "150.00"))
    gen.simple("credit", "other-currency", line, credit("2022-03-01", "10.00", currency="EUR"))
    gen.simple("credit", "before-line", line, credit("2021-12-01", "10.00"))
    gen.simple("credit", "unknown-line", line, credit("2022-03-01", "10.00", target='"il_none"'))
    gen.simple("credit", "target-number", line, credit("2022-03-01", "10.00", target="12"))
    gen.simple("credit", "on-income-posting", line, invoice("2022-03-01", "cn_1", "10.00",
                                                            post=('credit-for: "il_c"',), pmark="⟦BAD⟧"))
    gen.simple("credit", "credit-of-a-credit", line, credit("2022-03-01", "10.00", mark="⟦GEN⟧", line_id="il_cn"),
               credit("2022-04-01", "5.00", target='"il_cn"', ident="cn_2"))
    gen.simple("credit", "second-exceeds", line, credit("2022-03-01", "80.00", mark="⟦GEN⟧"),
               credit("2022-04-01", "60.00", ident="cn_2"))
    gen.simple("credit", "credit-of-rejected-line",
               invoice("2022-01-01", "in_cx", "120.00", line="il_cx", revrec='"ratable"', pmark="⟦BAD⟧"),
               credit("2022-03-01", "10.00", target='"il_cx"'))
    gen.simple("credit", "dated-year-one", line, credit("0001-01-01", "10.00"), head=header(opened="0001-01-01"))
    # valid
    gen.simple("credit", "ok-full-refund", line, credit("2022-03-01", "120.00", mark="⟦GEN⟧"))
    gen.simple("credit", "ok-mid-month", line, credit("2022-02-14", "45.00", mark="⟦GEN⟧"))
    gen.simple("credit", "ok-two-credits-exact", line, credit("2022-02-14", "19.99", mark="⟦GEN⟧"),
               credit("2022-12-31", "100.01", mark="⟦GEN⟧", ident="cn_2"))
    gen.simple("credit", "ok-jpy", invoice("2022-01-01", "in_cj", "100000", "JPY", line="il_cj",
                                           service=("2022-01-01", "2022-12-01"), pmark="⟦GEN⟧"),
               credit("2022-05-20", "33333", target='"il_cj"', currency="JPY", mark="⟦GEN⟧"))
    gen.simple("credit", "ok-kwd", invoice("2022-01-01", "in_ck", "100.000", "KWD", line="il_ck",
                                           service=("2022-01-01", "2022-08-01"), pmark="⟦GEN⟧"),
               credit("2022-03-03", "33.333", target='"il_ck"', currency="KWD", mark="⟦GEN⟧"))


def contracts(gen: Gen) -> None:
    """``revrec-contract``, ``revrec-item``, ``revrec-billing`` and recorded billings."""
    item = ('item: "platform"', "account: Income:Subscriptions", "service-start: 2022-01-01",
            "service-end: 2023-01-01")
    contract = custom("2022-01-01", "revrec-contract", '"ct_1"', 'customer: "Contoso"')

    def item_case(label: str, values: str, *meta: str) -> None:
        gen.simple("contract", label, contract, custom("2022-01-01", "revrec-item", values, *meta, mark="⟦BAD⟧"))

    def billing_case(label: str, values: str, *meta: str, extra: str = "") -> None:
        gen.simple("contract", label, contract, custom("2022-01-01", "revrec-item", '"ct_1" 1200.00 USD', *item),
                   extra, custom("2022-01-01", "revrec-billing", values, *meta, mark="⟦BAD⟧"))

    gen.simple("contract", "duplicate-contract", contract,
               custom("2022-02-01", "revrec-contract", '"ct_1"', 'customer: "Other"', mark="⟦BAD⟧"))
    gen.simple("contract", "contract-no-values", custom("2022-01-01", "revrec-contract", "", mark="⟦BAD⟧"))
    gen.simple("contract", "contract-id-number", custom("2022-01-01", "revrec-contract", "12", mark="⟦BAD⟧"))
    gen.simple("contract", "contract-two-ids", custom("2022-01-01", "revrec-contract", '"a" "b"', mark="⟦BAD⟧"))
    gen.simple("contract", "contract-empty-id", custom("2022-01-01", "revrec-contract", '""', mark="⟦BAD⟧"))
    item_case("item-unknown-contract", '"ct_nope" 100.00 USD', *item)
    item_case("item-without-item", '"ct_1" 100.00 USD', "account: Income:Subscriptions")
    item_case("item-without-account", '"ct_1" 100.00 USD', 'item: "x"')
    item_case("item-invalid-account", '"ct_1" 100.00 USD', 'item: "x"', 'account: "income"')
    item_case("item-ratable-without-service", '"ct_1" 100.00 USD', 'item: "x"', "account: Income:Subscriptions")
    item_case("item-tax-treatment", '"ct_1" 100.00 USD', *item, 'treatment: "tax"')
    item_case("item-garbage-treatment", '"ct_1" 100.00 USD', *item, 'treatment: "<script>"')
    item_case("item-amount-string", '"ct_1" "100.00 USD"', *item)
    item_case("item-number-without-currency", '"ct_1" 100.00', *item)
    item_case("item-three-values", '"ct_1" 100.00 USD "x"', *item)
    item_case("item-service-december-9999", '"ct_1" 100.00 USD', 'item: "x"', "account: Income:Subscriptions",
              "service-start: 9999-12-01", "service-end: 9999-12-31")
    item_case("item-end-before-start", '"ct_1" 100.00 USD', 'item: "x"', "account: Income:Subscriptions",
              "service-start: 2022-06-01", "service-end: 2022-01-01")
    item_case("item-zero-duration-treatment", '"ct_1" 100.00 USD', *item, 'treatment: "fulfillment 0 days"')
    gen.simple("contract", "duplicate-item", contract, custom("2022-01-01", "revrec-item", '"ct_1" 100.00 USD', *item),
               custom("2022-01-01", "revrec-item", '"ct_1" 200.00 USD', *item, mark="⟦BAD⟧"))
    billing_case("billing-every-week", '"ct_1" 1200.00 USD', 'every: "week"', "until: 2023-01-01")
    billing_case("billing-every-number", '"ct_1" 1200.00 USD', "every: 1", "until: 2023-01-01")
    billing_case("billing-until-before", '"ct_1" 1200.00 USD', 'every: "month"', "until: 2021-01-01")
    billing_case("billing-until-equal", '"ct_1" 1200.00 USD', 'every: "month"', "until: 2022-01-01")
    billing_case("billing-until-string", '"ct_1" 1200.00 USD', 'every: "month"', 'until: "2023-01-01"')
    billing_case("billing-until-9999-12-31", '"ct_1" 1200.00 USD', 'every: "year"', "until: 9999-12-31")
    billing_case("billing-other-currency", '"ct_1" 1200.00 EUR', 'every: "month"', "until: 2023-01-01")
    billing_case("billing-unknown-contract", '"ct_2" 1200.00 USD', 'every: "month"', "until: 2023-01-01")
    billing_case("billing-one-value", '"ct_1"', 'every: "month"', "until: 2023-01-01")
    billing_case("billing-both-styles", '"ct_1" 1200.00 USD', 'every: "month"', "until: 2023-01-01",
                 extra=invoice("2022-01-15", "in_b1", "100.00", account="Income:Subscriptions",
                               head=('contract: "ct_1"',)))
    gen.simple("contract", "recorded-billing-unknown-contract",
               invoice("2022-01-15", "in_b2", "100.00", head=('contract: "ct_nope"',), pmark="⟦BAD⟧"))
    gen.simple("contract", "recorded-billing-other-currency", contract,
               custom("2022-01-01", "revrec-item", '"ct_1" 1200.00 USD', *item),
               invoice("2022-01-15", "in_b3", "100.00", "EUR", head=('contract: "ct_1"',), pmark="⟦BAD⟧"))
    # valid
    gen.simple("contract", "ok-unicode-id-and-html-customer",
               contract_block("契約 1/\u03b1", "<script>alert('x')</script>", every='"quarter"'))
    gen.simple("contract", "ok-jpy-quarterly", contract_block("ct_jpy", amount="1000000", currency="JPY",
                                                              every='"quarter"', until="2023-01-01"))
    gen.simple("contract", "ok-kwd-monthly", contract_block("ct_kwd", amount="1000.000", currency="KWD"))
    gen.simple("contract", "ok-immediate-item",
               contract_block("ct_i", item_meta=('item: "setup"', "account: Income:Services", 'treatment: "immediate"',
                                                 "service-start: 2022-02-01", "service-end: 2022-03-01")))
    gen.simple("contract", "ok-recorded-billing", contract, custom("2022-01-01", "revrec-item", '"ct_1" 1200.00 USD',
                                                                   *item),
               invoice("2022-01-01", "in_rb1", "600.00", account="Income:Subscriptions", head=('contract: "ct_1"',)),
               invoice("2022-07-01", "in_rb2", "600.00", account="Income:Subscriptions", head=('contract: "ct_1"',)))
    gen.simple("contract", "ok-year-one", contract_block("ct_old", date="0001-01-01",
                                                         service=("0001-01-01", "0001-07-01"), until="0001-07-01"),
               head=header(opened="0001-01-01"))
    gen.simple("contract", "ok-two-items-two-currencies",
               contract_block("ct_2c", amount="500.00", currency="EUR", billing=False)
               + custom("2022-01-01", "revrec-item", '"ct_2c" 70000 JPY', 'item: "jp"', "account: Income:Services",
                        "service-start: 2022-03-01", "service-end: 2022-09-01")
               + custom("2022-01-01", "revrec-billing", '"ct_2c" 70000 JPY', 'every: "month"', "until: 2022-07-01"))


def closes(gen: Gen) -> None:
    """``revrec-close`` in odd places, frozen entries without a close, and closes made by the CLI."""
    ratable = invoice("2022-03-01", "in_cl", "120.00", service=SERVICE, pmark="⟦GEN⟧")
    gen.simple("close", "close-with-values", custom("2022-06-30", "revrec-close", '"2022-06-30"', mark="⟦BAD⟧"),
               ratable)
    gen.simple("close", "close-9999-12-31", custom("9999-12-31", "revrec-close", "", mark="⟦BAD⟧"), ratable)
    frozen = ('2022-03-01 * "Acme" "Defer: Plan" #revrec ^in_cl⟦BAD⟧\n  revrec-kind: "deferral"\n'
              '  revrec-key: "in_cl/Income:Sales/deferral"\n  Income:Sales   120.00 USD\n'
              "  Liabilities:DeferredRevenue   -120.00 USD\n")
    gen.simple("close", "frozen-without-close", ratable.replace("⟦GEN⟧", ""), frozen,
               head=header(opens=(*OPENS, "Liabilities:DeferredRevenue")))
    gen.simple("close", "kind-without-key", ratable,
               '2022-02-01 * "Someone" "Hand-made"⟦BAD⟧\n  revrec-kind: "deferral"\n'
               "  Assets:Bank   5.00 USD\n  Income:Services   -5.00 USD\n")
    gen.simple("close", "ok-close-year-one", custom("0001-01-01", "revrec-close", ""), ratable,
               head=header(opened="0001-01-01"))
    gen.simple("close", "ok-two-closes-before-entries", custom("2021-06-30", "revrec-close", ""),
               custom("2021-12-31", "revrec-close", ""), ratable)
    gen.add("close", "ok-close-in-included-file-before-entries",
            header() + '\ninclude "closes/old.beancount"\n\n' + gen.body(ratable),
            ("closes/old.beancount", custom("2021-12-31", "revrec-close", "")))
    gen.simple("close", "ok-pad-balance-and-close", custom("2021-12-31", "revrec-close", ""),
               "2022-01-01 pad Assets:Bank Equity:Opening\n2022-02-01 balance Assets:Bank 500.00 USD\n", ratable)
    base = base_ledger(gen)
    cli = {"before-any-entry": (("close", "--through", "2021-12-31"),),
           "same-day-as-invoice": (("close", "--through", "2022-01-01"),),
           "mid-month": (("close", "--through", "2022-06-15"),),
           "twice": (("close", "--through", "2022-03-31"), ("close", "--through", "2022-06-30")),
           "into-subdirectory": (("close", "--through", "2022-06-30", "--file", "{dir}/books/closed.beancount"),),
           "then-reopen": (("close", "--through", "2022-09-30"), ("reopen", "--through", "2022-03-31")),
           "end-of-year": (("close", "--through", "2022-12-31"),)}
    for label, steps in cli.items():
        # bean-revrec writes into an existing folder: books/ holds a note
        gen.add("close", f"ok-cli-{label}", base.text(), ("books/notes.txt", "notes\n"), steps=steps,
                corrections=False)


# --------------------------------------------------------------------------------------------
# Edits after a close: the base ledger is closed by `bean-revrec close`, then edited.


class Base:
    """The valid ledger edit cases start from, as named blocks."""

    def __init__(self, gen: Gen) -> None:
        rng = gen.rng
        self.licence = f"{rng.randint(10, 30) * 60}.00"
        self.setup = f"{rng.randint(100, 900)}.00"
        self.blocks = {
            "head": header(),
            "rule": rule("prepaid-usage", 'product: "prod_prepaid"', 'treatment: "fulfillment"'),
            "contract": contract_block("ct_1", "Contoso", "2400.00", every='"quarter"', until="2023-01-01",
                                       service=("2022-01-01", "2023-01-01")),
            "in_81": invoice("2022-01-01", "in_81", self.licence, narration="Annual licence",
                             post=('product: "prod_licence"',), service=("2022-01-01", "2023-01-01")),
            "pay_81": payment("2022-03-01", "in_81", self.licence),
            "in_82": invoice("2022-02-01", "in_82", self.setup, account="Income:Services", payee="Beta",
                             narration="Setup fee"),
            "in_83": invoice("2022-02-15", "in_83", "100.00", payee="Beta", narration="Prepaid package",
                             line="il_83", post=('product: "prod_prepaid"',)),
            "event": custom("2022-04-10", "revrec-fulfill", '"il_83" 30.00 USD'),
            "cash": invoice("2022-03-01", None, "90.00", account="Income:Services", payee="Gamma",
                            narration="Cash sale, support", debit="Assets:Bank", service=("2022-03-01", "2022-06-01")),
            "in_84": invoice("2022-03-15", "in_84", "90.00", payee="Delta", narration="Quarterly plan", line="il_84",
                             service=("2022-03-15", "2022-06-15")),
            "cn_84": invoice("2022-05-01", "cn_84", "-30.00", payee="Delta", narration="Credit note",
                             post=('credit-for: "il_84"',)),
            "in_86": invoice("2022-04-01", "in_86", "120000", "JPY", payee="株式会社", narration="年間プラン",
                             service=("2022-04-01", "2023-04-01")),
            "in_85": invoice("2022-08-01", "in_85", "480.00", payee="Epsilon", narration="Late plan",
                             service=("2022-08-01", "2023-08-01")),
        }

    def text(self) -> str:
        return "\n".join(self.blocks.values())


def base_ledger(gen: Gen) -> Base:
    return Base(gen)


def mark_lines(block: str, marker: str) -> str:
    """Every non-empty line of ``block`` carries ``marker``."""
    return "\n".join(line + marker if line.strip() else line for line in block.split("\n"))


def replace_block(files: Files, old: str, new: str, name: str = MAIN) -> Files:
    assert old in files[name], old
    return {**files, name: files[name].replace(old, new, 1)}


def append(files: Files, text: str, name: str = MAIN) -> Files:
    return {**files, name: files.get(name, "") + "\n" + text}


def frozen_blocks(text: str) -> Iterator[tuple[int, int]]:
    """(first, last) line indexes of each frozen transaction in a closed-books file."""
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        if re.match(r"\d{4}-\d\d-\d\d \* ", lines[index]) and "#revrec" in lines[index]:
            end = index
            while end + 1 < len(lines) and lines[end + 1].startswith(" "):
                end += 1
            yield index, end
            index = end
        index += 1


def edits(gen: Gen) -> None:
    """Edit a closed ledger: changes of user transactions in the closed period are errors; rule,
    contract and event changes are corrections."""
    closing = (("close", "--through", "2022-06-30"),)

    def add(label: str, edit: Callable[[Base], Callable[[Files], Files]], *,
            steps: tuple[tuple[str, ...], ...] = closing, **options: object) -> None:
        base = base_ledger(gen)
        change = edit(base)
        if label in LOCKED:
            change = allow_closed_books(change)
        gen.add("edit", label, base.text(), steps=steps, edit=change, **options)

    def whole(marker: str) -> Callable[[str], str]:
        return lambda block: mark_lines(block, marker)


    # Errors: a user transaction dated in the closed period that moves a plugin account. Where the plugin can
    # tell the line (a treated line with entries there, none frozen, or whose frozen amount changed) the error is
    # at it (BAD); otherwise the close's locks name the account, month and difference (MAY, and some error).
    add("backdate-ratable-invoice", lambda _base: lambda files: append(files, whole("⟦BAD:edit⟧")(
        invoice("2022-04-01", "in_late", "600.00", service=("2022-04-01", "2023-04-01")))))
    add("backdate-immediate-invoice", lambda _base: lambda files: append(files, whole("⟦MAY⟧")(
        invoice("2022-05-05", "in_late2", "250.00", account="Income:Services"))), must_error=True)
    add("backdate-invoice-mid-month-close", lambda _base: lambda files: append(files, whole("⟦BAD:edit⟧")(
        invoice("2022-06-10", "in_late3", "99.00", service=("2022-06-10", "2022-07-10")))),
        steps=(("close", "--through", "2022-06-15"),))
    add("change-ratable-amount", lambda base: lambda files: replace_block(
        files, base.blocks["in_81"], whole("⟦BAD:edit⟧")(base.blocks["in_81"].replace(base.licence, "9999.00"))))
    add("change-immediate-amount", lambda base: lambda files: replace_block(
        files, base.blocks["in_82"], whole("⟦MAY⟧")(base.blocks["in_82"].replace(base.setup, "1.00"))),
        must_error=True)
    add("move-immediate-invoice-date", lambda base: lambda files: replace_block(
        files, base.blocks["in_82"], whole("⟦MAY⟧")(base.blocks["in_82"].replace("2022-02-01", "2022-03-01"))),
        must_error=True)
    add("backdate-payment", lambda base: lambda files: append(files, whole("⟦MAY⟧")(
        payment("2022-04-01", "in_82", base.setup))), must_error=True)
    add("backdate-credit", lambda _base: lambda files: append(files, whole("⟦BAD:edit⟧")(
        invoice("2022-06-01", "cn_85", "-20.00", payee="Delta", post=('credit-for: "il_84"',)))))
    add("backdate-cash-sale", lambda _base: lambda files: append(files, whole("⟦MAY⟧")(
        invoice("2022-02-02", None, "15.00", payee="Walk-in", debit="Assets:Bank"))), must_error=True)
    add("backdate-invoice-in-included-file", lambda _base: lambda files: {
        **append(files, 'include "late.beancount"'),
        "late.beancount": whole("⟦BAD:edit⟧")(invoice("2022-05-20", "in_inc", "70.00", service=("2022-05-20",
                                                                                              "2022-08-20")))})
    add("delete-closed-invoice", lambda base: lambda files: replace_block(files, base.blocks["in_82"], ""),
        must_error=True, loose=True)
    add("delete-close-directive", lambda _base: lambda files: {
        **files, CLOSED: mark_frozen(re.sub(r'(?m)^.*custom "revrec-close".*$', "", files[CLOSED]), "⟦BAD:frozen⟧")})
    add("duplicate-frozen-entry", lambda _base: lambda files: {**files, CLOSED: duplicate_first_frozen(files[CLOSED])})
    add("tamper-frozen-amount", lambda _base: lambda files: {**files, CLOSED: tamper_first_recognition(files[CLOSED])},
        must_error=True, loose=True)
    # Corrections, no error: rules, contracts and events reaching into the closed period.
    add("ok-add-rule-into-closed-period", lambda base: lambda files: replace_block(
        files, base.blocks["rule"], base.blocks["rule"] + "\n" + rule(
            "licence-6-months", 'product: "prod_licence"', 'treatment: "amortize 6 months"')), corrections=True)
    add("ok-change-rule-treatment", lambda base: lambda files: replace_block(
        files, base.blocks["rule"], base.blocks["rule"].replace('"fulfillment"', '"fulfillment 3 months"')),
        corrections=True)
    add("ok-add-event-in-closed-period", lambda _base: lambda files: append(
        files, custom("2022-05-20", "revrec-fulfill", '"il_83" 20.00 USD')), corrections=True)
    add("ok-change-event-amount", lambda base: lambda files: replace_block(
        files, base.blocks["event"], base.blocks["event"].replace("30.00 USD", "55.55 USD")), corrections=True)
    add("ok-change-item-amount", lambda base: lambda files: replace_block(
        files, base.blocks["contract"], base.blocks["contract"].replace('"ct_1" 2400.00 USD\n  item',
                                                                        '"ct_1" 3600.00 USD\n  item')),
        corrections=True)
    add("ok-change-billing-schedule", lambda base: lambda files: replace_block(
        files, base.blocks["contract"], base.blocks["contract"].replace('every: "quarter"', 'every: "month"')),
        corrections=True)
    add("ok-add-rule-with-unicode-name", lambda base: lambda files: replace_block(
        files, base.blocks["rule"], rule("サービス <b>", 'account: "Income:Services"', 'treatment: "defer 1 month"')
        + "\n" + base.blocks["rule"]), corrections=True)
    # No balance of a closed month moves: no error.
    add("ok-edit-narration", lambda base: lambda files: replace_block(
        files, base.blocks["in_81"], base.blocks["in_81"].replace('"Annual licence"', '"Licence <script>x</script>"')),
        corrections=False)
    add("ok-comments-and-blank-lines-on-top", lambda _base: lambda files: {
        **files, MAIN: "; a comment\n\n\n; caf\udce9 (a Latin-1 byte)\n" + files[MAIN]}, corrections=False)
    add("ok-add-invoice-after-close", lambda _base: lambda files: append(
        files, invoice("2022-07-01", "in_new", "36.00", service=("2022-07-01", "2022-10-01"))), corrections=False)
    add("ok-backdate-bank-only-transaction", lambda _base: lambda files: append(
        files, '2022-02-10 * "Landlord" "Rent"\n  Expenses:Misc   800.00 USD\n  Assets:Bank   -800.00 USD\n'),
        corrections=False)
    add("ok-earlier-hand-written-close", lambda _base: lambda files: append(
        files, custom("2022-03-31", "revrec-close", "")), corrections=False)
    # Debatable: no user posting moves, the plugin's view of a closed line does (corrections or an error there).
    add("change-closed-service-end", lambda base: lambda files: replace_block(
        files, base.blocks["in_81"], whole("⟦MAY⟧")(base.blocks["in_81"].replace("service-end: 2023-01-01",
                                                                                 "service-end: 2022-10-01"))))
    add("rename-closed-invoice-id", lambda base: lambda files: replace_block(
        files, base.blocks["in_81"], whole("⟦MAY⟧")(base.blocks["in_81"].replace('"in_81"', '"in_81b"'))))


LOCKED = ("backdate-ratable-invoice", "backdate-immediate-invoice", "backdate-invoice-mid-month-close",
          "change-ratable-amount", "change-immediate-amount", "move-immediate-invoice-date", "backdate-payment",
          "backdate-credit", "backdate-cash-sale", "backdate-invoice-in-included-file", "duplicate-frozen-entry",
          "change-closed-service-end", "rename-closed-invoice-id")
"""Edits after which errors are also allowed anywhere in the closed-books file: bean-revrec's own records
of the closed balances may report the change there too, besides the error required at the edited line."""


def allow_closed_books(edit: Callable[[Files], Files]) -> Callable[[Files], Files]:
    def changed(files: Files) -> Files:
        edited = edit(files)
        return {**edited, CLOSED: mark_lines(edited[CLOSED], "⟦MAY⟧")}
    return changed


def mark_frozen(text: str, marker: str) -> str:
    lines = text.split("\n")
    for first, _ in list(frozen_blocks(text)):
        lines[first] += marker
    return "\n".join(lines)


def duplicate_first_frozen(text: str) -> str:
    lines = text.split("\n")
    first, last = next(frozen_blocks(text))
    copy = lines[first:last + 1]
    lines[first] += "⟦MAY⟧"  # the first of the two may carry the error, the copy must
    copy[0] += "⟦BAD⟧"
    return "\n".join([*lines, "", *copy, ""])


def tamper_first_recognition(text: str) -> str:
    lines = text.split("\n")
    for first, last in frozen_blocks(text):
        if any('revrec-kind: "recognition"' in line for line in lines[first:last + 1]):
            for index in range(first, last + 1):
                lines[index] = re.sub(r"(-?)(\d+)\.(\d\d) USD", lambda m: f"{m[1]}{int(m[2]) + 1}.{m[3]} USD",
                                      lines[index])
            lines[first] += "⟦MAY⟧"
            return "\n".join(lines)
    raise AssertionError("no frozen recognition")


# --------------------------------------------------------------------------------------------


def names(gen: Gen) -> None:
    """Unicode and HTML in payees, narrations, ids and metadata; links of distinct ids."""
    gen.simple("unicode", "ok-emoji-and-rtl", invoice("2022-03-01", "in_u1", gen.amount(), payee="🚀 شركة \u200fعربية",
                                                      narration="Plan ✓ — \u202eevil", service=SERVICE, pmark="⟦GEN⟧"))
    gen.simple("unicode", "ok-html-everywhere",
               invoice("2022-03-01", "<img src=x onerror=alert(1)>", gen.amount(), payee="<script>alert(1)</script>",
                       narration="</td></tr><h1>x</h1>", head=('customer: "<script>alert(\'c\')</script>"',),
                       post=('product: "<b>prod</b>"',), line="<i>line</i>", service=SERVICE, pmark="⟦GEN⟧"))
    gen.simple("unicode", "ok-cjk-invoice-ids",
               invoice("2022-03-01", "発票-1", gen.amount(), service=SERVICE, pmark="⟦GEN⟧"),
               invoice("2022-03-02", "請求-1", gen.amount(), service=SERVICE, pmark="⟦GEN⟧"))
    gen.simple("unicode", "ok-ids-with-spaces",
               invoice("2022-03-01", "in 1", gen.amount(), service=SERVICE, pmark="⟦GEN⟧"),
               invoice("2022-03-02", "in-1", gen.amount(), service=SERVICE, pmark="⟦GEN⟧"),
               invoice("2022-03-03", "in_1", gen.amount(), service=SERVICE, pmark="⟦GEN⟧"))
    gen.simple("unicode", "ok-link-characters",
               invoice("2022-03-01", "^in#1/2.3", gen.amount(), service=SERVICE, pmark="⟦GEN⟧"),
               invoice("2022-03-01", "in 1/2.3", gen.amount(), service=SERVICE, pmark="⟦GEN⟧"))
    gen.simple("unicode", "ok-unicode-line-ids",
               invoice("2022-03-01", "in_u2", "100.00", line="行-1", revrec='"fulfillment"', pmark="⟦GEN⟧"),
               custom("2022-04-01", "revrec-fulfill", '"行-1" "50%"'))
    gen.simple("unicode", "ok-long-narration", invoice("2022-03-01", "in_u3", gen.amount(),
                                                       narration="Lorem ipsum " * 400, service=SERVICE, pmark="⟦GEN⟧"))
    gen.simple("unicode", "ok-newline-in-narration",
               invoice("2022-03-01", "in_u4", gen.amount(), narration="two\nlines", service=SERVICE, pmark="⟦GEN⟧"))
    gen.simple("unicode", "ok-escaped-quotes", invoice("2022-03-01", 'in_"q"', gen.amount(),
                                                       payee='Acme "Quotes" Inc', service=SERVICE, pmark="⟦GEN⟧"))
    gen.simple("unicode", "ok-combining-and-zero-width",
               invoice("2022-03-01", "in_u5", gen.amount(), payee="e\u0301te\u0301\u200d\ufeff", line="il\u200b5",
                       service=SERVICE, pmark="⟦GEN⟧"))
    gen.simple("unicode", "ok-very-long-id", invoice("2022-03-01", "in_" + "x" * 300, gen.amount(), service=SERVICE,
                                                     pmark="⟦GEN⟧"))
    gen.simple("unicode", "ok-unicode-product-rule", rule("<svg onload=alert(1)>", 'product: "製品 <b>"',
                                                          'treatment: "amortize 2 months"'),
               invoice("2022-03-01", "in_u6", gen.amount(), post=('product: "製品 <b>"',), pmark="⟦GEN⟧"))
    gen.simple("unicode", "ok-unicode-account", invoice("2022-03-01", "in_u7", gen.amount(), account="Income:Ventes-Été",
                                                        service=SERVICE, pmark="⟦GEN⟧"),
               head=header(opens=(*OPENS, "Income:Ventes-Été")))


def bytes_cases(gen: Gen) -> None:
    """Non-UTF-8 bytes: harmless in comments, an error at their line in strings and names."""
    ratable = invoice("2022-03-01", "in_n", gen.amount(), service=SERVICE, pmark="⟦GEN⟧")
    gen.simple("nonutf8", "ok-in-comments", "; caf\udce9 \udcff\udcfe \udc80\n" + ratable + "; \udced\udca0\udc80\n")
    gen.simple("nonutf8", "narration-latin1", invoice("2022-03-02", "in_n1", gen.amount(), narration="Caf\udce9",
                                                      service=SERVICE, mark="⟦BAD⟧"), ratable)
    gen.simple("nonutf8", "invoice-id", invoice("2022-03-02", "in_\udcff", gen.amount(), service=SERVICE).replace(
        '  invoice: "in_\udcff"', '  invoice: "in_\udcff"⟦BAD⟧'), ratable)
    gen.simple("nonutf8", "posting-metadata", invoice("2022-03-02", "in_n2", gen.amount(),
                                                      post=('product: "pr\udc80d"⟦BAD⟧',)), ratable)
    gen.simple("nonutf8", "rule-name", rule("r\udce9gle", 'product: "p"', 'treatment: "immediate"', mark="⟦BAD⟧"),
               ratable)
    gen.simple("nonutf8", "surrogate-encoding", invoice("2022-03-02", "in_n3", gen.amount(),
                                                        payee="\udced\udca0\udc80", mark="⟦BAD⟧"), ratable)
    gen.simple("nonutf8", "account-name", invoice("2022-03-02", "in_n4", gen.amount(), account="Income:Sal\udce9s",
                                                  pmark="⟦BAD⟧"), ratable, loose=True)
    gen.add("nonutf8", "in-included-file", header() + '\ninclude "latin1.beancount"\n\n' + gen.body(ratable),
            ("latin1.beancount", "; r\udce9sum\udce9\n" + invoice("2022-04-01", "in_n5", "10.00",
                                                                   narration="R\udce9sum\udce9", mark="⟦BAD⟧")))
    gen.add("nonutf8", "bad-config-and-latin1-comment",
            header(plugin="plugin \"beancount_revrec\" \"{'nope': 1}\"⟦BAD⟧") + "; caf\udce9\n" + ratable.replace(
                "⟦GEN⟧", ""))
    gen.add("nonutf8", "byte-order-mark", "\ufeff" + header().replace('option "title"', 'option "title"⟦BAD⟧', 1)
            + ratable.replace("⟦GEN⟧", ""), loose=True)


def currencies(gen: Gen) -> None:
    """Currencies with 0 and 3 (and 8) decimals, amounts below the precision, 28-digit amounts."""
    def ok(label: str, *chunks: str, **options: object) -> None:
        gen.simple("currency", f"ok-{label}", *chunks, **options)

    ok("jpy-ratable", invoice("2022-03-01", "in_y1", "1000", "JPY", service=("2022-03-10", "2022-10-03"),
                              pmark="⟦GEN⟧"))
    ok("jpy-mixed", invoice("2022-03-01", "in_y2", "100", "JPY", service=SERVICE, pmark="⟦GEN⟧",
                            revrec='"33.33% ratable monthly + 33.33% immediate + 33.34% fee"'))
    ok("jpy-one-yen-a-year", invoice("2022-03-01", "in_y3", "1", "JPY", service=SERVICE, pmark="⟦GEN⟧"))
    ok("jpy-with-a-decimal", invoice("2022-03-01", "in_y4", "1000", "JPY", service=SERVICE, pmark="⟦GEN⟧"),
       invoice("2022-03-01", "in_y5", "1000.5", "JPY", service=SERVICE, pmark="⟦GEN⟧"))
    ok("kwd-ratable", invoice("2022-03-01", "in_k1", "100.000", "KWD", service=("2022-03-10", "2022-10-03"),
                              pmark="⟦GEN⟧"))
    ok("kwd-fulfillment", invoice("2022-03-01", "in_k2", "10.000", "KWD", line="il_k2", revrec='"fulfillment"',
                                  pmark="⟦GEN⟧"), custom("2022-04-01", "revrec-fulfill", '"il_k2" "33.3333%"'),
       custom("2022-05-01", "revrec-fulfill", '"il_k2" 1.001 KWD'))
    ok("kwd-tiny", invoice("2022-03-01", "in_k3", "0.001", "KWD", service=SERVICE, pmark="⟦GEN⟧"))
    ok("usd-below-precision", invoice("2022-03-01", "in_d1", "0.001", service=SERVICE, pmark="⟦GEN⟧"),
       invoice("2022-03-01", "in_d2", "0.015", service=SERVICE, revrec='"50% ratable + 50% immediate"', pmark="⟦GEN⟧"))
    ok("one-cent-daily", invoice("2022-01-01", "in_d3", "0.01", service=("2022-01-01", "2023-01-01"), pmark="⟦GEN⟧"))
    ok("zero-amount", invoice("2022-03-01", "in_d4", "0.00", service=SERVICE))
    ok("negative-proration", invoice("2022-03-01", "in_d5", "-45.00", service=SERVICE, pmark="⟦GEN⟧"))
    gen.add("currency", "ok-config-precision",
            header(plugin="plugin \"beancount_revrec\" \"{'precision': {'JPY': 0, 'KWD': 3, 'BTC': 8}}\"")
            + "\n" + gen.body(invoice("2022-03-01", "in_p1", "0.12345678", "BTC", service=SERVICE, pmark="⟦GEN⟧"),
                              invoice("2022-03-01", "in_p2", "7.0", "KWD", service=SERVICE, pmark="⟦GEN⟧")))
    ok("two-currencies-one-invoice",
       '2022-03-01 * "Acme" "Mixed"\n  invoice: "in_m"\n  Assets:AccountsReceivable  100.00 EUR\n'
       "  Assets:AccountsReceivable  5000 JPY\n  Income:Sales  -100.00 EUR⟦GEN⟧\n    service-start: 2022-03-01\n"
       "    service-end: 2022-06-01\n  Income:Services  -5000 JPY⟦GEN⟧\n    service-start: 2022-03-01\n"
       "    service-end: 2022-09-01\n")
    ok("vnd-billions", invoice("2022-03-01", "in_v", "123456789012", "VND", service=SERVICE, pmark="⟦GEN⟧"))
    for label, amount, currency in (("28-digit-integer", "1234567890123456789012345678", "USD"),
                                    ("28-digit-decimals", "12345678901234567890123456.78", "USD"),
                                    ("28-digit-kwd", "1234567890123456789012345.678", "KWD")):
        gen.simple("currency", label, invoice("2022-03-01", f"in_{label}", amount, currency, service=SERVICE,
                                              mark="⟦MAY⟧", pmark="⟦MAY⟧"))
        gen.simple("currency", f"{label}-mixed", invoice("2022-03-01", f"in_{label}", amount, currency,
                                                         service=SERVICE, mark="⟦MAY⟧", pmark="⟦MAY⟧",
                                                         revrec='"30% ratable + 30% tax + 40% immediate"'))


def payments(gen: Gen) -> None:
    """Payments before their invoice, above it on the same day, never, or in parts."""
    plan = '"amortize 3 months from payment"'
    gen.simple("payment", "ok-before-invoice-by-link",
               payment("2022-02-20", "pay_x", "90.00", link=" ^deal-1").replace('invoice: "pay_x"', 'note: "early"'),
               invoice("2022-03-01", "in_p1", "90.00", line="il_p1", revrec=plan, tags=" ^deal-1", pmark="⟦GEN⟧"),
               fillers=1)
    gen.simple("payment", "ok-before-invoice-by-id", payment("2022-02-20", "in_p2", "90.00"),
               invoice("2022-03-01", "in_p2", "90.00", line="il_p2", revrec=plan, pmark="⟦GEN⟧"))
    gen.simple("payment", "ok-same-day-above-invoice", payment("2022-03-01", "in_p3", "90.00"),
               invoice("2022-03-01", "in_p3", "90.00", line="il_p3", revrec='"defer 0 days from payment"',
                       pmark="⟦GEN⟧"))
    gen.simple("payment", "ok-never-paid", invoice("2022-03-01", "in_p4", "90.00", line="il_p4", revrec=plan,
                                                   pmark="⟦GEN⟧"), unpaid=("il_p4",))
    gen.simple("payment", "ok-paid-in-parts", invoice("2022-03-01", "in_p5", "90.00", line="il_p5", revrec=plan,
                                                      pmark="⟦GEN⟧"),
               payment("2022-03-10", "in_p5", "30.00"), payment("2022-04-10", "in_p5", "60.00"))
    gen.simple("payment", "ok-rule-cash-basis", rule("cash-basis", 'account: "Income:Services"',
                                                     'treatment: "defer 0 days from payment"'),
               invoice("2022-03-01", "in_p6", "40.00", account="Income:Services", line="il_p6", pmark="⟦GEN⟧"),
               payment("2022-05-31", "in_p6", "40.00"))
    gen.simple("payment", "ok-payment-in-year-one-for-2022-invoice",
               payment("0001-01-01", "in_p7", "40.00"),
               invoice("2022-03-01", "in_p7", "40.00", line="il_p7", revrec=plan, pmark="⟦GEN⟧"),
               head=header(opened="0001-01-01"))


def configs(gen: Gen) -> None:
    """The plugin's configuration: the one input that may disable the plugin (error at the plugin line)."""
    body = invoice("2022-03-01", "in_cfg", "120.00", service=SERVICE)
    bad = {"not-a-dict": "['deferred']", "syntax": "{", "unknown-key": "{'deferrd': 'Liabilities:X'}",
           "wrong-root": "{'deferred': 'Deferred:Revenue'}", "precision-negative": "{'precision': {'JPY': -1}}",
           "precision-bool": "{'precision': {'JPY': True}}", "revenue-empty": "{'revenue': []}",
           "none": "None", "huge-number": "{'precision': {'JPY': " + "9" * 5000 + "}}",
           "deep-nesting": "[" * 1000 + "]" * 1000, "html": "{'deferred': '<script>'}",
           "unicode-account": "{'deferred': 'Liabilities:Ééé Ö'}"}
    for label, config in bad.items():
        plugin = f'; leading comment\nplugin "beancount_revrec" {q(config)}⟦BAD⟧'
        gen.add("config", label, header(plugin=plugin) + "\n" + body)
    gen.add("config", "ok-renamed-deferred",
            header(plugin="plugin \"beancount_revrec\" \"{'deferred': 'Liabilities:Unearned', 'contra': "
                          "'Income:Refunds:Credits'}\"")
            + "\n" + gen.body(invoice("2022-03-01", "in_cfg", "120.00", service=SERVICE, pmark="⟦GEN⟧")))
    gen.add("config", "ok-revenue-list",
            header(plugin="plugin \"beancount_revrec\" \"{'revenue': ['Income:Sales']}\"") + "\n"
            + gen.body(invoice("2022-03-01", "in_rv", "50.00", account="Income:Services", service=SERVICE)))
    gen.add("config", "ok-renamed-income-root",
            'option "name_income" "Revenue"\n' + header(opens=("Assets:AccountsReceivable", "Revenue:Sales"))
            + "\n" + invoice("2022-03-01", "in_rr", "80.00", account="Revenue:Sales", service=SERVICE, pmark="⟦GEN⟧"))


def accounts(gen: Gen) -> None:
    """Accounts: a typo stays Beancount's error (the plugin opens none of the user's accounts)."""
    gen.simple("account", "unopened-income-account",
               invoice("2022-03-01", "in_a1", "120.00", account="Income:Sals", service=SERVICE, mark="⟦BAD:a⟧",
                       pmark="⟦MAY⟧"))
    gen.simple("account", "income-opened-after-invoice",
               invoice("2022-03-01", "in_a2", "120.00", account="Income:Late", service=SERVICE, mark="⟦BAD:a⟧",
                       pmark="⟦MAY⟧"), "2022-06-01 open Income:Late\n")
    gen.simple("account", "income-closed-mid-schedule",
               invoice("2022-03-01", "in_a3", "120.00", account="Income:Old", service=SERVICE, pmark="⟦BAD:a⟧"),
               "2022-01-01 open Income:Old\n2022-06-30 close Income:Old⟦BAD:a⟧\n")
    gen.simple("account", "deferred-closed-early",
               invoice("2022-03-01", "in_a4", "120.00", service=SERVICE, pmark="⟦BAD:a⟧"),
               "2022-01-01 open Liabilities:DeferredRevenue\n2022-04-30 close Liabilities:DeferredRevenue⟦BAD:a⟧\n",
               fillers=0)
    gen.simple("account", "deferred-constrained-to-eur",
               invoice("2022-03-01", "in_a5", "120.00", service=SERVICE, pmark="⟦BAD:a⟧"),
               "2022-01-01 open Liabilities:DeferredRevenue EUR⟦BAD:a⟧\n", fillers=0)
    gen.simple("account", "ok-revenue-in-expenses",
               invoice("2022-03-01", "in_a6", "10.00", account="Expenses:Misc", service=SERVICE))
    gen.simple("account", "ok-plugin-accounts-opened-by-user",
               invoice("2022-03-01", "in_a7", "120.00", service=SERVICE, revrec='"50% ratable + 50% tax"',
                       pmark="⟦GEN⟧"),
               head=header(opens=(*OPENS, "Liabilities:DeferredRevenue", "Liabilities:TaxLiability")))


def amounts(gen: Gen) -> None:
    """Lines: duplicate ids, many lines on one invoice, repeated invoice ids."""
    lines = "".join(f"  Income:Sales   -{index}.{index:02d} USD{'⟦BAD⟧' if index == 7 else '⟦GEN⟧'}\n"
                    f'    line: "il_many_{min(index, 6) if index == 7 else index}"\n'
                    f"    service-start: 2022-03-01\n    service-end: 2022-0{3 + index % 6}-15\n"
                    for index in range(1, 10))
    total = sum(Decimal(f"{index}.{index:02d}") for index in range(1, 10))
    gen.simple("line", "many-lines-duplicate-id",
               f'2022-03-01 * "Acme" "Bundle"\n  invoice: "in_many"\n  Assets:AccountsReceivable  {total} USD\n'
               + lines)
    gen.simple("line", "duplicate-id-across-invoices",
               invoice("2022-03-01", "in_d1", "10.00", line="il_same", service=SERVICE, pmark="⟦GEN⟧"),
               invoice("2022-03-02", "in_d2", "20.00", line="il_same", service=SERVICE, pmark="⟦BAD⟧"))
    gen.simple("line", "ok-same-invoice-id-twice",
               invoice("2022-03-01", "in_same", "10.00", service=SERVICE, pmark="⟦GEN⟧"),
               invoice("2022-03-02", "in_same", "20.00", service=SERVICE, pmark="⟦GEN⟧"))
    gen.simple("line", "ok-tagged-revrec-by-hand",
               invoice("2022-03-01", "in_tag", "10.00", service=SERVICE, tags=" #revrec", pmark="⟦GEN⟧"))
    gen.simple("line", "ok-huge-quantity",
               invoice("2022-03-01", "in_hq", "100.00", line="il_hq", revrec='"fulfillment"',
                       post=("quantity: 1000000000000000000000000000",), pmark="⟦GEN⟧"),
               custom("2022-04-01", "revrec-fulfill", '"il_hq" 333333333333333333333333333'))


def syntax(gen: Gen) -> None:
    """Beancount syntax errors next to revrec input: Beancount's own errors, at their line."""
    ratable = invoice("2022-03-01", "in_x", gen.amount(), service=SERVICE)
    gen.simple("syntax", "unterminated-string", ratable, '\n2022-04-01 * "Acme "oops⟦BAD⟧\n  Assets:Bank 1.00 USD\n'
               "  Income:Sales -1.00 USD\n", loose=True)
    gen.simple("syntax", "month-13", ratable, '\n2022-13-01 * "Acme" "x"⟦BAD⟧\n  Assets:Bank 1.00 USD\n'
               "  Income:Sales -1.00 USD\n", loose=True)
    gen.simple("syntax", "unindented-posting", ratable, '\n2022-04-01 * "Acme" "x"⟦MAY⟧\n  Assets:Bank 1.00 USD\n'
               "Income:Sales -1.00 USD⟦BAD⟧\n", loose=True)
    gen.simple("syntax", "custom-bad-number", ratable, custom("2022-04-01", "revrec-fulfill", '"il" 10.00.00 USD',
                                                              mark="⟦BAD⟧"), loose=True)
    gen.simple("syntax", "uppercase-metadata-key", invoice("2022-03-05", "in_xu", "10.00",
                                                           post=("Service-Start: 2022-03-01⟦BAD⟧",)), ratable,
               loose=True)


CATCH_UP_OFF = "plugin \"beancount_revrec\" \"{'catch-up': 'off'}\""


def catch_up_cases(gen: Gen) -> None:
    """``{'catch-up': 'off'}``: service and usage before the invoice, recognised in their own months (unbilled)."""
    head = header(plugin=CATCH_UP_OFF)
    gen.simple("catch-up", "ok-arrears-line", invoice("2022-04-01", "in_ar", "92.00", service=("2022-01-15", "2022-07-15"),
                                                      pmark="⟦GEN⟧"), head=head)
    gen.simple("catch-up", "ok-all-service-before-invoice",
               invoice("2022-05-01", "in_all", "61.00", service=("2022-03-01", "2022-05-01"), pmark="⟦GEN⟧"), head=head)
    gen.simple("catch-up", "ok-negative-proration",
               invoice("2022-05-01", "in_pr", "-30.00", service=("2022-04-21", "2022-05-01"), pmark="⟦GEN⟧"),
               invoice("2022-05-01", "in_up", "40.00", service=("2022-04-21", "2022-05-01"), pmark="⟦GEN⟧"), head=head)
    gen.simple("catch-up", "ok-usage-before-invoice",
               invoice("2022-05-01", "in_use", "100.00", line="il_use", revrec='"fulfillment"', post=("quantity: 100",),
                       pmark="⟦GEN⟧"),
               custom("2022-03-02", "revrec-fulfill", '"il_use" 20'), custom("2022-04-28", "revrec-fulfill", '"il_use" 25'),
               custom("2022-06-01", "revrec-fulfill", '"il_use" 15'), head=head)
    gen.simple("catch-up", "ok-on-a-past-date-and-mixed",
               invoice("2022-03-01", "in_mx", "300.00", service=("2022-01-01", "2022-07-01"), pmark="⟦GEN⟧",
                       revrec='"50% ratable + 20% on 2022-02-14 + 10% tax + 20% immediate"'), head=head)
    gen.simple("catch-up", "ok-jpy-from-service-start",
               invoice("2022-06-01", "in_jy", "100000", "JPY", service=("2022-02-10", "2022-08-10"),
                       revrec='"amortize 7 months from service-start monthly-prorated"', pmark="⟦GEN⟧"), head=head)
    gen.simple("catch-up", "ok-renamed-unbilled",
               invoice("2022-04-01", "in_rn", "92.00", service=("2022-01-15", "2022-07-15"), pmark="⟦GEN⟧"),
               head=header(plugin="plugin \"beancount_revrec\" \"{'catch-up': 'off', 'unbilled': "
                                  "'Assets:Receivables:Unbilled'}\""))
    gen.simple("catch-up", "ok-explicit-on", invoice("2022-04-01", "in_on", "92.00", service=("2022-01-15", "2022-07-15"),
                                                     pmark="⟦GEN⟧"),
               head=header(plugin="plugin \"beancount_revrec\" \"{'catch-up': 'on'}\""))
    gen.simple("catch-up", "event-before-line-with-catch-up",
               invoice("2022-05-01", "in_ev", "100.00", line="il_ev", revrec='"fulfillment"', pmark="⟦GEN⟧"),
               custom("2022-04-02", "revrec-fulfill", '"il_ev" 20.00 USD', mark="⟦BAD⟧"))
    bad = {"bad-value": "{'catch-up': 'no'}", "bad-bool": "{'catch-up': False}", "bad-capitalised": "{'catch-up': 'Off'}",
           "bad-unbilled-account": "{'catch-up': 'off', 'unbilled': 'Unbilled'}"}
    for label, config in bad.items():
        gen.add("catch-up", label, header(plugin=f'plugin "beancount_revrec" {q(config)}⟦BAD⟧') + "\n"
                + invoice("2022-04-01", "in_bad", "92.00", service=("2022-01-15", "2022-07-15")))
    # invoiced after the close for service in the closed months: corrections on the first open day, no error
    base = head + "\n" + invoice("2022-01-01", "in_base", "120.00", service=("2022-01-01", "2022-07-01"))
    gen.add("catch-up", "ok-arrears-invoice-after-close", base, steps=(("close", "--through", "2022-06-30"),),
            edit=lambda files: append(files, invoice("2022-07-05", "in_late", "92.00",
                                                     service=("2022-05-15", "2022-08-15"))), corrections=True)
    gen.add("catch-up", "ok-close-through-unbilled-months",
            base + "\n" + invoice("2022-08-01", "in_aug", "92.00", service=("2022-05-01", "2022-08-01")),
            steps=(("close", "--through", "2022-06-30"),), corrections=False)


# --------------------------------------------------------------------------------------------
# Credit kinds, voids, write-offs and recoveries (README: Credits, refunds, disputes, voids and write-offs).

KINDS_CONFIG = ("{'credit-note': 'Income:CreditNotes', 'dispute': 'Income:Disputes', 'write-off': 'Expenses:BadDebt', "
                "'void': 'Income:Voids', 'other-loss': 'Expenses:Loss:Other', 'recoverables': 'Income:Recovered'}")
CREDIT_KINDS = ("refund", "credit-note", "dispute", "write-off", "void")
YEAR = ("2022-01-01", "2023-01-01")


def plugin_line(config: str) -> str:
    return f'plugin "beancount_revrec" {q(config)}'


def kind_credit(date: str, amount: str, kind: str | None = None, *, target: str = '"il_k"', mark: str = "⟦GEN⟧",
                ident: str = "cn_1", currency: str = "USD", head: tuple[str, ...] = ()) -> str:
    """A credit note of ``amount`` for ``target`` (a line id), of ``kind`` (raw metadata value) if given."""
    post = (f"credit-for: {target}", *((f"credit-kind: {kind}",) if kind is not None else ()))
    return invoice(date, ident, neg(amount), currency, post=post, pmark=mark, head=head, narration="Credit note")


def two_line_invoice(date: str, ident: str, first: str, second: str, *, line: str = "il_v", mark: str = "⟦GEN⟧",
                     tags: str = "") -> str:
    """An invoice of two ratable lines: ``first`` with a line id, ``second`` without (keyed INVOICE/ACCOUNT)."""
    total = Decimal(first) + Decimal(second)
    return (f'{date} * "Acme" "Two lines"{tags}\n  invoice: {q(ident)}\n  Assets:AccountsReceivable   {total} USD\n'
            f"  Income:Sales   -{first} USD{mark}\n    line: {q(line)}\n"
            f"    service-start: {date}\n    service-end: 2023-01-01\n"
            f"  Income:Services   -{second} USD{mark}\n    service-start: {date}\n    service-end: 2022-07-01\n")


def status(date: str, kind: str, ident: str = '"in_k"', mark: str = "⟦GEN⟧") -> str:
    """``revrec-void`` or ``revrec-uncollectible`` (``kind``) of the invoice ``ident`` (raw values)."""
    return custom(date, f"revrec-{kind}", ident, mark=mark)


def contra_cases(gen: Gen) -> None:  # noqa: PLR0915 - one family, case after case
    """Credit kinds and their contra accounts, ``credit-split``, voids, write-offs, recoveries, ``exclude on``."""
    line = invoice("2022-01-01", "in_k", "120.00", line="il_k", service=YEAR, pmark="⟦GEN⟧")
    monthly = invoice("2022-01-01", "in_k", "100.00", line="il_k", service=("2022-01-01", "2022-11-01"),
                      revrec='"ratable monthly"', pmark="⟦GEN⟧")
    kinds_head = header(plugin=plugin_line(KINDS_CONFIG))
    first_head = header(plugin=plugin_line("{'credit-split': 'deferred-first'}"))

    def ok(label: str, *chunks: str, **options: object) -> None:
        gen.simple("contra", f"ok-{label}", *chunks, **options)

    # Each kind, to the contra account (none configured) and to its own account.
    for kind in CREDIT_KINDS:
        ok(f"kind-{kind}", line, kind_credit("2022-02-14", "45.00", q(kind)))
        ok(f"kind-{kind}-own-account", line, kind_credit("2022-02-14", "45.00", q(kind)), head=kinds_head)
    ok("kind-on-transaction", line, kind_credit("2022-03-10", "30.00", head=('credit-kind: "credit-note"',)),
       head=kinds_head)
    split = ('2022-02-01 * "Acme" "Credit note across kinds"\n  invoice: "cn_s"\n'
             "  Assets:AccountsReceivable   -55.00 USD\n"
             '  Income:Sales   15.00 USD⟦GEN⟧\n    credit-for: "il_k"\n    credit-kind: "refund"\n'
             '  Income:Sales   30.00 USD⟦GEN⟧\n    credit-for: "il_k"\n    credit-kind: "credit-note"\n'
             '  Income:Sales   10.00 USD⟦GEN⟧\n    credit-for: "il_k"\n    credit-kind: "dispute"\n')
    ok("split-across-kinds", line, split)
    ok("split-across-kinds-own-accounts", line, split, head=kinds_head)
    ok("split-across-two-lines", line,
       invoice("2022-01-05", "in_k2", "90.00", line="il_k2", service=("2022-01-05", "2022-04-05"), pmark="⟦GEN⟧"),
       '2022-02-20 * "Acme" "One credit note, two lines"\n  invoice: "cn_2l"\n'
       "  Assets:AccountsReceivable   -70.00 USD\n"
       '  Income:Sales   40.00 USD⟦GEN⟧\n    credit-for: "il_k"\n    credit-kind: "credit-note"\n'
       '  Income:Sales   30.00 USD⟦GEN⟧\n    credit-for: "il_k2"\n    credit-kind: "write-off"\n', head=kinds_head)
    # credit-split
    ok("deferred-first", line, kind_credit("2022-02-14", "45.00", '"credit-note"'),
       kind_credit("2022-09-30", "50.00", ident="cn_2"), head=first_head)
    ok("deferred-first-dispute-beyond-line", monthly, kind_credit("2022-02-01", "80.00"),
       kind_credit("2022-03-01", "80.00", '"dispute"', ident="dp_1"), head=first_head)
    ok("explicit-proportional", line, kind_credit("2022-02-14", "45.00", '"credit-note"'),
       head=header(plugin=plugin_line("{'credit-split': 'proportional', 'credit-note': 'Income:CreditNotes'}")))
    ok("deferred-first-own-accounts", line, kind_credit("2022-11-20", "119.99", '"write-off"'),
       head=header(plugin=plugin_line(KINDS_CONFIG[:-1] + ", 'credit-split': 'deferred-first'}")))
    # Disputes beyond their line (Stripe's example: 100.00 over ten months, 80.00 refunded, then 80.00 disputed).
    ok("dispute-beyond-line", monthly, kind_credit("2022-02-01", "80.00"),
       kind_credit("2022-03-01", "80.00", '"dispute"', ident="dp_1"))
    ok("dispute-beyond-line-own-accounts", monthly, kind_credit("2022-02-01", "80.00"),
       kind_credit("2022-03-01", "80.00", '"dispute"', ident="dp_1"), head=kinds_head)
    ok("dispute-after-full-refund", line, kind_credit("2022-02-01", "120.00"),
       kind_credit("2022-03-01", "50.00", '"dispute"', ident="dp_1"), head=kinds_head)
    ok("dispute-larger-than-line", line, kind_credit("2022-06-15", "150.00", '"dispute"'))
    # Lines with reclassified shares: the credit takes its share of them too.
    taxed = invoice("2022-01-01", "in_k", "120.00", line="il_k", service=YEAR, revrec='"80% ratable + 20% tax"',
                    pmark="⟦GEN⟧")
    ok("credit-of-tax-share", taxed, kind_credit("2022-04-10", "60.00", '"credit-note"'), head=kinds_head)
    ok("credit-of-every-reclass", invoice("2022-01-01", "in_k", "100.00", line="il_k", service=YEAR, pmark="⟦GEN⟧",
                                          revrec='"20% ratable + 20% tax + 20% fee + 20% passthrough + 20% exclude"'),
       kind_credit("2022-05-05", "33.33", '"dispute"'), kind_credit("2022-06-05", "66.67", '"void"', ident="cn_2"))
    # Voids and write-offs of a whole invoice: the plugin credits what is left of each line.
    two = two_line_invoice("2022-01-01", "in_v", "100.00", "20.00")
    for kind in ("void", "uncollectible"):
        ok(kind, two, status("2022-03-10", kind, '"in_v"'))
        ok(f"{kind}-own-account", two, status("2022-03-10", kind, '"in_v"'), head=kinds_head)
        ok(f"{kind}-on-invoice-date", line, status("2022-01-01", kind))
        ok(f"{kind}-after-credit", two, kind_credit("2022-02-01", "30.00", '"credit-note"', target='"il_v"'),
           status("2022-03-10", kind, '"in_v"'), head=kinds_head)
        ok(f"{kind}-same-day-as-credit", line, kind_credit("2022-03-10", "30.00"), status("2022-03-10", kind))
        ok(f"{kind}-of-tax-share-line", taxed, status("2022-05-31", kind), head=kinds_head)
        ok(f"{kind}-jpy", invoice("2022-01-01", "in_k", "100000", "JPY", line="il_k", service=YEAR, pmark="⟦GEN⟧"),
           status("2022-02-17", kind))
    ok("void-fully-credited-line", two, kind_credit("2022-02-01", "100.00", target='"il_v"'),
       status("2022-03-10", "void", '"in_v"'))
    ok("void-unicode-invoice-id", invoice("2022-01-01", "発票 <b>1</b>", "120.00", service=YEAR, pmark="⟦GEN⟧"),
       status("2022-04-01", "void", q("発票 <b>1</b>")))
    ok("void-unpaid-from-payment-line",
       invoice("2022-01-01", "in_k", "75.00", line="il_k", revrec='"amortize 3 months from payment"', pmark="⟦GEN⟧"),
       status("2022-02-01", "void"), unpaid=("il_k",))
    ok("write-off-credit-then-uncollectible", line, kind_credit("2022-02-01", "20.00", '"write-off"'),
       status("2022-04-01", "uncollectible"), head=kinds_head)
    # Payments of a written-off invoice: recoveries (contra revenue back first, the rest recoverables).
    recovery = {"paid-in-part": (("2022-05-01", "50.00"),), "paid-in-full": (("2022-05-01", "120.00"),),
                "paid-in-two-parts": (("2022-04-01", "10.00"), ("2022-06-01", "110.00")),
                "paid-twice-the-same-day": (("2022-05-01", "10.00"), ("2022-05-01", "30.00"))}
    for label, pays in recovery.items():
        ok(f"uncollectible-{label}", line, status("2022-03-10", "uncollectible"),
           *(payment(date, "in_k", amount, mark="⟦GEN⟧") for date, amount in pays),
           head=kinds_head)
    ok("uncollectible-paid-by-link",
       invoice("2022-01-01", "in_k", "120.00", line="il_k", service=YEAR, pmark="⟦GEN⟧", tags=" ^deal-7"),
       status("2022-03-10", "uncollectible"),
       payment("2022-05-01", "pay_7", "60.00", link=" ^deal-7").replace('invoice: "pay_7"', 'note: "by link"'))
    ok("uncollectible-two-lines-paid-in-part", two, status("2022-03-10", "uncollectible", '"in_v"'),
       payment("2022-05-01", "in_v", "33.33"), head=kinds_head)
    ok("uncollectible-from-payment-line-then-paid",
       invoice("2022-01-01", "in_k", "120.00", line="il_k", revrec='"defer 0 days from payment"', pmark="⟦GEN⟧"),
       status("2022-02-01", "uncollectible"), payment("2022-03-01", "in_k", "50.00"))
    ok("void-after-uncollectible", two, status("2022-03-10", "uncollectible", '"in_v"'),
       status("2022-04-10", "void", '"in_v"', mark=""))
    ok("void-after-uncollectible-own-accounts", two, status("2022-03-10", "uncollectible", '"in_v"'),
       status("2022-04-10", "void", '"in_v"'), head=kinds_head)
    ok("void-after-uncollectible-paid-in-part", line, status("2022-03-10", "uncollectible"),
       payment("2022-04-01", "in_k", "10.00"), status("2022-04-10", "void"), head=kinds_head)
    ok("refund-after-recovery", line, status("2022-03-10", "uncollectible"), payment("2022-05-01", "in_k", "120.00"),
       kind_credit("2022-06-01", "30.00"), head=kinds_head)
    ok("dispute-after-recovery", line, status("2022-03-10", "uncollectible"), payment("2022-05-01", "in_k", "120.00"),
       kind_credit("2022-06-01", "120.00", '"dispute"'))
    ok("dispute-beyond-partial-recovery", line, status("2022-03-10", "uncollectible"),
       payment("2022-05-01", "in_k", "50.00"), kind_credit("2022-06-01", "80.00", '"dispute"'), head=kinds_head)
    # Exclusions on a date (a rule, a line's own treatment, a share of it), and a credit after the exclusion.
    ok("exclude-on-date-rule", rule("exclude-test-payment", 'line: "ch_test"', 'treatment: "exclude on 2022-02-05"'),
       invoice("2022-01-05", None, "10.00", line="ch_test", debit="Assets:Bank", pmark="⟦GEN⟧"))
    ok("exclude-on-date-override", invoice("2022-01-05", "in_x", "10.00", line="il_x",
                                           revrec='"exclude on 2022-02-05"', pmark="⟦GEN⟧"))
    ok("exclude-on-line-date", invoice("2022-01-05", "in_x", "10.00", revrec='"exclude on 2022-01-05"',
                                       pmark="⟦GEN⟧"))
    ok("exclude-on-date-share", invoice("2022-01-05", "in_x", "90.00", line="il_x", service=YEAR, pmark="⟦GEN⟧",
                                        revrec='"50% ratable + 50% exclude on 2022-06-30"'))
    ok("exclude-on-date-then-refund", invoice("2022-01-05", "in_x", "10.00", line="il_x",
                                              revrec='"exclude on 2022-02-05"', pmark="⟦GEN⟧"),
       kind_credit("2022-03-01", "4.00", target='"il_x"'))

    # Errors.
    def bad(label: str, *chunks: str, **options: object) -> None:
        gen.simple("contra", label, *chunks, **options)

    for label, kind in {"unknown-kind": '"chargeback"', "kind-number": "12", "kind-capitalised": '"Refund"',
                        "kind-html": '"<script>void</script>"', "kind-uncollectible": '"uncollectible"'}.items():
        bad(label, line, kind_credit("2022-02-14", "45.00", kind, mark="⟦BAD⟧"))
    bad("unknown-kind-on-transaction", line, kind_credit("2022-02-14", "45.00", mark="⟦BAD⟧",
                                                         head=('credit-kind: "chargeback"',)))
    for kind in ("void", "uncollectible"):
        bad(f"{kind}-unknown-invoice", line, status("2022-03-10", kind, '"in_none"', mark="⟦BAD⟧"))
        bad(f"{kind}-no-id", line, status("2022-03-10", kind, "", mark="⟦BAD⟧"))
        bad(f"{kind}-blank-id", line, status("2022-03-10", kind, '"   "', mark="⟦BAD⟧"))
        bad(f"{kind}-number-id", line, status("2022-03-10", kind, "12", mark="⟦BAD⟧"))
        bad(f"{kind}-two-ids", line, status("2022-03-10", kind, '"in_k" "in_k"', mark="⟦BAD⟧"))
        bad(f"{kind}-of-a-credit-note", line, kind_credit("2022-02-01", "20.00"),
            status("2022-03-10", kind, '"cn_1"', mark="⟦BAD⟧"))
        bad(f"{kind}-after-payment", line, payment("2022-02-01", "in_k", "20.00"),
            status("2022-03-10", kind, mark="⟦BAD⟧"))
        bad(f"{kind}-same-day-as-payment", line, payment("2022-03-10", "in_k", "20.00"),
            status("2022-03-10", kind, mark="⟦BAD⟧"))
    bad("second-void", line, status("2022-03-10", "void"), status("2022-04-10", "void", mark="⟦BAD⟧"))
    bad("second-uncollectible", line, status("2022-03-10", "uncollectible"),
        status("2022-04-10", "uncollectible", mark="⟦BAD⟧"))
    bad("uncollectible-after-void", line, status("2022-03-10", "void"),
        status("2022-04-10", "uncollectible", mark="⟦BAD⟧"))
    bad("payment-after-void", line, status("2022-03-10", "void", mark="⟦BAD:paid⟧"),
        payment("2022-04-01", "in_k", "120.00", mark="⟦BAD:paid⟧"))
    bad("payment-after-uncollectible-and-void", line, status("2022-03-10", "uncollectible"),
        status("2022-04-10", "void", mark="⟦BAD:paid⟧"), payment("2022-05-01", "in_k", "10.00", mark="⟦BAD:paid⟧"))
    bad("recovery-larger-than-open", line, status("2022-03-10", "uncollectible"),
        payment("2022-05-01", "in_k", "150.00", mark="⟦BAD⟧"))
    bad("recovery-other-currency", line, status("2022-03-10", "uncollectible"),
        payment("2022-05-01", "in_k", "120.00", "EUR", mark="⟦BAD⟧"))
    bad("write-off-credit-larger-than-line", line, kind_credit("2022-03-01", "150.00", '"write-off"', mark="⟦BAD⟧"))
    bad("write-off-credit-larger-than-left", line, kind_credit("2022-02-01", "100.00"),
        kind_credit("2022-03-01", "30.00", '"write-off"', mark="⟦BAD⟧", ident="cn_2"))
    bad("void-credit-after-void", line, status("2022-03-10", "void"),
        kind_credit("2022-04-01", "10.00", '"void"', mark="⟦BAD⟧"))
    bad("refund-after-uncollectible", line, status("2022-03-10", "uncollectible"),
        kind_credit("2022-04-01", "10.00", mark="⟦BAD⟧"))
    bad("exclude-on-before-line", invoice("2022-03-01", "in_x", "10.00", revrec='"exclude on 2022-02-05"',
                                          pmark="⟦BAD⟧"))
    bad("exclude-on-feb-30", invoice("2022-03-01", "in_x", "10.00", revrec='"exclude on 2022-02-30"', pmark="⟦BAD⟧"))
    bad("exclude-on-no-date", invoice("2022-03-01", "in_x", "10.00", revrec='"exclude on"', pmark="⟦BAD⟧"))
    bad("exclude-on-rule-before-line", rule("early", 'line: "il_x"', 'treatment: "exclude on 2021-06-01"',
                                            mark="⟦BAD:x⟧"),
        invoice("2022-03-01", "in_x", "10.00", line="il_x", pmark="⟦BAD:x⟧"))
    configs = {"credit-split-unknown": "{'credit-split': 'fifo'}", "credit-split-bool": "{'credit-split': True}",
               "credit-split-capitalised": "{'credit-split': 'Deferred-First'}",
               "dispute-account-invalid": "{'dispute': 'Disputes'}", "void-account-number": "{'void': 12}",
               "other-loss-lowercase": "{'other-loss': 'expenses:loss'}",
               "recoverables-wrong-root": "{'recoverables': 'Recovered:Income'}"}
    for label, config in configs.items():
        gen.add("contra", label, header(plugin=plugin_line(config) + "⟦BAD⟧") + "\n"
                + invoice("2022-01-01", "in_k", "120.00", line="il_k", service=YEAR)
                + kind_credit("2022-02-14", "45.00", '"credit-note"', mark=""))



def contra_closes(gen: Gen) -> None:
    """Voids, write-offs, recoveries, disputes and exclusions inside and around a close, and edits after it."""
    blocks = {
        "head": header(plugin=plugin_line(KINDS_CONFIG)),
        "in_k": invoice("2022-01-01", "in_k", "120.00", line="il_k", service=YEAR),
        "off_k": status("2022-03-10", "uncollectible", mark=""),
        "pay_k": payment("2022-05-01", "in_k", "50.00"),
        "in_v": two_line_invoice("2022-01-01", "in_v", "100.00", "20.00", mark=""),
        "void_v": status("2022-02-15", "void", '"in_v"', mark=""),
        "in_d": invoice("2022-01-01", "in_d", "100.00", line="il_d", service=("2022-01-01", "2022-11-01"),
                        revrec='"ratable monthly"'),
        "re_d": kind_credit("2022-02-01", "80.00", target='"il_d"', ident="re_d", mark=""),
        "dp_d": kind_credit("2022-03-01", "80.00", '"dispute"', target='"il_d"', ident="dp_d", mark=""),
        "in_x": invoice("2022-01-05", "in_x", "10.00", line="il_x", revrec='"exclude on 2022-02-05"'),
        "in_open": invoice("2022-01-01", "in_open", "60.00", line="il_open", service=YEAR),
        "in_late": invoice("2022-01-01", "in_late", "90.00", line="il_late", service=("2022-01-01", "2022-04-01")),
        "off_late": status("2022-02-01", "uncollectible", '"in_late"', mark=""),
        "void_late": status("2022-04-10", "void", '"in_late"', mark=""),
    }
    base = "\n".join(blocks.values())
    steps = {"after-everything": (("close", "--through", "2022-06-30"),),
             "between-write-off-and-recovery": (("close", "--through", "2022-04-30"),),
             "on-void-day": (("close", "--through", "2022-02-15"),),
             "mid-month-between-refund-and-dispute": (("close", "--through", "2022-02-20"),),
             "then-reopen-before-void": (("close", "--through", "2022-09-30"), ("reopen", "--through", "2022-01-31"))}
    for label, close in steps.items():
        gen.add("contra", f"ok-close-{label}", base, steps=close, corrections=False)
    closing = (("close", "--through", "2022-04-30"),)

    def edit(label: str, change: Callable[[Files], Files], **options: object) -> None:
        gen.add("contra", label, base, steps=closing, edit=change, **options)

    edit("ok-edit-recovery-after-close", lambda files: append(files, payment("2022-05-20", "in_k", "30.00")),
         corrections=False)
    edit("ok-edit-void-after-close", lambda files: append(files, status("2022-06-01", "void", '"in_open"', mark="")),
         corrections=False)
    edit("ok-edit-uncollectible-after-close-then-paid", lambda files: append(
        files, status("2022-06-01", "uncollectible", '"in_open"', mark="") + "\n"
        + payment("2022-07-01", "in_open", "60.00")), corrections=False)
    # Directives reach into the closed period as rules and events do: corrections, no error.
    edit("ok-edit-void-dated-in-closed-period",
         lambda files: append(files, status("2022-04-01", "void", '"in_open"', mark="")), corrections=True)
    edit("ok-edit-uncollectible-dated-in-closed-period",
         lambda files: append(files, status("2022-04-01", "uncollectible", '"in_open"', mark="")), corrections=True)
    edit("ok-edit-remove-void-in-closed-period", lambda files: replace_block(files, blocks["void_v"], ""),
         corrections=True)
    edit("ok-edit-change-credit-kind-in-closed-period", lambda files: replace_block(
        files, blocks["re_d"], blocks["re_d"].replace('credit-for: "il_d"', 'credit-for: "il_d"\n    credit-kind: '
                                                      '"credit-note"')), corrections=True)
    edit("ok-edit-change-credit-split-after-close", lambda files: replace_block(
        files, blocks["head"], blocks["head"].replace("'recoverables'", "'credit-split': 'deferred-first', "
                                                      "'recoverables'")), corrections=True)
    # A user transaction moved into the closed period: an error.
    edit("edit-backdate-dispute-into-closed-period", allow_closed_books(lambda files: append(files, mark_lines(
        kind_credit("2022-04-15", "30.00", '"dispute"', target='"il_open"', ident="dp_open", mark=""),
        "⟦BAD:edit⟧"))))
    edit("edit-backdate-recovery-into-closed-period", allow_closed_books(lambda files: append(files, mark_lines(
        payment("2022-04-10", "in_k", "20.00"), "⟦MAY⟧"))), must_error=True)
    edit("edit-change-written-off-invoice-in-closed-period", allow_closed_books(lambda files: replace_block(
        files, blocks["in_k"] + "\n" + blocks["off_k"], mark_lines(blocks["in_k"].replace("120.00", "150.00"),
                                                                   "⟦BAD:edit⟧") + "\n" + mark_lines(blocks["off_k"], "⟦MAY⟧"))))

def corpus(seed: int = SEED) -> list[Case]:
    """Every hostile case, the same for the same seed."""
    gen = Gen(seed)
    for build in (treatments, services, rules, fulfillment, credit_cases, contracts, closes, edits, names, bytes_cases,
                  currencies, payments, configs, accounts, amounts, syntax, catch_up_cases, contra_cases,
                  contra_closes):
        build(gen)
    return gen.cases
