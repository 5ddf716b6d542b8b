"""``bean-revrec import revenue-csv`` and ``import fulfillment`` on Stripe's data-import examples and on events.

The printed entries are loaded with the plugin beside the invoices and payments they adjust
(those of tests/test_revenue_import.py) and checked month by month.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import invoke, ok
from tests.test_revenue_import import (
    DEFERRED,
    EVENT,
    EXCLUDED,
    EXCLUSIONS,
    INVOICE,
    PAGE,
    SALES,
    SPEC_6_1,
    head,
    loaded,
    monthly,
    months,
    payment,
)

SERVICE_PERIOD, LINES, SPLIT = (PAGE / name for name in ("service-period-for-a-payment.csv",
                                                         "line-item-service-periods.csv", "split-payment.csv"))
EXTERNAL, CORRECTION, EXCLUSION_IDS = (PAGE / name for name in ("external-transactions.csv", "correction.csv",
                                                                "exclusions.csv"))


def test_revenue_csv_prints_the_general_imports_in_date_order_and_they_load_with_the_plugin():
    printed = ok("import", "revenue-csv", SERVICE_PERIOD, LINES, EXTERNAL)
    # the rules (dated 1970-01-01) in the files' order, then the external transaction of 2019-12-15
    assert [line for line in printed.splitlines() if line[:1].isdigit()] == [
        '1970-01-01 custom "revrec-rule" "import-py_1234"',
        '1970-01-01 custom "revrec-rule" "import-il_5678"',
        '1970-01-01 custom "revrec-rule" "import-il_7890"',
        '2019-12-15 * "My previous system" "A yearly subscription"']
    ledger = loaded(head() + printed + payment("2020-01-01", "py_1234", "120.00") + "\n" + INVOICE)
    revenue = monthly(ledger, SALES)
    # 2020-05: py_1234's 10.16, il_5678's 31.00 a day a dollar, the external subscription's 8.47
    assert revenue["2020-05"] == Decimal("-49.63")
    assert revenue["2020-04"] == Decimal("-9.84") - Decimal("277.00") - Decimal("8.20")
    assert sum(revenue.values()) == -(Decimal("120.00") + Decimal("1132.00") + Decimal("100.00"))
    assert monthly(ledger, DEFERRED)["2019-12"] == Decimal("-100.00")


def test_revenue_csv_tells_the_exclusion_import_by_its_header():
    printed = ok("import", "revenue-csv", EXCLUSION_IDS)
    assert printed.count('treatment: "exclude"') == 5
    ledger = loaded(head() + printed + EXCLUDED)
    assert monthly(ledger, EXCLUSIONS) == {"2020-03": Decimal("-240.00")}
    assert monthly(ledger, SALES) == {"2020-03": Decimal("-70.00")}


def test_revenue_csv_skips_what_the_ledger_holds_and_warns_of_a_changed_rule(tmp_path):
    books = tmp_path / "books.beancount"
    books.write_text(head() + ok("import", "revenue-csv", SERVICE_PERIOD, EXTERNAL, EXCLUSION_IDS), encoding="utf-8")
    assert ok("import", "revenue-csv", SERVICE_PERIOD, EXTERNAL, EXCLUSION_IDS, "--ledger", books) == ""
    # the split example names py_1234 too: the ledger's rule of that name stays, and the user is told
    result = invoke("import", "revenue-csv", SPLIT, "--ledger", books)
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == (
        f'Warning: {SPLIT}:2: the ledger\'s rule "import-py_1234" has treatment "amortize 366 days from '
        '2020-02-01", this file "74.99% amortize 486 days from 2020-02-01 + 25.01% amortize 367 days from '
        "2020-01-01\": not imported; edit the ledger's rule to change it\n")


def test_revenue_csv_fails_only_when_nothing_usable_remains(tmp_path):
    result = invoke("import", "revenue-csv", CORRECTION)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.splitlines() == [
        (f"Error: {CORRECTION}:2: py_1234 has no recognition dates, so Stripe's own dates stand: there is no rule "
         'to import (delete the rule "import-py_1234" if an earlier import added it; a booked date does not move a '
         "Stripe transaction)"),
        f"Error: nothing usable in {CORRECTION} (1 problem(s) above)"]
    neither = tmp_path / "payouts.csv"
    neither.write_text("id,amount\npo_1,100\n", encoding="utf-8")
    result = invoke("import", "revenue-csv", neither, SERVICE_PERIOD)
    assert result.exit_code == 0
    assert result.stderr.startswith(f"Error: {neither}:1: neither of Stripe's imports: a general import's header "
                                    "is source,transaction_id,split_transaction_id,")
    assert 'custom "revrec-rule" "import-py_1234"' in result.stdout


@pytest.mark.parametrize(("args", "words"), [
    (("--cash", "cash"), "Invalid value for --cash: must be an account name like Income:Sales, got 'cash'"),
    (("--revenue", "Income"), "Invalid value for --revenue"),
])
def test_revenue_csv_bad_accounts_are_usage_errors(args, words):
    result = invoke("import", "revenue-csv", EXTERNAL, *args)
    assert result.exit_code == 2
    assert words in result.output


def test_revenue_csv_books_external_transactions_to_the_given_accounts():
    printed = ok("import", "revenue-csv", EXTERNAL, "--cash", "Assets:Bank", "--revenue", "Income:Subscriptions")
    opens = "2019-01-01 open Assets:Bank\n2019-01-01 open Income:Subscriptions\n"
    ledger = loaded('plugin "beancount_revrec"\n' + opens + printed)
    assert monthly(ledger, "Assets:Bank") == {"2019-12": Decimal("100.00")}
    assert monthly(ledger, "Income:Subscriptions")["2020-02"] == Decimal("-7.92")


def test_fulfillment_prints_events_that_fulfil_the_line(tmp_path):
    events = tmp_path / "events.jsonl"
    events.write_text(EVENT + "\n", encoding="utf-8")
    rest = tmp_path / "events.csv"  # the other 90.00 on 2022-08-10 12:00 UTC, as CSV
    rest.write_text("target[invoice_line_item],period[start],amount,currency\nil_AAA,1660132800,9000,usd\n",
                    encoding="utf-8")
    printed = ok("import", "fulfillment", rest, events)
    assert printed == ('2022-07-29 custom "revrec-fulfill" "il_AAA" 10.00 USD\n\n'
                       '2022-08-10 custom "revrec-fulfill" "il_AAA" 90.00 USD\n\n')
    ledger = loaded(SPEC_6_1 + "\n" + printed)
    assert monthly(ledger, SALES) == months("2022-07", "10.00 90.00")


def test_fulfillment_skips_what_the_ledger_holds_and_reads_the_zone(tmp_path):
    events = tmp_path / "events.json"
    events.write_text(f"[{EVENT}]", encoding="utf-8")
    books = tmp_path / "books.beancount"
    books.write_text(SPEC_6_1 + "\n" + ok("import", "fulfillment", events), encoding="utf-8")
    assert ok("import", "fulfillment", events, "--ledger", books) == ""
    # 2022-07-29 07:00 UTC is still the 28th in Honolulu: another event, imported
    assert ok("import", "fulfillment", events, "--ledger", books, "--timezone", "Pacific/Honolulu") == (
        '2022-07-28 custom "revrec-fulfill" "il_AAA" 10.00 USD\n\n')


def test_fulfillment_bad_input(tmp_path):
    broken = tmp_path / "events.jsonl"
    broken.write_text('{"target": {"invoice_line_item": "il_A"}, "period": {"start": "soon"}, "quantity": 1}\n',
                      encoding="utf-8")
    result = invoke("import", "fulfillment", broken)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f'Error: {broken}:1: bad period[start] "soon": write a unix timestamp'
    result = invoke("import", "fulfillment", broken, "--timezone", "Mars/Base")
    assert result.exit_code == 2
    assert "unknown time zone 'Mars/Base'" in result.output
