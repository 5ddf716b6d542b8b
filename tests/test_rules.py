"""Rules (SPEC 6, 6.2) and credits (6.4): the example ledgers through the real bean-query, hierarchy, periods."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core.data import Transaction

from tests.conftest import LEDGERS, monthly_table, table

AR = "Assets:AccountsReceivable"
BANK = "Assets:Bank"
DEFERRED = "Liabilities:DeferredRevenue"
SALES = "Income:Sales"


RULE_EXAMPLES = {
    "rules-tax-and-fee": {
        AR: {"2022-03": "132.50"}, SALES: {"2022-03": "-100.00"},
        "Liabilities:TaxLiability": {"2022-03": "-20.00"}, "Income:Fees": {"2022-03": "-12.50"},
    },
    "rules-passthrough": {
        AR: {"2022-04": "215.00"}, SALES: {"2022-04": "-200.00"}, "Liabilities:PassthroughFees": {"2022-04": "-15.00"},
    },
    "rules-exclude": {
        AR: {"2022-02": "622.00"}, SALES: {"2022-02": "-80.00"}, "Equity:RevRec:Exclusions": {"2022-02": "-542.00"},
    },
    "rules-amortize": {
        AR: {"2022-01": "600.00", "2022-02": "300.00", "2022-03": "-300.00"}, BANK: {"2022-03": "300.00"},
        # 600.00 over Jan-Jun from the invoice; 300.00 over Mar-May from the payment on 2022-03-15
        SALES: {"2022-01": "-100.00", "2022-02": "-100.00", "2022-03": "-200.00", "2022-04": "-200.00",
                "2022-05": "-200.00", "2022-06": "-100.00"},
        DEFERRED: {"2022-01": "-500.00", "2022-02": "-200.00", "2022-03": "200.00", "2022-04": "200.00",
                   "2022-05": "200.00", "2022-06": "100.00"},
    },
    "rules-defer": {
        AR: {"2022-01": "90.00"}, DEFERRED: {"2022-01": "-90.00", "2022-04": "90.00"}, SALES: {"2022-04": "-90.00"},
    },
    "rules-allocate": {
        # 20% now, 70% over Jan-Jul (100.00 a month), 10% on 2022-04-01
        AR: {"2022-01": "1000.00"},
        SALES: {"2022-01": "-300.00", "2022-02": "-100.00", "2022-03": "-100.00", "2022-04": "-200.00",
                "2022-05": "-100.00", "2022-06": "-100.00", "2022-07": "-100.00"},
        DEFERRED: {"2022-01": "-700.00", "2022-02": "100.00", "2022-03": "100.00", "2022-04": "200.00",
                   "2022-05": "100.00", "2022-06": "100.00", "2022-07": "100.00"},
    },
    "rules-description-amount": {
        # il_da1 1200.00 "large-implementations": Apr-Jul, 300.00 a month; il_da2 10.00 "avatax": tax;
        # il_da3 600.00 (below min-amount) "invoice-lines", no service period: 540.00 at once, 60.00 passed
        # through; il_da4, a cash sale of exactly 2.50 USD, "card-surcharge": a fee
        AR: {"2022-04": "1810.00"}, BANK: {"2022-04": "2.50"},
        SALES: {"2022-04": "-840.00", "2022-05": "-300.00", "2022-06": "-300.00", "2022-07": "-300.00"},
        DEFERRED: {"2022-04": "-900.00", "2022-05": "300.00", "2022-06": "300.00", "2022-07": "300.00"},
        "Liabilities:TaxLiability": {"2022-04": "-10.00"}, "Liabilities:PassthroughFees": {"2022-04": "-60.00"},
        "Income:Fees": {"2022-04": "-2.50"},
    },
    "rules-cash-basis": {
        # May and June invoices wait for their payments; July's is accrued (immediate) again
        AR: {"2022-05": "400.00", "2022-06": "250.00", "2022-07": "-100.00", "2022-08": "-250.00"},
        BANK: {"2022-07": "400.00", "2022-08": "250.00"},
        DEFERRED: {"2022-05": "-400.00", "2022-06": "-250.00", "2022-07": "400.00", "2022-08": "250.00"},
        SALES: {"2022-07": "-700.00", "2022-08": "-250.00"},
    },
}


@pytest.mark.parametrize("name", sorted(RULE_EXAMPLES))
def test_rule_examples_monthly_tables(name: str) -> None:
    assert monthly_table(LEDGERS / f"{name}.beancount") == table(RULE_EXAMPLES[name])


def test_credits_example_6_4_and_a_partial_credit() -> None:
    got = monthly_table(LEDGERS / "credits.beancount")
    # full refund of 120.00 after two months: 100.00 reverses deferred revenue, 20.00 to Income:Refunds
    assert got["2022-02", "Income:Refunds"] == Decimal("20.00")
    # the partial credit of 300.00 (25%) on 2022-04-15, with 300.00 recognised and 900.00 deferred: 75.00 to
    # Income:Refunds, 225.00 off deferred revenue; Apr-Dec shrink from 100.00 to 75.00
    assert got["2022-04", "Income:Refunds"] == Decimal("75.00")
    expected_sales = {"2022-01": "-110.00", "2022-02": "-110.00", "2022-03": "-100.00",
                      **{f"2022-{month:02d}": "-75.00" for month in range(4, 13)}}
    assert {month: str(amount) for (month, account), amount in got.items() if account == SALES} == expected_sales
    entries, errors, _ = loader.load_file(str(LEDGERS / "credits.beancount"))
    assert errors == []
    by_line: dict[str, Decimal] = {}
    for entry in entries:
        if isinstance(entry, Transaction) and entry.meta.get("revrec-kind") == "recognition":
            by_line[entry.meta["line"]] = by_line.get(entry.meta["line"], Decimal(0)) + entry.postings[0].units.number
    assert by_line == {"il_cr1": Decimal("20.00"), "il_cr2": Decimal("975.00")}
    balances: dict[str, Decimal] = {}
    for entry in entries:
        if isinstance(entry, Transaction):
            for posting in entry.postings:
                balances[posting.account] = balances.get(posting.account, Decimal(0)) + posting.units.number
    assert balances[DEFERRED] == 0
    assert balances["Income:Refunds"] == Decimal("95.00")
    assert balances[SALES] == Decimal("-995.00")  # 20.00 + 975.00 recognised; less 95.00 refunds: 900.00 kept


HEAD = """
plugin "beancount_revrec"
2022-01-01 open Assets:AccountsReceivable
2022-01-01 open Income:Sales
"""

INVOICE = """
{date} * "Acme" "Widget"
  invoice: "in_{date}"
  Assets:AccountsReceivable   90.00 USD
  Income:Sales               -90.00 USD
    product: "widget"
