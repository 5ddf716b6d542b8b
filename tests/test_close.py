"""Period close (SPEC 6.3 and 8): ``close``, ``reopen`` and ``corrections``, the plugin's corrections.

Ledgers are written to ``tmp_path`` (copies, never the files in ``ledgers/``). Commands run in-process
through ``click.testing.CliRunner``, ``close`` once as the installed console script. Balances and
corrections are read with the real ``bean-query``; every expected correction is also derived
independently: load the same ledger without its closed-books file (no close at all) and subtract the
frozen entries from what it generates through the close date, per key, account and currency.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
import re
import shutil
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from beancount import loader
from beancount.core.data import Custom, Transaction
from beancount.parser import parser, printer

from beancount_revrec.writer import HEADER
from tests.conftest import LEDGERS, bean_query, invoke, ok, run_tool, tables

AR = "Assets:AccountsReceivable"
BANK = "Assets:Bank"
CONTRACT_ASSETS = "Assets:ContractAssets"
DEFERRED = "Liabilities:DeferredRevenue"
SALES = "Income:Sales"
SUBSCRIPTIONS = "Income:Subscriptions"

THROUGH = "2022-06-30"
FIRST_OPEN = "2022-07-01"
D = Decimal

EXAMPLE = LEDGERS / "example-8.1.beancount"
EXAMPLE_CLOSED = LEDGERS / "example-8.1.closed.beancount"
CONTRACT = LEDGERS / "example-7.1.beancount"

# A ledger with a ratable invoice, a fulfillment line with one event, a ratable line with a line id,
# a cash sale (no invoice, no line id: keyed by date, account and a digest of payee and narration)
# and an unrelated bank transaction. Closed through 2022-06-30 by the `books` fixture.
BOOKS_HEAD = """\
option "operating_currency" "USD"
plugin "beancount_revrec"

2022-01-01 open Assets:AccountsReceivable
2022-01-01 open Assets:Bank
2022-01-01 open Equity:Opening
2022-01-01 open Income:Sales
"""
PREPAID_RULE = """\
2022-01-01 custom "revrec-rule" "prepaid-usage"
  product: "prod_prepaid"
  treatment: "fulfillment"
"""
OPENING = """\
2022-01-01 * "Owner" "Opening balance"
  Assets:Bank        1000.00 USD
  Equity:Opening    -1000.00 USD
"""
ANNUAL_LICENCE = """\
2022-01-01 * "Acme" "Annual licence"
  invoice: "in_81"
  Assets:AccountsReceivable   1200.00 USD
  Income:Sales               -1200.00 USD
    product: "prod_licence"
    service-start: 2022-01-01
    service-end: 2023-01-01
"""
PREPAID_PACKAGE = """\
2022-02-01 * "Beta" "Prepaid package"
  invoice: "in_2"
  Assets:AccountsReceivable   100.00 USD
  Income:Sales               -100.00 USD
    product: "prod_prepaid"
    line: "il_AAA"
"""
EVENT = '2022-03-10 custom "revrec-fulfill" "il_AAA" 10.00 USD\n'
SUPPORT_INVOICE = """\
2022-03-01 * "Gamma" "Support"
  invoice: "in_3"
  Assets:AccountsReceivable   300.00 USD
  Income:Sales               -300.00 USD
    product: "prod_support"
    line: "il_sup"
    service-start: 2022-03-01
    service-end: 2022-09-01
"""
CASH_SALE = """\
2022-05-20 * "Cash sale"
  Assets:Bank        50.00 USD
  Income:Sales      -50.00 USD
    service-start: 2022-05-20
    service-end: 2022-08-20
"""
BOOKS = (f"{BOOKS_HEAD}\n{PREPAID_RULE}\n{OPENING}\n{ANNUAL_LICENCE}\n{PREPAID_PACKAGE}\n{EVENT}\n"
         f"{SUPPORT_INVOICE}\n{CASH_SALE}")
BOOKS_FROZEN = 17  # generated entries dated on or before 2022-06-30
# receivable, Income:Sales and deferred revenue move in January-March (invoices), the last two in April-June
BOOKS_LOCKS = 15
BOOKS_INCLUDE = 'include "books.closed.beancount"'
BACKDATED = """
2022-04-01 * "Delta" "Backdated support"
  invoice: "in_4"
  Assets:AccountsReceivable   90.00 USD
  Income:Sales               -90.00 USD
    line: "il_late"
    service-start: 2022-04-01
    service-end: 2022-10-01
"""

EXAMPLE_TEXT = EXAMPLE.read_text(encoding="utf-8")
EXAMPLE_INCLUDE = 'include "example-8.1.closed.beancount"'
# Example 8.1 as it was when it was closed: no include, no rule; and the rule added after the close
EXAMPLE_OPEN = EXAMPLE_TEXT[:EXAMPLE_TEXT.index(EXAMPLE_INCLUDE)].rstrip("\n") + "\n"
EXAMPLE_RULE = EXAMPLE_TEXT[EXAMPLE_TEXT.index("; Added after the close:"):]

# Income:Sales per month of Example 8.1: daily over 2022 (frozen), amortize 6 months (the rule)
DAILY = {"2022-01": "-101.92", "2022-02": "-92.05", "2022-03": "-101.92", "2022-04": "-98.63",
         "2022-05": "-101.92", "2022-06": "-98.63"}
SIX_MONTHS = {"2022-01": "-205.52", "2022-02": "-185.64", "2022-03": "-205.53", "2022-04": "-198.89",
              "2022-05": "-205.52", "2022-06": "-198.90"}


# --- helpers ----------------------------------------------------------------------------------------


def fails(*args: str | Path) -> str:
    """Run a command that must fail with exactly one ``Error:`` line and no traceback; the line."""
    result = invoke(*args)
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: "), result.output
    return lines[0]


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` (temporary files included), by relative path."""
    return {str(path.relative_to(directory)): path.read_bytes()
            for path in sorted(directory.rglob("*")) if path.is_file()}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def close(main_path: Path, through: str = THROUGH, *extra: str) -> str:
    return ok("close", main_path, "--through", through, *extra)


def closed_copy(directory: Path, name: str, text: str, through: str = THROUGH) -> Path:
    """``text`` written as ``directory/name`` and closed through ``through``."""
    path = write(directory / name, text)
    close(path, through)
    return path


def closed_file(main_path: Path) -> Path:
    return main_path.with_name(main_path.stem + ".closed.beancount")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    write(path, text.replace(old, new))


def load(path: Path) -> list[Any]:
    entries, errors, _ = loader.load_file(str(path))
    assert errors == [], [error.message for error in errors]
    return entries


def bean_check(path: Path) -> None:
    result = run_tool("bean-check", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def includes(text: str) -> list[str]:
    return re.findall(r'^include "([^"]+)"$', text, flags=re.MULTILINE)


def is_generated(entry: object) -> bool:
    return isinstance(entry, Transaction) and "revrec-kind" in entry.meta


def frozen_entries(path: Path) -> list[Transaction]:
    """The transactions of a closed-books file as written (parsed, no plugin)."""
    entries, errors, _ = parser.parse_file(str(path))
    assert errors == []
    return [entry for entry in entries if isinstance(entry, Transaction)]


def close_date(path: Path) -> datetime.date:
    entries, _, _ = parser.parse_file(str(path))
    [directive] = [entry for entry in entries if isinstance(entry, Custom) and entry.type == "revrec-close"]
    return directive.date


def postings_multiset(entries: list[Any]) -> Counter[tuple[datetime.date, str, Decimal]]:
    return Counter((entry.date, posting.account, posting.units.number)
                   for entry in entries if isinstance(entry, Transaction) for posting in entry.postings)


def totals(entries: list[Any]) -> dict[tuple[str, str], Decimal]:
    found: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, Transaction):
            for posting in entry.postings:
                found[posting.account, posting.units.currency] += posting.units.number
    return {key: value for key, value in found.items() if value}


