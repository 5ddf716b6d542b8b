"""Stripe Revenue Recognition data import (CSV) and Performance-Obligations events, as the ledger's directives.

The general-import columns and the first example row are Stripe's, from
docs.stripe.com/revenue-recognition/data-import and its examples page ("Adding a service
period to a Stripe payment"). The other CSVs are built from the page's descriptions.
Each import is written as Beancount text, loaded with the plugin, and checked month by month.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal
from typing import Any

from beancount import loader
from beancount.core.data import Custom, Transaction
from beancount.parser.printer import format_entry

from beancount_revrec.importers.fulfillment_events import exponent, import_fulfillments
from beancount_revrec.importers.revenue_csv import import_exclusions, import_general

HEADER = ("source,transaction_id,split_transaction_id,booked_date,recognition_start_date,"
          "recognition_end_date,amount,currency,description\n")
CASH = "Assets:Cash"
AR = "Assets:AccountsReceivable"
SALES = "Income:Sales"
DEFERRED = "Liabilities:DeferredRevenue"


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


# --- Stripe's example: "Adding a service period to a Stripe payment" (verbatim row) ---------------------------
# py_1234, 120 USD on January 1, 2020, a yearly subscription from February 1, 2020 to January 31, 2021.
PY_1234 = HEADER + "Stripe,py_1234,,,2020-02-01,2021-01-31,,,\n"


def test_service_period_for_a_stripe_payment_becomes_a_rule() -> None:
    entries, errors = import_general(PY_1234, "general.csv")
    assert errors == []
    [rule] = entries
    assert isinstance(rule, Custom)
    assert rule.type == "revrec-rule"
    assert rule.values[0].value == "import-py_1234"
    assert rule.meta["line"] == "py_1234"
    assert rule.meta["treatment"] == "amortize 366 days from 2020-02-01"


def test_service_period_for_a_stripe_payment_recognises_exactly_over_the_period() -> None:
    imported, _ = import_general(PY_1234, "general.csv")
    ledger = loaded(head() + text_of(imported) + "\n" + payment("2020-01-01", "py_1234", "120.00"))
    # The same as the payment carrying the service period itself: [2020-02-01, 2021-02-01), daily.
    period = "    service-start: 2020-02-01\n    service-end: 2021-02-01\n"
    direct = loaded(head() + payment("2020-01-01", "py_1234", "120.00").replace('"py_1234"\n', f'"py_1234"\n{period}'))
    revenue = monthly(ledger, SALES)
    assert revenue == monthly(direct, SALES)
    assert "2020-01" not in revenue
    assert revenue["2020-02"] == Decimal("-9.51")  # 29 of 366 days
    assert sum(revenue.values()) == Decimal("-120.00")
    assert max(revenue) == "2021-01"


# --- "Adding or overriding a service period on an invoice line item" (rows built from the page's text) -------
# Invoice in_1234 finalized April 1, 2020; il_5678 (no service period) from May 1, 2020; il_7890 (wrongly
# April 1-15) from June 1, 2020 to the end of August (the page's "to September 1, 2020", end exclusive).
LINE_ITEMS = HEADER + ("Stripe,il_5678,,,2020-05-01,2020-05-31,,,\n"
                       "Stripe,il_7890,,,2020-06-01,2020-08-31,,,\n")
INVOICE = f"""2020-04-01 * "Enterprise" "Invoice"
  invoice: "in_1234"
  {AR}   400.00 USD
  {SALES}  -31.00 USD
    line: "il_5678"
  {SALES}  -92.00 USD
    line: "il_7890"
    service-start: 2020-04-01
    service-end: 2020-04-16
  {SALES}  -277.00 USD
    line: "il_goods"
"""


def test_line_item_service_periods_are_overridden() -> None:
    imported, errors = import_general(LINE_ITEMS, "general.csv")
    assert errors == []
    assert [entry.meta["treatment"] for entry in imported] == [
        "amortize 31 days from 2020-05-01", "amortize 92 days from 2020-06-01"]
    revenue = monthly(loaded(head() + text_of(imported) + "\n" + INVOICE), SALES)
    assert revenue == {"2020-04": Decimal("-277.00"), "2020-05": Decimal("-31.00"), "2020-06": Decimal("-30.00"),
                       "2020-07": Decimal("-31.00"), "2020-08": Decimal("-31.00")}


# --- "Split a payment into multiple different revenue schedules" -------------------------------------------
SPLIT = HEADER + ("Stripe,py_9,py_9_a,,2020-01-01,2020-01-31,60.00,usd,Licence\n"
                  "Stripe,py_9,py_9_b,,2020-02-01,2020-03-31,40.00,usd,Support\n")


def test_a_split_payment_becomes_one_rule_with_shares() -> None:
    imported, errors = import_general(SPLIT, "general.csv")
    assert errors == []
    [rule] = imported
    assert rule.values[0].value == "import-py_9"
    assert rule.meta["treatment"] == "60% amortize 31 days from 2020-01-01 + 40% amortize 60 days from 2020-02-01"
    revenue = monthly(loaded(head() + text_of(imported) + "\n" + payment("2020-01-01", "py_9", "100.00")), SALES)
    assert revenue["2020-01"] == Decimal("-60.00")
    assert revenue["2020-02"] + revenue["2020-03"] == Decimal("-40.00")


# --- "Import an external payment processor's data with a service period, amount, and currency" -------------
EXTERNAL = HEADER + "App Store,tx_42,,2020-01-15,2020-01-15,2020-04-13,90.00,USD,Annual plan\n"


def test_external_transactions_become_transactions_with_a_service_period() -> None:
    imported, errors = import_general(EXTERNAL, "external.csv")
    assert errors == []
    [txn] = imported
    assert isinstance(txn, Transaction)
    assert txn.date == datetime.date(2020, 1, 15)
    assert txn.postings[1].meta == {"line": "tx_42", "service-start": datetime.date(2020, 1, 15),
                                    "service-end": datetime.date(2020, 4, 14)}
    revenue = monthly(loaded(head() + text_of(imported)), SALES)
    assert revenue == {"2020-01": Decimal("-17.00"), "2020-02": Decimal("-29.00"), "2020-03": Decimal("-31.00"),
                       "2020-04": Decimal("-13.00")}


# --- Exclusion import --------------------------------------------------------------------------------------
def test_exclusions_become_exclude_rules() -> None:
    imported, errors = import_exclusions("id\nin_1234\nil_goods\nin_1234\n", "exclude.csv")
    assert errors == []
    assert [(rule.values[0].value, rule.meta.get("invoice"), rule.meta.get("line"), rule.meta["treatment"])
            for rule in imported] == [("exclude-in_1234", "in_1234", None, "exclude"),
                                      ("exclude-il_goods", None, "il_goods", "exclude")]
    ledger = loaded(head() + text_of(imported[1:]) + "\n" + INVOICE)
    # il_goods is reclassified out of revenue on the invoice's date; the other lines are as before.
    assert monthly(ledger, "Equity:RevRec:Exclusions") == {"2020-04": Decimal("-277.00")}
    assert monthly(ledger, SALES)["2020-04"] == Decimal("-123.00")


def test_rule_names_are_stable() -> None:
    assert text_of(import_general(LINE_ITEMS, "a.csv")[0]) == text_of(import_general(LINE_ITEMS, "a.csv")[0])


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
        "twice.csv:3: il_1 already has a rule from row 2: give each transaction one row (or split rows)"]


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
