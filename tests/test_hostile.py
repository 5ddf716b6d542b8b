"""The product is robust: a generated corpus of hostile ledgers (tests/hostile_corpus.py).

Every case is written to its own directory, loaded once with Beancount's loader
(what bean-check runs; a handful also through the real ``bean-check``), and run
through every ``bean-revrec`` command. The tests assert:

- **Errors, not exceptions.** No error message holds a traceback or an internal
  error; every error has a source in one of the case's files, at a line of that
  file; each deliberately bad line (marker ``⟦BAD⟧``) has an error at exactly that
  file:line (``⟦BAD:tag⟧`` lines sharing a tag are alternatives: a transaction's
  header or its postings, a rule or the line it meets); errors appear nowhere else (``⟦MAY⟧`` lines excepted, and Beancount's
  own syntax errors, which cascade); valid cases load with no error at all; and
  the postings marked ``⟦GEN⟧`` still generate their entries.
- **Every generated transaction balances**: per currency its postings sum to
  exactly 0 (Decimal). Generated entries carry ``#revrec``, valid links, and
  distinct invoice ids get distinct links. Nothing is generated on or before the
  close date.
- **Conservation per source** (the law is in ``test_conservation_per_source``).
- **Closed months never change without an error**: after ``bean-revrec close``
  and an edit, the sums of postings per (account, currency, month) dated on or
  before the close date, over the accounts the plugin reads or posts to, are the
  same as before the edit, or the edited ledger has an error.
- **The CLI never fails badly**: exit code 0, or 1/2 with exactly one line
  starting with ``Error:`` (or click's usage text); no traceback; a failed
  ``close`` or ``reopen`` leaves every file byte for byte as it was; a successful
  one changes no balance and adds no error.
"""

from __future__ import annotations

import ast
import csv
import datetime
import io
import json
import os
import re
import shutil
import traceback
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from beancount import loader
from beancount.core import account as account_lib
from beancount.core.amount import Amount
from beancount.core.data import Custom, Transaction
from beancount.core.display_context import Precision
from beancount.parser import parser
from click.testing import Result

from tests.conftest import invoke, run_tool
from tests.hostile_corpus import Case, Materialized, corpus, materialize, read_files

CASES = corpus()
IDS = [case.name for case in CASES]
KIND, KEY, CORRECTS = "revrec-kind", "revrec-key", "revrec-corrects"
FORMATS = ("table", "csv", "json")
LINK = re.compile(r"[A-Za-z0-9\-_/.]+")
SUFFIX = re.compile(r"/(deferral|recognition/\d{4}-\d\d-\d\d|billing/[^/]+/\d{4}-\d\d-\d\d|billing|"
                    r"tax|fee|passthrough|exclude|deferred|contra|unbilled|"
                    r"credit-note|dispute|write-off|void|other-loss|recoverables)$")
MOVES = ("deferral", "tax", "fee", "passthrough", "exclude", "unbilled")  # what leaves the line's account on its date
DEFAULTS = {"deferred": "Liabilities:DeferredRevenue", "contract-asset": "Assets:ContractAssets",
            "prepaid": "Assets:Prepaid", "contract-cost": "Assets:ContractCosts",
            "receivable": "Assets:AccountsReceivable", "unbilled": "Assets:UnbilledReceivables",
            "tax": "Liabilities:TaxLiability", "fee": "Income:Fees",
            "passthrough": "Liabilities:PassthroughFees", "exclude": "Equity:RevRec:Exclusions",
            "contra": "Income:Refunds", "other-loss": "Expenses:OtherLoss", "recoverables": "Income:Recoverables"}
KIND_KEYS = ("credit-note", "dispute", "write-off", "void")  # contra accounts of credit kinds: default ``contra``
SUBPROCESS = ("treatment-defer-9000-years", "nonutf8-narration-latin1", "nonutf8-in-included-file",
              "unicode-ok-cjk-invoice-ids", "edit-backdate-ratable-invoice", "edit-ok-add-rule-into-closed-period",
              "config-syntax", "contract-ok-unicode-id-and-html-customer", "close-ok-cli-into-subdirectory",
              "syntax-unterminated-string", "contra-payment-after-void", "contra-ok-uncollectible-paid-in-part")
ONE_DAY = datetime.timedelta(days=1)


def dsum(numbers: Iterable[Decimal]) -> Decimal:
    """An exact sum (28-digit amounts exceed Decimal's default precision)."""
    with localcontext() as context:
        context.prec = 200
        total = Decimal(0)
        for number in numbers:
            total += number
        return total


def real(filename: object) -> str:
    return os.path.realpath(str(filename))


# --------------------------------------------------------------------------------------------
# Each case is written and loaded once.


class Ready(NamedTuple):
    case: Case
    built: Materialized
    entries: list[Any]
    errors: list[Any]
    options: dict[str, Any]
    parsed: list[Any]  # the directives written in the case's files (no plugin)
    written: set[tuple[str, int]]  # where the revrec transactions written in the files (frozen entries) are
    names: dict[str, str]  # real path -> the case's name for the file
    line_counts: dict[str, int]  # real path -> number of lines

    def relative(self, meta: dict[str, Any] | None) -> tuple[str | None, int | None]:
        if not meta:
            return None, None
        return self.names.get(real(meta.get("filename"))), meta.get("lineno")

    @property
    def generated(self) -> list[Transaction]:
        """What the plugin added: transactions with revrec-kind that no file holds.

        A generated entry is located at its source, which may be a user's transaction (a recovery sits at the
        payment of a written-off invoice); only the revrec transactions written in the files are not generated.
        """
        return [entry for entry in self.entries if isinstance(entry, Transaction) and KIND in entry.meta
                and (real(entry.meta.get("filename")), entry.meta.get("lineno")) not in self.written]


@pytest.fixture(scope="module")
def ready(tmp_path_factory: pytest.TempPathFactory):
    cache: dict[str, Ready] = {}

    def get(case: Case) -> Ready:
        if case.name not in cache:
            built = materialize(case, tmp_path_factory.mktemp(case.name[:50]))
            entries, errors, options = loader.load_file(str(built.main))
            names = {real(built.root / name): name for name in built.files}
            parsed: list[Any] = []
            for name in built.files:
                parsed += parser.parse_file(str(built.root / name))[0]
            written = {(real(entry.meta["filename"]), entry.meta["lineno"]) for entry in parsed
                       if isinstance(entry, Transaction) and KIND in entry.meta}
            counts = {real(built.root / name): data.count(b"\n") + 1 for name, data in built.files.items()}
            cache[case.name] = Ready(case, built, entries, errors, options, parsed, written, names, counts)
        return cache[case.name]

    return get


