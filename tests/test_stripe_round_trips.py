"""Round trips from Stripe's own worked examples: Stripe objects in, Stripe's published monthly figures out.

Each test builds the Stripe API objects a worked example of docs.stripe.com/revenue-recognition describes, in
the shapes of Stripe's OpenAPI fixtures (``../shared/stripe/fixtures3.json``: amounts in minor units, UTC epoch
timestamps, an invoice's ``lines`` list with each line's ``period``, ``pricing.price_details`` and ``parent``
details, ``status_transitions``; a credit note's ``lines`` pointing at ``invoice_line_item``s and its
``refunds``; refunds and disputes naming their ``charge``), writes them as an export (a list object), extracts
it with the beangulp ``StripeImporter``, writes the ledger (the plugin line and configuration of the table's
test, its opens, and the printed entries), and asks the real ``bean-query`` (one subprocess per example) for
the monthly sums of postings per account, which must be the figures of Stripe's table to the cent. The tables
are those of tests/test_stripe.py and tests/test_catch_up.py (imported, not copied), which reproduce the same
examples from hand-written ledgers.

The examples (page, heading):

- 7.1 examples/subscriptions, "Monthly subscription": 31.00 from Jan 15, paid at once.
- 7.2 examples/subscriptions, "Annual subscription": 365.00 for 2019, paid at once; the instants are
  23:30 UTC the evening before, read in the reporting zone Europe/Paris (00:30 on the table's days).
- 7.4 / 7.5 examples/subscriptions, "Upgrade" / "Downgrade" (catch-up off): April's 90.00 plan, then on
  April 21 an upgrade to 120.00 (a downgrade to 30.00) billed on the May 1 invoice as two proration lines
  (``parent.subscription_item_details.proration: true``; the unused-time credit names the April line in
  ``proration_details.credited_items``) and May's new plan. Both invoices are left open: the table books no
  payment.
- 6.2 examples/credit-notes, "Credit note after a payment": a post-payment credit note of 45.00 on the paid
  quarter (15.00 refunded, 20.00 out of band, 10.00 to the customer balance), its refund also in the export.
  Compared with the table as its own inputs give it (Refunds 5.17 / CreditNotes 10.33; Stripe prints 5.10 /
  10.40, flagged in tests/test_stripe.py).
- 6.1 examples/credit-notes, "Credit note before a payment": 120.00 for the quarter, 30.00 credited before
  payment on Jan 1, the 90.00 left paid on Feb 15 (the invoice's ``amount_paid``).
- 6.3 examples/credit-notes, "Credit note without line items": 90.50 credited on Feb 1 on a half-year's 181.00,
  before payment, for an amount (the credit note's ``lines`` empty): spread over the invoice's line. Compared
  with the table as its inputs give it (ending DeferredRevenue 45.50; Stripe prints 0.00, flagged there).
- 3.8 methodology/subscriptions-and-invoicing, "Credit notes": a pre-payment credit note of 45.00 on Feb 1
  on the unpaid quarter.
- 3.10 methodology/subscriptions-and-invoicing, "Customer credit balance": 31.00, 11.00 of it from the
  customer's credit balance (``starting_balance``), 20.00 by card.
- 5.2 examples/contra, "Negative invoice crediting the customer balance": a negative line of -31.00 for Jan 15 -
  Feb 15, the invoice "paid" with nothing and its -31.00 left on the customer's balance (``ending_balance``).
- 10.1 other-examples, "External asset": January's 31.00 paid outside Stripe on Feb 5 (``paid_out_of_band``),
  the importer's ``out_of_band`` account set to the table's ExternalAsset.
- 5.3 examples/contra, "Refund": the paid quarter refunded in full on Feb 1.
- 5.4 examples/contra, "Partial refund": 9.00 refunded on Feb 1 of the paid 90.00 quarter. The refund names
  its charge and payment intent, and the invoice is linked the current API's way: an ``invoice_payment`` for
  the payment intent (the charge carries no ``invoice`` since API version 2025-03-31).
- 3.7 methodology/subscriptions-and-invoicing, "Voided invoices", and 5.5 examples/contra, "Void": the
  monthly (31.00) and the quarterly (90.00) invoice, unpaid, voided on Feb 1.
- 3.6 methodology/subscriptions-and-invoicing, "Uncollectible invoices", and 5.6 examples/contra,
  "Uncollectible": the same invoices marked uncollectible on Feb 1.
- 5.6a / 5.6b / 5.8 examples/contra, "Uncollectible (paid in April)", "Uncollectible (voided in April)",
  "Uncollectible, paid, then disputed": the unpaid quarter marked uncollectible on Feb 1, then paid on Apr 1
  (status ``paid``; with a dispute of the payment on May 1) or voided on Apr 1 (status ``void``): the
  invoice's ``status_transitions`` keep both dates.
- 3.9(a) / 3.9(b) methodology/subscriptions-and-invoicing, "Tax liability (exclusive)" / "(inclusive)": a
  month's 31.00 with 10% tax on top (34.10 paid) or included (Stripe's line ``amount`` includes an inclusive
  tax: 28.18 of revenue and 2.82 of tax; Stripe prints 27.90 / 3.10, flagged in tests/test_stripe.py), in
  the current ``taxes`` shape and the older ``tax_amounts`` one; and a credit note of the inclusive line.
- 2.4 methodology, "One-time payment (net end state)", and 4.1 methodology/refunds-and-disputes, "One-time
  payment refund": a charge for no invoice (10.00 on Jan 10; 90.00 on Jan 1, refunded on Feb 1), in the
  older API's shape (``"invoice": null``; later versions need the export's invoice payments to tell).
- 4.2 / 4.3 methodology/refunds-and-disputes, "Disputed subscription invoice" / "Winning a dispute": the paid
  quarter disputed on Feb 1 (lost; won with the cash reinstated on Mar 1). The charge links the invoice the
  older API's way (``charge.invoice``). The dispute's balance transactions carry no fee: Stripe's tables
  leave the 15.00 dispute fee out (with a fee, Cash would be -105.00 in February).
- 10.2 other-examples, "Fees": the paid quarter's charge with its balance transaction expanded (a 0.02
  processing fee).
- 15.2 performance-obligations-api, "Before fulfillment", "Partial fulfillment", "Full fulfillment": a
  prepaid package of 100 units at 1.00 (a one-off invoice item, no service period), recognised on
  fulfillment events sent as Performance Obligations API requests (target invoice line, ``period[start]``,
  ``amount`` and ``currency``, or ``quantity``), read by ``import_fulfillments``. That the product is
  recognised on fulfillment is Stripe's product setting, not part of any object: the ledger says it with a
  ``revrec-rule``, as tests/test_stripe.py does.

- 5.1 examples/contra, "Customer credit balance": the month from Jan 15, 11.00 of the customer's balance
  applied when the invoice is finalized (the importer's ``Customer balance applied`` receipt, January), 20.00
  paid on Feb 9.

Not reproduced here (the rest of tests/test_stripe.py): 3.1, 3.4 and 12.7a are 7.1's, 5.x's and 7.2's objects
again; 3.3 is 7.4 in prose; 7.3.1, 13.x and 14.7 are usage reported to Stripe (usage records, which the
importer does not read; metered lines are recognised on ``revrec-fulfill`` events); 8.1 and 8.2 are 3.9(a)'s
invoice without and with its tax; 9.1 is the exclusion CSV (tests/test_revenue_import.py); 11.x are revenue
settings, not objects; 14.x check the waterfall of the same invoices; and the tables that module's docstring
cannot book.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from beancount.parser import printer

from beancount_revrec.importers import ImporterConfig, StripeImporter
from beancount_revrec.importers.fulfillment_events import import_fulfillments
from tests import test_catch_up, test_stripe
from tests.conftest import ROOT, run_tool, table
from tests.test_stripe import Sums, assert_sums, ledger

Obj = dict[str, Any]

IMPORTER = ImporterConfig(
    receivable="Assets:AccountsReceivable", cash="Assets:Cash", revenue="Income:Revenue",
    customer_balance="Liabilities:CustomerBalance", out_of_band="Liabilities:ExternalCustomerBalance",
    tax="Liabilities:TaxLiability", fees="Expenses:Fees", recoverables="Income:Recoverables")
"""The importer's accounts, set to the accounts tests/test_stripe.py names Stripe's (``ACCOUNTS``)."""

MONTHLY_QUERY = ("SELECT year, month, account, sum(number) AS amount WHERE currency = 'USD' "
                 "GROUP BY year, month, account ORDER BY year, month, account")

FIXTURES = ROOT.parent / "shared" / "stripe" / "fixtures3.json"  # ../shared beside the repository, as in CI

FULFILLMENT_RULE = ('2022-01-01 custom "revrec-rule" "prepaid-usage"\n  product: "prod_prepaid"\n'
                    '  treatment: "fulfillment"\n')
"""15.2: the product's revenue setting (recognised on fulfillment), which no Stripe object carries."""


