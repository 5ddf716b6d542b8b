"""Stripe Revenue Recognition data import (CSV) and Performance-Obligations events, as the ledger's directives.

Every CSV in ``tests/stripe_data_import/`` is an example of Stripe's page "Data import examples"
(docs.stripe.com/revenue-recognition/data-import/examples, the edition dated 2020; the page now
shows the first example moved to 2025-02-01 / 2026-01-31), row for row as printed. The stored
text of that edition prints the tables without their blank cells: each value stands in the column
the page's prose and its column descriptions (docs.stripe.com/revenue-recognition/data-import)
give it, the others blank, as in the first table's full rendering. Each import is written as Beancount text, loaded with the
plugin, and checked month by month against what the page describes. The page gives ids and
dates, not the invoices and payments they adjust: those ledger entries are ours, their amounts
chosen where the page has none.

Where the page's figures contradict their inputs, the tests assert what the inputs give:

- *Overriding line item service periods*: the prose wants ``il_5678`` recognised from May 1 to
  June 1, 2020 and ``il_7890`` from June 1 to September 1, 2020, but the rows end on 2021-06-01
  and 2021-09-01: 397 and 458 days (the invoice's lines are 1.00 USD a day here, so each month
  shows its days). The row names the invoice (``in_1234``) and the line (``il_5678``); the
  ledger's rule needs only the line, whose id Stripe makes unique.
- *Splitting a payment*: the prose recognises the 74.99 USD subscription from February 1 to
  May 31, 2020 and the 25.01 USD shipment at once on January 1, 2020; the rows end on
  2021-05-31 and 2021-01-01: 486 and 367 days. Stripe checks that the parts add up to the
  payment; the ledger's rule holds their shares (74.99% + 25.01%), so a payment of another
  amount is split in the same proportion. The page does not date the payment: 2020-01-01 here.
- *Correcting imported data*: a "Stripe" row with a booked date and no recognition dates goes
  back to the payment's own dates and moves its booked date. The ledger cannot move a Stripe
  payment from a CSV, and going back is deleting the earlier rule: the row is a problem that
  says so, and nothing is imported.
- *Excluding transactions*: the page gives the five ids only; the invoices and payments they
  exclude are ours. The ledger has no key for invoice items or payments: their rules match
  the revenue posting whose ``line:`` is the id.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from beancount import loader
from beancount.core.amount import Amount
from beancount.core.data import Custom, Transaction
from beancount.parser.printer import format_entry

from beancount_revrec.importers.fulfillment_events import exponent, import_fulfillments
from beancount_revrec.importers.revenue_csv import import_exclusions, import_general

PAGE = Path(__file__).parent / "stripe_data_import"
HEADER = ("source,transaction_id,split_transaction_id,booked_date,recognition_start_date,"
          "recognition_end_date,amount,currency,description\n")
CASH = "Assets:Cash"
AR = "Assets:AccountsReceivable"
SALES = "Income:Sales"
DEFERRED = "Liabilities:DeferredRevenue"
EXCLUSIONS = "Equity:RevRec:Exclusions"


def page(name: str) -> str:
    return (PAGE / name).read_text(encoding="utf-8")


def head() -> str:
    return f'plugin "beancount_revrec"\n2019-01-01 open {CASH}\n2019-01-01 open {AR}\n2019-01-01 open {SALES}\n'


def text_of(entries: list[Any]) -> str:
    return "\n".join(format_entry(entry) for entry in entries)


def loaded(text: str) -> list[Any]:
    entries, errors, _ = loader.load_string(text)
    assert errors == [], [error.message for error in errors]
    return entries


def monthly(entries: list[Any], account: str) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, Transaction):
            for posting in entry.postings:
                if posting.account == account:
                    sums[f"{entry.date:%Y-%m}"] += posting.units.number
    return {month: amount for month, amount in sorted(sums.items()) if amount}


def payment(day: str, line: str, amount: str, extra: str = "") -> str:
    return f'{day} * "Customer" "Payment"\n  {CASH}   {amount} USD\n  {SALES}  -{amount} USD\n    line: "{line}"\n{extra}'


def months(first: str, amounts: str) -> dict[str, Decimal]:
    """{YYYY-MM: -amount} for consecutive months from ``first``: revenue as the ledger signs it."""
    year, month = map(int, first.split("-"))
    table = {}
    for amount in amounts.split():
        table[f"{year:04d}-{month:02d}"] = -Decimal(amount)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return table


# --- "Adding a service period to a Stripe payment" ----------------------------------------------------------
# py_1234, 120 USD on January 1, 2020, a yearly subscription from February 1, 2020 to January 31, 2021.


def test_service_period_for_a_stripe_payment_becomes_a_rule() -> None:
    entries, errors = import_general(page("service-period-for-a-payment.csv"), "general.csv")
    assert errors == []
    [rule] = entries
    assert isinstance(rule, Custom)
    assert rule.type == "revrec-rule"
    assert rule.values[0].value == "import-py_1234"
    assert rule.meta["line"] == "py_1234"
    assert rule.meta["treatment"] == "amortize 366 days from 2020-02-01"


def test_service_period_for_a_stripe_payment_recognises_exactly_over_the_period() -> None:
    imported, _ = import_general(page("service-period-for-a-payment.csv"), "general.csv")
    ledger = loaded(head() + text_of(imported) + "\n" + payment("2020-01-01", "py_1234", "120.00"))
    # The same as the payment carrying the service period itself: [2020-02-01, 2021-02-01), daily.
    period = "    service-start: 2020-02-01\n    service-end: 2021-02-01\n"
    direct = loaded(head() + payment("2020-01-01", "py_1234", "120.00").replace('"py_1234"\n', f'"py_1234"\n{period}'))
    revenue = monthly(ledger, SALES)
    assert revenue == monthly(direct, SALES)
    # 120.00 over 366 days: 29 days of February are 9.51, a 31-day month 10.16 or 10.17 (the cents carried)
    assert revenue == months("2020-02", "9.51 10.16 9.84 10.16 9.84 10.16 10.17 9.83 10.17 9.83 10.17 10.16")
    assert sum(revenue.values()) == Decimal("-120.00")


# --- "Adding or overriding a service period on an invoice line item" ------------------------------------------
# in_1234 finalized April 1, 2020: il_5678 has no service period, il_7890 a wrong one (April 1-15), il_goods
# is physical goods. Amounts are ours: 1.00 USD a day of each subscription line's imported period.
INVOICE = f"""2020-04-01 * "Enterprise" "Invoice"
  invoice: "in_1234"
  {AR}   1132.00 USD
  {SALES}  -397.00 USD
    line: "il_5678"
  {SALES}  -458.00 USD
    line: "il_7890"
    service-start: 2020-04-01
    service-end: 2020-04-16
  {SALES}  -277.00 USD
    line: "il_goods"
