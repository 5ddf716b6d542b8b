"""Bad rules and bad credits in real ledgers (SPEC sections 1.3, 6 and 6.4).

Every case writes a ledger to ``tmp_path``, loads it with ``beancount.loader.load_file``
and checks that the error points at that file and the exact line of the offending
``revrec-rule`` directive or ``credit-for`` posting, says what is wrong and what to
write, carries no traceback, and that the rest of the ledger still loads: a valid
invoice keeps its exact schedule, a bad rule is simply not applied (the line it
would match gets the next rule or the default treatment), and a bad credit stays
as the user booked it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from beancount.core.data import Transaction

from tests.conftest import Loaded, lineno, load_text

D = Decimal
date = datetime.date

HEADER = """\
plugin "beancount_revrec"
2021-01-01 open Assets:AccountsReceivable
2021-01-01 open Assets:Bank
2021-01-01 open Income:Sales
2021-01-01 open Income:Refunds
"""
HEADER_LINES = len(HEADER.splitlines())

# SPEC example 4.1, no product and no rule for it: the default rule, ratable daily.
GOOD = """
2022-01-15 * "Acme" "Monthly plan"
  invoice: "in_31"
  Assets:AccountsReceivable   31.00 USD
  Income:Sales               -31.00 USD
    service-start: 2022-01-15
    service-end: 2022-02-15
"""
GOOD_DEFERRAL = [(date(2022, 1, 15), D("31.00"))]
GOOD_RECOGNITIONS = [(date(2022, 1, 31), D("17.00")), (date(2022, 2, 14), D("14.00"))]


def is_beancount_pad_crash(error: Any) -> bool:
    """Beancount 3.2's own pad plugin crashes on any ``custom`` directive without values.

    That traceback comes from ``beancount.ops.pad``, which runs before any user plugin;
    beancount_revrec cannot prevent it, so it is the one error these tests set aside.
    """
    return error.message.startswith('Error applying plugin "beancount.ops.pad"')


def plugin_errors(loaded: Loaded) -> list[Any]:
    return [error for error in loaded.errors if not is_beancount_pad_crash(error)]


def shown(errors: list[Any]) -> list[Any]:
    return [(error.source and (error.source.get("filename"), error.source.get("lineno")), error.message)
            for error in errors]


def assert_located_error(loaded: Loaded, line: int, *words: str) -> Any:
    """The only error: at ``loaded.path``:``line``, containing all ``words``, without a traceback."""
    errors = plugin_errors(loaded)
    for error in errors:
        assert "Traceback" not in error.message, error.message
        assert "internal error" not in error.message, error.message
    assert len(errors) == 1, f"expected one error, got {shown(errors)}"
    (error,) = errors
    assert error.source is not None, shown(errors)
    assert (error.source.get("filename"), error.source.get("lineno")) == (str(loaded.path), line), shown(errors)
    for word in words:
        assert word in error.message, f"{word!r} not in {error.message!r}"
    return error


def assert_says_what_to_write(message: str, advice: str) -> None:
    """The message tells the user what to write instead (SPEC 1.3): ``advice``, word for word."""
    assert advice in message, f"the message should say {advice!r}: {message!r}"


def generated(entries: list[Any]) -> list[Transaction]:
    return [entry for entry in entries if isinstance(entry, Transaction) and "revrec" in entry.tags]


def moves(entries: list[Any], invoice: str, kind: str) -> list[tuple[datetime.date, Decimal]]:
    """(date, amount) of ``invoice``'s generated ``kind`` entries, as the amount leaves/enters Income:Sales."""
    found = []
    for entry in generated(entries):
        if entry.meta.get("invoice") != invoice or entry.meta.get("revrec-kind") != kind:
            continue
        (number,) = [posting.units.number for posting in entry.postings if posting.account == "Income:Sales"]
        found.append((entry.date, -number if kind == "recognition" else number))
    return sorted(found)


def rule_names(entries: list[Any], invoice: str) -> set[str]:
    return {entry.meta["revrec-rule"] for entry in generated(entries) if entry.meta.get("invoice") == invoice}


