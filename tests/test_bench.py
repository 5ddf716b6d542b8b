"""The benchmark runs end to end at a tiny size, so it cannot rot (its figures are not asserted)."""

from __future__ import annotations

from pathlib import Path

from beancount_revrec.bench import format_report, main, run


def test_benchmark_runs_at_a_tiny_size(tmp_path: Path) -> None:
    report = run([60, 120], amortize=40, repeat=1, folder=tmp_path)
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


def test_benchmark_command_line(capsys) -> None:
    assert main(["--sizes", "40", "--amortize", "20", "--repeat", "1", "--small-repeat", "1"]) == 0
    assert "Amortisation workload, 20 invoices" in capsys.readouterr().out
