"""Billing in arrears and catch-up: Stripe's "Catch-up revenue" setting, on (the default) and off.

A line whose service starts before its invoice (a proration, usage billed in arrears, a pending
invoice item billed later) is recognised as Stripe does: with catch-up, the elapsed part on the
invoice date; with ``{'catch-up': 'off'}``, in the service months themselves against unbilled
revenue (``Assets:UnbilledReceivables``), which the invoice bills on its date.

Each Stripe table is checked as monthly sums of postings per account (Beancount's loader, every
posting of the ledger, the user's included). Stripe writes a balance as it grows on its account's
normal side; in Beancount signs revenue and deferred revenue are negative when they grow.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from beancount import loader
from beancount.core.data import Open, Transaction

from beancount_revrec.meta import parse_key
from tests.conftest import LEDGERS, lineno, load_text, monthly_table, ok
from tests.test_close import assert_closed_months_kept, closed_copy, closed_file, frozen_entries, load, postings

AR = "Assets:AccountsReceivable"
UNBILLED = "Assets:UnbilledReceivables"
DEFERRED = "Liabilities:DeferredRevenue"
SALES = "Income:Sales"
OFF = "{'catch-up': 'off'}"
D = Decimal

Table = dict[str, dict[str, str]]  # account -> month -> amount


def head(config: str | None = None, opened: str = "2019-01-01") -> str:
    plugin = 'plugin "beancount_revrec"' + (f' "{config}"' if config else "")
    return f"{plugin}\n{opened} open {AR}\n{opened} open {SALES}\n"


def invoice(day: str, ident: str, *lines: tuple[str, str, str], narration: str = "Plan") -> str:
    """An invoice of lines (amount, service-start, service-end); a negative amount is a proration."""
    total = sum(D(amount) for amount, _, _ in lines)
    text = f'{day} * "Acme" "{narration}"\n  invoice: "{ident}"\n  {AR}   {total} USD\n'
    for amount, start, end in lines:
        text += f"  {SALES}   {-D(amount)} USD\n    service-start: {start}\n    service-end: {end}\n"
    return text


def monthly(entries: list[Any]) -> Table:
    """Every posting of the ledger summed by account and month (YYYY-MM); zeros dropped."""
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, Transaction):
            for posting in entry.postings:
                sums[posting.account, f"{entry.date:%Y-%m}"] += posting.units.number
    table: Table = defaultdict(dict)
    for (account, month), amount in sorted(sums.items()):
        if amount:
            table[account][month] = str(amount)
    return dict(table)


def loaded(text: str) -> list[Any]:
    entries, errors, _ = loader.load_string(text)
    assert errors == [], [error.message for error in errors]
    return entries


def generated(entries: list[Any]) -> list[Transaction]:
    return [entry for entry in entries if isinstance(entry, Transaction) and "revrec" in entry.tags]


# --- docs.stripe.com/revenue-recognition/revenue-settings/examples, "Catch-up revenue" ------------------------

# 92 USD invoice finalized 2024-11-01, service 2024-10-01 to 2025-01-01 (92 days, 1.00 a day). Stripe's table
# leaves the payment out (it only moves the receivable to cash), and so do these ledgers.
QUARTER = invoice("2024-11-01", "in_92", ("92.00", "2024-10-01", "2025-01-01"))


def test_stripe_catch_up_on_table_a() -> None:
    """Catch-up revenue, table (a), catch-up on (the default): Nov Revenue +61, DeferredRevenue +31; Dec +31/-31."""
    assert monthly(loaded(head() + QUARTER)) == {
        AR: {"2024-11": "92.00"},
        DEFERRED: {"2024-11": "-31.00", "2024-12": "31.00"},
        SALES: {"2024-11": "-61.00", "2024-12": "-31.00"},
    }


def test_stripe_catch_up_on_books_the_elapsed_part_on_the_invoice_date() -> None:
    """Table (a): October's 31.00 is recognised on the invoice date, not in October; nothing is unbilled."""
    entries = generated(loaded(head() + QUARTER))
    assert [(entry.date, entry.meta["revrec-kind"], entry.postings[0].account, entry.postings[0].units.number)
            for entry in entries] == [
        (datetime.date(2024, 11, 1), "deferral", SALES, D("92.00")),
        (datetime.date(2024, 11, 1), "recognition", DEFERRED, D("31.00")),
        (datetime.date(2024, 11, 30), "recognition", DEFERRED, D("30.00")),
        (datetime.date(2024, 12, 31), "recognition", DEFERRED, D("31.00")),
    ]