def cases(predicate: Any = None) -> Any:
    chosen = [case for case in CASES if predicate is None or predicate(case)]
    return pytest.mark.parametrize("case", chosen, ids=[case.name for case in chosen])


# --------------------------------------------------------------------------------------------


def test_corpus_is_large_varied_and_deterministic():
    assert len(CASES) >= 150
    assert len(set(IDS)) == len(IDS)
    categories = Counter(case.category for case in CASES)
    for category in ("treatment", "service", "rule", "fulfill", "credit", "contract", "close", "edit", "unicode",
                     "nonutf8", "currency", "payment", "config", "account", "contra"):
        assert categories[category] >= 5, categories
    valid = [case for case in CASES if "-ok-" in case.name]
    assert len(valid) >= 0.2 * len(CASES)
    again = corpus()
    assert [(case.name, case.files, case.steps) for case in again] == [(case.name, case.files, case.steps)
                                                                        for case in CASES]
    closed = ('2022-06-30 custom "revrec-close"\n\n2022-01-31 * "A" "Recognise" #revrec\n'
              '  revrec-kind: "recognition"\n  revrec-key: "k/recognition/2022-01-31"\n'
              "  Liabilities:DeferredRevenue  1.00 USD\n  Income:Sales  -1.00 USD\n")
    for first, second in zip(CASES, again, strict=True):
        if first.edit is not None and second.edit is not None:
            sample = {"main.beancount": first.files[0][1], "main.closed.beancount": closed}
            assert first.edit(dict(sample)) == second.edit(dict(sample)), first.name


def error_problems(r: Ready) -> tuple[list[str], set[tuple[str | None, int | None]]]:
    """What is wrong with the ledger's errors themselves, and where they are."""
    problems = []
    error_at: set[tuple[str | None, int | None]] = set()
    for error in r.errors:
        message = str(error.message)
        name, lineno = r.relative(error.source)
        shown = f"{name}:{lineno}: {message.splitlines()[0] if message else ''}"
        if "Traceback" in message or "internal error" in message:
            problems.append(f"crash reported as an error: {message[:2000]}")
        if name is None:
            problems.append(f"error without a source in the case's files: {error.source!r}: {message[:300]}")
        elif not isinstance(lineno, int) or not 1 <= lineno <= r.line_counts[real(r.built.root / name)]:
            problems.append(f"error at no line of {name}: {shown}")
        elif not r.case.loose and (name, lineno) not in r.built.allowed:
            problems.append(f"error at a line that is not bad: {shown}")
        error_at.add((name, lineno))
    return problems, error_at


@cases()
def test_bean_check(case, ready):
    """Errors name the offending file:line; valid cases have none; every other line still generates."""
    r = ready(case)
    problems, error_at = error_problems(r)
    for tag, (name, lines) in r.built.required.items():
        if not any((name, line) in error_at for line in lines):
            problems.append(f"no error at {name}:{'/'.join(map(str, sorted(lines)))} ({tag})")
    if case.must_error and not r.errors:
        problems.append("the ledger must have an error and has none")
    if ("-ok-" in case.name) != (not r.built.allowed and not case.must_error):
        problems.append("corpus: an -ok- case must carry no BAD/MAY marker, any other case one")
    if not any(isinstance(entry, Custom) and entry.type == "revrec-close" for entry in r.parsed):
        located = Counter(r.relative(entry.meta) for entry in r.generated)
        problems += [f"{name}:{line}: this valid line generated nothing" for name, line in sorted(r.built.generates)
                     if not located[name, line]]
    assert not problems, "\n".join(problems)


@cases(lambda case: case.name in SUBPROCESS)
def test_real_bean_check(case, ready):
    r = ready(case)
    result = run_tool("bean-check", r.built.main)
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    if not r.built.allowed and not case.must_error:
        assert result.returncode == 0, output
        return
    assert result.returncode != 0, output
    for name, lines in r.built.required.values():
        assert any(re.search(rf"{re.escape(name)}:{line}:", output) for line in lines), (name, lines, output)


# --------------------------------------------------------------------------------------------
# Generated transactions.


def settings(options: dict[str, Any]) -> dict[str, Any] | None:
    """The plugin's configuration as the README defines it, or None if it is invalid (nothing is generated)."""
    roots = [options.get(f"name_{kind}", kind.title()) for kind in ("assets", "liabilities", "equity", "income",
                                                                    "expenses")]
    for name, config in options.get("plugin", ()):
        if name not in ("beancount_revrec", "beancount_revrec.plugin"):
            continue
        try:
            raw = ast.literal_eval(config) if config and config.strip() else {}
        except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
            return None
        if not isinstance(raw, dict) or set(raw) - {*DEFAULTS, *KIND_KEYS, "revenue", "precision", "catch-up",
                                                    "credit-split", "expenses", "cost-expedient"}:
            return None
        merged = {**DEFAULTS, "revenue": [roots[3]], "precision": {}, "catch-up": "on", "credit-split": "proportional",
                  **raw}
        merged.update({key: merged["contra"] for key in KIND_KEYS if key not in raw})
        revenue = [merged["revenue"]] if isinstance(merged["revenue"], str) else merged["revenue"]
        accounts = [*revenue, *(raw[key] for key in (*DEFAULTS, *KIND_KEYS) if key in raw)]
        if (not isinstance(revenue, list | tuple) or not revenue
                or not all(isinstance(acc, str) and (account_lib.is_valid(acc) or acc in roots)
                           and acc.split(":")[0] in roots for acc in accounts)
                or merged["catch-up"] not in ("on", "off")
                or merged["credit-split"] not in ("proportional", "deferred-first")
                or not isinstance(merged["precision"], dict)
                or not all(isinstance(places, int) and not isinstance(places, bool) and 0 <= places <= 12
                           for places in merged["precision"].values())):
            return None
        return {**merged, "revenue": list(revenue)}
    return None


def plugin_accounts(conf: dict[str, Any]) -> tuple[str, ...]:
    """The roots of every account the plugin reads or posts to."""
    return (*conf["revenue"], *(conf[key] for key in (*DEFAULTS, *KIND_KEYS)))


