"""The ``bean-revrec`` CLI (SPEC section 9): ``explain ID`` and ``rules``, in every format.

Commands run in-process through ``click.testing.CliRunner`` and once each as the real
installed console script. Ledgers are the ones in ``ledgers/`` and a ledger written to
``tmp_path`` with a shadowed rule, an expired rule, a rule that matches no line, a rule
whose effective date comes after a line, a ``revrec:`` override and a credit.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from beancount import loader
from beancount.core.data import Transaction

from tests.conftest import (
    LEDGERS,
    assert_one_error_line,
    bean_query,
    invoke,
    lineno,
    monthly_table,
    ok,
    run_tool,
    tables,
)

WIDTH = 80
DEFER = "Income:Sales / Liabilities:DeferredRevenue"
RECOGNISE = "Liabilities:DeferredRevenue / Income:Sales"

PARTIAL = LEDGERS / "example-6.1-partial.beancount"
AMORTIZE = LEDGERS / "rules-amortize.beancount"
EXCLUDE = LEDGERS / "rules-exclude.beancount"
EVERY = LEDGERS / "every-treatment.beancount"
CREDITS = LEDGERS / "credits.beancount"
DESCRIPTION_AMOUNT = LEDGERS / "rules-description-amount.beancount"

# Five rules in priority order:
# - old-promo: expired (effective-until 2022-02-01, before every line and the ledger's end)
# - widgets-6-months: wins il_w1; loses il_w2 to its revrec: override
# - widgets-yearly: shadowed by widgets-6-months (il_w1) and the override (il_w2)
# - gadgets: no line has product "gadget" (and it has not expired: until 2030)
# - late-support: effective from 2022-05-01: not il_s1 (2022-04-01), but il_s2 (2022-06-01)
# The credit cn_w1 has product "widget" too, but a credit line follows the line it credits.
RULES_LEDGER = """\
plugin "beancount_revrec"
2022-01-01 open Assets:AccountsReceivable
2022-01-01 open Income:Sales

2022-01-01 custom "revrec-rule" "old-promo"
  product: "widget"
  treatment: "immediate"
  effective-until: 2022-02-01

2022-01-01 custom "revrec-rule" "widgets-6-months"
  product: "widget"
  treatment: "amortize 6 months monthly"

2022-01-01 custom "revrec-rule" "widgets-yearly"
  product: "widget"
  treatment: "amortize 12 months monthly"

2022-01-01 custom "revrec-rule" "gadgets"
  product: "gadget"
  treatment: "tax"
  effective-until: 2030-01-01

2022-05-01 custom "revrec-rule" "late-support"
  product: "support"
  treatment: "defer 1 month"

2022-03-01 * "Acme" "Widgets"
  invoice: "in_w1"
  Assets:AccountsReceivable   600.00 USD
  Income:Sales               -600.00 USD
    product: "widget"
    line: "il_w1"

2022-03-15 * "Beta" "Widgets, custom deal"
  invoice: "in_w2"
  Assets:AccountsReceivable   120.00 USD
  Income:Sales               -120.00 USD
    product: "widget"
    line: "il_w2"
    revrec: "defer 2 months"

2022-04-01 * "Acme" "Support"
  invoice: "in_s1"
  Assets:AccountsReceivable   90.00 USD
  Income:Sales               -90.00 USD
    product: "support"
    line: "il_s1"
    service-start: 2022-04-01
    service-end: 2022-07-01

2022-06-01 * "Acme" "Support"
  invoice: "in_s2"
  Assets:AccountsReceivable   45.00 USD
  Income:Sales               -45.00 USD
    product: "support"
    line: "il_s2"

2022-04-15 * "Acme" "Credit: one widget returned"
  invoice: "cn_w1"
  Assets:AccountsReceivable   -60.00 USD
  Income:Sales                 60.00 USD
    product: "widget"
    credit-for: "il_w1"