def test_catch_up_on_is_the_default_and_can_be_written() -> None:
    assert monthly(loaded(head("{'catch-up': 'on'}") + QUARTER)) == monthly(loaded(head() + QUARTER))


def test_stripe_catch_up_off_table_b() -> None:
    """Catch-up revenue, table (b), catch-up off: Oct Revenue +31, UnbilledAccountsReceivable +31; Nov Revenue +30,
    DeferredRevenue +31, Unbilled -31, AccountsReceivable +92; Dec Revenue +31, DeferredRevenue -31."""
    assert monthly(loaded(head(OFF) + QUARTER)) == {
        AR: {"2024-11": "92.00"},
        UNBILLED: {"2024-10": "31.00", "2024-11": "-31.00"},
        DEFERRED: {"2024-11": "-31.00", "2024-12": "31.00"},
        SALES: {"2024-10": "-31.00", "2024-11": "-30.00", "2024-12": "-31.00"},
    }


def test_stripe_catch_up_off_table_b_entries_and_keys() -> None:
    """Table (b) as entries: October against unbilled revenue; on the invoice date a deferral of the rest and a
    reclass billing October; the unbilled account is opened by the plugin."""
    entries = loaded(head(OFF) + QUARTER)
    rows = [(entry.date, entry.meta["revrec-kind"], entry.meta["revrec-key"],
             tuple((posting.account, posting.units.number) for posting in entry.postings))
            for entry in generated(entries)]
    line = "in_92/Income:Sales"
    assert rows == [
        (datetime.date(2024, 10, 31), "recognition", f"{line}/recognition/2024-10-31",
         ((UNBILLED, D("31.00")), (SALES, D("-31.00")))),
        (datetime.date(2024, 11, 1), "deferral", f"{line}/deferral", ((SALES, D("61.00")), (DEFERRED, D("-61.00")))),
        (datetime.date(2024, 11, 1), "reclass", f"{line}/unbilled", ((SALES, D("31.00")), (UNBILLED, D("-31.00")))),
        (datetime.date(2024, 11, 30), "recognition", f"{line}/recognition/2024-11-30",
         ((DEFERRED, D("30.00")), (SALES, D("-30.00")))),
        (datetime.date(2024, 12, 31), "recognition", f"{line}/recognition/2024-12-31",
         ((DEFERRED, D("31.00")), (SALES, D("-31.00")))),
    ]
    assert parse_key(f"{line}/unbilled") == (line, "unbilled", None)
    assert parse_key(f"{line}/unbilled").kind == "reclass"
    opens = {entry.account: entry.date for entry in entries if isinstance(entry, Open)}
    assert opens[UNBILLED] == datetime.date(2024, 10, 31)


def test_stripe_catch_up_off_example_ledger_through_bean_query() -> None:
    """ledgers/catch-up-off.beancount is table (b), through the real bean-query and its stored query."""
    assert monthly_table(LEDGERS / "catch-up-off.beancount") == {
        ("2024-10", UNBILLED): D("31.00"), ("2024-10", SALES): D("-31.00"),
        ("2024-11", AR): D("92.00"), ("2024-11", UNBILLED): D("-31.00"), ("2024-11", SALES): D("-30.00"),
        ("2024-11", DEFERRED): D("-31.00"),
        ("2024-12", SALES): D("-31.00"), ("2024-12", DEFERRED): D("31.00"),
    }