def under(account: str, roots: Iterable[str]) -> bool:
    return any(account == root or account.startswith(root + ":") for root in roots)


def close_date(r: Ready) -> datetime.date | None:
    """The date books are closed through: the latest revrec-close that is not on a bad line."""
    dates = [entry.date for entry in r.parsed if isinstance(entry, Custom) and entry.type == "revrec-close"
             and r.relative(entry.meta) not in r.built.allowed]
    return max(dates, default=None)


@cases()
def test_generated_transactions_balance(case, ready):
    """Each generated transaction sums to exactly 0 per currency; tags, links, dates after the close."""
    problems = generated_problems(ready(case))
    assert not problems, "\n".join(problems)


def generated_problems(r: Ready) -> list[str]:
    problems = []
    through = close_date(r)
    invoices_by_link: dict[str, set[str]] = defaultdict(set)
    for entry in r.generated:
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for posting in entry.postings:
            if posting.units is None or not isinstance(posting.units.number, Decimal) or not posting.units.currency:
                problems.append(f"{entry.meta.get(KEY)}: posting without a number: {posting}")
                continue
            sums[posting.units.currency] = dsum([sums[posting.units.currency], posting.units.number])
        unbalanced = {currency: total for currency, total in sums.items() if total != 0}
        if unbalanced:
            problems.append(f"{entry.date} {entry.meta.get(KEY)} does not balance: {unbalanced}")
        if "revrec" not in entry.tags:
            problems.append(f"{entry.meta.get(KEY)} lacks #revrec")
        if not entry.meta.get(KEY):
            problems.append(f"{entry.date} {entry.narration!r}: generated without a revrec-key")
        problems += [f"{entry.meta.get(KEY)}: link {link!r} cannot be written" for link in entry.links or ()
                     if not LINK.fullmatch(link)]
        if "invoice" in entry.meta and "contract" not in entry.meta:
            for link in entry.links or ():
                invoices_by_link[link].add(str(entry.meta["invoice"]))
        if through is not None and entry.date <= through:
            problems.append(f"{entry.date} {entry.meta.get(KEY)}: generated in the closed period (through {through})")
    problems += [f"link ^{link} is shared by the distinct invoices {sorted(ids)}"
                 for link, ids in invoices_by_link.items() if len(ids) > 1]
    return problems


# --------------------------------------------------------------------------------------------
# Conservation.


def counted_key(entry: Transaction) -> str:
    """The key an entry counts for: a correction counts for the key it corrects."""
    return str(entry.meta.get(CORRECTS, entry.meta.get(KEY)))


def suffix(key: str) -> str:
    match = SUFFIX.search(key)
    return match.group(1) if match else ""


def source_of(key: str) -> str:
    return SUFFIX.sub("", key)


def immediate_part(amount: Decimal, text: str, places: int, *, at_once: bool = False) -> Decimal:
    """The part of ``amount`` a treatment recognises immediately (README: each share rounded, the last the rest).

    ``at_once``: the line has no service period and its treatment comes from a rule or has several parts,
    so its ratable parts are recognised on its date too (README, Rules).
    """
    now = ("immediate", "ratable") if at_once else ("immediate",)
    parts = []
    for chunk in text.split("+"):
        tokens = chunk.split()
        share = Decimal(100)
        if tokens and tokens[0].endswith("%"):
            share, tokens = Decimal(tokens[0][:-1]), tokens[1:]
        parts.append((share, tokens[0] if tokens else ""))
    if len(parts) == 1:
        return amount if parts[0][1] in now else Decimal(0)
    quantum = Decimal(1).scaleb(-places)
    with localcontext() as context:
        context.prec = 200
        pieces, total = [], Decimal(0)
        for share, _ in parts[:-1]:
            piece = (amount * share / 100).quantize(quantum, rounding=ROUND_HALF_UP)
            if abs(total + piece) > abs(amount):  # never past the amount (amounts below the precision)
                piece = amount - total
            pieces.append(piece)
            total += piece
        pieces.append(amount - total)
        return dsum(piece for piece, (_, action) in zip(pieces, parts, strict=True) if action in now)


class Sources:
    """The user's revenue postings, found by location or by line key, and the directives by name."""

    def __init__(self, r: Ready, conf: dict[str, Any]) -> None:
        self.at: dict[tuple[str, int], tuple[Transaction, Any]] = {}
        self.by_key: dict[str, tuple[Transaction, Any]] = {}
        for entry in r.entries:
            if isinstance(entry, Transaction) and KIND not in entry.meta:
                for posting in entry.postings:
                    self.add(entry, posting, conf)
        self.rules: dict[str, object] = {}
        self.items: dict[str, Custom] = {}
        self.billings: list[Custom] = []
        error_lines = {r.relative(error.source) for error in r.errors}
        for entry in sorted((e for e in r.parsed if isinstance(e, Custom)),
                            key=lambda e: (e.meta["filename"] != str(r.built.main), e.meta["lineno"])):
            values = [getattr(value, "value", value) for value in entry.values or ()]
            amount = len(values) == 2 and isinstance(values[1], Amount)
            if entry.type == "revrec-rule" and len(values) == 1:
                self.rules.setdefault(str(values[0]), entry.meta.get("treatment"))
            elif entry.type == "revrec-item" and amount:
                self.items.setdefault(f"{values[0]}/{entry.meta.get('item')}", entry)
            elif entry.type == "revrec-billing" and amount and r.relative(entry.meta) not in error_lines:
                self.billings.append(entry)

    def add(self, entry: Transaction, posting: Any, conf: dict[str, Any]) -> None:
        """Index a posting by its location and, if it is a revenue line, by its line key (the first of a key)."""
        if posting.meta and "filename" in posting.meta:
            self.at[real(posting.meta["filename"]), posting.meta["lineno"]] = (entry, posting)
        if not under(posting.account, conf["revenue"]):
            return
        meta = posting.meta or {}
        key = str(meta["line"]) if "line" in meta else None
        if key is None and "invoice" in entry.meta:
            key = f"{entry.meta['invoice']}/{posting.account}" + (f"/{meta['product']}" if "product" in meta else "")
        if key is not None:
            self.by_key.setdefault(key, (entry, posting))

    def find(self, group: list[Transaction], source: str) -> tuple[Transaction, Any] | None:
        for entry in group:
            found = self.at.get((real(entry.meta.get("filename")), entry.meta.get("lineno")))
            if found is not None:
                return found
        return self.by_key.get(source)