"""


def rule_line(name: str) -> int:
    return lineno(RULES_LEDGER, f'"revrec-rule" "{name}"')


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    path = tmp_path / "rules.beancount"
    path.write_text(RULES_LEDGER, encoding="utf-8")
    return path


def explain_json(path: Path, ident: str) -> list[dict[str, Any]]:
    return json.loads(ok("explain", path, ident, "--format", "json"))


def entry_rows(*rows: tuple[str, str, str, str]) -> list[list[str]]:
    """Rows of the generated-entries table: (date, kind, debit / credit, amount)."""
    return [["date", "kind", "debit / credit", "amount"], *[list(row) for row in rows]]


def sources(text: str) -> list[str]:
    """The ``source FILE:LINE`` of each explained line, unwrapped."""
    found = []
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("  source "):
            parts = [line.removeprefix("  source ")]
            for following in lines[index + 1:]:
                if not following.startswith("    "):
                    break
                parts.append(following.strip())
            found.append("".join(parts))
    return found


def too_wide(text: str) -> list[str]:
    """Lines over 80 columns, but for ``source FILE:LINE``: a path is one word, never broken."""
    return [line for line in text.splitlines() if len(line) > WIDTH and not line.startswith("  source ")]


# --- explain: what a line id, an invoice id, a line key and a revrec-key name ---------------------


def test_explain_line_id_table():
    out = ok("explain", PARTIAL, "il_AAA")
    lines = out.splitlines()
    assert lines[0] == "Line il_AAA"
    assert sources(out) == [f"{PARTIAL}:20"]
    assert "  2022-06-01  Income:Sales  -100.00 USD" in lines
    assert "Rules considered, in order:" in lines
    rules, entries = tables(out)
    assert rules == [["rule", "verdict"], ["prepaid-usage", "matches: applied (the first matching rule)"]]
    assert "Treatment: fulfillment  (rule: prepaid-usage)" in lines
    # SPEC example 6.1, partial: 10.00 on the event, the other 90.00 at 2022-06-01 + 1 year
    assert entries == entry_rows(("2022-06-01", "deferral", DEFER, "100.00 USD"),
                                 ("2022-07-29", "recognition", RECOGNISE, "10.00 USD"),
                                 ("2023-06-01", "recognition", RECOGNISE, "90.00 USD"))


def test_explain_line_id_json_exact():
    assert explain_json(PARTIAL, "il_AAA") == [{
        "line": "il_AAA",
        "kind": "line",
        "source": f"{PARTIAL}:20",
        "date": "2022-06-01",
        "account": "Income:Sales",
        "amount": "-100.00",
        "currency": "USD",
        "attributes": {"invoice": "in_1", "line": "il_AAA", "customer": "Customer", "product": "prod_prepaid",
                       "source": "invoice"},
        "rules": [{"rule": "prepaid-usage", "location": f"{PARTIAL}:13",
                   "verdict": "matches: applied (the first matching rule)"}],
        "rule": "prepaid-usage",
        "treatment": "fulfillment",
        "status": "treated",
        "entries": [
            {"date": "2022-06-01", "kind": "deferral", "key": "il_AAA/deferral", "debit": "Income:Sales",
             "credit": "Liabilities:DeferredRevenue", "amount": "100.00", "currency": "USD"},
            {"date": "2022-07-29", "kind": "recognition", "key": "il_AAA/recognition/2022-07-29",
             "debit": "Liabilities:DeferredRevenue", "credit": "Income:Sales", "amount": "10.00", "currency": "USD"},
            {"date": "2023-06-01", "kind": "recognition", "key": "il_AAA/recognition/2023-06-01",
             "debit": "Liabilities:DeferredRevenue", "credit": "Income:Sales", "amount": "90.00", "currency": "USD"},
        ],
       "credited_by": [],
    }]


def test_explain_invoice_id_table_names_the_product_mismatch():
    out = ok("explain", AMORTIZE, "in_am2")
    lines = out.splitlines()
    assert lines[0] == "Line in_am2/Income:Sales/prod_training"
    assert sources(out) == [f"{AMORTIZE}:31"]
    assert "  2022-02-01  Income:Sales  -300.00 USD" in lines
    assert "paid 2022-03-15" in " ".join(line.strip() for line in lines[:8])
    rules, entries = tables(out)
    assert rules == [["rule", "verdict"],
                     ["onboarding-6-months", 'no: product is "prod_training", not "prod_onboarding"'],
                     ["training-from-payment", "matches: applied (the first matching rule)"]]
    assert "Treatment: amortize 3 months from payment monthly  (rule: training-from-payment)" in lines
    # three months from the payment on 2022-03-15: March, April, May
    assert entries == entry_rows(("2022-02-01", "deferral", DEFER, "300.00 USD"),
                                 ("2022-03-31", "recognition", RECOGNISE, "100.00 USD"),
                                 ("2022-04-30", "recognition", RECOGNISE, "100.00 USD"),
                                 ("2022-05-31", "recognition", RECOGNISE, "100.00 USD"))


def test_explain_invoice_id_csv_rows():
    out = ok("explain", AMORTIZE, "in_am2", "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    key = "in_am2/Income:Sales/prod_training"
    assert rows == [
        ["line", "section", "name", "date", "detail", "amount"],
        [key, "source", "Income:Sales", "2022-02-01", f"{AMORTIZE}:31", "-300.00 USD"],
        [key, "rule", "onboarding-6-months", "", 'no: product is "prod_training", not "prod_onboarding"', ""],
        [key, "rule", "training-from-payment", "", "matches: applied (the first matching rule)", ""],
        [key, "treatment", "training-from-payment", "", "amortize 3 months from payment monthly", ""],
        [key, "entry", "deferral", "2022-02-01", f"{key}/deferral", "300.00 USD"],
        [key, "entry", "recognition", "2022-03-31", f"{key}/recognition/2022-03-31", "100.00 USD"],
        [key, "entry", "recognition", "2022-04-30", f"{key}/recognition/2022-04-30", "100.00 USD"],
        [key, "entry", "recognition", "2022-05-31", f"{key}/recognition/2022-05-31", "100.00 USD"],
    ]


def test_explain_invoice_with_several_lines():
    rows = explain_json(EVERY, "in_111")
    assert [(row["line"], row["rule"], row["treatment"], row["amount"]) for row in rows] == [
        ("in_111/Income:Sales/widget", "default", "immediate", "-100.00"),
        ("in_111/Income:Sales/tax", "override", "tax", "-8.00"),
        ("in_111/Income:Sales/fee", "override", "fee", "-5.00"),
        ("in_111/Income:Sales/passthrough", "override", "passthrough", "-3.00"),
    ]
    assert rows[0]["entries"] == []
    assert [[(entry["kind"], entry["debit"], entry["credit"], entry["amount"]) for entry in row["entries"]]
            for row in rows[1:]] == [
        [("reclass", "Income:Sales", "Liabilities:TaxLiability", "8.00")],
        [("reclass", "Income:Sales", "Income:Fees", "5.00")],
        [("reclass", "Income:Sales", "Liabilities:PassthroughFees", "3.00")],
    ]
    out = ok("explain", EVERY, "in_111")
    assert [line for line in out.splitlines() if line.startswith("Line ")] == [f"Line {row['line']}" for row in rows]
    assert sources(out) == [f"{EVERY}:{number}" for number in (127, 129, 132, 135)]
    assert "  none: recognised as booked" in out
    assert "(the ledger has no revrec-rule)" in out


def test_explain_line_key():
    key = "in_am1/Income:Sales/prod_onboarding"
    (row,) = explain_json(AMORTIZE, key)
    assert row["line"] == key
    assert row["source"] == f"{AMORTIZE}:25"
    assert [rule["verdict"] for rule in row["rules"]] == [
        "matches: applied (the first matching rule)", 'no: product is "prod_onboarding", not "prod_training"']
    assert (row["rule"], row["treatment"]) == ("onboarding-6-months", "amortize 6 months monthly")
    # 600.00 from 2022-01-10 over six calendar months, Jan to Jun
    assert [(entry["date"], entry["kind"], entry["amount"]) for entry in row["entries"]] == [
        ("2022-01-10", "deferral", "600.00"),
        *[(day, "recognition", "100.00")
          for day in ("2022-01-31", "2022-02-28", "2022-03-31", "2022-04-30", "2022-05-31", "2022-06-30")]]


def test_explain_revrec_key_from_bean_query():
    (found,) = bean_query(AMORTIZE, "SELECT entry_meta('revrec-key') AS key WHERE 'revrec' IN tags "
                                    "AND 'in_am1' IN links AND date = 2022-03-31 AND account = 'Income:Sales'")
    key = found["key"]
    assert key == "in_am1/Income:Sales/prod_onboarding/recognition/2022-03-31"
    assert explain_json(AMORTIZE, key) == explain_json(AMORTIZE, "in_am1/Income:Sales/prod_onboarding")
    assert ok("explain", AMORTIZE, key) == ok("explain", AMORTIZE, "in_am1")


def test_explain_revrec_key_from_the_loaded_ledger(ledger):
    entries, errors, _ = loader.load_file(str(ledger))
    assert errors == []
    keys = sorted(entry.meta["revrec-key"] for entry in entries
                  if isinstance(entry, Transaction) and "revrec" in entry.tags and entry.meta.get("invoice") == "in_s1")
    assert keys == ["il_s1/deferral", "il_s1/recognition/2022-04-30", "il_s1/recognition/2022-05-31",
                    "il_s1/recognition/2022-06-30"]
    for key in keys:
        (row,) = explain_json(ledger, key)
        assert row["line"] == "il_s1"
        assert [entry["key"] for entry in row["entries"]] == keys


# --- explain: each rule's verdict ----------------------------------------------------------------


def test_explain_every_rule_verdict_in_order(ledger):
    out = ok("explain", ledger, "il_w1")
    lines = out.splitlines()
    assert lines[0] == "Line il_w1"
    assert sources(out) == [f"{ledger}:{lineno(RULES_LEDGER, '-600.00 USD')}"]
    rules, entries = tables(out)
    assert rules == [
        ["rule", "verdict"],
        ["old-promo", "no: line dated 2022-03-01, on or after effective-until 2022-02-01"],
        ["widgets-6-months", "matches: applied (the first matching rule)"],
        ["widgets-yearly", 'matches, not used: "widgets-6-months" is written first'],
        ["gadgets", 'no: product is "widget", not "gadget"'],
        ["late-support", "no: line dated 2022-03-01, before the rule's effective date 2022-05-01"],
    ]
    assert "Treatment: amortize 6 months monthly  (rule: widgets-6-months)" in lines
    # 600.00 over Mar-Aug, 100.00 recognised by 2022-04-15; the 60.00 credit (10%) takes 10.00 to contra
    # revenue and 50.00 off the 500.00 deferred, leaving 450.00 for Apr-Aug: 90.00 a month
    assert entries == entry_rows(("2022-03-01", "deferral", DEFER, "600.00 USD"),
                                 ("2022-03-31", "recognition", RECOGNISE, "100.00 USD"),
                                 ("2022-04-15", "reclass", RECOGNISE, "50.00 USD"),
                                 ("2022-04-15", "reclass", "Income:Refunds / Income:Sales", "10.00 USD"),
                                 *[(day, "recognition", RECOGNISE, "90.00 USD")
                                   for day in ("2022-04-30", "2022-05-31", "2022-06-30", "2022-07-31",
                                               "2022-08-31")])


def test_explain_override_beats_a_matching_rule(ledger):
    out = ok("explain", ledger, "il_w2")
    rules, entries = tables(out)
    override = "matches, not used: the line's revrec: override beats every rule"
    assert rules[2:4] == [["widgets-6-months", override], ["widgets-yearly", override]]
    assert "Treatment: defer 2 months  (rule: override)" in out.splitlines()
    assert entries == entry_rows(("2022-03-15", "deferral", DEFER, "120.00 USD"),
                                 ("2022-05-15", "recognition", RECOGNISE, "120.00 USD"))
    assert explain_json(ledger, "in_w2") == [{
        "line": "il_w2",
        "kind": "line",
        "source": f"{ledger}:{lineno(RULES_LEDGER, '-120.00 USD')}",
        "date": "2022-03-15",
        "account": "Income:Sales",
        "amount": "-120.00",
        "currency": "USD",
        "attributes": {"invoice": "in_w2", "line": "il_w2", "customer": "Beta", "product": "widget",
                       "source": "invoice", "override": "defer 2 months"},
        "rules": [
            {"rule": "old-promo", "location": f"{ledger}:{rule_line('old-promo')}",
             "verdict": "no: line dated 2022-03-15, on or after effective-until 2022-02-01"},
            {"rule": "widgets-6-months", "location": f"{ledger}:{rule_line('widgets-6-months')}",
             "verdict": override},
            {"rule": "widgets-yearly", "location": f"{ledger}:{rule_line('widgets-yearly')}", "verdict": override},
            {"rule": "gadgets", "location": f"{ledger}:{rule_line('gadgets')}",
             "verdict": 'no: product is "widget", not "gadget"'},
            {"rule": "late-support", "location": f"{ledger}:{rule_line('late-support')}",
             "verdict": "no: line dated 2022-03-15, before the rule's effective date 2022-05-01"},
        ],
        "rule": "override",
        "treatment": "defer 2 months",
        "status": "treated",
        "entries": [
            {"date": "2022-03-15", "kind": "deferral", "key": "il_w2/deferral", "debit": "Income:Sales",
             "credit": "Liabilities:DeferredRevenue", "amount": "120.00", "currency": "USD"},
            {"date": "2022-05-15", "kind": "recognition", "key": "il_w2/recognition/2022-05-15",
             "debit": "Liabilities:DeferredRevenue", "credit": "Income:Sales", "amount": "120.00", "currency": "USD"},
        ],
       "credited_by": [],
    }]


def test_explain_rule_not_yet_effective_leaves_the_default(ledger):
    (row,) = explain_json(ledger, "il_s1")
    assert row["rules"][-1]["verdict"] == "no: line dated 2022-04-01, before the rule's effective date 2022-05-01"
    assert (row["rule"], row["treatment"]) == ("default", "ratable")
    assert row["attributes"]["service"] == "2022-04-01 to 2022-07-01 (exclusive)"
    # 90.00 over 91 days: 30/91, 61/91 and 91/91 of it, rounded cumulatively
    assert [(entry["date"], entry["amount"]) for entry in row["entries"]] == [
        ("2022-04-01", "90.00"), ("2022-04-30", "29.67"), ("2022-05-31", "30.66"), ("2022-06-30", "29.67")]
    (later,) = explain_json(ledger, "il_s2")
    assert later["rules"][-1]["verdict"] == "matches: applied (the first matching rule)"
    assert [(entry["date"], entry["kind"], entry["amount"]) for entry in later["entries"]] == [
        ("2022-06-01", "deferral", "45.00"), ("2022-07-01", "recognition", "45.00")]


def test_explain_csv_of_the_rules_ledger(ledger):
    rows = list(csv.DictReader(io.StringIO(ok("explain", ledger, "il_w2", "--format", "csv"))))
    assert [(row["section"], row["name"], row["date"], row["amount"]) for row in rows] == [
        ("source", "Income:Sales", "2022-03-15", "-120.00 USD"),
        ("rule", "old-promo", "", ""), ("rule", "widgets-6-months", "", ""), ("rule", "widgets-yearly", "", ""),
        ("rule", "gadgets", "", ""), ("rule", "late-support", "", ""),
        ("treatment", "override", "", ""),
        ("entry", "deferral", "2022-03-15", "120.00 USD"),
        ("entry", "recognition", "2022-05-15", "120.00 USD"),
    ]
    assert {row["line"] for row in rows} == {"il_w2"}
    assert rows[2]["detail"] == "matches, not used: the line's revrec: override beats every rule"
    assert rows[6]["detail"] == "defer 2 months"
    assert rows[0]["detail"] == f"{ledger}:{lineno(RULES_LEDGER, '-120.00 USD')}"


def test_explain_a_credit_line(ledger):
    (row,) = explain_json(ledger, "cn_w1")
    assert row["attributes"]["credit-for"] == "il_w1"
    assert row["amount"] == "60.00"
    assert [rule["verdict"] for rule in row["rules"]][1:3] == [
        "matches, not used: a credit line follows the line it credits"] * 2
    assert (row["rule"], row["treatment"]) == ("credit", 'credit-for "il_w1"')
    assert [(entry["date"], entry["kind"], entry["key"]) for entry in row["entries"]] == [
        ("2022-04-15", "reclass", "cn_w1/Income:Sales/widget/deferred"),
        ("2022-04-15", "reclass", "cn_w1/Income:Sales/widget/contra")]


def test_explain_credit_entries_read_as_debit_and_credit():
    # SPEC 6.4: the 120.00 refund reverses 100.00 of deferred revenue and books 20.00 to
    # Income:Refunds. Generated, that is Liabilities:DeferredRevenue +100.00 / Income:Sales -100.00
    # and Income:Refunds +20.00 / Income:Sales -20.00: a "debit / credit" column should name the
    # debited account first, with a positive amount.
    generated = {entry.meta["revrec-key"]: {posting.account: str(posting.units.number) for posting in entry.postings}
                 for entry in loader.load_file(str(CREDITS))[0]
                 if isinstance(entry, Transaction) and "revrec" in entry.tags and entry.meta.get("invoice") == "cn_cr1"}
    assert generated == {
        "cn_cr1/Income:Sales/deferred": {"Income:Sales": "-100.00", "Liabilities:DeferredRevenue": "100.00"},
        "cn_cr1/Income:Sales/contra": {"Income:Sales": "-20.00", "Income:Refunds": "20.00"},
    }
    (row,) = explain_json(CREDITS, "cn_cr1")
    assert [(entry["debit"], entry["credit"], entry["amount"]) for entry in row["entries"]] == [
        ("Liabilities:DeferredRevenue", "Income:Sales", "100.00"),
        ("Income:Refunds", "Income:Sales", "20.00"),
    ]


def test_explain_a_credited_line_names_its_credit(ledger):
    # il_w1 defers 600.00 but recognises only 550.00: the other 50.00 left with the credit cn_w1 (its 10.00
    # share of what was recognised went to contra revenue), whose entries are listed with the line's own,
    # so that what comes off deferred revenue adds up to the deferral
    (row,) = explain_json(ledger, "il_w1")
    entries = row["entries"]
    recognised = sum(Decimal(entry["amount"]) for entry in entries if entry["kind"] == "recognition")
    assert recognised == Decimal("550.00")
    credit, contra = [entry for entry in entries if entry["key"].startswith("cn_w1/")]
    assert (credit["date"], credit["kind"], credit["debit"], credit["credit"], credit["amount"]) == (
        "2022-04-15", "reclass", "Liabilities:DeferredRevenue", "Income:Sales", "50.00")
    assert (contra["debit"], contra["credit"], contra["amount"]) == ("Income:Refunds", "Income:Sales", "10.00")
    [deferral] = [entry for entry in entries if entry["kind"] == "deferral"]
    assert Decimal(deferral["amount"]) == recognised + Decimal(credit["amount"]) == Decimal("600.00")
    assert row["credited_by"] == [{"line": "cn_w1/Income:Sales/widget", "date": "2022-04-15", "amount": "-60.00",
                                   "currency": "USD"}]
    assert "cn_w1" in ok("explain", ledger, "il_w1")


PREFIX_LEDGER = """\
plugin "beancount_revrec"
2022-01-01 open Assets:AccountsReceivable
2022-01-01 open Income:Sales

