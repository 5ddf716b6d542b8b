#!/usr/bin/env python3
"""Import a Stripe export the beangulp way (Beancount's importer framework).

    python ledgers/stripe-demo/import.py extract ledgers/stripe-demo/export > ledgers/stripe-demo/imported.beancount

Each importer in ``importers`` is asked whether it recognises each file of the
folder; ``StripeImporter`` takes the JSON that ``stripe invoices list``, the
``stripe`` library or the Dashboard's API export writes; ``RevenueCsvImporter``
Stripe Revenue Recognition's import CSVs (here the data-import page's external
transaction); ``FulfillmentImporter`` fulfillment events. Add ``-e LEDGER`` to
skip what a ledger already holds (by ``stripe-id``, rule name, ``import-id``).
"""

import beangulp

from beancount_revrec.importers import (
    Accounts,
    FulfillmentImporter,
    ImporterConfig,
    RevenueCsvImporter,
    StripeImporter,
)

importers = [
    StripeImporter(ImporterConfig(
        cash="Assets:Stripe",                                  # the Stripe balance, a clearing account
        revenue="Income:Sales",                                # lines of a product or price not mapped below
        revenue_by_product={"prod_annual": "Income:Subscriptions"},
        timezone="UTC",                                        # the reporting time zone of the dates
    )),
    RevenueCsvImporter(Accounts(
        cash="Assets:Bank",                                    # where an external processor's payments landed
        revenue="Income:Subscriptions",
    )),
    FulfillmentImporter(timezone="UTC"),
]

if __name__ == "__main__":
    beangulp.Ingest(importers)()
