"""Bad input in real ledgers (SPEC section 1.3: errors, not exceptions).

Every case loads a ledger file with ``beancount.loader.load_file`` and checks that
the error points at the real file and the exact line of the offending directive or
posting, says what is wrong, carries no traceback, and that the rest of the ledger
still loads: a valid invoice next to the bad input still gets its exact schedule,
and the bad line stays as the user booked it.
"""

from __future__ import annotations

import datetime
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from beancount.core.data import Custom, Open, Transaction

from tests.conftest import Loaded, lineno, load_text

D = Decimal
date = datetime.date

HEADER = """\
plugin "beancount_revrec"
2022-01-01 open Assets:AccountsReceivable
2022-01-01 open Income:Sales
"""

OPENS = """\
2022-01-01 open Assets:AccountsReceivable
2022-01-01 open Income:Sales
"""

# SPEC example 4.1: deferral 31.00 on 2022-01-15, recognitions 17.00 and 14.00.
GOOD = """
2022-01-15 * "Acme" "Monthly plan"
  invoice: "in_31"
  Assets:AccountsReceivable   31.00 USD
  Income:Sales               -31.00 USD
    line: "il_BBB"
    service-start: 2022-01-15
    service-end: 2022-02-15
"""
GOOD_RECOGNITIONS = [(date(2022, 1, 31), D("17.00")), (date(2022, 2, 14), D("14.00"))]

BAD_POSTING = "Income:Sales               -40.00 USD"


def bad_invoice(*posting_meta: str) -> str:
    """An invoice of 40.00 USD whose revenue posting carries ``posting_meta``."""
    meta = "".join(f"    {item}\n" for item in posting_meta)
    return f"""
2022-03-01 * "Beta" "Annual plan"
  invoice: "in_bad"
  Assets:AccountsReceivable   40.00 USD
  {BAD_POSTING}
{meta}"""


def generated(entries: list[Any], invoice: str | None = None) -> list[Transaction]:
    return [entry for entry in entries
            if isinstance(entry, Transaction) and "revrec" in entry.tags
            and (invoice is None or entry.meta.get("invoice") == invoice)]


def revenue_moves(entries: list[Any], invoice: str, kind: str) -> list[tuple[datetime.date, Decimal]]:
    """(date, amount) of the generated ``kind`` entries of ``invoice``, amount as it leaves/enters revenue."""
    moves = []
    for entry in generated(entries, invoice):
        if entry.meta.get("revrec-kind") != kind:
            continue
        (number,) = [posting.units.number for posting in entry.postings if posting.account == "Income:Sales"]
        moves.append((entry.date, number if kind == "deferral" else -number))
    return sorted(moves)


def recognitions(entries: list[Any], invoice: str) -> list[tuple[datetime.date, Decimal]]:
    return revenue_moves(entries, invoice, "recognition")


def assert_no_crash(errors: list[Any]) -> None:
    for error in errors:
        assert "Traceback" not in error.message
        assert "internal error" not in error.message, error.message


def assert_located_error(loaded: Loaded, line: int, *words: str, alone: bool = True) -> Any:
    """The error at ``loaded.path``:``line`` that contains all ``words``; with ``alone``, the only error."""
    assert_no_crash(loaded.errors)
    shown = [(error.source and (error.source.get("filename"), error.source.get("lineno")), error.message)
             for error in loaded.errors]
    here = [error for error in loaded.errors
            if error.source and error.source.get("filename") == str(loaded.path)
            and error.source.get("lineno") == line]
    assert here, f"no error at {loaded.path}:{line}; errors: {shown}"
    matching = [error for error in here if all(word in error.message for word in words)]
    assert matching, f"no error at line {line} says {words}; errors: {shown}"
    if alone:
        assert len(loaded.errors) == 1, f"expected one error, got {shown}"
    return matching[0]


def assert_good_invoice_still_works(entries: list[Any]) -> None:
    assert revenue_moves(entries, "in_31", "deferral") == [(date(2022, 1, 15), D("31.00"))]
    assert recognitions(entries, "in_31") == GOOD_RECOGNITIONS