2022-01-01 * "Acme" "Plan and setup"
  invoice: "in_p"
  Assets:AccountsReceivable   130.00 USD
  Income:Sales               -100.00 USD
    service-start: 2022-01-01
    service-end: 2022-03-01
    revrec: "ratable monthly"
  Income:Sales                -30.00 USD
    product: "setup"
    revrec: "defer 1 month"
"""


@pytest.fixture
def prefix_ledger(tmp_path: Path) -> Path:
    # the line without a product has key in_p/Income:Sales; its sibling in_p/Income:Sales/setup
    path = tmp_path / "prefix.beancount"
    path.write_text(PREFIX_LEDGER, encoding="utf-8")
    return path


def test_explain_line_key_that_prefixes_another_lists_only_its_entries(prefix_ledger):
    (plan,) = explain_json(prefix_ledger, "in_p/Income:Sales")
    assert [(entry["key"], entry["amount"]) for entry in plan["entries"]] == [
        ("in_p/Income:Sales/deferral", "100.00"),
        ("in_p/Income:Sales/recognition/2022-01-31", "50.00"),
        ("in_p/Income:Sales/recognition/2022-02-28", "50.00"),
    ]


def test_explain_revrec_key_of_the_longer_line_key_names_one_line(prefix_ledger):
    rows = explain_json(prefix_ledger, "in_p/Income:Sales/setup/deferral")
    assert [row["line"] for row in rows] == ["in_p/Income:Sales/setup"]
    (setup,) = rows
    assert [(entry["key"], entry["amount"]) for entry in setup["entries"]] == [
        ("in_p/Income:Sales/setup/deferral", "30.00"), ("in_p/Income:Sales/setup/recognition/2022-02-01", "30.00")]


# --- rules ---------------------------------------------------------------------------------------


def test_rules_table(ledger):
    out = ok("rules", ledger)
    what, use = tables(out)
    assert what == [
        ["rule", "match", "treatment", "effective"],
        ["old-promo", "product: widget", "immediate", "2022-01-01 to 2022-02-01"],
        ["widgets-6-months", "product: widget", "amortize 6 months monthly", "2022-01-01 to open"],
        ["widgets-yearly", "product: widget", "amortize 12 months monthly", "2022-01-01 to open"],
        ["gadgets", "product: gadget", "tax", "2022-01-01 to 2030-01-01"],
        ["late-support", "product: support", "defer 1 month", "2022-05-01 to open"],
    ]
    # governs: what the lines it wins bring in, il_w1's 600.00 and il_s2's 45.00
    assert use == [
        ["rule", "matched", "won", "lost", "governs", "status"],
        ["old-promo", "0", "0", "0", "", "never wins: expired"],
        ["widgets-6-months", "2", "1", "1", "600.00 USD", "active"],
        ["widgets-yearly", "2", "0", "2", "", "never wins: shadowed"],
        ["gadgets", "0", "0", "0", "", "matches no line"],
        ["late-support", "1", "1", "0", "45.00 USD", "active"],
    ]


def test_rules_json_exact(ledger):
    def row(name: str, effective: str, treatment: str, counts: tuple[int, int, int], lost_to: list[str],
            lost_lines: list[str], governs: list[str], status: str) -> dict[str, Any]:
        matched, won, lost = counts
        match = "product: " + {"gadgets": "gadget", "late-support": "support"}.get(name, "widget")
        return {"rule": name, "location": f"{ledger}:{rule_line(name)}", "match": match, "effective": effective,
                "treatment": treatment, "matched": matched, "won": won, "lost": lost, "lost_to": lost_to,
                "lost_lines": lost_lines, "governs": [{"number": number, "currency": "USD"} for number in governs],
                "status": status}

    assert json.loads(ok("rules", ledger, "--format", "json")) == [
        row("old-promo", "2022-01-01 to 2022-02-01", "immediate", (0, 0, 0), [], [], [], "never wins: expired"),
        row("widgets-6-months", "2022-01-01 to open", "amortize 6 months monthly", (2, 1, 1), ["override"],
            ["il_w2"], ["600.00"], "active"),
        row("widgets-yearly", "2022-01-01 to open", "amortize 12 months monthly", (2, 0, 2),
            ["override", "widgets-6-months"], ["il_w1", "il_w2"], [], "never wins: shadowed"),
        row("gadgets", "2022-01-01 to 2030-01-01", "tax", (0, 0, 0), [], [], [], "matches no line"),
        row("late-support", "2022-05-01 to open", "defer 1 month", (1, 1, 0), [], [], ["45.00"], "active"),
    ]


def test_rules_csv(ledger):
    rows = list(csv.reader(io.StringIO(ok("rules", ledger, "--format", "csv"))))
    assert rows == [
        ["rule", "location", "match", "effective", "treatment", "matched", "won", "lost", "lost_to", "governs",
         "status"],
        ["old-promo", f"{ledger}:5", "product: widget", "2022-01-01 to 2022-02-01", "immediate", "0", "0", "0", "",
         "", "never wins: expired"],
        ["widgets-6-months", f"{ledger}:10", "product: widget", "2022-01-01 to open", "amortize 6 months monthly",
         "2", "1", "1", "override", "600.00 USD", "active"],
        ["widgets-yearly", f"{ledger}:14", "product: widget", "2022-01-01 to open", "amortize 12 months monthly",
         "2", "0", "2", "override widgets-6-months", "", "never wins: shadowed"],
        ["gadgets", f"{ledger}:18", "product: gadget", "2022-01-01 to 2030-01-01", "tax", "0", "0", "0", "", "",
         "matches no line"],
        ["late-support", f"{ledger}:23", "product: support", "2022-05-01 to open", "defer 1 month", "1", "1", "0",
         "", "45.00 USD", "active"],
    ]


def test_rules_of_the_example_ledgers():
    what, use = tables(ok("rules", AMORTIZE))
    assert what[1:] == [
        ["onboarding-6-months", "product: prod_onboarding", "amortize 6 months monthly", "2022-01-01 to open"],
        ["training-from-payment", "product: prod_training", "amortize 3 months from payment monthly", "2022-01-01 to open"]]
    assert use[1:] == [["onboarding-6-months", "1", "1", "0", "600.00 USD", "active"],
                       ["training-from-payment", "1", "1", "0", "300.00 USD", "active"]]
    exclude = list(csv.DictReader(io.StringIO(ok("rules", EXCLUDE, "--format", "csv"))))
    assert [(row["rule"], row["location"], row["treatment"], row["matched"], row["won"], row["status"])
            for row in exclude] == [
        ("exclude-internal", f"{EXCLUDE}:14", "exclude", "1", "1", "active"),
        ("exclude-test-invoices", f"{EXCLUDE}:18", "exclude", "1", "1", "active"),
    ]
    (partial,) = json.loads(ok("rules", PARTIAL, "--format", "json"))
    assert (partial["rule"], partial["matched"], partial["won"], partial["lost"], partial["status"]) == (
        "prepaid-usage", 1, 1, 0, "active")


def test_extending_the_expired_rule_makes_it_win(tmp_path):
    # old-promo effective until 2031: written first, it now wins il_w1 (il_w2 keeps its override)
    # and shadows widgets-6-months; il_w1 is then recognised immediately (nothing generated)
    path = tmp_path / "extended.beancount"
    path.write_text(RULES_LEDGER.replace("effective-until: 2022-02-01", "effective-until: 2031-01-01"),
                    encoding="utf-8")
    rows = {row["rule"]: row for row in json.loads(ok("rules", path, "--format", "json"))}
    old, six = rows["old-promo"], rows["widgets-6-months"]
    assert (old["effective"], old["matched"], old["won"], old["lost"], old["lost_to"], old["status"]) == (
        "2022-01-01 to 2031-01-01", 2, 1, 1, ["override"], "active")
    assert (six["matched"], six["won"], six["lost"], six["lost_to"], six["status"]) == (
        2, 0, 2, ["old-promo", "override"], "never wins: shadowed")
    (row,) = explain_json(path, "il_w1")
    assert row["rules"][0]["verdict"] == "matches: applied (the first matching rule)"
    # nothing of its own; the credit cn_w1 of 60.00 goes to contra revenue, all of it recognised already
    assert (row["rule"], row["treatment"]) == ("old-promo", "immediate")
    assert [(entry["key"], entry["debit"], entry["credit"], entry["amount"]) for entry in row["entries"]] == [
        ("cn_w1/Income:Sales/widget/contra", "Income:Refunds", "Income:Sales", "60.00")]


# --- description and amount range: their verdicts -------------------------------------------------


def test_explain_description_and_amount_verdicts():
    # il_da3: 600.00 USD, "Implementation for Globex", no service period
    (row,) = explain_json(DESCRIPTION_AMOUNT, "il_da3")
    assert [(rule["rule"], rule["verdict"]) for rule in row["rules"]] == [
        ("avatax", 'no: description "Implementation for Globex" does not contain "AvaTax"'),
        ("large-implementations", "no: amount 600.00 USD is below min-amount 1000.00 USD"),
        ("card-surcharge", "no: amount 600.00 USD is above max-amount 2.50 USD"),
        ("invoice-lines", "matches: applied (the first matching rule)"),
    ]
    # 90% ratable without a service period is recognised at once: only the 10% passthrough is generated
    assert (row["rule"], row["treatment"]) == ("invoice-lines", "90% ratable + 10% passthrough")
    assert [(entry["date"], entry["kind"], entry["debit"], entry["credit"], entry["amount"])
            for entry in row["entries"]] == [
        ("2022-04-20", "reclass", "Income:Sales", "Liabilities:PassthroughFees", "60.00")]


def test_explain_description_from_the_postings_metadata():
    # il_da2's description: metadata, not its transaction's narration "Implementation for Acme", is searched
    out = ok("explain", DESCRIPTION_AMOUNT, "il_da2")
    rules, entries = tables(out)
    assert rules[1:3] == [["avatax", "matches: applied (the first matching rule)"],
                          ["large-implementations",
                           'no: description "Sales Tax calculated by AvaTax" does not contain "implementation"']]
    assert entries == entry_rows(("2022-04-05", "reclass", "Income:Sales / Liabilities:TaxLiability", "10.00 USD"))
    assert too_wide(out) == []


def test_explain_amount_in_another_currency(tmp_path):
    path = tmp_path / "euro.beancount"
    path.write_text(DESCRIPTION_AMOUNT.read_text(encoding="utf-8") + """