def assert_good_invoice_still_works(entries: list[Any]) -> None:
    assert moves(entries, "in_31", "deferral") == GOOD_DEFERRAL
    assert moves(entries, "in_31", "recognition") == GOOD_RECOGNITIONS
    assert moves(entries, "in_31", "reclass") == []
    assert rule_names(entries, "in_31") == {"default"}


# --- revrec-rule directives ----------------------------------------------------------------------

# The bad rule is written first, so that if it were (wrongly) accepted it would win. Its
# treatment is "tax": applied, it would reclassify 60.00. The "next" rule, written after it,
# amortises prod_x over two months: 30.00 on 2022-03-31 and 30.00 on 2022-04-30.
NEXT_RULE = """
2022-01-01 custom "revrec-rule" "next"
  product: "prod_x"
  treatment: "amortize 2 months monthly"
"""
LINE_X = """
2022-03-01 * "Beta" "Widgets"
  invoice: "in_x"
  Assets:AccountsReceivable   60.00 USD
  Income:Sales               -60.00 USD
    product: "prod_x"
"""
NEXT_DEFERRAL = [(date(2022, 3, 1), D("60.00"))]
NEXT_RECOGNITIONS = [(date(2022, 3, 31), D("30.00")), (date(2022, 4, 30), D("30.00"))]


def rule(head: str, *meta: str) -> str:
    return head + "\n" + "".join(f"  {item}\n" for item in meta)


KEYS = "product, price, customer, vendor, invoice, line, account, source, tag, description, min-amount, max-amount"


def bad_rule(*meta: str) -> str:
    """A rule that, were it accepted, would win prod_x (the line LINE_X, 60.00 USD) and reclassify it as tax."""
    return rule('2022-01-01 custom "revrec-rule" "bad"', 'product: "prod_x"', *meta, 'treatment: "tax"')