def places_of(r: Ready, conf: dict[str, Any], currency: str) -> int:
    if currency in conf["precision"]:
        return int(conf["precision"][currency])
    context = r.options["dcontext"].ccontexts.get(currency)
    found = context.get_fractional(Precision.MOST_COMMON) if context is not None else None
    return 2 if found is None else found


CREDIT_KINDS = ("refund", "credit-note", "dispute", "write-off", "void")
STATUS_GROUP = re.compile(r"(?P<line>.+)/(?P<status>void|uncollectible)")
RECOVERY_GROUP = re.compile(r"(?P<line>.+)/recovery/(?P<date>\d{4}-\d\d-\d\d)(?:#\d+)?")


def kind_account(conf: dict[str, Any], kind: str) -> str:
    """The contra account of a kind of credit: its own key's, else ``contra`` (a refund's is ``contra``)."""
    return str(conf["contra"] if kind == "refund" else conf[kind])


def references(entry: Transaction) -> set[str]:
    """What ties a transaction to an invoice: its links and its ``invoice:`` id."""
    refs = {f"^{link}" for link in entry.links or ()}
    if "invoice" in entry.meta:
        refs.add(f"invoice:{entry.meta['invoice']}")
    return refs


class Event(NamedTuple):
    """Something that changes what is left of a line: a credit, its void or write-off, a recovery."""

    date: datetime.date
    order: int  # on one day: recoveries, credits, then the void or write-off (the plugin's order)
    what: str  # "recovery", "credit", "status" (a void or write-off), "move" (a void after a write-off)
    name: str  # the group's source key
    group: list[Transaction]
    kind: str = ""  # a credit's kind, a status's credit kind (void or write-off)
    amount: Decimal = Decimal(0)  # a credit's amount


@dataclass
class Standing:
    """A credited line as its events leave it."""

    line: str
    invoice: Transaction  # the line's transaction
    left: Decimal  # what is left of the line: its amount less what credits took, plus what was recovered
    held: Decimal = Decimal(0)  # what the line's write-off holds in the write-off's contra account