2022-04-26 * "Initech" "Card surcharge"
  Assets:Bank                   2.50 EUR
  Income:Sales                 -2.50 EUR
    line: "il_eur"
""", encoding="utf-8")
    (row,) = explain_json(path, "il_eur")
    assert [rule["verdict"] for rule in row["rules"]] == [
        'no: description "Card surcharge" does not contain "AvaTax"',
        'no: description "Card surcharge" does not contain "implementation"',
        "no: amount 2.50 EUR is not in USD (min-amount 2.50 USD)",
        'no: source is "payment", not "invoice"',
    ]
    assert (row["rule"], row["entries"]) == ("default", [])


def test_rules_of_the_description_and_amount_ledger():
    # what each rule governs: il_da2's 10.00 (avatax), il_da1's 1200.00, il_da4's 2.50 and il_da3's 600.00
    rows = json.loads(ok("rules", DESCRIPTION_AMOUNT, "--format", "json"))
    assert [(row["rule"], row["match"], row["treatment"], row["matched"], row["won"], row["lost"], row["lost_to"],
             row["governs"], row["status"]) for row in rows] == [
        ("avatax", "description: AvaTax", "tax", 1, 1, 0, [], [{"number": "10.00", "currency": "USD"}], "active"),
        ("large-implementations", "description: implementation, min-amount: 1000.00 USD",
         "amortize 4 months monthly", 1, 1, 0, [], [{"number": "1200.00", "currency": "USD"}], "active"),
        ("card-surcharge", "min-amount: 2.50 USD, max-amount: 2.50 USD", "fee", 1, 1, 0, [],
         [{"number": "2.50", "currency": "USD"}], "active"),
        ("invoice-lines", "source: invoice", "90% ratable + 10% passthrough", 3, 1, 2,
         ["avatax", "large-implementations"], [{"number": "600.00", "currency": "USD"}], "active"),
    ]


# --- widths --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "ident"), [(AMORTIZE, "in_am2"), (EVERY, "in_111"), (PARTIAL, "il_AAA"),
                                             (LEDGERS / "rules-allocate.beancount", "in_al1")])
def test_explain_table_fits_80_columns(path, ident):
    out = ok("explain", path, ident)
    assert too_wide(out) == []


def test_explain_table_fits_80_columns_for_the_rules_ledger(ledger):
    for ident in ("il_w1", "il_w2", "il_s1", "cn_w1"):
        assert too_wide(ok("explain", ledger, ident)) == [], ident


def test_rules_table_fits_80_columns(ledger):
    for path in (ledger, AMORTIZE, EXCLUDE, PARTIAL):
        assert too_wide(ok("rules", path)) == [], path


# --- the installed console script ----------------------------------------------------------------


def test_explain_subprocess():
    result = run_tool("bean-revrec", "explain", PARTIAL, "il_AAA", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads(result.stdout) == explain_json(PARTIAL, "il_AAA")
    (row,) = json.loads(result.stdout)
    assert [entry["amount"] for entry in row["entries"]] == ["100.00", "10.00", "90.00"]


def test_rules_subprocess(ledger):
    result = run_tool("bean-revrec", "rules", ledger)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ok("rules", ledger)
    assert [row[-1] for row in tables(result.stdout)[1][1:]] == [
        "never wins: expired", "active", "never wins: shadowed", "matches no line", "active"]


def test_explain_every_revrec_key_of_a_contract():
    # SPEC 7.1: the item carries the revenue (its recognitions move the contract asset too), the schedule bills
    ledger = LEDGERS / "example-7.1.beancount"
    (item,) = explain_json(ledger, "ct_1/platform/recognition/2022-01-31")
    assert explain_json(ledger, "ct_1/platform") == [item]
    assert (item["kind"], item["line"], item["rule"], item["treatment"], item["rules"]) == (
        "contract item", "ct_1/platform", "contract", "ratable", [])
    assert item["entries"][0] == {
        "date": "2022-01-31", "kind": "recognition", "key": "ct_1/platform/recognition/2022-01-31",
        "debit": "Liabilities:DeferredRevenue + Assets:ContractAssets", "credit": "Income:Subscriptions",
        "amount": "424.66", "currency": "USD"}
    assert sum(Decimal(entry["amount"]) for entry in item["entries"]) == Decimal("10000.00")
    (billing,) = explain_json(ledger, "ct_1/billing/USD/2022-03-01")
    assert (billing["kind"], billing["line"], billing["amount"], billing["treatment"]) == (
        "billing schedule", "ct_1", "10000.00", "billing")
    assert [entry["amount"] for entry in billing["entries"][:3]] == ["416.67", "416.66", "416.67"]
    assert sum(Decimal(entry["amount"]) for entry in billing["entries"]) == Decimal("10000.00")
    assert ok("explain", ledger, "ct_1/platform").startswith("Contract item ct_1/platform\n")
    assert "(none: contract items and their billing follow the contract, not rules)" in ok("explain", ledger, "ct_1")


def test_explain_a_correction_key_shows_what_the_ledger_books():
    # SPEC 8.1: January-June as frozen, then the corrections on 2022-07-01; together the 1200.00 of the line
    ledger = LEDGERS / "example-8.1.beancount"
    (row,) = explain_json(ledger, "in_81/Income:Sales/prod_licence/recognition/2022-01-31/correction/2022-07-01")
    assert row["line"] == "in_81/Income:Sales/prod_licence"
    assert [(entry["date"], entry["kind"], entry["amount"]) for entry in row["entries"]] == [
        ("2022-01-01", "deferral", "1200.00"),
        *((day, "recognition", amount) for day, amount in (
            ("2022-01-31", "101.92"), ("2022-02-28", "92.05"), ("2022-03-31", "101.92"), ("2022-04-30", "98.63"),
            ("2022-05-31", "101.92"), ("2022-06-30", "98.63"))),
        *(("2022-07-01", "correction", amount)
          for amount in ("103.60", "93.59", "103.61", "100.26", "103.60", "100.27"))]
    assert sum(Decimal(entry["amount"]) for entry in row["entries"][1:]) == Decimal("1200.00")


def test_explain_works_on_a_ledger_with_errors(tmp_path: Path):
    # explain is the debugging tool: it says the ledger has errors (on stderr) and explains all the same
    path = tmp_path / "unbalanced.beancount"
    path.write_text(UNBALANCED, encoding="utf-8")
    result = run_tool("bean-revrec", "explain", path, "in_1", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == (f"Note: {path} has 1 error(s) (bean-check {path} lists them); what follows is what the "
                             "plugin makes of it now.\n")
    (row,) = json.loads(result.stdout)
    assert (row["line"], row["amount"], row["treatment"], row["entries"]) == (
        "in_1/Income:Sales", "-30.00", "immediate", [])


# --- errors: one line, "Error:", non-zero exit ---------------------------------------------------

UNBALANCED = """\
plugin "beancount_revrec"
2022-01-01 open Assets:AccountsReceivable
2022-01-01 open Income:Sales