# Each case: the bad rule, what the message must say is wrong, and what it must tell the user to
# write instead (SPEC 1.3), as exact fragments of the message.
BAD_RULES = [
    pytest.param(rule('2022-01-01 custom "revrec-rule" "bad"', 'product: "prod_x"', 'recognise: "daily"',
                      'treatment: "tax"'),
                 ('unknown key "recognise"',),
                 f"match on {KEYS}; set treatment and effective-until", id="unknown-key"),
    pytest.param(rule('2022-01-01 custom "revrec-rule" "bad"', 'prodcut: "prod_x"', 'treatment: "tax"'),
                 ('unknown key "prodcut"',),
                 f"match on {KEYS}; set treatment and effective-until", id="misspelt-match-key"),
    pytest.param(rule('2022-01-01 custom "revrec-rule" "bad"', 'treatment: "tax"'),
                 ("needs at least one match key",),
                 f"match key ({KEYS})", id="no-match-key"),
    pytest.param(rule('2022-01-01 custom "revrec-rule" "bad"', 'product: "prod_x"'),
                 ("needs a treatment",), 'write e.g. treatment: "ratable"', id="no-treatment"),
    pytest.param(rule('2022-01-01 custom "revrec-rule" "bad"', 'product: "prod_x"', 'treatment: ""'),
                 ('treatment: ""', "empty treatment"), 'write e.g. "ratable" or "immediate"', id="empty-treatment"),
    pytest.param(rule('2022-01-01 custom "revrec-rule" "bad"', 'product: "prod_x"', "treatment: 12"),
                 ("treatment: must be a treatment string",), 'e.g. treatment: "ratable"', id="treatment-not-text"),
    pytest.param(rule('2022-01-01 custom "revrec-rule" "bad"', 'product: "prod_x"',
                      'treatment: "amortize twelve months"'),
                 ('treatment: "amortize twelve months"', 'got "twelve"'),
                 'needs a whole number before the unit, e.g. "amortize 12 months"', id="malformed-treatment"),
    # this message names the total to reach, not a treatment to write
    pytest.param(rule('2022-01-01 custom "revrec-rule" "bad"', 'product: "prod_x"',
                      'treatment: "80% tax + 30% immediate"'),
                 ('treatment: "80% tax + 30% immediate"', "shares add up to 110%"), ", not 100%",
                 id="shares-not-100"),
    pytest.param(rule('2022-03-01 custom "revrec-rule" "bad"', 'product: "prod_x"', 'treatment: "tax"',
                      "effective-until: 2022-03-01"),
                 ("the rule could never apply",),
                 "effective-until 2022-03-01 must be after the rule's date 2022-03-01", id="until-equal-to-date"),
    pytest.param(rule('2022-03-01 custom "revrec-rule" "bad"', 'product: "prod_x"', 'treatment: "tax"',
                      "effective-until: 2022-02-01"),
                 ("the rule could never apply",),
                 "effective-until 2022-02-01 must be after the rule's date 2022-03-01", id="until-before-date"),
    pytest.param(rule('2022-01-01 custom "revrec-rule" "bad"', 'product: "prod_x"', 'treatment: "tax"',
                      'effective-until: "2024-01-01"'),
                 ("effective-until:", "got '2024-01-01'"), "must be a date like 2024-01-01 (without quotes)",
                 id="until-quoted"),
    pytest.param(rule('2022-01-01 custom "revrec-rule" "bad"', 'product: "prod_x"', 'treatment: "tax"',
                      'effective-until: "never"'),
                 ("effective-until:", "got 'never'"), "must be a date like 2024-01-01 (without quotes)",
                 id="until-not-a-date"),
    pytest.param(rule('2022-01-01 custom "revrec-rule" "bad"', 'product: "prod_x"', 'source: "bill"',
                      'treatment: "tax"'),
                 ('got "bill"',), 'source: must be "invoice" or "payment"', id="source-not-invoice-or-payment"),
    pytest.param(rule('2022-01-01 custom "revrec-rule" "bad"', 'product: "prod_x"', 'account: "sales"',
                      'treatment: "tax"'),
                 ('got "sales"',), "account: must be an account name like Income:Sales", id="account-not-an-account"),
    pytest.param(rule('2022-01-01 custom "revrec-rule"', 'product: "prod_x"', 'treatment: "tax"'),
                 ("needs exactly one name",), 'write custom "revrec-rule" "NAME" with its keys below', id="no-name"),
    pytest.param(rule('2022-01-01 custom "revrec-rule" ""', 'product: "prod_x"', 'treatment: "tax"'),
                 ("needs exactly one name",), 'write custom "revrec-rule" "NAME" with its keys below',
                 id="empty-name"),
    pytest.param(rule('2022-01-01 custom "revrec-rule" "bad" "worse"', 'product: "prod_x"', 'treatment: "tax"'),
                 ("needs exactly one name",), 'write custom "revrec-rule" "NAME" with its keys below',
                 id="two-names"),
    pytest.param(rule('2022-01-01 custom "revrec-rule" 42', 'product: "prod_x"', 'treatment: "tax"'),
                 ("needs exactly one name",), 'write custom "revrec-rule" "NAME" with its keys below',
                 id="name-not-text"),
    # description: text in quotes, not empty: an empty text is in every description
    pytest.param(bad_rule("description: 12"),
                 ("description: must be text in quotes", "got Decimal('12')"), 'e.g. description: "AvaTax"',
                 id="description-not-text"),
    pytest.param(bad_rule('description: ""'),
                 ('description: "" is in every description',), 'write the text to look for, e.g. description: "AvaTax"',
                 id="description-empty"),
    pytest.param(bad_rule('description: "   "'),
                 ('description: "   " is in every description',),
                 'write the text to look for, e.g. description: "AvaTax"', id="description-blank"),
    # min-amount / max-amount: Beancount amounts, not negative, one currency, min <= max
    pytest.param(bad_rule('min-amount: "10.00 USD"'),
                 ("min-amount: must be an amount", "got '10.00 USD'"),
                 "like 10.00 USD (a number and a currency, without quotes)", id="min-amount-quoted"),
    pytest.param(bad_rule("max-amount: 120"),
                 ("max-amount: must be an amount", "got Decimal('120')"),
                 "like 10.00 USD (a number and a currency, without quotes)", id="max-amount-without-currency"),
    pytest.param(bad_rule("min-amount: 2022-01-01"),
                 ("min-amount: must be an amount",), "like 10.00 USD (a number and a currency, without quotes)",
                 id="min-amount-a-date"),
    pytest.param(bad_rule("min-amount: -10.00 USD"),
                 ("min-amount: -10.00 USD is negative", "compared without its sign"), "write min-amount: 10.00 USD",
                 id="min-amount-negative"),
    pytest.param(bad_rule("min-amount: 1.00 USD", "max-amount: -120.00 USD"),
                 ("max-amount: -120.00 USD is negative",), "write max-amount: 120.00 USD", id="max-amount-negative"),
    pytest.param(bad_rule("min-amount: 120.00 USD", "max-amount: 10.00 USD"),
                 ("min-amount 120.00 USD is above max-amount 10.00 USD", "the rule could never match"),
                 "swap them: min-amount: 10.00 USD and max-amount: 120.00 USD", id="min-above-max"),
    pytest.param(bad_rule("min-amount: 10.00 USD", "max-amount: 120.00 EUR"),
                 ("min-amount is in USD but max-amount in EUR",),
                 "write both in the same one, e.g. max-amount: 120.00 USD", id="min-and-max-in-two-currencies"),
]


