"""The booking horizon (plugin option ``book-until``): what is booked, what the reports schedule, closes.

``ledgers/book-until.beancount`` books through 2024-06-30; the same text without
the option is the reference: the balance sheet on the horizon, and every report
figure beyond it, must be the reference's.
"""

from __future__ import annotations

import datetime
import json
import re
import shutil
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from beancount.core.data import Transaction
from fava.application import create_app

from beancount_revrec.close import totals
from beancount_revrec.config import parse_config
from beancount_revrec.reports import GROUPS, contract_metrics, read_books, waterfall
from beancount_revrec.reports.books import Books
from tests.conftest import LEDGERS, assert_one_error_line, bean_query, invoke, lineno, load_text, ok, run_tool

LEDGER = LEDGERS / "book-until.beancount"
PLUGIN = """plugin "beancount_revrec" "{'book-until': '2024-06-30'}\""""
HORIZON = datetime.date(2024, 6, 30)
D = Decimal


def variant(tmp_path: Path, config: str | None, name: str = "ledger.beancount") -> Path:
    """The example ledger with another plugin config (None: no option), written to ``tmp_path``."""
    text = LEDGER.read_text(encoding="utf-8")
    assert text.count(PLUGIN) == 1
    line = 'plugin "beancount_revrec"' + ("" if config is None else f' "{config}"')
    path = tmp_path / name
    path.write_text(text.replace(PLUGIN, line), encoding="utf-8")
    return path


def books_of(path: Path) -> Books:
    loaded = load_text(path.parent, path.read_text(encoding="utf-8"), path.name)
    assert loaded.errors == [], [error.message for error in loaded.errors]
    books, problems = read_books(loaded.entries, loaded.options_map)
    assert books is not None, problems
    return books


def generated(entries: Iterable[Any]) -> list[tuple[Any, ...]]:
    """The generated transactions, comparable: date, key and postings."""
    return sorted((entry.date, entry.meta["revrec-key"], tuple((p.account, p.units) for p in entry.postings))
                  for entry in entries if isinstance(entry, Transaction) and "revrec-kind" in entry.meta)


def balances(path: Path, through: str | None = None) -> dict[str, Decimal]:
    """The balance sheet and income statement by bean-query, through a date (inclusive) or in all."""
    where = f"WHERE date <= {through} " if through else ""
    rows = bean_query(path, f"SELECT account, sum(number) AS total {where}GROUP BY account")
    return {row["account"]: D(row["total"]) for row in rows if row["total"] and D(row["total"])}


# --- the option -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [("2024-06-30", HORIZON), ("last-entry", "last-entry")])
def test_book_until_accepts_a_date_or_last_entry(value: str, expected: object) -> None:
    config, problems, warnings = parse_config(f"{{'book-until': {value!r}}}", {})
    assert (config.book_until, problems, warnings) == (expected, [], [])
    assert parse_config(None, {}).config.book_until is None  # the default: book everything


@pytest.mark.parametrize("value", ["20240630", "2024-02-30", "June", "", 20240630, None, "2024-06-30T00:00"])
def test_a_bad_book_until_is_a_warning_and_the_rest_applies(value: object) -> None:
    config, problems, warnings = parse_config(f"{{'deferred': 'Liabilities:Unearned', 'book-until': {value!r}}}", {})
    assert problems == []
    assert config.book_until is None
    assert config.deferred == "Liabilities:Unearned"
    [warning] = warnings
    assert '"2024-06-30"' in warning
    assert "'last-entry'" in warning
    assert f"got {value!r}" in warning


