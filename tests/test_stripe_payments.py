"""The Stripe importer's money in: payments, the customer balance, fees, one-time payments, and credits of earlier imports."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

from beancount import loader
from beancount.core import data
from beancount.parser import printer

from beancount_revrec import importers
from beancount_revrec.importers import ImporterConfig, StripeImporter
from beancount_revrec.importers.revenue_csv import import_general
from beancount_revrec.importers.stripe_objects import convert
from tests.conftest import invoke, ok
from tests.test_importers import FEB_1, FEB_15, JAN_15, LEDGER_HEAD, invoice, load_with_plugin, transactions

JAN_1_2020 = 1577836800  # 2020-01-01T00:00:00Z


def by_id(result):
    assert result.errors == []
    return {entry.meta["stripe-id"]: entry for entry in transactions(result.entries)}


def postings(txn):
    return [(p.account, p.units.number) for p in txn.postings]


def link(charge="ch_1", invoice_id="in_1"):
    return {"object": "invoice_payment", "id": f"inpay_{charge}", "invoice": invoice_id, "status": "paid",
            "payment": {"type": "charge", "charge": charge}}


def test_a_payment_books_the_customer_balance_it_used_and_names_its_charge():
    paid = invoice(total=3100, amount_due=1100, amount_paid=1100, starting_balance=-2000)
    paid["status_transitions"]["paid_at"] = FEB_1
    entries = by_id(convert([paid, link()], ImporterConfig(), "f.json"))
    payment, balance = entries["in_1/payment"], entries["in_1/balance"]
    assert postings(balance) == [("Liabilities:CustomerBalance", Decimal("20.00")),
                                 ("Assets:AccountsReceivable", Decimal("-20.00"))]
    assert balance.date == datetime.date(2019, 1, 15)  # applied when the invoice is finalized, as Stripe does
    assert postings(payment) == [("Assets:Stripe", Decimal("11.00")), ("Assets:AccountsReceivable", Decimal("-11.00"))]
    assert payment.meta["charge"] == "ch_1"
    assert payment.date == datetime.date(2019, 2, 1)
    still_open = by_id(convert([{**paid, "status": "open", "amount_paid": 0}], ImporterConfig(), "f.json"))
    assert sorted(still_open) == ["in_1", "in_1/balance"]


def test_an_overpayment_is_left_on_the_customer_balance():
    paid = invoice(total=3100, amount_due=3100, amount_paid=3500)
    assert postings(by_id(convert([paid], ImporterConfig(), "f.json"))["in_1/payment"]) == [
        ("Assets:Stripe", Decimal("35.00")), ("Liabilities:CustomerBalance", Decimal("-4.00")),
        ("Assets:AccountsReceivable", Decimal("-31.00"))]


def test_a_payment_after_a_pre_payment_credit_note_closes_the_receivable():
    paid = invoice(total=3100, amount_due=2100, amount_paid=2100, pre_payment_credit_notes_amount=1000)
    note = {"object": "credit_note", "id": "cn_1", "invoice": "in_1", "status": "issued", "type": "pre_payment",
            "currency": "usd", "created": JAN_15, "total": 1000,
            "lines": {"data": [{"id": "cnli_1", "amount": 1000, "invoice_line_item": "il_1", "taxes": []}]}}
    result = convert([paid, note], ImporterConfig(), "f.json")
    assert postings(by_id(result)["in_1/payment"]) == [("Assets:Stripe", Decimal("21.00")),
                                                        ("Assets:AccountsReceivable", Decimal("-21.00"))]
    receivable = sum(p.units.number for t in transactions(result.entries) for p in t.postings
                     if p.account == "Assets:AccountsReceivable")
    assert receivable == 0


def test_an_invoice_paid_out_of_band_is_paid_into_the_out_of_band_account():
    payment = by_id(convert([invoice(paid_out_of_band=True)], ImporterConfig(), "f.json"))["in_1/payment"]
    assert postings(payment) == [("Assets:Bank", Decimal("31.00")), ("Assets:AccountsReceivable", Decimal("-31.00"))]


def test_an_expanded_balance_transaction_books_the_processing_fee():
    charge = {"object": "charge", "id": "ch_1", "invoice": "in_1", "amount": 3100, "amount_captured": 3100,
              "currency": "usd", "status": "succeeded", "created": JAN_15,
              "balance_transaction": {"object": "balance_transaction", "id": "txn_1", "amount": 3100, "fee": 120,
                                      "currency": "usd", "created": JAN_15 + 7200}}
    entries = by_id(convert([invoice(), charge], ImporterConfig(), "f.json"))
    assert postings(entries["ch_1/fee"]) == [("Expenses:StripeFees", Decimal("1.20")), ("Assets:Stripe", Decimal("-1.20"))]
    assert "ch_1" not in entries  # it paid an invoice: no sale of its own
    failed = {**charge, "id": "ch_2", "status": "failed"}
    assert convert([invoice(), failed], ImporterConfig(), "f.json").entries == convert([invoice()], ImporterConfig(),
                                                                                        "f.json").entries


def one_time(charge_id="ch_9", amount=12000, created=JAN_1_2020, **extra):
    return {"object": "charge", "id": charge_id, "amount": amount, "amount_captured": amount, "currency": "usd",
            "status": "succeeded", "created": created, "customer": "cus_2", "description": "Yearly plan", **extra}


def test_a_one_time_payment_is_a_sale_its_refund_credits(tmp_path):
    refund = {"object": "refund", "id": "re_9", "charge": "ch_9", "amount": 3000, "currency": "usd",
              "created": JAN_1_2020 + 86400, "status": "succeeded"}
    result = convert([refund, one_time(invoice=None)], ImporterConfig(), "f.json")
    entries = by_id(result)
    sale = entries["ch_9"]
    assert postings(sale) == [("Assets:Stripe", Decimal("120.00")), ("Income:Sales", Decimal("-120.00"))]
    assert sale.postings[1].meta["line"] == "ch_9"
    assert sale.meta["invoice"] == "ch_9"
    assert [(p.meta["credit-for"], p.units.number) for p in entries["re_9"].postings[1:]] == [("ch_9", Decimal("30.00"))]
    loaded, errors, _ = load_with_plugin(tmp_path, result.entries)
    assert errors == []
    income = {}
    for txn in transactions(loaded):
        for posting in txn.postings:
            if posting.account.startswith("Income:"):
                income[posting.account] = income.get(posting.account, Decimal(0)) + posting.units.number
    assert income == {"Income:Sales": Decimal("-120.00"), "Income:Refunds": Decimal("30.00")}


def test_stripes_service_period_for_a_payment_applies_to_an_imported_one_time_payment(tmp_path):
    """Stripe's data-import example: py_1234, 120 USD on 2020-01-01, a year from 2020-02-01 to 2021-01-31."""
    sale = convert([one_time("py_1234", invoice=None)], ImporterConfig(), "f.json")
    rules, problems = import_general("source,transaction_id,split_transaction_id,booked_date,recognition_start_date,"
                                     "recognition_end_date,amount,currency,description\n"
                                     "Stripe,py_1234,,,2020-02-01,2021-01-31,,,\n", "service.csv")
    assert problems == []
    ledger = tmp_path / "books.beancount"
    ledger.write_text(LEDGER_HEAD.replace("2019-01-01", "2020-01-01")
                      + "".join(printer.format_entry(e) + "\n" for e in [*rules, *sale.entries]))
    entries, errors, _ = loader.load_file(str(ledger))
    assert errors == []
    months: dict[str, Decimal] = {}
    for txn in transactions(entries):
        for posting in txn.postings:
            if posting.account == "Income:Sales":
                months[f"{txn.date:%Y-%m}"] = months.get(f"{txn.date:%Y-%m}", Decimal(0)) - posting.units.number
    months = {month: amount for month, amount in months.items() if amount}
    assert sorted(months) == [f"2020-{m:02}" for m in range(2, 13)] + ["2021-01"]
    assert sum(months.values()) == Decimal("120.00")
    assert months["2020-02"] == (Decimal(120) * 29 / 366).quantize(Decimal("0.01"))  # daily over the 366 days