@pytest.mark.parametrize(("bad", "words", "advice"), BAD_RULES)
def test_bad_rule_is_reported_and_not_applied(tmp_path, bad, words, advice):
    text = HEADER + bad + NEXT_RULE + GOOD + LINE_X
    loaded = load_text(tmp_path, text)
    error = assert_located_error(loaded, HEADER_LINES + 1, "revrec-rule:", *words)
    assert_says_what_to_write(error.message, advice)
    # the bad rule is not applied: prod_x gets the next rule, nothing is reclassified as tax
    assert moves(loaded.entries, "in_x", "deferral") == NEXT_DEFERRAL
    assert moves(loaded.entries, "in_x", "recognition") == NEXT_RECOGNITIONS
    assert moves(loaded.entries, "in_x", "reclass") == []
    assert rule_names(loaded.entries, "in_x") == {"next"}
    assert_good_invoice_still_works(loaded.entries)
    assert not [entry for entry in generated(loaded.entries) if entry.meta["revrec-rule"] == "bad"]


@pytest.mark.parametrize("bad", [param.values[0] for param in BAD_RULES[:3]] + [
    rule('2022-03-01 custom "revrec-rule" "bad"', 'product: "prod_x"', 'treatment: "tax"',
         "effective-until: 2022-03-01"),
], ids=["unknown-key", "misspelt-match-key", "no-match-key", "until-equal-to-date"])
def test_bad_rule_without_a_next_rule_leaves_the_default(tmp_path, bad):
    # without the "next" rule, prod_x falls back to the default rules: it has no service
    # period, so it is recognised immediately (nothing generated); in_31 stays ratable daily
    text = HEADER + bad + GOOD + LINE_X
    loaded = load_text(tmp_path, text)
    assert_located_error(loaded, HEADER_LINES + 1, "revrec-rule:")
    assert [entry for entry in generated(loaded.entries) if entry.meta.get("invoice") == "in_x"] == []
    assert_good_invoice_still_works(loaded.entries)


