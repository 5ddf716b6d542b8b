"""Migrating from beancount-periodic: ``ledgers/periodic-migration.beancount`` against its original.

The original ledger is the migration ledger's ``;| `` comment lines, in the paragraphs that hold them, and
every other paragraph as it is (the ledger's header says so); it is loaded with the installed
``beancount_periodic.amortize`` (0.2.1), ours with this plugin. Where both schedules are the same, the
monthly expense of each account agrees exactly; where they differ (rounding, steps from the 15th against
calendar months), the test states both sides' figures.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from beancount import loader
from beancount.core.data import Transaction

from tests.conftest import LEDGERS, run_tool

LEDGER = LEDGERS / "periodic-migration.beancount"
ORIGINAL = ";| "
PREPAID = "Assets:Prepaid"
EQUITY = "Equity:Amortization"
LAST_MONTH_END = datetime.date(2025, 3, 31)  # the home insurance runs to 14 March 2025


def original_text(text: str) -> str:
    """The beancount-periodic ledger: in a paragraph with ``;| `` lines those lines alone, uncommented."""
    paragraphs = []
    for paragraph in text.split("\n\n"):
        lines = paragraph.split("\n")
        original = [line.removeprefix(ORIGINAL) for line in lines if line.startswith(ORIGINAL)]
        paragraphs.append("\n".join(original) if original else paragraph)
    return "\n\n".join(paragraphs)


def load(path: Path) -> list[Any]:
    entries, errors, _ = loader.load_file(str(path))
    assert not errors, [error.message for error in errors]
    return entries


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("periodic") / "original.beancount"
    path.write_text(original_text(LEDGER.read_text(encoding="utf-8")), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def ours() -> list[Any]:
    return load(LEDGER)


@pytest.fixture(scope="module")
def theirs(original: Path) -> list[Any]:
    return load(original)


def postings(entries: Iterable[Any], account: str) -> list[tuple[datetime.date, Decimal]]:
    """(date, number) of every posting to ``account`` or an account under it."""
    return [(entry.date, posting.units.number) for entry in entries if isinstance(entry, Transaction)
            for posting in entry.postings if posting.account == account or posting.account.startswith(account + ":")]


def monthly(entries: Iterable[Any], account: str) -> dict[str, Decimal]:
    """{YYYY-MM: the month's net postings to ``account``}, months netting to zero left out."""
    months: dict[str, Decimal] = defaultdict(Decimal)
    for day, number in postings(entries, account):
        months[f"{day:%Y-%m}"] += number
    return {month: number for month, number in sorted(months.items()) if number}


def balance(entries: Iterable[Any], account: str, day: datetime.date) -> Decimal:
    """The balance of ``account`` and its children at the end of ``day``."""
    return sum((number for when, number in postings(entries, account) if when <= day), Decimal(0))


def month_ends(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    days, day = [], first
    while day <= last:
        following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        days.append(following - datetime.timedelta(days=1))
        day = following
    return days


def months(first: str, values: Iterable[str]) -> dict[str, Decimal]:
    """Consecutive months from ``first`` (YYYY-MM), one value each."""
    year, month = map(int, first.split("-"))
    out = {}
    for value in values:
        out[f"{year:04d}-{month:02d}"] = Decimal(value)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def statements(path: Path) -> str:
    """The lines of a ledger that are not comments."""
    return "\n".join(line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith(";"))


def test_the_original_is_the_commented_ledger(original: Path) -> None:
    text = statements(original)
    assert 'plugin "beancount_periodic.amortize"' in text
    assert "revrec" not in text
    assert "service-" not in text
    assert text.count("amortize: ") == 6
    assert "amortize: " not in statements(LEDGER)
    assert run_tool("bean-check", original).returncode == 0


@pytest.mark.parametrize(("account", "expected"), [
    ("Expenses:Insurance:Car", months("2024-01", ["100.00"] * 12)),  # "1 Year /Monthly"
    ("Expenses:Software", months("2024-03", ["50.00"] * 12)),  # "1 Year @2024-03-15 /Monthly", March to February
    ("Expenses:Newspaper", months("2024-01", ["31.00", "29.00", "31.00", "30.00", "31.00", "30.00", "31.00",
                                              "31.00", "30.00", "31.00", "30.00", "31.00"])),  # "1 Year /Daily"
])
def test_the_same_schedule_expenses_the_same_each_month(
        ours: list[Any], theirs: list[Any], account: str, expected: dict[str, Decimal]) -> None:
    assert monthly(ours, account) == expected
    assert monthly(theirs, account) == expected


def test_the_newspaper_by_day_one_entry_a_day_against_one_a_month(ours: list[Any], theirs: list[Any]) -> None:
    account = "Expenses:Newspaper"
    theirs_steps = [(day, number) for day, number in postings(theirs, account) if number != Decimal("366.00")]
    assert len(theirs_steps) == 366
    assert {number for _, number in theirs_steps} == {Decimal(1)}
    ours_recognitions = [(day, number) for day, number in postings(ours, account) if abs(number) != Decimal("366.00")]
    assert ours_recognitions == [(end, amount) for end, amount in zip(
        month_ends(datetime.date(2024, 1, 1), datetime.date(2024, 12, 1)), monthly(ours, account).values(),
        strict=True)]


def test_equal_months_differ_by_rounding_alone(ours: list[Any], theirs: list[Any]) -> None:
    """1000.00 over 12 months: theirs to 4 decimals carrying the remainder, ours the running total to cents."""
    account = "Expenses:Hosting"
    assert monthly(theirs, account) == months("2024-01", ["83.3333", "83.3333", "83.3334"] * 4)
    assert monthly(ours, account) == months("2024-01", ["83.33", "83.34", "83.33"] * 4)
    difference = {month: ours_month - monthly(theirs, account)[month]
                  for month, ours_month in monthly(ours, account).items()}
    assert set(difference.values()) == {Decimal("-0.0033"), Decimal("0.0067"), Decimal("-0.0034")}
    assert sum(monthly(ours, account).values()) == sum(monthly(theirs, account).values()) == Decimal("1000.00")


def test_by_day_over_a_quarter_differs_by_rounding_alone(ours: list[Any], theirs: list[Any]) -> None:
    """3000.00 over 91 days: theirs 91 steps to 5 decimals, ours each month rounded to cents."""
    account = "Expenses:Rent"
    steps = [number for _, number in postings(theirs, account) if number != Decimal("3000.00")]
    assert len(steps) == 91
    assert set(steps) == {Decimal("32.96703"), Decimal("32.96704")}
    assert monthly(theirs, account) == months("2024-01", ["1021.97802", "956.04396", "1021.97802"])
    assert monthly(ours, account) == months("2024-01", ["1021.98", "956.04", "1021.98"])


def test_steps_from_the_15th_against_calendar_months(ours: list[Any], theirs: list[Any]) -> None:
    """``Monthly!`` from 15 March: a step's days booked on its first day, against each calendar month's own days.

    From April to February a step from the 15th has as many days as its calendar month, so the months
    differ by rounding alone; beancount-periodic books the first step's 31 days in March 2024, where ours
    books March's 17 days then and the last 14 days in March 2025.
    """
    account = "Expenses:Insurance:Home"
    year = 1200 / Decimal(365)
    assert monthly(theirs, account) == months("2024-03", [
        "101.917808", "98.630137", "101.917808", "98.630137", "101.917808", "101.917809", "98.630137",
        "101.917808", "98.630137", "101.917808", "101.917808", "92.054795"])
    assert monthly(ours, account) == months("2024-03", [
        "55.89", "98.63", "101.92", "98.63", "101.92", "101.91", "98.63", "101.92", "98.63", "101.92", "101.92",
        "92.05", "46.03"])
    theirs_months, ours_months = monthly(theirs, account), monthly(ours, account)
    assert theirs_months["2024-03"] == round(31 * year, 6)
    assert (ours_months["2024-03"], ours_months["2025-03"]) == (round(17 * year, 2), round(14 * year, 2))
    for month in list(ours_months)[1:-1]:
        assert abs(ours_months[month] - theirs_months[month]) < Decimal("0.01"), month
    assert sum(ours_months.values()) == sum(theirs_months.values()) == Decimal("1200.00")


def test_ours_prepays_to_an_asset_theirs_to_equity(ours: list[Any], theirs: list[Any]) -> None:
    assert postings(ours, EQUITY) == []
    assert postings(theirs, PREPAID) == []
    mid_year = datetime.date(2024, 6, 30)
    # car 600 + licence 400 + hosting 500 + newspaper 184 + home insurance 844.93 (ours: 15 March to 30 June
    # expensed) or 798.90411 (theirs: four steps, the one from 15 June booked on 15 June)
    assert balance(ours, PREPAID, mid_year) == Decimal("2528.93")
    assert balance(theirs, EQUITY, mid_year) == Decimal("2482.90411")
    assert max(day for day, _ in postings(ours, PREPAID)) == datetime.date(2025, 3, 14)  # the last day of service
    assert max(day for day, _ in postings(theirs, EQUITY)) == datetime.date(2025, 2, 15)  # the last step's first day
    assert balance(ours, PREPAID, LAST_MONTH_END) == balance(theirs, EQUITY, LAST_MONTH_END) == 0


@pytest.mark.parametrize("account", ["Insurance:Car", "Software", "Newspaper"])
def test_same_schedule_prepaid_equals_their_equity_at_each_month_end(
        ours: list[Any], theirs: list[Any], account: str) -> None:
    """What is still prepaid of an account (ours: minus the plugin's postings to it) is their equity account."""
    generated = [entry for entry in ours if isinstance(entry, Transaction) and "revrec" in entry.tags]
    for day in month_ends(datetime.date(2024, 1, 1), LAST_MONTH_END):
        prepaid = -balance(generated, f"Expenses:{account}", day)
        assert prepaid == balance(theirs, f"{EQUITY}:{account}", day), day
    assert balance(generated, f"Expenses:{account}", datetime.date(2024, 6, 30)) != 0


def test_ours_books_cents(ours: list[Any]) -> None:
    numbers = [number for _, number in postings(ours, "Expenses")] + [number for _, number in postings(ours, PREPAID)]
    assert {number.as_tuple().exponent for number in numbers} == {-2}