def test_a_charge_nothing_ties_to_an_invoice_needs_the_invoice_payments():
    result = convert([one_time()], ImporterConfig(), "f.json")  # API 2025-03-31 and later: no `invoice` field
    assert result.entries == []
    assert result.errors == [("f.json: ch_9: nothing says whether it paid an invoice: export the invoice payments "
                             "with it (stripe get /v1/invoice_payments), so that a one-time payment is imported as a sale")]
    linked = by_id(convert([invoice(), link("ch_1"), one_time("ch_1"), one_time()], ImporterConfig(), "f.json"))
    assert sorted(linked) == ["ch_9", "in_1", "in_1/payment"]  # ch_1 paid in_1; ch_9 paid nothing


def first_import(tmp_path):
    """A ledger holding an imported invoice and its payment by ch_1."""
    books = tmp_path / "books.beancount"
    export = tmp_path / "january.json"
    export.write_text(json.dumps({"object": "list", "data": [invoice(), link()]}))
    books.write_text(LEDGER_HEAD + ok("import", "stripe", export))
    return books


def test_a_refund_credits_an_invoice_of_an_earlier_import(tmp_path):
    books = first_import(tmp_path)
    later = tmp_path / "february.json"
    later.write_text(json.dumps({"object": "refund", "id": "re_1", "charge": "ch_1", "amount": 3100,
                                 "currency": "usd", "created": FEB_1, "status": "succeeded"}))
    printed = ok("import", "stripe", later, "--ledger", books)
    assert 'credit-for: "il_1"' in printed
    assert 'credit-kind: "refund"' in printed
    books.write_text(books.read_text() + printed)
    entries, errors, _ = loader.load_file(str(books))
    assert errors == []
    refunds = sum(p.units.number for t in transactions(entries) for p in t.postings if p.account == "Income:Refunds")
    assert refunds == Decimal("17.00")  # January's recognised part; the rest comes off deferred revenue
    alone = invoke("import", "stripe", later)
    assert alone.exit_code == 1
    assert "re_1: its payment ch_1 is not tied to an invoice" in alone.stderr
    assert "Traceback" not in alone.output