def assert_booked_as_is(entries: list[Any], invoice: str = "in_bad", amount: str = "-40.00") -> None:
    assert generated(entries, invoice) == []
    assert not [entry for entry in generated(entries) if invoice in entry.meta.get("revrec-key", "")]
    (original,) = [entry for entry in entries
                   if isinstance(entry, Transaction) and entry.meta.get("invoice") == invoice]
    assert "revrec" not in original.tags
    assert [(posting.account, posting.units.number) for posting in original.postings] == [
        ("Assets:AccountsReceivable", -D(amount)), ("Income:Sales", D(amount))]


# --- malformed treatments in a posting's revrec: override ------------------------------------------

MALFORMED = [
    pytest.param("", ("empty treatment",), id="empty"),
    pytest.param("straight-line", ('unknown action "straight-line"', "ratable"), id="unknown-action"),
    pytest.param("80%", ("share 80% has no action",), id="share-without-action"),
    pytest.param("abc% ratable", ('bad share "abc%"',), id="share-not-a-number"),
    pytest.param("0% ratable", ('bad share "0%"', "above 0"), id="share-zero"),
    pytest.param("150% ratable", ('bad share "150%"', "at most 100"), id="share-above-100"),
    pytest.param("80% ratable + 30% immediate", ("shares add up to 110%", "not 100%"), id="shares-not-100"),
    pytest.param("ratable + immediate", ("needs a share", "80% ratable + 20% immediate"), id="mixed-no-shares"),
    pytest.param("ratable +", ("empty part",), id="empty-part"),
    pytest.param("50% fulfillment + 50% fulfillment", ('only one "fulfillment" part',), id="two-fulfillments"),
    pytest.param("amortize", ('"amortize" needs a duration', "amortize 12 months"), id="amortize-no-duration"),
    pytest.param("defer", ('"defer" needs a duration', "defer 12 months"), id="defer-no-duration"),
    pytest.param("amortize 12", ('duration "12" needs a unit', 'got "nothing"'), id="duration-no-unit"),
    pytest.param("defer 3 weeks", ('duration "3" needs a unit', 'got "weeks"'), id="duration-bad-unit"),
    pytest.param("amortize twelve months", ("whole number", 'got "twelve"'), id="count-not-integer"),
    pytest.param("amortize ² months", ("whole number", '"²"'), id="count-not-ascii-digit"),
    pytest.param("amortize 12 months from", ('"from" needs an anchor',), id="from-no-anchor"),
    pytest.param("defer 3 months from tomorrow", ('unknown anchor "tomorrow"',), id="unknown-anchor"),
    pytest.param("on", ('"on" needs a date', "on 2023-01-01"), id="on-no-date"),
    pytest.param("on 2023-02-30", ('"on" needs a date like 2023-01-01', 'got "2023-02-30"'), id="on-bad-date"),
    pytest.param("immediate now", ('unexpected "now" after "immediate"',), id="junk-after-immediate"),
    pytest.param("tax please", ('unexpected "please" after "tax"',), id="junk-after-tax"),
    pytest.param("ratable yearly", ('unexpected "yearly" after "ratable"',), id="junk-after-ratable"),
    pytest.param("amortize 12 months straight", ('unexpected "straight" after "amortize"',),
                 id="junk-after-amortize"),
    pytest.param("defer 3 months later", ('unexpected "later" after "defer"',), id="junk-after-defer"),
    pytest.param("on 2023-01-01 noon", ('unexpected "noon" after "on"',), id="junk-after-on"),
    pytest.param("fulfillment 6 months or so", ('unexpected "or so" after "fulfillment"',),
                 id="junk-after-fulfillment"),
    pytest.param("amortize 12 months monthly from payment", ('"from" is out of place after "amortize"',),
                 id="method-before-anchor"),
    pytest.param("defer 3 months monthly", ('"monthly" is out of place after "defer"',), id="method-on-defer"),
]


@pytest.mark.parametrize(("treatment", "words"), MALFORMED)
def test_malformed_override(tmp_path, treatment, words):
    text = HEADER + GOOD + bad_invoice("service-start: 2022-03-01", "service-end: 2022-05-01",
                                       f'revrec: "{treatment}"')
    loaded = load_text(tmp_path, text)
    assert_located_error(loaded, lineno(text, BAD_POSTING), f'revrec: "{treatment}"', *words)
    assert_good_invoice_still_works(loaded.entries)
    assert_booked_as_is(loaded.entries)