"""


def test_line_item_service_periods_are_overridden() -> None:
    imported, errors = import_general(page("line-item-service-periods.csv"), "general.csv")
    assert errors == []
    assert [(entry.values[0].value, entry.meta["line"], entry.meta["treatment"]) for entry in imported] == [
        ("import-il_5678", "il_5678", "amortize 397 days from 2020-05-01"),
        ("import-il_7890", "il_7890", "amortize 458 days from 2020-06-01")]
    revenue = monthly(loaded(head() + text_of(imported) + "\n" + INVOICE), SALES)
    # April: the goods only. il_5678: a day's 1.00 from 2020-05-01 to 2021-06-01; il_7890: from 2020-06-01 to
    # 2021-09-01 (nothing of it in April any more).
    assert revenue == {"2020-04": Decimal("-277.00"), **months(
        "2020-05", "31 60 62 62 60 62 60 62 62 56 62 60 62 31 31 31 1")}
    assert sum(revenue.values()) == Decimal("-1132.00")


# --- "Splitting Stripe payments with additional data" ----------------------------------------------------------


def test_a_split_payment_becomes_one_rule_with_shares() -> None:
    imported, errors = import_general(page("split-payment.csv"), "general.csv")
    assert errors == []
    [rule] = imported
    assert rule.values[0].value == "import-py_1234"
    assert rule.meta["treatment"] == ("74.99% amortize 486 days from 2020-02-01 + "
                                      "25.01% amortize 367 days from 2020-01-01")
    revenue = monthly(loaded(head() + text_of(imported) + "\n" + payment("2020-01-01", "py_1234", "100.00")), SALES)
    # The shipment's 25.01 over 367 days from 2020-01-01 (2.11 in January) plus the subscription's 74.99 over
    # 486 days from 2020-02-01 (4.47 in February); January 2021 holds the shipment's last day (0.07).
    assert revenue == months("2020-01", "2.11 6.45 6.90 6.68 6.89 6.67 6.90 6.90 6.67 6.89 6.68 6.89 "
                                        "4.85 4.32 4.79 4.63 4.78")
    assert sum(revenue.values()) == Decimal("-100.00")


# --- "Importing external transactions" -------------------------------------------------------------------------


def test_external_transactions_become_transactions_with_a_service_period() -> None:
    imported, errors = import_general(page("external-transactions.csv"), "external.csv")
    assert errors == []
    [txn] = imported
    assert isinstance(txn, Transaction)
    assert (txn.date, txn.payee, txn.narration) == (datetime.date(2019, 12, 15), "My previous system",
                                                    "A yearly subscription")
    assert txn.meta["import-id"] == "My previous system/Transaction 1234"
    assert txn.postings[0].units.number == Decimal("100.00")
    assert txn.postings[1].meta == {"line": "Transaction 1234", "service-start": datetime.date(2020, 1, 1),
                                    "service-end": datetime.date(2021, 1, 1)}
    ledger = loaded(head() + text_of(imported))
    # 100 USD paid in advance on 2019-12-15, deferred, then 100/366 a day of 2020
    assert monthly(ledger, DEFERRED)["2019-12"] == Decimal("-100.00")
    assert monthly(ledger, SALES) == months("2020-01", "8.47 7.92 8.47 8.20 8.47 8.20 8.47 8.47 8.19 8.47 8.20 8.47")


# --- "Correcting imported data" --------------------------------------------------------------------------------


def test_a_correction_back_to_stripes_own_dates_is_a_problem_that_says_what_to_do() -> None:
    imported, errors = import_general(page("correction.csv"), "correction.csv")
    assert imported == []
    assert [str(error) for error in errors] == [
        ("correction.csv:2: py_1234 has no recognition dates, so Stripe's own dates stand: there is no rule to "
         'import (delete the rule "import-py_1234" if an earlier import added it; a booked date does not move a '
         "Stripe transaction)")]


# --- "Excluding transactions from revenue" ---------------------------------------------------------------------
EXCLUDED = f"""2020-03-01 * "Test" "Test invoice"
  invoice: "in_1234"
  {AR}   100.00 USD
  {SALES}  -100.00 USD
    line: "il_test"

