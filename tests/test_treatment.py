"""Unit tests of the treatment grammar (SPEC section 5): ``parse_treatment``."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from beancount_revrec.errors import Problem
from beancount_revrec.treatment import (
    Action,
    Amortize,
    Defer,
    Duration,
    Fulfillment,
    Immediate,
    On,
    Part,
    Ratable,
    Reclass,
    Treatment,
    parse_treatment,
    read_treatment,
)

HUNDRED = Decimal(100)
TWELVE_MONTHS = Duration(12, "month")


def only_action(text: str) -> Action:
    """The action of a one-part treatment, after checking it takes the whole amount."""
    treatment = parse_treatment(text)
    assert isinstance(treatment, Treatment)
    assert treatment.text == text
    assert len(treatment.parts) == 1
    assert treatment.parts[0].share == HUNDRED
    return treatment.parts[0].action


# --- valid forms -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["immediate", "tax", "fee", "passthrough", "exclude"])
def test_bare_actions(kind):
    action = only_action(kind)
    assert action == (Immediate() if kind == "immediate" else Reclass(kind))
    assert action.kind == kind
    assert action.anchor == "invoice"
    assert not action.defers


@pytest.mark.parametrize(
    ("text", "method"),
    [
        ("ratable", "daily"),
        ("ratable daily", "daily"),
        ("ratable monthly", "monthly"),
        ("ratable monthly-prorated", "monthly-prorated"),
    ],
)
def test_ratable_methods(text, method):
    action = only_action(text)
    assert action == Ratable(method)
    assert action.defers


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("amortize 1 day", Duration(1, "day")),
        ("amortize 30 days", Duration(30, "day")),
        ("amortize 1 month", Duration(1, "month")),
        ("amortize 12 months", Duration(12, "month")),
        ("amortize 1 year", Duration(12, "month")),
        ("amortize 2 years", Duration(24, "month")),
        ("amortize 3 year", Duration(36, "month")),
        ("amortize 9999 years", Duration(119988, "month")),
    ],
)
def test_amortize_durations(text, duration):
    action = only_action(text)
    assert action == Amortize(duration, anchor="invoice", method="daily")
    assert action.defers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("amortize 12 months from invoice", Amortize(TWELVE_MONTHS, anchor="invoice")),
        ("amortize 12 months from payment", Amortize(TWELVE_MONTHS, anchor="payment")),
        ("amortize 6 months from service-start",
         Amortize(Duration(6, "month"), anchor="service-start")),
        ("amortize 12 months from 2023-01-31",
         Amortize(TWELVE_MONTHS, anchor=datetime.date(2023, 1, 31))),
        ("amortize 12 months monthly", Amortize(TWELVE_MONTHS, method="monthly")),
        ("amortize 12 months from payment monthly",
         Amortize(TWELVE_MONTHS, anchor="payment", method="monthly")),
        ("amortize 1 year from 2023-01-31 monthly-prorated",
         Amortize(TWELVE_MONTHS, anchor=datetime.date(2023, 1, 31), method="monthly-prorated")),
        ("amortize 90 days from service-start daily",
         Amortize(Duration(90, "day"), anchor="service-start", method="daily")),
    ],
)
def test_amortize_anchors_and_methods(text, expected):
    assert only_action(text) == expected


def test_date_anchor_is_a_date():
    action = only_action("amortize 12 months from 2023-01-31")
    assert type(action.anchor) is datetime.date
    assert action.anchor == datetime.date(2023, 1, 31)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("defer 3 months", Defer(Duration(3, "month"), anchor="invoice")),
        ("defer 1 year", Defer(TWELVE_MONTHS, anchor="invoice")),
        ("defer 0 days from payment", Defer(Duration(0, "day"), anchor="payment")),
        ("defer 45 days from service-start",
         Defer(Duration(45, "day"), anchor="service-start")),
        ("defer 2 years from 2022-02-28",
         Defer(Duration(24, "month"), anchor=datetime.date(2022, 2, 28))),
        ("defer 1 month from invoice", Defer(Duration(1, "month"), anchor="invoice")),
    ],
)
def test_defer(text, expected):
    action = only_action(text)
    assert action == expected
    assert action.defers


def test_on_date():
    action = only_action("on 2023-01-01")
    assert action == On(datetime.date(2023, 1, 1))
    assert isinstance(action, On)
    assert type(action.day) is datetime.date
    assert action.defers


def test_exclude_on_a_date():
    action = only_action("exclude on 2022-02-05")
    assert action == Reclass("exclude", datetime.date(2022, 2, 5))
    assert not action.defers
    assert only_action("exclude") == Reclass("exclude")


@pytest.mark.parametrize(("text", "message"), [
    ("exclude on", '"exclude on" needs a date like 2022-02-05, got ""'),
    ("exclude on Feb-5", '"exclude on" needs a date like 2022-02-05, got "Feb-5"'),
    ("exclude on 2022-02-05 monthly", '"monthly" is out of place after "exclude"'),
    ("tax on 2022-02-05", 'unexpected "on 2022-02-05" after "tax"'),
])
def test_exclude_on_needs_one_date_and_only_exclusions_take_one(text, message):
    with pytest.raises(Problem, match=message.replace("(", r"\(")):
        parse_treatment(text)


def test_on_leap_day():
    assert only_action("on 2024-02-29") == On(datetime.date(2024, 2, 29))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fulfillment", Fulfillment(TWELVE_MONTHS, anchor="invoice")),
        ("fulfillment 6 months", Fulfillment(Duration(6, "month"), anchor="invoice")),
        ("fulfillment 2 years", Fulfillment(Duration(24, "month"), anchor="invoice")),
        ("fulfillment 90 days from payment",
         Fulfillment(Duration(90, "day"), anchor="payment")),
        ("fulfillment from service-start",
         Fulfillment(TWELVE_MONTHS, anchor="service-start")),
        ("fulfillment from 2022-07-01",
         Fulfillment(TWELVE_MONTHS, anchor=datetime.date(2022, 7, 1))),
    ],
)
def test_fulfillment(text, expected):
    action = only_action(text)
    assert action == expected
    assert action.defers


def test_fulfillment_default_is_one_year_from_invoice():
    action = only_action("fulfillment")
    assert isinstance(action, Fulfillment)
    assert action.duration == Duration(12, "month")
    assert action.anchor == "invoice"


def test_explicit_hundred_percent_share():
    action = only_action("100% ratable monthly")
    assert action == Ratable("monthly")


@pytest.mark.parametrize(
    "text",
    [
        "80% ratable + 20% immediate",
        "80% ratable+20% immediate",
        "80% ratable +20% immediate",
        "80% ratable+ 20% immediate",
        "  80%   ratable   +   20%   immediate  ",
        "80%\tratable\t+\t20%\timmediate",
    ],
)
def test_mixed_shares_and_whitespace(text):
    treatment = parse_treatment(text)
    assert treatment.text == text
    assert treatment.parts == (
        Part(Decimal(80), Ratable()),
        Part(Decimal(20), Immediate()),
    )


def test_mixed_three_parts_keep_order_and_details():
    treatment = parse_treatment("50% amortize 1 year from payment monthly + 30% fee + 20% on 2023-03-31")
    assert treatment.parts == (
        Part(Decimal(50), Amortize(TWELVE_MONTHS, anchor="payment", method="monthly")),
        Part(Decimal(30), Reclass("fee")),
        Part(Decimal(20), On(datetime.date(2023, 3, 31))),
    )
    assert sum(part.share for part in treatment.parts) == HUNDRED


def test_mixed_decimal_shares():
    treatment = parse_treatment("33.33% ratable + 66.67% immediate")
    assert [part.share for part in treatment.parts] == [Decimal("33.33"), Decimal("66.67")]
    assert [part.action.kind for part in treatment.parts] == ["ratable", "immediate"]


def test_mixed_with_one_fulfillment_part():
    treatment = parse_treatment("70% fulfillment + 30% ratable")
    assert treatment.parts == (
        Part(Decimal(70), Fulfillment(TWELVE_MONTHS)),
        Part(Decimal(30), Ratable()),
    )


@pytest.mark.parametrize("text", ["ratable", " ratable", "ratable ", "\tratable\n"])
def test_surrounding_whitespace(text):
    assert parse_treatment(text).parts == (Part(HUNDRED, Ratable()),)


def test_same_text_same_value():
    assert parse_treatment("amortize 12 months") == parse_treatment("amortize 12 months")


# --- malformed forms ---------------------------------------------------------------------------


def error_of(text: str) -> str:
    with pytest.raises(Problem) as info:
        parse_treatment(text)
    message = str(info.value)
    assert "Traceback" not in message
    return message


def assert_words(message: str, words: tuple[str, ...]) -> None:
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


# What the readers of rules, contract items and ``revrec:`` overrides get from a parse error: one
# Problem whose text is the error reported at the directive's line, never any other exception.
@pytest.mark.parametrize(
    "text",
    ["", "ratably", "80% tax + 30% immediate", "amortize twelve months", "amortize ² months",
     "defer 99999 years", "on", "ratable weekly"],
)
def test_read_treatment_turns_a_parse_error_into_its_message(text):
    with pytest.raises(Problem) as raised:
        read_treatment(text, "revrec")
    assert str(raised.value) == f'revrec: "{text}": {error_of(text)}'


@pytest.mark.parametrize("value", [12, Decimal("0.5"), None, True, datetime.date(2023, 1, 1), ["ratable"]])
def test_read_treatment_of_a_value_that_is_not_text(value):
    with pytest.raises(Problem) as raised:
        read_treatment(value, "treatment")
    assert str(raised.value) == 'treatment: must be a treatment string, e.g. treatment: "ratable"'


TREATMENT_WORDS = ["ratable", "amortize", "defer", "on", "fulfillment", "tax", "from", "invoice", "payment",
                   "service-start", "2023-01-31", "2023-02-30", "0", "12", "1.5", "-3", "99999", "²", "months",
                   "day", "years", "monthly", "monthly-prorated", "80%", "20%", "100%", "+"]


@given(st.lists(st.sampled_from(TREATMENT_WORDS), max_size=8).map(" ".join) | st.text(max_size=30))
@settings(max_examples=100, deadline=None)
def test_read_treatment_raises_nothing_but_its_problem(text):
    try:
        result: Treatment | str = read_treatment(text, "revrec")
    except Problem as problem:  # the only exception it may raise
        result = str(problem)
    if isinstance(result, str):
        assert result == f'revrec: "{text}": {error_of(text)}'
    else:
        assert result == parse_treatment(text)


@pytest.mark.parametrize("text", ["", " ", "   ", "\t\n"])
def test_empty(text):
    assert_words(error_of(text), ("empty treatment", "ratable", "immediate"))


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("straight-line", "straight-line"),
        ("Ratable", "Ratable"),
        ("ratably", "ratably"),
        ("monthly", "monthly"),
        ("12 months", "12"),
        ("80% rateable + 20% immediate", "rateable"),
    ],
)
def test_unknown_action(text, word):
    message = error_of(text)
    assert_words(message, ("unknown action", f'"{word}"', "immediate", "ratable", "amortize", "defer",
                           "fulfillment", "tax", "fee", "passthrough", "exclude"))


@pytest.mark.parametrize(("text", "share"), [("80%", "80"), ("80% + 20% immediate", "80"), ("  50%  ", "50")])
def test_share_without_action(text, share):
    assert_words(error_of(text), (f"share {share}%", "no action", f'"{share}% ratable"'))


@pytest.mark.parametrize(
    ("text", "share"),
    [
        ("abc% ratable", "abc%"),
        ("0% ratable", "0%"),
        ("150% ratable", "150%"),
        ("-20% ratable", "-20%"),
        ("NaN% ratable", "NaN%"),
        ("Infinity% ratable", "Infinity%"),
        ("% ratable", "%"),
        ("100.01% ratable", "100.01%"),
        ("80% ratable + 0% immediate", "0%"),
    ],
)
def test_bad_share(text, share):
    assert_words(error_of(text), ("bad share", f'"{share}"', "above 0", "at most 100"))


@pytest.mark.parametrize(
    ("text", "total"),
    [
        ("80% ratable + 30% immediate", "110"),
        ("50% ratable + 40% immediate", "90"),
        ("50% ratable", "50"),
        ("33.33% ratable + 66.66% immediate", "99.99"),
        ("60% ratable + 60% immediate", "120"),
    ],
)
def test_shares_not_adding_to_100(text, total):
    assert_words(error_of(text), (f"add up to {total}%", "not 100%"))


@pytest.mark.parametrize(
    "text", ["ratable + immediate", "80% ratable + immediate", "ratable + 20% immediate"],
)
def test_mixed_parts_need_shares(text):
    assert_words(error_of(text), ("mixed treatment", "needs a share", '"80% ratable + 20% immediate"'))


@pytest.mark.parametrize("text", ["ratable +", "+ ratable", "50% ratable + + 50% immediate", "+"])
def test_empty_part_around_plus(text):
    assert_words(error_of(text), ("empty part", '"+"'))


@pytest.mark.parametrize(
    "text", ["50% fulfillment + 50% fulfillment", "40% fulfillment + 20% ratable + 40% fulfillment 6 months"],
)
def test_two_fulfillment_parts(text):
    assert_words(error_of(text), ("only one", '"fulfillment"'))


@pytest.mark.parametrize(
    ("text", "kind"),
    [("amortize", "amortize"), ("defer", "defer"), ("80% amortize + 20% immediate", "amortize")],
)
def test_amortize_defer_without_duration(text, kind):
    assert_words(error_of(text), (f'"{kind}" needs a duration', f'"{kind} 12 months"'))


@pytest.mark.parametrize(
    ("text", "kind", "token"),
    [
        ("amortize from payment", "amortize", "from"),
        ("amortize monthly", "amortize", "monthly"),
        ("defer from payment", "defer", "from"),
    ],
)
def test_amortize_defer_with_anchor_or_method_instead_of_duration(text, kind, token):
    assert_words(error_of(text), (f'"{kind}"', "whole number", f'got "{token}"'))


@pytest.mark.parametrize(
    ("text", "count", "got"),
    [
        ("amortize 12", "12", "nothing"),
        ("defer 3", "3", "nothing"),
        ("fulfillment 6", "6", "nothing"),
        ("amortize 12 weeks", "12", "weeks"),
        ("defer 3 quarters", "3", "quarters"),
        ("fulfillment 6 Months", "6", "Months"),
        ("amortize 12 from payment", "12", "from"),
    ],
)
def test_duration_without_unit_or_bad_unit(text, count, got):
    assert_words(error_of(text), (f'duration "{count}"', "needs a unit", "days", "months", "years",
                                  f'got "{got}"'))


@pytest.mark.parametrize(
    ("text", "kind", "token"),
    [
        ("amortize twelve months", "amortize", "twelve"),
        ("defer three months", "defer", "three"),
        ("amortize 1.5 months", "amortize", "1.5"),
        ("amortize -3 months", "amortize", "-3"),
        ("defer 12months", "defer", "12months"),
    ],
)
def test_non_integer_count(text, kind, token):
    assert_words(error_of(text), (f'"{kind}"', "whole number", f'got "{token}"'))


def test_non_integer_count_after_fulfillment():
    # fulfillment's duration is optional: the stray words are reported as junk after it
    assert_words(error_of("fulfillment twelve months"), ('unexpected "twelve months"', '"fulfillment"'))


def test_non_ascii_digit_count_is_a_treatment_error():
    # "²".isdigit() is true but int("²") fails: it must still be a Problem, not a bare ValueError
    assert_words(error_of("amortize ² months"), ('"amortize"', "whole number", '"²"'))


@pytest.mark.parametrize(
    "text",
    ["amortize 12 months from", "defer 3 months from", "fulfillment from", "fulfillment 6 months from"],
)
def test_from_without_anchor(text):
    assert_words(error_of(text), ('"from" needs an anchor', "invoice", "payment", "service-start", "date"))


@pytest.mark.parametrize(
    ("text", "anchor"),
    [
        ("amortize 12 months from tomorrow", "tomorrow"),
        ("defer 3 months from service-end", "service-end"),
        ("fulfillment from Payment", "Payment"),
        ("amortize 12 months from 2023-02-30", "2023-02-30"),
        ("defer 1 month from 2023/01/01", "2023/01/01"),
    ],
)
def test_unknown_anchor(text, anchor):
    assert_words(error_of(text), (f'unknown anchor "{anchor}"', "invoice", "payment", "service-start",
                                  "2023-01-01", f'got "{anchor}"'))


@pytest.mark.parametrize("text", ["on", "80% on + 20% immediate"])
def test_on_without_date(text):
    assert_words(error_of(text), ('"on" needs a date', '"on 2023-01-01"'))


@pytest.mark.parametrize("date", ["2023-13-01", "2023-02-30", "tomorrow", "01/02/2023", "2023"])
def test_on_with_bad_date(date):
    assert_words(error_of(f"on {date}"), ('"on" needs a date like 2023-01-01', f'got "{date}"'))


@pytest.mark.parametrize(
    ("text", "kind", "junk"),
    [
        ("immediate now", "immediate", "now"),
        ("tax 10%", "tax", "10%"),
        ("fee please", "fee", "please"),
        ("passthrough x y", "passthrough", "x y"),
        ("exclude customer", "exclude", "customer"),
        ("ratable yearly", "ratable", "yearly"),
        ("ratable daily extra", "ratable", "extra"),
        ("amortize 12 months straight", "amortize", "straight"),
        ("amortize 12 months from payment monthly extra", "amortize", "extra"),
        ("defer 3 months later", "defer", "later"),
        ("defer 3 months from payment 2", "defer", "2"),
        ("on 2023-01-01 noon", "on", "noon"),
        ("fulfillment 6 months or so", "fulfillment", "or so"),
        ("fulfillment from payment 6 months", "fulfillment", "6 months"),
    ],
)
def test_trailing_junk(text, kind, junk):
    assert_words(error_of(text), (f'unexpected "{junk}"', f'after "{kind}"'))


@pytest.mark.parametrize(
    ("text", "kind", "token"),
    [
        ("amortize 12 months monthly from payment", "amortize", "from"),
        ("ratable from payment", "ratable", "from"),
        ("ratable monthly daily", "ratable", "daily"),
        ("defer 12 months monthly", "defer", "monthly"),
        ("defer 12 months from payment daily", "defer", "daily"),
        ("fulfillment 6 months monthly", "fulfillment", "monthly"),
        ("immediate daily", "immediate", "daily"),
        ("on 2023-01-01 monthly", "on", "monthly"),
        ("tax from invoice", "tax", "from"),
    ],
)
def test_method_or_from_out_of_place(text, kind, token):
    assert_words(error_of(text), (f'"{token}" is out of place after "{kind}"',))


def test_method_before_action():
    assert_words(error_of("monthly ratable"), ('unknown action "monthly"', "ratable"))


def test_errors_in_any_part_are_reported():
    assert_words(error_of("50% ratable + 50% amortize 12 weeks"), ('duration "12"', 'got "weeks"'))
    assert_words(error_of("50% on 2023-02-30 + 50% immediate"), ('got "2023-02-30"',))


@pytest.mark.parametrize(
    ("text", "instead"),
    [
        ("amortize 0 months", '"immediate"'),
        ("amortize 0 days monthly", '"immediate"'),
        ("amortize 0 days from payment", '"defer 0 days from payment"'),
        ("amortize 0 years from service-start", '"defer 0 days from service-start"'),
        ("defer 0 days", '"immediate"'),
        ("defer 0 months from invoice", '"immediate"'),
        ("fulfillment 0 days", '"immediate"'),
        ("50% ratable + 50% defer 0 days", '"immediate"'),
    ],
)
def test_zero_durations_are_errors(text, instead):
    # a deferral and its reversal on the same day are noise: say what to write instead
    assert_words(error_of(text), (f"write {instead}",))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("defer 0 days from payment", Defer(Duration(0, "day"), anchor="payment")),
        ("defer 0 days from service-start", Defer(Duration(0, "day"), anchor="service-start")),
        ("defer 0 months from 2023-01-01",
         Defer(Duration(0, "month"), anchor=datetime.date(2023, 1, 1))),
        ("fulfillment 0 days from payment", Fulfillment(Duration(0, "day"), anchor="payment")),
    ],
)
def test_zero_durations_from_a_later_anchor_are_valid(text, expected):
    # cash basis: deferred on the invoice, recognised on the payment date
    assert only_action(text) == expected


@pytest.mark.parametrize(
    ("text", "shown"),
    [("defer 9000 days", None), ("defer 10000 years", "10000 years"), ("amortize 3652059 days", "3652059 days"),
     ("defer 99999999999 days", "99999999999 days"), ("fulfillment 120000 months", "120000 months")],
)
def test_durations_beyond_the_calendar_are_errors(text, shown):
    if shown is None:
        assert only_action(text) == Defer(Duration(9000, "day"))
    else:
        assert_words(error_of(text), (f'duration "{shown}"', "9999-12-31", "at most 9999 years"))


# --- the typed actions -------------------------------------------------------------------------


def test_two_kinds_with_the_same_fields_differ():
    # one record type per action: a deferral and a fulfillment of the same length are not equal
    defer, fulfillment = only_action("defer 12 months from payment"), only_action("fulfillment 12 months from payment")
    assert defer == Defer(TWELVE_MONTHS, anchor="payment")
    assert fulfillment == Fulfillment(TWELVE_MONTHS, anchor="payment")
    assert defer != fulfillment
    assert Immediate() != Reclass("tax")


@pytest.mark.parametrize(
    ("text", "anchor"),
    [("ratable", "invoice"), ("on 2023-01-01", "invoice"), ("tax", "invoice"), ("amortize 1 year from payment", "payment"),
     ("defer 0 days from payment", "payment"), ("fulfillment from service-start", "service-start")],
)
def test_every_action_has_an_anchor_and_says_whether_it_defers(text, anchor):
    action = only_action(text)
    assert action.anchor == anchor
    assert action.defers is (action.kind != "tax")


def test_read_treatment_names_its_key():
    assert read_treatment("ratable", "revrec") == parse_treatment("ratable")
    with pytest.raises(Problem) as info:
        read_treatment(12, "revrec")
    assert str(info.value) == 'revrec: must be a treatment string, e.g. revrec: "ratable"'
    with pytest.raises(Problem) as info:
        read_treatment("ratably", "treatment")
    assert str(info.value).startswith('treatment: "ratably": unknown action "ratably": use one of immediate, ')