def test_duplicate_rule_name_is_an_error_on_the_second(tmp_path):
    first = rule('2022-01-01 custom "revrec-rule" "widgets"', 'product: "prod_x"',
                 'treatment: "amortize 2 months monthly"')
    second = rule('2022-02-01 custom "revrec-rule" "widgets"', 'product: "prod_y"', 'treatment: "tax"')
    line_y = """
2022-03-01 * "Gamma" "Gadgets"
  invoice: "in_y"
  Assets:AccountsReceivable   61.00 USD
  Income:Sales               -61.00 USD
    product: "prod_y"
    service-start: 2022-03-01
    service-end: 2022-05-01
"""
    text = HEADER + first + "\n" + second + GOOD + LINE_X + line_y
    loaded = load_text(tmp_path, text)
    error = assert_located_error(loaded, lineno(text, '2022-02-01 custom "revrec-rule" "widgets"'),
                                 'revrec-rule: a rule named "widgets" already exists')
    assert_says_what_to_write(error.message, "give each rule its own name")
    # the first "widgets" still applies to prod_x
    assert moves(loaded.entries, "in_x", "deferral") == NEXT_DEFERRAL
    assert moves(loaded.entries, "in_x", "recognition") == NEXT_RECOGNITIONS
    assert rule_names(loaded.entries, "in_x") == {"widgets"}
    # the second is not applied: prod_y is not reclassified as tax but gets the default,
    # ratable daily over 61 days: 31.00 in March, 30.00 in April
    assert moves(loaded.entries, "in_y", "reclass") == []
    assert moves(loaded.entries, "in_y", "deferral") == [(date(2022, 3, 1), D("61.00"))]
    assert moves(loaded.entries, "in_y", "recognition") == [(date(2022, 3, 31), D("31.00")),
                                                            (date(2022, 4, 30), D("30.00"))]
    assert rule_names(loaded.entries, "in_y") == {"default"}
    assert_good_invoice_still_works(loaded.entries)


def test_valid_rules_are_a_control(tmp_path):
    # the same ledger with a valid first rule: no error, and that rule wins over "next"
    text = HEADER + rule('2022-01-01 custom "revrec-rule" "first"', 'product: "prod_x"',
                         'treatment: "tax"') + NEXT_RULE + GOOD + LINE_X
    loaded = load_text(tmp_path, text)
    assert loaded.errors == []
    assert moves(loaded.entries, "in_x", "reclass") == [(date(2022, 3, 1), D("60.00"))]
    assert moves(loaded.entries, "in_x", "recognition") == []
    assert rule_names(loaded.entries, "in_x") == {"first"}
    assert_good_invoice_still_works(loaded.entries)


# --- credit-for ----------------------------------------------------------------------------------

# 120.00 over 2022, ratable monthly: 10.00 at each month's end.
CREDITED = """
2022-01-01 * "Acme" "Annual plan"
  invoice: "in_1"
  Assets:AccountsReceivable   120.00 USD
  Income:Sales               -120.00 USD
    line: "il_1"
    service-start: 2022-01-01
    service-end: 2023-01-01
    revrec: "ratable monthly"
"""
MONTH_ENDS = [date(2022, month + 1, 1) - datetime.timedelta(days=1) for month in range(1, 12)] + [date(2022, 12, 31)]
FULL_SCHEDULE = [(day, D("10.00")) for day in MONTH_ENDS]


def credit(day: str, amount: str, target: str, invoice: str = "cn_1", currency: str = "USD",
           kind: str | None = None) -> str:
    """A credit note booking ``amount`` to Income:Sales (positive: a debit to revenue) with ``credit-for``."""
    receivable = f"{-D(amount):.2f}"
    kind_line = "" if kind is None else f'\n    credit-kind: "{kind}"'
    return f"""
{day} * "Acme" "Credit note {invoice}"
  invoice: "{invoice}"
  Assets:AccountsReceivable   {receivable} {currency}
  Income:Sales                {amount} {currency}
    credit-for: "{target}"{kind_line}
"""


def assert_credit_booked_as_is(loaded: Loaded, invoice: str, amount: str, currency: str = "USD") -> None:
    """The credit line stays as the user booked it: no generated entry carries its key."""
    assert not [entry for entry in generated(loaded.entries)
                if entry.meta.get("invoice") == invoice or entry.meta["revrec-key"].startswith(invoice + "/")]
    (original,) = [entry for entry in loaded.entries
                   if isinstance(entry, Transaction) and entry.meta.get("invoice") == invoice]
    assert "revrec" not in original.tags
    assert [(posting.account, posting.units.number, posting.units.currency) for posting in original.postings] == [
        ("Assets:AccountsReceivable", -D(amount), currency), ("Income:Sales", D(amount), currency)]