class Row(NamedTuple):
    """One posting as bean-query reports it."""

    date: str
    account: str
    number: Decimal
    generated: bool
    kind: str
    corrects: str
    cause: str


POSTINGS = ("SELECT date, account, number, currency, 'revrec' IN tags AS generated, "
            "entry_meta('revrec-kind') AS kind, entry_meta('revrec-corrects') AS corrects, "
            "entry_meta('revrec-cause') AS cause")


def postings(ledger: Path) -> list[Row]:
    """Every USD posting of the ledger, through the real bean-query."""
    return [Row(row["date"], row["account"], D(row["number"]), row["generated"] == "TRUE", row["kind"],
                row["corrects"], row["cause"])
            for row in bean_query(ledger, POSTINGS) if row["currency"] == "USD"]


def monthly(rows: list[Row], *, until: str = "9999-12", since: str = "0000-01",
            generated: bool = False) -> dict[tuple[str, str], Decimal]:
    """{(YYYY-MM, account): sum} over months ``since``..``until`` (inclusive); zeros dropped."""
    table: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in rows:
        if since <= row.date[:7] <= until and (row.generated or not generated):
            table[row.date[:7], row.account] += row.number
    return {key: value for key, value in table.items() if value}


def account_months(table: dict[tuple[str, str], Decimal], account: str) -> dict[str, str]:
    return {month: str(amount) for (month, name), amount in sorted(table.items()) if name == account}


def correction_rows(rows: list[Row]) -> list[Row]:
    return [row for row in rows if row.kind == "correction"]


def by_key(rows: list[Row]) -> dict[tuple[str, str], Decimal]:
    found: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in rows:
        found[row.corrects, row.account] += row.number
    return {key: value for key, value in found.items() if value}


def without_close(main_path: Path) -> Path:
    """A copy of the main file that does not include the closed-books file: the ledger with no close at all."""
    text = main_path.read_text(encoding="utf-8")
    included = includes(text)
    assert len(included) == 1, included
    copy = main_path.with_name("no-close.beancount")
    write(copy, text.replace(f'include "{included[0]}"\n', ""))
    return copy


def expected_corrections(main_path: Path, closed_path: Path) -> dict[tuple[str, str], Decimal]:
    """Per (key, account): recomputed (the ledger without close, through the close date) minus frozen."""
    through = close_date(closed_path)
    copy = without_close(main_path)
    try:
        recomputed = [entry for entry in load(copy) if is_generated(entry) and entry.date <= through]
    finally:
        copy.unlink()
    difference: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for entry in recomputed:
        for posting in entry.postings:
            difference[entry.meta["revrec-key"], posting.account] += posting.units.number
    for entry in frozen_entries(closed_path):
        for posting in entry.postings:
            key = entry.meta.get("revrec-corrects", entry.meta["revrec-key"])
            difference[key, posting.account] -= posting.units.number
    return {key: value for key, value in difference.items() if value}


def assert_closed_months_kept(main_path: Path, before: list[Row], *, until: str = "2022-06",
                              user_change: dict[tuple[str, str], Decimal] | None = None) -> list[Row]:
    """After a change: closed months' balances as before (up to the user's own edited entry), corrections right.

    Returns:
        bean-query's rows of the changed ledger.
    """
    after = postings(main_path)
    # the generated postings of the closed months never change
    assert monthly(after, until=until, generated=True) == monthly(before, until=until, generated=True)
    # all postings of the closed months change by the user's own edit only (none for a rule, event or item)
    expected = defaultdict(Decimal, monthly(before, until=until))
    for key, amount in (user_change or {}).items():
        expected[key] += amount
    assert monthly(after, until=until) == {key: amount for key, amount in expected.items() if amount}
    # the corrections are the difference between recomputed and frozen, to the cent, on the first open day
    closed_path = closed_file(main_path)
    first_open = str(close_date(closed_path) + datetime.timedelta(days=1))
    corrections = correction_rows(after)
    assert corrections
    assert {row.date for row in corrections} == {first_open}
    assert by_key(corrections) == expected_corrections(main_path, closed_path)
    # over all time, the closed ledger and the ledger without close agree
    copy = without_close(main_path)
    try:
        assert totals(load(main_path)) == totals(load(copy))
    finally:
        copy.unlink()
    bean_check(main_path)
    return after


def causes(rows: list[Row]) -> dict[str, str]:
    found = {row.corrects: row.cause for row in rows}
    assert all(found.values()), found
    return found


def corrections_json(main_path: Path) -> list[dict[str, Any]]:
    return json.loads(ok("corrections", main_path, "--format", "json"))


