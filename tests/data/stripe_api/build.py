"""Build fetch.json, the recorded API exchanges of tests/test_stripe_fetch.py, from Stripe's own fixtures.

Run from the repository: ``python tests/data/stripe_api/build.py``. Each exchange is a request (path and
query, as the ``stripe`` library sends it) and the response Stripe gives (status and JSON body). The
objects are fixtures3.json's, with ids, amounts and timestamps made to chain: invoices on two pages
(the first holding a draft, which the fetch drops), an invoice of 12 lines whose last two are on a
second page of its lines, a pre-payment credit note, a charge with its balance transaction expanded,
a partial refund of it, no disputes, and the invoice payment that ties the charge to its invoice.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = json.loads((HERE.parents[2].parent / "shared" / "stripe" / "fixtures3.json").read_text())["resources"]
SINCE = 1704067200  # 2024-01-01T00:00:00Z
DAY = 86400
JAN_15, FEB_01, FEB_10, FEB_15, MAR_01 = 1705276800, 1706745600, 1707523200, 1707955200, 1709251200
FILTER = {"limit": "100", "created[gte]": str(SINCE)}


def fixture(kind, **values):
    obj = copy.deepcopy(FIXTURES[kind])
    obj.update(values)
    return obj


def line(invoice_id, number, amount, start, end):
    details = {"price": f"price_{invoice_id}", "product": "prod_saas", "unit_amount_decimal": str(amount)}
    return fixture("line_item", id=f"il_{invoice_id[3:]}{number:02d}", invoice=invoice_id, amount=amount,
                   subtotal=amount, period={"start": start, "end": end},
                   pricing={"type": "price_details", "price_details": details, "unit_amount_decimal": str(amount)},
                   description=f"Seat {number}")


def lines_list(invoice_id, data, has_more):
    return {"object": "list", "data": data, "has_more": has_more, "url": f"/v1/invoices/{invoice_id}/lines"}


def invoice(invoice_id, status, created, lines):
    """An invoice of these lines: the first ten embedded, as the API does."""
    total = sum(item["amount"] for item in lines)
    paid = total if status == "paid" else 0
    transitions = {"finalized_at": None if status == "draft" else created, "paid_at": created + 3600 if paid else None,
                   "marked_uncollectible_at": None, "voided_at": None}
    return fixture("invoice", id=invoice_id, status=status, created=created, effective_at=created,
                   customer="cus_acme", customer_name="Acme Corp", number=f"ACME-{invoice_id[3:]}",
                   amount_due=total, amount_paid=paid, amount_remaining=total - paid, subtotal=total, total=total,
                   status_transitions=transitions, lines=lines_list(invoice_id, lines[:10], len(lines) > 10))


def page(url, data, has_more):
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def exchange(path, query, body, status=200):
    return {"path": path, "query": query, "status": status, "body": body}


def build():
    seats = [line("in_A", number, 1000 + 100 * number, JAN_15, FEB_15) for number in range(1, 13)]
    in_a = invoice("in_A", "paid", JAN_15, seats)
    in_b = invoice("in_B", "open", FEB_01, [line("in_B", 1, 5000, FEB_01, MAR_01)])
    in_d = invoice("in_D", "draft", FEB_10, [line("in_D", 1, 700, FEB_10, MAR_01)])
    note_line = fixture("credit_note", id="cn_B")["lines"]["data"][0]
    note_line.update(id="cnli_B1", amount=1500, invoice_line_item="il_B01", tax_rates=[], taxes=[],
                     pretax_credit_amounts=[])
    note = fixture("credit_note", id="cn_B", number="ACME-B-CN-01", invoice="in_B", customer="cus_acme", created=FEB_01 + 4 * DAY,
                   effective_at=FEB_01 + 4 * DAY, amount=1500, subtotal=1500, total=1500, type="pre_payment",
                   refunds=[], out_of_band_amount=None, voided_at=None, pretax_credit_amounts=[],
                   lines={"object": "list", "data": [note_line], "has_more": False, "url": "/v1/credit_notes/cn_B/lines"})
    fee = [{"amount": 604, "application": None, "currency": "usd", "description": "Stripe processing fees",
            "type": "stripe_fee"}]
    txn = fixture("balance_transaction", id="txn_A", amount=19800, fee=604, fee_details=fee, net=19196, source="ch_A",
                  created=JAN_15 + 3600, available_on=JAN_15 + 3 * DAY)
    charge = fixture("charge", id="ch_A", amount=19800, amount_captured=19800, captured=True, customer="cus_acme",
                     created=JAN_15 + 3600, balance_transaction=txn, amount_refunded=3300, refunded=False)
    refund = fixture("refund", id="re_A", amount=3300, charge="ch_A", created=FEB_15 + 5 * DAY)
    payment = fixture("invoice_payment", id="inpay_A", invoice="in_A", currency="usd", amount_paid=19800,
                      amount_requested=19800, created=JAN_15 + 3600, status="paid",
                      payment={"type": "charge", "charge": "ch_A"},
                      status_transitions={"canceled_at": None, "paid_at": JAN_15 + 3600})
    return [
        exchange("/v1/invoices", FILTER, page("/v1/invoices", [in_d, in_b], has_more=True)),
        exchange("/v1/invoices", {**FILTER, "starting_after": "in_B"}, page("/v1/invoices", [in_a], has_more=False)),
        exchange("/v1/invoices/in_A/lines", {"limit": "100", "starting_after": "il_A10"},
                 lines_list("in_A", seats[10:], has_more=False)),
        exchange("/v1/credit_notes", FILTER, page("/v1/credit_notes", [note], has_more=False)),
        exchange("/v1/charges", {**FILTER, "expand[0]": "data.balance_transaction"},
                 page("/v1/charges", [charge], has_more=False)),
        exchange("/v1/refunds", FILTER, page("/v1/refunds", [refund], has_more=False)),
        exchange("/v1/disputes", FILTER, page("/v1/disputes", [], has_more=False)),
        exchange("/v1/invoice_payments", FILTER, page("/v1/invoice_payments", [payment], has_more=False)),
    ]


if __name__ == "__main__":
    (HERE / "fetch.json").write_text(json.dumps(build(), indent=1) + "\n", encoding="utf-8")