2022-01-15 * "Acme" "Plan"
  invoice: "in_1"
  Assets:AccountsReceivable   31.00 USD
  Income:Sales               -30.00 USD
"""
NO_PLUGIN = """\
2022-01-01 open Assets:AccountsReceivable
2022-01-01 open Income:Sales

2022-01-01 custom "revrec-rule" "everything"
  account: "Income"
  treatment: "tax"

2022-01-15 * "Acme" "Plan"
  invoice: "in_1"
  Assets:AccountsReceivable   31.00 USD
  Income:Sales               -31.00 USD
"""
FILES = {"unbalanced": UNBALANCED, "no-plugin": NO_PLUGIN}

ERRORS = [
    pytest.param(["explain", "{missing}", "il_AAA"], ["no such ledger file", "{missing}"], id="explain-missing-file"),
    pytest.param(["rules", "{missing}"], ["no such ledger file", "{missing}"], id="rules-missing-file"),
    pytest.param(["rules", "{tmp}"], ["no such ledger file"], id="rules-directory"),
    pytest.param(["rules", "{unbalanced}", "--format", "json"],
                 ["1 error(s)", "{unbalanced}:5", "Transaction does not balance"], id="rules-ledger-with-errors"),
    pytest.param(["explain", "{no-plugin}", "in_1"], ["does not enable the plugin", 'plugin "beancount_revrec"'],
                 id="explain-without-plugin"),
    pytest.param(["rules", "{no-plugin}"], ["does not enable the plugin", 'plugin "beancount_revrec"'],
                 id="rules-without-plugin"),
    pytest.param(["explain", str(PARTIAL), "il_ZZZ"],
                 ['no line, invoice, contract item or revrec-key "il_ZZZ"', str(PARTIAL)],
                 id="explain-unknown-id"),
    pytest.param(["rules", str(EVERY)], ["has no revrec-rule", str(EVERY)], id="rules-without-rules"),
    pytest.param(["rules", str(CREDITS), "--format", "csv"], ["has no revrec-rule"], id="rules-without-rules-csv"),
]


def fill(items: list[str], tmp_path: Path) -> list[str]:
    names = {"missing": str(tmp_path / "missing.beancount"), "tmp": str(tmp_path)}
    for name, text in FILES.items():
        path = tmp_path / f"{name}.beancount"
        path.write_text(text, encoding="utf-8")
        names[name] = str(path)
    return [item.format(**names) for item in items]


@pytest.mark.parametrize(("args", "words"), ERRORS)
def test_error_cli_runner(tmp_path, args, words):
    result = invoke(*fill(args, tmp_path))
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert_one_error_line(result.output, *fill(words, tmp_path))


@pytest.mark.parametrize(("args", "words"), ERRORS)
def test_error_subprocess(tmp_path, args, words):
    result = run_tool("bean-revrec", *fill(args, tmp_path))
    assert result.returncode != 0, result.stdout
    assert result.stdout == ""
    assert_one_error_line(result.stdout + result.stderr, *fill(words, tmp_path))


def test_schedule_is_the_income_statement_by_month_and_account() -> None:
    ledger = LEDGERS / "every-treatment.beancount"
    rows = json.loads(ok("schedule", ledger, "--from", "2022-01", "--months", "24", "--format", "json"))
    expected = {key: -amount for key, amount in monthly_table(ledger).items() if key[1].startswith("Income:")}
    assert {(row["month"], row["account"]): Decimal(row["revenue"]) for row in rows} == expected
    assert {row["status"] for row in rows} == {"recognised", "scheduled"}


def test_schedule_by_contract_as_a_table() -> None:
    output = ok("schedule", LEDGERS / "contracts.beancount", "--from", "2022-06", "--months", "2", "--by", "contract")
    assert output.splitlines()[1].split() == ["month", "status", "ct_arrears", "USD", "ct_multi", "USD", "total", "USD"]
    assert output.splitlines()[3].split() == ["2022-06", "recognised", "1000.00", "1000.00", "2000.00"]
    assert output.splitlines()[4].split() == ["2022-07", "recognised", "1500.00", "1500.00"]