def test_a_credit_note_credits_an_invoice_of_an_earlier_import_and_only_its_lines(tmp_path):
    books = first_import(tmp_path)
    note = {"object": "credit_note", "id": "cn_1", "invoice": "in_1", "status": "issued", "type": "post_payment",
            "currency": "usd", "created": FEB_1, "total": 1000, "refunds": [], "customer_balance_transaction": "cbt_1",
            "lines": {"data": [{"id": "cnli_1", "amount": 1000, "invoice_line_item": "il_1", "taxes": []}]}}
    wrong = {**note, "id": "cn_2", "lines": {"data": [{"id": "cnli_2", "amount": 1000, "invoice_line_item": "il_7"}]}}
    stranger = {**note, "id": "cn_3", "invoice": "in_404"}
    export = tmp_path / "notes.json"
    export.write_text(json.dumps({"object": "list", "data": [note, wrong, stranger]}))
    result = invoke("import", "stripe", export, "--ledger", books)
    assert result.exit_code == 0
    assert 'stripe-id: "cn_1"' in result.stdout
    assert result.stderr.splitlines() == [
        f"Error: {export}: cn_2: it credits line il_7, which invoice in_1 does not have",
        (f"Error: {export}: cn_3: it credits invoice in_404, which is in neither the export nor the ledger: import "
        "the invoice with it, or pass the ledger that holds it (--ledger, or beangulp's -e)"),
    ]


def test_a_later_file_of_one_command_credits_an_earlier_files_invoice(tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps({"object": "list", "data": [invoice(), link()]}))
    second.write_text(json.dumps({"object": "refund", "id": "re_1", "charge": "ch_1", "amount": 1000,
                                  "currency": "usd", "created": FEB_15, "status": "succeeded"}))
    printed = ok("import", "stripe", first, second)
    assert printed.count("stripe-id:") == 3


def line_item(line_id, amount):
    return {"object": "line_item", "id": line_id, "invoice": "in_1", "amount": amount, "currency": "usd",
            "discount_amounts": [], "period": {"start": JAN_15, "end": FEB_15}, "quantity": 1, "taxes": []}