def test_shares_not_adding_up_to_100(tmp_path):
    text = HEADER + GOOD + bad_invoice("service-start: 2022-03-01", "service-end: 2022-05-01",
                                       'revrec: "50% ratable + 40% immediate"')
    loaded = load_text(tmp_path, text)
    assert_located_error(loaded, lineno(text, BAD_POSTING), "shares add up to 90%", "not 100%")
    assert_good_invoice_still_works(loaded.entries)
    assert_booked_as_is(loaded.entries)


def test_error_points_at_the_right_posting_of_a_multi_line_invoice(tmp_path):
    text = HEADER + "2022-01-01 open Income:Support\n" + GOOD + """
2022-03-01 * "Beta" "Plan and support"
  invoice: "in_two"
  Assets:AccountsReceivable   70.00 USD
  Income:Sales               -30.00 USD
    service-start: 2022-03-01
    service-end: 2022-04-01
  Income:Support             -40.00 USD
    revrec: "ratable weekly"
"""
    loaded = load_text(tmp_path, text)
    assert_located_error(loaded, lineno(text, "Income:Support             -40.00 USD"),
                         'unexpected "weekly" after "ratable"')
    assert_good_invoice_still_works(loaded.entries)
    # the sibling posting of the same invoice is still deferred and recognised
    assert recognitions(loaded.entries, "in_two") == [(date(2022, 3, 31), D("30.00"))]
    assert not [entry for entry in generated(loaded.entries, "in_two")
                if any(posting.account == "Income:Support" for posting in entry.postings)]


# --- service periods -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        pytest.param("2022-03-01", "2022-03-01",
                     ("service-end 2022-03-01 must be after service-start 2022-03-01", "first day after"),
                     id="equal"),
        pytest.param("2022-03-01", "2022-02-01",
                     ("service-end 2022-02-01 must be after service-start 2022-03-01", "exclusive"),
                     id="earlier"),
    ],
)
def test_service_end_not_after_start(tmp_path, start, end, words):
    text = HEADER + GOOD + bad_invoice(f"service-start: {start}", f"service-end: {end}")
    loaded = load_text(tmp_path, text)
    assert_located_error(loaded, lineno(text, BAD_POSTING), *words)
    assert_good_invoice_still_works(loaded.entries)
    assert_booked_as_is(loaded.entries)


@pytest.mark.parametrize(
    ("meta", "words"),
    [
        pytest.param(('service-start: "2022-03-01"', "service-end: 2022-05-01"),
                     ("service-start: must be a date", "without quotes", "'2022-03-01'"), id="start-string"),
        pytest.param(("service-start: 2022-03-01", 'service-end: "2022-05-01"'),
                     ("service-end: must be a date", "without quotes", "'2022-05-01'"), id="end-string"),
        pytest.param(("service-start: 2022-03-01",), ("service-end: must be a date", "missing"), id="end-missing"),
        pytest.param(("service-end: 2022-05-01",), ("service-start: must be a date", "missing"),
                     id="start-missing"),
    ],
)
def test_service_date_not_a_date(tmp_path, meta, words):
    text = HEADER + GOOD + bad_invoice(*meta)
    loaded = load_text(tmp_path, text)
    assert_located_error(loaded, lineno(text, BAD_POSTING), *words)
    assert_good_invoice_still_works(loaded.entries)
    assert_booked_as_is(loaded.entries)


@pytest.mark.parametrize("treatment", ["ratable", "ratable monthly", "100% ratable"])
def test_ratable_without_service_period(tmp_path, treatment):
    # the line's own revrec: asks for ratable alone: without a service period that is an error
    text = HEADER + GOOD + bad_invoice(f'revrec: "{treatment}"')
    loaded = load_text(tmp_path, text)
    assert_located_error(loaded, lineno(text, BAD_POSTING), f'treatment "{treatment}"',
                         "ratable needs a service period", "service-start:", "service-end:",
                         'or write revrec: "immediate"')
    assert_good_invoice_still_works(loaded.entries)
    assert_booked_as_is(loaded.entries)


@pytest.mark.parametrize(("treatment", "taxed"), [("80% ratable + 20% immediate", None),
                                                  ("90% ratable monthly + 10% tax", "4.00")])