class Credits:
    """The credits' part of the conservation law (``test_conservation_per_source``), line by line.

    - A credit (a posting of ``c`` > 0 with ``credit-for:``, of kind K): exactly ``c`` leaves its account, and
      its parts sum to ``c``, none negative: DEF, K's contra account (its config key, else ``contra``), the
      reclass accounts (its share of the line's tax, fee, pass-through, exclusion and recovered gains) and,
      for a dispute only, ``other-loss``: exactly what it takes beyond what is left of its line.
    - A void or write-off (``LINE/void``, ``LINE/uncollectible``: no posting of its own, located at the
      directive): exactly what is left of the line (its amount less what earlier credits took) leaves the
      receivable, into DEF, the kind's contra account and the reclass accounts, none negative; nothing of the
      line is recognised after it.
    - A void after a write-off (``LINE/void`` beside ``LINE/uncollectible``): moves exactly what the write-off's
      contra account still holds for the line to the void's, and touches nothing else.
    - A recovery (``LINE/recovery/DATE``, located at the payment): ``p`` into the receivable, of which
      min(``p``, what the write-off's contra account holds for the line) out of that account and the rest out of
      ``recoverables``; per invoice and date the lines' ``p`` sum to the payments of that day; the line then
      stands at what was paid.
    - Each line's DEF postings plus its credits' (``credited``) sum to 0: checked with the lines.
    """

    def __init__(self, r: Ready, conf: dict[str, Any], groups: dict[str, list[Transaction]], sources: Sources):
        self.r, self.conf, self.groups, self.sources = r, conf, groups, sources
        self.problems: list[str] = []
        self.credited: dict[str, Decimal] = defaultdict(Decimal)
        self.events: dict[str, list[Event]] = defaultdict(list)
        self.parts = {conf[key] for key in ("tax", "fee", "passthrough", "exclude", "recoverables")}
        self.customs = {(real(entry.meta.get("filename")), entry.meta.get("lineno")): entry for entry in r.parsed
                        if isinstance(entry, Custom)}
        self.recovered: dict[tuple[frozenset[str], datetime.date], Decimal] = defaultdict(Decimal)

    def check(self) -> tuple[list[str], dict[str, Decimal]]:
        for name, group in self.groups.items():
            if not any(entry.meta.get("revrec-rule") == "credit" for entry in group):
                continue
            moves = {p.account for e in group for p in e.postings}
            if not any(total(group, account) for account in moves) and not self.sources.find(group, name):
                continue  # frozen, then taken back by corrections: its source (a void directive...) is gone
            if status := STATUS_GROUP.fullmatch(name):
                self.status(name, group, status["line"], status["status"])
            elif recovery := RECOVERY_GROUP.fullmatch(name):
                date = datetime.date.fromisoformat(recovery["date"])
                self.events[recovery["line"]].append(Event(date, 0, "recovery", name, group))
            else:
                self.credit(name, group)
        for line, events in self.events.items():
            self.follow(line, sorted(events, key=lambda event: (event.date, event.order)))
        self.payments()
        return self.problems, self.credited

    def parted(self, name: str, group: list[Transaction], amount: Decimal, accounts: set[str], own: set[str],
               sign: int = 1) -> None:
        """``group`` debits ``amount`` to ``accounts`` (credits, with ``sign`` -1), each part not negative; and
        touches nothing but them and ``own``."""
        stray = sorted(account for account in {p.account for e in group for p in e.postings} - accounts - own
                       if total(group, account))  # a correction may take back all a frozen entry moved there
        if stray:
            self.problems.append(f"{name}: postings to {stray}")
        parts = {account: sign * total(group, account) for account in sorted(accounts)}
        if any(value < 0 for value in parts.values()) or dsum(parts.values()) != amount:
            shown = ", ".join(f"{value} {account}" for account, value in parts.items() if value)
            self.problems.append(f"{name} of {amount}: parts {shown}")

    def credit(self, name: str, group: list[Transaction]) -> None:
        found = self.sources.find(group, name)
        if found is None:
            self.problems.append(f"credit {name}: no source posting found")
            return
        entry, posting = found
        amount, account = posting.units.number, posting.account
        kind = str((posting.meta or {}).get("credit-kind") or entry.meta.get("credit-kind") or "refund")
        if kind not in CREDIT_KINDS:
            self.problems.append(f"credit {name}: booked with the unknown credit-kind {kind!r}")
            return
        if total(group, account) != -amount:
            self.problems.append(f"credit {name}: {-total(group, account)} left {account}, the credit is {amount}")
        accounts = {self.conf["deferred"], kind_account(self.conf, kind), *self.parts}
        if kind == "dispute":
            accounts.add(self.conf["other-loss"])
        self.parted(f"credit {name} ({kind})", group, amount, accounts, {account})
        line = str((posting.meta or {}).get("credit-for"))
        self.credited[line] += total(group, self.conf["deferred"])
        self.events[line].append(Event(entry.date, 1, "credit", name, group, kind, amount))

    def status(self, name: str, group: list[Transaction], line: str, status: str) -> None:
        """A void or write-off of ``line``: a status change, or (a void after a write-off) a move."""
        dates = [directive.date for entry in group
                 if (directive := self.customs.get((real(entry.meta.get("filename")), entry.meta.get("lineno"))))]
        dates = dates or [entry.date for entry in group if entry.meta.get(KIND) != "correction"]
        if not dates:
            self.problems.append(f"{name}: neither its directive nor a dated entry found")
            return
        moved = status == "void" and f"{line}/uncollectible" in self.groups
        kind = "void" if status == "void" else "write-off"
        self.events[line].append(Event(min(dates), 3 if moved else 2, "move" if moved else "status", name, group,
                                       kind))
        if not moved:
            self.credited[line] += total(group, self.conf["deferred"])

    def follow(self, line: str, events: list[Event]) -> None:
        """What is left of ``line`` through its events, and what each event must move."""
        found = self.sources.by_key.get(line)
        if found is None:
            self.problems.append(f"line {line}: credited, voided or written off, and not found")
            return
        state = Standing(line, found[0], -found[1].units.number)
        for event in events:
            if event.date < found[0].date:
                self.problems.append(f"{event.name}: dated {event.date}, before its line of {found[0].date}")
            getattr(self, f"on_{event.what}")(event, state)

    def on_credit(self, event: Event, state: Standing) -> None:
        """A credit takes its amount (a dispute: at most what is left; the rest is other loss)."""
        left, name = state.left, event.name
        taken = min(event.amount, left) if event.kind == "dispute" else event.amount
        if taken > left:
            self.problems.append(f"credit {name} of {event.amount} booked where {left} is left")
        loss = total(event.group, self.conf["other-loss"]) if event.kind == "dispute" else Decimal(0)
        if loss != event.amount - taken:
            self.problems.append(f"credit {name} (dispute) of {event.amount} where {left} is left: {loss} "
                                 f"to other-loss, expected {event.amount - taken}")
        state.left -= taken

    def on_status(self, event: Event, state: Standing) -> None:
        """A void or write-off takes what is left out of the receivable; nothing is recognised after it."""
        conf, group, name, receivable = self.conf, event.group, event.name, self.conf["receivable"]
        if total(group, receivable) != -state.left:
            self.problems.append(f"{name}: {-total(group, receivable)} out of the receivable, "
                                 f"{state.left} was left of the line")
        accounts = {conf["deferred"], kind_account(conf, event.kind), *self.parts}
        self.parted(name, group, state.left, accounts, {receivable})
        later = dsum(total([entry], conf["deferred"]) for entry in self.groups.get(state.line, ())
                     if suffix(counted_key(entry)).startswith("recognition/")
                     and suffix(counted_key(entry)).split("/")[1] > str(event.date))
        if later:
            self.problems.append(f"line {state.line}: {later} recognised after its {event.kind} of {event.date}")
        state.held = total(group, kind_account(conf, "write-off")) if event.kind == "write-off" else Decimal(0)
        state.left = Decimal(0)

    def on_recovery(self, event: Event, state: Standing) -> None:
        """A payment's share back into the receivable: out of the write-off's contra account first."""
        group, receivable = event.group, self.conf["receivable"]
        write_off, recoverables = kind_account(self.conf, "write-off"), self.conf["recoverables"]
        paid = total(group, receivable)
        back = min(paid, state.held)
        self.parted(event.name, group, paid, {write_off, recoverables}, {receivable}, sign=-1)
        if write_off != recoverables and (-total(group, write_off), -total(group, recoverables)) != (back, paid - back):
            self.problems.append(f"{event.name}: {paid} paid, {-total(group, write_off)} out of {write_off} and "
                                 f"{-total(group, recoverables)} out of {recoverables}; expected {back} "
                                 f"(what the write-off holds, {state.held}, first) and {paid - back}")
        self.recovered[frozenset(references(state.invoice)), event.date] += paid
        state.held -= back
        state.left += paid

    def on_move(self, event: Event, state: Standing) -> None:
        """A void after a write-off moves what the write-off's contra account holds to the void's."""
        group, write_off, void = event.group, kind_account(self.conf, "write-off"), kind_account(self.conf, "void")
        self.parted(event.name, group, Decimal(0), set(), {write_off, void})
        if void != write_off and (total(group, void), -total(group, write_off)) != (state.held, state.held):
            self.problems.append(f"{event.name}: moves {total(group, void)} into {void} and "
                                 f"{-total(group, write_off)} out of {write_off}, the write-off holds {state.held}")
        state.held = Decimal(0)

    def payments(self) -> None:
        """Per invoice and date, the recoveries add up to that day's payments of the invoice."""
        receivable = self.conf["receivable"]
        for (refs, date), recovered in self.recovered.items():
            paid = dsum(-posting.units.number for entry in self.r.entries
                        if isinstance(entry, Transaction) and KIND not in entry.meta and entry.date == date
                        and refs & references(entry)
                        and not any(under(p.account, self.conf["revenue"]) for p in entry.postings)
                        for posting in entry.postings if posting.account == receivable and posting.units.number < 0)
            if paid != recovered:
                self.problems.append(f"invoice {sorted(refs)}: paid {paid} on {date}, recovered {recovered}")


def total(group: Iterable[Transaction], account: str, currency: str | None = None) -> Decimal:
    """What ``group``'s postings move in ``account`` (in ``currency``, or in all)."""
    return dsum(posting.units.number for entry in group for posting in entry.postings
                if posting.account == account and (currency is None or posting.units.currency == currency))