"""

RULE = """
{date} custom "revrec-rule" "{name}"
  product: "widget"
  treatment: "{treatment}"
{extra}"""


def winners(text: str) -> dict[datetime.date, tuple[str, str]]:
    """Each line's date -> (rule, kind of its first generated entry)."""
    entries, errors, _ = loader.load_string(text)
    assert errors == []
    found: dict[datetime.date, tuple[str, str]] = {}
    for entry in entries:
        if isinstance(entry, Transaction) and "revrec" in entry.tags:
            day = datetime.date.fromisoformat(entry.meta["invoice"][3:])
            found.setdefault(day, (entry.meta["revrec-rule"], entry.meta["revrec-kind"]))
    return found


def test_first_written_rule_wins_in_both_orders() -> None:
    tax = RULE.format(date="2022-01-01", name="as-tax", treatment="tax", extra="")
    fee = RULE.format(date="2022-01-01", name="as-fee", treatment="fee", extra="")
    invoice = INVOICE.format(date="2022-03-01")
    assert winners(HEAD + tax + fee + invoice) == {datetime.date(2022, 3, 1): ("as-tax", "reclass")}
    assert winners(HEAD + fee + tax + invoice) == {datetime.date(2022, 3, 1): ("as-fee", "reclass")}


def test_written_order_not_date_order_decides() -> None:
    later = RULE.format(date="2022-02-01", name="later-date-written-first", treatment="tax", extra="")
    earlier = RULE.format(date="2022-01-01", name="earlier-date-written-second", treatment="fee", extra="")
    assert winners(HEAD + later + earlier + INVOICE.format(date="2022-03-01")) == {
        datetime.date(2022, 3, 1): ("later-date-written-first", "reclass")}