def test_ratable_share_without_service_period_is_recognised_at_once(tmp_path, treatment, taxed):
    # a ratable share of a mixed treatment is recognised on the line's date, as Stripe recognises a
    # line without a period when its invoice finalizes: nothing deferred, the other parts as written
    text = HEADER + GOOD + bad_invoice(f'revrec: "{treatment}"')
    loaded = load_text(tmp_path, text)
    assert loaded.errors == []
    assert_good_invoice_still_works(loaded.entries)
    made = generated(loaded.entries, "in_bad")
    assert [entry.meta["revrec-kind"] for entry in made] == ([] if taxed is None else ["reclass"])
    for entry in made:
        assert entry.date == date(2022, 3, 1)
        assert {posting.account: posting.units.number for posting in entry.postings} == {
            "Income:Sales": D(taxed), "Liabilities:TaxLiability": -D(taxed)}  # 10% of 40.00 out of revenue


@pytest.mark.parametrize(
    "treatment",
    ["amortize 12 months from service-start", "defer 3 months from service-start", "fulfillment from service-start"],
)
def test_from_service_start_without_service_period(tmp_path, treatment):
    text = HEADER + GOOD + bad_invoice(f'revrec: "{treatment}"')
    loaded = load_text(tmp_path, text)
    assert_located_error(loaded, lineno(text, BAD_POSTING), f'treatment "{treatment}"',
                         '"from service-start" needs service-start:')
    assert_good_invoice_still_works(loaded.entries)
    assert_booked_as_is(loaded.entries)


def test_quantity_not_a_positive_number(tmp_path):
    text = HEADER + GOOD + bad_invoice('quantity: "ten"', 'revrec: "fulfillment"')
    loaded = load_text(tmp_path, text)
    assert_located_error(loaded, lineno(text, BAD_POSTING), "quantity: must be a positive number", "'ten'")
    assert_good_invoice_still_works(loaded.entries)
    assert_booked_as_is(loaded.entries)


# --- revrec-fulfill events -----------------------------------------------------------------------

FULFIL = """
2022-06-01 * "Customer" "Prepaid package"
  invoice: "in_1"
  Assets:AccountsReceivable   100.00 USD
  Income:Sales               -100.00 USD
    line: "il_AAA"
    revrec: "fulfillment"

2022-07-29 custom "revrec-fulfill" "il_AAA" 10.00 USD
"""
# the valid event recognises 10.00; the rest falls back to 2022-06-01 + 1 year
FULFIL_RECOGNITIONS = [(date(2022, 7, 29), D("10.00")), (date(2023, 6, 1), D("90.00"))]

BAD_EVENTS = [
    pytest.param('2022-08-10 custom "revrec-fulfill" "il_ZZZ" 5.00 USD',
                 ('unknown line "il_ZZZ"', 'line: "ID"'), id="unknown-line"),
    pytest.param('2022-08-10 custom "revrec-fulfill" "il_BBB" 5.00 USD',
                 ('line "il_BBB"', 'not "fulfillment"', 'revrec: "fulfillment"'), id="not-fulfillment"),
    pytest.param('2022-08-10 custom "revrec-fulfill" "il_AAA" 5.00 EUR',
                 ("in EUR", 'line "il_AAA" is in USD'), id="wrong-currency"),
    pytest.param('2022-05-31 custom "revrec-fulfill" "il_AAA" 5.00 USD',
                 ("2022-05-31 is before its line's date 2022-06-01",), id="before-invoice"),
    pytest.param('2023-06-02 custom "revrec-fulfill" "il_AAA" 5.00 USD',
                 ("after the fallback date 2023-06-01",), id="after-fallback"),
    pytest.param('2022-08-10 custom "revrec-fulfill" "il_AAA" 5',
                 ('by units needs quantity: on line "il_AAA"',), id="units-without-quantity"),
    pytest.param('2022-08-10 custom "revrec-fulfill" "il_AAA" Assets:AccountsReceivable',
                 ("'Assets:AccountsReceivable'", "not an amount, a number of units or a percentage"),
                 id="bare-account"),
    pytest.param('2022-08-10 custom "revrec-fulfill" "il_AAA" -5.00 USD',
                 ("needs a positive amount", "-5.00 USD"), id="negative-amount"),
    pytest.param('2022-08-10 custom "revrec-fulfill" "il_AAA" 0.00 USD',
                 ("needs a positive amount",), id="zero-amount"),
    pytest.param('2022-08-10 custom "revrec-fulfill" "il_AAA" "abc%"',
                 ('share "abc%" is not a percentage',), id="share-not-a-number"),
    pytest.param('2022-08-10 custom "revrec-fulfill" "il_AAA" "NaN%"',
                 ('"NaN%"',), id="share-nan"),
    pytest.param('2022-08-10 custom "revrec-fulfill" "il_AAA" "150%"',
                 ('share "150%" is above 100%',), id="share-above-100"),
    pytest.param('2022-08-10 custom "revrec-fulfill" "il_AAA" "half"',
                 ("'half'", "not an amount, a number of units or a percentage"), id="plain-string"),
    pytest.param('2022-08-10 custom "revrec-fulfill" "il_AAA"',
                 ("needs a target line id and what was fulfilled",), id="no-value"),
    pytest.param('2022-08-10 custom "revrec-fulfill" "il_AAA" 5.00 USD 5.00 USD',
                 ("needs a target line id and what was fulfilled",), id="two-values"),
]