def conservation_problems(r: Ready, *, bad_frozen: bool = False) -> list[str]:  # noqa: C901, PLR0912, PLR0915
    """What breaks the conservation law of ``test_conservation_per_source`` (exact Decimal sums)."""
    conf = settings(r.options)
    generated = r.generated
    if conf is None:
        return [f"the plugin config is invalid but {len(generated)} entries were generated"] if generated else []
    deferred, receivable = conf["deferred"], conf["receivable"]
    reclass = {conf[key] for key in ("tax", "fee", "passthrough", "exclude")}
    bad_lines = {(name, line) for name, lines in r.built.required.values() for line in lines}
    frozen = [entry for entry in r.entries if isinstance(entry, Transaction) and KIND in entry.meta
              and (real(entry.meta.get("filename")), entry.meta.get("lineno")) in r.written
              and (bad_frozen or r.relative(entry.meta) not in bad_lines)]
    groups: dict[str, list[Transaction]] = defaultdict(list)
    for entry in [*frozen, *generated]:
        if entry.meta.get(KEY):
            groups[source_of(counted_key(entry))].append(entry)
    sources = Sources(r, conf)
    made = {id(entry) for entry in generated}
    problems, credited = Credits(r, conf, groups, sources).check()
    for name, group in groups.items():
        kinds = {suffix(counted_key(entry)).split("/")[0] for entry in group}
        rule = next((entry.meta.get("revrec-rule") for entry in group if id(entry) in made
                     and entry.meta.get(KIND) != "correction"), group[0].meta.get("revrec-rule"))
        if rule == "credit":
            continue
        if any(suffix(counted_key(entry)).count("/") == 2 and "billing" in kinds for entry in group):
            for currency in {posting.units.currency for entry in group for posting in entry.postings}:
                billed = total(group, receivable, currency)
                expected = dsum(billing.values[1].value.number for billing in sources.billings
                                if billing.values[0].value == name and billing.values[1].value.currency == currency)
                if billed != expected:
                    problems.append(f"contract {name}: billed {billed} {currency}, its schedules total {expected}")
            continue
        if "billing" in kinds:  # a recorded billing
            found = sources.find(group, name)
            if found is not None and total(group, found[1].account) != -found[1].units.number:
                problems.append(f"recorded billing {name}: {total(group, found[1].account)} moved out of revenue, "
                                f"the posting is {found[1].units.number}")
            continue
        if rule == "contract":
            item = sources.items.get(name)
            if item is None:
                problems.append(f"item {name}: no revrec-item found")
                continue
            amount, account = item.values[1].value.number, str(item.meta.get("account"))
            if total(group, account) != -amount:
                problems.append(f"item {name} of {amount}: {-total(group, account)} recognised")
            stray = {p.account for e in group for p in e.postings} - {account, deferred, conf["contract-asset"]}
            if stray:
                problems.append(f"item {name}: postings to {sorted(stray)}")
            continue
        held = deferred  # an expense line's (revrec-side: expense) is prepaid expenses, or capitalised contract costs
        if any(entry.meta.get("revrec-side") == "expense" for entry in group):
            held = conf["contract-cost" if "contract" in group[0].meta else "prepaid"]
        balance = dsum([total(group, held), credited.get(name, Decimal(0))])
        if name in r.case.unpaid:
            if "recognition" in kinds:
                problems.append(f"line {name} waits for a payment that never came, yet was recognised")
        elif balance != 0:
            problems.append(f"line {name}: deferred revenue ends at {balance}, not 0 "
                            f"({len(group)} entries, credits {credited.get(name, 0)})")
        found = sources.find(group, name)
        if found is None:
            if any(id(entry) in made for entry in group):  # a frozen-only group may have no location left
                problems.append(f"line {name}: no source posting found")
            continue
        entry, posting = found
        amount, account, currency = -posting.units.number, posting.account, posting.units.currency
        unbilled = conf["unbilled"] if conf["catch-up"] == "off" else None
        stray = sorted({f"{p.account} {p.units.currency}" for e in group for p in e.postings
                        if p.account not in {account, held, unbilled, *reclass} or p.units.currency != currency})
        if stray:
            problems.append(f"line {name} ({account} {currency}): postings to {stray}")
        early = sorted({str(e.date) for e in group if e.date < entry.date and (unbilled is None or any(
            p.account == held for p in e.postings))})
        if early:
            problems.append(f"line {name} of {entry.date}: entries dated before it on {early}"
                            f"{'' if unbilled is None else ' that move deferred revenue'}")
        if unbilled is not None and total(group, unbilled) != 0:
            problems.append(f"line {name}: unbilled revenue ends at {total(group, unbilled)}, not 0")
        treatment = {"default": "ratable", "override": (posting.meta or {}).get("revrec")}.get(
            str(rule), sources.rules.get(str(rule)))
        if not isinstance(treatment, str):
            problems.append(f"line {name}: rule {rule!r} has no treatment text")
            continue
        moved = total((e for e in group if suffix(counted_key(e)).split("/")[0] in MOVES), account)
        periodless = not any("service-start" in meta for meta in (posting.meta or {}, entry.meta))
        at_once = periodless and (str(rule) != "override" or "+" in treatment)
        expected = dsum([amount, -immediate_part(amount, treatment, places_of(r, conf, currency), at_once=at_once)])
        if moved != expected:
            problems.append(f"line {name} of {amount} {currency} ({treatment!r}): {moved} deferred or reclassified, "
                            f"expected {expected}")
    return problems