def test_a_renamed_unbilled_account() -> None:
    entries = loaded(head("{'catch-up': 'off', 'unbilled': 'Assets:Receivables:Unbilled'}") + QUARTER)
    table = monthly(entries)
    assert table["Assets:Receivables:Unbilled"] == {"2024-10": "31.00", "2024-11": "-31.00"}
    assert UNBILLED not in table


# --- docs.stripe.com/revenue-recognition/examples/subscriptions, "Upgrade" and "Downgrade" ---------------------

APRIL = invoice("2019-04-01", "in_apr", ("90.00", "2019-04-01", "2019-05-01"))
UPGRADE_CATCH_UP_OFF: Table = {
    AR: {"2019-04": "90.00", "2019-05": "130.00"},
    UNBILLED: {"2019-04": "10.00", "2019-05": "-10.00"},
    SALES: {"2019-04": "-100.00", "2019-05": "-120.00"},
}
"""Subscriptions, "Upgrade", catch-up off: Apr Revenue +100, AR +90, Unbilled +10; May Revenue +120, AR +130,
Unbilled -10 (Beancount's signs)."""
DOWNGRADE_CATCH_UP_OFF: Table = {
    AR: {"2019-04": "90.00", "2019-05": "10.00"},
    UNBILLED: {"2019-04": "-20.00", "2019-05": "20.00"},
    SALES: {"2019-04": "-70.00", "2019-05": "-30.00"},
}
"""Subscriptions, "Downgrade", catch-up off: Apr Revenue +70, AR +90, Unbilled -20; May Revenue +30, AR +10,
Unbilled +20 (Beancount's signs)."""


def test_stripe_subscription_upgrade_catch_up_off() -> None:
    """Subscriptions, "Upgrade": -30 and +40 prorations for Apr 21 - May 1 and May's 120 on the May 1 invoice.
    Catch-up off: Apr Revenue +100, AR +90, Unbilled +10; May Revenue +120, AR +130, Unbilled -10."""
    may = invoice("2019-05-01", "in_may", ("-30.00", "2019-04-21", "2019-05-01"),
                  ("40.00", "2019-04-21", "2019-05-01"), ("120.00", "2019-05-01", "2019-06-01"))
    assert monthly(loaded(head(OFF) + APRIL + may)) == UPGRADE_CATCH_UP_OFF


def test_stripe_subscription_downgrade_catch_up_off() -> None:
    """Subscriptions, "Downgrade": -30 and +10 prorations for Apr 21 - May 1 and May's 30 on the May 1 invoice.
    Catch-up off: Apr Revenue +70, AR +90, Unbilled -20; May Revenue +30, AR +10, Unbilled +20."""
    may = invoice("2019-05-01", "in_may", ("-30.00", "2019-04-21", "2019-05-01"),
                  ("10.00", "2019-04-21", "2019-05-01"), ("30.00", "2019-05-01", "2019-06-01"))
    assert monthly(loaded(head(OFF) + APRIL + may)) == DOWNGRADE_CATCH_UP_OFF


def test_stripe_subscription_upgrade_catch_up_on() -> None:
    """The same upgrade with catch-up: the prorations' April days are recognised on May 1."""
    may = invoice("2019-05-01", "in_may", ("-30.00", "2019-04-21", "2019-05-01"),
                  ("40.00", "2019-04-21", "2019-05-01"), ("120.00", "2019-05-01", "2019-06-01"))
    assert monthly(loaded(head() + APRIL + may)) == {
        AR: {"2019-04": "90.00", "2019-05": "130.00"},
        SALES: {"2019-04": "-90.00", "2019-05": "-130.00"},
    }


# --- docs.stripe.com/revenue-recognition/get-started, usage-based billing ----------------------------------------