@pytest.mark.parametrize(("event", "words"), BAD_EVENTS)
def test_bad_fulfillment_event(tmp_path, event, words):
    text = HEADER + GOOD + FULFIL + "\n" + event + "\n"
    loaded = load_text(tmp_path, text)
    error = assert_located_error(loaded, lineno(text, event), "revrec-fulfill", *words)
    assert error.source["lineno"] != lineno(text, '"il_AAA" 10.00 USD')
    # the bad event recognises nothing; the good one and the fallback are untouched
    assert revenue_moves(loaded.entries, "in_1", "deferral") == [(date(2022, 6, 1), D("100.00"))]
    assert recognitions(loaded.entries, "in_1") == FULFIL_RECOGNITIONS
    assert_good_invoice_still_works(loaded.entries)
    # the event itself stays in the ledger as written
    assert sorted(entry.date for entry in loaded.entries if isinstance(entry, Custom)) == sorted(
        [date(2022, 7, 29), datetime.date.fromisoformat(event[:10])])


@pytest.mark.parametrize(
    ("second", "remains", "asked"),
    [
        pytest.param('2022-08-10 custom "revrec-fulfill" "il_AAA" 95.00 USD', "90.00 USD", "95.00 USD",
                     id="amount"),
        pytest.param('2022-08-10 custom "revrec-fulfill" "il_AAA" "95%"', "90.00 USD", "95.00 USD",
                     id="percent"),
    ],
)
def test_fulfillment_beyond_what_remains(tmp_path, second, remains, asked):
    text = HEADER + GOOD + FULFIL + "\n" + second + "\n"
    loaded = load_text(tmp_path, text)
    assert_located_error(loaded, lineno(text, second), "revrec-fulfill", f"of {asked}", "exceeds",
                         f"the {remains} that remains", "excess is not recognised")
    # only what remained is recognised, on the event's date; nothing is left for the fallback
    assert recognitions(loaded.entries, "in_1") == [(date(2022, 7, 29), D("10.00")),
                                                    (date(2022, 8, 10), D("90.00"))]
    assert sum(amount for _, amount in recognitions(loaded.entries, "in_1")) == D("100.00")
    assert_good_invoice_still_works(loaded.entries)


def test_fulfillment_after_fully_fulfilled(tmp_path):
    text = HEADER + GOOD + FULFIL + """
2022-08-10 custom "revrec-fulfill" "il_AAA" 90.00 USD
2022-09-01 custom "revrec-fulfill" "il_AAA" 1.00 USD
"""
    loaded = load_text(tmp_path, text)
    assert_located_error(loaded, lineno(text, '"il_AAA" 1.00 USD'), "exceeds", "the 0.00 USD that remains")
    assert recognitions(loaded.entries, "in_1") == [(date(2022, 7, 29), D("10.00")),
                                                    (date(2022, 8, 10), D("90.00"))]
    assert_good_invoice_still_works(loaded.entries)


def test_fulfillment_by_units_with_quantity_is_fine(tmp_path):
    # control for the units-without-quantity error: the same event on a line with quantity: works
    text = HEADER + GOOD + FULFIL.replace('    line: "il_AAA"\n', '    line: "il_AAA"\n    quantity: 50\n') + """
2022-08-10 custom "revrec-fulfill" "il_AAA" 5
"""
    loaded = load_text(tmp_path, text)
    assert loaded.errors == []
    assert recognitions(loaded.entries, "in_1") == [(date(2022, 7, 29), D("10.00")),
                                                    (date(2022, 8, 10), D("10.00")),
                                                    (date(2023, 6, 1), D("80.00"))]