@pytest.fixture
def books(tmp_path: Path) -> Path:
    """BOOKS closed through 2022-06-30."""
    return closed_copy(tmp_path, "books.beancount", BOOKS)


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of Example 8.1: closed through 2022-06-30, then the rule added."""
    shutil.copy(EXAMPLE, tmp_path / EXAMPLE.name)
    shutil.copy(EXAMPLE_CLOSED, tmp_path / EXAMPLE_CLOSED.name)
    return tmp_path / EXAMPLE.name


# --- Example 8.1 ----------------------------------------------------------------------------------


def test_example_8_1_through_bean_query():
    rows = postings(EXAMPLE)
    sales = account_months(monthly(rows), SALES)
    # January-June as frozen (595.07), the rule's difference on 2022-07-01, nothing after
    assert sales == {**DAILY, "2022-07": "-604.93"}
    assert sum(D(value) for value in DAILY.values()) == D("-595.07")
    assert sum(row.number for row in rows if row.account == SALES and row.generated and row.number < 0) \
        == D("-1200.00")
    assert monthly(rows, since="2022-08") == {}
    corrections = correction_rows(rows)
    assert {row.date for row in corrections} == {FIRST_OPEN}
    assert sum(row.number for row in corrections if row.account == SALES) == D("-604.93")
    assert sum(row.number for row in corrections if row.account == DEFERRED) == D("604.93")
    assert set(causes(corrections).values()) == {"rule changed: default -> licence-6-months"}
    # over the year: 1200.00 recognised, nothing left deferred
    assert totals(load(EXAMPLE)) == {(AR, "USD"): D("1200.00"), (SALES, "USD"): D("-1200.00")}
    # the stored query of the example agrees
    stored = bean_query(EXAMPLE, ".run corrections")
    assert sum(D(row["number"]) for row in stored if row["account"] == SALES) == D("-604.93")


@pytest.mark.parametrize("how", ["runner", "subprocess"])
def test_example_8_1_reproduced_from_scratch(tmp_path: Path, how: str):
    main_path = write(tmp_path / EXAMPLE.name, EXAMPLE_OPEN)
    before = postings_multiset(load(main_path))
    if how == "runner":
        out = close(main_path)
    else:
        result = run_tool("bean-revrec", "close", main_path, "--through", THROUGH)
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        out = result.stdout
    # January's invoice, then Income:Sales and deferred revenue in each month of the half year
    assert out == (f"Closed through {THROUGH}: froze 7 entries into {tmp_path / EXAMPLE_CLOSED.name} and locked "
                   "13 monthly account movements.\n")
    # the closed-books file is the one the example ships: the close directive and seven frozen entries
    closed_text = (tmp_path / EXAMPLE_CLOSED.name).read_text(encoding="utf-8")
    assert closed_text == EXAMPLE_CLOSED.read_text(encoding="utf-8")
    assert closed_text.endswith(f'\n{THROUGH} custom "revrec-close" "books closed"\n')
    # the locks: what each account moved in each closed month (January's invoice, then a half year of recognition)
    assert re.findall(r'^(\S+) custom "revrec-locked" (\S+) (\S+) USD$', closed_text, flags=re.MULTILINE) == [
        ("2022-01-31", AR, "1200.00"), ("2022-01-31", SALES, "-101.92"), ("2022-01-31", DEFERRED, "-1098.08"),
        *((f"2022-{month}-{day}", account, str(sign * D(DAILY[f"2022-{month}"])))
          for month, day in (("02", "28"), ("03", "31"), ("04", "30"), ("05", "31"), ("06", "30"))
          for account, sign in ((SALES, 1), (DEFERRED, -1)))]
    frozen = frozen_entries(tmp_path / EXAMPLE_CLOSED.name)
    assert [entry.meta["revrec-key"] for entry in frozen] == [
        "in_81/Income:Sales/prod_licence/deferral",
        *(f"in_81/Income:Sales/prod_licence/recognition/{day}" for day in
          ("2022-01-31", "2022-02-28", "2022-03-31", "2022-04-30", "2022-05-31", "2022-06-30"))]
    assert all("revrec" in entry.tags for entry in frozen)
    # the main file: its text untouched, one include line appended
    main_text = main_path.read_text(encoding="utf-8")
    assert main_text == EXAMPLE_OPEN + f"\n{EXAMPLE_INCLUDE}\n"
    assert includes(main_text) == [EXAMPLE_CLOSED.name]
    assert postings_multiset(load(main_path)) == before
    bean_check(main_path)
    # no correction yet; then the rule is added after the close: the shipped example
    assert ok("corrections", main_path) == f"Books closed through {THROUGH}; 0 correction(s).\n"
    before_rows = postings(main_path)
    write(main_path, main_text + "\n" + EXAMPLE_RULE)
    assert main_path.read_text(encoding="utf-8") == EXAMPLE_TEXT
    after = assert_closed_months_kept(main_path, before_rows)
    assert account_months(monthly(after), SALES) == {**DAILY, "2022-07": "-604.93"}
    listed = corrections_json(main_path)
    assert len(listed) == 6
    assert sum(D(row["postings"][1]["number"]) for row in listed if row["postings"][1]["account"] == SALES) \
        == D("-604.93")


# --- kinds of change after a close ------------------------------------------------------------------


def errors_of(path: Path) -> list[tuple[str, int, str]]:
    """The load errors of a ledger: (file, line, message)."""
    _, errors, _ = loader.load_file(str(path))
    return [(error.source["filename"], error.source["lineno"], error.message) for error in errors]


def test_backdated_invoice_into_the_closed_period(books: Path):
    before = postings(books)
    write(books, books.read_text(encoding="utf-8") + BACKDATED)
    # an error at the invoice's line, which says what to do; nothing else (its balances are explained by it)
    line = books.read_text(encoding="utf-8").splitlines().index("  Income:Sales               -90.00 USD") + 1
    assert errors_of(books) == [(str(books), line, (
        "line il_late is dated 2022-04-01, in the closed period (books closed through 2022-06-30), and was added "
        f"after the close: date it after 2022-06-30, or reopen the books first (bean-revrec reopen {books} "
        "--through 2022-03-31)"))]
    result = run_tool("bean-check", books)
    assert result.returncode == 1
    assert f"{books}:{line}: line il_late is dated 2022-04-01" in result.stderr
    # the rest still generates: its deferral and its recognitions of April-June (90.00 over 183 days) would
    # land on 2022-07-01, and January-June of every other line stay as frozen
    after = postings(books)
    assert monthly(after, until="2022-06", generated=True) == monthly(before, until="2022-06", generated=True)
    assert by_key(correction_rows(after)) == {
        ("il_late/deferral", SALES): D("90.00"), ("il_late/deferral", DEFERRED): D("-90.00"),
        ("il_late/recognition/2022-04-30", DEFERRED): D("14.75"),
        ("il_late/recognition/2022-04-30", SALES): D("-14.75"),
        ("il_late/recognition/2022-05-31", DEFERRED): D("15.25"),
        ("il_late/recognition/2022-05-31", SALES): D("-15.25"),
        ("il_late/recognition/2022-06-30", DEFERRED): D("14.75"),
        ("il_late/recognition/2022-06-30", SALES): D("-14.75"),
    }
    # the fix the message gives: reopen through March (the ledger's only error is the one reopening fixes)
    assert ok("reopen", books, "--through", "2022-03-31") == (
        f"Reopened after 2022-03-31: removed 9 frozen entries from {closed_file(books)}.\n")
    assert errors_of(books) == []
    close(books)
    assert errors_of(books) == []
    assert ok("corrections", books) == f"Books closed through {THROUGH}; 0 correction(s).\n"
    # now April-June show the invoice as they would have had it been there before the close
    rows = postings(books)
    assert monthly(rows, since="2022-04", until="2022-06", generated=True) == {
        key: number + {("2022-04", SALES): D("90.00") - D("14.75"), ("2022-04", DEFERRED): D("14.75") - D("90.00"),
                       ("2022-05", SALES): D("-15.25"), ("2022-05", DEFERRED): D("15.25"),
                       ("2022-06", SALES): D("-14.75"), ("2022-06", DEFERRED): D("14.75")}.get(key, D(0))
        for key, number in monthly(before, since="2022-04", until="2022-06", generated=True).items()}


def test_backdated_invoice_dated_after_the_close_instead(books: Path):
    write(books, books.read_text(encoding="utf-8") + BACKDATED.replace("2022-04-01", "2022-07-01"))
    assert errors_of(books) == []
    assert ok("corrections", books) == f"Books closed through {THROUGH}; 0 correction(s).\n"


def test_transaction_without_service_period_added_to_a_closed_month(books: Path):
    # the plugin generates nothing for it (immediate), so the lock names the account, month and difference
    write(books, books.read_text(encoding="utf-8") + (
        '\n2022-02-10 * "Gamma" "Cash sale"\n  Assets:Bank   10.00 USD\n  Income:Sales  -10.00 USD\n'))
    closed_text = closed_file(books).read_text(encoding="utf-8")
    lock = closed_text.splitlines().index('2022-02-28 custom "revrec-locked" Income:Sales -92.05 USD') + 1
    assert errors_of(books) == [(str(closed_file(books)), lock, (
        "the closed period ending 2022-02-28 changed after the close: Income:Sales moves -102.05 USD in it, the "
        "close locked -92.05 USD (a difference of -10.00 USD). A transaction dated on or before 2022-06-30 was "
        f"added, changed or removed: date it after 2022-06-30, or reopen the books first (bean-revrec reopen {books} "
        "--through 2022-01-31)"))]


def test_amount_of_a_closed_invoice_changed(books: Path):
    edit(books, "  Assets:AccountsReceivable   300.00 USD\n  Income:Sales               -300.00 USD\n",
         "  Assets:AccountsReceivable   310.00 USD\n  Income:Sales               -310.00 USD\n")
    # an error at the line, which deferred 300.00 when it was closed and 310.00 now; and, locked in March, the
    # receivable and the revenue move 10.00 more (the deferral's correction would be booked on 2022-07-01)
    lines = closed_file(books).read_text(encoding="utf-8").splitlines()
    line = books.read_text(encoding="utf-8").splitlines().index("  Income:Sales               -310.00 USD") + 1
    assert errors_of(books) == [
        (str(books), line, (
            "line il_sup is dated 2022-03-01, in the closed period (books closed through 2022-06-30), and its amount "
            "changed after the close (it deferred or reclassified 300.00 USD then, 310.00 USD now): undo the change "
            "and book the difference after 2022-06-30 (an invoice or a credit note), or reopen the books first "
            f"(bean-revrec reopen {books} --through 2022-02-28)")),
        *((str(closed_file(books)), lines.index(f'2022-03-31 custom "revrec-locked" {account} {locked} USD') + 1, (
            f"the closed period ending 2022-03-31 changed after the close: {account} moves {now} USD in it, the close "
            f"locked {locked} USD (a difference of {difference} USD). A transaction dated on or before 2022-06-30 "
            f"was added, changed or removed: date it after 2022-06-30, or reopen the books first (bean-revrec reopen "
            f"{books} --through 2022-02-28)"))
        for account, now, locked, difference in ((AR, "310.00", "300.00", "10.00"),
                                                 (SALES, "-172.46", "-162.46", "-10.00")))]
    assert {row.cause for row in correction_rows(postings(books))} == {
        "line il_sup: deferral amount changed (amount)", "line il_sup: recognition amount changed (amount, event or item)"}


def test_fulfillment_event_edited_in_a_closed_month(books: Path):
    before = postings(books)
    edit(books, EVENT, EVENT.replace("10.00 USD", "25.00 USD"))
    after = assert_closed_months_kept(books, before)
    assert by_key(correction_rows(after)) == {("il_AAA/recognition/2022-03-10", DEFERRED): D("15.00"),
                                              ("il_AAA/recognition/2022-03-10", SALES): D("-15.00")}
    cause = causes(correction_rows(after))["il_AAA/recognition/2022-03-10"]
    assert "il_AAA" in cause
    assert "changed" in cause
    # the rest (75.00, not 90.00) at the fallback date, 2022-02-01 + 1 year
    assert monthly(after, since="2023-02", until="2023-02")["2023-02", SALES] == D("-75.00")
    [row] = [row for row in corrections_json(books) if row["corrects"] == "il_AAA/recognition/2022-03-10"]
    assert (row["frozen"], row["recomputed"]) == ("10.00 USD", "25.00 USD")


def test_fulfillment_event_moved_within_the_closed_period(books: Path):
    before = postings(books)
    edit(books, EVENT, EVENT.replace("2022-03-10", "2022-04-10"))
    after = assert_closed_months_kept(books, before)
    # March's recognition undone, April's booked: both on 2022-07-01, net nothing
    assert by_key(correction_rows(after)) == {("il_AAA/recognition/2022-03-10", SALES): D("10.00"),
                                              ("il_AAA/recognition/2022-03-10", DEFERRED): D("-10.00"),
                                              ("il_AAA/recognition/2022-04-10", DEFERRED): D("10.00"),
                                              ("il_AAA/recognition/2022-04-10", SALES): D("-10.00")}
    found = causes(correction_rows(after))
    assert "2022-03-10" in found["il_AAA/recognition/2022-03-10"]
    assert "no longer generated" in found["il_AAA/recognition/2022-03-10"]
    assert "2022-04-10" in found["il_AAA/recognition/2022-04-10"]
    assert "new recognition" in found["il_AAA/recognition/2022-04-10"]


def test_contract_item_amount_changed_after_close(tmp_path: Path):
    main_path = closed_copy(tmp_path, "contract.beancount", CONTRACT.read_text(encoding="utf-8"))
    assert len(frozen_entries(closed_file(main_path))) == 12  # six billings, six recognitions
    before = postings(main_path)
    edit(main_path, '"revrec-item" "ct_1" 10000.00 USD', '"revrec-item" "ct_1" 12000.00 USD')
    after = assert_closed_months_kept(main_path, before)
    corrections = correction_rows(after)
    # revenue through June: 10000.00 x 181/730 = 2479.45 frozen, 12000.00 x 181/730 = 2975.34 recomputed
    assert sum(row.number for row in corrections if row.account == SUBSCRIPTIONS) == D("-495.89")
    assert sum(row.number for row in before if row.account == SUBSCRIPTIONS and row.date <= THROUGH) \
        == D("-2479.45")
    assert sum(row.number for row in after if row.account == SUBSCRIPTIONS and row.date <= FIRST_OPEN) \
        == D("-2975.34")
    found = causes(corrections)
    assert found["ct_1/platform/recognition/2022-01-31"] == \
        "contract ct_1/platform: recognition amount changed (amount, event or item)"
    assert all("ct_1" in cause for cause in found.values())
    # ASC 606 presentation after the corrections: billed 2916.67 (7 invoices), recognised 2975.34
    balance = defaultdict(Decimal)
    for row in after:
        if row.date <= FIRST_OPEN:
            balance[row.account] += row.number
    assert balance[AR] == D("2916.67")
    assert balance[CONTRACT_ASSETS] == D("58.67")
    assert balance[DEFERRED] == D("0")


def test_contract_billing_correction_does_not_claim_the_billing_amount_changed(tmp_path: Path):
    """The billing amounts are the same; only the split between contract asset and deferred revenue moved."""
    main_path = closed_copy(tmp_path, "contract.beancount", CONTRACT.read_text(encoding="utf-8"))
    edit(main_path, '"revrec-item" "ct_1" 10000.00 USD', '"revrec-item" "ct_1" 12000.00 USD')
    rows = corrections_json(main_path)
    billing = [row for row in rows if "/billing/" in row["corrects"]]
    assert len(billing) == 5  # February to June: the contract asset grows instead of deferred revenue
    for row in billing:
        assert row["frozen"] == row["recomputed"]  # e.g. 416.66 USD both
        assert "amount changed" not in row["cause"], row


def test_rule_deleted_after_close(tmp_path: Path):
    # Example 8.1 with its rule from the start, closed through March; then the rule is deleted
    main_path = closed_copy(tmp_path, "licence.beancount", EXAMPLE_OPEN + "\n" + EXAMPLE_RULE, "2022-03-31")
    before = postings(main_path)
    assert account_months(monthly(before, until="2022-03"), SALES) == {
        month: SIX_MONTHS[month] for month in ("2022-01", "2022-02", "2022-03")}
    edit(main_path, EXAMPLE_RULE, "")
    after = assert_closed_months_kept(main_path, before, until="2022-03")
    corrections = correction_rows(after)
    assert {row.date for row in corrections} == {"2022-04-01"}
    assert by_key(corrections) == {
        (f"in_81/Income:Sales/prod_licence/recognition/{day}", account): sign * D(amount)
        for day, amount in (("2022-01-31", "103.60"), ("2022-02-28", "93.59"), ("2022-03-31", "103.61"))
        for account, sign in ((SALES, 1), (DEFERRED, -1))}
    assert set(causes(corrections).values()) == {"rule changed: licence-6-months -> default"}
    # April: the default rule's -98.63 plus the 300.80 taken back
    assert account_months(monthly(after, since="2022-04", until="2022-04"), SALES) == {"2022-04": "202.17"}
    listed = {row["corrects"][-10:]: (row["frozen"], row["recomputed"]) for row in corrections_json(main_path)}
    assert listed == {"2022-01-31": ("205.52 USD", "101.92 USD"), "2022-02-28": ("185.64 USD", "92.05 USD"),
                      "2022-03-31": ("205.53 USD", "101.92 USD")}


def test_line_removed_after_close(books: Path):
    before = postings(books)
    edit(books, SUPPORT_INVOICE + "\n", "")
    # the invoice's March postings are missing from the locked month: the receivable and the revenue
    lines = closed_file(books).read_text(encoding="utf-8").splitlines()
    assert errors_of(books) == [
        (str(closed_file(books)), lines.index(f'2022-03-31 custom "revrec-locked" {account} {locked} USD') + 1, (
            f"the closed period ending 2022-03-31 changed after the close: {account} moves {now} USD in it, the close "
            f"locked {locked} USD (a difference of {difference} USD). A transaction dated on or before 2022-06-30 "
            f"was added, changed or removed: date it after 2022-06-30, or reopen the books first (bean-revrec reopen "
            f"{books} --through 2022-02-28)"))
        for account, now, locked, difference in ((AR, "0.00", "300.00", "-300.00"),
                                                 (SALES, "137.54", "-162.46", "300.00"))]
    # the rest still generates: the frozen deferral and the four recognitions (198.91) would be reversed on
    # 2022-07-01, and the other lines' closed months stay as frozen
    after = postings(books)
    assert monthly(after, until="2022-06", generated=True) == monthly(before, until="2022-06", generated=True)
    corrections = correction_rows(after)
    assert by_key(corrections) == {
        ("il_sup/deferral", DEFERRED): D("300.00"), ("il_sup/deferral", SALES): D("-300.00"),
        **{(f"il_sup/recognition/{day}", account): sign * D(amount)
           for day, amount in (("2022-03-31", "50.54"), ("2022-04-30", "48.92"), ("2022-05-31", "50.54"),
                               ("2022-06-30", "48.91"))
           for account, sign in ((SALES, 1), (DEFERRED, -1))}}
    assert set(causes(corrections).values()) == {
        "line il_sup removed or no longer generates entries in the closed period"}
    # reopening before March and closing again removes the invoice cleanly: no error, no correction
    ok("reopen", books, "--through", "2022-02-28")
    close(books)
    assert errors_of(books) == []
    assert ok("corrections", books) == f"Books closed through {THROUGH}; 0 correction(s).\n"
    assert totals(load(books)) == totals(load(write(books.with_name("open.beancount"),
                                                    BOOKS.replace(SUPPORT_INVOICE + "\n", ""))))


# --- the corrections command ------------------------------------------------------------------------


def test_corrections_table_csv_json(example: Path):
    keys = [f"in_81/Income:Sales/prod_licence/recognition/{month}-{day}"
            for month, day in zip(DAILY, ("31", "28", "31", "30", "31", "30"), strict=True)]
    rows = corrections_json(example)
    assert [row["corrects"] for row in rows] == keys
    assert [(row["frozen"], row["recomputed"]) for row in rows] == [
        (f"{-D(DAILY[month])} USD", f"{-D(SIX_MONTHS[month])} USD") for month in DAILY]
    for row in rows:
        assert row["date"] == FIRST_OPEN
        assert row["key"] == f"{row['corrects']}/correction/{FIRST_OPEN}"
        assert row["cause"] == "rule changed: default -> licence-6-months"
    assert [row["postings"] for row in rows] == [
        [{"account": DEFERRED, "number": str(D(DAILY[m]) - D(SIX_MONTHS[m])), "currency": "USD"},
         {"account": SALES, "number": str(D(SIX_MONTHS[m]) - D(DAILY[m])), "currency": "USD"}]
        for m in DAILY]
    assert sum(D(row["postings"][0]["number"]) for row in rows) == D("604.93")

    csv_rows = list(csv.reader(io.StringIO(ok("corrections", example, "--format", "csv"))))
    assert csv_rows[0] == ["date", "corrects", "frozen", "recomputed", "cause", "postings"]
    assert csv_rows[1] == [FIRST_OPEN, keys[0], "101.92 USD", "205.52 USD", "rule changed: default -> licence-6-months",
                           f"{DEFERRED} 103.60 USD {SALES} -103.60 USD"]
    assert [row[1] for row in csv_rows[1:]] == keys

    out = ok("corrections", example)
    assert out.splitlines()[0] == f"Books closed through {THROUGH}; 6 correction(s)."
    # a key is never broken, so this table is wider than 80 columns: only the cause wraps, at spaces
    assert [line.split()[1] for line in out.splitlines() if line.startswith(FIRST_OPEN)] == keys
    assert "licence-6-months" in [line.strip() for line in out.splitlines()]
    [table] = tables(out)
    assert table[0] == ["date", "corrects", "frozen", "recomputed", "cause"]
    assert table[1:] == [
        [FIRST_OPEN, key, f"{-D(DAILY[month])} USD", f"{-D(SIX_MONTHS[month])} USD",
         "rule changed: default -> licence-6-months"] for key, month in zip(keys, DAILY, strict=True)]


def test_corrections_without_close(tmp_path: Path):
    main_path = write(tmp_path / "open.beancount", BOOKS)
    assert ok("corrections", main_path) == (
        f"The books of {main_path} are not closed (no revrec-close), so there are no corrections; close them with "
        f"bean-revrec close {main_path} --through DATE.\n")
    assert json.loads(ok("corrections", main_path, "--format", "json")) == []
    assert ok("corrections", main_path, "--format", "csv") == "date,corrects,frozen,recomputed,cause,postings\n"


# --- stability: unrelated edits produce no correction -----------------------------------------------


def _insert_comments_everywhere(text: str) -> str:
    """A comment and blank lines above every dated directive."""
    return re.sub(r"^(\d{4}-\d\d-\d\d )", r"; a note\n\n\n\1", text, flags=re.MULTILINE)


MAIN_EDITS = {
    "comments and blank lines above every entry": _insert_comments_everywhere,
    "comment at the top": lambda text: "; reviewed by the auditor\n\n" + text,
    "unrelated transactions inserted": lambda text: text.replace(
        '2022-01-01 * "Acme"',
        '2022-02-15 * "Bank" "Fees"\n  Assets:Bank  -5.00 USD\n  Equity:Opening  5.00 USD\n\n'
        '2022-06-30 * "Owner" "Top-up"\n  Assets:Bank  20.00 USD\n  Equity:Opening  -20.00 USD\n\n'
        '2022-01-01 * "Acme"'),
    "an invoice after the close": lambda text: text + (
        '\n2022-08-01 * "Epsilon" "Training"\n  invoice: "in_5"\n  Assets:AccountsReceivable  60.00 USD\n'
        '  Income:Sales  -60.00 USD\n    service-start: 2022-08-01\n    service-end: 2022-11-01\n'),
    "entries moved": lambda text: (text.replace(SUPPORT_INVOICE + "\n", "").replace(CASH_SALE, "")
                                   .replace(EVENT, "").replace(PREPAID_RULE, "")
                                   .replace(BOOKS_INCLUDE, f"{CASH_SALE}\n{BOOKS_INCLUDE}\n\n{EVENT}\n"
                                            f"{SUPPORT_INVOICE}\n{PREPAID_RULE}")),
    "unrelated transaction deleted": lambda text: text.replace(OPENING + "\n", ""),
}


def _shuffle_frozen(text: str) -> str:
    """The frozen entries in reverse order, with comments and blank lines between and above them."""
    head, _, body = text.partition(f'{THROUGH} custom "revrec-close"\n')
    blocks = [block for block in body.split("\n\n") if block.strip()]
    return (f'; a note above the close\n\n{head}\n\n{THROUGH} custom "revrec-close"\n\n; frozen, reordered\n\n'
            + "\n\n\n; next\n".join(reversed(blocks)) + "\n")


@pytest.mark.parametrize("name", [*MAIN_EDITS, "closed file reordered with comments"])
def test_unrelated_edits_produce_no_correction(books: Path, name: str):
    generated_before = sorted((entry.date, entry.meta["revrec-key"]) for entry in load(books) if is_generated(entry))
    if name in MAIN_EDITS:
        text = books.read_text(encoding="utf-8")
        changed = MAIN_EDITS[name](text)
        assert changed != text
        write(books, changed)
    else:
        path = closed_file(books)
        write(path, _shuffle_frozen(path.read_text(encoding="utf-8")))
        assert len(frozen_entries(path)) == BOOKS_FROZEN
    entries = load(books)
    assert [entry for entry in entries if is_generated(entry) and entry.meta["revrec-kind"] == "correction"] == []
    assert ok("corrections", books) == f"Books closed through {THROUGH}; 0 correction(s).\n"
    assert corrections_json(books) == []
    if name != "an invoice after the close":
        assert sorted((entry.date, entry.meta["revrec-key"]) for entry in entries if is_generated(entry)) \
            == generated_before


# --- reopen and the round trip ----------------------------------------------------------------------


def test_close_reopen_close_round_trip(books: Path, tmp_path: Path):
    closed_path = closed_file(books)
    state = snapshot(tmp_path)
    rows = postings(books)
    multiset = postings_multiset(load(books))
    assert ok("reopen", books, "--through", "2022-03-31", "--dry-run") == (
        f"Would remove 9 frozen entries after 2022-03-31 from {closed_path} and close through 2022-03-31.\n")
    assert snapshot(tmp_path) == state
    assert ok("reopen", books, "--through", "2022-03-31") == (
        f"Reopened after 2022-03-31: removed 9 frozen entries from {closed_path}.\n")
    # the main file is untouched; the closed file holds what a close through March would write
    assert books.read_bytes() == state["books.beancount"]
    assert close_date(closed_path) == datetime.date(2022, 3, 31)
    frozen = frozen_entries(closed_path)
    assert len(frozen) == 8
    assert max(entry.date for entry in frozen) == datetime.date(2022, 3, 31)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    assert closed_file(closed_copy(fresh, "books.beancount", BOOKS, "2022-03-31")).read_bytes() \
        == closed_path.read_bytes()
    # April-June regenerate with the very same numbers; no correction
    assert sorted(postings(books)) == sorted(rows)
    assert postings_multiset(load(books)) == multiset
    assert ok("corrections", books) == "Books closed through 2022-03-31; 0 correction(s).\n"
    bean_check(books)
    assert close(books) == (f"Closed through {THROUGH}: froze 9 entries into {closed_path} and locked 6 monthly "
                            "account movements.\n")  # Income:Sales and deferred revenue in April, May, June
    shutil.rmtree(fresh)
    assert snapshot(tmp_path) == state
    # forward to September and back to June: byte-identical again
    close(books, "2022-09-30")
    assert close_date(closed_path) == datetime.date(2022, 9, 30)
    ok("reopen", books, "--through", THROUGH)
    assert snapshot(tmp_path) == state


def test_reopen_before_a_rule_change_removes_the_corrections(example: Path):
    closed_path = closed_file(example)
    multiset = postings_multiset(load(example))
    ok("reopen", example, "--through", "2021-12-31")
    assert close_date(closed_path) == datetime.date(2021, 12, 31)
    assert frozen_entries(closed_path) == []
    rows = postings(example)
    assert correction_rows(rows) == []
    # January-June regenerate under the rule (amortize 6 months): nothing in July, 1200.00 in all
    assert account_months(monthly(rows), SALES) == SIX_MONTHS
    assert sum(D(value) for value in SIX_MONTHS.values()) == D("-1200.00")
    assert postings_multiset(load(example)) != multiset  # the months moved, as intended
    assert totals(load(example)) == {(AR, "USD"): D("1200.00"), (SALES, "USD"): D("-1200.00")}
    bean_check(example)


def test_reopen_before_an_event_added_after_close(books: Path):
    edit(books, EVENT, EVENT + '2022-05-10 custom "revrec-fulfill" "il_AAA" 20.00 USD\n')
    rows = postings(books)
    assert by_key(correction_rows(rows)) == {("il_AAA/recognition/2022-05-10", DEFERRED): D("20.00"),
                                             ("il_AAA/recognition/2022-05-10", SALES): D("-20.00")}
    may = monthly(rows, since="2022-05", until="2022-05")["2022-05", SALES]
    ok("reopen", books, "--through", "2022-04-30")
    assert all(entry.date <= datetime.date(2022, 4, 30) for entry in frozen_entries(closed_file(books)))
    after = postings(books)
    assert correction_rows(after) == []
    assert monthly(after, since="2022-05", until="2022-05")["2022-05", SALES] == may - D("20.00")
    assert monthly(after, since="2022-07", until="2022-07")["2022-07", SALES] \
        == monthly(rows, since="2022-07", until="2022-07")["2022-07", SALES] + D("20.00")
    assert monthly(after, until="2022-04") == monthly(rows, until="2022-04")


def test_reopen_refusals(books: Path, tmp_path: Path):
    state = snapshot(tmp_path)
    for day in (THROUGH, "2022-07-31"):
        line = fails("reopen", books, "--through", day)
        assert f"closed through {THROUGH}" in line
        assert "before" in line
    open_ledger = write(tmp_path / "open.beancount", BOOKS)
    assert "revrec-close" in fails("reopen", open_ledger, "--through", "2022-03-31")
    open_ledger.unlink()
    assert snapshot(tmp_path) == state


# --- file safety ------------------------------------------------------------------------------------


def test_close_writes_only_its_file_and_one_include_and_loses_nothing(tmp_path: Path):
    main_path = write(tmp_path / "books.beancount", BOOKS)
    before = load(main_path)
    assert not [entry for entry in before if is_generated(entry) and entry.meta["revrec-kind"] == "correction"]
    out = close(main_path)
    assert out == (f"Closed through {THROUGH}: froze {BOOKS_FROZEN} entries into {tmp_path / 'books.closed.beancount'} "
                   f"and locked {BOOKS_LOCKS} monthly account movements.\n")
    assert sorted(snapshot(tmp_path)) == ["books.beancount", "books.closed.beancount"]
    assert main_path.read_text(encoding="utf-8") == BOOKS + f"\n{BOOKS_INCLUDE}\n"
    after = load(main_path)
    assert postings_multiset(after) == postings_multiset(before)
    assert totals(after) == totals(before)
    frozen = frozen_entries(closed_file(main_path))
    assert len(frozen) == BOOKS_FROZEN
    assert all(entry.date <= datetime.date(2022, 6, 30) and "revrec-key" in entry.meta for entry in frozen)
    assert len({entry.meta["revrec-key"] for entry in frozen}) == BOOKS_FROZEN
    bean_check(main_path)


def test_close_is_idempotent(books: Path, example: Path, tmp_path: Path):
    state = snapshot(tmp_path)
    assert close(books) == f"Books already closed through {THROUGH}: nothing to write.\n"
    # with corrections pending too
    assert close(example) == f"Books already closed through {THROUGH}: nothing to write.\n"
    assert snapshot(tmp_path) == state


def test_close_forward_freezes_the_corrections(example: Path):
    multiset = postings_multiset(load(example))
    rows = postings(example)
    out = close(example, "2022-09-30")
    # the corrections move Income:Sales and deferred revenue in July; August and September move nothing
    assert out == (f"Closed through 2022-09-30: froze 6 entries into {closed_file(example)} and locked 2 monthly "
                   "account movements.\n")
    assert postings_multiset(load(example)) == multiset
    assert sorted(postings(example)) == sorted(rows)
    # the corrections stay listed, frozen now, dated in the period they were booked in
    assert ok("corrections", example).startswith("Books closed through 2022-09-30; 6 correction(s).\n")
    assert {row["date"] for row in corrections_json(example)} == {FIRST_OPEN}
    frozen = frozen_entries(closed_file(example))
    assert [entry.meta["revrec-kind"] for entry in frozen].count("correction") == 6
    assert all("revrec-corrects" in entry.meta for entry in frozen if entry.meta["revrec-kind"] == "correction")
    assert example.read_text(encoding="utf-8") == EXAMPLE_TEXT  # its include was already there
    bean_check(example)


def test_dry_run_writes_nothing_and_prints_the_entries(tmp_path: Path):
    main_path = write(tmp_path / "books.beancount", BOOKS)
    state = snapshot(tmp_path)
    out = ok("close", main_path, "--through", THROUGH, "--dry-run")
    assert snapshot(tmp_path) == state
    lines = out.splitlines()
    assert lines[0] == (f"Would freeze {BOOKS_FROZEN} entries into {tmp_path / 'books.closed.beancount'} and lock "
                        f"{BOOKS_LOCKS} monthly account movements, closing through {THROUGH}, and add include "
                        f'"books.closed.beancount" to {main_path}:')
    headers = [line for line in lines if re.match(r"\d{4}-\d\d-\d\d \* ", line)]
    assert len(headers) == BOOKS_FROZEN
    assert all(line[:10] <= THROUGH and "#revrec" in line for line in headers)
    assert out.count("revrec-key:") == BOOKS_FROZEN
    assert '  revrec-key: "il_sup/recognition/2022-06-30"' in lines
    assert lines[-1] == f'{THROUGH} custom "revrec-close" "books closed"'
    # the printed directives are what close then writes, after the file's header
    close(main_path)
    written = closed_file(main_path).read_text(encoding="utf-8")
    assert written == HEADER + "\n".join(lines[2:]) + "\n"


def test_close_refuses_a_ledger_with_errors_unless_forced(tmp_path: Path):
    broken = BOOKS + '\n2022-02-01 * "Typo"\n  Assets:Bank  1.00 USD\n  Equity:Opening  -2.00 USD\n'
    main_path = write(tmp_path / "books.beancount", broken)
    state = snapshot(tmp_path)
    line = fails("close", main_path, "--through", THROUGH)
    assert "1 error(s)" in line
    assert f"{main_path}:" in line
    assert "bean-check" in line
    assert snapshot(tmp_path) == state
    errors_before = len(loader.load_file(str(main_path))[1])
    assert close(main_path, THROUGH, "--force").startswith(f"Closed through {THROUGH}: froze {BOOKS_FROZEN}")
    _, errors, _ = loader.load_file(str(main_path))
    assert len(errors) == errors_before == 1
    assert includes(main_path.read_text(encoding="utf-8")) == ["books.closed.beancount"]


def test_close_refuses_an_earlier_date(books: Path, tmp_path: Path):
    state = snapshot(tmp_path)
    line = fails("close", books, "--through", "2022-05-31")
    assert f"closed through {THROUGH}" in line
    assert f"bean-revrec reopen {books} --through 2022-05-31" in line
    assert snapshot(tmp_path) == state


def test_failure_half_way_leaves_every_file_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    main_path = write(tmp_path / "books.beancount", BOOKS)
    state = snapshot(tmp_path)
    real_replace = os.replace
    targets: list[str] = []

    def failing_on(call: int) -> Any:
        targets.clear()

        def flaky(source: Any, target: Any) -> None:
            targets.append(Path(target).name)
            if len(targets) == call:
                raise OSError("No space left on device")
            real_replace(source, target)
        return flaky

    monkeypatch.setattr(os, "replace", failing_on(2))
    line = fails("close", main_path, "--through", THROUGH)
    assert targets[:2] == ["books.closed.beancount", "books.beancount"]  # the first write had succeeded
    assert "No space left on device" in line
    assert snapshot(tmp_path) == state  # no closed file, no temporary file, the main file as it was
    monkeypatch.undo()
    bean_check(main_path)
    close(main_path)
    # a failing reopen: the closed file keeps its text
    state = snapshot(tmp_path)
    monkeypatch.setattr(os, "replace", failing_on(1))
    assert "No space left on device" in fails("reopen", main_path, "--through", "2022-03-31")
    monkeypatch.undo()
    assert targets == ["books.closed.beancount"]
    assert snapshot(tmp_path) == state
    bean_check(main_path)


def test_file_option_chooses_the_closed_books_file(tmp_path: Path):
    main_path = write(tmp_path / "books.beancount", BOOKS)
    (tmp_path / "closed").mkdir()
    chosen = tmp_path / "closed" / "2022.beancount"
    assert close(main_path, THROUGH, "--file", str(chosen)) == (
        f"Closed through {THROUGH}: froze {BOOKS_FROZEN} entries into {chosen} and locked {BOOKS_LOCKS} monthly "
        "account movements.\n")
    assert not closed_file(main_path).exists()
    assert includes(main_path.read_text(encoding="utf-8")) == ["closed/2022.beancount"]
    assert len(frozen_entries(chosen)) == BOOKS_FROZEN
    bean_check(main_path)
    state = snapshot(tmp_path)
    # another file is refused; the same one is fine, and the default follows the existing close
    line = fails("close", main_path, "--through", "2022-09-30", "--file", str(tmp_path / "other.beancount"))
    assert str(chosen) in line
    assert snapshot(tmp_path) == state
    close(main_path, "2022-09-30", "--file", str(chosen))
    close(main_path, "2022-10-31")
    assert close_date(chosen) == datetime.date(2022, 10, 31)
    assert includes(main_path.read_text(encoding="utf-8")) == ["closed/2022.beancount"]
    assert not closed_file(main_path).exists()
    ok("reopen", main_path, "--through", THROUGH)
    assert chosen.read_bytes() == state["closed/2022.beancount"]
    bean_check(main_path)


def test_close_never_overwrites_a_file_it_does_not_own(tmp_path: Path):
    """A file already at the default closed-books path, which the ledger does not include, is the user's."""
    main_path = write(tmp_path / "books.beancount", BOOKS)
    notes = write(tmp_path / "books.closed.beancount", "; my notes on the closing, not included anywhere\n")
    invoke("close", main_path, "--through", THROUGH)
    assert notes.read_text(encoding="utf-8") == "; my notes on the closing, not included anywhere\n"


