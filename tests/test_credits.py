"""The credit ledgers of ``ledgers/`` (SPEC 6.4, issue 15), checked with the real bean-query.

Each table is the ledger's stored ``monthly`` query (sums of postings per month and
account, Beancount signs); the figures are worked out in the ledgers' comments.
"""

from __future__ import annotations

from decimal import Decimal

from beancount import loader
from beancount.core.data import Transaction

from tests.conftest import LEDGERS, monthly_table, table

AR, CASH, DEFERRED = "Assets:AccountsReceivable", "Assets:Cash", "Liabilities:DeferredRevenue"


def test_credit_kinds_split_in_proportion_and_a_dispute_beyond_its_line() -> None:
    got = monthly_table(LEDGERS / "credit-kinds.beancount")
    del got["2019-01", CASH], got["2019-02", CASH], got["2019-03", CASH]
    assert got == table({
        # il_1: 31.00 of January; il_2: 10.00 of January
        "Income:Revenue": {"2019-01": "-41.00", "2019-02": "-16.00", "2019-03": "-15.50"},
        DEFERRED: {"2019-01": "-149.00", "2019-02": "117.50", "2019-03": "31.50"},
        # 15.50 of il_1's credit note split 15.00 : 30.00 between refund and credit note, plus il_2's 8.00
        "Income:Refunds": {"2019-02": "13.17"}, "Income:CreditNotes": {"2019-02": "10.33"},
        "Liabilities:CustomerBalance": {"2019-02": "-30.00"},
        "Income:Disputes": {"2019-03": "4.00"}, "Expenses:OtherLoss": {"2019-03": "60.00"},
    })


def test_voids_write_offs_recoveries_and_an_exclusion_on_its_date() -> None:
    got = monthly_table(LEDGERS / "voids-and-write-offs.beancount")
    assert got == table({
        AR: {"2019-01": "270.00", "2019-02": "-270.00"},
        CASH: {"2019-01": "10.00", "2019-04": "90.00"},
        # three lines of 31.00 in January and the payment of 10.00, excluded in February
        "Income:Revenue": {"2019-01": "-103.00", "2019-02": "10.00"},
        DEFERRED: {"2019-01": "-177.00", "2019-02": "177.00"},
        "Income:Voids": {"2019-02": "31.00", "2019-04": "31.00"},
        "Income:BadDebt": {"2019-02": "62.00", "2019-04": "-62.00"},
        "Income:Recoverables": {"2019-04": "-59.00"},
        "Income:Exclusion": {"2019-02": "-10.00"},
    })


def test_deferred_first_keeps_the_method_of_earlier_versions() -> None:
    got = monthly_table(LEDGERS / "credits-deferred-first.beancount")
    # the full refund is the same either way: 100.00 off deferred revenue, 20.00 to refunds
    assert got["2022-02", "Income:Refunds"] == Decimal("20.00")
    # the 300.00 credit comes off the 900.00 still deferred; nothing to refunds; Apr-Dec shrink to 66.67 / 66.66
    assert ("2022-04", "Income:Refunds") not in got
    assert got["2022-04", DEFERRED] == Decimal("366.67")
    sales = {month: str(amount) for (month, account), amount in got.items() if account == "Income:Sales"}
    assert sales == {"2022-01": "-110.00", "2022-02": "-110.00", "2022-03": "-100.00", "2022-04": "-66.67",
                     "2022-05": "-66.66", "2022-06": "-66.67", "2022-07": "-66.67", "2022-08": "-66.66",
                     "2022-09": "-66.67", "2022-10": "-66.67", "2022-11": "-66.66", "2022-12": "-66.67"}


def test_two_payments_of_a_written_off_invoice_on_one_day_have_their_own_keys() -> None:
    text = (LEDGERS / "voids-and-write-offs.beancount").read_text(encoding="utf-8").replace(
        "  Assets:Cash                 90.00 USD\n  Assets:AccountsReceivable  -90.00 USD\n",
        "  Assets:Cash                 20.00 USD\n  Assets:AccountsReceivable  -20.00 USD\n\n"
        '2019-04-01 * "Globex" "Payment of a written-off invoice, the rest"\n  invoice: "in_paid"\n'
        "  Assets:Cash                 70.00 USD\n  Assets:AccountsReceivable  -70.00 USD\n")
    entries, errors, _ = loader.load_string(text)
    assert errors == []
    recovered = {entry.meta["revrec-key"]: entry.postings[0].units.number for entry in entries
                 if isinstance(entry, Transaction) and "/recovery/" in entry.meta.get("revrec-key", "")}
    # the first 20.00 clears that much of the 31.00 bad debt; the next 70.00 the other 11.00, and 59.00 is a gain
    assert recovered == {"il_paid/recovery/2019-04-01/write-off": Decimal("20.00"),
                         "il_paid/recovery/2019-04-01#2/write-off": Decimal("11.00"),
                         "il_paid/recovery/2019-04-01#2/recoverables": Decimal("59.00")}


def test_a_credit_before_an_exclusion_date_is_contra_revenue_and_the_exclusion_shrinks() -> None:
    # Until 2022-06-30 the line is revenue: a refund of half of it in February is contra revenue, and on
    # 2022-06-30 only the other half is excluded.
    text = (
        'plugin "beancount_revrec"\n2022-01-01 open Assets:AccountsReceivable\n2022-01-01 open Assets:Bank\n'
        '2022-01-01 open Income:Sales\n\n2022-01-01 * "Acme" "Plan"\n  invoice: "in_1"\n'
        '  Assets:AccountsReceivable  120.00 USD\n  Income:Sales  -120.00 USD\n    line: "il_1"\n'
        '    revrec: "exclude on 2022-06-30"\n\n2022-02-01 * "Acme" "Refund"\n  invoice: "re_1"\n'
        '  Assets:Bank  -60.00 USD\n  Income:Sales  60.00 USD\n    credit-for: "il_1"\n')
    entries, errors, _ = loader.load_string(text)
    assert errors == []
    made = {(entry.date.isoformat(), posting.account): posting.units.number for entry in entries
            if isinstance(entry, Transaction) and "revrec" in entry.tags for posting in entry.postings}
    assert made == {("2022-02-01", "Income:Refunds"): Decimal("60.00"), ("2022-02-01", "Income:Sales"): Decimal("-60.00"),
                    ("2022-06-30", "Income:Sales"): Decimal("60.00"),
                    ("2022-06-30", "Equity:RevRec:Exclusions"): Decimal("-60.00")}