def test_a_bad_book_until_is_an_error_at_the_plugin_line_and_books_everything(tmp_path: Path) -> None:
    bad = variant(tmp_path, "{'book-until': 'June'}")
    text = bad.read_text(encoding="utf-8")
    loaded = load_text(tmp_path, text)
    [error] = loaded.errors
    assert (error.source["filename"], error.source["lineno"]) == (str(bad), lineno(text, 'plugin "beancount_revrec"'))
    assert "book-until" in error.message
    assert "'last-entry'" in error.message
    reference = load_text(tmp_path, variant(tmp_path, None, "reference.beancount").read_text(), "reference.beancount")
    assert generated(loaded.entries) == generated(reference.entries)
    assert max(entry[0] for entry in generated(loaded.entries)) == datetime.date(2025, 12, 31)


# --- what is booked -----------------------------------------------------------------------------------------


def test_nothing_is_booked_after_the_horizon_and_the_balance_sheet_on_it_is_unchanged(tmp_path: Path) -> None:
    reference = variant(tmp_path, None, "reference.beancount")
    for path in (LEDGER, reference):
        result = run_tool("bean-check", path)
        assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    horizon, full = books_of(LEDGER), books_of(reference)
    assert horizon.horizon == HORIZON
    assert full.horizon is None
    assert generated(horizon.entries) == [entry for entry in generated(full.entries) if entry[0] <= HORIZON]
    assert generated(horizon.unbooked) == [entry for entry in generated(full.entries) if entry[0] > HORIZON]
    assert max(entry[0] for entry in generated(horizon.entries)) == HORIZON
    # the balance sheet on the horizon, worked by hand in the ledger's comments
    on_horizon = {"Assets:AccountsReceivable": D("1560.00"), "Assets:Bank": D("1800.00"),
                  "Income:Refunds": D("20.00"), "Income:Services": D("-200.00"),
                  "Income:Subscriptions": D("-1370.00"), "Liabilities:DeferredRevenue": D("-1810.00")}
    assert balances(LEDGER, "2024-06-30") == balances(reference, "2024-06-30") == on_horizon
    # later, the horizon's books stand still; without it, recognition and the 2025 billing go on
    assert balances(LEDGER, "2024-12-31") == balances(LEDGER) == on_horizon
    assert balances(reference, "2024-12-31")["Liabilities:DeferredRevenue"] == D("-30.00")  # in_2's January
    assert balances(reference)["Income:Subscriptions"] == D("-3980.00")
    assert "Liabilities:DeferredRevenue" not in balances(reference)  # all recognised by 2025-12-31


@pytest.mark.parametrize("until", ["2023-12-31", "2024-01-01", "2024-02-29", "2024-04-15", "2024-04-30",
                                   "2024-12-31", "2025-01-01", "2026-01-01"])
def test_any_horizon_splits_the_entries_without_one(tmp_path: Path, until: str) -> None:
    """Before the first entry, on a line's date, on a credit's, on a recognition's, after the last: booked + unbooked."""
    horizon = books_of(variant(tmp_path, f"{{'book-until': '{until}'}}"))
    full = books_of(variant(tmp_path, None, "reference.beancount"))
    day = datetime.date.fromisoformat(until)
    assert generated(horizon.entries) == [entry for entry in generated(full.entries) if entry[0] <= day]
    assert generated(horizon.unbooked) == [entry for entry in generated(full.entries) if entry[0] > day]
    start = datetime.date(2024, 1, 1)
    assert (waterfall(horizon.scheduled, horizon.config, start, None, "contract", horizon.as_of)
            == waterfall(full.entries, full.config, start, None, "contract", full.as_of))
    assert contract_metrics(horizon, day) == contract_metrics(full, day)


EXAMPLES = sorted(path.name for path in LEDGERS.glob("*.beancount")
                  if not path.name.endswith(".closed.beancount") and path.name != LEDGER.name)
