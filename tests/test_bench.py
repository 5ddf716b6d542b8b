"""The benchmark runs end to end at a tiny size, so it cannot rot (its figures are not asserted)."""

from __future__ import annotations

from pathlib import Path

from beancount_revrec.bench import FACES, faces, format_report, main, run


def test_benchmark_runs_at_a_tiny_size(tmp_path: Path) -> None:
    report = run([60, 120], amortize=40, repeat=1, folder=tmp_path, stripe=50)
    assert set(report["sizes"]) == {60, 120}
    assert all(row["errors"] == 0 and row["plugin_ms"] > 0 and row["own_ms"] > 0 and row["written_out_ms"] > 0
               for row in report["sizes"].values())
    small, large = report["sizes"][60]["calls"] / 60, report["sizes"][120]["calls"] / 120
    assert 10 < large <= small  # the plugin's work per line does not grow (counted, not timed)
    assert report["amortize"]["revrec"]["errors"] == report["amortize"]["periodic"]["errors"] == 0
    assert report["amortize"]["periodic"]["plugin_ms"] > 0
    text = format_report(report, 40)
    assert "beancount-periodic" in text
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
    text = format_report(report, 0)
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
    assert "bean-revrec rules         FAILED (exit 1): Error: " in format_report({"faces": report}, 0)


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