def test_lines_beyond_the_first_page_come_from_the_exports_line_items():
    paged = invoice(status="open", total=6100)
    paged["lines"].update(has_more=True, total_count=3)
    entries = by_id(convert([paged, line_item("il_2", 1000), line_item("il_3", 2000)], ImporterConfig(), "f.json"))
    assert [(p.meta["line"], p.units.number) for p in entries["in_1"].postings[1:]] == [
        ("il_1", Decimal("-31.00")), ("il_2", Decimal("-10.00")), ("il_3", Decimal("-20.00"))]
    short = convert([paged, line_item("il_2", 1000)], ImporterConfig(), "f.json")
    assert short.errors == [("f.json: in_1: its lines are paginated (has_more) and the export holds 2 of them: add the "
                            "rest as line_item objects (stripe get /v1/invoices/ID/lines), or fetch with --api-key")]


def test_lines_that_do_not_add_up_to_the_total_are_an_error():
    result = convert([invoice(status="open", total=3600)], ImporterConfig(), "f.json")
    assert result.entries == []
    assert result.errors == [("f.json: in_1: its lines and tax add up to 31.00, its total is 36.00 (shipping or "
                             "credits the importer does not read): book it yourself")]


def test_a_ledger_entry_without_a_stripe_id_is_not_read_as_an_import():
    hand = data.Transaction({"invoice": "in_1", "filename": "x", "lineno": 1}, datetime.date(2019, 1, 15), "*", None,
                            "hand-written", data.EMPTY_SET, frozenset({"in_1"}), [])
    refund = {"object": "refund", "id": "re_1", "charge": "in_1", "amount": 100, "currency": "usd",
              "created": FEB_1, "status": "succeeded"}
    assert convert([refund], ImporterConfig(), "f.json", [hand]).errors[0].startswith("f.json: re_1: its payment")


def test_a_credit_note_of_more_than_one_page_of_lines_is_an_error():
    note = {"object": "credit_note", "id": "cn_1", "invoice": "in_1", "status": "issued", "type": "pre_payment",
            "currency": "usd", "created": FEB_1, "total": 1000,
            "lines": {"data": [{"id": "cnli_1", "amount": 1000, "invoice_line_item": "il_1"}], "has_more": True}}
    result = convert([invoice(), note], ImporterConfig(), "f.json")
    assert result.errors == [("f.json: cn_1: its lines are paginated (has_more): fetch with --api-key, which pages "
                             "them in")]
    assert sorted(e.meta["stripe-id"] for e in result.entries) == ["in_1", "in_1/payment"]


def test_a_refund_takes_back_what_was_sold_not_a_prorations_negative_line(tmp_path):
    """Stripe's upgrade invoice: -30.00 unused time, +40.00 remaining time, +120.00 May; refunded in full."""
    upgrade = invoice(status="paid", total=13000)
    first = upgrade["lines"]["data"][0]
    upgrade["lines"]["data"] = [{**first, "id": "il_unused", "amount": -3000}, {**first, "id": "il_rest", "amount": 4000},
                                {**first, "id": "il_may", "amount": 12000}]
    refund = {"object": "refund", "id": "re_1", "charge": "ch_1", "amount": 13000, "currency": "usd",
              "created": FEB_1, "status": "succeeded"}
    result = convert([upgrade, link(), refund], ImporterConfig(), "f.json")
    booked = [(p.meta["credit-for"], p.units.number) for p in by_id(result)["re_1"].postings[1:]]
    assert booked == [("il_rest", Decimal("32.50")), ("il_may", Decimal("97.50"))]
    entries, errors, _ = load_with_plugin(tmp_path, result.entries)
    assert errors == []
    sales = sum(p.units.number for t in transactions(entries) for p in t.postings if p.account == "Income:Sales")
    refunds = sum(p.units.number for t in transactions(entries) for p in t.postings if p.account == "Income:Refunds")
    assert sales + refunds == 0  # all of the invoice's revenue is taken back


