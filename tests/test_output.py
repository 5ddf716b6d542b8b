"""Tables on the terminal (``output.table``, laid out by tabulate) and explain's wrapped text.

A table fits 80 columns where wrapping cells at spaces can make it fit; a word (an account,
a key, a date, an amount with its currency) is never broken: it widens its column instead.
Cells are printed as given, and ``tables()`` reads a wrapped table back whole.
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from pathlib import Path

import openpyxl

from beancount_revrec.output import render, table, workbook
from tests.conftest import ok, tables

KEY_JAN = "il_000123/recognition/2022-01-31"
KEY_FEB = "il_000123/recognition/2022-02-28"
DEFERRED = "Liabilities:DeferredRevenue"


def test_a_table_that_fits_keeps_the_simple_layout():
    out = table([["2022-01-31", "recognition", "10.00 USD"], ["2022-02-28", "deferral", "416.67 USD"]],
                ["date", "kind", "amount"])
    assert out == ("date        kind         amount\n"
                   "----------  -----------  ----------\n"
                   "2022-01-31  recognition  10.00 USD\n"
                   "2022-02-28  deferral     416.67 USD\n")
    assert tables(out) == [[["date", "kind", "amount"], ["2022-01-31", "recognition", "10.00 USD"],
                            ["2022-02-28", "deferral", "416.67 USD"]]]


def test_an_empty_table_is_its_header_and_rule():
    assert table([], ["rule", "verdict"]) == "rule    verdict\n------  ---------\n"


def test_accounts_and_amounts_are_never_broken_in_a_narrow_table():
    # 30 columns cannot hold this table: it is as narrow as whole words allow, wrapped at spaces only
    cells = [["2022-01-31", f"{DEFERRED} / Income:Subscriptions", "416.67 USD"],
             ["2022-02-28", f"Assets:US:BofA-Checking / {DEFERRED}", "-1,416.67 USD"]]
    out = table(cells, ["date", "debit / credit", "amount"], width=30)
    assert out == ("date        debit / credit               amount\n"
                   "----------  ---------------------------  -------------\n"
                   "2022-01-31  Liabilities:DeferredRevenue  416.67 USD\n"
                   "            / Income:Subscriptions\n"
                   "2022-02-28  Assets:US:BofA-Checking /    -1,416.67 USD\n"
                   "            Liabilities:DeferredRevenue\n")
    assert tables(out) == [[["date", "debit / credit", "amount"], *cells]]


def test_a_key_longer_than_its_column_widens_the_column():
    out = table([["in_1", f"{KEY_JAN} {KEY_FEB}"]], ["invoice", "keys"], width=20)
    assert out.splitlines() == ["invoice    keys",
                                "---------  --------------------------------",
                                f"in_1       {KEY_JAN}",
                                f"           {KEY_FEB}"]
    assert tables(out) == [[["invoice", "keys"], ["in_1", f"{KEY_JAN} {KEY_FEB}"]]]


def test_a_long_cell_wraps_at_spaces_to_fit_80_columns():
    verdict = ("does not match: product is prod_onboarding-6-months, not prod_training-from-payment; "
               "customer is ACME, not Initech")
    out = table([["widgets-6-months", verdict], ["widgets-yearly", "shadowed"]], ["rule", "verdict"])
    assert out == ("rule              verdict\n"
                   "----------------  ---------------------------------------------------------\n"
                   "widgets-6-months  does not match: product is prod_onboarding-6-months, not\n"
                   "                  prod_training-from-payment; customer is ACME, not Initech\n"
                   "widgets-yearly    shadowed\n")
    assert max(len(line) for line in out.splitlines()) <= 80
    # the wrapped cell is read back as one cell
    assert tables(out) == [[["rule", "verdict"], ["widgets-6-months", verdict], ["widgets-yearly", "shadowed"]]]


def test_a_table_too_wide_anyway_keeps_readable_columns():
    # the first column never wraps; the table cannot fit 80, so the verdict keeps 20 columns
    rule = "enterprise-platform-annual-subscription-with-premium-support-and-onboarding"
    out = table([[rule, "matches: applied (the first matching rule)"]], ["rule", "verdict"])
    assert out.splitlines()[2:] == [f"{rule}  matches: applied",
                                    f"{' ' * len(rule)}  (the first matching",
                                    f"{' ' * len(rule)}  rule)"]


def test_cells_are_printed_as_given_not_as_parsed_numbers():
    out = table([["a", "10.00"], ["b", "1e3"], ["c", "007"], ["d", "-0.50"], ["e", "1,000.00"]], ["x", "amount"])
    assert out == ("x    amount\n"
                   "---  --------\n"
                   "a    10.00\n"
                   "b    1e3\n"
                   "c    007\n"
                   "d    -0.50\n"
                   "e    1,000.00\n")


def test_render_table_writes_decimals_lists_and_none_as_text():
    out = render([{"amount": Decimal("10.00"), "tags": ["a", "b"], "none": None}], ["amount", "tags", "none"], "table")
    assert out == ("amount    tags    none\n"
                   "--------  ------  ------\n"
                   "10.00     a b\n")


LONG_PRODUCT = "prod_enterprise-platform-annual-subscription-with-premium-support-and-onboarding"
LONG_RULE = "enterprise-platform-annual-subscription-with-premium-support-and-onboarding"


def test_explain_text_never_breaks_a_word(tmp_path: Path):
    path = tmp_path / "long.beancount"
    path.write_text(f"""\