@cases()
def test_conservation_per_source(case, ready):
    """Per source, the generated postings move exactly its amount.

    Entries are the generated ones, plus the frozen ones of the closed-books file
    (not those on deliberately bad lines), grouped by the source of the key they
    count for (a correction counts for the key it corrects). ``DEF`` is deferred
    revenue. All sums are exact Decimals, over all dates.

    - A line (posting of ``a`` revenue-positive on account R): the deferral and
      reclasses take exactly the non-immediate part of ``a`` out of R (the
      immediate part per the treatment's shares, rounded as the README says),
      nothing is dated before the line (with ``catch-up: off``, only recognitions
      against unbilled revenue, ``UNB``, whose postings per line sum to 0: the
      line's date bills them), postings touch only R, DEF, UNB and the
      reclass accounts, in the line's currency; and the line's DEF postings plus
      the DEF postings of the credits, voids and write-offs naming it sum to
      exactly 0 (everything deferred is recognised or credited), unless the line waits for a payment
      that never came (then nothing of it is recognised).
    - A credit (posting of ``c`` > 0 with ``credit-for``, of kind K): exactly ``c``
      leaves R; its parts (DEF, K's contra account, the reclass accounts of the
      line's shares, and for a dispute ``other-loss``: exactly what it takes beyond
      what is left of its line) sum to ``c``, none negative.
    - A void or write-off of an invoice (keys ``LINE/void``, ``LINE/uncollectible``,
      no posting of its own): exactly what is left of each line leaves the
      receivable, into DEF and the kind's contra account (none negative), and
      nothing of the line is recognised after it; a void after a write-off moves
      exactly what the write-off's contra account still holds to the void's. A
      recovery (``LINE/recovery/DATE``, at the payment) moves the payment's share
      into the receivable, out of the write-off's contra account first, the rest out
      of ``recoverables``; the shares add up to the day's payments (class ``Credits``).
    - A contract item of amount ``A`` on account I: its recognitions credit I by
      exactly ``A``; a billing schedule's billings debit the receivable by exactly
      its total per contract and currency; a recorded billing moves exactly its
      posting out of revenue.

    A cent created or lost anywhere breaks one of these equalities.

    Hand-written revrec entries on deliberately bad lines (a frozen entry without
    a close, a duplicate) are counted both ways, without and with them: the plugin
    reports them and may either regenerate what they hold or keep them as frozen.
    """
    r = ready(case)
    problems = conservation_problems(r)
    if problems and conservation_problems(r, bad_frozen=True) == []:
        problems = []
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------
# Closed months.


def closed_sums(entries: list[Any], through: datetime.date, roots: tuple[str, ...]) -> dict[tuple, Decimal]:
    sums: dict[tuple, list[Decimal]] = defaultdict(list)
    for entry in entries:
        if isinstance(entry, Transaction) and entry.date <= through:
            for posting in entry.postings:
                if under(posting.account, roots) and posting.units is not None:
                    sums[posting.account, posting.units.currency, f"{entry.date:%Y-%m}"].append(posting.units.number)
    return {key: value for key, numbers in sums.items() if (value := dsum(numbers))}


@cases(lambda case: bool(case.steps))
def test_closed_months_never_change_without_an_error(case, ready):
    r = ready(case)
    assert case.closed_through is not None
    through = datetime.date.fromisoformat(case.closed_through)
    problems = []
    if case.edit is not None:
        assert r.built.before is not None
        entries, errors, options = loader.load_file(str(r.built.before))
        assert not errors, [error.message for error in errors]
        conf = settings(options)
        assert conf is not None
        old, new = closed_sums(entries, through, plugin_accounts(conf)), closed_sums(r.entries, through,
                                                                                    plugin_accounts(conf))
        changed = sorted((key, old.get(key), new.get(key)) for key in old.keys() | new.keys()
                         if old.get(key) != new.get(key))
        if changed and not r.errors:
            problems.append(f"closed months changed without an error: {changed[:6]}")
    corrections = [entry for entry in r.generated if entry.meta.get(KIND) == "correction"]
    if case.corrections and not corrections:
        problems.append("the edit reaches into the closed period: expected corrections, found none")
    if case.corrections is False and corrections:
        problems.append(f"unexpected corrections: {[entry.meta.get(CORRECTS) for entry in corrections]}")
    problems += [f"correction {entry.meta.get(KEY)} dated {entry.date}, not {through + ONE_DAY}"
                 for entry in corrections if entry.date != through + ONE_DAY]
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------
# The command line.


def explain_ids(r: Ready) -> list[str]:
    invoices = [str(entry.meta["invoice"]) for entry in r.parsed
                if isinstance(entry, Transaction) and "invoice" in entry.meta and KIND not in entry.meta]
    lines = [str(posting.meta["line"]) for entry in r.parsed if isinstance(entry, Transaction)
             for posting in entry.postings if posting.meta and "line" in posting.meta]
    return list(dict.fromkeys([*invoices[:1], *lines[-1:], *invoices[-1:]]))[:2] or ["in_1"]


def ledger_dates(r: Ready) -> list[datetime.date]:
    return sorted({entry.date for entry in r.parsed if isinstance(entry, Transaction) and KIND not in entry.meta}
                  ) or [datetime.date(2022, 6, 30)]


def failure(result: Result, args: list[str]) -> str | None:
    """What is wrong with a bean-revrec run, or None."""
    shown = "bean-revrec " + " ".join(args)
    output = result.output
    problem = None
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(result.exception))
        problem = f"raised {result.exception!r}\n{trace[-1500:]}"
    elif "Traceback" in output:
        problem = f"traceback in the output\n{output[-1500:]}"
    elif result.exit_code == 0:
        fmt = args[args.index("--format") + 1] if "--format" in args else "table"
        problem = bad_format(result.stdout, fmt)  # a note about errors may go to stderr
    elif result.exit_code == 2 and output.startswith("Usage:") and "Error:" in output:
        problem = None  # click's usage error
    elif result.exit_code not in (1, 2) or len(output.splitlines()) != 1 or not output.startswith("Error:"):
        problem = f"exit {result.exit_code} with {output[:500]!r}"
    return None if problem is None else f"{shown}: {problem}"


def bad_format(output: str, fmt: str) -> str | None:
    if fmt == "json":
        try:
            json.loads(output)
        except ValueError:
            return f"--format json printed no JSON: {output[:300]!r}"
    if fmt == "csv":
        rows = [row for row in csv.reader(io.StringIO(output)) if row]
        if rows and len({len(row) for row in rows}) > 1:
            return f"--format csv printed rows of different lengths: {output[:300]!r}"
    return None


def balances(entries: list[Any]) -> dict[tuple[str, str], Decimal]:
    sums: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for entry in entries:
        if isinstance(entry, Transaction):
            for posting in entry.postings:
                if posting.units is not None:
                    sums[posting.account, posting.units.currency].append(posting.units.number)
    return {key: value for key, numbers in sums.items() if (value := dsum(numbers))}


