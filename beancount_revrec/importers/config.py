"""The accounts and time zone of the Stripe importer, with documented defaults."""

from __future__ import annotations

import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo


class ImporterConfig(NamedTuple):
    """Where imported Stripe objects are booked.

    Attributes:
        receivable: Debited by an invoice's total, credited by its payment.
        cash: The Stripe balance (a clearing account): payments in, refunds and disputes out.
        revenue: Revenue account of a line whose product and price are in neither map.
        revenue_by_product: Revenue account by Stripe product id (``prod_...``).
        revenue_by_price: Revenue account by Stripe price id (``price_...``); beats the product map.
        customer_balance: Credited by the part of a post-payment credit note left on the customer's balance.
        out_of_band: Credited by the out-of-band part of a credit note (money returned outside Stripe).
        tax: Credited by each tax amount of an invoice line.
        fees: Stripe's fees (so far the dispute fees of a dispute's balance transactions).
        recoverables: Credited by the cash a won dispute returns (Stripe's Recoverables).
        timezone: IANA name of the reporting time zone that turns Stripe's UTC instants into dates.
    """

    receivable: str = "Assets:AccountsReceivable"
    cash: str = "Assets:Stripe"
    revenue: str = "Income:Sales"
    revenue_by_product: dict[str, str] = {}  # noqa: RUF012 - read only, never mutated
    revenue_by_price: dict[str, str] = {}  # noqa: RUF012 - read only, never mutated
    customer_balance: str = "Liabilities:CustomerBalance"
    out_of_band: str = "Assets:Bank"
    tax: str = "Liabilities:TaxLiability"
    fees: str = "Expenses:StripeFees"
    recoverables: str = "Income:Recoverables"
    timezone: str = "UTC"

    def zone(self) -> datetime.tzinfo:
        """The reporting time zone.

        Returns:
            The ``ZoneInfo`` of ``timezone``.
        """
        return ZoneInfo(self.timezone)

    def revenue_account(self, product: str | None, price: str | None) -> str:
        """The revenue account of a line.

        Args:
            product: The line's product id, if any.
            price: The line's price id, if any.

        Returns:
            The price's account, else the product's, else the default.
        """
        if price is not None and price in self.revenue_by_price:
            return self.revenue_by_price[price]
        if product is not None and product in self.revenue_by_product:
            return self.revenue_by_product[product]
        return self.revenue