def test_override_beats_rules_and_rules_beat_defaults() -> None:
    rule = RULE.format(date="2022-01-01", name="defer-widgets", treatment="defer 1 month", extra="")
    override = INVOICE.format(date="2022-03-02") + '    revrec: "tax"\n'
    other = INVOICE.format(date="2022-03-03").replace('"widget"', '"gadget"') + (
        "    service-start: 2022-03-03\n    service-end: 2022-04-03\n")
    assert winners(HEAD + rule + INVOICE.format(date="2022-03-01") + override + other) == {
        datetime.date(2022, 3, 1): ("defer-widgets", "deferral"),
        datetime.date(2022, 3, 2): ("override", "reclass"),
        datetime.date(2022, 3, 3): ("default", "deferral"),
    }


def test_effective_period_boundaries() -> None:
    rule = RULE.format(date="2022-03-01", name="march-only", treatment="tax", extra="  effective-until: 2022-04-01\n")
    days = ["2022-02-28", "2022-03-01", "2022-03-31", "2022-04-01"]
    got = winners(HEAD + rule + "".join(INVOICE.format(date=day) for day in days))
    # the day before and the effective-until day fall outside: immediate, nothing generated
    assert got == {datetime.date(2022, 3, 1): ("march-only", "reclass"),
                   datetime.date(2022, 3, 31): ("march-only", "reclass")}


def test_expired_rule_gives_way_to_the_next() -> None:
    expired = RULE.format(date="2022-01-01", name="old", treatment="tax", extra="  effective-until: 2022-03-01\n")
    current = RULE.format(date="2022-03-01", name="new", treatment="fee", extra="")
    got = winners(HEAD + expired + current + INVOICE.format(date="2022-02-15") + INVOICE.format(date="2022-03-15"))
    assert got == {datetime.date(2022, 2, 15): ("old", "reclass"), datetime.date(2022, 3, 15): ("new", "reclass")}


@pytest.mark.parametrize(("match", "hits"), [
    ('account: "Income"', True),
    ('account: "Income:Sales"', True),
    ('account: "Income:Sal"', False),
    ('source: "invoice"', True),
    ('source: "payment"', False),
    ('customer: "Acme"', True),
    ('customer: "Globex"', False),
    ('invoice: "in_2022-03-01"', True),
    ('tag: "test"', False),
    ('price: "price_1"', False),
])
def test_match_keys(match: str, hits: bool) -> None:  # noqa: FBT001
    rule = f'2022-01-01 custom "revrec-rule" "r"\n  {match}\n  treatment: "tax"\n'
    got = winners(HEAD + rule + INVOICE.format(date="2022-03-01"))
    assert got == ({datetime.date(2022, 3, 1): ("r", "reclass")} if hits else {})


def test_tag_price_and_line_match() -> None:
    rule = '2022-01-01 custom "revrec-rule" "r"\n  tag: "test"\n  price: "price_1"\n  line: "il_9"\n  treatment: "tax"\n'
    invoice = INVOICE.format(date="2022-03-01").replace('"Widget"', '"Widget" #test') + (
        '    price: "price_1"\n    line: "il_9"\n')
    assert winners(HEAD + rule + invoice) == {datetime.date(2022, 3, 1): ("r", "reclass")}