def test_close_directive_written_in_the_main_file(tmp_path: Path):
    """SPEC 8 shows the directive as ledger text; the CLI must not take the main file for its closed-books file."""
    text = EXAMPLE_OPEN + f'\n{THROUGH} custom "revrec-close"\n'
    main_path = write(tmp_path / "books.beancount", text)
    outputs = {}
    for args in (("close", main_path, "--through", "2022-09-30"), ("reopen", main_path, "--through", "2022-03-31")):
        outputs[args[0]] = invoke(*args).output
        assert main_path.read_text(encoding="utf-8").startswith(text)  # the safety net holds today
    # today: close says 'Duplicate filename parsed' (it appended an include of the main file to itself),
    # reopen says 'Error applying plugin "beancount.ops.pad": Traceback' (it rewrote the main file as a
    # closed-books file, without the plugin line); both then restore the file
    assert [(command, output) for command, output in outputs.items()
            if "Traceback" in output or "Duplicate filename" in output] == [], outputs


# --- the plugin -------------------------------------------------------------------------------------


def test_plugin_generates_nothing_on_or_before_the_close(books: Path):
    frozen = frozen_entries(closed_file(books))
    frozen_keys = {entry.meta["revrec-key"] for entry in frozen}
    entries = load(books)
    revrec = [entry for entry in entries if isinstance(entry, Transaction) and "revrec" in entry.tags]
    assert all("revrec-kind" in entry.meta for entry in revrec)
    generated = [entry for entry in revrec if entry.meta["revrec-key"] not in frozen_keys]
    assert generated
    assert min(entry.date for entry in generated) > datetime.date(2022, 6, 30)
    assert len([entry for entry in revrec if entry.date <= datetime.date(2022, 6, 30)]) == len(frozen)