2020-03-02 * "Customer" "Invoice with a line added by mistake"
  invoice: "in_5678"
  {AR}   120.00 USD
  {SALES}  -50.00 USD
    line: "il_1234"
  {SALES}  -70.00 USD
    line: "il_kept"

2020-03-03 * "Customer" "Subscription update"
  invoice: "in_9"
  {AR}   20.00 USD
  {SALES}  -20.00 USD
    line: "ii_1234"

{payment("2020-03-04", "py_1234", "30.00")}
{payment("2020-03-05", "ch_1234", "40.00")}"""


def test_exclusions_become_exclude_rules() -> None:
    imported, errors = import_exclusions(page("exclusions.csv"), "exclude.csv")
    assert errors == []
    assert [(rule.values[0].value, rule.meta.get("invoice"), rule.meta.get("line"), rule.meta["treatment"])
            for rule in imported] == [("exclude-in_1234", "in_1234", None, "exclude"),
                                      ("exclude-ii_1234", None, "ii_1234", "exclude"),
                                      ("exclude-il_1234", None, "il_1234", "exclude"),
                                      ("exclude-py_1234", None, "py_1234", "exclude"),
                                      ("exclude-ch_1234", None, "ch_1234", "exclude")]
    ledger = loaded(head() + text_of(imported) + "\n" + EXCLUDED)
    # Everything but il_kept is reclassified out of revenue on its own date: 100 + 50 + 20 + 30 + 40
    assert monthly(ledger, EXCLUSIONS) == {"2020-03": Decimal("-240.00")}
    assert monthly(ledger, SALES) == {"2020-03": Decimal("-70.00")}


def test_rule_names_are_stable() -> None:
    text = page("line-item-service-periods.csv")
    assert text_of(import_general(text, "a.csv")[0]) == text_of(import_general(text, "a.csv")[0])


# --- Bad rows ----------------------------------------------------------------------------------------------
def test_bad_rows_are_reported_with_their_row_and_good_rows_still_import() -> None:
    bad = HEADER + ("Stripe,il_1,,,2020-05-01,2020-05-31,,,\n"
                    "Stripe,il_2,,,2020-13-01,2020-05-31,,,\n"
                    "Checks,ck_3,,2020-01-01,2020-01-01,2020-01-31,10.00,US$,x\n"
                    "Stripe,,,,2020-05-01,2020-05-31,,,\n")
    imported, errors = import_general(bad, "bad.csv")
    assert [entry.meta["line"] for entry in imported] == ["il_1"]
    assert [str(error) for error in errors] == [
        'bad.csv:3: bad date "2020-13-01" in recognition_start_date: write YYYY-MM-DD',
        'bad.csv:4: unknown currency "US$": write an ISO code such as USD',
        "bad.csv:5: transaction_id is empty",
    ]


def test_the_readers_take_what_spreadsheets_write_and_stop_what_they_cannot_book() -> None:
    rows = HEADER + "".join(row + "\n" for row in [
        "STRIPE,in_1,il_1,,2020-05-01,2020-05-31",  # upper case, trailing blank cells left out
        "stripe,py_1,,,2020-05-01,2020-05-01,120,,",  # a Stripe payment's amount is Stripe's: not read
        "Checks,ck_1,a,2020-05-01,2020-05-01,2020-05-31,10,usd,",  # an external split: its own line id
        "Checks,ck_1,b,2020-05-01,2020-06-01,2020-06-30,5,usd,",
        "Checks,ck_1,a,2020-05-01,2020-05-01,2020-05-31,10,usd,",  # the same row again
        "Checks,ck_2,,2020-05-01,2020-05-01,2020-05-31,1.005,usd,",  # more decimals than USD has
        "Stripe,py_2,x,,2020-05-01,2020-05-31,1,usd,",
        "Stripe,py_2,x,,2020-06-01,2020-06-30,1,usd,",  # a split id twice
        "Stripe,py_3,,,2020-05-01,,,,",  # one recognition date
    ])
    imported, errors = import_general(rows, "sheet.csv")
    assert [(entry.values[0].value, entry.meta["treatment"]) for entry in imported if isinstance(entry, Custom)] == [
        ("import-il_1", "amortize 31 days from 2020-05-01"), ("import-py_1", "amortize 1 day from 2020-05-01")]
    assert [(entry.meta["import-id"], entry.postings[1].meta["line"], entry.postings[0].units)
            for entry in imported if isinstance(entry, Transaction)] == [
        ("Checks/ck_1/a", "ck_1/a", Amount(Decimal("10.00"), "USD")),
        ("Checks/ck_1/b", "ck_1/b", Amount(Decimal("5.00"), "USD"))]
    assert [str(error) for error in errors] == [
        "sheet.csv:6: Checks/ck_1/a is already imported from row 4: give each transaction one row (or split rows)",
        'sheet.csv:7: amount "1.005" has more decimals than USD has (2)',
        'sheet.csv:8: py_2: split "x" is on rows 8 and 9: give each part its own split_transaction_id',
        "sheet.csv:10: recognition_end_date is empty",
    ]


def test_a_missing_column_is_reported() -> None:
    imported, errors = import_general("source,transaction_id\nStripe,il_1\n", "short.csv")
    assert imported == []
    assert [str(error) for error in errors] == [
        "short.csv:1: missing column(s): recognition_start_date, recognition_end_date"]


# --- Fulfillment events (Performance Obligations API) -------------------------------------------------------
EVENT = ('{"target": {"type": "invoice_line_item", "invoice_line_item": "il_AAA"}, '
         '"period": {"start": 1659078000}, "amount": 1000, "currency": "usd"}')
SPEC_6_1 = f"""plugin "beancount_revrec"
2019-01-01 open {AR}
2019-01-01 open {SALES}
2022-01-01 custom "revrec-rule" "prepaid-usage"
  product: "prod_prepaid"
  treatment: "fulfillment"