# --- plugin configuration ------------------------------------------------------------------------

BAD_CONFIGS = [
    pytest.param("{'deferred': foo}", ("not a Python literal dict", "{'deferred': 'Liabilities:DeferredRevenue'}"),
                 id="not-a-literal"),
    pytest.param("{'deferred': ", ("not a Python literal dict",), id="syntax-error"),
    pytest.param("['Liabilities:DeferredRevenue']", ("must be a dict",), id="list"),
    pytest.param("'Liabilities:DeferredRevenue'", ("must be a dict",), id="string"),
    pytest.param("{'deferal': 'Liabilities:DeferredRevenue'}",
                 ('unknown config key "deferal"', "deferred", "contract-asset", "precision"), id="unknown-key"),
    pytest.param("{'deferred': 'deferred revenue'}",
                 ('config key "deferred" must be an account name', "'deferred revenue'"), id="bad-account"),
    pytest.param("{'contract-asset': 'Assets'}",
                 ('config key "contract-asset" must be an account name', "'Assets'"), id="root-only-account"),
    pytest.param("{'receivable': 42}", ('config key "receivable" must be an account name', "42"),
                 id="account-not-a-string"),
    pytest.param("{'revenue': 5}", ('config key "revenue" must be an account or a list of accounts',),
                 id="revenue-number"),
    pytest.param("{'revenue': []}", ('config key "revenue" must be an account or a list of accounts',),
                 id="revenue-empty"),
    pytest.param("{'revenue': ['Income:Sales', 'sales']}",
                 ('config key "revenue" must be an account name', "'sales'"), id="revenue-bad-item"),
    pytest.param("{'precision': 2}", ('config key "precision" must map currencies to decimal places',),
                 id="precision-int"),
    pytest.param("{'precision': {'USD': 'two'}}", ('"precision" must map currencies to decimal places',),
                 id="precision-str"),
    pytest.param("{'precision': {'USD': 2.5}}", ('"precision" must map currencies to decimal places',),
                 id="precision-float"),
    pytest.param("{'precision': {'USD': True}}", ('"precision" must map currencies to decimal places',),
                 id="precision-bool"),
    pytest.param("{'precision': {'USD': -1}}", ('"precision" must map currencies to decimal places',),
                 id="precision-negative"),
    pytest.param("{'credit-split': 'deferred first'}",
                 ('config key "credit-split" must be one of', "'proportional', 'deferred-first'",
                  "got 'deferred first'"), id="credit-split-unknown"),
    pytest.param("{'dispute': 'Disputes'}", ('config key "dispute" must be an account name', "'Disputes'"),
                 id="dispute-account-not-an-account"),
    pytest.param("{'catch-up': 'no'}", ('config key "catch-up" must be one of \'on\', \'off\', got \'no\'',),
                 id="catch-up-unknown"),
    pytest.param("{'catch-up': False}", ('config key "catch-up" must be one of \'on\', \'off\', got False',),
                 id="catch-up-bool"),
    pytest.param("{'unbilled': 'Unbilled'}", ('config key "unbilled" must be an account name', "'Unbilled'"),
                 id="unbilled-account"),
]


def assert_nothing_generated(loaded: Loaded) -> None:
    assert generated(loaded.entries) == []
    assert not [entry for entry in loaded.entries
                if isinstance(entry, Open) and entry.meta.get("filename") != str(loaded.path)]
    # bean-check style: the user's own entries are all there
    assert [entry.account for entry in loaded.entries if isinstance(entry, Open)] == [
        "Assets:AccountsReceivable", "Income:Sales"]
    (invoice,) = [entry for entry in loaded.entries if isinstance(entry, Transaction)]
    assert invoice.meta["invoice"] == "in_31"
    assert [posting.units.number for posting in invoice.postings] == [D("31.00"), D("-31.00")]


@pytest.mark.parametrize(("config", "words"), BAD_CONFIGS)
def test_bad_plugin_config(tmp_path, config, words):
    plugin = f'plugin "beancount_revrec" "{config}"'
    text = plugin + "\n" + OPENS + GOOD
    loaded = load_text(tmp_path, text)
    error = assert_located_error(loaded, lineno(text, plugin), "beancount_revrec:", *words,
                                 "nothing was generated")
    assert error.source["lineno"] == 1
    assert_nothing_generated(loaded)