def test_plugin_with_a_close_directive_and_nothing_frozen(tmp_path: Path):
    # a close written by hand freezes nothing: an error at it that says so and how to close instead
    text = EXAMPLE_OPEN + f'\n{THROUGH} custom "revrec-close"\n'
    main_path = write(tmp_path / "books.beancount", text)
    line = len(text.splitlines())
    assert errors_of(main_path) == [(str(main_path), line, (
        "books are closed through 2022-06-30 but their months are not locked (no revrec-locked directive): a close "
        "written by hand freezes nothing (what the plugin generated through 2022-06-30 moves to the next day): "
        f"delete it and run bean-revrec close {main_path} --through 2022-06-30"))]
    # the rest still generates: the deferral (1200.00) and January-June (595.07) would land on 2022-07-01
    entries, _, _ = loader.load_file(str(main_path))
    generated = [entry for entry in entries if isinstance(entry, Transaction) and "revrec" in entry.tags]
    corrections = [entry for entry in generated if entry.meta["revrec-kind"] == "correction"]
    assert {entry.date for entry in corrections} == {datetime.date(2022, 7, 1)}
    sales = sum(posting.units.number for entry in corrections for posting in entry.postings
                if posting.account == SALES)
    assert sales == D("1200.00") - D("595.07")
    assert {entry.meta["revrec-frozen"] for entry in corrections} == {"0.00 USD"}  # nothing was frozen
    assert totals(entries) == {(AR, "USD"): D("1200.00"), (SALES, "USD"): D("-1200.00")}
    # the fix: delete the line and close with bean-revrec
    write(main_path, EXAMPLE_OPEN)
    close(main_path)
    assert errors_of(main_path) == []
    assert account_months(monthly(postings(main_path), until="2022-06"), SALES) == {
        month: str(D(amount) + (D("1200.00") if month == "2022-01" else 0) - (D("1200.00") if month == "2022-01"
                                                                           else 0))
        for month, amount in DAILY.items()}