PLUGIN_LINE = re.compile(r'^plugin "beancount_revrec"(?: "\{(.*)\}")?$', flags=re.MULTILINE)


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_ledger_booked_to_the_middle_of_its_schedule(tmp_path: Path, name: str) -> None:
    """Every ledger of ledgers/: booked + scheduled = the plugin's entries without a horizon, the same reports."""
    for path in LEDGERS.glob("*.beancount"):  # with the closed-books files they include
        shutil.copy(path, tmp_path)
    full = books_of(tmp_path / name)
    dates = sorted({entry[0] for entry in generated(full.entries)})  # revenue's and expenses' (household: no revenue)
    middle = dates[(len(dates) - 1) // 2] if len(dates) > 1 else dates[0] - datetime.timedelta(days=1)
    day = max(middle, full.closed_through or middle)
    text = (tmp_path / name).read_text(encoding="utf-8")
    config = f"'book-until': '{day}'"
    (tmp_path / name).write_text(PLUGIN_LINE.sub(
        lambda match: f'plugin "beancount_revrec" "{{{config}{", " + match[1] if match[1] else ""}}}"', text, count=1),
        encoding="utf-8")
    horizon = books_of(tmp_path / name)
    assert horizon.horizon == day
    is_correction = {entry[1] for entry in generated(full.entries) if "/correction/" in entry[1]}
    expected = generated(full.entries)
    assert generated(horizon.entries) == [entry for entry in expected if entry[0] <= day or entry[1] in is_correction]
    unbooked = [*horizon.unbooked, *horizon.for_side("expense").unbooked]  # each side's books schedule its own
    assert generated(unbooked) == [entry for entry in expected if entry[0] > day and entry[1] not in is_correction]
    assert any(entry[0] > day for entry in expected)  # something lies beyond (in example-8.1, its corrections)
    assert totals(entry for entry in horizon.entries if entry.date <= day) == totals(
        entry for entry in full.entries if entry.date <= day)
    start = dates[0].replace(day=1)
    for by in GROUPS:
        assert (waterfall(horizon.scheduled, horizon.config, start, None, by, day)
                == waterfall(full.entries, full.config, start, None, by, day)), by
    assert contract_metrics(horizon, dates[-1]) == contract_metrics(full, dates[-1])


def test_last_entry_books_through_the_last_entry_written(tmp_path: Path) -> None:
    books = books_of(variant(tmp_path, "{'book-until': 'last-entry'}"))
    full = books_of(variant(tmp_path, None, "reference.beancount"))
    last = datetime.date(2024, 6, 14)  # the payment of in_3: generated entries do not count
    assert books.horizon == books.as_of == full.as_of == last
    assert generated(books.entries) == [entry for entry in generated(full.entries) if entry[0] <= last]
    assert max(entry[0] for entry in generated(books.entries)) == datetime.date(2024, 5, 31)


# --- the reports: the scheduled future from the engine ---------------------------------------------------------


def test_the_waterfall_beyond_the_horizon_is_what_the_plugin_books_without_it(tmp_path: Path) -> None:
    horizon, full = books_of(LEDGER), books_of(variant(tmp_path, None))
    start = datetime.date(2024, 1, 1)
    for by in GROUPS:
        shown = waterfall(horizon.scheduled, horizon.config, start, None, by, HORIZON)
        assert shown == waterfall(full.entries, full.config, start, None, by, HORIZON), by
    months: dict[str, Decimal] = {}
    for row in waterfall(horizon.scheduled, horizon.config, start, None, "account", HORIZON):
        months[row.month] = months.get(row.month, D(0)) + row.revenue
    assert len(months) == 24
    # by hand: 100.00 (in_1) + 30.00 (in_2) + 100.00 (ct_1); September adds in_3's 400.00 left over
    assert (months["2024-07"], months["2024-09"], months["2025-01"], months["2025-12"]) == (
        D("230.00"), D("630.00"), D("130.00"), D("100.00"))
    booked = waterfall(horizon.entries, horizon.config, start, None, "account", HORIZON)
    assert max(row.month for row in booked) == "2024-06"  # the months after it come from the engine


def test_bean_revrec_schedule_and_contracts_show_the_scheduled_future(tmp_path: Path) -> None:
    reference = variant(tmp_path, None)
    schedule = ("schedule", "--from", "2024-01", "--months", "24", "--as-of", "2024-06-30", "--format", "csv")
    shown = ok(schedule[0], LEDGER, *schedule[1:])
    assert shown == ok(schedule[0], reference, *schedule[1:])
    assert "2025-12,Income:Subscriptions,USD,100.00,scheduled" in shown
    for as_of in ("2024-06-30", "2024-12-31"):
        args = ("--as-of", as_of, "--format", "json")
        assert ok("contracts", LEDGER, *args) == ok("contracts", reference, *args)
    [row] = json.loads(ok("contracts", LEDGER, "--as-of", "2024-06-30", "--format", "json"))
    assert [row[name] for name in ("billed", "revenue", "deferred", "future_billings", "unbilled_deferred")] == [
        "1200.00", "600.00", "600.00", "1200.00", "1200.00"]


def test_contract_metrics_beyond_the_horizon_are_the_engines(tmp_path: Path) -> None:
    horizon, full = books_of(LEDGER), books_of(variant(tmp_path, None))
    for as_of in ("2024-01-31", "2024-06-30", "2024-07-01", "2025-01-01", "2025-12-31"):
        day = datetime.date.fromisoformat(as_of)
        assert contract_metrics(horizon, day) == contract_metrics(full, day), as_of
    [row] = contract_metrics(horizon, datetime.date(2025, 3, 31))
    assert (row.billed, row.revenue, row.deferred, row.future_billings) == (
        D("2400.00"), D("1500.00"), D("900.00"), D("0.00"))


def test_a_line_recognised_only_after_the_horizon_is_not_waiting_for_a_payment(tmp_path: Path) -> None:
    path = variant(tmp_path, "{'book-until': 'last-entry'}")
    unpaid = """
2024-06-14 * "Hooli" "Quarterly plan"
  invoice: "in_4"
  Assets:AccountsReceivable   300.00 USD
  Income:Subscriptions       -300.00 USD
    line: "il_4"
    service-start: 2024-06-14
    service-end: 2024-09-14
    revrec: "ratable monthly"

2024-06-01 * "Hooli" "Training, from its payment"
  invoice: "in_5"
  Assets:AccountsReceivable   90.00 USD
  Income:Services            -90.00 USD
    line: "il_5"
    revrec: "amortize 3 months from payment"
"""
    path.write_text(path.read_text(encoding="utf-8") + unpaid, encoding="utf-8")
    result = invoke("rollforward", path, "--format", "csv")
    assert result.exit_code == 0, result.output
    # il_4's deferral is booked on the horizon and its first recognition is after it; il_5 waits for a payment
    assert result.stderr.startswith('Warning: 1 line(s) treated "from payment" have no payment yet and stay deferred: '
                                    f"il_5 ({path}:")


def test_without_a_horizon_no_engine_runs(tmp_path: Path) -> None:
    books = books_of(variant(tmp_path, None))
    assert books.unbooked == []
    assert books.scheduled is books.entries
    assert "analysis" not in vars(books)  # the engine runs for explain and rules alone


def test_the_revenue_page_shows_the_scheduled_future(tmp_path: Path) -> None:
    extension = '\n2024-01-01 custom "fava-extension" "fava_revrec"\n'
    pages = []
    for path in (LEDGER, variant(tmp_path, None)):
        copy = tmp_path / f"fava-{len(pages)}.beancount"
        copy.write_text(path.read_text(encoding="utf-8") + extension, encoding="utf-8")
        app = create_app([str(copy)], load=True)
        app.testing = True
        slug = app.config["LEDGERS"].first_slug()
        client = app.test_client()
        response = client.get(f"/{slug}/extension/FavaRevrec/report_json?time=2024-06")
        assert response.status_code == 200
        pages.append(response.get_json())
        html = client.get(f"/{slug}/extension/FavaRevrec/").get_data(as_text=True)
        assert ('id="revrec-horizon">2024-06-30<' in html) is (len(pages) == 1)  # said on the page with a horizon
    assert pages[0]["waterfall"] == pages[1]["waterfall"]
    assert pages[0]["metrics"] == pages[1]["metrics"]
    scheduled = {row["month"] for row in pages[0]["waterfall"] if row["status"] == "scheduled"}
    assert scheduled == {f"2024-{month:02d}" for month in range(7, 13)} | {f"2025-{m:02d}" for m in range(1, 7)}
    assert pages[0]["metrics"][0]["future_billings"] == "1200.00"


# --- closes and corrections --------------------------------------------------------------------------------------


def corrections(path: Path) -> list[dict[str, Any]]:
    return [{key: row[key] for key in ("date", "corrects", "frozen", "recomputed", "postings")}
            for row in json.loads(ok("corrections", path, "--format", "json"))]


def recomputed(rows: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    return [(row["date"], row["corrects"], row["frozen"], row["recomputed"]) for row in rows]


# in_1 daily instead of monthly: 1200.00 x the month's days / 366 (2024 is a leap year)
DAILY = [(f"il_1/recognition/2024-{month}", amount) for month, amount in [
    ("01-31", "101.64 USD"), ("02-29", "95.08 USD"), ("03-31", "101.64 USD"), ("04-30", "98.36 USD"),
    ("05-31", "101.64 USD"), ("06-30", "98.36 USD")]]


def retreat(path: Path) -> None:
    """Change in_1's treatment to daily, after a close: a correction for January to March."""
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('    revrec: "ratable monthly"', '    revrec: "ratable"', 1), encoding="utf-8")


def test_a_close_before_the_horizon_and_its_corrections(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    path, reference = variant(tmp_path / "a", "{'book-until': '2024-06-30'}"), variant(tmp_path / "b", None)
    for ledger in (path, reference):
        ok("close", ledger, "--through", "2024-03-31")
        retreat(ledger)
    assert corrections(path) == corrections(reference)
    assert recomputed(corrections(path)) == [("2024-04-01", key, "100.00 USD", amount) for key, amount in DAILY[:3]]
    assert balances(path, "2024-06-30") == balances(reference, "2024-06-30")
    assert max(entry[0] for entry in generated(books_of(path).entries)) == HORIZON


def test_a_close_after_the_horizon_is_refused(tmp_path: Path) -> None:
    path = variant(tmp_path, "{'book-until': '2024-06-30'}")
    before = path.read_bytes()
    result = invoke("close", path, "--through", "2024-09-30")
    assert result.exit_code == 1
    assert_one_error_line(result.output, "--through 2024-09-30 is after the booking horizon (book-until 2024-06-30",
                          "set book-until to 2024-09-30 or later")
    assert path.read_bytes() == before
    assert sorted(item.name for item in tmp_path.iterdir()) == ["ledger.beancount"]


def test_a_close_after_book_until_is_an_error_at_the_close(tmp_path: Path) -> None:
    path = variant(tmp_path, "{'book-until': '2024-06-30'}")
    ok("close", path, "--through", "2024-06-30")
    text = path.read_text(encoding="utf-8").replace("'2024-06-30'", "'2024-05-31'")
    loaded = load_text(tmp_path, text)
    [error] = loaded.errors
    closed = tmp_path / "ledger.closed.beancount"
    assert error.source["filename"] == str(closed)
    assert error.source["lineno"] == lineno(closed.read_text(encoding="utf-8"), 'custom "revrec-close"')
    assert "revrec-close through 2024-06-30 is after the booking horizon (book-until 2024-05-31)" in error.message
    # the books still run to the close, as frozen, and nothing later is booked
    assert max(entry[0] for entry in generated(loaded.entries)) == HORIZON
    path.write_text(text, encoding="utf-8")
    ok("reopen", path, "--through", "2024-05-31")  # the fix the error names
    reopened, reference = books_of(path), variant(tmp_path, None, "reference.beancount")
    assert reopened.horizon == datetime.date(2024, 5, 31)
    assert max(entry[0] for entry in generated(reopened.entries)) == datetime.date(2024, 5, 31)
    assert balances(path, "2024-05-31") == balances(reference, "2024-05-31")


def test_last_entry_closes_through_the_month_end_and_books_corrections_after_it(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    path, reference = variant(tmp_path / "a", "{'book-until': 'last-entry'}"), variant(tmp_path / "b", None)
    for ledger in (path, reference):  # the last entry is 2024-06-14: June's recognitions come from the engine
        ok("close", ledger, "--through", "2024-06-30")
    frozen = generated(books_of(path).entries)
    assert frozen == generated(books_of(reference).entries)[:len(frozen)]
    assert sum(posting[1].number for entry in frozen if entry[0] == HORIZON
               for posting in entry[2] if posting[0] == "Liabilities:DeferredRevenue") == D("230.00")
    assert books_of(path).horizon == HORIZON  # the close is the last entry now
    for ledger in (path, reference):
        retreat(ledger)
    assert corrections(path) == corrections(reference)
    # booked the day after the close, beyond the horizon
    assert recomputed(corrections(path)) == [("2024-07-01", key, "100.00 USD", amount) for key, amount in DAILY]
    assert balances(path, "2024-07-01") == balances(reference, "2024-07-01")
    for ledger in (path, reference):
        ok("reopen", ledger, "--through", "2024-03-31")
    assert books_of(path).horizon == datetime.date(2024, 6, 14)  # through its last entry again
    assert corrections(path) == corrections(reference)
    assert recomputed(corrections(path)) == [("2024-04-01", key, "100.00 USD", amount) for key, amount in DAILY[:3]]
    assert balances(path, "2024-06-14") == balances(reference, "2024-06-14")


def test_the_demo_booked_through_mid_2023(tmp_path: Path) -> None:
    """Contracts, fulfillment, credits, every rule and a close with a correction, with invoices after the horizon."""
    text = (LEDGERS / "demo.beancount").read_text(encoding="utf-8")
    assert text.count('\nplugin "beancount_revrec"\n') == 1
    path = tmp_path / "demo.beancount"
    path.write_text(text.replace('\nplugin "beancount_revrec"\n', PLUGIN.replace("2024-06-30", "2023-06-30")
                                 .join(["\n", "\n"])), encoding="utf-8")
    horizon, full = books_of(path), books_of(LEDGERS / "demo.beancount")
    day = datetime.date(2023, 6, 30)
    assert horizon.horizon == day
    assert generated(horizon.entries) == [entry for entry in generated(full.entries) if entry[0] <= day]
    # what the reports schedule after the horizon is exactly what the plugin books there without it
    assert generated(horizon.unbooked) == [entry for entry in generated(full.entries) if entry[0] > day]
    assert horizon.unbooked  # the demo schedules into 2025
    assert balances(path, "2023-06-30") == balances(LEDGERS / "demo.beancount", "2023-06-30")
    assert balances(path, "2023-06-30")["Liabilities:DeferredRevenue"] < 0
    start = datetime.date(2022, 1, 1)
    for by in GROUPS:
        assert (waterfall(horizon.scheduled, horizon.config, start, None, by, day)
                == waterfall(full.entries, full.config, start, None, by, day)), by
    for as_of in ("2022-12-31", "2023-06-30", "2023-12-31", "2024-06-30"):
        when = datetime.date.fromisoformat(as_of)
        assert contract_metrics(horizon, when) == contract_metrics(full, when), as_of
    assert ok("corrections", path, "--format", "json") == ok("corrections", LEDGERS / "demo.beancount",
                                                             "--format", "json")