def test_bad_plugin_config_located_after_options_and_comments(tmp_path):
    plugin = """plugin "beancount_revrec" "{'tax': 'Liabilities:Tax', 'fee': 'fees'}\""""
    text = ('option "title" "Errors"\n; plugin "beancount_revrec" is enabled below\n'
            'option "operating_currency" "USD"\n\n' + plugin + "\n" + OPENS + GOOD)
    loaded = load_text(tmp_path, text)
    assert lineno(text, plugin) == 5
    assert_located_error(loaded, 5, 'config key "fee" must be an account name', "'fees'")
    assert_nothing_generated(loaded)


def test_each_config_problem_is_reported_at_the_plugin_line(tmp_path):
    plugin = """plugin "beancount_revrec" "{'foo': 1, 'deferred': 3, 'precision': []}\""""
    text = plugin + "\n" + OPENS + GOOD
    loaded = load_text(tmp_path, text)
    assert_no_crash(loaded.errors)
    assert sorted((error.source["filename"], error.source["lineno"]) for error in loaded.errors) == [
        (str(loaded.path), 1)] * 3
    messages = " | ".join(error.message for error in loaded.errors)
    for words in ('unknown config key "foo"', 'config key "deferred" must be an account name',
                  'config key "precision" must map'):
        assert words in messages
    assert_nothing_generated(loaded)


def test_config_account_with_a_root_beancount_rejects(tmp_path):
    # "Deferred:Revenue" passes account.is_valid() but its root is none of the ledger's five:
    # Beancount itself rejects it ("Invalid account name") when a user writes it.
    plugin = """plugin "beancount_revrec" "{'deferred': 'Deferred:Revenue'}\""""
    text = plugin + "\n" + OPENS + GOOD
    loaded = load_text(tmp_path, text)
    assert_located_error(loaded, 1, 'config key "deferred"', "Deferred:Revenue")
    assert_nothing_generated(loaded)


def test_valid_config_is_a_control(tmp_path):
    plugin = """plugin "beancount_revrec" "{'deferred': 'Liabilities:Unearned', 'precision': {'USD': 2}}\""""
    text = plugin + "\n" + OPENS + GOOD
    loaded = load_text(tmp_path, text)
    assert loaded.errors == []
    assert_good_invoice_still_works(loaded.entries)
    accounts = {posting.account for entry in generated(loaded.entries) for posting in entry.postings}
    assert accounts == {"Income:Sales", "Liabilities:Unearned"}


# --- bean-check as a subprocess ------------------------------------------------------------------


def bean_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "beancount.scripts.check", "--no-cache", str(path)],
                          capture_output=True, text=True, timeout=120, check=False)


def test_bean_check_accepts_the_good_ledger(tmp_path):
    path = tmp_path / "good.beancount"
    path.write_text(HEADER + GOOD + FULFIL, encoding="utf-8")
    result = bean_check(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("text", "needle", "words"),
    [
        pytest.param(HEADER + GOOD + bad_invoice("service-start: 2022-03-01", "service-end: 2022-02-01"),
                     BAD_POSTING, ("service-end 2022-02-01 must be after service-start 2022-03-01",),
                     id="service-period"),
        pytest.param(HEADER + GOOD + bad_invoice('revrec: "amortize twelve months"'),
                     BAD_POSTING, ('revrec: "amortize twelve months"', 'got "twelve"'), id="treatment"),
        pytest.param(HEADER + GOOD + FULFIL + '2022-08-10 custom "revrec-fulfill" "il_ZZZ" 5.00 USD\n',
                     '"il_ZZZ"', ('unknown line "il_ZZZ"',), id="fulfill"),
        pytest.param("""plugin "beancount_revrec" "{'deferred': foo}"\n""" + OPENS + GOOD,
                     "plugin", ("not a Python literal dict", "nothing was generated"), id="config"),
    ],
)
def test_bean_check_reports_file_and_line(tmp_path, text, needle, words):
    path = tmp_path / "bad.beancount"
    path.write_text(text, encoding="utf-8")
    result = bean_check(path)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output
    assert "internal error" not in output
    located = [line for line in output.splitlines() if line.startswith(f"{path}:{lineno(text, needle)}:")]
    assert located, output
    for word in words:
        assert word in located[0], located[0]
