"""The beangulp importers of Stripe's data-import CSVs and of fulfillment events, through beangulp's own API."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from beancount import loader
from beancount.parser.printer import format_entry
from beangulp import identify

from beancount_revrec.importers import (
    Accounts,
    FulfillmentImporter,
    ImporterConfig,
    RevenueCsvImporter,
    StripeImporter,
)
from tests.test_importers import invoice
from tests.test_revenue_import import EVENT, PAGE, SPEC_6_1, head, loaded, monthly

IMPORTERS = [StripeImporter(ImporterConfig()), RevenueCsvImporter(), FulfillmentImporter()]
PAGE_FILES = sorted(PAGE.glob("*.csv"))


@pytest.fixture
def files(tmp_path):
    """An events CSV, JSON and JSON Lines file, a Stripe export, and a CSV of neither kind."""
    paths = {
        "events.csv": "target[invoice_line_item],period[start],amount,currency\nil_AAA,1660132800,9000,usd\n",
        "events.json": f"[{EVENT}]",
        "events.jsonl": EVENT + "\n",
        "invoices.json": json.dumps({"object": "list", "data": [invoice()]}),
        "payouts.csv": "id,amount\npo_1,100\n",
    }
    for name, text in paths.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return {name: str(tmp_path / name) for name in paths}


@pytest.mark.parametrize("path", PAGE_FILES, ids=[path.stem for path in PAGE_FILES])
def test_each_page_csv_is_identified_by_the_revenue_csv_importer_alone(path):
    assert identify.identify(IMPORTERS, str(path)) is IMPORTERS[1]


def test_events_and_stripe_objects_go_to_their_own_importer_and_other_files_to_none(files):
    assert [identify.identify(IMPORTERS, files[name]) for name in ("events.csv", "events.json", "events.jsonl")] == [
        IMPORTERS[2]] * 3
    assert identify.identify(IMPORTERS, files["invoices.json"]) is IMPORTERS[0]
    assert identify.identify(IMPORTERS, files["payouts.csv"]) is None


def test_revenue_csv_importer_account_date_extract_and_deduplicate(tmp_path):
    importer = RevenueCsvImporter(Accounts(cash="Assets:Bank", revenue="Income:Migrated"))
    external = str(PAGE / "external-transactions.csv")
    assert importer.account(external) == "Income:Migrated"
    assert importer.date(external) == datetime.date(2019, 12, 15)
    assert importer.date(str(PAGE / "exclusions.csv")) is None  # rules only: they are dated 1970-01-01
    [txn] = importer.extract(external, [])
    assert [(posting.account, posting.units.number) for posting in txn.postings] == [
        ("Assets:Bank", Decimal("100.00")), ("Income:Migrated", Decimal("-100.00"))]
    rules = importer.extract(str(PAGE / "service-period-for-a-payment.csv"), [])
    books = tmp_path / "books.beancount"
    books.write_text(head().replace("Income:Sales", "Income:Migrated") + "2019-01-01 open Assets:Bank\n"
                     + "\n".join(map(format_entry, [txn, *rules])), encoding="utf-8")
    existing, errors, _ = loader.load_file(str(books))
    assert errors == []
    assert monthly(existing, "Income:Migrated")["2020-02"] == Decimal("-7.92")  # what the books recognise
    again = [*importer.extract(external, existing), *importer.extract(str(PAGE / "line-item-service-periods.csv"),
                                                                      existing)]
    importer.deduplicate(again, existing)
    assert [entry.values[0].value for entry in again] == ["import-il_5678", "import-il_7890"]


def test_revenue_csv_importer_keeps_and_prints_the_problems(capsys):
    importer = RevenueCsvImporter()
    assert importer.extract(str(PAGE / "correction.csv"), []) == []
    assert len(importer.errors) == 1
    assert importer.errors[0].startswith(f"{PAGE / 'correction.csv'}:2: py_1234 has no recognition dates")
    assert capsys.readouterr().err == f"Error: {importer.errors[0]}\n"


def test_fulfillment_importer_account_date_extract_and_deduplicate(files):
    importer = FulfillmentImporter(timezone="Asia/Tokyo", account="Liabilities:DeferredRevenue")
    assert importer.account(files["events.csv"]) == "Liabilities:DeferredRevenue"
    assert importer.date(files["events.csv"]) == datetime.date(2022, 8, 10)  # 12:00 UTC is 21:00 in Tokyo
    events = importer.extract(files["events.jsonl"], []) + importer.extract(files["events.csv"], [])
    ledger = loaded(SPEC_6_1 + "\n" + "\n".join(map(format_entry, events)))
    assert monthly(ledger, "Income:Sales") == {"2022-07": Decimal("-10.00"), "2022-08": Decimal("-90.00")}
    again = importer.extract(files["events.json"], ledger)
    importer.deduplicate(again, ledger)
    assert again == []


def test_each_importer_names_the_archived_file_after_its_kind() -> None:
    assert StripeImporter().filename("export/invoices.json") == "stripe-invoices.json"
    assert StripeImporter().filename("export/stripe-charges.json") == "stripe-charges.json"
    assert RevenueCsvImporter().filename("export/general.csv") == "revenue-csv-general.csv"
    assert FulfillmentImporter().filename("events.jsonl") == "fulfillment-events.jsonl"