def test_an_exclusion_dated_before_its_line_is_an_error_and_the_line_stays_as_booked() -> None:
    rule = RULE.format(date="2022-01-01", name="late", treatment="exclude on 2022-02-28", extra="")
    text = HEAD + rule + INVOICE.format(date="2022-03-01") + INVOICE.format(date="2022-02-01")
    entries, errors, _ = loader.load_string(text)
    (error,) = errors
    assert error.source["lineno"] == text[:text.index("-90.00 USD")].count("\n") + 1
    assert error.message == ('treatment "exclude on 2022-02-28": exclude on 2022-02-28 is before the line\'s date '
                             "2022-03-01: exclude it on or after 2022-03-01")
    # the February line is excluded on 2022-02-28, the March one stays as booked (recognised on its date)
    made = [(entry.date, entry.meta["revrec-key"]) for entry in entries
            if isinstance(entry, Transaction) and "revrec" in entry.tags]
    assert made == [(datetime.date(2022, 2, 28), "in_2022-02-01/Income:Sales/widget/exclude")]


# --- description and amount range ------------------------------------------------------------------


@pytest.mark.parametrize(("match", "hits"), [
    ('description: "widget"', True),  # the narration "Widget", ignoring case
    ('description: "IDG"', True),
    ('description: "Gadget"', False),
    ("min-amount: 90.00 USD", True),  # both bounds inclusive
    ("max-amount: 90.00 USD", True),
    ("min-amount: 90.00 USD\n  max-amount: 90.00 USD", True),  # Stripe: "Amount is equal to 90.00 USD"
    ("min-amount: 10 USD\n  max-amount: 120 USD", True),
    ("min-amount: 90.01 USD", False),
    ("max-amount: 89.99 USD", False),
    ("min-amount: 10.00 EUR", False),  # a line in another currency never matches
    ('description: "widget"\n  max-amount: 50.00 USD', False),  # every key must match
])
def test_description_and_amount_match_keys(match: str, hits: bool) -> None:  # noqa: FBT001
    rule = f'2022-01-01 custom "revrec-rule" "r"\n  {match}\n  treatment: "tax"\n'
    got = winners(HEAD + rule + INVOICE.format(date="2022-03-01"))
    assert got == ({datetime.date(2022, 3, 1): ("r", "reclass")} if hits else {})


def test_a_postings_description_beats_the_narration() -> None:
    rules = (RULE.format(date="2022-01-01", name="by-narration", treatment="fee", extra="").replace(
        '  product: "widget"\n', '  description: "Widget"\n')
        + RULE.format(date="2022-01-01", name="by-description", treatment="tax", extra="").replace(
        '  product: "widget"\n', '  description: "AvaTax"\n'))
    invoice = INVOICE.format(date="2022-03-01") + '    description: "Sales Tax calculated by AvaTax"\n'
    assert winners(HEAD + rules + invoice) == {datetime.date(2022, 3, 1): ("by-description", "reclass")}


@pytest.mark.parametrize(("first", "second"), [("by-amount", "by-description"), ("by-description", "by-amount")])
def test_first_written_of_description_and_amount_rules_wins(first: str, second: str) -> None:
    keys = {"by-amount": "  min-amount: 50.00 USD\n", "by-description": '  description: "widget"\n'}
    rules = "".join(f'\n2022-01-01 custom "revrec-rule" "{name}"\n{keys[name]}  treatment: "{treatment}"\n'
                    for name, treatment in ((first, "tax"), (second, "fee")))
    assert winners(HEAD + rules + INVOICE.format(date="2022-03-01")) == {
        datetime.date(2022, 3, 1): (first, "reclass")}