def assert_credited_line_untouched(entries: list[Any]) -> None:
    assert moves(entries, "in_1", "deferral") == [(date(2022, 1, 1), D("120.00"))]
    assert moves(entries, "in_1", "recognition") == FULL_SCHEDULE
    assert not [entry for entry in generated(entries)
                if any(posting.account == "Income:Refunds" for posting in entry.postings)]


BAD_CREDITS = [
    pytest.param(credit("2022-03-01", "30.00", "il_nope"), "30.00", "USD",
                 ('credit-for "il_nope"', "no line has this id"), 'put line: "ID" on the line being credited',
                 id="unknown-line-id"),
    pytest.param(credit("2022-03-01", "30.00", "il_1", currency="EUR"), "30.00", "EUR",
                 ('credit-for "il_1"', "the credited line is in USD, this credit in EUR"), "book it in USD",
                 id="other-currency"),
    pytest.param(credit("2022-03-01", "150.00", "il_1"), "150.00", "USD",
                 ('credit-for "il_1"', "150.00 USD is larger than the 120.00 USD left"), "credit at most 120.00 USD",
                 id="larger-than-the-line"),
    pytest.param(credit("2022-03-01", "-30.00", "il_1"), "-30.00", "USD",
                 ('credit-for "il_1"',), "goes on a positive posting (a debit to revenue) that credits the line",
                 id="on-an-income-posting"),
    pytest.param(credit("2021-12-01", "30.00", "il_1"), "30.00", "USD",
                 ('credit-for "il_1"', "(2021-12-01) is dated before the line it credits (2022-01-01)"),
                 "date it on or after 2022-01-01", id="dated-before-its-line"),
    pytest.param(credit("2022-03-01", "30.00", "il_1", kind="chargeback"), "30.00", "USD",
                 ('credit-for "il_1"', 'unknown credit-kind "chargeback"'),
                 "use one of refund, credit-note, dispute, write-off, void", id="unknown-kind"),
    pytest.param(credit("2022-03-01", "30.00", "il_1", kind=""), "30.00", "USD",
                 ('credit-for "il_1"', 'unknown credit-kind ""'),
                 "use one of refund, credit-note, dispute, write-off, void", id="empty-kind"),
    pytest.param(credit("2022-03-01", "150.00", "il_1", kind="write-off"), "150.00", "USD",
                 ('credit-for "il_1"', "150.00 USD is larger than the 120.00 USD left"), "credit at most 120.00 USD",
                 id="write-off-larger-than-what-is-open"),
]


@pytest.mark.parametrize(("text_", "amount", "currency", "words", "advice"), BAD_CREDITS)
def test_bad_credit_is_reported_at_its_posting(tmp_path, text_, amount, currency, words, advice):
    del advice
    text = HEADER + CREDITED + GOOD + text_
    loaded = load_text(tmp_path, text)
    assert_located_error(loaded, lineno(text, f"Income:Sales                {amount} {currency}"), *words)
    assert_credit_booked_as_is(loaded, "cn_1", amount, currency)
    assert_credited_line_untouched(loaded.entries)
    assert_good_invoice_still_works(loaded.entries)


@pytest.mark.parametrize(("text_", "amount", "currency", "words", "advice"), BAD_CREDITS)
def test_bad_credit_message_says_what_to_write(tmp_path, text_, amount, currency, words, advice):
    del amount, currency, words
    loaded = load_text(tmp_path, HEADER + CREDITED + GOOD + text_)
    (error,) = plugin_errors(loaded)
    assert_says_what_to_write(error.message, advice)