# --- Stripe objects, in the shapes of Stripe's fixtures ------------------------------------------------------


def at(day: str, clock: str = "09:30") -> int:
    """A UTC instant as Stripe writes it: seconds since the epoch."""
    return int(datetime.datetime.fromisoformat(f"{day}T{clock}:00+00:00").timestamp())


def line_item(ident: str, amount: int, period: tuple[int, int], price: str, *, invoice: str = "in_1",
              product: str = "prod_plan", quantity: int = 1, description: str = "1 \N{MULTIPLICATION SIGN} Plan",
              proration: bool = False, credited: Obj | None = None) -> Obj:
    """An invoice line of a subscription (``parent.subscription_item_details``), a proration from an invoice item."""
    return {
        "object": "line_item", "id": ident, "amount": amount, "currency": "usd", "description": description,
        "discount_amounts": [], "discountable": True, "discounts": [], "invoice": invoice, "livemode": False,
        "metadata": {}, "period": {"start": period[0], "end": period[1]}, "quantity": quantity,
        "subscription": None, "pretax_credit_amounts": [], "taxes": [],
        "parent": {"type": "subscription_item_details", "invoice_item_details": None,
                   "subscription_item_details": {
                       "invoice_item": f"ii_{ident}" if proration else None, "proration": proration,
                       "proration_details": {"credited_items": credited}, "subscription": "sub_1",
                       "subscription_item": "si_1"}},
        "pricing": {"type": "price_details", "price_details": {"price": price, "product": product},
                    "unit_amount_decimal": str(amount // quantity)},
        "subtotal": amount, "quantity_decimal": str(quantity),
    }


def invoice(ident: str, lines: list[Obj], finalized: int, *, status: str = "open", **moved: int) -> Obj:
    """A finalized invoice of ``lines``; ``moved`` holds the other status transitions (``paid_at``, ...)."""
    total = sum(line["amount"] for line in lines)
    paid = total if status == "paid" else 0
    return {
        "object": "invoice", "id": ident, "number": f"RT-{ident}", "status": status, "currency": "usd",
        "customer": "cus_1", "customer_name": "Customer", "description": None, "livemode": False,
        "billing_reason": "subscription_cycle", "collection_method": "charge_automatically",
        "created": finalized - 3600, "effective_at": finalized, "period_start": finalized - 3600,
        "period_end": finalized - 3600, "amount_due": total, "amount_paid": paid,
        "amount_remaining": total - paid, "amount_overpaid": 0, "amount_shipping": 0, "subtotal": total,
        "subtotal_excluding_tax": total, "total": total, "total_excluding_tax": total,
        "total_discount_amounts": [], "total_taxes": [], "total_pretax_credit_amounts": [],
        "starting_balance": 0, "ending_balance": 0, "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "parent": {"type": "subscription_details", "quote_details": None,
                   "subscription_details": {"metadata": {}, "subscription": "sub_1"}},
        "status_transitions": {"finalized_at": finalized, "paid_at": None, "voided_at": None,
                               "marked_uncollectible_at": None, **moved},
        "lines": {"object": "list", "data": lines, "has_more": False, "url": f"/v1/invoices/{ident}/lines"},
    }


def charge(amount: int, created: int, **extra: object) -> Obj:
    """The card payment ``ch_1`` of ``pi_1`` (its balance transaction left unexpanded, as the API returns it)."""
    return {
        "object": "charge", "id": "ch_1", "amount": amount, "amount_captured": amount, "amount_refunded": 0,
        "balance_transaction": "txn_ch_1", "captured": True, "created": created, "currency": "usd",
        "customer": "cus_1", "description": "Subscription update", "disputed": False, "livemode": False,
        "metadata": {}, "paid": True, "payment_intent": "pi_1", "payment_method": "pm_1", "refunded": False,
        "refunds": {"object": "list", "data": [], "has_more": False, "url": "/v1/charges/ch_1/refunds"},
        "status": "succeeded", **extra,
    }


def invoice_payment(amount: int, paid: int) -> Obj:
    """The current API's link from ``in_1`` to the payment intent that paid it."""
    return {"object": "invoice_payment", "id": "inpay_1", "amount_paid": amount, "amount_requested": amount,
            "created": paid, "currency": "usd", "invoice": "in_1", "is_default": True, "livemode": False,
            "payment": {"type": "payment_intent", "payment_intent": "pi_1"}, "status": "paid",
            "status_transitions": {"canceled_at": None, "paid_at": paid}}


def refund(ident: str, amount: int, created: int) -> Obj:
    """A succeeded refund of ``ch_1``."""
    return {"object": "refund", "id": ident, "amount": amount, "balance_transaction": f"txn_{ident}",
            "charge": "ch_1", "created": created, "currency": "usd",
            "destination_details": {"type": "card", "card": {"type": "refund"}}, "metadata": {},
            "payment_intent": "pi_1", "reason": "requested_by_customer", "receipt_number": None,
            "status": "succeeded"}


def balance_transaction(ident: str, amount: int, created: int) -> Obj:
    """A dispute's balance transaction: the withdrawal (negative) or the reinstatement; no fee (see above)."""
    return {"object": "balance_transaction", "id": ident, "amount": amount, "available_on": created,
            "created": created, "currency": "usd", "fee": 0, "fee_details": [], "net": amount,
            "reporting_category": "dispute" if amount < 0 else "dispute_reversal", "status": "available",
            "type": "adjustment"}


def dispute(amount: int, created: int, status: str, *moves: Obj) -> Obj:
    """A dispute of ``ch_1``."""
    return {"object": "dispute", "id": "dp_1", "amount": amount, "balance_transactions": list(moves),
            "charge": "ch_1", "created": created, "currency": "usd", "is_charge_refundable": False,
            "livemode": False, "metadata": {}, "payment_intent": "pi_1", "reason": "fraudulent", "status": status}


def monthly_line(ident: str = "il_1") -> Obj:
    """31.00 USD for Jan 15 - Feb 15, 2019 (17 days in January, 14 in February at 1.00 a day)."""
    return line_item(ident, 3100, (at("2019-01-15"), at("2019-02-15")), "price_monthly")


def quarter_line(ident: str = "il_1") -> Obj:
    """90.00 USD for Jan 1 - Apr 1, 2019 (31 / 28 / 31 days)."""
    return line_item(ident, 9000, (at("2019-01-01"), at("2019-04-01")), "price_quarterly")


def paid_quarter() -> Obj:
    """The quarter's invoice, finalized and paid on Jan 1."""
    return invoice("in_1", [quarter_line()], at("2019-01-01"), status="paid", paid_at=at("2019-01-01", "09:31"))


def fields_not_in(mine: Obj, fixture: Obj, path: str = "") -> set[str]:
    """The fields of ``mine`` (nested objects and the first of each list of objects too) the fixture lacks."""
    found = set()
    for key, value in mine.items():
        theirs = fixture.get(key)
        if key not in fixture:
            found.add(path + key)
        elif isinstance(value, dict) and isinstance(theirs, dict):
            found |= fields_not_in(value, theirs, f"{path}{key}.")
        elif (isinstance(value, list) and value and isinstance(value[0], dict) and isinstance(theirs, list) and theirs
              and isinstance(theirs[0], dict)):
            found |= fields_not_in(value[0], theirs[0], f"{path}{key}[].")
    return found


@pytest.mark.skipif(not FIXTURES.exists(), reason="Stripe fixtures not present")
def test_the_objects_have_the_shapes_of_stripes_fixtures() -> None:
    fixtures = json.loads(FIXTURES.read_text(encoding="utf-8"))["resources"]
    quarter, note = paid_quarter(), credit_note_after_payment()
    built = {
        "invoice": {key: value for key, value in quarter.items() if key != "lines"},
        "line_item": quarter["lines"]["data"][0],
        "credit_note": {key: value for key, value in note.items() if key != "lines"},
        "credit_note_line_item": note["lines"]["data"][0],
        "charge": charge(9000, at("2019-01-01"), invoice="in_1"),
        "invoice_payment": invoice_payment(9000, at("2019-01-01")),
        "refund": refund("re_1", 900, at("2019-02-01")),
        "dispute": dispute(9000, at("2019-02-01"), "lost"),
        "balance_transaction": WITHDRAWN,
    }
    # Besides the fixtures' fields: the sub-objects they leave out (a price's details, the payment intent an
    # invoice payment names) and the older API's charge.invoice.
    assert {kind: fields_not_in(obj, fixtures[kind]) for kind, obj in built.items()} == {
        **{kind: set() for kind in built}, "line_item": {"pricing.price_details"}, "charge": {"invoice"},
        "invoice_payment": {"payment.payment_intent"}}


# --- The round trip ------------------------------------------------------------------------------------------


def extract(tmp_path: Path, objects: list[Obj], config: ImporterConfig = IMPORTER) -> str:
    """The entries the beangulp importer extracts from an export of ``objects``, printed as ledger text."""
    export = tmp_path / "stripe.json"
    export.write_text(json.dumps({"object": "list", "data": objects, "has_more": False, "url": "/v1/export"}),
                      encoding="utf-8")
    importer = StripeImporter(config)
    assert importer.identify(str(export))
    entries = importer.extract(str(export), [])
    assert importer.errors == []
    assert all("stripe-id" in entry.meta for entry in entries)
    return "\n".join(printer.format_entry(entry) for entry in entries)


def bean_query_months(tmp_path: Path, text: str) -> Sums:
    """The ledger's monthly sums of USD postings per account, from the real bean-query; it must load cleanly."""
    path = tmp_path / "books.beancount"
    path.write_text(text, encoding="utf-8")
    result = run_tool("bean-query", "-f", "csv", path, MONTHLY_QUERY)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    return {(f"{int(row['year']):04d}-{int(row['month']):02d}", row["account"].strip()): Decimal(row["amount"])
            for row in csv.DictReader(io.StringIO(result.stdout))}


def round_trip(tmp_path: Path, objects: list[Obj], *, config: ImporterConfig = IMPORTER, head: str = "") -> Sums:
    """Import ``objects``, write them after ``head`` (tests/test_stripe.py's plugin line and opens by default)."""
    return bean_query_months(tmp_path, (head or ledger()) + "\n" + extract(tmp_path, objects, config))


# --- 7. examples/subscriptions ------------------------------------------------------------------------------


def test_7_1_monthly_subscription(tmp_path: Path) -> None:
    paid = invoice("in_1", [monthly_line()], at("2019-01-15"), status="paid", paid_at=at("2019-01-15", "09:31"))
    objects = [paid, charge(3100, at("2019-01-15", "09:31")), invoice_payment(3100, at("2019-01-15"))]
    sums = round_trip(tmp_path, objects)
    assert_sums(sums, test_stripe.MONTHLY_SUBSCRIPTION)
    assert (sums["2019-01", "Assets:Cash"], sums.get(("2019-01", "Assets:AccountsReceivable"), Decimal(0))) == (
        Decimal("31.00"), 0)


def test_7_2_annual_subscription_in_a_reporting_zone_east_of_utc(tmp_path: Path) -> None:
    # 23:30 UTC on Dec 31 is 00:30 on Jan 1 in Paris: the invoice, its payment and its period are 2019's.
    year = line_item("il_1", 36500, (at("2018-12-31", "23:30"), at("2019-12-31", "23:30")), "price_annual")
    paid = invoice("in_1", [year], at("2018-12-31", "23:30"), status="paid", paid_at=at("2018-12-31", "23:31"))
    sums = round_trip(tmp_path, [paid], config=IMPORTER._replace(timezone="Europe/Paris"))
    assert_sums(sums, test_stripe.ANNUAL_SUBSCRIPTION)
    assert ("2018-12", "Assets:Cash") not in sums


def upgrade_or_downgrade(new_price: str, new_monthly: int) -> list[Obj]:
    """April's 90.00 plan; on April 21 (at 14:00 UTC) the new plan; the May 1 invoice with the prorations."""
    april = line_item("il_apr", 9000, (at("2019-04-01"), at("2019-05-01")), "price_90", invoice="in_apr",
                      description="1 \N{MULTIPLICATION SIGN} Plan 90 (at $90.00 / month)")
    change, may_1 = at("2019-04-21", "14:00"), at("2019-05-01")
    credited = {"invoice": "in_apr", "invoice_line_items": ["il_apr"]}
    lines = [
        line_item("il_unused", -3000, (change, may_1), "price_90", invoice="in_may", proration=True,
                  credited=credited, description="Unused time on Plan 90 after 21 Apr 2019"),
        line_item("il_remaining", new_monthly // 3, (change, may_1), new_price, invoice="in_may", proration=True,
                  description="Remaining time on the new plan after 21 Apr 2019"),
        line_item("il_may", new_monthly, (may_1, at("2019-06-01")), new_price, invoice="in_may",
                  description="1 \N{MULTIPLICATION SIGN} the new plan"),
    ]
    return [invoice("in_apr", [april], at("2019-04-01")), invoice("in_may", lines, may_1)]


def catch_up_off_sums(tmp_path: Path, objects: list[Obj]) -> Sums:
    """A round trip into tests/test_catch_up.py's ledger: catch-up off, revenue on its ``Income:Sales``."""
    config = IMPORTER._replace(revenue=test_catch_up.SALES)
    sums = round_trip(tmp_path, objects, config=config, head=test_catch_up.head(test_catch_up.OFF))
    return {key: number for key, number in sums.items() if number}


def test_7_4_upgrade_with_prorations(tmp_path: Path) -> None:
    # -30.00 for the unused 10 days at 90.00, +40.00 for them at 120.00, May's 120.00.
    sums = catch_up_off_sums(tmp_path, upgrade_or_downgrade("price_120", 12000))
    assert sums == table(test_catch_up.UPGRADE_CATCH_UP_OFF)


def test_7_5_downgrade_with_prorations(tmp_path: Path) -> None:
    # -30.00 for the unused 10 days at 90.00, +10.00 for them at 30.00, May's 30.00.
    sums = catch_up_off_sums(tmp_path, upgrade_or_downgrade("price_30", 3000))
    assert sums == table(test_catch_up.DOWNGRADE_CATCH_UP_OFF)


# --- 6. examples/credit-notes -------------------------------------------------------------------------------


def credit_note(amount: int, effective: int, kind: str, **parts: object) -> Obj:
    """A credit note of ``amount`` against il_1 of in_1, ``pre_payment`` or ``post_payment`` (``kind``); ``parts``
    are its post-payment split (``refunds``, ``out_of_band_amount``, ``customer_balance_transaction``)."""
    line = {"object": "credit_note_line_item", "id": "cnli_1", "amount": amount, "description": "Plan",
            "discount_amount": 0, "discount_amounts": [], "invoice_line_item": "il_1", "livemode": False,
            "quantity": 1, "tax_rates": [], "taxes": [], "type": "invoice_line_item", "unit_amount": None,
            "unit_amount_decimal": None, "pretax_credit_amounts": [], "metadata": {}}
    pre = amount if kind == "pre_payment" else 0
    return {
        "object": "credit_note", "id": "cn_1", "number": "RT-in_1-CN-01", "amount": amount, "amount_shipping": 0,
        "created": effective, "effective_at": effective, "currency": "usd", "customer": "cus_1",
        "customer_balance_transaction": None, "discount_amount": 0, "discount_amounts": [], "invoice": "in_1",
        "livemode": False, "memo": None, "metadata": {}, "out_of_band_amount": None,
        "post_payment_amount": amount - pre, "pre_payment_amount": pre, "reason": "order_change", "refunds": [],
        "status": "issued", "subtotal": amount, "subtotal_excluding_tax": amount, "total": amount,
        "total_excluding_tax": amount, "total_taxes": [], "pretax_credit_amounts": [], "type": kind,
        "voided_at": None,
        "lines": {"object": "list", "data": [line], "has_more": False, "url": "/v1/credit_notes/cn_1/lines"},
        **parts,
    }


def credit_note_after_payment() -> Obj:
    """45.00 credited on Feb 1 against il_1 of the paid quarter: 15.00 refunded (re_cn), 20.00 out of band, 10.00
    left on the customer's balance."""
    return credit_note(4500, at("2019-02-01"), "post_payment", out_of_band_amount=2000,
                       customer_balance_transaction="cbtxn_1",
                       refunds=[{"amount_refunded": 1500, "refund": "re_cn", "type": "refund"}])


def test_6_1_credit_note_before_payment(tmp_path: Path) -> None:
    # 120.00 for the quarter, 30.00 credited before payment on Jan 1, the 90.00 left paid on Feb 15.
    quarter = line_item("il_1", 12000, (at("2019-01-01"), at("2019-04-01")), "price_quarterly")
    paid = invoice("in_1", [quarter], at("2019-01-01"), status="paid", paid_at=at("2019-02-15"))
    paid.update(amount_due=9000, amount_paid=9000, pre_payment_credit_notes_amount=3000)
    objects = [paid, credit_note(3000, at("2019-01-01", "10:00"), "pre_payment"), charge(9000, at("2019-02-15")),
               invoice_payment(9000, at("2019-02-15"))]
    assert_sums(round_trip(tmp_path, objects), test_stripe.CREDIT_NOTE_BEFORE_PAYMENT)


def test_6_3_credit_note_without_line_items(tmp_path: Path) -> None:
    # 181.00 for Jan 1 - Jul 1 (1.00 a day), 90.50 credited on Feb 1 before payment, for an amount, not a line.
    half_year = line_item("il_1", 18100, (at("2019-01-01"), at("2019-07-01")), "price_half_year")
    note = credit_note(9050, at("2019-02-01"), "pre_payment")
    note["lines"]["data"] = []
    objects = [invoice("in_1", [half_year], at("2019-01-01")), note]
    assert_sums(round_trip(tmp_path, objects), test_stripe.CREDIT_NOTE_WITHOUT_LINE_ITEMS_INPUTS_GIVE)


def test_6_2_credit_note_after_payment(tmp_path: Path) -> None:
    # The credit note's refund is in the export too: it is booked once, with its credit note (Cash -15.00).
    objects = [paid_quarter(), charge(9000, at("2019-01-01", "09:31")), invoice_payment(9000, at("2019-01-01")),
               credit_note_after_payment(), refund("re_cn", 1500, at("2019-02-01"))]
    assert_sums(round_trip(tmp_path, objects), test_stripe.CREDIT_NOTE_AFTER_PAYMENT_INPUTS_GIVE)


# --- 5. examples/contra and 3. methodology/subscriptions-and-invoicing ----------------------------------------


def test_3_8_credit_note_before_payment(tmp_path: Path) -> None:
    # 45.00 credited on Feb 1 on the unpaid quarter: half of what is left of the line.
    objects = [invoice("in_1", [quarter_line()], at("2019-01-01")), credit_note(4500, at("2019-02-01"), "pre_payment")]
    assert_sums(round_trip(tmp_path, objects), test_stripe.CREDIT_NOTE)


def test_3_10_customer_credit_balance(tmp_path: Path) -> None:
    # 31.00 on Jan 15 (no service period), 11.00 of it from the customer's credit balance, 20.00 by card.
    once = line_item("il_1", 3100, (at("2019-01-15"), at("2019-01-15")), "price_once")
    paid = invoice("in_1", [once], at("2019-01-15"), status="paid", paid_at=at("2019-01-15", "09:31"))
    paid.update(starting_balance=-1100, ending_balance=0, amount_due=2000, amount_paid=2000)
    objects = [paid, charge(2000, at("2019-01-15", "09:31")), invoice_payment(2000, at("2019-01-15", "09:31"))]
    assert_sums(round_trip(tmp_path, objects), test_stripe.CUSTOMER_CREDIT_BALANCE)


def test_5_1_customer_credit_balance_then_paid(tmp_path: Path) -> None:
    # The month from Jan 15 (31.00): 11.00 of the customer's credit balance applied at finalization, the 20.00
    # left paid by card on Feb 9.
    paid = invoice("in_1", [monthly_line()], at("2019-01-15"), status="paid", paid_at=at("2019-02-09"))
    paid.update(starting_balance=-1100, ending_balance=0, amount_due=2000, amount_paid=2000)
    objects = [paid, charge(2000, at("2019-02-09")), invoice_payment(2000, at("2019-02-09"))]
    assert_sums(round_trip(tmp_path, objects), test_stripe.CUSTOMER_CREDIT_BALANCE_PAID_LATER)


def test_5_2_negative_invoice_to_customer_balance(tmp_path: Path) -> None:
    # A month's credit of 31.00 from Jan 15 (a negative line): the invoice is paid with nothing, its -31.00
    # left on the customer's balance.
    credit = line_item("il_1", -3100, (at("2019-01-15"), at("2019-02-15")), "price_monthly")
    negative = invoice("in_1", [credit], at("2019-01-15"), status="paid", paid_at=at("2019-01-15"))
    negative.update(amount_due=0, amount_paid=0, amount_remaining=0, ending_balance=-3100)
    assert_sums(round_trip(tmp_path, [negative]), test_stripe.NEGATIVE_INVOICE)


def test_5_3_full_refund(tmp_path: Path) -> None:
    objects = [paid_quarter(), charge(9000, at("2019-01-01", "09:31")), invoice_payment(9000, at("2019-01-01")),
               refund("re_1", 9000, at("2019-02-01"))]
    assert_sums(round_trip(tmp_path, objects), test_stripe.FULL_REFUND)


def test_3_5_standalone_invoice(tmp_path: Path) -> None:
    # Jan 15: a month's 31.00 and a one-off 5.00 item (its period a single instant: no service period).
    jan_15 = at("2019-01-15")
    once = line_item("il_2", 500, (jan_15, jan_15), "price_once", description="Setup")
    standalone = invoice("in_1", [monthly_line(), once], jan_15)
    assert_sums(round_trip(tmp_path, [standalone]), test_stripe.STANDALONE_INVOICE)


def test_5_4_partial_refund(tmp_path: Path) -> None:
    objects = [paid_quarter(), charge(9000, at("2019-01-01", "09:31")), invoice_payment(9000, at("2019-01-01")),
               refund("re_1", 900, at("2019-02-01"))]
    assert_sums(round_trip(tmp_path, objects), test_stripe.PARTIAL_REFUND)


def unpaid(line: Obj, status: str, moved: str) -> Obj:
    """The invoice of ``line``, finalized on its period's first day, moved to ``status`` on Feb 1."""
    return invoice("in_1", [line], line["period"]["start"], status=status, **{moved: at("2019-02-01")})


def test_3_7_voided_monthly_invoice(tmp_path: Path) -> None:
    sums = round_trip(tmp_path, [unpaid(monthly_line(), "void", "voided_at")])
    assert_sums(sums, test_stripe.VOIDED_INVOICE)


def test_5_5_voided_quarterly_invoice(tmp_path: Path) -> None:
    assert_sums(round_trip(tmp_path, [unpaid(quarter_line(), "void", "voided_at")]), test_stripe.VOID)


def test_3_6_uncollectible_monthly_invoice(tmp_path: Path) -> None:
    sums = round_trip(tmp_path, [unpaid(monthly_line(), "uncollectible", "marked_uncollectible_at")])
    assert_sums(sums, test_stripe.UNCOLLECTIBLE_INVOICE)


def test_5_6_uncollectible_quarterly_invoice(tmp_path: Path) -> None:
    sums = round_trip(tmp_path, [unpaid(quarter_line(), "uncollectible", "marked_uncollectible_at")])
    assert_sums(sums, test_stripe.UNCOLLECTIBLE)


def written_off(status: str, **moved: int) -> Obj:
    """The unpaid quarter, marked uncollectible on Feb 1, then ``status`` (a later transition in ``moved``)."""
    return invoice("in_1", [quarter_line()], at("2019-01-01"), status=status,
                   marked_uncollectible_at=at("2019-02-01"), **moved)


def test_5_10_other_loss(tmp_path: Path) -> None:
    # 100.00 for ten months, recognised by the month (Stripe's revenue setting: a rule on the price), refunded
    # 80.00 on Feb 1 and disputed for 80.00 on Mar 1: 60.00 more than was left is an other loss.
    ten_months = line_item("il_1", 10000, (at("2019-01-01"), at("2019-11-01")), "price_ten_months")
    paid = invoice("in_1", [ten_months], at("2019-01-01"), status="paid", paid_at=at("2019-01-01", "09:31"))
    objects = [paid, charge(10000, at("2019-01-01", "09:31"), invoice="in_1"), refund("re_1", 8000, at("2019-02-01")),
               dispute(8000, at("2019-03-01"), "lost", balance_transaction("txn_dp_1", -8000, at("2019-03-01")))]
    monthly = ('2019-01-01 custom "revrec-rule" "by-month"\n  price: "price_ten_months"\n'
               '  treatment: "ratable monthly"\n')
    assert_sums(round_trip(tmp_path, objects, head=ledger(monthly)), test_stripe.OTHER_LOSS)


def test_5_6a_uncollectible_then_paid(tmp_path: Path) -> None:
    # Paid on Apr 1 after the write-off: the invoice is "paid", its transitions keep the write-off's date.
    objects = [written_off("paid", paid_at=at("2019-04-01")), charge(9000, at("2019-04-01")),
               invoice_payment(9000, at("2019-04-01"))]
    assert_sums(round_trip(tmp_path, objects), test_stripe.UNCOLLECTIBLE_THEN_PAID)


def test_5_6b_uncollectible_then_voided(tmp_path: Path) -> None:
    objects = [written_off("void", voided_at=at("2019-04-01"))]
    assert_sums(round_trip(tmp_path, objects), test_stripe.UNCOLLECTIBLE_THEN_VOIDED)


def test_5_8_uncollectible_paid_then_disputed(tmp_path: Path) -> None:
    objects = [written_off("paid", paid_at=at("2019-04-01")), charge(9000, at("2019-04-01"), invoice="in_1"),
               dispute(9000, at("2019-05-01"), "lost", balance_transaction("txn_dp_1", -9000, at("2019-05-01")))]
    assert_sums(round_trip(tmp_path, objects), test_stripe.UNCOLLECTIBLE_PAID_THEN_DISPUTED)


def taxed_month(amount: int, tax: int, behavior: str) -> Obj:
    """Jan 1: a month's subscription (Jan 1 - Feb 1) with a 10% tax on its line, paid the same day."""
    line = line_item("il_1", amount, (at("2019-01-01"), at("2019-02-01")), "price_monthly")
    taxable = amount - tax if behavior == "inclusive" else amount
    line["taxes"] = [{"amount": tax, "tax_behavior": behavior, "taxable_amount": taxable, "type": "tax_rate_details",
                      "tax_rate_details": {"tax_rate": "txr_10"}, "taxability_reason": "standard_rated"}]
    taxed = invoice("in_1", [line], at("2019-01-01"), status="paid", paid_at=at("2019-01-01", "09:31"))
    if behavior == "exclusive":  # the tax is on top of the line: the invoice's total, not its subtotal, has it
        taxed.update(total=amount + tax, amount_due=amount + tax, amount_paid=amount + tax)
    taxed.update(total_excluding_tax=taxable, total_taxes=line["taxes"])
    return taxed


def test_3_9a_tax_exclusive(tmp_path: Path) -> None:
    # 31.00 and 3.10 of tax on top: 34.10 paid.
    assert_sums(round_trip(tmp_path, [taxed_month(3100, 310, "exclusive")]), test_stripe.TAX_EXCLUSIVE)


def test_3_9b_tax_inclusive(tmp_path: Path) -> None:
    # 31.00 with its 10% tax included (2.82; Stripe's line amount includes it): 28.18 is revenue, 31.00 is paid.
    sums = round_trip(tmp_path, [taxed_month(3100, 282, "inclusive")])
    assert_sums(sums, test_stripe.TAX_INCLUSIVE_INPUTS_GIVE)
    # API versions before 2025-03-31 write the line's tax as ``tax_amounts`` with ``inclusive: true``: the same.
    older = taxed_month(3100, 282, "inclusive")
    (line,) = older["lines"]["data"]
    line["tax_amounts"] = [{"amount": 282, "inclusive": True, "tax_rate": "txr_10", "taxable_amount": 2818}]
    del line["taxes"]
    assert extract(tmp_path, [older]) == extract(tmp_path, [taxed_month(3100, 282, "inclusive")])


def test_a_credit_note_of_a_tax_inclusive_line_credits_its_revenue_and_its_tax(tmp_path: Path) -> None:
    # Pre-payment, the whole 31.00 (tax included) on Jan 1: no revenue, no tax is left, nothing is receivable.
    taxed = {**taxed_month(3100, 282, "inclusive"), "status": "open"}
    note = credit_note(3100, at("2019-01-01", "10:00"), "pre_payment")
    note["lines"]["data"][0]["taxes"] = taxed["lines"]["data"][0]["taxes"]
    sums = round_trip(tmp_path, [taxed, note])
    assert {key: number for key, number in sums.items() if number} == {}


def test_10_1_external_asset(tmp_path: Path) -> None:
    # other-examples, "External asset": Jan's 31.00 paid outside Stripe on Feb 5 (marked paid out of band).
    month = line_item("il_1", 3100, (at("2019-01-01"), at("2019-02-01")), "price_monthly")
    paid = invoice("in_1", [month], at("2019-01-01"), status="paid", paid_at=at("2019-02-05"))
    paid["paid_out_of_band"] = True
    sums = round_trip(tmp_path, [paid], config=IMPORTER._replace(out_of_band="Assets:ExternalAsset"))
    assert_sums(sums, test_stripe.EXTERNAL_ASSET)


def test_2_4_one_time_payment(tmp_path: Path) -> None:
    # methodology, "One-time payment (net end state)": 10.00 charged on Jan 10 for no invoice (API versions before
    # 2025-03-31 say so with "invoice": null), recognised at once.
    sums = round_trip(tmp_path, [charge(1000, at("2019-01-10"), invoice=None, description="One-time payment")])
    assert_sums(sums, test_stripe.ONE_TIME_PAYMENT_NET)


def test_4_1_one_time_payment_refund(tmp_path: Path) -> None:
    one_time = charge(9000, at("2019-01-01"), invoice=None, description="One-time payment")
    sums = round_trip(tmp_path, [one_time, refund("re_1", 9000, at("2019-02-01"))])
    assert_sums(sums, test_stripe.ONE_TIME_PAYMENT_REFUND)


# --- 4. methodology/refunds-and-disputes ---------------------------------------------------------------------


def disputed(status: str, *moves: Obj) -> list[Obj]:
    """The paid quarter, its charge (linked the older API's way, ``charge.invoice``) and its dispute of Feb 1."""
    paid = at("2019-01-01", "09:31")
    return [paid_quarter(), charge(9000, paid, invoice="in_1", disputed=True),
            dispute(9000, at("2019-02-01"), status, *moves)]


WITHDRAWN = balance_transaction("txn_dp_1", -9000, at("2019-02-01"))


def test_4_2_disputed_subscription_lost(tmp_path: Path) -> None:
    assert_sums(round_trip(tmp_path, disputed("lost", WITHDRAWN)), test_stripe.DISPUTED)


def test_4_3_dispute_won(tmp_path: Path) -> None:
    reinstated = balance_transaction("txn_dp_2", 9000, at("2019-03-01"))
    assert_sums(round_trip(tmp_path, disputed("won", WITHDRAWN, reinstated)), test_stripe.DISPUTE_WON)


def test_5_9_dispute_lost_then_won(tmp_path: Path) -> None:
    # examples/contra's "Dispute": the same, the cash reinstated on Apr 1.
    reinstated = balance_transaction("txn_dp_2", 9000, at("2019-04-01"))
    assert_sums(round_trip(tmp_path, disputed("won", WITHDRAWN, reinstated)), test_stripe.DISPUTE_LOST_THEN_WON)


# --- 12. get-started ---------------------------------------------------------------------------------------------


def test_12_7b_product_bundle(tmp_path: Path) -> None:
    # Jan 1, 2026: the plan's first month (9.00) and a setup fee (50.00, no period); 9.00 again on Feb 1, Mar 1.
    def month(number: int) -> Obj:
        return line_item(f"il_{number}", 900, (at(f"2026-0{number}-01"), at(f"2026-0{number + 1}-01")), "price_plan",
                         invoice=f"in_{number}")
    setup = line_item("il_setup", 5000, (at("2026-01-01"), at("2026-01-01")), "price_setup", description="Setup fee")
    objects = [invoice("in_1", [month(1), setup], at("2026-01-01")),
               *(invoice(f"in_{number}", [month(number)], at(f"2026-0{number}-01")) for number in (2, 3))]
    assert_sums(round_trip(tmp_path, objects), test_stripe.PRODUCT_BUNDLE)


# --- 15. performance-obligations-api ---------------------------------------------------------------------------


def prepaid_package() -> Obj:
    """Jun 1, 2022: 100 units of prod_prepaid at 1.00, a one-off invoice item (no service period), unpaid."""
    june_1 = at("2022-06-01")
    line = line_item("il_AAA", 10000, (june_1, june_1), "price_prepaid", product="prod_prepaid", quantity=100,
                     description="Prepaid package")
    line["parent"] = {"type": "invoice_item_details", "subscription_item_details": None,
                      "invoice_item_details": {"invoice_item": "ii_1", "proration": False,
                                               "proration_details": {"credited_items": None},
                                               "subscription": None}}
    return {**invoice("in_1", [line], june_1), "billing_reason": "manual", "parent": None}


def fulfillment(day: str, **value: object) -> Obj:
    """A Performance Obligations API request for il_AAA: ``amount`` and ``currency``, or ``quantity``."""
    return {"target": {"type": "invoice_line_item", "invoice_line_item": "il_AAA"},
            "period": {"start": at(day, "07:00")}, **value}


def prepaid_round_trip(tmp_path: Path, *events: Obj) -> Sums:
    directives, problems = import_fulfillments(json.dumps(list(events)), "events.json")
    assert problems == []
    fulfilled = "\n".join(printer.format_entry(directive) for directive in directives)
    return round_trip(tmp_path, [prepaid_package()], head=ledger(FULFILLMENT_RULE, fulfilled))


TEN_DOLLARS = fulfillment("2022-07-29", amount=1000, currency="usd")


def test_15_2_before_fulfillment(tmp_path: Path) -> None:
    assert_sums(prepaid_round_trip(tmp_path), test_stripe.BEFORE_FULFILLMENT)


def test_15_2_partial_fulfillment(tmp_path: Path) -> None:
    assert_sums(prepaid_round_trip(tmp_path, TEN_DOLLARS), test_stripe.PARTIAL_FULFILLMENT)


def test_15_2_full_fulfillment_in_amounts_and_units(tmp_path: Path) -> None:
    # The rest as 90 units (the line's quantity is 100): nothing is left for the fallback a year later.
    sums = prepaid_round_trip(tmp_path, TEN_DOLLARS, fulfillment("2022-08-10", quantity=90))
    assert_sums(sums, test_stripe.FULL_FULFILLMENT)
    assert ("2023-06", "Income:Revenue") not in sums



def test_10_2_processing_fee(tmp_path: Path) -> None:
    fee = {"object": "balance_transaction", "id": "txn_ch_1", "amount": 9000, "fee": 2, "net": 8998,
           "currency": "usd", "created": at("2019-01-01", "09:31"), "type": "charge", "source": "ch_1"}
    objects = [paid_quarter(), charge(9000, at("2019-01-01", "09:31"), balance_transaction=fee),
               invoice_payment(9000, at("2019-01-01"))]
    assert_sums(round_trip(tmp_path, objects), test_stripe.FEES)