# 1 USD a unit; usage reported before the invoice: 20 units on 2025-03-02, 25 on 03-30, 15 on 04-01, 25 on 04-20,
# 15 on 04-28; the 100 units are billed in arrears on 2025-05-01, one line recognised on fulfillment.
USAGE = """\
2025-05-01 * "Acme" "Usage, March and April"
  invoice: "in_usage"
  Assets:AccountsReceivable   100.00 USD
  Income:Sales               -100.00 USD
    line: "il_usage"
    quantity: 100
    revrec: "fulfillment"
""" + "".join(f'{day} custom "revrec-fulfill" "il_usage" {units}\n'
              for day, units in (("2025-03-02", 20), ("2025-03-30", 25), ("2025-04-01", 15), ("2025-04-20", 25),
                                 ("2025-04-28", 15)))


def test_stripe_usage_based_catch_up_off() -> None:
    """Get started, usage-based: with catch-up off, March's 45 and April's 55 are revenue in their months,
    against unbilled revenue, billed on the invoice date."""
    assert monthly(loaded(head(OFF) + USAGE)) == {
        AR: {"2025-05": "100.00"},
        UNBILLED: {"2025-03": "45.00", "2025-04": "55.00", "2025-05": "-100.00"},
        SALES: {"2025-03": "-45.00", "2025-04": "-55.00"},
    }


def test_usage_reported_before_the_invoice_is_an_error_with_catch_up(tmp_path: Path) -> None:
    """With catch-up (the default) an event before its line is refused, and the message names the option."""
    text = head() + USAGE
    result = load_text(tmp_path, text)
    assert len(result.errors) == 5
    for error, day in zip(result.errors, ("2025-03-02", "2025-03-30", "2025-04-01", "2025-04-20", "2025-04-28"),
                          strict=True):
        assert error.source["lineno"] == lineno(text, f'{day} custom "revrec-fulfill"')
        assert f"revrec-fulfill on {day} is before its line's date 2025-05-01" in error.message
        assert "{'catch-up': 'off'}" in error.message
    # nothing was fulfilled: all of it at the fallback date, a year after the invoice
    assert monthly(result.entries)[SALES] == {"2026-05": "-100.00"}


def test_usage_billed_monthly_in_arrears() -> None:
    """The same usage billed monthly: March's 45 on 2025-04-01 (April's first event falls on that invoice's date
    but belongs to April's line), April's 55 on 2025-05-01."""
    lines = """\
{day} * "Acme" "Usage, {month}"
  invoice: "in_{month}"
  Assets:AccountsReceivable   {amount} USD
  Income:Sales               -{amount} USD
    line: "il_{month}"
    quantity: {units}
    revrec: "fulfillment"
"""
    text = head(OFF) + lines.format(day="2025-04-01", month="march", amount="45.00", units=45)
    text += lines.format(day="2025-05-01", month="april", amount="55.00", units=55)
    text += "".join(f'{day} custom "revrec-fulfill" "il_{month}" {units}\n'
                    for day, month, units in (("2025-03-02", "march", 20), ("2025-03-30", "march", 25),
                                              ("2025-04-01", "april", 15), ("2025-04-20", "april", 25),
                                              ("2025-04-28", "april", 15)))
    assert monthly(loaded(text)) == {
        AR: {"2025-04": "45.00", "2025-05": "55.00"},
        UNBILLED: {"2025-03": "45.00", "2025-04": "10.00", "2025-05": "-55.00"},
        SALES: {"2025-03": "-45.00", "2025-04": "-55.00"},
    }


# --- pending invoice items --------------------------------------------------------------------------------------

# A pending invoice item: a one-day onboarding session on 2024-10-15, added to the next invoice (2024-11-01).
PENDING = invoice("2024-11-01", "in_next", ("50.00", "2024-10-15", "2024-10-16"), narration="Onboarding session")


def test_a_pending_invoice_item_with_catch_up_is_recognised_on_its_invoice() -> None:
    assert monthly(loaded(head() + PENDING)) == {AR: {"2024-11": "50.00"}, SALES: {"2024-11": "-50.00"}}
    [recognition] = [entry for entry in generated(loaded(head() + PENDING))
                     if entry.meta["revrec-kind"] == "recognition"]
    assert recognition.date == datetime.date(2024, 11, 1)


