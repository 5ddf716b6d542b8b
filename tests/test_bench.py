"""The benchmark runs end to end at a tiny size, so it cannot rot (its figures are not asserted)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from beancount_revrec.bench import FACES, faces, format_report, main, run
from beancount_revrec.bench_amortize import SIDES, amortisation_ledgers
from tests.test_periodic_migration import balance, load, monthly, postings


def test_benchmark_runs_at_a_tiny_size(tmp_path: Path) -> None:
    report = run([60, 120], amortize=40, repeat=1, folder=tmp_path, stripe=50)
    assert set(report["sizes"]) == {60, 120}
    assert all(row["errors"] == 0 and row["plugin_ms"] > 0 and row["own_ms"] > 0 and row["written_out_ms"] > 0
               for row in report["sizes"].values())
    small, large = report["sizes"][60]["calls"] / 60, report["sizes"][120]["calls"] / 120
    assert 10 < large <= small  # the plugin's work per line does not grow (counted, not timed)
    amortize = report["amortize"]
    assert amortize["invoices"] == 40
    for side in SIDES:  # each side loaded clean under both plugins, its ratio computed from the two times
        row = amortize[side]
        assert row["revrec"]["errors"] == row["periodic"]["errors"] == 0
        assert row["periodic"]["plugin_ms"] > 0
        assert row["revrec"]["plugin_ms"] > 0
        assert row["plugin_ratio"] == row["periodic"]["plugin_ms"] / row["revrec"]["plugin_ms"]
        assert row["load_ratio"] == row["periodic"]["total_ms"] / row["revrec"]["total_ms"]
    # the entries after the plugins ran: ours 40 deferrals and 480 recognitions, theirs 480 steps, 40 invoices
    # or prepaid costs, 3 or 4 opens
    assert (amortize["revenue"]["revrec"]["entries"], amortize["revenue"]["periodic"]["entries"]) == (
        2 + 40 + 40 + 480 + 1, 3 + 40 + 480)  # ours opens the deferred revenue account
    assert (amortize["expenses"]["revrec"]["entries"], amortize["expenses"]["periodic"]["entries"]) == (
        3 + 40 + 40 + 480, 4 + 40 + 480)
    text = format_report(report)
    assert "beancount-periodic" in text
    assert "   expenses:\n     plugin: revrec " in text
    ratios = f"revenue {amortize['revenue']['plugin_ratio']:.1f}x, expenses {amortize['expenses']['plugin_ratio']:.1f}x"
    assert f"plugin time, beancount-periodic over revrec: {ratios}" in text
    assert "target <= 1.2" in text
    assert "Beancount loading the written-out ledgers" in text
    assert report["fava"]["render_ms"] > 0  # the Revenue page rendered (status 200, metrics shown)
    assert "5. Fava Revenue page (120 lines): first render" in text
    assert set(report["fava"]["downloads_ms"]) == {f"{table}.{fmt}" for table in ("summary", "contracts", "schedule", "rollforward",
                                                    "corrections", "rules") for fmt in ("csv", "xlsx")}
    assert "slowest" in text
    assert report["faces"]["ledger"] == "example-120.beancount"
    assert "6. Command line faces vs bean-check (example-120.beancount" in text
    row = report["import"]  # invoices, payments, 3 refunds, 1 credit note: all found their invoices; a clean load
    assert (row["invoices"], row["entries"], row["problems"], row["load_errors"]) == (50, 104, 0, 0)
    assert "7. Stripe import: 50 invoices" in text


def test_benchmark_command_line(capsys) -> None:
    assert main(["--sizes", "40", "--amortize", "20", "--repeat", "1", "--small-repeat", "1", "--stripe", "20"]) == 0
    out = capsys.readouterr().out
    assert "Amortisation workload, 20 invoices" in out
    assert "6. Command line faces" in out
    assert "7. Stripe import: 20 invoices" in out


def test_import_alone(capsys) -> None:
    assert main(["--only", "import", "--stripe", "20", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("7. Stripe import: 20 invoices")
    assert "Amortisation" not in out


def test_faces_alone_at_a_tiny_size(tmp_path: Path) -> None:
    stale = tmp_path / ".example-60.beancount.picklecache"
    stale.write_bytes(b"not a pickle")  # a stale cache is deleted before every run, never read
    report = run([60], amortize=0, repeat=2, folder=tmp_path, only="faces")
    assert set(report) == {"faces"}
    rows = report["faces"]["commands"]
    assert list(rows) == ["bean-check", "bean-revrec contracts", "bean-revrec schedule", "bean-revrec rules",
                          "bean-revrec corrections"]
    for name, row in rows.items():  # measured for real; the figures themselves are not asserted
        assert not row.get("failed"), (name, row)
        assert isinstance(row["ms"], float)
        assert row["ms"] > 0
        assert isinstance(row["ratio"], float)
        assert row["ratio"] > 0
    assert rows["bean-check"]["ratio"] == 1.0
    assert report["faces"]["package"].endswith("beancount_revrec/__init__.py")
    assert not list(tmp_path.glob(".*.picklecache"))
    text = format_report(report)
    assert text.startswith("6. Command line faces vs bean-check (example-60.beancount")
    assert "Amortisation" not in text
    assert all(name in text for name in rows)


def test_a_failing_face_is_reported_not_timed(tmp_path: Path) -> None:
    ledger = tmp_path / "broken.beancount"
    ledger.write_text("2020-01-01 open Assets:A\n2020-01-02 balance Assets:B 1 USD\n", encoding="utf-8")
    commands = {name: FACES[name] for name in ("bean-check", "bean-revrec rules")}
    report = faces(ledger, repeat=2, commands=commands)
    rows = report["commands"]
    for row in rows.values():
        assert row["failed"]
        assert row["returncode"] == 1
        assert row["ratio"] is None
        assert "ms" not in row
    assert "Invalid reference to unknown account 'Assets:B'" in rows["bean-check"]["error"]
    assert rows["bean-revrec rules"]["error"].startswith("Error: ")
    assert "bean-revrec rules         FAILED (exit 1): Error: " in format_report({"faces": report})


def test_faces_command_line(capsys) -> None:
    assert main(["--only", "faces", "--sizes", "40", "--repeat", "1", "--small-repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("6. Command line faces vs bean-check (example-40.beancount")
    assert "bean-revrec corrections" in out


def test_fava_alone(capsys) -> None:
    assert main(["--only", "fava", "--sizes", "40", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("5. Fava Revenue page (40 lines): first render")
    assert "Amortisation" not in out


def test_amortize_alone(capsys) -> None:
    assert main(["--only", "amortize", "--amortize", "12", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2. Amortisation workload, 12 invoices x 12 months (revenue), and as many prepaid costs")
    assert "   revenue:\n" in out
    assert "   expenses:\n" in out
    assert "Fava" not in out
    assert "Command line faces" not in out


@pytest.mark.parametrize(("side", "account", "parked", "sign"), [
    ("revenue", "Income:Sales", "Liabilities:DeferredRevenue", -1),
    ("expenses", "Expenses:Software", "Assets:Prepaid", 1),
])
def test_the_amortisation_workload_is_the_same_for_both_plugins(
        tmp_path: Path, side: str, account: str, parked: str, sign: int) -> None:
    """24 amounts, 1200.00 to 1223.00, from 2022-01: the same 12 months each, the same sum, nothing left parked."""
    ours_path, theirs_path = amortisation_ledgers(24, tmp_path, side)
    ours_text, theirs_text = ours_path.read_text(encoding="utf-8"), theirs_path.read_text(encoding="utf-8")
    assert ours_text.count('revrec: "amortize 12 months monthly"') == theirs_text.count(
        'amortize: "1 Year /Monthly"') == 24
    ours_entries, theirs_entries = load(ours_path), load(theirs_path)
    ours, theirs = monthly(ours_entries, account), monthly(theirs_entries, account)
    months = [f"2022-{month:02d}" for month in range(1, 13)] + [f"2023-{month:02d}" for month in range(1, 12)]
    assert list(ours) == list(theirs) == months  # invoiced January to December 2022, each for 12 months
    assert sum(ours.values()) == sum(theirs.values()) == sign * Decimal("29076.00")  # 24 x 1200.00 + 0 + ... + 23
    for month in months:  # theirs rounds each step to 4 decimals, ours to cents: at most half a cent an amount
        assert abs(ours[month] - theirs[month]) <= Decimal("0.005") * 24, month
    assert ours["2022-01"] == sign * Decimal("201.00")  # 1200.00 / 12 + 1212.00 / 12, from 2022-01-01 and -13
    assert theirs["2022-01"] == sign * Decimal(201)
    end = datetime.date(2023, 12, 31)
    assert balance(ours_entries, parked, end) == balance(theirs_entries, "Equity", end) == 0
    assert postings(ours_entries, "Equity") == postings(theirs_entries, parked) == []
    assert max(entry.date for entry in ours_entries) == datetime.date(2023, 11, 30)