def test_amount_range_compares_a_credit_without_its_sign(tmp_path: Path) -> None:
    # a negative proration (a debit to revenue) of 5.00 USD is 5.00 USD for the range; treated
    # "tax" with the opposite sign: 5.00 back from the tax liability
    rule = '2022-01-01 custom "revrec-rule" "small"\n  max-amount: 10.00 USD\n  treatment: "tax"\n'
    proration = """
2022-03-01 * "Acme" "Proration"
  invoice: "in_p"
  Assets:AccountsReceivable   -5.00 USD
  Income:Sales                 5.00 USD
"""
    assert month_balances(tmp_path, HEAD + rule + proration) == table({
        AR: {"2022-03": "-5.00"}, "Liabilities:TaxLiability": {"2022-03": "5.00"}})


# --- Stripe's rules examples (docs.stripe.com/revenue-recognition/rules/examples) ------------------

MONTHLY = ('2022-01-01 query "monthly" "SELECT year, month, account, currency, sum(number) AS amount '
           'GROUP BY year, month, account, currency ORDER BY year, month, account, currency"\n')


def month_balances(tmp_path: Path, text: str) -> dict[tuple[str, str], Decimal]:
    """The ledger's monthly table through the real bean-query, after checking it loads without errors."""
    path = tmp_path / "ledger.beancount"
    path.write_text(text + MONTHLY, encoding="utf-8")
    _, errors, _ = loader.load_file(str(path))
    assert errors == []
    return monthly_table(path)


def generated_kinds(tmp_path: Path) -> list[str]:
    entries, _, _ = loader.load_file(str(tmp_path / "ledger.beancount"))
    return [entry.meta["revrec-kind"] for entry in entries
            if isinstance(entry, Transaction) and "revrec" in entry.tags]


# The "Passthrough fees" table: Apply to "Invoices > All line items", treatments 90% recognised
# ratably and 10% passthrough fee; a 100 USD line without a service period, finalized in April, shows
# April: AccountsReceivable 100, Revenue 90, PassthroughFees 10. The 90% is recognised at once, as
# Stripe recognises a line without a period at finalization.
STRIPE_PASSTHROUGH = HEAD + """
2022-01-01 custom "revrec-rule" "passthrough-fees"
  source: "invoice"
  treatment: "90% ratable + 10% passthrough"

2022-04-12 * "Acme" "Consulting, fees included"
  invoice: "in_pf"
  Assets:AccountsReceivable   100.00 USD
  Income:Sales               -100.00 USD
"""


def test_stripe_passthrough_fees_example(tmp_path: Path) -> None:
    assert month_balances(tmp_path, STRIPE_PASSTHROUGH) == table({
        AR: {"2022-04": "100.00"}, SALES: {"2022-04": "-90.00"}, "Liabilities:PassthroughFees": {"2022-04": "-10.00"}})
    assert generated_kinds(tmp_path) == ["reclass"]  # nothing deferred, not even for a day


# The "Tax treatment" table: Apply to "Invoices > Line item description contains all of the
# following: AvaTax", treatment Tax (100%); a 10 USD line "Sales Tax calculated by AvaTax" finalized in
# April shows April: AccountsReceivable 10, TaxLiability 10 (and no revenue).
STRIPE_TAX = HEAD + """
2022-01-01 custom "revrec-rule" "avatax"
  description: "AvaTax"
  treatment: "tax"

2022-04-12 * "Acme" "{narration}"
  invoice: "in_tx"
  Assets:AccountsReceivable    10.00 USD
  Income:Sales                -10.00 USD
{meta}"""


@pytest.mark.parametrize(("narration", "meta"), [
    ("Sales Tax calculated by AvaTax", ""),  # the transaction's narration
    ("Invoice 1042", '    description: "Sales Tax calculated by AvaTax"\n'),  # the line's own description
])
def test_stripe_tax_treatment_example(tmp_path: Path, narration: str, meta: str) -> None:
    assert month_balances(tmp_path, STRIPE_TAX.format(narration=narration, meta=meta)) == table({
        AR: {"2022-04": "10.00"}, "Liabilities:TaxLiability": {"2022-04": "-10.00"}})
    assert generated_kinds(tmp_path) == ["reclass"]