plugin "beancount_revrec"
2022-01-01 open Assets:AccountsReceivable
2022-01-01 open Income:Sales

2022-01-01 custom "revrec-rule" "{LONG_RULE}"
  product: "{LONG_PRODUCT}"
  treatment: "amortize 3 months monthly"

2022-06-01 * "Customer" "Platform"
  invoice: "in_1"
  Assets:AccountsReceivable   300.00 USD
  Income:Sales               -300.00 USD
    product: "{LONG_PRODUCT}"
    line: "il_AAA"
""", encoding="utf-8")
    lines = ok("explain", path, "il_AAA").splitlines()
    # the source line keeps its path whole; wrapped text moves a long word whole to the next line
    assert lines[1] == f"  source {path}:12"
    assert "  invoice in_1, line il_AAA, customer Customer, product" in lines
    assert f"    {LONG_PRODUCT}," in lines
    assert "Treatment: amortize 3 months monthly  (rule:" in lines
    assert f"  {LONG_RULE})" in lines
    rules = tables("\n".join(lines))[0]
    assert rules == [["rule", "verdict"], [LONG_RULE, "matches: applied (the first matching rule)"]]


def test_a_workbook_holds_amounts_counts_and_dates_as_numbers_and_the_rest_as_the_csvs_text() -> None:
    rows = [{"month": "2022-03", "revenue": Decimal("1234.50"), "matched": 3, "day": datetime.date(2022, 3, 31),
             "lost_to": ("a", "b"), "none": None},
            {"month": "2022-04", "revenue": Decimal("-0.01"), "matched": 0, "day": datetime.date(2022, 4, 30),
             "lost_to": (), "none": None}]
    columns = ["month", "revenue", "matched", "day", "lost_to", "none"]
    sheet = openpyxl.load_workbook(io.BytesIO(workbook(rows, columns, "schedule"))).active
    assert sheet.title == "schedule"
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[0] == tuple(columns)
    assert cells[1][:3] == ("2022-03", 1234.5, 3)
    assert cells[1][3].date() == datetime.date(2022, 3, 31)  # a date cell (openpyxl reads it as a datetime)
    assert cells[1][4:] == ("a b", None)
    assert cells[2][1:3] == (-0.01, 0)
    assert sheet["B2"].number_format == "#,##0.00"  # shown with the amount's places
    assert sheet["D2"].number_format == "yyyy-mm-dd"
    assert render(rows, columns, "csv").splitlines()[1] == "2022-03,1234.50,3,2022-03-31,a b,"
