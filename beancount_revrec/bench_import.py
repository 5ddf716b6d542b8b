"""Benchmark section 7: the Stripe importer on an export of N invoices, against Beancount reading the result.

The export is Stripe's JSON as ``stripe invoices list`` writes it, with what a SaaS company's month holds:
monthly and annual subscription invoices (one line, some with a second taxed line), paid, their invoice
payments, every 20th refunded in part and every 50th credited by a credit note. In a fresh process the
importer reads the file, converts it and prints the entries (``import_text`` and Beancount's printer, as
``bean-revrec import stripe`` does); the same process then times Beancount's ``load_string`` of that
text, without the plugin: the baseline, so the ratio holds on a machine of any speed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

DAY = 86_400
START = 1_577_836_800  # 2020-01-01T00:00:00Z

_IMPORT = r"""
import json, sys, time
from beancount import loader
from beancount.parser import printer
from beancount_revrec.importers import ImporterConfig
from beancount_revrec.importers.stripe_objects import import_text
path = sys.argv[1]
start = time.perf_counter()
with open(path, encoding="utf-8") as stream:
    result = import_text(stream.read(), ImporterConfig(), path)
text = "".join(printer.format_entry(entry) + "\n" for entry in result.entries)
imported = time.perf_counter() - start
config = ImporterConfig()
accounts = {config.receivable, config.cash, config.revenue, config.customer_balance, config.tax, config.fees}
opens = "".join(f"2000-01-01 open {account}\n" for account in sorted(accounts))
start = time.perf_counter()
entries, errors, _ = loader.load_string(opens + text)
loaded = time.perf_counter() - start
print(json.dumps({"import_ms": 1000 * imported, "load_ms": 1000 * loaded, "entries": len(result.entries),
                  "problems": len(result.errors), "load_errors": len(errors)}))
"""


def _invoice(number: int) -> list[dict[str, Any]]:
    """Invoice ``number`` of the export, with its invoice payment and any refund or credit note."""
    annual = number % 4 == 0
    start = START + (number % 365) * DAY
    end = start + (365 if annual else 30) * DAY
    amount = 120_000 + number % 1000 if annual else 3100 + number % 500
    lines = [{"object": "line_item", "id": f"il_{number}", "amount": amount, "currency": "usd",
              "discount_amounts": [], "period": {"start": start, "end": end}, "quantity": 1,
              "pricing": {"type": "price_details", "price_details": {"price": "price_annual" if annual else
                                                                      "price_monthly", "product": "prod_saas"}},
              "taxes": []}]
    if number % 10 == 0:
        lines.append({**lines[0], "id": f"il_{number}_b", "amount": 1000, "period": {"start": start, "end": start},
                      "taxes": [{"amount": 100, "tax_behavior": "exclusive"}]})
    total = amount + (1100 if number % 10 == 0 else 0)
    invoice = {"object": "invoice", "id": f"in_{number}", "status": "paid", "currency": "usd",
               "customer": f"cus_{number % 997}", "customer_name": f"Customer {number % 997}", "created": start,
               "number": f"INV-{number:06d}", "total": total, "amount_due": total, "amount_paid": total,
               "status_transitions": {"finalized_at": start, "paid_at": start + 3600},
               "lines": {"object": "list", "data": lines, "has_more": False}}
    objects: list[dict[str, Any]] = [
        invoice, {"object": "invoice_payment", "id": f"inpay_{number}", "invoice": f"in_{number}",
                  "status": "paid", "payment": {"type": "charge", "charge": f"ch_{number}"}}]
    if number % 20 == 0:
        objects.append({"object": "refund", "id": f"re_{number}", "charge": f"ch_{number}", "amount": 1000,
                        "currency": "usd", "created": start + 10 * DAY, "status": "succeeded"})
    if number % 50 == 1:
        objects.append({"object": "credit_note", "id": f"cn_{number}", "invoice": f"in_{number}", "status": "issued",
                        "type": "post_payment", "currency": "usd", "created": start + 5 * DAY, "total": 500,
                        "refunds": [], "customer_balance_transaction": f"cbtxn_{number}",
                        "lines": {"data": [{"id": f"cnli_{number}", "amount": 500,
                                            "invoice_line_item": f"il_{number}", "taxes": []}]}})
    return objects


def stripe_export(invoices: int, folder: Path) -> Path:
    """A Stripe export (a list object) of ``invoices`` invoices and what goes with them, written in ``folder``."""
    path = folder / f"stripe-{invoices}.json"
    objects = [obj for number in range(invoices) for obj in _invoice(number)]
    path.write_text(json.dumps({"object": "list", "data": objects, "has_more": False}), encoding="utf-8")
    return path


def stripe_import(invoices: int, folder: Path, repeat: int) -> dict[str, Any]:
    """Import an export of ``invoices`` invoices in fresh processes: the best times of ``repeat`` runs."""
    path = stripe_export(invoices, folder)
    runs = []
    for _ in range(repeat):
        output = subprocess.run([sys.executable, "-c", _IMPORT, str(path)],  # noqa: S603 - our own script
                                capture_output=True, text=True, check=True).stdout
        runs.append(json.loads(output))
    return {**runs[0], "invoices": invoices, "import_ms": min(run["import_ms"] for run in runs),
            "load_ms": min(run["load_ms"] for run in runs), "megabytes": path.stat().st_size / 1e6}


def format_import(row: dict[str, Any]) -> list[str]:
    """Section 7 as text."""
    return [(f"7. Stripe import: {row['invoices']} invoices ({row['megabytes']:.1f} MB of JSON, "
             f"{row['entries']} entries, {row['problems']} problems)"),
            (f"   import {row['import_ms']:.0f} ms ({1000 * row['import_ms'] / row['invoices']:.0f} us/invoice) vs "
             f"Beancount loading what it printed {row['load_ms']:.0f} ms: {row['import_ms'] / row['load_ms']:.2f}x")]