def test_a_pending_invoice_item_without_catch_up_is_recognised_on_its_service_day() -> None:
    entries = loaded(head(OFF) + PENDING)
    assert monthly(entries) == {
        AR: {"2024-11": "50.00"},
        UNBILLED: {"2024-10": "50.00", "2024-11": "-50.00"},
        SALES: {"2024-10": "-50.00"},
    }
    # all of it before the invoice: nothing is deferred, the invoice only bills it
    assert [(entry.date, entry.meta["revrec-kind"]) for entry in generated(entries)] == [
        (datetime.date(2024, 10, 15), "recognition"), (datetime.date(2024, 11, 1), "reclass")]


def test_a_credit_on_a_line_billed_in_arrears_keeps_every_total() -> None:
    """A credit after the invoice finds October recognised (before the credit's date) and the rest deferred:
    however it splits, unbilled and deferred revenue end at zero and revenue keeps what was not credited."""
    text = QUARTER.replace("  Income:Sales   -92.00 USD\n", '  Income:Sales   -92.00 USD\n    line: "il_92"\n')
    credit = ('2024-11-15 * "Acme" "Credit note"\n  invoice: "cn_92"\n  Assets:AccountsReceivable   -46.00 USD\n'
              '  Income:Sales   46.00 USD\n    credit-for: "il_92"\n')
    entries = loaded(head(OFF) + "2019-01-01 open Income:Refunds\n" + text + credit)
    balances: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, Transaction):
            for posting in entry.postings:
                balances[posting.account] += posting.units.number
    assert balances[UNBILLED] == 0
    assert balances[DEFERRED] == 0
    assert balances[SALES] + balances["Income:Refunds"] == D("-46.00")
    assert monthly(entries)[SALES]["2024-10"] == "-31.00"


# --- what catch-up does not change --------------------------------------------------------------------------------


def test_a_line_starting_on_its_invoice_is_the_same_either_way() -> None:
    text = invoice("2022-01-15", "in_31", ("31.00", "2022-01-15", "2022-02-15"))
    assert monthly(loaded(head(OFF) + text)) == monthly(loaded(head() + text))


def test_contract_items_keep_catching_up() -> None:
    """Contract items are recognised by their contract's presentation (revenue before billing is a contract
    asset): catch-up off changes none of their entries."""
    text = (LEDGERS / "contracts.beancount").read_text(encoding="utf-8")
    assert 'plugin "beancount_revrec"\n' in text
    off = text.replace('plugin "beancount_revrec"\n', f'plugin "beancount_revrec" "{OFF}"\n', 1)
    assert monthly(loaded(off)) == monthly(loaded(text))


# --- reports --------------------------------------------------------------------------------------------------


def test_rollforward_shows_unbilled_revenue_billed_on_the_invoice_date() -> None:
    rows = [row.split(",") for row in ok("rollforward", LEDGERS / "catch-up-off.beancount", "--as-of", "2024-12-31",
                                         "--format", "csv").splitlines()]
    header, *body = rows
    unbilled = [dict(zip(header, row, strict=True)) for row in body if row[0] == UNBILLED]
    assert [(row["month"], row["opening"], row["billed"], row["recognised"], row["closing"]) for row in unbilled] == [
        ("2024-10", "0", "0", "31.00", "31.00"), ("2024-11", "31.00", "-31.00", "0", "0.00"),
        ("2024-12", "0.00", "0", "0", "0.00")]
    deferred = [dict(zip(header, row, strict=True)) for row in body if row[0] == DEFERRED]
    assert [(row["month"], row["deferred"], row["recognised"], row["closing"]) for row in deferred][1:] == [
        ("2024-11", "-61.00", "30.00", "-31.00"), ("2024-12", "0", "31.00", "0.00")]