def test_frozen_entries_without_their_close(books: Path):
    # deleting the close line (by hand) leaves the frozen entries: an error, and nothing is booked twice
    rows = postings(books)
    closed = closed_file(books)
    text = closed.read_text(encoding="utf-8")
    write(closed, text.replace(f'{THROUGH} custom "revrec-close" "books closed"\n', ""))
    first = text.splitlines().index('2022-01-01 * "Acme" "Defer: Annual licence" #revrec ^in_81') + 1
    assert errors_of(books) == [(str(closed), first, (
        f"{BOOKS_FROZEN} frozen revenue recognition entries (#revrec with revrec-key, like this one, up to 2022-06-30) "
        'but no custom "revrec-close": the plugin would book them again. Put back the custom "revrec-close" line '
        "(dated 2022-06-30 or later, the close date), or delete the frozen entries with it"))]
    assert sorted(postings(books)) == sorted(rows)


def test_a_frozen_entry_twice(books: Path):
    closed = closed_file(books)
    text = closed.read_text(encoding="utf-8")
    block = text[text.index('2022-01-31 * "Acme"'):]
    block = block[:block.index("\n\n") + 2]
    write(closed, text + "\n" + block)
    copy = len((text + "\n").splitlines()) + 1
    assert errors_of(books)[0] == (str(closed), copy, (
        'revrec-key "in_81/Income:Sales/prod_licence/recognition/2022-01-31" is frozen twice (the closed-books file '
        "included twice, or an entry copied): delete the copy"))