class Commands:
    """Runs bean-revrec in process on copies of a case's directory, collecting what goes wrong."""

    def __init__(self, r: Ready, tmp_path: Path) -> None:
        self.r, self.tmp_path = r, tmp_path
        self.problems: list[str] = []
        dates = ledger_dates(r)
        self.through = str(dates[len(dates) // 2])
        self.earliest = str(max(dates[0], datetime.date.min + ONE_DAY) - ONE_DAY)

    def run(self, *args: str | Path) -> Result:
        words = [str(arg) for arg in args]
        result = invoke(*words)
        problem = failure(result, words)
        if problem:
            self.problems.append(problem)
        return result

    def copy(self, label: str) -> Path:
        target = self.tmp_path / label
        shutil.copytree(self.r.built.root, target)
        return target / self.r.built.main.name

    def report(self, *args: str | Path) -> None:
        """Every format when the command has something to show; one when it refuses (before any formatting)."""
        for fmt in FORMATS:
            if self.run(*args, "--format", fmt).exit_code != 0:
                break

    def reports(self) -> None:
        main = self.copy("read")
        before = read_files(main.parent)
        ids = explain_ids(self.r)
        self.report("explain", main, ids[0])
        for ident in ids[1:]:
            self.run("explain", main, ident)
        self.run("explain", main, "∄ no such id")
        self.report("contracts", main)
        self.run("contracts", main, "--as-of", "9999-12-31", "--format", "json")
        self.report("schedule", main)
        self.run("schedule", main, "--from", "9999-12")
        self.run("schedule", main, "--from", "0001-01", "--format", "csv")
        self.run("schedule", main, "--as-of", "9999-12-31")
        self.report("rollforward", main)
        self.run("rollforward", main, "--as-of", "9999-12-31")
        self.report("rules", main)
        self.report("corrections", main)
        self.run("close", main, "--through", self.through, "--dry-run")
        if read_files(main.parent) != before:
            self.problems.append("a report or close --dry-run changed the files")

    def close(self, label: str, *options: str) -> None:
        """Close a copy: a failure leaves every file as it was; a success keeps balances and adds no error."""
        main = self.copy(label)
        files = read_files(main.parent)
        result = self.run("close", main, *options)
        if result.exit_code != 0:
            if read_files(main.parent) != files:
                self.problems.append(f"close {' '.join(options)} failed and changed the files: {result.output}")
            return
        entries, errors, _ = loader.load_file(str(main))
        if len(errors) > len(self.r.errors) or balances(entries) != balances(self.r.entries):
            self.problems.append(f"close {' '.join(options)} added errors or changed balances")
        files = read_files(main.parent)
        result = self.run("reopen", main, "--through", self.earliest)
        if result.exit_code != 0 and read_files(main.parent) != files:
            self.problems.append(f"reopen failed and changed the files: {result.output}")


@cases()
def test_every_command(case, ready, tmp_path):
    """Every bean-revrec command: a report or one ``Error:`` line, no traceback, no half-written file."""
    r = ready(case)
    commands = Commands(r, tmp_path)
    commands.reports()
    commands.close("close", "--through", commands.through)
    if r.errors:  # without errors --force changes nothing
        commands.close("force", "--through", commands.through, "--force")
    commands.close("far", "--through", "9999-12-31", "--force")
    assert not commands.problems, "\n\n".join(commands.problems)


def shifted(r: Ready, cent: Decimal, *, both: bool, key: str = "/recognition/") -> Ready:
    """``r`` with the first generated entry whose key holds ``key`` moving ``cent`` more (on both legs, or on its
    first posting only)."""
    entries = list(r.entries)
    made = {id(entry) for entry in r.generated}
    index = next(index for index, entry in enumerate(entries) if id(entry) in made and key in entry.meta[KEY])
    entry = entries[index]
    postings = [posting._replace(units=Amount(posting.units.number + (cent if posting.units.number > 0 else -cent),
                                              posting.units.currency))
                if both or number == 0 else posting for number, posting in enumerate(entry.postings)]
    entries[index] = entry._replace(postings=postings)
    return r._replace(entries=entries)


def test_the_invariants_catch_a_cent(ready):
    """A cent created or lost in a generated entry breaks conservation (balanced) or the balance (unbalanced)."""
    for name in ("credit-ok-mid-month", "contract-ok-kwd-monthly", "currency-ok-jpy-ratable"):
        r = ready(next(case for case in CASES if case.name == name))
        cent = Decimal("0.01") if "jpy" not in name else Decimal(1)
        assert len(conservation_problems(shifted(r, cent, both=True))) > len(conservation_problems(r)), name
        assert len(generated_problems(shifted(r, cent, both=False))) > len(generated_problems(r)), name


CREDIT_CENTS = {  # case -> the key (part) of the entry shifted by a cent
    "contra-ok-void": "il_v/void/", "contra-ok-uncollectible-jpy": "/uncollectible/write-off",
    "contra-ok-void-own-account": "/Income:Services/void/deferred",
    "contra-ok-uncollectible-paid-in-part": "/recovery/", "contra-ok-uncollectible-paid-in-full": "/recoverables",
    "contra-ok-uncollectible-two-lines-paid-in-part": "Income:Services/recovery/",
    "contra-ok-void-after-uncollectible-own-accounts": "/void/void",
    "contra-ok-dispute-beyond-line": "dp_1/Income:Sales/other-loss",
    "contra-ok-split-across-kinds-own-accounts": "/credit-note", "contra-ok-kind-write-off-own-account": "/write-off",
    "contra-ok-credit-of-tax-share": "cn_1/Income:Sales/tax", "contra-ok-refund-after-recovery": "cn_1/Income:Sales/rec",
    "contra-ok-deferred-first": "cn_2/Income:Sales/deferred",
}


@pytest.mark.parametrize("name", CREDIT_CENTS)
def test_the_credit_invariants_catch_a_cent(ready, name):
    """A cent created or lost in a credit's, void's, write-off's or recovery's entry breaks conservation."""
    r = ready(next(case for case in CASES if case.name == name))
    assert conservation_problems(r) == []
    for cent in (Decimal("0.01"), Decimal("-0.01")) if "jpy" not in name else (Decimal(1), Decimal(-1)):
        assert conservation_problems(shifted(r, cent, both=True, key=CREDIT_CENTS[name])), (name, cent)
        assert generated_problems(shifted(r, cent, both=False, key=CREDIT_CENTS[name])), (name, cent)