2022-06-01 * "Customer" "Prepaid package"
  invoice: "in_1"
  {AR}   100.00 USD
  {SALES}               -100.00 USD
    product: "prod_prepaid"
    line: "il_AAA"
"""


def test_a_performance_obligations_event_becomes_revrec_fulfill() -> None:
    imported, errors = import_fulfillments(EVENT, "events.json")
    assert errors == []
    assert format_entry(imported[0]).strip() == '2022-07-29 custom "revrec-fulfill" "il_AAA" 10.00 USD'
    ledger = loaded(SPEC_6_1 + "\n" + text_of(imported))
    assert monthly(ledger, SALES) == {"2022-07": Decimal("-10.00"), "2023-06": Decimal("-90.00")}


def test_fulfillment_csv_units_zones_and_currencies() -> None:
    csv_text = ("target[invoice_line_item],period[start],amount,quantity,currency\n"
                "il_A,1659078000,500,,jpy\n"
                "il_B,1659078000,,10,\n"
                "il_C,1659078000,1234,,kwd\n"
                "il_D,yesterday,100,,usd\n"
                "il_E,1659078000,100,,dollars\n")
    imported, errors = import_fulfillments(csv_text, "events.csv", zone="Asia/Tokyo")
    assert [format_entry(entry).strip() for entry in imported] == [
        '2022-07-29 custom "revrec-fulfill" "il_A" 500 JPY',
        '2022-07-29 custom "revrec-fulfill" "il_B" 10',
        '2022-07-29 custom "revrec-fulfill" "il_C" 1.234 KWD',
    ]
    assert [str(error) for error in errors] == [
        'events.csv:5: bad period[start] "yesterday": write a unix timestamp',
        'events.csv:6: unknown currency "dollars": write an ISO code such as usd',
    ]
    assert exponent("USD") == 2


def test_fulfillment_json_lines_and_lists() -> None:
    lines = EVENT + "\n" + EVENT.replace("il_AAA", "il_BBB") + "\n"
    assert len(import_fulfillments(lines, "e.jsonl")[0]) == 2
    assert len(import_fulfillments(f"[{EVENT}, {EVENT}]", "e.json")[0]) == 2
    _, errors = import_fulfillments('[{"amount": 1}]', "e.json")
    assert [str(error) for error in errors] == ["e.json:1: missing target[invoice_line_item]"]


def test_the_same_id_twice_is_an_error_at_the_later_row() -> None:
    twice = HEADER + ("Stripe,il_1,,,2020-05-01,2020-05-31,,,\n"
                      "Stripe,il_1,,,2020-06-01,2020-06-30,,,\n")
    imported, errors = import_general(twice, "twice.csv")
    assert [entry.meta["treatment"] for entry in imported] == ["amortize 31 days from 2020-05-01"]
    assert [str(error) for error in errors] == [
        "twice.csv:3: il_1 is already imported from row 2: give each transaction one row (or split rows)"]


def test_a_split_without_amounts_is_an_error() -> None:
    split = HEADER + ("Stripe,py_9,py_9_a,,2020-01-01,2020-01-31,,,\n"
                      "Stripe,py_9,py_9_b,,2020-02-01,2020-03-31,40.00,usd,\n")
    imported, errors = import_general(split, "split.csv")
    assert imported == []
    assert [str(error) for error in errors] == [
        "split.csv:2: py_9: each split of a payment needs an amount, and they must not all be zero"]


def test_a_bare_list_of_ids_excludes_too() -> None:
    imported, errors = import_exclusions("in_1\n\nil_2\n", "ids.csv")
    assert [(rule.values[0].value, rule.meta["lineno"]) for rule in imported] == [("exclude-in_1", 1),
                                                                                  ("exclude-il_2", 3)]
    assert errors == []


def test_fulfillment_errors_name_the_line_and_bad_zones_and_targets() -> None:
    lines = EVENT + "\n{not json\n"
    assert [str(error) for error in import_fulfillments(lines, "e.jsonl")[1]] == [
        "e.jsonl:2: bad JSON: Expecting property name enclosed in double quotes"]
    assert [str(error) for error in import_fulfillments(EVENT, "e.json", zone="Mars/Base")[1]] == [
        'e.json:0: unknown time zone "Mars/Base": write an IANA name such as UTC']
    other = EVENT.replace('"type": "invoice_line_item"', '"type": "subscription_item"')
    assert [str(error) for error in import_fulfillments(other, "e.json")[1]] == [
        'e.json:1: target type "subscription_item": only invoice_line_item targets are read']


def test_a_zone_west_of_utc_moves_the_date() -> None:
    imported, _ = import_fulfillments(EVENT, "e.json", zone="America/Los_Angeles")
    assert imported[0].date == datetime.date(2022, 7, 29)  # 1659078000 is 2022-07-29 07:00 UTC, 00:00 in LA
    early = EVENT.replace("1659078000", "1659070800")  # 05:00 UTC: still the 28th in Los Angeles
    assert import_fulfillments(early, "e.json", zone="America/Los_Angeles")[0][0].date == datetime.date(2022, 7, 28)
    assert import_fulfillments(early, "e.json")[0][0].date == datetime.date(2022, 7, 29)


def test_an_excel_byte_order_mark_and_capitalised_header_are_read() -> None:
    imported, errors = import_general("\ufeff" + HEADER.replace("source", "Source") + "Stripe,il_1,,,2020-05-01,2020-05-31,,,\n")
    assert errors == []
    assert imported[0].meta["line"] == "il_1"
    events, problems = import_fulfillments("\ufeffTarget[invoice_line_item],period[start],amount,currency\nil_A,1659078000,1000,usd\n")
    assert problems == []
    assert format_entry(events[0]).strip() == '2022-07-29 custom "revrec-fulfill" "il_A" 10.00 USD'
    assert len(import_fulfillments("\ufeff" + EVENT)[0]) == 1


def test_full_fulfillment_on_the_spec_6_1_ledger() -> None:
    """SPEC Example 6.1, third case: + 10.00 on 2022-07-29 and + 90.00 on 2022-08-10; nothing falls back."""
    events = EVENT + "\n" + EVENT.replace("1659078000", "1660132800").replace("1000", "9000") + "\n"
    imported, errors = import_fulfillments(events, "events.jsonl")
    assert errors == []
    ledger = loaded(SPEC_6_1 + "\n" + text_of(imported))
    assert monthly(ledger, SALES) == {"2022-07": Decimal("-10.00"), "2022-08": Decimal("-90.00")}
    assert monthly(ledger, DEFERRED) == {"2022-06": Decimal("-100.00"), "2022-07": Decimal("10.00"),
                                         "2022-08": Decimal("90.00")}