def test_close_refuses_a_future_date_unless_forced(tmp_path: Path):
    main_path = write(tmp_path / "books.beancount", BOOKS)
    today = datetime.date.today()  # noqa: DTZ011 - the CLI compares with the user's calendar day
    tomorrow = today + datetime.timedelta(days=1)
    state = snapshot(tmp_path)
    assert fails("close", main_path, "--through", str(tomorrow)) == (
        f"Error: --through {tomorrow} is after today ({today}): closing the future would freeze "
        "revenue not yet earned; check the date, or add --force")
    assert snapshot(tmp_path) == state
    assert close(main_path, str(tomorrow), "--force").startswith(f"Closed through {tomorrow}: froze ")
    assert errors_of(main_path) == []


def test_close_works_on_bean_revrec_example_output(tmp_path: Path):
    # `bean-revrec example` writes a close through 2022-12-31 into the ledger itself: the next close goes to a
    # closed-books file, the example's own close and frozen entries stay where they are
    main_path = tmp_path / "example.beancount"
    main_path.write_text(ok("example", "--lines", "40", "--contracts", "2", "--seed", "3"), encoding="utf-8")
    original = main_path.read_text(encoding="utf-8")
    assert errors_of(main_path) == []
    before = postings_multiset(load(main_path))
    out = close(main_path, "2023-06-30")
    assert out.startswith("Closed through 2023-06-30: froze ")
    assert main_path.read_text(encoding="utf-8") == original + '\ninclude "example.closed.beancount"\n'
    assert errors_of(main_path) == []
    assert postings_multiset(load(main_path)) == before
    assert close_date(closed_file(main_path)) == datetime.date(2023, 6, 30)
    # the close moves back as far as the example's own close, not before: that one is in a file bean-revrec
    # does not write
    ok("reopen", main_path, "--through", "2023-03-31")
    assert errors_of(main_path) == []
    line = fails("reopen", main_path, "--through", "2022-06-30")
    assert line.startswith(f"Error: {main_path}:")
    assert line.endswith("in a file bean-revrec does not write: reopen through 2022-12-31 or later")
    assert postings_multiset(load(main_path)) == before