def test_explain_lists_the_unbilled_entries() -> None:
    [explained] = json.loads(ok("explain", LEDGERS / "catch-up-off.beancount", "il_92", "--format", "json"))
    assert [(row["date"], row["kind"], row["key"], row["debit"], row["credit"], row["amount"])
            for row in explained["entries"]] == [
        ("2024-10-31", "recognition", "il_92/recognition/2024-10-31", UNBILLED, SALES, "31.00"),
        ("2024-11-01", "deferral", "il_92/deferral", SALES, DEFERRED, "61.00"),
        ("2024-11-01", "reclass", "il_92/unbilled", SALES, UNBILLED, "31.00"),
        ("2024-11-30", "recognition", "il_92/recognition/2024-11-30", DEFERRED, SALES, "30.00"),
        ("2024-12-31", "recognition", "il_92/recognition/2024-12-31", DEFERRED, SALES, "31.00")]


def test_the_waterfall_has_revenue_in_the_service_months() -> None:
    out = ok("schedule", LEDGERS / "catch-up-off.beancount", "--from", "2024-10", "--months", "3", "--format", "csv")
    assert out.splitlines()[1:] == ["2024-10,Income:Sales,USD,31.00,recognised",
                                    "2024-11,Income:Sales,USD,30.00,recognised",
                                    "2024-12,Income:Sales,USD,31.00,scheduled"]


# --- closed periods -------------------------------------------------------------------------------------------


CLOSED_HEAD = head(OFF, opened="2022-01-01") + "2022-01-01 open Assets:Bank\n"
JANUARY = invoice("2022-01-01", "in_jan", ("120.00", "2022-01-01", "2022-07-01"))
# invoiced after the close, for a service that started in the closed months
ARREARS = invoice("2022-07-05", "in_arrears", ("92.00", "2022-06-01", "2022-09-01"), narration="Billed in arrears")


def test_service_in_a_closed_month_becomes_a_correction_on_the_first_open_day(tmp_path: Path) -> None:
    main = closed_copy(tmp_path, "books.beancount", CLOSED_HEAD + "\n" + JANUARY)
    before = postings(main)
    main.write_text(main.read_text(encoding="utf-8") + "\n" + ARREARS, encoding="utf-8")
    after = assert_closed_months_kept(main, before)
    corrections = [row for row in after if row.kind == "correction"]
    # June's 30 days of 92 (30.00) are recognised against unbilled revenue on 2022-07-01, the first open day
    assert sorted((row.date, row.account, row.number, row.corrects) for row in corrections) == [
        ("2022-07-01", UNBILLED, D("30.00"), "in_arrears/Income:Sales/recognition/2022-06-30"),
        ("2022-07-01", SALES, D("-30.00"), "in_arrears/Income:Sales/recognition/2022-06-30")]
    # the invoice bills those 30.00 and defers the rest
    july = {(row.kind, row.account): row.number for row in after if row.date == "2022-07-05" and row.generated}
    assert july == {("deferral", SALES): D("62.00"), ("deferral", DEFERRED): D("-62.00"),
                    ("reclass", SALES): D("30.00"), ("reclass", UNBILLED): D("-30.00")}
    assert {row.cause for row in corrections} == {
        "line in_arrears/Income:Sales added since the close, with entries in the closed period"}
    assert sum(row.number for row in after if row.account == UNBILLED) == 0
    assert all(entry.date <= datetime.date(2022, 6, 30) for entry in frozen_entries(closed_file(main)))
    load(main)  # no error


def test_a_close_freezes_and_locks_unbilled_revenue(tmp_path: Path) -> None:
    """A line invoiced after the close whose early months are already in the ledger: they are frozen as they are."""
    main = closed_copy(tmp_path, "books.beancount", CLOSED_HEAD + "\n" + JANUARY + "\n" + ARREARS)
    closed_text = closed_file(main).read_text(encoding="utf-8")
    assert 'revrec-key: "in_arrears/Income:Sales/recognition/2022-06-30"' in closed_text
    assert f'2022-06-30 custom "revrec-locked" {UNBILLED} 30.00 USD' in closed_text
    entries = load(main)
    assert not [entry for entry in generated(entries) if entry.meta["revrec-kind"] == "correction"]
    assert monthly(entries)[UNBILLED] == {"2022-06": "30.00", "2022-07": "-30.00"}
