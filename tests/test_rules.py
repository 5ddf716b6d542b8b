"""Rules (SPEC 6, 6.2) and credits (6.4): the example ledgers through the real bean-query, hierarchy, periods."""

from __future__ import annotations

import datetime
from decimal import Decimal

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