def test_a_refund_naming_only_its_charge_finds_the_invoice_its_payment_intent_paid():
    charge = {"object": "charge", "id": "ch_1", "payment_intent": "pi_1", "amount": 3100, "amount_captured": 3100,
              "currency": "usd", "status": "succeeded", "created": JAN_15}
    paid_by_intent = {**link(), "payment": {"type": "payment_intent", "payment_intent": "pi_1"}}
    refund = {"object": "refund", "id": "re_1", "charge": "ch_1", "payment_intent": None, "amount": 1000,
              "currency": "usd", "created": FEB_1, "status": "succeeded"}
    entries = by_id(convert([invoice(), paid_by_intent, charge, refund], ImporterConfig(), "f.json"))
    assert [(p.meta["credit-for"], p.units.number) for p in entries["re_1"].postings[1:]] == [("il_1", Decimal("10.00"))]
    assert "ch_1" not in entries  # it paid in_1: no one-time sale
    assert entries["in_1/payment"].meta["charge"] == "ch_1"


def test_beangulp_reads_a_folder_of_exports_as_one_export(tmp_path):
    """``stripe invoices list``, ``stripe get /v1/invoice_payments``, ``stripe refunds list``: one file each."""
    folder = tmp_path / "export"
    folder.mkdir()
    refund = {"object": "refund", "id": "re_1", "charge": "ch_1", "amount": 1000, "currency": "usd",
              "created": FEB_1, "status": "succeeded"}
    for name, objects in (("invoices.json", [invoice()]), ("invoice-payments.json", [link()]),
                          ("refunds.json", [refund])):
        (folder / name).write_text(json.dumps({"object": "list", "data": objects}))
    importer = StripeImporter()
    refunds = importer.extract(str(folder / "refunds.json"), [])
    assert importer.errors == []
    assert [(e.meta["stripe-id"], [(p.meta or {}).get("credit-for") for p in e.postings]) for e in refunds] == [
        ("re_1", [None, "il_1"])]
    invoices = importer.extract(str(folder / "invoices.json"), [])
    assert [(e.meta["stripe-id"], e.meta.get("charge")) for e in invoices] == [("in_1", None), ("in_1/payment", "ch_1")]
    assert importer.extract(str(folder / "invoice-payments.json"), []) == []


def test_of_two_exports_holding_an_object_the_later_ones_state_counts(tmp_path):
    january, february = tmp_path / "january.json", tmp_path / "february.json"
    january.write_text(json.dumps(invoice(status="open")))
    february.write_text(json.dumps(invoice(status="paid")))
    result = invoke("import", "stripe", january, february)
    assert result.exit_code == 0
    assert result.stderr == ""
    assert [line for line in result.stdout.splitlines() if "stripe-id" in line] == [
        '  stripe-id: "in_1"', '  stripe-id: "in_1/payment"']


def test_a_folder_is_converted_once_for_all_its_files_and_again_when_one_changes(tmp_path, monkeypatch):
    calls = []
    convert_files = importers.convert_files
    monkeypatch.setattr(importers, "convert_files", lambda *args: calls.append(args) or convert_files(*args))
    (tmp_path / "invoices.json").write_text(json.dumps(invoice()))
    (tmp_path / "payments.json").write_text(json.dumps(link()))
    importer, ledger = StripeImporter(), []
    invoices = importer.extract(str(tmp_path / "invoices.json"), ledger)
    assert importer.extract(str(tmp_path / "payments.json"), ledger) == []
    assert [e.meta["stripe-id"] for e in invoices] == ["in_1", "in_1/payment"]
    assert len(calls) == 1
    assert importer.date(str(tmp_path / "invoices.json")) == datetime.date(2019, 1, 15)  # without the ledger: anew
    assert importer.date(str(tmp_path / "payments.json")) is None
    assert len(calls) == 2
    (tmp_path / "invoices.json").write_text(json.dumps(invoice(status="uncollectible")))  # another size too
    assert [e.meta["stripe-id"] for e in importer.extract(str(tmp_path / "invoices.json"), ledger)] == [
        "in_1", "in_1/uncollectible"]
    assert len(calls) == 3