def test_closed_books_file_keeps_directives_added_by_hand(books: Path):
    # a note, a price, an event and a balance someone added to the closed-books file survive a close and a
    # reopen; a line bean-revrec cannot keep (an include) is refused with its line
    closed = closed_file(books)
    added = ('2022-02-01 note Assets:AccountsReceivable "Checked with the customer"\n'
             "2022-02-01 price EUR 1.10 USD\n"
             '2022-02-01 event "location" "Berlin"\n'
             "2022-02-01 balance Assets:AccountsReceivable 1200.00 USD\n")
    write(closed, closed.read_text(encoding="utf-8") + "\n" + added)
    assert errors_of(books) == []
    close(books, "2022-09-30")
    ok("reopen", books, "--through", "2022-03-31")
    text = closed.read_text(encoding="utf-8")
    kept, _, _ = parser.parse_file(str(closed))
    assert sorted((type(entry).__name__, entry.date, printer.format_entry(entry).split(None, 2)[2].split())
                  for entry in kept if not isinstance(entry, (Transaction, Custom))) == [
        ("Balance", datetime.date(2022, 2, 1), ["Assets:AccountsReceivable", "1200.00", "USD"]),
        ("Event", datetime.date(2022, 2, 1), ['"location"', '"Berlin"']),
        ("Note", datetime.date(2022, 2, 1), ["Assets:AccountsReceivable", '"Checked', "with", "the", 'customer"']),
        ("Price", datetime.date(2022, 2, 1), ["EUR", "1.10", "USD"])]
    assert errors_of(books) == []
    # in date order: the hand-added directives of 2022-02-01 come between January and February's entries
    dates = re.findall(r"^(\d{4}-\d\d-\d\d) ", text, flags=re.MULTILINE)
    assert dates == sorted(dates)
    write(closed, text + '\ninclude "other.beancount"\n')
    state = snapshot(books.parent)
    assert fails("close", books, "--through", THROUGH, "--force") == (
        f"Error: nothing was written: {closed}:{len(text.splitlines()) + 2}: bean-revrec rewrites this file and "
        "cannot keep its include line: move it to the main ledger file, then run the command again")
    assert snapshot(books.parent) == state