def test_two_credits_exceeding_the_line_second_is_the_error(tmp_path):
    first = credit("2022-03-01", "60.00", "il_1")
    second = credit("2022-04-01", "70.00", "il_1", invoice="cn_2")
    text = HEADER + CREDITED + GOOD + first + second
    loaded = load_text(tmp_path, text)
    assert_located_error(loaded, lineno(text, "Income:Sales                70.00 USD"),
                         'credit-for "il_1"', "70.00 USD", "larger than", "60.00 USD")
    assert_credit_booked_as_is(loaded, "cn_2", "70.00")
    # the first credit applies: on 2022-03-01 the line has 20.00 recognised and 100.00 deferred; the credit is
    # half the line, so 50.00 comes off deferred revenue, 10.00 goes to refunds, and the ten remaining months
    # shrink from 10.00 to 5.00
    reversal, contra = [entry for entry in generated(loaded.entries) if entry.meta.get("invoice") == "cn_1"]
    assert reversal.date == contra.date == date(2022, 3, 1)
    assert reversal.meta["revrec-key"] == "cn_1/Income:Sales/deferred"
    assert {posting.account: posting.units.number for posting in reversal.postings} == {
        "Income:Sales": D("-50.00"), "Liabilities:DeferredRevenue": D("50.00")}
    assert {posting.account: posting.units.number for posting in contra.postings} == {
        "Income:Sales": D("-10.00"), "Income:Refunds": D("10.00")}
    assert moves(loaded.entries, "in_1", "recognition") == FULL_SCHEDULE[:2] + [
        (day, D("5.00")) for day in MONTH_ENDS[2:]]
    assert_good_invoice_still_works(loaded.entries)


def test_two_credits_up_to_the_line_are_fine(tmp_path):
    # control: 60.00 + 60.00 credits exactly the 120.00 line
    text = HEADER + CREDITED + GOOD + credit("2022-03-01", "60.00", "il_1") + credit(
        "2022-04-01", "60.00", "il_1", invoice="cn_2")
    loaded = load_text(tmp_path, text)
    assert loaded.errors == []
    # on 2022-04-01 the line stands at 60.00: 10.00 + 10.00 + 5.00 recognised by March, less the 10.00 of the
    # first credit (15.00), and 45.00 still deferred; the second credit takes all of it: 45.00 off deferred
    # revenue and 15.00 to refunds
    (second,) = [entry for entry in generated(loaded.entries) if entry.meta.get("invoice") == "cn_2"
                 and entry.meta["revrec-key"] == "cn_2/Income:Sales/deferred"]
    assert {posting.account: posting.units.number for posting in second.postings} == {
        "Income:Sales": D("-45.00"), "Liabilities:DeferredRevenue": D("45.00")}
    (contra,) = [entry for entry in generated(loaded.entries) if entry.meta["revrec-key"] == "cn_2/Income:Sales/contra"]
    assert {posting.account: posting.units.number for posting in contra.postings} == {
        "Income:Sales": D("-15.00"), "Income:Refunds": D("15.00")}
    assert moves(loaded.entries, "in_1", "recognition") == [*FULL_SCHEDULE[:2], (MONTH_ENDS[2], D("5.00"))]


# --- revrec-void and revrec-uncollectible -----------------------------------------------------------

PAYMENT = """
2022-03-10 * "Acme" "Payment of in_1"
  invoice: "in_1"
  Assets:Bank                  120.00 USD
  Assets:AccountsReceivable   -120.00 USD
"""
FIRST_VOID = {"il_1/void/deferred": D("100.00"), "il_1/void/void": D("20.00")}
"""The first void of in_1 on 2022-03-01: 20.00 recognised by then to voids (here Income:Refunds), 100.00 off
deferred revenue."""
BAD_CHANGES = [
    pytest.param('2022-03-01 custom "revrec-void" "in_nope"\n', '"revrec-void" "in_nope"',
                 ("no invoice line has this invoice: id",), "write the invoice: of an invoice with revenue lines", {},
                 id="unknown-invoice"),
    pytest.param('2021-12-01 custom "revrec-void" "in_1"\n', 'custom "revrec-void"',
                 ("dated before the invoice (2022-01-01)",), "date it on or after 2022-01-01", {},
                 id="void-before-the-invoice"),
    pytest.param('2022-03-01 custom "revrec-void"\n', 'custom "revrec-void"', ("needs the invoice id",),
                 'write custom "revrec-void" "in_1"', {}, id="no-invoice-id"),
    pytest.param('2022-03-01 custom "revrec-void" "in_1"\n2022-04-01 custom "revrec-void" "in_1"\n',
                 '2022-04-01 custom "revrec-void"', ("already voided on 2022-03-01",), "remove this directive",
                 FIRST_VOID, id="second-void"),
    pytest.param('2022-03-01 custom "revrec-void" "in_1"\n2022-04-01 custom "revrec-uncollectible" "in_1"\n',
                 '2022-04-01 custom "revrec-uncollectible"', ("already voided on 2022-03-01",),
                 "remove this directive", FIRST_VOID, id="uncollectible-after-void"),
    pytest.param(PAYMENT + '2022-04-01 custom "revrec-uncollectible" "in_1"\n', 'custom "revrec-uncollectible"',
                 ("received 120.00 USD on 2022-03-10",), 'credit-kind: "write-off"', {},
                 id="uncollectible-after-payment"),
    pytest.param('2022-03-01 custom "revrec-void" "in_1"\n' + PAYMENT, 'custom "revrec-void"',
                 ("receives 120.00 USD on 2022-03-10, after this void",), "remove the payment or the void", {},
                 id="payment-after-void"),
]


@pytest.mark.parametrize(("text_", "at", "words", "advice", "voided"), BAD_CHANGES)
def test_bad_void_or_write_off_is_reported_at_its_directive(tmp_path, text_, at, words, advice, voided):
    """The error is at the directive and says what to write; the first void (if any) and the rest still book."""
    text = HEADER + CREDITED + GOOD + text_
    loaded = load_text(tmp_path, text)
    error = assert_located_error(loaded, lineno(text, at), *words)
    assert_says_what_to_write(error.message, advice)
    assert_good_invoice_still_works(loaded.entries)
    assert {entry.meta["revrec-key"]: entry.postings[0].units.number for entry in generated(loaded.entries)
            if "/void/" in entry.meta["revrec-key"]} == voided
    if not voided:
        assert_credited_line_untouched(loaded.entries)


def test_a_credit_between_a_write_off_and_its_payment_finds_nothing_left(tmp_path):
    """The payment of a written-off invoice is a recovery on its own date: until then nothing is left to credit."""
    text = (HEADER + CREDITED + GOOD + '2022-03-10 custom "revrec-uncollectible" "in_1"\n'
            + credit("2022-04-01", "10.00", "il_1", invoice="re_1")
            + PAYMENT.replace("2022-03-10", "2022-05-01").replace("120.00", "50.00"))
    loaded = load_text(tmp_path, text)
    error = assert_located_error(loaded, lineno(text, "Income:Sales                10.00 USD"), 'credit-for "il_1"',
                                 "nothing is left to credit on its line")
    assert_says_what_to_write(error.message, "date it after a payment of the written-off invoice")
    assert_credit_booked_as_is(loaded, "re_1", "10.00")
    assert_good_invoice_still_works(loaded.entries)
    # the write-off of 2022-03-10 (20.00 recognised by February to the write-off account, 100.00 off deferred
    # revenue), then the 50.00 of 2022-05-01: 20.00 back from the write-off, 30.00 recovered
    assert {entry.meta["revrec-key"]: entry.postings[0].units.number for entry in generated(loaded.entries)
            if "/uncollectible/" in entry.meta["revrec-key"] or "/recovery/" in entry.meta["revrec-key"]} == {
        "il_1/uncollectible/deferred": D("100.00"), "il_1/uncollectible/write-off": D("20.00"),
        "il_1/recovery/2022-05-01/write-off": D("20.00"), "il_1/recovery/2022-05-01/recoverables": D("30.00")}
